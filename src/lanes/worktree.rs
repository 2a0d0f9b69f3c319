//! Plain git worktrees as lanes (every worktree par does not own), each with a shell helios owns.
//! Labels are worktree directory names, de-duplicated with `-2`, `-3`…; these lanes are not
//! durable (their shells end when helios quits).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::lanes::LaneError;

/// One worktree from `git worktree list --porcelain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    /// The lane label (directory name, de-duplicated).
    pub label: String,
    /// The worktree directory.
    pub path: PathBuf,
    /// The checked-out branch, without `refs/heads/` (None when detached).
    pub branch: Option<String>,
}

/// List the worktrees of the repo at `repo`.
pub fn list(repo: &Path) -> Result<Vec<Worktree>, LaneError> {
    let out = crate::config::secrets::command("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "list", "--porcelain"])
        .output()
        .map_err(|e| LaneError::Git {
            what: "worktree list".into(),
            dir: repo.to_path_buf(),
            message: format!("cannot run git: {e}"),
        })?;
    if !out.status.success() {
        return Err(LaneError::Git {
            what: "worktree list".into(),
            dir: repo.to_path_buf(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(parse_porcelain(&String::from_utf8_lossy(&out.stdout)))
}

/// Parse `git worktree list --porcelain` (records separated by blank lines). Bare and
/// prunable (deleted) worktrees are skipped: there is nothing to run a shell in.
pub fn parse_porcelain(text: &str) -> Vec<Worktree> {
    let mut out = Vec::new();
    let mut taken = HashSet::new();
    for record in text.split("\n\n") {
        let mut path = None;
        let mut branch = None;
        let mut skip = false;
        for line in record.lines() {
            if let Some(p) = line.strip_prefix("worktree ") {
                path = Some(PathBuf::from(p));
            } else if let Some(b) = line.strip_prefix("branch ") {
                branch = Some(b.strip_prefix("refs/heads/").unwrap_or(b).to_string());
            } else if line == "bare" || line.starts_with("prunable") {
                skip = true;
            }
        }
        let Some(path) = path else { continue };
        if skip {
            continue;
        }
        let base = path
            .file_name()
            .map_or_else(|| "root".to_string(), |n| n.to_string_lossy().into_owned());
        let mut label = base.clone();
        let mut n = 2;
        while !taken.insert(label.clone()) {
            label = format!("{base}-{n}");
            n += 1;
        }
        out.push(Worktree {
            label,
            path,
            branch,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_deduplicates_labels() {
        let text = "worktree /r/app\nHEAD 1\nbranch refs/heads/main\n\nworktree /w/x/app\nHEAD 2\nbranch refs/heads/feat\n\nworktree /w/y/tool\nHEAD 3\ndetached\n\nworktree /w/z/app\nHEAD 4\nbranch refs/heads/other\n\nworktree /gone\nHEAD 5\nprunable gitdir file points to non-existent location\n";
        let wts = parse_porcelain(text);
        let labels: Vec<_> = wts.iter().map(|w| w.label.as_str()).collect();
        assert_eq!(labels, ["app", "app-2", "tool", "app-3"]);
        assert_eq!(wts[1].branch.as_deref(), Some("feat"));
        assert_eq!(wts[2].branch, None);
        assert_eq!(wts[0].path, PathBuf::from("/r/app"));
    }
}
