//! `helios wf`: list, show and triage Temporal workflows from the shell. Triage commands go
//! through the same checks as the panel and are recorded as audit events.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::app::temporal::model::{TriageOp, TriageRequest, WorkflowRow, validate_json_input};
use crate::cli::WfArgs;
use crate::commands::{Context, say, warn};
use crate::integrations::temporal::triage::{self, AuditContext};
use crate::integrations::temporal::{TemporalClient, settings};
use crate::store::journal;
use crate::store::sqlite::SqliteStore;
use crate::text;

/// `helios wf ls` prints at most this many workflows.
const LS_LIMIT: usize = 1000;

/// Run a `helios wf` subcommand.
pub fn run(ctx: &Context, args: WfArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(ctx, args))
}

async fn run_async(ctx: &Context, args: WfArgs) -> anyhow::Result<ExitCode> {
    let (id, op) = match args {
        WfArgs::Ls { query, json } => return ls(ctx, query.as_deref().unwrap_or(""), json).await,
        WfArgs::Show { id, json } => return show(ctx, &id, json).await,
        WfArgs::Signal { id, name, input } => {
            let input = validate_json_input(input.as_deref().unwrap_or("")).map_err(|e| {
                anyhow::anyhow!(
                    "{e} (pass --input with valid JSON, like --input '{{\"ok\":true}}')"
                )
            })?;
            (id, TriageOp::Signal { name, input })
        }
        WfArgs::Cancel { id } => (id, TriageOp::Cancel),
        WfArgs::Terminate { id, reason } => (id, TriageOp::Terminate { reason }),
        WfArgs::Reset { id, reason } => (id, TriageOp::Reset { reason }),
    };
    triage_cmd(
        ctx,
        TriageRequest {
            id,
            run_id: None,
            op,
        },
    )
    .await
}

async fn connect(ctx: &Context) -> anyhow::Result<TemporalClient> {
    Ok(TemporalClient::connect(&settings(ctx)).await?)
}

async fn ls(ctx: &Context, query: &str, json: bool) -> anyhow::Result<ExitCode> {
    let c = connect(ctx).await?;
    let mut rows: Vec<WorkflowRow> = Vec::new();
    let mut token = Vec::new();
    loop {
        let (mut page, next) = c.list(query, 500, token).await?;
        rows.append(&mut page);
        if next.is_empty() || rows.len() >= LS_LIMIT {
            break;
        }
        token = next;
    }
    rows.truncate(LS_LIMIT);
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let now = time::OffsetDateTime::now_utc();
    println!(
        "{:<40} {:<20} {:<14} {:<20} {:>10} {:<20} {:>6}",
        "ID", "TYPE", "STATUS", "STARTED (UTC)", "RUN TIME", "QUEUE", "HIST"
    );
    for r in &rows {
        // Ids, types and queues are whatever the workflows were started with.
        say(format_args!(
            "{} {} {:<14} {:<20} {:>10} {} {:>6}",
            text::pad(&r.id, 40),
            text::pad(&r.workflow_type, 20),
            r.status.as_str(),
            r.start_time.map(fmt_utc).unwrap_or_default(),
            r.run_time(now)
                .map(|d| format!("{}s", d.whole_seconds()))
                .unwrap_or_default(),
            text::pad(&r.task_queue, 20),
            r.history_length
        ));
    }
    if rows.len() >= LS_LIMIT {
        eprintln!("helios: showing the first {LS_LIMIT}; narrow with --query");
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(ctx: &Context, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let c = connect(ctx).await?;
    let d = c.describe(id, None).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(ExitCode::SUCCESS);
    }
    let r = &d.row;
    say(format_args!("id          {}", r.id));
    say(format_args!("run         {}", r.run_id));
    say(format_args!("type        {}", r.workflow_type));
    say(format_args!("status      {}", r.status));
    say(format_args!("task queue  {}", r.task_queue));
    say(format_args!(
        "started     {}",
        r.start_time.map(fmt_utc).unwrap_or_default()
    ));
    if let Some(t) = r.close_time {
        say(format_args!("closed      {}", fmt_utc(t)));
    }
    say(format_args!("history     {} events", r.history_length));
    if let Some(l) = &r.lane {
        say(format_args!("lane        {l}"));
    }
    if let Some(p) = &d.parent {
        say(format_args!("parent      {p}"));
    }
    for ch in &d.children {
        say(format_args!("child       {} ({})", ch.id, ch.workflow_type));
    }
    if let Some(f) = &d.failure {
        say(format_args!("failure     {}", f.message));
        for cause in &f.causes {
            say(format_args!("  caused by {cause}"));
        }
        for line in f.stack_trace.lines() {
            say(format_args!("  {line}"));
        }
    }
    for a in &d.pending_activities {
        say(format_args!(
            "activity    {} {} {} attempt {}{}",
            a.id,
            a.activity_type,
            a.state,
            a.attempt,
            a.last_failure
                .as_ref()
                .map(|f| format!(" last failure: {f}"))
                .unwrap_or_default()
        ));
    }
    say("recent events (newest first):");
    for e in &d.recent_events {
        say(format_args!(
            "  {:>5} {} {}",
            e.id,
            e.time.map(fmt_utc).unwrap_or_default(),
            e.kind
        ));
    }
    Ok(ExitCode::SUCCESS)
}

async fn triage_cmd(ctx: &Context, req: TriageRequest) -> anyhow::Result<ExitCode> {
    let cfg = settings(ctx);
    let repo = ctx
        .repo
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let audit = AuditContext::current(&repo);
    let path = SqliteStore::default_path();
    let (handle, writer) = journal::spawn(path.clone(), |r| {
        if let Err(e) = r {
            warn(format_args!(
                "helios: could not record the audit event: {e}"
            ));
        }
    })
    .with_context(|| format!("opening the journal {}", path.display()))?;
    let result = match triage::request(&handle, &audit, &req).await {
        Err(e) => Err(e),
        Ok(()) => match TemporalClient::connect(&cfg).await {
            Ok(c) => triage::run(&c, &req).await,
            Err(e) => Err(e.to_string()),
        },
    };
    triage::record(&handle, &audit, &cfg.namespace, &req, &result);
    drop(handle);
    // Wait for the writer so the audit event is on disk before we exit.
    let _ = writer.join();
    match result {
        Ok(m) => {
            say(m);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            warn(format_args!("helios: {e}"));
            Ok(ExitCode::FAILURE)
        }
    }
}

fn fmt_utc(t: time::OffsetDateTime) -> String {
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
