//! The sequences vt100 0.18 leaves out, carried out in front of it: IND, NEL, DECALN, tab stops
//! set and cleared by the program (HTS, TBC) and moves between them (HT, CHT, CBT), and
//! autowrap off (DECAWM). The filter (`csi_cap.rs`) takes each out of the stream and reports a
//! [`Fix`] at its place; [`Fixups::apply`] turns it into sequences vt100 does implement, from
//! the screen's state at that moment (the cursor).
//!
//! Why not in vt100's callbacks: they get the `Screen`, but it has no public way to move the
//! cursor or draw.

use std::collections::BTreeSet;

use crate::pty::vt::Screen;

/// A sequence carried out in front of the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fix {
    /// IND (`ESC D`): down one row, scrolling at the bottom margin; the column stays.
    Index,
    /// NEL (`ESC E`): to the start of the next row, scrolling at the bottom margin.
    NextLine,
    /// DECALN (`ESC # 8`): fill the screen with `E`, margins reset, cursor home.
    Align,
    /// HTS (`ESC H`): a tab stop at the cursor's column.
    SetTab,
    /// TBC (`CSI Ps g`): 0 clears the stop at the cursor's column, 3 every stop.
    ClearTab(u16),
    /// HT with the program's own stops, or CHT (`CSI Ps I`): forward this many stops.
    Tab(u16),
    /// CBT (`CSI Ps Z`): back this many stops.
    BackTab(u16),
    /// DECAWM set (true) or reset; the sequence itself went on to the parser.
    Autowrap(bool),
    /// A character is about to be printed while autowrap is off.
    Print,
    /// RIS (`ESC c`) went to the parser: tab stops and autowrap are back to their defaults.
    Reset,
}

/// Tab stops and autowrap, as the program set them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Fixups {
    /// The program's own tab stops (columns from 0); `None`: every 8 columns, as vt100 does.
    stops: Option<BTreeSet<u16>>,
    /// Autowrap is off.
    pub(crate) no_wrap: bool,
}

impl Fixups {
    fn is_stop(&self, col: u16) -> bool {
        match &self.stops {
            Some(stops) => stops.contains(&col),
            None => col.is_multiple_of(8),
        }
    }

    /// Carry out `fix` on a screen in this state: the bytes to feed the parser now (empty
    /// when there is nothing to draw).
    pub(crate) fn apply(&mut self, fix: Fix, screen: &Screen, out: &mut Vec<u8>) {
        use std::io::Write as _;
        let (rows, cols) = screen.size();
        let (rows, cols) = (rows.get(), cols.get());
        let (_, col) = screen.cursor_position();
        // A cursor waiting to wrap is in the last column.
        let col = col.min(cols - 1);
        match fix {
            // vt100's LF is IND: no new-line mode.
            Fix::Index => out.push(b'\n'),
            Fix::NextLine => out.extend_from_slice(b"\r\n"),
            Fix::Align => {
                out.extend_from_slice(b"\x1b[r");
                for row in 1..=rows {
                    let _ = write!(out, "\x1b[{row};1HE");
                    if cols > 1 {
                        let _ = write!(out, "\x1b[{}b", cols - 1);
                    }
                }
                out.extend_from_slice(b"\x1b[H");
            }
            Fix::SetTab => {
                let mut stops = self.stops.take().unwrap_or_else(|| default_stops(cols));
                stops.insert(col);
                self.stops = Some(stops);
            }
            Fix::ClearTab(mode) => {
                let mut stops = self.stops.take().unwrap_or_else(|| default_stops(cols));
                match mode {
                    0 => {
                        stops.remove(&col);
                    }
                    3 => stops.clear(),
                    _ => {}
                }
                self.stops = Some(stops);
            }
            Fix::Tab(n) => {
                let mut to = col;
                for _ in 0..n {
                    let Some(c) = (to + 1..cols).find(|&c| self.is_stop(c)) else {
                        to = cols - 1;
                        break;
                    };
                    to = c;
                }
                let _ = write!(out, "\x1b[{}G", to + 1);
            }
            Fix::BackTab(n) => {
                let mut to = col;
                for _ in 0..n {
                    let Some(c) = (0..to).rev().find(|&c| self.is_stop(c)) else {
                        to = 0;
                        break;
                    };
                    to = c;
                }
                let _ = write!(out, "\x1b[{}G", to + 1);
            }
            Fix::Autowrap(on) => self.no_wrap = !on,
            Fix::Print => {
                // The last column is overwritten instead of wrapping.
                if screen.cursor_position().1 >= cols {
                    let _ = write!(out, "\x1b[{cols}G");
                }
            }
            Fix::Reset => *self = Self::default(),
        }
    }
}

/// vt100's stops, every 8 columns, as a set to change.
fn default_stops(cols: u16) -> BTreeSet<u16> {
    (0..cols).step_by(8).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use crate::pty::LaneScreen;

    fn screen(rows: u16, cols: u16, bytes: &[u8]) -> LaneScreen {
        let s = LaneScreen::new(rows, cols, 0);
        let _ = s.feed(bytes);
        s
    }

    #[test]
    fn index_and_next_line() {
        let s = screen(3, 10, b"ab\x1bDc\x1bEd");
        assert_eq!(s.contents(), "ab\n  c\nd");
        // IND at the bottom margin scrolls.
        let s = screen(2, 10, b"a\r\nb\x1bDc");
        assert_eq!(s.contents(), "b\n c");
    }

    #[test]
    fn alignment_fills_the_screen() {
        let s = screen(3, 4, b"xy\x1b[2;3r\x1b#8z");
        assert_eq!(s.contents(), "zEEE\nEEEE\nEEEE");
    }

    #[test]
    fn tab_stops_set_cleared_and_moved_between() {
        // Clear all, set stops at 3 and 6; HT, CHT and CBT go between them.
        let s = screen(
            2,
            20,
            b"\x1b[3g   \x1bH   \x1bH\r\ta\tb\tc\x1b[Zd\r\n\x1b[2Ie\x1b[9Zf",
        );
        assert_eq!(s.contents(), "   a  d            c\nf     e");
        // Default stops every 8 columns, CHT and CBT too.
        let s = screen(2, 30, b"\ta\x1b[2Ib\x1b[2Zc");
        assert_eq!(s.contents(), "        a       c       b");
        // TBC 0 clears one stop.
        let s = screen(1, 30, b"\x1b[9G\x1b[g\r\tx");
        assert_eq!(s.contents(), "                x");
    }

    #[test]
    fn autowrap_off_overwrites_the_last_column() {
        let s = screen(3, 5, b"\x1b[?7labcdefg\x1b[?7h\r\nhijklmn");
        assert_eq!(s.contents(), "abcdg\nhijklmn");
        // RIS turns autowrap back on.
        let s = screen(3, 5, b"\x1b[?7lab\x1bcabcdefgh");
        assert_eq!(s.contents(), "abcdefgh");
    }
}
