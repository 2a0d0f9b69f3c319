//! `helios wf`: list, show and triage Temporal workflows from the shell. Triage commands go
//! through the same checks as the panel and are recorded as audit events.

use std::collections::HashMap;
use std::io::IsTerminal as _;
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
    // Which run of each id is current, and running runs' real history length.
    let current = c.fill_live(&mut rows, false).await?;
    if json {
        let out: Vec<LsRow<'_>> = rows
            .iter()
            .map(|row| LsRow {
                row,
                current: is_current(row, &current),
            })
            .collect();
        crate::commands::out(&format!("{}\n", serde_json::to_string_pretty(&out)?));
        return Ok(ExitCode::SUCCESS);
    }
    let width = if std::io::stdout().is_terminal() {
        crossterm::terminal::size()
            .ok()
            .map(|(w, _)| usize::from(w))
    } else {
        std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
    };
    for line in table(&rows, &current, time::OffsetDateTime::now_utc(), width) {
        say(line);
    }
    if rows.len() >= LS_LIMIT {
        crate::commands::tell(format_args!(
            "helios: showing the first {LS_LIMIT}; narrow with --query"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// One `helios wf ls --json` row: the workflow row, and whether this run is its workflow's
/// current run (the one `show`, `signal`, `cancel` and `terminate` act on).
#[derive(serde::Serialize)]
struct LsRow<'a> {
    #[serde(flatten)]
    row: &'a WorkflowRow,
    current: bool,
}

fn is_current(row: &WorkflowRow, current: &HashMap<String, String>) -> bool {
    current.get(&row.id) == Some(&row.run_id)
}

/// The run id as the table shows it: its last 8 characters (Temporal's run ids are UUIDv7,
/// whose first characters are a timestamp that runs started a minute apart share).
fn short_run(run_id: &str) -> &str {
    let hex = run_id.len().saturating_sub(8);
    run_id.get(hex..).unwrap_or(run_id)
}

/// The narrowest the ID column gets on a narrow terminal.
const ID_MIN: usize = 12;
/// The widest the TYPE, QUEUE and LANE columns get (longer names end in `…`).
const NAME_MAX: usize = 24;

/// The `wf ls` table, header first. The ID column is as wide as the longest id; on a terminal
/// of `width` columns it takes what the other columns leave (at least 12) and longer ids end
/// in `…`. Each line is escaped already (outside text: ids, types, queues, lanes).
fn table(
    rows: &[WorkflowRow],
    current: &HashMap<String, String>,
    now: time::OffsetDateTime,
    width: Option<usize>,
) -> Vec<String> {
    let widest = |min: usize, max: usize, f: &dyn Fn(&WorkflowRow) -> &str| {
        rows.iter()
            .map(|r| text::width(&text::escape(f(r))))
            .max()
            .unwrap_or(0)
            .clamp(min, max)
    };
    let lane_w = widest(4, NAME_MAX, &|r| r.lane.as_deref().unwrap_or("-"));
    let type_w = widest(4, NAME_MAX, &|r| &r.workflow_type);
    let queue_w = widest(5, NAME_MAX, &|r| &r.task_queue);
    // RUN (8 + the current mark), STATUS, STARTED, RUN TIME, HIST, and two spaces between.
    let others = 9 + lane_w + type_w + 14 + 19 + 8 + queue_w + 6 + 2 * 8;
    let mut id_w = widest(2, usize::MAX, &|r| &r.id);
    if let Some(w) = width {
        id_w = id_w.min(w.saturating_sub(others).max(ID_MIN));
    }
    let cell = |s: &str, w: usize| text::pad(&text::truncate(&text::escape(s), w), w);
    let mut out = vec![format!(
        "{}  {:<9}  {}  {}  {:<14}  {:<19}  {:>8}  {}  {:>6}",
        cell("ID", id_w),
        "RUN",
        cell("LANE", lane_w),
        cell("TYPE", type_w),
        "STATUS",
        "STARTED (UTC)",
        "RUN TIME",
        cell("QUEUE", queue_w),
        "HIST"
    )];
    for r in rows {
        let mark = if is_current(r, current) { "*" } else { " " };
        out.push(format!(
            "{}  {:<9}  {}  {}  {:<14}  {:<19}  {:>8}  {}  {:>6}",
            cell(&r.id, id_w),
            format!("{}{mark}", short_run(&r.run_id)),
            cell(r.lane.as_deref().unwrap_or("-"), lane_w),
            cell(&r.workflow_type, type_w),
            r.status.as_str(),
            r.start_time.map(fmt_utc).unwrap_or_default(),
            r.run_time(now)
                .map(|d| format!("{}s", d.whole_seconds()))
                .unwrap_or_default(),
            cell(&r.task_queue, queue_w),
            r.history_length
        ));
    }
    out
}

async fn show(ctx: &Context, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let c = connect(ctx).await?;
    let d = c.describe(id, None).await?;
    if json {
        crate::commands::out(&format!("{}\n", serde_json::to_string_pretty(&d)?));
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
    if writer.join().is_err() {
        tracing::error!("the journal writer thread panicked");
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::app::temporal::WfStatus;

    fn row(id: &str, run: &str, status: WfStatus, hist: i64) -> WorkflowRow {
        WorkflowRow {
            id: id.into(),
            run_id: run.into(),
            workflow_type: "Deploy".into(),
            status,
            start_time: None,
            close_time: None,
            task_queue: "q".into(),
            history_length: hist,
            lane: crate::app::temporal::model::lane_of(id, None).map(str::to_string),
        }
    }

    #[test]
    fn runs_are_told_apart_and_the_id_takes_the_spare_width() {
        let id = "feat-login/deploy-01JDQ0ZKJ4W1T3M6J4S1Q2R3XYZ-with-a-long-tail";
        let rows = [
            row(
                id,
                "0192aaaa-0000-7000-8000-00000000beef",
                WfStatus::Running,
                7,
            ),
            row(
                id,
                "0192aaaa-0000-7000-8000-00000000cafe",
                WfStatus::Terminated,
                5,
            ),
        ];
        let current = HashMap::from([(id.to_string(), rows[0].run_id.clone())]);
        let now = time::OffsetDateTime::now_utc();
        let wide = table(&rows, &current, now, None);
        assert!(wide[0].starts_with("ID "), "{}", wide[0]);
        assert!(
            wide[1].contains(&format!("{id}  0000beef*  feat-login  Deploy")),
            "{}",
            wide[1]
        );
        assert!(
            wide[2].contains(&format!("{id}  0000cafe   feat-login")),
            "{}",
            wide[2]
        );
        assert!(wide[1].trim_end().ends_with(" 7"), "{}", wide[1]);
        // Every line is as wide as the header: the columns line up.
        let w = text::width(&wide[0]);
        assert!(wide.iter().all(|l| text::width(l) == w), "{wide:#?}");
        // On an 130-column terminal the ID column takes what the others leave, and no more.
        let narrow = table(&rows, &current, now, Some(130));
        assert!(narrow.iter().all(|l| text::width(l) == 130), "{narrow:#?}");
        assert!(narrow[1].contains("…  0000beef*"), "{}", narrow[1]);
        // Too narrow for the rest: the ID keeps 12 columns.
        let tiny = table(&rows, &current, now, Some(40));
        assert!(
            tiny[1].starts_with("feat-login/…  0000beef*"),
            "{}",
            tiny[1]
        );
    }
}
