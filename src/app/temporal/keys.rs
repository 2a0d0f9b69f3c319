//! Keys inside the Temporal panel. The core's key translation calls [`translate`] first while the
//! Temporal panel is shown in normal mode: the panel's own input line must get every key, and the
//! panel keys below are its defaults (the keymap's `[temporal]` section may rebind the commands).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::action::Panel;
use crate::app::state::Mode;
use crate::app::temporal::TemporalAction;
use crate::app::{Action, AppState};

/// Default panel bindings: key and command name.
pub const DEFAULT_BINDINGS: &[(&str, &str)] = &[
    ("j", "temporal.select_next"),
    ("down", "temporal.select_next"),
    ("k", "temporal.select_prev"),
    ("up", "temporal.select_prev"),
    ("enter", "temporal.detail"),
    ("/", "temporal.filter"),
    ("]", "temporal.next_page"),
    ("[", "temporal.prev_page"),
    ("r", "temporal.refresh"),
    ("S", "temporal.signal"),
    ("C", "temporal.cancel"),
    ("T", "temporal.terminate"),
    ("R", "temporal.reset"),
    ("w", "temporal.lane_workflows"),
];

/// Whether the panel's input line is open (then every key belongs to it).
pub fn editor_open(state: &AppState) -> bool {
    state.panel == Panel::Temporal && state.temporal.editor.is_some()
}

/// The action for a key in the Temporal panel, or `None` to let the keymap decide.
pub fn translate(state: &AppState, key: &KeyEvent) -> Option<Action> {
    if state.panel != Panel::Temporal || state.mode != Mode::Normal {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if editor_open(state) {
        let a = match key.code {
            KeyCode::Esc => TemporalAction::InputCancel,
            KeyCode::Enter => TemporalAction::InputSubmit,
            KeyCode::Char('c' | 'g') if ctrl => TemporalAction::InputCancel,
            // The same line editor as every other prompt (Ctrl-u, Ctrl-w, Backspace…).
            _ => TemporalAction::Edit {
                edit: crate::app::keys::line_edit(key)?,
            },
        };
        return Some(Action::Temporal(a));
    }
    if ctrl {
        return None;
    }
    let name = match key.code {
        KeyCode::Char(c) => {
            let mut buf = [0u8; 4];
            let s: &str = c.encode_utf8(&mut buf);
            binding(s)?
        }
        KeyCode::Down => binding("down")?,
        KeyCode::Up => binding("up")?,
        KeyCode::Enter => binding("enter")?,
        _ => return None,
    };
    crate::app::command::action_for(name, state.selected.as_ref())
}

fn binding(key: &str) -> Option<&'static str> {
    DEFAULT_BINDINGS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, c)| *c)
}
