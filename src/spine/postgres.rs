//! The PostgreSQL sink: table `helios.events`, created by versioned migrations recorded in
//! `helios.schema_migrations`; batched, idempotent inserts (`ON CONFLICT (id) DO NOTHING`).

use tokio_postgres::{Client, NoTls};

use crate::store::{AuditEvent, EventResult};

/// Versioned migrations, applied once each, in order, inside one transaction each.
const MIGRATIONS: &[&str] = &["CREATE TABLE helios.events (
        id TEXT PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
        actor TEXT NOT NULL,
        repo TEXT NOT NULL,
        action TEXT NOT NULL,
        lane TEXT,
        result TEXT NOT NULL,
        detail JSONB NOT NULL,
        received_seq BIGSERIAL NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX events_lane_at ON helios.events (lane, at);
    CREATE INDEX events_at ON helios.events (at);"];

/// Errors from the PostgreSQL sink, each saying where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Could not connect or authenticate.
    #[error("PostgreSQL at {target}: {reason}; check --postgres / HELIOS_POSTGRES_URL")]
    Connect {
        /// host:port/db (no password).
        target: String,
        /// What the server or network said.
        reason: String,
    },
    /// The role may not create or write the schema.
    #[error(
        "PostgreSQL at {target}: permission denied ({reason}); grant the role CREATE on the database, or create schema helios and table helios.events for it"
    )]
    Permission {
        /// host:port/db.
        target: String,
        /// The server's message.
        reason: String,
    },
    /// Any other failure of a statement.
    #[error("PostgreSQL at {target}: {reason}")]
    Query {
        /// host:port/db.
        target: String,
        /// The server's message.
        reason: String,
    },
}

/// A connected sink.
pub struct PgSink {
    client: Client,
    target: String,
}

/// `host:port/db` from a URL, without the password, for messages.
pub fn describe(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(c) => {
            let host = c.get_hosts().first().map_or_else(String::new, |h| match h {
                tokio_postgres::config::Host::Tcp(s) => s.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            });
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!("{host}:{port}/{}", c.get_dbname().unwrap_or("postgres"))
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

fn reason(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        db.message().to_string()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        s
    }
}

impl PgSink {
    /// Connect (no TLS) and run the migrations.
    pub async fn connect(url: &str) -> Result<Self, PgError> {
        let mut sink = Self::connect_readonly(url).await?;
        sink.migrate().await?;
        Ok(sink)
    }

    /// Connect without touching the schema (for reading and status).
    pub async fn connect_readonly(url: &str) -> Result<Self, PgError> {
        let target = describe(url);
        let (client, conn) = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio_postgres::connect(url, NoTls),
        )
        .await
        .map_err(|_| PgError::Connect {
            target: target.clone(),
            reason: "timed out after 10s".into(),
        })?
        .map_err(|e| PgError::Connect {
            target: target.clone(),
            reason: reason(&e),
        })?;
        tokio::spawn(async move {
            // Errors surface on the next query too; the forwarder reconnects then.
            if let Err(e) = conn.await {
                tracing::warn!("PostgreSQL connection ended: {e}");
            }
        });
        Ok(Self { client, target })
    }

    fn classify(&self, e: &tokio_postgres::Error) -> PgError {
        let r = reason(e);
        if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            PgError::Permission {
                target: self.target.clone(),
                reason: r,
            }
        } else {
            PgError::Query {
                target: self.target.clone(),
                reason: r,
            }
        }
    }

    async fn migrate(&mut self) -> Result<(), PgError> {
        let exists = self
            .client
            .query_opt(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'helios'",
                &[],
            )
            .await
            .map_err(|e| self.classify(&e))?
            .is_some();
        if !exists {
            self.client
                .batch_execute("CREATE SCHEMA IF NOT EXISTS helios")
                .await
                .map_err(|e| self.classify(&e))?;
        }
        self.client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS helios.schema_migrations (
                    version INTEGER PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )
            .await
            .map_err(|e| self.classify(&e))?;
        let done: i32 = self
            .client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM helios.schema_migrations",
                &[],
            )
            .await
            .map_err(|e| self.classify(&e))?
            .get(0);
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(done).unwrap_or(0))
        {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let tx = self
                .client
                .transaction()
                .await
                .map_err(|e| PgError::Query {
                    target: self.target.clone(),
                    reason: reason(&e),
                })?;
            // Another helios may migrate at the same moment: serialise on an advisory lock.
            let step = async {
                tx.batch_execute("SELECT pg_advisory_xact_lock(7240021)")
                    .await?;
                let again: Option<tokio_postgres::Row> = tx
                    .query_opt(
                        "SELECT 1 FROM helios.schema_migrations WHERE version = $1",
                        &[&version],
                    )
                    .await?;
                if again.is_none() {
                    tx.batch_execute(sql).await?;
                    tx.execute(
                        "INSERT INTO helios.schema_migrations (version) VALUES ($1)",
                        &[&version],
                    )
                    .await?;
                }
                tx.commit().await
            };
            let res = step.await;
            res.map_err(|e| self.classify(&e))?;
        }
        Ok(())
    }

    /// Insert a batch in order; events already stored (same id) are left alone.
    pub async fn insert(&self, events: &[AuditEvent]) -> Result<u64, PgError> {
        let fmt = &time::format_description::well_known::Rfc3339;
        let mut ids = Vec::with_capacity(events.len());
        let mut ats = Vec::with_capacity(events.len());
        let mut actors = Vec::with_capacity(events.len());
        let mut repos = Vec::with_capacity(events.len());
        let mut actions = Vec::with_capacity(events.len());
        let mut lanes: Vec<Option<String>> = Vec::with_capacity(events.len());
        let mut results = Vec::with_capacity(events.len());
        let mut details = Vec::with_capacity(events.len());
        for e in events {
            ids.push(e.id.clone());
            ats.push(e.at.format(fmt).unwrap_or_default());
            actors.push(e.actor.clone());
            repos.push(e.repo.clone());
            actions.push(e.action.clone());
            lanes.push(e.lane.clone());
            results.push(
                match e.result {
                    EventResult::Ok => "ok",
                    EventResult::Error => "error",
                }
                .to_string(),
            );
            details.push(e.detail.to_string());
        }
        self.client
            .execute(
                "INSERT INTO helios.events (id, at, actor, repo, action, lane, result, detail)
                 SELECT id, at::timestamptz, actor, repo, action, lane, result, detail::jsonb
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $8::text[])
                      WITH ORDINALITY AS t(id, at, actor, repo, action, lane, result, detail, n)
                 ORDER BY n
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &ids, &ats, &actors, &repos, &actions, &lanes, &results, &details,
                ],
            )
            .await
            .map_err(|e| self.classify(&e))
    }

    /// The server's version string, like `15.8`.
    pub async fn server_version(&self) -> Result<String, PgError> {
        let row = self
            .client
            .query_one("SHOW server_version", &[])
            .await
            .map_err(|e| self.classify(&e))?;
        Ok(row.get(0))
    }

    /// How many events the table holds.
    pub async fn count(&self) -> Result<i64, PgError> {
        let row = self
            .client
            .query_one("SELECT count(*) FROM helios.events", &[])
            .await
            .map_err(|e| self.classify(&e))?;
        Ok(row.get(0))
    }

    /// How many events `helios.events` holds, or `None` while helios has not created it (no
    /// event was delivered to this database yet: the first delivery migrates it).
    pub async fn count_if_migrated(&self) -> Result<Option<i64>, PgError> {
        let row = self
            .client
            .query_one("SELECT to_regclass('helios.events') IS NOT NULL", &[])
            .await
            .map_err(|e| self.classify(&e))?;
        if !row.get::<_, bool>(0) {
            return Ok(None);
        }
        self.count().await.map(Some)
    }

    /// Events in insertion order, filtered like `helios events`.
    pub async fn query(&self, q: &crate::store::EventQuery) -> Result<Vec<AuditEvent>, PgError> {
        let since = q.since.map(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        });
        let limit = q
            .limit
            .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = self
            .client
            .query(
                "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                        actor, repo, action, lane, result, detail::text, received_seq FROM (
                   SELECT * FROM helios.events
                   WHERE ($1::text IS NULL OR lane = $1)
                     AND ($2::text IS NULL OR at >= $2::timestamptz)
                     AND ($3::text IS NULL OR received_seq >
                          (SELECT received_seq FROM helios.events WHERE id = $3))
                   ORDER BY received_seq DESC LIMIT $4) t ORDER BY received_seq",
                &[&q.lane, &since, &q.after_id, &limit],
            )
            .await
            .map_err(|e| self.classify(&e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let at: String = r.get(1);
            let result: String = r.get(6);
            let detail: String = r.get(7);
            let Ok(at) =
                time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
            else {
                continue;
            };
            out.push(AuditEvent {
                id: r.get(0),
                at,
                actor: r.get(2),
                repo: r.get(3),
                action: r.get(4),
                lane: r.get(5),
                result: if result == "ok" {
                    EventResult::Ok
                } else {
                    EventResult::Error
                },
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            });
        }
        Ok(out)
    }
}
