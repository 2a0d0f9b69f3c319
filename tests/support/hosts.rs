//! Hosts for the fleet tests: a `helios serve` per host and what the tests ask of a host's
//! lanes and journal. Include with `#[path = "support/hosts.rs"] mod hosts;` next to
//! `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{self, World, wait_until_or};

/// A running `helios serve`, killed in Drop.
pub struct Serve {
    pub child: Option<Child>,
    log: std::path::PathBuf,
}

impl Serve {
    pub fn start(world: &World, host: &str, url: &str, extra: &[&str]) -> Self {
        let log = world.path(&format!("serve-{host}.log"));
        let child = world
            .helios()
            .args(["serve", "--host", host, "--heartbeat", "1", "--scan", "1"])
            .args(extra)
            .env("NATS_URL", url)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            log,
        }
    }

    /// SIGKILL: no last heartbeat, no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    pub fn log(&self) -> String {
        support::read(&self.log)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn new_lane(world: &World, label: &str) {
    let out = world
        .helios()
        .args(["lane", "new", label])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lane new {label}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `helios lane ls --all-hosts --json` from `world`, against `url`, as `user` when given.
pub fn all_hosts(world: &World, url: &str) -> Result<Vec<Value>, String> {
    let out = world
        .helios()
        .args(["lane", "ls", "--all-hosts", "--json"])
        .env("NATS_URL", url)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

pub fn rows_of<'a>(rows: &'a [Value], host: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["host"] == host).collect()
}

pub fn helios_ok(world: &World, url: &str, args: &[&str]) -> Output {
    let out = world
        .helios()
        .args(args)
        .env("NATS_URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helios {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The journal's events of `world` as JSON.
pub fn events(world: &World) -> Vec<Value> {
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Whether tmux session `session` of `world` shows `text` in its pane.
pub fn pane_shows(world: &World, session: &str, text: &str) -> bool {
    let out = world.tmux(&["capture-pane", "-p", "-t", &format!("={session}:")]);
    String::from_utf8_lossy(&out.stdout).contains(text)
}

/// Claude's permission request, through the real `helios hook`, from inside the worktree of
/// lane `row` (a `lane ls --all-hosts` row), while a program (standing for the agent) runs in
/// its foreground: with a shell there, the rules (serve's, as a console's) read the agent as
/// gone.
pub fn permission_hook(world: &World, row: &Value) {
    let session = row["session"].as_str().unwrap();
    type_into(world, session, "sleep 600");
    wait_until_or(
        "the stand-in agent in the lane's foreground",
        Duration::from_secs(20),
        || {
            let out = world.tmux(&[
                "display",
                "-p",
                "-t",
                &format!("={session}:"),
                "#{pane_current_command}",
            ]);
            String::from_utf8_lossy(&out.stdout).trim() == "sleep"
        },
        || format!("{row}"),
    );
    let worktree = row["worktree"].as_str().unwrap();
    let mut hook = world
        .helios()
        .args(["hook", "claude"])
        .current_dir(worktree)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    hook.stdin
        .take()
        .unwrap()
        .write_all(br#"{"session_id":"s","cwd":".","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"make deploy"}}"#)
        .unwrap();
    assert!(hook.wait().unwrap().success());
}

/// Type `line` and Enter into tmux session `session` of `world`.
pub fn type_into(world: &World, session: &str, line: &str) {
    for keys in [&["-l", line][..], &["Enter"][..]] {
        let mut args = vec!["send-keys", "-t"];
        let target = format!("={session}:");
        args.push(&target);
        args.extend(keys);
        let out = world.tmux(&args);
        assert!(out.status.success(), "tmux send-keys: {out:?}");
    }
}
