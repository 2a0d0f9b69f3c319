//! What the `?` help overlay says, and how far it scrolls: the lines come from the command
//! registry and the active keymap, so the key translation (which turns `j`, `PgDn`… into an
//! absolute scroll position) and the renderer agree on how many there are. Pure.

use crate::app::command::COMMANDS;
use crate::app::keymap::{KeyMode, Keymap};

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section title.
    Heading(&'static str),
    /// Keys and what they do.
    Entry {
        /// The keys (at most two), as the keymap spells them.
        keys: String,
        /// What they do.
        what: &'static str,
    },
    /// A palette command's syntax.
    Syntax(&'static str),
    /// A command with no key, by its registry name (run it from the palette).
    Unbound {
        /// Registry name.
        name: &'static str,
        /// Its description.
        what: &'static str,
    },
}

/// Every help line for `keymap`: normal-mode keys, focus mode, each panel's own keys, the
/// overlays, prompts, the palette's commands, and the commands bound to no key.
pub fn lines(keymap: &Keymap) -> Vec<HelpLine> {
    let entry = |keys: &[String], what| HelpLine::Entry {
        keys: keys.iter().take(2).cloned().collect::<Vec<_>>().join(" "),
        what,
    };
    let fixed = |keys: &str, what| HelpLine::Entry {
        keys: keys.to_string(),
        what,
    };
    let mut out = vec![HelpLine::Heading("keys")];
    let mut unbound = Vec::new();
    for c in COMMANDS {
        let keys = keymap.keys_for(KeyMode::Normal, c.name);
        if keys.is_empty() {
            unbound.push(c);
        } else {
            out.push(entry(&keys, c.description));
        }
    }
    out.push(HelpLine::Heading("focus mode"));
    for c in COMMANDS {
        let keys = keymap.keys_for(KeyMode::Focus, c.name);
        if !keys.is_empty() {
            out.push(entry(&keys, c.description));
        }
    }
    out.push(fixed("wheel", "scroll the lane's scrollback"));
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
                out.push(entry(&keys, c.description));
            }
        }
        unbound.retain(|c| !bindings.iter().any(|(_, name)| *name == c.name));
    }
    out.push(HelpLine::Heading("help and event detail"));
    out.push(fixed("j k", "scroll a line"));
    out.push(fixed(
        "pgdn pgup",
        "scroll a page (also space, ctrl-d, ctrl-u)",
    ));
    out.push(fixed("g G", "top / bottom"));
    out.push(fixed("esc q", "close"));
    out.push(HelpLine::Heading("prompts"));
    out.push(fixed("tab", "complete a command or lane"));
    out.push(fixed("enter esc", "run / cancel"));
    out.push(fixed("ctrl-u", "clear the line"));
    out.push(fixed("ctrl-w", "delete a word (also alt-backspace)"));
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
    for c in unbound {
        out.push(HelpLine::Unbound {
            name: c.name,
            what: c.description,
        });
    }
    out
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
