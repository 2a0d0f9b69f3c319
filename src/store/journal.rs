//! The journal writer: one thread owns the SQLite connection and appends events in order, so no
//! caller (above all the render loop) ever waits on the disk.

use std::path::PathBuf;
use std::sync::mpsc;

use tokio::sync::watch;

use crate::store::sqlite::SqliteStore;
use crate::store::{AuditEvent, EventStore, StoreError};

/// Sends events to the journal thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JournalHandle {
    tx: mpsc::Sender<AuditEvent>,
    path: PathBuf,
    appended: watch::Receiver<u64>,
}

impl JournalHandle {
    /// Queue an event for the journal; never blocks.
    pub fn record(&self, event: AuditEvent) {
        // The thread only ends when every handle is gone, so a send cannot fail while we hold one.
        let _ = self.tx.send(event);
    }

    /// The journal file (the forwarders open their own connection to it).
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A receiver that changes after every durable append (its value counts events appended by
    /// this process): the forwarders wait on it instead of polling.
    pub fn appended(&self) -> watch::Receiver<u64> {
        self.appended.clone()
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
    let (appended_tx, appended) = watch::channel(0u64);
    let shown = path.display().to_string();
    let join = std::thread::Builder::new()
        .name("helios-journal".into())
        .spawn(move || {
            let mut pending: Vec<AuditEvent> = Vec::new();
            while let Ok(ev) = rx.recv() {
                pending.push(ev);
                pending.extend(rx.try_iter());
                // One transaction per burst: one commit instead of one per event.
                let in_tx = store.conn().execute_batch("BEGIN").is_ok();
                let mut kept = Vec::new();
                let mut done = Vec::new();
                for ev in pending.drain(..) {
                    match store.append(&ev) {
                        Ok(()) => done.push(ev),
                        Err(e) => {
                            on_append(Err(&e));
                            kept.push(ev);
                        }
                    }
                }
                if in_tx && let Err(source) = store.conn().execute_batch("COMMIT") {
                    let e = StoreError::Sqlite {
                        path: shown.clone(),
                        source,
                    };
                    on_append(Err(&e));
                    let _ = store.conn().execute_batch("ROLLBACK");
                    kept.append(&mut done);
                }
                for ev in &done {
                    on_append(Ok(ev));
                }
                let n = done.len() as u64;
                if n > 0 {
                    crate::telemetry::journalled(n);
                    appended_tx.send_modify(|c| *c += n);
                }
                pending = kept;
                if !pending.is_empty() {
                    // Don't spin on a disk that keeps failing: retry with the next event.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        })
        .map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
    Ok((JournalHandle { tx, path, appended }, join))
}
