//! Outside text made safe to show: worktree names, branch names, NATS messages, server errors
//! and config values reach the user's terminal only through these helpers, so a name cannot set
//! the clipboard (OSC 52), retitle the window, clear the screen or reorder a line.
//!
//! It sits at the bottom of the crate (it imports nothing of helios) because the CLI's printing
//! and the console's drawing both need it, and a helper two layers share lives in the lower one.
//!
//! [`escape`] is for printed lines: every control character (C0 including `\n` and `\t`, DEL,
//! C1) and every bidirectional control becomes a visible escape like `\x1b` or `\u{202e}`; all
//! other text is kept as it is, so a label printed by `helios lane ls` can still be copied.
//! [`display`] is for the console's cells: [`escape`], and the characters that only join or
//! restyle their neighbours (zero-width joiners, variation selectors, skin-tone modifiers, tags)
//! are dropped, because terminals disagree on how wide the joined glyph is and a cell grid
//! needs every column to be where ratatui thinks it is. `👩‍💻` is drawn as `👩💻`.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr as _;

/// Characters that change the direction of what follows on the line (the Trojan Source set).
fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `s`, or its first `head` and last `tail` characters with its size between them: a long
/// text (a 900 KB send) in a message, a log line or a journal error, where its end may hold the
/// reason ("Argument list too long").
pub fn clip(s: &str, head: usize, tail: usize) -> String {
    let count = s.chars().count();
    if count <= head + tail {
        return s.to_string();
    }
    let first: String = s.chars().take(head).collect();
    let last: String = s.chars().skip(count - tail).collect();
    format!("{first}… ({} bytes) …{last}", s.len())
}

/// `n` and its noun, singular for one: `1 lane`, `3 lanes`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether `c` must not reach a terminal as it is: C0, DEL, C1, the bidi controls, and the line
/// and paragraph separators (some terminals break the line on them).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A lane's cell as its tile draws it: `s` without the characters a terminal must not get raw
/// ([`is_unsafe`]). A bidi override in a lane's output reversed what followed it on the user's
/// screen; dropped, the cell shows what a terminal without bidi shows. Borrowed (no copy) when
/// nothing is dropped, which is every cell but a few.
pub fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_control()) {
        return std::borrow::Cow::Borrowed(s);
    }
    if !s.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.chars().filter(|&c| !is_unsafe(c)).collect())
}

/// Characters with no width of their own that glue or restyle the character before them.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{034F}'                    // combining grapheme joiner
        | '\u{180E}'                  // Mongolian vowel separator
        | '\u{200B}'..='\u{200D}'     // zero-width space, non-joiner, joiner
        | '\u{2060}'..='\u{2064}'     // word joiner and invisible operators
        | '\u{FE00}'..='\u{FE0F}'     // variation selectors 1-16
        | '\u{FEFF}'                  // zero-width no-break space
        | '\u{1F3FB}'..='\u{1F3FF}'   // emoji skin-tone modifiers
        | '\u{E0000}'..='\u{E007F}'   // tags
        | '\u{E0100}'..='\u{E01EF}' // variation selectors 17-256
    )
}

fn push_escaped(out: &mut String, c: char) {
    let _ = match c {
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c if u32::from(c) < 0x80 => write!(out, "\\x{:02x}", u32::from(c)),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    };
}

fn rewrite(s: &str, drop: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || drop(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else if !drop(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` with every control and bidi character written as a visible escape (`\x1b`, `\n`,
/// `\u{9b}`, `\u{202e}`), for a line printed to a terminal. Borrowed when nothing changes.
pub fn escape(s: &str) -> Cow<'_, str> {
    rewrite(s, |_| false)
}

/// `s` in double quotes, its controls written as [`escape`] writes them and its `"` and `\`
/// with a backslash: a value named in a message (`no lane "a\x1b[31m"`). One style for every
/// message, where Rust's `{:?}` would write `\u{1b}` beside [`escape`]'s `\x1b`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Each of `items` [`quote`]d, in brackets: `["a", "b\x1b"]`.
pub fn quote_all(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// [`escape`], then the joiners and presentation selectors dropped, for a label drawn in the
/// console's cell grid: what is left has the width [`width`] says on every terminal.
pub fn display(s: &str) -> Cow<'_, str> {
    rewrite(s, is_joiner)
}

/// The columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` escaped and padded with spaces to `columns` display columns (never cut), for a table
/// column: `format!("{:<w$}")` pads by characters, which misaligns wide ones.
pub fn pad(s: &str, columns: usize) -> String {
    let s = escape(s);
    let fill = columns.saturating_sub(width(&s));
    let mut out = String::with_capacity(s.len() + fill);
    out.push_str(&s);
    out.extend(std::iter::repeat_n(' ', fill));
    out
}

/// `s` cut to at most `columns` display columns, ending in `…` when cut. `s` should already
/// be [`display`]-safe.
pub fn truncate(s: &str, columns: usize) -> String {
    if width(s) <= columns {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let room = columns.saturating_sub(1);
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if columns > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_as_escape_does() {
        assert_eq!(quote("a\u{1b}[31m\"\\"), r#""a\x1b[31m\"\\""#);
        assert_eq!(quote("\u{9b}\u{202e}\n"), r#""\u{9b}\u{202e}\n""#);
        assert_eq!(quote("fix-1"), "\"fix-1\"");
        assert_eq!(
            quote_all(&["a".into(), "b\u{7}".into()]),
            r#"["a", "b\x07"]"#
        );
    }

    /// No byte that a terminal could act on, and no bidi control, is left.
    fn inert(s: &str) -> bool {
        !s.chars().any(is_unsafe)
    }

    #[test]
    fn every_c0_del_and_c1_character_is_escaped() {
        for n in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0) {
            let c = char::from_u32(n).unwrap_or('?');
            let s = format!("a{c}b");
            let e = escape(&s);
            assert!(inert(&e), "{n:#x}: {e:?}");
            assert!(
                e.starts_with('a') && e.ends_with('b') && e.len() > 3,
                "{n:#x}"
            );
        }
    }

    #[test]
    fn escapes_are_readable() {
        assert_eq!(escape("x\x1b]52;c;aGk=\x07y"), "x\\x1b]52;c;aGk=\\x07y");
        assert_eq!(escape("\x1b[2J"), "\\x1b[2J");
        assert_eq!(escape("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("\x7f"), "\\x7f");
        assert_eq!(escape("\0"), "\\x00");
    }

    #[test]
    fn a_cell_drops_what_must_not_reach_the_terminal() {
        assert!(matches!(cell_text("a"), std::borrow::Cow::Borrowed("a")));
        assert!(matches!(cell_text("é"), std::borrow::Cow::Borrowed("é")));
        assert_eq!(cell_text("e\u{202e}"), "e");
        assert_eq!(cell_text("\u{2066}x\u{2069}\u{1b}"), "x");
        assert_eq!(cell_text("\u{200f}"), "");
    }

    #[test]
    fn every_bidi_control_is_escaped() {
        let bidi = ['\u{061C}', '\u{200E}', '\u{200F}', '\u{2028}', '\u{2029}']
            .into_iter()
            .chain('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}');
        for c in bidi {
            let s = format!("a{c}b");
            let e = escape(&s);
            assert!(inert(&e), "{c:?}");
            assert_eq!(e, format!("a\\u{{{:x}}}b", u32::from(c)));
        }
    }

    #[test]
    fn plain_text_is_borrowed_and_kept() {
        for s in ["feature/login", "ünïcödé 日本", "👩‍💻 dev", "a\\x1b"] {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn display_drops_joiners_so_width_is_predictable() {
        assert_eq!(display("👩‍💻"), "👩💻");
        assert_eq!(width(&display("👩‍💻")), 4);
        assert_eq!(display("❤\u{fe0f}x"), "❤x");
        assert_eq!(display("👍🏽"), "👍");
        assert_eq!(display("a\u{200b}b\u{feff}"), "ab");
        assert_eq!(display("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(display("a\x1b[2Jb"), "a\\x1b[2Jb");
        // What is left has as many columns as its characters say, one by one.
        for s in ["👩‍👩‍👧‍👦", "🏳️‍🌈", "e\u{301}", "日本"] {
            let d = display(s);
            let chars: usize = d
                .chars()
                .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
                .sum();
            assert_eq!(width(&d), chars, "{s}");
        }
    }

    #[test]
    fn pad_counts_columns_not_characters() {
        assert_eq!(pad("日本", 6), "日本  ");
        assert_eq!(pad("ab", 1), "ab");
        assert_eq!(pad("a\x1bb", 8), "a\\x1bb  ");
    }

    #[test]
    fn truncate_cuts_by_columns() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("日本語", 4), "日…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abc", 0), "");
    }
}
