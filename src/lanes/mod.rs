//! The lane model and its sources: par (state file and CLI), or plain git worktrees when par is absent.

pub mod discover;
pub mod git;
pub mod locate;
pub mod ops;
pub mod par;
pub mod repo;
pub mod work;
pub mod worktree;

pub use discover::{KnownCounts, discover, discover_with};

use std::path::PathBuf;

pub use crate::model::lane::{GitCounts, LaneId, LaneInfo, LaneSource};

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
    BadLabel(#[from] crate::model::label::LabelError),
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
        "lane {label} has no running tmux session ({session}): nothing was sent; `par open {label}` makes it again, `helios lane rm {label}` removes the lane"
    )]
    SessionGone {
        /// The label.
        label: String,
        /// The session par recorded.
        session: String,
    },
    /// tmux keeps the lane's session under another name than par recorded: par's send would
    /// fail (and say so only on stderr).
    #[error(
        "par cannot reach lane {label}: tmux named its session {session}, not {recorded} as par recorded it (tmux turns '.' and ':' into '_'); nothing was sent; type into it in the console, or start a lane whose label has no '.' or ':'"
    )]
    Renamed {
        /// The label.
        label: String,
        /// The name par recorded.
        recorded: String,
        /// The session's real name.
        session: String,
    },
    /// The program in the lane's pane ended (tmux keeps the dead pane): tmux would take the
    /// keys and par report success, with nothing reading them.
    #[error(
        "lane {label}'s program ended ({end}): nothing was sent; restart it with R on the lane in the console (or `tmux respawn-pane -t '={session}:0'`), or remove it with `helios lane rm {label}`"
    )]
    ProgramEnded {
        /// The label.
        label: String,
        /// The lane's tmux session.
        session: String,
        /// How the program ended.
        end: discover::PaneEnd,
    },
    /// Any other failure of a program run for a lane (par, tmux, zellij), with its own first
    /// line.
    #[error("{what} failed: {message}")]
    Failed {
        /// The command line, or what it was doing.
        what: String,
        /// The program's message.
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
