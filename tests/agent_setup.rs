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

#[test]
fn claude_hooks_merge_with_the_users_settings_and_come_out_again() {
    require("tmux");
    require("par");
    let world = World::new("app");
    assert!(run(&world, &["lane", "new", "one"]).0);
    let wt = worktree(&world, "one");
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
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(file.parent().unwrap().parent().unwrap())
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
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
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "notify = [\"notify-send\", \"codex\"]\n"
    );
}

#[test]
fn a_new_lane_with_an_agent_has_its_hooks_and_the_agent_started_with_helios_lane() {
    require("tmux");
    require("par");
    let world = World::new("app");
    let (ok, out, err) = run(
        &world,
        &[
            "lane", "new", "two", "--agent", "claude", "--", "--model", "opus",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("claude started in lane two"), "{out}");
    let wt = worktree(&world, "two");
    assert!(wt.join(".claude/settings.local.json").exists());
    let (ok, out, _) = run(&world, &["events", "--json"]);
    assert!(ok);
    assert!(out.contains("lane.agent_started"), "{out}");
    // The command reached the lane's shell (claude itself is not installed here).
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
