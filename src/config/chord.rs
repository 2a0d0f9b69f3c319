//! Key chords: parsing `ctrl-g`, `C-g`, `<C-g>`, `shift-tab`, `G`, `pgup` into one normal form,
//! so two spellings of the same key compare equal (and a key bound twice is caught).

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with its modifiers, normalized: letters carry their case instead of SHIFT, and
/// `shift-tab` is `BackTab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCode,
    /// Ctrl, Alt and (for non-character keys) Shift.
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// Build a chord and normalize it.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = code;
        match code {
            KeyCode::Char(c) => {
                // Terminals report shift-a as 'A' (sometimes with SHIFT, sometimes without).
                if mods.contains(KeyModifiers::SHIFT) && c.is_lowercase() {
                    code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
                }
                mods.remove(KeyModifiers::SHIFT);
                // ctrl-G and ctrl-g are the same control byte.
                if mods.contains(KeyModifiers::CONTROL) && c.is_ascii_uppercase() {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                mods.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        Self { code, mods }
    }

    /// The chord of a key event.
    pub fn from_event(key: KeyEvent) -> Self {
        Self::new(key.code, key.modifiers)
    }

    /// Parse `j`, `G`, `ctrl-g`, `C-g`, `<C-g>`, `alt-x`, `M-x`, `shift-tab`, `enter`, `f5`, `?`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let s = if text == " " { text } else { text.trim() };
        let s = if s.len() > 2 && s.starts_with('<') && s.ends_with('>') {
            &s[1..s.len() - 1]
        } else {
            s
        };
        if s.is_empty() {
            return Err("an empty key".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        while let Some(pos) = rest.find(['-', '+']) {
            // A trailing `-` or `+` is the key itself (`ctrl--`, `-`).
            if pos == 0 || pos + 1 == rest.len() {
                break;
            }
            let m = match rest[..pos].to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "a" | "m" | "opt" | "option" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                other => return Err(format!("unknown modifier `{other}`")),
            };
            mods |= m;
            rest = &rest[pos + 1..];
        }
        let code = parse_code(rest).ok_or_else(|| format!("unknown key name `{rest}`"))?;
        Ok(Self::new(code, mods))
    }
}

fn parse_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
        return (1..=12).contains(&n).then_some(KeyCode::F(n));
    }
    Some(match lower.as_str() {
        "enter" | "return" | "ret" | "cr" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" | "bs" => KeyCode::Backspace,
        "space" | "spc" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
        "insert" | "ins" => KeyCode::Insert,
        "delete" | "del" => KeyCode::Delete,
        "lt" => KeyCode::Char('<'),
        "gt" => KeyCode::Char('>'),
        "minus" => KeyCode::Char('-'),
        "plus" => KeyCode::Char('+'),
        _ => return None,
    })
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Delete => f.write_str("delete"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("ctrl-g", "C-g")]
    #[case("ctrl-g", "<C-g>")]
    #[case("ctrl-g", "Ctrl+G")]
    #[case("down", "Down")]
    #[case("shift-tab", "backtab")]
    #[case("G", "shift-g")]
    #[case("pgup", "PageUp")]
    #[case("alt-x", "M-x")]
    #[case("space", " ")]
    fn spellings_normalize(#[case] a: &str, #[case] b: &str) {
        assert_eq!(KeyChord::parse(a).unwrap(), KeyChord::parse(b).unwrap());
    }

    #[rstest]
    #[case("g", "G")]
    #[case("ctrl-g", "g")]
    fn distinct(#[case] a: &str, #[case] b: &str) {
        assert_ne!(KeyChord::parse(a).unwrap(), KeyChord::parse(b).unwrap());
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "ctrl-g",
            "G",
            "?",
            "pgdn",
            "shift-tab",
            "f5",
            "alt-enter",
            "-",
            "ctrl--",
        ] {
            let c = KeyChord::parse(s).unwrap();
            assert_eq!(KeyChord::parse(&c.to_string()).unwrap(), c, "{s}");
        }
    }

    #[test]
    fn bad_keys() {
        assert!(KeyChord::parse("hyper-x").is_err());
        assert!(KeyChord::parse("f13").is_err());
        assert!(KeyChord::parse("banana").is_err());
        assert!(KeyChord::parse("").is_err());
    }

    #[test]
    fn event_shift_letter_matches_uppercase() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(ev), KeyChord::parse("G").unwrap());
    }
}
