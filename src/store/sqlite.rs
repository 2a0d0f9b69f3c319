//! The local SQLite journal: the first and only synchronous write of every event.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::store::{AuditEvent, EventQuery, EventStore, StoreError};

/// Versioned migrations; each runs once, in order, recorded in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE events (
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
    CREATE INDEX events_at ON events(at);",
    // The outbox: how far each sink (nats, postgres) has been delivered, in journal order.
    "CREATE TABLE deliveries (
        sink TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT
    );",
    // Each repo's events are delivered to its own sinks, in journal order.
    "CREATE INDEX events_repo_seq ON events(repo, seq);",
    // Lane states (agent-aware lanes) and the recent signals behind them, keyed by worktree.
    "CREATE TABLE lane_states (
        worktree TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        lane TEXT NOT NULL,
        state TEXT NOT NULL,
        state_kind TEXT,
        since TEXT NOT NULL,
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        why TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL
    );
    CREATE INDEX lane_states_repo ON lane_states(repo);
    CREATE TABLE lane_signals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        worktree TEXT NOT NULL,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT,
        state_kind TEXT,
        event TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX lane_signals_worktree ON lane_signals(worktree, id);",
    // When the user last looked at the lane: a done or exited lane seen stays seen.
    "ALTER TABLE lane_states ADD COLUMN acked_at TEXT;",
];

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

    /// Whether the journal holds the event with this id.
    pub fn contains(&self, id: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM events WHERE id = ?1",
                params![id],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(|s| self.err(s))
    }

    /// The underlying connection, for modules that add their own tables (outbox, shares).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn init(&mut self) -> rusqlite::Result<()> {
        // The busy wait first: switching to WAL takes a lock, and 25 agents' hooks open the
        // journal at once.
        self.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // No checkpoint when a connection closes: every `helios hook` is a short process, and
        // the last one out would checkpoint, delete the WAL (the next one makes it again) and
        // fsync four times. Commits checkpoint every 1000 pages as usual.
        self.conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            // IMMEDIATE, and the version read again inside: another process (25 hooks open
            // the journal at once) may have run this migration since the read above.
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if usize::try_from(now).unwrap_or(0) > i {
                continue;
            }
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
        // An event whose time cannot be written would read back as corrupt: refuse it here.
        if let Err(err) = e.at.format(&time::format_description::well_known::Rfc3339) {
            return Err(StoreError::Corrupt {
                path: self.path.display().to_string(),
                id: e.id.clone(),
                reason: format!("its time {} cannot be written as RFC 3339: {err}", e.at),
            });
        }
        insert_event(&self.conn, e).map_err(|s| self.err(s))
    }

    /// Reads events, skipping (not failing on) rows this helios cannot decode.
    fn query(&self, q: &EventQuery) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self.query_lenient(q)?.0)
    }
}

/// Append one event on `conn` (inside the caller's transaction, when it has one).
pub fn insert_event(conn: &Connection, e: &AuditEvent) -> rusqlite::Result<()> {
    let at =
        e.at.format(&time::format_description::well_known::Rfc3339)
            .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    let result = match e.result {
        crate::model::EventResult::Ok => "ok",
        crate::model::EventResult::Error => "error",
    };
    // A cached statement: the journal thread appends bursts, so parse the INSERT once.
    conn.prepare_cached(
        "INSERT INTO events (id, at, actor, repo, action, lane, result, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![e.id, at, e.actor, e.repo, e.action, e.lane, result, e.detail.to_string()])?;
    Ok(())
}

/// The raw columns of one journal row, before decoding (public for the fuzz targets in
/// tests/fuzz, which decode rows a newer or damaged journal could hold).
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    /// The row's position in the journal.
    pub seq: i64,
    /// The event's ULID.
    pub id: String,
    /// RFC 3339 time.
    pub at: String,
    /// Who did it.
    pub actor: String,
    /// The repository's short name.
    pub repo: String,
    /// Dotted action name.
    pub action: String,
    /// The lane, if any.
    pub lane: Option<String>,
    /// `ok` or `error`.
    pub result: String,
    /// JSON text.
    pub detail: String,
}

/// The column list every reader selects, matching [`RawRow::from_row`].
pub(crate) const COLUMNS: &str = "seq, id, at, actor, repo, action, lane, result, detail";

impl RawRow {
    /// Read the columns listed in [`COLUMNS`]; text columns a newer helios left NULL read as "".
    pub fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let text = |i: usize| -> rusqlite::Result<String> {
            Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
        };
        Ok(Self {
            seq: r.get(0)?,
            id: text(1)?,
            at: text(2)?,
            actor: text(3)?,
            repo: text(4)?,
            action: text(5)?,
            lane: r.get(6)?,
            result: text(7)?,
            detail: text(8)?,
        })
    }

    /// Decode into an event; a row from a newer helios with unknown detail fields decodes fine,
    /// a row with a bad time, result or detail is `Corrupt`.
    pub fn decode(self, path: &Path) -> Result<AuditEvent, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            path: path.display().to_string(),
            id: if self.id.is_empty() {
                format!("at seq {}", self.seq)
            } else {
                self.id.clone()
            },
            reason,
        };
        let at =
            time::OffsetDateTime::parse(&self.at, &time::format_description::well_known::Rfc3339)
                .map_err(|e| corrupt(format!("bad time {:?}: {e}", self.at)))?;
        let result = serde_json::from_value(serde_json::Value::String(self.result.clone()))
            .map_err(|_| corrupt(format!("bad result {:?}", self.result)))?;
        let detail =
            serde_json::from_str(&self.detail).map_err(|e| corrupt(format!("bad detail: {e}")))?;
        if self.id.is_empty() {
            return Err(corrupt("empty id".into()));
        }
        Ok(AuditEvent {
            id: self.id,
            at,
            actor: self.actor,
            repo: self.repo,
            action: self.action,
            lane: self.lane,
            result,
            detail,
        })
    }
}

impl SqliteStore {
    /// Read events in journal order; rows that cannot be decoded are returned apart, as errors
    /// naming the row, so one bad row never hides the rest.
    pub fn query_lenient(
        &self,
        q: &EventQuery,
    ) -> Result<(Vec<AuditEvent>, Vec<StoreError>), StoreError> {
        self.query_lenient_in(q, None)
    }

    /// [`Self::query_lenient`], only the events of repo `repo` (its short name, as events
    /// record it) when one is given: one journal holds every repo's events.
    pub fn query_lenient_in(
        &self,
        q: &EventQuery,
        repo: Option<&str>,
    ) -> Result<(Vec<AuditEvent>, Vec<StoreError>), StoreError> {
        let since = q.since.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
        let limit = q.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        // Only the filters that are set go into the WHERE clause: `(?1 IS NULL OR lane = ?1)`
        // would make SQLite scan every row instead of using the (lane, at) index.
        let mut conds: Vec<&str> = Vec::new();
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
        if let Some(repo) = &repo {
            conds.push("repo = ?");
            args.push(repo);
        }
        if let Some(lane) = &q.lane {
            conds.push("lane = ?");
            args.push(lane);
        }
        if let Some(since) = &since {
            conds.push("at >= ?");
            args.push(since);
        }
        if let Some(after) = &q.after_id {
            conds.push("seq > (SELECT seq FROM events WHERE id = ?)");
            args.push(after);
        }
        args.push(&limit);
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM (
               SELECT {COLUMNS} FROM events {filter}
               ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|s| self.err(s))?;
        let rows = stmt
            .query_map(args.as_slice(), RawRow::from_row)
            .map_err(|s| self.err(s))?;
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for row in rows {
            match row.map_err(|s| self.err(s))?.decode(&self.path) {
                Ok(e) => out.push(e),
                Err(e) => bad.push(e),
            }
        }
        Ok((out, bad))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;
    use time::{Duration, OffsetDateTime};

    fn event(lane: Option<&str>, mins_ago: i64) -> AuditEvent {
        let mut e = AuditEvent::new(
            "t@h",
            "app",
            crate::model::AuditAction::LaneFocused.as_str(),
            lane,
            true,
            Value::Null,
        );
        e.at -= Duration::minutes(mins_ago);
        e
    }

    fn ids(store: &SqliteStore, q: &EventQuery) -> Vec<String> {
        store.query(q).unwrap().into_iter().map(|e| e.id).collect()
    }

    #[test]
    fn each_filter_alone_and_together() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let evs = [
            event(Some("a"), 120),
            event(Some("b"), 90),
            event(Some("a"), 30),
            event(None, 20),
            event(Some("a"), 10),
        ];
        for e in &evs {
            store.append(e).unwrap();
        }
        let id = |i: usize| evs[i].id.clone();
        let hour_ago = OffsetDateTime::now_utc() - Duration::hours(1);
        assert_eq!(ids(&store, &EventQuery::default()).len(), 5);
        let lane_a = EventQuery {
            lane: Some("a".into()),
            ..EventQuery::default()
        };
        assert_eq!(ids(&store, &lane_a), [id(0), id(2), id(4)]);
        let since = EventQuery {
            since: Some(hour_ago),
            ..EventQuery::default()
        };
        assert_eq!(ids(&store, &since), [id(2), id(3), id(4)]);
        let both = EventQuery {
            since: Some(hour_ago),
            ..lane_a.clone()
        };
        assert_eq!(ids(&store, &both), [id(2), id(4)]);
        let after = EventQuery {
            after_id: Some(id(1)),
            limit: Some(2),
            ..EventQuery::default()
        };
        // The newest two after event 1, oldest first.
        assert_eq!(ids(&store, &after), [id(3), id(4)]);
    }

    #[test]
    fn a_repo_filter_keeps_that_repos_events_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let mut other = event(Some("a"), 5);
        other.repo = "other".into();
        let mine = event(Some("a"), 1);
        store.append(&other).unwrap();
        store.append(&mine).unwrap();
        let q = EventQuery {
            lane: Some("a".into()),
            ..EventQuery::default()
        };
        let (app, bad) = store.query_lenient_in(&q, Some("app")).unwrap();
        assert!(bad.is_empty());
        assert_eq!(app, std::slice::from_ref(&mine));
        let (all, _) = store.query_lenient_in(&q, None).unwrap();
        assert_eq!(all, [other, mine]);
    }

    /// Fuzz find (tests/fuzz, `events`): a detail number too large for an integer was parsed a
    /// unit in the last place off, so every write and read changed it again; serde_json's
    /// `float_roundtrip` parses it exactly.
    #[test]
    fn a_row_written_back_reads_as_the_same_event() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let row = RawRow {
            seq: 1,
            id: "02JD0000000000000000000000".into(),
            at: "2026-11-25T20:27:15+01:00".into(),
            actor: "me@host".into(),
            repo: "one".into(),
            action: crate::model::AuditAction::LaneRemoved.as_str().into(),
            lane: Some("foo".into()),
            result: "error".into(),
            detail: "88888888888888888888888880000000000088888888888".into(),
        };
        let e = row.decode(&path).unwrap();
        let mut store = SqliteStore::open(&path).unwrap();
        store.append(&e).unwrap();
        assert_eq!(
            store.query(&EventQuery::default()).unwrap(),
            std::slice::from_ref(&e)
        );
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AuditEvent>(&json).unwrap(), e);
    }
}
