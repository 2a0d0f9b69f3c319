//! Temporal: the gRPC client, the panel's monitor task, triage, `helios status` and lane
//! workflows. Connection settings follow the Temporal CLI: `--temporal` / `TEMPORAL_ADDRESS`,
//! `--namespace` / `TEMPORAL_NAMESPACE`, `TEMPORAL_TLS*` and `TEMPORAL_API_KEY`.

pub mod client;
pub mod convert;
pub mod monitor;
pub mod triage;

use std::collections::BTreeSet;

use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::effect::TemporalEffect;
use crate::app::event::EventSender;
use crate::config::Context;
use crate::config::TemporalConfig;
use crate::store::journal::JournalHandle;

pub use client::{TemporalClient, TemporalError};

/// The effective settings: the merged config, with the CLI's TLS and API-key variables on top.
pub fn settings(ctx: &Context) -> TemporalConfig {
    let mut cfg = ctx.config.temporal.clone();
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(v) = var("TEMPORAL_TLS_CERT") {
        cfg.tls_cert = Some(v);
    }
    if let Some(v) = var("TEMPORAL_TLS_KEY") {
        cfg.tls_key = Some(v);
    }
    if let Some(v) = var("TEMPORAL_TLS_CA") {
        cfg.tls_ca = Some(v);
    }
    if let Some(v) = var("TEMPORAL_TLS_SERVER_NAME") {
        cfg.tls_server_name = Some(v);
    }
    if let Some(v) = var("TEMPORAL_API_KEY") {
        cfg.api_key = Some(v);
    }
    if let Some(v) = var("TEMPORAL_TLS") {
        cfg.tls = matches!(v.as_str(), "1" | "true" | "yes");
    }
    cfg
}

/// Whether the user pointed helios at a Temporal server (flag, variable or config), as opposed
/// to the default address that is only tried quietly.
pub fn is_configured(ctx: &Context) -> bool {
    ctx.global.temporal.is_some()
        || ctx.config.temporal.address != TemporalConfig::default().address
}

/// The repository's short name for audit events.
fn repo_name(ctx: &Context) -> String {
    ctx.repo
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

/// Start the temporal monitor task; returns the channel its effects go to.
pub fn start(
    ctx: &Context,
    events: EventSender,
    journal: JournalHandle,
) -> UnboundedSender<TemporalEffect> {
    let (tx, rx) = unbounded_channel();
    let audit = triage::AuditContext::current(&repo_name(ctx));
    let m = monitor::TemporalMonitor::new(settings(ctx), events, journal, audit);
    tokio::spawn(m.run(rx));
    tx
}

/// The `temporal` section of `helios status --json`, and whether it is healthy.
pub async fn status(ctx: &Context) -> (serde_json::Value, bool) {
    let cfg = settings(ctx);
    let configured = is_configured(ctx);
    match status_of(&cfg).await {
        Ok(v) => {
            let healthy = v["queues_without_pollers"]
                .as_array()
                .is_none_or(Vec::is_empty)
                && v["namespace_state"] == "Registered";
            (v, healthy)
        }
        Err(e) => (
            json!({
                "connected": false,
                "address": cfg.address,
                "namespace": cfg.namespace,
                "configured": configured,
                "error": e.to_string(),
            }),
            // The default address is only tried quietly: no server there is not a fault.
            !configured,
        ),
    }
}

async fn status_of(cfg: &TemporalConfig) -> Result<serde_json::Value, TemporalError> {
    let c = TemporalClient::connect(cfg).await?;
    let version = c.server_version().await?;
    let state = c.namespace_state().await?;
    let (total, counts) = c.counts().await?;
    let (running, _) = c
        .list("ExecutionStatus = \"Running\"", 1000, Vec::new())
        .await?;
    let queues: BTreeSet<String> = running.into_iter().map(|r| r.task_queue).collect();
    let mut idle = Vec::new();
    for q in queues {
        if c.pollers(&q).await?.is_empty() {
            idle.push(q);
        }
    }
    let counts: serde_json::Map<String, serde_json::Value> = crate::app::temporal::WfStatus::ALL
        .iter()
        .map(|s| {
            let n = counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
            (s.as_str().to_string(), json!(n))
        })
        .collect();
    Ok(json!({
        "connected": true,
        "address": cfg.address,
        "namespace": cfg.namespace,
        "namespace_state": state,
        "server_version": version,
        "total": total,
        "counts": counts,
        "queues_without_pollers": idle,
    }))
}

/// Start a workflow tied to a new lane (`helios lane new NAME --workflow TYPE --task-queue Q`):
/// id `<lane>/<type>-<ulid>`, and the `HeliosLane` search attribute when it is registered.
/// Returns the workflow id.
pub async fn start_lane_workflow(
    ctx: &Context,
    lane: &str,
    workflow_type: &str,
    task_queue: &str,
) -> anyhow::Result<String> {
    let c = TemporalClient::connect(&settings(ctx)).await?;
    let id = format!("{lane}/{workflow_type}-{}", ulid::Ulid::new());
    let attr = c.has_lane_attribute().await?.then_some(lane);
    c.start(&id, workflow_type, task_queue, attr).await?;
    Ok(id)
}
