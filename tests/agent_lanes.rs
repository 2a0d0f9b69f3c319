//! Agent-aware lanes against the real parts: `helios hook` called from inside real par lanes
//! (tmux) with each agent's documented payloads, stand-in agents driven through the real
//! console (hooks on, and off for the screen fallback), `helios mcp` driven by the official
//! Python MCP client, and state that survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{World, helios_bin, require, wait_until_or};
use tui::Tui;

const WAIT: Duration = Duration::from_secs(40);

fn ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn new_lane(world: &World, name: &str) {
    ok(
        &world.helios().args(["lane", "new", name]).output().unwrap(),
        "lane new",
    );
}

fn lanes(world: &World) -> Vec<Value> {
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    ok(&out, "lane ls");
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn lane(world: &World, label: &str) -> Value {
    lanes(world)
        .into_iter()
        .find(|l| l["label"] == label)
        .unwrap_or_else(|| panic!("no lane {label}"))
}

fn worktree(world: &World, label: &str) -> PathBuf {
    PathBuf::from(lane(world, label)["worktree"].as_str().unwrap())
}

/// Type a line into a lane's real tmux session (what a person or `par send` does).
fn type_in(world: &World, label: &str, line: &str) {
    let session = lane(world, label)["session"].as_str().unwrap().to_string();
    let out = Command::new("tmux")
        .args(["send-keys", "-t", &format!("={session}:"), "-l", line])
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap();
    ok(&out, "tmux send-keys");
    let out = Command::new("tmux")
        .args(["send-keys", "-t", &format!("={session}:"), "Enter"])
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap();
    ok(&out, "tmux send-keys Enter");
}

fn state_of(world: &World, label: &str) -> (String, String, String, String) {
    let l = lane(world, label);
    let s = |k: &str| l[k].as_str().unwrap_or("").to_string();
    (
        s("state"),
        s("state_kind"),
        s("state_reason"),
        s("state_source"),
    )
}

/// Wait until `helios lane ls --json` shows `label` in `state` (and `kind` when given).
fn wait_state(world: &World, label: &str, state: &str, kind: Option<&str>) -> Value {
    wait_until_or(
        &format!("lane {label} to be {state} {kind:?}"),
        WAIT,
        || {
            let l = lane(world, label);
            l["state"] == state && kind.is_none_or(|k| l["state_kind"] == k)
        },
        || {
            let l = lane(world, label);
            format!("lane ls shows {l:#}\nits pane shows:\n{}", pane(world, &l))
        },
    );
    lane(world, label)
}

/// The last lines of the log files the console and `helios hook` write in the world: why a
/// hook's state did not arrive, say.
fn log_tail(world: &World) -> String {
    let dir = world.path("state/helios");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => return format!("(cannot read {}: {e})", dir.display()),
    };
    let mut lines = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                lines.push(format!("(cannot read an entry of {}: {e})", dir.display()));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("helios.") && path.extension().is_some_and(|e| e == "log") {
            match std::fs::read_to_string(&path) {
                Ok(text) => lines.extend(text.lines().map(str::to_string)),
                Err(e) => lines.push(format!("(cannot read {}: {e})", path.display())),
            }
        }
    }
    let from = lines.len().saturating_sub(30);
    lines[from..].join("\n")
}

/// What the lane's tmux pane shows now: whether its program got the keys, say.
fn pane(world: &World, lane: &Value) -> String {
    let target = format!("={}:", lane["session"].as_str().unwrap_or_default());
    let out = world.tmux(&["capture-pane", "-p", "-t", &target]);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn helios_path() -> String {
    helios_bin().display().to_string()
}

/// Typed after a hook run from a lane's shell: a program takes the foreground, as the agent
/// that sent the hook would be. A shell in the foreground is an agent gone (`shell`, as a
/// console and `lane ls` decide), not the state the hook said.
const AGENT_STAYS: &str = "exec cat";

fn standin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agents/standin.py")
}

#[test]
fn each_agents_payload_through_the_real_hook_from_inside_real_lanes() {
    require("tmux");
    require("par");
    let world = World::new("app");
    for l in ["cl", "cx", "gm"] {
        new_lane(&world, l);
    }
    let before = time::OffsetDateTime::now_utc();
    let h = shell_quote(&helios_path());
    // Claude: the JSON on stdin.
    let claude = r#"{"session_id":"s1","transcript_path":"/dev/null","cwd":".","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"rm -rf build"}}"#;
    type_in(
        &world,
        "cl",
        &format!(
            "echo {} | {h} hook claude; echo rc=$?; {AGENT_STAYS}",
            shell_quote(claude)
        ),
    );
    // Codex notify: the JSON as the last argument.
    let codex = r#"{"type":"agent-turn-complete","thread-id":"t1","turn-id":"u1","cwd":".","input-messages":["fix"],"last-assistant-message":"Fixed the login bug."}"#;
    type_in(
        &world,
        "cx",
        &format!(
            "{h} hook codex {}; echo rc=$?; {AGENT_STAYS}",
            shell_quote(codex)
        ),
    );
    // Gemini: the JSON on stdin.
    let gemini = r#"{"session_id":"g1","cwd":".","hook_event_name":"Notification","notification_type":"ToolPermission","message":"Allow execution of: 'make'?","details":{"tool_name":"run_shell_command","tool_input":{"command":"make deploy"}}}"#;
    type_in(
        &world,
        "gm",
        &format!(
            "echo {} | {h} hook gemini; echo rc=$?; {AGENT_STAYS}",
            shell_quote(gemini)
        ),
    );

    let cl = wait_state(&world, "cl", "waiting", Some("permission"));
    assert_eq!(cl["state_reason"], "Bash(rm -rf build)");
    assert_eq!(cl["state_source"], "hook:claude");
    let cx = wait_state(&world, "cx", "done", None);
    assert_eq!(cx["state_reason"], "Fixed the login bug.");
    assert_eq!(cx["state_source"], "hook:codex");
    let gm = wait_state(&world, "gm", "waiting", Some("permission"));
    assert_eq!(gm["state_reason"], "run_shell_command(make deploy)");
    assert_eq!(gm["state_source"], "hook:gemini");
    for l in [&cl, &cx, &gm] {
        let since = time::OffsetDateTime::parse(
            l["state_since"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!(
            since >= before && since <= time::OffsetDateTime::now_utc(),
            "{l}"
        );
    }
    // Each hook's state is a lane.state audit event (`lane ls` records the lanes' shells
    // before, as a console would).
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    ok(&out, "events");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut hooked: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| {
            e["action"] == "lane.state"
                && e["detail"]["state_source"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("hook:"))
        })
        .map(|e| format!("{} {}", e["lane"], e["detail"]["state"]))
        .collect();
    hooked.sort();
    hooked.dedup();
    assert_eq!(hooked.len(), 3, "one each: {hooked:?}\n{text}");

    // The hook's own contract: nothing on stdout, exit 0, even for garbage.
    let out = Command::new(helios_bin())
        .args(["hook", "claude"])
        .current_dir(worktree(&world, "cl"))
        .envs(world.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(b"not json")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a JSON object"));
}

#[test]
fn a_hook_with_an_unwritable_state_dir_exits_0_with_nothing_on_stdout() {
    require("git");
    let world = World::new("app");
    // A file where the state directory should be: nothing can be created under it.
    let blocked = world.path("blocked");
    std::fs::write(&blocked, "").unwrap();
    let mut c = world.helios();
    c.args(["hook", "claude"]).env("XDG_STATE_HOME", &blocked);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(br#"{"hook_event_name":"Stop","cwd":"."}"#)
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not recorded"), "{err}");
}

/// Start the stand-in for `agent` in a lane (its hooks on or off).
fn start_standin(world: &World, label: &str, agent: &str, hooks: bool) {
    let cmd = format!(
        "HELIOS_BIN={} HOOKS={} python3 {} {agent}",
        shell_quote(&helios_path()),
        u8::from(hooks),
        shell_quote(&standin().display().to_string())
    );
    type_in(world, label, &cmd);
}

#[test]
fn stand_in_agents_through_the_console_with_hooks_and_without() {
    require("tmux");
    require("par");
    require("python3");
    let world = World::new("app");
    for l in ["claude", "codex", "gemini", "idle", "screen", "script"] {
        new_lane(&world, l);
    }
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "screen", WAIT);
    // An idle shell is a shell, never waiting.
    wait_state(&world, "idle", "shell", None);
    for a in ["claude", "codex", "gemini"] {
        start_standin(&world, a, a, true);
    }
    start_standin(&world, "screen", "claude", false);
    // An agent started by a script: tmux names the pane's foreground `bash` (the script's
    // interpreter), which is no idle shell.
    let script = world.path("run-agent.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/bash\nHOOKS=0 python3 {} claude\n",
            shell_quote(&standin().display().to_string())
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    type_in(
        &world,
        "script",
        &shell_quote(&script.display().to_string()),
    );

    // A new session waits for its first prompt.
    for a in ["claude", "codex", "gemini"] {
        wait_state(&world, a, "waiting", Some("input"));
    }
    // A prompt: the agent works, then asks to run rm -rf build.
    for a in ["claude", "codex", "gemini"] {
        type_in(&world, a, "clean the build");
    }
    let claude = wait_state(&world, "claude", "waiting", Some("permission"));
    assert_eq!(claude["state_reason"], "Bash(rm -rf build)");
    wait_state(&world, "codex", "waiting", Some("permission"));
    wait_state(&world, "gemini", "waiting", Some("permission"));
    tui.wait_for("the permission in the console", "permission · ", WAIT);
    tui.wait_for("the tool in the console", "Bash(rm -rf build)", WAIT);

    // Without hooks, the screen says the same.
    type_in(&world, "screen", "clean the build");
    let screen = wait_state(&world, "screen", "waiting", Some("permission"));
    assert_eq!(screen["state_source"], "screen");
    assert_eq!(screen["state_reason"], "Remove the build directory");
    type_in(&world, "script", "clean the build");
    let script = wait_state(&world, "script", "waiting", Some("permission"));
    assert_eq!(script["state_source"], "screen", "{script:#}");

    assert_ne!(state_of(&world, "idle").0, "waiting");

    // Answer the claude lane through the console: n visits the most urgent lane first.
    answer_through_console(&mut tui, &world, "claude");
    wait_state(&world, "claude", "done", None);
    // The codex stand-in is answered in its session directly; its turn ends with notify.
    type_in(&world, "codex", "1");
    let cx = wait_state(&world, "codex", "done", None);
    assert_eq!(cx["state_reason"], "Removed the build directory.");
    type_in(&world, "gemini", "1");
    wait_state(&world, "gemini", "done", None);

    // A rate limit is an error, not work.
    type_in(&world, "claude", "fail");
    let e = wait_state(&world, "claude", "error", Some("rate_limit"));
    assert!(e["state_reason"].as_str().unwrap().contains("429"), "{e}");

    // An interrupt through helios: Claude sends no Stop; the quiet lane is done.
    type_in(&world, "claude", "long");
    // The turn's tool hook, not only the prompt's: an interrupt answers the newest hook.
    wait_until_or(
        "the long turn's PreToolUse",
        WAIT,
        || lane(&world, "claude")["state_reason"] == "Bash(make)",
        || {
            let l = lane(&world, "claude");
            format!(
                "lane ls shows {l:#}\nits pane shows:\n{}\nhelios's log ends:\n{}",
                pane(&world, &l),
                log_tail(&world)
            )
        },
    );
    focus_lane(&mut tui, &world, "claude");
    tui.keys(b"\x03");
    tui.keys(b"\x07");
    let d = wait_state(&world, "claude", "done", None);
    assert_eq!(d["state_reason"], "interrupted by the user");
    assert_eq!(d["state_source"], "keys");
    assert_ne!(state_of(&world, "idle").0, "waiting");

    // `helios lane explain` says why.
    let out = world
        .helios()
        .args(["lane", "explain", "claude", "--json"])
        .output()
        .unwrap();
    ok(&out, "lane explain");
    let x: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(x["state"]["state"], "done");
    assert!(
        x["why"].as_str().unwrap().contains("Esc or Ctrl-C"),
        "{x:#}"
    );
    assert!(
        x["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["event"] == "StopFailure"),
        "{x:#}"
    );
}

/// Focus `label` in the console: focus each lane in turn (the `lane.focused` event says which
/// one it was) until it is `label`.
fn focus_lane(tui: &mut Tui, world: &World, label: &str) {
    let db = world.path("state/helios/helios.db");
    let focused = || -> (usize, Option<String>) {
        let Ok(store) = helios::store::sqlite::SqliteStore::open(&db) else {
            return (0, None);
        };
        let q = helios::store::EventQuery::default();
        let events = helios::store::EventStore::query(&store, &q).unwrap_or_default();
        let f: Vec<_> = events
            .iter()
            .filter(|e| e.action == "lane.focused")
            .collect();
        (f.len(), f.last().and_then(|e| e.lane.clone()))
    };
    // Each try counts from the first lane (`g`): the list's order follows the lanes' states,
    // which may change between tries (j and k wrap at its ends).
    for i in 0..12 {
        tui.keys(b"g");
        tui.keys(&vec![b'j'; i]);
        let (n0, _) = focused();
        tui.keys(b"\r");
        let mut last = None;
        wait_until_or(
            "a lane.focused event",
            Duration::from_secs(15),
            || {
                let (n, l) = focused();
                last = l;
                n > n0
            },
            || tui.contents(),
        );
        if last.as_deref() == Some(label) {
            return;
        }
        tui.keys(b"\x07");
    }
    panic!("could not focus lane {label}:\n{}", tui.contents());
}

/// `n` (the most urgent lane), focus it, answer `1`, leave focus.
fn answer_through_console(tui: &mut Tui, world: &World, label: &str) {
    tui.keys(b"n");
    focus_lane(tui, world, label);
    tui.keys(b"1\r");
    tui.keys(b"\x07");
}

#[test]
fn state_survives_a_console_restart() {
    require("tmux");
    require("par");
    let world = World::new("app");
    new_lane(&world, "one");
    let payload = r#"{"hook_event_name":"PreToolUse","tool_name":"AskUserQuestion","tool_input":{"questions":[{"question":"Which database?"}]}}"#;
    let mut c = world.helios();
    c.args(["hook", "claude"])
        .current_dir(worktree(&world, "one"));
    c.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    {
        let tui = Tui::start(&world, &[]);
        tui.wait_for("the question", "Which database?", WAIT);
    }
    let tui = Tui::start(&world, &[]);
    tui.wait_for("the question after a restart", "Which database?", WAIT);
    tui.wait_for("its kind", "question", WAIT);
    let (state, kind, reason, _) = state_of(&world, "one");
    assert_eq!((state.as_str(), kind.as_str()), ("waiting", "question"));
    assert_eq!(reason, "Which database?");
}

#[test]
fn helios_mcp_through_the_official_python_client() {
    require("tmux");
    require("par");
    let world = World::new("app");
    new_lane(&world, "mcp-lane");
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run the tests with scripts/test.sh, which installs the MCP client",
        python.display()
    );
    let tui = Tui::start(&world, &[]);
    tui.wait_for("the lane", "mcp-lane", WAIT);
    // The agent's process in the lane's foreground (the client here runs outside the lane; a
    // shell in the foreground would mean the agent is gone).
    type_in(&world, "mcp-lane", "cat");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp_client.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(helios_bin())
        .arg(worktree(&world, "mcp-lane"))
        .envs(world.env())
        .env_remove("TMUX")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    ok(&out, "the MCP client");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["server"],
        serde_json::json!({"name": "helios", "version": env!("CARGO_PKG_VERSION")})
    );
    assert_eq!(
        v["tools"],
        serde_json::json!(["ask_human", "lane_events", "list_lanes", "report_status"])
    );
    assert_eq!(v["report_status"]["error"], false, "{v:#}");
    let find = |rows: &Value| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|l| l["label"] == "mcp-lane")
            .cloned()
            .unwrap_or_else(|| panic!("no mcp-lane in {rows:#}"))
    };
    let after = find(&v["after_report"]);
    assert_eq!(after["state"], "working", "{v:#}");
    assert_eq!(after["state_source"], "mcp");
    assert_eq!(after["state_reason"], "refactoring the parser");
    let listed = find(&v["list_lanes"]);
    assert_eq!(listed["state_kind"], "question");
    assert_eq!(
        listed["state_reason"],
        "Use PostgreSQL or SQLite for the cache?"
    );
    let events = v["lane_events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .filter(|e| e["action"] == "lane.state")
            .count()
            >= 2,
        "{v:#}"
    );
    assert_eq!(v["bad_state"]["error"], true);
    // The console shows the question at once.
    tui.wait_for("the MCP question in the console", "question · ", WAIT);
}

/// tmux 3.3 keeps OSC 9/777 from the console's attach client: the pane's own output, piped to
/// `helios osc-tap`, brings a par lane's notification in (source `osc`), and the pipe outlives
/// the console, so one sent with no console running is kept too.
#[test]
fn a_par_lanes_notification_reaches_helios_in_attach_mode() {
    require("tmux");
    require("par");
    let world = World::new("app");
    new_lane(&world, "note");
    let session = lane(&world, "note")["session"]
        .as_str()
        .unwrap()
        .to_string();
    let piped = || {
        let out = Command::new("tmux")
            .args([
                "display",
                "-p",
                "-t",
                &format!("={session}:"),
                "#{pane_pipe}",
            ])
            .envs(world.env())
            .env_remove("TMUX")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    };
    assert!(!piped());
    {
        let tui = Tui::start(&world, &[]);
        tui.wait_for("the lane list", "note", WAIT);
        wait_until_or("the lane's output piped to the tap", WAIT, piped, || {
            tui.contents()
        });
        // A program in the foreground (a shell there would make the lane `shell`).
        type_in(
            &world,
            "note",
            &notify_then_wait(r"\x1b]9;build finished\x07"),
        );
        let l = wait_state(&world, "note", "waiting", Some("input"));
        assert_eq!(l["state_source"], "osc", "{l:#}");
        assert_eq!(l["state_reason"], "build finished", "{l:#}");
        wait_until_or(
            "the notification in the console",
            WAIT,
            || tui.contents().contains("build finished"),
            || {
                let x = world
                    .helios()
                    .args(["lane", "explain", "note"])
                    .output()
                    .unwrap();
                format!("{}\n{}", tui.contents(), String::from_utf8_lossy(&x.stdout))
            },
        );
    }
    // No console now: the tap still records, and the next console shows it.
    interrupt(&world, "note");
    type_in(
        &world,
        "note",
        &notify_then_wait(r"\x1b]777;notify;tests;failed: 3\x1b\\"),
    );
    wait_until_or(
        "the second notification",
        WAIT,
        || lane(&world, "note")["state_reason"] == "tests: failed: 3",
        || format!("{:#}", lane(&world, "note")),
    );
    assert!(piped());
}

/// A command line: python prints `seq` (Python escapes) and stays in the foreground.
fn notify_then_wait(seq: &str) -> String {
    format!(
        "python3 -c 'import sys,time; sys.stdout.write(\"{seq}\"); sys.stdout.flush(); time.sleep(300)'"
    )
}

/// Ctrl-C into the lane.
fn interrupt(world: &World, label: &str) {
    let session = lane(world, label)["session"].as_str().unwrap().to_string();
    let out = Command::new("tmux")
        .args(["send-keys", "-t", &format!("={session}:"), "C-c"])
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap();
    ok(&out, "tmux send-keys C-c");
}

/// A par lane whose program ends keeps its last screen and its real exit status (tmux keeps
/// the dead pane: `remain-on-exit`), before and after a console restart; `R` starts it again.
#[test]
fn a_dead_par_lane_keeps_its_screen_and_status_and_restarts() {
    require("tmux");
    require("par");
    let world = World::new("app");
    new_lane(&world, "dies");
    let session = lane(&world, "dies")["session"]
        .as_str()
        .unwrap()
        .to_string();
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux")
            .args(args)
            .envs(world.env())
            .env_remove("TMUX")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let target = format!("={session}:");
    // The lane's shell hands over to `sh`, which exits after a child of its own. tmux 3.3a
    // then often never learns the status (measured: about half the time): the pane is dead
    // with an empty `#{pane_dead_status}` and its process a zombie, which helios once showed
    // as "killed by a signal" and stored without the status. Returns what tmux itself says.
    let die = |code: u8| {
        type_in(
            &world,
            "dies",
            &format!("echo last-words; exec sh -c 'sleep 0.2; exit {code}'"),
        );
        wait_until_or(
            "the lane's pane dead",
            WAIT,
            || tmux(&["display", "-p", "-t", &target, "#{pane_dead}"]) == "1",
            String::new,
        );
        tmux(&["display", "-p", "-t", &target, "#{pane_dead_status}"])
    };
    {
        let mut tui = Tui::start(&world, &[]);
        tui.wait_for("the lane list", "dies", WAIT);
        wait_until_or(
            "the lane's pane kept when it dies",
            WAIT,
            || tmux(&["show-options", "-w", "-v", "-t", &target, "remain-on-exit"]) == "on",
            || tui.contents(),
        );
        let told = die(3);
        eprintln!("tmux's own pane_dead_status after exit 3: {told:?}");
        tui.wait_for("its state", "exited (3)", WAIT);
        let l = wait_state(&world, "dies", "exited", Some("3"));
        assert_eq!(l["state_source"], "process", "{l:#}");
        tui.wait_for("its last screen", "last-words", WAIT);
        // Looked at: kept in the store, so the next console does not ask again.
        tui.wait_for("the exit needing a human", "1 need you", WAIT);
        tui.keys(b"\r");
        let db = world.path("state/helios/helios.db");
        let key = helios::store::lane_state::worktree_key(&worktree(&world, "dies"));
        wait_until_or(
            "the look kept in the store",
            WAIT,
            || {
                helios::store::sqlite::SqliteStore::open(&db)
                    .ok()
                    .and_then(|s| {
                        helios::store::lane_state::get(s.conn(), &key)
                            .ok()
                            .flatten()
                    })
                    .is_some_and(|s| s.acked)
            },
            || tui.contents(),
        );
    }
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("its last screen after a restart", "last-words", WAIT);
    tui.wait_for("its state after a restart", "exited (3)", WAIT);
    wait_until_or(
        "the exit seen before the restart needing no human",
        WAIT,
        || !tui.contents().contains("need you"),
        || tui.contents(),
    );
    tui.keys(b"R");
    wait_until_or(
        "the pane running again",
        WAIT,
        || tmux(&["display", "-p", "-t", &target, "#{pane_dead}"]) == "0",
        || tui.contents(),
    );
    wait_state(&world, "dies", "shell", None);
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    let restarted = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "lane.restarted" && e["result"] == "ok")
        .count();
    assert_eq!(restarted, 1);
    // A second death, the console watching.
    let told = die(4);
    eprintln!("tmux's own pane_dead_status after exit 4: {told:?}");
    tui.wait_for("its state after the second death", "exited (4)", WAIT);
    wait_state(&world, "dies", "exited", Some("4"));
}
