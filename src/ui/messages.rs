//! The `M` overlay over the main area: the status line's last messages, whole (rows from
//! `app::messages`), scrolled like the help overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::state::FlashLevel;
use crate::ui::Ctx;

/// Draw the overlay over `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let rows = crate::app::messages::rows(ctx.state);
    let page = usize::from(area.height.saturating_sub(2));
    let top = crate::app::help::clamp_top(ctx.state.messages_top, rows.len(), page);
    let end = (top + page).min(rows.len());
    let place = if rows.is_empty() {
        String::new()
    } else {
        format!(" {}–{end} of {} ", top + 1, rows.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(" messages, newest last ", theme.title))
        .title_bottom(Line::from(Span::styled(place, theme.dim)).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = if rows.is_empty() {
        vec![Line::styled("no messages yet", theme.dim)]
    } else {
        rows[top..end]
            .iter()
            .map(|(text, level)| {
                let style = match level {
                    FlashLevel::Info => theme.text,
                    FlashLevel::Error => theme.error,
                };
                Line::styled(text.clone(), style)
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
