//! The Temporal monitor task: refreshes the panel's snapshot every `refresh_secs`, keeps the
//! watched workflow's detail fresh, runs triage requests, and reconnects with backoff. It only
//! sends events; it never touches AppState.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::Event;
use crate::app::effect::TemporalEffect;
use crate::app::event::EventSender;
use crate::app::temporal::TemporalEvent;
use crate::app::temporal::model::{LinkedWorkflow, QueueInfo, Snapshot, WfStatus};
use crate::config::TemporalConfig;
use crate::integrations::temporal::client::{TemporalClient, TemporalError};
use crate::integrations::temporal::triage::{self, AuditContext};
use crate::model::retry::Backoff;
use crate::store::journal::JournalHandle;

/// At most this many task queues are described per refresh.
const MAX_QUEUES: usize = 20;
/// Running and failed workflows read for lane counts (one page).
const LINKED_PAGE: u32 = 1000;
/// The longest wait between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the list shows: filter, lane and page.
#[derive(Debug, Clone, Default)]
pub struct ListSpec {
    /// The user's filter.
    pub filter: String,
    /// Only this lane's workflows.
    pub lane: Option<String>,
    /// Page (0-based).
    pub page: usize,
}

/// Everything the monitor keeps between refreshes.
pub struct TemporalMonitor {
    cfg: TemporalConfig,
    events: EventSender,
    journal: JournalHandle,
    audit: AuditContext,
    client: Option<TemporalClient>,
    server_version: String,
    lane_attr: bool,
    spec: ListSpec,
    /// `tokens[i]` fetches page `i`; reset when the filter changes.
    tokens: Vec<Vec<u8>>,
    watch: Option<(String, String)>,
}

impl TemporalMonitor {
    /// A monitor that has not connected yet.
    pub fn new(
        cfg: TemporalConfig,
        events: EventSender,
        journal: JournalHandle,
        audit: AuditContext,
    ) -> Self {
        Self {
            cfg,
            events,
            journal,
            audit,
            client: None,
            server_version: String::new(),
            lane_attr: false,
            spec: ListSpec::default(),
            tokens: vec![Vec::new()],
            watch: None,
        }
    }

    /// Run until the effect channel closes.
    pub async fn run(mut self, mut rx: UnboundedReceiver<TemporalEffect>) {
        let every = Duration::from_secs(self.cfg.refresh_secs.max(1));
        let mut backoff = Backoff::new(Duration::from_secs(1), MAX_BACKOFF);
        loop {
            let wait = match self.refresh().await {
                Ok(()) => {
                    backoff.reset();
                    every
                }
                Err(e) => {
                    if e.is_transport() {
                        self.client = None;
                    }
                    let w = backoff.next_delay();
                    tracing::info!(address = %self.cfg.address, "Temporal unreachable, retrying in {w:?}: {e}");
                    self.send(TemporalEvent::Unreachable {
                        reason: e.to_string(),
                        at: Instant::now(),
                        retry_secs: w.as_secs(),
                    });
                    w
                }
            };
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                tokio::select! {
                    effect = rx.recv() => match effect {
                        None => return,
                        Some(e) => if self.apply(e) { break },
                    },
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
        }
    }

    /// Take one request; true when it wants a refresh now.
    fn apply(&mut self, effect: TemporalEffect) -> bool {
        match effect {
            TemporalEffect::Refresh => true,
            TemporalEffect::Query { filter, lane, page } => {
                if filter != self.spec.filter || lane != self.spec.lane {
                    self.tokens = vec![Vec::new()];
                }
                self.spec = ListSpec { filter, lane, page };
                true
            }
            TemporalEffect::Watch { workflow } => {
                self.watch = workflow;
                true
            }
            TemporalEffect::Triage { request } => {
                let events = self.events.clone();
                let journal = self.journal.clone();
                let audit = self.audit.clone();
                let client = self.client.clone();
                let ns = self.cfg.namespace.clone();
                let address = self.cfg.address.clone();
                tokio::spawn(async move {
                    let result = match (triage::request(&journal, &audit, &request).await, client) {
                        (Err(e), _) => Err(e),
                        (Ok(()), Some(c)) => triage::run(&c, &request).await,
                        (Ok(()), None) => Err(format!(
                            "Temporal at {address} is not connected: nothing done; try again once the panel shows it connected"
                        )),
                    };
                    triage::record(&journal, &audit, &ns, &request, &result);
                    let _ = events.send(Event::Temporal(TemporalEvent::TriageDone {
                        request,
                        result,
                    }));
                });
                false
            }
        }
    }

    fn send(&self, e: TemporalEvent) {
        let _ = self.events.send(Event::Temporal(e));
    }

    async fn client(&mut self) -> Result<TemporalClient, TemporalError> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let c = TemporalClient::connect(&self.cfg).await?;
        self.server_version = c.server_version().await?;
        self.lane_attr = c.has_lane_attribute().await?;
        self.client = Some(c.clone());
        Ok(c)
    }

    async fn refresh(&mut self) -> Result<(), TemporalError> {
        let started = Instant::now();
        let c = self.client().await?;
        let mut snapshot = collect(
            &c,
            &self.server_version,
            self.lane_attr,
            &self.spec,
            &mut self.tokens,
            self.cfg.page_size,
        )
        .await?;
        snapshot.refresh_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.send(TemporalEvent::Refreshed {
            snapshot: Box::new(snapshot),
            at: Instant::now(),
        });
        if let Some((id, run)) = self.watch.clone() {
            let result = c
                .describe(&id, Some(&run))
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            self.send(TemporalEvent::Detail { id, result });
        }
        Ok(())
    }
}

/// The list query for a spec: the user's filter, narrowed to a lane.
pub fn list_query(spec: &ListSpec, lane_attr: bool) -> String {
    let lane = spec.lane.as_ref().map(|l| {
        let q = serde_json::Value::from(l.as_str()).to_string();
        let prefix = serde_json::Value::from(format!("{l}/")).to_string();
        if lane_attr {
            format!("(WorkflowId STARTS_WITH {prefix} OR HeliosLane = {q})")
        } else {
            format!("WorkflowId STARTS_WITH {prefix}")
        }
    });
    let filter = spec.filter.trim();
    match (lane, filter.is_empty()) {
        (None, true) => String::new(),
        (None, false) => filter.to_string(),
        (Some(l), true) => l,
        (Some(l), false) => format!("{l} AND ({filter})"),
    }
}

/// One full refresh: counts, the page, queues and lane-linked workflows.
pub async fn collect(
    c: &TemporalClient,
    server_version: &str,
    lane_attr: bool,
    spec: &ListSpec,
    tokens: &mut Vec<Vec<u8>>,
    page_size: u32,
) -> Result<Snapshot, TemporalError> {
    let namespace_state = c.namespace_state().await?;
    let (total, counts) = c.counts().await?;
    let query = list_query(spec, lane_attr);
    let page = spec.page.min(tokens.len() - 1);
    let (workflows, has_next_page, query_error) =
        match c.list(&query, page_size.max(1), tokens[page].clone()).await {
            Ok((mut rows, next)) => {
                // Running rows' real history length; a describe the server refuses leaves the
                // list's value, a lost connection fails the refresh like any other call.
                if let Err(e) = c.fill_live(&mut rows, true).await
                    && e.is_transport()
                {
                    return Err(e);
                }
                let more = !next.is_empty();
                tokens.truncate(page + 1);
                if more {
                    tokens.push(next);
                }
                (rows, more, None)
            }
            Err(e) if e.is_transport() => return Err(e),
            Err(e) => (Vec::new(), false, Some(e.server_message())),
        };
    let mut running: BTreeMap<String, usize> = BTreeMap::new();
    for w in &workflows {
        let n = running.entry(w.task_queue.clone()).or_default();
        if w.status == WfStatus::Running {
            *n += 1;
        }
    }
    let names: Vec<(String, usize)> = running.into_iter().take(MAX_QUEUES).collect();
    let pollers = futures::future::join_all(names.iter().map(|(q, _)| c.pollers(q))).await;
    let mut queues = Vec::new();
    for ((name, running), p) in names.into_iter().zip(pollers) {
        queues.push(QueueInfo {
            name,
            pollers: p?,
            running,
        });
    }
    let (linked, _) = c
        .list(
            "ExecutionStatus = \"Running\" OR ExecutionStatus = \"Failed\"",
            LINKED_PAGE,
            Vec::new(),
        )
        .await?;
    let linked = linked
        .into_iter()
        .map(|r| LinkedWorkflow {
            id: r.id,
            status: r.status,
            lane: r.lane,
        })
        .collect();
    Ok(Snapshot {
        server_version: server_version.to_string(),
        namespace: c.namespace.clone(),
        namespace_state,
        total,
        counts,
        workflows,
        page,
        has_next_page,
        query,
        query_error,
        queues,
        linked,
        refresh_ms: 0,
        taken_at: time::OffsetDateTime::now_utc(),
    })
}
