//! zellij: layouts, the repo's session (`helios-<repo>`), and opening lanes as zellij panes.
//! Commands follow zellij 0.45.1's CLI.

pub mod lanes;
pub mod layout;
pub mod session;

use std::path::Path;
use std::process::Command;

/// Inside zellij (`ZELLIJ` set): open a lane in a new zellij pane instead of nesting a session.
/// `command` is the argv to run in the pane (for par lanes `tmux attach -t SESSION`); empty
/// opens the default shell. Runs `zellij action new-pane --name LANE --cwd DIR [-- CMD...]`
/// against the current session (`ZELLIJ_SESSION_NAME`).
pub fn open_lane_pane(lane: &str, cwd: &Path, command: &[String]) -> anyhow::Result<()> {
    let mut cmd = Command::new("zellij");
    if let Ok(session) = std::env::var("ZELLIJ_SESSION_NAME") {
        cmd.args(["--session", &session]);
    }
    cmd.args(["action", "new-pane", "--name", lane, "--cwd"])
        .arg(cwd);
    if !command.is_empty() {
        cmd.arg("--").args(command);
    }
    let out = cmd.output().map_err(|e| {
        anyhow::anyhow!("cannot run zellij to open lane {lane} in a pane: {e}; is zellij on PATH?")
    })?;
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
