//! The typed `helios status` report: what `--json` prints (serde, with the field names scripts
//! already read) and the human form, one line per check, each starting `ok`, `FAIL` or `-`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::integrations::temporal::TemporalStatus;
use crate::text;
use crate::ui::nats::bytes;

/// Everything `helios status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// No check failed: the exit status is 0.
    pub healthy: bool,
    /// One line per failed check, starting with the check's name (`nats: …`).
    pub failures: Vec<String>,
    /// The repo's lanes.
    pub lanes: LanesStatus,
    /// The NATS server.
    pub nats: NatsStatus,
    /// PostgreSQL.
    pub postgres: PostgresStatus,
    /// Events of this repo waiting for each configured sink.
    pub backlog: BacklogStatus,
    /// Temporal.
    pub temporal: TemporalStatus,
}

/// The lanes the console would show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LanesStatus {
    /// The repo's name (`None` outside a repo).
    pub repo: Option<String>,
    /// How many lanes.
    pub count: usize,
    /// Their labels.
    pub labels: Vec<String>,
    /// Why they could not be read (par's state file, git).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The NATS server.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NatsStatus {
    /// The URL, credentials hidden.
    pub url: String,
    /// Whether the user configured NATS (not the quiet default).
    pub configured: bool,
    /// Whether events are forwarded to it (configured, and `[nats] forward` is on).
    pub forwarding: bool,
    /// Whether it answered.
    pub connected: bool,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Round trip, microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_us: Option<u64>,
    /// The JetStream account (`null` when JetStream is off or the server was not reached).
    pub jetstream: Option<JetStreamStatus>,
    /// Streams.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamStatus>,
    /// The JetStream cluster, when streams are replicated: its nodes and the ones lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<crate::app::nats::ClusterHealth>,
    /// What is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The JetStream account against its limits (`None`: unlimited).
#[derive(Debug, Clone, Default, Serialize)]
pub struct JetStreamStatus {
    /// Memory used, bytes.
    pub memory: u64,
    /// Memory limit.
    pub max_memory: Option<u64>,
    /// Storage used, bytes.
    pub storage: u64,
    /// Storage limit.
    pub max_storage: Option<u64>,
    /// Streams.
    pub streams: usize,
    /// Consumers.
    pub consumers: usize,
    /// API errors.
    pub api_errors: u64,
}

/// One stream.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamStatus {
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
}

/// PostgreSQL.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PostgresStatus {
    /// Whether a URL was given.
    pub configured: bool,
    /// `host:port/db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected: Option<bool>,
    /// The server's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Whether `helios.events` exists (the first delivery creates it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrated: Option<bool>,
    /// Events in `helios.events` (`null` before the first delivery, or when unknown).
    pub events: Option<i64>,
    /// What is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Per sink: events waiting, or why the count could not be read.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SinkBacklog {
    /// Events waiting.
    Waiting(u64),
    /// The outbox could not be read for this sink.
    Failed {
        /// Why.
        error: String,
    },
}

/// The outbox of this repo: `{"nats": 0, "postgres": 3}`, or `{"error": …}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BacklogStatus {
    /// Per configured sink.
    #[serde(flatten)]
    pub sinks: BTreeMap<String, SinkBacklog>,
    /// The journal could not be opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a line is marked: a passed check, a failed one (the exit status is 1), or information.
#[derive(Clone, Copy)]
enum Mark {
    Ok,
    Fail,
    Info,
}

/// Lines of one check: the first carries the mark and the check's name, the rest are indented.
struct Section<'a> {
    out: &'a mut String,
    name: &'static str,
    first: bool,
}

impl Section<'_> {
    fn line(&mut self, mark: Mark, text: &str) {
        let m = match mark {
            Mark::Ok => "ok",
            Mark::Fail => "FAIL",
            Mark::Info => "-",
        };
        // Names, URLs, versions and errors come from servers, par and git: escaped.
        let text = text::escape(text);
        if self.first || matches!(mark, Mark::Fail) {
            let _ = writeln!(self.out, "{m:<4} {:<8} {text}", self.name);
            self.first = false;
        } else {
            let _ = writeln!(self.out, "{:<4} {:<8} {text}", "", "");
        }
    }
}

fn limit(used: u64, max: Option<u64>) -> String {
    match max {
        Some(m) => format!("{} of {}", bytes(used), bytes(m)),
        None => format!("{} of unlimited", bytes(used)),
    }
}

impl StatusReport {
    /// The human form: every section as lines; every failed check has a `FAIL` line naming it.
    pub fn human(&self) -> String {
        let mut out = String::new();
        self.lanes_lines(&mut out);
        self.nats_lines(&mut out);
        self.postgres_lines(&mut out);
        self.backlog_lines(&mut out);
        self.temporal_lines(&mut out);
        out
    }

    fn section<'a>(out: &'a mut String, name: &'static str) -> Section<'a> {
        Section {
            out,
            name,
            first: true,
        }
    }

    fn lanes_lines(&self, out: &mut String) {
        let mut s = Self::section(out, "lanes");
        let l = &self.lanes;
        match (&l.repo, &l.error) {
            (_, Some(e)) => s.line(Mark::Fail, e),
            (None, None) => s.line(Mark::Info, "not in a git repository (or pass --repo PATH)"),
            (Some(repo), None) if l.labels.is_empty() => {
                s.line(Mark::Ok, &format!("no lanes in {repo}"));
            }
            (Some(repo), None) => s.line(
                Mark::Ok,
                &format!(
                    "{} in {repo}: {}",
                    crate::text::plural(l.count, "lane", "lanes"),
                    l.labels.join(", ")
                ),
            ),
        }
    }

    fn nats_lines(&self, out: &mut String) {
        let mut s = Self::section(out, "nats");
        let n = &self.nats;
        if !n.configured {
            let seen = if n.connected {
                "answers; it is only monitored"
            } else {
                "is not reachable"
            };
            s.line(
                Mark::Info,
                &format!(
                    "not configured: the default {} {seen}, no events are forwarded (--nats URL, NATS_URL or [nats] url)",
                    n.url
                ),
            );
            return;
        }
        if n.connected {
            let mut head = format!(
                "{}: {} {}",
                n.url,
                n.server_name.as_deref().unwrap_or("?"),
                n.version.as_deref().unwrap_or("?")
            );
            if let Some(rtt) = n.rtt_us {
                let _ = write!(head, ", rtt {rtt} µs");
            }
            if !n.forwarding {
                head.push_str(", monitored only ([nats] forward = false)");
            }
            let ok = n.error.is_none();
            s.line(if ok { Mark::Ok } else { Mark::Info }, &head);
            if let Some(js) = &n.jetstream {
                s.line(
                    Mark::Info,
                    &format!(
                        "jetstream: storage {}, memory {}, {}, {}, {} API errors",
                        limit(js.storage, js.max_storage),
                        limit(js.memory, js.max_memory),
                        crate::text::plural(js.streams, "stream", "streams"),
                        crate::text::plural(js.consumers, "consumer", "consumers"),
                        js.api_errors
                    ),
                );
            }
            for st in &n.streams {
                s.line(
                    Mark::Info,
                    &format!(
                        "stream {}: {}, {}, {}",
                        st.name,
                        crate::text::plural(
                            usize::try_from(st.messages).unwrap_or(usize::MAX),
                            "message",
                            "messages"
                        ),
                        bytes(st.bytes),
                        crate::text::plural(st.consumers, "consumer", "consumers")
                    ),
                );
            }
            if let Some(c) = &n.cluster {
                let mut line = format!(
                    "cluster {}: {} ({})",
                    c.name,
                    crate::text::plural(c.nodes.len(), "node", "nodes"),
                    c.nodes.join(", ")
                );
                for l in &c.lost {
                    line.push_str("; ");
                    line.push_str(&l.describe());
                }
                // A lost node is not a failure while the streams keep their quorum.
                s.line(Mark::Info, &line);
            }
        }
        if let Some(e) = &n.error {
            s.line(Mark::Fail, e);
        }
    }

    fn postgres_lines(&self, out: &mut String) {
        let mut s = Self::section(out, "postgres");
        let p = &self.postgres;
        if !p.configured {
            s.line(
                Mark::Info,
                "not configured (--postgres URL, HELIOS_POSTGRES_URL or [postgres] url)",
            );
            return;
        }
        let target = p.target.as_deref().unwrap_or("?");
        if let Some(e) = &p.error {
            s.line(Mark::Fail, e);
            return;
        }
        let events = match p.events {
            Some(n) => crate::text::plural(usize::try_from(n).unwrap_or(0), "event", "events"),
            None => "no events delivered yet (the first delivery creates helios.events)".into(),
        };
        s.line(
            Mark::Ok,
            &format!(
                "{target}: PostgreSQL {}, {events}",
                p.version.as_deref().unwrap_or("?")
            ),
        );
    }

    fn backlog_lines(&self, out: &mut String) {
        let mut s = Self::section(out, "backlog");
        let b = &self.backlog;
        if let Some(e) = &b.error {
            s.line(Mark::Fail, e);
            return;
        }
        if b.sinks.is_empty() {
            s.line(
                Mark::Info,
                "no sink configured: events stay in the local journal",
            );
            return;
        }
        let mut waiting = Vec::new();
        let mut any = false;
        for (sink, n) in &b.sinks {
            match n {
                SinkBacklog::Waiting(n) => {
                    any |= *n > 0;
                    waiting.push(format!("{sink} {n} waiting"));
                }
                SinkBacklog::Failed { error } => s.line(Mark::Fail, &format!("{sink}: {error}")),
            }
        }
        // Events waiting are not delivered yet: `ok` only when none wait (the sinks' own
        // lines say whether they can be reached).
        if !waiting.is_empty() {
            let mark = if any { Mark::Info } else { Mark::Ok };
            s.line(mark, &waiting.join(", "));
        }
    }

    fn temporal_lines(&self, out: &mut String) {
        let mut s = Self::section(out, "temporal");
        let t = &self.temporal;
        if !t.connected {
            if t.configured {
                s.line(Mark::Fail, t.error.as_deref().unwrap_or("unreachable"));
            } else {
                s.line(
                    Mark::Info,
                    &format!(
                        "not configured: the default {} is not reachable (--temporal HOST:PORT, TEMPORAL_ADDRESS or [temporal] address)",
                        t.address
                    ),
                );
            }
            return;
        }
        let problem = t.problem();
        s.line(
            if problem.is_none() {
                Mark::Ok
            } else {
                Mark::Info
            },
            &format!(
                "{}, namespace {} ({}), server {}",
                t.address,
                t.namespace,
                t.namespace_state.as_deref().unwrap_or("?"),
                t.server_version.as_deref().unwrap_or("?")
            ),
        );
        if let Some(counts) = &t.counts {
            let parts: Vec<String> = crate::app::temporal::WfStatus::ALL
                .iter()
                .filter_map(|st| {
                    let n = counts.get(st.as_str()).copied().unwrap_or(0);
                    (n > 0).then(|| format!("{} {n}", st.as_str().to_lowercase()))
                })
                .collect();
            let total = t.total.unwrap_or(0);
            let line = if parts.is_empty() {
                format!("workflows: {total}")
            } else {
                format!("workflows: {total} ({})", parts.join(", "))
            };
            s.line(Mark::Info, &line);
        }
        if let Some(p) = problem {
            s.line(Mark::Fail, &p);
        }
    }
}
