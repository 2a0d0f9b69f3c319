//! Keys to actions: the keymap in normal mode, prompt editing, and byte encoding in focus mode.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::app::action::PromptEdit;
use crate::app::state::Mode;
use crate::app::{Action, AppState, command};
use crate::config::chord::KeyChord;
use crate::config::keymap::{KeyMode, Keymap};

/// Lines the mouse wheel scrolls per notch.
const WHEEL_LINES: i32 = 3;

/// Translate one key press into an action, given the mode. `app_cursor` is the focused lane's
/// DECCKM state (arrow keys send `ESC O A` instead of `ESC [ A` when set).
pub fn translate(
    state: &AppState,
    keymap: &Keymap,
    key: KeyEvent,
    app_cursor: bool,
) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let chord = KeyChord::from_event(key);
    // Panels with their own keys see them first (the Temporal panel's list and input line).
    if let Some(action) = crate::app::temporal::keys::translate(state, &key) {
        return Some(action);
    }
    // The share dialog takes every key while it is open.
    if state.share.dialog.is_some() {
        let c = match key.code {
            KeyCode::Char(c) => c,
            KeyCode::Enter => '\n',
            KeyCode::Esc => '\x1b',
            _ => return None,
        };
        return crate::app::share::dialog_key(&state.share, c);
    }
    match &state.mode {
        Mode::Normal => keymap
            .command(KeyMode::Normal, chord)
            .and_then(|name| command::action_for(name, state.selected.as_ref())),
        Mode::Focus => match keymap.command(KeyMode::Focus, chord) {
            Some(name) => command::action_for(name, state.selected.as_ref()),
            None => encode_key(key, app_cursor).map(|bytes| Action::WriteFocused { bytes }),
        },
        Mode::Prompt(_) => prompt_key(key),
        Mode::Confirm(_) => match key.code {
            KeyCode::Char('y' | 'Y') => Some(Action::ConfirmYes),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Char('c' | 'g') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(Action::Cancel)
            }
            _ => None,
        },
        Mode::Help => Some(Action::ToggleHelp),
    }
}

fn prompt_key(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let edit = |edit| Some(Action::PromptInput { edit });
    match key.code {
        KeyCode::Enter => Some(Action::PromptSubmit),
        KeyCode::Esc => Some(Action::Cancel),
        KeyCode::Char('c' | 'g') if ctrl => Some(Action::Cancel),
        KeyCode::Char('u') if ctrl => edit(PromptEdit::Clear),
        KeyCode::Char('w') if ctrl => edit(PromptEdit::DeleteWord),
        KeyCode::Char('h') if ctrl => edit(PromptEdit::Backspace),
        KeyCode::Backspace if key.modifiers.contains(KeyModifiers::ALT) => {
            edit(PromptEdit::DeleteWord)
        }
        KeyCode::Backspace => edit(PromptEdit::Backspace),
        KeyCode::Tab => edit(PromptEdit::Complete),
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            edit(PromptEdit::Insert {
                text: c.to_string(),
            })
        }
        _ => None,
    }
}

/// Translate a paste; `bracketed` is whether the focused lane turned bracketed paste on.
pub fn paste(state: &AppState, text: &str, bracketed: bool) -> Option<Action> {
    match &state.mode {
        Mode::Focus => {
            let mut bytes = Vec::with_capacity(text.len() + 12);
            if bracketed {
                bytes.extend_from_slice(b"\x1b[200~");
            }
            // Terminals send pasted newlines as CR, like the Enter key. Inside the bracket ESC is
            // dropped: a pasted `ESC [201~` would end the bracket early and the lane would take
            // the rest as typed keys (found by the `keys` fuzz target).
            bytes.extend(
                text.bytes()
                    .filter(|&b| !(bracketed && b == 0x1b))
                    .map(|b| if b == b'\n' { b'\r' } else { b }),
            );
            if bracketed {
                bytes.extend_from_slice(b"\x1b[201~");
            }
            Some(Action::WriteFocused { bytes })
        }
        Mode::Prompt(_) => {
            let line: String = text
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                .collect();
            Some(Action::PromptInput {
                edit: PromptEdit::Insert { text: line },
            })
        }
        _ => None,
    }
}

/// Translate a mouse event: the wheel scrolls the selected lane in normal and focus mode.
pub fn mouse(state: &AppState, event: MouseEvent) -> Option<Action> {
    if !matches!(state.mode, Mode::Normal | Mode::Focus) {
        return None;
    }
    match event.kind {
        MouseEventKind::ScrollUp => Some(Action::Scroll { lines: WHEEL_LINES }),
        MouseEventKind::ScrollDown => Some(Action::Scroll {
            lines: -WHEEL_LINES,
        }),
        _ => None,
    }
}

/// The bytes an xterm sends for a key. `None` for keys with no encoding (media keys, lone
/// modifiers).
pub fn encode_key(key: KeyEvent, app_cursor: bool) -> Option<Vec<u8>> {
    let m = key.modifiers;
    let ctrl = m.contains(KeyModifiers::CONTROL);
    let alt = m.contains(KeyModifiers::ALT);
    let shift = m.contains(KeyModifiers::SHIFT);
    // xterm's modifier parameter: 1 + shift + 2*alt + 4*ctrl.
    let param = 1 + u8::from(shift) + 2 * u8::from(alt) + 4 * u8::from(ctrl);
    let meta = |mut bytes: Vec<u8>| {
        if alt {
            bytes.insert(0, 0x1b);
        }
        bytes
    };
    let cursor = |c: u8| {
        if param > 1 {
            format!("\x1b[1;{param}{}", c as char).into_bytes()
        } else if app_cursor {
            vec![0x1b, b'O', c]
        } else {
            vec![0x1b, b'[', c]
        }
    };
    let tilde = |n: u8| {
        if param > 1 {
            format!("\x1b[{n};{param}~").into_bytes()
        } else {
            format!("\x1b[{n}~").into_bytes()
        }
    };
    Some(match key.code {
        KeyCode::Char(c) if ctrl => meta(vec![control_byte(c)?]),
        KeyCode::Char(c) => {
            let mut buf = [0u8; 4];
            meta(c.encode_utf8(&mut buf).as_bytes().to_vec())
        }
        KeyCode::Enter => meta(vec![b'\r']),
        KeyCode::Tab => meta(vec![b'\t']),
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Backspace if ctrl => meta(vec![0x08]),
        KeyCode::Backspace => meta(vec![0x7f]),
        KeyCode::Esc => meta(vec![0x1b]),
        KeyCode::Null => vec![0],
        KeyCode::Up => cursor(b'A'),
        KeyCode::Down => cursor(b'B'),
        KeyCode::Right => cursor(b'C'),
        KeyCode::Left => cursor(b'D'),
        KeyCode::Home => cursor(b'H'),
        KeyCode::End => cursor(b'F'),
        KeyCode::Insert => tilde(2),
        KeyCode::Delete => tilde(3),
        KeyCode::PageUp => tilde(5),
        KeyCode::PageDown => tilde(6),
        KeyCode::F(n @ 1..=4) => {
            let c = b"PQRS"[usize::from(n - 1)];
            if param > 1 {
                format!("\x1b[1;{param}{}", c as char).into_bytes()
            } else {
                vec![0x1b, b'O', c]
            }
        }
        KeyCode::F(n @ 5..=12) => tilde([15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)]),
        _ => return None,
    })
}

/// The control byte for Ctrl plus a character, as xterm sends it.
fn control_byte(c: char) -> Option<u8> {
    Some(match c.to_ascii_lowercase() {
        c @ 'a'..='z' => c as u8 - b'a' + 1,
        '@' | ' ' | '2' => 0,
        '[' | '3' => 0x1b,
        '\\' | '4' => 0x1c,
        ']' | '5' => 0x1d,
        '^' | '6' => 0x1e,
        '_' | '-' | '7' => 0x1f,
        '?' | '8' => 0x7f,
        _ => return None,
    })
}

/// Parse a key script like `jj<enter>hello<c-g>`: plain characters are keys, `<…>` is a chord
/// (`<enter>`, `<esc>`, `<C-g>`, `<lt>` for `<`). For tests and scripted demos.
pub fn parse_script(script: &str) -> Result<Vec<KeyEvent>, String> {
    let mut out = Vec::new();
    let mut chars = script.chars();
    while let Some(c) = chars.next() {
        if c == '<' {
            let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
            let chord = KeyChord::parse(&name).map_err(|e| format!("<{name}>: {e}"))?;
            out.push(KeyEvent::new(chord.code, chord.mods));
        } else {
            out.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Instant;

    use super::*;
    use crate::app::state::RepoInfo;

    /// Fuzz find (tests/fuzz, `keys`): the pasted text held the bracket's end.
    #[test]
    fn a_paste_cannot_end_its_bracket_early() {
        let repo = RepoInfo {
            path: "/r".into(),
            name: "r".into(),
        };
        let mut state = AppState::new(repo, Instant::now());
        state.mode = Mode::Focus;
        let text = "\0<\0\0<w7\x01\0\0<\0\0-\0\0\x1b[201~\0\nrm -rf ~\n";
        let Some(Action::WriteFocused { bytes }) = paste(&state, text, true) else {
            panic!("no write for a paste in focus mode");
        };
        let inner = bytes
            .strip_prefix(b"\x1b[200~")
            .and_then(|b| b.strip_suffix(b"\x1b[201~"))
            .unwrap();
        assert!(!inner.contains(&0x1b), "{bytes:?}");
        assert!(inner.ends_with(b"[201~\0\rrm -rf ~\r"), "{bytes:?}");
        // Without bracketed paste the text goes as typed, ESC included.
        let Some(Action::WriteFocused { bytes }) = paste(&state, "a\x1bb", false) else {
            panic!("no write for a paste in focus mode");
        };
        assert_eq!(bytes, b"a\x1bb");
    }
}
