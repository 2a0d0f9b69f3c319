//! `helios serve`'s side of the buckets: put a lane's row when it changed, delete the rows of
//! lanes that are gone, and beat. What was last written is remembered, so an unchanged lane
//! costs nothing; a write that failed is tried again on the next sync.

use std::collections::{BTreeMap, HashSet};

use crate::integrations::fleet::{Buckets, FleetError, read_all};
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

    /// Write this host's heartbeat.
    pub async fn beat(&self, beat: &HostBeat) -> Result<(), FleetError> {
        let body = serde_json::to_vec(beat).map_err(|e| self.fail(e.to_string()))?;
        self.buckets
            .hosts
            .put(fleet::token(&self.host), body.into())
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e.to_string()))
    }

    /// How many rows this host has written.
    pub fn len(&self) -> usize {
        self.written.len()
    }

    /// Whether it has written none.
    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }

    fn fail(&self, reason: String) -> FleetError {
        FleetError::JetStream {
            url: self.url.clone(),
            what: format!("writing {}'s heartbeat", self.host),
            reason,
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
    let dir = std::env::var("TMUX_TMPDIR")
        .ok()
        .filter(|d| !d.is_empty())?;
    let uid = rustix::process::getuid().as_raw();
    Some(format!("{}/tmux-{uid}/default", dir.trim_end_matches('/')))
}
