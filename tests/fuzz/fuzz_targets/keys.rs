//! The key encoder (`encode_key`), the key-script parser and paste translation.
#![no_main]

use std::path::PathBuf;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use helios::app::action::PromptEdit;
use helios::app::keys::{encode_key, parse_script, paste};
use helios::app::state::{Mode, Prompt, PromptKind, RepoInfo};
use helios::app::{Action, AppState};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    code: u8,
    ch: char,
    modifiers: u8,
    kind: u8,
    app_cursor: bool,
    bracketed: bool,
    text: String,
}

fn key_code(selector: u8, ch: char) -> KeyCode {
    match selector % 24 {
        0..=4 => KeyCode::Char(ch),
        5 => KeyCode::Enter,
        6 => KeyCode::Tab,
        7 => KeyCode::BackTab,
        8 => KeyCode::Backspace,
        9 => KeyCode::Esc,
        10 => KeyCode::Null,
        11 => KeyCode::Up,
        12 => KeyCode::Down,
        13 => KeyCode::Left,
        14 => KeyCode::Right,
        15 => KeyCode::Home,
        16 => KeyCode::End,
        17 => KeyCode::Insert,
        18 => KeyCode::Delete,
        19 => KeyCode::PageUp,
        20 => KeyCode::PageDown,
        21 => KeyCode::CapsLock,
        // Every F number, including ones no keyboard has.
        _ => KeyCode::F(ch as u8),
    }
}

fn state(mode: Mode) -> AppState {
    let repo = RepoInfo {
        path: PathBuf::from("/r"),
        name: "r".into(),
    };
    let mut s = AppState::new(repo, Instant::now());
    s.mode = mode;
    s
}

fuzz_target!(|input: Input| {
    let mods = KeyModifiers::from_bits_truncate(input.modifiers);
    let kind = match input.kind % 3 {
        0 => KeyEventKind::Press,
        1 => KeyEventKind::Repeat,
        _ => KeyEventKind::Release,
    };
    let key = KeyEvent {
        code: key_code(input.code, input.ch),
        modifiers: mods,
        kind,
        state: KeyEventState::empty(),
    };
    if let Some(bytes) = encode_key(key, input.app_cursor) {
        assert!(!bytes.is_empty(), "{key:?} encodes to nothing");
        let plain = !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let (KeyCode::Char(c), true) = (key.code, plain) {
            assert_eq!(bytes, c.to_string().into_bytes(), "{key:?}");
        }
    }

    if let Ok(keys) = parse_script(&input.text)
        && !input.text.contains('<')
    {
        assert_eq!(keys.len(), input.text.chars().count());
    }

    // A paste into a focused lane: newlines become CR, and with bracketed paste on, the text
    // cannot end the bracket early (the lane would take the rest as typed keys).
    match paste(&state(Mode::Focus), &input.text, input.bracketed) {
        Some(Action::WriteFocused { bytes }) => {
            assert!(!bytes.contains(&b'\n'), "a newline in a paste: {bytes:?}");
            if input.bracketed {
                let inner = bytes
                    .strip_prefix(b"\x1b[200~")
                    .and_then(|b| b.strip_suffix(b"\x1b[201~"))
                    .unwrap_or_else(|| panic!("no bracket around {bytes:?}"));
                assert!(
                    !inner.windows(6).any(|w| w == b"\x1b[201~"),
                    "the pasted text ends the bracketed paste early: {bytes:?}"
                );
            }
        }
        other => panic!("a paste in focus mode gave {other:?}"),
    }
    let prompt = Mode::Prompt(Prompt {
        kind: PromptKind::Palette,
        text: String::new(),
        error: None,
    });
    match paste(&state(prompt), &input.text, input.bracketed) {
        Some(Action::PromptInput {
            edit: PromptEdit::Insert { text },
        }) => assert!(
            !text.contains(['\n', '\r']),
            "a line break in a prompt: {text:?}"
        ),
        other => panic!("a paste in a prompt gave {other:?}"),
    }
});
