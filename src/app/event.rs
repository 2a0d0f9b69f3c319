//! Typed events coming back from IO tasks into the reducer.

use std::time::Instant;

use crate::model::AuditEvent;
use crate::model::{LaneId, LaneInfo};

/// Something that happened outside the core. IO tasks send these; `update` applies them.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Where `query` is in a lane's output (an answer to `Effect::SearchLane`).
    SearchFound {
        /// The lane searched.
        lane: LaneId,
        /// What was searched for.
        query: String,
        /// The lines that hold it.
        found: crate::app::search::Found,
    },
    /// A clock tick (about once a second) so ages and quiet-lane attention can advance.
    Tick { now: Instant },
    /// The terminal was resized.
    Resized { cols: u16, rows: u16 },
    /// Lane discovery finished: the full current set of lanes.
    LanesDiscovered { lanes: Vec<LaneInfo> },
    /// Lane discovery failed.
    DiscoveryFailed { error: String },
    /// A lane's screen changed (the bytes are already in its screen model). Repeated notices merge.
    LaneOutput { lane: LaneId, at: Instant },
    /// helios made the lane's terminal draw again without its program printing anything new:
    /// it resized the lane, or brought it to the front (a par lane's attach client draws the
    /// window, resized to the pane). Output until [`crate::app::agent::REPAINT`] after `at` is
    /// taken for that redraw, not for the lane's own output.
    LaneRepaint { lane: LaneId, at: Instant },
    /// A lane rang the bell.
    LaneBell { lane: LaneId },
    /// A lane's view is scrolled back as far as it goes: `rows`, less than asked.
    LaneScrollReach { lane: LaneId, rows: usize },
    /// A lane sent an OSC 9 / OSC 777 notification.
    LaneNotified { lane: LaneId, text: String },
    /// A program in a lane set the clipboard (OSC 52) with `text`; `allowed`: the config lets
    /// it reach the user's clipboard (`[lanes] clipboard = "allow"`).
    LaneClipboard {
        lane: LaneId,
        text: String,
        allowed: bool,
    },
    /// A lane's screen was filled from its pane's current contents (a par lane's feed, at its
    /// start): drawn like output, but the lane printed nothing new (its last output and status
    /// stay, and the lane re-read does not count its git again for it).
    LaneSeeded { lane: LaneId },
    /// A dead lane's command runs again (`R`).
    LaneRestarted { lane: LaneId },
    /// The Enter of a `lane send` into a helios-owned lane is due (it follows the text after
    /// a pause, as for par lanes: `lanes::par::ENTER_AFTER`).
    LaneEnterDue { lane: LaneId },
    /// A par lane's tap started serving its pane's output, or will not: the lane waiting for it
    /// is read from the tap, or through a tmux client (`pipe` mode).
    LaneTapDecided { lane: LaneId },
    /// The size the attach client of the par lane in front must have is known (before its
    /// feed's first seed): the client can start (`pipe` mode).
    LaneClientSized { lane: LaneId },
    /// A lane's PTY process ended (tmux session gone, or shell exited).
    LaneExited { lane: LaneId, code: Option<u32> },
    /// The wall-clock time now (sent before keys, which the lane states stamp).
    Clock { at: time::OffsetDateTime },
    /// The once-a-second look at every lane's screen, with the wall-clock time.
    LaneScreens {
        at: time::OffsetDateTime,
        lanes: Vec<crate::app::agent::ScreenObservation>,
    },
    /// What runs in each lane's foreground.
    LaneProcesses {
        lanes: Vec<(LaneId, crate::agent::Process)>,
    },
    /// Lane states and hook signals read from the store.
    LaneStatesLoaded {
        lanes: Vec<crate::app::agent::LoadedState>,
    },
    /// A hook or MCP call changed a lane's stored state (the console's wake socket).
    LaneStatesChanged,
    /// A lane reported OSC 9;4 progress (`None`: removed).
    LaneProgress {
        lane: LaneId,
        progress: Option<crate::app::agent::Progress>,
    },
    /// A lane command (create, remove, send) finished.
    LaneCommandDone {
        what: String,
        lane: Option<LaneId>,
        result: Result<String, String>,
    },
    /// What removing a lane would lose, or why that could not be found out.
    UnsavedChecked {
        lane: LaneId,
        result: Result<crate::model::work::Unsaved, String>,
    },
    /// The console is back from a suspend (Ctrl-z, then `fg`), or could not suspend (`error`).
    Resumed { error: Option<String> },
    /// An audit event was journalled (for the events panel).
    Journalled { event: AuditEvent },
    /// The journal's newest events, read once at console start (oldest first).
    JournalHistory { events: Vec<AuditEvent> },
    /// The audit journal could not be written: actions are refused until it can.
    JournalFailed { error: String },
    /// Lanes on other machines (the watch of the JetStream buckets).
    Fleet(crate::app::fleet::FleetEvent),
    /// NATS monitor and forwarder events.
    Nats(crate::app::nats::NatsEvent),
    /// Temporal monitor events.
    Temporal(crate::app::temporal::TemporalEvent),
    /// Share and zellij events.
    Share(crate::app::share::ShareEvent),
    /// Something for the status line from outside the reducer (a lane terminal that failed to
    /// start, a start-up notice).
    Notice {
        level: crate::app::state::FlashLevel,
        text: String,
    },
}

/// Where IO tasks send their typed events. Unbounded because every producer coalesces first
/// (lane output is a merged notice, monitors send at most one snapshot per refresh). A type
/// name only: the core sends and receives nothing itself.
pub type EventSender = tokio::sync::mpsc::UnboundedSender<Event>;

/// The receiving end of [`EventSender`].
pub type EventReceiver = tokio::sync::mpsc::UnboundedReceiver<Event>;
