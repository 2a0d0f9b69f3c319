//! Lanes on many machines, over NATS JetStream: the two key-value buckets (`HELIOS_LANES`, one
//! row per lane; `HELIOS_HOSTS`, one heartbeat per host), read whole for `helios lane ls
//! --all-hosts`, watched by the console, written by `helios serve` (`publish`), and the host
//! services that act on a host's lanes (`service`). The row types are in `model::fleet`.
//! Terminal bytes never travel here: a remote lane's terminal is `ssh -t HOST tmux attach`.

pub mod publish;
pub mod service;
pub mod watch;

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures::StreamExt as _;

use crate::model::fleet::{HOSTS_BUCKET, HostBeat, LANES_BUCKET, LaneRow};

/// How long a whole read of a bucket may take before it is called failed.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a request to a bucket's stream that timed out is made in all.
const TRIES: u32 = 3;

/// The two buckets.
#[derive(Clone)]
pub struct Buckets {
    /// Lane rows.
    pub lanes: kv::Store,
    /// Heartbeats.
    pub hosts: kv::Store,
}

/// Why the buckets could not be had.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FleetError {
    /// No `helios serve` has created them on this server yet.
    #[error(
        "no host publishes lanes on NATS at {url} yet (bucket {bucket} does not exist): start `helios serve` on each host"
    )]
    NoBuckets {
        /// The server (credentials removed).
        url: String,
        /// The bucket missing.
        bucket: String,
    },
    /// The connection failed (the NATS error says where and what to do).
    #[error("{0}")]
    Nats(String),
    /// Anything else JetStream said.
    #[error("NATS JetStream at {url}: {what}: {reason}")]
    JetStream {
        /// The server.
        url: String,
        /// What helios was doing.
        what: String,
        /// What the server or client said.
        reason: String,
    },
}

/// Open the buckets as they are (readers never create them).
pub async fn open(client: &async_nats::Client, url: &str) -> Result<Buckets, FleetError> {
    let js = jetstream::new(client.clone());
    let get = |bucket: &'static str| {
        let js = js.clone();
        async move {
            // Ask for the stream first: "not found" is worth its own message.
            use async_nats::jetstream::ErrorCode;
            use async_nats::jetstream::context::GetStreamErrorKind as K;
            if let Err(e) = js.get_stream(format!("KV_{bucket}")).await {
                return Err(match e.kind() {
                    K::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {
                        FleetError::NoBuckets {
                            url: url.to_string(),
                            bucket: bucket.to_string(),
                        }
                    }
                    _ => FleetError::JetStream {
                        url: url.to_string(),
                        what: format!("opening bucket {bucket}"),
                        reason: e.to_string(),
                    },
                });
            }
            js.get_key_value(bucket)
                .await
                .map_err(|e| FleetError::JetStream {
                    url: url.to_string(),
                    what: format!("opening bucket {bucket}"),
                    reason: e.to_string(),
                })
        }
    };
    Ok(Buckets {
        lanes: get(LANES_BUCKET).await?,
        hosts: get(HOSTS_BUCKET).await?,
    })
}

/// Open the buckets, creating them (with `replicas` copies) when they do not exist: what
/// `helios serve` does. An existing bucket is used as it is, whatever its replicas.
pub async fn open_or_create(
    client: &async_nats::Client,
    url: &str,
    replicas: usize,
) -> Result<Buckets, FleetError> {
    let js = jetstream::new(client.clone());
    let make = |bucket: &'static str, description: &'static str| {
        let js = js.clone();
        async move {
            if let Ok(s) = js.get_key_value(bucket).await {
                return Ok(s);
            }
            js.create_key_value(kv::Config {
                bucket: bucket.to_string(),
                description: description.to_string(),
                history: 1,
                num_replicas: replicas.max(1),
                ..Default::default()
            })
            .await
            .map_err(|e| FleetError::JetStream {
                url: url.to_string(),
                what: format!("creating bucket {bucket} with {replicas} replicas"),
                reason: e.to_string(),
            })
        }
    };
    Ok(Buckets {
        lanes: make(LANES_BUCKET, "helios: one row per lane per host").await?,
        hosts: make(HOSTS_BUCKET, "helios: one heartbeat per host").await?,
    })
}

/// Now, as the rows and heartbeats write it (RFC 3339). A time that cannot be written is
/// logged and left empty, which every reader takes as of unknown age (so: stale).
pub fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| {
            tracing::error!("formatting the time: {e}");
            String::new()
        })
}

/// Every live key of a bucket with its value, read once through a watch of the last value per
/// key (one round of messages, not a request per key).
pub async fn read_all(
    store: &kv::Store,
    url: &str,
) -> Result<HashMap<String, Vec<u8>>, FleetError> {
    Ok(read_and_watch(store, url).await?.0)
}

/// [`read_all`], and the watch that goes on from there: every change after the content read.
pub async fn read_and_watch(
    store: &kv::Store,
    url: &str,
) -> Result<(HashMap<String, Vec<u8>>, kv::Watch), FleetError> {
    let fail = |what: &str, reason: String| FleetError::JetStream {
        url: url.to_string(),
        what: what.to_string(),
        reason,
    };
    let mut out = HashMap::new();
    // The watch starts first: a change made while the size is asked is not missed.
    let mut watch = asked_again(
        &store.name,
        |e: &kv::WatchError| e.kind() == kv::WatchErrorKind::TimedOut,
        || store.watch_with_history(">"),
    )
    .await
    .map_err(|e| fail("watching the bucket", e.to_string()))?;
    // An empty bucket sends nothing to a watch: ask how many messages it holds.
    let held = asked_again(
        &store.name,
        |e: &jetstream::context::RequestError| {
            e.kind() == jetstream::context::RequestErrorKind::TimedOut
        },
        || store.stream.get_info(),
    )
    .await
    .map_err(|e| fail("reading the bucket's size", e.to_string()))?
    .state
    .messages;
    if held == 0 {
        return Ok((out, watch));
    }
    let read = async {
        while let Some(entry) = watch.next().await {
            let entry = entry.map_err(|e| fail("reading the bucket", e.to_string()))?;
            let last = entry.delta == 0;
            apply(&mut out, entry);
            if last {
                break;
            }
        }
        Ok::<_, FleetError>(())
    };
    tokio::time::timeout(READ_TIMEOUT, read)
        .await
        .map_err(|_| {
            fail(
                "reading the bucket",
                format!("no answer in {READ_TIMEOUT:?}"),
            )
        })??;
    Ok((out, watch))
}

/// A request to the bucket's stream, asked again when it timed out (twice at most; any other
/// failure is final). On a cluster that has just lost a node the stream's new leader may not
/// answer in time: seen in CI, one `lane ls --all-hosts` timed out between two that worked.
async fn asked_again<T, E, F, Fut>(
    bucket: &str,
    timed_out: impl Fn(&E) -> bool,
    mut ask: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match ask().await {
            Err(e) if timed_out(&e) && tries < TRIES => {
                tracing::warn!("bucket {bucket}: a request timed out, asking again");
                tries += 1;
            }
            done => return done,
        }
    }
}

/// One watched entry into a key-value map.
fn apply(map: &mut HashMap<String, Vec<u8>>, entry: kv::Entry) {
    match entry.operation {
        kv::Operation::Put => {
            map.insert(entry.key, entry.value.to_vec());
        }
        kv::Operation::Delete | kv::Operation::Purge => {
            map.remove(&entry.key);
        }
    }
}

/// What the buckets hold: every host's rows and heartbeats, read once.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// Lane rows (unreadable ones are left out and logged).
    pub rows: Vec<LaneRow>,
    /// Heartbeats by host.
    pub beats: HashMap<String, HostBeat>,
}

/// Read both buckets whole.
pub async fn snapshot(b: &Buckets, url: &str) -> Result<Snapshot, FleetError> {
    let (rows, beats) = tokio::try_join!(read_all(&b.lanes, url), read_all(&b.hosts, url))?;
    let mut snap = Snapshot::default();
    for (key, v) in rows {
        match serde_json::from_slice::<LaneRow>(&v) {
            Ok(r) => snap.rows.push(r),
            Err(e) => tracing::warn!("{LANES_BUCKET} key {key}: unreadable row: {e}"),
        }
    }
    for (key, v) in beats {
        match serde_json::from_slice::<HostBeat>(&v) {
            Ok(b) => {
                snap.beats.insert(b.host.clone(), b);
            }
            Err(e) => tracing::warn!("{HOSTS_BUCKET} key {key}: unreadable heartbeat: {e}"),
        }
    }
    snap.rows
        .sort_by(|a, b| (&a.host, &a.repo, &a.label).cmp(&(&b.host, &b.repo, &b.label)));
    Ok(snap)
}
