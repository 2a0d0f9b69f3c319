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
    cmd.args([
        "action",
        "new-pane",
        "--name",
        &layout::pane_title(lane),
        "--cwd",
    ])
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
    let what = format!("new-pane for lane {lane}");
    succeeded(run(cmd, &what)?, &what).map(drop)
}

/// Run `zellij action WHAT` (`cmd`), giving up after [`ZELLIJ_TIMEOUT`]: a zellij client can
/// hang on a session that is still starting.
fn run(cmd: &mut Command, what: &str) -> anyhow::Result<std::process::Output> {
    crate::integrations::share::proc::run_with_timeout(cmd, ZELLIJ_TIMEOUT).ok_or_else(|| {
        anyhow::anyhow!(
            "zellij action {what} did not answer within {}s",
            ZELLIJ_TIMEOUT.as_secs()
        )
    })
}

/// `out` if zellij succeeded, else its error as one line.
fn succeeded(out: std::process::Output, what: &str) -> anyhow::Result<std::process::Output> {
    if !out.status.success() {
        anyhow::bail!(
            "zellij action {what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out)
}

/// Focus lane `lane`'s pane in the current zellij session (the pane named after it, as the
/// layouts name them): `zellij action list-panes --json`, then `focus-pane-id`. A lane without
/// a pane gets one (`command` in `cwd`). What was done, for the status line.
pub fn focus_lane_pane(lane: &str, cwd: &Path, command: &[String]) -> anyhow::Result<String> {
    let out = action(&["list-panes", "--json"])?;
    // Layouts and new panes name a lane's pane by its shown title.
    let title = layout::pane_title(lane);
    let Some(id) = pane_named(&String::from_utf8_lossy(&out.stdout), &title) else {
        open_lane_pane(lane, cwd, command)?;
        return Ok(format!("opened {lane} in a new zellij pane"));
    };
    action(&["focus-pane-id", &id])?;
    Ok(format!("focused {lane}'s zellij pane"))
}

/// What zellij 0.45.1 says when its check that the session is alive failed. The check
/// connects to the session's socket and takes anything but the server's `Connected` answer as
/// no session (zellij-utils `assert_socket`); CI saw it once in about forty runs, of a
/// session that was alive.
const NO_SESSION: &str = "There is no active session!";

/// Run `zellij action ARGS` in the current session; its output when it succeeded. Tried once
/// more, a moment later, when zellij found no session alive.
fn action(args: &[&str]) -> anyhow::Result<std::process::Output> {
    let what = args.join(" ");
    let once = || {
        let mut cmd = crate::config::secrets::command("zellij");
        cmd.arg("action").args(args);
        run(&mut cmd, &what)
    };
    let mut out = once()?;
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).trim() == NO_SESSION {
        tracing::info!("zellij action {what}: {NO_SESSION} (trying once more)");
        std::thread::sleep(Duration::from_millis(200));
        out = once()?;
    }
    succeeded(out, &what)
}

/// The id (`terminal_N`) of the terminal pane titled `title` in `list-panes --json` output.
pub fn pane_named(json: &str, title: &str) -> Option<String> {
    let panes: Vec<serde_json::Value> = serde_json::from_str(json).ok()?;
    panes
        .iter()
        .find(|p| p["is_plugin"] == false && p["title"] == title)
        .and_then(|p| p["id"].as_u64())
        .map(|id| format!("terminal_{id}"))
}

/// Whether helios runs inside a zellij session.
pub fn inside_zellij() -> bool {
    std::env::var_os("ZELLIJ").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lane_pane_is_found_by_its_title_among_terminal_panes() {
        let json = r#"[{"id":0,"is_plugin":true,"title":"alpha"},{"id":3,"is_plugin":false,"title":"beta"},{"id":4,"is_plugin":false,"title":"alpha"}]"#;
        assert_eq!(pane_named(json, "alpha").as_deref(), Some("terminal_4"));
        assert_eq!(pane_named(json, "gamma"), None);
        assert_eq!(pane_named("not json", "alpha"), None);
    }

    /// zellij shows `--name` as the pane's title, raw; the command after `--` is data.
    #[test]
    fn a_new_panes_title_carries_no_terminal_controls() {
        let argv = vec![
            "tmux".to_string(),
            "attach".into(),
            "-t".into(),
            "=s\x1b".into(),
        ];
        let cmd = new_pane_command(None, "a\x1b]52;c;aGk=\x07\u{202e}", Path::new("/w"), &argv);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let name = args
            .iter()
            .position(|a| a == "--name")
            .map(|i| &args[i + 1]);
        assert_eq!(
            name.map(String::as_str),
            Some(r"a\x1b]52;c;aGk=\x07\u{202e}")
        );
        assert_eq!(args.last().map(String::as_str), Some("=s\x1b"));
    }
}
