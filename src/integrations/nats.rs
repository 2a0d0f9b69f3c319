//! Nats client and monitor task.

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::effect::NatsEffect;
use crate::commands::Context;
use crate::runtime::EventSender;
use crate::store::journal::JournalHandle;

/// Start the nats task; returns the channel its effects go to.
pub fn start(
    _ctx: &Context,
    _events: EventSender,
    _journal: JournalHandle,
) -> UnboundedSender<NatsEffect> {
    let (tx, _rx) = unbounded_channel();
    tx
}
