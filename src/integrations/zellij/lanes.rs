//! The lane set a layout is written for, read straight from par's state file and `git worktree
//! list`. Kept small and local so `helios layout write` works without the console running; the
//! console passes its own discovered lanes instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};

/// Every lane of the repo at `repo`: par lanes first (from par's state file), then plain git
/// worktrees that par does not know. Sorted by label.
pub fn discover(repo: &Path) -> anyhow::Result<Vec<LaneInfo>> {
    let mut lanes = par_lanes(repo)?;
    for (path, branch) in git_worktrees(repo)? {
        if same_path(&path, repo) || lanes.iter().any(|l| same_path(&l.worktree, &path)) {
            continue;
        }
        let label = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        lanes.push(LaneInfo {
            id: LaneId::new(label),
            branch,
            worktree: path,
            source: LaneSource::Worktree,
            session_alive: true,
            git: GitCounts::default(),
        });
    }
    lanes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(lanes)
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}

/// par's state file: `$XDG_DATA_HOME/par/global_state.json` (par 0.2.2).
fn par_lanes(repo: &Path) -> anyhow::Result<Vec<LaneInfo>> {
    let file = crate::config::paths::data_home().join("par/global_state.json");
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => anyhow::bail!("cannot read par state {}: {e}", file.display()),
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "par state {}:{}:{}: {e}; fix or move the file aside",
            file.display(),
            e.line(),
            e.column()
        )
    })?;
    let mut out = Vec::new();
    let Some(sessions) = json.get("sessions").and_then(|s| s.as_object()) else {
        return Ok(out);
    };
    for (label, s) in sessions {
        let field = |k: &str| s.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let Some(repo_path) = field("repository_path") else {
            continue;
        };
        if !same_path(Path::new(&repo_path), repo) {
            continue;
        }
        let (Some(worktree), Some(session)) = (field("worktree_path"), field("tmux_session_name"))
        else {
            continue;
        };
        let alive = tmux_has_session(&session);
        out.push(LaneInfo {
            id: LaneId::new(label.clone()),
            branch: field("branch_name"),
            worktree: PathBuf::from(worktree),
            source: LaneSource::Par { session },
            session_alive: alive,
            git: GitCounts::default(),
        });
    }
    Ok(out)
}

fn tmux_has_session(session: &str) -> bool {
    Command::new("tmux")
        .args(["has-session", "-t", &format!("={session}")])
        .env_remove("TMUX")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `(path, branch)` of every worktree, the main one included.
fn git_worktrees(repo: &Path) -> anyhow::Result<Vec<(PathBuf, Option<String>)>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "list", "--porcelain"])
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run git: {e}; install git"))?;
    if !out.status.success() {
        anyhow::bail!(
            "git worktree list in {} failed: {}",
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let mut list = Vec::new();
    for block in String::from_utf8_lossy(&out.stdout).split("\n\n") {
        let mut path = None;
        let mut branch = None;
        for line in block.lines() {
            if let Some(p) = line.strip_prefix("worktree ") {
                path = Some(PathBuf::from(p));
            } else if let Some(b) = line.strip_prefix("branch ") {
                branch = Some(b.trim_start_matches("refs/heads/").to_string());
            }
        }
        if let Some(p) = path {
            list.push((p, branch));
        }
    }
    Ok(list)
}
