//! The Temporal data the panel shows, as plain values: the monitor builds them from gRPC replies,
//! the reducer and the renderer read them. No IO here.

use std::fmt;

use time::OffsetDateTime;

use crate::model::AuditAction;

/// A workflow execution's status, in the server's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum WfStatus {
    /// Still going.
    Running,
    /// Finished with a result.
    Completed,
    /// Finished with a failure.
    Failed,
    /// Cancelled on request.
    Canceled,
    /// Terminated by an operator or by a reset.
    Terminated,
    /// Continued as a new run.
    ContinuedAsNew,
    /// Hit its execution or run timeout.
    TimedOut,
    /// A status this build does not know.
    Unknown,
}

impl WfStatus {
    /// Every known status, in the order the counts bar shows them.
    pub const ALL: [Self; 7] = [
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Canceled,
        Self::Terminated,
        Self::TimedOut,
        Self::ContinuedAsNew,
    ];

    /// From the proto enum value (`WORKFLOW_EXECUTION_STATUS_*`).
    pub fn from_proto(v: i32) -> Self {
        match v {
            1 => Self::Running,
            2 => Self::Completed,
            3 => Self::Failed,
            4 => Self::Canceled,
            5 => Self::Terminated,
            6 => Self::ContinuedAsNew,
            7 => Self::TimedOut,
            _ => Self::Unknown,
        }
    }

    /// From the name the visibility store uses (`Running`, `TimedOut`…), as in count groups.
    pub fn from_name(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .unwrap_or(Self::Unknown)
    }

    /// The visibility name, the one list filters use (`ExecutionStatus="Failed"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Terminated => "Terminated",
            Self::ContinuedAsNew => "ContinuedAsNew",
            Self::TimedOut => "TimedOut",
            Self::Unknown => "Unknown",
        }
    }

    /// Whether the run has ended.
    pub fn is_closed(self) -> bool {
        !matches!(self, Self::Running | Self::Unknown)
    }
}

impl fmt::Display for WfStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the workflow table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkflowRow {
    /// Workflow id.
    pub id: String,
    /// The run this row is about.
    pub run_id: String,
    /// Workflow type name.
    pub workflow_type: String,
    /// Execution status.
    pub status: WfStatus,
    /// When the run started.
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_time: Option<OffsetDateTime>,
    /// When the run closed, if it did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub close_time: Option<OffsetDateTime>,
    /// Task queue.
    pub task_queue: String,
    /// Events in the run's history. The list (visibility) reports 0 for a running run; the
    /// client's `fill_live` puts the real length in from describe.
    pub history_length: i64,
    /// The lane it belongs to ([`lane_of`]: the `HeliosLane` search attribute, else the `LANE/`
    /// id prefix).
    pub lane: Option<String>,
}

impl WorkflowRow {
    /// How long the run has been going (until `now` when still running).
    pub fn run_time(&self, now: OffsetDateTime) -> Option<time::Duration> {
        let start = self.start_time?;
        Some(self.close_time.unwrap_or(now) - start)
    }

    /// Whether this workflow belongs to the lane `label`: its id starts with `<label>/`, or its
    /// `HeliosLane` search attribute equals the label.
    pub fn belongs_to(&self, label: &str) -> bool {
        belongs_to(&self.id, self.lane.as_deref(), label)
    }
}

/// The lane-linkage rule, shared by rows and the lightweight lane index: see [`lane_of`].
pub fn belongs_to(id: &str, lane_attr: Option<&str>, label: &str) -> bool {
    lane_of(id, lane_attr) == Some(label)
}

/// The lane a workflow belongs to: its `HeliosLane` search attribute when set (it was named
/// on purpose), else the lane its id names (`LANE/...`). The one linkage rule: the panel's
/// lane counts, attention and `w` view, `helios wf ls`'s `lane`, and triage audit events all
/// come from here.
pub fn lane_of<'a>(id: &'a str, lane_attr: Option<&'a str>) -> Option<&'a str> {
    lane_attr
        .filter(|l| !l.is_empty())
        .or_else(|| lane_of_id(id))
}

/// A pending activity of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PendingActivity {
    /// Activity id.
    pub id: String,
    /// Activity type.
    pub activity_type: String,
    /// Scheduled, Started or CancelRequested.
    pub state: String,
    /// Attempt number (1 for the first).
    pub attempt: i32,
    /// Maximum attempts (0: unlimited).
    pub maximum_attempts: i32,
    /// The last failure's message, when an attempt failed.
    pub last_failure: Option<String>,
}

/// A failure: message, stack and the cause chain flattened to lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailureInfo {
    /// The failure's message.
    pub message: String,
    /// The stack trace as the SDK reported it (may be empty).
    pub stack_trace: String,
    /// Messages of the causes, outermost first.
    pub causes: Vec<String>,
}

/// One history event, summarised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryLine {
    /// Event id.
    pub id: i64,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339::option")]
    pub time: Option<OffsetDateTime>,
    /// Event type, like `WorkflowExecutionFailed`.
    pub kind: String,
}

/// A child workflow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildInfo {
    /// Workflow id.
    pub id: String,
    /// Workflow type.
    pub workflow_type: String,
}

/// The selected workflow in detail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkflowDetail {
    /// The same fields as in the table.
    pub row: WorkflowRow,
    /// Pending activities with attempts and last failure.
    pub pending_activities: Vec<PendingActivity>,
    /// The run's failure, when it failed (or the last workflow task failure).
    pub failure: Option<FailureInfo>,
    /// Parent workflow id, when it is a child.
    pub parent: Option<String>,
    /// Pending children.
    pub children: Vec<ChildInfo>,
    /// The newest history events, newest first.
    pub recent_events: Vec<HistoryLine>,
}

/// A poller seen on a task queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Poller {
    /// Worker identity.
    pub identity: String,
    /// When it last polled.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_access: Option<OffsetDateTime>,
}

/// A task queue of the listed workflows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueInfo {
    /// Queue name.
    pub name: String,
    /// Workflow pollers (workers).
    pub pollers: Vec<Poller>,
    /// Listed running workflows on this queue.
    pub running: usize,
}

impl QueueInfo {
    /// Running workflows and nobody polling: nobody is working on them.
    pub fn needs_attention(&self) -> bool {
        self.running > 0 && self.pollers.is_empty()
    }

    /// The newest poll time of any poller.
    pub fn last_poll(&self) -> Option<OffsetDateTime> {
        self.pollers.iter().filter_map(|p| p.last_access).max()
    }
}

/// A running or failed workflow known for lane linkage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedWorkflow {
    /// Workflow id.
    pub id: String,
    /// Running or Failed.
    pub status: WfStatus,
    /// `HeliosLane` search attribute.
    pub lane: Option<String>,
}

/// Everything one refresh learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Server version from GetSystemInfo.
    pub server_version: String,
    /// Namespace name.
    pub namespace: String,
    /// Namespace state (Registered, Deprecated, Deleted).
    pub namespace_state: String,
    /// Workflows in the namespace (the whole namespace, not the filter).
    pub total: u64,
    /// Counts per status from one grouped count query.
    pub counts: Vec<(WfStatus, u64)>,
    /// The listed page of workflows.
    pub workflows: Vec<WorkflowRow>,
    /// Which page this is (0-based).
    pub page: usize,
    /// Whether a next page exists.
    pub has_next_page: bool,
    /// The query the list used (the user's filter plus any lane filter).
    pub query: String,
    /// The list query failed (a bad filter): the server's message.
    pub query_error: Option<String>,
    /// Task queues of the listed workflows.
    pub queues: Vec<QueueInfo>,
    /// Running and failed workflows for lane counts.
    pub linked: Vec<LinkedWorkflow>,
    /// How long the refresh took, in milliseconds.
    pub refresh_ms: u64,
    /// Wall-clock time of the refresh (UTC), so run times can be drawn without reading the clock.
    pub taken_at: OffsetDateTime,
}

impl Snapshot {
    /// The count for one status.
    pub fn count(&self, status: WfStatus) -> u64 {
        self.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

/// A triage operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriageOp {
    /// Send a signal with an optional JSON payload (already validated).
    Signal {
        /// Signal name.
        name: String,
        /// JSON text, or `None` for no input.
        input: Option<String>,
    },
    /// Request cancellation.
    Cancel,
    /// Terminate with a reason.
    Terminate {
        /// Why.
        reason: String,
    },
    /// Reset to the last completed workflow task.
    Reset {
        /// Why.
        reason: String,
    },
}

impl TriageOp {
    /// The audit action name recorded for this operation.
    pub fn audit_action(&self) -> AuditAction {
        match self {
            Self::Signal { .. } => AuditAction::WorkflowSignalled,
            Self::Cancel => AuditAction::WorkflowCancelRequested,
            Self::Terminate { .. } => AuditAction::WorkflowTerminated,
            Self::Reset { .. } => AuditAction::WorkflowReset,
        }
    }

    /// A verb for messages.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Signal { .. } => "signal",
            Self::Cancel => "cancel",
            Self::Terminate { .. } => "terminate",
            Self::Reset { .. } => "reset",
        }
    }
}

/// A triage request on one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageRequest {
    /// Workflow id.
    pub id: String,
    /// The run the user saw; the action is refused when the current run differs.
    pub run_id: Option<String>,
    /// What to do.
    pub op: TriageOp,
}

/// The lane a workflow id names, when it has the `<lane>/...` shape.
pub fn lane_of_id(id: &str) -> Option<&str> {
    id.split_once('/').map(|(l, _)| l).filter(|l| !l.is_empty())
}

/// Check a signal payload: empty means none; anything else must be JSON.
pub fn validate_json_input(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    serde_json::from_str::<serde_json::Value>(t)
        .map(|_| Some(t.to_string()))
        .map_err(|e| format!("signal input is not JSON: {e}"))
}
