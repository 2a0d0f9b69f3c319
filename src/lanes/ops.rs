//! The lane operations the console's engine runs on blocking threads, behind a trait: par's CLI
//! (with its checks against par's state and tmux) in the console, a double in the engine's tests.

use std::path::Path;

use serde_json::Value;

use crate::lanes::{LaneError, LaneInfo, par, work};
use crate::model::AuditEvent;
use crate::model::work::Unsaved;

/// Create, send to and remove lanes.
pub trait LaneOps: std::fmt::Debug + Send + Sync {
    /// `par start LABEL [--base REF]`; the tmux session made.
    fn start(&self, repo: &Path, label: &str, base: Option<&str>) -> Result<String, LaneError>;
    /// `par send LABEL TEXT` into one par lane.
    fn send(&self, repo: &Path, target: &str, text: &str) -> Result<(), LaneError>;
    /// `send all`: every par lane of `repo`, each with its own result.
    fn send_each(&self, repo: &Path, text: &str) -> Result<SentAll, LaneError>;
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

    fn send_each(&self, repo: &Path, text: &str) -> Result<SentAll, LaneError> {
        par::send_each(repo, text).map(|lanes| SentAll { lanes })
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

/// What `send all` did in each par lane: the one result behind the console's `:lane send all`
/// and `helios lane send all`, journalled as an event per lane and said in one line.
#[derive(Debug, Clone)]
pub struct SentAll {
    /// Each lane's label and its result.
    pub lanes: par::LaneResults,
}

impl SentAll {
    /// One line: `sent to all 3 lanes`, or `sent to 1 of 3 lanes; not sent to b (…), c (…)`.
    pub fn summary(&self) -> Result<String, String> {
        let missed: Vec<String> = self
            .lanes
            .iter()
            .filter_map(|(label, r)| {
                r.as_ref()
                    .err()
                    .map(|e| format!("{label} ({})", why_not(e)))
            })
            .collect();
        let total = self.lanes.len();
        if missed.is_empty() {
            let lanes = if total == 1 { "lane" } else { "lanes" };
            return Ok(format!("sent to all {total} {lanes}"));
        }
        Err(format!(
            "sent to {} of {total} lanes; not sent to {}",
            total - missed.len(),
            missed.join(", ")
        ))
    }

    /// `action` (`lane.text_sent`) for each lane with its own result: `detail` (the text, how
    /// it went) and, for a lane it did not reach, the error.
    pub fn events(&self, actor: &str, repo: &str, action: &str, detail: &Value) -> Vec<AuditEvent> {
        self.lanes
            .iter()
            .map(|(label, r)| {
                let error = r.as_ref().err().map(ToString::to_string);
                let (lane, d) = (Some(label.as_str()), detail.clone());
                AuditEvent::of_result(actor, repo, action, lane, d, error.as_deref())
            })
            .collect()
    }
}

/// Why one lane of `send all` got nothing, short enough to list several in a line (the whole
/// error, with its fix, is in that lane's event).
fn why_not(e: &LaneError) -> String {
    match e {
        LaneError::SessionGone { label, session } => {
            format!("its tmux session {session} is gone: `par open {label}` makes it again")
        }
        LaneError::Renamed {
            recorded, session, ..
        } => format!("tmux named its session {session}, not {recorded}: par cannot reach it"),
        LaneError::ProgramEnded { end, .. } => {
            format!("its program ended ({end}): R on it in the console restarts it")
        }
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn send_all_says_each_missed_lane_once_in_plain_words() {
        let gone = |l: &str| LaneError::SessionGone {
            label: l.into(),
            session: format!("par-{l}"),
        };
        let sent = SentAll {
            lanes: vec![
                ("a".into(), Ok(())),
                ("d".into(), Err(gone("d"))),
                ("b".into(), Ok(())),
                ("e".into(), Err(gone("e"))),
            ],
        };
        let said = sent.summary().unwrap_err();
        assert_eq!(
            said,
            "sent to 2 of 4 lanes; not sent to d (its tmux session par-d is gone: `par open d` makes it again), e (its tmux session par-e is gone: `par open e` makes it again)"
        );
        assert!(!said.contains("nothing was sent"), "{said}");
        let events = sent.events("me@h", "app", "lane.text_sent", &json!({"text": "hi"}));
        let got: Vec<(Option<&str>, bool)> = events
            .iter()
            .map(|e| (e.lane.as_deref(), e.result == crate::model::EventResult::Ok))
            .collect();
        assert_eq!(
            got,
            [
                (Some("a"), true),
                (Some("d"), false),
                (Some("b"), true),
                (Some("e"), false)
            ]
        );
        assert_eq!(events[0].detail, json!({"text": "hi"}));
        assert!(
            events[1].detail["error"]
                .as_str()
                .unwrap()
                .contains("par-d")
        );
        let all = SentAll {
            lanes: vec![("a".into(), Ok(()))],
        };
        assert_eq!(all.summary().unwrap(), "sent to all 1 lane");
    }
}
