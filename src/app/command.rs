//! The command registry: stable dotted names with a one-line description. Keymaps name these; the
//! help overlay and the palette are generated from them.

use crate::app::Action;
use crate::app::action::Panel;
use crate::app::events::EventsAction;
use crate::app::nats::NatsAction;
use crate::app::share::ShareAction;
use crate::app::temporal::TemporalAction;
use crate::model::LaneId;

/// One named command.
#[derive(Clone, Copy)]
pub struct Command {
    /// Stable dotted name used in keymap files, like `lane.focus_next`.
    pub name: &'static str,
    /// One line for the help overlay.
    pub description: &'static str,
    /// The action, given the selected lane (`None` when it needs a lane and there is none).
    pub action: fn(Option<&LaneId>) -> Option<Action>,
}

/// Every command a key can be bound to, with the action it stands for: one table, so a name
/// cannot exist without its action (or the other way round). The constructor gets the selected
/// lane and returns `None` when the command needs one and none is selected.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "lane.select_next",
        description: "select the next lane",
        action: |_| Some(Action::SelectNext),
    },
    Command {
        name: "lane.select_prev",
        description: "select the previous lane",
        action: |_| Some(Action::SelectPrev),
    },
    Command {
        name: "lane.focus",
        description: "focus the lane (keys go to it)",
        action: |_| Some(Action::Focus),
    },
    Command {
        name: "lane.unfocus",
        description: "leave focus",
        action: |_| Some(Action::Unfocus),
    },
    Command {
        name: "lane.next_attention",
        description: "next lane that needs you",
        action: |_| Some(Action::NextAttention),
    },
    Command {
        name: "lane.explain",
        description: "why the lane is in its state (the signals and how old they are)",
        action: |_| Some(Action::ToggleExplain),
    },
    Command {
        name: "app.messages",
        description: "the status line's last messages, whole",
        action: |_| Some(Action::ToggleMessages),
    },
    Command {
        name: "lane.create",
        description: "create a lane",
        action: |_| Some(Action::PromptCreate),
    },
    Command {
        name: "lane.remove",
        description: "remove the lane (asks first)",
        action: |_| Some(Action::PromptRemove),
    },
    Command {
        name: "lane.send",
        description: "send a line to the lane",
        action: |_| Some(Action::PromptSend),
    },
    Command {
        name: "lane.restart",
        description: "start a dead lane's command again",
        action: |selected| {
            Some(Action::Restart {
                lane: selected?.clone(),
            })
        },
    },
    Command {
        name: "lane.attach",
        description: "attach to its tmux session",
        action: |selected| {
            Some(Action::Attach {
                lane: selected?.clone(),
            })
        },
    },
    Command {
        name: "lane.refresh",
        description: "re-read the lane list",
        action: |_| Some(Action::RefreshLanes),
    },
    Command {
        name: "lane.scroll_up",
        description: "scroll the lane back a page",
        action: |_| Some(Action::ScrollPage { up: true }),
    },
    Command {
        name: "lane.scroll_down",
        description: "scroll the lane forward a page",
        action: |_| Some(Action::ScrollPage { up: false }),
    },
    Command {
        name: "lane.select_first",
        description: "select the first lane",
        action: |_| Some(Action::SelectFirst),
    },
    Command {
        name: "lane.select_last",
        description: "select the last lane",
        action: |_| Some(Action::SelectLast),
    },
    Command {
        name: "lane.share",
        description: "share the lane (tmate/upterm)",
        action: |selected| {
            Some(Action::Share(ShareAction::Start {
                lane: selected?.clone(),
            }))
        },
    },
    Command {
        name: "zellij.open",
        description: "open the lanes in zellij",
        action: |_| Some(Action::Share(ShareAction::OpenZellij)),
    },
    Command {
        name: "view.toggle_grid",
        description: "toggle grid / single pane",
        action: |_| Some(Action::ToggleGrid),
    },
    Command {
        name: "panel.next",
        description: "show the next panel",
        action: |_| Some(Action::NextPanel),
    },
    Command {
        name: "panel.prev",
        description: "show the previous panel",
        action: |_| Some(Action::PrevPanel),
    },
    Command {
        name: "panel.lanes",
        description: "show the lanes",
        action: |_| {
            Some(Action::ShowPanel {
                panel: Panel::Lanes,
            })
        },
    },
    Command {
        name: "panel.events",
        description: "show the audit events",
        action: |_| {
            Some(Action::ShowPanel {
                panel: Panel::Events,
            })
        },
    },
    Command {
        name: "panel.nats",
        description: "show NATS health",
        action: |_| Some(Action::ShowPanel { panel: Panel::Nats }),
    },
    Command {
        name: "panel.temporal",
        description: "show Temporal workflows",
        action: |_| {
            Some(Action::ShowPanel {
                panel: Panel::Temporal,
            })
        },
    },
    Command {
        name: "palette.open",
        description: "open the command palette",
        action: |_| Some(Action::OpenPalette),
    },
    Command {
        name: "filter.open",
        description: "filter lanes by text",
        action: |_| Some(Action::OpenFilter),
    },
    Command {
        name: "search.newer",
        description: "the next newer line a lane search found (n: the next older)",
        action: |_| Some(Action::SearchNewer),
    },
    Command {
        name: "help.toggle",
        description: "show or hide this help",
        action: |_| Some(Action::ToggleHelp),
    },
    Command {
        name: "nats.refresh",
        description: "refresh the NATS panel now",
        action: |_| Some(Action::Nats(NatsAction::Refresh)),
    },
    Command {
        name: "nats.stream_next",
        description: "select the next stream in the NATS panel",
        action: |_| Some(Action::Nats(NatsAction::NextStream)),
    },
    Command {
        name: "nats.stream_prev",
        description: "select the previous stream in the NATS panel",
        action: |_| Some(Action::Nats(NatsAction::PrevStream)),
    },
    Command {
        name: "nats.sort",
        description: "cycle the NATS panel's stream sort (name, messages, bytes, recent)",
        action: |_| Some(Action::Nats(NatsAction::CycleSort)),
    },
    Command {
        name: "events.select_next",
        description: "select the next (newer) event",
        action: |_| Some(Action::Events(EventsAction::SelectNext)),
    },
    Command {
        name: "events.select_prev",
        description: "select the previous (older) event",
        action: |_| Some(Action::Events(EventsAction::SelectPrev)),
    },
    Command {
        name: "events.detail",
        description: "show the selected event's full JSON",
        action: |_| Some(Action::Events(EventsAction::ToggleDetail)),
    },
    Command {
        name: "app.cancel",
        description: "close a prompt or dialog; a scrolled-back lane goes live",
        action: |_| Some(Action::Cancel),
    },
    Command {
        name: "app.quit",
        description: "quit (par lanes keep running; helios-owned lanes end)",
        action: |_| Some(Action::Quit),
    },
    Command {
        name: "app.suspend",
        description: "suspend to the shell (fg resumes)",
        action: |_| Some(Action::Suspend),
    },
    Command {
        name: "temporal.select_next",
        description: "select the next workflow",
        action: |_| Some(Action::Temporal(TemporalAction::SelectNext)),
    },
    Command {
        name: "temporal.select_prev",
        description: "select the previous workflow",
        action: |_| Some(Action::Temporal(TemporalAction::SelectPrev)),
    },
    Command {
        name: "temporal.detail",
        description: "show or hide the selected workflow's detail",
        action: |_| Some(Action::Temporal(TemporalAction::ToggleDetail)),
    },
    Command {
        name: "temporal.filter",
        description: "filter workflows with a Temporal list query",
        action: |_| Some(Action::Temporal(TemporalAction::PromptFilter)),
    },
    Command {
        name: "temporal.next_page",
        description: "next page of workflows",
        action: |_| Some(Action::Temporal(TemporalAction::NextPage)),
    },
    Command {
        name: "temporal.prev_page",
        description: "previous page of workflows",
        action: |_| Some(Action::Temporal(TemporalAction::PrevPage)),
    },
    Command {
        name: "temporal.refresh",
        description: "refresh the Temporal panel now",
        action: |_| Some(Action::Temporal(TemporalAction::Refresh)),
    },
    Command {
        name: "temporal.signal",
        description: "signal the selected workflow (asks name and JSON)",
        action: |_| Some(Action::Temporal(TemporalAction::PromptSignal)),
    },
    Command {
        name: "temporal.cancel",
        description: "request cancellation of the selected workflow (asks first)",
        action: |_| Some(Action::Temporal(TemporalAction::PromptCancel)),
    },
    Command {
        name: "temporal.terminate",
        description: "terminate the selected workflow (asks a reason)",
        action: |_| Some(Action::Temporal(TemporalAction::PromptTerminate)),
    },
    Command {
        name: "temporal.reset",
        description: "reset the selected workflow to its last workflow task (asks first)",
        action: |_| Some(Action::Temporal(TemporalAction::PromptReset)),
    },
    Command {
        name: "temporal.lane_workflows",
        description: "show only the selected lane's workflows (again: all)",
        action: |_| Some(Action::Temporal(TemporalAction::LaneWorkflows)),
    },
];

/// Whether the command acts on the selected lane (so only while the lanes are shown).
pub fn on_selected_lane(name: &str) -> bool {
    matches!(
        name,
        "lane.focus"
            | "lane.explain"
            | "lane.remove"
            | "lane.send"
            | "lane.attach"
            | "lane.share"
            | "lane.restart"
            | "lane.scroll_up"
            | "lane.scroll_down"
            | "search.newer"
    )
}

/// The action a command name stands for, when it needs no argument.
pub fn action_for(name: &str, selected: Option<&LaneId>) -> Option<Action> {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| (c.action)(selected))
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

    /// Every command can be reached by a user: a key of the default keymap (normal or focus
    /// mode), or its name typed in the palette, which must then give the table's action.
    #[test]
    fn every_command_is_reachable_from_a_key_or_the_palette() {
        use crate::app::keymap::{KeyMode, Keymap};
        let keymap = Keymap::builtin_default();
        let mut state = focused();
        update(&mut state, Action::Unfocus);
        let selected = state.selected.clone();
        let mut unreachable = Vec::new();
        for c in COMMANDS {
            let by_key = !keymap.keys_for(KeyMode::Normal, c.name).is_empty()
                || !keymap.keys_for(KeyMode::Focus, c.name).is_empty();
            let expected = (c.action)(selected.as_ref());
            let by_palette = crate::app::palette::parse(c.name, &state) == Ok(expected.clone());
            if !(by_key || by_palette) {
                unreachable.push(c.name);
            }
            // The palette's completions offer every name.
            let offered = crate::app::palette::candidates(&c.name[..3], &state);
            assert!(
                offered.iter().any(|o| o == c.name),
                "{}: {offered:?}",
                c.name
            );
        }
        assert!(unreachable.is_empty(), "unreachable: {unreachable:?}");
    }

    #[test]
    fn palette_words_give_their_commands_actions() {
        let state = focused();
        for (word, name) in [
            ("grid", "view.toggle_grid"),
            ("q", "app.quit"),
            ("nats", "panel.nats"),
        ] {
            assert_eq!(
                crate::app::palette::parse(word, &state),
                Ok(action_for(name, None)),
                "{word}"
            );
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
