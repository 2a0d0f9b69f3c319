//! `helios layout write`: render a zellij layout for the repo's lanes and write it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::commands::Context;
use crate::integrations::zellij::layout;
use crate::lanes::{self, LaneInfo};

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

/// `helios layout write [--template T] [--out FILE|-] [--lane LABEL]`.
pub fn write(
    ctx: &Context,
    template: &str,
    out: Option<PathBuf>,
    lane: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let repo = ctx.repo()?;
    let lanes = lanes::discover(&repo.path)?;
    let out = out.unwrap_or_else(|| default_out(&repo.name));
    let file_name = out.display().to_string();
    let text = render_for(ctx, template, &lanes, &[], lane, &file_name)?;
    write_out(&out, &text)?;
    if out != Path::new("-") {
        crate::commands::warn(format_args!(
            "wrote {} ({} lane{}, template {template}); open it with: zellij -n {}",
            out.display(),
            lanes.len(),
            if lanes.len() == 1 { "" } else { "s" },
            out.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
