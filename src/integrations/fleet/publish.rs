//! `helios serve`'s side of the buckets: put a lane's row when it changed, delete the rows of
//! lanes that are gone, and beat. What was last written is remembered, so an unchanged lane
//! costs nothing; a write that failed is tried again on the next sync.

use std::collections::{BTreeMap, HashSet};

use crate::integrations::fleet::{Buckets, FleetError, read_all};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::model::fleet::{self, HostBeat, LaneRow};

/// What one sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    /// Rows written.
    pub put: usize,
    /// Rows deleted.
    pub deleted: usize,
    /// Writes that failed (tried again next time).
    pub failed: usize,
}

/// One host's writer.
pub struct Publisher {
    buckets: Buckets,
    url: String,
    host: String,
    /// Each key's row as last written, without its `updated` time.
    written: BTreeMap<String, LaneRow>,
}

impl Publisher {
    /// A publisher for `host`. Rows the bucket already holds for this host (from a run before
    /// this one) are taken as written, so lanes removed while helios was away are deleted at
    /// the first sync and unchanged ones are not written again.
    pub async fn new(buckets: Buckets, url: &str, host: &str) -> Result<Self, FleetError> {
        let prefix = format!("{}.", fleet::token(host));
        let mut written = BTreeMap::new();
        for (key, value) in read_all(&buckets.lanes, url).await? {
            if !key.starts_with(&prefix) {
                continue;
            }
            match serde_json::from_slice::<LaneRow>(&value) {
                Ok(mut r) => {
                    r.updated.clear();
                    written.insert(key, r);
                }
                // Written again at the first sync, or deleted.
                Err(e) => tracing::warn!("{key}: unreadable row left by an earlier run: {e}"),
            }
        }
        Ok(Self {
            buckets,
            url: url.to_string(),
            host: host.to_string(),
            written,
        })
    }

    /// Make the bucket hold exactly `rows` for this host (their `updated` is set here).
    pub async fn sync(&mut self, rows: Vec<LaneRow>, now: &str) -> Synced {
        let mut done = Synced::default();
        let mut live = HashSet::new();
        for mut row in rows {
            let key = fleet::lane_key(&row.host, &row.repo, &row.label);
            live.insert(key.clone());
            row.updated.clear();
            if self.written.get(&key) == Some(&row) {
                continue;
            }
            let mut sent = row.clone();
            sent.updated = now.to_string();
            match self.put(&key, &sent).await {
                Ok(()) => {
                    done.put += 1;
                    self.written.insert(key, row);
                }
                Err(e) => {
                    done.failed += 1;
                    tracing::warn!("publishing lane row {key}: {e}");
                }
            }
        }
        let gone: Vec<String> = self
            .written
            .keys()
            .filter(|k| !live.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            match self.buckets.lanes.delete(&key).await {
                Ok(()) => {
                    done.deleted += 1;
                    self.written.remove(&key);
                }
                Err(e) => {
                    done.failed += 1;
                    tracing::warn!("deleting lane row {key}: {e}");
                }
            }
        }
        done
    }

    async fn put(&self, key: &str, row: &LaneRow) -> Result<(), String> {
        let body = serde_json::to_vec(row).map_err(|e| e.to_string())?;
        self.buckets
            .lanes
            .put(key, body.into())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// How many rows this host has written.
    pub fn len(&self) -> usize {
        self.written.len()
    }

    /// Whether it has written none.
    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }
}

/// A host's heartbeat writer, apart from the rows so that nothing delays a beat.
#[derive(Clone)]
pub struct Beater {
    hosts: async_nats::jetstream::kv::Store,
    url: String,
    host: String,
    repos: Vec<String>,
    interval_secs: Arc<AtomicU64>,
    lanes: Arc<AtomicUsize>,
}

impl Beater {
    /// For the publisher's host, serving `repos`.
    pub fn new(p: &Publisher, repos: impl IntoIterator<Item = String>) -> Self {
        Self {
            hosts: p.buckets.hosts.clone(),
            url: p.url.clone(),
            host: p.host.clone(),
            repos: repos.into_iter().collect(),
            interval_secs: Arc::new(AtomicU64::new(0)),
            lanes: Arc::new(AtomicUsize::new(p.len())),
        }
    }

    /// How many lanes the host publishes (said in the next beat).
    pub fn set_lanes(&self, n: usize) {
        self.lanes.store(n, Ordering::Relaxed);
    }

    /// Beat every `interval` until aborted.
    pub async fn run(self, interval: std::time::Duration) {
        self.interval_secs
            .store(interval.as_secs().max(1), Ordering::Relaxed);
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.beat(false).await;
        }
    }

    /// Write one heartbeat (`stopped`: the last one, on a clean stop); a failure is said on
    /// stderr and logged, and the next beat tries again.
    pub async fn beat(&self, stopped: bool) {
        let beat = HostBeat {
            host: self.host.clone(),
            at: crate::integrations::fleet::now_text(),
            interval_secs: self.interval_secs.load(Ordering::Relaxed).max(1),
            lanes: self.lanes.load(Ordering::Relaxed),
            repos: self.repos.clone(),
            stopped,
        };
        let written = match serde_json::to_vec(&beat) {
            Ok(body) => self
                .hosts
                .put(fleet::token(&self.host), body.into())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(reason) = written {
            let e = FleetError::JetStream {
                url: self.url.clone(),
                what: format!("writing {}'s heartbeat", self.host),
                reason,
            };
            tracing::warn!("{e}");
            eprintln!("{}", crate::text::escape(&format!("helios serve: {e}")));
        }
    }
}

/// A lane's row as `host` publishes it (`ssh`: how other machines reach this one).
pub fn row(
    host: &str,
    ssh: &str,
    repo: &str,
    lane: &crate::model::LaneInfo,
    state: Option<&crate::agent::LaneState>,
) -> LaneRow {
    let rec = state.map(crate::agent::LaneState::to_record);
    LaneRow {
        host: host.to_string(),
        repo: repo.to_string(),
        label: lane.id.as_str().to_string(),
        branch: lane.branch.clone(),
        worktree: lane.worktree.display().to_string(),
        session: lane.session().map(str::to_string),
        status: lane.status_word().to_string(),
        dirty: lane.git.dirty,
        base: lane.git.base.clone(),
        ahead: lane.git.ahead,
        behind: lane.git.behind,
        state: rec.as_ref().map(|r| r.state.clone()),
        state_kind: rec.as_ref().and_then(|r| r.state_kind.clone()),
        state_since: rec.as_ref().and_then(|r| {
            r.state_since
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
        state_source: rec.as_ref().map(|r| r.state_source.clone()),
        state_reason: rec.as_ref().map(|r| r.state_reason.clone()),
        // Only a lane with a tmux session has a terminal another machine can reach.
        attach: lane.session().map(|s| crate::model::fleet::Attach {
            ssh: ssh.to_string(),
            session: s.to_string(),
            socket: tmux_socket(),
        }),
        updated: String::new(),
    }
}

/// This host's tmux socket when it is not the default one (`TMUX_TMPDIR` set, as for a tmux
/// server of its own): a remote attach must reach the same server par uses.
fn tmux_socket() -> Option<String> {
    let dir = std::env::var_os("TMUX_TMPDIR").filter(|d| !d.is_empty())?;
    let uid = rustix::process::getuid().as_raw();
    let socket = crate::model::lane::tmux_default_socket(Some(&dir), uid);
    Some(socket.to_string_lossy().into_owned())
}
