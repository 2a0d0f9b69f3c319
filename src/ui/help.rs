//! The `?` help overlay: the lines of `app::help` (the command registry and the active keymap)
//! in three columns (keys, what they do, the command name a keymap binds, dim) that scroll,
//! with where you are and whether more follows on its border.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::help::{HelpLine, KEY_W, WHAT_W, WIDTH, clamp_top, lines};
use crate::config::theme::Theme;
use crate::ui::{Ctx, centered};

fn line<'a>(l: &HelpLine, width: usize, theme: &Theme) -> Line<'a> {
    // A keymap can bind any single character, a control or bidi one too; padded by columns.
    let fit = |s: &str, w: usize| crate::text::truncate(&crate::ui::shown(s), w);
    // In a pane narrower than the columns (compact mode's side pane) the description gets
    // what is left after the keys, cut at a word.
    let what_w = WHAT_W.min(width.saturating_sub(KEY_W + 1));
    let row = |keys: Span<'a>, what: &str, name: Option<&str>| {
        let mut spans = vec![
            keys,
            Span::styled(
                crate::text::pad(&at_word(&crate::ui::shown(what), what_w), what_w),
                theme.text,
            ),
        ];
        // The name column takes what is left: all of it at 80 columns and more.
        let rest = width.saturating_sub(KEY_W + 1 + WHAT_W + 1);
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

/// `s` in `columns`, cut after its last whole word that fits with `…` (mid-word only when
/// the first word alone is too wide).
fn at_word(s: &str, columns: usize) -> String {
    if crate::text::width(s) <= columns {
        return s.to_string();
    }
    let cut = crate::text::truncate(s, columns);
    let body = cut.trim_end_matches('…');
    if s[body.len()..].starts_with(' ') {
        return format!("{}…", body.trim_end_matches([',', ';', ':']));
    }
    match body.rfind(' ') {
        Some(i) if i > 0 => format!("{}…", body[..i].trim_end_matches([' ', ',', ';', ':'])),
        _ => cut,
    }
}

/// Draw the overlay over `area`, from line `state.help_top`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let all = lines(ctx.keymap);
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

#[cfg(test)]
mod tests {
    use super::at_word;

    #[test]
    fn a_description_too_wide_is_cut_at_a_word() {
        assert_eq!(at_word("focus the lane", 20), "focus the lane");
        assert_eq!(at_word("focus the selected lane", 18), "focus the…");
        assert_eq!(at_word("select lane, scroll", 15), "select lane…");
        assert_eq!(at_word("unbreakable", 6), "unbre…");
        assert_eq!(at_word("focus the lane now", 15), "focus the lane…");
    }
}
