//! The `e` overlay: why the selected lane is in its state. The state, since when, the rule and
//! signal that decided it, and every signal considered with its age and what was made of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

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
    let rect = centered(area, area.width.min(96), area.height.min(22));
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(
            format!(" why: {} · any key closes ", shown(lane.id().as_str())),
            theme.title,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let age = |secs: i64| crate::agent::decide::short_age(secs);
    let mut lines = Vec::new();
    match crate::app::agent::explanation(lane) {
        None => lines.push(Line::styled(
            "unknown: nothing seen from this lane yet",
            theme.dim,
        )),
        Some(d) => {
            let since = ctx.state.clock.map_or(String::new(), |now| {
                format!(" · for {}", age((now - d.state.since).whole_seconds()))
            });
            let reason = if d.state.reason.is_empty() {
                String::new()
            } else {
                format!(" · {}", d.state.reason)
            };
            lines.push(Line::styled(
                shown(&format!("{}{reason}{since}", d.state.status.label())),
                theme.attention,
            ));
            lines.push(Line::styled(
                shown(&format!("decided by {}: {}", d.state.source, d.why)),
                theme.text,
            ));
            lines.push(Line::raw(""));
            lines.push(Line::styled("signals", theme.title));
            for e in &d.evidence {
                let old = e.age_note();
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<12} ", shown(&e.source)), theme.key),
                    Span::styled(shown(&format!("{}{old}", e.said)), theme.text),
                ]));
                lines.push(Line::styled(
                    format!("             → {}", shown(&e.verdict)),
                    theme.dim,
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
