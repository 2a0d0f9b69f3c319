//! No lane is deleted with work in it unknowingly, with real par, tmux and git: ahead/behind
//! against the lane's base (par branches have no upstream), `helios lane rm` refusing a lane
//! with commits not in its base or uncommitted files (naming them) unless `--force`, and the
//! console's `d` naming the work and asking twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use helios::store::sqlite::SqliteStore;
use helios::store::{EventQuery, EventResult, EventStore};
use serde_json::Value;
use support::{World, require, wait_until};
use tui::Tui;

const WAIT: Duration = Duration::from_secs(30);

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

fn lanes(world: &World) -> Vec<Value> {
    serde_json::from_str(&ok(&helios(world, &["lane", "ls", "--json"]))).unwrap()
}

fn lane(world: &World, label: &str) -> Option<Value> {
    lanes(world).into_iter().find(|l| l["label"] == label)
}

fn worktree(world: &World, label: &str) -> PathBuf {
    PathBuf::from(lane(world, label).unwrap()["worktree"].as_str().unwrap())
}

/// git in `dir` with the world's identity; its stdout.
fn git(world: &World, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .envs(world.env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(world: &World, dir: &Path, file: &str, message: &str) -> String {
    std::fs::write(dir.join(file), message).unwrap();
    git(world, dir, &["add", file]);
    git(world, dir, &["commit", "-q", "-m", message]);
    git(world, dir, &["rev-parse", "--short", "HEAD"])
}

fn branch_exists(world: &World, branch: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(&world.repo)
        .args([
            "show-ref",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .status()
        .unwrap()
        .success()
}

/// A lane `feat` with 1 commit not in main and 2 untracked files; the commit's short hash.
fn lane_with_work(world: &World) -> String {
    ok(&helios(world, &["lane", "new", "feat"]));
    let wt = worktree(world, "feat");
    let hash = commit(world, &wt, "login.rs", "add the login form");
    std::fs::write(wt.join("notes.txt"), "todo").unwrap();
    std::fs::write(wt.join("draft.md"), "draft").unwrap();
    hash
}

fn removed_events(world: &World) -> Vec<(EventResult, Value)> {
    let store = SqliteStore::open(&world.path("state/helios/helios.db")).unwrap();
    store
        .query(&EventQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "lane.removed")
        .map(|e| (e.result, e.detail))
        .collect()
}

#[test]
fn lane_rm_refuses_a_lane_with_work_and_names_it_unless_forced() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let hash = lane_with_work(&world);

    // Counted against main, the lane's base: par's branch has no upstream.
    let l = lane(&world, "feat").unwrap();
    assert_eq!(
        (&l["base"], &l["ahead"], &l["behind"], &l["dirty"]),
        (
            &Value::from("main"),
            &Value::from(1),
            &Value::from(0),
            &Value::from(2)
        ),
        "{l}"
    );

    let out = helios(&world, &["lane", "rm", "feat"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for shown in [
        "lane feat has work that removing it would delete; nothing was removed",
        "1 commit not in main:",
        &format!("{hash} add the login form"),
        "2 uncommitted or untracked files:",
        "?? notes.txt",
        "?? draft.md",
        "helios lane rm feat --force",
    ] {
        assert!(err.contains(shown), "{shown:?} missing:\n{err}");
    }
    // Nothing was removed: the record, the session, the worktree and the branch are there.
    let l = lane(&world, "feat").unwrap();
    assert_eq!(l["status"], "alive");
    assert!(worktree(&world, "feat").join("notes.txt").is_file());
    assert!(branch_exists(&world, "feat"));
    let (result, detail) = removed_events(&world).pop().unwrap();
    assert_eq!(result, EventResult::Error);
    assert_eq!(detail["unsaved"]["commit_count"], 1, "{detail}");
    assert_eq!(detail["unsaved"]["file_count"], 2, "{detail}");

    // --force removes it and says what went with it.
    let out = ok(&helios(&world, &["lane", "rm", "feat", "--force"]));
    assert!(
        out.contains("discarded 1 commit not in main and 2 uncommitted or untracked files"),
        "{out}"
    );
    assert!(out.contains("add the login form"), "{out}");
    assert!(lane(&world, "feat").is_none());
    assert!(!branch_exists(&world, "feat"));
    let (result, detail) = removed_events(&world).pop().unwrap();
    assert_eq!(result, EventResult::Ok);
    assert_eq!(detail["discarded"]["commits"][0]["hash"], hash.as_str());
}

/// Only work that is not in the base counts: a lane made with `--base develop` holds develop's
/// commits, which removing it loses nothing of. A lane without a base follows the default
/// branch, which `origin/HEAD` names when there is one.
#[test]
fn work_is_measured_against_the_lanes_base() {
    require("tmux");
    require("par");
    let world = World::new("app");
    git(&world, &world.repo, &["checkout", "-q", "-b", "develop"]);
    commit(&world, &world.repo, "a.txt", "develop one");
    commit(&world, &world.repo, "b.txt", "develop two");
    git(&world, &world.repo, &["checkout", "-q", "main"]);

    ok(&helios(
        &world,
        &["lane", "new", "topic", "--base", "develop"],
    ));
    ok(&helios(&world, &["lane", "new", "plain"]));
    commit(&world, &world.repo, "c.txt", "main moves on");
    let topic = lane(&world, "topic").unwrap();
    assert_eq!(topic["base"], "develop", "{topic}");
    assert_eq!(
        (&topic["ahead"], &topic["behind"]),
        (&Value::from(0), &Value::from(0))
    );
    let plain = lane(&world, "plain").unwrap();
    assert_eq!(plain["base"], "main", "{plain}");
    assert_eq!(
        (&plain["ahead"], &plain["behind"]),
        (&Value::from(0), &Value::from(1))
    );
    let human = ok(&helios(&world, &["lane", "ls"]));
    assert!(
        human.contains("BASE") && human.contains("develop"),
        "{human}"
    );

    // develop's commits are not topic's work: it goes without --force.
    ok(&helios(&world, &["lane", "rm", "topic"]));
    assert!(lane(&world, "topic").is_none());

    // The default branch origin/HEAD names wins over main.
    git(
        &world,
        &world.repo,
        &["update-ref", "refs/remotes/origin/trunk", "develop"],
    );
    git(
        &world,
        &world.repo,
        &[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/trunk",
        ],
    );
    let plain = lane(&world, "plain").unwrap();
    assert_eq!(plain["base"], "origin/trunk", "{plain}");
    assert_eq!(
        (&plain["ahead"], &plain["behind"]),
        (&Value::from(0), &Value::from(2))
    );
}

/// The console: `d` names the commit and the files, the first yes asks again saying what is
/// lost, no keeps the lane, and yes twice removes it.
#[test]
fn the_console_names_the_work_and_asks_twice() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let hash = lane_with_work(&world);
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "feat", WAIT);

    tui.keys(b"d");
    tui.wait_for("the dialog naming the commit", "add the login form", WAIT);
    let screen = tui.contents();
    for shown in [
        hash.as_str(),
        "?? notes.txt",
        "?? draft.md",
        "1 commit not in main",
    ] {
        assert!(screen.contains(shown), "{shown:?} missing:\n{screen}");
    }
    tui.keys(b"y");
    tui.wait_for("the second question", "Really remove lane feat?", WAIT);
    tui.keys(b"n");
    wait_until("the dialog to close", WAIT, || {
        !tui.contents().contains("Really remove")
    });
    assert!(lane(&world, "feat").is_some(), "no must keep the lane");

    tui.keys(b"d");
    tui.wait_for("the dialog again", "add the login form", WAIT);
    tui.keys(b"y");
    tui.wait_for("the second question", "Really remove lane feat?", WAIT);
    tui.keys(b"y");
    wait_until("the lane to be removed", WAIT, || {
        lane(&world, "feat").is_none()
    });
    assert!(!branch_exists(&world, "feat"));
}

/// A lane with nothing unsaved is removed after one yes, as before.
#[test]
fn the_console_removes_a_clean_lane_after_one_yes() {
    require("tmux");
    require("par");
    let world = World::new("app");
    ok(&helios(&world, &["lane", "new", "clean"]));
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "clean", WAIT);
    tui.keys(b"d");
    tui.wait_for("the plain question", "Nothing is lost", WAIT);
    tui.keys(b"y");
    wait_until("the lane to be removed", WAIT, || {
        lane(&world, "clean").is_none()
    });
}
