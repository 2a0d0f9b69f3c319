//! Clients and monitor tasks for NATS, Temporal, zellij and sharing. Each sends typed events;
//! none touches AppState.

pub mod attach;
pub mod fleet;
pub mod nats;
pub mod share;
pub mod temporal;
pub mod zellij;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::effect::{NatsEffect, ShareEffect, TemporalEffect};
use crate::app::event::EventSender;
use crate::config::Context;
use crate::store::journal::JournalHandle;

/// The running integration tasks, each reached through its effect channel.
#[derive(Debug, Clone)]
pub struct Integrations {
    /// NATS monitor and forwarder.
    pub nats: UnboundedSender<NatsEffect>,
    /// Temporal monitor.
    pub temporal: UnboundedSender<TemporalEffect>,
    /// Shares and zellij.
    pub share: UnboundedSender<ShareEffect>,
}

/// Start every integration's tasks on the current tokio runtime. Must not block.
pub fn start(ctx: &Context, events: &EventSender, journal: &JournalHandle) -> Integrations {
    // The outbox forwarders (JetStream, PostgreSQL) run for as long as the runtime does.
    // Each repo's events go only to the sinks its own config names.
    if let Ok(repo) = &ctx.repo {
        drop(crate::spine::forwarder::start(
            &ctx.config,
            &repo.name,
            events,
            journal,
        ));
    }
    // Every host's lanes (`helios serve` on each machine), pushed by a KV watch: only from a
    // NATS the user configured. The built-in default nobody set is the NATS panel's alone
    // (quietly); watching it warned at every start that a server nobody asked for is down.
    if ctx.config.nats.is_configured() {
        tokio::spawn(fleet::watch::run(ctx.config.nats.clone(), events.clone()));
    } else {
        tracing::info!(
            "NATS is not configured (no [nats] url or creds, --nats, NATS_URL or --nats-creds): the bus is off; events are journaled (no forwarding) and other hosts' lanes are not watched"
        );
    }
    Integrations {
        nats: nats::start(ctx, events.clone(), journal.clone()),
        temporal: temporal::start(ctx, events.clone(), journal.clone()),
        share: share::start(ctx, events.clone(), journal.clone()),
    }
}
