//! Temporal client and monitor task.

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::effect::TemporalEffect;
use crate::commands::Context;
use crate::runtime::EventSender;
use crate::store::journal::JournalHandle;

/// Start the temporal task; returns the channel its effects go to.
pub fn start(
    _ctx: &Context,
    _events: EventSender,
    _journal: JournalHandle,
) -> UnboundedSender<TemporalEffect> {
    let (tx, _rx) = unbounded_channel();
    tx
}

#[allow(clippy::unused_async)] // a stub until the Temporal client lands
/// The `temporal` section of `helios status --json`, and whether it is healthy.
pub async fn status(_ctx: &Context) -> (serde_json::Value, bool) {
    (serde_json::json!({"connected": false}), true)
}

#[allow(clippy::unused_async)] // a stub until the Temporal client lands
/// Start a workflow tied to a new lane (`helios lane new NAME --workflow TYPE --task-queue Q`).
pub async fn start_lane_workflow(
    _ctx: &Context,
    lane: &str,
    _workflow_type: &str,
    _task_queue: &str,
) -> anyhow::Result<String> {
    anyhow::bail!("starting a workflow for lane {lane}: Temporal support is not built yet")
}
