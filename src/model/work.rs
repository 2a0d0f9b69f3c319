//! What a lane would lose if it were removed: its commits not in its base, and its changed and
//! untracked files. Found by `lanes::work`, shown by the console's confirm dialog and the CLI.

/// A commit of the lane that its base does not have.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Commit {
    /// Abbreviated hash.
    pub hash: String,
    /// The first line of the message.
    pub subject: String,
}

/// A file with changes git does not hold in a commit, or one git does not track.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileChange {
    /// git's two-letter short status (` M`, `A `, `??`…).
    pub status: String,
    /// The path, relative to the worktree (a directory ends in `/` when all of it is untracked).
    pub path: String,
}

/// What removing a lane would lose.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unsaved {
    /// What the commits were compared with.
    pub base: String,
    /// Commits not in the base, newest first (at most `lanes::work::LIST_MAX`).
    pub commits: Vec<Commit>,
    /// How many commits are not in the base.
    pub commit_count: usize,
    /// Changed, staged and untracked files (at most `lanes::work::LIST_MAX`).
    pub files: Vec<FileChange>,
    /// How many such files there are.
    pub file_count: usize,
}

impl Unsaved {
    /// Whether nothing would be lost.
    pub fn is_empty(&self) -> bool {
        self.commit_count == 0 && self.file_count == 0
    }

    /// `1 commit not in main and 2 uncommitted or untracked files`.
    pub fn summary(&self) -> String {
        let commits = plural(self.commit_count, "commit", "commits");
        let files = plural(
            self.file_count,
            "uncommitted or untracked file",
            "uncommitted or untracked files",
        );
        match (self.commit_count, self.file_count) {
            (0, 0) if self.base.is_empty() => "no unsaved commits or files".to_string(),
            (0, 0) => format!("no commits outside {} and no uncommitted files", self.base),
            (_, 0) => format!("{commits} not in {}", self.base),
            (0, _) => files,
            _ => format!("{commits} not in {} and {files}", self.base),
        }
    }

    /// The commits and files as lines for people (two-space indented items), at most `limit`
    /// of each, then how many more there are.
    pub fn lines(&self, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        if self.commit_count > 0 {
            out.push(format!(
                "{} not in {}:",
                plural(self.commit_count, "commit", "commits"),
                self.base
            ));
            out.extend(
                self.commits
                    .iter()
                    .take(limit)
                    .map(|c| format!("  {} {}", c.hash, c.subject)),
            );
            more(&mut out, self.commit_count, limit.min(self.commits.len()));
        }
        if self.file_count > 0 {
            out.push(format!(
                "{}:",
                plural(
                    self.file_count,
                    "uncommitted or untracked file",
                    "uncommitted or untracked files"
                )
            ));
            out.extend(
                self.files
                    .iter()
                    .take(limit)
                    .map(|f| format!("  {} {}", f.status, f.path)),
            );
            more(&mut out, self.file_count, limit.min(self.files.len()));
        }
        out
    }
}

/// `n` and its noun (`text::plural`'s twin: `model` and `text` are rooms of one layer).
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn more(out: &mut Vec<String>, total: usize, shown: usize) {
    if total > shown {
        out.push(format!("  … and {} more", total - shown));
    }
}
