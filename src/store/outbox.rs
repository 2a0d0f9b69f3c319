//! The outbox: per-sink delivery state kept in the journal itself (table `deliveries`), so what
//! was journalled but not yet delivered survives any crash and is sent, in journal order, later.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::sqlite::{COLUMNS, RawRow, SqliteStore};
use crate::store::{AuditEvent, StoreError};

/// One journal row waiting for a sink: its sequence and the event, or why it cannot be read.
#[derive(Debug)]
pub struct Pending {
    /// The journal sequence number (delivery order).
    pub seq: i64,
    /// The event, or the error naming the unreadable row (skipped, never retried forever).
    pub event: Result<AuditEvent, StoreError>,
}

/// A connection to the journal used only for delivery bookkeeping. Each forwarder has its own,
/// so the writer thread never waits on a sink.
pub struct Outbox {
    conn: Connection,
    path: PathBuf,
}

/// Between a key's repo and its place: a character no repo name or URL holds.
const PLACE: char = '\u{1f}';

/// The outbox key of `sink`'s deliveries of `repo`'s events to `place` (the sink's URL
/// without credentials).
pub fn place_key(sink: &str, repo: &str, place: &str) -> String {
    format!("{sink}:{repo}{PLACE}{place}")
}

/// Which way a delivery mark may move.
#[derive(Debug, Clone, Copy)]
enum Move {
    /// Only up: an acknowledgement never undoes a later one.
    Forward,
    /// To what the sink says it holds, up or down.
    Either,
}

impl Outbox {
    /// Open the journal at `path` (migrating it when needed) for delivery bookkeeping.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // Opening through SqliteStore runs the migrations (which create `deliveries`).
        let store = SqliteStore::open(path)?;
        drop(store);
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.display().to_string(),
            source,
        })?;
        let out = Self {
            conn,
            path: path.to_path_buf(),
        };
        out.conn
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|s| out.err(s))?;
        Ok(out)
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn position(&self, key: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT last_seq FROM deliveries WHERE sink = ?1",
                params![key],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(|s| self.err(s))
    }

    /// The last journal sequence delivered to `key` (0 when nothing was). A key is a sink
    /// name (`nats`: every repo's events), `sink:repo` (that repo's events) or a
    /// [`place_key`] (that repo's events to one place). Older helios kept the first two; a key
    /// never used starts where the next wider one of those stopped, so an upgrade resends
    /// nothing. The first place to deliver takes over the `sink:repo` row (see
    /// [`Outbox::write_mark`]): a place after it starts from nothing.
    pub fn delivered(&self, key: &str) -> Result<i64, StoreError> {
        let mut wider = Some(key);
        while let Some(k) = wider {
            if let Some(seq) = self.position(k)? {
                return Ok(seq);
            }
            wider = Self::wider(k);
        }
        Ok(0)
    }

    /// The key an older helios kept for what `key` counts: `sink:repo` for a place's key,
    /// `sink` for that.
    fn wider(key: &str) -> Option<&str> {
        match key.split_once(PLACE) {
            Some((repo_key, _)) => Some(repo_key),
            None => key.split_once(':').map(|(sink, _)| sink),
        }
    }

    /// The repo a key is scoped to, as an SQL parameter (`NULL`: every repo).
    fn repo_of(key: &str) -> Option<&str> {
        key.split_once(':')
            .map(|(_, rest)| rest.split_once(PLACE).map_or(rest, |(repo, _)| repo))
    }

    /// Up to `limit` rows after what `key` has been delivered, oldest first.
    pub fn pending(&self, key: &str, limit: usize) -> Result<Vec<Pending>, StoreError> {
        let after = self.delivered(key)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE seq > ?1 AND (?3 IS NULL OR repo = ?3) ORDER BY seq LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|s| self.err(s))?;
        let rows = stmt
            .query_map(
                params![
                    after,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    Self::repo_of(key)
                ],
                RawRow::from_row,
            )
            .map_err(|s| self.err(s))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(|s| self.err(s))?;
            let seq = row.seq;
            out.push(Pending {
                seq,
                event: row.decode(&self.path),
            });
        }
        Ok(out)
    }

    /// Record that everything up to and including `seq` reached `sink`. Never moves backwards.
    pub fn mark(&self, sink: &str, seq: i64) -> Result<(), StoreError> {
        self.write_mark(sink, seq, Move::Forward)
    }

    /// Write `key`'s mark; `Forward` keeps a higher one already there.
    fn write_mark(&self, key: &str, seq: i64, how: Move) -> Result<(), StoreError> {
        // The time is only shown (`helios status`); a mark without it still counts.
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| {
                tracing::warn!("the delivery mark of {key} is written without its time: {e}");
                String::new()
            });
        let sql = match how {
            Move::Forward => {
                "INSERT INTO deliveries (sink, last_seq, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(sink) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),
                   updated_at = excluded.updated_at"
            }
            Move::Either => {
                "INSERT INTO deliveries (sink, last_seq, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(sink) DO UPDATE SET last_seq = excluded.last_seq,
                   updated_at = excluded.updated_at"
            }
        };
        self.conn
            .execute(sql, params![key, seq, now])
            .map_err(|s| self.err(s))?;
        // The first place to deliver takes over an older helios's `sink:repo` (or `sink`)
        // mark; that row is set to 0, so a place after it starts from nothing (it was never
        // delivered to) rather than from the older marks.
        if let Some(repo_key) = key.split_once(PLACE).map(|(k, _)| k) {
            self.conn
                .execute(
                    "INSERT INTO deliveries (sink, last_seq, updated_at) VALUES (?1, 0, ?2)
                     ON CONFLICT(sink) DO UPDATE SET last_seq = 0, updated_at = excluded.updated_at",
                    params![repo_key, now],
                )
                .map_err(|s| self.err(s))?;
        }
        Ok(())
    }

    /// Set `key`'s mark to the journal row of event `id`, the newest event of the key's repo
    /// the sink holds: forward when a crash lost the mark of an acknowledged delivery, and
    /// back when the sink lost acknowledged events (nats-server acknowledges before its
    /// asynchronous flush, so a SIGKILL can drop the newest ones): what it lost is sent again.
    /// An id this journal does not have, or one of another repo (repo names can share a
    /// subject token), changes nothing.
    pub fn mark_through(&self, key: &str, id: &str) -> Result<(), StoreError> {
        let seq = self
            .conn
            .query_row(
                "SELECT seq FROM events WHERE id = ?1 AND (?2 IS NULL OR repo = ?2)",
                params![id, Self::repo_of(key)],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(|s| self.err(s))?;
        match seq {
            Some(seq) => self.write_mark(key, seq, Move::Either),
            None => Ok(()),
        }
    }

    /// How many journalled events `key` has not received yet.
    pub fn backlog(&self, key: &str) -> Result<u64, StoreError> {
        let after = self.delivered(key)?;
        self.conn
            .query_row(
                "SELECT count(*) FROM events WHERE seq > ?1 AND (?2 IS NULL OR repo = ?2)",
                params![after, Self::repo_of(key)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or_default())
            .map_err(|s| self.err(s))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::EventStore;

    #[test]
    fn pending_mark_and_backlog_follow_journal_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let mut store = SqliteStore::open(&path).unwrap();
        for i in 0..5 {
            let e = AuditEvent::new("t", "r", "x.y", None, true, serde_json::json!({ "i": i }));
            store.append(&e).unwrap();
        }
        let ob = Outbox::open(&path).unwrap();
        assert_eq!(ob.backlog("nats").unwrap(), 5);
        let p = ob.pending("nats", 2).unwrap();
        assert_eq!(p.len(), 2);
        ob.mark("nats", p[1].seq).unwrap();
        ob.mark("nats", p[0].seq).unwrap(); // never backwards
        assert_eq!(ob.backlog("nats").unwrap(), 3);
        assert_eq!(ob.backlog("postgres").unwrap(), 5);
        let rest = ob.pending("nats", 10).unwrap();
        assert_eq!(rest[0].event.as_ref().unwrap().detail["i"], 2);
    }

    #[test]
    fn a_repo_key_sees_its_repo_only_and_starts_at_the_legacy_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let mut store = SqliteStore::open(&path).unwrap();
        for (i, repo) in ["a", "b", "a", "b", "a"].iter().enumerate() {
            let e = AuditEvent::new("t", repo, "x.y", None, true, serde_json::json!({ "i": i }));
            store.append(&e).unwrap();
        }
        let ob = Outbox::open(&path).unwrap();
        assert_eq!(ob.backlog("nats:a").unwrap(), 3);
        assert_eq!(ob.backlog("nats:b").unwrap(), 2);
        let p = ob.pending("nats:b", 10).unwrap();
        assert!(p.iter().all(|p| p.event.as_ref().unwrap().repo == "b"));
        // An older helios delivered the first two rows journal-wide.
        ob.mark("nats", 2).unwrap();
        assert_eq!(ob.backlog("nats:a").unwrap(), 2);
        assert_eq!(ob.backlog("nats:b").unwrap(), 1);
        // The sink says it holds event 4 (repo b): everything of b up to it is delivered.
        let id = ob.pending("nats:b", 10).unwrap()[0]
            .event
            .as_ref()
            .unwrap()
            .id
            .clone();
        ob.mark_through("nats:b", &id).unwrap();
        assert_eq!(ob.backlog("nats:b").unwrap(), 0);
        ob.mark_through("nats:b", "no-such-id").unwrap();
        assert_eq!(ob.backlog("nats:a").unwrap(), 2);
        // The sink lost what it acknowledged after an older event of b: the mark goes back.
        let rows_of_a = ob.pending("nats:a", 10).unwrap();
        assert!(
            rows_of_a
                .iter()
                .all(|p| p.event.as_ref().unwrap().repo == "a")
        );
        let old_b = SqliteStore::open(&path)
            .unwrap()
            .conn()
            .query_row(
                "SELECT id FROM events WHERE repo = 'b' ORDER BY seq LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )
            .unwrap();
        ob.mark_through("nats:b", &old_b).unwrap();
        assert_eq!(ob.backlog("nats:b").unwrap(), 1);
        // An event of repo a (the journal's last) says nothing about what b's sink holds.
        let of_a = rows_of_a.last().unwrap().event.as_ref().unwrap().id.clone();
        ob.mark_through("nats:b", &of_a).unwrap();
        assert_eq!(ob.backlog("nats:b").unwrap(), 1);
    }

    /// Each place has its own mark: a server never delivered to has every event waiting. The
    /// first place takes over an older helios's repo mark; the next starts from nothing.
    #[test]
    fn each_place_has_its_own_mark_and_the_first_takes_the_older_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let mut store = SqliteStore::open(&path).unwrap();
        for (i, repo) in ["a", "b", "a", "a"].iter().enumerate() {
            let e = AuditEvent::new("t", repo, "x.y", None, true, serde_json::json!({ "i": i }));
            store.append(&e).unwrap();
        }
        let ob = Outbox::open(&path).unwrap();
        let one = place_key("nats", "a", "nats://127.0.0.1:4222");
        let two = place_key("nats", "a", "nats://127.0.0.1:5222");
        assert_eq!(Outbox::repo_of(&one), Some("a"));
        // An older helios delivered a's first event (journal row 1).
        ob.mark("nats", 1).unwrap();
        ob.mark("nats:a", 3).unwrap();
        assert_eq!(ob.backlog(&one).unwrap(), 1);
        assert_eq!(ob.backlog(&two).unwrap(), 1, "not taken over yet");
        // The first place delivers: it keeps the older mark, the other starts from nothing.
        ob.mark(&one, 4).unwrap();
        assert_eq!(ob.backlog(&one).unwrap(), 0);
        assert_eq!(ob.backlog(&two).unwrap(), 3);
        assert!(
            ob.pending(&two, 10)
                .unwrap()
                .iter()
                .all(|p| p.event.as_ref().unwrap().repo == "a")
        );
        // The journal-wide mark of an even older helios does not leak past the repo's row.
        assert_eq!(ob.backlog(&place_key("nats", "a", "elsewhere")).unwrap(), 3);
    }

    #[test]
    fn a_row_from_a_newer_helios_is_read_or_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .conn()
            .execute_batch(
                "INSERT INTO events (id, at, actor, repo, action, lane, result, detail) VALUES
                 ('01A', '2026-01-01T00:00:00Z', 'a', 'r', 'x', NULL, 'ok', '{\"new_field\":{\"deep\":1}}'),
                 ('01B', 'yesterday', 'a', 'r', 'x', NULL, 'ok', '{}'),
                 ('01C', '2026-01-01T00:00:01Z', 'a', 'r', 'x', NULL, 'partial', '{}');",
            )
            .unwrap();
        store
            .append(&AuditEvent::new(
                "t",
                "r",
                "x",
                None,
                true,
                serde_json::json!({}),
            ))
            .unwrap();
        let ob = Outbox::open(&path).unwrap();
        let p = ob.pending("nats", 10).unwrap();
        assert_eq!(p.len(), 4);
        assert!(p[0].event.is_ok());
        let msg = p[1].event.as_ref().unwrap_err().to_string();
        assert!(msg.contains("01B") && msg.contains("bad time"), "{msg}");
        assert!(p[2].event.is_err());
        assert!(p[3].event.is_ok());
        let (ok, bad) = store
            .query_lenient(&crate::store::EventQuery::default())
            .unwrap();
        assert_eq!((ok.len(), bad.len()), (2, 2));
    }
}
