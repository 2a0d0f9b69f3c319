//! `helios osc-tap DIR`: what tmux's `pipe-pane -O` runs for a par lane in `attach` mode. tmux
//! 3.3 keeps OSC 9 and OSC 777 notifications from its attached clients, so helios's own client
//! never sees them; the pane's raw output, piped here, still has them. Each notification is
//! recorded as the lane's signal (source `osc`) through the same step as `helios hook`, and the
//! consoles are woken. It reads until tmux closes the pipe; it never writes to the pane, prints
//! nothing and exits 0 (a failure is logged). Only OSC sequences are looked at (a scan for ESC,
//! not a screen), and one longer than [`OSC_MAX`] is dropped unread, so a lane cannot make the
//! tap hold more than that. With `--feed SOCKET` it also serves the pane's output to consoles
//! (`feed.rs`), never waiting on them.

mod feed;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::agent::{Signal, Source, Status, WaitKind};
use crate::store::lane_state::LaneKey;

/// At most one notification recorded per this interval; one that comes sooner is recorded (the
/// newest of them) when the interval is up, with or without more output. A store write per
/// message would let a lane flood the journal, and the tap never stops reading: tmux keeps
/// whatever the pipe does not take, in the user's tmux server.
const MIN_GAP: Duration = Duration::from_secs(1);

/// How many reads the feed thread may be behind the reader before output is dropped for it.
const FEED_QUEUE: usize = 64;

/// Run the tap for the lane whose worktree holds `dir`, serving its output at `feed`.
pub fn run(dir: &Path, feed: Option<&Path>) -> ExitCode {
    // Every lane has a tap, and under a flood they compete with the echo of the lane in front.
    crate::config::priority::lower_this_thread();
    let (mut serve, served) = feed.and_then(start_feed).unzip();
    let key = match crate::lanes::locate::locate(dir, None) {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!("osc-tap for {}: {e}", dir.display());
            // Still drain the pipe: tmux would block the pane on a full one.
            drain(&mut std::io::stdin().lock(), &mut |bytes| {
                if let Some(s) = &mut serve {
                    s.send(bytes);
                }
            });
            drop(serve);
            join_feed(served);
            return ExitCode::SUCCESS;
        }
    };
    // The reader scans for notifications itself (a search for ESC) and wakes the recorder only
    // when it found one: a flood is not copied to a second thread to be scanned there.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::Builder::new()
        .name("osc-tap-read".into())
        .spawn(move || {
            let mut found = Found::default();
            drain(&mut std::io::stdin().lock(), &mut |bytes| {
                if let Some(s) = &mut serve {
                    s.send(bytes);
                }
                found.advance(bytes);
                // The recorder stops only after this reader; a refused send means it panicked,
                // and the pane's output is still read so tmux is never held up.
                if let Some(text) = found.newest.take()
                    && tx.send(text).is_err()
                {
                    tracing::warn!("osc-tap: the recorder is gone, a notification is not kept");
                }
            });
        });
    if let Err(e) = reader {
        tracing::warn!(
            "osc-tap for lane {}: cannot start its reader: {e}",
            key.lane
        );
        drain(&mut std::io::stdin().lock(), &mut |_| {});
        join_feed(served);
        return ExitCode::SUCCESS;
    }
    let mut tap = Tap::new(key);
    loop {
        let next = match tap.due_in() {
            Some(wait) => rx.recv_timeout(wait),
            None => rx
                .recv()
                .map_err(|_| std::sync::mpsc::RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(text) => tap.feed(text),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => tap.flush(),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    tap.flush();
    join_feed(served);
    ExitCode::SUCCESS
}

/// The reader's end of the feed: chunks handed to the serving thread without waiting.
struct FeedTx {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FeedTx {
    fn send(&mut self, bytes: &[u8]) {
        // Behind: this output is dropped, and the serving thread tells the consoles.
        if let Err(std::sync::mpsc::TrySendError::Full(_)) = self.tx.try_send(bytes.to_vec()) {
            self.lost.store(true, std::sync::atomic::Ordering::Release);
        }
    }
}

/// Bind the feed's socket and start its thread; `None` (logged) when it cannot be, and the
/// tap still records notifications.
fn start_feed(path: &Path) -> Option<(FeedTx, std::thread::JoinHandle<()>)> {
    let server = feed::Server::bind(path)
        .inspect_err(|e| {
            tracing::warn!("osc-tap: cannot serve the lane at {}: {e}", path.display());
        })
        .ok()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(FEED_QUEUE);
    let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let lost_r = lost.clone();
    let thread = std::thread::Builder::new()
        .name("osc-tap-feed".into())
        .spawn(move || feed::serve(server, &rx, &lost_r))
        .inspect_err(|e| tracing::warn!("osc-tap: cannot start the feed thread: {e}"))
        .ok()?;
    Some((FeedTx { tx, lost }, thread))
}

/// Wait for the feed thread to end (the reader has let go of it), so its socket is removed
/// before the process exits.
fn join_feed(thread: Option<std::thread::JoinHandle<()>>) {
    if let Some(t) = thread
        && t.join().is_err()
    {
        tracing::warn!("osc-tap: the feed thread panicked");
    }
}

/// The longest the tap waits after a read that emptied the pipe, so that a lane printing a lot
/// comes in a few large reads a second rather than one per write tmux makes (one per pane read,
/// a few KiB): every read wakes the tap's feed thread and sends each console a frame. With
/// it the taps of 24 lanes flooding at 2 MB/s used 8-9% of a core instead of 14-18% (swarm
/// runs 42-50). A lane behind is drawn at this pace anyway; the lane in front is shown by its own
/// attach client.
const PACE: Duration = crate::pty::BACKGROUND_FRAME;

/// About how much output the tap lets wait in tmux's pipe (tmux 3.3a pipes through a socket
/// pair, and keeps what does not fit in its own memory): a lane printing faster than this
/// per [`PACE`] is read after a shorter wait.
const WAIT_BYTES: usize = 64 * 1024;

/// A read smaller than this (a keystroke's echo, a prompt) is followed by no wait: a lane that
/// has no attach client yet is typed into and shown through its tap.
const SMALL_READ: usize = 1024;

/// How long to wait after a read that emptied the pipe, when `got` bytes came in the `took`
/// since the last wait began: long enough for about [`WAIT_BYTES`] at that rate, at most
/// [`PACE`].
fn pause(got: usize, took: Duration) -> Duration {
    if got == 0 {
        return PACE;
    }
    #[allow(clippy::cast_precision_loss)] // a rate; whole-byte precision is not needed
    let secs = took.as_secs_f64() * WAIT_BYTES as f64 / got as f64;
    Duration::from_secs_f64(secs.min(PACE.as_secs_f64()))
}

/// Whether a read of `n` bytes into a buffer of `cap` is followed by a wait. A full read: more
/// is waiting, read it now. A small one (an echo, a prompt) may be what someone is waiting
/// for: read what follows it at once too.
fn waits_after(n: usize, cap: usize) -> bool {
    n < cap && n >= SMALL_READ
}

/// Read the pane's output until tmux closes the pipe, handing `each` every read.
fn drain(input: &mut impl std::io::Read, each: &mut dyn FnMut(&[u8])) {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut since, mut got) = (Instant::now(), 0usize);
    loop {
        match input.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                each(&buf[..n]);
                got = got.saturating_add(n);
                if waits_after(n, buf.len()) {
                    let wait = pause(got, since.elapsed());
                    (since, got) = (Instant::now(), 0);
                    std::thread::sleep(wait);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!("osc-tap: reading the pane's output: {e}");
                return;
            }
        }
    }
}

/// The longest OSC body read; a longer one (an OSC 52 clipboard copy, or garbage) is skipped.
pub const OSC_MAX: usize = 4096;

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

/// The notification not yet recorded, and when the last one was.
struct Tap {
    key: LaneKey,
    newest: Option<String>,
    last: Option<Instant>,
}

/// Where the scanner is: outside, after ESC, inside an OSC (its body so far, or `None` once it
/// grew past [`OSC_MAX`]), or after an ESC inside one (a string terminator's first byte).
#[derive(Default)]
enum Scan {
    #[default]
    Ground,
    Esc,
    Osc(Option<Vec<u8>>),
    OscEsc(Option<Vec<u8>>),
}

/// The scanner's state and the newest notification it found.
#[derive(Default)]
struct Found {
    scan: Scan,
    newest: Option<String>,
}

impl Found {
    fn advance(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            // Outside a sequence only ESC matters: skip to it.
            if matches!(self.scan, Scan::Ground) {
                match memchr_esc(rest) {
                    Some(i) => {
                        self.scan = Scan::Esc;
                        rest = &rest[i + 1..];
                        continue;
                    }
                    None => return,
                }
            }
            let b = rest[0];
            rest = &rest[1..];
            self.scan = match std::mem::take(&mut self.scan) {
                Scan::Esc if b == b']' => Scan::Osc(Some(Vec::new())),
                Scan::Esc if b == ESC => Scan::Esc,
                Scan::Ground | Scan::Esc => Scan::Ground,
                Scan::Osc(body) if b == BEL => {
                    self.end(body);
                    Scan::Ground
                }
                Scan::Osc(body) if b == ESC => Scan::OscEsc(body),
                // CAN and SUB cancel a sequence, as in a terminal.
                Scan::Osc(_) if b == 0x18 || b == 0x1a => Scan::Ground,
                Scan::Osc(body) => Scan::Osc(body.and_then(|mut v| {
                    v.push(b);
                    (v.len() <= OSC_MAX).then_some(v)
                })),
                Scan::OscEsc(body) => {
                    // ESC \ ends it; ESC followed by anything else ends it too and starts anew.
                    self.end(body);
                    if b == b']' {
                        Scan::Osc(Some(Vec::new()))
                    } else {
                        Scan::Ground
                    }
                }
            };
        }
    }

    fn end(&mut self, body: Option<Vec<u8>>) {
        let Some(body) = body else { return };
        let params: Vec<&[u8]> = body.split(|&c| c == b';').collect();
        if let Some(text) = crate::pty::screen::notification(&params) {
            self.newest = Some(text);
        }
    }
}

fn memchr_esc(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == ESC)
}

impl Tap {
    fn new(key: LaneKey) -> Self {
        Self {
            key,
            newest: None,
            last: None,
        }
    }

    /// A notification found in the output; it replaces one not recorded yet.
    fn feed(&mut self, text: String) {
        self.newest = Some(text);
        if self.due_in().is_some_and(|d| d.is_zero()) {
            self.flush();
        }
    }

    /// How long until the pending notification may be recorded (`None`: none pending).
    fn due_in(&self) -> Option<Duration> {
        self.newest.as_ref()?;
        Some(
            self.last
                .and_then(|t| MIN_GAP.checked_sub(t.elapsed()))
                .unwrap_or(Duration::ZERO),
        )
    }

    /// Record the newest notification, if any.
    fn flush(&mut self) {
        let Some(text) = self.newest.take() else {
            return;
        };
        self.last = Some(Instant::now());
        let signal = signal(&text, OffsetDateTime::now_utc());
        if let Err(e) = crate::commands::hook::save(&self.key, &signal) {
            tracing::warn!("osc-tap for lane {}: {e}", self.key.lane);
        }
    }
}

/// A notification as the lane's signal: it asks for the user (`waiting: input`), with its text
/// (one line, secrets hidden) as the reason.
pub fn signal(text: &str, at: OffsetDateTime) -> Signal {
    crate::commands::hook::redact(Signal {
        at,
        source: Source::Osc,
        status: Some(Status::Waiting(WaitKind::Input)),
        event: "notification".into(),
        reason: crate::agent::state::one_line(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(chunks: &[&[u8]]) -> Option<String> {
        let mut f = Found::default();
        for c in chunks {
            f.advance(c);
        }
        f.newest
    }

    /// A lane printing little is read once a background frame; one printing fast is read
    /// after a wait in which it prints about `WAIT_BYTES`, so tmux never holds much of it.
    #[test]
    fn the_wait_after_a_read_shrinks_as_the_lane_prints_faster() {
        let frame = PACE;
        assert_eq!(pause(0, frame), PACE);
        assert_eq!(pause(16 * 1024, frame), PACE, "0.5 MB/s");
        let fast = pause(WAIT_BYTES * 4, frame);
        assert!(fast < PACE / 3 && fast > PACE / 5, "{fast:?}");
        let flood = pause(200_000_000 / 30, frame);
        assert!(flood < Duration::from_millis(1), "{flood:?}");
    }

    #[test]
    fn only_a_read_that_emptied_the_pipe_of_much_output_is_followed_by_a_wait() {
        let cap = 64 * 1024;
        assert!(!waits_after(1, cap), "a keystroke's echo");
        assert!(!waits_after(SMALL_READ - 1, cap), "a prompt");
        assert!(waits_after(SMALL_READ, cap));
        assert!(waits_after(4096, cap), "one write of a printing lane");
        assert!(!waits_after(cap, cap), "a full read: more is waiting");
    }

    #[test]
    fn notifications_are_found_across_chunks_and_among_other_output() {
        assert_eq!(
            found(&[
                b"compiling\r\n\x1b[31mred\x1b[0m\x1b]9;build ",
                b"done\x07more"
            ])
            .as_deref(),
            Some("build done")
        );
        assert_eq!(
            found(&[b"\x1b]777;notify;Claude;needs input\x1b\\"]).as_deref(),
            Some("Claude: needs input")
        );
        // Progress and titles are not notifications.
        assert_eq!(found(&[b"\x1b]9;4;1;50\x07\x1b]0;title\x07"]), None);
        // A cancelled one is not either; an over-long one is skipped, the next one is read.
        assert_eq!(found(&[b"\x1b]9;half\x18\x07"]), None);
        let long = [
            b"\x1b]9;".as_slice(),
            &[b'x'; OSC_MAX + 10],
            b"\x07\x1b]9;after\x07",
        ]
        .concat();
        assert_eq!(found(&[&long]).as_deref(), Some("after"));
    }

    #[test]
    fn a_notification_is_one_line_without_secrets() {
        let s = signal("done\r\n\x1b[2Jtoken=hunter2", OffsetDateTime::UNIX_EPOCH);
        assert_eq!(s.source, Source::Osc);
        assert_eq!(s.status, Some(Status::Waiting(WaitKind::Input)));
        assert!(
            !s.reason.contains('\n') && !s.reason.contains('\x1b'),
            "{:?}",
            s.reason
        );
        assert!(!s.reason.contains("hunter2"), "{:?}", s.reason);
    }
}
