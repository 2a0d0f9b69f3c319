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

/// Whether a live (not exited) zellij session of that name exists. `zellij list-sessions -n`
/// prints one session a line, with "EXITED" on the ones that only can be resurrected.
pub fn exists(name: &str) -> anyhow::Result<bool> {
    if crate::integrations::share::proc::which("zellij").is_none() {
        anyhow::bail!(
            "zellij is not on PATH: install zellij 0.45.1 (cargo install --locked zellij@0.45.1)"
        );
    }
    let out = crate::integrations::share::proc::run_with_timeout(
        crate::config::secrets::command("zellij").args(["list-sessions", "--no-formatting"]),
        crate::integrations::zellij::ZELLIJ_TIMEOUT,
    )
    .ok_or_else(|| anyhow::anyhow!("zellij list-sessions did not answer within 10s"))?;
    // zellij exits 1 with "No active zellij sessions found." when there are none.
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name) && !l.contains("EXITED")))
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
