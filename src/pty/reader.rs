//! A lane's reader thread: it feeds the lane's screen and sends merged notices (paced while
//! the lane is behind the one in front). Keys go in through `keys.rs`.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Read into one reusable buffer, feed the screen, and send at most one pending notice.
pub(crate) fn read_loop(fd: &OwnedFd, ctx: &ReaderCtx) {
    let mut buf = vec![0u8; 64 * 1024];
    let behind = || {
        ctx.behind
            .as_ref()
            .is_some_and(|b| b.load(Ordering::Acquire))
    };
    loop {
        let n = if behind() && ctx.read_max < buf.len() {
            match read_budget(fd, &mut buf[..ctx.read_max]) {
                Some(n) => n,
                None => return,
            }
        } else {
            match keys::read_some(fd, &mut buf) {
                Some(n) => n,
                None => return,
            }
        };
        let fed = Instant::now();
        let notices = ctx.screen.feed(&buf[..n]);
        // The lane in front only: the one a keystroke's echo comes from.
        if !behind() {
            crate::telemetry::echo::step(Step::Read, fed);
        }
        crate::telemetry::lane_bytes(ctx.lane.as_str(), n as u64);
        if !after_feed(ctx, notices) {
            return;
        }
        // Coming to the front unparks the thread.
        if behind() {
            std::thread::park_timeout(BACKGROUND_READ);
        }
    }
}

/// Reads while the PTY hands over full chunks, until `buf` is full: what a background lane
/// printed since its last read, up to its budget, fed at once. Linux hands a PTY's output over
/// at most 4 KiB a read; a shorter read means nothing more is waiting. `None` at the end.
fn read_budget(fd: &OwnedFd, buf: &mut [u8]) -> Option<usize> {
    const CHUNK: usize = 4096;
    let mut filled = 0;
    while filled < buf.len() {
        let want = CHUNK.min(buf.len() - filled);
        let chunk = &mut buf[filled..filled + want];
        // Wait for the first chunk only.
        let n = if filled == 0 {
            keys::read_some(fd, chunk)?
        } else {
            match keys::read_now(fd, chunk) {
                Got::Bytes(n) => n,
                // What was read is fed; the next read sees the end again.
                Got::Nothing | Got::End => break,
            }
        };
        filled += n;
        if n < want {
            break;
        }
    }
    Some(filled)
}
