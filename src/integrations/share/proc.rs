//! Small process helpers for shares: run with a deadline, find programs, stop servers, and the
//! detached TTL watchdog.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::integrations::share::{Share, Tool};

/// The executable's path on PATH, if any.
pub fn which(program: &str) -> Option<PathBuf> {
    which::which(program).ok()
}

/// Run `cmd` to completion, killing it when `timeout` passes; `None` on timeout or spawn error.
///
/// Its stdout and stderr are read while it runs, on a thread each: a child that writes more
/// than a pipe holds (64 KiB) would otherwise block on the write and never exit.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Option<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| tracing::warn!("cannot run {program}: {e}"))
        .ok()?;
    let deadline = Instant::now() + timeout;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut pause = Duration::from_millis(10);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                tracing::debug!("{program} still running after {timeout:?}: killed");
                if let Err(e) = child.kill().and_then(|()| child.wait().map(drop)) {
                    tracing::warn!("cannot stop {program} after its timeout: {e}");
                }
                return None;
            }
            Ok(None) => {
                // Waiting on an external process with no readiness signal of its own: back off.
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(e) => {
                tracing::warn!("waiting for {program}: {e}");
                return None;
            }
        }
    };
    // A process it left running may hold the pipes open: read until the deadline, no longer.
    let rest = deadline.saturating_duration_since(Instant::now());
    let stdout = stdout.recv_timeout(rest).ok()?;
    let rest = deadline.saturating_duration_since(Instant::now());
    let stderr = stderr.recv_timeout(rest).ok()?;
    Some(Output {
        status,
        stdout,
        stderr,
    })
}

/// Read a pipe to its end on a thread of its own; the bytes arrive on the channel.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    match pipe {
        Some(mut p) => {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Err(e) = p.read_to_end(&mut buf) {
                    tracing::warn!("reading a child's output: {e}");
                }
                // The caller may have stopped waiting.
                let _ = tx.send(buf);
            });
        }
        None => {
            let _ = tx.send(Vec::new());
        }
    }
    rx
}

/// A command for tmate or tmux on a private socket, without the caller's `TMUX` and
/// `TMUX_PANE`: run from inside tmux, tmate refuses every command ("sessions should be nested
/// with care, unset $TMUX to force"), and the socket is always named with `-S` anyway.
pub fn unnested(prog: &str) -> Command {
    let mut c = crate::config::secrets::command(prog);
    c.env_remove("TMUX").env_remove("TMUX_PANE");
    c
}

/// `PROG -S SOCK ARGS...` with a short deadline; stdout trimmed, or `None` on failure.
pub fn query(prog: &str, socket: &Path, args: &[&str]) -> Option<String> {
    let out = run_with_timeout(
        unnested(prog).arg("-S").arg(socket).args(args),
        Duration::from_secs(5),
    )?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Whether the server on `socket` answers.
pub fn has_session(prog: &str, socket: &Path) -> bool {
    socket.exists() && query(prog, socket, &["has-session"]).is_some()
}

/// Stop the server on `socket` (tmate and tmux both take `kill-server`).
pub fn kill_server(prog: &str, socket: &Path) {
    // A server that already died leaves its socket behind: failing to stop it is normal then.
    if socket.exists() && query(prog, socket, &["kill-server"]).is_none() {
        tracing::debug!(socket = %socket.display(), "{prog} kill-server failed (server already gone?)");
    }
}

/// SIGTERM a process if it is still there.
pub fn kill_pid(pid: u32) {
    if pid > 1 {
        let target = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(p) = target {
            signal(
                rustix::process::kill_process(p, rustix::process::Signal::TERM),
                pid,
            );
        }
    }
}

/// SIGTERM a whole process group (the watchdog's `sh` and its `sleep`).
pub fn kill_group(pgid: u32) {
    if pgid > 1 {
        let target = i32::try_from(pgid)
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(p) = target {
            signal(
                rustix::process::kill_process_group(p, rustix::process::Signal::TERM),
                pgid,
            );
        }
    }
}

/// A process already gone is normal; any other failure is logged.
fn signal(result: rustix::io::Result<()>, pid: u32) {
    match result {
        Ok(()) => {}
        Err(rustix::io::Errno::SRCH) => tracing::debug!(pid, "already gone"),
        Err(e) => tracing::warn!(pid, "cannot stop a share's process: {e}"),
    }
}

/// Whether a process with this pid exists.
pub fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Start the detached watchdog that stops the share when its TTL ends, even when no helios
/// runs then: `sh -c 'sleep N; exec PROG -S SOCK kill-server'` in its own process group.
pub fn watchdog(share: &Share, ttl: Duration) -> std::io::Result<u32> {
    use std::os::unix::process::CommandExt;
    let prog = match share.tool {
        Tool::Tmate => "tmate",
        Tool::Upterm => "tmux",
    };
    let child = unnested("sh")
        .arg("-c")
        .arg("sleep \"$1\"; exec \"$2\" -S \"$3\" kill-server")
        .arg("helios-share-ttl")
        .arg(ttl.as_secs().to_string())
        .arg(prog)
        .arg(&share.socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(child.id())
}

/// Single-quote `s` for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_child_writing_more_than_a_pipe_holds_finishes_with_all_its_output() {
        // 1 MiB on each stream: far beyond the 64 KiB a pipe buffers.
        let out = run_with_timeout(
            crate::config::secrets::command("sh")
                .arg("-c")
                .arg("head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; exit 3"),
            Duration::from_secs(60),
        )
        .expect("the child finished");
        assert_eq!(out.stdout.len(), 1 << 20);
        assert_eq!(out.stderr.len(), 1 << 20);
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_and_reported_as_none() {
        let started = Instant::now();
        let out = run_with_timeout(
            crate::config::secrets::command("sleep").arg("30"),
            Duration::from_millis(200),
        );
        assert!(out.is_none());
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn which_finds_only_executables() {
        assert!(which("sh").is_some());
        assert!(which("helios-no-such-program").is_none());
    }
}
