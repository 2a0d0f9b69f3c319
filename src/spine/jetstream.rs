//! The JetStream sink: stream `HELIOS_EVENTS` (created when missing, checked when present) and
//! acknowledged, deduplicated publishes (`Nats-Msg-Id` = event id).

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::config::NatsConfig;
use crate::model::AuditEvent;
use crate::spine::nats::NatsError;

/// The stream every helios publishes to.
pub const STREAM: &str = "HELIOS_EVENTS";
/// The subjects it captures.
pub const SUBJECTS: &str = "helios.events.>";

/// Make one subject token: no dots, wildcards, spaces or control characters; never empty.
pub fn token(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if t.is_empty() { "_".into() } else { t }
}

/// `helios.events.<repo>.<lane or _>.<action tokens>`: the action's dots stay as levels so
/// `helios.events.*.*.lane.>` selects every lane action.
pub fn subject(e: &AuditEvent) -> String {
    let action: Vec<String> = e.action.split('.').map(token).collect();
    format!(
        "helios.events.{}.{}.{}",
        token(&e.repo),
        e.lane.as_deref().map_or_else(|| "_".into(), token),
        action.join(".")
    )
}

/// A JetStream context with the stream checked.
pub struct NatsSink {
    js: jetstream::Context,
    url: String,
}

/// Find or create `HELIOS_EVENTS`; refuse (with a clear error) a stream with other subjects.
pub async fn ensure_stream(
    js: &jetstream::Context,
    cfg: &NatsConfig,
) -> Result<stream::Info, NatsError> {
    match js.get_stream(STREAM).await {
        Ok(mut s) => {
            let info = s.info().await.map_err(|e| NatsError::JetStream {
                url: crate::config::secrets::redact_url(&cfg.url),
                reason: e.to_string(),
            })?;
            let subjects = info.config.subjects.clone();
            if subjects != [SUBJECTS] {
                return Err(NatsError::StreamMismatch {
                    url: crate::config::secrets::redact_url(&cfg.url),
                    subjects,
                });
            }
            Ok(info.clone())
        }
        Err(e)
            if matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j)
                if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND) =>
        {
            let max_age = humantime::parse_duration(&cfg.stream_max_age).map_err(|e| {
                NatsError::Config(format!(
                    "[nats] stream_max_age {}: {e}; use a duration like 30d",
                    crate::text::quote(&cfg.stream_max_age)
                ))
            })?;
            let config = stream::Config {
                name: STREAM.into(),
                subjects: vec![SUBJECTS.into()],
                max_age,
                max_bytes: cfg.stream_max_bytes,
                duplicate_window: Duration::from_secs(cfg.duplicate_window_secs),
                storage: stream::StorageType::File,
                ..Default::default()
            };
            js.create_stream(config)
                .await
                .map(|s| s.cached_info().clone())
                .map_err(|e| NatsError::JetStream {
                    url: crate::config::secrets::redact_url(&cfg.url),
                    reason: format!("creating stream {STREAM}: {e}"),
                })
        }
        Err(e) => Err(NatsError::JetStream {
            url: crate::config::secrets::redact_url(&cfg.url),
            reason: format!("looking up stream {STREAM}: {e}; is JetStream enabled (-js)?"),
        }),
    }
}

impl NatsSink {
    /// Check (or create) the stream on a connected client.
    pub async fn open(client: async_nats::Client, cfg: &NatsConfig) -> Result<Self, NatsError> {
        let js = jetstream::new(client);
        ensure_stream(&js, cfg).await?;
        Ok(Self {
            js,
            url: crate::config::secrets::redact_url(&cfg.url),
        })
    }

    /// Whether the connection is still the one opened (it never reconnects by itself, see
    /// [`crate::spine::nats::connect_once`]).
    pub fn connected(&self) -> bool {
        self.js.client().connection_state() == async_nats::connection::State::Connected
    }

    /// The id of the newest event of `repo` the stream holds (what a previous run already
    /// delivered, even if its outbox mark was lost in a crash), or `None`.
    pub async fn last_delivered(&self, repo: &str) -> Option<String> {
        let stream = self
            .js
            .get_stream(STREAM)
            .await
            .map_err(|e| tracing::warn!(url = %self.url, "stream {STREAM} not readable: {e}"))
            .ok()?;
        let subject = format!("helios.events.{}.>", token(repo));
        // No message on the subject yet is the normal start, not worth a warning.
        let msg = stream
            .get_last_raw_message_by_subject(&subject)
            .await
            .map_err(|e| tracing::debug!(url = %self.url, subject, "no last event: {e}"))
            .ok()?;
        let event: AuditEvent = serde_json::from_slice(&msg.payload)
            .map_err(|e| {
                tracing::warn!(url = %self.url, subject, "the stream's last event is unreadable: {e}");
            })
            .ok()?;
        Some(event.id)
    }

    /// Publish in order; all publishes are sent before the acks are awaited (pipelined).
    /// Returns how many of the first events were acknowledged, and the error that stopped the rest.
    pub async fn publish(&self, events: &[AuditEvent]) -> (usize, Option<String>) {
        let (n, err) = self.publish_inner(events).await;
        (
            n,
            err.map(|e| {
                format!(
                    "NATS at {}: publish to {STREAM} not acknowledged: {e}",
                    self.url
                )
            }),
        )
    }

    async fn publish_inner(&self, events: &[AuditEvent]) -> (usize, Option<String>) {
        let mut acks = Vec::with_capacity(events.len());
        for e in events {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", e.id.as_str());
            // An event that cannot be encoded is never published as an empty message.
            let payload = match serde_json::to_vec(e) {
                Ok(p) => p,
                Err(err) => {
                    let n = await_acks(acks).await.0;
                    return (n, Some(format!("event {} cannot be encoded: {err}", e.id)));
                }
            };
            match self
                .js
                .publish_with_headers(subject(e), headers, payload.into())
                .await
            {
                Ok(f) => acks.push(f),
                Err(err) => {
                    // Await what was already sent so their acks still count.
                    let n = await_acks(acks).await.0;
                    return (n, Some(err.to_string()));
                }
            }
        }
        await_acks(acks).await
    }
}

async fn await_acks(acks: Vec<jetstream::context::PublishAckFuture>) -> (usize, Option<String>) {
    let mut n = 0;
    for f in acks {
        match f.await {
            Ok(_) => n += 1,
            Err(e) => return (n, Some(e.to_string())),
        }
    }
    (n, None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn subjects_are_safe() {
        let mut e = AuditEvent::new(
            "a",
            "my.repo",
            crate::model::AuditAction::LaneCreated.as_str(),
            Some("feat x*"),
            true,
            serde_json::json!({}),
        );
        assert_eq!(subject(&e), "helios.events.my_repo.feat_x_.lane.created");
        e.lane = None;
        e.repo = String::new();
        assert_eq!(subject(&e), "helios.events._._.lane.created");
    }
}
