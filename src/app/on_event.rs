//! How each IO event changes the state.

use crate::app::on_action::flash;
use crate::app::state::{Attention, FlashLevel, Lane, LaneStatus, Mode};
use crate::app::{AppState, Effect, Event, nats, share, temporal};

/// How many recent audit events the events panel keeps in memory.
const RECENT_EVENTS: usize = 500;

/// Apply one event.
pub fn apply(state: &mut AppState, event: Event) -> Vec<Effect> {
    match event {
        Event::Tick { now } => {
            state.now = now;
            Vec::new()
        }
        Event::Resized { cols, rows } => {
            state.size = (cols, rows);
            vec![Effect::ResizeLanes]
        }
        Event::LanesDiscovered { lanes } => {
            let mut next: Vec<Lane> = lanes
                .into_iter()
                .map(|info| match state.lane(&info.id) {
                    Some(old) => {
                        let mut l = old.clone();
                        if !info.session_alive {
                            l.status = LaneStatus::Missing;
                        }
                        l.info = info;
                        l
                    }
                    None => Lane::new(info),
                })
                .collect();
            sort_lanes(&mut next);
            state.lanes = next;
            if state
                .selected
                .as_ref()
                .is_none_or(|s| state.lane(s).is_none())
            {
                state.selected = state.lanes.first().map(|l| l.id().clone());
            }
            if state
                .focused
                .as_ref()
                .is_some_and(|f| state.lane(f).is_none())
            {
                state.focused = None;
                state.mode = Mode::Normal;
            }
            vec![Effect::SyncPtys, Effect::ResizeLanes]
        }
        Event::DiscoveryFailed { error } => {
            flash(state, FlashLevel::Error, &error);
            Vec::new()
        }
        Event::LaneOutput { lane, at } => {
            if let Some(l) = state.lane_mut(&lane) {
                l.last_output = Some(at);
                if l.status != LaneStatus::Exited {
                    l.status = LaneStatus::Running;
                }
            }
            Vec::new()
        }
        Event::LaneBell { lane } => set_attention(state, &lane, Attention::Bell),
        Event::LaneNotified { lane, text } => {
            set_attention(state, &lane, Attention::Notified { text })
        }
        Event::LaneExited { lane, .. } => {
            if let Some(l) = state.lane_mut(&lane) {
                l.status = LaneStatus::Exited;
            }
            set_attention(state, &lane, Attention::Exited)
        }
        Event::LaneQuiet { lane, last_line } => {
            if let Some(l) = state
                .lane_mut(&lane)
                .filter(|l| l.status == LaneStatus::Running)
            {
                l.status = LaneStatus::Idle;
            }
            set_attention(state, &lane, Attention::Waiting { prompt: last_line })
        }
        Event::LaneCommandDone { what, lane, result } => {
            match &result {
                Ok(msg) => flash(state, FlashLevel::Info, msg),
                Err(err) => flash(state, FlashLevel::Error, err),
            }
            let _ = (what, lane);
            vec![Effect::DiscoverLanes]
        }
        Event::Journalled { event } => {
            state.recent_events.push(event);
            if state.recent_events.len() > RECENT_EVENTS {
                let extra = state.recent_events.len() - RECENT_EVENTS;
                state.recent_events.drain(..extra);
            }
            Vec::new()
        }
        Event::Nats(e) => nats::on_event(state, e),
        Event::Temporal(e) => temporal::on_event(state, e),
        Event::Share(e) => share::on_event(state, e),
    }
}

/// Mark a lane as needing attention, unless it is the focused one (the user is already looking).
fn set_attention(state: &mut AppState, lane: &crate::lanes::LaneId, why: Attention) -> Vec<Effect> {
    if state.focused.as_ref() == Some(lane) {
        return Vec::new();
    }
    if let Some(l) = state.lane_mut(lane) {
        l.attention = Some(why);
    }
    sort_lanes(&mut state.lanes);
    Vec::new()
}

/// Lanes needing attention first, then by label.
pub fn sort_lanes(lanes: &mut [Lane]) {
    lanes.sort_by(|a, b| {
        b.attention
            .is_some()
            .cmp(&a.attention.is_some())
            .then_with(|| a.id().cmp(b.id()))
    });
}
