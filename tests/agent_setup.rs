//! `helios agent setup` and `helios lane new --agent` with the real binary, par and tmux: the
//! hooks land where each agent reads them, merged with the user's settings, idempotent and
//! reversible; a user's own Codex `notify` is never replaced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use support::{World, require, wait_until_or};

fn run(world: &World, args: &[&str]) -> (bool, String, String) {
    let out = world.helios().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The journalled `action` results (oldest first), of one lane or all.
fn events(world: &World, lane: Option<&str>, action: &str) -> Vec<Value> {
    let mut args = vec!["events", "--json"];
    args.extend(lane.iter().flat_map(|l| ["--lane", l]));
    let (ok, out, err) = run(world, &args);
    assert!(ok, "{err}");
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == action)
        .collect()
}

fn worktree(world: &World, label: &str) -> PathBuf {
    let (ok, out, err) = run(world, &["lane", "ls", "--json"]);
    assert!(ok, "{err}");
    let lanes: Value = serde_json::from_str(&out).unwrap();
    let l = lanes
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == label)
        .unwrap();
    PathBuf::from(l["worktree"].as_str().unwrap())
}

/// A world with par lane `label` (tmux and par required), and the lane's worktree.
fn world_with_lane(label: &str) -> (World, PathBuf) {
    require("tmux");
    require("par");
    let world = World::new("app");
    assert!(run(&world, &["lane", "new", label]).0);
    let wt = worktree(&world, label);
    (world, wt)
}

/// `git status --porcelain` of a worktree, untracked files one by one.
fn status(wt: &std::path::Path) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(wt)
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn claude_hooks_merge_with_the_users_settings_and_come_out_again() {
    let (world, wt) = world_with_lane("one");
    let file = wt.join(".claude/settings.local.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let users = r#"{"model": "opus", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}}"#;
    std::fs::write(&file, users).unwrap();

    let (ok, out, err) = run(
        &world,
        &["agent", "setup", "claude", "--lane", "one", "--dry-run"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("would add helios's hooks"), "{out}");
    // The JSON as it would be written, a line each, not one line of `\n`s.
    assert!(out.contains("\n  \"hooks\": {\n"), "{out}");
    assert!(!out.contains("\\n"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        users,
        "a dry run wrote"
    );

    let (ok, out, err) = run(&world, &["agent", "setup", "claude", "--lane", "one"]);
    assert!(ok, "{err}");
    assert!(out.contains("hooks installed"), "{out}");
    // Excluded in the repo's own list, so the lane has no unsaved work for it.
    let status = status(&wt);
    assert!(!status.contains("settings.local.json"), "{status}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["model"], "opus");
    let stop = v["hooks"]["Stop"].as_array().unwrap();
    assert_eq!(stop.len(), 2, "{v:#}");
    let ours = v["hooks"]["PermissionRequest"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(ours.ends_with(" hook claude"), "{ours}");
    // The command runs as written: the absolute helios, silent, exit 0.
    let words = shell_words_split(ours);
    let status = std::process::Command::new(&words[0])
        .args(&words[1..])
        .current_dir(&wt)
        .envs(world.env())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(status.status.success() && status.stdout.is_empty());

    let (ok, out, _) = run(&world, &["agent", "setup", "claude", "--lane", "one"]);
    assert!(ok && out.contains("already set up"), "{out}");
    let (ok, out, err) = run(
        &world,
        &["agent", "setup", "claude", "--lane", "one", "--remove"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("removed"), "{out}");
    let back: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(users).unwrap());
}

fn shell_words_split(s: &str) -> Vec<String> {
    // The command is `'/path/helios' hook claude` or `/path/helios hook claude`.
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('\'') {
            let end = r.find('\'').unwrap();
            out.push(r[..end].to_string());
            rest = r[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

#[test]
fn codex_notify_is_set_and_a_users_own_is_never_replaced() {
    require("git");
    let world = World::new("app");
    let home = world.path("codex");
    std::fs::create_dir_all(&home).unwrap();
    let config = home.join("config.toml");
    std::fs::write(&config, "# mine\nmodel = \"gpt-5\"\n").unwrap();
    let mut c = world.helios();
    c.args(["agent", "setup", "codex"]).env("CODEX_HOME", &home);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("# mine\nmodel = \"gpt-5\"\n"), "{text}");
    assert!(text.contains("\"hook\", \"codex\"]"), "{text}");

    std::fs::write(&config, "notify = [\"notify-send\", \"codex\"]\n").unwrap();
    let mut c = world.helios();
    c.args(["agent", "setup", "codex"]).env("CODEX_HOME", &home);
    let out = c.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("will not replace"), "{err}");
    // Codex adds its JSON as the program's last argument, not its first.
    assert!(err.contains("last argument"), "{err}");
    assert!(!err.contains("\"$1\""), "{err}");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "notify = [\"notify-send\", \"codex\"]\n"
    );
    // Both are journalled with their real result: the setup, then the refusal and its reason.
    let events = events(&world, None, "agent.setup");
    let results: Vec<&str> = events
        .iter()
        .map(|e| e["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["ok", "error"], "{events:?}");
    assert!(
        events[0]["detail"]["files"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("config.toml")
    );
    assert!(
        events[1]["detail"]["error"]
            .as_str()
            .unwrap()
            .contains("will not replace")
    );
}

#[test]
fn gemini_settings_in_a_lane_are_excluded_and_the_lane_removable() {
    let (world, wt) = world_with_lane("one");
    let (ok, out, err) = run(&world, &["agent", "setup", "gemini", "--lane", "one"]);
    assert!(ok, "{err}");
    assert!(out.contains("hooks installed"), "{out}");
    assert!(wt.join(".gemini/settings.json").exists());
    let status = status(&wt);
    assert!(status.trim().is_empty(), "{status}");
    // The lane has no unsaved work for the file: it is removed without --force.
    let (ok, out, err) = run(&world, &["lane", "rm", "one"]);
    assert!(ok, "{out}{err}");
}

#[test]
fn codex_setup_for_a_lane_says_it_wrote_the_users_own_config() {
    let (world, _) = world_with_lane("one");
    let home = world.path("codex");
    let out = world
        .helios()
        .args(["agent", "setup", "codex", "--lane", "one"])
        .env("CODEX_HOME", &home)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "Codex takes `notify` from your user config, so this is {}",
            home.join("config.toml").display()
        )),
        "{said}"
    );
    assert!(said.contains("every Codex session of yours"), "{said}");
    // Journalled under the lane it was asked for.
    assert_eq!(events(&world, Some("one"), "agent.setup").len(), 1);
}

/// PATH without any directory that holds `program`.
fn path_without(program: &str) -> String {
    let path = std::env::var_os("PATH").unwrap();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join(program).exists())
        .collect();
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn an_agent_that_is_not_installed_is_not_reported_started() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let out = world
        .helios()
        .args(["lane", "new", "zeta", "--agent", "claude"])
        .env("PATH", path_without("claude"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("claude is not on PATH") && err.contains("lane zeta was created"),
        "{err}"
    );
    assert!(err.contains("helios lane send zeta --"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("started in lane"), "{stdout}");
    let started = events(&world, Some("zeta"), "lane.agent_started");
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0]["result"], "error", "{started:?}");
    // The lane itself stays, as the message says.
    worktree(&world, "zeta");
}

#[test]
fn a_new_lane_with_an_agent_has_its_hooks_and_the_agent_started_with_helios_lane() {
    require("tmux");
    require("par");
    let world = World::new("app");
    // claude itself is not installed here: a stand-in on PATH is what helios checks for.
    let bin = world.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("claude"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(
        bin.join("claude"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = world
        .helios()
        .args([
            "lane", "new", "two", "--agent", "claude", "--", "--model", "opus",
        ])
        .env("PATH", path)
        .output()
        .unwrap();
    let (ok, out, err) = (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("claude started in lane two"), "{out}");
    let wt = worktree(&world, "two");
    assert!(wt.join(".claude/settings.local.json").exists());
    let (ok, out, _) = run(&world, &["events", "--json"]);
    assert!(ok);
    assert!(out.contains("lane.agent_started"), "{out}");
    // The command reached the lane's shell.
    let session = {
        let (_, out, _) = run(&world, &["lane", "ls", "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        v[0]["session"].as_str().unwrap().to_string()
    };
    let pane = || {
        let out = std::process::Command::new("tmux")
            .args(["capture-pane", "-p", "-J", "-t", &format!("={session}:")])
            .envs(world.env())
            .env_remove("TMUX")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    wait_until_or(
        "the agent command in the lane",
        Duration::from_secs(30),
        || pane().contains("HELIOS_LANE=two claude --model opus"),
        pane,
    );
}
