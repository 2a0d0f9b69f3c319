//! Keys to actions: the keymap in normal mode, prompt editing, and byte encoding in focus mode.

use crossterm::event::KeyEvent;

use crate::app::{Action, AppState};
use crate::config::keymap::Keymap;

/// Translate one key press into an action, given the mode. `app_cursor` is the focused lane's
/// DECCKM state (arrow keys send `ESC O A` instead of `ESC [ A` when set).
pub fn translate(
    _state: &AppState,
    _keymap: &Keymap,
    _key: KeyEvent,
    _app_cursor: bool,
) -> Option<Action> {
    None
}

/// Translate a paste; `bracketed` is whether the focused lane turned bracketed paste on.
pub fn paste(_state: &AppState, _text: &str, _bracketed: bool) -> Option<Action> {
    None
}
