//! The command registry: stable dotted names with a one-line description. Keymaps name these; the
//! help overlay and the palette are generated from them.

use crate::app::Action;
use crate::app::action::Panel;

/// One named command.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Stable dotted name used in keymap files, like `lane.focus_next`.
    pub name: &'static str,
    /// One line for the help overlay.
    pub description: &'static str,
}

/// Every command a key can be bound to.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "lane.select_next",
        description: "select the next lane",
    },
    Command {
        name: "lane.select_prev",
        description: "select the previous lane",
    },
    Command {
        name: "lane.focus",
        description: "focus the lane (keys go to it)",
    },
    Command {
        name: "lane.unfocus",
        description: "leave focus",
    },
    Command {
        name: "lane.next_attention",
        description: "next lane that needs you",
    },
    Command {
        name: "lane.explain",
        description: "why the lane is in its state (the signals and how old they are)",
    },
    Command {
        name: "lane.create",
        description: "create a lane",
    },
    Command {
        name: "lane.remove",
        description: "remove the lane (asks first)",
    },
    Command {
        name: "lane.send",
        description: "send a line to the lane",
    },
    Command {
        name: "lane.attach",
        description: "attach to its tmux session",
    },
    Command {
        name: "lane.refresh",
        description: "re-read the lane list",
    },
    Command {
        name: "lane.scroll_up",
        description: "scroll back",
    },
    Command {
        name: "lane.scroll_down",
        description: "scroll forward",
    },
    Command {
        name: "lane.select_first",
        description: "select the first lane",
    },
    Command {
        name: "lane.select_last",
        description: "select the last lane",
    },
    Command {
        name: "lane.share",
        description: "share the lane (tmate/upterm)",
    },
    Command {
        name: "zellij.open",
        description: "open the lanes in zellij",
    },
    Command {
        name: "view.toggle_grid",
        description: "toggle grid / single pane",
    },
    Command {
        name: "panel.next",
        description: "show the next panel",
    },
    Command {
        name: "panel.prev",
        description: "show the previous panel",
    },
    Command {
        name: "panel.lanes",
        description: "show the lanes",
    },
    Command {
        name: "panel.events",
        description: "show the audit events",
    },
    Command {
        name: "panel.nats",
        description: "show NATS health",
    },
    Command {
        name: "panel.temporal",
        description: "show Temporal workflows",
    },
    Command {
        name: "palette.open",
        description: "open the command palette",
    },
    Command {
        name: "filter.open",
        description: "filter lanes by text",
    },
    Command {
        name: "help.toggle",
        description: "show or hide this help",
    },
    Command {
        name: "nats.refresh",
        description: "refresh the NATS panel now",
    },
    Command {
        name: "nats.stream_next",
        description: "select the next stream in the NATS panel",
    },
    Command {
        name: "nats.stream_prev",
        description: "select the previous stream in the NATS panel",
    },
    Command {
        name: "nats.sort",
        description: "cycle the NATS panel's stream sort (name, messages, bytes, recent)",
    },
    Command {
        name: "events.select_next",
        description: "select the next (newer) event",
    },
    Command {
        name: "events.select_prev",
        description: "select the previous (older) event",
    },
    Command {
        name: "events.detail",
        description: "show the selected event's full JSON",
    },
    Command {
        name: "app.cancel",
        description: "close a prompt or dialog",
    },
    Command {
        name: "app.quit",
        description: "quit (lanes keep running)",
    },
    Command {
        name: "app.suspend",
        description: "suspend to the shell (fg resumes)",
    },
    Command {
        name: "temporal.select_next",
        description: "select the next workflow",
    },
    Command {
        name: "temporal.select_prev",
        description: "select the previous workflow",
    },
    Command {
        name: "temporal.detail",
        description: "show or hide the selected workflow's detail",
    },
    Command {
        name: "temporal.filter",
        description: "filter workflows with a Temporal list query",
    },
    Command {
        name: "temporal.next_page",
        description: "next page of workflows",
    },
    Command {
        name: "temporal.prev_page",
        description: "previous page of workflows",
    },
    Command {
        name: "temporal.refresh",
        description: "refresh the Temporal panel now",
    },
    Command {
        name: "temporal.signal",
        description: "signal the selected workflow (asks name and JSON)",
    },
    Command {
        name: "temporal.cancel",
        description: "request cancellation of the selected workflow (asks first)",
    },
    Command {
        name: "temporal.terminate",
        description: "terminate the selected workflow (asks a reason)",
    },
    Command {
        name: "temporal.reset",
        description: "reset the selected workflow to its last workflow task (asks first)",
    },
    Command {
        name: "temporal.lane_workflows",
        description: "show only the selected lane's workflows (again: all)",
    },
];

/// The action a command name stands for, when it needs no argument.
pub fn action_for(name: &str, selected: Option<&crate::model::LaneId>) -> Option<Action> {
    Some(match name {
        "lane.select_next" => Action::SelectNext,
        "lane.select_prev" => Action::SelectPrev,
        "lane.focus" => Action::Focus,
        "lane.unfocus" => Action::Unfocus,
        "lane.next_attention" => Action::NextAttention,
        "lane.explain" => Action::ToggleExplain,
        "lane.create" => Action::PromptCreate,
        "lane.remove" => Action::PromptRemove,
        "lane.send" => Action::PromptSend,
        "lane.attach" => Action::Attach {
            lane: selected?.clone(),
        },
        "lane.refresh" => Action::RefreshLanes,
        "lane.select_first" => Action::SelectFirst,
        "lane.select_last" => Action::SelectLast,
        "panel.prev" => Action::PrevPanel,
        "lane.scroll_up" => Action::Scroll { lines: 5 },
        "lane.scroll_down" => Action::Scroll { lines: -5 },
        "lane.share" => Action::Share(crate::app::share::ShareAction::Start {
            lane: selected?.clone(),
        }),
        "zellij.open" => Action::Share(crate::app::share::ShareAction::OpenZellij),
        "view.toggle_grid" => Action::ToggleGrid,
        "panel.next" => Action::NextPanel,
        "panel.lanes" => Action::ShowPanel {
            panel: Panel::Lanes,
        },
        "panel.events" => Action::ShowPanel {
            panel: Panel::Events,
        },
        "panel.nats" => Action::ShowPanel { panel: Panel::Nats },
        "panel.temporal" => Action::ShowPanel {
            panel: Panel::Temporal,
        },
        "nats.refresh" => Action::Nats(crate::app::nats::NatsAction::Refresh),
        "nats.stream_next" => Action::Nats(crate::app::nats::NatsAction::NextStream),
        "nats.stream_prev" => Action::Nats(crate::app::nats::NatsAction::PrevStream),
        "nats.sort" => Action::Nats(crate::app::nats::NatsAction::CycleSort),
        "events.select_next" => Action::Events(crate::app::events::EventsAction::SelectNext),
        "events.select_prev" => Action::Events(crate::app::events::EventsAction::SelectPrev),
        "events.detail" => Action::Events(crate::app::events::EventsAction::ToggleDetail),
        "palette.open" => Action::OpenPalette,
        "filter.open" => Action::OpenFilter,
        "help.toggle" => Action::ToggleHelp,
        "app.cancel" => Action::Cancel,
        "app.quit" => Action::Quit,
        "app.suspend" => Action::Suspend,
        "temporal.select_next" => {
            Action::Temporal(crate::app::temporal::TemporalAction::SelectNext)
        }
        "temporal.select_prev" => {
            Action::Temporal(crate::app::temporal::TemporalAction::SelectPrev)
        }
        "temporal.detail" => Action::Temporal(crate::app::temporal::TemporalAction::ToggleDetail),
        "temporal.filter" => Action::Temporal(crate::app::temporal::TemporalAction::PromptFilter),
        "temporal.next_page" => Action::Temporal(crate::app::temporal::TemporalAction::NextPage),
        "temporal.prev_page" => Action::Temporal(crate::app::temporal::TemporalAction::PrevPage),
        "temporal.refresh" => Action::Temporal(crate::app::temporal::TemporalAction::Refresh),
        "temporal.signal" => Action::Temporal(crate::app::temporal::TemporalAction::PromptSignal),
        "temporal.cancel" => Action::Temporal(crate::app::temporal::TemporalAction::PromptCancel),
        "temporal.terminate" => {
            Action::Temporal(crate::app::temporal::TemporalAction::PromptTerminate)
        }
        "temporal.reset" => Action::Temporal(crate::app::temporal::TemporalAction::PromptReset),
        "temporal.lane_workflows" => {
            Action::Temporal(crate::app::temporal::TemporalAction::LaneWorkflows)
        }
        _ => return None,
    })
}

/// The commands that, bound in a keymap's `[focus]` section, lead out of focus mode (checked
/// against the reducer by a test). A keymap that binds none of them traps the user in a lane.
pub const LEAVES_FOCUS: &[&str] = &[
    "lane.unfocus",
    "app.cancel",
    "app.quit",
    "palette.open",
    "filter.open",
    "help.toggle",
];

/// Whether a command name exists.
pub fn is_known(name: &str) -> bool {
    COMMANDS.iter().any(|c| c.name == name)
}

/// A command's one-line description.
pub fn description(name: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.description)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Instant;

    use super::*;
    use crate::app::state::{Mode, RepoInfo};
    use crate::app::{AppState, Event, update};
    use crate::model::{GitCounts, LaneId, LaneInfo, LaneSource};

    fn focused() -> AppState {
        let mut s = AppState::new(
            RepoInfo {
                path: "/r".into(),
                name: "r".into(),
            },
            Instant::now(),
        );
        let lane = LaneInfo {
            id: LaneId::new("a"),
            branch: Some("a".into()),
            worktree: PathBuf::from("/w/a"),
            source: LaneSource::Worktree,
            session_alive: true,
            git: GitCounts::default(),
        };
        update(&mut s, Event::LanesDiscovered { lanes: vec![lane] });
        update(&mut s, Action::Focus);
        assert_eq!(s.mode, Mode::Focus);
        s
    }

    #[test]
    fn every_way_out_of_focus_leaves_focus() {
        for name in LEAVES_FOCUS {
            assert!(is_known(name), "{name}");
            let mut s = focused();
            let selected = s.selected.clone();
            let action = action_for(name, selected.as_ref());
            assert!(action.is_some(), "{name}");
            if let Some(a) = action {
                update(&mut s, a);
            }
            assert!(s.mode != Mode::Focus || s.quit, "{name} stays in focus");
        }
    }

    #[test]
    fn every_command_has_an_action() {
        for c in COMMANDS {
            assert!(
                action_for(c.name, Some(&LaneId::new("a"))).is_some(),
                "{}",
                c.name
            );
        }
    }
}
