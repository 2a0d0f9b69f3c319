//! The console's watch of the buckets: the whole content at (re)connection, then every change
//! as it is pushed (a KV watch, not a poll). While the buckets cannot be read, the console is
//! told so once per distinct reason, keeps the rows it had (shown stale) and tries again.

use std::time::Duration;

use futures::StreamExt as _;

use crate::app::event::{Event, EventSender};
use crate::app::fleet::FleetEvent;
use crate::config::NatsConfig;
use crate::integrations::fleet::{FleetError, open, read_and_watch};
use crate::model::fleet::{HostBeat, LaneRow};

/// How long to wait before trying again.
const RETRY: Duration = Duration::from_secs(3);

/// Run for as long as the console does.
pub async fn run(cfg: NatsConfig, events: EventSender) {
    let mut said: Option<String> = None;
    loop {
        let error = match Box::pin(watch(&cfg, &events)).await {
            // No host publishes yet: nothing unknown (a server that came back clears what its
            // loss said); look again later.
            Err(FleetError::NoBuckets { .. }) => {
                if said.take().is_some() && events.send(Event::Fleet(FleetEvent::NoHosts)).is_err()
                {
                    return;
                }
                None
            }
            Err(e) => Some(e.to_string()),
            Ok(()) => Some("the watch of the lane buckets ended".to_string()),
        };
        if let Some(e) = error
            && said.as_ref() != Some(&e)
        {
            tracing::warn!("{e}");
            if events
                .send(Event::Fleet(FleetEvent::Unavailable { error: e.clone() }))
                .is_err()
            {
                return;
            }
            said = Some(e);
        }
        tokio::time::sleep(RETRY).await;
        if events.is_closed() {
            return;
        }
    }
}

async fn watch(cfg: &NatsConfig, events: &EventSender) -> Result<(), FleetError> {
    let url = crate::config::secrets::redact_url(&cfg.url);
    let client = crate::spine::nats::connect(cfg)
        .await
        .map_err(|e| FleetError::Nats(e.to_string()))?;
    let buckets = open(&client, &url).await?;
    let ((rows, mut row_watch), (beats, mut beat_watch)) = tokio::try_join!(
        read_and_watch(&buckets.lanes, &url),
        read_and_watch(&buckets.hosts, &url)
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
    let lost = |e: String| FleetError::JetStream {
        url: url.clone(),
        what: "watching the lane buckets".into(),
        reason: e,
    };
    loop {
        let ev = tokio::select! {
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
