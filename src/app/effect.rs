//! Effects: what the reducer asks the runtime to do. The runtime turns each into IO in a task.

use serde_json::Value;

use crate::app::action::SendTarget;
use crate::model::LaneId;

/// A request for IO, returned by `update` and carried out by the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Find `query` in a lane's output, its history included; answered by
    /// [`crate::app::Event::SearchFound`].
    SearchLane { lane: LaneId, query: String },
    /// Write bytes to a lane's PTY.
    WriteLane { lane: LaneId, bytes: Vec<u8> },
    /// Resize every lane's PTY to the given pane and tile sizes.
    ResizeLanes,
    /// Make sure every listed lane has a PTY (attach new ones, drop gone ones).
    SyncPtys,
    /// Re-read lanes from par or git.
    DiscoverLanes,
    /// Create a lane with par.
    CreateLane {
        label: String,
        base: Option<String>,
        cmd: Option<String>,
    },
    /// Ask a host's `helios serve` to create, remove or send to one of its lanes; `lane` is
    /// the console's name for it (the result comes back as a lane command).
    AskHost {
        lane: LaneId,
        host: String,
        repo: String,
        label: String,
        op: crate::model::fleet::LaneOp,
    },
    /// Find out what removing a lane would lose (its commits not in its base, its uncommitted
    /// and untracked files); answered with `Event::UnsavedChecked`.
    CheckUnsaved { lane: LaneId },
    /// Remove a lane with par; without `force` it is refused when the lane holds unsaved work.
    RemoveLane { lane: LaneId, force: bool },
    /// Send a line with par (or to the helios-owned PTY).
    SendLine { target: SendTarget, text: String },
    /// Leave the console and attach to the lane's tmux session.
    Attach { lane: LaneId },
    /// Start a dead lane's command again.
    RestartLane { lane: LaneId },
    /// The compact view's Enter: focus the lane's pane in the zellij session around it.
    FocusZellijPane { lane: LaneId },
    /// Append an audit event to the journal.
    Record {
        action: String,
        lane: Option<LaneId>,
        ok: bool,
        detail: Value,
    },
    /// Record a lane's new state in the store (once, with its `lane.state` event).
    RecordLaneState {
        lane: LaneId,
        decision: Box<crate::agent::Decision>,
    },
    /// Keep in the store that the user looked at a lane in its stored state.
    AckLaneState { lane: LaneId },
    /// Read the lanes' stored states and newest hook signals.
    LoadLaneStates,
    /// Write a notification (bell, OSC 9/777) to helios's own terminal between frames.
    NotifyTerminal { bytes: String },
    /// Put text on the clipboard of the terminal helios runs in (OSC 52), written by the one
    /// terminal writer between frames.
    Clipboard { text: String },
    /// Stop the runtime.
    Quit,
    /// Restore the terminal, stop the process, and take the terminal back when continued.
    Suspend,
    /// Give the terminal to a program until it ends (`tmux attach`, zellij), then take it
    /// back: the console and its own lanes keep running meanwhile.
    HandOver(HandOver),
    /// Integration effects, carried out by each integration's task.
    Nats(NatsEffect),
    /// Temporal requests.
    Temporal(TemporalEffect),
    /// Share and zellij requests.
    Share(ShareEffect),
}

/// A program that takes the terminal from the console for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct HandOver {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// What the journal records when it ends (an [`crate::model::AuditAction`] name), and for
    /// which lane.
    pub action: crate::model::AuditAction,
    pub lane: Option<LaneId>,
    /// The event's detail; the error, when the program failed, is added to it.
    pub detail: Value,
    /// What the flash says when the console is back.
    pub back: String,
    /// The tmux session the program attaches to: when it is gone afterwards, the flash says
    /// so instead (a detach and a killed session both end `tmux attach` with status 0).
    pub session: Option<String>,
}

/// Requests for the NATS task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatsEffect {
    /// Refresh the panel now.
    Refresh,
}

/// Requests for the Temporal task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemporalEffect {
    /// Refresh the panel now.
    Refresh,
    /// List with this filter, lane and page from now on.
    Query {
        /// The user's Temporal list filter (empty: all).
        filter: String,
        /// Only this lane's workflows.
        lane: Option<String>,
        /// Page (0-based).
        page: usize,
    },
    /// Keep the detail of this workflow (id, run id) fresh; `None` stops.
    Watch { workflow: Option<(String, String)> },
    /// Run a confirmed triage action, record it, and report back.
    Triage {
        /// What to do.
        request: crate::app::temporal::TriageRequest,
    },
}

/// Requests for the share task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareEffect {
    /// Re-read the list of shares (and expire or end the ones that need it).
    Refresh,
    /// Start sharing a lane.
    Start {
        /// The lane, as discovered.
        lane: crate::model::LaneInfo,
        /// The tool.
        tool: crate::model::Tool,
        /// Read-write.
        rw: bool,
        /// Time to live.
        ttl: std::time::Duration,
    },
    /// Stop sharing a lane.
    Stop {
        /// The lane's label.
        lane: String,
    },
    /// Write the layout and prepare the zellij session (attach, create, or add panes).
    OpenZellij {
        /// Every lane, in display order.
        lanes: Vec<crate::model::LaneInfo>,
        /// Labels needing attention.
        attention: Vec<String>,
        /// The selected lane.
        selected: Option<String>,
    },
}
