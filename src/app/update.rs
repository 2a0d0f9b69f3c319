//! `update`: the only place the state changes. Pure: actions and events in, effects out.

use crate::app::{Action, AppState, Effect, Event, on_action, on_event};

/// One input to the reducer.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Something the user asked for.
    Action(Action),
    /// Something that happened in IO.
    Event(Event),
}

impl From<Action> for Msg {
    fn from(a: Action) -> Self {
        Self::Action(a)
    }
}

impl From<Event> for Msg {
    fn from(e: Event) -> Self {
        Self::Event(e)
    }
}

/// Apply one message to the state and return the IO it asks for.
pub fn update(state: &mut AppState, msg: impl Into<Msg>) -> Vec<Effect> {
    match msg.into() {
        Msg::Action(a) => on_action::apply(state, a),
        Msg::Event(e) => on_event::apply(state, e),
    }
}
