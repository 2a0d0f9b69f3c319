//! The journal writer: one thread owns the SQLite connection and appends events in order, so no
//! caller (above all the render loop) ever waits on the disk.
//!
//! The rule for actions (README, "No action without its audit event"): an action is taken only
//! after its request is durable in the journal ([`JournalHandle::record_sync`]); when that write
//! fails, the action is refused and the caller says so. The result follows with
//! [`JournalHandle::record`]; if the journal fails then, the result is kept in memory and retried,
//! and whatever is still unwritten when the writer stops goes to a fallback file next to the
//! journal, which the next writer imports first. Nothing is dropped silently.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tokio::sync::watch;

use crate::model::AuditAction;
use crate::store::sqlite::SqliteStore;
use crate::store::{AuditEvent, EventStore, StoreError};

/// The action name of a request: recorded, durably, before the action it names is taken.
pub const REQUESTED: &str = AuditAction::ActionRequested.as_str();

/// Where a synchronous append's answer goes.
type Ack = mpsc::SyncSender<Result<(), String>>;

/// What the writer thread receives.
enum Msg {
    /// Append when possible; keep and retry on failure.
    Record(AuditEvent),
    /// Append now and answer whether it is durable; on failure the event is not kept.
    Sync(AuditEvent, Ack),
    /// Another writer (a lane state transition, `helios hook`) appended: wake the forwarders.
    Nudge,
}

/// Sends events to the journal thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JournalHandle {
    tx: mpsc::Sender<Msg>,
    path: PathBuf,
    appended: watch::Receiver<u64>,
}

impl JournalHandle {
    /// Queue an event for the journal; never blocks. Kept and retried while the disk fails.
    pub fn record(&self, event: AuditEvent) {
        // The thread only ends when every handle is gone (or it panicked, which the console's
        // shutdown reports), so a send cannot fail while we hold one.
        if let Err(e) = self.tx.send(Msg::Record(event)) {
            let Msg::Record(ev) = e.0 else { return };
            tracing::error!(
                event = %ev.id,
                action = %ev.action,
                "journal writer is gone: event not journalled"
            );
        }
    }

    /// Append `event` and wait until it is durable (a blocking call: use it off the render
    /// loop, or for rare explicit actions). The error says why it could not be written.
    pub fn record_sync(&self, event: AuditEvent) -> Result<(), String> {
        let (ack, done) = mpsc::sync_channel(1);
        self.tx
            .send(Msg::Sync(event, ack))
            .map_err(|_| "the journal writer has stopped".to_string())?;
        done.recv()
            .map_err(|_| "the journal writer has stopped".to_string())?
    }

    /// Record that `action` is about to be taken, durably; `Err` means: do not take it.
    pub fn request(
        &self,
        actor: &str,
        repo: &str,
        action: &str,
        lane: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<(), String> {
        self.record_sync(request_event(actor, repo, action, lane, detail))
            .map_err(|e| format!("not done: the audit journal cannot record it ({e})"))
    }

    /// The journal file (the forwarders open their own connection to it).
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Tell the forwarders that events were appended by another connection or process.
    pub fn nudge(&self) {
        // As in `record`: the thread outlives every handle.
        let _ = self.tx.send(Msg::Nudge);
    }

    /// A receiver that changes after every durable append (its value counts events appended by
    /// this process): the forwarders wait on it instead of polling.
    pub fn appended(&self) -> watch::Receiver<u64> {
        self.appended.clone()
    }
}

/// The request event for `action` (the CLI appends it directly, the console through
/// [`JournalHandle::request`]).
pub fn request_event(
    actor: &str,
    repo: &str,
    action: &str,
    lane: Option<&str>,
    detail: &serde_json::Value,
) -> AuditEvent {
    let mut d = serde_json::json!({ "action": action });
    if let (Some(m), Some(extra)) = (d.as_object_mut(), detail.as_object()) {
        for (k, v) in extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    AuditEvent::new(actor, repo, REQUESTED, lane, true, d)
}

/// Where events that could not be journalled wait for the next writer.
pub fn fallback_path(journal: &Path) -> PathBuf {
    journal.with_extension("unjournalled.jsonl")
}

/// Import the fallback file into the journal (skipping events already there), then remove it.
fn import_fallback(store: &mut SqliteStore, journal: &Path) -> Result<usize, StoreError> {
    let path = fallback_path(journal);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(ev) = serde_json::from_str::<AuditEvent>(line) else {
            // A torn last line from a crash mid-write: nothing more can be read from it.
            continue;
        };
        if !store.contains(&ev.id)? {
            store.append(&ev)?;
            n += 1;
        }
    }
    std::fs::remove_file(&path).map_err(|source| StoreError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(n)
}

/// Append events the journal would not take to the fallback file, which the next journal
/// writer imports; the error when even that fails.
pub fn keep_unwritten(journal: &Path, events: &[AuditEvent]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(fallback_path(journal))?;
    let mut text = String::new();
    for e in events {
        text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Open the journal (so open errors surface now, not later) and start its writer thread.
/// `on_append` runs on the writer thread after each event is durable: with `Ok` and the event,
/// or with the error when the append failed (the event is then kept in memory and retried next time).
pub fn spawn(
    path: PathBuf,
    mut on_append: impl FnMut(Result<&AuditEvent, &StoreError>) + Send + 'static,
) -> Result<(JournalHandle, std::thread::JoinHandle<()>), StoreError> {
    let mut store = SqliteStore::open(&path)?;
    // Best effort: a journal that takes no writes now keeps the file for a later writer, and
    // the console still starts (and says why in its status line).
    if let Err(e) = import_fallback(&mut store, &path) {
        on_append(Err(&e));
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    let (appended_tx, appended) = watch::channel(0u64);
    let shown = path.display().to_string();
    let journal = path.clone();
    let join = std::thread::Builder::new()
        .name("helios-journal".into())
        .spawn(move || {
            let mut pending: Vec<AuditEvent> = Vec::new();
            while let Ok(first) = rx.recv() {
                let mut burst = vec![first];
                burst.extend(rx.try_iter());
                // One transaction per burst: one commit instead of one per event.
                let in_tx = store.conn().execute_batch("BEGIN").is_ok();
                let mut kept = Vec::new();
                let mut done = Vec::new();
                let mut acks: Vec<(Ack, Result<(), String>)> = Vec::new();
                let mut nudged = false;
                let queued = pending.drain(..).map(Msg::Record);
                for msg in queued.chain(burst) {
                    match msg {
                        Msg::Nudge => nudged = true,
                        Msg::Record(ev) => match store.append(&ev) {
                            Ok(()) => done.push(ev),
                            Err(e) => {
                                on_append(Err(&e));
                                kept.push(ev);
                            }
                        },
                        Msg::Sync(ev, ack) => match store.append(&ev) {
                            Ok(()) => {
                                done.push(ev);
                                acks.push((ack, Ok(())));
                            }
                            Err(e) => {
                                on_append(Err(&e));
                                acks.push((ack, Err(e.to_string())));
                            }
                        },
                    }
                }
                if in_tx && let Err(source) = store.conn().execute_batch("COMMIT") {
                    let e = StoreError::Sqlite {
                        path: shown.clone(),
                        source,
                    };
                    on_append(Err(&e));
                    if let Err(r) = store.conn().execute_batch("ROLLBACK") {
                        tracing::error!(journal = %shown, "rollback after a failed commit: {r}");
                    }
                    // Requests whose commit failed are refused, not kept: their action is not taken.
                    let refused: Vec<String> = done
                        .iter()
                        .filter(|ev| ev.action == REQUESTED)
                        .map(|ev| ev.id.clone())
                        .collect();
                    kept.extend(done.drain(..).filter(|ev| !refused.contains(&ev.id)));
                    for (_, r) in &mut acks {
                        if r.is_ok() {
                            *r = Err(e.to_string());
                        }
                    }
                }
                for (ack, r) in acks {
                    // The caller may have given up waiting; the event's fate is already decided.
                    let _ = ack.send(r);
                }
                for ev in &done {
                    on_append(Ok(ev));
                }
                let n = done.len() as u64;
                if n > 0 {
                    crate::telemetry::journalled(n);
                }
                if n > 0 || nudged {
                    // `send_modify` wakes the forwarders even when only another writer appended.
                    appended_tx.send_modify(|c| *c += n);
                }
                pending = kept;
                if !pending.is_empty() {
                    // Don't spin on a disk that keeps failing: retry with the next event.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
            if !pending.is_empty()
                && let Err(e) = keep_unwritten(&journal, &pending)
            {
                eprintln!(
                    "helios: {} audit events could not be written to {} nor to {}: {e}",
                    pending.len(),
                    journal.display(),
                    fallback_path(&journal).display()
                );
            }
        })
        .map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
    Ok((JournalHandle { tx, path, appended }, join))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn unwritten_events_are_imported_once_by_the_next_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("helios.db");
        let ev = AuditEvent::new(
            "t@h",
            "r",
            AuditAction::LaneCreated.as_str(),
            Some("x"),
            true,
            serde_json::json!({}),
        );
        keep_unwritten(&path, std::slice::from_ref(&ev)).unwrap();
        // A torn last line from a crash mid-write is skipped, not fatal.
        std::fs::OpenOptions::new()
            .append(true)
            .open(fallback_path(&path))
            .and_then(|mut f| f.write_all(b"{\"id\":"))
            .unwrap();
        let (handle, join) = spawn(path.clone(), |_| {}).unwrap();
        handle
            .record_sync(AuditEvent::new(
                "t@h",
                "r",
                "x.y",
                None,
                true,
                serde_json::json!({}),
            ))
            .unwrap();
        drop(handle);
        join.join().unwrap();
        assert!(!fallback_path(&path).exists());
        let store = SqliteStore::open(&path).unwrap();
        assert!(store.contains(&ev.id).unwrap());
        // Importing again (a file restored by hand) adds no duplicate.
        keep_unwritten(&path, std::slice::from_ref(&ev)).unwrap();
        let (handle, join) = spawn(path.clone(), |_| {}).unwrap();
        drop(handle);
        join.join().unwrap();
        let all = store.query(&crate::store::EventQuery::default()).unwrap();
        assert_eq!(all.iter().filter(|e| e.id == ev.id).count(), 1);
    }
}
