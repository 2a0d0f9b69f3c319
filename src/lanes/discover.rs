//! Lane discovery: par lanes of the repo when par is installed and has some, else the repo's
//! git worktrees. Does IO (files, git, tmux): run it off the render path.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use crate::lanes::{GitCounts, LaneError, LaneId, LaneInfo, LaneSource, git, par, worktree};

/// Every lane of the repo at `repo`, sorted by label, with tmux liveness and git counts.
///
/// par lanes win when par is installed and its state file has lanes for this repo; otherwise
/// the lanes are the repo's git worktrees (helios runs a shell in each). A corrupt par state
/// file is an error, not a silent fallback: showing plain shells in par's worktrees would
/// hide the agents' real sessions.
pub fn discover(repo: &Path) -> Result<Vec<LaneInfo>, LaneError> {
    let sessions = if par::installed() {
        par::read_state(repo)?
    } else {
        Vec::new()
    };
    let mut lanes: Vec<LaneInfo> = if sessions.is_empty() {
        worktree::list(repo)?
            .into_iter()
            .map(|w| LaneInfo {
                id: LaneId::new(w.label),
                branch: w.branch,
                worktree: w.path,
                source: LaneSource::Worktree,
                session_alive: true,
                git: GitCounts::default(),
            })
            .collect()
    } else {
        let alive = tmux_sessions();
        sessions
            .into_iter()
            .map(|s| LaneInfo {
                id: LaneId::new(s.label),
                branch: s.branch_name,
                worktree: s.worktree_path,
                session_alive: alive.contains(&s.tmux_session_name),
                source: LaneSource::Par {
                    session: s.tmux_session_name,
                },
                git: GitCounts::default(),
            })
            .collect()
    };
    // One git process per lane, run side by side: 25 lanes cost about one git status.
    std::thread::scope(|scope| {
        for lane in &mut lanes {
            scope.spawn(move || lane.git = git::counts(&lane.worktree));
        }
    });
    lanes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(lanes)
}

/// Names of the sessions on the (default, or `TMUX_TMPDIR`-chosen) tmux server; empty when no
/// server runs or tmux is missing.
pub fn tmux_sessions() -> HashSet<String> {
    let out = Command::new("tmux")
        .args(["list-sessions", "-F", "#{session_name}"])
        .env_remove("TMUX")
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        _ => HashSet::new(),
    }
}

/// Whether one tmux session exists (`tmux has-session -t =NAME`, exact match).
pub fn session_alive(session: &str) -> bool {
    Command::new("tmux")
        .args(["has-session", "-t", &format!("={session}")])
        .env_remove("TMUX")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Find one lane by label.
pub fn find(repo: &Path, label: &str) -> Result<LaneInfo, LaneError> {
    discover(repo)?
        .into_iter()
        .find(|l| l.id.as_str() == label)
        .ok_or_else(|| LaneError::NoSuchLane {
            label: label.to_string(),
        })
}
