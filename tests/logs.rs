//! The log file, through the real binary: `--log-file` and `HELIOS_LOG` choose where and how
//! much; the default is a daily file under `$XDG_STATE_HOME/helios`; a log that cannot be
//! written costs one line on stderr and nothing else; log lines never go to the terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::time::Duration;

use support::{World, free_port, read, wait_until_or};
use tui::Tui;

/// A command that fails inside helios (not in clap): a layout template that does not exist.
const FAILING: [&str; 6] = ["layout", "write", "--template", "nosuch", "--out", "-"];

#[test]
fn a_failing_command_logs_its_error_at_the_level_helios_log_asks_for() {
    let world = World::new("logs");
    let file = world.path("logs/run.log");
    let out = world
        .helios()
        .args(FAILING)
        .arg("--log-file")
        .arg(&file)
        .env("HELIOS_LOG", "debug")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let log = std::fs::read_to_string(&file).unwrap();
    let error = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("no layout template \"nosuch\""));
    assert!(error.is_some(), "no error line in the log:\n{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("DEBUG") && l.contains("starting")),
        "HELIOS_LOG=debug did not log at debug:\n{log}"
    );
    // The user still sees the error, and only the error: no log line on the terminal.
    assert!(stderr.contains("no layout template"), "{stderr}");
    assert!(
        !stderr.contains("DEBUG") && !stderr.contains("ERROR"),
        "{stderr}"
    );
}

/// Run a failing command with no log flag and no `HELIOS_LOG`: what it printed, and the state
/// dir its log goes to.
fn fail_with_default_log(world: &World) -> (std::process::Output, std::path::PathBuf) {
    let out = world
        .helios()
        .args(FAILING)
        .env_remove("HELIOS_LOG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    (out, world.path("state/helios"))
}

#[test]
fn without_the_flag_the_log_is_a_daily_file_in_the_state_dir_at_warn() {
    let world = World::new("logs");
    let (out, dir) = fail_with_default_log(&world);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("helios.") && n.rsplit('.').next() == Some("log"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let log = std::fs::read_to_string(dir.join(&files[0])).unwrap();
    assert!(log.contains("no layout template"), "{log}");
    assert!(
        !log.contains("DEBUG"),
        "debug lines at the default level:\n{log}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn an_unwritable_log_is_one_line_on_stderr_and_the_command_still_runs() {
    let world = World::new("logs");
    // A regular file where the log's directory should be.
    let blocker = world.path("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let out = world
        .helios()
        .args(["config", "check", "--log-file"])
        .arg(blocker.join("sub/helios.log"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("cannot write logs in"), "{stderr}");
    assert!(lines[0].contains("blocker"), "{stderr}");
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Log lines carry lane text and servers' errors: the file is the user's alone, like the
/// journal, and so is a directory helios makes for it.
#[test]
fn log_files_are_readable_by_the_user_only() {
    let world = World::new("logs");
    let (_, dir) = fail_with_default_log(&world);
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    let daily: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    assert_eq!(daily.len(), 1, "{daily:?}");
    assert!(
        std::fs::read_to_string(&daily[0])
            .unwrap()
            .contains("no layout template")
    );
    assert_eq!(mode(&daily[0]), 0o600, "{}", daily[0].display());

    // A daily file an older helios left world-readable is closed up when written to again.
    std::fs::set_permissions(
        &daily[0],
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    world.helios().args(FAILING).output().unwrap();
    assert_eq!(mode(&daily[0]), 0o600, "{}", daily[0].display());

    // `--log-file` in a directory that does not exist yet.
    let file = world.path("new/logs/run.log");
    world
        .helios()
        .args(FAILING)
        .arg("--log-file")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("no layout template")
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&world.path("new/logs")), 0o700);
    assert_eq!(mode(&world.path("new")), 0o700);
}

/// The console's log lines about NATS, one per line, with `--log-file log` at info and `args`.
fn console_nats_log(world: &World, log: &std::path::Path, args: &[&str], until: &str) -> String {
    let file = log.display().to_string();
    let mut all = vec!["--log-file", file.as_str()];
    all.extend_from_slice(args);
    let _tui = Tui::run(world, &all, &[("HELIOS_LOG", "info")]);
    wait_until_or(
        "the console's log",
        Duration::from_secs(20),
        || read(log).contains(until),
        || format!("no `{until}` in the log:\n{}", read(log)),
    );
    read(log)
}

/// NATS configured nowhere (no `[nats] url`, `--nats`, `NATS_URL` or credentials): the console
/// tries no bus and says so at info, where it warned at every start that the built-in default
/// address was unreachable. Events are still journaled. Configured and unreachable, it warns.
#[test]
fn a_console_without_nats_configured_says_the_bus_is_off_and_warns_of_nothing() {
    let world = World::new("nobus");
    // The NATS panel's quiet look at the default address (info) fails about as soon as a
    // watch of it would have: by then that watch's warning would be in the log.
    let log = console_nats_log(&world, &world.path("quiet.log"), &[], "NATS unreachable");
    let off = log.lines().find(|l| l.contains("the bus is off"));
    assert!(off.is_some_and(|l| l.contains("INFO")), "{log}");
    let warned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") && (l.contains("NATS") || l.contains("4222")))
        .collect();
    assert!(warned.is_empty(), "{log}");

    let url = format!("nats://127.0.0.1:{}", free_port());
    let log = console_nats_log(&world, &world.path("loud.log"), &["--nats", &url], "WARN");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains(&url[7..])),
        "{log}"
    );
    assert!(!log.contains("the bus is off"), "{log}");
}
