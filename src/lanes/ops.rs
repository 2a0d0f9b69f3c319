//! The lane operations the console's engine runs on blocking threads, behind a trait: par's CLI
//! (with its checks against par's state and tmux) in the console, a double in the engine's tests.

use std::path::Path;

use crate::lanes::{LaneError, LaneInfo, par, work};
use crate::model::work::Unsaved;

/// Create, send to and remove lanes.
pub trait LaneOps: std::fmt::Debug + Send + Sync {
    /// `par start LABEL [--base REF]`; the tmux session made.
    fn start(&self, repo: &Path, label: &str, base: Option<&str>) -> Result<String, LaneError>;
    /// `par send TARGET TEXT` (`all`: every par lane of `repo`).
    fn send(&self, repo: &Path, target: &str, text: &str) -> Result<(), LaneError>;
    /// Remove the lane, refused when it holds unsaved work unless `force`; what was discarded.
    fn remove(&self, repo: &Path, lane: &LaneInfo, force: bool) -> Result<Unsaved, LaneError>;
}

/// The real operations: [`par`] and [`work::remove`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ParLanes;

impl LaneOps for ParLanes {
    fn start(&self, repo: &Path, label: &str, base: Option<&str>) -> Result<String, LaneError> {
        par::start(repo, label, base)
    }

    fn send(&self, repo: &Path, target: &str, text: &str) -> Result<(), LaneError> {
        par::send(repo, target, text)
    }

    fn remove(&self, repo: &Path, lane: &LaneInfo, force: bool) -> Result<Unsaved, LaneError> {
        work::remove(repo, lane, force)
    }
}

/// Create a par lane and, when `cmd` is given, type it into the lane: the one implementation
/// behind the console's `c` and `helios lane new`. The tmux session made, or what failed; when
/// only the command failed, the error says the lane exists and how to send it again.
pub fn create(
    ops: &dyn LaneOps,
    repo: &Path,
    label: &str,
    base: Option<&str>,
    cmd: Option<&str>,
) -> Result<String, LaneError> {
    let session = ops.start(repo, label, base)?;
    if let Some(cmd) = cmd.filter(|c| !c.is_empty()) {
        ops.send(repo, label, cmd).map_err(|e| LaneError::Failed {
            what: format!("lane {label} was created (tmux session {session}), but sending --cmd"),
            message: format!("{e}; retry with `helios lane send {label} -- {cmd}`"),
        })?;
    }
    Ok(session)
}
