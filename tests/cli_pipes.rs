//! A reader that leaves early (`helios status | head -1`, `| true`) is not an error: the
//! command stops quietly with exit status 0, never a Rust panic (exit 101, "failed printing to
//! stdout"). And `helios hook`, inside an agent's turn, exits 0 even with nobody on its stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use support::World;

/// A pipe whose read end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

fn assert_quiet_stop(what: &str, out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{what}: {err}"
    );
    assert_eq!(out.status.code(), Some(0), "{what}: {err}");
}

/// Run `cmd` with stdout a closed pipe, stderr captured.
fn to_closed_stdout(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn commands_stop_quietly_when_their_reader_leaves() {
    let world = World::new("pipes");
    std::fs::write(
        world.repo.join(".helios.toml"),
        "[attention]\nquiet_secs = 5\n",
    )
    .unwrap();
    assert!(
        world
            .helios()
            .arg("trust")
            .output()
            .unwrap()
            .status
            .success()
    );
    world.git(&["worktree", "add", "-q", "-b", "side", "../side"]);
    let runs: [&[&str]; 11] = [
        &["status"],
        &["status", "--json"],
        &["config", "show"],
        &["config", "check"],
        &["trust", "--list"],
        &["trust"],
        &["lane", "explain", "side"],
        &["lane", "explain", "side", "--json"],
        &["share", "ls"],
        &["completions", "bash"],
        &["completions", "zsh"],
    ];
    for args in runs {
        // Each would print something: checked with a reader, so the test cannot pass idly.
        let read = world
            .helios()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            !read.stdout.is_empty(),
            "{args:?} printed nothing: {read:?}"
        );
        let mut cmd = world.helios();
        cmd.args(args);
        assert_quiet_stop(&format!("{args:?}"), &to_closed_stdout(cmd));
    }
}

#[test]
fn hook_exits_0_with_its_stderr_closed() {
    let world = World::new("hookpipe");
    let mut child = world
        .helios()
        .args(["hook", "claude"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(closed_pipe())
        .spawn()
        .unwrap();
    // A hook that failed to read would show in its exit status below.
    let _ = child.stdin.take().unwrap().write_all(b"garbage\n");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // The same payload with stderr read: it did complain there (so a write was attempted).
    let mut child = world
        .helios()
        .args(["hook", "claude"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A hook that failed to read would show in its exit status below.
    let _ = child.stdin.take().unwrap().write_all(b"garbage\n");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stderr.is_empty());
}
