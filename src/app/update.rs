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
    let before = visible_key(state);
    let mut effects = match msg.into() {
        Msg::Action(a) => on_action::apply(state, a),
        Msg::Event(e) => on_event::apply(state, e),
    };
    // Whatever changed which lanes are on screen (selection, view, filter, panel), the newly
    // visible PTYs must take their pane's size; one check here covers every action and event.
    if visible_key(state) != before && !effects.contains(&Effect::ResizeLanes) {
        effects.push(Effect::ResizeLanes);
    }
    effects
}

/// What decides which lanes are drawn and at what size.
fn visible_key(state: &AppState) -> impl PartialEq + use<> {
    (
        state.selected.clone(),
        state.view,
        state.panel,
        state.filter.clone(),
        state.compact,
    )
}
