//! `helios zellij`: attach to the repo's zellij session, or create it with a fresh layout;
//! offer to add lanes that are new since it was made.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use crate::commands::{Context, layout as layout_cmd};
use crate::integrations::zellij::{inside_zellij, session};
use crate::lanes::{self, LaneInfo};
use crate::store::AuditEvent;

/// What `helios zellij` decided to do; the caller runs `argv` (attach or create) when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The session name.
    pub session: String,
    /// The command that attaches to or creates the session, or `None` when nothing is left to
    /// run (inside that very session already).
    pub argv: Option<Vec<String>>,
    /// Lanes added as panes to an existing session.
    pub added: Vec<String>,
    /// One line for the user.
    pub message: String,
}

/// Decide and do the non-interactive part: write the layout, add new lanes (when `add_new`
/// says yes for the list), and return what to run.
pub fn prepare(
    ctx: &Context,
    template: &str,
    selected: Option<&str>,
    add_new: &mut dyn FnMut(&[String]) -> bool,
) -> anyhow::Result<Plan> {
    let repo = ctx.repo()?;
    let lanes = lanes::discover(&repo.path)?;
    prepare_for(ctx, template, &lanes, &[], selected, add_new)
}

/// `prepare` for a lane set the caller already has (the console passes its own).
pub fn prepare_for(
    ctx: &Context,
    template: &str,
    lanes: &[LaneInfo],
    attention: &[String],
    selected: Option<&str>,
    add_new: &mut dyn FnMut(&[String]) -> bool,
) -> anyhow::Result<Plan> {
    let repo = ctx.repo()?;
    let name = session::session_name(&repo.name);
    let out = layout_cmd::default_out(&repo.name);
    let text = layout_cmd::render_for(
        ctx,
        template,
        lanes,
        attention,
        selected,
        &out.display().to_string(),
    )?;
    layout_cmd::write_out(&out, &text)?;
    let here = std::env::var("ZELLIJ_SESSION_NAME").ok();
    if !session::exists(&name)? {
        if inside_zellij() {
            anyhow::bail!(
                "already inside zellij session {}: detach first (Ctrl o d), then run helios zellij to create {name}",
                here.unwrap_or_default()
            );
        }
        session::remember(&name, lanes)?;
        return Ok(Plan {
            argv: Some(session::create_argv(&name, &out)),
            added: Vec::new(),
            message: format!(
                "creating zellij session {name} with {} ({} lanes)",
                out.display(),
                lanes.len()
            ),
            session: name,
        });
    }
    let fresh = session::new_lanes(&name, lanes);
    let labels: Vec<String> = fresh.iter().map(|l| l.id.to_string()).collect();
    let mut added = Vec::new();
    if !fresh.is_empty() && add_new(&labels) {
        for lane in &fresh {
            session::add_lane_pane(&name, lane)?;
            added.push(lane.id.to_string());
        }
        session::remember(&name, lanes)?;
    }
    let argv = if here.as_deref() == Some(name.as_str()) {
        None
    } else if inside_zellij() {
        anyhow::bail!(
            "inside zellij session {}: detach first (Ctrl o d), then run: zellij attach {name}",
            here.unwrap_or_default()
        );
    } else {
        Some(session::attach_argv(&name))
    };
    let message = if added.is_empty() {
        format!("attaching to zellij session {name}")
    } else {
        format!("added {} to zellij session {name}", added.join(", "))
    };
    Ok(Plan {
        session: name,
        argv,
        added,
        message,
    })
}

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
    eprint!(
        "{} new lane(s) since the session was made: {}. Add them as panes? [y/N] ",
        labels.len(),
        crate::text::escape(&labels.join(", "))
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// `helios zellij [--template T] [--lane L] [--yes]`.
pub fn run(
    ctx: &Context,
    template: &str,
    lane: Option<&str>,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let mut decide = |labels: &[String]| yes || ask(labels);
    let plan = prepare(ctx, template, lane, &mut decide)?;
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
        "zellij.open",
        None,
        true,
        serde_json::json!({ "session": plan.session, "added": plan.added }),
    );
    if let Ok(mut store) =
        crate::store::sqlite::SqliteStore::open(&crate::store::sqlite::SqliteStore::default_path())
    {
        let _ = crate::store::EventStore::append(&mut store, &event);
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
