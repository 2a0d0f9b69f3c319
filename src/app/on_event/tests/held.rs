//! A par lane's output held with its screen change (`app::hold`): the next look says whether it
//! was the redraw for another tmux client's resize or the lane's own.

use super::*;
use crate::agent::{LaneState, Source, Status, WaitKind};
use crate::app::hold::Change;

/// Lane `a` waiting on a permission prompt since the start.
fn waiting() -> AppState {
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    s.lanes[0].agent.state = Some(LaneState {
        status: Status::Waiting(WaitKind::Permission),
        since: clock(0),
        source: Source::Screen,
        reason: "rm -rf build".into(),
    });
    s
}

/// A look at `secs` that makes `change` of lane `a`'s rows, its prompt still read.
fn judged(s: &mut AppState, secs: i64, change: Change) {
    let lanes = vec![crate::app::agent::ScreenObservation {
        lane: id("a"),
        change,
        screen: None,
        shell_prompt: false,
    }];
    update(
        s,
        Event::LaneScreens {
            at: clock(secs),
            lanes,
        },
    );
}

fn output(s: &mut AppState, at: Instant) {
    update(s, Event::LaneOutput { lane: id("a"), at });
}

fn lane(s: &AppState) -> (LaneStatus, Option<Instant>, Option<Instant>) {
    let l = s.lane(&id("a")).unwrap();
    (l.status, l.last_output, l.held_output)
}

#[test]
fn output_held_with_a_redraw_is_dropped_with_it() {
    let mut s = waiting();
    let t = Instant::now();
    output(&mut s, t);
    assert_eq!(lane(&s), (LaneStatus::Idle, None, Some(t)), "held");
    judged(&mut s, 1, Change::Held);
    assert_eq!(lane(&s), (LaneStatus::Idle, None, Some(t)), "still held");
    judged(&mut s, 2, Change::Redraw);
    assert_eq!(lane(&s), (LaneStatus::Idle, None, None), "the redraw");
    let l = s.lane(&id("a")).unwrap();
    assert_eq!(l.agent.inputs.last_change, Some(clock(-3600)), "no change");
}

#[test]
fn output_held_with_a_change_that_counts_is_the_lanes() {
    let mut s = waiting();
    let t = Instant::now();
    output(&mut s, t);
    judged(&mut s, 1, Change::Held);
    judged(&mut s, 2, Change::Since(clock(1)));
    assert_eq!(lane(&s), (LaneStatus::Running, Some(t), None));
    let l = s.lane(&id("a")).unwrap();
    assert_eq!(
        l.agent.inputs.last_change,
        Some(clock(1)),
        "dated when seen"
    );
    // Output that changed no rows is the lane's too, a look late.
    let mut s = waiting();
    output(&mut s, t);
    judged(&mut s, 1, Change::None);
    assert_eq!(lane(&s), (LaneStatus::Running, Some(t), None));
}

#[test]
fn a_working_lanes_output_is_not_held() {
    let mut s = waiting();
    if let Some(st) = s.lanes[0].agent.state.as_mut() {
        st.status = Status::Working;
    }
    let t = Instant::now();
    output(&mut s, t);
    assert_eq!(lane(&s), (LaneStatus::Running, Some(t), None));
}
