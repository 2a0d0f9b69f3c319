//! The console and what happens outside it, with real par and tmux: `a` lends the terminal to
//! `tmux attach` and the console comes back on detach (a failed attach says why), and what the
//! CLI journals while the console runs reaches its events panel without NATS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::time::Duration;

use helios::store::sqlite::SqliteStore;
use helios::store::{EventQuery, EventResult, EventStore};
use support::{World, require, wait_until};
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
    let session = par_lane(&world, "alpha");
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "alpha", WAIT);

    tui.keys(b"a");
    // Typed into the console these keys would open dialogs; through tmux they run in the lane.
    wait_until("the attached client", WAIT, || {
        let clients = world.tmux(&["list-clients", "-t", &format!("={session}")]);
        !clients.stdout.is_empty()
    });
    tui.keys(b"echo TYPED-$((6*7))\r");
    wait_until("the command typed through tmux", WAIT, || {
        pane_text(&world, &session).contains("TYPED-42")
    });
    // tmux's own detach key (the world's tmux has no config: the prefix is C-b).
    tui.keys(b"\x02d");
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
