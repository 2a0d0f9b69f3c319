//! The local SQLite journal: the first and only synchronous write of every event.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::store::{AuditEvent, EventQuery, EventStore, StoreError};

/// Versioned migrations; each runs once, in order, recorded in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &["CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        repo TEXT NOT NULL,
        action TEXT NOT NULL,
        lane TEXT,
        result TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_lane_at ON events(lane, at);
    CREATE INDEX events_at ON events(at);"];

/// The journal at `$XDG_STATE_HOME/helios/helios.db` (or any path).
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Open (creating when missing) the journal, in WAL mode, file mode 0600, migrated.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let fresh = !path.exists();
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        })?;
        if fresh {
            set_private(path).map_err(|source| StoreError::Io {
                path: shown.clone(),
                source,
            })?;
        }
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        store.init().map_err(|source| StoreError::Sqlite {
            path: shown,
            source,
        })?;
        Ok(store)
    }

    /// The default journal path.
    pub fn default_path() -> PathBuf {
        crate::config::paths::state_dir().join("helios.db")
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for modules that add their own tables (outbox, shares).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn init(&mut self) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

impl EventStore for SqliteStore {
    fn append(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        let at =
            e.at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
        let result = serde_json::to_value(e.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO events (id, at, actor, repo, action, lane, result, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![e.id, at, e.actor, e.repo, e.action, e.lane, result, e.detail.to_string()],
            )
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    fn query(&self, q: &EventQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let since = q.since.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
        let limit = q.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at, actor, repo, action, lane, result, detail FROM (
                   SELECT seq, id, at, actor, repo, action, lane, result, detail FROM events
                   WHERE (?1 IS NULL OR lane = ?1) AND (?2 IS NULL OR at >= ?2)
                     AND (?3 IS NULL OR seq > (SELECT seq FROM events WHERE id = ?3))
                   ORDER BY seq DESC LIMIT ?4) ORDER BY seq ASC",
            )
            .map_err(|s| self.err(s))?;
        let rows = stmt
            .query_map(params![q.lane, since, q.after_id, limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .map_err(|s| self.err(s))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, actor, repo, action, lane, result, detail) =
                row.map_err(|s| self.err(s))?;
            let corrupt = |reason: String| StoreError::Corrupt {
                path: self.path.display().to_string(),
                id: id.clone(),
                reason,
            };
            let at =
                time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| corrupt(format!("bad time {at:?}: {e}")))?;
            let result = serde_json::from_value(serde_json::Value::String(result.clone()))
                .map_err(|_| corrupt(format!("bad result {result:?}")))?;
            let detail =
                serde_json::from_str(&detail).map_err(|e| corrupt(format!("bad detail: {e}")))?;
            out.push(AuditEvent {
                id: id.clone(),
                at,
                actor,
                repo,
                action,
                lane,
                result,
                detail,
            });
        }
        Ok(out)
    }
}
