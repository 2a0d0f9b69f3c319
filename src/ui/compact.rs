//! The compact panel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::AppState;
use crate::config::theme::Theme;

/// Draw the compact side-pane view (`--compact`) into `area`.
pub fn render(frame: &mut Frame, area: Rect, _state: &AppState, _theme: &Theme) {
    frame.render_widget(
        Paragraph::new("compact: not connected")
            .block(Block::default().borders(Borders::ALL).title(" compact ")),
        area,
    );
}
