//! Nats state, actions and events, and their pure reducer. Filled in by the nats work.

use crate::app::{AppState, Effect};

/// What the nats panel shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NatsState {}

/// User actions for nats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatsAction {
    /// Refresh now.
    Refresh,
}

/// Typed events from the nats tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum NatsEvent {}

/// Apply a nats action.
pub fn on_action(_state: &mut AppState, action: NatsAction) -> Vec<Effect> {
    match action {
        NatsAction::Refresh => Vec::new(),
    }
}

/// Apply a nats event.
pub fn on_event(_state: &mut AppState, event: NatsEvent) -> Vec<Effect> {
    match event {}
}
