//! Snapshots of the Temporal panel (ratatui TestBackend + insta) in its main states, drawn from
//! fixed data so times are stable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use helios::app::AppState;
use helios::app::action::Panel;
use helios::app::state::RepoInfo;
use helios::app::temporal::model::{
    ChildInfo, FailureInfo, HistoryLine, LinkedWorkflow, PendingActivity, Poller, QueueInfo,
    Snapshot, WfStatus, WorkflowDetail, WorkflowRow,
};
use helios::app::temporal::{ConnState, EditKind, Editor};
use helios::config::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use time::macros::datetime;

fn row(id: &str, ty: &str, status: WfStatus, queue: &str, hist: i64) -> WorkflowRow {
    WorkflowRow {
        id: id.into(),
        run_id: "0195f3a2-run".into(),
        workflow_type: ty.into(),
        status,
        start_time: Some(datetime!(2026-11-25 09:58:10 UTC)),
        close_time: status
            .is_closed()
            .then_some(datetime!(2026-11-25 09:59:40 UTC)),
        task_queue: queue.into(),
        history_length: hist,
        lane: None,
    }
}

fn snapshot() -> Snapshot {
    let workflows = vec![
        row(
            "lane-a/deploy-01J",
            "Deploy",
            WfStatus::Running,
            "deploys",
            12,
        ),
        row(
            "lane-a/review-01J",
            "Review",
            WfStatus::Failed,
            "reviews",
            9,
        ),
        row(
            "lane-b/test-01J",
            "RunTests",
            WfStatus::Completed,
            "tests",
            31,
        ),
        row("nightly-build", "Build", WfStatus::TimedOut, "builds", 7),
    ];
    Snapshot {
        server_version: "1.32.0".into(),
        namespace: "default".into(),
        namespace_state: "Registered".into(),
        total: 42,
        counts: vec![
            (WfStatus::Running, 5),
            (WfStatus::Completed, 30),
            (WfStatus::Failed, 3),
            (WfStatus::Terminated, 2),
            (WfStatus::TimedOut, 2),
        ],
        linked: workflows
            .iter()
            .map(|w| LinkedWorkflow {
                id: w.id.clone(),
                status: w.status,
                lane: None,
            })
            .collect(),
        workflows,
        page: 0,
        has_next_page: true,
        query: String::new(),
        query_error: None,
        queues: vec![
            QueueInfo {
                name: "deploys".into(),
                pollers: Vec::new(),
                running: 1,
            },
            QueueInfo {
                name: "reviews".into(),
                pollers: vec![Poller {
                    identity: "4242@builder-1".into(),
                    last_access: Some(datetime!(2026-11-25 10:04:58 UTC)),
                }],
                running: 0,
            },
        ],
        refresh_ms: 38,
        taken_at: datetime!(2026-11-25 10:05:00 UTC),
    }
}

fn state() -> AppState {
    let now = Instant::now();
    let mut s = AppState::new(
        RepoInfo {
            path: "/r".into(),
            name: "r".into(),
        },
        now,
    );
    s.panel = Panel::Temporal;
    s.temporal.conn = ConnState::Connected;
    s.temporal.snapshot = Some(snapshot());
    s.temporal.updated_at = Some(now.checked_sub(Duration::from_secs(3)).unwrap());
    s.temporal.selected = Some("lane-a/review-01J".into());
    s
}

fn draw(s: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| helios::ui::temporal::render(f, f.area(), s, &Theme::default()))
        .unwrap();
    format!("{}", t.backend())
}

#[test]
fn panel_list() {
    insta::assert_snapshot!(draw(&state(), 120, 20));
}

#[test]
fn panel_detail_of_failed_workflow() {
    let mut s = state();
    s.temporal.detail_open = true;
    s.temporal.detail = Some(WorkflowDetail {
        row: row(
            "lane-a/review-01J",
            "Review",
            WfStatus::Failed,
            "reviews",
            9,
        ),
        pending_activities: vec![PendingActivity {
            id: "3".into(),
            activity_type: "RunLinter".into(),
            state: "Scheduled".into(),
            attempt: 4,
            maximum_attempts: 5,
            last_failure: Some("exit status 2".into()),
        }],
        failure: Some(FailureInfo {
            message: "review rejected: 3 blocking comments".into(),
            stack_trace: "  File \"review.py\", line 12, in run\n    raise ApplicationError(...)"
                .into(),
            causes: vec!["linter failed".into()],
        }),
        parent: Some("lane-a/deploy-01J".into()),
        children: vec![ChildInfo {
            id: "lane-a/lint-01J".into(),
            workflow_type: "Lint".into(),
        }],
        recent_events: vec![
            HistoryLine {
                id: 9,
                time: Some(datetime!(2026-11-25 09:59:40 UTC)),
                kind: "WorkflowExecutionFailed".into(),
            },
            HistoryLine {
                id: 8,
                time: Some(datetime!(2026-11-25 09:59:39 UTC)),
                kind: "WorkflowTaskCompleted".into(),
            },
        ],
    });
    insta::assert_snapshot!(draw(&s, 130, 30));
}

#[test]
fn panel_unreachable_with_stale_data() {
    let mut s = state();
    s.temporal.conn = ConnState::Unreachable {
        reason: "Temporal at 127.0.0.1:7233 is unreachable: connection refused (start it there, or point helios at another with --temporal / TEMPORAL_ADDRESS)".into(),
        since: s.now,
        at: s.now.checked_sub(Duration::from_secs(3)).unwrap(),
        retry_secs: 8,
    };
    s.temporal.updated_at = Some(s.now.checked_sub(Duration::from_secs(95)).unwrap());
    insta::assert_snapshot!(draw(&s, 120, 20));
    // The default address nobody set: not configured, not an error with a retry count.
    s.temporal.quiet_default = true;
    let text = draw(&s, 120, 20);
    assert!(
        text.contains("nothing configured: no Temporal server runs at the default address")
            && !text.contains("retrying"),
        "{text}"
    );
}

#[test]
fn panel_bad_filter_shows_server_message() {
    let mut s = state();
    s.temporal.filter = "ExecutionStatus=\"Faild\"".into();
    let snap = s.temporal.snapshot.as_mut().unwrap();
    snap.workflows.clear();
    snap.query = "ExecutionStatus=\"Faild\"".into();
    snap.query_error =
        Some("invalid query: invalid expression: invalid ExecutionStatus value 'Faild'".into());
    insta::assert_snapshot!(draw(&s, 120, 20));
}

#[test]
fn panel_signal_input_rejects_bad_json() {
    let mut s = state();
    s.temporal.editor = Some(Editor {
        kind: EditKind::SignalInput,
        text: "{approve".into(),
        error: Some("signal input is not JSON: key must be a string at line 1 column 2".into()),
        target: Some(("lane-a/deploy-01J".into(), "r".into())),
        signal_name: Some("approve".into()),
    });
    insta::assert_snapshot!(draw(&s, 120, 20));
}
