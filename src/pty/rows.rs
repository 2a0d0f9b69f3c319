//! Which rows of a lane's screen changed between two of its versions, so a keystroke's echo
//! redraws the one row it printed on instead of the whole tile.
//!
//! Why: vt100 finds each cell's row afresh (`Screen::cell` walks the scrollback and the rows
//! every call), and converting the focused tile took about 38 µs of a keystroke's frame in the
//! frame bench at 48x14 cells, the largest part of helios's own work on an echo. vt100 does not
//! say what a feed changed, so this is inferred conservatively from what was fed: only a feed of
//! printable ASCII, backspaces and carriage returns, parsed from plain text (no escape sequence
//! in progress), that leaves the cursor on its row and never prints in the last column (so no
//! wrap, no scroll) is known to change its row alone. Anything else counts as every row.

use std::collections::VecDeque;

/// Rows of a screen that may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rows {
    /// None.
    #[default]
    None,
    /// The rows `first..=last`, no other.
    Span(u16, u16),
    /// Any row.
    All,
}

impl Rows {
    /// Rows changed by either.
    #[must_use]
    pub fn and(self, other: Rows) -> Rows {
        match (self, other) {
            (Rows::All, _) | (_, Rows::All) => Rows::All,
            (Rows::None, r) | (r, Rows::None) => r,
            (Rows::Span(a, b), Rows::Span(c, d)) => Rows::Span(a.min(c), b.max(d)),
        }
    }
}

/// The one row a feed of `bytes` changed, if it surely changed no other: the cursor went from
/// `before` to `after` (row, column) on a screen `cols` wide, and the parser read `bytes` as
/// text (no sequence in progress, autowrap on, no tab stops of the program's own).
pub fn one_row(bytes: &[u8], cols: u16, before: (u16, u16), after: (u16, u16)) -> Option<u16> {
    let (row, mut col) = before;
    for &b in bytes {
        match b {
            // Printed at `col`, which must not be the last column: printing there leaves a wrap
            // pending, and the next character would wrap (and at the bottom, scroll).
            0x20..=0x7e => {
                if col.saturating_add(1) >= cols {
                    return None;
                }
                col += 1;
            }
            0x08 => col = col.saturating_sub(1),
            b'\r' => col = 0,
            _ => return None,
        }
    }
    // The cursor is where these bytes alone would put it: nothing else was carried out (a
    // replacement character for a cut UTF-8 sequence, say, moves it one column more).
    (after == (row, col)).then_some(row)
}

/// How many versions back the log reaches: a keystroke's echo is drawn within a few feeds.
const KEPT: usize = 16;

/// The rows each of a screen's recent versions changed.
#[derive(Debug, Default)]
pub struct RowLog {
    /// (version before, version after, rows changed), oldest first.
    steps: VecDeque<(u64, u64, Rows)>,
    /// Rows changed by feeds not yet given a version (synchronized output held).
    pending: Rows,
}

impl RowLog {
    /// A change of `rows` not yet given a version.
    pub fn touched(&mut self, rows: Rows) {
        self.pending = self.pending.and(rows);
    }

    /// The screen went from version `from` to `to`, with the rows touched since the last one.
    pub fn versioned(&mut self, from: u64, to: u64) {
        if self.steps.len() == KEPT {
            self.steps.pop_front();
        }
        let rows = std::mem::take(&mut self.pending);
        self.steps.push_back((from, to, rows));
    }

    /// The rows that may differ between the screen at version `since` and at version `now`
    /// (the current one): `All` when the log does not reach back that far or a change was not
    /// logged (a resize).
    pub fn since(&self, since: u64, now: u64) -> Rows {
        let mut rows = self.pending;
        let mut at = now;
        for &(from, to, r) in self.steps.iter().rev() {
            if at == since {
                break;
            }
            if to != at {
                return Rows::All;
            }
            rows = rows.and(r);
            at = from;
        }
        if at == since { rows } else { Rows::All }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_editing_on_a_row_change_that_row_alone() {
        assert_eq!(one_row(b"ab", 80, (3, 2), (3, 4)), Some(3));
        assert_eq!(one_row(b"\x08 \x08", 80, (3, 4), (3, 3)), Some(3));
        assert_eq!(one_row(b"\r$ ls", 80, (3, 9), (3, 4)), Some(3));
        assert_eq!(one_row(b"\x08", 80, (0, 0), (0, 0)), Some(0));
    }

    #[test]
    fn anything_that_may_reach_another_row_is_every_row() {
        // A line feed, an escape, a tab, UTF-8.
        for bytes in [&b"a\n"[..], b"\x1b[2J", b"\t", "é".as_bytes()] {
            assert_eq!(one_row(bytes, 80, (3, 2), (3, 3)), None, "{bytes:?}");
        }
        // The last column: a wrap is pending, the next character wraps or scrolls.
        assert_eq!(one_row(b"x", 10, (3, 9), (3, 10)), None);
        assert_eq!(one_row(b"xy", 10, (3, 8), (3, 10)), None);
        // A wrap pending from before (vt100 keeps the cursor past the last column).
        assert_eq!(one_row(b"x", 10, (3, 10), (4, 1)), None);
        // The cursor is not where the bytes alone would put it (the parser was inside a
        // sequence, or a cut UTF-8 character was replaced).
        assert_eq!(one_row(b"ab", 80, (3, 2), (3, 5)), None);
        assert_eq!(one_row(b"ab", 80, (3, 2), (4, 4)), None);
    }

    /// Through a lane's real screen and its parser: after any output, every row outside the
    /// rows logged since a version shows exactly what it showed at that version. Random pieces
    /// of text, controls, sequences cut anywhere, strings, charsets, modes, resizes and single
    /// random bytes, on a small screen so that wraps and scrolls come often.
    #[test]
    fn every_row_that_changed_is_among_the_rows_logged() {
        use crate::pty::LaneScreen;
        // Tab stops of the program's own (`ESC H`, `ESC [ 3 g`) turn the inference off until a
        // reset (`ESC c`).
        let pieces: [&[u8]; 35] = [
            b"a",
            b"hello",
            b"\x08",
            b"\r",
            b"\r\n",
            b"\n",
            b"\x1b[",
            b"2J",
            b"K",
            b"1;3H",
            b"\x1bP",
            b"\x07",
            b"\x1b]0;t",
            b"\x1b\\",
            &[0xc3],
            &[0xa9],
            b"\x1b[?2026h",
            b"\x1b[?2026l",
            b"\x1b[5;19H",
            b"\x1b[4h",
            b"\x1b[?7l",
            b"\x1b[?7h",
            b"\x1bH",
            b"\t",
            b"\x1b[3g",
            b"\x1b(0q\x1b(B",
            b"\x1b[2P",
            b"\x1b[L",
            b"\x1b[S",
            b"\x1b[?1049h",
            b"\x1b[?1049l",
            b"\x1bc",
            // Text that wraps (at the bottom, scrolls) and returns to its row's start; a clear
            // after a cut `ESC [` that leaves the cursor where it was; to the last row's end.
            b"typed\r",
            b"2J\r",
            b"\x1b[99;17H",
        ];
        let s = LaneScreen::new(6, 20, 20);
        let rows_of = |screen: &crate::pty::vt::Screen| -> Vec<String> {
            let cols = screen.size().1.get();
            screen.rows_formatted(0, cols).collect()
        };
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut at, mut before) = s.with_changes(0, |screen, v, _| (v, rows_of(screen)));
        let mut fed: Vec<Vec<u8>> = Vec::new();
        let mut known = 0;
        for _ in 0..20_000 {
            let r = next();
            // Mostly typing (the first four pieces), as a lane in front mostly echoes.
            let piece: Vec<u8> = if r % 11 == 0 {
                vec![(r >> 8) as u8]
            } else if r % 13 == 0 {
                // Held output is shown again soon and autowrap comes back, as programs do.
                b"\x1b[?2026l\x1b[?7h".to_vec()
            } else if r % 29 == 0 {
                // Now and then a reset, which clears the program's tab stops.
                b"\x1bc".to_vec()
            } else if r % 3 == 0 {
                pieces[((r >> 8) % pieces.len() as u64) as usize].to_vec()
            } else {
                pieces[((r >> 8) % 4) as usize].to_vec()
            };
            if r % 997 == 0 {
                s.set_size(4 + (r >> 20) as u16 % 4, 16 + (r >> 24) as u16 % 8);
            }
            s.feed(&piece);
            fed.push(piece);
            s.with_changes(at, |screen, _, rows| {
                let after = rows_of(screen);
                let unchanged = |row: usize| match rows {
                    Rows::All => false,
                    Rows::None => true,
                    Rows::Span(a, b) => row < usize::from(a) || row > usize::from(b),
                };
                if rows != Rows::All {
                    known += 1;
                    assert_eq!(after.len(), before.len());
                }
                for row in (0..after.len()).filter(|&r| unchanged(r)) {
                    assert_eq!(
                        after[row],
                        before[row],
                        "row {row} changed outside {rows:?}; the last feeds: {:?}",
                        fed.iter().rev().take(8).collect::<Vec<_>>()
                    );
                }
            });
            // The consumer draws now and then, so the log is asked over one to a few versions.
            if next() % 3 == 0 {
                (at, before) = s.with_changes(0, |screen, v, _| (v, rows_of(screen)));
            }
        }
        // Most answers named rows: the check was not passed by answering "every row".
        assert!(known > 2_000, "rows named in {known} answers");
    }

    #[test]
    fn the_log_unites_the_rows_since_a_version_and_knows_where_it_ends() {
        let mut log = RowLog::default();
        log.touched(Rows::Span(2, 2));
        log.versioned(10, 11);
        log.touched(Rows::Span(5, 5));
        log.versioned(11, 12);
        assert_eq!(log.since(12, 12), Rows::None);
        assert_eq!(log.since(11, 12), Rows::Span(5, 5));
        assert_eq!(log.since(10, 12), Rows::Span(2, 5));
        // Before the log starts, or a version the log never saw (an unlogged change).
        assert_eq!(log.since(9, 12), Rows::All);
        assert_eq!(log.since(10, 13), Rows::All);
        // Held feeds count from the version they were fed at.
        log.touched(Rows::Span(7, 7));
        assert_eq!(log.since(12, 12), Rows::Span(7, 7));
        log.touched(Rows::All);
        log.versioned(12, 13);
        assert_eq!(log.since(11, 13), Rows::All);
        log.touched(Rows::Span(1, 1));
        log.versioned(13, 14);
        assert_eq!(log.since(13, 14), Rows::Span(1, 1));
        // The log keeps the last KEPT versions.
        for v in 14..14 + KEPT as u64 {
            log.touched(Rows::Span(0, 0));
            log.versioned(v, v + 1);
        }
        let now = 14 + KEPT as u64;
        assert_eq!(log.since(14, now), Rows::Span(0, 0));
        assert_eq!(log.since(13, now), Rows::All);
    }
}
