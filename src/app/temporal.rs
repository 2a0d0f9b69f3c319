//! Temporal state, actions and events, and their pure reducer. Filled in by the temporal work.

use crate::app::{AppState, Effect};

/// What the temporal panel shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemporalState {}

/// User actions for temporal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemporalAction {
    /// Refresh now.
    Refresh,
}

/// Typed events from the temporal tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum TemporalEvent {}

/// Apply a temporal action.
pub fn on_action(_state: &mut AppState, action: TemporalAction) -> Vec<Effect> {
    match action {
        TemporalAction::Refresh => Vec::new(),
    }
}

/// Apply a temporal event.
pub fn on_event(_state: &mut AppState, event: TemporalEvent) -> Vec<Effect> {
    match event {}
}

/// Running and failed workflow counts of a lane, for the lane list.
pub fn lane_counts(_state: &TemporalState, _lane: &crate::lanes::LaneId) -> (usize, usize) {
    (0, 0)
}
