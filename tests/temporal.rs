//! Temporal against the real dev server: counts, list, filter, detail, triage with audit events,
//! the no-poller flag, lane linkage, the panel fed by the real monitor, and an unreachable server
//! that comes back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "support/temporal.rs"]
mod temporal_support;

use std::path::Path;
use std::time::{Duration, Instant};

use helios::app::effect::TemporalEffect;
use helios::app::state::{Attention, Lane, RepoInfo};
use helios::app::temporal::model::{TriageOp, TriageRequest};
use helios::app::temporal::{ConnState, TemporalAction, TemporalEvent, WfStatus, lane_counts};
use helios::app::update::update;
use helios::app::{Action, AppState, Effect, Event};
use helios::config::TemporalConfig;
use helios::integrations::temporal::TemporalClient;
use helios::integrations::temporal::monitor::{ListSpec, TemporalMonitor, collect};
use helios::integrations::temporal::triage::AuditContext;
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use helios::store::journal::{self, JournalHandle};
use helios::store::sqlite::SqliteStore;
use helios::store::{AuditEvent, EventQuery, EventResult, EventStore};
use support::{World, free_port, wait_until};
use temporal_support::DevServer;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

fn cfg(address: &str) -> TemporalConfig {
    TemporalConfig {
        address: address.to_string(),
        refresh_secs: 1,
        ..TemporalConfig::default()
    }
}

fn lane(label: &str) -> Lane {
    Lane::new(LaneInfo {
        id: LaneId::new(label),
        branch: None,
        worktree: "/tmp".into(),
        source: LaneSource::Worktree,
        session_alive: true,
        git: GitCounts::default(),
    })
}

fn app_state(lanes: &[&str]) -> AppState {
    let mut s = AppState::new(
        RepoInfo {
            path: "/tmp/r".into(),
            name: "r".into(),
        },
        Instant::now(),
    );
    s.lanes = lanes.iter().map(|l| lane(l)).collect();
    s.selected = lanes.first().map(|l| LaneId::new(*l));
    s
}

/// The journalled results, without the `action.requested` event the journal-first rule writes
/// before each action (that rule has its own tests).
/// Every journalled event, requests (`action.requested`, written before each action) included.
fn journal_events(path: &Path) -> Vec<AuditEvent> {
    SqliteStore::open(path)
        .unwrap()
        .query(&EventQuery::default())
        .unwrap()
}

/// The results only: what each action did.
fn audit_events(path: &Path) -> Vec<AuditEvent> {
    journal_events(path)
        .into_iter()
        .filter(|e| e.action != "action.requested")
        .collect()
}

/// The real monitor task with its channels, and the app state it feeds through the reducer.
struct Panel {
    rt: tokio::runtime::Runtime,
    effects: UnboundedSender<TemporalEffect>,
    events: UnboundedReceiver<Event>,
    state: AppState,
    journal: Option<(JournalHandle, std::thread::JoinHandle<()>)>,
}

impl Panel {
    fn start(address: &str, journal_path: &Path, lanes: &[&str]) -> Self {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (etx, erx) = unbounded_channel();
        let (ftx, frx) = unbounded_channel();
        let (handle, join) = journal::spawn(journal_path.to_path_buf(), |_| {}).unwrap();
        let monitor = TemporalMonitor::new(
            cfg(address),
            etx,
            handle.clone(),
            AuditContext::current("r"),
        );
        rt.spawn(monitor.run(frx));
        Self {
            rt,
            effects: ftx,
            events: erx,
            state: app_state(lanes),
            journal: Some((handle, join)),
        }
    }

    fn send(&mut self, fx: Vec<Effect>) {
        for e in fx {
            if let Effect::Temporal(t) = e {
                self.effects.send(t).unwrap();
            }
        }
    }

    fn act(&mut self, a: TemporalAction) {
        let fx = update(&mut self.state, Action::Temporal(a));
        self.send(fx);
    }

    /// Apply monitor events until `pred` holds.
    fn until(&mut self, what: &str, mut pred: impl FnMut(&AppState, &TemporalEvent) -> bool) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}: {:?}",
                self.state.temporal.conn
            );
            let events = &mut self.events;
            let ev = self
                .rt
                .block_on(async { tokio::time::timeout(left, events.recv()).await })
                .ok()
                .flatten();
            let Some(Event::Temporal(ev)) = ev else {
                continue;
            };
            let fx = update(&mut self.state, Event::Temporal(ev.clone()));
            self.send(fx);
            if pred(&self.state, &ev) {
                return;
            }
        }
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        if let Some((h, j)) = self.journal.take() {
            drop(h);
            // The monitor task holds a handle too; it ends with the runtime.
            drop(j);
        }
    }
}

#[test]
fn real_server_counts_list_detail_triage_and_lanes() {
    let srv = DevServer::start();
    let addr = srv.address();
    // Known states: completed and failed by the real Python worker, one running with a completed
    // workflow task (for reset), running ones with no worker, terminated, timed out.
    srv.python_worker(&["workers-q", "run"]);
    for id in [
        "lane-b/stuck-1",
        "sig-1",
        "cancel-1",
        "kill-1",
        "race-1",
        "panel-kill-1",
    ] {
        srv.start_idle(id, "Deploy", "nobody-q", &[]);
    }
    srv.start_idle("term-1", "Deploy", "nobody-q", &[]);
    srv.cli_ok(&[
        "workflow",
        "terminate",
        "-w",
        "term-1",
        "--reason",
        "test setup",
    ]);
    srv.start_idle(
        "timeout-1",
        "Deploy",
        "nobody-q",
        &["--execution-timeout", "1s"],
    );
    wait_until("timeout-1 to time out", Duration::from_mins(1), || {
        srv.status("timeout-1") == "WORKFLOW_EXECUTION_STATUS_TIMED_OUT"
    });
    wait_until(
        "visibility to see every workflow",
        Duration::from_secs(30),
        || srv.count("ExecutionStatus=\"TimedOut\"") == 1 && srv.count("") == 11,
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt.block_on(TemporalClient::connect(&cfg(&addr))).unwrap();

    // Counts per status and the total match what `temporal workflow count` says.
    let snap = rt
        .block_on(collect(
            &client,
            "v",
            true,
            &ListSpec::default(),
            &mut vec![Vec::new()],
            50,
        ))
        .unwrap();
    for st in WfStatus::ALL {
        let want = srv.count(&format!("ExecutionStatus=\"{st}\""));
        assert_eq!(snap.count(st), want, "count of {st}");
    }
    assert_eq!(snap.total, srv.count(""));
    assert_eq!(snap.count(WfStatus::Running), 7);
    assert_eq!(snap.count(WfStatus::Failed), 1);
    assert_eq!(snap.workflows.len(), 11);
    assert_eq!(snap.namespace_state, "Registered");
    assert!(!snap.server_version.is_empty());

    // A queue with running workflows and no poller is flagged.
    let nobody = snap.queues.iter().find(|q| q.name == "nobody-q").unwrap();
    assert!(nobody.needs_attention(), "{nobody:?}");

    // The filter, and a bad filter's server message in place.
    let failed = ListSpec {
        filter: "ExecutionStatus=\"Failed\"".into(),
        ..ListSpec::default()
    };
    let s = rt
        .block_on(collect(
            &client,
            "v",
            true,
            &failed,
            &mut vec![Vec::new()],
            50,
        ))
        .unwrap();
    let ids: Vec<_> = s.workflows.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["boom-1"]);
    let bad = ListSpec {
        filter: "ExecutionStatus=\"Faild\"".into(),
        ..ListSpec::default()
    };
    let s = rt
        .block_on(collect(&client, "v", true, &bad, &mut vec![Vec::new()], 50))
        .unwrap();
    assert!(s.workflows.is_empty());
    assert!(
        s.query_error.as_deref().unwrap().contains("Faild"),
        "{:?}",
        s.query_error
    );

    // Lane linkage: by id prefix and by the HeliosLane attribute.
    let lane_a = ListSpec {
        lane: Some("lane-a".into()),
        ..ListSpec::default()
    };
    let s = rt
        .block_on(collect(
            &client,
            "v",
            true,
            &lane_a,
            &mut vec![Vec::new()],
            50,
        ))
        .unwrap();
    let mut ids: Vec<_> = s.workflows.iter().map(|w| w.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["boom-1", "lane-a/greet-1"]);

    // The detail of the failed workflow: message, stack, and the failing event first.
    let detail = rt.block_on(client.describe("boom-1", None)).unwrap();
    let failure = detail.failure.as_ref().unwrap();
    assert!(
        failure.message.contains("disk full on builder-3"),
        "{failure:?}"
    );
    assert!(failure.stack_trace.contains("worker.py"), "{failure:?}");
    assert_eq!(detail.recent_events[0].kind, "WorkflowExecutionFailed");
    assert_eq!(detail.row.lane.as_deref(), Some("lane-a"));

    // `helios wf` from the shell: ls, show, and triage with audit events.
    let world = World::new("r");
    let helios = |args: &[&str]| {
        world
            .helios()
            .args(["--temporal", &addr])
            .args(args)
            .output()
            .unwrap()
    };
    let out = helios(&[
        "wf",
        "ls",
        "--json",
        "--query",
        "ExecutionStatus=\"Failed\"",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["id"], "boom-1");
    let out = helios(&["wf", "show", "boom-1", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["row"]["status"], "Failed");

    let out = helios(&["wf", "signal", "sig-1", "go", "--input", "{bad"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not JSON"));
    assert!(
        !srv.history("sig-1")
            .contains("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED")
    );
    let out = helios(&["wf", "signal", "sig-1", "go", "--input", "{\"n\":1}"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        srv.history("sig-1")
            .contains("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED")
    );

    let out = helios(&["wf", "cancel", "cancel-1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        srv.history("cancel-1")
            .contains("EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED")
    );

    let out = helios(&["wf", "terminate", "kill-1", "--reason", "stuck"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(srv.status("kill-1"), "WORKFLOW_EXECUTION_STATUS_TERMINATED");
    // Not applied twice: the second says so and fails.
    let out = helios(&["wf", "terminate", "kill-1", "--reason", "stuck"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already Terminated"));

    let before = srv.run_id("lane-b/waiter-1");
    let out = helios(&["wf", "reset", "lane-b/waiter-1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(srv.run_id("lane-b/waiter-1"), before);

    let journal_path = world.path("state/helios/helios.db");
    let evs = audit_events(&journal_path);
    // Each triage action was requested, durably, before it was taken.
    let requested = journal_events(&journal_path)
        .iter()
        .filter(|e| e.action == "action.requested")
        .count();
    assert!(
        requested >= 5,
        "{requested} requests for the triage actions"
    );
    let summary: Vec<_> = evs
        .iter()
        .filter(|e| e.action != "action.requested")
        .map(|e| {
            (
                e.action.as_str(),
                e.result,
                e.detail["workflow_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("workflow.signalled", EventResult::Ok, "sig-1"),
            ("workflow.cancel_requested", EventResult::Ok, "cancel-1"),
            ("workflow.terminated", EventResult::Ok, "kill-1"),
            ("workflow.terminated", EventResult::Error, "kill-1"),
            ("workflow.reset", EventResult::Ok, "lane-b/waiter-1"),
        ]
    );
    let reset = evs.iter().rfind(|e| e.action == "workflow.reset").unwrap();
    assert_eq!(reset.lane.as_deref(), Some("lane-b"));

    // The panel, fed by the real monitor through the reducer.
    let panel_journal = world.path("state/panel.db");
    let mut p = Panel::start(&addr, &panel_journal, &["lane-a", "lane-b"]);
    p.until("the first refresh", |s, _| s.temporal.snapshot.is_some());
    assert_eq!(p.state.temporal.conn, ConnState::Connected);
    // Lane counts and attention: lane-a has the failed boom-1 (by attribute).
    assert_eq!(
        lane_counts(&p.state.temporal, &LaneId::new("lane-a")),
        (0, 1)
    );
    assert_eq!(
        lane_counts(&p.state.temporal, &LaneId::new("lane-b")),
        (2, 0)
    );
    assert_eq!(
        p.state.lane(&LaneId::new("lane-a")).unwrap().attention,
        Some(Attention::WorkflowFailed {
            id: "boom-1".into()
        })
    );
    // `w` on lane-b shows only its workflows.
    p.state.selected = Some(LaneId::new("lane-b"));
    p.act(TemporalAction::LaneWorkflows);
    p.until("lane-b's workflows", |s, e| {
        matches!(e, TemporalEvent::Refreshed { .. })
            && s.temporal.rows().iter().any(|r| r.id == "lane-b/stuck-1")
            && s.temporal
                .rows()
                .iter()
                .all(|r| r.id.starts_with("lane-b/"))
    });
    p.act(TemporalAction::LaneWorkflows);

    // Triage from the panel: terminate panel-kill-1, confirmed, recorded.
    p.act(TemporalAction::SetFilter {
        query: "WorkflowId=\"panel-kill-1\" OR WorkflowId=\"race-1\"".into(),
    });
    p.until("the filtered list", |s, _| s.temporal.rows().len() == 2);
    p.state.temporal.selected = Some("panel-kill-1".into());
    p.act(TemporalAction::PromptTerminate);
    for ch in "stuck in panel".chars() {
        p.act(TemporalAction::Input { ch });
    }
    p.act(TemporalAction::InputSubmit);
    let helios::app::state::Mode::Confirm(c) = p.state.mode.clone() else {
        panic!("no confirm: {:?}", p.state.mode)
    };
    let fx = update(&mut p.state, *c.on_yes);
    p.send(fx);
    p.until("the terminate result", |_, e| {
        matches!(e, TemporalEvent::TriageDone { .. })
    });
    assert!(p.state.temporal.last_result.as_ref().unwrap().0);
    assert_eq!(
        srv.status("panel-kill-1"),
        "WORKFLOW_EXECUTION_STATUS_TERMINATED"
    );

    // A workflow that finished between the list and the action: clear message, nothing done.
    let race_run = srv.run_id("race-1");
    srv.cli_ok(&[
        "workflow",
        "terminate",
        "-w",
        "race-1",
        "--reason",
        "elsewhere",
    ]);
    p.act(TemporalAction::Execute {
        request: TriageRequest {
            id: "race-1".into(),
            run_id: Some(race_run),
            op: TriageOp::Cancel,
        },
    });
    p.until("the cancel result", |_, e| {
        matches!(e, TemporalEvent::TriageDone { .. })
    });
    let (ok, msg) = p.state.temporal.last_result.clone().unwrap();
    assert!(!ok);
    assert!(msg.contains("already Terminated"), "{msg}");
    assert!(!srv.history("race-1").contains("CANCEL_REQUESTED"));

    // Each action's request, then its result.
    wait_until("the panel's audit events", Duration::from_secs(10), || {
        audit_events(&panel_journal).len() == 2
    });
    assert_eq!(journal_events(&panel_journal).len(), 4);
    let evs = audit_events(&panel_journal);
    assert_eq!(evs[0].action, "workflow.terminated");
    assert_eq!(evs[0].detail["reason"], "stuck in panel");
    assert_eq!(evs[1].action, "workflow.cancel_requested");
    assert_eq!(evs[1].result, EventResult::Error);
}

#[test]
fn unreachable_server_is_reported_then_reconnects() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut p = Panel::start(&format!("127.0.0.1:{port}"), &dir.path().join("j.db"), &[]);
    p.until("the unreachable report", |s, _| {
        matches!(s.temporal.conn, ConnState::Unreachable { .. })
    });
    let ConnState::Unreachable { reason, .. } = &p.state.temporal.conn else {
        unreachable!()
    };
    assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
    assert!(reason.contains("unreachable"), "{reason}");
    // The CLI says the same in one line and fails.
    let world = World::new("r");
    let out = world
        .helios()
        .args(["--temporal", &format!("127.0.0.1:{port}"), "wf", "ls"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unreachable"), "{err}");
    // The server comes up on that port: the monitor reconnects on its own.
    let _srv = DevServer::start_on(port);
    p.until("the reconnect", |s, _| {
        s.temporal.conn == ConnState::Connected
    });
    assert_eq!(p.state.temporal.snapshot.as_ref().unwrap().total, 0);
}

/// 1,000 workflows in the namespace: one refresh reads them correctly and pages; prints how long
/// the refresh took (a number for the notes, not an assertion).
#[test]
fn thousand_workflows_refresh_and_paging() {
    let srv = DevServer::start();
    srv.python_worker(&["bulk-q", "bulk", "1000"]);
    wait_until(
        "visibility to see 1,000 workflows",
        Duration::from_mins(1),
        || srv.count("") == 1000,
    );
    let mut p = Panel::start(&srv.address(), &srv.dir.path().join("j.db"), &["bulk"]);
    p.until("a refresh with 1,000 workflows", |s, _| {
        s.temporal
            .snapshot
            .as_ref()
            .is_some_and(|s| s.total == 1000)
    });
    let mut times = Vec::new();
    for _ in 0..5 {
        p.act(TemporalAction::Refresh);
        p.until("a refresh", |_, e| {
            matches!(e, TemporalEvent::Refreshed { .. })
        });
        times.push(p.state.temporal.snapshot.as_ref().unwrap().refresh_ms);
    }
    let s = p.state.temporal.snapshot.clone().unwrap();
    assert_eq!(s.count(WfStatus::Running), 1000);
    assert_eq!(s.workflows.len(), 50);
    assert!(s.has_next_page);
    assert_eq!(
        lane_counts(&p.state.temporal, &LaneId::new("bulk")),
        (1000, 0)
    );
    let q = s.queues.iter().find(|q| q.name == "bulk-q").unwrap();
    assert!(q.needs_attention());
    times.sort_unstable();
    println!("refresh with 1,000 workflows: {times:?} ms (sorted, 5 runs)");
    // Paging: the second page is another 50.
    let first: Vec<_> = s.workflows.iter().map(|w| w.id.clone()).collect();
    p.act(TemporalAction::NextPage);
    p.until("page 2", |s, _| {
        s.temporal.snapshot.as_ref().is_some_and(|s| s.page == 1)
    });
    let second = &p.state.temporal.snapshot.as_ref().unwrap().workflows;
    assert_eq!(second.len(), 50);
    assert!(second.iter().all(|w| !first.contains(&w.id)));
}

/// `helios wf ls` agrees with the panel: the lane from the `LANE/` id prefix (one linkage rule),
/// each run of a reused workflow id on its own row with its short run id and the current one
/// marked, and running runs with their real history length (the list's visibility record says
/// 0 until a run closes; describe knows).
#[test]
fn wf_ls_fills_lanes_tells_runs_apart_and_shows_live_history() {
    let srv = DevServer::start();
    let addr = srv.address();
    let id = "lane-c/deploy-1";
    srv.start_idle(id, "Deploy", "nobody-q", &[]);
    let first = srv.run_id(id);
    srv.cli_ok(&["workflow", "terminate", "-w", id, "--reason", "again"]);
    srv.start_idle(id, "Deploy", "nobody-q", &[]);
    let second = srv.run_id(id);
    assert_ne!(first, second);
    for _ in 0..3 {
        srv.cli_ok(&["workflow", "signal", "-w", id, "--name", "poke"]);
    }
    wait_until(
        "visibility to list both runs",
        Duration::from_secs(30),
        || srv.count("") == 2 && srv.count("ExecutionStatus=\"Running\"") == 1,
    );
    let described: serde_json::Value =
        serde_json::from_str(&srv.cli_ok(&["workflow", "describe", "-w", id, "-o", "json"]))
            .unwrap();
    let live: i64 = described["workflowExecutionInfo"]["historyLength"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        live >= 5,
        "started, task scheduled and three signals: {live}"
    );

    let world = World::new("r");
    let out = world
        .helios()
        .args(["--temporal", &addr, "wf", "ls", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let run = |r: &str| rows.iter().find(|x| x["run_id"] == r).unwrap();
    assert!(rows.iter().all(|r| r["lane"] == "lane-c"), "{rows:#?}");
    assert_eq!(run(&second)["current"], true);
    assert_eq!(run(&second)["status"], "Running");
    assert_eq!(run(&second)["history_length"], live);
    assert_eq!(run(&first)["current"], false);
    assert_eq!(run(&first)["status"], "Terminated");

    // The table: the short run ids (their last 8 characters), `*` on the current one, HIST.
    let out = world
        .helios()
        .env("COLUMNS", "200")
        .args(["--temporal", &addr, "wf", "ls"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = |run: &str| {
        table
            .lines()
            .find(|l| l.contains(&run[run.len() - 8..]))
            .unwrap_or_else(|| panic!("no row for run {run}:\n{table}"))
            .to_string()
    };
    let head = table.lines().next().unwrap();
    assert!(
        head.starts_with("ID ") && head.contains("RUN") && head.contains("LANE"),
        "{table}"
    );
    assert!(
        line(&second).contains(&format!("{}*", &second[second.len() - 8..])),
        "{table}"
    );
    assert!(
        line(&second).trim_end().ends_with(&format!(" {live}")),
        "{table}"
    );
    assert!(line(&second).contains("lane-c "), "{table}");
    assert!(
        line(&first).contains(&format!("{} ", &first[first.len() - 8..])),
        "{table}"
    );

    // The panel shows the same history length and lane for the running run.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt.block_on(TemporalClient::connect(&cfg(&addr))).unwrap();
    let snap = rt
        .block_on(collect(
            &client,
            "v",
            true,
            &ListSpec::default(),
            &mut vec![Vec::new()],
            50,
        ))
        .unwrap();
    let panel = snap.workflows.iter().find(|w| w.run_id == second).unwrap();
    assert_eq!(panel.history_length, live);
    assert_eq!(panel.lane.as_deref(), Some("lane-c"));
}
