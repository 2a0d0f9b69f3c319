//! Writing frames to the terminal, comparing only what may have changed.
//!
//! Why not `Terminal::draw`: it compares every cell of the new frame with the last one, 20,000
//! cells at 250x80, and perf put that comparison at half the cost of a keystroke's frame in the
//! grid, and copying the 24 unchanged tiles into the frame at another sixth. The tile cache knows
//! which tiles show the very cells the last frame showed there; the presenter keeps what the
//! terminal shows, so those tiles are neither copied nor compared, and the rest (borders, status
//! line, the tiles that changed) is compared exactly as ratatui's `BufferDiff` does: the terminal
//! receives the same writes. If a write fails the runtime stops, so what is kept never drifts
//! from the screen.

use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::{Buffer, Cell, CellDiffOption, CellWidth};
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier};

/// Styles a blank cell still shows, so a wide character's old trailing columns need a rewrite.
const VISIBLE_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::SLOW_BLINK)
    .union(Modifier::RAPID_BLINK)
    .union(Modifier::CROSSED_OUT);

/// What the terminal shows, kept between frames.
#[derive(Debug, Default)]
pub struct Presenter {
    /// What the terminal shows, `None` before the first frame.
    shown: Option<Buffer>,
    /// The frame's area as the state knows it; `None`: ask the terminal.
    area: Option<Rect>,
}

/// What drawing a frame tells the presenter.
#[derive(Debug, Default)]
pub struct Drawn {
    /// Where the terminal's cursor goes; `None` hides it.
    pub cursor: Option<Position>,
    /// Areas the terminal already shows as they are to be: not compared, and the frame's buffer
    /// need not hold them.
    pub unchanged: Vec<Rect>,
}

impl Presenter {
    /// Draw the next frames at this size: the size the state was laid out for. Asking the
    /// terminal instead can give a newer size than the state's during a resize storm, and then
    /// the layout reaches outside the frame (a panic in ratatui's buffer). The resize event
    /// that follows redraws at the new size.
    pub fn set_area(&mut self, area: Rect) {
        self.area = Some(area);
    }

    /// The area of the last frame's size (`None` before the first).
    pub fn area(&self) -> Option<Rect> {
        self.area
    }

    /// Draw one frame with `render` and write what changed to the terminal. `render` is told
    /// whether the screen is blank (the first frame, or after a resize, which ratatui clears):
    /// then nothing may be taken as unchanged, and everything is compared with a blank screen.
    ///
    /// # Errors
    /// The backend's, when the terminal cannot be written.
    pub fn draw<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        render: impl FnOnce(&mut Frame, bool) -> Drawn,
    ) -> Result<(), B::Error> {
        match self.area {
            Some(a) if a != terminal.current_buffer_mut().area => terminal.resize(a)?,
            Some(_) => {}
            None => terminal.autoresize()?,
        }
        let area = terminal.current_buffer_mut().area;
        let kept = self.shown.take().filter(|b| b.area == area);
        let blank = kept.is_none();
        let mut shown = kept.unwrap_or_else(|| Buffer::empty(area));
        let mut frame = terminal.get_frame();
        frame.buffer_mut().reset();
        let drawn = render(&mut frame, blank);
        let unchanged = if blank { &[][..] } else { &drawn.unchanged[..] };
        let runs = runs(area, unchanged);
        let next = std::mem::take(terminal.current_buffer_mut());
        let written = terminal
            .backend_mut()
            .draw(changes_in(&shown, &next, &runs).into_iter());
        // What was compared is now on screen; the rest already was.
        for &(from, to) in &runs {
            shown.content[from..to].clone_from_slice(&next.content[from..to]);
        }
        *terminal.current_buffer_mut() = next;
        written?;
        place_cursor(terminal, drawn.cursor)?;
        self.shown = Some(shown);
        Ok(())
    }

    /// Whether the presenter knows what the terminal shows in `rect`: a
    /// [`patch`](Self::patch) there can be written.
    pub fn shows(&self, rect: Rect) -> bool {
        self.shown.as_ref().is_some_and(|s| {
            Some(s.area) == self.area && !rect.is_empty() && s.area.intersection(rect) == rect
        })
    }

    /// Write the cells of one area (`cells`, a buffer over exactly that area) where they differ
    /// from what the terminal shows there, in its `rows` alone (the others are known to be
    /// shown already), and place the cursor: a frame in which nothing else changed (a
    /// keystroke's echo in the focused lane). Returns the rows of `cells` that differed (the
    /// others showed these very cells already); `None`, with nothing written,
    /// when the presenter does not know what the terminal shows there (before the first frame,
    /// after a resize): then a whole frame is needed.
    ///
    /// # Errors
    /// The backend's, when the terminal cannot be written.
    pub fn patch<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        cells: &Buffer,
        rows: std::ops::Range<usize>,
        cursor: Option<Position>,
    ) -> Result<Option<Vec<usize>>, B::Error> {
        let rect = cells.area;
        if !self.shows(rect) {
            return Ok(None);
        }
        let Some(shown) = self.shown.as_mut() else {
            return Ok(None);
        };
        let w = usize::from(rect.width);
        let mut out = Vec::new();
        let mut changed = Vec::new();
        for (row, y) in (rect.y..rect.bottom()).enumerate() {
            if !rows.contains(&row) {
                continue;
            }
            let at = shown.index_of(rect.x, y);
            let new = &cells.content[row * w..(row + 1) * w];
            let before = out.len();
            compare(
                &shown.content[at..at + w],
                new,
                |i| (rect.x + x_of(i), y),
                &mut out,
            );
            if out.len() > before {
                changed.push(row);
            }
        }
        let written = terminal.backend_mut().draw(out.into_iter());
        // Only rows with a difference are copied: the others hold the same cells already.
        for &row in &changed {
            let at = shown.index_of(rect.x, rect.y + x_of(row));
            shown.content[at..at + w].clone_from_slice(&cells.content[row * w..(row + 1) * w]);
        }
        written?;
        place_cursor(terminal, cursor)?;
        Ok(Some(changed))
    }
}

/// Show the terminal's cursor at `at`, or hide it.
fn place_cursor<B: Backend>(
    terminal: &mut Terminal<B>,
    at: Option<Position>,
) -> Result<(), B::Error> {
    match at {
        None => terminal.hide_cursor(),
        Some(at) => {
            terminal.show_cursor()?;
            terminal.set_cursor_position(at)
        }
    }
}

/// The cells of `next` to write over `prev` (same area) within `runs`, as ratatui's
/// `Buffer::diff` finds them.
fn changes_in<'a>(
    prev: &Buffer,
    next: &'a Buffer,
    runs: &[(usize, usize)],
) -> Vec<(u16, u16, &'a Cell)> {
    let mut out = Vec::new();
    for &(from, to) in runs {
        let at = |i| pos_of(next.area, from + i);
        compare(
            &prev.content[from..to],
            &next.content[from..to],
            at,
            &mut out,
        );
    }
    out
}

/// The index ranges of a buffer over `area` outside `unchanged`, each within one row.
fn runs(area: Rect, unchanged: &[Rect]) -> Vec<(usize, usize)> {
    let w = usize::from(area.width);
    let mut out = Vec::new();
    let mut skips: Vec<(usize, usize)> = Vec::new();
    for y in area.top()..area.bottom() {
        skips.clear();
        skips.extend(
            unchanged
                .iter()
                .map(|r| r.intersection(area))
                .filter(|r| r.top() <= y && y < r.bottom() && !r.is_empty())
                .map(|r| (usize::from(r.x - area.x), usize::from(r.right() - area.x))),
        );
        skips.sort_unstable();
        let row = usize::from(y - area.y) * w;
        let mut x = 0;
        for &(from, to) in skips.iter().chain(std::iter::once(&(w, w))) {
            if x < from {
                out.push((row + x, row + from));
            }
            x = x.max(to);
        }
    }
    out
}

/// ratatui's `BufferDiff` over one row's run of cells: `old` on the terminal, `new` to show;
/// `pos` gives the terminal position of the run's `i`th cell.
fn compare<'a>(
    old: &[Cell],
    new: &'a [Cell],
    pos: impl Fn(usize) -> (u16, u16),
    out: &mut Vec<(u16, u16, &'a Cell)>,
) {
    let to = new.len().min(old.len());
    let mut push = |i: usize| {
        let (x, y) = pos(i);
        out.push((x, y, &new[i]));
    };
    let mut i = 0;
    while i < to {
        let at = i;
        i += 1;
        let (cur, was) = (&new[at], &old[at]);
        if is_skip(cur) {
            continue;
        }
        if let CellDiffOption::ForcedWidth(width) = cur.diff_option {
            i += usize::from(width.get()).saturating_sub(1);
            if cur != was {
                push(at);
            }
            continue;
        }
        let width = usize::from(cur.cell_width());
        if matches!(cur.diff_option, CellDiffOption::None) && cur == was {
            i += width.saturating_sub(1);
            continue;
        }
        push(at);
        let was_width = usize::from(was.cell_width());
        // The trailing columns of a wide character: rewritten where they differ after an emoji
        // with VS16 (some terminals leave them), always where the old wide character's style
        // shows on blanks.
        let trailing = if width > 1 && cur.symbol().contains('\u{FE0F}') {
            Some((at + width, false))
        } else if width > 1 {
            i += width - 1;
            None
        } else if was_width > width
            && (was.bg != Color::Reset || was.modifier.intersects(VISIBLE_ON_BLANK))
        {
            Some((at + was_width, true))
        } else {
            None
        };
        if let Some((end, force)) = trailing {
            let mut end = end.min(to);
            let mut j = at + 1;
            while j < end {
                let k = j;
                j += usize::from(new[k].cell_width().max(1));
                end = end.max(j).min(to);
                if !is_skip(&new[k]) && (force || old[k].symbol() != new[k].symbol()) {
                    push(k);
                }
            }
            i = end;
        }
    }
}

/// A cell the diff never writes (the rest of a wide character, or marked so).
#[allow(deprecated)]
const fn is_skip(cell: &Cell) -> bool {
    matches!(cell.diff_option, CellDiffOption::Skip)
        || (cell.skip && matches!(cell.diff_option, CellDiffOption::None))
}

/// A column offset within a row, as a terminal coordinate.
fn x_of(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// The (x, y) of the cell at `index` of a buffer over `area`.
fn pos_of(area: Rect, index: usize) -> (u16, u16) {
    let w = usize::from(area.width.max(1));
    let x = u16::try_from(index % w).unwrap_or(u16::MAX);
    let y = u16::try_from(index / w).unwrap_or(u16::MAX);
    (area.x + x, area.y + y)
}

#[cfg(test)]
mod tests {
    use ratatui::backend::TestBackend;
    use ratatui::style::Style;

    use super::*;

    /// What the presenter writes over `prev` when `unchanged` is left out.
    fn changes<'a>(
        prev: &Buffer,
        next: &'a Buffer,
        unchanged: &[Rect],
    ) -> Vec<(u16, u16, &'a Cell)> {
        changes_in(prev, next, &runs(next.area, unchanged))
    }

    /// A small deterministic generator (xorshift), so failures repeat.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A buffer with narrow and wide characters, an emoji with VS16 and coloured blanks.
    fn scribble(rng: &mut Rng, area: Rect) -> Buffer {
        let mut buf = Buffer::empty(area);
        for _ in 0..40 {
            let x = area.x + u16::try_from(rng.next(u64::from(area.width))).unwrap_or(0);
            let y = area.y + u16::try_from(rng.next(u64::from(area.height))).unwrap_or(0);
            let text = ["a", "bc", "界", "❤\u{fe0f}", " ", "x界y"][rng.next(6) as usize];
            let style = match rng.next(3) {
                0 => Style::default(),
                1 => Style::default().bg(Color::Blue),
                _ => Style::default().add_modifier(Modifier::REVERSED),
            };
            buf.set_string(x, y, text, style);
        }
        buf
    }

    #[test]
    fn with_nothing_unchanged_it_writes_what_ratatui_writes() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let area = Rect::new(0, 0, 17, 6);
        for _ in 0..500 {
            let prev = scribble(&mut rng, area);
            let next = scribble(&mut rng, area);
            assert_eq!(changes(&prev, &next, &[]), prev.diff(&next));
        }
    }

    #[test]
    fn unchanged_areas_are_not_compared_and_the_rest_is() {
        let area = Rect::new(0, 0, 12, 4);
        let prev = Buffer::with_lines(["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddd"]);
        let mut next = prev.clone();
        next.set_string(1, 1, "X", Style::default());
        next.set_string(6, 1, "Y", Style::default());
        // Claimed unchanged although it is not: the proof that it is not compared.
        let tile = Rect::new(5, 1, 4, 2);
        let got: Vec<(u16, u16)> = changes(&prev, &next, &[tile])
            .into_iter()
            .map(|(x, y, _)| (x, y))
            .collect();
        assert_eq!(got, vec![(1, 1)]);
        assert_eq!(changes(&prev, &next, &[]).len(), 2);
        assert_eq!(prev.area, area);
    }

    #[test]
    fn the_terminal_ends_with_the_frame_and_a_resize_writes_everything() {
        let mut t = Terminal::new(TestBackend::new(10, 3)).unwrap();
        let mut p = Presenter::default();
        let text = |s: &'static str| {
            move |f: &mut Frame, _| {
                f.buffer_mut().set_string(0, 0, s, Style::default());
                Drawn {
                    cursor: Some(Position::new(2, 1)),
                    unchanged: Vec::new(),
                }
            }
        };
        p.draw(&mut t, text("one")).unwrap();
        p.draw(&mut t, text("two")).unwrap();
        t.backend()
            .assert_buffer_lines(["two       ", "          ", "          "]);
        t.backend_mut().assert_cursor_position(Position::new(2, 1));
        t.backend_mut().resize(6, 2);
        p.draw(&mut t, text("three")).unwrap();
        t.backend().assert_buffer_lines(["three ", "      "]);
        p.draw(&mut t, |_, _| Drawn::default()).unwrap();
        t.backend().assert_buffer_lines(["      ", "      "]);
    }
}
