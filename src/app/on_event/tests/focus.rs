//! Enter on a lane: what it acknowledges, and what it refuses.

use super::*;
use crate::agent::Status;

/// Enter on a par lane whose tmux session is gone shows nothing, so it is refused with a flash
/// that says why and what to do, and the lane stays on the needs-you queue. Before, the lane
/// was acknowledged first (its `exited` taken off the queue) and then refused.
#[test]
fn enter_on_a_gone_session_is_refused_and_keeps_the_lane_queued() {
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a"], &[]);
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", false)],
        },
    );
    assert_eq!(s.lane(&id("a")).unwrap().status, LaneStatus::Missing);
    assert_eq!(status(&s, "a"), Status::Exited(None));
    assert_eq!(s.attention_count(), 1);

    let fx = update(&mut s, Action::Focus);
    assert!(fx.is_empty(), "nothing acknowledged or recorded: {fx:?}");
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.focused, None);
    assert_eq!(s.attention_count(), 1, "the lane stays on the queue");
    assert!(!s.lane(&id("a")).unwrap().agent.acked);
    let flash = s.flash.as_ref().unwrap();
    assert_eq!(flash.level, crate::app::state::FlashLevel::Error);
    assert!(
        flash.text.contains("tmux session is gone"),
        "{}",
        flash.text
    );
    assert!(flash.text.contains("`par open a`"), "{}", flash.text);
    assert!(!flash.text.contains('\n'), "one line: {}", flash.text);

    // Back: Enter shows it and acknowledges it.
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", true)],
        },
    );
    update(&mut s, Action::Focus);
    assert_eq!(s.mode, Mode::Focus);
    assert!(s.lane(&id("a")).unwrap().agent.acked);
}

/// A console that starts selects the top row, and while nobody has touched a key the selection
/// goes with the top row as the lanes that need you come up (it stayed on the first label
/// alphabetically, in the middle of the list, and Enter acted on a lane the user had not
/// picked); once a lane that needs you is selected, or a key was pressed, it stays put.
#[test]
fn the_first_selection_follows_the_lanes_that_need_you_to_the_top() {
    let mut s = state_with(&["a", "b", "c"]);
    assert_eq!(s.selected, Some(id("a")));
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a", "b", "c"], &[]);
    look(&mut s, 5, &[], &[]);
    update(&mut s, Event::LaneBell { lane: id("c") });
    assert_eq!(order(&s)[0], "c");
    assert_eq!(s.selected, Some(id("c")), "the top row, which needs you");
    // On a lane that needs you it stays, when another comes above it.
    update(&mut s, Event::LaneBell { lane: id("b") });
    assert_eq!(s.selected, Some(id("c")));

    // A key first: the selection is the user's.
    let mut s = state_with(&["a", "b", "c"]);
    update(&mut s, Action::Select { lane: id("a") });
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a", "b", "c"], &[]);
    look(&mut s, 5, &[], &[]);
    update(&mut s, Event::LaneBell { lane: id("c") });
    assert_eq!(order(&s)[0], "c");
    assert_eq!(s.selected, Some(id("a")));
}
