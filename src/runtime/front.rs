//! The lane in front, read on the loop's own thread (`pty::FrontOutput`): its echo wakes the
//! loop itself, not a reader thread that then wakes the loop. Lanes behind stay on their
//! threads.

use tokio::io::Interest;
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};

use crate::pty::{FrontOutput, FrontRead, LoopRead, PtyBackend};

/// The loop's hold on the lane in front, when it has one.
pub(super) struct Front {
    held: Option<AsyncFd<LoopRead>>,
    /// What the hold was taken from (kept while the lane stays in front, even when it
    /// could not be taken, so it is not tried again every turn).
    from: Option<FrontOutput>,
}

impl Front {
    pub(super) fn new() -> Self {
        Self {
            held: None,
            from: None,
        }
    }

    /// Follow the backend's lane in front: give back the hold on a lane no longer in front,
    /// take the new one's.
    pub(super) fn follow<B: PtyBackend>(&mut self, ptys: &B) {
        let want = ptys.front_output();
        let same = match (&self.from, want) {
            (Some(a), Some(b)) => a.same(b),
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        // Given back before the next is taken.
        self.held = None;
        self.from = want.cloned();
        self.held = want.and_then(FrontOutput::take).and_then(|hold| {
            // Deprecated because a generic inner type could hand tokio a different or closed
            // descriptor later; the hold keeps its lane's PTY open (an `Arc` of its `OwnedFd`)
            // and always names it, so this is sound without the `unsafe` the crate forbids.
            #[allow(deprecated)]
            AsyncFd::with_interest(hold, Interest::READABLE)
                .inspect_err(|e| {
                    tracing::warn!("the lane in front stays on its reader thread: {e}");
                })
                .ok()
        });
    }

    /// Wait until the lane in front has output (never, without one).
    pub(super) async fn ready(&self) -> std::io::Result<AsyncFdReadyGuard<'_, LoopRead>> {
        match &self.held {
            Some(fd) => fd.readable().await,
            None => std::future::pending().await,
        }
    }

    /// Read what the lane in front printed, if anything, into `buf`, without waiting.
    pub(super) fn read_now(&mut self, buf: &mut [u8]) {
        if let Some(fd) = &self.held {
            let read = fd.get_ref().read(buf);
            self.after(read);
        }
    }

    /// At its end the lane goes back to its thread, which reports the exit.
    pub(super) fn after(&mut self, read: FrontRead) {
        if read == FrontRead::End {
            self.held = None;
        }
    }
}

/// Read what the lane in front printed into `buf`, once [`Front::ready`] said it has some; then
/// [`Front::after`].
pub(super) fn read_ready(
    ready: std::io::Result<AsyncFdReadyGuard<'_, LoopRead>>,
    buf: &mut [u8],
) -> FrontRead {
    match ready {
        Ok(mut guard) => {
            let read = guard.get_inner().read(buf);
            // Cleared only when a read found nothing: the PTY's next output signals again.
            if read == FrontRead::Idle {
                guard.clear_ready();
            }
            read
        }
        Err(e) => {
            tracing::warn!("waiting for the lane in front failed: {e}");
            FrontRead::End
        }
    }
}
