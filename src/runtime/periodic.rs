//! The loop's periodic work: the 1 s tick and the results of background tasks. While the user
//! types into the lane in front it waits for an echo, then runs at the end of that turn
//! ([`super::typing`] says when).

use std::time::Instant;

use crate::app::Event;
use crate::pty::PtyBackend;

use super::Engine;
use super::typing::Typing;

/// How often lanes are re-read from par and git, in ticks.
const DISCOVER_EVERY: u32 = 5;

/// The tick and the background results that wait.
#[derive(Debug, Default)]
pub(super) struct Periodic {
    pub(super) typing: Typing,
    /// The 1 s tick came and has not run yet.
    pub(super) tick_due: bool,
    ticks: u32,
    held: Vec<Event>,
}

impl Periodic {
    /// When the loop must wake for work that waits, if nothing else comes first.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.typing.deadline()
    }

    /// Take the background results out of this turn's events while they must wait; put the
    /// ones that waited back in front of them (they came first) once they may run.
    pub(super) fn sort(&mut self, io: &mut Vec<Event>, now: Instant) {
        if self.held.is_empty() && io.iter().all(is_lane_output) {
            return;
        }
        if self.typing.may_run(now, false) {
            io.splice(0..0, self.held.drain(..));
        } else {
            self.held.extend(io.extract_if(.., |e| !is_lane_output(e)));
        }
    }

    /// At the end of a turn (`echoed`: it drew a key's echo), run the tick and the results
    /// that waited if they may run now, so the frame they ask for comes next turn, after any
    /// key that came meanwhile. Returns whether anything ran.
    pub(super) fn run<B: PtyBackend>(
        &mut self,
        engine: &mut Engine<B>,
        echoed: bool,
        now: Instant,
    ) -> bool {
        if !self.tick_due && self.held.is_empty() || !self.typing.may_run(now, echoed) {
            return false;
        }
        for e in self.held.drain(..) {
            if engine.outcome.is_some() {
                return true;
            }
            engine.handle(e);
        }
        if std::mem::take(&mut self.tick_due) {
            self.ticks = self.ticks.wrapping_add(1);
            engine.tick(now);
            crate::telemetry::echo::flush();
            if self.ticks.is_multiple_of(DISCOVER_EVERY) {
                engine.rediscover();
            }
        }
        true
    }
}

/// Lanes' output notices, which never wait (the echo may be one of them).
fn is_lane_output(e: &Event) -> bool {
    matches!(e, Event::LaneOutput { .. } | Event::LaneSeeded { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LaneId;

    fn output(lane: &str) -> Event {
        Event::LaneOutput {
            lane: LaneId::new(lane),
            at: Instant::now(),
        }
    }

    fn failed(n: u8) -> Event {
        Event::DiscoveryFailed {
            error: n.to_string(),
        }
    }

    fn names(io: &[Event]) -> Vec<String> {
        io.iter()
            .map(|e| match e {
                Event::LaneOutput { lane, .. } => lane.0.clone(),
                Event::DiscoveryFailed { error } => error.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn results_wait_while_the_user_types_and_come_back_first_in_order() {
        let t0 = Instant::now();
        let mut p = Periodic::default();
        let mut io = vec![failed(1), output("a")];
        p.sort(&mut io, t0);
        assert_eq!(names(&io), ["1", "a"], "nobody typing: nothing waits");

        p.typing.key(t0);
        let mut io = vec![failed(2), output("a"), failed(3)];
        p.sort(&mut io, t0);
        assert_eq!(names(&io), ["a"], "a lane's output never waits");
        let mut io = vec![output("b"), failed(4)];
        p.sort(&mut io, t0 + std::time::Duration::from_millis(10));
        assert_eq!(names(&io), ["b"]);
        assert!(
            p.deadline().is_some(),
            "the loop wakes for them at the latest"
        );

        // The user stopped typing a while ago: what waited comes first, in order.
        let mut io = vec![failed(5), output("c")];
        p.sort(&mut io, t0 + std::time::Duration::from_secs(1));
        assert_eq!(names(&io), ["2", "3", "4", "5", "c"]);
        assert!(p.held.is_empty());
    }
}
