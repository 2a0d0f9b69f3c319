//! NATS: the monitor task that feeds the NATS panel. The connection and the JetStream sink
//! belong to the event spine (`crate::spine`).

pub mod monitor;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::effect::NatsEffect;
use crate::app::event::EventSender;
use crate::config::Context;
use crate::store::journal::JournalHandle;

pub use crate::spine::jetstream as sink;
pub use crate::spine::nats::{NatsError, connect};

/// Start the NATS monitor task; returns the channel its effects go to.
pub fn start(
    ctx: &Context,
    events: EventSender,
    _journal: JournalHandle,
) -> UnboundedSender<NatsEffect> {
    let (tx, rx) = unbounded_channel();
    let cfg = ctx.config.nats.clone();
    tokio::spawn(monitor::run(cfg, events, rx));
    tx
}
