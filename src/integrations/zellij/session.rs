//! The repo's zellij session `helios-<repo>`: does it exist, which lanes it was made with (a
//! sidecar file), adding new lanes as panes, and the command that attaches to or creates it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::integrations::zellij::layout::lane_command;
use crate::model::LaneInfo;

/// `helios-<repo>`, reduced to characters zellij accepts in a session name.
pub fn session_name(repo: &str) -> String {
    let clean: String = repo
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("helios-{clean}")
}

/// What zellij knows of a session name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// No session of that name.
    Absent,
    /// Running: attach to it.
    Live,
    /// "exists, but is dead" (its server ended; zellij keeps it to resurrect): `zellij attach`
    /// resurrects it, `zellij delete-session` removes it.
    Dead,
}

/// The state of session `name`. `zellij list-sessions -n` prints one session a line, with
/// "EXITED" on the ones that only can be resurrected.
pub fn state(name: &str) -> anyhow::Result<SessionState> {
    require_zellij()?;
    let out = crate::integrations::share::proc::run_with_timeout(
        crate::config::secrets::command("zellij").args(["list-sessions", "--no-formatting"]),
        crate::integrations::zellij::ZELLIJ_TIMEOUT,
    )
    .ok_or_else(|| anyhow::anyhow!("zellij list-sessions did not answer within 10s"))?;
    // zellij exits 1 with "No active zellij sessions found." when there are none.
    Ok(parse_state(&String::from_utf8_lossy(&out.stdout), name))
}

/// `state` from `zellij list-sessions --no-formatting` output.
pub fn parse_state(listing: &str, name: &str) -> SessionState {
    listing
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .map_or(SessionState::Absent, |l| {
            if l.contains("EXITED") {
                SessionState::Dead
            } else {
                SessionState::Live
            }
        })
}

/// Whether a live (not exited) zellij session of that name exists.
pub fn exists(name: &str) -> anyhow::Result<bool> {
    Ok(state(name)? == SessionState::Live)
}

/// zellij on PATH, or the one-line error that says how to install it.
pub fn require_zellij() -> anyhow::Result<()> {
    if crate::integrations::share::proc::which("zellij").is_none() {
        anyhow::bail!(
            "zellij is not on PATH: install zellij 0.45.1 (cargo install --locked zellij@0.45.1)"
        );
    }
    Ok(())
}

/// Delete a dead session so it can be made again (`zellij delete-session NAME`).
pub fn delete(name: &str) -> anyhow::Result<()> {
    let out = crate::integrations::share::proc::run_with_timeout(
        crate::config::secrets::command("zellij").args(["delete-session", name]),
        crate::integrations::zellij::ZELLIJ_TIMEOUT,
    )
    .ok_or_else(|| anyhow::anyhow!("zellij delete-session {name} did not answer within 10s"))?;
    if !out.status.success() {
        anyhow::bail!(
            "zellij delete-session {name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The sidecar that remembers the lane set a session was made (or last extended) with.
pub fn lane_set_file(name: &str) -> PathBuf {
    crate::config::paths::state_dir()
        .join("zellij")
        .join(format!("{name}.lanes.json"))
}

/// The remembered lane set, empty when unknown.
pub fn remembered(name: &str) -> BTreeSet<String> {
    let file = lane_set_file(name);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeSet::new(),
        Err(e) => {
            tracing::warn!(file = %file.display(), "cannot read the session's lane set: {e}");
            return BTreeSet::new();
        }
    };
    serde_json::from_str(&text).unwrap_or_else(|e| {
        tracing::warn!(file = %file.display(), "unreadable lane set, taken as empty: {e}");
        BTreeSet::new()
    })
}

/// Remember `lanes` as the session's lane set.
pub fn remember(name: &str, lanes: &[LaneInfo]) -> anyhow::Result<()> {
    let file = lane_set_file(name);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let set: BTreeSet<&str> = lanes.iter().map(|l| l.id.as_str()).collect();
    std::fs::write(&file, serde_json::to_string(&set)?)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))
}

/// The lanes not in the remembered set.
pub fn new_lanes<'a>(name: &str, lanes: &'a [LaneInfo]) -> Vec<&'a LaneInfo> {
    let known = remembered(name);
    lanes
        .iter()
        .filter(|l| !known.contains(l.id.as_str()))
        .collect()
}

/// Add one lane as a pane of session `name` from outside it:
/// `zellij --session NAME action new-pane --name LABEL --cwd DIR [-- tmux attach -t S]`.
pub fn add_lane_pane(name: &str, lane: &LaneInfo) -> anyhow::Result<()> {
    let argv = lane_command(lane).unwrap_or_default();
    let mut cmd = crate::integrations::zellij::new_pane_command(
        Some(name),
        lane.id.as_str(),
        &lane.worktree,
        &argv,
    );
    crate::integrations::zellij::run_new_pane(&mut cmd, lane.id.as_str())
}

/// The argv that attaches to an existing session.
pub fn attach_argv(name: &str) -> Vec<String> {
    vec!["zellij".into(), "attach".into(), name.into()]
}

/// The argv that resurrects a dead session and runs its panes' commands at once (without
/// `--force-run-commands` each lane pane waits for Enter).
pub fn resurrect_argv(name: &str) -> Vec<String> {
    vec![
        "zellij".into(),
        "attach".into(),
        name.into(),
        "--force-run-commands".into(),
    ]
}

/// The argv that creates the session with a layout: `zellij -s NAME -n LAYOUT`.
pub fn create_argv(name: &str, layout: &Path) -> Vec<String> {
    vec![
        "zellij".into(),
        "-s".into(),
        name.into(),
        "-n".into(),
        layout.display().to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_tells_live_dead_and_absent_apart() {
        let listing = "helios-app [Created 2m ago] \nhelios-old [Created 1h ago] (EXITED - attach to resurrect)\nhelios-app2 [Created 1s ago] \n";
        assert_eq!(parse_state(listing, "helios-app"), SessionState::Live);
        assert_eq!(parse_state(listing, "helios-old"), SessionState::Dead);
        assert_eq!(parse_state(listing, "helios-ap"), SessionState::Absent);
        assert_eq!(parse_state("", "helios-app"), SessionState::Absent);
    }
}
