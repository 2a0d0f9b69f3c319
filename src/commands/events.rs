//! `helios events`: read audit events from the local journal, the HELIOS_EVENTS stream or
//! PostgreSQL (table or JSON lines, optionally following), or deliver the journal's backlog.
//! It shows the events of the repo helios works in; `--all`, or no repo, shows every repo's.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;

use crate::cli::{EventSource, EventsArgs};
use crate::commands::Context;
use crate::commands::{tell, warn};
use crate::model::{AuditEvent, EventQuery, EventResult};
use crate::spine::forwarder::{self, Mode, SinkSpec};
use crate::store::sqlite::SqliteStore;
use crate::text;

/// Run `helios events`.
pub fn run(ctx: &Context, args: &EventsArgs) -> anyhow::Result<ExitCode> {
    let since = match &args.since {
        Some(s) => {
            // The parser's own words (`expected number at 0`) are left out: the example says it.
            let d = humantime::parse_duration(s).map_err(|_| {
                super::Usage(format!(
                    "--since {} is not a duration: use one like 10m, 2h or 1d",
                    crate::text::quote(s)
                ))
            })?;
            Some(since(s, d)?)
        }
        None => None,
    };
    let query = EventQuery {
        lane: args.lane.clone(),
        since,
        after_id: None,
        limit: None,
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    if args.deliver {
        return rt.block_on(deliver(ctx, args.follow));
    }
    let repo = repo_of(ctx, args);
    if repo.is_none() && !args.all && !args.json {
        // Outside a repo the table has a REPO column; say why, once, on stderr.
        tell(format_args!(
            "helios: not in a git repository: every repo's events (--repo PATH shows one repo's)"
        ));
    }
    let mut out = Printer::new(args.json, repo.is_none());
    let code = match args.source {
        EventSource::Local => local(&query, repo.as_deref(), args.follow, &mut out),
        EventSource::Nats => rt.block_on(from_nats(
            ctx,
            &query,
            repo.as_deref(),
            args.follow,
            &mut out,
        )),
        EventSource::Postgres => rt.block_on(from_postgres(
            ctx,
            &query,
            repo.as_deref(),
            args.follow,
            &mut out,
        )),
    }?;
    // An empty table is easy to read as "nothing was recorded anywhere": say what was asked.
    if !args.json && !out.header {
        let asked: String = [
            repo.as_ref().map(|r| format!(" of repo {r}")),
            args.lane
                .as_ref()
                .map(|l| format!(" of lane {}", text::escape(l))),
            args.since
                .as_ref()
                .map(|s| format!(" in the last {}", text::escape(s))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let all = if repo.is_some() {
            "; `helios events --all` shows every repo's"
        } else {
            ""
        };
        tell(format_args!("helios: no events{asked}{all}"));
    }
    Ok(code)
}

/// Whose events to show: the short name of the repo helios works in (events record it so),
/// or `None` for every repo's, with `--all` or outside any repo. An explicit `--repo` that is
/// no repo never gets here (`commands::run_with_notice` refuses it).
fn repo_of(ctx: &Context, args: &EventsArgs) -> Option<String> {
    if args.all {
        return None;
    }
    ctx.repo.as_ref().ok().map(|r| r.name.clone())
}

/// Whether `e` is one of the events asked for (`repo` as in [`repo_of`]).
fn wanted(e: &AuditEvent, query: &EventQuery, repo: Option<&str>) -> bool {
    repo.is_none_or(|r| e.repo == r)
        && (query.lane.is_none() || e.lane == query.lane)
        && query.since.is_none_or(|t| e.at >= t)
}

/// The time `d` before now, or an error for a duration that reaches before the year -9999
/// (`12026y`): subtracting it would overflow.
fn since(text: &str, d: std::time::Duration) -> anyhow::Result<time::OffsetDateTime> {
    time::Duration::try_from(d)
        .ok()
        .and_then(|d| time::OffsetDateTime::now_utc().checked_sub(d))
        .ok_or_else(|| {
            super::Usage(format!(
                "--since {} reaches further back than time can be counted; use a duration like 10m, 2h or 30d",
                crate::text::quote(text)
            ))
            .into()
        })
}

/// Prints events as a table or as JSON lines; a closed stdout (`| head`) ends quietly.
struct Printer {
    json: bool,
    /// Whether the table has a REPO column (every repo's events are shown).
    repos: bool,
    /// Whether the table's header (and so a row) was printed.
    header: bool,
}

impl Printer {
    fn new(json: bool, repos: bool) -> Self {
        Self {
            json,
            repos,
            header: false,
        }
    }

    fn print(&mut self, events: &[AuditEvent]) -> anyhow::Result<()> {
        let mut w = std::io::stdout().lock();
        let r = (|| -> std::io::Result<()> {
            for e in events {
                if self.json {
                    writeln!(w, "{}", serde_json::to_string(e).unwrap_or_default())?;
                    continue;
                }
                if !self.header {
                    self.header = true;
                    let repo = if self.repos {
                        format!("{:<16} ", "REPO")
                    } else {
                        String::new()
                    };
                    writeln!(
                        w,
                        "{:<20} {repo}{:<22} {:<16} {:<6} {:<16} DETAIL",
                        "TIME (UTC)", "ACTION", "LANE", "RESULT", "ACTOR"
                    )?;
                }
                writeln!(w, "{}", row(e, self.repos))?;
            }
            w.flush()
        })();
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => other.context("writing to stdout"),
        }
    }
}

/// One human table row, with the event's repo after its time when `repo` is set.
pub fn row(e: &AuditEvent, repo: bool) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let detail = e.detail_text();
    // Every field can come from anyone who publishes to helios.events.>: escaped, and padded
    // by display width so a wide or escaped name does not push the columns out of line.
    let repo = if repo {
        format!("{} ", text::pad(&e.repo, 16))
    } else {
        String::new()
    };
    format!(
        "{:<20} {repo}{} {} {:<6} {} {}",
        e.at.format(&fmt).unwrap_or_default(),
        text::pad(&e.action, 22),
        text::pad(e.lane.as_deref().unwrap_or("-"), 16),
        match e.result {
            EventResult::Ok => "ok",
            EventResult::Error => "error",
        },
        text::pad(&e.actor, 16),
        // A row is a line: a 100 KB text sent is shown by its ends (`--json` has all of it).
        text::escape(&text::clip(&detail, 160, 40))
    )
}

fn local(
    query: &EventQuery,
    repo: Option<&str>,
    follow: bool,
    out: &mut Printer,
) -> anyhow::Result<ExitCode> {
    let path = SqliteStore::default_path();
    let store = SqliteStore::open(&path)?;
    let mut q = query.clone();
    loop {
        let (events, bad) = store.query_lenient_in(&q, repo)?;
        for b in &bad {
            warn(format_args!("helios: {b}; skipped"));
        }
        out.print(&events)?;
        if !follow {
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(last) = events.last() {
            q.after_id = Some(last.id.clone());
        } else if q.after_id.is_none() {
            // Nothing yet: follow from whatever arrives next.
            q.since = Some(time::OffsetDateTime::now_utc());
        }
        // Other processes append to this file; polling is how SQLite readers follow.
        std::thread::sleep(Duration::from_millis(500));
    }
}

async fn from_nats(
    ctx: &Context,
    query: &EventQuery,
    repo: Option<&str>,
    follow: bool,
    out: &mut Printer,
) -> anyhow::Result<ExitCode> {
    use async_nats::jetstream::{self, consumer};
    let cfg = &ctx.config.nats;
    let client = crate::spine::nats::connect(cfg).await?;
    let js = jetstream::new(client);
    let stream = js.get_stream(crate::spine::jetstream::STREAM).await.map_err(|e| {
        anyhow::anyhow!(
            "NATS at {}: stream HELIOS_EVENTS: {e}; nothing was delivered yet (run the console or `helios events --deliver`)",
            crate::config::secrets::redact_url(&cfg.url)
        )
    })?;
    let deliver_policy = match query.since {
        Some(start_time) => consumer::DeliverPolicy::ByStartTime { start_time },
        None => consumer::DeliverPolicy::All,
    };
    let c = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy,
            ..Default::default()
        })
        .await
        .context("creating an ordered consumer on HELIOS_EVENTS")?;
    let mut pending = c.cached_info().num_pending;
    let mut msgs = c.messages().await.context("reading HELIOS_EVENTS")?;
    if pending == 0 && !follow {
        return Ok(ExitCode::SUCCESS);
    }
    while let Some(m) = msgs.next().await {
        let m = m.context("reading HELIOS_EVENTS")?;
        if let Ok(info) = m.info() {
            pending = info.pending;
        }
        match serde_json::from_slice::<AuditEvent>(&m.payload) {
            // The stream's own time is when the event was delivered; filter on the event's.
            Ok(e) if wanted(&e, query, repo) => out.print(&[e])?,
            Ok(_) => {}
            Err(err) => warn(format_args!(
                "helios: {}: not an audit event ({err}); skipped",
                m.subject
            )),
        }
        if pending == 0 && !follow {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn from_postgres(
    ctx: &Context,
    query: &EventQuery,
    repo: Option<&str>,
    follow: bool,
    out: &mut Printer,
) -> anyhow::Result<ExitCode> {
    let url = ctx.config.postgres.url.as_deref().ok_or_else(|| {
        anyhow::anyhow!(
            "--source postgres needs a URL: --postgres URL, HELIOS_POSTGRES_URL or [postgres] url"
        )
    })?;
    let pg = crate::spine::postgres::PgSink::connect_readonly(url).await?;
    let mut q = query.clone();
    loop {
        let events = pg.query(&q).await?;
        // `helios.events` is filtered by lane and time only: the repo is filtered here.
        let shown: Vec<AuditEvent> = events
            .iter()
            .filter(|e| wanted(e, query, repo))
            .cloned()
            .collect();
        out.print(&shown)?;
        if !follow {
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(last) = events.last() {
            q.after_id = Some(last.id.clone());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Deliver the backlog to every configured sink; report per sink on stderr.
async fn deliver(ctx: &Context, follow: bool) -> anyhow::Result<ExitCode> {
    let path = SqliteStore::default_path();
    let specs = SinkSpec::from_config(&ctx.config);
    if specs.is_empty() {
        anyhow::bail!(
            "no sink configured: name a NATS server (--nats URL, NATS_URL or [nats] url; the built-in default is only monitored) or PostgreSQL (--postgres URL, HELIOS_POSTGRES_URL or [postgres] url); [nats] forward = false also turns NATS delivery off"
        );
    }
    // A repo's events go only to the sinks that repo's (trusted) config names.
    let repo = ctx.repo()?.name.clone();
    let mode = if follow { Mode::Follow } else { Mode::Drain };
    let tasks: Vec<_> = specs
        .into_iter()
        .map(|spec| {
            let name = spec.name();
            let report = move |b: crate::app::nats::SinkBacklog| {
                if let Some(e) = b.error {
                    warn(format_args!("helios: {name}: {e} ({} waiting)", b.pending));
                }
            };
            (
                name,
                tokio::spawn(forwarder::run(
                    spec,
                    repo.clone(),
                    path.clone(),
                    None,
                    report,
                    mode,
                )),
            )
        })
        .collect();
    let mut ok = true;
    for (name, t) in tasks {
        match t.await {
            Ok(Ok(n)) => warn(format_args!("helios: {name}: delivered {n} events")),
            Ok(Err(e)) => {
                ok = false;
                warn(format_args!("helios: {name}: {e}"));
            }
            Err(e) => {
                ok = false;
                warn(format_args!("helios: {name}: {e}"));
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_since_beyond_the_calendar_is_an_error_not_a_panic() {
        for s in ["12026y", "300000y", "18446744073709551615s"] {
            let d = humantime::parse_duration(s);
            if let Ok(d) = d {
                assert!(since(s, d).is_err(), "{s}");
            }
        }
        let d = humantime::parse_duration("2h").unwrap_or_default();
        assert!(since("2h", d).is_ok_and(|t| t < time::OffsetDateTime::now_utc()));
    }

    #[test]
    fn rows_escape_every_field_and_keep_columns() {
        let e = AuditEvent::new(
            "me\u{202e}",
            "ré\u{202e}日本",
            "x\x07",
            Some("日本\x1b[2J"),
            true,
            serde_json::json!({"error": "\u{9b}31m"}),
        );
        let r = row(&e, true);
        assert!(!r.chars().any(crate::text::is_unsafe), "{r}");
        let plain = AuditEvent::new("me", "repo", "a", Some("b"), true, serde_json::json!({}));
        // The lane column starts at the same display column whatever the action held.
        let col = |s: &str, field: &str| {
            let at = s.find(field).unwrap_or(0);
            crate::text::width(&s[..at])
        };
        for repo in [false, true] {
            assert_eq!(col(&row(&plain, repo), " ok "), col(&row(&e, repo), " ok "));
        }
    }
}
