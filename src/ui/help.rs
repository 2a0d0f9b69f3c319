//! The `?` help overlay, generated from the command registry and the active keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::command::COMMANDS;
use crate::app::keymap::KeyMode;
use crate::config::theme::Theme;
use crate::ui::{Ctx, centered};

/// Width of the key column.
const KEY_W: usize = 10;

/// The help lines: every command with its keys, then focus, prompt and palette keys.
pub fn lines<'a>(ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let theme = ctx.theme;
    let mut out = vec![heading("keys", theme)];
    let mut unbound = Vec::new();
    for c in COMMANDS {
        let keys = ctx.keymap.keys_for(KeyMode::Normal, c.name);
        if keys.is_empty() {
            unbound.push(c);
            continue;
        }
        out.push(entry(&two(&keys), c.description, theme));
    }
    out.push(heading("focus mode", theme));
    for c in COMMANDS {
        let keys = ctx.keymap.keys_for(KeyMode::Focus, c.name);
        if !keys.is_empty() {
            out.push(entry(&two(&keys), c.description, theme));
        }
    }
    out.push(entry("wheel", "scroll the lane's scrollback", theme));
    out.push(heading("temporal panel", theme));
    let panel = crate::app::temporal::keys::DEFAULT_BINDINGS;
    for c in COMMANDS {
        let keys: Vec<String> = panel
            .iter()
            .filter(|(_, name)| *name == c.name)
            .map(|(k, _)| (*k).to_string())
            .collect();
        if !keys.is_empty() {
            out.push(entry(&two(&keys), c.description, theme));
        }
    }
    unbound.retain(|c| !panel.iter().any(|(_, name)| *name == c.name));
    out.push(heading("prompts", theme));
    out.push(entry("tab", "complete a command or lane", theme));
    out.push(entry("enter esc", "run / cancel", theme));
    out.push(entry("ctrl-u", "clear the line", theme));
    out.push(entry("ctrl-w", "delete a word", theme));
    out.push(heading("palette (:)", theme));
    for cmd in [
        "lane new NAME [--base REF]",
        "lane rm|attach NAME",
        "lane send NAME|all TEXT",
        "grid lanes events nats",
        "temporal help quit",
    ] {
        out.push(Line::from(Span::styled(cmd, theme.key)));
    }
    for c in unbound {
        out.push(Line::from(vec![
            Span::styled(c.name, theme.key),
            Span::styled(format!(" {}", c.description), theme.dim),
        ]));
    }
    out
}

/// At most two keys, so the column stays narrow.
fn two(keys: &[String]) -> String {
    keys.iter().take(2).cloned().collect::<Vec<_>>().join(" ")
}

fn heading<'a>(text: &str, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text.to_string(), theme.title))
}

fn entry<'a>(keys: &str, what: &str, theme: &Theme) -> Line<'a> {
    // A keymap can bind any single character, a control or bidi one too; padded by columns.
    let keys = format!("{} ", crate::text::pad(&crate::ui::shown(keys), KEY_W));
    Line::from(vec![
        Span::styled(keys, theme.key),
        Span::styled(what.to_string(), theme.text),
    ])
}

/// Draw the overlay over `area`, in two columns when one does not fit.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let all = lines(ctx);
    let rect = centered(area, area.width.min(110), area.height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(ctx.theme.border_active)
        .title(Span::styled(" help · any key closes ", ctx.theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let h = inner.height as usize;
    if h == 0 {
        return;
    }
    let cols = if all.len() <= h { 1 } else { 2 };
    let areas = Layout::horizontal(vec![Constraint::Ratio(1, cols); cols as usize])
        .spacing(1)
        .split(inner);
    for (i, col) in areas.iter().enumerate() {
        let chunk: Vec<Line> = all.iter().skip(i * h).take(h).cloned().collect();
        frame.render_widget(Paragraph::new(chunk), *col);
    }
}
