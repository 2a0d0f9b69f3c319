//! The core: state, actions, events and the pure reducer. No IO, no tokio, no ratatui here.

pub mod action;
pub mod agent;
pub mod command;
pub mod effect;
pub mod event;
pub mod events;
pub mod explain;
pub mod fleet;
pub mod grid;
pub mod help;
pub mod hold;
pub mod keymap;
pub mod keys;
pub mod messages;
pub mod news;
pub use crate::model::label;
pub mod nats;
pub mod on_action;
pub mod on_event;
pub mod palette;
pub mod search;
pub mod share;
pub mod state;
pub mod temporal;
pub mod update;

pub use action::Action;
pub use effect::Effect;
pub use event::Event;
pub use state::AppState;
pub use update::{Msg, update};
