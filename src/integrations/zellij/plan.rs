//! Planning `helios zellij` and the `L` key: write the repo's layout, add new lanes to an
//! existing session, and say what to run (attach or create). Shared by the CLI and the
//! console's share task.

use std::path::{Path, PathBuf};

use crate::config::Context;
use crate::integrations::zellij::{inside_zellij, layout, session};
use crate::lanes;
use crate::model::LaneInfo;

/// `$XDG_CONFIG_HOME/helios/layouts/<repo>.kdl`.
pub fn default_out(repo: &str) -> PathBuf {
    crate::config::paths::config_dir()
        .join("layouts")
        .join(format!("{repo}.kdl"))
}

/// The helios pane's argv: this binary, pointed at the repo, in compact mode.
pub fn helios_argv(repo: &Path) -> Vec<String> {
    let exe =
        std::env::current_exe().map_or_else(|_| "helios".to_string(), |p| p.display().to_string());
    vec![
        exe,
        "--repo".into(),
        repo.display().to_string(),
        "--compact".into(),
    ]
}

/// Render the layout for `lanes` with `template`, checked by zellij's parser.
pub fn render_for(
    ctx: &Context,
    template: &str,
    lanes: &[LaneInfo],
    attention: &[String],
    selected: Option<&str>,
    file_name: &str,
) -> anyhow::Result<String> {
    let repo = ctx.repo()?;
    let tpl = layout::load_template(template)?;
    let helios = helios_argv(&repo.path);
    let input = layout::LayoutInput {
        repo: &repo.name,
        repo_path: &repo.path,
        lanes,
        attention,
        selected,
        helios: &helios,
    };
    Ok(layout::render(&tpl, &input, file_name)?.text)
}

/// Write `text` to `out` (creating its directory), or to stdout for `-`.
pub fn write_out(out: &Path, text: &str) -> anyhow::Result<()> {
    if out == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(out, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))
}

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
    let out = default_out(&repo.name);
    let text = render_for(
        ctx,
        template,
        lanes,
        attention,
        selected,
        &out.display().to_string(),
    )?;
    write_out(&out, &text)?;
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
