//! The console and what happens outside it, with real par and tmux: `a` lends the terminal to
//! `tmux attach` and the console comes back on detach (a failed attach says why; tmux's own
//! suspend key stops the console's job with it; a SIGTERM meanwhile leaves the terminal as it
//! was), and what the CLI journals while the console runs reaches its events panel without
//! NATS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/shell_tui.rs"]
mod shell_tui;
mod support;
#[path = "support/tui.rs"]
mod tui;

use std::time::Duration;

use helios::store::sqlite::SqliteStore;
use helios::store::{EventQuery, EventResult, EventStore};
use support::{World, require, wait_until, wait_until_or};
use tui::Tui;

const WAIT: Duration = Duration::from_secs(30);

fn helios_ok(world: &World, args: &[&str]) -> String {
    let out = world.helios().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "helios {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A par lane `label` with its tmux session's name.
fn par_lane(world: &World, label: &str) -> String {
    helios_ok(world, &["lane", "new", label]);
    let lanes: serde_json::Value =
        serde_json::from_str(&helios_ok(world, &["lane", "ls", "--json"])).unwrap();
    lanes
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == label)
        .and_then(|l| l["session"].as_str())
        .unwrap()
        .to_string()
}

fn recorded(world: &World, action: &str, lane: &str, result: EventResult) -> bool {
    SqliteStore::open(&world.path("state/helios/helios.db"))
        .and_then(|s| s.query(&EventQuery::default()))
        .is_ok_and(|evs| {
            evs.iter().any(|e| {
                e.action == action && e.lane.as_deref() == Some(lane) && e.result == result
            })
        })
}

fn pane_text(world: &World, session: &str) -> String {
    let out = world.tmux(&["capture-pane", "-p", "-t", &format!("={session}:0")]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Outside tmux and zellij, `a` runs `tmux attach` in the console's own terminal: keys reach
/// the lane through it, and detaching brings the console back, still running, with the attach
/// journalled. (Before, helios replaced itself with `tmux attach` and was gone.)
#[test]
fn attach_lends_the_terminal_and_the_console_comes_back_on_detach() {
    require("tmux");
    require("par");
    let world = World::new("app");
    // Typed into the console these keys would open dialogs; through tmux they run in the lane.
    let (session, mut tui) = attached_console(&world);
    tui.keys(b"echo TYPED-$((6*7))\r");
    wait_until("the command typed through tmux", WAIT, || {
        pane_text(&world, &session).contains("TYPED-42")
    });
    // Detached from outside: ci112 saw tmux take `C-b d` typed here as a plain `d` once (the
    // prefix went to the shell as readline's C-b), which this test is not about.
    world.tmux(&["detach-client", "-t", &tui.tty]);
    tui.wait_for(
        "the console, back",
        "back from lane alpha (detached from tmux session",
        WAIT,
    );
    assert!(
        recorded(&world, "lane.attached", "alpha", EventResult::Ok),
        "no lane.attached event"
    );
    // Still the console: its keys work.
    tui.keys(b"?");
    tui.wait_for("the help overlay", "attach to its tmux session", WAIT);
}

/// An attach that fails says why in the console (tmux's own words) and is journalled as an
/// error; the console is back at once.
#[test]
fn a_failed_attach_says_why_and_the_console_stays() {
    let real = require("tmux");
    require("par");
    let world = World::new("app");
    par_lane(&world, "alpha");
    // A tmux in front of the real one that refuses to attach, as tmux does for a session gone.
    let dir = world.path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("tmux");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = attach-session ]; then echo \"can't find session: gone\" >&2; exit 1; fi\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    let mut perm = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
    let mut tui = Tui::start(&world, &[("PATH", &path)]);
    tui.wait_for("the lane list", "alpha", WAIT);

    tui.keys(b"a");
    tui.wait_for("the failure", "can't find session: gone", WAIT);
    wait_until("the failed attach's event", WAIT, || {
        recorded(&world, "lane.attached", "alpha", EventResult::Error)
    });
    tui.keys(b"?");
    tui.wait_for("the help overlay", "attach to its tmux session", WAIT);
}

/// Without NATS the events panel still follows the journal: what the CLI records while the
/// console runs shows up (it was read once, at start).
#[test]
fn the_events_panel_shows_what_the_cli_journals_meanwhile() {
    require("tmux");
    require("par");
    let world = World::new("app");
    par_lane(&world, "alpha");
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "alpha", WAIT);
    tui.keys(b"2");
    tui.wait_for("the events panel", "lane.created", WAIT);

    let out = world
        .helios()
        .args(["lane", "send", "nosuch-lane", "--", "hi"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a send to no lane succeeded");
    tui.wait_for("the CLI's event", "nosuch-lane", WAIT);
}

/// Whether lane `session`'s tmux session has a client on terminal `tty` (the attach helios
/// ran in its own terminal, not one of its own clients).
fn client_on(world: &World, session: &str, tty: &str) -> bool {
    let clients = world.tmux(&[
        "list-clients",
        "-t",
        &format!("={session}"),
        "-F",
        "#{client_tty}",
    ]);
    String::from_utf8_lossy(&clients.stdout)
        .lines()
        .any(|l| l == tty)
}

/// Whether tmux holds the client on terminal `tty` as suspended (`C-b C-z`, or
/// `suspend-client`: it gave the terminal back and waits for a SIGCONT).
fn suspended(world: &World, tty: &str) -> bool {
    let out = world.tmux(&["list-clients", "-F", "#{client_tty} #{client_flags}"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.starts_with(&format!("{tty} ")) && l.contains("suspended"))
}

/// Whether a screen's last line is tmux's status line for `session`.
fn tmux_drew(screen: &str, session: &str) -> bool {
    let status = format!("[{}", &session[..session.len().min(8)]);
    screen
        .lines()
        .last()
        .is_some_and(|l| l.starts_with(&status))
}

/// Wait until the attach helios ran in terminal `tty` is attached to `session` and has drawn
/// on `screen` (then the terminal is in tmux's raw mode, and keys typed go to tmux).
fn attached(world: &World, session: &str, tty: &str, screen: impl Fn() -> String) {
    assert!(!tty.is_empty(), "the test terminal has no name");
    wait_until("the attached client", WAIT, || {
        client_on(world, session, tty)
    });
    wait_until("tmux to draw", WAIT, || tmux_drew(&screen(), session));
}

/// A console on a par lane `alpha` that pressed `a` (outside tmux and zellij): the lane's
/// session, and the console, attached.
fn attached_console(world: &World) -> (String, Tui) {
    let session = par_lane(world, "alpha");
    let mut tui = Tui::start(world, &[]);
    tui.wait_for("the lane list", "alpha", WAIT);
    tui.keys(b"a");
    attached(world, &session, &tui.tty, || tui.contents());
    (session, tui)
}

/// tmux's suspend key (`C-b C-z`, here `suspend-client`) stops its client. From a shell with job control the
/// console's whole job stops with it and the shell shows its prompt; `fg` continues both and a
/// detach brings the console back. (Before, the console went on waiting for a client nobody
/// could continue: the terminal froze.)
#[test]
fn tmuxs_suspend_key_stops_the_console_with_it_and_fg_goes_on() {
    require("tmux");
    require("par");
    require("bash");
    let world = World::new("app");
    let session = par_lane(&world, "alpha");
    let mut tui = shell_tui::Tui::start_script(
        &world,
        &[("PS1", "PROMPT$ ")],
        "exec bash --norc --noprofile -i",
    );
    tui.wait_for("the shell", "PROMPT$");
    tui.keys(format!("'{}'\r", support::helios_bin().display()).as_bytes());
    tui.wait_for("the lane list", "alpha");
    tui.keys(b"a");
    attached(&world, &session, &tui.tty, || tui.contents());
    // What `C-b C-z` does, without the race of keys typed as the client starts (some were
    // seen lost then).
    world.tmux(&["suspend-client", "-t", &tui.tty]);
    tui.wait_for("the shell's job report", "Stopped");
    tui.keys(b"fg\r");
    wait_until("the client to be continued", WAIT, || {
        !suspended(&world, &tui.tty)
    });
    world.tmux(&["detach-client", "-t", &tui.tty]);
    tui.wait_for("the console, back", "back from lane alpha");
    assert!(
        recorded(&world, "lane.attached", "alpha", EventResult::Ok),
        "no lane.attached event"
    );
}

/// Without job control (helios not started by an interactive shell) nothing could continue a
/// stopped job: the stopped client is continued at once and the console still comes back.
#[test]
fn tmuxs_suspend_key_without_job_control_does_not_freeze_the_console() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let (_, tui) = attached_console(&world);
    // What `C-b C-z` does. Its SIGTSTP is dropped here (no job control): the client waits,
    // suspended, for a SIGCONT, which helios sends.
    world.tmux(&["suspend-client", "-t", &tui.tty]);
    assert!(
        suspended(&world, &tui.tty),
        "suspend-client did not suspend"
    );
    wait_until("the client to be continued", WAIT, || {
        !suspended(&world, &tui.tty)
    });
    world.tmux(&["detach-client", "-t", &tui.tty]);
    tui.wait_for("the console, back", "back from lane alpha", WAIT);
}

/// SIGTERM while the terminal is lent: the attach client is asked to end (it gives the
/// terminal back as it found it), and helios exits leaving the terminal's modes as they were
/// (before, they were left raw in most runs).
#[test]
fn sigterm_while_attached_leaves_the_terminal_as_it_was() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let session = par_lane(&world, "alpha");
    let mut tui = shell_tui::Tui::start(&world, &[]);
    tui.wait_for("the lane list", "alpha");
    tui.keys(b"a");
    attached(&world, &session, &tui.tty, || tui.contents());
    let pid = shell_tui::helios_pid(&world);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tui.wait_exit();
    shell_tui::assert_restored(&out);
    let clients = world.tmux(&["list-clients", "-t", &format!("={session}")]);
    assert!(
        clients.stdout.is_empty(),
        "an attach client was left: {}",
        String::from_utf8_lossy(&clients.stdout)
    );
}

/// A lane whose session is killed while attached: the flash says it ended, not "detached".
#[test]
fn a_session_killed_while_attached_is_said_to_have_ended() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let (session, tui) = attached_console(&world);
    world.tmux(&["kill-session", "-t", &format!("={session}")]);
    tui.wait_for(
        "the console, back",
        &format!("back from lane alpha: its tmux session {session} ended"),
        WAIT,
    );
}

/// A SIGINT that reaches helios while the terminal is lent (a Ctrl-c typed while the terminal
/// was not in tmux's raw mode goes to the whole process group) was the program's: after the
/// detach the console is back and still runs (before, it quit at once, ending its own lanes).
#[test]
fn a_ctrl_c_meant_for_the_attach_does_not_quit_the_console() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let (session, mut tui) = attached_console(&world);
    let pid = shell_tui::helios_pid(&world);
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    // Sent before the detach: it reaches helios while the terminal is lent.
    world.tmux(&["detach-client", "-t", &tui.tty]);
    tui.wait_for("the console, back", "back from lane alpha", WAIT);
    assert!(!client_on(&world, &session, &tui.tty));
    tui.keys(b"?");
    tui.wait_for("the help overlay", "attach to its tmux session", WAIT);
}

/// Keys typed in the same breath as `a` (read by the console with it) go to the lane it
/// attaches to, as they would through tmux, not to the console as its own keys (where `e`,
/// `c` and `h` would have opened dialogs).
#[test]
fn keys_typed_with_the_attach_key_reach_the_lane() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let session = par_lane(&world, "alpha");
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "alpha", WAIT);
    tui.keys(b"aecho AHEAD-$((6*7))\r");
    attached(&world, &session, &tui.tty, || tui.contents());
    wait_until_or(
        "the keys typed with `a` to run in the lane",
        WAIT,
        || pane_text(&world, &session).contains("AHEAD-42"),
        || pane_text(&world, &session),
    );
    world.tmux(&["detach-client", "-t", &tui.tty]);
    tui.wait_for("the console, back", "back from lane alpha", WAIT);
    let screen = tui.contents();
    assert!(!screen.contains("new lane label"), "{screen}");
}
