//! The lane model and its sources: par (state file and CLI), or plain git worktrees when par is absent.

pub mod discover;
pub mod git;
pub mod par;
pub mod repo;
pub mod work;
pub mod worktree;

pub use discover::discover;

use std::fmt;
use std::path::PathBuf;

/// A lane's identity: its label, unique within a repo.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct LaneId(pub String);

impl LaneId {
    /// Build from anything string-like.
    pub fn new(label: impl Into<String>) -> Self {
        Self(label.into())
    }

    /// The label as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LaneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a lane comes from, which decides how helios attaches to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneSource {
    /// A par lane: helios runs `tmux attach -t <session>` in the PTY; the agent outlives helios.
    Par { session: String },
    /// A plain git worktree: helios owns a shell PTY in it; it ends when helios quits.
    Worktree,
}

/// What discovery knows about a lane (from par's state file or `git worktree list`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LaneInfo {
    /// The lane's label.
    pub id: LaneId,
    /// The lane's branch, when it has one.
    pub branch: Option<String>,
    /// The worktree directory.
    pub worktree: PathBuf,
    /// par lane or plain worktree.
    pub source: LaneSource,
    /// Whether the tmux session exists (always true for worktree lanes).
    pub session_alive: bool,
    /// Git working tree counts.
    pub git: GitCounts,
}

impl LaneInfo {
    /// The tmux session name, for par lanes.
    pub fn session(&self) -> Option<&str> {
        match &self.source {
            LaneSource::Par { session } => Some(session),
            LaneSource::Worktree => None,
        }
    }

    /// Whether the lane survives helios quitting (par lanes live in tmux).
    pub fn is_durable(&self) -> bool {
        matches!(self.source, LaneSource::Par { .. })
    }
}

/// Dirty and ahead/behind counts of a worktree, against the lane's base (see [`work`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GitCounts {
    /// Changed or untracked files.
    pub dirty: u32,
    /// Commits the lane has that its base does not.
    pub ahead: u32,
    /// Commits its base has that the lane does not.
    pub behind: u32,
    /// The base branch (or commit) the counts are against; `None` when none was found.
    #[serde(default)]
    pub base: Option<String>,
}

/// Why a lane operation failed. Each message says what failed and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaneError {
    /// par is not on PATH.
    #[error("par is not installed: pip install par-cli (or use plain git worktrees)")]
    ParMissing,
    /// tmux is not on PATH.
    #[error("tmux is not installed: install it (apt install tmux / brew install tmux)")]
    TmuxMissing,
    /// par refused a label that another lane (in any repo) already has.
    #[error(
        "lane label {label} is taken (par labels are unique across all repositories): choose another name"
    )]
    LabelTaken {
        /// The label.
        label: String,
    },
    /// par was run outside a git repository.
    #[error("{} is not a git repository: run helios inside a repo or pass --repo PATH", path.display())]
    NotARepo {
        /// Where par was run.
        path: PathBuf,
    },
    /// No such par lane.
    #[error("no lane {label} in this repository: see `helios lane ls`")]
    NoSuchLane {
        /// The label.
        label: String,
    },
    /// The lane is a plain worktree, which par cannot reach.
    #[error(
        "lane {label} is a plain git worktree without a par session: {what} needs a par lane (create one with `helios lane new`)"
    )]
    NotPar {
        /// The label.
        label: String,
        /// What was attempted.
        what: String,
    },
    /// par's state file could not be read or does not parse: every lane change is refused
    /// until it does, because par would take it for "no lanes" and forget them all.
    #[error("{}", par_state_message(path, *line, *column, reason, backup.as_deref()))]
    ParState {
        /// The state file.
        path: PathBuf,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        column: usize,
        /// What was wrong.
        reason: String,
        /// helios's copy of the last good state file, when there is one.
        backup: Option<PathBuf>,
    },
    /// A new lane's label would be changed or misread by tmux, git or par.
    #[error(transparent)]
    BadLabel(#[from] crate::app::label::LabelError),
    /// par reported success, but the lane is not in the state it should be in.
    #[error("{what}: {problem}")]
    Unconfirmed {
        /// The par command line.
        what: String,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// The lane's tmux session is gone: par would print an error and still exit 0.
    #[error(
        "lane {label} has no running tmux session ({session}): nothing was sent; see `helios lane ls`, or remove it with `helios lane rm {label}`"
    )]
    SessionGone {
        /// The label.
        label: String,
        /// The session par recorded.
        session: String,
    },
    /// Any other par failure, with par's own first line.
    #[error("{what} failed: {message}")]
    Par {
        /// The par command line.
        what: String,
        /// par's message.
        message: String,
    },
    /// The lane holds work its base does not have: removing it would lose that work.
    #[error(
        "lane {label} has {}; nothing was removed",
        work.summary()
    )]
    Unsaved {
        /// The label.
        label: String,
        /// What would be lost.
        work: Box<work::Unsaved>,
    },
    /// Whether the lane holds unsaved work could not be found out.
    #[error("cannot tell whether lane {label} holds unsaved work ({reason}); nothing was removed")]
    Unchecked {
        /// The label.
        label: String,
        /// Why.
        reason: String,
    },
    /// git failed.
    #[error("git {what} in {} failed: {message}", dir.display())]
    Git {
        /// The git subcommand.
        what: String,
        /// Where.
        dir: PathBuf,
        /// git's message.
        message: String,
    },
}

/// The one line for a state file helios cannot use: where, what, and how to recover.
fn par_state_message(
    path: &std::path::Path,
    line: usize,
    column: usize,
    reason: &str,
    backup: Option<&std::path::Path>,
) -> String {
    let at = if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}:{column}", path.display())
    };
    let fix = match backup {
        Some(b) => format!(
            "restore the last good copy helios kept: cp {} {}",
            b.display(),
            path.display()
        ),
        None => "fix it by hand, or move it aside (par then starts with no lanes)".to_string(),
    };
    format!(
        "{at}: par state file is unreadable ({reason}); helios changes no lane until it parses (par would forget every lane): {fix}"
    )
}
