//! The audit event: what every action records, the journal keeps and the sinks receive.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// Whether the action an event records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventResult {
    /// It worked.
    Ok,
    /// It failed; the detail says why.
    Error,
}

/// One auditable action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// ULID: sortable by time, unique.
    pub id: String,
    /// UTC time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it (`user@host`, or `helios` for automatic actions).
    pub actor: String,
    /// The repository's short name.
    pub repo: String,
    /// Dotted action name, like `lane.created`.
    pub action: String,
    /// The lane, when the action concerns one.
    pub lane: Option<String>,
    /// Whether it worked.
    pub result: EventResult,
    /// Anything else, as JSON.
    pub detail: Value,
}

impl AuditEvent {
    /// A new event stamped now with a fresh ULID.
    pub fn new(
        actor: &str,
        repo: &str,
        action: &str,
        lane: Option<&str>,
        ok: bool,
        detail: Value,
    ) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            at: OffsetDateTime::now_utc(),
            actor: actor.to_string(),
            repo: repo.to_string(),
            action: action.to_string(),
            lane: lane.map(str::to_string),
            result: if ok {
                EventResult::Ok
            } else {
                EventResult::Error
            },
            detail,
        }
    }
}

/// Which events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this lane.
    pub lane: Option<String>,
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events after this id (for following).
    pub after_id: Option<String>,
    /// At most this many (the newest).
    pub limit: Option<usize>,
}
