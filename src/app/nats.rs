//! NATS state (server, JetStream, streams, consumers, KV, swarm events, sink backlog), its
//! actions and events, and their pure reducer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

pub mod keys;

use crate::app::effect::NatsEffect;
use crate::app::{AppState, Effect};
use crate::model::AuditEvent;

/// How many swarm events the events panel keeps.
pub const SWARM_KEEP: usize = 500;

/// What the NATS panel shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NatsState {
    /// The URL shown (credentials removed).
    pub url: String,
    /// Connected, or why not.
    pub link: Link,
    /// The last complete snapshot.
    pub snapshot: Option<NatsSnapshot>,
    /// When that snapshot arrived (monotonic, compared with `AppState::now`).
    pub fresh_at: Option<Instant>,
    /// The configured refresh period.
    pub refresh: Duration,
    /// The URL is the built-in default nobody set: its being unreachable is shown as nothing
    /// configured, not as a failure (as `helios status` says it).
    pub quiet_default: bool,
    /// Selected stream (index into the sorted list).
    pub selected_stream: usize,
    /// Stream sort order.
    pub sort: StreamSort,
    /// Per-sink delivery backlog: (sink, events waiting, last error).
    pub backlog: Vec<SinkBacklog>,
    /// Events seen on HELIOS_EVENTS (from every helios and agent), newest last.
    pub swarm: Vec<AuditEvent>,
    /// The events panel filter.
    pub filter: EventsFilter,
}

/// The connection as the panel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Link {
    /// Not tried yet.
    #[default]
    Connecting,
    /// Connected.
    Up,
    /// Unreachable, with the one-line reason and hint.
    Down {
        /// The message.
        reason: String,
    },
}

/// A sink's delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkBacklog {
    /// `nats` or `postgres`.
    pub sink: String,
    /// Journalled events not yet delivered.
    pub pending: u64,
    /// Why delivery is stalled, if it is.
    pub error: Option<String>,
}

/// Stream sort orders, cycled by `nats.sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamSort {
    /// By name.
    #[default]
    Name,
    /// Most messages first.
    Messages,
    /// Most bytes first.
    Bytes,
    /// Most recent last message first.
    Recent,
}

impl StreamSort {
    /// The next order.
    pub fn next(self) -> Self {
        match self {
            Self::Name => Self::Messages,
            Self::Messages => Self::Bytes,
            Self::Bytes => Self::Recent,
            Self::Recent => Self::Name,
        }
    }

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Messages => "messages",
            Self::Bytes => "bytes",
            Self::Recent => "recent",
        }
    }
}

/// The events panel filter (empty fields match everything).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventsFilter {
    /// Lane label.
    pub lane: Option<String>,
    /// Action prefix, like `lane.`.
    pub action: Option<String>,
    /// `ok` or `error`.
    pub result: Option<crate::model::EventResult>,
}

impl EventsFilter {
    /// Whether an event passes.
    pub fn matches(&self, e: &AuditEvent) -> bool {
        self.lane
            .as_ref()
            .is_none_or(|l| e.lane.as_ref() == Some(l))
            && self
                .action
                .as_ref()
                .is_none_or(|a| e.action.starts_with(a.as_str()))
            && self.result.is_none_or(|r| e.result == r)
    }
}

/// One refresh worth of server data, gathered by the monitor task.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NatsSnapshot {
    /// Server name.
    pub server_name: String,
    /// Server version.
    pub version: String,
    /// The URL connected to.
    pub connected_url: String,
    /// Round trip of a PING, in microseconds.
    pub rtt_us: Option<u64>,
    /// From the monitoring endpoint (`--nats-monitor`), when given.
    pub varz: Option<Varz>,
    /// Why the monitoring endpoint could not be read, when given but failing.
    pub varz_error: Option<String>,
    /// The JetStream account, or None when JetStream is off.
    pub account: Option<JsAccount>,
    /// Every stream (KV buckets excluded).
    pub streams: Vec<StreamRow>,
    /// Every consumer of every stream.
    pub consumers: Vec<ConsumerRow>,
    /// KV buckets (the `KV_*` streams).
    pub kv: Vec<KvRow>,
    /// The JetStream cluster behind the streams, when they are replicated.
    pub cluster: Option<ClusterHealth>,
    /// When gathered.
    pub taken_at: Option<OffsetDateTime>,
}

/// The JetStream cluster as the streams' RAFT groups see it: a node lost shows here (and only
/// here: replicated streams and buckets go on without it).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ClusterHealth {
    /// The cluster's name.
    pub name: String,
    /// Every node a stream names (leaders and replicas), sorted.
    pub nodes: Vec<String>,
    /// Nodes that a stream's group counts offline or not current, with those streams.
    pub lost: Vec<LostNode>,
}

/// A node a replicated stream is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct LostNode {
    /// The server's name.
    pub node: String,
    /// `offline` (the group counts it gone) or `behind` (not current).
    pub why: String,
    /// Seconds since the stream's leader last heard from it (the longest over its streams).
    pub unseen_secs: u64,
    /// The streams (`KV_*` for buckets) that miss it.
    pub streams: Vec<String>,
}

impl LostNode {
    /// `n0 offline, unseen 12s (KV_HELIOS_LANES, HELIOS_EVENTS)`: the panel's and `helios
    /// status`'s words for it.
    pub fn describe(&self) -> String {
        format!(
            "{} {}, unseen {}s ({})",
            self.node,
            self.why,
            self.unseen_secs,
            self.streams.join(", ")
        )
    }
}

/// Numbers from `/varz`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Varz {
    /// Server uptime as the server words it, like `1h2m3s`.
    pub uptime: String,
    /// Client connections.
    pub connections: u64,
    /// Messages in per second (from the delta of two reads; None on the first).
    pub in_msgs_per_s: Option<f64>,
    /// Messages out per second.
    pub out_msgs_per_s: Option<f64>,
    /// Bytes in per second.
    pub in_bytes_per_s: Option<f64>,
    /// Bytes out per second.
    pub out_bytes_per_s: Option<f64>,
    /// Slow consumers.
    pub slow_consumers: u64,
}

/// The JetStream account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsAccount {
    /// Memory used.
    pub memory: u64,
    /// Memory limit (None: unlimited).
    pub max_memory: Option<u64>,
    /// Storage used.
    pub storage: u64,
    /// Storage limit.
    pub max_storage: Option<u64>,
    /// Streams.
    pub streams: usize,
    /// Consumers.
    pub consumers: usize,
    /// API requests.
    pub api_total: u64,
    /// API errors.
    pub api_errors: u64,
}

/// One stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamRow {
    /// Name.
    pub name: String,
    /// Subjects.
    pub subjects: Vec<String>,
    /// Messages.
    pub messages: u64,
    /// Bytes.
    pub bytes: u64,
    /// Consumers.
    pub consumers: usize,
    /// First sequence.
    pub first_seq: u64,
    /// Last sequence.
    pub last_seq: u64,
    /// Time of the last message (None when empty).
    pub last_at: Option<OffsetDateTime>,
}

/// One consumer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerRow {
    /// Its stream.
    pub stream: String,
    /// Its name.
    pub name: String,
    /// Messages not yet delivered (lag).
    pub pending: u64,
    /// Delivered, not acknowledged.
    pub ack_pending: u64,
    /// Redelivered.
    pub redelivered: u64,
    /// Waiting pull requests.
    pub waiting: u64,
    /// Last delivery.
    pub last_active: Option<OffsetDateTime>,
    /// Set by the reducer: lag grew since the previous refresh.
    pub lag_growing: bool,
    /// Set by the reducer: redeliveries grew since the previous refresh.
    pub redeliveries_growing: bool,
}

/// One KV bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KvRow {
    /// Bucket name (without `KV_`).
    pub bucket: String,
    /// Values (messages).
    pub values: u64,
    /// History kept per key.
    pub history: i64,
    /// Bytes.
    pub bytes: u64,
}

/// User actions for NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatsAction {
    /// Refresh now.
    Refresh,
    /// Select the next stream.
    NextStream,
    /// Select the previous stream.
    PrevStream,
    /// Cycle the stream sort.
    CycleSort,
    /// Set the events panel filter.
    SetFilter {
        /// The new filter.
        filter: EventsFilter,
    },
}

/// Typed events from the NATS tasks and the forwarders.
#[derive(Debug, Clone, PartialEq)]
pub enum NatsEvent {
    /// The monitor is (re)connecting to `url`, refreshing every `refresh`.
    Configured {
        /// URL without credentials.
        url: String,
        /// Refresh period.
        refresh: Duration,
        /// The URL is the built-in default nobody set.
        quiet_default: bool,
    },
    /// A fresh snapshot.
    Snapshot {
        /// The data.
        snapshot: Box<NatsSnapshot>,
    },
    /// The server could not be reached (or JetStream failed).
    Unreachable {
        /// The message.
        reason: String,
    },
    /// A forwarder's backlog changed.
    Backlog {
        /// The sink's state.
        backlog: SinkBacklog,
    },
    /// Events arrived on HELIOS_EVENTS.
    Swarm {
        /// The events, oldest first.
        events: Vec<AuditEvent>,
    },
}

impl NatsState {
    /// Streams in the chosen order.
    pub fn sorted_streams(&self) -> Vec<&StreamRow> {
        let Some(s) = &self.snapshot else {
            return Vec::new();
        };
        let mut v: Vec<&StreamRow> = s.streams.iter().collect();
        match self.sort {
            StreamSort::Name => v.sort_by(|a, b| a.name.cmp(&b.name)),
            StreamSort::Messages => v.sort_by_key(|s| std::cmp::Reverse(s.messages)),
            StreamSort::Bytes => v.sort_by_key(|s| std::cmp::Reverse(s.bytes)),
            StreamSort::Recent => v.sort_by_key(|s| std::cmp::Reverse(s.last_at)),
        }
        v
    }

    /// The selected stream's name.
    pub fn selected_stream_name(&self) -> Option<String> {
        self.sorted_streams()
            .get(self.selected_stream)
            .map(|s| s.name.clone())
    }

    /// Whether the data is older than two refreshes at `now`.
    pub fn is_stale(&self, now: Instant) -> bool {
        self.fresh_at
            .is_some_and(|t| now.saturating_duration_since(t) > self.refresh * 2)
    }
}

/// Apply a NATS action.
pub fn on_action(state: &mut AppState, action: NatsAction) -> Vec<Effect> {
    let n = &mut state.nats;
    match action {
        NatsAction::Refresh => return vec![Effect::Nats(NatsEffect::Refresh)],
        NatsAction::NextStream => {
            let len = n.sorted_streams().len();
            if len > 0 {
                n.selected_stream = (n.selected_stream + 1) % len;
            }
        }
        NatsAction::PrevStream => {
            let len = n.sorted_streams().len();
            if len > 0 {
                n.selected_stream = (n.selected_stream + len - 1) % len;
            }
        }
        NatsAction::CycleSort => {
            let keep = n.selected_stream_name();
            n.sort = n.sort.next();
            n.selected_stream = keep
                .and_then(|k| n.sorted_streams().iter().position(|s| s.name == k))
                .unwrap_or(0);
        }
        NatsAction::SetFilter { filter } => {
            n.filter = filter;
            // Filtering is for looking: show the events panel the filter applies to.
            state.panel = crate::app::action::Panel::Events;
        }
    }
    Vec::new()
}

/// Apply a NATS event.
pub fn on_event(state: &mut AppState, event: NatsEvent) -> Vec<Effect> {
    let now = state.now;
    let n = &mut state.nats;
    match event {
        NatsEvent::Configured {
            url,
            refresh,
            quiet_default,
        } => {
            n.url = url;
            n.refresh = refresh;
            n.quiet_default = quiet_default;
        }
        NatsEvent::Snapshot { mut snapshot } => {
            let keep = n.selected_stream_name();
            if let Some(prev) = &n.snapshot {
                let before: HashMap<(&str, &str), &ConsumerRow> = prev
                    .consumers
                    .iter()
                    .map(|c| ((c.stream.as_str(), c.name.as_str()), c))
                    .collect();
                for c in &mut snapshot.consumers {
                    if let Some(p) = before.get(&(c.stream.as_str(), c.name.as_str())) {
                        c.lag_growing = c.pending > p.pending;
                        c.redeliveries_growing = c.redelivered > p.redelivered;
                    }
                }
            }
            n.snapshot = Some(*snapshot);
            n.fresh_at = Some(now);
            n.link = Link::Up;
            n.selected_stream = keep
                .and_then(|k| n.sorted_streams().iter().position(|s| s.name == k))
                .unwrap_or(0);
        }
        NatsEvent::Unreachable { reason } => n.link = Link::Down { reason },
        NatsEvent::Backlog { backlog } => {
            match n.backlog.iter_mut().find(|b| b.sink == backlog.sink) {
                Some(b) => *b = backlog,
                None => n.backlog.push(backlog),
            }
        }
        NatsEvent::Swarm { events } => {
            n.swarm.extend(events);
            if n.swarm.len() > SWARM_KEEP {
                let cut = n.swarm.len() - SWARM_KEEP;
                n.swarm.drain(..cut);
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn state() -> AppState {
        AppState::new(
            crate::model::RepoInfo {
                path: "/r".into(),
                name: "r".into(),
            },
            Instant::now(),
        )
    }

    fn snap(pending: u64, names: &[&str]) -> Box<NatsSnapshot> {
        Box::new(NatsSnapshot {
            streams: names
                .iter()
                .enumerate()
                .map(|(i, n)| StreamRow {
                    name: (*n).into(),
                    messages: i as u64,
                    ..StreamRow::default()
                })
                .collect(),
            consumers: vec![ConsumerRow {
                stream: "A".into(),
                name: "c".into(),
                pending,
                ..ConsumerRow::default()
            }],
            ..NatsSnapshot::default()
        })
    }

    #[test]
    fn growing_lag_is_flagged_and_selection_survives_sorting() {
        let mut s = state();
        on_event(
            &mut s,
            NatsEvent::Snapshot {
                snapshot: snap(1, &["A", "B", "C"]),
            },
        );
        on_action(&mut s, NatsAction::NextStream);
        assert_eq!(s.nats.selected_stream_name().unwrap(), "B");
        on_event(
            &mut s,
            NatsEvent::Snapshot {
                snapshot: snap(5, &["A", "B", "C"]),
            },
        );
        assert!(s.nats.snapshot.as_ref().unwrap().consumers[0].lag_growing);
        on_action(&mut s, NatsAction::CycleSort); // messages: C, B, A
        assert_eq!(s.nats.selected_stream_name().unwrap(), "B");
        assert_eq!(s.nats.selected_stream, 1);
    }

    #[test]
    fn data_goes_stale_after_two_refreshes_and_backlog_replaces_per_sink() {
        let mut s = state();
        on_event(
            &mut s,
            NatsEvent::Configured {
                url: "u".into(),
                refresh: Duration::from_secs(2),
                quiet_default: false,
            },
        );
        on_event(
            &mut s,
            NatsEvent::Snapshot {
                snapshot: snap(0, &["A"]),
            },
        );
        assert!(!s.nats.is_stale(s.now + Duration::from_secs(3)));
        assert!(s.nats.is_stale(s.now + Duration::from_secs(5)));
        for p in [3, 1] {
            let backlog = SinkBacklog {
                sink: "nats".into(),
                pending: p,
                error: None,
            };
            on_event(&mut s, NatsEvent::Backlog { backlog });
        }
        assert_eq!(s.nats.backlog.len(), 1);
        assert_eq!(s.nats.backlog[0].pending, 1);
    }
}
