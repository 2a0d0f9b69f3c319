//! What the `?` help overlay says, and how far it scrolls: the lines come from the command
//! registry and the active keymap, so the key translation (which turns `j`, `PgDn`… into an
//! absolute scroll position) and the renderer agree on how many there are. Pure.

use crate::app::command::COMMANDS;
use crate::app::keymap::{KeyMode, Keymap};

/// Width of the key column.
pub const KEY_W: usize = 10;
/// Width of the description column: a description wraps to more lines rather than being cut.
pub const WHAT_W: usize = 43;
/// Width of the command-name column: the longest name (`temporal.lane_workflows`).
pub const NAME_W: usize = 23;
/// The overlay's inner width: the three columns and a space between each (80 columns outside).
pub const WIDTH: usize = KEY_W + 1 + WHAT_W + 1 + NAME_W;

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section title.
    Heading(&'static str),
    /// Keys, what they do, and the command a keymap binds them with: the overlay is the
    /// reference for writing a keymap. Keys wider than [`KEY_W`] and a description wider than
    /// [`WHAT_W`] go on in more entries with no name.
    Entry {
        /// The keys, as the keymap spells them (the ones that fit this row).
        keys: String,
        /// What they do (one line of it).
        what: String,
        /// The command's registry name; `None` for keys no keymap binds (the overlays' and
        /// prompts' own).
        name: Option<&'static str>,
    },
    /// A palette command's syntax.
    Syntax(&'static str),
    /// A command bound to no key: its registry name (bind it in a keymap, or type it after `:`).
    Unbound {
        /// Registry name.
        name: &'static str,
        /// Its description (the first line of it; more follow as entries).
        what: String,
    },
}

/// The description column's width on a terminal `cols` wide: [`WHAT_W`], or what a narrower
/// overlay (compact mode's side pane) leaves after the keys and the borders.
pub fn what_width(cols: u16) -> usize {
    let inner = usize::from(cols).min(WIDTH + 2).saturating_sub(2);
    WHAT_W.min(inner.saturating_sub(KEY_W + 1)).max(8)
}

/// Every help line for `keymap` on a terminal `cols` wide: normal-mode keys, focus mode, each
/// panel's own keys, the overlays, prompts, the commands bound to no key, and the palette's
/// commands. Every command of the registry is on one of them, by name. Descriptions wrap at
/// [`what_width`], so a narrow pane has more lines, none cut.
pub fn lines(keymap: &Keymap, cols: u16) -> Vec<HelpLine> {
    let w = what_width(cols);
    let entry = |out: &mut Vec<HelpLine>, keys: &[String], what: &str, name| {
        entry(out, keys, what, name, w);
    };
    let mut out = vec![HelpLine::Heading("keys")];
    let mut bound: Vec<&str> = Vec::new();
    for c in COMMANDS {
        let keys = keymap.keys_for(KeyMode::Normal, c.name);
        if !keys.is_empty() {
            entry(&mut out, &keys, c.description, Some(c.name));
            bound.push(c.name);
        }
    }
    out.push(HelpLine::Heading("focus mode"));
    for c in COMMANDS {
        let keys = keymap.keys_for(KeyMode::Focus, c.name);
        if !keys.is_empty() {
            entry(&mut out, &keys, c.description, Some(c.name));
            bound.push(c.name);
        }
    }
    entry(
        &mut out,
        &["wheel".into()],
        "scroll the lane's scrollback",
        None,
    );
    let panels: [(&'static str, &[(&str, &str)]); 3] = [
        ("events panel", crate::app::events::DEFAULT_BINDINGS),
        ("nats panel", crate::app::nats::keys::DEFAULT_BINDINGS),
        (
            "temporal panel",
            crate::app::temporal::keys::DEFAULT_BINDINGS,
        ),
    ];
    for (title, bindings) in panels {
        out.push(HelpLine::Heading(title));
        for c in COMMANDS {
            let keys: Vec<String> = bindings
                .iter()
                .filter(|(_, name)| *name == c.name)
                .map(|(k, _)| (*k).to_string())
                .collect();
            if !keys.is_empty() {
                entry(&mut out, &keys, c.description, Some(c.name));
                bound.push(c.name);
            }
        }
    }
    let fixed = |out: &mut Vec<HelpLine>, keys: &str, what| {
        entry(out, &[keys.to_string()], what, None);
    };
    out.push(HelpLine::Heading("help and event detail"));
    fixed(&mut out, "j k", "scroll a line");
    fixed(
        &mut out,
        "pgdn pgup",
        "scroll a page (also space, ctrl-d, ctrl-u)",
    );
    fixed(&mut out, "g G", "top / bottom");
    fixed(&mut out, "esc q", "close");
    out.push(HelpLine::Heading("prompts"));
    fixed(&mut out, "tab", "complete a command or lane");
    fixed(&mut out, "enter esc", "run / cancel");
    fixed(&mut out, "ctrl-u", "clear the line");
    fixed(&mut out, "ctrl-w", "delete a word (also alt-backspace)");
    let unbound: Vec<_> = COMMANDS
        .iter()
        .filter(|c| !bound.contains(&c.name))
        .collect();
    if !unbound.is_empty() {
        out.push(HelpLine::Heading(
            "unbound (bind in a keymap, or type the name after :)",
        ));
    }
    for c in unbound {
        let mut rows = wrap(c.description, w).into_iter();
        out.push(HelpLine::Unbound {
            name: c.name,
            what: rows.next().unwrap_or_default(),
        });
        more(&mut out, std::iter::empty(), rows);
    }
    out.push(HelpLine::Heading("palette (:)"));
    for cmd in [
        "lane new NAME [--host HOST] [--base REF] [--cmd CMD]",
        "lane rm|attach NAME",
        "lane send NAME|all TEXT",
        "events [lane=L] [action=P] [result=ok|error]",
        "grid lanes events nats temporal help quit",
        "arguments are shell words: \"a b\" is one",
    ] {
        out.push(HelpLine::Syntax(cmd));
    }
    out
}

/// An entry for every one of `keys`, the keys and the description wrapped in their columns.
fn entry(
    out: &mut Vec<HelpLine>,
    keys: &[String],
    what: &str,
    name: Option<&'static str>,
    what_w: usize,
) {
    let mut keys = wrap(&keys.join(" "), KEY_W).into_iter();
    let mut rows = wrap(what, what_w).into_iter();
    out.push(HelpLine::Entry {
        keys: keys.next().unwrap_or_default(),
        what: rows.next().unwrap_or_default(),
        name,
    });
    more(out, keys, rows);
}

/// The rest of an entry's wrapped keys and description, row under row.
fn more(
    out: &mut Vec<HelpLine>,
    mut keys: impl Iterator<Item = String>,
    mut rows: impl Iterator<Item = String>,
) {
    loop {
        let (k, what) = (keys.next(), rows.next());
        if k.is_none() && what.is_none() {
            return;
        }
        out.push(HelpLine::Entry {
            keys: k.unwrap_or_default(),
            what: what.unwrap_or_default(),
            name: None,
        });
    }
}

/// `text` in rows of at most `width` columns, broken between words (a word wider than a row
/// is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for mut word in text.split_whitespace() {
        while !word.is_empty() {
            let used = crate::text::width(&row);
            let gap = usize::from(used > 0);
            if used + gap + crate::text::width(word) <= width {
                if gap == 1 {
                    row.push(' ');
                }
                row.push_str(word);
                break;
            }
            if used > 0 {
                rows.push(std::mem::take(&mut row));
                continue;
            }
            let (head, tail) = split_at_width(word, width);
            rows.push(head.to_string());
            word = tail;
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// `s` cut after at most `width` columns (at least one character, so a cut always goes on).
fn split_at_width(s: &str, width: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += crate::text::width(&s[i..i + c.len_utf8()]);
        if used > width && i > 0 {
            return s.split_at(i);
        }
    }
    (s, "")
}

/// Lines the overlay shows at once on a terminal of `size` (cols, rows): the main area above
/// the status line, less the overlay's two border rows.
pub fn page(size: (u16, u16)) -> usize {
    usize::from(size.1).saturating_sub(3).max(1)
}

/// The first line shown, kept within `0..=len - page`.
pub fn clamp_top(top: usize, len: usize, page: usize) -> usize {
    top.min(len.saturating_sub(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_fits_its_column() {
        for c in COMMANDS {
            assert!(crate::text::width(c.name) <= NAME_W, "{}", c.name);
        }
    }

    #[test]
    fn descriptions_wrap_between_words() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij k", 4), ["abcd", "efgh", "ij k"]);
        assert_eq!(wrap("", 4), [""]);
        for c in COMMANDS {
            let rows = wrap(c.description, WHAT_W);
            assert!(rows.iter().all(|r| crate::text::width(r) <= WHAT_W));
            assert_eq!(rows.join(" "), c.description);
        }
    }
}
