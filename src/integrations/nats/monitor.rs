//! The NATS monitor task: a snapshot of server, JetStream account, streams, consumers and KV
//! buckets every refresh, `/varz` rates when a monitoring URL is given, and a live tail of
//! HELIOS_EVENTS for the events panel. Sends typed events; never touches AppState.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::Event;
use crate::app::effect::NatsEffect;
use crate::app::event::EventSender;
use crate::app::nats::{ConsumerRow, JsAccount, KvRow, NatsEvent, NatsSnapshot, StreamRow, Varz};
use crate::config::NatsConfig;
use crate::config::secrets::redact_url as redact;
use crate::integrations::nats::{NatsError, connect, sink};
use crate::model::AuditEvent;
use crate::model::retry::Backoff;

/// The previous `/varz` counters, for per-second rates.
#[derive(Debug, Clone, Copy)]
pub struct VarzCounters {
    at: Instant,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
}

fn send(events: &EventSender, e: NatsEvent) -> bool {
    events.send(Event::Nats(e)).is_ok()
}

/// Run until the app goes away: connect (with backoff), refresh, report.
pub async fn run(cfg: NatsConfig, events: EventSender, mut rx: UnboundedReceiver<NatsEffect>) {
    let refresh = Duration::from_secs(cfg.refresh_secs.max(1));
    if !send(
        &events,
        NatsEvent::Configured {
            url: redact(&cfg.url),
            refresh,
            quiet_default: !cfg.is_configured(),
        },
    ) {
        return;
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .ok();
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    // The first failure is logged, the retries after it at debug: a server nobody started (the
    // quiet default) wrote the same line every few seconds. (Once connected, the client
    // reconnects by itself and the panel says when it cannot.)
    let mut said = false;
    loop {
        let client = match connect(&cfg).await {
            Ok(c) => c,
            Err(e) => {
                if said {
                    tracing::debug!(url = %redact(&cfg.url), "NATS still unreachable: {e}");
                } else {
                    tracing::info!(url = %redact(&cfg.url), "NATS unreachable: {e}; retried quietly");
                }
                said = true;
                if !send(
                    &events,
                    NatsEvent::Unreachable {
                        reason: e.to_string(),
                    },
                ) {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff.next_delay()) => {}
                    got = rx.recv() => if got.is_none() { return },
                }
                continue;
            }
        };
        backoff.reset();
        let tail = tokio::spawn(tail_swarm(client.clone(), events.clone(), refresh));
        let mut prev = None;
        loop {
            let msg = match snapshot(&client, &cfg, http.as_ref(), &mut prev).await {
                Ok(s) => NatsEvent::Snapshot {
                    snapshot: Box::new(s),
                },
                Err(e) => NatsEvent::Unreachable {
                    reason: e.to_string(),
                },
            };
            if !send(&events, msg) {
                tail.abort();
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(refresh) => {}
                got = rx.recv() => if got.is_none() { tail.abort(); return },
            }
        }
    }
}

/// Gather one snapshot. The client reconnects by itself; while it is away this fails with
/// "unreachable" and the panel marks the old data stale.
pub async fn snapshot(
    client: &async_nats::Client,
    cfg: &NatsConfig,
    http: Option<&reqwest::Client>,
    prev: &mut Option<VarzCounters>,
) -> Result<NatsSnapshot, NatsError> {
    let url = redact(&cfg.url);
    let _span = crate::telemetry::span("nats.query", &url);
    let unreachable = |reason: String| NatsError::Unreachable {
        url: url.clone(),
        reason,
    };
    // While the client is away a flush waits for it to be back: say so at once, not as a
    // missing PONG 5 s later.
    if client.connection_state() != async_nats::connection::State::Connected {
        return Err(unreachable("connection lost; reconnecting".into()));
    }
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), client.flush())
        .await
        .map_err(|_| unreachable("no PONG within 5s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    if client.connection_state() != async_nats::connection::State::Connected {
        return Err(unreachable("connection lost; reconnecting".into()));
    }
    let rtt = t0.elapsed();
    let info = client.server_info();
    let mut snap = NatsSnapshot {
        server_name: info.server_name.clone(),
        version: info.version.clone(),
        connected_url: format!("{}:{}", info.host, info.port),
        rtt_us: u64::try_from(rtt.as_micros()).ok(),
        taken_at: Some(time::OffsetDateTime::now_utc()),
        ..NatsSnapshot::default()
    };
    if let (Some(mon), Some(http)) = (&cfg.monitor, http) {
        match read_varz(http, mon, prev).await {
            Ok(v) => snap.varz = Some(v),
            Err(e) => snap.varz_error = Some(e),
        }
    }
    let js = jetstream::new(client.clone());
    let js_err = |e: &dyn std::fmt::Display| NatsError::JetStream {
        url: url.clone(),
        reason: e.to_string(),
    };
    // JetStream off: the server part still shows.
    let Ok(acct) = js.query_account().await else {
        return Ok(snap);
    };
    let as_u64 = |v: Option<i64>| v.and_then(|x| u64::try_from(x).ok()).filter(|x| *x > 0);
    snap.account = Some(JsAccount {
        memory: acct.memory,
        max_memory: as_u64(acct.limits.max_memory),
        storage: acct.storage,
        max_storage: as_u64(acct.limits.max_storage),
        streams: acct.streams,
        consumers: acct.consumers,
        api_total: acct.requests.total,
        api_errors: acct.requests.errors,
    });
    let mut streams = js.streams();
    let mut groups = Vec::new();
    while let Some(s) = streams.next().await {
        let s = s.map_err(|e| js_err(&e))?;
        if let Some(c) = &s.cluster {
            groups.push((s.config.name.clone(), c.clone()));
        }
        let st = &s.state;
        if let Some(bucket) = s.config.name.strip_prefix("KV_") {
            snap.kv.push(KvRow {
                bucket: bucket.to_string(),
                values: st.messages,
                history: s.config.max_messages_per_subject,
                bytes: st.bytes,
            });
            continue;
        }
        snap.streams.push(StreamRow {
            name: s.config.name.clone(),
            subjects: s.config.subjects.clone(),
            messages: st.messages,
            bytes: st.bytes,
            consumers: st.consumer_count,
            first_seq: st.first_sequence,
            last_seq: st.last_sequence,
            last_at: (st.messages > 0).then_some(st.last_timestamp),
        });
    }
    snap.cluster = cluster_health(&groups);
    for name in snap
        .streams
        .iter()
        .map(|s| s.name.clone())
        .collect::<Vec<_>>()
    {
        let Ok(stream) = js.get_stream(&name).await else {
            continue;
        };
        let mut consumers = stream.consumers();
        while let Some(c) = consumers.next().await {
            let Ok(c) = c else { break };
            snap.consumers.push(ConsumerRow {
                stream: name.clone(),
                name: c.name.clone(),
                pending: c.num_pending,
                ack_pending: c.num_ack_pending as u64,
                redelivered: c.num_redelivered as u64,
                waiting: c.num_waiting as u64,
                last_active: c.delivered.last_active,
                ..ConsumerRow::default()
            });
        }
    }
    Ok(snap)
}

/// The cluster as the streams' groups report it; `None` when no stream is replicated (a
/// single server: nothing to lose).
pub fn cluster_health(
    groups: &[(String, async_nats::jetstream::stream::ClusterInfo)],
) -> Option<crate::app::nats::ClusterHealth> {
    use crate::app::nats::{ClusterHealth, LostNode};
    use std::collections::BTreeMap;
    let replicated: Vec<_> = groups
        .iter()
        .filter(|(_, c)| !c.replicas.is_empty())
        .collect();
    let name = replicated.iter().find_map(|(_, c)| c.name.clone())?;
    let mut nodes = std::collections::BTreeSet::new();
    let mut lost: BTreeMap<String, LostNode> = BTreeMap::new();
    for (stream, c) in replicated {
        nodes.extend(c.leader.clone());
        for p in &c.replicas {
            nodes.insert(p.name.clone());
            if p.current && !p.offline {
                continue;
            }
            let l = lost.entry(p.name.clone()).or_insert_with(|| LostNode {
                node: p.name.clone(),
                ..LostNode::default()
            });
            // One offline report wins over "behind" reports from other groups.
            if p.offline || l.why.is_empty() {
                l.why = if p.offline { "offline" } else { "behind" }.into();
            }
            l.unseen_secs = l.unseen_secs.max(p.active.as_secs());
            l.streams.push(stream.clone());
        }
    }
    Some(ClusterHealth {
        name,
        nodes: nodes.into_iter().collect(),
        lost: lost.into_values().collect(),
    })
}

async fn read_varz(
    http: &reqwest::Client,
    base: &str,
    prev: &mut Option<VarzCounters>,
) -> Result<Varz, String> {
    let url = format!("{}/varz", base.trim_end_matches('/'));
    // reqwest's errors name the URL, user info included: show the redacted one only.
    let shown = redact(&url);
    let v: serde_json::Value = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("monitoring endpoint {shown}: {}", e.without_url()))?
        .json()
        .await
        .map_err(|e| format!("monitoring endpoint {shown}: {}", e.without_url()))?;
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let now = VarzCounters {
        at: Instant::now(),
        in_msgs: n("in_msgs"),
        out_msgs: n("out_msgs"),
        in_bytes: n("in_bytes"),
        out_bytes: n("out_bytes"),
    };
    let rate = |f: fn(&VarzCounters) -> u64| {
        prev.map(|p| {
            let dt = now.at.duration_since(p.at).as_secs_f64().max(1e-3);
            #[allow(clippy::cast_precision_loss)] // counters far below 2^52
            let d = f(&now).saturating_sub(f(&p)) as f64;
            d / dt
        })
    };
    let out = Varz {
        uptime: v
            .get("uptime")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string(),
        connections: n("connections"),
        in_msgs_per_s: rate(|c| c.in_msgs),
        out_msgs_per_s: rate(|c| c.out_msgs),
        in_bytes_per_s: rate(|c| c.in_bytes),
        out_bytes_per_s: rate(|c| c.out_bytes),
        slow_consumers: n("slow_consumers"),
    };
    *prev = Some(now);
    Ok(out)
}

/// Follow HELIOS_EVENTS with an ephemeral ordered consumer (the last 200 events, then live),
/// sending events in small batches. Retries each refresh while the stream is missing.
async fn tail_swarm(client: async_nats::Client, events: EventSender, refresh: Duration) {
    let js = jetstream::new(client);
    loop {
        if let Ok(mut stream) = js.get_stream(sink::STREAM).await {
            let last = stream.info().await.map_or(0, |i| i.state.last_sequence);
            let start = last.saturating_sub(199).max(1);
            let made = stream
                .create_consumer(consumer::pull::OrderedConfig {
                    deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                        start_sequence: start,
                    },
                    ..Default::default()
                })
                .await;
            if let Ok(c) = made
                && let Ok(mut msgs) = c.messages().await
            {
                let mut batch: Vec<AuditEvent> = Vec::new();
                loop {
                    let next = if batch.is_empty() {
                        msgs.next().await
                    } else if let Ok(m) =
                        tokio::time::timeout(Duration::from_millis(50), msgs.next()).await
                    {
                        m
                    } else {
                        let events_now = std::mem::take(&mut batch);
                        if !send(&events, NatsEvent::Swarm { events: events_now }) {
                            return;
                        }
                        continue;
                    };
                    match next {
                        Some(Ok(m)) => {
                            // Anything on helios.events.> that is not an audit event is skipped.
                            if let Ok(e) = serde_json::from_slice::<AuditEvent>(&m.payload) {
                                batch.push(e);
                            }
                            if batch.len() >= 200
                                && !send(
                                    &events,
                                    NatsEvent::Swarm {
                                        events: std::mem::take(&mut batch),
                                    },
                                )
                            {
                                return;
                            }
                        }
                        Some(Err(_)) | None => break,
                    }
                }
            }
        }
        if events.is_closed() {
            return;
        }
        tokio::time::sleep(refresh).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::cluster_health;
    use async_nats::jetstream::stream::{ClusterInfo, PeerInfo};
    use std::time::Duration;

    fn peer(name: &str, current: bool, offline: bool, secs: u64) -> PeerInfo {
        PeerInfo {
            name: name.into(),
            current,
            active: Duration::from_secs(secs),
            offline,
            lag: None,
        }
    }

    fn group(leader: &str, replicas: Vec<PeerInfo>) -> ClusterInfo {
        ClusterInfo {
            name: Some("c".into()),
            leader: Some(leader.into()),
            replicas,
            ..ClusterInfo::default()
        }
    }

    #[test]
    fn a_single_server_has_no_cluster_line() {
        let single = ClusterInfo {
            leader: Some("n0".into()),
            ..ClusterInfo::default()
        };
        assert_eq!(cluster_health(&[("S".into(), single)]), None);
    }

    #[test]
    fn a_lost_node_is_named_once_with_every_stream_that_misses_it() {
        let groups = vec![
            (
                "KV_HELIOS_LANES".to_string(),
                group(
                    "n1",
                    vec![peer("n0", false, true, 12), peer("n2", true, false, 0)],
                ),
            ),
            (
                "HELIOS_EVENTS".to_string(),
                group(
                    "n2",
                    vec![peer("n0", false, false, 9), peer("n1", true, false, 0)],
                ),
            ),
        ];
        let c = cluster_health(&groups).expect("a replicated group makes a cluster");
        assert_eq!(c.name, "c");
        assert_eq!(c.nodes, ["n0", "n1", "n2"]);
        assert_eq!(c.lost.len(), 1);
        let n0 = &c.lost[0];
        assert_eq!(n0.node, "n0");
        assert_eq!(n0.why, "offline");
        assert_eq!(n0.unseen_secs, 12);
        assert_eq!(n0.streams, ["KV_HELIOS_LANES", "HELIOS_EVENTS"]);
    }
}
