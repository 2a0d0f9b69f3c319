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
    c_rings(&mut s);
    assert_eq!(order(&s)[0], "c");
    assert_eq!(s.selected, Some(id("c")), "the top row, which needs you");
    // On a lane that needs you it stays, when another comes above it.
    update(&mut s, Event::LaneBell { lane: id("b") });
    assert_eq!(s.selected, Some(id("c")));

    // A key first: the selection is the user's.
    let mut s = state_with(&["a", "b", "c"]);
    update(&mut s, Action::Select { lane: id("a") });
    c_rings(&mut s);
    assert_eq!(order(&s)[0], "c");
    assert_eq!(s.selected, Some(id("a")));
}

/// Agents in lanes a, b and c that printed and went quiet; then c rings the bell (it needs you).
fn c_rings(s: &mut AppState) {
    look(s, 0, &[], &[]);
    agents(s);
    look(s, 1, &["a", "b", "c"], &[]);
    look(s, 5, &[], &[]);
    update(s, Event::LaneBell { lane: id("c") });
}

/// `s` on a lane whose tmux session is gone is refused before a line is typed, as Enter is:
/// the prompt opened, and the send failed only once the text was in.
#[test]
fn send_to_a_gone_session_is_refused_before_the_prompt() {
    let mut s = state_with(&["a"]);
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", false)],
        },
    );
    update(&mut s, Action::PromptSend);
    assert_eq!(s.mode, Mode::Normal, "no prompt");
    let flash = s.flash.as_ref().unwrap();
    assert!(
        flash.text.contains("tmux session is gone"),
        "{}",
        flash.text
    );
    // Back: the prompt opens.
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", true)],
        },
    );
    update(&mut s, Action::PromptSend);
    assert!(matches!(s.mode, Mode::Prompt(_)), "{:?}", s.mode);
}

/// A lane this console removes is not decided while its session and worktree go away (the
/// look recorded `unknown`, then `exited · tmux session missing`, after `lane.removed`), leaves
/// the list once removed, and the selection goes to the lane that took its row.
#[test]
fn a_lane_being_removed_is_not_decided_and_its_neighbour_is_selected() {
    let mut s = state_with(&["a", "b", "c"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a", "b", "c"], &[]);
    update(&mut s, Action::Select { lane: id("b") });
    update(
        &mut s,
        Action::RemoveLane {
            lane: id("b"),
            force: false,
        },
    );
    // par kills its session: the look would decide it exited.
    let fx = update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("b"), crate::agent::Process::Dead(None))],
        },
    );
    let recorded = |fx: &[Effect]| {
        fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { lane, .. } if lane == &id("b")))
    };
    assert!(!recorded(&fx), "{fx:?}");
    assert!(!recorded(&look(&mut s, 30, &[], &[])));
    update(
        &mut s,
        Event::LaneCommandDone {
            what: crate::model::AuditAction::LaneRemoved.to_string(),
            lane: Some(id("b")),
            result: Ok("lane b removed".into()),
        },
    );
    assert_eq!(order(&s), ["a", "c"]);
    assert_eq!(s.selected, Some(id("c")), "the row below, not the top");
    assert!(s.removed.is_empty());

    // A removal refused (unsaved work appeared): the lane is decided again.
    let mut s = state_with(&["a"]);
    update(
        &mut s,
        Action::RemoveLane {
            lane: id("a"),
            force: false,
        },
    );
    update(
        &mut s,
        Event::LaneCommandDone {
            what: crate::model::AuditAction::LaneRemoved.to_string(),
            lane: Some(id("a")),
            result: Err("lane a has unsaved work".into()),
        },
    );
    assert!(s.removed.is_empty());
    assert_eq!(order(&s), ["a"]);
}
