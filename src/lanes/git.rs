//! Git working tree counts of a lane: dirty files and ahead/behind, from one
//! `git status --porcelain=v2 --branch`.

use std::path::Path;

use crate::lanes::GitCounts;

/// Read the counts of the worktree at `dir`; a missing or broken worktree counts as clean.
pub fn counts(dir: &Path) -> GitCounts {
    let out = crate::config::secrets::command("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain=v2", "--branch"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output();
    match out {
        Ok(o) if o.status.success() => parse_status(&String::from_utf8_lossy(&o.stdout)),
        _ => GitCounts::default(),
    }
}

/// Parse `git status --porcelain=v2 --branch` output.
pub fn parse_status(text: &str) -> GitCounts {
    let mut c = GitCounts::default();
    for line in text.lines() {
        if let Some(ab) = line.strip_prefix("# branch.ab ") {
            for part in ab.split_whitespace() {
                if let Some(n) = part.strip_prefix('+') {
                    c.ahead = n.parse().unwrap_or(0);
                } else if let Some(n) = part.strip_prefix('-') {
                    c.behind = n.parse().unwrap_or(0);
                }
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            c.dirty += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_dirty_and_ahead_behind() {
        let text = "# branch.oid abc\n# branch.head foo\n# branch.upstream origin/foo\n# branch.ab +2 -1\n1 .M N... 100644 100644 100644 a b f.rs\n? new.txt\n";
        assert_eq!(
            parse_status(text),
            GitCounts {
                dirty: 2,
                ahead: 2,
                behind: 1
            }
        );
    }

    #[test]
    fn clean_without_upstream() {
        assert_eq!(
            parse_status("# branch.oid abc\n# branch.head foo\n"),
            GitCounts::default()
        );
    }
}
