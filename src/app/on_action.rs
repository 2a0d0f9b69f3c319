//! How each user action changes the state.

use serde_json::json;

use crate::app::action::{Panel, PromptEdit, SendTarget};
use crate::app::state::{Confirm, FlashLevel, LaneStatus, Mode, Prompt, PromptKind, View};
use crate::app::{Action, AppState, Effect, nats, palette, share, temporal};
use crate::model::{AuditAction, LaneId};

/// Apply one action.
pub fn apply(state: &mut AppState, action: Action) -> Vec<Effect> {
    // Any key of the user's: the selection is theirs from now on (`on_event::resort`).
    state.auto_pick = None;
    // A new keystroke replaces the last message; typing into a lane or a prompt keeps it readable.
    if !matches!(
        action,
        Action::WriteFocused { .. }
            | Action::PromptInput { .. }
            | Action::Scroll { .. }
            | Action::ScrollPage { .. }
    ) {
        state.flash = None;
    }
    match action {
        Action::SelectNext => select_step(state, 1),
        Action::SelectPrev => select_step(state, -1),
        Action::Select { lane } => {
            if state.lane(&lane).is_some() {
                state.selected = Some(lane);
            }
            Vec::new()
        }
        Action::SelectFirst => select_edge(state, false),
        Action::SelectLast => select_edge(state, true),
        Action::Focus => focus_selected(state),
        Action::Unfocus => {
            state.focused = None;
            state.mode = Mode::Normal;
            Vec::new()
        }
        Action::ToggleGrid => {
            state.view = match state.view {
                View::Single => View::Grid,
                View::Grid => View::Single,
            };
            vec![Effect::ResizeLanes]
        }
        Action::NextAttention => {
            if crate::app::search::step(state, true) {
                return Vec::new();
            }
            next_attention(state)
        }
        Action::SearchNewer => {
            if !crate::app::search::step(state, false) {
                flash(
                    state,
                    FlashLevel::Info,
                    "N steps through a search: scroll a lane back (PgUp) and press /",
                );
            }
            Vec::new()
        }
        Action::PromptCreate => open_prompt(state, PromptKind::CreateLabel),
        Action::PromptSend => prompt_send(state),
        Action::OpenPalette => open_prompt(state, PromptKind::Palette),
        Action::OpenFilter => {
            let scrolled = state
                .selected
                .as_ref()
                .and_then(|id| state.lane(id))
                .is_some_and(|l| l.scroll > 0);
            open_prompt(
                state,
                if scrolled {
                    PromptKind::Search
                } else {
                    PromptKind::Filter
                },
            )
        }
        Action::CreateLane { label, base, cmd } => create_lane(state, label, base, cmd),
        Action::CreateOnHost {
            host,
            label,
            base,
            cmd,
        } => {
            state.mode = Mode::Normal;
            if let Err(e) = crate::model::label::validate(&label) {
                return refuse_label(state, &format!("{host}/{label}"), &e);
            }
            state.flash(
                FlashLevel::Info,
                &format!("asking {host} to create lane {label}…"),
            );
            vec![Effect::AskHost {
                lane: crate::model::LaneId::new(format!("{host}/{label}")),
                host,
                repo: state.repo.name.clone(),
                label,
                op: crate::model::fleet::LaneOp::New { base, cmd },
            }]
        }
        Action::PromptRemove => {
            let Some(lane) = state.selected_visible().cloned() else {
                no_lane(state);
                return Vec::new();
            };
            apply(state, Action::AskRemove { lane })
        }
        Action::AskRemove { lane } => ask_remove(state, lane),
        Action::AskRemoveAnyway { lane, loss } => {
            state.mode = Mode::Confirm(Confirm {
                question: format!("Really remove lane {lane}? {loss} will be lost for good."),
                on_yes: Box::new(Action::RemoveLane { lane, force: true }),
            });
            Vec::new()
        }
        Action::RemoveLane { lane, force } => {
            state.mode = Mode::Normal;
            state.flash(FlashLevel::Info, &format!("removing lane {lane}…"));
            state.removed.push(lane.clone());
            vec![Effect::RemoveLane { lane, force }]
        }
        Action::SendLine { target, text } => {
            state.mode = Mode::Normal;
            // A line sent to a waiting or done lane answers it.
            let lanes: Vec<_> = match &target {
                SendTarget::Lane(l) => vec![l.clone()],
                SendTarget::All => state.lanes.iter().map(|l| l.id().clone()).collect(),
            };
            let mut effects = Vec::new();
            for l in lanes {
                effects.extend(crate::app::agent::on_input(state, &l, b"\r"));
            }
            effects.push(Effect::SendLine { target, text });
            effects
        }
        Action::WriteFocused { bytes } => write_focused(state, bytes),
        Action::Scroll { lines } => scroll(state, lines),
        Action::ScrollPage { up } => {
            // One row of the last page stays in view, so the eye finds its place.
            let page = i32::from(crate::app::grid::pane_rows(state).saturating_sub(1).max(1));
            scroll(state, if up { page } else { -page })
        }
        Action::Attach { lane } | Action::Restart { lane }
            if state.lane(&lane).is_some_and(|l| l.remote.is_some()) =>
        {
            state.flash(
                FlashLevel::Error,
                &format!("{lane} runs on another machine: Enter opens its terminal over ssh"),
            );
            Vec::new()
        }
        Action::Attach { lane } => vec![Effect::Attach { lane }],
        Action::Restart { lane } => restart(state, lane),
        Action::NoLane => {
            no_lane(state);
            Vec::new()
        }
        Action::LanesHidden => {
            state.flash(
                FlashLevel::Error,
                "that key acts on the selected lane, which this panel hides: `:lanes` shows them",
            );
            Vec::new()
        }
        Action::ToggleExplain
            if state.mode != Mode::Explain && state.selected_visible().is_none() =>
        {
            no_lane(state);
            Vec::new()
        }
        Action::ToggleExplain => {
            state.mode = if state.mode == Mode::Explain || state.selected_visible().is_none() {
                Mode::Normal
            } else {
                state.explain_top = 0;
                Mode::Explain
            };
            Vec::new()
        }
        Action::ExplainScroll { top } => {
            state.explain_top = top;
            Vec::new()
        }
        Action::ToggleMessages => {
            state.mode = if state.mode == Mode::Messages {
                Mode::Normal
            } else {
                // The newest at the bottom, as a log reads.
                let len = crate::app::messages::rows(state).len();
                state.messages_top = len.saturating_sub(crate::app::help::page(state.size));
                Mode::Messages
            };
            Vec::new()
        }
        Action::MessagesScroll { top } => {
            state.messages_top = top;
            Vec::new()
        }
        Action::RefreshLanes => vec![Effect::DiscoverLanes],
        Action::ToggleHelp => toggle_help(state),
        Action::HelpScroll { top } => {
            state.help_top = top;
            Vec::new()
        }
        Action::ShowPanel { panel } => {
            state.panel = panel;
            Vec::new()
        }
        Action::NextPanel => step_panel(state, true),
        Action::PrevPanel => step_panel(state, false),
        Action::PromptInput { edit } => prompt_edit(state, edit),
        Action::PromptSubmit => prompt_submit(state),
        Action::ConfirmYes => confirm_yes(state),
        Action::Cancel => cancel(state),
        Action::Quit => {
            let ending = owned_programs(state);
            if ending.is_empty() {
                return apply(state, Action::QuitAnyway);
            }
            state.mode = Mode::Confirm(Confirm {
                question: format!(
                    "Quit? helios-owned lanes end with helios, and what runs in them: {}. \
                     par lanes keep running.",
                    ending.join(", ")
                ),
                on_yes: Box::new(Action::QuitAnyway),
            });
            Vec::new()
        }
        Action::QuitAnyway => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::Suspend => vec![Effect::Suspend],
        Action::Events(a) => {
            crate::app::events::on_action(state, a);
            Vec::new()
        }
        Action::Nats(a) => nats::on_action(state, a),
        Action::Temporal(a) => temporal::on_action(state, a),
        Action::Share(a) => share::on_action(state, a),
    }
}

/// Scroll the selected lane `lines` back (negative: forward); at 0 it is live again.
fn scroll(state: &mut AppState, lines: i32) -> Vec<Effect> {
    if let Some(l) = state
        .selected_visible()
        .cloned()
        .and_then(|id| state.lane_mut(&id))
    {
        l.scroll = l.scroll.saturating_add_signed(lines as isize);
        if l.scroll == 0 {
            l.search = None;
        }
    }
    Vec::new()
}

/// Select the next visible lane that needs attention, after the selected one, wrapping.
fn next_attention(state: &mut AppState) -> Vec<Effect> {
    // Most urgent first (permission, question, input, error, done, exited), then the oldest;
    // from the selected lane on, so `n` again visits the next one.
    let mut queue: Vec<_> = state
        .visible_lanes()
        .filter_map(|l| crate::app::agent::triage_key(l).map(|k| (k, l.id().clone())))
        .collect();
    queue.sort();
    let ids: Vec<_> = queue.into_iter().map(|(_, id)| id).collect();
    let at = state
        .selected
        .as_ref()
        .and_then(|s| ids.iter().position(|i| i == s));
    let next = match at {
        Some(i) => ids.get(i + 1).or(ids.first()),
        None => ids.first(),
    };
    match next.cloned() {
        Some(id) => state.selected = Some(id),
        None => state.flash(FlashLevel::Info, "no lane needs attention"),
    }
    Vec::new()
}

/// The helios-owned lanes running a program other than their shell, as `lane (program)`:
/// quitting ends them.
fn owned_programs(state: &AppState) -> Vec<String> {
    state
        .lanes
        .iter()
        .filter(|l| l.remote.is_none() && !l.info.is_durable() && l.status != LaneStatus::Exited)
        .filter_map(|l| match &l.agent.inputs.process {
            crate::agent::Process::Program(p) => Some(format!(
                "{} ({})",
                crate::text::escape(l.id().as_str()),
                crate::text::escape(p)
            )),
            _ => None,
        })
        .collect()
}

/// Say that no lane is selected, and why when the filter hides them all.
fn no_lane(state: &mut AppState) {
    let text = if state.filter.is_empty() || state.lanes.is_empty() {
        "no lane selected".to_string()
    } else {
        format!(
            "no lane selected: the filter /{} shows none (Esc clears it)",
            crate::text::escape(&state.filter)
        )
    };
    state.flash(FlashLevel::Error, &text);
}

fn prompt_send(state: &mut AppState) -> Vec<Effect> {
    let Some(id) = state.selected_visible().cloned() else {
        no_lane(state);
        return Vec::new();
    };
    // Refused before the line is typed, as Enter and `a` refuse it: the prompt opened and the
    // send failed only once the text was in.
    if let Some(why) = state.lane(&id).and_then(|l| unfocusable(l, &id)) {
        flash(state, FlashLevel::Error, &why);
        return Vec::new();
    }
    open_prompt(state, PromptKind::SendText)
}

fn create_lane(
    state: &mut AppState,
    label: String,
    base: Option<String>,
    cmd: Option<String>,
) -> Vec<Effect> {
    state.mode = Mode::Normal;
    // Refused here, before any IO; `lanes::par::start` runs the same check for the CLI.
    if let Err(e) = crate::model::label::validate(&label) {
        return refuse_label(state, &label, &e);
    }
    state.flash(FlashLevel::Info, &format!("creating lane {label}…"));
    vec![Effect::CreateLane { label, base, cmd }]
}

/// A new lane's label refused before any IO: shown, and journalled as the CLI journals it (a
/// failed `lane.created` naming the label), so the audit trail has every refusal.
fn refuse_label(
    state: &mut AppState,
    label: &str,
    e: &crate::model::label::LabelError,
) -> Vec<Effect> {
    state.flash(FlashLevel::Error, &e.to_string());
    vec![Effect::Record {
        action: crate::model::AuditAction::LaneCreated.as_str().to_string(),
        lane: Some(crate::model::LaneId::new(label)),
        ok: false,
        detail: serde_json::json!({ "error": e.to_string() }),
    }]
}

/// Check the lane for unsaved work first: the dialog opens when the check answers
/// (`Event::UnsavedChecked`), naming the work.
fn ask_remove(state: &mut AppState, lane: crate::model::LaneId) -> Vec<Effect> {
    state.mode = Mode::Normal;
    let Some(l) = state.lane(&lane) else {
        state.flash(FlashLevel::Error, &format!("no lane named {lane}"));
        return Vec::new();
    };
    if let Some(host) = l.info.remote_host() {
        // Its host checks for unsaved work and refuses, naming it.
        state.mode = Mode::Confirm(Confirm {
            question: format!(
                "Remove lane {lane} on {host}? Its helios serve refuses it if it holds unsaved work."
            ),
            on_yes: Box::new(Action::RemoveLane { lane, force: false }),
        });
        return Vec::new();
    }
    state.flash(
        FlashLevel::Info,
        &format!("checking lane {lane} for unsaved work…"),
    );
    state.removing = Some(lane.clone());
    vec![Effect::CheckUnsaved { lane }]
}

/// Only a dead lane restarts: a running one would lose its work.
fn restart(state: &mut AppState, lane: crate::model::LaneId) -> Vec<Effect> {
    // A par lane shown as exited (its stored state, before this console's probe has seen the
    // dead pane) restarts too: tmux refuses to respawn a pane that still runs, and says so.
    let shown_exited = state.lane(&lane).is_some_and(|l| {
        l.info.is_durable()
            && l.agent
                .state
                .as_ref()
                .is_some_and(|s| matches!(s.status, crate::agent::Status::Exited(_)))
    });
    let why = match state.lane(&lane).map(|l| l.status) {
        Some(LaneStatus::Exited) => return vec![Effect::RestartLane { lane }],
        Some(LaneStatus::Idle | LaneStatus::Running) if shown_exited => {
            return vec![Effect::RestartLane { lane }];
        }
        Some(LaneStatus::Missing) => {
            format!("lane {lane}'s tmux session is gone: `par open {lane}` makes it again")
        }
        Some(_) => format!("lane {lane} is running: only a lane whose program ended restarts"),
        None => format!("no lane {lane}"),
    };
    state.flash(FlashLevel::Error, &why);
    Vec::new()
}

fn write_focused(state: &mut AppState, bytes: Vec<u8>) -> Vec<Effect> {
    let Some(lane) = state.focused.clone() else {
        return Vec::new();
    };
    // A program that has ended reads nothing (tmux drops keys to a dead pane too); the focus
    // stays for reading its last screen and scrollback, and the status line says to restart.
    if state
        .lane(&lane)
        .is_some_and(|l| l.status == LaneStatus::Exited)
    {
        return Vec::new();
    }
    // Typing into a lane shows its live screen again.
    if let Some(l) = state.lane_mut(&lane) {
        l.scroll = 0;
    }
    // Esc or Ctrl-C interrupts a working agent; keys into a waiting lane answer it.
    let mut effects = crate::app::agent::on_input(state, &lane, &bytes);
    effects.push(Effect::WriteLane { lane, bytes });
    effects
}

fn toggle_help(state: &mut AppState) -> Vec<Effect> {
    state.mode = if state.mode == Mode::Help {
        Mode::Normal
    } else {
        state.help_top = 0;
        Mode::Help
    };
    Vec::new()
}

/// The next (or previous) panel, wrapping.
fn step_panel(state: &mut AppState, forward: bool) -> Vec<Effect> {
    state.panel = match (state.panel, forward) {
        (Panel::Lanes, true) | (Panel::Nats, false) => Panel::Events,
        (Panel::Events, true) | (Panel::Temporal, false) => Panel::Nats,
        (Panel::Nats, true) | (Panel::Lanes, false) => Panel::Temporal,
        (Panel::Temporal, true) | (Panel::Events, false) => Panel::Lanes,
    };
    Vec::new()
}

fn confirm_yes(state: &mut AppState) -> Vec<Effect> {
    match std::mem::take(&mut state.mode) {
        Mode::Confirm(c) => apply(state, *c.on_yes),
        other => {
            state.mode = other;
            Vec::new()
        }
    }
}

/// Esc: close a prompt or dialog; in the console itself, bring a scrolled-back lane to its
/// live screen, else clear a filter still applied.
fn cancel(state: &mut AppState) -> Vec<Effect> {
    if state.mode == Mode::Normal
        && let Some(l) = state
            .selected
            .clone()
            .and_then(|id| state.lane_mut(&id))
            .filter(|l| l.scroll > 0)
    {
        l.scroll = 0;
        l.search = None;
        return Vec::new();
    }
    if state.mode == Mode::Normal
        || matches!(
            state.mode,
            Mode::Prompt(Prompt {
                kind: PromptKind::Filter,
                ..
            })
        )
    {
        state.filter.clear();
    }
    state.mode = Mode::Normal;
    Vec::new()
}

fn select_step(state: &mut AppState, step: isize) -> Vec<Effect> {
    let ids: Vec<_> = state.visible_lanes().map(|l| l.id().clone()).collect();
    if ids.is_empty() {
        state.selected = None;
        return Vec::new();
    }
    let cur = state
        .selected
        .as_ref()
        .and_then(|s| ids.iter().position(|i| i == s));
    let len = isize::try_from(ids.len()).unwrap_or(isize::MAX);
    let next = match cur {
        Some(i) => (isize::try_from(i).unwrap_or(0) + step).rem_euclid(len),
        None => 0,
    };
    state.selected = usize::try_from(next).ok().and_then(|i| ids.get(i).cloned());
    Vec::new()
}

fn select_edge(state: &mut AppState, last: bool) -> Vec<Effect> {
    let pick = if last {
        state.visible_lanes().last()
    } else {
        state.visible_lanes().next()
    };
    state.selected = pick.map(|l| l.id().clone());
    Vec::new()
}

/// Keep the selection on a visible lane after the filter changed.
fn reselect_visible(state: &mut AppState) {
    let visible = state
        .selected
        .as_ref()
        .is_some_and(|s| state.visible_lanes().any(|l| l.id() == s));
    if !visible {
        let first = state.visible_lanes().next().map(|l| l.id().clone());
        if first.is_some() {
            state.selected = first;
        }
    }
}

fn prompt_edit(state: &mut AppState, edit: PromptEdit) -> Vec<Effect> {
    let Mode::Prompt(prompt) = &state.mode else {
        return Vec::new();
    };
    let kind = prompt.kind;
    let mut text = prompt.text.clone();
    match edit {
        PromptEdit::Complete if kind == PromptKind::Palette => {
            text = palette::complete(&text, state);
        }
        edit => edit.apply(&mut text),
    }
    if kind == PromptKind::Filter {
        state.filter.clone_from(&text);
        reselect_visible(state);
    }
    state.mode = Mode::Prompt(Prompt {
        kind,
        text,
        error: None,
    });
    Vec::new()
}

fn prompt_submit(state: &mut AppState) -> Vec<Effect> {
    let Mode::Prompt(Prompt { kind, text, .. }) = std::mem::take(&mut state.mode) else {
        return Vec::new();
    };
    let text_trim = text.trim().to_string();
    match kind {
        PromptKind::Filter => {
            state.filter = text_trim;
            reselect_visible(state);
            Vec::new()
        }
        PromptKind::Palette => match palette::parse(&text, state) {
            // A label no lane can have keeps the palette and its text, as `c` does (refused
            // and journalled by the action itself).
            Ok(Some(action)) => {
                let bad = match &action {
                    Action::CreateLane { label, .. } | Action::CreateOnHost { label, .. } => {
                        crate::model::label::validate(label).err()
                    }
                    _ => None,
                };
                let fx = apply(state, action);
                if let Some(e) = bad {
                    state.mode = Mode::Prompt(Prompt {
                        kind,
                        text,
                        error: Some(e.to_string()),
                    });
                }
                fx
            }
            Ok(None) => Vec::new(),
            Err(e) => {
                // Also in the messages (`M`), whole; the prompt line may cut it.
                flash(state, FlashLevel::Error, &e);
                state.mode = Mode::Prompt(Prompt {
                    kind,
                    text,
                    error: Some(e),
                });
                Vec::new()
            }
        },
        // A label that cannot be keeps the prompt and its text, as the palette does.
        PromptKind::CreateLabel if text_trim.is_empty() => {
            state.mode = Mode::Prompt(Prompt {
                kind,
                text,
                error: Some("type a label for the lane (Esc cancels)".into()),
            });
            Vec::new()
        }
        PromptKind::CreateLabel => match crate::model::label::validate(&text_trim) {
            Err(e) => {
                let fx = refuse_label(state, &text_trim, &e);
                state.mode = Mode::Prompt(Prompt {
                    kind,
                    text,
                    error: Some(e.to_string()),
                });
                fx
            }
            Ok(()) => apply(
                state,
                Action::CreateLane {
                    label: text_trim,
                    base: None,
                    cmd: None,
                },
            ),
        },
        PromptKind::Search if text.is_empty() => Vec::new(),
        PromptKind::Search => match state.selected_visible().cloned() {
            Some(lane) => vec![Effect::SearchLane { lane, query: text }],
            None => Vec::new(),
        },
        PromptKind::SendText => {
            if let Some(target) = selected_target(state) {
                apply(state, Action::SendLine { target, text })
            } else {
                no_lane(state);
                Vec::new()
            }
        }
    }
}

fn focus_selected(state: &mut AppState) -> Vec<Effect> {
    let Some(id) = state.selected_visible().cloned() else {
        no_lane(state);
        return Vec::new();
    };
    // A lane with nothing to show is refused before it is acknowledged: Enter that showed
    // nothing must not take the lane off the needs-you queue.
    if let Some(why) = state.lane(&id).and_then(|l| unfocusable(l, &id)) {
        flash(state, FlashLevel::Error, &why);
        return Vec::new();
    }
    let mut effects = Vec::new();
    if let Some(lane) = state.lane_mut(&id) {
        effects.extend(crate::app::agent::acknowledge(lane));
        lane.scroll = 0;
        lane.search = None;
    }
    crate::app::on_event::sort_lanes(&mut state.lanes);
    if state.compact {
        // The compact view is a zellij side pane with no lane terminals of its own: the lane
        // is shown in its zellij pane (focus is recorded when that worked).
        effects.push(Effect::FocusZellijPane { lane: id });
        return effects;
    }
    if state.lane(&id).is_some_and(|l| l.remote.is_some()) {
        // A remote lane's terminal opens on its first focus: `ssh -t HOST tmux attach`.
        effects.extend(crate::app::fleet::open(state, &id));
    }
    state.focused = Some(id.clone());
    state.mode = Mode::Focus;
    effects.push(Effect::Record {
        action: AuditAction::LaneFocused.as_str().into(),
        lane: Some(id),
        ok: true,
        detail: json!({}),
    });
    effects
}

/// Why Enter cannot show `lane`, if it cannot: its tmux session is gone (keys into it would each
/// fail, and be journalled as failed writes), or it is a plain worktree on another machine.
fn unfocusable(lane: &crate::app::state::Lane, id: &LaneId) -> Option<String> {
    if lane.status == LaneStatus::Missing && lane.remote.is_none() {
        return Some(format!(
            "lane {id}'s tmux session is gone: `par open {id}` makes it again, d removes the lane"
        ));
    }
    if lane.remote.is_some()
        && !matches!(
            lane.info.source,
            crate::model::LaneSource::Remote {
                session: Some(_),
                ..
            }
        )
    {
        let host = lane.info.remote_host().unwrap_or_default();
        return Some(format!(
            "{id} is a plain worktree on {host}: it has no terminal to open from here"
        ));
    }
    None
}

fn open_prompt(state: &mut AppState, kind: PromptKind) -> Vec<Effect> {
    let text = if kind == PromptKind::Filter {
        state.filter.clone()
    } else {
        String::new()
    };
    state.mode = Mode::Prompt(Prompt {
        kind,
        text,
        error: None,
    });
    Vec::new()
}

/// Put a one-line message on the status line.
pub fn flash(state: &mut AppState, level: FlashLevel, text: &str) {
    state.flash(level, text);
}

/// Where `SendLine` from a prompt goes: the selected lane.
pub fn selected_target(state: &AppState) -> Option<SendTarget> {
    state.selected_visible().cloned().map(SendTarget::Lane)
}
