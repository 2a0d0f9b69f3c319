//! Which lane a program running inside lanes belongs to (`helios hook`, `helios mcp`, the
//! osc-tap). Reads files only (no git process): a hook must cost milliseconds.

use std::path::{Path, PathBuf};

use crate::agent::LaneKey;
use crate::lanes::par::{ParSession, read_all_states};
use crate::lanes::worktree::{self, canonical};

/// The lane named `label` (`HELIOS_LANE`; empty counts as unset), else the lane whose worktree
/// holds `dir`: its worktree, repository and label, all three from that one lane. A label
/// that is no lane's, or that no lane may have, is refused, as is a directory that belongs to
/// no lane (such as the main checkout beside par's lanes): a state recorded there would show
/// on no lane, or on the wrong one.
pub fn locate(dir: &Path, label: Option<&str>) -> Result<LaneKey, String> {
    let sessions = read_all_states().map_err(|e| e.to_string())?;
    resolve(dir, label, &sessions)
}

/// [`locate`] with par's lanes (of every repo) given.
fn resolve(dir: &Path, label: Option<&str>, sessions: &[ParSession]) -> Result<LaneKey, String> {
    match label.filter(|l| !l.is_empty()) {
        Some(label) => by_label(dir, label, sessions),
        None => by_dir(dir, sessions),
    }
}

/// The worktree that holds `dir`, for `helios agent setup` without `--lane`.
pub fn worktree_of(dir: &Path) -> Result<PathBuf, String> {
    top(dir).ok_or_else(|| {
        format!(
            "{} is not inside a git worktree: run the agent in a helios lane or set HELIOS_LANE",
            dir.display()
        )
    })
}

/// The lane labelled `label`: one of the repo that holds `dir` first (a plain worktree lane's
/// label is only unique within its repo), else par's lane of that label in any repo (the
/// agent may work outside its worktree, in /tmp say).
fn by_label(dir: &Path, label: &str, sessions: &[ParSession]) -> Result<LaneKey, String> {
    crate::model::label::validate(label).map_err(|e| format!("HELIOS_LANE: {e}"))?;
    let here = top(dir).map(|w| repo_of(&w).unwrap_or(w));
    if let Some(repo) = &here
        && let Some((_, worktree)) = lanes_of(repo, sessions)
            .into_iter()
            .find(|(l, _)| l == label)
    {
        return Ok(key(repo, &worktree, label));
    }
    if let Some(s) = sessions.iter().find(|s| s.label == label) {
        let repo = canonical(&s.repository_path);
        return Ok(key(&repo, &canonical(&s.worktree_path), label));
    }
    let and_here = here.map_or_else(String::new, |r| {
        format!(" and {} has no worktree lane of that name", r.display())
    });
    Err(format!(
        "HELIOS_LANE={label} names no lane: par has no lane {label}{and_here}; set HELIOS_LANE to a lane's label (`helios lane ls`), or unset it to take the lane of the working directory"
    ))
}

/// The lane whose worktree holds `dir`.
fn by_dir(dir: &Path, sessions: &[ParSession]) -> Result<LaneKey, String> {
    let worktree = worktree_of(dir)?;
    let repo = repo_of(&worktree).unwrap_or_else(|| worktree.clone());
    if let Some((label, _)) = lanes_of(&repo, sessions)
        .into_iter()
        .find(|(_, w)| *w == worktree)
    {
        return Ok(key(&repo, &worktree, &label));
    }
    if worktree == repo {
        let place = if canonical(dir) == repo {
            format!("{} is", repo.display())
        } else {
            format!("{} is in {},", dir.display(), repo.display())
        };
        return Err(format!(
            "{place} the main checkout of {}, not one of its lanes (beside par's lanes it is where you work, not an agent): run the agent in a lane's worktree, or set HELIOS_LANE to its lane's label",
            name(&repo)
        ));
    }
    // A linked worktree git no longer lists as such (moved without `git worktree repair`):
    // its directory name, as discovery would have named it.
    Ok(key(&repo, &worktree, &name(&worktree)))
}

/// The lanes of the checkout at `repo` as the lane list shows them: label and canonical
/// worktree.
fn lanes_of(repo: &Path, sessions: &[ParSession]) -> Vec<(String, PathBuf)> {
    let par: Vec<(String, PathBuf)> = sessions
        .iter()
        .filter(|s| canonical(&s.repository_path) == repo)
        .map(|s| (s.label.clone(), canonical(&s.worktree_path)))
        .collect();
    let plain: Vec<(String, PathBuf)> = worktree::beside_par(repo, &par, worktree::read_list(repo))
        .into_iter()
        .map(|w| (w.label, canonical(&w.path)))
        .collect();
    let mut lanes = par;
    lanes.extend(plain);
    lanes
}

fn key(repo: &Path, worktree: &Path, label: &str) -> LaneKey {
    LaneKey {
        worktree: worktree.display().to_string(),
        repo: name(repo),
        lane: label.to_string(),
    }
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

fn name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| "repo".to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = crate::config::secrets::command("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {ok:?}");
    }

    /// A real repo `app` with linked worktrees `lanes/<name>` for each of `names`.
    fn repo_with(tmp: &Path, names: &[&str]) -> PathBuf {
        let repo = tmp.join("app");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q"]);
        git(&repo, &["commit", "-q", "--allow-empty", "-m", "init"]);
        for n in names {
            let wt = tmp.join("lanes").join(n);
            git(
                &repo,
                &["worktree", "add", "-q", wt.to_str().unwrap(), "-b", n],
            );
        }
        canonical(&repo)
    }

    fn par_lane(tmp: &Path, label: &str) -> ParSession {
        ParSession {
            label: label.to_string(),
            repository_path: tmp.join("app"),
            worktree_path: tmp.join("lanes").join(label),
            tmux_session_name: format!("par-app-{label}"),
            par_recorded: None,
            branch_name: Some(label.to_string()),
            base_branch: None,
        }
    }

    #[test]
    fn a_linked_worktree_names_its_repo_and_label() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &["fix-login"]);
        let wt = tmp.path().join("lanes/fix-login");
        std::fs::create_dir_all(wt.join("src/deep")).unwrap();
        let key = resolve(&wt.join("src/deep"), None, &[]).unwrap();
        assert_eq!(key.repo, "app");
        assert_eq!(key.lane, "fix-login");
        assert_eq!(key.worktree, canonical(&wt).display().to_string());
        // Without par lanes the main checkout is a lane, as the lane list shows it.
        let main = resolve(&repo, None, &[]).unwrap();
        assert_eq!((main.repo.as_str(), main.lane.as_str()), ("app", "app"));
    }

    #[test]
    fn helios_lane_chooses_the_lane_its_worktree_and_repo() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &["delta", "gamma"]);
        let par = [par_lane(tmp.path(), "delta"), par_lane(tmp.path(), "gamma")];
        let gamma = canonical(&tmp.path().join("lanes/gamma"));
        let outside = tempfile::tempdir().unwrap();
        // From delta's worktree, from outside any repo, and from the main checkout.
        for dir in [&tmp.path().join("lanes/delta"), outside.path(), &repo] {
            let key = resolve(dir, Some("gamma"), &par).unwrap();
            assert_eq!(key.lane, "gamma", "{}", dir.display());
            assert_eq!(key.worktree, gamma.display().to_string());
            assert_eq!(key.repo, "app");
        }
        // A plain worktree lane (no par session) by its label, from inside its repo.
        let key = resolve(&repo, Some("gamma"), &par[..1]).unwrap();
        assert_eq!(key.worktree, gamma.display().to_string());
    }

    #[test]
    fn an_unknown_or_malformed_helios_lane_is_refused_in_one_line() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &["delta"]);
        let par = [par_lane(tmp.path(), "delta")];
        let err = resolve(&repo, Some("a\u{1b}[31mred"), &par).unwrap_err();
        assert!(
            err.starts_with("HELIOS_LANE: lane label \"a\\x1b[31mred\" is not allowed"),
            "{err}"
        );
        assert!(!err.contains('\u{1b}'), "{err:?}");
        let err = resolve(&repo, Some("gamma"), &par).unwrap_err();
        assert!(err.starts_with("HELIOS_LANE=gamma names no lane"), "{err}");
        assert!(err.contains("helios lane ls"), "{err}");
        assert_eq!(err.lines().count(), 1);
        // Outside any repo only par's lanes can be named.
        let outside = tempfile::tempdir().unwrap();
        assert!(resolve(outside.path(), Some("gamma"), &par).is_err());
        // Empty is unset: the directory decides.
        let delta = tmp.path().join("lanes/delta");
        assert_eq!(resolve(&delta, Some(""), &par).unwrap().lane, "delta");
    }

    #[test]
    fn the_main_checkout_beside_par_lanes_is_no_lane() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &["delta"]);
        std::fs::create_dir_all(repo.join("src")).unwrap();
        let par = [par_lane(tmp.path(), "delta")];
        let err = resolve(&repo.join("src"), None, &par).unwrap_err();
        assert!(
            err.contains("the main checkout of app, not one of its lanes"),
            "{err}"
        );
        assert!(err.contains("HELIOS_LANE"), "{err}");
    }

    #[test]
    fn a_worktree_named_like_another_gets_the_lane_lists_label() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = repo_with(tmp.path(), &[]);
        for (dir, branch) in [("b/app", "one"), ("a/app", "two")] {
            let wt = tmp.path().join(dir);
            git(
                &repo,
                &["worktree", "add", "-q", wt.to_str().unwrap(), "-b", branch],
            );
        }
        // git lists the main checkout, then a/app, then b/app.
        let key = resolve(&tmp.path().join("b/app"), None, &[]).unwrap();
        assert_eq!(key.lane, "app-3");
    }

    #[test]
    fn outside_any_worktree_is_an_error_that_says_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let err = resolve(tmp.path(), None, &[]).unwrap_err();
        assert!(err.contains("HELIOS_LANE"), "{err}");
    }
}
