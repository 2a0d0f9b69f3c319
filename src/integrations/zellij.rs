//! zellij: layouts, the repo's session (`helios-<repo>`), and opening lanes as zellij panes.
//! Commands follow zellij 0.45.1's CLI.

pub mod layout;
pub mod plan;
pub mod session;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How long a zellij CLI call may take before helios gives up on it.
pub const ZELLIJ_TIMEOUT: Duration = Duration::from_secs(10);

/// Inside zellij (`ZELLIJ` set): open a lane in a new zellij pane instead of nesting a session.
/// `command` is the argv to run in the pane (for par lanes `tmux attach -t SESSION`); empty
/// opens the default shell. Runs `zellij --session $ZELLIJ_SESSION_NAME action new-pane --name
/// LANE --cwd DIR [-- CMD...]`.
pub fn open_lane_pane(lane: &str, cwd: &Path, command: &[String]) -> anyhow::Result<()> {
    let session = std::env::var("ZELLIJ_SESSION_NAME").ok();
    let mut cmd = new_pane_command(session.as_deref(), lane, cwd, command);
    run_new_pane(&mut cmd, lane)
}

/// The `zellij action new-pane` command that opens `lane` in session `session` (or the
/// current one).
pub fn new_pane_command(
    session: Option<&str>,
    lane: &str,
    cwd: &Path,
    command: &[String],
) -> Command {
    let mut cmd = crate::config::secrets::command("zellij");
    if let Some(s) = session {
        cmd.args(["--session", s]);
    }
    cmd.args(["action", "new-pane", "--name", lane, "--cwd"])
        .arg(cwd);
    if !command.is_empty() {
        cmd.arg("--").args(command);
    }
    cmd
}

/// Run a `new_pane_command`; zellij prints the new pane's id (like `terminal_3`), returned here.
pub fn run_new_pane(cmd: &mut Command, lane: &str) -> anyhow::Result<()> {
    if crate::integrations::share::proc::which("zellij").is_none() {
        anyhow::bail!("cannot open lane {lane} in a zellij pane: zellij is not on PATH");
    }
    // A zellij client can hang on a session that is still starting; never wait forever.
    let out = crate::integrations::share::proc::run_with_timeout(cmd, ZELLIJ_TIMEOUT).ok_or_else(
        || {
            anyhow::anyhow!(
                "zellij action new-pane for lane {lane} did not answer within {}s",
                ZELLIJ_TIMEOUT.as_secs()
            )
        },
    )?;
    if !out.status.success() {
        anyhow::bail!(
            "zellij action new-pane for lane {lane} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Whether helios runs inside a zellij session.
pub fn inside_zellij() -> bool {
    std::env::var_os("ZELLIJ").is_some()
}
