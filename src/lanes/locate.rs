//! Which lane a directory belongs to, for programs that run inside lanes (`helios hook`,
//! `helios mcp`). Reads files only (no git process): a hook must cost milliseconds.

use std::path::{Path, PathBuf};

use crate::agent::LaneKey;

/// The lane of `dir`: the worktree that holds it, its repository and its label. The label is
/// `label` when given (`HELIOS_LANE`), else par's label for that worktree, else the worktree's
/// directory name (as `git worktree list` discovery names it).
pub fn locate(dir: &Path, label: Option<&str>) -> Result<LaneKey, String> {
    let worktree = top(dir).ok_or_else(|| {
        format!(
            "{} is not inside a git worktree: run the agent in a helios lane or set HELIOS_LANE",
            dir.display()
        )
    })?;
    let repo = repo_of(&worktree).unwrap_or_else(|| worktree.clone());
    let repo_name = name(&repo);
    let label = match label.filter(|l| !l.is_empty()) {
        Some(l) => l.to_string(),
        None => par_label(&repo, &worktree).unwrap_or_else(|| name(&worktree)),
    };
    Ok(LaneKey {
        worktree: worktree.display().to_string(),
        repo: repo_name,
        lane: label,
    })
}

/// The nearest directory at or above `dir` that has a `.git` (file or directory), canonical.
fn top(dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).ok()?;
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The main checkout of a worktree: a linked worktree's `.git` file names
/// `<repo>/.git/worktrees/<name>`, whose `commondir` leads to `<repo>/.git`.
fn repo_of(worktree: &Path) -> Option<PathBuf> {
    let dotgit = worktree.join(".git");
    if dotgit.is_dir() {
        return Some(worktree.to_path_buf());
    }
    let text = crate::config::read::read_config_file(&dotgit).ok()?;
    let gitdir = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
    let gitdir = worktree.join(gitdir);
    // The worktree names `gitdir`, so an agent can point it at a FIFO: read it guarded.
    let common = match crate::config::read::read_config_file(&gitdir.join("commondir")) {
        Ok(c) => gitdir.join(c.trim()),
        Err(_) => gitdir.parent()?.parent()?.to_path_buf(),
    };
    let common = std::fs::canonicalize(common).ok()?;
    if common.file_name()? == ".git" {
        common.parent().map(Path::to_path_buf)
    } else {
        Some(common)
    }
}

fn par_label(repo: &Path, worktree: &Path) -> Option<String> {
    let sessions = crate::lanes::par::read_state(repo).ok()?;
    sessions.into_iter().find_map(|s| {
        let w = std::fs::canonicalize(&s.worktree_path).ok()?;
        (w == worktree).then_some(s.label)
    })
}

fn name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| "repo".to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_linked_worktree_names_its_repo_and_label() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("app");
        let wt = tmp.path().join("lanes/fix-login");
        std::fs::create_dir_all(repo.join(".git/worktrees/fix-login")).unwrap();
        std::fs::create_dir_all(wt.join("src/deep")).unwrap();
        std::fs::write(
            wt.join(".git"),
            format!(
                "gitdir: {}\n",
                repo.join(".git/worktrees/fix-login").display()
            ),
        )
        .unwrap();
        std::fs::write(repo.join(".git/worktrees/fix-login/commondir"), "../..\n").unwrap();
        let key = locate(&wt.join("src/deep"), None).unwrap();
        assert_eq!(key.repo, "app");
        assert_eq!(key.lane, "fix-login");
        assert_eq!(
            key.worktree,
            std::fs::canonicalize(&wt).unwrap().display().to_string()
        );
        assert_eq!(locate(&wt, Some("named")).unwrap().lane, "named");
        let main = locate(&repo, None).unwrap();
        assert_eq!((main.repo.as_str(), main.lane.as_str()), ("app", "app"));
    }

    #[test]
    fn outside_any_worktree_is_an_error_that_says_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let err = locate(tmp.path(), None).unwrap_err();
        assert!(err.contains("HELIOS_LANE"), "{err}");
    }
}
