//! `helios layout write`: render a zellij layout for the repo's lanes and write it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::commands::Context;
use crate::lanes;

pub use crate::integrations::zellij::plan::{default_out, helios_argv, render_for, write_out};

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
    // `-` is stdout: through `out`, which ends quietly when the reader has gone (`| head`).
    if out == Path::new("-") {
        crate::commands::out(&text);
    } else {
        write_out(&out, &text)?;
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
