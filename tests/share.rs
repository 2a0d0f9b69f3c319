//! Sharing lanes. tmate is run for real for the failure path, always pointed at a closed port on
//! 127.0.0.1 (never at tmate's public default server): it must time out cleanly with nothing
//! left running. The success paths of
//! tmate and upterm run against the stand-ins in tests/fixtures/share/ (put first on PATH),
//! which take each tool's documented command line and print its documented output; the lane
//! itself is a real par lane in a real tmux server, and the stand-ins really attach to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use support::World;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/share")
}

fn standin_path() -> String {
    format!(
        "{}:{}",
        fixtures().display(),
        std::env::var("PATH").unwrap()
    )
}

/// A world with one real par lane `alpha` and a config with a short readiness timeout.
fn world_with_lane(config: &str) -> World {
    support::require("par");
    support::require("tmux");
    let w = World::new("repo");
    let out = Command::new("par")
        .current_dir(&w.repo)
        .envs(w.env())
        .env_remove("TMUX")
        .args(["start", "alpha"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "par start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = w.path("config/helios");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("[share]\nready_timeout_secs = 3\n{config}"),
    )
    .unwrap();
    w
}

fn lane_session(w: &World) -> String {
    let state = std::fs::read_to_string(w.path("data/par/global_state.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&state).unwrap();
    v["sessions"]["alpha"]["tmux_session_name"]
        .as_str()
        .unwrap()
        .to_string()
}

fn tmux(w: &World, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .envs(w.env())
        .env_remove("TMUX")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn helios(w: &World, path: Option<&str>, args: &[&str]) -> Output {
    let mut c = w.helios();
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.env("HELIOS_STANDIN_LOG", w.path("standin.log"));
    c.args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// (action, result, detail) of every journalled event.
fn events(w: &World) -> Vec<(String, String, String)> {
    let db = rusqlite::Connection::open(w.path("state/helios/helios.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT action, result, detail FROM events ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Processes whose command line mentions this world's directory (tmate servers, watchdogs).
fn processes_of(w: &World) -> Vec<String> {
    let root = w.root.path().display().to_string();
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == me {
            continue;
        }
        let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if cmd.contains(&root) && !zombie && !cmd.contains("tmux/tmux-") {
            found.push(format!("{name}: {cmd}"));
        }
    }
    found
}

fn share_processes(w: &World) -> Vec<String> {
    processes_of(w)
        .into_iter()
        .filter(|p| {
            p.contains("tmate")
                || p.contains("upterm")
                || p.contains("helios-share")
                || p.contains("/shares/")
        })
        .collect()
}

fn assert_nothing_left(w: &World) {
    support::wait_until("share processes to end", Duration::from_secs(10), || {
        share_processes(w).is_empty()
    });
    let shares = w.path("state/helios/shares");
    let left: Vec<_> = std::fs::read_dir(&shares)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "share directories left: {left:?}");
}

#[test]
fn real_tmate_with_unreachable_self_hosted_server_times_out_cleanly() {
    support::require("tmate");
    let port = support::free_port();
    let w = world_with_lane(&format!(
        "tmate_host = \"127.0.0.1\"\ntmate_port = {port}\n"
    ));
    let out = helios(&w, None, &["share", "start", "alpha", "--via", "tmate"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "tmate did not report its links within 3s (server 127.0.0.1:{port} unreachable?)"
        )),
        "{err}"
    );
    assert!(err.contains("nothing was left running"), "{err}");
    assert_nothing_left(&w);
    let ls = helios(&w, None, &["share", "ls", "--json"]);
    assert_eq!(stdout(&ls).trim(), "[]");
    let ev = events(&w);
    assert!(
        ev.iter()
            .any(|(a, r, d)| a == "share.failed" && r == "error" && d.contains("within 3s")),
        "{ev:?}"
    );
}

/// Read-write against real tmate. Every test that runs real tmate names a closed loopback port
/// as its server, so none depends on the machine having no network (tmate's default server is
/// public) and none can publish a lane.
#[test]
fn real_tmate_read_write_times_out_cleanly() {
    support::require("tmate");
    let port = support::free_port();
    let w = world_with_lane(&format!(
        "tmate_host = \"127.0.0.1\"\ntmate_port = {port}\n"
    ));
    let out = helios(
        &w,
        None,
        &["share", "start", "alpha", "--via", "tmate", "--rw"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("within 3s (server 127.0.0.1:{port} unreachable?)")),
        "{}",
        stderr(&out)
    );
    assert_nothing_left(&w);
}

/// helios run inside tmux (`TMUX` and `TMUX_PANE` set, as in any tmux pane): tmate refuses to
/// start nested ("sessions should be nested with care"), so helios runs it with both unset. The
/// share gets as far as waiting for the (closed) server, and says what it waits for, how long.
#[test]
fn real_tmate_from_inside_tmux_starts_and_says_what_it_waits_for() {
    support::require("tmate");
    let port = support::free_port();
    let w = world_with_lane(&format!(
        "tmate_host = \"127.0.0.1\"\ntmate_port = {port}\n"
    ));
    let uid = Command::new("id").arg("-u").output().unwrap();
    let socket = w.path(&format!(
        "tmux/tmux-{}/default",
        String::from_utf8_lossy(&uid.stdout).trim()
    ));
    assert!(
        socket.exists(),
        "the lane's tmux socket {}",
        socket.display()
    );
    let out = w
        .helios()
        .env("TMUX", format!("{},1,0", socket.display()))
        .env("TMUX_PANE", "%0")
        .args(["share", "start", "alpha", "--via", "tmate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(!err.contains("nested"), "{err}");
    assert!(
        err.contains(
            "starting tmate for lane alpha: waiting for tmate to report its links (up to 3 s)…"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "tmate did not report its links within 3s (server 127.0.0.1:{port} unreachable?)"
        )),
        "{err}"
    );
    assert_nothing_left(&w);
}

#[test]
fn missing_tool_says_so_and_records_the_failure() {
    let w = world_with_lane("");
    // A PATH with tmux and sh but neither tmate nor upterm.
    let bin = w.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for p in ["tmux", "sh", "git"] {
        std::os::unix::fs::symlink(support::require(p), bin.join(p)).unwrap();
    }
    let out = helios(
        &w,
        Some(&bin.display().to_string()),
        &["share", "start", "alpha", "--via", "upterm"],
    );
    assert!(
        stderr(&out).contains("upterm is not installed (not on PATH)"),
        "{}",
        stderr(&out)
    );
    let ev = events(&w);
    assert!(
        ev.iter()
            .any(|(a, _, d)| a == "share.failed" && d.contains("not installed"))
    );
    assert_nothing_left(&w);
}

#[test]
fn tmate_standin_read_only_share_attaches_read_only_and_stops() {
    let w = world_with_lane(
        "tmate_host = \"tmate.example.org\"\ntmate_port = 2222\ntmate_ed25519_fingerprint = \"SHA256:abc\"\n",
    );
    let session = lane_session(&w);
    let path = standin_path();
    let out = helios(
        &w,
        Some(&path),
        &["share", "start", "alpha", "--via", "tmate", "--ttl", "10m"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("sharing lane alpha over tmate (read-only)"),
        "{text}"
    );
    assert!(text.contains("ssh ro-standintoken"), "{text}");
    assert!(
        text.contains("https://tmate.invalid/t/ro-standintoken"),
        "{text}"
    );
    // The lane's real tmux server has one read-only client: the share.
    support::wait_until(
        "the share to attach to the lane",
        Duration::from_secs(10),
        || {
            tmux(
                &w,
                &["list-clients", "-t", &session, "-F", "#{client_readonly}"],
            )
            .trim()
                == "1"
        },
    );
    let log = std::fs::read_to_string(w.path("standin.log")).unwrap();
    assert!(
        log.contains("set -g tmate-server-host 'tmate.example.org'"),
        "{log}"
    );
    assert!(log.contains("set -g tmate-server-port '2222'"), "{log}");
    assert!(
        log.contains("set -g tmate-server-ed25519-fingerprint 'SHA256:abc'"),
        "{log}"
    );
    let ls = helios(&w, Some(&path), &["share", "ls", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&ls)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["lane"], "alpha");
    assert_eq!(v[0]["rw"], false);
    // The share's server and its TTL watchdog run (so the "nothing left" checks can see them).
    let running = share_processes(&w);
    assert!(
        running.iter().any(|p| p.contains("helios-share-ttl")),
        "{running:?}"
    );
    assert!(
        running.iter().any(|p| p.contains("server.sock")),
        "{running:?}"
    );
    // Starting again is refused while the share runs.
    let again = helios(&w, Some(&path), &["share", "start", "alpha"]);
    assert!(
        stderr(&again).contains("already shared over tmate"),
        "{}",
        stderr(&again)
    );
    let stop = helios(&w, Some(&path), &["share", "stop", "alpha"]);
    assert!(stop.status.success(), "{}", stderr(&stop));
    support::wait_until("the share to detach", Duration::from_secs(10), || {
        tmux(
            &w,
            &["list-clients", "-t", &session, "-F", "#{client_readonly}"],
        )
        .trim()
        .is_empty()
    });
    assert_nothing_left(&w);
    let ev = events(&w);
    let actions: Vec<&str> = ev.iter().map(|(a, _, _)| a.as_str()).collect();
    assert!(
        actions.contains(&"share.started") && actions.contains(&"share.stopped"),
        "{actions:?}"
    );
    for (_, _, d) in &ev {
        assert!(
            !d.contains("standintoken"),
            "a link leaked into an event: {d}"
        );
    }
    assert!(
        ev.iter()
            .any(|(a, _, d)| a == "share.started" && d.contains("****@lon1.tmate.invalid"))
    );
}

#[test]
fn tmate_standin_read_write_share_attaches_read_write() {
    let w = world_with_lane("");
    let session = lane_session(&w);
    let path = standin_path();
    let out = helios(&w, Some(&path), &["share", "start", "alpha", "--rw"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(read-write)"));
    assert!(!stdout(&out).contains("ro-standintoken"));
    support::wait_until("a read-write client", Duration::from_secs(10), || {
        tmux(
            &w,
            &["list-clients", "-t", &session, "-F", "#{client_readonly}"],
        )
        .trim()
            == "0"
    });
    helios(&w, Some(&path), &["share", "stop", "alpha"]);
    assert_nothing_left(&w);
}

#[test]
fn tmate_standin_that_never_gets_ready_times_out_cleanly() {
    let w = world_with_lane("");
    let mut c = w.helios();
    c.env("PATH", standin_path())
        .env("HELIOS_STANDIN_TMATE_HANG", "1");
    let out = c.args(["share", "start", "alpha"]).output().unwrap();
    assert!(
        stderr(&out).contains("did not report its links within 3s"),
        "{}",
        stderr(&out)
    );
    assert_nothing_left(&w);
}

#[test]
fn expired_and_dead_shares_are_found_again_and_ended() {
    let w = world_with_lane("");
    let path = standin_path();
    let out = helios(&w, Some(&path), &["share", "start", "alpha", "--ttl", "5m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Pretend the TTL passed while no helios ran: the next helios expires it.
    let db = rusqlite::Connection::open(w.path("state/helios/helios.db")).unwrap();
    db.execute("UPDATE shares SET expires = '2000-01-01T00:00:00Z'", [])
        .unwrap();
    let ls = helios(&w, Some(&path), &["share", "ls", "--json"]);
    assert_eq!(stdout(&ls).trim(), "[]");
    assert_nothing_left(&w);
    assert!(events(&w).iter().any(|(a, _, _)| a == "share.expired"));
    // A share whose server died is marked ended.
    let out = helios(&w, Some(&path), &["share", "start", "alpha", "--ttl", "5m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let socket: String = db
        .query_row("SELECT socket FROM shares WHERE ended IS NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    Command::new("tmux")
        .args(["-S", &socket, "kill-server"])
        .status()
        .unwrap();
    let ls = helios(&w, Some(&path), &["share", "ls", "--json"]);
    assert_eq!(stdout(&ls).trim(), "[]");
    let reason: String = db
        .query_row(
            "SELECT end_reason FROM shares ORDER BY started DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reason, "died");
    assert!(
        events(&w)
            .iter()
            .any(|(a, r, _)| a == "share.ended" && r == "error")
    );
    assert_nothing_left(&w);
}

#[test]
fn upterm_standin_read_only_share_and_clients() {
    let w = world_with_lane(
        "upterm_server = \"ssh://upterm.example.org:22\"\nupterm_github_users = [\"octocat\"]\n",
    );
    let session = lane_session(&w);
    let path = standin_path();
    let out = helios(
        &w,
        Some(&path),
        &["share", "start", "alpha", "--via", "upterm"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("over upterm (read-only)"), "{text}");
    assert!(text.contains("@upterm.example.org"), "{text}");
    let log = std::fs::read_to_string(w.path("standin.log")).unwrap();
    assert!(
        log.contains("upterm host --accept --server ssh://upterm.example.org:22 --read-only --github-user octocat -- sh"),
        "{log}"
    );
    support::wait_until(
        "the upterm share to attach",
        Duration::from_secs(10),
        || {
            tmux(
                &w,
                &["list-clients", "-t", &session, "-F", "#{client_readonly}"],
            )
            .trim()
                == "1"
        },
    );
    // Who is attached, as upterm's session command reports it.
    let admin = std::fs::read_to_string(
        std::fs::read_dir(w.path("state/helios/shares"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .join("admin-socket"),
    )
    .unwrap();
    std::fs::write(format!("{admin}.clients"), "octocat 203.0.113.7\n").unwrap();
    let ls = helios(&w, Some(&path), &["share", "ls", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&ls)).unwrap();
    assert_eq!(v[0]["clients"][0], "octocat 203.0.113.7");
    assert_eq!(v[0]["tool"], "upterm");
    let _ = std::fs::remove_file(format!("{admin}.clients"));
    helios(&w, Some(&path), &["share", "stop", "alpha"]);
    assert_nothing_left(&w);
}

#[test]
fn upterm_standin_unreachable_server_fails_with_its_message() {
    let w = world_with_lane("upterm_server = \"ssh://unreachable.invalid:22\"\n");
    let out = helios(
        &w,
        Some(&standin_path()),
        &["share", "start", "alpha", "--via", "upterm"],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("upterm host ended before sharing"), "{err}");
    assert!(err.contains("error connecting to upterm server"), "{err}");
    assert_nothing_left(&w);
}

#[test]
fn plain_worktree_lanes_and_bad_ttls_are_refused() {
    let w = world_with_lane("");
    w.git(&["worktree", "add", "-q", "../plain", "-b", "plain"]);
    let out = helios(&w, Some(&standin_path()), &["share", "start", "plain"]);
    assert!(
        stderr(&out)
            .contains("lane plain has no tmux session to share (it is a plain worktree lane)"),
        "{}",
        stderr(&out)
    );
    let out = helios(
        &w,
        Some(&standin_path()),
        &["share", "start", "alpha", "--ttl", "forever"],
    );
    assert!(
        stderr(&out).contains("bad --ttl \"forever\""),
        "{}",
        stderr(&out)
    );
    let out = helios(&w, Some(&standin_path()), &["share", "stop", "alpha"]);
    assert!(
        stderr(&out).contains("lane alpha is not shared"),
        "{}",
        stderr(&out)
    );
}
