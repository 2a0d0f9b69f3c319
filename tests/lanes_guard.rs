//! What keeps lane commands safe, with real par and tmux: labels refused before par sees them,
//! and no lane change while par's state file is corrupt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::Output;

use helios::store::sqlite::SqliteStore;
use helios::store::{EventQuery, EventResult, EventStore};
use serde_json::Value;
use support::{World, require};

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
