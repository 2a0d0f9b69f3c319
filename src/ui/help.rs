//! The `?` help overlay: the lines of `app::help` (the command registry and the active keymap)
//! in one column that scrolls, with where you are and whether more follows on its border.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::help::{HelpLine, clamp_top, lines};
use crate::config::theme::Theme;
use crate::ui::{Ctx, centered};

/// Width of the key column.
const KEY_W: usize = 10;
/// The widest the overlay gets: a key column and the longest description.
const MAX_W: u16 = 90;

fn line<'a>(l: &HelpLine, width: usize, theme: &Theme) -> Line<'a> {
    // A keymap can bind any single character, a control or bidi one too; padded by columns.
    let fit = |s: &str, w: usize| crate::text::truncate(&crate::ui::shown(s), w);
    match l {
        HelpLine::Heading(t) => Line::from(Span::styled((*t).to_string(), theme.title)),
        HelpLine::Entry { keys, what } => Line::from(vec![
            Span::styled(
                format!("{} ", crate::text::pad(&fit(keys, KEY_W), KEY_W)),
                theme.key,
            ),
            Span::styled(fit(what, width.saturating_sub(KEY_W + 1)), theme.text),
        ]),
        HelpLine::Syntax(s) => Line::from(Span::styled(fit(s, width), theme.key)),
        HelpLine::Unbound { name, what } => {
            let name = fit(name, width);
            let rest = width.saturating_sub(crate::text::width(&name) + 1);
            Line::from(vec![
                Span::styled(name, theme.key),
                Span::styled(format!(" {}", fit(what, rest)), theme.dim),
            ])
        }
    }
}

/// Draw the overlay over `area`, from line `state.help_top`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let all = lines(ctx.keymap);
    let rect = centered(area, area.width.min(MAX_W), area.height);
    frame.render_widget(Clear, rect);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(" help · esc closes ", theme.title));
    let inner = block.inner(rect);
    let page = usize::from(inner.height);
    let top = clamp_top(ctx.state.help_top, all.len(), page);
    if all.len() > page {
        let last = (top + page).min(all.len());
        let more = if last < all.len() {
            " · ↓ more: j pgdn"
        } else {
            " · ↑ k pgup"
        };
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" {}–{last} of {}{more} ", top + 1, all.len()),
                theme.warn,
            ))
            .right_aligned(),
        );
    }
    frame.render_widget(block, rect);
    let shown: Vec<Line> = all
        .iter()
        .skip(top)
        .take(page)
        .map(|l| line(l, usize::from(inner.width), theme))
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
