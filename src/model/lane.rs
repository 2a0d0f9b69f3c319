//! The lane value types every layer shares: a lane's identity, where it comes from, and what
//! discovery knows about it; and the repository helios watches.

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
    /// A lane on another machine, as its `helios serve` publishes it: opened with
    /// `ssh -t <ssh> tmux [-S <socket>] attach -t =<session>`. Nothing local acts on it.
    Remote {
        /// The host's name.
        host: String,
        /// The ssh destination.
        ssh: String,
        /// Its tmux session there (`None`: a plain worktree there, which has no terminal to open).
        session: Option<String>,
        /// The tmux socket there, when that host's tmux does not use the default one.
        #[serde(default)]
        socket: Option<String>,
    },
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
    /// The `lane ls` status word: `alive` (tmux session running), `missing` (par knows the
    /// lane but its session is gone) or `worktree` (a plain worktree; its shell lives only in
    /// the console).
    pub fn status_word(&self) -> &'static str {
        match (&self.source, self.session_alive) {
            (LaneSource::Worktree, _) => "worktree",
            (LaneSource::Par { .. }, true) => "alive",
            (LaneSource::Par { .. }, false) => "missing",
            (LaneSource::Remote { .. }, _) => "remote",
        }
    }

    /// What `lane ls`'s TMUX column says of the lane's tmux session: [`tmux_word`] of its
    /// status word.
    pub fn tmux_word(&self) -> &'static str {
        tmux_word(self.status_word())
    }

    /// The host of a lane on another machine.
    pub fn remote_host(&self) -> Option<&str> {
        match &self.source {
            LaneSource::Remote { host, .. } => Some(host),
            _ => None,
        }
    }

    /// The tmux session name, for par lanes (on this machine: a remote lane's session is not
    /// one local tmux can reach).
    pub fn session(&self) -> Option<&str> {
        match &self.source {
            LaneSource::Par { session } => Some(session),
            LaneSource::Worktree | LaneSource::Remote { .. } => None,
        }
    }

    /// Whether the lane survives helios quitting (par lanes live in tmux).
    pub fn is_durable(&self) -> bool {
        matches!(self.source, LaneSource::Par { .. })
    }
}

/// The word the lane tables' TMUX column shows for a status word (`--json`'s `status`, also
/// what a remote host publishes): `up` (the session runs, whatever runs in it: the STATE
/// column says that), `gone` (par knows the lane but its session is gone), `none` (a plain
/// worktree: its shell lives only in the console), `remote`. `alive` read as if the agent were.
/// A word a newer host sends shows as it is.
pub fn tmux_word(status_word: &str) -> &str {
    match status_word {
        "alive" => "up",
        "missing" => "gone",
        "worktree" => "none",
        other => other,
    }
}

/// Dirty and ahead/behind counts of a worktree, against the lane's base (`lanes::work`).
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

/// The repository being watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// Top-level directory of the repo.
    pub path: PathBuf,
    /// Short name (directory name), used in subjects and session names.
    pub name: String,
}

/// The tmux target that names exactly session `session` (`=S`): a bare name also matches a
/// session whose name starts with it, or a window of that name, so `par-app-x` could reach
/// `par-app-x2`. Every tmux `-t` helios passes goes through here.
pub fn tmux_target(session: &str) -> String {
    format!("={session}")
}

/// The socket of the tmux server a plain `tmux` reaches outside tmux, the lanes' server: tmux's
/// own rule, `$TMUX_TMPDIR` (when set and not empty, else `/tmp`), then `tmux-UID/default`.
pub fn tmux_default_socket(tmpdir: Option<&std::ffi::OsStr>, uid: u32) -> std::path::PathBuf {
    let dir = tmpdir
        .filter(|d| !d.is_empty())
        .unwrap_or(std::ffi::OsStr::new("/tmp"));
    std::path::Path::new(dir).join(format!("tmux-{uid}/default"))
}

/// The tmux target of the active pane of exactly session `session` (`=S:`): commands that take
/// a pane (`pipe-pane`, `respawn-pane`, `display -p`) refuse a bare `=S`.
pub fn tmux_pane_target(session: &str) -> String {
    format!("={session}:")
}

/// Why `send all` refuses `text`, if it does: the one rule behind `helios lane send all` and
/// the console's `:lane send all`. With no text only Enter would reach each lane, and Enter
/// picks the highlighted answer of a permission menu: one keystroke would approve every
/// pending prompt at once. To one lane by name an empty line is a plain Enter.
pub fn send_all_refusal(text: &str) -> Option<&'static str> {
    text.trim().is_empty().then_some(
        "no text: an empty line would press Enter in every lane, which answers each waiting prompt with its default; send it to one lane by name",
    )
}
