//! A lane's reader: a thread that feeds the lane's screen and sends merged notices (paced while
//! the lane is behind the one in front), or, while the lane is in front, the console's loop.
//! Keys go in through `keys.rs`.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use crate::app::Event;
use crate::app::event::EventSender;
use crate::model::LaneId;
use crate::pty::keys::{self, Got, Keys};
use crate::pty::screen::{LaneScreen, Notices};
use crate::telemetry::echo::Step;

/// How long a lane's reader waits between reads while the lane is not in front: the runtime's
/// background frame interval, so its tile still changes at every background frame. Why wait:
/// fewer, larger reads mean fewer wake-ups, notices and parser calls; under the swarm bench's
/// flood helios's own CPU fell from 35% to 14% of a core, leaving it to the lane in front.
/// (For a par lane the tmux server's work stays: the kernel's PTY buffer holds 33 ms of a
/// tile's redraws, so tmux never backs up enough to skip any.)
const BACKGROUND_READ: std::time::Duration = crate::pty::BACKGROUND_FRAME;

/// The most a helios-owned lane's reader takes at a time while the lane is not in front
/// (several reads, fed at once: `read_budget`): 16 KiB a background frame, about 0.45 MB/s. A program that prints faster is held back by its
/// PTY, as tmux holds back its panes when it cannot keep up (24 panes flooding at 2 MB/s got
/// 0.4 MB/s each through tmux in the swarm bench); read unpaced, 24 such lanes took helios's
/// two cores and one keystroke's echo in ten in the lane in front waited hundreds of ms.
/// Nothing is lost: the program waits, and its lane reads at full speed again in front.
pub(crate) const BACKGROUND_READ_MAX: usize = 16 * 1024;

/// What a lane's reader thread needs.
pub(crate) struct ReaderCtx {
    pub(crate) lane: LaneId,
    pub(crate) screen: Arc<LaneScreen>,
    pub(crate) events: EventSender,
    pub(crate) exited: Arc<AtomicBool>,
    pub(crate) detached: Arc<AtomicBool>,
    /// Set while a paced reader's lane is behind the lane in front.
    pub(crate) behind: Option<Arc<AtomicBool>>,
    /// The most one read takes while the lane is behind.
    pub(crate) read_max: usize,
    /// Where answers to terminal queries go: the PTY's input. `None` in tmux control mode,
    /// where tmux itself answers the pane's queries.
    pub(crate) replies: Option<Keys>,
    /// The lane's OSC 52 may reach the user's clipboard.
    pub(crate) clipboard: bool,
}

impl ReaderCtx {
    /// The lane's process ended: mark it, and report it unless helios let go of it.
    pub(crate) fn finish(&self, code: Option<u32>) {
        self.exited.store(true, Ordering::Release);
        if !self.detached.load(Ordering::Acquire) {
            let _ = self.events.send(Event::LaneExited {
                lane: self.lane.clone(),
                code,
            });
        }
    }
}

/// After a seed filled the screen from the pane as tmux shows it: a [`Event::LaneSeeded`], sent
/// apart from the merged output notices (it marks nothing pending), so output that follows
/// it at once still reaches the console as output. False when the reader should stop.
pub(crate) fn after_seed(ctx: &ReaderCtx) -> bool {
    !ctx.detached.load(Ordering::Acquire)
        && ctx
            .events
            .send(Event::LaneSeeded {
                lane: ctx.lane.clone(),
            })
            .is_ok()
}

/// After new output was fed to the screen: send its bell and notification, and one merged
/// output notice. False when the reader should stop (helios let go, or the runtime is gone).
pub(crate) fn after_feed(ctx: &ReaderCtx, notices: Notices) -> bool {
    if ctx.detached.load(Ordering::Acquire) {
        return false;
    }
    let lane = || ctx.lane.clone();
    if let (false, Some(tx)) = (notices.replies.is_empty(), &ctx.replies) {
        let _ = tx.send(notices.replies);
    }
    if notices.bell {
        let _ = ctx.events.send(Event::LaneBell { lane: lane() });
    }
    if let Some(text) = notices.clipboard {
        let _ = ctx.events.send(Event::LaneClipboard {
            lane: lane(),
            text,
            allowed: ctx.clipboard,
        });
    }
    if let Some(text) = notices.notify {
        let _ = ctx.events.send(Event::LaneNotified { lane: lane(), text });
    }
    if let Some(progress) = notices.progress {
        let _ = ctx.events.send(Event::LaneProgress {
            lane: lane(),
            progress,
        });
    }
    // Inside a synchronized update the screen is not shown changed yet; its end sends the notice.
    notices.held
        || ctx.screen.mark_pending()
        || ctx
            .events
            .send(Event::LaneOutput {
                lane: lane(),
                at: Instant::now(),
            })
            .is_ok()
}

/// A lane's PTY output and who reads it: the lane's reader thread, or, while the lane is in
/// front, the console's loop ([`FrontOutput::take`]).
///
/// Why the loop: the thread that reads a lane's echo had to wake the loop for it, one more
/// thread wake-up on every keystroke's way back (BENCHMARKS.md, "The lane in front read on the
/// loop's thread"). Why not the loop for every lane: lanes behind are read and parsed beside it,
/// at their own pace, on a second core.
#[derive(Clone)]
pub struct FrontOutput(Arc<Shared>);

struct Shared {
    fd: Arc<OwnedFd>,
    ctx: ReaderCtx,
    /// Held while one side reads and feeds, so output reaches the screen in the order read.
    feeding: Mutex<()>,
    /// The loop reads; the thread parks.
    on_loop: AtomicBool,
    /// The loop read the end: the thread reads it again and reports the exit.
    ended: AtomicBool,
    reader: OnceLock<std::thread::Thread>,
}

/// How long the reader thread parks while the loop reads its lane before it looks again
/// whether helios let go of the lane (giving the lane back unparks it at once).
const PARKED: std::time::Duration = std::time::Duration::from_millis(250);

/// The most the loop reads of the lane in front before it turns to its other work (keys, the
/// frame) when a flood keeps the PTY full: as much as the thread's buffer takes in one read.
const LOOP_READ_MAX: usize = 64 * 1024;

/// What the loop's read of the lane in front found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontRead {
    /// Output was fed; more may be waiting.
    More,
    /// Nothing (more) is waiting.
    Idle,
    /// The lane's process ended, or helios let go of it: the loop gives the lane back.
    End,
}

impl FrontOutput {
    /// The output of the PTY `fd`, read by `ctx`'s reader.
    pub(crate) fn new(fd: Arc<OwnedFd>, ctx: ReaderCtx) -> Self {
        Self(Arc::new(Shared {
            fd,
            ctx,
            feeding: Mutex::new(()),
            on_loop: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            reader: OnceLock::new(),
        }))
    }

    /// The reader's context (its thread reports the exit with it).
    pub(crate) fn ctx(&self) -> &ReaderCtx {
        &self.0.ctx
    }

    /// Whether both are the same lane's output.
    pub fn same(&self, other: &FrontOutput) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The loop reads this lane from now on, until the returned hold is dropped; `None` when
    /// there is nothing left to read (its end was read, or helios let go of it).
    pub fn take(&self) -> Option<LoopRead> {
        let s = &self.0;
        if s.ended.load(Ordering::Acquire)
            || s.ctx.exited.load(Ordering::Acquire)
            || s.ctx.detached.load(Ordering::Acquire)
        {
            return None;
        }
        s.on_loop.store(true, Ordering::Release);
        Some(LoopRead(self.clone()))
    }
}

/// The loop's hold on the lane in front's output; dropping it gives the lane back to its
/// reader thread.
pub struct LoopRead(FrontOutput);

impl std::os::fd::AsRawFd for LoopRead {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.0.fd.as_raw_fd()
    }
}

impl std::os::fd::AsFd for LoopRead {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.0.0.fd.as_fd()
    }
}

impl LoopRead {
    /// Read what the lane printed (up to [`LOOP_READ_MAX`] in `buf`), feed its screen and send
    /// its notices, as its thread would.
    pub fn read(&self, buf: &mut [u8]) -> FrontRead {
        let s = &self.0.0;
        let max = buf.len().min(LOOP_READ_MAX);
        let notices = {
            let _feeding = s.feeding.lock().unwrap_or_else(PoisonError::into_inner);
            let n = match read_budget(&s.fd, &mut buf[..max]) {
                Got::Bytes(n) => n,
                Got::Nothing => return FrontRead::Idle,
                Got::End => {
                    s.ended.store(true, Ordering::Release);
                    return FrontRead::End;
                }
            };
            feed(&s.ctx, &buf[..n], true)
        };
        if !after_feed(&s.ctx, notices) {
            return FrontRead::End;
        }
        FrontRead::More
    }
}

impl Drop for LoopRead {
    fn drop(&mut self) {
        let s = &self.0.0;
        s.on_loop.store(false, Ordering::Release);
        if let Some(t) = s.reader.get() {
            t.unpark();
        }
    }
}

/// Feed `bytes` to the lane's screen (`front`: the lane a keystroke's echo comes from).
fn feed(ctx: &ReaderCtx, bytes: &[u8], front: bool) -> Notices {
    let fed = Instant::now();
    let notices = ctx.screen.feed(bytes);
    if front {
        crate::telemetry::echo::step(Step::Read, fed);
    }
    crate::telemetry::lane_bytes(ctx.lane.as_str(), bytes.len() as u64);
    notices
}

/// The reader thread: wait for output, then read it into one reusable buffer, feed the screen,
/// and send at most one pending notice; park while the loop reads the lane. Returns at the end.
pub(crate) fn read_loop(out: &FrontOutput) {
    let s = &out.0;
    // One reader thread per output: a second would be a bug, and would never be unparked.
    if s.reader.set(std::thread::current()).is_err() {
        tracing::warn!(lane = %s.ctx.lane, "a second reader thread for one lane's output");
    }
    let ctx = &s.ctx;
    let mut buf = vec![0u8; 64 * 1024];
    let behind = || {
        ctx.behind
            .as_ref()
            .is_some_and(|b| b.load(Ordering::Acquire))
    };
    loop {
        if s.on_loop.load(Ordering::Acquire) {
            if ctx.detached.load(Ordering::Acquire) {
                return;
            }
            std::thread::park_timeout(PARKED);
            continue;
        }
        if !keys::wait_readable(&s.fd) {
            return;
        }
        let notices = {
            let _feeding = s.feeding.lock().unwrap_or_else(PoisonError::into_inner);
            // The loop took the lane while this thread waited: what came is the loop's.
            if s.on_loop.load(Ordering::Acquire) {
                continue;
            }
            let back = behind();
            // Behind, up to its budget at once; in front, one read, as soon as it comes.
            let n = if back && ctx.read_max < buf.len() {
                read_budget(&s.fd, &mut buf[..ctx.read_max])
            } else {
                keys::read_now(&s.fd, &mut buf)
            };
            match n {
                Got::Bytes(n) => feed(ctx, &buf[..n], !back),
                Got::Nothing => continue,
                Got::End => return,
            }
        };
        if !after_feed(ctx, notices) {
            return;
        }
        // Coming to the front unparks the thread.
        if behind() {
            std::thread::park_timeout(BACKGROUND_READ);
        }
    }
}

/// Reads while the PTY hands over full chunks, until `buf` is full: what a lane printed since
/// its last read, up to `buf`'s length, fed at once. Linux hands a PTY's output over at most
/// 4 KiB a read; a shorter read means nothing more is waiting. Never waits.
fn read_budget(fd: &OwnedFd, buf: &mut [u8]) -> Got {
    const CHUNK: usize = 4096;
    let mut filled = 0;
    while filled < buf.len() {
        let want = CHUNK.min(buf.len() - filled);
        match keys::read_now(fd, &mut buf[filled..filled + want]) {
            Got::Bytes(n) => {
                filled += n;
                if n < want {
                    break;
                }
            }
            // What was read is fed; the next read sees the end (or nothing) again.
            r @ (Got::Nothing | Got::End) if filled == 0 => return r,
            Got::Nothing | Got::End => break,
        }
    }
    Got::Bytes(filled)
}
