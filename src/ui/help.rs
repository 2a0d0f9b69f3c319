//! The `?` help overlay: the lines of `app::help` (the command registry and the active keymap)
//! in three columns (keys, what they do, the command name a keymap binds, dim) that scroll,
//! with where you are and whether more follows on its border.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::help::{HelpLine, KEY_W, WIDTH, clamp_top, lines, what_width};
use crate::config::theme::Theme;
use crate::ui::{Ctx, centered};

fn line<'a>(l: &HelpLine, width: usize, theme: &Theme) -> Line<'a> {
    // A keymap can bind any single character, a control or bidi one too; padded by columns.
    let fit = |s: &str, w: usize| crate::text::truncate(&crate::ui::shown(s), w);
    // In a pane narrower than the columns (compact mode's side pane) the lines were wrapped
    // narrower: the same width here.
    let what_w = what_width(u16::try_from(width + 2).unwrap_or(u16::MAX));
    let row = |keys: Span<'a>, what: &str, name: Option<&str>| {
        let mut spans = vec![
            keys,
            Span::styled(crate::text::pad(&fit(what, what_w), what_w), theme.text),
        ];
        // The name column takes what is left: all of it at 80 columns and more.
        let rest = width.saturating_sub(KEY_W + 1 + what_w + 1);
        if let Some(name) = name.filter(|_| rest > 0) {
            spans.push(Span::styled(format!(" {}", fit(name, rest)), theme.dim));
        }
        Line::from(spans)
    };
    let keys = |keys: &str, style| {
        Span::styled(
            format!("{} ", crate::text::pad(&fit(keys, KEY_W), KEY_W)),
            style,
        )
    };
    match l {
        HelpLine::Heading(t) => Line::from(Span::styled((*t).to_string(), theme.title)),
        HelpLine::Entry {
            keys: k,
            what,
            name,
        } => row(keys(k, theme.key), what, *name),
        HelpLine::Syntax(s) => Line::from(Span::styled(fit(s, width), theme.key)),
        HelpLine::Unbound { name, what } => row(keys("unbound", theme.dim), what, Some(name)),
    }
}

/// Draw the overlay over `area`, from line `state.help_top`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let all = lines(ctx.keymap, area.width);
    // The widest the overlay gets: its columns and the border (80 columns).
    let max_w = u16::try_from(WIDTH + 2).unwrap_or(u16::MAX);
    let rect = centered(area, area.width.min(max_w), area.height);
    frame.render_widget(Clear, rect);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(" help · esc closes ", theme.title));
    let inner = block.inner(rect);
    let page = usize::from(inner.height);
    let top = clamp_top(ctx.state.help_top, all.len(), page);
    if let Some(more) = more_title(top, page, all.len(), theme) {
        block = block.title_bottom(more);
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

/// The bottom title of a scrolled overlay of `len` lines showing `page` from `top`: which lines
/// show and the way to the rest; `None` when they all fit.
pub fn more_title(top: usize, page: usize, len: usize, theme: &Theme) -> Option<Line<'static>> {
    if len <= page {
        return None;
    }
    let last = (top + page).min(len);
    let more = if last < len {
        " · ↓ more: j pgdn"
    } else {
        " · ↑ k pgup"
    };
    Some(
        Line::from(Span::styled(
            format!(" {}–{last} of {len}{more} ", top + 1),
            theme.warn,
        ))
        .right_aligned(),
    )
}
