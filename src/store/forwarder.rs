//! The forwarder: one tokio task per sink (JetStream, PostgreSQL) that delivers the journal's
//! events in journal order, marks them delivered in the outbox only once the sink acknowledged
//! them, and retries with backoff while the sink is down. Never on the render path.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::app::nats::{NatsEvent, SinkBacklog};
use crate::config::Config;
use crate::integrations::nats::sink::NatsSink;
use crate::runtime::EventSender;
use crate::store::outbox::{Outbox, Pending};
use crate::store::postgres::PgSink;
use crate::store::{AuditEvent, StoreError};

/// Which sink a forwarder feeds.
#[derive(Debug, Clone)]
pub enum SinkSpec {
    /// JetStream, with the `[nats]` settings.
    Nats(crate::config::NatsConfig),
    /// PostgreSQL at this URL, with this batch size.
    Postgres {
        /// libpq-style URL.
        url: String,
        /// Rows per INSERT.
        batch: usize,
    },
}

impl SinkSpec {
    /// The name used in the outbox and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Nats(_) => "nats",
            Self::Postgres { .. } => "postgres",
        }
    }

    fn batch(&self) -> usize {
        match self {
            Self::Nats(_) => 256,
            Self::Postgres { batch, .. } => (*batch).max(1),
        }
    }

    /// Every sink the config asks for: NATS unless `[nats] forward = false`, PostgreSQL only
    /// when a URL was given.
    pub fn from_config(cfg: &Config) -> Vec<Self> {
        let mut v = Vec::new();
        if cfg.nats.forward {
            v.push(Self::Nats(cfg.nats.clone()));
        }
        if let Some(url) = &cfg.postgres.url {
            v.push(Self::Postgres {
                url: url.clone(),
                batch: cfg.postgres.batch,
            });
        }
        v
    }
}

enum Sink {
    Nats(NatsSink),
    Postgres(PgSink),
}

impl Sink {
    async fn open(spec: &SinkSpec) -> Result<Self, String> {
        match spec {
            SinkSpec::Nats(cfg) => {
                let client = crate::integrations::nats::connect(cfg)
                    .await
                    .map_err(|e| e.to_string())?;
                NatsSink::open(client, cfg)
                    .await
                    .map(Sink::Nats)
                    .map_err(|e| e.to_string())
            }
            SinkSpec::Postgres { url, .. } => PgSink::connect(url)
                .await
                .map(Sink::Postgres)
                .map_err(|e| e.to_string()),
        }
    }

    /// Deliver in order; how many of the first events the sink acknowledged, and the error.
    async fn deliver(&self, events: &[AuditEvent]) -> (usize, Option<String>) {
        match self {
            Self::Nats(s) => s.publish(events).await,
            Self::Postgres(s) => match s.insert(events).await {
                Ok(_) => (events.len(), None),
                Err(e) => (0, Some(e.to_string())),
            },
        }
    }
}

/// Whether a forwarder stops when the backlog is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Deliver what is there, then return; a sink failure is returned, not retried.
    Drain,
    /// Run forever, waiting for appends, retrying a down sink with backoff.
    Follow,
}

/// Start a forwarder task for every configured sink, reporting backlog to the console.
pub fn start(
    cfg: &Config,
    events: &EventSender,
    journal: &crate::store::journal::JournalHandle,
) -> Vec<tokio::task::JoinHandle<Result<u64, String>>> {
    SinkSpec::from_config(cfg)
        .into_iter()
        .map(|spec| {
            let events = events.clone();
            let report = move |b: SinkBacklog| {
                let _ = events.send(crate::app::Event::Nats(NatsEvent::Backlog { backlog: b }));
            };
            tokio::spawn(run(
                spec,
                journal.path().to_path_buf(),
                Some(journal.appended()),
                report,
                Mode::Follow,
            ))
        })
        .collect()
}

fn store_err(e: &StoreError) -> String {
    e.to_string()
}

async fn blocking<T: Send + 'static>(
    outbox: &Arc<Mutex<Outbox>>,
    f: impl FnOnce(&Outbox) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, String> {
    let ob = Arc::clone(outbox);
    tokio::task::spawn_blocking(move || {
        let guard = ob.lock().map_err(|_| "outbox lock poisoned".to_string())?;
        f(&guard).map_err(|e| store_err(&e))
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Deliver the journal at `path` to `spec`. Returns how many events were delivered (Drain), or
/// runs until the journal handle's channel closes (Follow).
pub async fn run(
    spec: SinkSpec,
    path: PathBuf,
    mut appended: Option<watch::Receiver<u64>>,
    report: impl Fn(SinkBacklog) + Send + 'static,
    mode: Mode,
) -> Result<u64, String> {
    let name = spec.name();
    let outbox = {
        let p = path.clone();
        let ob = tokio::task::spawn_blocking(move || Outbox::open(&p))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| store_err(&e))?;
        Arc::new(Mutex::new(ob))
    };
    let backlog = |error: Option<String>| {
        let outbox = Arc::clone(&outbox);
        async move {
            let pending = blocking(&outbox, move |o| o.backlog(name))
                .await
                .unwrap_or(0);
            crate::telemetry::backlog(name, pending);
            SinkBacklog {
                sink: name.to_string(),
                pending,
                error,
            }
        }
    };
    let mut sink: Option<Sink> = None;
    let mut backoff = Duration::from_millis(500);
    let mut delivered = 0u64;
    let mut last_report: Option<Instant> = None;
    loop {
        let Some(s) = &sink else {
            match Sink::open(&spec).await {
                Ok(s) => {
                    sink = Some(s);
                    backoff = Duration::from_millis(500);
                }
                Err(e) => {
                    report(backlog(Some(e.clone())).await);
                    if mode == Mode::Drain {
                        return Err(e);
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
            continue;
        };
        let limit = spec.batch();
        let batch: Vec<Pending> = blocking(&outbox, move |o| o.pending(name, limit)).await?;
        if batch.is_empty() {
            report(backlog(None).await);
            if mode == Mode::Drain {
                return Ok(delivered);
            }
            wait_for_more(&mut appended).await;
            continue;
        }
        // Unreadable rows (from a newer or damaged helios) are reported and skipped.
        let mut good: Vec<(i64, AuditEvent)> = Vec::with_capacity(batch.len());
        let mut skipped: Vec<(i64, String)> = Vec::new();
        for p in batch {
            match p.event {
                Ok(e) => good.push((p.seq, e)),
                Err(e) => skipped.push((p.seq, format!("skipped unreadable journal row: {e}"))),
            }
        }
        let last_seq = good
            .last()
            .map(|g| g.0)
            .max(skipped.last().map(|s| s.0))
            .unwrap_or(0);
        let events: Vec<AuditEvent> = good.iter().map(|g| g.1.clone()).collect();
        let span = crate::telemetry::span("sink.publish", name);
        let (acked, err) = s.deliver(&events).await;
        drop(span);
        let mark = if err.is_none() {
            last_seq
        } else {
            // Everything before the first unacknowledged event, skipped rows included.
            let stop = good.get(acked).map_or(last_seq, |g| g.0);
            good.iter()
                .map(|g| g.0)
                .chain(skipped.iter().map(|s| s.0))
                .filter(|seq| *seq < stop)
                .max()
                .unwrap_or(0)
        };
        if mark > 0 {
            blocking(&outbox, move |o| o.mark(name, mark)).await?;
        }
        delivered += acked as u64;
        crate::telemetry::delivered(name, acked as u64);
        if let Some((_, why)) = skipped.first() {
            report(backlog(Some(why.clone())).await);
        }
        if let Some(e) = err {
            let msg = format!("{name}: delivery failed, will retry: {e}");
            report(backlog(Some(msg.clone())).await);
            sink = None;
            if mode == Mode::Drain {
                return Err(msg);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
            continue;
        }
        if last_report.is_none_or(|t| t.elapsed() >= Duration::from_millis(250)) {
            last_report = Some(Instant::now());
            report(backlog(None).await);
        }
    }
}

/// Wait for this process's journal to append, or a second (other processes — `helios lane`
/// commands — append to the same journal and cannot wake us).
async fn wait_for_more(appended: &mut Option<watch::Receiver<u64>>) {
    let tick = tokio::time::sleep(Duration::from_secs(1));
    match appended {
        Some(rx) => {
            tokio::select! {
                r = rx.changed() => if r.is_err() {
                    // The journal is gone; fall back to polling.
                    *appended = None;
                },
                () = tick => {}
            }
        }
        None => tick.await,
    }
}
