//! A lane's live screen in a bordered pane (the single view, and each grid tile).
//!
//! Scrollback: the screen model is shared read-only with the runtime (`ScreenSource`), and
//! vt100 scrolls by mutating the screen, so when a lane is scrolled back this draws from a clone
//! with `set_scrollback` applied. The clone costs one copy of the screen per frame, and only
//! while the user is looking at history; the live view draws straight from the shared screen.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::state::{Lane, LaneStatus};
use crate::model::LaneId;
use crate::pty::vt;
use crate::ui::{Ctx, shown};

/// The cells inside a pane's border: what the lane's PTY is sized to.
pub fn inner(outer: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(outer)
}

/// Draw lane `id` into `area`; `tile` makes the title short (grid tiles).
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>, id: &LaneId, tile: bool) {
    let Some(lane) = ctx.state.lane(id) else {
        return;
    };
    let theme = ctx.theme;
    let focused = ctx.state.focused.as_ref() == Some(id);
    let selected = ctx.state.selected.as_ref() == Some(id);
    let border = if lane.attention.is_some() && !focused {
        theme.attention
    } else if focused || (tile && selected) {
        theme.border_active
    } else {
        theme.border
    };
    let mut heading = vec![Span::raw(" ")];
    if lane.attention.is_some() {
        heading.push(Span::styled("! ", theme.attention));
    }
    let label_style = if selected { theme.title } else { theme.text };
    // Labels and branches are worktree and git names: anything a file name can hold. A label
    // wider than the pane is cut with `…` (the border would cut it silently).
    let room = usize::from(area.width).saturating_sub(6);
    heading.push(Span::styled(
        crate::text::truncate(&shown(lane.id().as_str()), room),
        label_style,
    ));
    if let (false, Some(b)) = (tile, &lane.info.branch) {
        heading.push(Span::styled(format!(" · {}", shown(b)), theme.dim));
    }
    // The title the lane's program set: outside text, escaped, and short in a tile.
    let program_title = ctx.screens.title(id);
    if let Some(title) = &program_title {
        let title = crate::text::truncate(&shown(title), if tile { 24 } else { 60 });
        heading.push(Span::styled(format!(" · {title}"), theme.dim));
    }
    if focused {
        heading.push(Span::styled(" · FOCUS", theme.border_active));
    }
    heading.push(Span::raw(" "));
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::from(heading));
    // In the grid the selected tile is told by its shape too, not only by colour (a theme
    // without colours, or a colour-blind eye, still sees which one `Enter` focuses).
    if tile && (selected || focused) {
        block = block.border_type(BorderType::Double);
    }
    // The lane's state along the bottom border: what it does, why, and for how long.
    let room = usize::from(area.width).saturating_sub(4 + if lane.scroll > 0 { 20 } else { 0 });
    if let Some(line) = crate::app::agent::summary(lane, ctx.state.clock, room) {
        let style = if lane.attention.is_some() {
            theme.attention
        } else {
            theme.dim
        };
        block = block.title_bottom(Line::from(Span::styled(
            format!(" {} ", shown(&line)),
            style,
        )));
    }
    // Asked beyond the oldest line, the view stops there (the next key brings the count back).
    let back = ctx
        .screens
        .scroll_reach(id)
        .map_or(lane.scroll, |r| r.min(lane.scroll));
    if back > 0 {
        block = block.title_bottom(
            Line::from(Span::styled(format!(" scrolled back {back} "), theme.warn)).right_aligned(),
        );
    }
    // Read before the screen: output that lands in between only makes the next frame redraw.
    let version = ctx.screens.version(id).filter(|_| lane.scroll == 0);
    let mut drawn = false;
    ctx.screens.with_screen(id, &mut |screen| {
        drawn = true;
        let inner = block.inner(area);
        // Of the live screen: scrolled back, the pane shows the same rows and columns of
        // history, so PgUp moves the view by exactly its page.
        let view = Viewport::of(screen, inner, focused);
        // The focused lane's cursor is the terminal's own cursor (it blinks, keeps the user's
        // shape, and is not a glyph in the copied text), like tmux and zellij show it.
        if focused
            && lane.scroll == 0
            && let Some(at) = cursor_at(screen, view, inner)
        {
            ctx.set_cursor(frame, at);
        }
        frame.render_widget(&block, area);
        let cache = ctx.cache.zip(version);
        if let Some((cache, v)) = cache
            && cache.restore(id, v, inner, view, frame.buffer_mut())
        {
            cache.titled(id, program_title.as_deref());
            return;
        }
        if lane.scroll > 0 {
            let mut scrolled = screen.clone();
            scrolled.set_scrollback(lane.scroll);
            draw_screen(&scrolled, view, inner, frame.buffer_mut());
            if let Some(s) = &lane.search {
                highlight(frame.buffer_mut(), inner, &s.query);
            }
        } else {
            draw_screen(screen, view, inner, frame.buffer_mut());
        }
        if let Some((cache, v)) = cache {
            cache.store(id, v, inner, view, frame.buffer_mut());
            cache.titled(id, program_title.as_deref());
        }
    });
    if !drawn {
        let why = no_screen_reason(lane);
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(why, theme.dim)))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
    }
}

/// Where the terminal's cursor goes for a live (not scrolled) screen drawn in `inner` from
/// `view`: the screen's cursor, `None` when the program hid it or it lies outside the view.
fn cursor_at(screen: &vt::Screen, view: Viewport, inner: Rect) -> Option<Position> {
    if screen.hide_cursor() {
        return None;
    }
    let (row, col) = screen.cursor_position();
    let row = row.checked_sub(view.top)?;
    let col = col.checked_sub(view.left)?;
    (row < inner.height && col < inner.width).then(|| Position::new(inner.x + col, inner.y + row))
}

/// The part of a lane's screen a pane shows: its first row and column. A lane keeps its size
/// in a smaller grid tile (and a par lane's tmux window may be larger than its pane), so the
/// pane follows the cursor, as a viewport does: all of the screen when it fits, else the
/// least scroll from the top-left corner that keeps the cursor in view (the rows and columns
/// that end at the cursor's once it passes the bottom or the right edge). Worked out from the
/// screen alone, not remembered: a frame stays a function of the state and the screens, and a
/// cached tile is exactly a fresh one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewport {
    /// The first screen row shown.
    pub top: u16,
    /// The first screen column shown.
    pub left: u16,
}

impl Viewport {
    /// The view of `screen` in `area`, from its cursor (hidden or not: a program that hides it
    /// still writes where it is). The columns follow it only in the lane typed into
    /// (`typing`, the focused one): elsewhere a cursor past the right edge (after a long
    /// prompt) would scroll the start of every output line out of view, and a tile in the grid
    /// is there to be glanced at.
    pub fn of(screen: &vt::Screen, area: Rect, typing: bool) -> Self {
        let (rows, cols) = screen.size();
        let (row, col) = screen.cursor_position();
        Self {
            top: follow(row, area.height, rows.get()),
            left: if typing {
                follow(col, area.width, cols.get())
            } else {
                0
            },
        }
    }
}

/// The first of `shown` cells out of `total` that keeps cell `at` in view, the least scroll
/// from 0.
fn follow(at: u16, shown: u16, total: u16) -> u16 {
    if total <= shown {
        return 0;
    }
    at.saturating_add(1)
        .saturating_sub(shown)
        .min(total - shown)
}

/// The focused lane's screen drawn alone, for a frame in which nothing else changed.
#[derive(Debug)]
pub struct LiveTile {
    /// The lane.
    pub lane: LaneId,
    /// The version of its screen the cells show.
    pub version: u64,
    /// Where the terminal's cursor goes.
    pub cursor: Option<Position>,
    /// The rows of the tile drawn (from its top): the others may differ from what the
    /// terminal shows only where the screen did not change, so they are left as they are.
    pub rows: std::ops::Range<usize>,
}

/// Redraw the focused lane's screen alone into `cells` (made a buffer over exactly the area the
/// last frame showed it in; kept by the caller, so a keystroke allocates nothing). Exactly
/// what a whole frame would draw there (the same `draw_screen` over blank cells), but `None`
/// when the last frame did not show the lane as its tile cache holds it (an overlay, a
/// scrolled lane, another mode's cursor, a new program title in the border, not drawn): then
/// only a whole frame is right. Once the cells are on the terminal the caller tells the cache
/// ([`redrawn`](crate::ui::cache::TileCache::redrawn)). The runtime's echo path: a keystroke's echo converts one
/// screen and compares one tile, instead of laying out and comparing the whole console; only
/// the rows the screen changed since the cells on the terminal (see `pty::rows`), usually the
/// one the keystroke echoed on; every row when the view followed the cursor elsewhere (typing
/// past the right edge of a tile narrower than its lane).
pub fn live_tile(
    state: &crate::app::AppState,
    screens: &dyn crate::pty::ScreenSource,
    cache: &crate::ui::cache::TileCache,
    cells: &mut Buffer,
) -> Option<LiveTile> {
    use crate::app::state::Mode;
    if !matches!(state.mode, Mode::Normal | Mode::Focus) {
        return None;
    }
    let id = state.focused.as_ref()?;
    if state.lane(id)?.scroll > 0 {
        return None;
    }
    let (area, shown, was) = cache.live_area(id, screens.title(id).as_deref())?;
    if cells.area != area {
        *cells = Buffer::empty(area);
    }
    let mut tile = None;
    screens.with_changes(id, shown, &mut |screen, version, changed| {
        let view = Viewport::of(screen, area, true);
        // A view that followed the cursor moves every row the tile shows.
        let rows = if view == was {
            tile_rows(changed, view.top, area.height)
        } else {
            cache.moved(id, version, view);
            0..area.height
        };
        let w = usize::from(area.width);
        let (from, to) = (usize::from(rows.start), usize::from(rows.end));
        cells.content[from * w..to * w]
            .iter_mut()
            .for_each(ratatui::buffer::Cell::reset);
        draw_rows(screen, view, area, cells, rows);
        tile = Some(LiveTile {
            lane: id.clone(),
            version,
            cursor: cursor_at(screen, view, area),
            rows: from..to,
        });
    });
    tile
}

/// The rows of a tile `height` rows high showing the screen from row `top` that show the
/// screen's `changed` rows.
fn tile_rows(changed: crate::pty::Rows, top: u16, height: u16) -> std::ops::Range<u16> {
    use crate::pty::Rows;
    let (first, last) = match changed {
        Rows::None => return 0..0,
        Rows::All => return 0..height,
        Rows::Span(first, last) => (first, last),
    };
    // Rows outside the tile (above or below it) give an empty range within it.
    let from = (first.max(top) - top).min(height);
    let to = last
        .saturating_add(1)
        .min(top.saturating_add(height))
        .saturating_sub(top);
    from..to.max(from)
}

/// Copy the cells of a lane's screen that `view` shows into `area` (a screen larger than the
/// area shows the rows and columns around its cursor, see [`Viewport`]). The cursor is not
/// drawn: the focused lane's is the terminal's own.
pub fn draw_screen(screen: &vt::Screen, view: Viewport, area: Rect, buf: &mut Buffer) {
    draw_rows(screen, view, area, buf, 0..area.height);
}

/// [`draw_screen`] for the tile rows `rows` (from the area's top) alone.
fn draw_rows(
    screen: &vt::Screen,
    view: Viewport,
    area: Rect,
    buf: &mut Buffer,
    rows: std::ops::Range<u16>,
) {
    let area = area.intersection(buf.area);
    let (height, cols) = screen.size();
    let shown = area.height.min(height.get().saturating_sub(view.top));
    let across = area.width.min(cols.get().saturating_sub(view.left));
    for row in rows.start..rows.end.min(shown) {
        for col in 0..across {
            let Some(cell) = screen.cell(view.top + row, view.left + col) else {
                continue;
            };
            let out = &mut buf[(area.x + col, area.y + row)];
            // An empty cell, or the second half of a wide character, keeps the blank the
            // frame starts with; so does a wide character cut by the view's right edge, which
            // would cover the border.
            if cell.has_contents() && !(cell.is_wide() && col + 1 == across) {
                out.set_symbol(&crate::text::cell_text(cell.contents()));
            }
            out.set_style(cell_style(cell));
        }
    }
}

/// Show every occurrence of `needle` in `area` reversed (case-insensitive unless it has a
/// capital letter, as the search found it).
pub fn highlight(buf: &mut Buffer, area: Rect, needle: &str) {
    let fold = !needle.chars().any(char::is_uppercase);
    let low = |c: char| {
        if fold {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let want: Vec<char> = needle.chars().map(low).collect();
    if want.is_empty() {
        return;
    }
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        // One character per cell; the second half of a wide character is skipped.
        let cells: Vec<(u16, char)> = (area.left()..area.right())
            .filter_map(|x| buf[(x, y)].symbol().chars().next().map(|c| (x, low(c))))
            .collect();
        let mut i = 0;
        while i + want.len() <= cells.len() {
            if cells[i..i + want.len()]
                .iter()
                .map(|c| c.1)
                .eq(want.iter().copied())
            {
                for (x, _) in &cells[i..i + want.len()] {
                    let cell = &mut buf[(*x, y)];
                    cell.set_style(cell.style().add_modifier(Modifier::REVERSED));
                }
                i += want.len();
            } else {
                i += 1;
            }
        }
    }
}

fn cell_style(cell: &vt::Cell) -> Style {
    let mut modifier = Modifier::empty();
    for (on, m) in [
        (cell.bold(), Modifier::BOLD),
        (cell.dim(), Modifier::DIM),
        (cell.italic(), Modifier::ITALIC),
        (cell.underline(), Modifier::UNDERLINED),
        (cell.inverse(), Modifier::REVERSED),
    ] {
        if on {
            modifier |= m;
        }
    }
    Style::reset()
        .fg(color(cell.fgcolor()))
        .bg(color(cell.bgcolor()))
        .add_modifier(modifier)
}

fn color(c: vt::Color) -> Color {
    match c {
        vt::Color::Default => Color::Reset,
        vt::Color::Idx(i) => Color::Indexed(i),
        vt::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn no_screen_reason(lane: &Lane) -> String {
    if let Some(r) = &lane.remote {
        let stale = if r.stopped {
            format!(
                "{}'s helios serve stopped; its data is {} old. ",
                r.host,
                crate::ui::age(r.age_secs)
            )
        } else if r.stale {
            format!(
                "{}'s data is STALE ({} old). ",
                r.host,
                crate::ui::age(r.age_secs)
            )
        } else {
            String::new()
        };
        return shown(&if r.opened {
            format!("{stale}connecting over ssh to {}…", r.host)
        } else {
            format!("{stale}on {}: Enter opens its terminal over ssh", r.host)
        });
    }
    match lane.status {
        LaneStatus::Missing => shown(&format!(
            "its tmux session is gone: `par open {0}` makes it again, d removes the lane",
            lane.id()
        )),
        LaneStatus::Exited => "the lane's process has exited".into(),
        LaneStatus::Running | LaneStatus::Idle => "connecting…".into(),
    }
}

/// The pane area when no lane is selected.
pub fn render_empty(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let create = ctx
        .keymap
        .keys_for(crate::app::keymap::KeyMode::Normal, "lane.create")
        .into_iter()
        .next()
        .unwrap_or_else(|| ":lane new NAME".into());
    let text = if ctx.state.lanes.is_empty() {
        format!("no lanes yet: press {create} to create one")
    } else {
        "no lane matches the filter (esc clears it)".to_string()
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text, ctx.theme.dim))).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(ctx.theme.border)
                .style(Style::default()),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pty::Rows;

    /// A bidi override a lane prints never reaches the user's terminal: it reversed what
    /// followed it there (titles and lists escaped it already; the tile did not).
    #[test]
    fn a_lanes_bidi_controls_are_not_drawn() {
        let size = |n| std::num::NonZero::new(n).unwrap();
        let mut p = vt::Parser::new(size(3), size(30), 0);
        p.process("bidi \u{202e}evil\u{202c} end \u{2067}x\u{2069}".as_bytes());
        let area = Rect::new(0, 0, 30, 3);
        let mut buf = Buffer::empty(area);
        draw_screen(p.screen(), Viewport { top: 0, left: 0 }, area, &mut buf);
        let drawn: String = buf
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect();
        assert!(drawn.starts_with("bidi evil end x"), "{drawn:?}");
        assert!(!drawn.chars().any(crate::text::is_unsafe), "{drawn:?}");
    }

    #[test]
    fn changed_screen_rows_map_to_the_tile_rows_showing_them() {
        assert_eq!(tile_rows(Rows::Span(3, 3), 0, 14), 3..4);
        assert_eq!(tile_rows(Rows::Span(3, 20), 0, 14), 3..14);
        assert_eq!(tile_rows(Rows::Span(12, 13), 10, 14), 2..4);
        assert_eq!(tile_rows(Rows::Span(2, 3), 10, 14), 0..0);
        assert_eq!(tile_rows(Rows::Span(30, 31), 0, 14), 14..14);
        assert_eq!(tile_rows(Rows::All, 5, 14), 0..14);
        assert_eq!(tile_rows(Rows::None, 5, 14), 0..0);
    }
}
