//! The console's watch of the buckets: the whole content at (re)connection, then every change
//! as it is pushed (a KV watch, not a poll). While the buckets cannot be read, the console is
//! told so once per distinct reason, keeps the rows it had (shown stale) and tries again.
//! Before any `helios serve` has made the buckets, the console waits on its connection for
//! the server's advisory that they were made, not asking again every few seconds (each ask
//! for a stream that does not exist counts as an API error on the server).

use std::time::Duration;

use futures::StreamExt as _;

use crate::app::event::{Event, EventSender};
use crate::app::fleet::FleetEvent;
use crate::config::NatsConfig;
use crate::integrations::fleet::{FleetError, open, read_and_watch};
use crate::model::fleet::{HOSTS_BUCKET, HostBeat, LANES_BUCKET, LaneRow};

/// How long to wait before trying again after an error.
const RETRY: Duration = Duration::from_secs(3);
/// How often a running watch looks whether its connection is still up.
const CHECK_CONNECTION: Duration = Duration::from_secs(2);
/// How long to wait for the buckets' advisory before looking anyway (an account that may not
/// subscribe to advisories, a server that sends none).
const LOOK_AGAIN: Duration = Duration::from_secs(30);

/// Run for as long as the console does.
pub async fn run(cfg: NatsConfig, events: EventSender) {
    let mut said: Option<String> = None;
    loop {
        let Some(error) = Box::pin(session(&cfg, &events, &mut said)).await else {
            return;
        };
        if said.as_ref() != Some(&error) {
            tracing::warn!("{error}");
            if events
                .send(Event::Fleet(FleetEvent::Unavailable {
                    error: error.clone(),
                }))
                .is_err()
            {
                return;
            }
            said = Some(error);
        }
        tokio::time::sleep(RETRY).await;
        if events.is_closed() {
            return;
        }
    }
}

/// One connection: watch the buckets, waiting on it while they do not exist yet. Returns why
/// it ended, or `None` when the console has.
async fn session(
    cfg: &NatsConfig,
    events: &EventSender,
    said: &mut Option<String>,
) -> Option<String> {
    let url = crate::config::secrets::redact_url(&cfg.url);
    let client = match crate::spine::nats::connect(cfg).await {
        Ok(c) => c,
        Err(e) => return Some(FleetError::Nats(e.to_string()).to_string()),
    };
    // Subscribed before the first look, so a bucket made in between is not missed.
    let mut made = match made_advisories(&client).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!("no advisories of new buckets ({e}): looking every {LOOK_AGAIN:?}");
            None
        }
    };
    loop {
        match Box::pin(watch(&client, &url, events, said)).await {
            // No host publishes yet: nothing unknown (a server that came back clears what its
            // loss said); wait for a serve to make the buckets.
            Err(FleetError::NoBuckets { .. }) => {
                if said.take().is_some() && events.send(Event::Fleet(FleetEvent::NoHosts)).is_err()
                {
                    return None;
                }
                let advisory = async {
                    match made.as_mut() {
                        Some(m) => m.next().await.is_some(),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    // The subscription ended (the client is gone): look on a timer from now.
                    more = advisory => if !more { made = None },
                    () = tokio::time::sleep(LOOK_AGAIN) => {}
                    () = events.closed() => return None,
                }
            }
            Err(e) => return Some(e.to_string()),
            Ok(()) if events.is_closed() => return None,
            Ok(()) => return Some("the watch of the lane buckets ended".to_string()),
        }
    }
}

/// The server's advisories that one of the two buckets' streams was made.
async fn made_advisories(
    client: &async_nats::Client,
) -> Result<futures::stream::Select<async_nats::Subscriber, async_nats::Subscriber>, String> {
    let sub =
        |bucket: &str| client.subscribe(format!("$JS.EVENT.ADVISORY.STREAM.CREATED.KV_{bucket}"));
    let lanes = sub(LANES_BUCKET).await.map_err(|e| e.to_string())?;
    let hosts = sub(HOSTS_BUCKET).await.map_err(|e| e.to_string())?;
    Ok(futures::stream::select(lanes, hosts))
}

async fn watch(
    client: &async_nats::Client,
    url: &str,
    events: &EventSender,
    said: &mut Option<String>,
) -> Result<(), FleetError> {
    let buckets = open(client, url).await?;
    let ((rows, mut row_watch), (beats, mut beat_watch)) = tokio::try_join!(
        read_and_watch(&buckets.lanes, url),
        read_and_watch(&buckets.hosts, url)
    )?;
    let loaded = FleetEvent::Loaded {
        rows: rows
            .into_iter()
            .filter_map(|(k, v)| Some((k, parse::<LaneRow>(&v)?)))
            .collect(),
        beats: beats
            .values()
            .filter_map(|v| parse::<HostBeat>(v))
            .collect(),
    };
    if events.send(Event::Fleet(loaded)).is_err() {
        return Ok(());
    }
    // Read again: a later loss with the same words is news again.
    *said = None;
    let lost = |e: String| FleetError::JetStream {
        url: url.to_string(),
        what: "watching the lane buckets".into(),
        reason: e,
    };
    // The client reconnects by itself and the watch then just waits: look at the connection,
    // so a lost server is said (the other hosts' lanes unknown), not only seen as stale rows.
    // Twice in a row: a cluster's client moves to another node within a check, and a lost
    // node must change nothing a user sees but the cluster line.
    let mut check = tokio::time::interval(CHECK_CONNECTION);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut away = 0;
    loop {
        let ev = tokio::select! {
            _ = check.tick() => {
                if client.connection_state() == async_nats::connection::State::Connected {
                    away = 0;
                    continue;
                }
                away += 1;
                if away < 2 {
                    continue;
                }
                return Err(lost("the connection to NATS was lost".into()));
            }
            e = row_watch.next() => {
                let e = e.ok_or_else(|| lost("the watch ended".into()))?.map_err(|e| lost(e.to_string()))?;
                let row = match e.operation {
                    async_nats::jetstream::kv::Operation::Put => match parse::<LaneRow>(&e.value) {
                        Some(r) => Some(Box::new(r)),
                        None => continue,
                    },
                    _ => None,
                };
                FleetEvent::Row { key: e.key, row }
            }
            e = beat_watch.next() => {
                let e = e.ok_or_else(|| lost("the watch ended".into()))?.map_err(|e| lost(e.to_string()))?;
                match parse::<HostBeat>(&e.value) {
                    Some(b) => FleetEvent::Beat(b),
                    None => continue,
                }
            }
        };
        if events.send(Event::Fleet(ev)).is_err() {
            return Ok(());
        }
    }
}

/// A value from another machine; an unreadable one is logged and left out.
fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes)
        .inspect_err(|e| tracing::warn!("an unreadable value in a lane bucket: {e}"))
        .ok()
}
