//! The one Action enum: keys, the palette, the CLI and tests all produce it.

use crate::model::LaneId;

/// Something the user asked for. Every input path (keymap, palette, CLI, tests) yields one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Move the selection down the (filtered) lane list.
    SelectNext,
    /// Move the selection up the (filtered) lane list.
    SelectPrev,
    /// Select a lane by label.
    Select { lane: LaneId },
    /// Focus the selected lane: every key goes to its PTY until `Unfocus`.
    Focus,
    /// Leave focus mode.
    Unfocus,
    /// Toggle between the single pane and the swarm grid.
    ToggleGrid,
    /// Jump to the next lane that needs attention.
    NextAttention,
    /// Ask for a label, then create a lane.
    PromptCreate,
    /// Create a lane now.
    CreateLane {
        label: String,
        base: Option<String>,
        cmd: Option<String>,
    },
    /// Create a lane on another machine, through its `helios serve`.
    CreateOnHost {
        host: String,
        label: String,
        base: Option<String>,
        cmd: Option<String>,
    },
    /// Ask to confirm, then remove the selected lane.
    PromptRemove,
    /// Remove a lane now (already confirmed); with `force` even when it holds unsaved work.
    RemoveLane { lane: LaneId, force: bool },
    /// Ask for a line of text, then send it to the selected lane.
    PromptSend,
    /// Send a line of text (followed by Enter) to a lane, or to all lanes.
    SendLine { target: SendTarget, text: String },
    /// Raw bytes for the focused lane's PTY (keys typed in focus mode, pastes).
    WriteFocused { bytes: Vec<u8> },
    /// Scroll the selected lane's scrollback; positive is up (older).
    Scroll { lines: i32 },
    /// Scroll the selected lane's scrollback a page up (older) or down: the rows its pane
    /// shows, less one kept for context, as less and tmux's copy mode do.
    ScrollPage { up: bool },
    /// Replace helios with an attach to the lane's tmux session.
    Attach { lane: LaneId },
    /// Start a dead lane's command again (a par lane's dead pane, a plain lane's shell).
    Restart { lane: LaneId },
    /// Open the `:` command palette.
    OpenPalette,
    /// Open the `/` filter prompt.
    OpenFilter,
    /// `N`: the next newer line of the selected lane's search (`n`, the attention key, steps
    /// to the next older one while a search is shown).
    SearchNewer,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Open (or close) the explanation of the selected lane's state.
    ToggleExplain,
    /// Scroll the explanation so that its line `top` is the first shown.
    ExplainScroll { top: usize },
    /// Show (or hide) the status line's last messages, whole.
    ToggleMessages,
    /// A key bound to a command that needs a lane, with none selected: say so.
    NoLane,
    /// A key bound to a command on the selected lane, pressed while another panel hides the
    /// lanes (`d` in the Temporal panel must not remove a lane the user cannot see): say so.
    LanesHidden,
    /// Show a panel.
    ShowPanel { panel: Panel },
    /// Cycle to the next panel.
    NextPanel,
    /// Re-read the lane list now.
    RefreshLanes,
    /// Close a dialog, prompt or overlay.
    Cancel,
    /// Quit helios: par lanes keep running; helios-owned lanes end with it, so when a program
    /// other than the shell runs in one, a dialog asks first.
    Quit,
    /// Quit without asking (the dialog's yes).
    QuitAnyway,
    /// Give the terminal back to the shell and stop (Ctrl-z); `fg` resumes and redraws.
    Suspend,
    /// NATS panel actions (issue: event spine).
    Nats(crate::app::nats::NatsAction),
    /// Temporal panel and triage actions.
    Temporal(crate::app::temporal::TemporalAction),
    /// Zellij layouts and lane sharing.
    Share(crate::app::share::ShareAction),
    /// Select the first lane of the (filtered) list.
    SelectFirst,
    /// Select the last lane of the (filtered) list.
    SelectLast,
    /// Cycle to the previous panel.
    PrevPanel,
    /// Edit the open prompt's text.
    PromptInput { edit: PromptEdit },
    /// Submit the open prompt (run the palette command, apply the filter, create, send).
    PromptSubmit,
    /// Answer yes to the open confirm dialog: run its stored action.
    ConfirmYes,
    /// Find out what removing this lane would lose, then ask to confirm.
    AskRemove { lane: LaneId },
    /// The user said yes to removing a lane that holds unsaved work: ask once more, saying
    /// what is lost (`loss`), before removing it anyway.
    AskRemoveAnyway { lane: LaneId, loss: String },
    /// Scroll the help overlay so line `top` is its first.
    HelpScroll { top: usize },
    /// Scroll the messages overlay to show row `top` first.
    MessagesScroll { top: usize },
    /// Events panel: select, open and scroll one event's JSON.
    Events(crate::app::events::EventsAction),
}

/// An edit to the open prompt's text (the cursor is always at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptEdit {
    /// Type text.
    Insert { text: String },
    /// Delete the last character.
    Backspace,
    /// Delete the last word (Ctrl-W).
    DeleteWord,
    /// Delete everything (Ctrl-U).
    Clear,
    /// Complete the palette command or lane name (Tab).
    Complete,
}

impl PromptEdit {
    /// Apply this edit to a prompt's text: the one line editor behind every prompt (the
    /// palette, the lane filter, the `c` and `s` prompts, the Temporal panel's filter, signal
    /// and terminate inputs). `Complete` changes nothing here: what completes is the prompt's.
    pub fn apply(&self, text: &mut String) {
        match self {
            Self::Insert { text: t } => text.push_str(t),
            Self::Backspace => {
                text.pop();
            }
            Self::DeleteWord => {
                let keep = crate::app::palette::last_word_start(text.trim_end());
                text.truncate(keep);
            }
            Self::Clear => text.clear(),
            Self::Complete => {}
        }
    }
}

/// Where a line of text goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendTarget {
    /// One lane.
    Lane(LaneId),
    /// Every lane.
    All,
}

/// The main panels of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    /// The lane list and live pane or grid.
    #[default]
    Lanes,
    /// The audit event journal.
    Events,
    /// NATS JetStream health.
    Nats,
    /// Temporal workflows.
    Temporal,
}
