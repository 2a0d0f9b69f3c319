//! What keeps lane commands safe and honest, with real par and tmux: labels refused before par
//! sees them, no lane change while par's state file is corrupt, exit codes and audit events that
//! follow what really happened, and helios's credentials kept from the lanes and its output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use helios::store::sqlite::SqliteStore;
use helios::store::{EventQuery, EventResult, EventStore};
use serde_json::Value;
use support::{World, require, wait_until, wait_until_or};
use tui::Tui;

const WAIT: Duration = Duration::from_secs(30);
const NATS_URL: &str = "nats://natsuser:natspw@127.0.0.1:1";
const PG_URL: &str = "postgres://pguser:pgpw@127.0.0.1:1/helios";

fn helios(world: &World, args: &[&str]) -> Output {
    world.helios().args(args).output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "helios failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A failure: non-zero exit and exactly one line on stderr.
fn one_line_error(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure, got success: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    err
}

fn tmux(world: &World, args: &[&str]) -> String {
    let out = std::process::Command::new("tmux")
        .args(args)
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sessions(world: &World) -> String {
    tmux(world, &["list-sessions", "-F", "#{session_name}"])
}

fn alive(world: &World, session: &str) -> bool {
    std::process::Command::new("tmux")
        .args(["has-session", "-t", &format!("={session}")])
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap()
        .status
        .success()
}

fn lanes(world: &World) -> Vec<Value> {
    serde_json::from_str(&ok(&helios(world, &["lane", "ls", "--json"]))).unwrap()
}

fn lane(world: &World, label: &str) -> Value {
    lanes(world)
        .into_iter()
        .find(|l| l["label"] == label)
        .unwrap_or_else(|| panic!("no lane {label}"))
}

fn events(world: &World) -> Vec<(String, Option<String>, EventResult)> {
    let store = SqliteStore::open(&world.path("state/helios/helios.db")).unwrap();
    store
        .query(&EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.lane, e.result))
        .collect()
}

fn recorded(world: &World, action: &str, lane: &str, result: EventResult) -> bool {
    events(world)
        .iter()
        .any(|(a, l, r)| a == action && l.as_deref() == Some(lane) && *r == result)
}

fn state_file(world: &World) -> PathBuf {
    world.path("data/par/global_state.json")
}

/// A `tmux` on PATH in front of the real one that skips `skip` (a tmux command) and says it
/// worked: par then reports success for something that did not happen.
fn lying_tmux(world: &World, skip: &str) -> String {
    let real = require("tmux");
    let dir = world.path("lying-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("tmux");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = {skip} ]; then exit 0; fi\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    let mut perm = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).unwrap();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap())
}

#[test]
fn labels_tmux_git_or_par_would_change_are_refused_before_par_runs() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let long = "x".repeat(65);
    for label in [
        "fix-1.2",
        "--help",
        "-x",
        "",
        ".",
        "a b",
        "a/b",
        "a:b",
        "a\x1b[31m",
        &long,
        "all",
    ] {
        let err = one_line_error(&helios(&world, &["lane", "new", "--", label]));
        assert!(err.contains("is not allowed"), "{label:?}: {err}");
        assert!(!err.contains('\x1b'), "{label:?}: {err:?}");
        assert!(
            recorded(&world, "lane.created", label, EventResult::Error),
            "{label:?}"
        );
    }
    let err = one_line_error(&helios(&world, &["lane", "new", "fix-1.2"]));
    assert!(
        err.contains(
            "lane label \"fix-1.2\" is not allowed: use letters, digits, '-' and '_' (at most 64, not starting with '-')"
        ),
        "{err}"
    );
    // Nothing was made: no session, no lane in par's state, no worktree.
    assert_eq!(sessions(&world), "");
    assert!(lanes(&world).iter().all(|l| l["durable"] == false));
    // What is allowed still reaches par, through `--`.
    ok(&helios(&world, &["lane", "new", "ok-1_2"]));
    let l = lane(&world, "ok-1_2");
    assert_eq!(l["status"], "alive");
    assert!(alive(&world, l["session"].as_str().unwrap()));
}

#[test]
fn a_corrupt_state_file_stops_every_lane_change_until_restored() {
    require("tmux");
    require("par");
    let world = World::new("app");
    ok(&helios(&world, &["lane", "new", "alpha"]));
    let alpha = lane(&world, "alpha")["session"]
        .as_str()
        .unwrap()
        .to_string();
    let state = state_file(&world);
    let good = std::fs::read_to_string(&state).unwrap();
    let backup = world.path("data/par/global_state.json.helios-bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), good);

    // Truncated, as a crash in the middle of par's write leaves it.
    let broken = &good[..good.len() / 2];
    std::fs::write(&state, broken).unwrap();
    let mut restore = String::new();
    for args in [
        &["lane", "new", "beta"][..],
        &["lane", "rm", "alpha"],
        &["lane", "send", "alpha", "--", "echo", "hi"],
        &["lane", "send", "all", "--", "echo", "hi"],
    ] {
        let err = one_line_error(&helios(&world, args));
        assert!(
            err.contains(&format!("{}:", state.display())),
            "{args:?}: {err}"
        );
        let fix = format!("cp {} {}", backup.display(), state.display());
        assert!(err.trim_end().ends_with(&fix), "{args:?}: {err}");
        restore = fix;
    }
    // par never ran: the file is as it was, alpha still runs, beta was not made.
    assert_eq!(std::fs::read_to_string(&state).unwrap(), broken);
    assert!(alive(&world, &alpha));
    assert!(!sessions(&world).contains("beta"));
    assert!(recorded(&world, "lane.created", "beta", EventResult::Error));

    // The fix the message gives works, and nothing was lost.
    let (cp, args) = restore.split_once(' ').unwrap();
    let st = std::process::Command::new(cp)
        .args(args.split(' '))
        .status()
        .unwrap();
    assert!(st.success());
    ok(&helios(&world, &["lane", "new", "beta"]));
    let labels: Vec<Value> = lanes(&world)
        .into_iter()
        .map(|l| l["label"].clone())
        .collect();
    assert_eq!(labels, ["alpha", "beta"]);
}

#[test]
fn results_follow_what_really_happened() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let alpha = two_lanes(&world);
    let beta = lane(&world, "beta");

    // alpha's session dies; par would still exit 0 on a send to it.
    tmux(&world, &["kill-session", "-t", &format!("={alpha}")]);
    let err = one_line_error(&helios(
        &world,
        &["lane", "send", "alpha", "--", "echo", "x"],
    ));
    assert!(
        err.contains("lane alpha has no running tmux session"),
        "{err}"
    );
    assert!(recorded(
        &world,
        "lane.text_sent",
        "alpha",
        EventResult::Error
    ));
    // `lane explain` says the session is gone and how to bring it back.
    let said = ok(&helios(&world, &["lane", "explain", "alpha"]));
    assert!(
        said.contains(&format!(
            "its tmux session {alpha} is gone: `par open alpha`"
        )),
        "{said}"
    );

    // `all` reaches every live lane and still says which one it could not.
    let marker = PathBuf::from(beta["worktree"].as_str().unwrap()).join("all.txt");
    let err = one_line_error(&helios(
        &world,
        &["lane", "send", "all", "--", "echo done > all.txt"],
    ));
    // One plain line: what was sent, and each lane it was not sent to with why.
    assert!(
        err.contains(&format!(
            "sent to 1 of 2 lanes; not sent to alpha (its tmux session {alpha} is gone: `par open alpha` makes it again)"
        )),
        "{err}"
    );
    assert!(!err.contains("nothing was sent"), "{err}");
    wait_until("the send to beta", WAIT, || {
        support::read(&marker).contains("done")
    });
    // An event per lane with its own result, none for `all` but the request.
    let sent_all: Vec<_> = events(&world)
        .into_iter()
        .filter(|(a, _, _)| a == "lane.text_sent")
        .skip(1)
        .collect();
    assert_eq!(
        sent_all,
        [
            (
                "lane.text_sent".into(),
                Some("alpha".into()),
                EventResult::Error
            ),
            (
                "lane.text_sent".into(),
                Some("beta".into()),
                EventResult::Ok
            )
        ]
    );

    ok(&helios(
        &world,
        &["lane", "send", "beta", "--", "echo", "fine"],
    ));
    assert!(recorded(&world, "lane.text_sent", "beta", EventResult::Ok));

    // The text goes in as written and as one paste, bracketed for a program that asked, then
    // one Enter: an agent takes several lines as one prompt, and what tmux would read as its
    // own (a key name, an option, a command separator) is text. `cat -v` shows the brackets.
    let pasted = PathBuf::from(beta["worktree"].as_str().unwrap()).join("pasted.txt");
    ok(&helios(
        &world,
        &[
            "lane",
            "send",
            "beta",
            "--",
            "printf '\\033[?2004h'; cat -v > pasted.txt",
        ],
    ));
    wait_until("beta's cat -v", WAIT, || pasted.exists());
    let mut expected = String::new();
    // An empty text is Enter alone.
    for text in ["--version", "C-c", "a;", "one\r\ntwo\n", ""] {
        ok(&helios(&world, &["lane", "send", "beta", "--", text]));
        let body = text.trim_end().replace("\r\n", "\n");
        expected = if body.is_empty() {
            format!("{expected}\n")
        } else {
            format!("{expected}^[[200~{body}^[[201~\n")
        };
        wait_until("the paste through cat -v", WAIT, || {
            support::read(&pasted).len() >= expected.len()
        });
    }
    assert_eq!(support::read(&pasted), expected);
    tmux(
        &world,
        &[
            "send-keys",
            "-t",
            &format!("={}:", beta["session"].as_str().unwrap()),
            "C-d",
        ],
    );

    // alpha's session is gone: removing alpha must not kill alphabet's, whose name tmux would
    // take for it.
    ok(&helios(&world, &["lane", "new", "alphabet"]));
    let alphabet = lane(&world, "alphabet")["session"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&helios(&world, &["lane", "rm", "alpha"]));
    assert!(alive(&world, &alphabet), "par rm alpha killed {alphabet}");
    assert!(!alive(&world, &alpha));

    // par rm says it removed the lane while its session still runs: an error naming the fix.
    // (beta holds the untracked all.txt: --force, or the removal is refused before par runs.)
    let beta_session = beta["session"].as_str().unwrap().to_string();
    let out = world
        .helios()
        .env("PATH", lying_tmux(&world, "kill-session"))
        .args(["lane", "rm", "beta", "--force"])
        .output()
        .unwrap();
    let err = one_line_error(&out);
    assert!(
        err.contains(&format!("tmux kill-session -t ={beta_session}")),
        "{err}"
    );
    assert!(alive(&world, &beta_session));
    assert!(recorded(&world, "lane.removed", "beta", EventResult::Error));

    // par start says it made a session it did not make.
    let out = world
        .helios()
        .env("PATH", lying_tmux(&world, "new-session"))
        .args(["lane", "new", "ghost"])
        .output()
        .unwrap();
    let err = one_line_error(&out);
    assert!(err.contains("does not exist"), "{err}");
    assert!(recorded(
        &world,
        "lane.created",
        "ghost",
        EventResult::Error
    ));
}

/// The active pane of window 0 of `session` (where par types) is dead.
fn pane_dead(world: &World, session: &str) -> bool {
    tmux(
        world,
        &[
            "list-panes",
            "-t",
            &format!("={session}:0"),
            "-F",
            "#{pane_active}#{pane_dead}",
        ],
    )
    .lines()
    .any(|l| l == "11")
}

#[test]
fn a_send_to_a_lane_whose_program_ended_is_an_error() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let alpha = two_lanes(&world);
    // What a console sets on every lane's pane: a program that ends leaves its pane.
    tmux(
        &world,
        &[
            "set-option",
            "-w",
            "-t",
            &format!("={alpha}:"),
            "remain-on-exit",
            "on",
        ],
    );
    ok(&helios(&world, &["lane", "send", "alpha", "--", "exit 3"]));
    wait_until("alpha's program to end", WAIT, || pane_dead(&world, &alpha));

    // tmux would take the keys for the dead pane and par exit 0: nothing would read them.
    let err = one_line_error(&helios(
        &world,
        &["lane", "send", "alpha", "--", "echo", "hello"],
    ));
    assert!(
        err.contains("lane alpha's program ended (exit 3): nothing was sent"),
        "{err}"
    );
    assert!(err.contains("R on the lane in the console"), "{err}");
    assert!(
        err.contains(&format!("respawn-pane -t '={alpha}:0'")),
        "{err}"
    );
    assert!(recorded(
        &world,
        "lane.text_sent",
        "alpha",
        EventResult::Error
    ));

    // `all` reaches the live lane and names the dead one.
    let beta_wt = PathBuf::from(lane(&world, "beta")["worktree"].as_str().unwrap());
    let err = one_line_error(&helios(
        &world,
        &["lane", "send", "all", "--", "echo done > all.txt"],
    ));
    assert!(
        err.contains("sent to 1 of 2 lanes; not sent to alpha (its program ended (exit 3)"),
        "{err}"
    );
    wait_until("the send to beta", WAIT, || {
        support::read(&beta_wt.join("all.txt")).contains("done")
    });
    assert!(!recorded(
        &world,
        "lane.text_sent",
        "all",
        EventResult::Error
    ));

    // The restart the message names brings the lane back, and a send reaches it again.
    let out = world.tmux(&["respawn-pane", "-t", &format!("={alpha}:0")]);
    assert!(out.status.success(), "{out:?}");
    let alpha_wt = PathBuf::from(lane(&world, "alpha")["worktree"].as_str().unwrap());
    ok(&helios(
        &world,
        &["lane", "send", "alpha", "--", "echo back > back.txt"],
    ));
    wait_until("the send to the restarted alpha", WAIT, || {
        support::read(&alpha_wt.join("back.txt")).contains("back")
    });
}

/// `helios ARGS` with `stdin`, killed by coreutils' `timeout` should it hang: a hang then
/// fails the test (exit 124) instead of stalling the suite.
fn bounded(world: &World, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = std::process::Command::new("timeout")
        .arg("60")
        .arg(support::helios_bin())
        .args(args)
        .current_dir(&world.repo)
        .envs(world.env())
        .env_remove("TMUX")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(124), "helios {args:?} hung");
    out
}

#[test]
fn a_fifo_at_pars_state_path_is_refused_not_waited_on() {
    require("mkfifo");
    let world = World::new("app");
    let state = state_file(&world);
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&state)
        .status()
        .unwrap();
    assert!(made.success());

    let err = one_line_error(&bounded(&world, &["lane", "ls"], b""));
    assert!(err.contains(&format!("{}:", state.display())), "{err}");
    assert!(
        err.contains("is a FIFO, not a regular file: remove it"),
        "{err}"
    );

    // An agent's hook reads the same file to name its lane: it still answers, as always.
    let out = bounded(
        &world,
        &["hook", "claude"],
        br#"{"hook_event_name":"Stop","cwd":"."}"#,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn lanes_and_output_never_see_helios_credentials() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let secret = |c: &mut std::process::Command| {
        c.env("NATS_URL", NATS_URL)
            .env("HELIOS_POSTGRES_URL", PG_URL)
            .env("TEMPORAL_API_KEY", "temporalkey");
    };
    // par starts the tmux server here: its global environment is what every lane gets.
    let mut new = world.helios();
    new.args(["lane", "new", "alpha"]);
    secret(&mut new);
    ok(&new.output().unwrap());
    let session = lane(&world, "alpha")["session"]
        .as_str()
        .unwrap()
        .to_string();
    let global = tmux(&world, &["show-environment", "-g"]);
    let own = tmux(&world, &["show-environment", "-t", &format!("={session}")]);
    assert!(global.contains("HOME="), "{global}");
    for env in [&global, &own] {
        for name in ["NATS_URL", "HELIOS_POSTGRES_URL", "TEMPORAL_API_KEY"] {
            assert!(!env.contains(&format!("{name}=")), "{name} in {env}");
        }
    }
    // The agent's shell: what it sees is written to a file in its worktree.
    let wt = PathBuf::from(lane(&world, "alpha")["worktree"].as_str().unwrap());
    ok(&helios(
        &world,
        &[
            "lane",
            "send",
            "alpha",
            "--",
            "env > env.txt; echo end >> env.txt",
        ],
    ));
    wait_until("the lane's env", WAIT, || {
        support::read(&wt.join("env.txt")).contains("end")
    });
    let env = support::read(&wt.join("env.txt"));
    assert!(env.contains("HOME="), "{env}");
    for s in ["natspw", "pgpw", "temporalkey"] {
        assert!(!env.contains(s), "{s} in the lane's env");
    }

    // Human output and `config show`'s TOML show the URLs with the secrets hidden.
    for args in [&["config", "show"][..], &["status"]] {
        let mut c = world.helios();
        c.args(args);
        secret(&mut c);
        let out = c.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for s in ["natspw", "pgpw", "temporalkey"] {
            assert!(!all.contains(s), "{s} in `helios {args:?}`:\n{all}");
        }
        assert!(all.contains("natsuser:***@127.0.0.1:1"), "{args:?}:\n{all}");
    }
}

/// Lanes alpha and beta made by the CLI; alpha's tmux session.
fn two_lanes(world: &World) -> String {
    for name in ["alpha", "beta"] {
        ok(&helios(world, &["lane", "new", name]));
    }
    lane(world, "alpha")["session"]
        .as_str()
        .unwrap()
        .to_string()
}

/// [`two_lanes`], and a console showing them.
fn two_lanes_in_a_console(world: &World) -> (String, Tui) {
    let alpha = two_lanes(world);
    let tui = Tui::start(world, &[]);
    tui.wait_for("the lane list", "beta", WAIT);
    (alpha, tui)
}

fn focused(world: &World) -> bool {
    SqliteStore::open(&world.path("state/helios/helios.db"))
        .and_then(|s| s.query(&EventQuery::default()))
        .is_ok_and(|evs| evs.iter().any(|e| e.action == "lane.focused"))
}

#[test]
fn the_console_refuses_bad_labels_and_shows_a_send_that_reached_nothing() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let (alpha, mut tui) = two_lanes_in_a_console(&world);

    tui.keys(b":lane new fix-1.2\r");
    tui.wait_for("the refusal", "lane label \"fix-1.2\" is not allowed", WAIT);
    // The palette stays open with the command to fix; Esc closes it.
    assert!(
        tui.contents().contains(":lane new fix-1.2"),
        "{}",
        tui.contents()
    );
    tui.keys(b"\x1b");
    wait_until_or(
        "the palette to close",
        WAIT,
        || !tui.contents().contains(":lane new fix-1.2"),
        || tui.contents(),
    );
    tui.keys(b"cfix-1.3\r");
    tui.wait_for("the refusal", "lane label \"fix-1.3\" is not allowed", WAIT);
    // `c`'s prompt stays open with the label to fix; Esc closes it.
    assert!(
        tui.contents().contains("new lane label: fix-1.3"),
        "{}",
        tui.contents()
    );
    tui.keys(b"\x1b");
    wait_until_or(
        "the label prompt to close",
        WAIT,
        || !tui.contents().contains("new lane label"),
        || tui.contents(),
    );
    assert!(!sessions(&world).contains("fix"));
    // Journalled as the CLI's refusals are.
    for label in ["fix-1.2", "fix-1.3"] {
        wait_until("the refusal's event", WAIT, || {
            recorded(&world, "lane.created", label, EventResult::Error)
        });
    }

    tmux(&world, &["kill-session", "-t", &format!("={alpha}")]);
    tui.keys(b":lane send alpha echo hi\r");
    tui.wait_for(
        "the failed send",
        "lane alpha has no running tmux session",
        WAIT,
    );
    wait_until("the failed send's event", WAIT, || {
        recorded(&world, "lane.text_sent", "alpha", EventResult::Error)
    });
}

/// The console's send is the CLI's: a lane whose program ended (the console itself keeps its
/// pane) is refused with the fix, not shown as sent.
#[test]
fn the_console_refuses_a_send_to_a_lane_whose_program_ended() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let (alpha, mut tui) = two_lanes_in_a_console(&world);
    let window = format!("={alpha}:");
    wait_until("the console keeping alpha's pane", WAIT, || {
        tmux(
            &world,
            &["show-options", "-w", "-v", "-t", &window, "remain-on-exit"],
        )
        .trim()
            == "on"
    });
    tmux(&world, &["send-keys", "-t", &window, "exit 3", "Enter"]);
    wait_until("alpha's program to end", WAIT, || pane_dead(&world, &alpha));

    tui.keys(b":lane send alpha echo hi\r");
    tui.wait_for(
        "the refused send",
        "lane alpha's program ended (exit 3): nothing was sent",
        WAIT,
    );
    assert!(
        !tui.contents().contains("sent to alpha"),
        "{}",
        tui.contents()
    );
    wait_until("the refused send's event", WAIT, || {
        recorded(&world, "lane.text_sent", "alpha", EventResult::Error)
    });
}

#[test]
fn a_plain_lane_shell_does_not_get_helios_credentials() {
    require("git");
    let world = World::new("app");
    let wt = world.path("feature-x");
    world.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature-x",
        wt.to_str().unwrap(),
    ]);
    let mut tui = Tui::start(
        &world,
        &[
            ("PATH", "/usr/bin:/bin"),
            ("SHELL", "/bin/sh"),
            ("NATS_URL", NATS_URL),
            ("HELIOS_POSTGRES_URL", PG_URL),
        ],
    );
    tui.wait_for("the worktree lane", "feature-x", WAIT);
    tui.keys(b"j\r");
    wait_until("focus", WAIT, || focused(&world));
    tui.keys(b"echo \"n=${NATS_URL:-unset} p=${HELIOS_POSTGRES_URL:-unset} $((6*7))\"\r");
    tui.wait_for("the shell's answer", "n=unset p=unset 42", WAIT);
}
