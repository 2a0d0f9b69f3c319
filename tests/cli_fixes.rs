//! What a new user met in a tryout of the CLI, each checked on the real binary: `events` shows
//! the repo it runs in (`--all` every repo's, with a REPO column); `config show` read back
//! leaves NATS unconfigured; an explicit `--repo` that is no repo is an error; a config value of
//! the wrong kind names its key and says "fix the value"; `layout write --out -` survives a
//! closed stdout; "no lane X" names the repo looked in; a huge failed `serve` send is clipped;
//! `lane attach` from inside another tmux server attaches in the terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;
#[path = "support/tui.rs"]
mod tui;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use helios::model::AuditEvent;
use helios::store::EventStore as _;
use serde_json::Value;
use support::{World, require, wait_until_or};

/// A child process killed when the test ends, passed or failed.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A second git repo inside the world, with one commit.
fn second_repo(world: &World, name: &str) -> std::path::PathBuf {
    let dir = world.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q"],
    ] {
        let mut args = args.to_vec();
        if args.contains(&"commit") {
            args.extend(["--allow-empty", "-m", "init"]);
        }
        let st = std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(&args)
            .status()
            .unwrap();
        assert!(st.success());
    }
    dir
}

fn journal_event(world: &World, repo: &str, lane: &str) {
    let path = world.path("state").join("helios").join("helios.db");
    let mut s = helios::store::sqlite::SqliteStore::open(&path).unwrap();
    s.append(&AuditEvent::new(
        "t@h",
        repo,
        "lane.created",
        Some(lane),
        true,
        serde_json::json!({}),
    ))
    .unwrap();
}

fn lanes_of(json_lines: &str) -> Vec<String> {
    json_lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            format!(
                "{}/{}",
                v["repo"].as_str().unwrap(),
                v["lane"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn events_show_the_repo_helios_works_in_and_all_of_them_with_a_repo_column() {
    let world = World::new("one");
    let two = second_repo(&world, "two");
    journal_event(&world, "one", "a");
    journal_event(&world, "two", "b");
    let run = |dir: &Path, args: &[&str]| {
        let out = world.helios().current_dir(dir).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    // In repo one: its events only, and no REPO column (the repo is the one you are in).
    let here = run(&world.repo, &["events"]);
    assert!(here.starts_with("TIME (UTC)           ACTION"), "{here}");
    assert!(here.contains(" a ") && !here.contains(" b "), "{here}");
    assert_eq!(
        lanes_of(&run(&world.repo, &["events", "--json"])),
        ["one/a"]
    );
    // --repo picks the repo, wherever helios runs.
    let there = run(
        &world.repo,
        &["--repo", two.to_str().unwrap(), "events", "--json"],
    );
    assert_eq!(lanes_of(&there), ["two/b"]);
    // --all: every repo's, with a REPO column.
    let all = run(&world.repo, &["events", "--all"]);
    assert!(
        all.starts_with("TIME (UTC)           REPO             ACTION"),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.contains(" two ") && l.contains(" b ")),
        "{all}"
    );
    assert_eq!(
        lanes_of(&run(&world.repo, &["events", "--all", "--json"])),
        ["one/a", "two/b"]
    );
    // Outside any repo: every repo's, as with --all.
    let home = world.path("home");
    let outside = run(&home, &["events"]);
    assert!(outside.contains("REPO") && outside.contains(" one ") && outside.contains(" two "));
    // A repo without events says whose events it looked for, on stderr.
    let three = second_repo(&world, "three");
    let out = world
        .helios()
        .current_dir(&three)
        .arg("events")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("no events of repo three; `helios events --all`"));
    // An empty answer to a narrower question names the question, not "no events".
    let out = world
        .helios()
        .args(["events", "--lane", "nothere", "--since", "1h"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("no events of repo one of lane nothere in the last 1h;"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_show_written_back_leaves_nats_not_configured() {
    let world = World::new("cfg");
    let status_nats = || {
        let out = world.helios().args(["status", "--json"]).output().unwrap();
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        v["nats"]["configured"].as_bool().unwrap()
    };
    assert!(!status_nats());
    let shown = world.helios().args(["config", "show"]).output().unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    std::fs::create_dir_all(world.path("config/helios")).unwrap();
    std::fs::write(world.path("config/helios/config.toml"), &text).unwrap();
    assert!(
        !status_nats(),
        "read back, the default became a configured URL:\n{text}"
    );
    let again = world.helios().args(["config", "show"]).output().unwrap();
    assert_eq!(stdout(&again), text);
    // A URL the user gave stays a URL in the output.
    let given = world
        .helios()
        .args(["--nats", "nats://127.0.0.1:4333", "config", "show"])
        .output()
        .unwrap();
    assert!(stdout(&given).contains("\nurl = \"nats://127.0.0.1:4333\"\n"));
}

/// Written back, `config show`'s output never makes `***` a password: the lines with a
/// hidden secret are commented out, and say so.
#[test]
fn config_show_written_back_never_sets_a_hidden_secret() {
    let world = World::new("sec");
    let file = world.path("config/helios/config.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        "[postgres]\nurl = \"postgres://me:pgpw@127.0.0.1:1/db\"\n\n[temporal]\napi_key = \"temporalkey\"\n",
    )
    .unwrap();
    let shown = world.helios().args(["config", "show"]).output().unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    for secret in ["pgpw", "temporalkey"] {
        assert!(!text.contains(secret), "{secret} shown:\n{text}");
    }
    for line in text.lines().filter(|l| l.contains("***")) {
        assert!(line.starts_with("# "), "a hidden secret as a value: {line}");
        assert!(line.contains("a secret, hidden"), "{line}");
    }
    assert!(
        text.contains("# url = \"postgres://me:***@127.0.0.1:1/db\""),
        "{text}"
    );
    std::fs::write(&file, &text).unwrap();
    let again = world.helios().args(["config", "show"]).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!stdout(&again).contains("***"), "{}", stdout(&again));
}

#[test]
fn an_explicit_repo_that_is_no_git_repository_is_an_error() {
    let world = World::new("real");
    let plain = world.path("home");
    let missing = world.path("nowhere");
    for (dir, why) in [
        (&plain, "is not inside a git repository"),
        (&missing, "does not exist"),
    ] {
        for args in [&["status"][..], &["events"], &["config", "show"]] {
            let out = world
                .helios()
                .arg("--repo")
                .arg(dir)
                .args(args)
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!("--repo {} {why}", dir.display())),
                "{err}"
            );
            // The path once, not `--repo /x: /x does not exist`.
            assert_eq!(err.matches(&dir.display().to_string()).count(), 1, "{err}");
            // The advice fits a --repo that was given.
            assert!(
                err.contains("pass --repo a git repository's directory"),
                "{err}"
            );
            assert!(!err.contains("run helios in a repo"), "{err}");
            assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        }
    }
    // Without --repo, outside a repo, status still reports the rest.
    let out = world
        .helios()
        .current_dir(&plain)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("not in a git repository"));
}

#[test]
fn a_config_value_of_the_wrong_kind_names_its_key_and_says_fix_the_value() {
    let world = World::new("vals");
    let file = world.path("config/helios/config.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let check = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let out = world.helios().args(["config", "check"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        stderr(&out).trim().to_string()
    };
    let f = file.display();
    assert_eq!(
        check("[lanes]\nscrollback = 10\ntmux_client = \"nope\"\n"),
        format!(
            "helios: {f}:3: lanes.tmux_client: expected one of `pipe`, `attach`, `control`, not `nope`; fix the value"
        )
    );
    assert_eq!(
        check("[postgres]\nbatch = \"lots\"\n"),
        format!(
            "helios: {f}:2: postgres.batch: expected a whole number, 0 or more, not string \"lots\"; fix the value"
        )
    );
    // Values the type alone does not check fail here too, not later at the server.
    // It names the file that set the value (the merged value has no line of its own).
    let url = check("[nats]\nurl = \"not a url\"\n");
    assert!(
        url.starts_with(&format!("helios: {f}: nats.url: expected NATS servers")),
        "{url}"
    );
    assert!(url.ends_with("not \"not a url\"; fix the value"), "{url}");
    let syntax = check("[lanes]\ntmux_client = nope\n");
    assert!(syntax.ends_with("fix the TOML syntax"), "{syntax}");
    assert!(syntax.starts_with(&format!("helios: {f}:2: ")), "{syntax}");
}

#[test]
fn a_layout_printed_to_a_closed_stdout_stops_quietly() {
    let world = World::new("lay");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = world
        .helios()
        .args(["layout", "write", "--out", "-"])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    // With a reader, the layout is printed.
    let read = world
        .helios()
        .args(["layout", "write", "--out", "-"])
        .output()
        .unwrap();
    assert!(stdout(&read).contains("layout"), "{}", stdout(&read));
}

#[test]
fn no_such_lane_names_the_repo_it_looked_in() {
    require("par");
    require("tmux");
    let world = World::new("looked");
    for args in [
        &["lane", "send", "ghost", "--", "hi"][..],
        &["lane", "rm", "ghost"],
        &["lane", "explain", "ghost"],
    ] {
        let out = world.helios().args(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("no lane ghost in {}", world.repo.display())),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("helios lane ls") && err.contains("--repo"),
            "{err}"
        );
    }
}

/// A par lane `a`, and another tmux server than the lanes' (`-L other`): the `$TMUX` of a
/// program running inside it.
fn lane_a_and_another_tmux(world: &World) -> String {
    let out = world.helios().args(["lane", "new", "a"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let other = world.tmux(&["-L", "other", "new-session", "-d"]);
    assert!(other.status.success(), "{other:?}");
    let socket = stdout(&world.tmux(&["-L", "other", "display", "-p", "#{socket_path}"]));
    format!("{},1,0", socket.trim())
}

/// `lane attach` from inside another tmux server than the lanes' (the user's own tmux, or one
/// started with `-L`): a client cannot switch across servers, so the lane is attached in this
/// terminal as outside tmux. It ran `switch-client` and failed with tmux's "no current client".
#[test]
fn attach_from_inside_another_tmux_server_attaches_in_this_terminal() {
    require("par");
    require("tmux");
    let world = World::new("across");
    let inside = lane_a_and_another_tmux(&world);
    let mut t = tui::Tui::run(&world, &["lane", "attach", "a"], &[("TMUX", &inside)]);
    t.wait_for("tmux's status line", "[par-", Duration::from_secs(30));
    t.keys(b"echo across-$((6*7))\r");
    t.wait_for("the lane's shell", "across-42", Duration::from_secs(30));
    // Detach: the lane's session lives on in the lanes' server. By tmux's command for this
    // terminal's client rather than `C-b d`: in about one run of eight tmux passed the C-b to
    // the pane and typed the `d` at its prompt, with or without this session's changes (a
    // tmux matter the test does not need).
    detach(&world, &t.tty);
    t.wait_for("tmux's detach", "[detached", Duration::from_secs(30));
    let listed = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    assert!(stdout(&listed).contains("\"a\""), "{}", stdout(&listed));
}

/// Detach the lanes' tmux client in the terminal `tty` (`detach-client -t`), as `C-b d` in it.
fn detach(world: &World, tty: &str) {
    let out = world.tmux(&["detach-client", "-t", tty]);
    assert!(out.status.success(), "tmux detach-client: {out:?}");
}

/// The console's `a` from inside another tmux server: the lane is attached in the console's
/// terminal and a detach brings the console back. tmux refused to nest ("sessions should be
/// nested with care") while the hand-over kept `$TMUX`.
#[test]
fn the_consoles_attach_from_inside_another_tmux_server_comes_back_on_detach() {
    require("par");
    require("tmux");
    let world = World::new("across2");
    let inside = lane_a_and_another_tmux(&world);
    let mut t = tui::Tui::start(&world, &[("TMUX", &inside)]);
    t.wait_for("the console", " LANES ", Duration::from_secs(30));
    t.wait_for("lane a listed", " a ", Duration::from_secs(30));
    t.keys(b"a");
    // The nested client's own screen: tmux's status line without the console's. The lane's
    // tile in the console shows tmux's status line too, and keys typed before the hand-over
    // go into the pane through `send-keys`, where `C-b d` is two letters, not a detach (CI run
    // 157 typed a `d` at the lane's prompt and waited for the console in vain).
    wait_until_or(
        "the nested tmux client",
        Duration::from_secs(30),
        || {
            let shown = t.contents();
            shown.contains("[par-") && !shown.contains(" LANES ")
        },
        || format!("helios shows:\n{}", t.contents()),
    );
    t.keys(b"echo across-$((6*7))\r");
    t.wait_for("the lane's shell", "across-42", Duration::from_secs(30));
    detach(&world, &t.tty);
    t.wait_for(
        "the console back",
        "back from lane a",
        Duration::from_secs(30),
    );
}

/// `a` and `lane attach` on a lane whose tmux session is gone are refused with the fix, and
/// recorded as errors. tmux ran anyway: "can't find session", recorded ok, and the console
/// said it was back from a detach.
#[test]
fn attach_to_a_lane_whose_session_is_gone_is_refused() {
    require("par");
    require("tmux");
    let world = World::new("goneattach");
    lane_a_whose_session_is_gone(&world);
    let out = world
        .helios()
        .args(["lane", "attach", "a"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("is gone") && err.contains("par open a"),
        "{err}"
    );
    let mut t = tui::Tui::start(&world, &[]);
    t.wait_for("lane a listed", " a ", Duration::from_secs(30));
    t.keys(b"a");
    t.wait_for(
        "the refusal",
        "is gone: `par open a`",
        Duration::from_secs(30),
    );
    let events = stdout(
        &world
            .helios()
            .args(["events", "--json", "--lane", "a"])
            .output()
            .unwrap(),
    );
    let attached: Vec<Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "lane.attached")
        .collect();
    assert_eq!(attached.len(), 2, "{events}");
    assert!(attached.iter().all(|e| e["result"] == "error"), "{events}");
}

/// Par lane `a` in `world`, whose tmux session is then killed.
fn lane_a_whose_session_is_gone(world: &World) {
    let out = world.helios().args(["lane", "new", "a"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Value = serde_json::from_str(&stdout(
        &world
            .helios()
            .args(["lane", "ls", "--json"])
            .output()
            .unwrap(),
    ))
    .unwrap();
    let session = listed[0]["session"].as_str().unwrap().to_string();
    assert!(
        world
            .tmux(&["kill-session", "-t", &format!("={session}")])
            .status
            .success()
    );
}

/// Enter on a lane whose tmux session is gone shows nothing: it is refused with the fix on the
/// status line, and the lane stays on the needs-you queue (`!`). Before, Enter acknowledged it
/// first (`✗`, off the queue, the acknowledgement stored) and then refused it.
#[test]
fn enter_on_a_lane_whose_session_is_gone_keeps_it_on_the_queue() {
    require("par");
    require("tmux");
    let world = World::new("goneenter");
    lane_a_whose_session_is_gone(&world);
    let mut t = tui::Tui::start(&world, &[]);
    t.wait_for("lane a needing you", "! a ", Duration::from_secs(30));
    t.keys(b"\r");
    // The pane says how too; the status line's flash names the lane.
    t.wait_for(
        "the refusal",
        "lane a's tmux session is gone: `par open a` makes it again",
        Duration::from_secs(30),
    );
    let screen = t.contents();
    assert!(screen.contains("! a "), "{screen}");
    assert!(!screen.contains("✗ a "), "{screen}");
}

/// `lane send all` with no text is refused: Enter in every lane would answer each waiting
/// permission menu with its highlighted default. A request that cannot be, as a bad argument
/// is: exit 2, nothing journalled (nothing was tried), and no ERROR in the log, which is for
/// helios's own failures. To one lane by name it is a plain Enter.
#[test]
fn an_empty_send_to_all_lanes_is_refused() {
    require("par");
    require("tmux");
    let world = World::new("emptyall");
    let out = world.helios().args(["lane", "new", "a"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let log = world.path("refused.log");
    for text in ["", "  "] {
        let out = world
            .helios()
            .arg("--log-file")
            .arg(&log)
            .env("HELIOS_LOG", "info")
            .args(["lane", "send", "all", "--", text])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains("refused: no text") && err.contains("one lane by name"),
            "{err}"
        );
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("INFO") && logged.contains("lane send all refused"),
        "{logged}"
    );
    assert!(!logged.contains("ERROR"), "{logged}");
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let events = String::from_utf8_lossy(&out.stdout);
    assert!(events.contains("lane.created"), "{events}");
    assert!(!events.contains("lane.text_sent"), "{events}");
    let one = world
        .helios()
        .args(["lane", "send", "a", "--", ""])
        .output()
        .unwrap();
    assert!(one.status.success(), "{}", stderr(&one));
}

/// A 900 KB send through `helios serve` is typed (as one paste: stdin holds what no argument
/// can); one that fails answers in one short line, and serve's log lines stay short.
#[test]
fn a_huge_serve_send_is_typed_and_a_failed_one_answers_in_one_short_line() {
    require("par");
    require("tmux");
    let nats = servers::NatsServer::start(&[]);
    let world = World::new("big");
    let made = world.helios().args(["lane", "new", "wt"]).output().unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let log = world.path("serve.log");
    let serve = KillOnDrop(
        world
            .helios()
            .args(["serve", "--host", "box", "--heartbeat", "1", "--scan", "1"])
            .arg("--log-file")
            .arg(&log)
            .env("HELIOS_LOG", "info")
            .env("NATS_URL", nats.url())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rows = || {
        world
            .helios()
            .args(["lane", "ls", "--all-hosts", "--json"])
            .env("NATS_URL", nats.url())
            .output()
            .map(|o| stdout(&o))
            .unwrap_or_default()
    };
    wait_until_or(
        "serve publishes lane wt",
        Duration::from_secs(30),
        || rows().contains("\"wt\""),
        || format!("{}\n{}", rows(), support::read(&log)),
    );
    // Nine words of 100 KB: each fits in an argument; together one 900 KB text, more than an
    // argument may hold.
    let word = "x".repeat(100_000);
    let send = || {
        world
            .helios()
            .args(["lane", "send", "wt", "--host", "box", "--"])
            .args(std::iter::repeat_n(word.as_str(), 9))
            .env("NATS_URL", nats.url())
            .output()
            .unwrap()
    };
    let out = send();
    let head: String = stderr(&out).chars().take(500).collect();
    assert!(out.status.success(), "{head}");
    // The lane's session gone, the same send fails: one short line, without the text.
    let lanes = |verb: &str| -> serde_json::Value {
        let out = world.helios().args(["lane", verb, "--json"]).output();
        serde_json::from_str(&stdout(&out.unwrap())).unwrap()
    };
    let listed = lanes("ls");
    let session = listed[0]["session"].as_str().unwrap().to_string();
    // `list` is `ls` too, as tmux's list-sessions is `ls`.
    assert_eq!(lanes("list"), listed);
    let killed = std::process::Command::new("tmux")
        .args(["kill-session", "-t", &format!("={session}")])
        .envs(world.env())
        .env_remove("TMUX")
        .status()
        .unwrap();
    assert!(killed.success());
    let out = send();
    drop(serve);
    let err = stderr(&out);
    let head: String = err.chars().take(500).collect();
    assert_eq!(out.status.code(), Some(1), "{head}");
    assert!(err.len() < 1000, "the answer is {} bytes long", err.len());
    assert!(err.contains("no running tmux session"), "{err}");
    let logged = support::read(&log);
    assert!(logged.contains("request answered: ok false"), "{logged}");
    let longest = logged.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2000, "a log line of {longest} bytes");
}
