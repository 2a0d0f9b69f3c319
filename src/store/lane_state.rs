//! Lane states and their recent signals, kept in the journal's database so a restart keeps
//! them and every process (the console, `helios hook`, `helios mcp`, the CLI) sees the same.
//! A state change and its `lane.state` audit event are written in one transaction, and only
//! by the writer that changed it: two consoles deciding the same change record it once.

use rusqlite::{Connection, OptionalExtension as _, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use crate::agent::LaneKey;
use crate::agent::{Decision, Evidence, LaneState, Signal, Source, StateRecord, Status};
use crate::model::AuditEvent;
use crate::store::StoreError;
use crate::store::sqlite::SqliteStore;

/// The audit action of a state change.
pub const LANE_STATE: &str = crate::model::AuditAction::LaneState.as_str();

/// Signals kept per lane for `helios lane explain`.
const SIGNALS_KEPT: i64 = 50;

/// A stored state with the reasoning that chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState {
    /// The lane.
    pub key: LaneKey,
    /// The state.
    pub state: LaneState,
    /// The rule that decided it.
    pub why: String,
    /// The signals considered then.
    pub evidence: Vec<Evidence>,
    /// When it was last decided (a confirmation refreshes this, not `since`).
    pub updated: OffsetDateTime,
    /// The user looked at the lane since this state began: a done or exited lane stays out of
    /// the triage queue after a restart.
    pub acked: bool,
}

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn parse_ts(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

fn err(store: &SqliteStore, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: store.path().display().to_string(),
        source,
    }
}

/// Keep a signal (and forget the oldest beyond the last 50 of the lane).
pub fn add_signal(store: &SqliteStore, key: &LaneKey, s: &Signal) -> Result<(), StoreError> {
    let conn = store.conn();
    let run = || -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO lane_signals (worktree, at, source, state, state_kind, event, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            key.worktree,
            ts(s.at),
            s.source.to_string(),
            s.status.map(Status::name),
            s.status.and_then(Status::kind),
            s.event,
            s.reason
        ])?;
        conn.prepare_cached(
            "DELETE FROM lane_signals WHERE worktree = ?1 AND id <= (
                SELECT id FROM lane_signals WHERE worktree = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![key.worktree, SIGNALS_KEPT])?;
        Ok(())
    };
    run().map_err(|e| err(store, e))
}

/// The newest signals of a lane, newest first; `exact_only` keeps hook and MCP signals that
/// carry a state (what the decision uses).
pub fn signals(
    conn: &Connection,
    worktree: &str,
    limit: usize,
    exact_only: bool,
) -> rusqlite::Result<Vec<Signal>> {
    let mut st = conn.prepare_cached(
        "SELECT at, source, state, state_kind, event, reason FROM lane_signals
         WHERE worktree = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![worktree, i64::try_from(limit).unwrap_or(50)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, source, state, kind, event, reason) = row?;
        // A row a newer helios wrote in a shape this one cannot read is skipped.
        let (Some(at), Some(source)) = (parse_ts(&at), Source::parse(&source)) else {
            continue;
        };
        let status = state.and_then(|s| Status::parse(&s, kind.as_deref()));
        if exact_only && (!source.is_exact() || status.is_none()) {
            continue;
        }
        out.push(Signal {
            at,
            source,
            status,
            event,
            reason,
        });
    }
    Ok(out)
}

/// Record a decision: when the status changed, replace the state and append its `lane.state`
/// event in the same transaction and return the event; when only its reason or source
/// changed, keep `since` and write the rest (reason, source, rule, evidence) and return
/// `None`; when it says what the row says ([`Decision::restates`]), write nothing.
pub fn transition(
    store: &SqliteStore,
    key: &LaneKey,
    d: &Decision,
    actor: &str,
) -> Result<Option<AuditEvent>, StoreError> {
    let conn = store.conn();
    let run = || -> rusqlite::Result<Option<AuditEvent>> {
        // IMMEDIATE: this transaction reads and then writes. A deferred one would fail at once
        // with "database is locked" (no busy wait) when another writer committed after the
        // read, which 25 lanes changing state in the same tick did.
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let old = read_row(&tx, &key.worktree)?;
        let evidence = serde_json::to_string(&d.evidence).unwrap_or_else(|_| "[]".into());
        let now = OffsetDateTime::now_utc();
        if old.as_ref().is_some_and(|o| d.restates(&o.state)) {
            // Nothing `lane ls` shows changed: the row is not written again (several consoles
            // and serve decide the same lane; a hook repeats itself).
            return Ok(None);
        }
        if old.as_ref().is_some_and(|o| o.state.same_as(&d.state)) {
            // The same state for a new reason or from a new signal: the row holds the current
            // ones, with the rule and evidence that gave them; `since` stays, and no event.
            tx.execute(
                "UPDATE lane_states SET why = ?2, evidence = ?3, updated_at = ?4, repo = ?5, lane = ?6,
                   reason = ?7, source = ?8 WHERE worktree = ?1",
                params![
                    key.worktree,
                    d.why,
                    evidence,
                    ts(now),
                    key.repo,
                    key.lane,
                    d.state.reason,
                    d.state.source.to_string()
                ],
            )?;
            tx.commit()?;
            return Ok(None);
        }
        let rec = d.state.to_record();
        tx.execute(
            "INSERT INTO lane_states (worktree, repo, lane, state, state_kind, since, source, reason, why, evidence, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(worktree) DO UPDATE SET repo = ?2, lane = ?3, state = ?4, state_kind = ?5,
               since = ?6, source = ?7, reason = ?8, why = ?9, evidence = ?10, updated_at = ?11",
            params![
                key.worktree,
                key.repo,
                key.lane,
                rec.state,
                rec.state_kind,
                ts(rec.state_since),
                rec.state_source,
                rec.state_reason,
                d.why,
                evidence,
                ts(now)
            ],
        )?;
        let mut detail = serde_json::to_value(&rec).unwrap_or_default();
        if let (Some(m), Some(o)) = (detail.as_object_mut(), old.as_ref()) {
            m.insert("previous".into(), o.state.status.label().into());
        }
        if let Some(m) = detail.as_object_mut() {
            m.insert("worktree".into(), key.worktree.clone().into());
        }
        let event = AuditEvent::new(actor, &key.repo, LANE_STATE, Some(&key.lane), true, detail);
        crate::store::sqlite::insert_event(&tx, &event)?;
        tx.commit()?;
        Ok(Some(event))
    };
    run().map_err(|e| err(store, e))
}

/// The key a lane's state is stored under: its worktree, canonical as `helios hook` finds it
/// from inside the lane (see `lanes::locate`).
pub fn worktree_key(dir: &std::path::Path) -> String {
    std::fs::canonicalize(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .display()
        .to_string()
}

/// Each lane's stored state (`None`: none yet, or unreadable, which is logged).
pub fn states_of(store: &SqliteStore, lanes: &[crate::model::LaneInfo]) -> Vec<Option<LaneState>> {
    lanes
        .iter()
        .map(|l| {
            get(store.conn(), &worktree_key(&l.worktree))
                .inspect_err(|e| tracing::warn!("reading lane {}'s state: {e}", l.id))
                .ok()
                .flatten()
                .map(|s| s.state)
        })
        .collect()
}

/// The newest notification recorded for the lane (source `osc`, from `helios osc-tap`): not an
/// exact signal, so the console weighs it as it weighs a notification it saw itself.
pub fn newest_alert(conn: &Connection, worktree: &str) -> rusqlite::Result<Option<Signal>> {
    Ok(signals(conn, worktree, 10, false)?
        .into_iter()
        .find(|s| s.source == Source::Osc))
}

/// Every stored state of `repo` (all repos when `None`).
pub fn load(conn: &Connection, repo: Option<&str>) -> rusqlite::Result<Vec<StoredState>> {
    let mut st = conn.prepare_cached(
        "SELECT worktree FROM lane_states WHERE ?1 IS NULL OR repo = ?1 ORDER BY repo, lane",
    )?;
    let keys: Vec<String> = st
        .query_map(params![repo], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for k in keys {
        if let Some(s) = read_row(conn, &k)? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The stored state of one worktree.
pub fn get(conn: &Connection, worktree: &str) -> rusqlite::Result<Option<StoredState>> {
    read_row(conn, worktree)
}

fn read_row(conn: &Connection, worktree: &str) -> rusqlite::Result<Option<StoredState>> {
    let row = conn
        .prepare_cached(
            "SELECT repo, lane, state, state_kind, since, source, reason, why, evidence, updated_at,
               acked_at
             FROM lane_states WHERE worktree = ?1",
        )?
        .query_row(params![worktree], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                StateRecordRaw {
                    state: r.get(2)?,
                    kind: r.get(3)?,
                    since: r.get(4)?,
                    source: r.get(5)?,
                    reason: r.get(6)?,
                },
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, Option<String>>(10)?,
            ))
        })
        .optional()?;
    let Some((repo, lane, raw, why, evidence, updated, acked_at)) = row else {
        return Ok(None);
    };
    let state = parse_ts(&raw.since).and_then(|since| {
        StateRecord {
            state: raw.state,
            state_kind: raw.kind,
            state_since: since,
            state_source: raw.source,
            state_reason: raw.reason,
        }
        .to_state()
    });
    // A row this helios cannot read (a newer state name) is left out, not guessed.
    let Some(state) = state else {
        return Ok(None);
    };
    Ok(Some(StoredState {
        key: LaneKey {
            worktree: worktree.to_string(),
            repo,
            lane,
        },
        why,
        // The explanation is advisory: an unreadable one shows as none, and is logged.
        evidence: serde_json::from_str(&evidence)
            .inspect_err(|e| {
                tracing::warn!("lane state of {worktree}: unreadable explanation: {e}");
            })
            .unwrap_or_default(),
        updated: parse_ts(&updated).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        // An acknowledgement is of the state it saw: one older than the state's start is of an
        // earlier state.
        acked: acked_at
            .as_deref()
            .and_then(parse_ts)
            .is_some_and(|a| a >= state.since),
        state,
    }))
}

/// The user looked at the lane now (focused it): kept so that a restart does not ask again
/// about a done or exited lane already seen.
pub fn acknowledge(store: &SqliteStore, worktree: &str) -> Result<(), StoreError> {
    store
        .conn()
        .execute(
            "UPDATE lane_states SET acked_at = ?2 WHERE worktree = ?1",
            params![worktree, ts(OffsetDateTime::now_utc())],
        )
        .map(|_| ())
        .map_err(|e| err(store, e))
}

struct StateRecordRaw {
    state: String,
    kind: Option<String>,
    since: String,
    source: String,
    reason: String,
}

/// What a hook or MCP call reports, written as one step: the signal is kept, and when it
/// carries a state, that state is recorded (with its `lane.state` event) and the consoles are
/// woken. The one implementation behind `helios hook` and `helios mcp`.
pub fn report(
    store: &SqliteStore,
    key: &LaneKey,
    signal: &Signal,
    actor: &str,
) -> Result<Option<AuditEvent>, StoreError> {
    add_signal(store, key, signal)?;
    let Some(status) = signal.status else {
        return Ok(None);
    };
    // A notification repeats what a more precise hook said (Claude's permission_prompt after
    // its PermissionRequest): the state and its reason stay.
    if is_repeat(store.conn(), key, signal, status).map_err(|e| err(store, e))? {
        return Ok(None);
    }
    let d = Decision {
        state: LaneState {
            status,
            since: signal.at,
            source: signal.source,
            reason: signal.reason.clone(),
        },
        why: format!(
            "the agent's own {} ({}) said so",
            describe(signal.source),
            signal.event
        ),
        evidence: vec![Evidence {
            source: signal.source.to_string(),
            said: format!("{}: {}", signal.event, status.label()),
            age_secs: Some(0),
            verdict: "used".into(),
        }],
    };
    let event = transition(store, key, &d, actor)?;
    crate::store::wake::wake_all(&crate::store::wake::dir(), &key.worktree);
    Ok(event)
}

/// Whether `signal` is a notification of the state the lane is already in.
fn is_repeat(
    conn: &Connection,
    key: &LaneKey,
    signal: &Signal,
    status: Status,
) -> rusqlite::Result<bool> {
    if signal.event != "Notification" {
        return Ok(false);
    }
    Ok(read_row(conn, &key.worktree)?.is_some_and(|s| s.state.status == status))
}

/// The newest hook or MCP signal that decides the lane's state: a notification that only
/// repeats the state of the signal before it yields to that one (its reason is precise).
pub fn decisive_signal(conn: &Connection, worktree: &str) -> rusqlite::Result<Option<Signal>> {
    let recent = signals(conn, worktree, 2, true)?;
    Ok(match recent.as_slice() {
        [newest, before, ..]
            if newest.event == "Notification" && newest.status == before.status =>
        {
            Some(before.clone())
        }
        [newest, ..] => Some(newest.clone()),
        [] => None,
    })
}

fn describe(source: Source) -> &'static str {
    match source {
        Source::Mcp => "MCP call",
        _ => "hook",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::agent::{Agent, WaitKind};

    fn key() -> LaneKey {
        LaneKey {
            worktree: "/w/a".into(),
            repo: "app".into(),
            lane: "a".into(),
        }
    }

    fn signal(status: Option<Status>, reason: &str) -> Signal {
        Signal {
            at: OffsetDateTime::now_utc(),
            source: Source::Hook(Agent::Claude),
            status,
            event: "PermissionRequest".into(),
            reason: reason.into(),
        }
    }

    /// 25 lanes changing state at once, each from its own connection as the console's
    /// blocking tasks do: every change is stored with its event, none is refused as locked.
    #[test]
    fn many_writers_at_once_all_record_their_change() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("h.db");
        drop(SqliteStore::open(&path).unwrap());
        let writers: Vec<_> = (0..25)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let store = SqliteStore::open(&path)?;
                    let key = LaneKey {
                        worktree: format!("/w/{i}"),
                        repo: "app".into(),
                        lane: format!("l{i}"),
                    };
                    let d = Decision {
                        state: LaneState {
                            status: Status::Working,
                            since: OffsetDateTime::now_utc(),
                            source: Source::Screen,
                            reason: String::new(),
                        },
                        why: "rows changed".into(),
                        evidence: Vec::new(),
                    };
                    transition(&store, &key, &d, "me")
                })
            })
            .collect();
        for w in writers {
            assert!(w.join().unwrap().unwrap().is_some());
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(load(store.conn(), Some("app")).unwrap().len(), 25);
    }

    #[test]
    fn a_change_is_stored_with_one_event_and_a_repeat_adds_none() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("h.db")).unwrap();
        let perm = Some(Status::Waiting(WaitKind::Permission));
        let first = report(&store, &key(), &signal(perm, "Bash(rm)"), "me").unwrap();
        let ev = first.unwrap();
        assert_eq!(ev.action, LANE_STATE);
        assert_eq!(ev.detail["state"], "waiting");
        assert_eq!(ev.detail["state_kind"], "permission");
        assert_eq!(ev.detail["state_reason"], "Bash(rm)");
        assert!(store.contains(&ev.id).unwrap());
        assert!(
            report(&store, &key(), &signal(perm, "Bash(rm)"), "me")
                .unwrap()
                .is_none()
        );
        // An informational signal is kept but changes nothing.
        assert!(
            report(&store, &key(), &signal(None, ""), "me")
                .unwrap()
                .is_none()
        );
        let stored = get(store.conn(), "/w/a").unwrap().unwrap();
        assert_eq!(stored.state.status, Status::Waiting(WaitKind::Permission));
        assert_eq!(stored.key, key());
        let second = report(
            &store,
            &key(),
            &signal(Some(Status::Working), "ran Bash(rm)"),
            "me",
        )
        .unwrap()
        .unwrap();
        assert_eq!(second.detail["previous"], "waiting: permission");
        assert_eq!(signals(store.conn(), "/w/a", 10, false).unwrap().len(), 4);
        assert_eq!(signals(store.conn(), "/w/a", 10, true).unwrap().len(), 3);
        assert_eq!(load(store.conn(), Some("app")).unwrap().len(), 1);
        assert!(load(store.conn(), Some("other")).unwrap().is_empty());
    }

    #[test]
    fn a_notification_repeating_the_state_keeps_the_precise_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("h.db")).unwrap();
        let perm = Some(Status::Waiting(WaitKind::Permission));
        report(&store, &key(), &signal(perm, "Bash(rm -rf build)"), "me").unwrap();
        let mut note = signal(perm, "Claude needs your permission to use Bash");
        note.event = "Notification".into();
        assert!(report(&store, &key(), &note, "me").unwrap().is_none());
        let stored = get(store.conn(), "/w/a").unwrap().unwrap();
        assert_eq!(stored.state.reason, "Bash(rm -rf build)");
        let decisive = decisive_signal(store.conn(), "/w/a").unwrap().unwrap();
        assert_eq!(decisive.reason, "Bash(rm -rf build)");
        // A new reason within the same state refreshes it without an event.
        let working = Some(Status::Working);
        assert!(
            report(&store, &key(), &signal(working, "Bash(ls)"), "me")
                .unwrap()
                .is_some()
        );
        assert!(
            report(&store, &key(), &signal(working, "Edit(a.rs)"), "me")
                .unwrap()
                .is_none()
        );
        let stored = get(store.conn(), "/w/a").unwrap().unwrap();
        assert_eq!(stored.state.reason, "Edit(a.rs)");
    }

    /// A decision that says what the row says writes nothing (its evidence, with newer ages,
    /// neither); one with a new reason writes it, keeping `since`, with no event.
    #[test]
    fn a_restated_decision_writes_nothing_and_a_new_reason_writes_it() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("h.db")).unwrap();
        let at = OffsetDateTime::now_utc() - time::Duration::minutes(5);
        let decision = |reason: &str, said: &str| Decision {
            state: LaneState {
                status: Status::Unknown,
                since: at,
                source: Source::Screen,
                reason: reason.into(),
            },
            why: "quiet, no known prompt".into(),
            evidence: vec![Evidence {
                source: "screen".into(),
                said: said.into(),
                age_secs: None,
                verdict: "used".into(),
            }],
        };
        let first = decision("quiet 21s, no known prompt", "first");
        assert!(transition(&store, &key(), &first, "me").unwrap().is_some());
        let later = decision("quiet 22s, no known prompt", "later");
        assert!(transition(&store, &key(), &later, "me").unwrap().is_none());
        let row = get(store.conn(), "/w/a").unwrap().unwrap();
        assert_eq!(row.state.reason, "quiet 21s, no known prompt");
        assert_eq!(row.evidence, first.evidence);
        // A new reason (and a later `since`, which the row does not take: the state goes on).
        let mut other = decision("hook said working 5m ago, no output since", "other");
        other.state.since = OffsetDateTime::now_utc();
        assert!(transition(&store, &key(), &other, "me").unwrap().is_none());
        let row = get(store.conn(), "/w/a").unwrap().unwrap();
        assert_eq!(row.state.reason, other.state.reason);
        assert_eq!(row.evidence, other.evidence);
        assert_eq!(row.state.since.unix_timestamp(), at.unix_timestamp());
    }

    /// A look at a lane is kept for the state it saw, and not for the next one.
    #[test]
    fn an_acknowledgement_is_kept_until_the_state_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("h.db")).unwrap();
        let done = Some(Status::Done);
        report(&store, &key(), &signal(done, "Stop"), "me").unwrap();
        assert!(!get(store.conn(), "/w/a").unwrap().unwrap().acked);
        acknowledge(&store, "/w/a").unwrap();
        assert!(get(store.conn(), "/w/a").unwrap().unwrap().acked);
        report(&store, &key(), &signal(Some(Status::Working), ""), "me").unwrap();
        report(&store, &key(), &signal(done, "Stop"), "me").unwrap();
        assert!(!get(store.conn(), "/w/a").unwrap().unwrap().acked);
    }

    #[test]
    fn only_the_last_fifty_signals_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("h.db")).unwrap();
        for _ in 0..70 {
            add_signal(&store, &key(), &signal(None, "")).unwrap();
        }
        assert_eq!(signals(store.conn(), "/w/a", 100, false).unwrap().len(), 50);
    }
}
