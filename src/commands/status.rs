//! `helios status [--json]`: one-shot health of lanes, NATS, PostgreSQL, each sink's backlog and
//! Temporal, as a typed [`StatusReport`]. Exit 0 when no check fails, 1 when one does, and then
//! every failed check has a `FAIL` line naming it (the rules are in README, "The event spine").

mod report;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

pub use report::{
    BacklogStatus, JetStreamStatus, LanesStatus, NatsStatus, PostgresStatus, SinkBacklog,
    StatusReport, StreamStatus,
};

use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::spine::forwarder::SinkSpec;
use crate::store::outbox::Outbox;
use crate::store::sqlite::SqliteStore;

/// Run `helios status`.
pub fn run(ctx: &Context, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = rt.block_on(gather(ctx));
    if args.json {
        crate::commands::out(&format!("{}\n", serde_json::to_string(&report)?));
    } else {
        crate::commands::out(&report.human());
    }
    Ok(if report.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Everything `helios status` reports. A check fails when:
/// - lanes: par's state file or git cannot be read;
/// - nats: NATS is configured and unreachable, refuses the credentials, or has no JetStream
///   while events are forwarded to it (the quiet default never fails);
/// - postgres: a URL is given and the server cannot be reached or `helios.events` cannot be
///   read (not created yet, before the first delivery, is fine);
/// - backlog: the journal cannot be read;
/// - temporal: the configured server is unreachable, or any reached server's namespace is not
///   `Registered`, or running workflows wait on task queues no worker polls.
pub async fn gather(ctx: &Context) -> StatusReport {
    let lanes = lanes(ctx);
    let nats = nats(ctx).await;
    let postgres = postgres(ctx).await;
    let backlog = backlog(ctx);
    let temporal = crate::integrations::temporal::status(ctx).await;
    let mut failures = Vec::new();
    let mut fail = |check: &str, why: Option<&String>| {
        if let Some(w) = why {
            failures.push(format!("{check}: {w}"));
        }
    };
    fail("lanes", lanes.error.as_ref());
    fail("nats", nats.error.as_ref().filter(|_| nats.configured));
    fail("postgres", postgres.error.as_ref());
    fail("backlog", backlog.error.as_ref());
    for (sink, b) in &backlog.sinks {
        if let SinkBacklog::Failed { error } = b {
            failures.push(format!("backlog: {sink}: {error}"));
        }
    }
    if let Some(p) = temporal.problem() {
        failures.push(format!("temporal: {p}"));
    }
    StatusReport {
        healthy: failures.is_empty(),
        failures,
        lanes,
        nats,
        postgres,
        backlog,
        temporal,
    }
}

/// The lanes the console shows (par's lanes of this repo and its other worktrees).
fn lanes(ctx: &Context) -> LanesStatus {
    let Ok(repo) = ctx.repo() else {
        return LanesStatus::default();
    };
    match crate::lanes::discover(&repo.path) {
        Ok(found) => LanesStatus {
            repo: Some(repo.name.clone()),
            count: found.len(),
            labels: found.iter().map(|l| l.id.to_string()).collect(),
            error: None,
        },
        Err(e) => LanesStatus {
            repo: Some(repo.name.clone()),
            error: Some(e.to_string()),
            ..LanesStatus::default()
        },
    }
}

async fn nats(ctx: &Context) -> NatsStatus {
    let cfg = &ctx.config.nats;
    let url = crate::config::secrets::redact_url(&cfg.url);
    let base = NatsStatus {
        url: url.clone(),
        configured: cfg.is_configured(),
        forwarding: cfg.is_configured() && cfg.forward,
        ..NatsStatus::default()
    };
    let client = match crate::spine::nats::connect(cfg).await {
        Ok(c) => c,
        Err(e) => {
            return NatsStatus {
                error: Some(e.to_string()),
                ..base
            };
        }
    };
    let mut prev = None;
    match crate::integrations::nats::monitor::snapshot(&client, cfg, None, &mut prev).await {
        Ok(s) => {
            let jetstream = s.account.as_ref().map(|a| JetStreamStatus {
                memory: a.memory,
                max_memory: a.max_memory,
                storage: a.storage,
                max_storage: a.max_storage,
                streams: a.streams,
                consumers: a.consumers,
                api_errors: a.api_errors,
            });
            // Without JetStream nothing can be forwarded: a fault only when events should be.
            let error = (jetstream.is_none() && base.forwarding).then(|| {
                format!("NATS at {url}: JetStream is not enabled; start nats-server with -js")
            });
            NatsStatus {
                connected: true,
                server_name: Some(s.server_name),
                version: Some(s.version),
                rtt_us: s.rtt_us,
                jetstream,
                streams: s
                    .streams
                    .into_iter()
                    .map(|st| StreamStatus {
                        name: st.name,
                        subjects: st.subjects,
                        messages: st.messages,
                        bytes: st.bytes,
                        consumers: st.consumers,
                    })
                    .collect(),
                cluster: s.cluster,
                error,
                ..base
            }
        }
        Err(e) => NatsStatus {
            error: Some(e.to_string()),
            ..base
        },
    }
}

async fn postgres(ctx: &Context) -> PostgresStatus {
    let Some(url) = &ctx.config.postgres.url else {
        return PostgresStatus::default();
    };
    let target = crate::spine::postgres::describe(url);
    let base = PostgresStatus {
        configured: true,
        target: Some(target.clone()),
        connected: Some(false),
        ..PostgresStatus::default()
    };
    let pg = match tokio::time::timeout(
        Duration::from_secs(10),
        crate::spine::postgres::PgSink::connect_readonly(url),
    )
    .await
    {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            return PostgresStatus {
                error: Some(e.to_string()),
                ..base
            };
        }
        Err(_) => {
            return PostgresStatus {
                error: Some(format!("PostgreSQL at {target}: timed out")),
                ..base
            };
        }
    };
    let connected = PostgresStatus {
        connected: Some(true),
        version: Some(pg.server_version().await.unwrap_or_default()),
        ..base
    };
    match pg.count_if_migrated().await {
        // Not created yet: nothing was delivered to this database so far, which is no fault.
        Ok(n) => PostgresStatus {
            migrated: Some(n.is_some()),
            events: n,
            ..connected
        },
        Err(e) => PostgresStatus {
            error: Some(e.to_string()),
            ..connected
        },
    }
}

fn backlog(ctx: &Context) -> BacklogStatus {
    let path = SqliteStore::default_path();
    let ob = match Outbox::open(&path) {
        Ok(o) => o,
        Err(e) => {
            return BacklogStatus {
                error: Some(e.to_string()),
                ..BacklogStatus::default()
            };
        }
    };
    // The backlog of this repo's events: the only ones this repo's sinks receive.
    let repo = ctx
        .repo
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let sinks = SinkSpec::from_config(&ctx.config)
        .into_iter()
        .map(|s| {
            let key = crate::spine::forwarder::outbox_key(&s, &repo);
            let b = match ob.backlog(&key) {
                Ok(n) => SinkBacklog::Waiting(n),
                Err(e) => SinkBacklog::Failed {
                    error: e.to_string(),
                },
            };
            (s.name().to_string(), b)
        })
        .collect();
    BacklogStatus { sinks, error: None }
}
