//! helios's console in a PTY of its own, with a screen model of what it draws, for black-box
//! tests of the console against real par, tmux and git. Include with
//! `#[path = "support/tui.rs"] mod tui;` next to `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use vt100_016::Parser;

use crate::support::{World, helios_bin, wait_until_or};

/// The running console; killed when dropped.
pub struct Tui {
    screen: Arc<Mutex<Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    /// The terminal's device (`/dev/pts/N`), as tmux names a client's.
    pub tty: String,
}

impl Tui {
    /// Start `helios` (the console) in the world's repo on a 30x160 screen, with `env` added.
    pub fn start(world: &World, env: &[(&str, &str)]) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 160,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(helios_bin());
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
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let tty = pair
            .master
            .tty_name()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let screen = Arc::new(Mutex::new(Parser::new(30, 160, 0)));
        let s = screen.clone();
        std::thread::spawn(move || {
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
            }
        });
        Self {
            screen,
            writer,
            child,
            tty,
        }
    }

    /// The screen's text.
    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Type bytes.
    pub fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// Wait until the screen shows `needle`; on timeout the panic shows the screen.
    pub fn wait_for(&self, what: &str, needle: &str, timeout: Duration) {
        wait_until_or(
            what,
            timeout,
            || self.contents().contains(needle),
            || format!("helios shows:\n{}", self.contents()),
        );
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
