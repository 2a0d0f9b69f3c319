//! helios's console in a PTY of its own, with a screen model of what it draws, for black-box
//! tests of the console against real par, tmux and git. Include with
//! `#[path = "support/tui.rs"] mod tui;` next to `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portable_pty::{Child, CommandBuilder};
use vt100_016::Parser;

use crate::support::{World, helios_bin, wait_until_or};

/// The running console; killed when dropped.
pub struct Tui {
    screen: Arc<Mutex<Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    /// The terminal's device (`/dev/pts/N`), as tmux names a client's.
    pub tty: String,
}

impl Tui {
    /// Start `helios` (the console) in the world's repo on a 30x160 screen, with `env` added.
    pub fn start(world: &World, env: &[(&str, &str)]) -> Self {
        Self::run(world, &[], env)
    }

    /// Start `helios ARGS` the same way (a command that takes the terminal, `lane attach`).
    pub fn run(world: &World, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = CommandBuilder::new(helios_bin());
        cmd.args(args);
        let crate::support::Pty {
            child,
            mut reader,
            writer,
            master,
            tty,
        } = crate::support::spawn_in_pty(world, cmd, env, 30, 160);
        let screen = Arc::new(Mutex::new(Parser::new(30, 160, 0)));
        let s = screen.clone();
        std::thread::spawn(move || {
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
            master,
            tty,
        }
    }

    /// Resize the console's terminal (as a window resized), and the screen model with it.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.master
            .resize(portable_pty::PtySize {
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
