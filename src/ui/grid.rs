//! The swarm grid: up to 25 lanes live at once as 1, 2x2, 3x3, 4x4 or 5x5 tiles.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::AppState;
use crate::model::LaneId;
use crate::ui::{Ctx, GRID_MAX, pane};

/// Tiles per side for a lane count: 1, 2, 3, 4 or 5.
pub fn side(count: usize) -> u16 {
    (1..=5u16)
        .find(|s| usize::from(s * s) >= count)
        .unwrap_or(5)
}

/// The tiles for the visible lanes: the page of 25 that holds the selected lane.
pub fn tiles(state: &AppState, area: Rect) -> Vec<(LaneId, Rect)> {
    let ids: Vec<LaneId> = state.visible_lanes().map(|l| l.id().clone()).collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let sel = state
        .selected
        .as_ref()
        .and_then(|s| ids.iter().position(|i| i == s))
        .unwrap_or(0);
    let start = sel / GRID_MAX * GRID_MAX;
    let page = &ids[start..ids.len().min(start + GRID_MAX)];
    let n = side(page.len());
    let rows =
        Layout::vertical(vec![Constraint::Ratio(1, u32::from(n)); usize::from(n)]).split(area);
    let mut out = Vec::with_capacity(page.len());
    let mut it = page.iter();
    for row in rows.iter() {
        let cells = Layout::horizontal(vec![Constraint::Ratio(1, u32::from(n)); usize::from(n)])
            .split(*row);
        for cell in cells.iter() {
            let Some(id) = it.next() else {
                return out;
            };
            if cell.width > 2 && cell.height > 2 {
                out.push((id.clone(), *cell));
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
