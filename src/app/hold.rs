//! A par lane's screen change held back one look. Another tmux client can resize a par lane's
//! window (the user attaching from outside at another size, `tmux resize-window`, helios's `a`
//! nested in another tmux server), and the program redraws for it: the same rows moving as
//! output. helios learns the pane's new size from its process probe (`tmux list-panes`), which
//! may answer after the look that saw the redraw. So a change that would take a lane out of a
//! state where a change matters (anything but `working`) waits for a probe asked at once: if
//! that probe saw the pane's size change, the change was the redraw and is dropped; else it
//! counts, dated when it was seen. The cost: `working` a look (about a second) later.

use time::OffsetDateTime;

/// How many looks a change is held at most while no probe answers (a busy tmux; a probe
/// answers in milliseconds, and a look is a second): at the next it counts, dated when seen.
pub const MAX_LOOKS: u8 = 2;

/// What a look makes of a lane's rows, for its state ([`crate::app::agent::ScreenObservation`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Change {
    /// Its rows did not change since the last look (or only as a redraw helios knows of).
    #[default]
    None,
    /// Its rows changed since the last look.
    Now,
    /// A change seen at an earlier look (at this time), held back and no redraw: it counts now,
    /// dated then.
    Since(OffsetDateTime),
    /// Its rows changed, held back until the probe says whether the window was resized.
    Held,
    /// What was held back was the redraw for a resize by another tmux client: no change.
    Redraw,
}

impl Change {
    /// `Now` when the rows changed, else `None`.
    pub fn seen(changed: bool) -> Self {
        if changed { Self::Now } else { Self::None }
    }

    /// When the lane changed, for this look at `at`: `None` when it did not (or not yet).
    pub fn at(self, at: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Self::Now => Some(at),
            Self::Since(then) => Some(then),
            Self::None | Self::Held | Self::Redraw => None,
        }
    }
}

/// A change held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// When the look that saw it was (wall clock), the date it counts with.
    pub at: OffsetDateTime,
    /// That look's instant: a resize noticed from then on explains it.
    pub looked: std::time::Instant,
    /// The process probe that must have answered before it is judged (probes are numbered
    /// from 1 as they start).
    pub probe: u64,
    /// The looks it was held at.
    pub looks: u8,
}

/// One look at a lane, as far as holding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// Its rows moved since the last look, and no redraw helios knows of explains it.
    pub moved: bool,
    /// When a change of the lane's size (its pane's, from the probe, or its screen's) was last
    /// noticed.
    pub resized: Option<std::time::Instant>,
    /// The newest probe that has answered.
    pub probed: u64,
    /// The number the next probe started will have.
    pub next_probe: u64,
    /// A change would be held: a par lane, seen on screen, whose state is not `working`
    /// ([`crate::app::agent::holds_change`]).
    pub holdable: bool,
}

/// What a look makes of a lane's rows (`now`, `at`: the look's instant and wall time), and the
/// change held from it on. A probe is wanted while something is held.
pub fn judge(
    held: Option<Held>,
    look: Look,
    now: std::time::Instant,
    at: OffsetDateTime,
) -> (Change, Option<Held>) {
    let Some(h) = held else {
        if look.moved && look.holdable {
            let h = Held {
                at,
                looked: now,
                probe: look.next_probe,
                looks: 1,
            };
            return (Change::Held, Some(h));
        }
        return (Change::seen(look.moved), None);
    };
    if look.resized.is_some_and(|r| r >= h.looked) {
        // Rows that move now are that resize's too (the engine's repaint rule says so).
        return (Change::Redraw, None);
    }
    if look.moved {
        // More output since: it counts from now, whatever the probe says of the first.
        return (Change::Now, None);
    }
    if look.probed >= h.probe || h.looks >= MAX_LOOKS {
        return (Change::Since(h.at), None);
    }
    let h = Held {
        looks: h.looks + 1,
        ..h
    };
    (Change::Held, Some(h))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn look(moved: bool, resized: Option<Instant>, probed: u64) -> Look {
        Look {
            moved,
            resized,
            probed,
            next_probe: probed + 1,
            holdable: true,
        }
    }

    #[test]
    fn a_change_out_of_a_quiet_state_waits_for_a_probe() {
        let before = Instant::now();
        let (t0, w0) = (before + Duration::from_secs(1), OffsetDateTime::UNIX_EPOCH);
        let (t1, w1) = (t0 + Duration::from_secs(1), w0 + time::Duration::seconds(1));
        let (change, held) = judge(None, look(true, None, 4), t0, w0);
        assert_eq!(change, Change::Held);
        let held = held.unwrap_or_else(|| panic!("held"));
        assert_eq!((held.at, held.probe), (w0, 5));
        // The probe answered, no resize: the change counts, dated when it was seen.
        assert_eq!(
            judge(Some(held), look(false, None, 5), t1, w1),
            (Change::Since(w0), None)
        );
        // The probe saw the pane's size change: it was the redraw.
        let resized = Some(t0 + Duration::from_millis(30));
        assert_eq!(
            judge(Some(held), look(false, resized, 5), t1, w1),
            (Change::Redraw, None)
        );
        // A resize noticed before the look that saw the change does not explain it (the
        // repaint rule covered the look after it already).
        assert_eq!(
            judge(Some(held), look(false, Some(before), 5), t1, w1),
            (Change::Since(w0), None)
        );
    }

    #[test]
    fn no_answer_holds_a_few_looks_then_counts() {
        let (t0, w0) = (Instant::now(), OffsetDateTime::UNIX_EPOCH);
        let (_, mut held) = judge(None, look(true, None, 4), t0, w0);
        for n in 2..=MAX_LOOKS {
            let (change, h) = judge(held, look(false, None, 4), t0, w0);
            assert_eq!(change, Change::Held, "look {n}");
            assert_eq!(h.map(|h| h.looks), Some(n));
            held = h;
        }
        assert_eq!(
            judge(held, look(false, None, 4), t0, w0),
            (Change::Since(w0), None)
        );
    }

    #[test]
    fn working_lanes_and_further_output_are_not_held() {
        let (t0, w0) = (Instant::now(), OffsetDateTime::UNIX_EPOCH);
        let working = Look {
            holdable: false,
            ..look(true, None, 0)
        };
        assert_eq!(judge(None, working, t0, w0), (Change::Now, None));
        assert_eq!(
            judge(None, look(false, None, 0), t0, w0),
            (Change::None, None)
        );
        // Output again at the next look counts at once, probe or not.
        let (_, held) = judge(None, look(true, None, 0), t0, w0);
        assert_eq!(
            judge(held, look(true, None, 0), t0, w0),
            (Change::Now, None)
        );
    }

    #[test]
    fn a_change_is_dated_by_its_kind() {
        let w = OffsetDateTime::UNIX_EPOCH;
        let then = w - time::Duration::seconds(1);
        assert_eq!(Change::Now.at(w), Some(w));
        assert_eq!(Change::Since(then).at(w), Some(then));
        for c in [Change::None, Change::Held, Change::Redraw] {
            assert_eq!(c.at(w), None);
        }
    }
}
