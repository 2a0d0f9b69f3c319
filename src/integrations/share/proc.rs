//! Small process helpers for shares: run with a deadline, find programs, stop servers, and the
//! detached TTL watchdog.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::integrations::share::{Share, Tool};

/// The program's path on PATH, if any.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Run `cmd` to completion, killing it when `timeout` passes; `None` on timeout or spawn error.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Option<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().ok()?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return child.wait_with_output().ok(),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => {
                // Waiting on an external process with no readiness signal of its own: back off.
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(_) => return None,
        }
    }
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

/// SIGTERM a process if it is still there (with `kill(1)`, keeping this crate free of unsafe).
pub fn kill_pid(pid: u32) {
    if pid > 1 {
        kill(&[pid.to_string()], "process");
    }
}

/// SIGTERM a whole process group (the watchdog's `sh` and its `sleep`).
pub fn kill_group(pgid: u32) {
    if pgid > 1 {
        kill(
            &["-TERM".into(), "--".into(), format!("-{pgid}")],
            "process group",
        );
    }
}

/// `kill ARGS`: a process already gone is normal (kill exits 1); `kill` not running is not.
fn kill(args: &[String], what: &str) {
    match crate::config::secrets::command("kill")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if !s.success() => tracing::debug!(?args, "kill: no such {what} (already gone)"),
        Ok(_) => {}
        Err(e) => tracing::warn!(?args, "cannot run kill to stop a share's {what}: {e}"),
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
