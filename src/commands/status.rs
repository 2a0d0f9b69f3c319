//! `helios status [--json]`: one-shot health of lanes, NATS, PostgreSQL, each sink's backlog and
//! Temporal. Exit 0 when everything configured is healthy, 1 otherwise.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::store::forwarder::SinkSpec;
use crate::store::outbox::Outbox;
use crate::store::sqlite::SqliteStore;
use crate::text;

/// Run `helios status`.
pub fn run(ctx: &Context, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let (report, healthy) = rt.block_on(gather(ctx));
    if args.json {
        println!("{report}");
    } else {
        print!("{}", human(&report));
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Everything `helios status` reports, and whether it is all healthy.
pub async fn gather(ctx: &Context) -> (Value, bool) {
    let mut healthy = true;
    let lanes = lanes(ctx);
    let (nats, nats_ok) = nats(ctx).await;
    healthy &= nats_ok;
    let (postgres, pg_ok) = postgres(ctx).await;
    healthy &= pg_ok;
    let (backlog, backlog_ok) = backlog(ctx);
    healthy &= backlog_ok;
    let (temporal, t_ok) = crate::integrations::temporal::status(ctx).await;
    healthy &= t_ok;
    (
        json!({
            "healthy": healthy,
            "lanes": lanes,
            "nats": nats,
            "postgres": postgres,
            "backlog": backlog,
            "temporal": temporal,
        }),
        healthy,
    )
}

/// Lanes of this repo from par's state file. Seam: switch to `crate::lanes` discovery when it
/// lands, so status counts exactly what the console shows.
fn lanes(ctx: &Context) -> Value {
    let Ok(repo) = ctx.repo() else {
        return json!({ "repo": null, "count": 0 });
    };
    let state = crate::config::paths::data_home()
        .join("par")
        .join("global_state.json");
    let text = std::fs::read_to_string(state).ok();
    let parsed: Value = text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let repo_path = repo.path.display().to_string();
    let labels: Vec<String> = parsed
        .get("sessions")
        .and_then(Value::as_object)
        .map(|m| {
            m.values()
                .filter(|s| s.get("repository_path").and_then(Value::as_str) == Some(&repo_path))
                .filter_map(|s| s.get("label").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    json!({ "repo": repo.name, "count": labels.len(), "labels": labels })
}

async fn nats(ctx: &Context) -> (Value, bool) {
    let cfg = &ctx.config.nats;
    let url = crate::config::secrets::redact_url(&cfg.url);
    // The default URL is only tried quietly: unreachable there is not a failure unless the user
    // pointed helios at a server (flag, NATS_URL, config) or gave credentials.
    let configured = cfg.is_configured();
    let client = match crate::integrations::nats::connect(cfg).await {
        Ok(c) => c,
        Err(e) => {
            return (
                json!({ "url": url, "configured": configured, "connected": false, "error": e.to_string() }),
                !configured,
            );
        }
    };
    let mut prev = None;
    match crate::integrations::nats::monitor::snapshot(&client, cfg, None, &mut prev).await {
        Ok(s) => {
            let streams: Vec<Value> = s
                .streams
                .iter()
                .map(|st| json!({ "name": st.name, "subjects": st.subjects, "messages": st.messages, "bytes": st.bytes, "consumers": st.consumers }))
                .collect();
            let js = s.account.as_ref().map(|a| {
                json!({ "memory": a.memory, "max_memory": a.max_memory, "storage": a.storage,
                        "max_storage": a.max_storage, "streams": a.streams, "consumers": a.consumers,
                        "api_errors": a.api_errors })
            });
            let ok = s.account.is_some() || !cfg.forward;
            let mut v = json!({
                "url": url, "connected": true, "server_name": s.server_name, "version": s.version,
                "rtt_us": s.rtt_us, "jetstream": js, "streams": streams,
            });
            if s.account.is_none() {
                v["error"] = json!(format!(
                    "NATS at {url}: JetStream is not enabled; start nats-server with -js"
                ));
            }
            (v, ok)
        }
        Err(e) => (
            json!({ "url": url, "connected": false, "error": e.to_string() }),
            false,
        ),
    }
}

async fn postgres(ctx: &Context) -> (Value, bool) {
    let Some(url) = &ctx.config.postgres.url else {
        return (json!({ "configured": false }), true);
    };
    let target = crate::store::postgres::describe(url);
    let fail = |e: String| {
        (
            json!({ "configured": true, "target": target, "connected": false, "error": e }),
            false,
        )
    };
    let pg = match tokio::time::timeout(
        Duration::from_secs(10),
        crate::store::postgres::PgSink::connect_readonly(url),
    )
    .await
    {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return fail(e.to_string()),
        Err(_) => return fail(format!("PostgreSQL at {target}: timed out")),
    };
    let version = pg.server_version().await.unwrap_or_default();
    match pg.count().await {
        Ok(n) => (
            json!({ "configured": true, "target": target, "connected": true, "version": version, "events": n }),
            true,
        ),
        // Connected, but the table is not there yet (nothing delivered) or not readable.
        Err(e) => (
            json!({ "configured": true, "target": target, "connected": true, "version": version, "events": null, "error": e.to_string() }),
            false,
        ),
    }
}

fn backlog(ctx: &Context) -> (Value, bool) {
    let path = SqliteStore::default_path();
    let specs = SinkSpec::from_config(&ctx.config);
    let ob = match Outbox::open(&path) {
        Ok(o) => o,
        Err(e) => return (json!({ "error": e.to_string() }), false),
    };
    let mut m = serde_json::Map::new();
    let mut ok = true;
    // The backlog of this repo's events: the only ones this repo's sinks receive.
    let repo = ctx
        .repo
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    for s in specs {
        match ob.backlog(&crate::store::forwarder::outbox_key(s.name(), &repo)) {
            Ok(n) => {
                m.insert(s.name().into(), json!(n));
            }
            Err(e) => {
                ok = false;
                m.insert(s.name().into(), json!({ "error": e.to_string() }));
            }
        }
    }
    (Value::Object(m), ok)
}

/// The human form.
fn human(v: &Value) -> String {
    let mut out = String::new();
    // Names, URLs and errors come from servers and par's state file: escaped, one per line.
    let esc = |v: &Value| text::escape(v.as_str().unwrap_or("")).into_owned();
    let val = |v: &Value| text::escape(&v.to_string()).into_owned();
    let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
    let l = &v["lanes"];
    let _ = writeln!(
        out,
        "lanes      {} in {}",
        l["count"],
        text::escape(l["repo"].as_str().unwrap_or("(no repo)"))
    );
    let n = &v["nats"];
    if n["connected"] == true {
        let _ = writeln!(
            out,
            "{} nats     {} ({} {}), rtt {} µs",
            mark(n.get("error").is_none()),
            esc(&n["url"]),
            esc(&n["server_name"]),
            esc(&n["version"]),
            val(&n["rtt_us"])
        );
        if let Some(js) = n["jetstream"].as_object() {
            let _ = writeln!(
                out,
                "           jetstream: storage {} / {}, memory {} / {}, {} streams, {} consumers",
                val(&js["storage"]),
                val(&js["max_storage"]),
                val(&js["memory"]),
                val(&js["max_memory"]),
                val(&js["streams"]),
                val(&js["consumers"])
            );
        }
        for s in n["streams"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "           stream {} {} msgs",
                esc(&s["name"]),
                val(&s["messages"])
            );
        }
    }
    if let Some(err) = n["error"].as_str() {
        let _ = writeln!(out, "{} nats     {}", mark(false), text::escape(err));
    }
    let p = &v["postgres"];
    if p["configured"] == true {
        if p["connected"] == true && p.get("error").is_none() {
            let _ = writeln!(
                out,
                "{} postgres {} (PostgreSQL {}), {} events",
                mark(true),
                esc(&p["target"]),
                esc(&p["version"]),
                val(&p["events"])
            );
        } else {
            let _ = writeln!(out, "{} postgres {}", mark(false), esc(&p["error"]));
        }
    } else {
        out += "     postgres not configured (--postgres / HELIOS_POSTGRES_URL)\n";
    }
    if let Some(b) = v["backlog"].as_object() {
        for (k, n) in b {
            let _ = writeln!(out, "     backlog  {}: {} waiting", text::escape(k), val(n));
        }
    }
    let _ = writeln!(out, "     temporal {}", val(&v["temporal"]));
    out
}
