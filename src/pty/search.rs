//! Searching a lane's output, its scrollback (or its tmux history) included: every line that
//! holds the text, numbered from the oldest line kept (0) to the screen's last row.

pub use crate::app::search::Found;
use crate::pty::vt::Screen;

/// Find `needle` (case-insensitive when it has no capital letter, like `less` and vim's
/// smartcase) in every line of `screen`, history included. Reads a copy: the lane's own
/// screen keeps its scroll position.
pub fn find(screen: &Screen, needle: &str) -> Found {
    let mut s = screen.clone();
    let (rows, cols) = s.size();
    let (rows, cols) = (usize::from(rows.get()), cols.get());
    s.set_scrollback(usize::MAX);
    let history = s.scrollback();
    let fold = !needle.chars().any(char::is_uppercase);
    let needle = if fold {
        needle.to_lowercase()
    } else {
        needle.to_string()
    };
    let mut lines = Vec::new();
    if needle.is_empty() {
        return Found {
            lines,
            history,
            rows,
        };
    }
    // One screenful at a time from the oldest: the screen at offset `o` shows lines
    // `history - o ..` of the whole.
    let mut first = 0;
    while first < history + rows {
        let offset = history.saturating_sub(first);
        s.set_scrollback(offset);
        let top = history - offset;
        for (i, row) in s.rows(0, cols).enumerate() {
            let n = top + i;
            if n < first {
                continue;
            }
            let hay = if fold { row.to_lowercase() } else { row };
            if hay.contains(&needle) {
                lines.push(n);
            }
        }
        first = top + rows;
    }
    Found {
        lines,
        history,
        rows,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn finds_lines_in_history_and_on_screen_numbered_from_the_oldest() {
        let size = |n| std::num::NonZeroU16::new(n).unwrap();
        let mut p = crate::pty::vt::Parser::new(size(4), size(20), 100);
        for i in 0..10 {
            p.process(format!("line {i}{}\r\n", if i % 3 == 0 { " Error" } else { "" }).as_bytes());
        }
        // 10 lines and the empty last one: 7 in history, 4 on the screen.
        let f = find(p.screen(), "error");
        assert_eq!(f.history, 7);
        assert_eq!(f.rows, 4);
        assert_eq!(f.lines, vec![0, 3, 6, 9]);
        // A capital letter makes it exact.
        assert_eq!(find(p.screen(), "Error").lines, vec![0, 3, 6, 9]);
        assert!(find(p.screen(), "ERROR").lines.is_empty());
        assert!(find(p.screen(), "").lines.is_empty());
        // The lane's own screen is not scrolled by the search.
        assert_eq!(p.screen().scrollback(), 0);
    }
}
