//! Keys to actions: the keymap in normal mode, prompt editing, and byte encoding in focus mode.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::app::action::{Panel, PromptEdit};
use crate::app::keymap::{KeyMode, Keymap};
use crate::app::state::Mode;
use crate::app::{Action, AppState, command};
use crate::config::chord::KeyChord;

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
    // Panels with their own keys see them first (the Temporal panel's list and input line,
    // the events panel's list and JSON overlay, the NATS panel's streams).
    if let Some(action) = crate::app::temporal::keys::translate(state, &key) {
        return Some(action);
    }
    if let Some(action) = panel_key(state, &key) {
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
        // A command that needs a lane, with none selected, says so rather than nothing.
        Mode::Normal => keymap.command(KeyMode::Normal, chord).map(|name| {
            if state.panel != Panel::Lanes && command::on_selected_lane(name) {
                return Action::LanesHidden;
            }
            command::action_for(name, state.selected_visible()).unwrap_or(Action::NoLane)
        }),
        Mode::Focus => match keymap.command(KeyMode::Focus, chord) {
            Some(name) => command::action_for(name, state.selected_visible()),
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
        // Any key closes the explanation, but those that scroll it when it is taller than the
        // screen (a lane with many signals on a small terminal).
        Mode::Explain => Some(explain_key(&key, state).unwrap_or(Action::ToggleExplain)),
        Mode::Messages => {
            let len = crate::app::messages::rows(state).len();
            Some(
                overlay_key(&key, state, state.messages_top, len, |top| {
                    Action::MessagesScroll { top }
                })
                .unwrap_or(Action::ToggleMessages),
            )
        }
        Mode::Help => {
            let len = crate::app::help::lines(keymap, state.size.0).len();
            Some(
                overlay_key(&key, state, state.help_top, len, |top| Action::HelpScroll {
                    top,
                })
                .unwrap_or(Action::ToggleHelp),
            )
        }
    }
}

/// A key in the explanation: a scroll when its rows do not fit the screen.
fn explain_key(key: &KeyEvent, state: &AppState) -> Option<Action> {
    let len = crate::app::explain::selected_rows(state)?.len();
    if len <= crate::app::help::page(state.size) {
        return None;
    }
    overlay_key(key, state, state.explain_top, len, |top| {
        Action::ExplainScroll { top }
    })
}

/// A key in a scrollable overlay over the main area (help, messages) of `len` lines: the
/// scroll it asks for, `None` for a key that closes the overlay.
fn overlay_key(
    key: &KeyEvent,
    state: &AppState,
    top: usize,
    len: usize,
    scroll: fn(usize) -> Action,
) -> Option<Action> {
    scroll_to(key, top, len, crate::app::help::page(state.size)).map(scroll)
}

/// Where a scrollable overlay (help, an event's JSON) of `len` lines showing `page` at once
/// goes for `key`: j/k and the arrows a line, PgDn/PgUp, space and Ctrl-d/Ctrl-u a page, g/G
/// and Home/End the ends. `None` for any other key, which closes the overlay.
pub fn scroll_to(key: &KeyEvent, top: usize, len: usize, page: usize) -> Option<usize> {
    let max = len.saturating_sub(page);
    let top = top.min(max);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let to = match key.code {
        KeyCode::Char('d' | 'f') if ctrl => top + page,
        KeyCode::Char('u' | 'b') if ctrl => top.saturating_sub(page),
        _ if ctrl => return None,
        KeyCode::Char('j') | KeyCode::Down => top + 1,
        KeyCode::Char('k') | KeyCode::Up => top.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => top + page,
        KeyCode::PageUp => top.saturating_sub(page),
        KeyCode::Char('g') | KeyCode::Home => 0,
        KeyCode::Char('G') | KeyCode::End => max,
        _ => return None,
    };
    Some(to.min(max))
}

/// Keys of the events and NATS panels (their default bindings), and of the event overlay.
fn panel_key(state: &AppState, key: &KeyEvent) -> Option<Action> {
    use crate::app::events::EventsAction;
    if state.mode != Mode::Normal {
        return None;
    }
    if state.panel == Panel::Events
        && let Some(top) = state.events.detail_top
    {
        let len = crate::app::events::detail_lines(state).len();
        let page = crate::app::events::detail_page(state.size);
        return Some(Action::Events(match scroll_to(key, top, len, page) {
            Some(top) => EventsAction::ScrollDetail { top },
            None => EventsAction::ToggleDetail,
        }));
    }
    let bindings = match state.panel {
        Panel::Events => crate::app::events::DEFAULT_BINDINGS,
        Panel::Nats => crate::app::nats::keys::DEFAULT_BINDINGS,
        _ => return None,
    };
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    let mut buf = [0u8; 4];
    let name: &str = match key.code {
        KeyCode::Char(c) => c.encode_utf8(&mut buf),
        KeyCode::Down => "down",
        KeyCode::Up => "up",
        KeyCode::Enter => "enter",
        _ => return None,
    };
    let (_, command) = bindings.iter().find(|(k, _)| *k == name)?;
    command::action_for(command, state.selected_visible())
}

fn prompt_key(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => Some(Action::PromptSubmit),
        KeyCode::Esc => Some(Action::Cancel),
        KeyCode::Char('c' | 'g') if ctrl => Some(Action::Cancel),
        _ => line_edit(&key).map(|edit| Action::PromptInput { edit }),
    }
}

/// The keys that edit a prompt's line, the same in every prompt: characters, Backspace
/// (Ctrl-h), Ctrl-w and Alt-Backspace (delete a word), Ctrl-u (clear), Tab (complete).
pub fn line_edit(key: &KeyEvent) -> Option<PromptEdit> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    Some(match key.code {
        KeyCode::Char('u') if ctrl => PromptEdit::Clear,
        KeyCode::Char('w') if ctrl => PromptEdit::DeleteWord,
        KeyCode::Char('h') if ctrl => PromptEdit::Backspace,
        KeyCode::Backspace if alt => PromptEdit::DeleteWord,
        KeyCode::Backspace => PromptEdit::Backspace,
        KeyCode::Tab => PromptEdit::Complete,
        KeyCode::Char(c) if !ctrl && !alt => PromptEdit::Insert {
            text: c.to_string(),
        },
        _ => return None,
    })
}

/// A paste into a prompt: one line, its newlines made spaces.
fn paste_edit(text: &str) -> PromptEdit {
    PromptEdit::Insert {
        text: text
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect(),
    }
}

/// What a lane is sent for a paste of `text`; `bracketed` is whether it turned bracketed paste
/// on. Also how `lane send` types into a helios-owned lane.
pub fn paste_bytes(text: &str, bracketed: bool) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len() + 12);
    if bracketed {
        bytes.extend_from_slice(b"\x1b[200~");
    }
    // Terminals send pasted newlines as CR, like the Enter key. Inside the bracket ESC is
    // dropped: a pasted `ESC [201~` would end the bracket early and the lane would take the rest
    // as typed keys (found by the `keys` fuzz target).
    bytes.extend(
        text.bytes()
            .filter(|&b| !(bracketed && b == 0x1b))
            .map(|b| if b == b'\n' { b'\r' } else { b }),
    );
    if bracketed {
        bytes.extend_from_slice(b"\x1b[201~");
    }
    bytes
}

/// Translate a paste; `bracketed` is whether the focused lane turned bracketed paste on.
pub fn paste(state: &AppState, text: &str, bracketed: bool) -> Option<Action> {
    match &state.mode {
        Mode::Focus => Some(Action::WriteFocused {
            bytes: paste_bytes(text, bracketed),
        }),
        Mode::Prompt(_) => Some(Action::PromptInput {
            edit: paste_edit(text),
        }),
        Mode::Normal if crate::app::temporal::keys::editor_open(state) => Some(Action::Temporal(
            crate::app::temporal::TemporalAction::Edit {
                edit: paste_edit(text),
            },
        )),
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
