//! Share state, actions and events, and their pure reducer: the share dialog (tool, mode,
//! read-write confirmation, links), the list of active shares, and the `L` key's zellij handoff.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::effect::ShareEffect;
use crate::app::on_action::flash;
use crate::app::state::FlashLevel;
use crate::app::{AppState, Effect};
use crate::model::AuditAction;
use crate::model::LaneId;
use crate::model::{Share, Tool};

/// Default time to live of a share started from the console.
pub const DEFAULT_TTL: Duration = Duration::from_mins(30);

/// The share dialog's step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogStep {
    /// Choosing tool (t/u) and mode (r toggles read-write); Enter starts.
    Choose,
    /// Read-write asks again: y starts, anything else goes back.
    ConfirmRw,
    /// Waiting for the tool to report its links, since this moment (the dialog shows how long).
    Starting {
        /// When the start was asked for.
        since: Instant,
    },
    /// The share is up: links shown.
    Showing,
    /// Starting failed: the message.
    Failed(String),
}

/// The share dialog for one lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareDialog {
    /// The lane.
    pub lane: LaneId,
    /// Chosen tool.
    pub tool: Tool,
    /// Read-write chosen.
    pub rw: bool,
    /// Where the dialog is.
    pub step: DialogStep,
}

/// What the share dialog and the compact view show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShareState {
    /// Active shares of this repo.
    pub shares: Vec<Share>,
    /// The open dialog.
    pub dialog: Option<ShareDialog>,
    /// How long a start waits for the tool's links (`[share] ready_timeout_secs`), when known.
    pub ready_timeout_secs: Option<u64>,
}

/// What a share start waits for, and for how long at most: the console's dialog and `helios
/// share start` say the same.
pub fn waiting_text(tool: Tool, timeout_secs: Option<u64>) -> String {
    let bound = timeout_secs.map_or_else(String::new, |s| format!(" (up to {s} s)"));
    format!("waiting for {} to report its links{bound}…", tool.as_str())
}

impl ShareState {
    /// The active share of a lane.
    pub fn for_lane(&self, lane: &str) -> Option<&Share> {
        self.shares.iter().find(|s| s.lane == lane)
    }
}

/// User actions for share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareAction {
    /// Refresh now.
    Refresh,
    /// Start sharing a lane (asks how first).
    Start {
        /// The lane.
        lane: crate::model::LaneId,
    },
    /// Attach to or create the repo's zellij session.
    OpenZellij,
    /// In the dialog: pick a tool.
    ChooseTool {
        /// The tool.
        tool: Tool,
    },
    /// In the dialog: toggle read-only / read-write.
    ToggleRw,
    /// In the dialog: go on (start, or confirm read-write).
    Confirm,
    /// Copy the dialog's links again.
    CopyLinks,
    /// Stop the lane's share.
    Stop {
        /// The lane.
        lane: LaneId,
    },
    /// Close the dialog (the share keeps running).
    Close,
}

/// Typed events from the share tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum ShareEvent {
    /// The current active shares.
    Listed {
        /// Every active share, with attached clients.
        shares: Vec<Share>,
    },
    /// A share started.
    Started {
        /// It.
        share: Share,
    },
    /// A share could not start (already recorded and cleaned up).
    StartFailed {
        /// The lane.
        lane: String,
        /// The one-line reason.
        error: String,
    },
    /// A share was stopped.
    Stopped {
        /// The lane.
        lane: String,
    },
    /// The zellij layout is written; run `argv` after quitting (outside zellij), or nothing.
    ZellijReady {
        /// What to run, if anything.
        argv: Option<Vec<String>>,
        /// One line for the status bar.
        message: String,
    },
    /// Something failed in the share task (zellij or a refresh).
    Failed {
        /// The one-line reason.
        error: String,
    },
}

/// Apply a share action.
pub fn on_action(state: &mut AppState, action: ShareAction) -> Vec<Effect> {
    match action {
        ShareAction::Refresh => vec![Effect::Share(ShareEffect::Refresh)],
        ShareAction::Start { lane } => {
            let step = if state.share.for_lane(lane.as_str()).is_some() {
                DialogStep::Showing
            } else if let Some(why) = unshareable(state, &lane) {
                // Refused before the dialog opens: its every choice would fail the same way.
                flash(state, FlashLevel::Error, &why);
                return Vec::new();
            } else {
                DialogStep::Choose
            };
            state.share.dialog = Some(ShareDialog {
                lane,
                tool: Tool::Tmate,
                rw: false,
                step,
            });
            Vec::new()
        }
        ShareAction::OpenZellij => {
            let attention = state
                .lanes
                .iter()
                .filter(|l| l.attention.is_some())
                .map(|l| l.id().to_string())
                .collect();
            flash(state, FlashLevel::Info, "preparing the zellij layout…");
            vec![Effect::Share(ShareEffect::OpenZellij {
                lanes: state.lanes.iter().map(|l| l.info.clone()).collect(),
                attention,
                selected: state.selected.as_ref().map(ToString::to_string),
            })]
        }
        ShareAction::ChooseTool { tool } => {
            if let Some(d) = state
                .share
                .dialog
                .as_mut()
                .filter(|d| d.step == DialogStep::ConfirmRw)
            {
                d.step = DialogStep::Choose;
            }
            if let Some(d) = choosing(state) {
                d.tool = tool;
            }
            Vec::new()
        }
        ShareAction::ToggleRw => {
            if let Some(d) = choosing(state) {
                d.rw = !d.rw;
            }
            Vec::new()
        }
        ShareAction::Confirm => confirm(state),
        ShareAction::CopyLinks => {
            let Some(d) = &state.share.dialog else {
                return Vec::new();
            };
            let Some(s) = state.share.for_lane(d.lane.as_str()) else {
                return Vec::new();
            };
            let text = s
                .links
                .iter()
                .map(|l| l.url.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            flash(state, FlashLevel::Info, "links copied (OSC 52)");
            vec![Effect::Clipboard { text }]
        }
        ShareAction::Stop { lane } => {
            state.share.dialog = None;
            flash(
                state,
                FlashLevel::Info,
                &format!("stopping the share of {lane}…"),
            );
            vec![Effect::Share(ShareEffect::Stop {
                lane: lane.to_string(),
            })]
        }
        ShareAction::Close => {
            state.share.dialog = None;
            Vec::new()
        }
    }
}

/// Why `lane` cannot be shared, and what to do instead: a share attaches to the lane's tmux
/// session (see `integrations::share::attach_line`), which a plain worktree lane (a shell
/// helios owns) does not have and a lane whose session ended no longer has.
fn unshareable(state: &AppState, lane: &LaneId) -> Option<String> {
    use crate::model::LaneSource;
    let Some(l) = state.lane(lane) else {
        return Some(format!("no lane {lane}"));
    };
    // Short: the status line is one row (about 70 columns left at 80).
    let name = crate::text::escape(lane.as_str());
    let alive = l.info.session_alive;
    match &l.info.source {
        LaneSource::Worktree => Some(format!(
            "{name} is a plain worktree lane: only par lanes share (:lane new NAME)"
        )),
        LaneSource::Remote {
            host,
            session: None,
            ..
        } => {
            let host = crate::text::escape(host);
            Some(format!(
                "{name} is a plain worktree lane on {host}: only par lanes share \
                 (:lane new NAME --host {host})"
            ))
        }
        LaneSource::Par { .. } if !alive => Some(format!(
            "{name}'s tmux session is gone: `par open {name}` makes it again"
        )),
        LaneSource::Remote { host, .. } if !alive => Some(format!(
            "{name}'s tmux session on {} is gone: nothing to share",
            crate::text::escape(host)
        )),
        LaneSource::Par { .. } | LaneSource::Remote { .. } => None,
    }
}

fn choosing(state: &mut AppState) -> Option<&mut ShareDialog> {
    state
        .share
        .dialog
        .as_mut()
        .filter(|d| d.step == DialogStep::Choose)
}

fn confirm(state: &mut AppState) -> Vec<Effect> {
    let Some(d) = state.share.dialog.clone() else {
        return Vec::new();
    };
    let go = match d.step {
        DialogStep::Choose if d.rw => {
            set_step(state, DialogStep::ConfirmRw);
            false
        }
        DialogStep::Choose | DialogStep::ConfirmRw => true,
        DialogStep::Failed(_) => {
            set_step(state, DialogStep::Choose);
            false
        }
        DialogStep::Starting { .. } | DialogStep::Showing => false,
    };
    if !go {
        return Vec::new();
    }
    let Some(lane) = state.lane(&d.lane).map(|l| l.info.clone()) else {
        set_step(
            state,
            DialogStep::Failed(format!("lane {} is gone", d.lane)),
        );
        return Vec::new();
    };
    let since = state.now;
    set_step(state, DialogStep::Starting { since });
    vec![
        Effect::Record {
            action: AuditAction::ShareRequested.as_str().into(),
            lane: Some(d.lane.clone()),
            ok: true,
            detail: json!({ "tool": d.tool.as_str(), "mode": if d.rw { "rw" } else { "ro" } }),
        },
        Effect::Share(ShareEffect::Start {
            lane,
            tool: d.tool,
            rw: d.rw,
            ttl: DEFAULT_TTL,
        }),
    ]
}

fn set_step(state: &mut AppState, step: DialogStep) {
    if let Some(d) = state.share.dialog.as_mut() {
        d.step = step;
    }
}

/// Apply a share event.
pub fn on_event(state: &mut AppState, event: ShareEvent) -> Vec<Effect> {
    match event {
        ShareEvent::Listed { shares } => {
            state.share.shares = shares;
            Vec::new()
        }
        ShareEvent::Started { share } => {
            let lane = share.lane.clone();
            let text = share
                .links
                .iter()
                .map(|l| l.url.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            state.share.shares.retain(|s| s.lane != lane);
            state.share.shares.push(share);
            if let Some(d) = state
                .share
                .dialog
                .as_mut()
                .filter(|d| d.lane.as_str() == lane)
            {
                d.step = DialogStep::Showing;
            }
            flash(
                state,
                FlashLevel::Info,
                &format!("sharing {lane}; links copied (OSC 52)"),
            );
            vec![Effect::Clipboard { text }]
        }
        ShareEvent::StartFailed { lane, error } => {
            if let Some(d) = state
                .share
                .dialog
                .as_mut()
                .filter(|d| d.lane.as_str() == lane)
            {
                d.step = DialogStep::Failed(error.clone());
            }
            flash(state, FlashLevel::Error, &error);
            Vec::new()
        }
        ShareEvent::Stopped { lane } => {
            state.share.shares.retain(|s| s.lane != lane);
            flash(state, FlashLevel::Info, &format!("stopped sharing {lane}"));
            Vec::new()
        }
        ShareEvent::ZellijReady { argv, message } => {
            flash(state, FlashLevel::Info, &message);
            // Outside zellij, zellij runs in this terminal; the console comes back when the
            // user detaches or quits it (`helios zellij` is the way to leave helios for it).
            let Some(argv) = argv else {
                return Vec::new();
            };
            let detail = json!({ "argv": argv });
            vec![Effect::HandOver(crate::app::effect::HandOver {
                argv,
                action: AuditAction::ZellijOpen,
                lane: None,
                detail,
                back: "back from zellij".into(),
                session: None,
            })]
        }
        ShareEvent::Failed { error } => {
            flash(state, FlashLevel::Error, &error);
            Vec::new()
        }
    }
}

/// Keys while the share dialog is open (the keymap is bypassed): `t`/`u` pick tmate/upterm,
/// `r` toggles read-write, Enter or `y` goes on, `c` copies the links, `x` stops the share,
/// Esc or `q` closes.
pub fn dialog_key(state: &ShareState, key: char) -> Option<crate::app::Action> {
    use crate::app::Action;
    let d = state.dialog.as_ref()?;
    let a = match (key, &d.step) {
        ('t', DialogStep::Choose) => ShareAction::ChooseTool { tool: Tool::Tmate },
        ('u', DialogStep::Choose) => ShareAction::ChooseTool { tool: Tool::Upterm },
        ('r', DialogStep::Choose) => ShareAction::ToggleRw,
        ('\n' | '\r', DialogStep::Choose | DialogStep::Failed(_))
        | ('y', DialogStep::ConfirmRw) => ShareAction::Confirm,
        ('c', DialogStep::Showing) => ShareAction::CopyLinks,
        ('x', DialogStep::Showing) => ShareAction::Stop {
            lane: d.lane.clone(),
        },
        ('n' | '\x1b', DialogStep::ConfirmRw) => ShareAction::ChooseTool { tool: d.tool },
        ('\x1b' | 'q', _) => ShareAction::Close,
        _ => return None,
    };
    Some(Action::Share(a))
}
