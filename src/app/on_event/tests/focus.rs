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
