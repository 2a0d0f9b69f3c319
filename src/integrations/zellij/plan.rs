//! Planning `helios zellij` and the `L` key: write the repo's layout, add new lanes to an
//! existing session, and say what to run (attach or create). Shared by the CLI and the
//! console's share task.

use std::path::{Path, PathBuf};

use crate::config::Context;
use crate::config::flags::GlobalArgs;
use crate::integrations::zellij::{inside_zellij, layout, session};
use crate::lanes;
use crate::model::LaneInfo;

/// `$XDG_CONFIG_HOME/helios/layouts/<repo>.kdl`.
pub fn default_out(repo: &str) -> PathBuf {
    crate::config::paths::config_dir()
        .join("layouts")
        .join(format!("{repo}.kdl"))
}

/// The helios pane's argv: this binary, pointed at the repo, in compact mode, with the flags
/// this helios was given (so the pane watches the same NATS, Temporal and config). A URL that
/// carries a password or token is left out: the layout is a file on disk; it is named in the
/// second value so the caller can say so.
pub fn helios_argv(repo: &Path, flags: &GlobalArgs) -> (Vec<String>, Vec<&'static str>) {
    let exe =
        std::env::current_exe().map_or_else(|_| "helios".to_string(), |p| p.display().to_string());
    let mut argv = vec![exe, "--repo".into(), repo.display().to_string()];
    let mut withheld = Vec::new();
    // Absolute: the pane starts in the repo, not where this helios was started.
    let path = |p: &Option<PathBuf>| {
        p.as_ref().map(|p| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
    };
    let given: [(&'static str, Option<String>, bool); 10] = [
        ("--config", path(&flags.config), false),
        ("--theme", flags.theme.clone(), false),
        ("--keymap", flags.keymap.clone(), false),
        ("--nats", flags.nats.clone(), true),
        ("--nats-creds", path(&flags.nats_creds), false),
        ("--nats-monitor", flags.nats_monitor.clone(), true),
        ("--postgres", flags.postgres.clone(), true),
        ("--temporal", flags.temporal.clone(), true),
        ("--namespace", flags.namespace.clone(), false),
        ("--log-file", path(&flags.log_file), false),
    ];
    for (flag, value, url) in given {
        let Some(v) = value else { continue };
        if url && crate::config::secrets::redact_url(&v) != v {
            withheld.push(flag);
            continue;
        }
        argv.push(flag.into());
        argv.push(v);
    }
    argv.push("--compact".into());
    (argv, withheld)
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
    let (helios, _) = helios_argv(&repo.path, &ctx.global);
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

/// Write `text` to the file `out`, creating its directory. (`helios layout write --out -`
/// prints it instead: printing is the commands layer's.)
pub fn write_out(out: &Path, text: &str) -> anyhow::Result<()> {
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

/// What to do with a dead session of the repo's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadChoice {
    /// `zellij attach --force-run-commands`: its panes come back and run again.
    Resurrect,
    /// `zellij delete-session`, then create it afresh with today's lanes.
    Recreate,
    /// Do nothing.
    Cancel,
}

/// Decide and do the non-interactive part for the repo's lanes as discovered, with the
/// attention of their stored lane states (as the console's): write the layout, add new lanes
/// (when `add_new` says yes for the list), and return what to run.
pub fn prepare(
    ctx: &Context,
    template: &str,
    selected: Option<&str>,
    add_new: &mut dyn FnMut(&[String]) -> bool,
    on_dead: &mut dyn FnMut(&str) -> DeadChoice,
) -> anyhow::Result<Plan> {
    let repo = ctx.repo()?;
    let lanes = lanes::discover(&repo.path)?;
    let attention = stored_attention(&lanes);
    prepare_for(
        ctx, template, &lanes, &attention, selected, add_new, on_dead,
    )
}

/// The lanes whose stored state needs a human (waiting, error, done, exited): what the console
/// marks for attention from the same store.
fn stored_attention(lanes: &[LaneInfo]) -> Vec<String> {
    let path = crate::store::sqlite::SqliteStore::default_path();
    let store = match crate::store::sqlite::SqliteStore::open(&path) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("zellij layout without lane states: {e}");
            return Vec::new();
        }
    };
    crate::store::lane_state::states_of(&store, lanes)
        .into_iter()
        .zip(lanes)
        .filter(|(s, _)| s.as_ref().is_some_and(|s| s.status.needs_human()))
        .map(|(_, l)| l.id.to_string())
        .collect()
}

/// `prepare` for a lane set the caller already has (the console passes its own).
pub fn prepare_for(
    ctx: &Context,
    template: &str,
    lanes: &[LaneInfo],
    attention: &[String],
    selected: Option<&str>,
    add_new: &mut dyn FnMut(&[String]) -> bool,
    on_dead: &mut dyn FnMut(&str) -> DeadChoice,
) -> anyhow::Result<Plan> {
    let repo = ctx.repo()?;
    if let Some(l) = selected.filter(|l| !lanes.iter().any(|x| x.id.as_str() == *l)) {
        anyhow::bail!(
            "no lane {} in {}: `helios lane ls` lists them",
            crate::text::escape(l),
            repo.name
        );
    }
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
    let (_, withheld) = helios_argv(&repo.path, &ctx.global);
    let withheld = if withheld.is_empty() {
        String::new()
    } else {
        format!(
            "; the helios pane does not get {} (a URL with a secret is not written to the layout: put it in config.toml)",
            withheld.join(", ")
        )
    };
    let here = std::env::var("ZELLIJ_SESSION_NAME").ok();
    let mut state = session::state(&name)?;
    let mut resurrect = false;
    if state == session::SessionState::Dead {
        if inside_zellij() {
            anyhow::bail!(
                "zellij session {name} exists but is dead: detach first (Ctrl o d), then run helios zellij to resurrect or recreate it"
            );
        }
        match on_dead(&name) {
            DeadChoice::Resurrect => resurrect = true,
            DeadChoice::Recreate => {
                session::delete(&name)?;
                state = session::SessionState::Absent;
            }
            DeadChoice::Cancel => {
                return Ok(Plan {
                    argv: None,
                    added: Vec::new(),
                    message: format!("left the dead zellij session {name} as it is"),
                    session: name,
                });
            }
        }
    }
    if state == session::SessionState::Absent {
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
                "creating zellij session {name} with {} ({} lanes){withheld}",
                out.display(),
                lanes.len()
            ),
            session: name,
        });
    }
    if resurrect {
        // Its panes are the ones it had; lanes new since then are offered on the next run.
        return Ok(Plan {
            argv: Some(session::resurrect_argv(&name)),
            added: Vec::new(),
            message: format!("resurrecting the dead zellij session {name}"),
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
    let message = format!("{message}{withheld}");
    Ok(Plan {
        session: name,
        argv,
        added,
        message,
    })
}
