//! Pure drawing: `render(&AppState, ...)` into a ratatui frame. One file per panel or widget.

pub mod compact;
pub mod events;
pub mod nats;
pub mod share;
pub mod temporal;

use ratatui::Frame;

use crate::app::AppState;
use crate::config::theme::Theme;
use crate::lanes::LaneId;

/// Gives the renderer read access to each lane's screen model without the UI owning the PTYs.
pub trait ScreenSource {
    /// Call `f` with the lane's current screen, if the lane has one.
    fn with_screen(&self, lane: &LaneId, f: &mut dyn FnMut(&tui_term::vt100::Screen));
}

/// The size in cells (rows, cols) each visible lane's PTY should have for the current view, so
/// the runtime can resize them. Pure: derived from the state alone.
pub fn pane_sizes(state: &AppState) -> Vec<(LaneId, u16, u16)> {
    let (cols, rows) = state.size;
    state
        .selected
        .iter()
        .map(|l| (l.clone(), rows.saturating_sub(3), cols.saturating_sub(32)))
        .collect()
}

/// Draw the whole screen.
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme, _screens: &dyn ScreenSource) {
    let area = frame.area();
    if state.compact {
        compact::render(frame, area, state, theme);
        share::render_dialog(frame, area, state, theme);
        return;
    }
    match state.panel {
        crate::app::action::Panel::Events => events::render(frame, area, state, theme),
        crate::app::action::Panel::Nats => nats::render(frame, area, state, theme),
        crate::app::action::Panel::Temporal => temporal::render(frame, area, state, theme),
        crate::app::action::Panel::Lanes => {}
    }
    share::render_dialog(frame, area, state, theme);
}
