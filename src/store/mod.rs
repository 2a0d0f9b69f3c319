//! The audit event and the stores that keep it: the local SQLite journal always, NATS and
//! PostgreSQL as forwarded sinks.

pub mod journal;
pub mod lane_state;
pub mod outbox;
pub mod sqlite;
pub mod wake;

pub use crate::model::audit::{AuditEvent, EventQuery, EventResult};

/// Errors from any event store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite journal failed.
    #[error("event journal {path}: {source}; check the file's permissions or move it aside")]
    Sqlite {
        /// The journal file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The journal directory could not be made.
    #[error("event journal directory {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A stored event could not be decoded.
    #[error("event journal {path}: event {id} is corrupt: {reason}")]
    Corrupt {
        /// The journal file.
        path: String,
        /// The event id.
        id: String,
        /// What was wrong.
        reason: String,
    },
}

/// Somewhere events are appended and read back.
pub trait EventStore: Send {
    /// Append one event. Durable when this returns.
    fn append(&mut self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Read events in journal order (oldest first).
    fn query(&self, query: &EventQuery) -> Result<Vec<AuditEvent>, StoreError>;
}
