//! `helios hook` as an agent runs it, against real git worktrees and a par state file written as
//! par writes it: which lane a payload lands on (`HELIOS_LANE`, else the working directory), what
//! is refused with nothing recorded, payloads of the sizes agents really send, and what `lane ls`
//! shows after an agent ended in a real par lane.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::{Value, json};
use support::World;

/// Run `helios hook claude` in `dir` with `payload` on stdin and `HELIOS_LANE` as given.
fn hook(world: &World, dir: &Path, lane: Option<&str>, payload: &[u8]) -> Output {
    let mut c = world.helios();
    c.args(["hook", "claude"])
        .current_dir(dir)
        .env_remove("HELIOS_LANE")
        .env_remove("HELIOS_LANE_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(l) = lane {
        c.env("HELIOS_LANE", l);
    }
    let mut child = c.spawn().unwrap();
    // A hook that stops reading at its cap closes the pipe early: that write error is expected.
    let _ = child.stdin.take().unwrap().write_all(payload);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The lanes `lane.state` events were recorded for, oldest first.
fn state_events(world: &World) -> Vec<String> {
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // One JSON object a line.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == "lane.state")
        .map(|e| e["lane"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `(state, state_reason)` of a lane as `helios lane ls --json` shows it.
fn state_of(world: &World, label: &str) -> (Value, Value) {
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lanes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let l = lanes
        .iter()
        .find(|l| l["label"] == label)
        .unwrap_or_else(|| panic!("no lane {label} in {lanes:#?}"));
    (l["state"].clone(), l["state_reason"].clone())
}

/// Two par lanes, delta and gamma, each a real worktree of the world's repo, recorded in par's
/// state file as par 0.2 records them (no par or tmux needed to read them).
fn with_par_lanes(world: &World) -> (PathBuf, PathBuf) {
    let mut sessions = serde_json::Map::new();
    let mut dirs = Vec::new();
    for label in ["delta", "gamma"] {
        let wt = world.path(&format!("lanes/{label}"));
        world.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", label]);
        sessions.insert(
            label.into(),
            json!({"label": label, "repository_path": world.repo, "repository_name": "app",
                   "worktree_path": wt, "tmux_session_name": format!("par-app-ab12-{label}"),
                   "branch_name": label, "session_type": "session"}),
        );
        dirs.push(wt);
    }
    let state = world.path("data/par/global_state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, json!({"sessions": sessions}).to_string()).unwrap();
    (dirs.remove(0), dirs.remove(0))
}

#[test]
fn helios_lane_chooses_the_lane_and_a_wrong_one_records_nothing() {
    let world = World::new("app");
    let (delta, _gamma) = with_par_lanes(&world);
    let stop = |cwd: &Path| {
        json!({"hook_event_name": "Stop", "cwd": cwd})
            .to_string()
            .into_bytes()
    };
    // From delta's worktree, and from outside any repo: gamma is the lane either way.
    hook(&world, &delta, Some("gamma"), &stop(&delta));
    let outside = world.path("home");
    let write = json!({"hook_event_name": "PreToolUse", "cwd": outside, "tool_name": "Write",
                       "tool_input": {"file_path": "notes.md", "content": "x"}});
    let out = hook(
        &world,
        &outside,
        Some("gamma"),
        write.to_string().as_bytes(),
    );
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    assert_eq!(state_events(&world), ["gamma", "gamma"]);
    // What the hooks recorded (`lane ls` would look first, and these lanes have no tmux
    // session: see the end).
    assert_eq!(
        last_recorded(&world, "gamma"),
        Some((json!("working"), json!("Write(notes.md)")))
    );
    assert_eq!(last_recorded(&world, "delta"), None);

    // A label no lane may have, one no lane has, and the main checkout: one line each, nothing
    // recorded.
    let no_cwd = br#"{"hook_event_name":"Stop"}"#;
    let errs: Vec<String> = [
        (&delta, Some("a\u{1b}[31mred"), stop(&delta)),
        (&delta, Some("nope"), stop(&delta)),
        (&world.repo, None, no_cwd.to_vec()),
    ]
    .into_iter()
    .map(|(dir, lane, payload)| stderr(&hook(&world, dir, lane, &payload)))
    .collect();
    assert!(!errs[0].contains('\u{1b}'), "{:?}", errs[0]);
    assert!(
        errs[0].contains(r#"HELIOS_LANE: lane label "a\x1b[31mred" is not allowed"#),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].contains("HELIOS_LANE=nope names no lane"),
        "{}",
        errs[1]
    );
    assert!(
        errs[2].contains("the main checkout of app, not one of its lanes"),
        "{}",
        errs[2]
    );
    for err in &errs {
        assert!(err.ends_with("nothing was recorded\n"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert_eq!(state_events(&world), ["gamma", "gamma"]);
    // Neither lane has a tmux session: `lane ls` shows them as a console does, and records it.
    assert_eq!(
        state_of(&world, "gamma"),
        (json!("exited"), json!("tmux session missing"))
    );
    assert_eq!(
        state_of(&world, "delta"),
        (json!("exited"), json!("tmux session missing"))
    );
}

/// The details of the `lane.state` events recorded for `label`, oldest first.
fn recorded(world: &World, label: &str) -> Vec<Value> {
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == "lane.state" && e["lane"] == label)
        .map(|e| e["detail"].clone())
        .collect()
}

/// `(state, state_reason)` of the newest `lane.state` event recorded for `label`.
fn last_recorded(world: &World, label: &str) -> Option<(Value, Value)> {
    recorded(world, label)
        .pop()
        .map(|d| (d["state"].clone(), d["state_reason"].clone()))
}

#[test]
fn a_payload_of_megabytes_is_read_and_a_runaway_one_refused() {
    // No par lanes: the main checkout is the repo's one lane.
    let world = World::new("app");
    let write = |bytes: usize| {
        json!({"hook_event_name": "PreToolUse", "cwd": ".", "tool_name": "Write",
               "tool_input": {"file_path": "big.bin", "content": "x".repeat(bytes)}})
        .to_string()
    };
    let out = hook(&world, &world.repo, None, write(5_000_000).as_bytes());
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    assert_eq!(
        state_of(&world, "app"),
        (json!("working"), json!("Write(big.bin)"))
    );

    let out = hook(&world, &world.repo, None, write(33 << 20).as_bytes());
    let err = stderr(&out);
    assert!(err.contains("the payload on stdin is over 32 MiB"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(state_events(&world).len(), 1);
}

/// What `helios lane explain LABEL` prints.
fn explain(world: &World, label: &str) -> String {
    let out = world
        .helios()
        .args(["lane", "explain", label])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The states `lane.state` events recorded for `label`, oldest first.
fn states_recorded(world: &World, label: &str) -> Vec<String> {
    recorded(world, label)
        .iter()
        .map(|d| d["state"].as_str().unwrap().to_string())
        .collect()
}

/// An agent says it ended (Claude's SessionEnd) and its lane's shell is back in the foreground:
/// with no console running, `helios lane ls` and `lane explain` show `shell`, as a console does
/// (the README's SessionEnd rule), decided by the same rules (`agent::decide`). Before, they
/// kept the hook's `exited · session ended` for as long as no console ran.
#[test]
fn an_ended_agent_with_its_shell_back_is_shell_without_a_console() {
    support::require("tmux");
    support::require("par");
    let world = World::new("app");
    let out = world.helios().args(["lane", "new", "ag"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    let lanes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let wt = PathBuf::from(lanes[0]["worktree"].as_str().unwrap());
    let end = json!({"hook_event_name": "SessionEnd", "reason": "prompt_input_exit", "cwd": wt});
    hook(&world, &wt, None, end.to_string().as_bytes());
    assert_eq!(
        states_recorded(&world, "ag").last().map(String::as_str),
        Some("exited"),
        "the hook recorded the agent's end"
    );
    // The lane's shell, started by par, is its foreground: once it runs, that is what shows.
    support::wait_until_or(
        "lane ls to show the lane as shell",
        std::time::Duration::from_secs(20),
        || state_of(&world, "ag").0 == "shell",
        || format!("{:?}", state_of(&world, "ag")),
    );
    assert!(
        states_recorded(&world, "ag").ends_with(&["exited".into(), "shell".into()]),
        "{:?}",
        states_recorded(&world, "ag")
    );
    let text = explain(&world, "ag");
    assert!(text.starts_with("lane ag: shell"), "{text}");
    assert!(
        text.contains("the agent's hook said it ended (SessionEnd)"),
        "{text}"
    );
    // Looked at again with nothing new: nothing more is recorded.
    let before = states_recorded(&world, "ag").len();
    state_of(&world, "ag");
    assert_eq!(states_recorded(&world, "ag").len(), before);
}

/// The tryout: with no console running, a par lane whose tmux session was killed, and then
/// every lane once tmux's server is gone, shows what a console shows, `exited · tmux session
/// missing`, recorded by `lane ls`'s look and explained as the session being gone (not as a
/// program that ended, and with no screen). Before, the look skipped such lanes: they kept
/// their old state (`working · Bash(make)`), or an `exited` with no reason that `lane explain`
/// called "the lane's program ended".
#[test]
fn a_lane_whose_tmux_session_is_gone_is_exited_with_it_missing() {
    support::require("tmux");
    support::require("par");
    let world = World::new("app");
    for label in ["ka", "kb"] {
        let out = world
            .helios()
            .args(["lane", "new", label])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    let lanes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let lane = |label: &str| lanes.iter().find(|l| l["label"] == label).unwrap().clone();
    for label in ["ka", "kb"] {
        let wt = PathBuf::from(lane(label)["worktree"].as_str().unwrap());
        let make = json!({"hook_event_name": "PreToolUse", "cwd": wt, "tool_name": "Bash",
                          "tool_input": {"command": "make"}});
        hook(&world, &wt, None, make.to_string().as_bytes());
        assert_eq!(last_recorded(&world, label).unwrap().0, "working");
    }
    let session = lane("ka")["session"].as_str().unwrap().to_string();
    let out = world.tmux(&["kill-session", "-t", &format!("={session}")]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        state_of(&world, "ka"),
        (json!("exited"), json!("tmux session missing"))
    );
    assert_ne!(
        state_of(&world, "kb").0,
        "exited",
        "kb's session still runs"
    );
    assert_eq!(
        last_recorded(&world, "ka"),
        Some((json!("exited"), json!("tmux session missing")))
    );
    let text = explain(&world, "ka");
    assert!(
        text.starts_with("lane ka: exited · tmux session missing"),
        "{text}"
    );
    assert!(
        text.contains("decided by process: the lane's tmux session is gone"),
        "{text}"
    );
    assert!(!text.contains("program ended"), "{text}");
    assert!(!text.contains("screen "), "{text}");
    // tmux's server gone: every lane is.
    world.tmux(&["kill-server"]);
    assert_eq!(
        state_of(&world, "kb"),
        (json!("exited"), json!("tmux session missing"))
    );
    // Looked at again with nothing new: nothing more is recorded.
    let before = states_recorded(&world, "kb").len();
    state_of(&world, "kb");
    assert_eq!(states_recorded(&world, "kb").len(), before);
}

/// A plain worktree lane's shell is a console's: with no console on the host nothing runs in
/// the lane, so a state a console decided from that shell (`shell · bash in the foreground`)
/// is not shown by `lane ls` or `lane explain` (a hook's word is: the agent may run in a
/// terminal of the user's). Before, `lane ls` showed the shell of a console long gone.
#[test]
fn a_plain_lane_shows_no_shell_without_a_console() {
    use helios::agent::{Decision, LaneKey, LaneState, Source, Status};
    let world = World::new("app");
    let wt = world.path("lanes/pl");
    world.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "pl"]);
    // What a console recorded from the lane's shell before it quit.
    let store =
        helios::store::sqlite::SqliteStore::open(&world.path("state/helios/helios.db")).unwrap();
    let key = LaneKey {
        worktree: helios::store::lane_state::worktree_key(&wt),
        repo: "app".into(),
        lane: "pl".into(),
    };
    let shell = Decision {
        state: LaneState {
            status: Status::Shell,
            since: time::OffsetDateTime::now_utc(),
            source: Source::Process,
            reason: "bash in the foreground, no agent".into(),
        },
        why: "no agent runs: an idle shell is not waiting".into(),
        evidence: Vec::new(),
    };
    helios::store::lane_state::transition(&store, &key, &shell, "t").unwrap();
    // And an agent's own hook in the main checkout, run in a terminal of the user's.
    let write = json!({"hook_event_name": "PreToolUse", "cwd": world.repo, "tool_name": "Write",
                       "tool_input": {"file_path": "notes.md", "content": "x"}});
    hook(&world, &world.repo, None, write.to_string().as_bytes());
    assert_eq!(state_of(&world, "pl").0, Value::Null);
    assert_eq!(state_of(&world, "app").0, "working");
    let text = explain(&world, "pl");
    assert!(
        text.starts_with("lane pl: no state: a plain worktree lane's shell lives in a console"),
        "{text}"
    );
    // A console up on the host (its wake socket, this live process standing in): its shell
    // runs, and the state it decided shows.
    let wake = world.path("run/helios/wake");
    std::fs::create_dir_all(&wake).unwrap();
    std::fs::write(wake.join(format!("{}.sock", std::process::id())), "").unwrap();
    assert_eq!(state_of(&world, "pl").0, "shell");
}
