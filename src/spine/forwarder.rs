//! The forwarder: one tokio task per sink (JetStream, PostgreSQL) that delivers the journal's
//! events in journal order, marks them delivered in the outbox only once the sink acknowledged
//! them, and retries with backoff while the sink is down. Never on the render path.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::app::event::EventSender;
use crate::app::nats::{NatsEvent, SinkBacklog};
use crate::config::Config;
use crate::model::retry::Backoff;
use crate::spine::jetstream::NatsSink;
use crate::spine::postgres::PgSink;
use crate::store::outbox::{Outbox, Pending};
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

    /// Where the sink is, for messages: its URL without credentials.
    fn place(&self) -> String {
        match self {
            Self::Nats(cfg) => crate::config::secrets::redact_url(&cfg.url),
            Self::Postgres { url, .. } => crate::config::secrets::redact_url(url),
        }
    }

    fn batch(&self) -> usize {
        match self {
            Self::Nats(_) => 256,
            Self::Postgres { batch, .. } => (*batch).max(1),
        }
    }

    /// Every sink the config asks for: NATS when it was configured (not the built-in default,
    /// see [`crate::config::NatsConfig::is_configured`]) unless `[nats] forward = false`,
    /// PostgreSQL only when a URL was given. The console's forwarders, `helios events --deliver`
    /// and the CLI's delivery at exit all start from this list.
    pub fn from_config(cfg: &Config) -> Vec<Self> {
        let mut v = Vec::new();
        if cfg.nats.forward && cfg.nats.is_configured() {
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
                let client = crate::spine::nats::connect_once(cfg)
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

    /// Whether the sink's connection is still up; a lost one is opened again, which resumes.
    fn connected(&self) -> bool {
        match self {
            Self::Nats(s) => s.connected(),
            // A broken PostgreSQL connection fails the next insert, which reopens.
            Self::Postgres(_) => true,
        }
    }

    /// The id of the newest event of `repo` the sink already holds, when it can tell.
    async fn last_delivered(&self, repo: &str) -> Option<String> {
        match self {
            Self::Nats(s) => s.last_delivered(repo).await,
            // PostgreSQL inserts are idempotent on the event id: a resend is harmless there.
            Self::Postgres(_) => None,
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
    repo: &str,
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
                repo.to_string(),
                journal.path().to_path_buf(),
                Some(journal.appended()),
                report,
                Mode::Follow,
            ))
        })
        .collect()
}

/// How the error of a forwarder that found another one delivering begins.
const BUSY: &str = "another helios (pid";

/// Whether `error`, returned by [`run`] in [`Mode::Drain`], means another helios holds the
/// delivery lock of that sink and repo: it delivers, so there is nothing to report.
pub fn is_busy(error: &str) -> bool {
    error.starts_with(BUSY)
}

/// The outbox row of one sink, repo and place: `nats:<repo>` and the sink's URL without
/// credentials, so a server never delivered to counts every event as waiting (and gets them),
/// whatever an earlier one received. See [`Outbox::delivered`] for keys of older helios.
pub fn outbox_key(spec: &SinkSpec, repo: &str) -> String {
    crate::store::outbox::place_key(spec.name(), repo, &spec.place())
}

/// An exclusive lock on `<journal>.<key>.lock`, held while one forwarder delivers; released when
/// dropped or when the process dies (the OS drops the lock with the file descriptor).
struct DeliveryLock {
    _file: std::fs::File,
}

impl DeliveryLock {
    fn acquire(journal: &std::path::Path, key: &str, place: &str) -> Result<Self, String> {
        use std::io::{Read as _, Seek as _, Write as _};
        let safe: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = journal.with_extension(format!("deliver-{safe}.lock"));
        // `events --deliver` on a machine that never journalled: the journal's directory is
        // made by the store, which opens after the lock.
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            tracing::warn!(dir = %dir.display(), "cannot create the journal's directory: {e}");
        }
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("cannot open the delivery lock {}: {e}", path.display()))?;
        match f.try_lock() {
            Ok(()) => {
                // Who holds it, for the message another forwarder shows.
                // Only the message another forwarder shows depends on it: log, go on.
                if let Err(e) = f
                    .set_len(0)
                    .and_then(|()| f.rewind())
                    .and_then(|()| write!(f, "{}", std::process::id()))
                {
                    tracing::warn!(lock = %path.display(), "cannot write our pid into the delivery lock: {e}");
                }
                Ok(Self { _file: f })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut who = String::new();
                if let Err(e) = f.read_to_string(&mut who) {
                    tracing::warn!(lock = %path.display(), "cannot read who holds the delivery lock: {e}");
                }
                Err(format!(
                    "{BUSY} {}) is delivering this repo's events to {place}; this one waits",
                    who.trim()
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(format!("cannot lock {}: {e}", path.display()))
            }
        }
    }
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

/// Deliver the events of `repo` in the journal at `path` to `spec`: the sinks a repo's config
/// names receive that repo's events only. Returns how many events were delivered (Drain), or
/// runs until the journal handle's channel closes (Follow).
///
/// Only one forwarder per journal, sink and repo delivers at a time: it holds a lock file next
/// to the journal, and another one (a second console on the same repo, `events --deliver`)
/// waits for it (Follow) or says who holds it (Drain). On every (re)connect it resumes from the
/// newest event the sink already holds, so a crash between an acknowledged publish and its
/// outbox mark resends nothing, whatever the duplicate window.
pub async fn run(
    spec: SinkSpec,
    repo: String,
    path: PathBuf,
    mut appended: Option<watch::Receiver<u64>>,
    report: impl Fn(SinkBacklog) + Send + 'static,
    mode: Mode,
) -> Result<u64, String> {
    let name = spec.name();
    let key: Arc<str> = outbox_key(&spec, &repo).into();
    let _lock = acquire(&path, &key, &spec.place(), name, &report, mode).await?;
    let outbox = {
        let p = path.clone();
        let ob = tokio::task::spawn_blocking(move || Outbox::open(&p))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| store_err(&e))?;
        Arc::new(Mutex::new(ob))
    };
    let backlog = |error: Option<String>| backlog_of(&outbox, &key, name, error);
    let mut sink: Option<Sink> = None;
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let mut delivered = 0u64;
    let mut last_report: Option<Instant> = None;
    loop {
        let Some(s) = &sink else {
            match Sink::open(&spec).await {
                Ok(s) => {
                    resume(&s, &repo, &outbox, &key).await?;
                    sink = Some(s);
                    backoff.reset();
                }
                Err(e) => {
                    tracing::warn!(sink = name, repo = %repo, "sink unreachable: {e}");
                    report(backlog(Some(e.clone())).await);
                    if mode == Mode::Drain {
                        return Err(e);
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
            continue;
        };
        if !s.connected() {
            let msg = format!(
                "{name}: lost the connection to {}, reconnecting",
                spec.place()
            );
            tracing::warn!(repo = %repo, "{msg}");
            report(backlog(Some(msg)).await);
            sink = None;
            continue;
        }
        let limit = spec.batch();
        let k = Arc::clone(&key);
        let batch: Vec<Pending> = blocking(&outbox, move |o| o.pending(&k, limit)).await?;
        if batch.is_empty() {
            report(backlog(None).await);
            if mode == Mode::Drain {
                return Ok(delivered);
            }
            wait_for_more(&mut appended).await;
            continue;
        }
        let sent = deliver_batch(s, name, batch, &outbox, &key).await?;
        delivered += sent.acked as u64;
        if let Some(why) = sent.skipped {
            report(backlog(Some(why)).await);
        }
        if let Some(e) = sent.error {
            let msg = format!("{name}: delivery failed, will retry: {e}");
            tracing::warn!(repo = %repo, acked = sent.acked, "{msg}");
            report(backlog(Some(msg.clone())).await);
            sink = None;
            if mode == Mode::Drain {
                return Err(msg);
            }
            tokio::time::sleep(backoff.next_delay()).await;
            continue;
        }
        if last_report.is_none_or(|t| t.elapsed() >= Duration::from_millis(250)) {
            last_report = Some(Instant::now());
            report(backlog(None).await);
        }
    }
}

/// Take the delivery lock of this journal, sink and repo: wait for it (Follow), or return who
/// holds it (Drain).
async fn acquire(
    path: &Path,
    key: &str,
    place: &str,
    name: &str,
    report: &impl Fn(SinkBacklog),
    mode: Mode,
) -> Result<DeliveryLock, String> {
    loop {
        match DeliveryLock::acquire(path, key, place) {
            Ok(l) => return Ok(l),
            Err(why) => {
                tracing::info!(sink = name, "{why}");
                report(SinkBacklog {
                    sink: name.to_string(),
                    pending: 0,
                    error: Some(why.clone()),
                });
                if mode == Mode::Drain {
                    return Err(why);
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// The sink's backlog now (also recorded as a metric), with `error` when it is down.
async fn backlog_of(
    outbox: &Arc<Mutex<Outbox>>,
    key: &Arc<str>,
    name: &'static str,
    error: Option<String>,
) -> SinkBacklog {
    let k = Arc::clone(key);
    let pending = blocking(outbox, move |o| o.backlog(&k))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(sink = name, "cannot count the backlog: {e}");
            0
        });
    crate::telemetry::backlog(name, pending);
    SinkBacklog {
        sink: name.to_string(),
        pending,
        error,
    }
}

/// Move the outbox mark up to the newest event the sink already holds (a crash may have lost
/// the mark of an acknowledged publish).
async fn resume(
    s: &Sink,
    repo: &str,
    outbox: &Arc<Mutex<Outbox>>,
    key: &Arc<str>,
) -> Result<(), String> {
    if let Some(id) = s.last_delivered(repo).await {
        let k = Arc::clone(key);
        blocking(outbox, move |o| o.mark_through(&k, &id)).await?;
    }
    Ok(())
}

/// What one batch came to.
struct Sent {
    /// Events the sink acknowledged.
    acked: usize,
    /// The first unreadable journal row skipped, if any.
    skipped: Option<String>,
    /// Why the sink stopped taking the batch.
    error: Option<String>,
}

/// Deliver one batch in order and move the outbox mark past what the sink acknowledged
/// (unreadable rows are reported and skipped, never retried forever).
async fn deliver_batch(
    s: &Sink,
    name: &'static str,
    batch: Vec<Pending>,
    outbox: &Arc<Mutex<Outbox>>,
    key: &Arc<str>,
) -> Result<Sent, String> {
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
        let k = Arc::clone(key);
        blocking(outbox, move |o| o.mark(&k, mark)).await?;
    }
    crate::telemetry::delivered(name, acked as u64);
    for (seq, why) in &skipped {
        tracing::warn!(sink = name, seq, "{why}");
    }
    Ok(Sent {
        acked,
        skipped: skipped.into_iter().next().map(|(_, why)| why),
        error: err,
    })
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
