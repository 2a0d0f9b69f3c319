//! The nats panel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::AppState;
use crate::config::theme::Theme;

/// Draw the nats panel into `area`.
pub fn render(frame: &mut Frame, area: Rect, _state: &AppState, _theme: &Theme) {
    frame.render_widget(
        Paragraph::new("nats: not connected")
            .block(Block::default().borders(Borders::ALL).title(" nats ")),
        area,
    );
}
