//! The swarm grid: up to 25 lanes live at once, in the smallest grid that holds them (6 lanes:
//! 3x2, 7: 3x3, up to 5x5), never taller than wide.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::AppState;
use crate::model::LaneId;
use crate::ui::{Ctx, GRID_MAX, pane};

/// (columns, rows) for a lane count: the grid with the fewest tiles that holds them, among
/// the near-square ones (as many columns as rows, or one more), so no row is left empty and
/// tiles stay close to the terminal's shape. 1: 1x1, 2: 2x1, 3-4: 2x2, 5-6: 3x2, 7-9: 3x3,
/// 10-12: 4x3, 13-16: 4x4, 17-20: 5x4, 21-25: 5x5.
pub fn dims(count: usize) -> (u16, u16) {
    let count = count.clamp(1, GRID_MAX);
    (1..=5u16)
        .flat_map(|rows| [(rows, rows), (rows + 1, rows)])
        .filter(|&(cols, _)| cols <= 5)
        .find(|&(cols, rows)| usize::from(cols * rows) >= count)
        .unwrap_or((5, 5))
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
    let (cols, rows) = dims(page.len());
    let rows = Layout::vertical(vec![
        Constraint::Ratio(1, u32::from(rows));
        usize::from(rows)
    ])
    .split(area);
    let mut out = Vec::with_capacity(page.len());
    let mut it = page.iter();
    for row in rows.iter() {
        let cells = Layout::horizontal(vec![
            Constraint::Ratio(1, u32::from(cols));
            usize::from(cols)
        ])
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

#[cfg(test)]
mod tests {
    use super::dims;

    #[test]
    fn the_smallest_near_square_grid_that_holds_the_lanes() {
        let want = [
            (1, (1, 1)),
            (2, (2, 1)),
            (3, (2, 2)),
            (4, (2, 2)),
            (5, (3, 2)),
            (6, (3, 2)),
            (7, (3, 3)),
            (9, (3, 3)),
            (10, (4, 3)),
            (12, (4, 3)),
            (13, (4, 4)),
            (17, (5, 4)),
            (20, (5, 4)),
            (21, (5, 5)),
            (25, (5, 5)),
            (40, (5, 5)),
        ];
        for (n, grid) in want {
            assert_eq!(dims(n), grid, "{n} lanes");
        }
    }
}
