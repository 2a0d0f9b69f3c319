//! The run's private world: one temporary directory with a git repo, isolated XDG, HOME and
//! tmux socket directories, the go files that start each system's generators, and the 50 MB
//! file for the `cat` test. Dropping it kills every tmux server and zellij session started
//! in it and removes it (generators notice the directory is gone and exit).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use portable_pty::CommandBuilder;

use crate::procs;

/// A marker put in every child's environment, to find stray processes of this run.
pub const MARKER_KEY: &str = "HELIOS_SWARM_RUN";

/// The run's directory tree and environment.
pub struct World {
    /// The temporary root (removed on drop).
    pub root: tempfile::TempDir,
    /// The marker value for this run.
    pub token: String,
}

impl World {
    /// Create the world and a repo named `repo` with one commit.
    pub fn new() -> Result<Self> {
        let root = tempfile::Builder::new().prefix("helios-swarm-").tempdir()?;
        let token = format!(
            "{}-{}",
            std::process::id(),
            root.path().display().to_string().len()
        );
        let w = Self { root, token };
        for d in [
            "config",
            "data",
            "state",
            "home",
            "tmux-par",
            "tmux-plain",
            "tmux-cat",
            "zellij",
            "repo",
            "plain",
        ] {
            std::fs::create_dir_all(w.path(d))?;
        }
        for repo in ["repo", "plain"] {
            w.git(repo, &["init", "-q", "-b", "main"])?;
            std::fs::write(w.path(repo).join("README.md"), "swarm bench\n")?;
            w.git(repo, &["add", "."])?;
            w.git(repo, &["commit", "-q", "-m", "init"])?;
        }
        Ok(w)
    }

    /// A path inside the world.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// The marker as `KEY=VALUE`.
    pub fn marker(&self) -> String {
        format!("{MARKER_KEY}={}", self.token)
    }

    /// Run git in the world's repo at `repo` (a path inside the world).
    pub fn git(&self, repo: &str, args: &[&str]) -> Result<()> {
        let st = self
            .command("git")
            .arg("-C")
            .arg(self.path(repo))
            .args(args)
            .status()?;
        if !st.success() {
            bail!("git {args:?} failed in {repo}");
        }
        Ok(())
    }

    /// The isolated environment every program of the run gets; `tmux_dir` picks the tmux server.
    pub fn env(&self, tmux_dir: &str) -> Vec<(String, String)> {
        let p = |d: &str| self.path(d).display().to_string();
        let path = format!(
            "{}:{}/.cargo/bin:{}",
            par_bin_dir().display(),
            std::env::var("HOME").unwrap_or_default(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_RUNTIME_DIR".into(), p("zellij")),
            ("ZELLIJ_SOCKET_DIR".into(), p("zellij")),
            ("TMUX_TMPDIR".into(), p(tmux_dir)),
            ("HOME".into(), p("home")),
            ("TERM".into(), "xterm-256color".into()),
            ("SHELL".into(), "/bin/bash".into()),
            ("PATH".into(), path),
            ("GIT_AUTHOR_NAME".into(), "bench".into()),
            ("GIT_AUTHOR_EMAIL".into(), "bench@localhost".into()),
            ("GIT_COMMITTER_NAME".into(), "bench".into()),
            ("GIT_COMMITTER_EMAIL".into(), "bench@localhost".into()),
            (MARKER_KEY.into(), self.token.clone()),
        ]
    }

    /// A std Command with the world's environment (default tmux server: the par one).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env("tmux-par"))
            .env_remove("TMUX")
            .env_remove("ZELLIJ")
            .env_remove("ZELLIJ_SESSION_NAME");
        c
    }

    /// A PTY command with the world's environment and the given tmux server directory.
    pub fn pty_command(&self, program: &Path, tmux_dir: &str) -> CommandBuilder {
        let mut c = CommandBuilder::new(program);
        c.env_clear();
        c.env("LANG", "C.UTF-8");
        for (k, v) in self.env(tmux_dir) {
            c.env(k, v);
        }
        c
    }

    /// Run tmux against one of the world's servers; error with its stderr on failure.
    pub fn tmux(&self, tmux_dir: &str, args: &[&str]) -> Result<String> {
        let out = self
            .command("tmux")
            .env("TMUX_TMPDIR", self.path(tmux_dir))
            .args(args)
            .output()
            .context("run tmux")?;
        if !out.status.success() {
            bail!(
                "tmux {args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Where par lives: the repo's `.venv`, else /work/main/.venv, else PATH.
pub fn par_bin_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin");
    if here.join("par").exists() {
        return here;
    }
    PathBuf::from("/work/main/.venv/bin")
}

impl Drop for World {
    fn drop(&mut self) {
        for d in ["tmux-par", "tmux-plain", "tmux-cat"] {
            let _ = self.tmux(d, &["kill-server"]);
        }
        let _ = self
            .command("zellij")
            .arg("kill-all-sessions")
            .arg("--yes")
            .output();
        // Anything of this run still alive (a zellij server, a stuck client): end it by pid.
        let marker = self.marker();
        for name in ["zellij", "tmux: server", "tmux: client", "helios", "bash"] {
            for pid in procs::find(&marker, name) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
        for pid in procs::find_cmdline(&self.root.path().display().to_string()) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}
