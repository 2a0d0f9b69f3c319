//! AppState: everything the console shows, owned by the runtime and changed only by `update`.

use std::time::Instant;

use crate::app::action::Panel;
use crate::model::AuditEvent;
use crate::model::{LaneId, LaneInfo};

/// The whole state of the console.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The repository helios was opened in.
    pub repo: RepoInfo,
    /// Every lane, in display order (attention first, then by label).
    pub lanes: Vec<Lane>,
    /// The selected lane, if any.
    pub selected: Option<LaneId>,
    /// The focused lane: keys go to its PTY.
    pub focused: Option<LaneId>,
    /// Single pane or swarm grid.
    pub view: View,
    /// Which main panel is shown.
    pub panel: Panel,
    /// What the keyboard is doing right now.
    pub mode: Mode,
    /// The `/` filter text (empty: no filter).
    pub filter: String,
    /// A one-line message for the status line.
    pub flash: Option<Flash>,
    /// The status line's last messages, oldest first (the `M` overlay shows them whole: a
    /// long one is cut in the status line).
    pub messages: std::collections::VecDeque<Message>,
    /// The last journal write error, until a write succeeds again.
    pub journal_error: Option<String>,
    /// The newest audit events, for the events panel (newest last).
    pub recent_events: Vec<AuditEvent>,
    /// Terminal size in cells (cols, rows).
    pub size: (u16, u16),
    /// The time of the last tick or event, for ages; set by events, never read from the clock here.
    pub now: Instant,
    /// Set when the user asked to quit.
    pub quit: bool,
    /// The narrow side-pane view (`--compact`).
    pub compact: bool,
    /// The lane whose unsaved work is being checked before its remove dialog opens.
    pub removing: Option<LaneId>,
    /// A lane just created: selected when discovery first lists it.
    pub select_new: Option<LaneId>,
    /// Lanes this console is removing: not decided again meanwhile (their sessions and worktrees
    /// go away under the screen look, which recorded `unknown`, then `exited`, after the
    /// `lane.removed` event).
    pub removed: Vec<LaneId>,
    /// The lane the console selected by itself (the first in the list, nobody having moved
    /// the selection since): it follows the top row until a lane that needs you is there.
    pub auto_pick: Option<LaneId>,
    /// NATS panel state.
    pub nats: crate::app::nats::NatsState,
    /// Temporal panel state.
    pub temporal: crate::app::temporal::TemporalState,
    /// Active shares and zellij state.
    pub share: crate::app::share::ShareState,
    /// The help overlay's first line shown.
    pub help_top: usize,
    /// The first line of the explanation shown (it scrolls when taller than the screen).
    pub explain_top: usize,
    /// The first row the messages overlay shows.
    pub messages_top: usize,
    /// The events panel's selection and JSON overlay.
    pub events: crate::app::events::EventsView,
    /// Wall-clock time of the last screen tick (lane states' ages and decisions); set by
    /// events, never read from the clock here.
    pub clock: Option<time::OffsetDateTime>,
    /// How lane states are decided from their signals (`[attention]`).
    pub timing: crate::agent::Timing,
    /// The explain overlay's lane, when open.
    pub explaining: Option<LaneId>,
    /// How to tell helios's terminal that a lane started waiting (`[attention] notify`).
    pub notify: crate::config::AttentionNotify,
    /// Every host's lanes, from the JetStream buckets.
    pub fleet: crate::app::fleet::FleetView,
}

pub use crate::model::lane::RepoInfo;

/// A lane as the console sees it: discovery info plus live status.
#[derive(Debug, Clone)]
pub struct Lane {
    /// What discovery said.
    pub info: LaneInfo,
    /// Live status.
    pub status: LaneStatus,
    /// When the lane last printed anything (a redraw helios caused aside: `repaint`).
    pub last_output: Option<Instant>,
    /// When helios last made the lane draw again (`Event::LaneRepaint`).
    pub repaint: Option<Instant>,
    /// The newest output not yet taken as the lane's: a par lane's while its screen change is
    /// held back ([`crate::app::hold`]), until the next look says whether it was a redraw.
    pub held_output: Option<Instant>,
    /// Why the lane needs a human, if it does.
    pub attention: Option<Attention>,
    /// How far the view is scrolled back (0: live).
    pub scroll: usize,
    /// The search in its scrollback (`/`), while it is scrolled back.
    pub search: Option<crate::app::search::Search>,
    /// The agent's state and what it was decided from.
    pub agent: crate::app::agent::AgentView,
    /// A lane on another machine (`LaneSource::Remote`): its host and how current its data is.
    pub remote: Option<crate::app::fleet::RemoteView>,
}

impl Lane {
    /// A lane just discovered, with no output yet.
    pub fn new(info: LaneInfo) -> Self {
        let status = if info.session_alive {
            LaneStatus::Idle
        } else {
            LaneStatus::Missing
        };
        Self {
            info,
            status,
            last_output: None,
            repaint: None,
            held_output: None,
            attention: None,
            scroll: 0,
            search: None,
            agent: crate::app::agent::AgentView::default(),
            remote: None,
        }
    }

    /// The lane's id.
    pub fn id(&self) -> &LaneId {
        &self.info.id
    }
}

/// What a lane is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneStatus {
    /// Printed recently.
    Running,
    /// Quiet.
    Idle,
    /// Its process or tmux session ended.
    Exited,
    /// par knows it but its tmux session is gone.
    Missing,
}

/// Why a lane needs a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attention {
    /// Its state needs a human: waiting, error, done or exited (the lane's `agent` says why).
    Agent(crate::agent::Status),
    /// A Temporal workflow of the lane failed.
    WorkflowFailed { id: String },
}

/// Single pane or grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The selected lane's live pane beside the lane list.
    #[default]
    Single,
    /// Up to 25 lanes as tiles.
    Grid,
}

/// What keys do right now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys are looked up in the keymap.
    #[default]
    Normal,
    /// Keys go to the focused lane's PTY, except the leave-focus key.
    Focus,
    /// A one-line prompt is open.
    Prompt(Prompt),
    /// A yes/no question.
    Confirm(Confirm),
    /// The help overlay.
    Help,
    /// Why the selected lane is in its state (`e`).
    Explain,
    /// The status line's last messages, whole (`M`).
    Messages,
}

/// A one-line text prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// What the text is for.
    pub kind: PromptKind,
    /// The text typed so far.
    pub text: String,
    /// Why the last Enter was refused (a palette command that does not parse), shown on the
    /// prompt line until the text is edited: the text stays to be fixed, not typed again.
    pub error: Option<String>,
}

/// What a prompt's text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// The `:` command palette.
    Palette,
    /// The `/` lane filter.
    Filter,
    /// A new lane's label.
    CreateLabel,
    /// A line to send to the selected lane.
    SendText,
    /// Text to find in the selected lane's scrollback.
    Search,
}

/// A question that needs a yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The question shown.
    pub question: String,
    /// What happens on yes.
    pub on_yes: Box<crate::app::Action>,
}

/// A status-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// The text.
    pub text: String,
    /// Info or error.
    pub level: FlashLevel,
}

/// A status-line message as the messages overlay keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// When it was shown (the console's clock; `None` before its first tick).
    pub at: Option<time::OffsetDateTime>,
    /// The text.
    pub text: String,
    /// Info or error.
    pub level: FlashLevel,
}

/// How many messages the overlay keeps.
pub const MESSAGES_KEPT: usize = 100;

/// How a status-line message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashLevel {
    /// Neutral.
    Info,
    /// Something failed.
    Error,
}

impl AppState {
    /// Show `text` in the status line until the next message replaces it. Called only by the
    /// reducer (`app::update` and its parts): IO reports back with an event instead.
    pub fn flash(&mut self, level: FlashLevel, text: &str) {
        self.flash = Some(Flash {
            text: text.to_string(),
            level,
        });
        if self.messages.len() == MESSAGES_KEPT {
            self.messages.pop_front();
        }
        self.messages.push_back(Message {
            at: self.clock,
            text: text.to_string(),
            level,
        });
    }
}

impl AppState {
    /// A fresh state for a repo, with no lanes yet.
    pub fn new(repo: RepoInfo, now: Instant) -> Self {
        Self {
            repo,
            lanes: Vec::new(),
            selected: None,
            focused: None,
            view: View::default(),
            panel: Panel::default(),
            mode: Mode::default(),
            filter: String::new(),
            flash: None,
            messages: std::collections::VecDeque::new(),
            journal_error: None,
            recent_events: Vec::new(),
            size: (80, 24),
            now,
            quit: false,
            compact: false,
            removing: None,
            select_new: None,
            removed: Vec::new(),
            auto_pick: None,
            nats: crate::app::nats::NatsState::default(),
            temporal: crate::app::temporal::TemporalState::default(),
            share: crate::app::share::ShareState::default(),
            help_top: 0,
            explain_top: 0,
            messages_top: 0,
            events: crate::app::events::EventsView::default(),
            clock: None,
            timing: crate::agent::Timing::default(),
            explaining: None,
            notify: crate::config::AttentionNotify::Off,
            fleet: crate::app::fleet::FleetView::default(),
        }
    }

    /// A lane by id.
    pub fn lane(&self, id: &LaneId) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.id() == id)
    }

    /// A lane by id, mutable.
    pub fn lane_mut(&mut self, id: &LaneId) -> Option<&mut Lane> {
        self.lanes.iter_mut().find(|l| l.id() == id)
    }

    /// The selected lane while the filter shows it: the lane that keys and commands act on (a
    /// filter that hides every lane leaves none to act on, whatever stays selected behind it).
    pub fn selected_visible(&self) -> Option<&LaneId> {
        self.selected
            .as_ref()
            .filter(|s| self.visible_lanes().any(|l| l.id() == *s))
    }

    /// The lanes that pass the filter, in display order.
    pub fn visible_lanes(&self) -> impl Iterator<Item = &Lane> {
        let needle = self.filter.to_lowercase();
        self.lanes.iter().filter(move |l| {
            needle.is_empty()
                || l.id().as_str().to_lowercase().contains(&needle)
                // `/waiting`, `/permission`, `/error`, `/done`: the list by state.
                || l.agent
                    .state
                    .as_ref()
                    .is_some_and(|s| s.status.label().replace(' ', "_").contains(&needle))
                || l.info
                    .branch
                    .as_deref()
                    .is_some_and(|b| b.to_lowercase().contains(&needle))
        })
    }

    /// How many lanes need attention.
    pub fn attention_count(&self) -> usize {
        self.lanes.iter().filter(|l| l.attention.is_some()).count()
    }
}
