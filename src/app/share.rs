//! Share state, actions and events, and their pure reducer. Filled in by the share work.

use crate::app::{AppState, Effect};

/// What the share panel shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShareState {}

/// User actions for share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareAction {
    /// Refresh now.
    Refresh,
    /// Start sharing a lane (asks how first).
    Start {
        /// The lane.
        lane: crate::lanes::LaneId,
    },
    /// Attach to or create the repo's zellij session.
    OpenZellij,
}

/// Typed events from the share tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum ShareEvent {}

/// Apply a share action.
pub fn on_action(_state: &mut AppState, action: ShareAction) -> Vec<Effect> {
    match action {
        ShareAction::Refresh | ShareAction::Start { .. } | ShareAction::OpenZellij => Vec::new(),
    }
}

/// Apply a share event.
pub fn on_event(_state: &mut AppState, event: ShareEvent) -> Vec<Effect> {
    match event {}
}
