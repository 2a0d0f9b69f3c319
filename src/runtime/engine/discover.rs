//! The engine's lane discovery: the first read of the repo's lanes, the re-reads something
//! asks for, and the periodic one, each on a background thread of its own.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::app::Event;
use crate::pty::PtyBackend;
use crate::runtime::engine::Engine;

/// How many lanes' git counts the console's re-read takes at a time (see
/// [`crate::lanes::discover_with`]): two, one per core of a small machine. A lane's two git
/// runs take a few ms, so 50 lanes still fit well inside the 5 s between reads.
const REDISCOVER_AT_ONCE: usize = 2;

/// How long the periodic re-read may keep a quiet lane's git counts: a lane that printed since
/// the last read is counted again at once (its program is what changes its worktree), the
/// others at least this often (an edit or a commit from outside, a base branch that moved).
/// With 25 idle lanes, a re-read ran 50 git processes every 5 s (about 2% of a core), and a
/// scheduler trace caught an echo's kernel work waiting behind one (BENCHMARKS.md, "What holds
/// the echoes past the first second", "Quiet lanes keep their git counts").
const RECOUNT_QUIET_EVERY: Duration = Duration::from_secs(30);

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
        let now = Instant::now();
        let (known, all) = self.known_counts(idle, now);
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
            let result = crate::lanes::discover_with(&repo, at_once, &known);
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
        match started {
            Ok(_) => {
                self.counted = Some(now);
                if all {
                    self.counted_all = Some(now);
                }
            }
            Err(e) => {
                tracing::warn!("cannot start the lane re-read: {e}; it is tried again in 5 s");
                self.discovering.store(false, Ordering::Release);
            }
        }
    }

    /// The git counts a read started at `now` can keep, and whether it counts every lane: it
    /// does when asked for, or when the last read of every lane is [`RECOUNT_QUIET_EVERY`]
    /// old; the periodic one keeps those of this machine's lanes that printed nothing since
    /// the last read started.
    fn known_counts(&self, periodic: bool, now: Instant) -> (crate::lanes::KnownCounts, bool) {
        let Some(since) = keeps_since(periodic, self.counted, self.counted_all, now) else {
            return (crate::lanes::KnownCounts::new(), true);
        };
        let known = self
            .state
            .lanes
            .iter()
            .filter(|l| l.remote.is_none() && l.last_output.is_none_or(|t| t < since))
            .map(|l| {
                let i = &l.info;
                (i.worktree.clone(), (i.branch.clone(), i.git.clone()))
            })
            .collect();
        (known, false)
    }
}

/// When a read started at `now` may keep the counts of lanes quiet since: the last read's
/// start, for a periodic read within [`RECOUNT_QUIET_EVERY`] of the last read of every lane.
fn keeps_since(
    periodic: bool,
    counted: Option<Instant>,
    counted_all: Option<Instant>,
    now: Instant,
) -> Option<Instant> {
    let recent =
        counted_all.is_some_and(|t| now.saturating_duration_since(t) < RECOUNT_QUIET_EVERY);
    counted.filter(|_| periodic && recent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_lanes_keep_their_counts_only_between_whole_counts() {
        let t0 = Instant::now();
        let last = t0 + Duration::from_secs(5);
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(keeps_since(true, Some(last), Some(t0), at(10)), Some(last));
        assert_eq!(
            keeps_since(false, Some(last), Some(t0), at(10)),
            None,
            "asked for"
        );
        assert_eq!(
            keeps_since(true, Some(last), Some(t0), at(30)),
            None,
            "30 s on"
        );
        assert_eq!(
            keeps_since(true, None, None, at(10)),
            None,
            "the first read"
        );
    }
}
