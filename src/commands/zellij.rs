//! `helios zellij`: attach to the repo's zellij session, or create it with a fresh layout;
//! offer to add lanes that are new since it was made.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::commands::Context;
use crate::model::AuditAction;
use crate::model::AuditEvent;

pub use crate::integrations::zellij::plan::{DeadChoice, Plan, prepare, prepare_for};

/// Ask on the terminal whether to add the new lanes.
fn ask(labels: &[String]) -> bool {
    if !std::io::stdin().is_terminal() {
        crate::commands::warn(format_args!(
            "{} lane(s) new since the session was made ({}); pass --yes to add them as panes",
            labels.len(),
            labels.join(", ")
        ));
        return false;
    }
    let answer = crate::commands::ask(format_args!(
        "{} new lane(s) since the session was made: {}. Add them as panes? [y/N] ",
        labels.len(),
        labels.join(", ")
    ));
    matches!(answer.as_str(), "y" | "Y" | "yes")
}

/// Ask on the terminal what to do with the dead session: resurrect (default), delete and
/// recreate, or nothing. Without a terminal: resurrect, or recreate with `--recreate`.
fn ask_dead(name: &str, recreate: bool) -> DeadChoice {
    if recreate {
        return DeadChoice::Recreate;
    }
    if !std::io::stdin().is_terminal() {
        crate::commands::warn(format_args!(
            "zellij session {name} exists but is dead: resurrecting it (--recreate deletes it and makes it afresh)"
        ));
        return DeadChoice::Resurrect;
    }
    let answer = crate::commands::ask(format_args!(
        "zellij session {name} exists but is dead. [r]esurrect it, [d]elete it and create it afresh, or [n]othing? [R/d/n] "
    ));
    match answer.as_str() {
        "d" | "D" => DeadChoice::Recreate,
        "n" | "N" => DeadChoice::Cancel,
        _ => DeadChoice::Resurrect,
    }
}

/// `helios zellij [--template T] [--lane L] [--yes] [--recreate]`.
pub fn run(
    ctx: &Context,
    template: &str,
    lane: Option<&str>,
    yes: bool,
    recreate: bool,
) -> anyhow::Result<ExitCode> {
    let mut decide = |labels: &[String]| yes || ask(labels);
    let mut dead = |name: &str| ask_dead(name, recreate);
    let plan = prepare(ctx, template, lane, &mut decide, &mut dead)?;
    record(ctx, &plan);
    crate::commands::warn(&plan.message);
    let Some(argv) = plan.argv else {
        return Ok(ExitCode::SUCCESS);
    };
    exec(&argv)
}

fn record(ctx: &Context, plan: &Plan) {
    let Ok(repo) = ctx.repo() else { return };
    let event = AuditEvent::new(
        &crate::config::actor::actor(),
        &repo.name,
        AuditAction::ZellijOpen.as_str(),
        None,
        true,
        serde_json::json!({ "session": plan.session, "added": plan.added }),
    );
    let appended =
        crate::store::sqlite::SqliteStore::open(&crate::store::sqlite::SqliteStore::default_path())
            .and_then(|mut store| crate::store::EventStore::append(&mut store, &event));
    if let Err(e) = appended {
        tracing::error!(session = %plan.session, "zellij.open not journalled: {e}");
        super::warn(format_args!(
            "helios: the zellij.open audit event was not journalled: {e}"
        ));
    }
}

/// Replace this process with `argv` (zellij owns the terminal from here).
fn exec(argv: &[String]) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let Some((program, rest)) = argv.split_first() else {
        return Ok(ExitCode::SUCCESS);
    };
    let err = crate::config::secrets::command(program).args(rest).exec();
    anyhow::bail!(
        "cannot run {}: {err}; is zellij 0.45.1 on PATH?",
        argv.join(" ")
    )
}
