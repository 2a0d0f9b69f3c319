//! The journal writer: one thread owns the SQLite connection and appends events in order, so no
//! caller (above all the render loop) ever waits on the disk.

use std::path::PathBuf;
use std::sync::mpsc;

use crate::store::sqlite::SqliteStore;
use crate::store::{AuditEvent, EventStore, StoreError};

/// Sends events to the journal thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JournalHandle {
    tx: mpsc::Sender<AuditEvent>,
}

impl JournalHandle {
    /// Queue an event for the journal; never blocks.
    pub fn record(&self, event: AuditEvent) {
        // The thread only ends when every handle is gone, so a send cannot fail while we hold one.
        let _ = self.tx.send(event);
    }
}

/// Open the journal (so open errors surface now, not later) and start its writer thread.
/// `on_append` runs on the writer thread after each event is durable: with `Ok` and the event,
/// or with the error when the append failed (the event is then kept in memory and retried next time).
pub fn spawn(
    path: PathBuf,
    mut on_append: impl FnMut(Result<&AuditEvent, &StoreError>) + Send + 'static,
) -> Result<(JournalHandle, std::thread::JoinHandle<()>), StoreError> {
    let mut store = SqliteStore::open(&path)?;
    let (tx, rx) = mpsc::channel::<AuditEvent>();
    let join = std::thread::Builder::new()
        .name("helios-journal".into())
        .spawn(move || {
            let mut pending: Vec<AuditEvent> = Vec::new();
            while let Ok(ev) = rx.recv() {
                pending.push(ev);
                pending.extend(rx.try_iter());
                let mut kept = Vec::new();
                for ev in pending.drain(..) {
                    match store.append(&ev) {
                        Ok(()) => on_append(Ok(&ev)),
                        Err(e) => {
                            on_append(Err(&e));
                            kept.push(ev);
                        }
                    }
                }
                pending = kept;
            }
        })
        .map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
    Ok((JournalHandle { tx }, join))
}
