//! What removing a lane would lose: its commits that its base does not have, and its changed or
//! untracked files. One check, [`unsaved`], serves the console's `d` and `:lane rm` and the
//! CLI's `helios lane rm`, so no lane is deleted with work in it unless someone saw the work and
//! said so; [`remove`] is the one guarded removal both call.
//!
//! A lane's base is, in order: the base par recorded for it (par 0.2 records none), the base
//! helios recorded when it created the lane with `--base` (`git config branch.<label>.heliosBase`,
//! dropped by git with the branch), the repo's default branch (`origin/HEAD`'s branch, else `main`
//! or `master`), else the main checkout's HEAD.

use std::collections::HashMap;
use std::path::Path;

use crate::lanes::{LaneError, LaneInfo, par};

/// How many commits and files [`unsaved`] lists (the counts are always complete).
pub const LIST_MAX: usize = 200;

/// The git config key (under `branch.<label>`) where helios keeps a lane's `--base`.
const BASE_KEY: &str = "heliosBase";

pub use crate::model::work::{Commit, FileChange, Unsaved};

/// What `worktree` holds that `base` does not: commits of its HEAD not reachable from `base`,
/// and every changed, staged or untracked file (ignored files are not counted). `base` is `None`
/// when no base could be found, which is an error: the commits cannot be told apart.
pub fn unsaved(worktree: &Path, base: Option<&str>) -> Result<Unsaved, LaneError> {
    let base = base.filter(|b| is_ref_like(b)).ok_or_else(|| {
        git_error(
            "rev-list",
            worktree,
            "the lane has no base branch to compare with",
        )
    })?;
    let range = format!("{base}..HEAD");
    let count = git(worktree, &["rev-list", "--count", &range, "--"])?;
    let commit_count = count.trim().parse().unwrap_or(0);
    let log = git(
        worktree,
        &[
            "log",
            "--no-color",
            &format!("-n{LIST_MAX}"),
            "--format=%h%x09%s",
            &range,
            "--",
        ],
    )?;
    let commits = log
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(hash, subject)| Commit {
            hash: hash.to_string(),
            subject: subject.to_string(),
        })
        .collect();
    let status = git(
        worktree,
        &["status", "--porcelain=v1", "-z", "--untracked-files=normal"],
    )?;
    let all = parse_status_z(&status);
    Ok(Unsaved {
        base: base.to_string(),
        commits,
        commit_count,
        file_count: all.len(),
        files: all.into_iter().take(LIST_MAX).collect(),
    })
}

/// Parse `git status --porcelain=v1 -z`: `XY path\0`, and a rename or copy's source path in the
/// entry after it.
pub fn parse_status_z(text: &str) -> Vec<FileChange> {
    let mut out = Vec::new();
    let mut entries = text.split('\0').filter(|e| !e.is_empty());
    while let Some(e) = entries.next() {
        let (Some(status), Some(path)) = (e.get(..2), e.get(3..)) else {
            continue;
        };
        if status.starts_with('R') || status.starts_with('C') {
            entries.next();
        }
        out.push(FileChange {
            status: status.to_string(),
            path: path.to_string(),
        });
    }
    out
}

/// Remove a par lane unless it holds work its base does not have. With `force` it is removed
/// anyway; the work it held is returned (empty when there was none, or when it could not be
/// read). Without `force`, unsaved work is [`LaneError::Unsaved`] and a check that cannot run is
/// [`LaneError::Unchecked`]: nothing is removed in either case.
pub fn remove(repo: &Path, lane: &LaneInfo, force: bool) -> Result<Unsaved, LaneError> {
    let label = lane.id.as_str();
    let found = unsaved(&lane.worktree, lane.git.base.as_deref());
    let lost = match found {
        Ok(u) if u.is_empty() || force => u,
        Ok(u) => {
            return Err(LaneError::Unsaved {
                label: label.to_string(),
                work: Box::new(u),
            });
        }
        Err(_) if force => Unsaved::default(),
        Err(e) => {
            return Err(LaneError::Unchecked {
                label: label.to_string(),
                reason: e.to_string(),
            });
        }
    };
    par::remove(repo, label)?;
    Ok(lost)
}

/// Record the base a lane was created from, where [`Bases::read`] finds it; git drops it with
/// the branch. A failure costs only the record (the lane is then compared with the default).
pub fn record_base(repo: &Path, branch: &str, base: &str) {
    if let Err(e) = git(
        repo,
        &["config", &format!("branch.{branch}.{BASE_KEY}"), base],
    ) {
        tracing::warn!(branch, base, "lane base not recorded: {e}");
    }
}

/// The bases of a repo's lanes, read once per discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bases {
    /// Branch → the base helios recorded for it.
    recorded: HashMap<String, String>,
    /// The repo's default branch, or the main checkout's HEAD.
    default: Option<String>,
}

impl Bases {
    /// Read the recorded bases and the default base of the repo at `repo`.
    pub fn read(repo: &Path) -> Self {
        let key = format!("^branch\\..*\\.{}$", BASE_KEY.to_lowercase());
        let recorded = git(repo, &["config", "--get-regexp", &key])
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                let branch = k
                    .strip_prefix("branch.")?
                    .strip_suffix(&format!(".{}", BASE_KEY.to_lowercase()))?;
                Some((branch.to_string(), v.trim().to_string()))
            })
            .collect();
        Self {
            recorded,
            default: default_base(repo),
        }
    }

    /// The base of a lane on `branch`, preferring what par recorded (`par_base`).
    pub fn of(&self, branch: Option<&str>, par_base: Option<&str>) -> Option<String> {
        par_base
            .map(str::to_string)
            .or_else(|| branch.and_then(|b| self.recorded.get(b).cloned()))
            .filter(|b| is_ref_like(b))
            .or_else(|| self.default.clone())
    }
}

/// The repo's default branch (`origin/HEAD`'s branch, local when it exists), else `main` or
/// `master`, else the main checkout's branch or commit.
fn default_base(repo: &Path) -> Option<String> {
    let has = |r: &str| git(repo, &["show-ref", "--verify", "--quiet", r]).is_ok();
    if let Ok(head) = git(
        repo,
        &["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
    ) && let Some(name) = head.trim().strip_prefix("refs/remotes/origin/")
    {
        return Some(if has(&format!("refs/heads/{name}")) {
            name.to_string()
        } else {
            format!("origin/{name}")
        });
    }
    for name in ["main", "master"] {
        if has(&format!("refs/heads/{name}")) {
            return Some(name.to_string());
        }
    }
    // The main checkout is the first entry of `git worktree list`.
    let list = git(repo, &["worktree", "list", "--porcelain"]).ok()?;
    let first = list.split("\n\n").next()?;
    first
        .lines()
        .find_map(|l| l.strip_prefix("branch refs/heads/"))
        .or_else(|| first.lines().find_map(|l| l.strip_prefix("HEAD ")))
        .map(str::to_string)
}

/// A ref git will not read as an option or a range.
fn is_ref_like(r: &str) -> bool {
    !r.is_empty() && !r.starts_with('-') && !r.contains("..") && !r.chars().any(char::is_whitespace)
}

fn git_error(what: &str, dir: &Path, message: &str) -> LaneError {
    LaneError::Git {
        what: what.to_string(),
        dir: dir.to_path_buf(),
        message: message.to_string(),
    }
}

/// Run git in `dir`; its stdout, or the error naming the subcommand and git's message.
fn git(dir: &Path, args: &[&str]) -> Result<String, LaneError> {
    let out = crate::config::secrets::command("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(|e| git_error(args[0], dir, &format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(git_error(args[0], dir, &msg));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn status_z_parses_renames_and_untracked() {
        let z = " M src/a.rs\0R  new.rs\0old.rs\0?? notes/\0?? x y.txt\0";
        let files = parse_status_z(z);
        let shown: Vec<String> = files
            .iter()
            .map(|f| format!("{}|{}", f.status, f.path))
            .collect();
        assert_eq!(
            shown,
            [" M|src/a.rs", "R |new.rs", "??|notes/", "??|x y.txt"]
        );
    }

    #[test]
    fn lines_name_commits_and_files_up_to_a_limit() {
        let u = Unsaved {
            base: "main".into(),
            commits: vec![Commit {
                hash: "abc1234".into(),
                subject: "add login".into(),
            }],
            commit_count: 1,
            files: (0..5)
                .map(|i| FileChange {
                    status: "??".into(),
                    path: format!("f{i}"),
                })
                .collect(),
            file_count: 7,
        };
        assert_eq!(
            u.summary(),
            "1 commit not in main and 7 uncommitted or untracked files"
        );
        assert_eq!(
            u.lines(3),
            [
                "1 commit not in main:",
                "  abc1234 add login",
                "7 uncommitted or untracked files:",
                "  ?? f0",
                "  ?? f1",
                "  ?? f2",
                "  … and 4 more",
            ]
        );
        assert!(!u.is_empty());
        assert!(Unsaved::default().is_empty());
    }

    #[test]
    fn a_recorded_base_wins_over_the_default_and_options_are_refused() {
        let mut b = Bases {
            recorded: HashMap::from([("x".to_string(), "develop".to_string())]),
            default: Some("main".into()),
        };
        assert_eq!(b.of(Some("x"), None).as_deref(), Some("develop"));
        assert_eq!(b.of(Some("x"), Some("release")).as_deref(), Some("release"));
        assert_eq!(b.of(Some("y"), None).as_deref(), Some("main"));
        b.recorded.insert("z".into(), "--output=/tmp/x".into());
        assert_eq!(b.of(Some("z"), None).as_deref(), Some("main"));
    }
}
