//! Temporal panel state, its actions and events, and their pure reducer. The monitor task
//! (`integrations::temporal`) sends snapshots; this file decides what the panel shows, which lanes
//! need attention and which requests go back to the monitor.

pub mod keys;
pub mod model;

use std::collections::BTreeSet;
use std::time::Instant;

use crate::app::effect::TemporalEffect;
use crate::app::on_action::flash;
use crate::app::state::{Attention, Confirm, FlashLevel, Mode};
use crate::app::{Action, AppState, Effect};
use crate::model::LaneId;

pub use model::{
    Snapshot, TriageOp, TriageRequest, WfStatus, WorkflowDetail, WorkflowRow, belongs_to,
    validate_json_input,
};

/// How the monitor's connection is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConnState {
    /// No answer yet.
    #[default]
    Connecting,
    /// The last refresh worked.
    Connected,
    /// The server could not be reached or refused us.
    Unreachable {
        /// What failed, with the address.
        reason: String,
        /// When the failure was seen.
        since: Instant,
        /// When this attempt failed, and how many seconds after it the next one is made.
        at: Instant,
        retry_secs: u64,
    },
}

/// What a panel text input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// A Temporal list filter.
    Filter,
    /// The name of a signal to send.
    SignalName,
    /// The JSON payload of the signal (empty: none).
    SignalInput,
    /// Why a workflow is terminated.
    TerminateReason,
}

/// A one-line input owned by the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    /// What the text is for.
    pub kind: EditKind,
    /// The text so far.
    pub text: String,
    /// Why the last submit was refused (shown under the input).
    pub error: Option<String>,
    /// The workflow (id, run id) a triage input is about.
    pub target: Option<(String, String)>,
    /// The signal name, once given.
    pub signal_name: Option<String>,
}

/// What the temporal panel shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemporalState {
    /// Connection health.
    pub conn: ConnState,
    /// Nobody pointed helios at a server: the default address is only tried, and its absence
    /// is not an error (as NATS's quiet default).
    pub quiet_default: bool,
    /// The last good refresh.
    pub snapshot: Option<Snapshot>,
    /// When that refresh arrived (for the data age).
    pub updated_at: Option<Instant>,
    /// The user's list filter (empty: all).
    pub filter: String,
    /// Only the workflows of this lane.
    pub lane_filter: Option<String>,
    /// The selected workflow id.
    pub selected: Option<String>,
    /// The page shown (0-based).
    pub page: usize,
    /// Whether the detail pane is open.
    pub detail_open: bool,
    /// The selected workflow's detail, once fetched.
    pub detail: Option<WorkflowDetail>,
    /// Why the detail could not be fetched.
    pub detail_error: Option<String>,
    /// An open input line.
    pub editor: Option<Editor>,
    /// A triage action in flight (its description); no second one starts meanwhile.
    pub pending: Option<String>,
    /// The last triage result: ok and message.
    pub last_result: Option<(bool, String)>,
    /// Failed workflows already raised as lane attention (so a cleared one stays cleared).
    pub flagged: BTreeSet<String>,
}

impl TemporalState {
    /// The listed workflows (empty before the first refresh).
    pub fn rows(&self) -> &[WorkflowRow] {
        self.snapshot
            .as_ref()
            .map_or(&[], |s| s.workflows.as_slice())
    }

    /// Index of the selected row.
    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected.as_ref()?;
        self.rows().iter().position(|r| &r.id == id)
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&WorkflowRow> {
        self.selected_index().map(|i| &self.rows()[i])
    }
}

/// User actions for temporal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemporalAction {
    /// Refresh now.
    Refresh,
    /// Select the next workflow.
    SelectNext,
    /// Select the previous workflow.
    SelectPrev,
    /// Open or close the detail pane of the selected workflow.
    ToggleDetail,
    /// Next page of the list.
    NextPage,
    /// Previous page of the list.
    PrevPage,
    /// Open the list-filter input.
    PromptFilter,
    /// Set the list filter directly (palette, tests).
    SetFilter {
        /// A Temporal list filter; empty clears it.
        query: String,
    },
    /// Show only the selected lane's workflows (again: show all).
    LaneWorkflows,
    /// Ask for a signal name and payload for the selected workflow.
    PromptSignal,
    /// Ask to confirm cancelling the selected workflow.
    PromptCancel,
    /// Ask for a reason, then to confirm terminating the selected workflow.
    PromptTerminate,
    /// Ask to confirm resetting the selected workflow to its last workflow task.
    PromptReset,
    /// A character typed into the open input.
    Input {
        /// The character.
        ch: char,
    },
    /// Edit the open input (the one line editor every prompt uses).
    Edit {
        /// The edit.
        edit: crate::app::action::PromptEdit,
    },
    /// Submit the input.
    InputSubmit,
    /// Close the input.
    InputCancel,
    /// Run a confirmed triage action.
    Execute {
        /// What to do.
        request: TriageRequest,
    },
}

/// Typed events from the temporal tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum TemporalEvent {
    /// A refresh worked.
    Refreshed {
        /// What it found.
        snapshot: Box<Snapshot>,
        /// When.
        at: Instant,
    },
    /// The server is unreachable or refused the connection.
    Unreachable {
        /// One line: what failed, where, what to do.
        reason: String,
        /// When.
        at: Instant,
        /// Seconds until the next attempt.
        retry_secs: u64,
    },
    /// The detail of a workflow.
    Detail {
        /// Workflow id.
        id: String,
        /// The detail, or why it failed.
        result: Result<Box<WorkflowDetail>, String>,
    },
    /// A triage action finished.
    TriageDone {
        /// What was asked.
        request: TriageRequest,
        /// A message either way.
        result: Result<String, String>,
    },
}

/// Apply a temporal action.
pub fn on_action(state: &mut AppState, action: TemporalAction) -> Vec<Effect> {
    let t = &mut state.temporal;
    match action {
        TemporalAction::Refresh => vec![Effect::Temporal(TemporalEffect::Refresh)],
        TemporalAction::SelectNext => select_step(state, 1),
        TemporalAction::SelectPrev => select_step(state, -1),
        TemporalAction::ToggleDetail => {
            t.detail_open = !t.detail_open;
            detail_effect(t)
        }
        TemporalAction::NextPage => {
            if t.snapshot.as_ref().is_some_and(|s| s.has_next_page) {
                t.page += 1;
                return query_effect(t);
            }
            Vec::new()
        }
        TemporalAction::PrevPage => {
            if t.page > 0 {
                t.page -= 1;
                return query_effect(t);
            }
            Vec::new()
        }
        TemporalAction::PromptFilter => {
            t.editor = Some(editor(EditKind::Filter, t.filter.clone(), None));
            Vec::new()
        }
        TemporalAction::SetFilter { query } => {
            t.filter = query.trim().to_string();
            t.page = 0;
            query_effect(t)
        }
        TemporalAction::LaneWorkflows => lane_workflows(state),
        TemporalAction::PromptSignal => with_target(state, "signal", |t, target| {
            t.editor = Some(editor(EditKind::SignalName, String::new(), Some(target)));
        }),
        TemporalAction::PromptTerminate => with_target(state, "terminate", |t, target| {
            t.editor = Some(editor(
                EditKind::TerminateReason,
                String::new(),
                Some(target),
            ));
        }),
        TemporalAction::PromptCancel => {
            let request = |id: String, run: String| TriageRequest {
                id,
                run_id: Some(run),
                op: TriageOp::Cancel,
            };
            confirm_on_selected(state, request)
        }
        TemporalAction::PromptReset => {
            let request = |id: String, run: String| TriageRequest {
                id,
                run_id: Some(run),
                op: TriageOp::Reset {
                    reason: "reset from helios".into(),
                },
            };
            confirm_on_selected(state, request)
        }
        TemporalAction::Input { ch } => {
            let edit = crate::app::action::PromptEdit::Insert {
                text: ch.to_string(),
            };
            on_action(state, TemporalAction::Edit { edit })
        }
        TemporalAction::Edit { edit } => {
            if let Some(e) = &mut t.editor {
                edit.apply(&mut e.text);
                e.error = None;
            }
            Vec::new()
        }
        TemporalAction::InputCancel => {
            t.editor = None;
            Vec::new()
        }
        TemporalAction::InputSubmit => submit(state),
        TemporalAction::Execute { request } => {
            state.mode = Mode::Normal;
            if let Some(p) = &state.temporal.pending {
                let text = format!("still waiting for {p}; try again when it finishes");
                flash(state, FlashLevel::Error, &text);
                return Vec::new();
            }
            let what = format!("{} {}", request.op.verb(), request.id);
            flash(state, FlashLevel::Info, &format!("{what}…"));
            state.temporal.pending = Some(what);
            vec![Effect::Temporal(TemporalEffect::Triage { request })]
        }
    }
}

/// Apply a temporal event.
pub fn on_event(state: &mut AppState, event: TemporalEvent) -> Vec<Effect> {
    match event {
        TemporalEvent::Refreshed { snapshot, at } => {
            let t = &mut state.temporal;
            t.conn = ConnState::Connected;
            t.updated_at = Some(at);
            let keep = t
                .selected
                .as_ref()
                .is_some_and(|id| snapshot.workflows.iter().any(|r| &r.id == id));
            if !keep {
                t.selected = snapshot.workflows.first().map(|r| r.id.clone());
            }
            t.snapshot = Some(*snapshot);
            flag_failed_lanes(state);
            Vec::new()
        }
        TemporalEvent::Unreachable {
            reason,
            at,
            retry_secs,
        } => {
            let since = match &state.temporal.conn {
                ConnState::Unreachable { since, .. } => *since,
                _ => at,
            };
            state.temporal.conn = ConnState::Unreachable {
                reason,
                since,
                at,
                retry_secs,
            };
            Vec::new()
        }
        TemporalEvent::Detail { id, result } => {
            let t = &mut state.temporal;
            if t.selected.as_deref() == Some(id.as_str()) {
                match result {
                    Ok(d) => {
                        t.detail = Some(*d);
                        t.detail_error = None;
                    }
                    Err(e) => t.detail_error = Some(e),
                }
            }
            Vec::new()
        }
        TemporalEvent::TriageDone { request, result } => {
            state.temporal.pending = None;
            let (ok, text) = match result {
                Ok(m) => (true, m),
                Err(m) => (false, m),
            };
            let level = if ok {
                FlashLevel::Info
            } else {
                FlashLevel::Error
            };
            flash(state, level, &text);
            state.temporal.last_result = Some((ok, text));
            let _ = request;
            vec![Effect::Temporal(TemporalEffect::Refresh)]
        }
    }
}

/// Running and failed workflow counts of a lane, for the lane list.
pub fn lane_counts(state: &TemporalState, lane: &LaneId) -> (usize, usize) {
    let Some(s) = &state.snapshot else {
        return (0, 0);
    };
    s.linked
        .iter()
        .filter(|w| belongs_to(&w.id, w.lane.as_deref(), lane.as_str()))
        .fold((0, 0), |(r, f), w| match w.status {
            WfStatus::Running => (r + 1, f),
            WfStatus::Failed => (r, f + 1),
            _ => (r, f),
        })
}

/// The effective request for the monitor's list.
fn query_effect(t: &TemporalState) -> Vec<Effect> {
    vec![Effect::Temporal(TemporalEffect::Query {
        filter: t.filter.clone(),
        lane: t.lane_filter.clone(),
        page: t.page,
    })]
}

fn detail_effect(t: &mut TemporalState) -> Vec<Effect> {
    t.detail = None;
    t.detail_error = None;
    let want = if t.detail_open {
        t.selected_row().map(|r| (r.id.clone(), r.run_id.clone()))
    } else {
        None
    };
    vec![Effect::Temporal(TemporalEffect::Watch { workflow: want })]
}

fn select_step(state: &mut AppState, step: isize) -> Vec<Effect> {
    let t = &mut state.temporal;
    let n = t.rows().len();
    if n == 0 {
        return Vec::new();
    }
    let cur = t.selected_index();
    let len = isize::try_from(n).unwrap_or(isize::MAX);
    let next = match cur {
        Some(i) => (isize::try_from(i).unwrap_or(0) + step).clamp(0, len - 1),
        None => 0,
    };
    let next = usize::try_from(next).unwrap_or(0);
    t.selected = t.rows().get(next).map(|r| r.id.clone());
    if t.detail_open && cur != Some(next) {
        return detail_effect(t);
    }
    Vec::new()
}

fn lane_workflows(state: &mut AppState) -> Vec<Effect> {
    let t = &mut state.temporal;
    if t.lane_filter.is_some() {
        t.lane_filter = None;
    } else {
        let Some(lane) = state.selected_visible().cloned() else {
            flash(
                state,
                FlashLevel::Error,
                "no lane selected: pick a lane first",
            );
            return Vec::new();
        };
        state.temporal.lane_filter = Some(lane.0);
    }
    let t = &mut state.temporal;
    t.page = 0;
    state.panel = crate::app::action::Panel::Temporal;
    query_effect(&state.temporal)
}

fn editor(kind: EditKind, text: String, target: Option<(String, String)>) -> Editor {
    Editor {
        kind,
        text,
        error: None,
        target,
        signal_name: None,
    }
}

/// Run `f` with the selected workflow, or say there is none / it has already ended.
fn with_target(
    state: &mut AppState,
    verb: &str,
    f: impl FnOnce(&mut TemporalState, (String, String)),
) -> Vec<Effect> {
    if let Some(target) = target(state, verb) {
        f(&mut state.temporal, target);
    }
    Vec::new()
}

fn target(state: &mut AppState, verb: &str) -> Option<(String, String)> {
    let Some(row) = state.temporal.selected_row() else {
        flash(state, FlashLevel::Error, "no workflow selected");
        return None;
    };
    if row.status.is_closed() && verb != "reset" {
        let text = format!(
            "workflow {} already {}: nothing to {verb}",
            row.id, row.status
        );
        flash(state, FlashLevel::Error, &text);
        return None;
    }
    Some((row.id.clone(), row.run_id.clone()))
}

fn confirm_on_selected(
    state: &mut AppState,
    request: impl FnOnce(String, String) -> TriageRequest,
) -> Vec<Effect> {
    let Some(req) = state
        .temporal
        .selected_row()
        .map(|r| request(r.id.clone(), r.run_id.clone()))
    else {
        flash(state, FlashLevel::Error, "no workflow selected");
        return Vec::new();
    };
    if target(state, req.op.verb()).is_none() {
        return Vec::new();
    }
    ask(state, req);
    Vec::new()
}

/// Put up the yes/no question for a triage request.
fn ask(state: &mut AppState, request: TriageRequest) {
    let question = match &request.op {
        TriageOp::Signal { name, input } => format!(
            "signal {} with {name} {}? y/n",
            request.id,
            input.as_deref().unwrap_or("(no input)")
        ),
        TriageOp::Cancel => format!("request cancellation of {}? y/n", request.id),
        TriageOp::Terminate { reason } => format!("terminate {} ({reason})? y/n", request.id),
        TriageOp::Reset { .. } => format!(
            "reset {} to its last workflow task (the current run is terminated)? y/n",
            request.id
        ),
    };
    state.mode = Mode::Confirm(Confirm {
        question,
        on_yes: Box::new(Action::Temporal(TemporalAction::Execute { request })),
    });
}

fn submit(state: &mut AppState) -> Vec<Effect> {
    let Some(mut e) = state.temporal.editor.take() else {
        return Vec::new();
    };
    let text = e.text.trim().to_string();
    let target = e.target.clone().unwrap_or_default();
    match e.kind {
        EditKind::Filter => {
            let t = &mut state.temporal;
            t.filter = text;
            t.page = 0;
            return query_effect(t);
        }
        EditKind::SignalName => {
            if text.is_empty() {
                e.error = Some("a signal needs a name".into());
                state.temporal.editor = Some(e);
            } else {
                let mut next = editor(EditKind::SignalInput, String::new(), e.target);
                next.signal_name = Some(text);
                state.temporal.editor = Some(next);
            }
        }
        EditKind::SignalInput => match validate_json_input(&text) {
            Ok(input) => {
                let name = e.signal_name.clone().unwrap_or_default();
                ask(
                    state,
                    TriageRequest {
                        id: target.0,
                        run_id: Some(target.1),
                        op: TriageOp::Signal { name, input },
                    },
                );
            }
            Err(msg) => {
                e.error = Some(msg);
                state.temporal.editor = Some(e);
            }
        },
        EditKind::TerminateReason => {
            if text.is_empty() {
                e.error = Some("say why (the reason is kept in the workflow history)".into());
                state.temporal.editor = Some(e);
            } else {
                ask(
                    state,
                    TriageRequest {
                        id: target.0,
                        run_id: Some(target.1),
                        op: TriageOp::Terminate { reason: text },
                    },
                );
            }
        }
    }
    Vec::new()
}

/// A lane with a newly failed workflow needs attention; a failure raised once is not raised again.
fn flag_failed_lanes(state: &mut AppState) {
    let Some(s) = &state.temporal.snapshot else {
        return;
    };
    let failed: Vec<_> = s
        .linked
        .iter()
        .filter(|w| w.status == WfStatus::Failed)
        .filter(|w| !state.temporal.flagged.contains(&w.id))
        .cloned()
        .collect();
    for w in failed {
        let lane = state
            .lanes
            .iter_mut()
            .find(|l| belongs_to(&w.id, w.lane.as_deref(), l.id().as_str()));
        if let Some(lane) = lane {
            if lane.attention.is_none() {
                lane.attention = Some(Attention::WorkflowFailed { id: w.id.clone() });
            }
            state.temporal.flagged.insert(w.id);
        }
    }
}

#[cfg(test)]
mod tests;
