//! The engine's lane discovery: the first read of the repo's lanes, the re-reads something
//! asks for, and the periodic one, each on a background thread of its own.

use std::sync::atomic::Ordering;

use crate::app::Event;
use crate::pty::PtyBackend;
use crate::runtime::engine::Engine;

/// How many lanes' git counts the console's re-read takes at a time (see
/// [`crate::lanes::discover_with`]): two, one per core of a small machine. A lane's two git
/// runs take a few ms, so 50 lanes still fit well inside the 5 s between reads.
const REDISCOVER_AT_ONCE: usize = 2;

impl<B: PtyBackend> Engine<B> {
    /// Start lane discovery on a thread of its own (at most one at a time; a request during a
    /// run queues one more), at background priority: for the first read and whenever something
    /// asks for one (a lane made or removed, `r`).
    pub fn discover(&mut self) {
        self.discover_as(false);
    }

    /// The periodic re-read: [`Self::discover`] under `SCHED_IDLE`, so the 50 git processes of
    /// 25 lanes never hold back a keystroke's threads, even for a slice.
    pub fn rediscover(&mut self) {
        self.discover_as(true);
    }

    fn discover_as(&mut self, idle: bool) {
        if self.discovering.swap(true, Ordering::AcqRel) {
            self.discover_again = true;
            return;
        }
        let repo = self.state.repo.path.clone();
        let events = self.ctx.events.clone();
        let flag = self.discovering.clone();
        // The first read shows the lanes: all at once. Later ones are background work.
        let at_once = if std::mem::replace(&mut self.discovered, true) {
            REDISCOVER_AT_ONCE
        } else {
            usize::MAX
        };
        // Its git and tmux processes must not hold back an echo.
        let work = move || {
            let result = crate::lanes::discover_with(&repo, at_once);
            flag.store(false, Ordering::Release);
            let sent = events.send(match result {
                Ok(lanes) => Event::LanesDiscovered { lanes },
                Err(e) => Event::DiscoveryFailed {
                    error: e.to_string(),
                },
            });
            if sent.is_err() {
                tracing::debug!("a lane re-read ended after the console stopped");
            }
        };
        let started = if idle {
            crate::config::priority::spawn_idle("lane-discover", work)
        } else {
            crate::config::priority::spawn("lane-discover", work)
        };
        if let Err(e) = started {
            tracing::warn!("cannot start the lane re-read: {e}; it is tried again in 5 s");
            self.discovering.store(false, Ordering::Release);
        }
    }
}
