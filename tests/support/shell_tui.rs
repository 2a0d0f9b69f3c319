//! helios in a PTY of its own under `sh -c`, so what the terminal shows after helios exits (its
//! exit status, `stty -a`) is read too: the harness of `tests/blackbox.rs`. Include with
//! `#[path = "support/shell_tui.rs"] mod shell_tui;` next to `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize};
use vt100_016::Parser;

use crate::support::{self, World, wait_until, wait_until_or};

pub const WAIT: Duration = Duration::from_secs(30);

/// helios running in a PTY of its own, with a screen model of what it draws.
pub struct Tui {
    screen: Arc<Mutex<Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    /// The terminal's device (`/dev/pts/N`), as tmux names a client's.
    pub tty: String,
}

impl Tui {
    /// Run `sh -c 'helios; stty -a'` so the tty's modes after helios are printed too; `stty-done`
    /// marks the end of that output.
    pub fn start(world: &World, env: &[(&str, &str)]) -> Self {
        let bin = support::helios_bin();
        let script = format!(
            "'{}'; echo \"helios-exit=$?\"; stty -a; echo stty-done",
            bin.display()
        );
        Self::start_script(world, env, &script)
    }

    /// Run `sh -c SCRIPT` in the PTY instead.
    pub fn start_script(world: &World, env: &[(&str, &str)], script: &str) -> Self {
        let mut cmd = CommandBuilder::new("sh");
        cmd.args(["-c", script]);
        let support::Pty {
            child,
            mut reader,
            writer,
            master,
            tty,
        } = support::spawn_in_pty(world, cmd, env, 30, 110);
        let screen = Arc::new(Mutex::new(Parser::new(30, 110, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            screen,
            raw,
            writer,
            child,
            master,
            tty,
        }
    }

    /// Resize the terminal helios runs in (it gets SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.screen
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub fn raw(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    pub fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn wait_for(&self, what: &str, needle: &str) {
        wait_until_or(
            what,
            WAIT,
            || self.contents().contains(needle),
            || self.shows(),
        );
    }

    /// What helios shows, and its panic message when it panicked (the screen alone shows only
    /// the end of the backtrace).
    pub fn shows(&self) -> String {
        let raw = self.raw();
        let panic = raw
            .find("panicked at")
            .map(|i| raw[i..].lines().take(3).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        format!("helios shows:\n{}\n{panic}", self.contents())
    }

    /// Wait until the tty showed `marker`; returns everything it showed.
    pub fn wait_exit_with(&mut self, marker: &str) -> String {
        wait_until_or(
            marker,
            WAIT,
            || self.raw().contains(marker),
            || self.shows(),
        );
        let _ = self.child.wait();
        self.raw()
    }

    /// Quit with `q` while helios-owned lanes may still run a program: helios then asks
    /// first (their programs end with it), and the answer is yes.
    pub fn quit_owned(&mut self) -> String {
        self.keys(b"q");
        wait_until_or(
            "helios to quit or ask first",
            WAIT,
            || self.contents().contains("Quit?") || self.raw().contains("helios-exit="),
            || self.shows(),
        );
        if self.contents().contains("Quit?") {
            self.keys(b"y");
        }
        self.wait_exit()
    }

    /// Wait for helios to exit; returns everything the tty showed.
    pub fn wait_exit(&mut self) -> String {
        wait_until_or(
            "helios to exit",
            WAIT,
            || {
                let raw = self.raw();
                raw.contains("helios-exit=") && raw.contains("stty-done")
            },
            || self.shows(),
        );
        let _ = self.child.wait();
        self.raw()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The terminal was given back: alternate screen left, and `stty -a` run afterwards shows
/// canonical mode and echo back on (raw mode off).
pub fn assert_restored(out: &str) {
    assert!(out.contains("\x1b[?1049l"), "alternate screen never left");
    let stty = &out[out.rfind("speed").unwrap()..];
    let words: Vec<&str> = stty.split_whitespace().collect();
    assert!(words.contains(&"icanon"), "raw mode still on: {stty}");
    assert!(words.contains(&"echo"), "echo still off: {stty}");
}

pub fn capture_pane(world: &World, session: &str) -> String {
    let out = std::process::Command::new("tmux")
        .args(["capture-pane", "-p", "-t", &format!("={session}:")])
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn session_of(world: &World, label: &str) -> String {
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    let lanes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    lanes
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == label)
        .unwrap()["session"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The pid of the helios running in `world`'s repo.
pub fn helios_pid(world: &World) -> String {
    let mut found = String::new();
    wait_until("helios's pid", WAIT, || {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let p = entry.path();
            let exe = std::fs::read_link(p.join("exe")).unwrap_or_default();
            let cwd = std::fs::read_link(p.join("cwd")).unwrap_or_default();
            if exe == support::helios_bin() && cwd == world.repo {
                found = entry.file_name().to_string_lossy().into_owned();
                return true;
            }
        }
        false
    });
    found
}
