//! The yes/no dialog. A question may have several lines (the remove dialog lists the commits and
//! files a lane would lose): each is drawn as its own line, wrapped to the dialog's width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::ui::{Ctx, centered, shown};

/// Draw the question centred over `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>, question: &str) {
    let theme = ctx.theme;
    // The question names a lane, a workflow, commit subjects and file names: each line is
    // shown with its controls escaped (a newline inside a name stays visible as `\n`).
    let lines: Vec<String> = question.split('\n').map(shown).collect();
    let widest = lines
        .iter()
        .map(|l| crate::text::width(l))
        .max()
        .unwrap_or(0);
    // The rows are counted at the width drawn: a narrow pane (the compact view) is narrower
    // than the dialog's least.
    let width = (u16::try_from(widest).unwrap_or(u16::MAX).saturating_add(4))
        .clamp(30, 72)
        .min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Rows each line takes once wrapped, plus the blank line, the keys and the borders.
    let rows: usize = lines.iter().map(|l| wrapped_rows(l, inner)).sum();
    let height = u16::try_from(rows + 4).unwrap_or(u16::MAX).max(6);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let mut body: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.text)))
        .collect();
    body.push(Line::from(""));
    body.push(Line::from(vec![
        Span::styled("y", theme.key),
        Span::styled(" yes    ", theme.text),
        Span::styled("n", theme.key),
        Span::styled("/", theme.dim),
        Span::styled("esc", theme.key),
        Span::styled(" no", theme.text),
    ]));
    frame.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.warn)
                .title(Span::styled(" confirm ", theme.warn)),
        ),
        rect,
    );
}

/// How many rows `line` takes when wrapped at word boundaries to `width` columns (a word wider
/// than the line is cut), as the paragraph below wraps it.
fn wrapped_rows(line: &str, width: usize) -> usize {
    let mut rows = 1;
    let mut used = 0;
    for word in line.split(' ') {
        let w = crate::text::width(word);
        let need = if used == 0 { w } else { used + 1 + w };
        if need <= width {
            used = need;
        } else if w <= width {
            rows += 1;
            used = w;
        } else {
            rows += (used + 1 + w).div_ceil(width).saturating_sub(1);
            used = (used + 1 + w) % width;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrapped_rows;

    #[test]
    fn rows_follow_word_wrapping() {
        assert_eq!(wrapped_rows("", 10), 1);
        assert_eq!(wrapped_rows("aaaa bbbb", 10), 1);
        assert_eq!(wrapped_rows("aaaa bbbbbb", 10), 2);
        assert_eq!(wrapped_rows("aaaa bbbbbb cc", 10), 2);
        assert_eq!(wrapped_rows(&"x".repeat(25), 10), 3);
    }
}
