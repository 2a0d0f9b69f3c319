//! The swarm grid: up to 25 lanes live at once, in the smallest grid that holds them (6 lanes:
//! 3x2, 7: 3x3, up to 5x5), never taller than wide. The geometry is `app::grid`'s, which the
//! reducer shares (a page of scrollback is a tile's height).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::AppState;
pub use crate::app::grid::dims;
use crate::app::grid::{page, split};
use crate::model::LaneId;
use crate::ui::{Ctx, pane};

/// The tiles for the visible lanes: the page of 25 that holds the selected lane.
pub fn tiles(state: &AppState, area: Rect) -> Vec<(LaneId, Rect)> {
    let page = page(state);
    if page.is_empty() {
        return Vec::new();
    }
    let (cols, rows) = dims(page.len());
    let mut out = Vec::with_capacity(page.len());
    let mut it = page.into_iter();
    for (y, height) in split(area.height, rows) {
        for (x, width) in split(area.width, cols) {
            let Some(id) = it.next() else {
                return out;
            };
            if width > 2 && height > 2 {
                out.push((id, Rect::new(area.x + x, area.y + y, width, height)));
            }
        }
    }
    out
}

/// Draw the tiles computed by [`tiles`].
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>, tiles: &[(LaneId, Rect)]) {
    if tiles.is_empty() {
        pane::render_empty(frame, area, ctx);
        return;
    }
    for (id, rect) in tiles {
        pane::render(frame, *rect, ctx, id, true);
    }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::{Constraint, Layout, Rect};

    use crate::app::grid::split;

    /// The grid was cut by ratatui's `Ratio` constraints before the reducer needed its
    /// geometry: the integer cut gives the very same tiles.
    #[test]
    fn the_grid_cut_is_ratatuis() {
        for parts in 1..=5u16 {
            for len in 0..=400u16 {
                let theirs: Vec<(u16, u16)> =
                    Layout::vertical(vec![
                        Constraint::Ratio(1, u32::from(parts));
                        usize::from(parts)
                    ])
                    .split(Rect::new(0, 0, 10, len))
                    .iter()
                    .map(|r| (r.y, r.height))
                    .collect();
                let across: Vec<(u16, u16)> =
                    Layout::horizontal(vec![
                        Constraint::Ratio(1, u32::from(parts));
                        usize::from(parts)
                    ])
                    .split(Rect::new(0, 0, len, 10))
                    .iter()
                    .map(|r| (r.x, r.width))
                    .collect();
                let ours: Vec<_> = split(len, parts).collect();
                assert_eq!(ours, theirs, "{len} in {parts}");
                assert_eq!(ours, across, "{len} in {parts}");
            }
        }
    }
}
