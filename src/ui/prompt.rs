//! The prompt line (palette `:`, filter `/`, new lane label, text to send) with the palette's
//! completion candidates above it.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::palette;
use crate::app::state::{Prompt, PromptKind};
use crate::ui::{Ctx, shown};

/// Candidates shown above the palette at most.
const MAX_CANDIDATES: usize = 8;

/// The prompt's leading text.
pub fn label(ctx: &Ctx<'_>, kind: PromptKind) -> String {
    match kind {
        PromptKind::Palette => ":".into(),
        PromptKind::Filter => "/".into(),
        PromptKind::CreateLabel => "new lane label: ".into(),
        PromptKind::Search => "search: ".into(),
        PromptKind::SendText => format!(
            "send to {}: ",
            shown(ctx.state.selected.as_ref().map_or("?", |l| l.as_str()))
        ),
    }
}

/// Draw the prompt line into `area` (the status line's row).
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>, prompt: &Prompt) {
    let theme = ctx.theme;
    let lead = label(ctx, prompt.kind);
    let hint = match prompt.kind {
        PromptKind::Palette => "  tab complete · enter run · esc cancel",
        PromptKind::Filter => "  enter keep · esc clear",
        _ => "  enter ok · esc cancel",
    };
    // A paste can hold anything; the cursor goes after what is drawn, in display columns.
    let typed = shown(&prompt.text);
    let used = crate::text::width(&lead) + crate::text::width(&typed) + 1;
    let mut spans = vec![
        Span::styled(lead.clone(), theme.key),
        Span::styled(typed, theme.text),
        Span::raw(" "),
    ];
    let room = usize::from(area.width).saturating_sub(used);
    if let Some(e) = &prompt.error {
        // Why Enter did nothing, where the user is looking; whole in the messages (`M`).
        let e = crate::ui::fit(&format!(" {e}"), room);
        spans.push(Span::styled(e, theme.error));
    } else if hint.len() <= room {
        spans.push(Span::styled(hint, theme.dim));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let x = area.x + (used as u16 - 1).min(area.width.saturating_sub(1));
    ctx.set_cursor(frame, Position::new(x, area.y));
    if prompt.kind == PromptKind::Palette {
        candidates(frame, area, ctx, &prompt.text);
    }
}

fn candidates(frame: &mut Frame, prompt_row: Rect, ctx: &Ctx<'_>, text: &str) {
    let all = palette::candidates(text, ctx.state);
    if all.is_empty() || prompt_row.y < 3 {
        return;
    }
    let listed: Vec<&String> = all.iter().take(MAX_CANDIDATES).collect();
    // Each command with its description from the registry; lane names and filters have none.
    let name_w = listed
        .iter()
        .map(|c| crate::text::width(&shown(c)))
        .max()
        .unwrap_or(0);
    let room = usize::from(prompt_row.width).saturating_sub(name_w + 4);
    let mut lines: Vec<Line> = listed
        .iter()
        .map(|c| {
            let mut spans = vec![Span::styled(
                crate::text::pad(&shown(c), name_w),
                ctx.theme.text,
            )];
            if let Some(d) = palette::describe(c).filter(|_| room > 8) {
                spans.push(Span::styled(
                    format!("  {}", crate::text::truncate(d, room.saturating_sub(2))),
                    ctx.theme.dim,
                ));
            }
            Line::from(spans)
        })
        .collect();
    if all.len() > listed.len() {
        lines.push(Line::from(Span::styled(
            format!("+{} more", all.len() - listed.len()),
            ctx.theme.dim,
        )));
    }
    let w = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 2;
    let h = (lines.len() as u16 + 2).min(prompt_row.y);
    let rect = Rect::new(prompt_row.x, prompt_row.y - h, w.min(prompt_row.width), h);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(ctx.theme.border),
        ),
        rect,
    );
}
