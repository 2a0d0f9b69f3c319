//! The console's geometry the reducer needs too: which lanes a grid page holds, how the grid
//! splits the screen, and how many rows the selected lane's pane shows (so PgUp/PgDn move a
//! page). `ui::layout` draws from these same numbers, so a page is what the user sees.

use crate::app::AppState;
use crate::app::action::Panel;
use crate::app::state::View;
use crate::model::LaneId;

/// Lanes the swarm grid shows at once (5x5).
pub const GRID_MAX: usize = 25;

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

/// `len` cells cut into `parts` near-equal parts, as (offset, size): part `i` starts at
/// `round(i * len / parts)`. The same cut as ratatui's `Constraint::Ratio(1, parts)` (a ui test
/// compares them), done here with integers so the reducer can know it.
pub fn split(len: u16, parts: u16) -> impl Iterator<Item = (u16, u16)> {
    let parts = u32::from(parts.max(1));
    let edge =
        move |i: u32| u16::try_from((2 * i * u32::from(len) + parts) / (2 * parts)).unwrap_or(len);
    (0..parts).map(move |i| (edge(i), edge(i + 1) - edge(i)))
}

/// The visible lanes on the grid page that holds the selected lane (pages of [`GRID_MAX`]).
pub fn page(state: &AppState) -> Vec<LaneId> {
    let ids: Vec<LaneId> = state.visible_lanes().map(|l| l.id().clone()).collect();
    let sel = state
        .selected
        .as_ref()
        .and_then(|s| ids.iter().position(|i| i == s))
        .unwrap_or(0);
    let start = sel / GRID_MAX * GRID_MAX;
    ids.into_iter().skip(start).take(GRID_MAX).collect()
}

/// The rows of lane screen the selected lane's pane shows (inside its border): its grid tile's
/// in the grid, else the single pane's. What a page of scrollback is.
pub fn pane_rows(state: &AppState) -> u16 {
    // The main area is the terminal less the status line; a pane's border takes two rows.
    let main = state.size.1.saturating_sub(1);
    let single = main.saturating_sub(2);
    if state.view != View::Grid || state.panel != Panel::Lanes || state.compact {
        return single;
    }
    let page = page(state);
    let Some(at) = state
        .selected
        .as_ref()
        .and_then(|s| page.iter().position(|i| i == s))
    else {
        return single;
    };
    let (cols, rows) = dims(page.len());
    let row = u16::try_from(at).unwrap_or(0) / cols;
    split(main, rows)
        .nth(usize::from(row))
        .map_or(single, |(_, height)| height.saturating_sub(2))
}

#[cfg(test)]
mod tests {
    use super::{dims, split};

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

    #[test]
    fn a_split_covers_its_length_without_gaps() {
        for parts in 1..=5 {
            for len in 0..100 {
                let cut: Vec<_> = split(len, parts).collect();
                assert_eq!(cut.len(), usize::from(parts));
                let mut at = 0;
                for (start, size) in cut {
                    assert_eq!(start, at, "{len} in {parts}");
                    at += size;
                }
                assert_eq!(at, len, "{len} in {parts}");
            }
        }
        assert_eq!(split(23, 3).collect::<Vec<_>>(), [(0, 8), (8, 7), (15, 8)]);
    }
}
