//! The `M` overlay: the status line's last messages, whole. The status line shows one message
//! at a time, cut at the terminal's width; a server's error or a lane command's failure is
//! often longer than that.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::state::FlashLevel;
use crate::ui::{Ctx, centered, shown};

/// Draw the overlay over `area`: the newest messages that fit, newest at the bottom.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let rect = centered(area, area.width.min(100), area.height.min(20));
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(
            " messages · newest last · any key closes ",
            theme.title,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let lines = lines(ctx, usize::from(inner.width), usize::from(inner.height));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The rows of the newest messages that fit in `height` rows of `width`, oldest first.
fn lines<'a>(ctx: &Ctx<'_>, width: usize, height: usize) -> Vec<Line<'a>> {
    let theme = ctx.theme;
    let messages = &ctx.state.messages;
    if messages.is_empty() {
        return vec![Line::styled("no messages yet", theme.dim)];
    }
    let fmt = time::macros::format_description!("[hour]:[minute]:[second]");
    let mut rows = Vec::new();
    for m in messages.iter().rev() {
        let at =
            m.at.and_then(|t| t.format(&fmt).ok())
                .unwrap_or_else(|| "--:--:--".into());
        let style = match m.level {
            FlashLevel::Info => theme.text,
            FlashLevel::Error => theme.error,
        };
        // Lanes' names and servers' errors are in the text: escaped as in the status line.
        let text = format!("{at} {}", shown(&m.text));
        let wrapped = crate::app::help::wrap(&text, width);
        for row in wrapped.into_iter().rev() {
            rows.push(Line::styled(row, style));
        }
        if rows.len() >= height {
            break;
        }
    }
    rows.truncate(height);
    rows.reverse();
    rows
}
