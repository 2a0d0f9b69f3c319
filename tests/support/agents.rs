//! Stand-in agents in real par lanes, for the tests of what is and is not a lane's output:
//! their lanes read through `helios lane ls --json`, typed into through tmux, and the console's
//! `lane.state` events. Include with `#[path = "support/agents.rs"] mod agents;` next to
//! `mod support;` and `mod tui;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::{World, helios_bin};
use crate::tui::Tui;

pub const WAIT: Duration = Duration::from_secs(40);

pub fn lane(world: &World, label: &str) -> Value {
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
pub fn type_in(world: &World, label: &str, line: &str) {
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
pub fn pane(world: &World, label: &str) -> String {
    let session = lane(world, label)["session"].as_str().unwrap().to_string();
    let out = world.tmux(&["capture-pane", "-p", "-t", &format!("={session}:")]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The width of the rule the stand-in last drew under its screen (its terminal's width).
pub fn rule(world: &World, label: &str) -> Option<usize> {
    pane(world, label)
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c == '─'))
        .map(|l| l.chars().count())
        .next_back()
}

/// The lane's recorded state: (state, kind, since, source, reason).
pub fn recorded(world: &World, label: &str) -> [String; 5] {
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
pub fn state_events(world: &World, label: &str) -> usize {
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
pub fn shown_age(tui: &Tui) -> Option<u64> {
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

pub fn standin(world: &World, label: &str, hooks: bool) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agents/standin.py");
    let cmd = format!(
        "HELIOS_BIN='{}' HOOKS={} REDRAW=1 python3 '{}' claude",
        helios_bin().display(),
        u8::from(hooks),
        script.display()
    );
    type_in(world, label, &cmd);
}

/// New par lanes `lanes` (label, with hooks), the console started over them, each lane's
/// stand-in asked to clean the build and waiting on its permission prompt, recorded so.
pub fn waiting_lanes(world: &World, lanes: &[(&str, bool)]) -> Tui {
    for (l, _) in lanes {
        let out = world.helios().args(["lane", "new", l]).output().unwrap();
        assert!(out.status.success(), "lane new: {out:?}");
    }
    let tui = Tui::start(world, &[]);
    let last = lanes.last().map_or("", |l| l.0);
    tui.wait_for("the lane list", last, WAIT);
    for &(l, hooks) in lanes {
        standin(world, l, hooks);
    }
    for (l, _) in lanes {
        crate::support::wait_until_or(
            &format!("{l}'s stand-in"),
            WAIT,
            || rule(world, l).is_some(),
            || pane(world, l),
        );
        type_in(world, l, "clean the build");
    }
    for (l, _) in lanes {
        crate::support::wait_until_or(
            &format!("{l} waiting on its permission prompt"),
            WAIT,
            || recorded(world, l)[..2] == ["waiting", "permission"],
            || format!("{:?}\n{}", recorded(world, l), pane(world, l)),
        );
    }
    tui
}

/// Wait until the console has looked at the screens `n` more times (once a second), as the
/// waiting lanes' ages it shows tell.
pub fn looks(tui: &Tui, n: u64) {
    tui.wait_for("the waiting lanes", "permission · ", WAIT);
    let age = shown_age(tui).unwrap_or(0);
    crate::support::wait_until_or(
        &format!("{n} more seconds of waiting"),
        WAIT,
        || shown_age(tui).is_some_and(|a| a >= age + n),
        || format!("helios shows:\n{}", tui.contents()),
    );
}

/// The lane's tmux session name.
pub fn session(world: &World, label: &str) -> String {
    lane(world, label)["session"].as_str().unwrap().to_string()
}
