//! A resize is no output, against the real parts: stand-in agents in real par lanes that redraw
//! for a new size (SIGWINCH) as Claude Code does, waiting on a permission prompt, while the
//! real console they are shown in is resized and another lane comes to the front.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{World, helios_bin, require, wait_until_or};
use tui::Tui;

const WAIT: Duration = Duration::from_secs(40);

fn lane(world: &World, label: &str) -> Value {
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "lane ls: {out:?}");
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    all.into_iter()
        .find(|l| l["label"] == label)
        .unwrap_or_else(|| panic!("no lane {label}"))
}

/// Type a line into a lane's real tmux session.
fn type_in(world: &World, label: &str, line: &str) {
    let session = lane(world, label)["session"].as_str().unwrap().to_string();
    for keys in [["-l", line], ["Enter", ""]] {
        let mut args = vec!["send-keys", "-t"];
        let target = format!("={session}:");
        args.push(&target);
        args.extend(keys.iter().filter(|k| !k.is_empty()));
        let out = Command::new("tmux")
            .args(&args)
            .envs(world.env())
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux send-keys: {out:?}");
    }
}

/// What the lane's pane shows now.
fn pane(world: &World, label: &str) -> String {
    let session = lane(world, label)["session"].as_str().unwrap().to_string();
    let out = world.tmux(&["capture-pane", "-p", "-t", &format!("={session}:")]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The width of the rule the stand-in last drew under its screen (its terminal's width).
fn rule(world: &World, label: &str) -> Option<usize> {
    pane(world, label)
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c == '─'))
        .map(|l| l.chars().count())
        .next_back()
}

/// The lane's recorded state: (state, kind, since, source, reason).
fn recorded(world: &World, label: &str) -> [String; 5] {
    let l = lane(world, label);
    [
        "state",
        "state_kind",
        "state_since",
        "state_source",
        "state_reason",
    ]
    .map(|k| l[k].as_str().unwrap_or_default().to_string())
}

/// How many `lane.state` events the console wrote for the lane.
fn state_events(world: &World, label: &str) -> usize {
    let db = world.path("state/helios/helios.db");
    let store = helios::store::sqlite::SqliteStore::open(&db).unwrap();
    let q = helios::store::EventQuery::default();
    helios::store::EventStore::query(&store, &q)
        .unwrap()
        .iter()
        .filter(|e| e.action == "lane.state" && e.lane.as_deref() == Some(label))
        .count()
}

/// The largest `permission · Ns` age the console shows.
fn shown_age(tui: &Tui) -> Option<u64> {
    let text = tui.contents();
    text.split("permission · ")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with('s')
                .then(|| digits.parse().ok())
                .flatten()
        })
        .max()
}

fn standin(world: &World, label: &str, hooks: bool) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agents/standin.py");
    let cmd = format!(
        "HELIOS_BIN='{}' HOOKS={} REDRAW=1 python3 '{}' claude",
        helios_bin().display(),
        u8::from(hooks),
        script.display()
    );
    type_in(world, label, &cmd);
}

#[test]
fn resizing_the_console_leaves_waiting_lanes_waiting() {
    require("tmux");
    require("par");
    require("python3");
    let world = World::new("app");
    let lanes = ["hooked", "screen"];
    for l in lanes {
        let out = world.helios().args(["lane", "new", l]).output().unwrap();
        assert!(out.status.success(), "lane new: {out:?}");
    }
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "screen", WAIT);
    standin(&world, "hooked", true);
    standin(&world, "screen", false);
    for l in lanes {
        wait_until_or(
            &format!("{l}'s stand-in"),
            WAIT,
            || rule(&world, l).is_some(),
            || pane(&world, l),
        );
        type_in(&world, l, "clean the build");
    }
    for l in lanes {
        wait_until_or(
            &format!("{l} waiting on its permission prompt"),
            WAIT,
            || recorded(&world, l)[..2] == ["waiting", "permission"],
            || format!("{:?}\n{}", recorded(&world, l), pane(&world, l)),
        );
    }
    assert_eq!(recorded(&world, "hooked")[3], "hook:claude");
    assert_eq!(recorded(&world, "screen")[3], "screen");
    let show = |tui: &Tui| format!("helios shows:\n{}", tui.contents());
    // Looks at the screens go by (once a second), as the console's ages tell.
    let looks = |tui: &Tui, n: u64| {
        tui.wait_for("the waiting lanes", "permission · ", WAIT);
        let age = shown_age(tui).unwrap_or(0);
        wait_until_or(
            &format!("{n} more seconds of waiting"),
            WAIT,
            || shown_age(tui).is_some_and(|a| a >= age + n),
            || show(tui),
        );
    };
    // Past `settle`: rows changing now would overrule the hooks.
    looks(&tui, 3);
    let before = lanes.map(|l| (recorded(&world, l), state_events(&world, l)));
    let widths = lanes.map(|l| rule(&world, l));
    let redrawn = |l: usize| rule(&world, lanes[l]) != widths[l];

    // The console's window shrinks (its lane in front is resized), then the other lane comes
    // to the front (its client resizes its window): each stand-in redraws for its new width.
    tui.resize(24, 80);
    wait_until_or(
        "the lane in front redrawn",
        WAIT,
        || redrawn(0) || redrawn(1),
        || show(&tui),
    );
    let behind = usize::from(redrawn(0));
    looks(&tui, 4);
    tui.keys(b"j");
    wait_until_or(
        "the other lane redrawn",
        WAIT,
        || redrawn(behind),
        || show(&tui),
    );
    looks(&tui, 4);
    for (l, (state, events)) in lanes.iter().zip(before) {
        assert_eq!(recorded(&world, l), state, "{l}'s state, since and source");
        assert_eq!(state_events(&world, l), events, "{l}'s lane.state events");
    }
}
