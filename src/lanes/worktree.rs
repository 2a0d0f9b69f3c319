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
    let mut found = Vec::new();
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
        if let Some(path) = path.filter(|_| !skip) {
            found.push((path, branch));
        }
    }
    labelled(found)
}

/// The worktrees of the checkout at `repo` as [`list`] gives them, read from git's files
/// instead of a git process (`helios hook` must cost milliseconds): the main checkout, then
/// each linked worktree under `.git/worktrees` in git's order (by path). One whose directory
/// is gone (git's "prunable") is left out, as there.
pub fn read_list(repo: &Path) -> Vec<Worktree> {
    let mut linked: Vec<(PathBuf, Option<String>)> = std::fs::read_dir(repo.join(".git/worktrees"))
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let admin = entry.ok()?.path();
            // Agents can write these files: read them guarded (a FIFO would block the hook).
            let gitdir = crate::config::read::read_config_file(&admin.join("gitdir")).ok()?;
            // Absolute, or (git 2.48's relative worktrees) relative to the admin directory.
            let dotgit = admin.join(gitdir.trim());
            let path = dotgit.parent()?.to_path_buf();
            dotgit.exists().then(|| (path, head_branch(&admin)))
        })
        .collect();
    // git sorts by the path's bytes (`pathsort`), not by components.
    linked.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
    let main = (repo.to_path_buf(), head_branch(&repo.join(".git")));
    labelled(std::iter::once(main).chain(linked))
}

/// The branch checked out per `gitdir/HEAD`; `None` when detached or unreadable.
fn head_branch(gitdir: &Path) -> Option<String> {
    let head = crate::config::read::read_config_file(&gitdir.join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// Label worktrees by directory name, de-duplicated with `-2`, `-3`… in the order given.
fn labelled(found: impl IntoIterator<Item = (PathBuf, Option<String>)>) -> Vec<Worktree> {
    let mut taken = HashSet::new();
    found
        .into_iter()
        .map(|(path, branch)| {
            let base = path
                .file_name()
                .map_or_else(|| "root".to_string(), |n| n.to_string_lossy().into_owned());
            let mut label = base.clone();
            let mut n = 2;
            while !taken.insert(label.clone()) {
                label = format!("{base}-{n}");
                n += 1;
            }
            Worktree {
                label,
                path,
                branch,
            }
        })
        .collect()
}

/// Of the repo's `worktrees`, those that are lanes of their own beside par's lanes (`par`: each
/// one's label and canonical worktree), labelled as the lane list shows them. par's worktrees
/// are par's lanes; the main checkout is a lane only when par has none, since beside par lanes
/// it is where the operator works, not an agent; a worktree named like a par lane keeps a
/// distinct label (`-wt`).
pub fn beside_par(
    repo: &Path,
    par: &[(String, PathBuf)],
    worktrees: Vec<Worktree>,
) -> Vec<Worktree> {
    let main = canonical(repo);
    let mut taken: Vec<String> = par.iter().map(|(label, _)| label.clone()).collect();
    let mut lanes = Vec::new();
    for mut w in worktrees {
        let path = canonical(&w.path);
        if par.iter().any(|(_, p)| *p == path) || (!par.is_empty() && path == main) {
            continue;
        }
        while taken.contains(&w.label) {
            w.label.push_str("-wt");
        }
        taken.push(w.label.clone());
        lanes.push(w);
    }
    lanes
}

/// The path with links resolved; as given when it cannot be (gone, say).
pub fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
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

    #[test]
    fn reading_the_files_lists_what_git_lists() {
        let tmp = tempfile::tempdir().unwrap();
        let base = canonical(tmp.path());
        let repo = base.join("app");
        let git = |args: &[&str]| {
            let out = crate::config::secrets::command("git")
                .arg("-C")
                .arg(&repo)
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        std::fs::create_dir_all(&repo).unwrap();
        git(&["init", "-q", "-b", "main"]);
        git(&["commit", "-q", "--allow-empty", "-m", "init"]);
        // Same names in an order git sorts differently from components (`b-c` < `b/c`).
        for (dir, branch) in [
            ("b/c/app", Some("one")),
            ("b-c/app", None),
            ("gone/app", Some("x")),
        ] {
            let wt = base.join(dir);
            match branch {
                Some(b) => git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", b]),
                None => git(&["worktree", "add", "-q", "--detach", wt.to_str().unwrap()]),
            }
        }
        std::fs::remove_dir_all(base.join("gone")).unwrap();
        let read = read_list(&repo);
        assert_eq!(read, list(&repo).unwrap());
        let labels: Vec<_> = read.iter().map(|w| w.label.as_str()).collect();
        assert_eq!(labels, ["app", "app-2", "app-3"]);
        assert_eq!(read[2].branch.as_deref(), Some("one"));
    }
}
