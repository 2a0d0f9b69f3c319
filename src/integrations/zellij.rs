//! zellij: layouts, sessions, and opening lanes as zellij panes.

/// Inside zellij (`ZELLIJ` set): open a lane in a new zellij pane instead of nesting a session.
/// `command` is the argv to run in the pane (for par lanes `tmux attach -t SESSION`).
pub fn open_lane_pane(
    lane: &str,
    _cwd: &std::path::Path,
    _command: &[String],
) -> anyhow::Result<()> {
    anyhow::bail!("opening lane {lane} in a zellij pane is not built yet")
}
