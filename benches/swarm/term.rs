//! A terminal the driver owns: a program (helios, a tmux client, zellij) in a PTY of a given
//! size, its output parsed by a vt100 screen exactly as a user's terminal would show it. A probe
//! (a condition on the screen) is checked after every read, so the time a condition first became
//! visible is known to within one read. Answers the terminal queries (DA1, cursor position) that
//! TUIs send at start-up. The child is killed when the Term is dropped.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use vt100_016 as vt100;

/// A condition on the screen.
pub type Probe = Box<dyn FnMut(&vt100::Screen) -> bool + Send>;

struct State {
    parser: vt100::Parser,
    probe: Option<Probe>,
    hit: Option<Instant>,
    eof: bool,
    bytes: u64,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// A program running in a PTY, with its screen.
pub struct Term {
    shared: Arc<Shared>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    /// The child's process id.
    pub pid: u32,
    /// When the last timed keys were sent, on the monotonic clock (helios's echo trace's).
    pub sent: std::time::Duration,
}

impl Term {
    /// Start `cmd` in a new PTY of `cols` x `rows`.
    pub fn spawn(cmd: CommandBuilder, cols: u16, rows: u16) -> Result<Self> {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .context("openpty")?;
        let child = pair.slave.spawn_command(cmd).context("spawn in pty")?;
        drop(pair.slave);
        let pid = child.process_id().unwrap_or(0);
        let mut reader = pair.master.try_clone_reader().context("pty reader")?;
        let writer = pair.master.take_writer().context("pty writer")?;
        let answers = pair.master.take_writer().ok();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                parser: vt100::Parser::new(rows, cols, 0),
                probe: None,
                hit: None,
                eof: false,
                bytes: 0,
            }),
            changed: Condvar::new(),
        });
        let sh = Arc::clone(&shared);
        std::thread::spawn(move || {
            let mut answers = answers;
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let now = Instant::now();
                let data = &buf[..n];
                let mut st = sh
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                st.parser.process(data);
                st.bytes += n as u64;
                if let Some(w) = answers.as_mut() {
                    answer_queries(data, st.parser.screen(), w);
                }
                if st.hit.is_none() {
                    let State { parser, probe, .. } = &mut *st;
                    if probe.as_mut().is_some_and(|p| p(parser.screen())) {
                        st.hit = Some(now);
                        sh.changed.notify_all();
                    }
                }
            }
            let mut st = sh
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            st.eof = true;
            sh.changed.notify_all();
        });
        Ok(Self {
            shared,
            writer,
            child,
            _master: pair.master,
            pid,
            sent: std::time::Duration::ZERO,
        })
    }

    /// Arm a probe; `wait` then returns when it first holds. Checked at once against the
    /// current screen too.
    pub fn arm(&self, mut probe: Probe) {
        let mut st = self.lock();
        st.hit = if probe(st.parser.screen()) {
            Some(Instant::now())
        } else {
            None
        };
        st.probe = Some(probe);
    }

    /// Send bytes to the program (keys, as typed).
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer.write_all(bytes)?;
        self.writer.flush()?;
        Ok(())
    }

    /// Wait until the armed probe holds; the instant it did, or None on timeout or exit.
    pub fn wait(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(t) = st.hit {
                st.probe = None;
                return Some(t);
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                st.probe = None;
                return None;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, deadline - now)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
    }

    /// Arm `probe`, send `keys`, and return how long until the probe held.
    pub fn time(
        &mut self,
        probe: Probe,
        keys: &[u8],
        timeout: Duration,
    ) -> Result<Option<Duration>> {
        self.arm(probe);
        let t0 = Instant::now();
        self.sent = ::helios::telemetry::echo::monotonic();
        self.send(keys)?;
        Ok(self.wait(timeout).map(|t| t.saturating_duration_since(t0)))
    }

    /// The screen as text (for error messages).
    pub fn contents(&self) -> String {
        self.lock().parser.screen().contents()
    }

    /// Whether the program closed its terminal (exited).
    pub fn exited(&self) -> bool {
        self.lock().eof
    }

    /// Bytes received from the program so far.
    pub fn bytes(&self) -> u64 {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        // SIGHUP first (a terminal closing), then SIGKILL if it is still there after 2 s.
        let _ = self.child.kill();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::process::Command::new("kill")
            .args(["-9", &self.pid.to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Reply to Primary Device Attributes and cursor position requests, as a terminal would.
fn answer_queries(data: &[u8], screen: &vt100::Screen, w: &mut Box<dyn Write + Send>) {
    let has = |needle: &[u8]| data.windows(needle.len()).any(|x| x == needle);
    if has(b"\x1b[c") || has(b"\x1b[0c") {
        let _ = w.write_all(b"\x1b[?62;22c");
    }
    if has(b"\x1b[6n") {
        let (r, c) = screen.cursor_position();
        let _ = w.write_all(format!("\x1b[{};{}R", r + 1, c + 1).as_bytes());
    }
    let _ = w.flush();
}

/// Where `text` first appears on the screen, cell by cell: (row, column of its first char).
pub fn find_text(screen: &vt100::Screen, text: &str) -> Option<(u16, u16)> {
    let chars: Vec<char> = text.chars().collect();
    let (rows, cols) = screen.size();
    for r in 0..rows {
        for c in 0..cols.saturating_sub(chars.len() as u16) {
            if matches_at(screen, r, c, &chars) {
                return Some((r, c));
            }
        }
    }
    None
}

fn cell_char(screen: &vt100::Screen, r: u16, c: u16) -> char {
    screen
        .cell(r, c)
        .and_then(|cell| cell.contents().chars().next())
        .unwrap_or(' ')
}

fn matches_at(screen: &vt100::Screen, r: u16, c: u16, chars: &[char]) -> bool {
    chars
        .iter()
        .enumerate()
        .all(|(i, ch)| cell_char(screen, r, c + i as u16) == *ch)
}

/// A probe: exactly `text` at (row, col), followed by a blank cell (so a longer line from
/// before does not count).
pub fn text_at(row: u16, col: u16, text: &str) -> Probe {
    let chars: Vec<char> = text.chars().collect();
    Box::new(move |screen: &vt100::Screen| {
        matches_at(screen, row, col, &chars)
            && cell_char(screen, row, col + chars.len() as u16) == ' '
    })
}

/// A probe: every one of `needles` is somewhere on the screen.
pub fn all_visible(needles: Vec<String>) -> Probe {
    Box::new(move |screen: &vt100::Screen| {
        let text = screen.contents();
        needles.iter().all(|n| text.contains(n.as_str()))
    })
}

/// The current screen, for locating things after a probe held.
impl Term {
    /// Run `f` on the current screen.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.lock().parser.screen())
    }
}

/// A probe: `needle` on the cursor's row or one of the three rows above it (where a command's
/// last output line lands just before the next prompt). Cheap enough to run on every read of a
/// flood.
pub fn near_cursor(needle: String) -> Probe {
    Box::new(move |screen: &vt100::Screen| {
        let (_, cols) = screen.size();
        let (row, _) = screen.cursor_position();
        (row.saturating_sub(3)..=row)
            .any(|r| screen.contents_between(r, 0, r, cols).contains(&needle))
    })
}
