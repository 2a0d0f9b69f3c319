//! The `e` overlay: why the selected lane is in its state ([`crate::app::explain`] says what),
//! scrolled from `state.explain_top` when it is taller than the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::explain::{Tone, rows, width};
use crate::app::help::clamp_top;
use crate::ui::help::more_title;
use crate::ui::{Ctx, centered, shown};

/// Draw the overlay over `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let Some(lane) = ctx
        .state
        .selected
        .as_ref()
        .and_then(|id| ctx.state.lane(id))
    else {
        return;
    };
    let w = width(area.width);
    let all = rows(lane, ctx.state.clock, usize::from(w.saturating_sub(2)));
    let h = u16::try_from(all.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, w, h.clamp(5, area.height.max(5)));
    frame.render_widget(Clear, rect);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(
            format!(
                " why: {} · {} ",
                shown(lane.id().as_str()),
                if crate::app::explain::scrolls(ctx.state) {
                    "esc closes"
                } else {
                    "any key closes"
                }
            ),
            theme.title,
        ));
    let inner = block.inner(rect);
    let page = usize::from(inner.height).max(1);
    let top = clamp_top(ctx.state.explain_top, all.len(), page);
    if let Some(more) = more_title(top, page, all.len(), theme) {
        block = block.title_bottom(more);
    }
    frame.render_widget(block, rect);
    let style = |tone: Tone| match tone {
        Tone::Plain => ratatui::style::Style::default(),
        Tone::State => theme.attention,
        Tone::Text => theme.text,
        Tone::Title => theme.title,
        Tone::Source => theme.key,
        Tone::Dim => theme.dim,
    };
    let lines: Vec<Line> = all
        .into_iter()
        .skip(top)
        .take(page)
        .map(|row| {
            Line::from(
                row.into_iter()
                    .map(|(tone, text)| Span::styled(text, style(tone)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
