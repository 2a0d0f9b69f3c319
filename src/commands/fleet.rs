//! The CLI's view of other machines: `helios lane ls --all-hosts` reads the buckets, and
//! `helios lane new|rm|send --host H` asks H's `helios serve` (journalled here as a request and
//! its answer, and there with this actor).

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use crate::commands::{Context, say};
use crate::integrations::fleet::{self, Snapshot, service};
use crate::model::AuditAction;
use crate::model::fleet::{LaneOp, LaneRequest, freshness};
use crate::store::sqlite::SqliteStore;
use crate::store::{EventStore, journal};
use crate::text;

/// `helios lane ls --all-hosts [--json]`.
pub fn ls_all_hosts(ctx: &Context, as_json: bool) -> anyhow::Result<ExitCode> {
    let cfg = &ctx.config.nats;
    let url = crate::config::secrets::redact_url(&cfg.url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let snap = rt.block_on(async {
        let client = crate::spine::nats::connect(cfg).await?;
        let buckets = fleet::open(&client, &url).await?;
        Ok::<_, anyhow::Error>(fleet::snapshot(&buckets, &url).await?)
    })?;
    write_all_hosts(
        &mut std::io::stdout().lock(),
        &snap,
        time::OffsetDateTime::now_utc(),
        as_json,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The rows of every host, with `stale` and `age_secs` from each host's heartbeat.
pub fn write_all_hosts(
    out: &mut impl Write,
    snap: &Snapshot,
    now: time::OffsetDateTime,
    as_json: bool,
) -> anyhow::Result<()> {
    let fresh =
        |r: &crate::model::fleet::LaneRow| freshness(snap.beats.get(&r.host), &r.updated, now);
    if as_json {
        let rows: Vec<serde_json::Value> = snap
            .rows
            .iter()
            .map(|r| {
                let f = fresh(r);
                let mut v = json!(r);
                if let Some(m) = v.as_object_mut() {
                    m.insert("stale".into(), json!(f.stale));
                    m.insert("age_secs".into(), json!(f.age_secs));
                    m.insert("stale_reason".into(), json!(f.why.map(|w| w.to_string())));
                }
                v
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if snap.rows.is_empty() {
        writeln!(out, "no host publishes a lane yet")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<16} {:<14} {:<18} {:<9} {:<10} {:<8} DATA",
        "HOST", "REPO", "LANE", "TMUX", "STATE", "SINCE"
    )?;
    for r in &snap.rows {
        let f = fresh(r);
        let age = if f.age_secs == u64::MAX {
            "unknown age".to_string()
        } else {
            format!("{} old", crate::ui::age(f.age_secs))
        };
        let data = if f.why == Some(crate::model::fleet::StaleReason::Stopped) {
            format!("SERVE STOPPED, {age}")
        } else if f.stale {
            format!("STALE, {age}")
        } else {
            age
        };
        let since = r
            .state_since
            .as_deref()
            .and_then(crate::model::fleet::parse_time)
            .map_or_else(String::new, |t| {
                crate::ui::age(u64::try_from((now - t).whole_seconds()).unwrap_or(0))
            });
        writeln!(
            out,
            "{}",
            text::escape(&format!(
                "{:<16} {:<14} {:<18} {:<9} {:<10} {:<8} {data}",
                r.host,
                r.repo,
                r.label,
                crate::model::lane::tmux_word(&r.status),
                r.state.as_deref().unwrap_or("-"),
                since,
            ))
        )?;
    }
    Ok(())
}

/// `helios lane new|rm|send --host HOST`: journal the request, ask the host, journal its answer,
/// and exit with what really happened there.
pub fn ask(
    ctx: &Context,
    host: &str,
    repo: &str,
    label: &str,
    op: LaneOp,
) -> anyhow::Result<ExitCode> {
    let action = match op {
        LaneOp::New { .. } => AuditAction::LaneCreated,
        LaneOp::Rm { .. } => AuditAction::LaneRemoved,
        LaneOp::Send { .. } => AuditAction::LaneTextSent,
    };
    let actor = crate::config::actor::actor();
    let mut store = SqliteStore::open(&SqliteStore::default_path())?;
    let req_ev = journal::request_event(
        &actor,
        repo,
        action.as_str(),
        Some(label),
        &json!({ "host": host, "via": "nats" }),
    );
    if let Err(e) = store.append(&req_ev) {
        anyhow::bail!(
            "{action} {label} on {host} not asked: the audit journal cannot record it ({e}); nothing was changed"
        );
    }
    let req = LaneRequest {
        actor: actor.clone(),
        repo: repo.to_string(),
        label: label.to_string(),
        op,
    };
    let cfg = &ctx.config.nats;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let answer = rt.block_on(async {
        let (client, mut errors) = crate::spine::nats::connect_reporting(cfg)
            .await
            .map_err(|e| e.to_string())?;
        service::ask(&client, &mut errors, host, &req, service::ASK_TIMEOUT)
            .await
            .map_err(|e| e.to_string())
    });
    let (ok, detail) = match &answer {
        Ok(r) => (
            r.ok,
            json!({ "host": host, "via": "nats", "answer": r.message }),
        ),
        Err(e) => (false, json!({ "host": host, "via": "nats", "error": e })),
    };
    let ev = crate::model::AuditEvent::new(&actor, repo, action.as_str(), Some(label), ok, detail);
    if let Err(e) = store.append(&ev) {
        tracing::error!("journalling the answer of {host}: {e}");
        journal::keep_unwritten(store.path(), std::slice::from_ref(&ev)).map_err(|k| {
            anyhow::anyhow!("the answer of {host} could not be journalled ({e}) nor kept ({k})")
        })?;
    }
    match answer {
        Ok(r) if r.ok => {
            say(&r.message);
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => anyhow::bail!("{}", r.message),
        Err(e) => anyhow::bail!("{e}"),
    }
}
