//! Git working tree counts of a lane: dirty files from `git status --porcelain=v2`, and
//! ahead/behind against the lane's base from `git rev-list --left-right --count` (par branches
//! have no upstream, so the upstream counts git status reports would always be zero).

use std::path::Path;

use crate::lanes::GitCounts;

/// Read the counts of the worktree at `dir` against `base`; a missing or broken worktree counts
/// as clean, and without a base ahead/behind are 0.
pub fn counts(dir: &Path, base: Option<&str>) -> GitCounts {
    let run = |args: &[&str]| {
        crate::config::secrets::command("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_OPTIONAL_LOCKS", "0")
            .output()
            .map_err(|e| tracing::warn!(dir = %dir.display(), "cannot run git {}: {e}", args[0]))
            .ok()
            .filter(|o| {
                if !o.status.success() {
                    tracing::debug!(
                        dir = %dir.display(),
                        "git {} failed: {}",
                        args[0],
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                }
                o.status.success()
            })
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let mut c = run(&["status", "--porcelain=v2"])
        .map(|t| parse_status(&t))
        .unwrap_or_default();
    let range = base
        .filter(|b| !b.starts_with('-'))
        .map(|b| format!("{b}...HEAD"));
    if let Some(t) = range.and_then(|r| run(&["rev-list", "--left-right", "--count", &r, "--"])) {
        (c.behind, c.ahead) = parse_left_right(&t);
    }
    c.base = base.map(str::to_string);
    c
}

/// Parse `git rev-list --left-right --count A...B`: `<only in A>\t<only in B>`.
pub fn parse_left_right(text: &str) -> (u32, u32) {
    let mut it = text.split_whitespace().map(|n| n.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Parse `git status --porcelain=v2` output: every entry is a changed or untracked file (the
/// upstream's `# branch.ab` counts are not used: see the module comment).
pub fn parse_status(text: &str) -> GitCounts {
    let dirty = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    GitCounts {
        dirty: u32::try_from(dirty).unwrap_or(u32::MAX),
        ..GitCounts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_dirty_files_not_the_upstream() {
        let text = "# branch.oid abc\n# branch.head foo\n# branch.upstream origin/foo\n# branch.ab +2 -1\n1 .M N... 100644 100644 100644 a b f.rs\n? new.txt\n";
        assert_eq!(
            parse_status(text),
            GitCounts {
                dirty: 2,
                ..GitCounts::default()
            }
        );
    }

    #[test]
    fn left_right_counts() {
        assert_eq!(parse_left_right("3\t1\n"), (3, 1));
        assert_eq!(parse_left_right(""), (0, 0));
    }

    #[test]
    fn clean_without_upstream() {
        assert_eq!(
            parse_status("# branch.oid abc\n# branch.head foo\n"),
            GitCounts::default()
        );
    }
}
