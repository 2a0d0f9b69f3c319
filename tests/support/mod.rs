//! Shared helpers for integration tests: waiting for conditions, free ports, temporary repos and
//! isolated environments for tmux and par. Each test binary includes this with `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Poll `pred` until it returns true or `timeout` passes; panics with `what` on timeout.
pub fn wait_until(what: &str, timeout: Duration, pred: impl FnMut() -> bool) {
    wait_until_or(what, timeout, pred, String::new);
}

/// Like [`wait_until`], and on timeout the panic message adds what `show` returns (the screen,
/// a log) so a failure says what was there instead.
pub fn wait_until_or(
    what: &str,
    timeout: Duration,
    mut pred: impl FnMut() -> bool,
    show: impl Fn() -> String,
) {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    while !pred() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}\n{}",
            show()
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Poll `pred` until it returns true (true) or `timeout` passes (false), for a wait whose
/// timeout is an answer, not a failure.
pub fn poll(timeout: Duration, mut pred: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if pred() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The built helios binary; `HELIOS_BIN` overrides it (a private copy when several worktrees
/// share one target dir and overwrite each other's binary).
pub fn helios_bin() -> PathBuf {
    std::env::var_os("HELIOS_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_helios")),
        PathBuf::from,
    )
}

/// A program the test needs; fails (never skips) when it is missing.
pub fn require(program: &str) -> PathBuf {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} is not on PATH: run the tests with scripts/test.sh, which installs it"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// An isolated world for one test: a git repo with one commit, and private XDG and tmux dirs.
pub struct World {
    /// Holds every directory below.
    pub root: tempfile::TempDir,
    /// The git repo.
    pub repo: PathBuf,
}

impl World {
    /// A new world with a repo named `name`.
    pub fn new(name: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join(name);
        std::fs::create_dir_all(&repo).unwrap();
        for d in ["config", "data", "state", "tmux", "home", "run"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        let w = Self { root, repo };
        w.git(&["init", "-q", "-b", "main"]);
        std::fs::write(w.repo.join("README.md"), "hello\n").unwrap();
        w.git(&["add", "."]);
        w.git(&[
            "-c",
            "user.email=t@t",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "-m",
            "init",
        ]);
        w
    }

    /// Run git in the repo; panics on failure.
    pub fn git(&self, args: &[&str]) {
        let st = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(args)
            .status()
            .unwrap();
        assert!(st.success(), "git {args:?} failed");
    }

    /// Run tmux against this world's private server, in the repo; its output, whatever the
    /// exit status (callers assert what they need).
    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(args)
            .envs(self.env())
            .env_remove("TMUX")
            .current_dir(&self.repo)
            .output()
            .unwrap()
    }

    /// Environment variables that isolate helios, par and tmux to this world.
    pub fn env(&self) -> Vec<(String, String)> {
        let p = |d: &str| self.root.path().join(d).display().to_string();
        vec![
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("TMUX_TMPDIR".into(), p("tmux")),
            // Consoles' wake sockets (lane states from hooks) stay in the world.
            ("XDG_RUNTIME_DIR".into(), p("run")),
            ("HOME".into(), p("home")),
            ("GIT_AUTHOR_NAME".into(), "t".into()),
            ("GIT_AUTHOR_EMAIL".into(), "t@t".into()),
            ("GIT_COMMITTER_NAME".into(), "t".into()),
            ("GIT_COMMITTER_EMAIL".into(), "t@t".into()),
        ]
    }

    /// A `Command` for the helios binary with this world's environment, in the repo.
    pub fn helios(&self) -> Command {
        let mut c = Command::new(helios_bin());
        c.current_dir(&self.repo)
            .envs(self.env())
            .env_remove("TMUX")
            .env_remove("ZELLIJ");
        c
    }

    /// A path inside the world's root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Stop this world's tmux server so no session outlives the test.
        let _ = Command::new("tmux")
            .env("TMUX_TMPDIR", self.root.path().join("tmux"))
            .env_remove("TMUX")
            .arg("kill-server")
            .output();
        // And whatever else it started and left: a console its test left stopped (a job of a
        // shell in a tmux pane, once stopped, outlived CI runs in state T), a serve. Found by
        // the world's HOME, which no other process has.
        kill_left(&format!("HOME={}", self.root.path().join("home").display()));
    }
}

/// SIGKILL every process (but this one) whose environment holds `var` (`NAME=value`).
fn kill_left(var: &str) {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    let me = std::process::id();
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(env) = std::fs::read(p.path().join("environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|v| v == var.as_bytes())
            && let Some(pid) = i32::try_from(pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
        {
            // Gone already, or not ours to kill: nothing left to do either way.
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}

/// Read a file to a string, or empty.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A program running in a PTY of its own.
pub struct Pty {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub reader: Box<dyn std::io::Read + Send>,
    pub writer: Box<dyn std::io::Write + Send>,
    pub master: Box<dyn portable_pty::MasterPty + Send>,
    /// The terminal's device (`/dev/pts/N`), as tmux names a client's.
    pub tty: String,
}

/// Start `cmd` in a new `rows` x `cols` PTY, in `world`'s repo with its environment, as in a
/// plain terminal (TERM=xterm-256color, no TMUX or ZELLIJ), with `env` added.
pub fn spawn_in_pty(
    world: &World,
    mut cmd: portable_pty::CommandBuilder,
    env: &[(&str, &str)],
    rows: u16,
    cols: u16,
) -> Pty {
    let pair = portable_pty::native_pty_system()
        .openpty(portable_pty::PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    cmd.cwd(&world.repo);
    for (k, v) in world.env() {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("TMUX");
    cmd.env_remove("ZELLIJ");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let reader = pair.master.try_clone_reader().unwrap();
    let writer = pair.master.take_writer().unwrap();
    let tty = pair
        .master
        .tty_name()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    Pty {
        child,
        reader,
        writer,
        master: pair.master,
        tty,
    }
}
