//! The `shares` table in the helios journal database. Kept out of the journal's numbered
//! migrations on purpose: this module creates its own table (`CREATE TABLE IF NOT EXISTS`) when
//! opened, so the share work never conflicts with the journal's migration list.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::integrations::share::{Share, Tool};
use crate::model::AuditEvent;
use crate::store::sqlite::SqliteStore;
use crate::store::{EventStore, StoreError};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY,
    repo TEXT NOT NULL,
    lane TEXT NOT NULL,
    tool TEXT NOT NULL,
    mode TEXT NOT NULL,
    links TEXT NOT NULL,
    started TEXT NOT NULL,
    expires TEXT NOT NULL,
    pid INTEGER,
    socket TEXT NOT NULL,
    dir TEXT NOT NULL,
    watchdog_pid INTEGER,
    ended TEXT,
    end_reason TEXT
);
CREATE INDEX IF NOT EXISTS shares_active ON shares(repo, ended);";

/// The share table (and the journal, for audit events), over one SQLite connection.
pub struct ShareStore {
    db: SqliteStore,
    /// The console's journal writer: when set, audit events go through it like every other
    /// event (so the console sees them), instead of straight into the database.
    journal: Option<crate::store::journal::JournalHandle>,
}

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl ShareStore {
    /// Open the journal at its default path and make sure the table exists.
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open(SqliteStore::default_path())
    }

    /// Open the journal at `path` and make sure the table exists.
    pub fn open(path: PathBuf) -> Result<Self, StoreError> {
        let db = SqliteStore::open(&path)?;
        db.conn()
            .execute_batch(SCHEMA)
            .map_err(|source| StoreError::Sqlite {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self { db, journal: None })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.db.path().display().to_string(),
            source,
        }
    }

    /// Send audit events through the console's journal writer.
    pub fn with_journal(mut self, journal: crate::store::journal::JournalHandle) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Append an audit event to the journal; durable when this returns.
    pub fn audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        match &self.journal {
            Some(j) => j.record_sync(event.clone()).map_err(|e| StoreError::Io {
                path: j.path().display().to_string(),
                source: std::io::Error::other(e),
            }),
            None => self.db.append(event),
        }
    }

    /// Remember a started share.
    pub fn insert(&self, s: &Share) -> Result<(), StoreError> {
        self.db
            .conn()
            .execute(
                "INSERT INTO shares (id, repo, lane, tool, mode, links, started, expires, pid, socket, dir, watchdog_pid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    s.id,
                    s.repo,
                    s.lane,
                    s.tool.as_str(),
                    s.mode(),
                    serde_json::to_string(&s.links).unwrap_or_default(),
                    ts(s.started),
                    ts(s.expires),
                    s.pid,
                    s.socket.display().to_string(),
                    s.dir.display().to_string(),
                    s.watchdog_pid,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Mark a share ended, with why (`stopped`, `expired`, `died`).
    pub fn end(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        self.db
            .conn()
            .execute(
                "UPDATE shares SET ended = ?2, end_reason = ?3 WHERE id = ?1 AND ended IS NULL",
                params![id, ts(OffsetDateTime::now_utc()), reason],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The shares of `repo` not yet ended, oldest first.
    pub fn active(&self, repo: &str) -> Result<Vec<Share>, StoreError> {
        let mut stmt = self
            .db
            .conn()
            .prepare_cached(
                "SELECT id, repo, lane, tool, mode, links, started, expires, pid, socket, dir, watchdog_pid
                 FROM shares WHERE repo = ?1 AND ended IS NULL ORDER BY started",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![repo], |r| {
                let id: String = r.get(0)?;
                let tool: String = r.get(3)?;
                let mode: String = r.get(4)?;
                let links: String = r.get(5)?;
                let started: String = r.get(6)?;
                let expires: String = r.get(7)?;
                let socket: String = r.get(9)?;
                let dir: String = r.get(10)?;
                // A field this helios cannot read is an error naming the share, never a guess:
                // an unknown tool read as tmate would stop the wrong server, and an unreadable
                // time read as 1970 would end the share as expired.
                let time = |what: &str, v: &str| {
                    OffsetDateTime::parse(v, &Rfc3339).map_err(|e| {
                        format!(
                            "its {what} time {} is unreadable ({e})",
                            crate::text::quote(v)
                        )
                    })
                };
                let decoded = (|| {
                    Ok(Share {
                        tool: Tool::parse(&tool).ok_or_else(|| {
                            format!("its tool {} is unknown", crate::text::quote(&tool))
                        })?,
                        rw: mode == "rw",
                        links: serde_json::from_str(&links)
                            .map_err(|e| format!("its links are unreadable ({e})"))?,
                        started: time("start", &started)?,
                        expires: time("expiry", &expires)?,
                        id: id.clone(),
                        repo: r.get(1).map_err(|e| e.to_string())?,
                        lane: r.get(2).map_err(|e| e.to_string())?,
                        pid: r.get(8).map_err(|e| e.to_string())?,
                        socket: PathBuf::from(&socket),
                        dir: PathBuf::from(&dir),
                        watchdog_pid: r.get(11).map_err(|e| e.to_string())?,
                        clients: Vec::new(),
                    })
                })();
                Ok(decoded.map_err(|reason: String| (id, reason)))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            match row.map_err(|e| self.err(e))? {
                Ok(share) => out.push(share),
                Err((id, reason)) => {
                    return Err(StoreError::Corrupt {
                        path: self.db.path().display().to_string(),
                        id: format!("share {id}"),
                        reason: format!("{reason}; helios leaves it running: stop it by hand"),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The active share of a lane, if any.
    pub fn active_for(&self, repo: &str, lane: &str) -> Result<Option<Share>, StoreError> {
        Ok(self.active(repo)?.into_iter().find(|s| s.lane == lane))
    }

    /// Whether a share id is known.
    pub fn exists(&self, id: &str) -> Result<bool, StoreError> {
        self.db
            .conn()
            .query_row(
                "SELECT 1 FROM shares WHERE id = ?1",
                params![id],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn an_unreadable_share_row_is_an_error_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let store = ShareStore::open(dir.path().join("j.db")).unwrap();
        for (id, tool, expires) in [
            ("s1", "tmux-ng", "2099-01-01T00:00:00Z"),
            ("s2", "tmate", "yesterday"),
        ] {
            store
                .db
                .conn()
                .execute(
                    "INSERT INTO shares (id, repo, lane, tool, mode, links, started, expires, socket, dir)
                     VALUES (?1, 'r', 'l', ?2, 'ro', '[]', '2026-01-01T00:00:00Z', ?3, '/s', '/d')",
                    params![id, tool, expires],
                )
                .unwrap();
            let e = store.active("r").unwrap_err().to_string();
            assert!(e.contains(id), "{e}");
            store
                .db
                .conn()
                .execute("DELETE FROM shares WHERE id = ?1", params![id])
                .unwrap();
        }
        assert!(store.active("r").unwrap().is_empty());
    }
}
