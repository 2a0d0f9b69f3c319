//! Reducer tables for the Temporal panel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use rstest::rstest;
use time::macros::datetime;

use super::model::{LinkedWorkflow, Snapshot, TriageOp, WfStatus, WorkflowRow};
use super::{ConnState, EditKind, TemporalAction, TemporalEvent, lane_counts, on_action, on_event};
use crate::app::effect::TemporalEffect;
use crate::app::state::{Attention, Lane, Mode, RepoInfo};
use crate::app::{Action, AppState, Effect};
use crate::model::{GitCounts, LaneId, LaneInfo, LaneSource};

fn row(id: &str, status: WfStatus) -> WorkflowRow {
    WorkflowRow {
        id: id.into(),
        run_id: format!("run-{id}"),
        workflow_type: "Deploy".into(),
        status,
        start_time: Some(datetime!(2026-11-25 10:00:00 UTC)),
        close_time: None,
        task_queue: "q".into(),
        history_length: 3,
        lane: None,
    }
}

fn snapshot(rows: Vec<WorkflowRow>) -> Snapshot {
    Snapshot {
        server_version: "1.32.0".into(),
        namespace: "default".into(),
        namespace_state: "Registered".into(),
        total: rows.len() as u64,
        counts: vec![(WfStatus::Running, 1)],
        linked: rows
            .iter()
            .map(|r| LinkedWorkflow {
                id: r.id.clone(),
                status: r.status,
                lane: r.lane.clone(),
            })
            .collect(),
        workflows: rows,
        page: 0,
        has_next_page: false,
        query: String::new(),
        query_error: None,
        queues: Vec::new(),
        refresh_ms: 5,
        taken_at: datetime!(2026-11-25 10:05:00 UTC),
    }
}

fn state_with_lanes(labels: &[&str]) -> AppState {
    let mut s = AppState::new(
        RepoInfo {
            path: "/r".into(),
            name: "r".into(),
        },
        Instant::now(),
    );
    s.lanes = labels
        .iter()
        .map(|l| {
            Lane::new(LaneInfo {
                id: LaneId::new(*l),
                branch: None,
                worktree: "/r".into(),
                source: LaneSource::Worktree,
                session_alive: true,
                git: GitCounts::default(),
            })
        })
        .collect();
    s.selected = labels.first().map(|l| LaneId::new(*l));
    s
}

fn refreshed(s: &mut AppState, rows: Vec<WorkflowRow>) {
    on_event(
        s,
        TemporalEvent::Refreshed {
            snapshot: Box::new(snapshot(rows)),
            at: Instant::now(),
        },
    );
}

#[rstest]
#[case("a/deploy-1", None, "a", true)]
#[case("ab/deploy-1", None, "a", false)]
#[case("x", Some("a"), "a", true)]
#[case("a", None, "a", false)]
#[case::attribute_wins("b/deploy-1", Some("a"), "a", true)]
#[case::attribute_wins_over_prefix("b/deploy-1", Some("a"), "b", false)]
#[case::empty_attribute_is_unset("b/deploy-1", Some(""), "b", true)]
// A lane on another machine is `host/label` in the console: its workflows name it so.
#[case::remote_lane_by_attribute("deploy-1", Some("box/wt-1"), "box/wt-1", true)]
#[case::a_remote_label_is_not_the_local_lane("deploy-1", Some("box/wt-1"), "wt-1", false)]
fn lane_linkage(
    #[case] id: &str,
    #[case] attr: Option<&str>,
    #[case] lane: &str,
    #[case] yes: bool,
) {
    assert_eq!(super::belongs_to(id, attr, lane), yes);
    assert_eq!(super::model::lane_of(id, attr) == Some(lane), yes);
}

#[test]
fn lane_counts_and_failed_lane_needs_attention_once() {
    let mut s = state_with_lanes(&["a", "b"]);
    let mut lane_b = row("other", WfStatus::Running);
    lane_b.lane = Some("b".into());
    refreshed(
        &mut s,
        vec![
            row("a/one", WfStatus::Running),
            row("a/two", WfStatus::Failed),
            lane_b,
        ],
    );
    assert_eq!(lane_counts(&s.temporal, &LaneId::new("a")), (1, 1));
    assert_eq!(lane_counts(&s.temporal, &LaneId::new("b")), (1, 0));
    let a = s.lane(&LaneId::new("a")).unwrap();
    assert_eq!(
        a.attention,
        Some(Attention::WorkflowFailed { id: "a/two".into() })
    );
    // The user looks at it (focus clears attention); the same failure is not raised again.
    s.lane_mut(&LaneId::new("a")).unwrap().attention = None;
    refreshed(&mut s, vec![row("a/two", WfStatus::Failed)]);
    assert_eq!(s.lane(&LaneId::new("a")).unwrap().attention, None);
}

#[test]
fn selection_moves_and_survives_refresh() {
    let mut s = state_with_lanes(&[]);
    refreshed(
        &mut s,
        vec![row("w1", WfStatus::Running), row("w2", WfStatus::Running)],
    );
    assert_eq!(s.temporal.selected.as_deref(), Some("w1"));
    on_action(&mut s, TemporalAction::SelectNext);
    on_action(&mut s, TemporalAction::SelectNext);
    assert_eq!(s.temporal.selected.as_deref(), Some("w2"));
    refreshed(
        &mut s,
        vec![row("w0", WfStatus::Running), row("w2", WfStatus::Running)],
    );
    assert_eq!(s.temporal.selected.as_deref(), Some("w2"));
    let fx = on_action(&mut s, TemporalAction::ToggleDetail);
    assert_eq!(
        fx,
        vec![Effect::Temporal(TemporalEffect::Watch {
            workflow: Some(("w2".into(), "run-w2".into()))
        })]
    );
}

#[test]
fn filter_input_sends_query() {
    let mut s = state_with_lanes(&["a"]);
    on_action(&mut s, TemporalAction::PromptFilter);
    for ch in "ExecutionStatus=\"Failed\"".chars() {
        on_action(&mut s, TemporalAction::Input { ch });
    }
    let fx = on_action(&mut s, TemporalAction::InputSubmit);
    assert_eq!(
        fx,
        vec![Effect::Temporal(TemporalEffect::Query {
            filter: "ExecutionStatus=\"Failed\"".into(),
            lane: None,
            page: 0
        })]
    );
    let fx = on_action(&mut s, TemporalAction::LaneWorkflows);
    assert_eq!(
        fx,
        vec![Effect::Temporal(TemporalEffect::Query {
            filter: "ExecutionStatus=\"Failed\"".into(),
            lane: Some("a".into()),
            page: 0
        })]
    );
}

#[test]
fn signal_validates_json_then_confirms_then_runs_once() {
    let mut s = state_with_lanes(&[]);
    refreshed(&mut s, vec![row("w1", WfStatus::Running)]);
    on_action(&mut s, TemporalAction::PromptSignal);
    for ch in "go".chars() {
        on_action(&mut s, TemporalAction::Input { ch });
    }
    on_action(&mut s, TemporalAction::InputSubmit);
    assert_eq!(
        s.temporal.editor.as_ref().unwrap().kind,
        EditKind::SignalInput
    );
    for ch in "{bad".chars() {
        on_action(&mut s, TemporalAction::Input { ch });
    }
    on_action(&mut s, TemporalAction::InputSubmit);
    let e = s.temporal.editor.as_ref().unwrap();
    assert!(e.error.as_deref().unwrap().contains("not JSON"), "{e:?}");
    on_action(&mut s, TemporalAction::InputCancel);
    on_action(&mut s, TemporalAction::PromptSignal);
    for ch in "go".chars() {
        on_action(&mut s, TemporalAction::Input { ch });
    }
    on_action(&mut s, TemporalAction::InputSubmit);
    for ch in "{\"n\":1}".chars() {
        on_action(&mut s, TemporalAction::Input { ch });
    }
    on_action(&mut s, TemporalAction::InputSubmit);
    let Mode::Confirm(c) = s.mode.clone() else {
        panic!("expected a confirm, got {:?}", s.mode)
    };
    let Action::Temporal(exec) = *c.on_yes else {
        panic!("confirm runs a temporal action")
    };
    let fx = on_action(&mut s, exec.clone());
    assert!(matches!(
        &fx[..],
        [Effect::Temporal(TemporalEffect::Triage { request })]
            if request.op == TriageOp::Signal { name: "go".into(), input: Some("{\"n\":1}".into()) }
            && request.run_id.as_deref() == Some("run-w1")
    ));
    // A second yes while the first is in flight does nothing.
    assert!(on_action(&mut s, exec).is_empty());
}

#[test]
fn closed_workflow_refuses_cancel() {
    let mut s = state_with_lanes(&[]);
    refreshed(&mut s, vec![row("w1", WfStatus::Completed)]);
    on_action(&mut s, TemporalAction::PromptCancel);
    assert_eq!(s.mode, Mode::Normal);
    assert!(s.flash.as_ref().unwrap().text.contains("already Completed"));
}

#[test]
fn unreachable_keeps_first_failure_time() {
    let mut s = state_with_lanes(&[]);
    let t0 = Instant::now();
    on_event(
        &mut s,
        TemporalEvent::Unreachable {
            reason: "refused".into(),
            at: t0,
            retry_secs: 1,
        },
    );
    on_event(
        &mut s,
        TemporalEvent::Unreachable {
            reason: "refused".into(),
            at: t0 + std::time::Duration::from_secs(3),
            retry_secs: 2,
        },
    );
    assert!(
        matches!(s.temporal.conn, ConnState::Unreachable { since, retry_secs: 2, .. } if since == t0)
    );
}
