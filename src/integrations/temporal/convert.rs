//! Proto messages to the panel's plain values. Timestamps become UTC `OffsetDateTime`s, enums
//! their short names, payloads their JSON text.

use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::enums::v1::{EventType, PendingActivityState};
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::taskqueue::v1::PollerInfo;
use temporalio_common::protos::temporal::api::workflow::v1::WorkflowExecutionInfo;
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeWorkflowExecutionResponse;
use time::OffsetDateTime;

use crate::app::temporal::model::{
    ChildInfo, FailureInfo, HistoryLine, PendingActivity, Poller, WfStatus, WorkflowDetail,
    WorkflowRow, lane_of,
};
use crate::integrations::temporal::client::LANE_ATTRIBUTE;

/// A history event as the server sends it.
pub type HistoryEvent = temporalio_common::protos::temporal::api::history::v1::HistoryEvent;

/// Protobuf timestamps have `seconds` and `nanos`; the type lives in a crate helios does not name.
macro_rules! ts {
    ($t:expr) => {
        $t.as_ref().and_then(|t| {
            OffsetDateTime::from_unix_timestamp(t.seconds)
                .ok()
                .map(|d| d + time::Duration::nanoseconds(i64::from(t.nanos)))
        })
    };
}

/// A payload's JSON string value (search attributes, count groups).
pub fn payload_string(p: &Payload) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(&p.data).ok()? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str().map(str::to_string)),
        other => Some(other.to_string()),
    }
}

/// A workflow table row from a list or describe reply.
pub fn row(i: &WorkflowExecutionInfo) -> WorkflowRow {
    let (id, run_id) = i
        .execution
        .as_ref()
        .map(|e| (e.workflow_id.clone(), e.run_id.clone()))
        .unwrap_or_default();
    let attr = i
        .search_attributes
        .as_ref()
        .and_then(|s| s.indexed_fields.get(LANE_ATTRIBUTE))
        .and_then(payload_string);
    WorkflowRow {
        run_id,
        workflow_type: i
            .r#type
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        status: WfStatus::from_proto(i.status),
        start_time: ts!(i.start_time),
        close_time: ts!(i.close_time),
        task_queue: i.task_queue.clone(),
        history_length: i.history_length,
        lane: lane_of(&id, attr.as_deref()).map(str::to_string),
        id,
    }
}

/// A poller.
pub fn poller(p: &PollerInfo) -> Poller {
    Poller {
        identity: p.identity.clone(),
        last_access: ts!(p.last_access_time),
    }
}

/// The detail without history (the client adds failure and events).
pub fn detail(r: &DescribeWorkflowExecutionResponse) -> WorkflowDetail {
    let info = r.workflow_execution_info.clone().unwrap_or_default();
    WorkflowDetail {
        row: row(&info),
        pending_activities: r
            .pending_activities
            .iter()
            .map(|a| PendingActivity {
                id: a.activity_id.clone(),
                activity_type: a
                    .activity_type
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
                state: PendingActivityState::try_from(a.state)
                    .map(|s| camel(s.as_str_name(), "PENDING_ACTIVITY_STATE_"))
                    .unwrap_or_default(),
                attempt: a.attempt,
                maximum_attempts: a.maximum_attempts,
                last_failure: a.last_failure.as_ref().map(|f| f.message.clone()),
            })
            .collect(),
        failure: None,
        parent: info.parent_execution.map(|p| p.workflow_id),
        children: r
            .pending_children
            .iter()
            .map(|c| ChildInfo {
                id: c.workflow_id.clone(),
                workflow_type: c.workflow_type_name.clone(),
            })
            .collect(),
        recent_events: Vec::new(),
    }
}

fn failure_info(f: &Failure) -> FailureInfo {
    let mut causes = Vec::new();
    let mut cur = f.cause.as_deref();
    while let Some(c) = cur {
        causes.push(c.message.clone());
        cur = c.cause.as_deref();
    }
    FailureInfo {
        message: f.message.clone(),
        stack_trace: f.stack_trace.clone(),
        causes,
    }
}

/// The failure an event carries, for the detail's "last failure".
pub fn event_failure(e: &HistoryEvent) -> Option<FailureInfo> {
    match e.attributes.as_ref()? {
        Attributes::WorkflowExecutionFailedEventAttributes(a) => {
            a.failure.as_ref().map(failure_info)
        }
        Attributes::WorkflowTaskFailedEventAttributes(a) => a.failure.as_ref().map(failure_info),
        Attributes::ActivityTaskFailedEventAttributes(a) => a.failure.as_ref().map(failure_info),
        Attributes::WorkflowExecutionTimedOutEventAttributes(_) => Some(FailureInfo {
            message: "workflow execution timed out".into(),
            stack_trace: String::new(),
            causes: Vec::new(),
        }),
        Attributes::WorkflowExecutionTerminatedEventAttributes(a) => Some(FailureInfo {
            message: format!("terminated: {}", a.reason),
            stack_trace: String::new(),
            causes: Vec::new(),
        }),
        _ => None,
    }
}

/// One line of recent history.
pub fn history_line(e: &HistoryEvent) -> HistoryLine {
    HistoryLine {
        id: e.event_id,
        time: ts!(e.event_time),
        kind: EventType::try_from(e.event_type).map_or_else(
            |_| format!("event type {}", e.event_type),
            |t| camel(t.as_str_name(), "EVENT_TYPE_"),
        ),
    }
}

/// `EVENT_TYPE_WORKFLOW_TASK_COMPLETED` → `WorkflowTaskCompleted`.
fn camel(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .split('_')
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map_or_else(String::new, |c| c.to_string() + &cs.as_str().to_lowercase())
        })
        .collect()
}
