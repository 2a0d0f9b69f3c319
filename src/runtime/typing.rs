//! While the user types into the lane in front, the loop's periodic work waits for an echo.
//!
//! That work is the 1 s tick (a look at every lane's screen, then a whole frame for the ages)
//! and the results of background tasks (the lane re-read, the process probe, the journal, the
//! monitors). With 25 par lanes the tick alone took the loop 1-7 ms (BENCHMARKS.md, run 148),
//! and a key or an echo that came meanwhile waited for it: a third of the slowest idle echoes.
//! Run right after an echo is drawn, the work has the time until the next keystroke to itself.
//! Lanes' output is not periodic work: it never waits here.

use std::time::{Duration, Instant};

/// Keys sent to the lane in front this recently mean the user is typing.
const TYPING: Duration = Duration::from_millis(250);
/// The longest periodic work waits for an echo (keys may bring none: a password prompt, a
/// program that ignores them). Ages and lane states are then late by a quarter second at most.
const WAIT_AT_MOST: Duration = Duration::from_millis(250);

/// When keys last went to the lane in front, and since when periodic work has waited.
#[derive(Debug, Default)]
pub(super) struct Typing {
    key: Option<Instant>,
    waiting: Option<Instant>,
}

impl Typing {
    /// A key went to the lane in front.
    pub(super) fn key(&mut self, at: Instant) {
        self.key = Some(at);
    }

    /// Whether periodic work may run now: the user is not typing, an echo was just drawn
    /// (`echoed`), or the work has waited long enough. A `false` starts the wait.
    pub(super) fn may_run(&mut self, now: Instant, echoed: bool) -> bool {
        let typing = self
            .key
            .is_some_and(|k| now.saturating_duration_since(k) < TYPING);
        let waited = self
            .waiting
            .is_some_and(|w| now.saturating_duration_since(w) >= WAIT_AT_MOST);
        if !typing || echoed || waited {
            self.waiting = None;
            return true;
        }
        self.waiting.get_or_insert(now);
        false
    }

    /// When work that waits may run even if no echo comes: the user stopped typing, or it
    /// waited [`WAIT_AT_MOST`]. `None` while nothing waits.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let since = self.waiting?;
        let stopped = self.key.map_or(since, |k| k + TYPING);
        Some(stopped.min(since + WAIT_AT_MOST))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_at_once_when_nobody_types() {
        let t0 = Instant::now();
        let mut t = Typing::default();
        assert!(t.may_run(t0, false));
        t.key(t0);
        assert!(
            t.may_run(t0 + TYPING, false),
            "the last key is a typing window ago"
        );
        assert_eq!(t.deadline(), None);
    }

    #[test]
    fn work_waits_for_the_echo_while_the_user_types() {
        let t0 = Instant::now();
        let mut t = Typing::default();
        t.key(t0);
        let at = t0 + Duration::from_millis(3);
        assert!(!t.may_run(at, false));
        assert_eq!(t.deadline(), Some((t0 + TYPING).min(at + WAIT_AT_MOST)));
        assert!(!t.may_run(at + Duration::from_millis(1), false));
        assert!(
            t.may_run(at + Duration::from_millis(2), true),
            "an echo was drawn"
        );
        assert_eq!(t.deadline(), None, "nothing waits any more");
    }

    #[test]
    fn work_waits_at_most_a_quarter_second_for_keys_without_echo() {
        let t0 = Instant::now();
        let mut t = Typing::default();
        t.key(t0);
        let at = t0 + Duration::from_millis(10);
        assert!(!t.may_run(at, false));
        // Keys keep coming, no echo.
        let mut now = at;
        while now < at + WAIT_AT_MOST {
            t.key(now);
            assert!(!t.may_run(now, false));
            assert!(t.deadline().is_some_and(|d| d <= at + WAIT_AT_MOST));
            now += Duration::from_millis(20);
        }
        assert!(t.may_run(at + WAIT_AT_MOST, false));
    }

    #[test]
    fn the_deadline_is_when_typing_stops() {
        let t0 = Instant::now();
        let mut t = Typing::default();
        t.key(t0);
        assert!(!t.may_run(t0 + Duration::from_millis(100), false));
        assert_eq!(t.deadline(), Some(t0 + TYPING));
        assert!(t.may_run(t0 + TYPING, false));
    }
}
