//! The events panel's own state and keys: the merged list it shows (the journal's recent
//! history, this run's events and what arrives on HELIOS_EVENTS), which event is selected, and
//! the overlay with one event's full JSON. Pure.

use std::collections::HashSet;

use crate::app::AppState;
use crate::model::AuditEvent;

/// How many journal events the panel opens with (read once at console start, off the render
/// path) and keeps.
pub const HISTORY: usize = 500;

/// Default panel bindings: key and command name.
pub const DEFAULT_BINDINGS: &[(&str, &str)] = &[
    ("j", "events.select_next"),
    ("down", "events.select_next"),
    ("k", "events.select_prev"),
    ("up", "events.select_prev"),
    ("enter", "events.detail"),
];

/// Selection and overlay of the events panel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsView {
    /// The selected event's id; `None` follows the newest.
    pub selected: Option<String>,
    /// The JSON overlay is open, scrolled to this line.
    pub detail_top: Option<usize>,
}

/// Events panel actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsAction {
    /// Select the next (newer) event; past the newest, follow new events again.
    SelectNext,
    /// Select the previous (older) event.
    SelectPrev,
    /// Open (or close) the selected event's full JSON.
    ToggleDetail,
    /// Scroll the JSON overlay to this line.
    ScrollDetail {
        /// First line shown.
        top: usize,
    },
}

/// The events to show, oldest first: the journal's and the stream's, deduplicated by id (our
/// own events come back from the stream too), ordered by time then id, filtered.
pub fn merged(state: &AppState) -> Vec<&AuditEvent> {
    let mut seen = HashSet::new();
    let mut v: Vec<&AuditEvent> = state
        .recent_events
        .iter()
        .chain(state.nats.swarm.iter())
        .filter(|e| seen.insert(e.id.as_str()))
        .filter(|e| state.nats.filter.matches(e))
        .collect();
    v.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    v
}

/// The selected event's index in [`merged`]: the chosen one while it is listed, else the newest.
pub fn selected_index(state: &AppState, events: &[&AuditEvent]) -> Option<usize> {
    let last = events.len().checked_sub(1)?;
    Some(
        state
            .events
            .selected
            .as_ref()
            .and_then(|id| events.iter().position(|e| &e.id == id))
            .unwrap_or(last),
    )
}

/// The widest the JSON overlay gets.
pub const DETAIL_MAX_W: u16 = 100;

/// The selected event as the overlay shows it: pretty JSON, long lines wrapped to the
/// overlay's width so nothing is cut off.
pub fn detail_lines(state: &AppState) -> Vec<String> {
    let events = merged(state);
    let width = usize::from(state.size.0.min(DETAIL_MAX_W))
        .saturating_sub(2)
        .max(8);
    selected_index(state, &events)
        .and_then(|i| serde_json::to_string_pretty(events[i]).ok())
        .map(|json| json.lines().flat_map(|l| wrap(l, width)).collect())
        .unwrap_or_default()
}

/// `line` cut into pieces of at most `width` display columns.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in line.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        used += w;
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

/// Lines the overlay shows at once on a terminal of `size`: the main area less its borders.
pub fn detail_page(size: (u16, u16)) -> usize {
    usize::from(size.1).saturating_sub(3).max(1)
}

/// Merge journal history read at start with what this run already has: no duplicates, in
/// journal order, the newest [`HISTORY`] kept.
pub fn add_history(state: &mut AppState, history: Vec<AuditEvent>) {
    let have: HashSet<String> = state.recent_events.iter().map(|e| e.id.clone()).collect();
    let mut all: Vec<AuditEvent> = history
        .into_iter()
        .filter(|e| !have.contains(&e.id))
        .collect();
    all.append(&mut state.recent_events);
    all.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let extra = all.len().saturating_sub(HISTORY);
    all.drain(..extra);
    state.recent_events = all;
}

/// Apply an events panel action.
pub fn on_action(state: &mut AppState, action: EventsAction) {
    match action {
        EventsAction::SelectNext | EventsAction::SelectPrev => {
            let events = merged(state);
            let Some(i) = selected_index(state, &events) else {
                return;
            };
            let next = if action == EventsAction::SelectNext {
                // Past the newest: follow new events again.
                (i + 1 < events.len()).then(|| events[i + 1].id.clone())
            } else {
                Some(events[i.saturating_sub(1)].id.clone())
            };
            state.events.selected = next;
        }
        EventsAction::ToggleDetail => {
            let open = state.events.detail_top.is_none() && !merged(state).is_empty();
            if open && state.events.selected.is_none() {
                // Pin the newest, so the overlay does not change under the reader.
                state.events.selected = merged(state).last().map(|e| e.id.clone());
            }
            state.events.detail_top = open.then_some(0);
        }
        EventsAction::ScrollDetail { top } => {
            if state.events.detail_top.is_some() {
                state.events.detail_top = Some(top);
            }
        }
    }
}
