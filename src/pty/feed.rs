//! par lanes behind the one in front, read from their pane's own output (`[lanes] tmux_client =
//! "pipe"`): no tmux client renders them for helios, and helios parses each byte once.
//!
//! tmux runs `helios osc-tap --feed SOCKET` on every par lane's output (`pipe-pane -O`); the
//! tap serves that output on a Unix socket, in frames (`frame`), and never waits for a reader:
//! tmux keeps whatever its pipe does not take, in the user's tmux server, without limit. A
//! console that falls behind loses frames; the next frame it gets says so ([`GAP`]), and the
//! lane's screen is seeded again from `tmux capture-pane`. The lane in front is shown through a
//! `tmux attach` client as before (portable.rs): keys, its cursor and tmux's status line.

use std::io::{ErrorKind, Read, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::Digest as _;

use crate::pty::reader::{ReaderCtx, after_feed, after_seed};
use crate::pty::typist::Typist;
use crate::pty::{BACKGROUND_FRAME, Notices};

/// A frame of the pane's output that follows the last one sent.
pub const DATA: u8 = 0;
/// A frame sent after output was dropped (the console did not keep up): its screen needs a
/// new seed.
pub const GAP: u8 = 1;
/// A frame's header: its kind and the length of its bytes (u32, little-endian).
pub const HEADER: usize = 5;
/// The longest frame a reader accepts (the tap sends at most one read of 64 KiB).
pub const FRAME_MAX: usize = 1 << 20;

/// The most of a lane's output fed to its screen per background frame with up to
/// [`SHARED_BY`] lanes fed: 16 KiB (0.5 MB/s, as a helios-owned lane behind). A lane that
/// prints more is seeded again from tmux, at most once per [`RESEED_GAP`].
const BUDGET: usize = 16 * 1024;

/// The least time between two seeds of a lane with up to [`SHARED_BY`] lanes fed: under a
/// flood its tile shows a fresh capture once a second, and tmux is asked for no more.
const RESEED_GAP: Duration = Duration::from_secs(1);

/// Output this soon after a capture makes the seed unsure ([`SeedCheck`]).
const SETTLE: Duration = Duration::from_millis(250);

/// An unsure seed is taken again once the lane has printed nothing for this long.
const QUIET: Duration = Duration::from_millis(250);

/// Beyond this many fed lanes, each gets a share of the budget and seeds less often, so the
/// background costs what 25 lanes cost (with 50 lanes flooding, a whole budget per lane had
/// helios parse all 15 MB/s of it: 38% of a core against 6% with 25 lanes; swarm run 18).
const SHARED_BY: usize = 25;

/// The lanes being fed now.
static FED: AtomicUsize = AtomicUsize::new(0);

/// This lane's budget and gap between seeds, with `fed` lanes fed.
fn share(fed: usize) -> (usize, Duration) {
    let parts = fed.div_ceil(SHARED_BY).max(1);
    (
        BUDGET / parts,
        RESEED_GAP * u32::try_from(parts).unwrap_or(u32::MAX),
    )
}

/// When a stale lane seeded at `at` is seeded again: at the first boundary of a clock shared by
/// every lane (`gap` apart, from the first lane's use) at least half a gap later. Lanes flooding
/// together then fall due together and are seeded by one tmux command (seeds.rs); each still
/// averages one seed a gap.
fn next_seed(at: Instant, gap: Duration) -> Instant {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    let gap_ns = gap.as_nanos().max(1);
    let from = (at + gap / 2).saturating_duration_since(origin).as_nanos();
    let slots = from.div_ceil(gap_ns);
    u64::try_from(slots * gap_ns)
        .ok()
        .and_then(|ns| origin.checked_add(Duration::from_nanos(ns)))
        .unwrap_or(at + gap)
}

/// The directory of the lanes' feed sockets: `$XDG_RUNTIME_DIR/helios/feed`, else under the
/// state dir.
pub fn dir() -> PathBuf {
    crate::config::paths::runtime_dir().join("feed")
}

/// Where the tap of the par lane in `worktree` (tmux session `session`) serves its pane's
/// output: one socket per lane in `dir`, named by a hash so the path stays short (a Unix
/// socket's path has at most 107 bytes).
pub fn socket_path(dir: &Path, worktree: &Path, session: &str) -> PathBuf {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut h = sha2::Sha256::new();
    h.update(worktree.as_os_str().as_encoded_bytes());
    h.update([0]);
    h.update(session.as_bytes());
    let name: String = h.finalize()[..8]
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .map(char::from)
        .collect();
    dir.join(format!("{name}.sock"))
}

/// Append one frame of `kind` carrying `bytes` to `out`.
pub fn frame(kind: u8, bytes: &[u8], out: &mut Vec<u8>) {
    out.push(kind);
    // The tap's frames are one read (64 KiB); `FRAME_MAX` bounds the reader.
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Frames from a byte stream read in pieces.
#[derive(Debug, Default)]
pub struct Frames {
    buf: Vec<u8>,
}

impl Frames {
    /// Add bytes read from the socket.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Call `each` with every complete frame's kind and bytes, in order, and keep the rest.
    /// `Err` when a frame is longer than [`FRAME_MAX`] (not the tap's stream).
    pub fn take(&mut self, each: &mut dyn FnMut(u8, &[u8])) -> Result<(), String> {
        let mut at = 0;
        while self.buf.len() - at >= HEADER {
            let head = &self.buf[at..at + HEADER];
            let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
            if len > FRAME_MAX {
                return Err(format!("a frame of {len} bytes"));
            }
            if self.buf.len() - at - HEADER < len {
                break;
            }
            each(head[0], &self.buf[at + HEADER..at + HEADER + len]);
            at += HEADER + len;
        }
        self.buf.drain(..at);
        Ok(())
    }
}

/// A running feed: the socket (shut down to stop the reader) and the lane's key writer.
pub(crate) struct Feed {
    stream: UnixStream,
    /// The terminal size of a client that leaves the window's size as it is (rows << 16 |
    /// cols, 0 until the first seed).
    keep: Arc<AtomicU32>,
    /// The window was resized through the attach client in front: the reader seeds the screen
    /// again (see [`Feed::resized`]).
    resized: Arc<AtomicBool>,
    /// Keys typed into the pane through tmux (a lane behind, and the lane in front until its
    /// attach client has drawn).
    typist: Typist,
    /// Wakes the reader from its wait for output (a byte written here; [`Feed::reseed`]).
    wake: UnixStream,
}

impl Feed {
    /// Stop reading; the tap drops this console and the session runs on.
    pub(crate) fn close(&self) {
        // Not connected any more: the tap has gone already, as wanted.
        if let Err(e) = self.stream.shutdown(std::net::Shutdown::Both)
            && e.kind() != ErrorKind::NotConnected
        {
            tracing::warn!("closing a lane feed: {e}");
        }
    }

    /// The size a `tmux attach` client of this lane must have to leave its window's size as
    /// it is (tmux 3.3a sizes a window by its `ignore-size` clients when they are its only
    /// ones), once the lane was seeded.
    pub(crate) fn client_size(&self) -> Option<(u16, u16)> {
        let v = self.keep.load(Ordering::Acquire);
        let (rows, cols) = (
            u16::try_from(v >> 16).ok()?,
            u16::try_from(v & 0xffff).ok()?,
        );
        (rows > 0 && cols > 0).then_some((rows, cols))
    }

    /// Where [`Feed::client_size`] is kept, for a size learnt before the first seed (the lane
    /// in front asks tmux for it at once: `Preparer::client_size`).
    pub(crate) fn keep(&self) -> Arc<AtomicU32> {
        self.keep.clone()
    }

    /// The attach client in front resized the lane's window. tmux reflowed the pane, and its
    /// program may have redrawn for the new size: the pane's own output says neither, so the
    /// reader takes the pane from tmux again at its next turn (the next output, which a
    /// redraw on SIGWINCH is), before the lane is shown behind.
    pub(crate) fn resized(&self) {
        self.resized.store(true, Ordering::Release);
    }

    /// Another tmux client resized the lane's window (tmux says the pane has another size than
    /// the screen): the program's redraw for it came already and was read at the old size, and
    /// nothing may come after it, so the reader takes the pane from tmux again now.
    pub(crate) fn reseed(&self) {
        self.resized.store(true, Ordering::Release);
        match (&self.wake).write(&[1]) {
            // A full pipe has a wake in it already.
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => tracing::debug!("waking a lane's feed reader: {e}"),
        }
    }

    /// Type `bytes` into the lane's pane (`tmux send-keys -H`, on the lane's writer thread).
    pub(crate) fn send_keys(&self, bytes: Vec<u8>) -> Result<(), ()> {
        self.typist.send(bytes)
    }

    /// Keys given to [`Feed::send_keys`] that tmux has not typed yet.
    pub(crate) fn typing(&self) -> bool {
        self.typist.typing()
    }
}

/// Connect to the tap's socket for `session` and start the lane's reader (returned, to be
/// woken) and key writer. `Err` when no tap serves there (an older tap, the user's own pipe,
/// or one not started yet): the lane is then read through an attach client.
pub(crate) fn spawn(
    env: &[(String, String)],
    session: &str,
    socket: &Path,
    ctx: ReaderCtx,
) -> std::io::Result<(Feed, std::thread::Thread)> {
    let stream = UnixStream::connect(socket)?;
    let reader = stream.try_clone()?;
    let target = crate::model::lane::tmux_pane_target(session);
    let name = ctx.lane.as_str().to_string();
    let typist = Typist::spawn(env, session, &ctx.lane, ctx.events.clone())?;
    let env = env.to_vec();
    let keep = Arc::new(AtomicU32::new(0));
    let keep_r = keep.clone();
    let resized = Arc::new(AtomicBool::new(false));
    let resized_r = resized.clone();
    let (wake, woken) = UnixStream::pair()?;
    wake.set_nonblocking(true)?;
    woken.set_nonblocking(true)?;
    let reader = std::thread::Builder::new()
        .name(format!("feed-read-{name}"))
        .spawn(move || {
            // A lane behind yields to the echo in front (shown by its own attach client).
            crate::config::priority::lower_this_thread();
            FED.fetch_add(1, Ordering::Relaxed);
            let ended = read_loop(reader, &env, &target, &ctx, (&keep_r, &resized_r, &woken));
            FED.fetch_sub(1, Ordering::Relaxed);
            ctx.exited.store(true, Ordering::Release);
            // A lane in front is shown by its attach client, which reports its own end.
            if ended && behind(&ctx) {
                ctx.finish(None);
            }
        })?;
    let feed = Feed {
        stream,
        keep,
        resized,
        typist,
        wake,
    };
    Ok((feed, reader.thread().clone()))
}

fn behind(ctx: &ReaderCtx) -> bool {
    ctx.behind
        .as_ref()
        .is_none_or(|b| b.load(Ordering::Acquire))
}

/// Seed the screen from tmux, then feed frames at the background pace. True when the tap
/// ended (the pane is gone, or the tap), false when helios let go or the runtime is gone.
fn read_loop(
    mut stream: UnixStream,
    env: &[(String, String)],
    target: &str,
    ctx: &ReaderCtx,
    (keep, resized, woken): (&AtomicU32, &AtomicBool, &UnixStream),
) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    let mut frames = Frames::default();
    let mut data = Vec::with_capacity(BUDGET);
    let mut gap = share(FED.load(Ordering::Relaxed)).1;
    let mut stale = true;
    let mut seeded: Option<Instant> = None;
    let mut check = SeedCheck::default();
    let mut quiet = false;
    loop {
        if resized.swap(false, Ordering::AcqRel) {
            stale = true;
            seeded = None;
        }
        if quiet || (stale && seeded.is_none_or(|t| Instant::now() >= next_seed(t, gap))) {
            let at = Instant::now();
            seeded = Some(at);
            if reseed(env, target, ctx, keep) {
                stale = false;
                // What came before the capture is in it (what came close to it may not be:
                // `check` takes the seed again once the lane is quiet).
                let Some(drained) = drain(&mut stream, &mut buf, &mut frames) else {
                    return !ctx.detached.load(Ordering::Acquire);
                };
                check.seeded(at, drained, quiet);
                if !after_seed(ctx) {
                    return false;
                }
            } else {
                // Logged by `reseed`; a seed tmux refused is not asked for again and again.
                check = SeedCheck::default();
            }
            quiet = false;
        }
        // A stale screen is read again only at its next seed, which drops what came before it
        // anyway. Meanwhile the socket fills and the tap drops this console's frames (it says
        // so with a GAP), so a flood nobody draws is not copied through the socket and read
        // only to be dropped.
        if stale && let Some(t) = seeded {
            let due = next_seed(t, gap).saturating_duration_since(Instant::now());
            if due.is_zero() || !hung_up(&stream, woken, due) {
                continue;
            }
        }
        // Wait for output (a stale screen here has hung up and reads to its end, waiting no
        // longer than its next seed should the poll have failed; an unsure one waits until the
        // lane is quiet).
        let wait = if stale {
            Some(
                seeded
                    .map_or(Duration::ZERO, |t| {
                        next_seed(t, gap).saturating_duration_since(Instant::now())
                    })
                    .max(Duration::from_millis(1)),
            )
        } else {
            check.wait()
        };
        match wait_output(&stream, woken, wait) {
            Wait::Woken => continue,
            Wait::Timeout => {
                quiet = !stale && check.wait().is_some();
                continue;
            }
            Wait::Ready => {}
        }
        match stream.read(&mut buf) {
            Ok(0) => return !ctx.detached.load(Ordering::Acquire),
            Ok(n) => {
                frames.push(&buf[..n]);
                check.output(Instant::now());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                quiet = !stale && check.wait().is_some();
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return !ctx.detached.load(Ordering::Acquire),
        }
        // And what else is waiting, up to the budget.
        let budget;
        (budget, gap) = share(FED.load(Ordering::Relaxed));
        let more = read_waiting(&mut stream, &mut buf, &mut frames, budget);
        let taken = frames.take(&mut |kind, bytes| {
            if kind == GAP {
                stale = true;
            }
            if stale {
                return;
            }
            if data.len() + bytes.len() > budget {
                stale = true;
                return;
            }
            data.extend_from_slice(bytes);
        });
        if let Err(e) = taken {
            tracing::warn!(lane = %ctx.lane, "lane feed: {e}; reading it through tmux attach");
            return true;
        }
        if !data.is_empty() {
            let notices = filter(ctx.screen.feed(&data), behind(ctx));
            crate::telemetry::lane_bytes(ctx.lane.as_str(), data.len() as u64);
            data.clear();
            if !after_feed(ctx, notices) {
                return false;
            }
        }
        if !more {
            return !ctx.detached.load(Ordering::Acquire);
        }
        std::thread::park_timeout(BACKGROUND_FRAME);
    }
}

/// Wait up to `wait` for the tap to hang up or the console to close the feed (not for output);
/// whether it did. A failed wait counts as a hang-up: the read that follows tells. A wake
/// ([`Feed::reseed`]) ends the wait too, as no hang-up.
fn hung_up(stream: &UnixStream, woken: &UnixStream, wait: Duration) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let Ok(timeout) = Timespec::try_from(wait) else {
        return true;
    };
    let mut fds = [
        PollFd::new(stream, PollFlags::RDHUP),
        PollFd::new(woken, PollFlags::IN),
    ];
    loop {
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) if !fds[1].revents().is_empty() => {
                drain_wakes(woken);
                return false;
            }
            Ok(n) => return n > 0,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return true,
        }
    }
}

/// What ended a wait for output.
enum Wait {
    /// The socket has something to read (output, or its end).
    Ready,
    /// The console woke the reader ([`Feed::reseed`]).
    Woken,
    /// Nothing came in time.
    Timeout,
}

/// Wait up to `wait` (`None`: as long as it takes) for output or a wake. A failed wait is
/// `Ready`: the read that follows tells what is wrong.
fn wait_output(stream: &UnixStream, woken: &UnixStream, wait: Option<Duration>) -> Wait {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let timeout = match wait.map(Timespec::try_from) {
        Some(Ok(t)) => Some(t),
        Some(Err(_)) | None => None,
    };
    let mut fds = [
        PollFd::new(stream, PollFlags::IN | PollFlags::RDHUP),
        PollFd::new(woken, PollFlags::IN),
    ];
    loop {
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) if !fds[1].revents().is_empty() => {
                drain_wakes(woken);
                return Wait::Woken;
            }
            Ok(0) => return Wait::Timeout,
            Err(rustix::io::Errno::INTR) => {}
            Ok(_) | Err(_) => return Wait::Ready,
        }
    }
}

/// Read every wake byte waiting (the wake socket does not block).
fn drain_wakes(mut woken: &UnixStream) {
    let mut buf = [0u8; 64];
    while matches!(woken.read(&mut buf), Ok(n) if n > 0) {}
}

/// What a frame's notices may report: nothing but the output for a lane in front (its attach
/// client reports its bells and clipboard); never OSC 9/777 (the tap records those) or
/// answers (tmux answers the pane's queries).
fn filter(mut n: Notices, behind: bool) -> Notices {
    n.notify = None;
    n.replies.clear();
    if !behind {
        n.bell = false;
        n.clipboard = None;
        n.progress = None;
    }
    n
}

/// Read what is waiting on the socket without waiting, up to `budget` more bytes than the
/// frames already hold (the rest stays in the socket until the next frame). False at the end.
fn read_waiting(
    stream: &mut UnixStream,
    buf: &mut [u8],
    frames: &mut Frames,
    budget: usize,
) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut taken = 0;
    let open = loop {
        if taken >= budget {
            break true;
        }
        match stream.read(buf) {
            Ok(0) => break false,
            Ok(n) => {
                frames.push(&buf[..n]);
                taken += n;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break e.kind() == ErrorKind::WouldBlock,
        }
    };
    open && stream.set_nonblocking(false).is_ok()
}

/// Read and drop the frames waiting on the socket (a frame read in part stays, so the next
/// read starts at a frame's start). Whether any output was dropped; `None` at the end, or on a
/// stream that is not frames.
fn drain(stream: &mut UnixStream, buf: &mut [u8], frames: &mut Frames) -> Option<bool> {
    stream.set_nonblocking(true).ok()?;
    let mut any = false;
    let open = loop {
        match stream.read(buf) {
            Ok(0) => break false,
            Ok(n) => {
                any = true;
                frames.push(&buf[..n]);
                if frames.take(&mut |_, _| {}).is_err() {
                    break false;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break e.kind() == ErrorKind::WouldBlock,
        }
    };
    (open && frames.take(&mut |_, _| {}).is_ok() && stream.set_nonblocking(false).is_ok())
        .then_some(any)
}

/// Whether a lane's last seed can be trusted. tmux 3.3a tells no place in the piped output
/// that a capture matches, so output close to a capture leaves the screen unsure: missing
/// from it (tmux printed it just after the capture, and the reader dropped it as old) or in
/// it twice (in the capture, and fed again from a tap that passed it on late). An unsure seed
/// is taken again once the lane has been quiet for [`QUIET`], when nothing is in flight.
#[derive(Debug, Default)]
struct SeedCheck {
    /// Until when output makes the last seed unsure; `None` after a seed taken in quiet (what
    /// follows it was printed after it).
    settle: Option<Instant>,
    /// The last seed is to be taken again once the lane is quiet.
    unsure: bool,
}

impl SeedCheck {
    /// A seed was captured at `at`; `drained`: output was waiting right after it; `quiet`:
    /// taken after the lane printed nothing for [`QUIET`].
    fn seeded(&mut self, at: Instant, drained: bool, quiet: bool) {
        self.unsure = drained;
        self.settle = (!quiet).then(|| at + SETTLE);
    }

    /// Output arrived at `at`.
    fn output(&mut self, at: Instant) {
        if self.settle.is_some_and(|t| at < t) {
            self.unsure = true;
        }
    }

    /// How long to wait for output before the seed is taken again, when it is unsure.
    fn wait(&self) -> Option<Duration> {
        self.unsure.then_some(QUIET)
    }
}

/// Put the pane as tmux shows it now into the lane's screen (its size, the visible lines, the
/// cursor), and keep the size a client must have to leave the window as it is. False when tmux
/// could not tell (logged); the screen is left as it was.
fn reseed(env: &[(String, String)], target: &str, ctx: &ReaderCtx, keep: &AtomicU32) -> bool {
    let out = match crate::pty::seeds::take(env, target) {
        Ok(out) => out,
        Err(e) => {
            tracing::warn!(lane = %ctx.lane, "{e}");
            return false;
        }
    };
    match crate::pty::seeds::apply_seed(&out, &ctx.screen) {
        Ok(Some((rows, cols))) => {
            keep.store(u32::from(rows) << 16 | u32::from(cols), Ordering::Release);
            true
        }
        Ok(None) => true,
        Err(e) => {
            tracing::warn!(lane = %ctx.lane, "{e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn frames_come_back_whole_from_any_split() {
        let mut wire = Vec::new();
        frame(DATA, b"hello", &mut wire);
        frame(GAP, b"", &mut wire);
        frame(DATA, &[0x1b; 300], &mut wire);
        for split in [1, 2, 4, 5, 6, 7, 64, wire.len()] {
            let mut frames = Frames::default();
            let mut got: Vec<(u8, Vec<u8>)> = Vec::new();
            for piece in wire.chunks(split) {
                frames.push(piece);
                frames.take(&mut |k, b| got.push((k, b.to_vec()))).unwrap();
            }
            assert_eq!(
                got,
                vec![
                    (DATA, b"hello".to_vec()),
                    (GAP, Vec::new()),
                    (DATA, vec![0x1b; 300])
                ],
                "split {split}"
            );
        }
    }

    /// Dropping what waited before a seed keeps the stream on frame boundaries: a frame cut
    /// by the socket's buffer is finished by the next read, not taken for a header.
    #[test]
    fn a_drain_between_frames_keeps_the_frames_whole() {
        use std::io::Write as _;
        let (mut tap, mut console) = UnixStream::pair().unwrap();
        let mut wire = Vec::new();
        frame(DATA, b"old", &mut wire);
        frame(DATA, b"cut in two", &mut wire);
        let cut = wire.len() - 4;
        tap.write_all(&wire[..cut]).unwrap();
        let (mut buf, mut frames) = (vec![0u8; 64], Frames::default());
        assert_eq!(drain(&mut console, &mut buf, &mut frames), Some(true));
        assert_eq!(drain(&mut console, &mut buf, &mut frames), Some(false));
        let mut rest = wire[cut..].to_vec();
        frame(DATA, b"new", &mut rest);
        tap.write_all(&rest).unwrap();
        let n = console.read(&mut buf).unwrap();
        frames.push(&buf[..n]);
        let mut got = Vec::new();
        frames.take(&mut |k, b| got.push((k, b.to_vec()))).unwrap();
        assert_eq!(
            got,
            vec![(DATA, b"cut in two".to_vec()), (DATA, b"new".to_vec())]
        );
    }

    #[test]
    fn lanes_seeded_apart_fall_due_together_about_a_gap_later() {
        let gap = Duration::from_secs(1);
        // A boundary of the shared clock.
        let t = next_seed(Instant::now(), gap);
        // Lanes seeded within the first half of one slot fall due at the same instant...
        let due: Vec<Instant> = [0, 150, 300, 450]
            .map(|ms| next_seed(t + Duration::from_millis(ms), gap))
            .to_vec();
        assert!(due.windows(2).all(|w| w[0] == w[1]), "{due:?}");
        // ...each at least half a gap and at most a gap and a half after its own seed.
        for ms in [0, 150, 300, 450, 700, 999] {
            let at = t + Duration::from_millis(ms);
            let next = next_seed(at, gap);
            assert!(next >= at + gap / 2 && next <= at + gap * 3 / 2, "{ms}");
        }
    }

    /// Output close to a capture (drained after it, or arriving soon after) has the seed
    /// taken again when the lane is quiet; output after a seed taken in quiet does not.
    #[test]
    fn a_seed_close_to_output_is_taken_again_when_quiet() {
        let t = Instant::now();
        let mut check = SeedCheck::default();
        check.seeded(t, false, false);
        assert_eq!(check.wait(), None);
        check.output(t + SETTLE + Duration::from_millis(1));
        assert_eq!(check.wait(), None, "output long after the seed");
        check.seeded(t, true, false);
        assert_eq!(
            check.wait(),
            Some(QUIET),
            "output drained right after the capture"
        );
        check.seeded(t, false, false);
        check.output(t + SETTLE / 2);
        assert_eq!(check.wait(), Some(QUIET), "output just after the capture");
        check.seeded(t, false, true);
        assert_eq!(check.wait(), None, "the seed taken in quiet");
        check.output(t + Duration::from_millis(1));
        assert_eq!(
            check.wait(),
            None,
            "output after a seed taken in quiet is new"
        );
        check.seeded(t, true, true);
        assert_eq!(
            check.wait(),
            Some(QUIET),
            "output came during the quiet seed"
        );
    }

    #[test]
    fn many_lanes_share_one_budget() {
        assert_eq!(share(1), (BUDGET, RESEED_GAP));
        assert_eq!(share(25), (BUDGET, RESEED_GAP));
        assert_eq!(share(50), (BUDGET / 2, RESEED_GAP * 2));
        assert_eq!(share(51), (BUDGET / 3, RESEED_GAP * 3));
    }

    #[test]
    fn an_oversized_frame_is_refused() {
        let mut frames = Frames::default();
        frames.push(&[DATA, 0xff, 0xff, 0xff, 0x7f]);
        assert!(frames.take(&mut |_, _| {}).is_err());
    }

    /// A stale lane waits for its next seed, not for output; only the tap hanging up or the
    /// console closing the feed cuts the wait short.
    #[test]
    fn a_stale_wait_ends_on_a_hang_up_not_on_output() {
        let (_wake, woken) = UnixStream::pair().unwrap();
        let (console, mut tap) = UnixStream::pair().unwrap();
        std::io::Write::write_all(&mut tap, b"a flood").unwrap();
        assert!(!hung_up(&console, &woken, Duration::from_millis(20)));
        drop(tap);
        assert!(hung_up(&console, &woken, Duration::from_secs(30)));

        let (console, _tap) = UnixStream::pair().unwrap();
        console
            .try_clone()
            .unwrap()
            .shutdown(std::net::Shutdown::Both)
            .unwrap();
        assert!(hung_up(&console, &woken, Duration::from_secs(30)));
    }

    /// A wake ends a wait for output at once, and only once; output or a timeout end it too.
    #[test]
    fn a_wake_ends_the_wait_for_output() {
        use std::io::Write as _;
        let (mut wake, woken) = UnixStream::pair().unwrap();
        woken.set_nonblocking(true).unwrap();
        let (console, mut tap) = UnixStream::pair().unwrap();
        let short = Some(Duration::from_millis(20));
        assert!(matches!(
            wait_output(&console, &woken, short),
            Wait::Timeout
        ));
        wake.write_all(&[1, 1]).unwrap();
        assert!(matches!(wait_output(&console, &woken, None), Wait::Woken));
        assert!(matches!(
            wait_output(&console, &woken, short),
            Wait::Timeout
        ));
        wake.write_all(&[1]).unwrap();
        assert!(!hung_up(&console, &woken, Duration::from_secs(30)));
        tap.write_all(b"output").unwrap();
        assert!(matches!(wait_output(&console, &woken, None), Wait::Ready));
    }

    #[test]
    fn socket_paths_are_short_and_per_lane() {
        let d = Path::new("/run/helios/feed");
        let a = socket_path(d, Path::new("/w/a"), "s");
        let b = socket_path(d, Path::new("/w/b"), "s");
        assert_ne!(a, b);
        assert_eq!(a, socket_path(d, Path::new("/w/a"), "s"));
        assert_eq!(a.file_name().unwrap().len(), "0123456789abcdef.sock".len());
    }

    #[test]
    fn a_lane_in_front_reports_nothing_but_output() {
        let n = Notices {
            bell: true,
            notify: Some("x".into()),
            clipboard: Some("y".into()),
            replies: b"z".to_vec(),
            ..Notices::default()
        };
        let front = filter(n.clone(), false);
        assert!(!front.bell && front.clipboard.is_none() && front.notify.is_none());
        let behind = filter(n, true);
        assert!(behind.bell && behind.clipboard.is_some());
        assert!(behind.notify.is_none() && behind.replies.is_empty());
    }
}
