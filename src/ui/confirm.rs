//! The yes/no dialog.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::ui::{Ctx, centered, shown};

/// Draw the question centred over `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>, question: &str) {
    let theme = ctx.theme;
    // The question names a lane or a workflow.
    let question = shown(question);
    let width = (crate::text::width(&question) as u16 + 4).clamp(30, 60);
    let rect = centered(area, width, 6);
    frame.render_widget(Clear, rect);
    let body = vec![
        Line::from(Span::styled(question, theme.text)),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", theme.key),
            Span::styled(" yes    ", theme.text),
            Span::styled("n", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("esc", theme.key),
            Span::styled(" no", theme.text),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.warn)
                .title(Span::styled(" confirm ", theme.warn)),
        ),
        rect,
    );
}
