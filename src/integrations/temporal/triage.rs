//! Triage actions (signal, cancel, terminate, reset), shared by the panel and `helios wf`. Each
//! checks the workflow's current run first, so an action is never applied to a run that ended or
//! was replaced since the user looked, and each is recorded as an audit event with its result.

use serde_json::json;

use crate::app::temporal::model::{TriageOp, TriageRequest, lane_of};
use crate::integrations::temporal::client::TemporalClient;
use crate::model::AuditEvent;
use crate::store::journal::JournalHandle;

/// Who and where, for audit events.
#[derive(Debug, Clone)]
pub struct AuditContext {
    /// `user@host`.
    pub actor: String,
    /// The repository's short name.
    pub repo: String,
}

impl AuditContext {
    /// The current user on this host, in `repo`.
    pub fn current(repo: &str) -> Self {
        Self {
            actor: crate::config::actor::actor(),
            repo: repo.to_string(),
        }
    }
}

/// Record, durably, that this triage action is about to be taken (the journal-first rule);
/// `Err` means it must not be.
pub async fn request(
    journal: &JournalHandle,
    audit: &AuditContext,
    req: &TriageRequest,
) -> Result<(), String> {
    let journal = journal.clone();
    let audit = audit.clone();
    let action = req.op.audit_action();
    let lane = lane_of(&req.id, None).map(str::to_string);
    let detail = json!({ "workflow_id": req.id, "run_id": req.run_id });
    tokio::task::spawn_blocking(move || {
        journal.request(
            &audit.actor,
            &audit.repo,
            action.as_str(),
            lane.as_deref(),
            &detail,
        )
    })
    .await
    .map_err(|e| format!("not done: {e}"))?
}

/// Run one triage request and return a one-line result either way.
pub async fn run(client: &TemporalClient, req: &TriageRequest) -> Result<String, String> {
    let id = &req.id;
    let current = client.current(id).await.map_err(|e| {
        if e.is_not_found() {
            format!(
                "workflow {id} not found in namespace {}: nothing done",
                client.namespace
            )
        } else {
            e.to_string()
        }
    })?;
    if let Some(seen) = &req.run_id
        && seen != &current.run_id
    {
        return Err(format!(
            "workflow {id} has a newer run ({}) than the one listed ({seen}): nothing done; refresh and try again",
            current.run_id
        ));
    }
    let is_reset = matches!(req.op, TriageOp::Reset { .. });
    if current.status.is_closed() && !is_reset {
        return Err(format!(
            "workflow {id} already {} (it finished after the list was read): nothing to {}",
            current.status,
            req.op.verb()
        ));
    }
    let run = current.run_id.as_str();
    // One request id per user action: the client's retries of the same call are de-duplicated by
    // the server instead of being applied twice.
    let request_id = ulid::Ulid::new().to_string();
    let done = match &req.op {
        TriageOp::Signal { name, input } => client
            .signal(id, run, name, input.as_deref(), &request_id)
            .await
            .map(|()| format!("signalled {id} with {name}")),
        TriageOp::Cancel => client
            .cancel(id, run, &request_id)
            .await
            .map(|()| format!("requested cancellation of {id}")),
        TriageOp::Terminate { reason } => client
            .terminate(id, run, reason)
            .await
            .map(|()| format!("terminated {id} ({reason})")),
        TriageOp::Reset { reason } => {
            let Some(event) = client
                .last_workflow_task(id, run)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Err(format!(
                    "workflow {id} has no completed workflow task to reset to (has a worker ever picked it up?): nothing done"
                ));
            };
            client
                .reset(id, run, event, reason, &request_id)
                .await
                .map(|new_run| format!("reset {id} to event {event}: new run {new_run}"))
        }
    };
    done.map_err(|e| {
        if e.is_not_found() {
            format!(
                "workflow {id} finished before the {} arrived: nothing done",
                req.op.verb()
            )
        } else {
            e.to_string()
        }
    })
}

/// Record the audit event for a triage request and its result.
pub fn record(
    journal: &JournalHandle,
    audit: &AuditContext,
    namespace: &str,
    req: &TriageRequest,
    result: &Result<String, String>,
) {
    let mut detail = json!({
        "workflow_id": req.id,
        "run_id": req.run_id,
        "namespace": namespace,
    });
    match &req.op {
        TriageOp::Signal { name, input } => {
            detail["signal"] = json!(name);
            detail["input"] = json!(input);
        }
        TriageOp::Terminate { reason } | TriageOp::Reset { reason } => {
            detail["reason"] = json!(reason);
        }
        TriageOp::Cancel => {}
    }
    match result {
        Ok(m) => detail["message"] = json!(m),
        Err(e) => detail["error"] = json!(e),
    }
    journal.record(AuditEvent::new(
        &audit.actor,
        &audit.repo,
        req.op.audit_action().as_str(),
        lane_of(&req.id, None),
        result.is_ok(),
        detail,
    ));
}
