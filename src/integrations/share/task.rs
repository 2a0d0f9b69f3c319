//! The console's share task: carries out `ShareEffect`s on blocking threads (the tools are
//! driven by short external commands) and reconciles the share table every few seconds so TTL
//! expiry and dead shares show up without a restart.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::Event;
use crate::app::effect::ShareEffect;
use crate::app::event::EventSender;
use crate::app::share::ShareEvent;
use crate::config::Context;
use crate::integrations::share::store::ShareStore;
use crate::integrations::share::{self, StartRequest, manage};
use crate::store::journal::JournalHandle;

/// How often active shares are reconciled (expiry, dead servers, attached clients).
const RECONCILE_EVERY: Duration = Duration::from_secs(5);

/// Start the share task; returns the channel its effects go to.
pub fn start(
    ctx: &Context,
    events: EventSender,
    journal: JournalHandle,
) -> UnboundedSender<ShareEffect> {
    let (tx, mut rx) = unbounded_channel::<ShareEffect>();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RECONCILE_EVERY);
        loop {
            let effect = tokio::select! {
                e = rx.recv() => match e { Some(e) => e, None => break },
                _ = tick.tick() => ShareEffect::Refresh,
            };
            let ctx = ctx.clone();
            let events = events.clone();
            let journal = journal.clone();
            // Share rows live in the journal's database; their audit events go through the
            // journal writer, durably, before the share task goes on.
            let done = tokio::task::spawn_blocking(move || {
                for ev in handle(&ctx, effect, &journal) {
                    // The console may be gone; nothing is left to tell then.
                    let _ = events.send(Event::Share(ev));
                }
            })
            .await;
            if let Err(e) = done {
                tracing::error!("a share effect panicked: {e}");
            }
        }
    });
    tx
}

/// Carry out one effect; the events to send back.
pub fn handle(ctx: &Context, effect: ShareEffect, journal: &JournalHandle) -> Vec<ShareEvent> {
    let repo = match ctx.repo() {
        Ok(r) => r.clone(),
        Err(e) => {
            return vec![ShareEvent::Failed {
                error: e.to_string(),
            }];
        }
    };
    let store = ShareStore::open_default();
    let mut store = match store {
        Ok(s) => s.with_journal(journal.clone()),
        Err(e) => {
            return vec![ShareEvent::Failed {
                error: e.to_string(),
            }];
        }
    };
    let listed = |store: &mut ShareStore| match manage::reconcile(store, &repo.name) {
        Ok(mut shares) => {
            for s in &mut shares {
                s.clients = share::clients(s);
            }
            ShareEvent::Listed { shares }
        }
        Err(e) => ShareEvent::Failed {
            error: e.to_string(),
        },
    };
    match effect {
        ShareEffect::Refresh => vec![listed(&mut store)],
        ShareEffect::Start {
            lane,
            tool,
            rw,
            ttl,
        } => {
            let req = StartRequest {
                repo: &repo.name,
                lane: &lane,
                tool,
                rw,
                ttl,
                config: &ctx.config.share,
                ssh: &ctx.config.lanes.ssh,
            };
            match manage::start(&mut store, &req) {
                Ok(share) => vec![ShareEvent::Started { share }],
                Err(e) => vec![ShareEvent::StartFailed {
                    lane: lane.id.to_string(),
                    error: e.to_string(),
                }],
            }
        }
        ShareEffect::Stop { lane } => match manage::stop(&mut store, &repo.name, &lane) {
            Ok(_) => vec![ShareEvent::Stopped { lane }, listed(&mut store)],
            Err(e) => vec![ShareEvent::Failed {
                error: e.to_string(),
            }],
        },
        ShareEffect::OpenZellij {
            lanes,
            attention,
            selected,
        } => match crate::integrations::zellij::plan::prepare_for(
            ctx,
            &ctx.config.zellij.template,
            &lanes,
            &attention,
            selected.as_deref(),
            &mut |_| true,
            // The console does not ask: resurrecting loses nothing.
            &mut |_| crate::integrations::zellij::plan::DeadChoice::Resurrect,
        ) {
            Ok(plan) => vec![ShareEvent::ZellijReady {
                argv: plan.argv,
                message: plan.message,
            }],
            Err(e) => vec![ShareEvent::Failed {
                error: format!("{e:#}"),
            }],
        },
    }
}
