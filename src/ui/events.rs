//! The `:events` panel: the journal's recent history and this run's events (`recent_events`)
//! merged with what arrives on the HELIOS_EVENTS stream from every helios and agent, newest at
//! the bottom, filtered by lane, action and result; the selected row, and over it the selected
//! event's full JSON when it is open.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table};

use crate::app::AppState;
use crate::app::events::{detail_lines, merged, selected_index};
use crate::app::nats::Link;
use crate::config::theme::Theme;
use crate::model::{AuditEvent, EventResult};
use crate::ui::shown;

/// Draw the events panel into `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let f = &state.nats.filter;
    let mut filters = Vec::new();
    if let Some(l) = &f.lane {
        filters.push(format!("lane={}", shown(l)));
    }
    if let Some(a) = &f.action {
        filters.push(format!("action={}*", shown(a)));
    }
    if let Some(r) = f.result {
        filters.push(format!(
            "result={}",
            if r == EventResult::Ok { "ok" } else { "error" }
        ));
    }
    let source = match &state.nats.link {
        Link::Up => "journal + HELIOS_EVENTS",
        _ if state.nats.quiet_default => "journal only (NATS not configured)",
        _ => "journal only (NATS not connected)",
    };
    let events = merged(state);
    let own = &state.repo.name;
    // The journal is every repo's on this machine, and the stream every helios's.
    let scope = if events.iter().any(|e| &e.repo != own) {
        "· all repos "
    } else {
        ""
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(" events ", theme.title),
            Span::styled(format!("{source} {scope}"), theme.dim),
            Span::styled(
                if filters.is_empty() {
                    String::new()
                } else {
                    format!("[{}] ", filters.join(" "))
                },
                theme.warn,
            ),
        ]));
    let inner = block.inner(area);
    let inner_h = usize::from(inner.height.saturating_sub(1));
    let selected = selected_index(state, &events);
    // The newest page, or the page that still shows the selected event.
    let skip = events
        .len()
        .saturating_sub(inner_h)
        .min(selected.unwrap_or(usize::MAX));
    let page: Vec<_> = events.iter().enumerate().skip(skip).take(inner_h).collect();
    // Names are as wide as the page's longest (within bounds), the repo only when the page is
    // not all this repo's, and the detail (what changed, what was sent where, an error's
    // message) gets the rest, as in `helios events`.
    let widest = |head: &str, name: &dyn Fn(&AuditEvent) -> &str, max: usize| {
        let w = page
            .iter()
            .map(|(_, e)| crate::text::width(&shown(name(e))));
        let w = w.chain([head.len()]).max().unwrap_or(0).min(max);
        Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX))
    };
    let with_repo = page.iter().any(|(_, e)| &e.repo != own);
    let mut heads = vec!["TIME", "ACTION", "LANE", "RES", "ACTOR"];
    let mut widths = vec![
        Constraint::Length(8),
        widest("ACTION", &|e| &e.action, 22),
        widest("LANE", &|e| e.lane.as_deref().unwrap_or("-"), 20),
        Constraint::Length(5),
        widest("ACTOR", &|e| &e.actor, 18),
    ];
    if with_repo {
        heads.push("REPO");
        widths.push(widest("REPO", &|e| &e.repo, 16));
    }
    heads.push("DETAIL");
    widths.push(Constraint::Fill(1));
    let cols = crate::ui::column_widths(&widths, inner);
    let fit = |s: &str, c: usize| crate::ui::fit(s, cols.get(c).copied().unwrap_or(0));
    let fmt = time::macros::format_description!("[hour]:[minute]:[second]");
    let rows = page.into_iter().map(|(i, e)| {
        let style = match (Some(i) == selected, e.result) {
            (true, _) => theme.selected,
            (false, EventResult::Ok) => theme.text,
            (false, EventResult::Error) => theme.error,
        };
        let mut cells = vec![
            Cell::from(e.at.format(&fmt).unwrap_or_default()),
            Cell::from(fit(&e.action, 1)),
            Cell::from(fit(e.lane.as_deref().unwrap_or("-"), 2)),
            Cell::from(if e.result == EventResult::Ok {
                "ok"
            } else {
                "error"
            }),
            // Anyone who can publish to helios.events.> writes these fields.
            Cell::from(fit(&e.actor, 4)),
        ];
        if with_repo {
            // This repo's name is dimmed: the others stand out, and none reads as missing.
            cells.push(if &e.repo == own && Some(i) != selected {
                Cell::from(Span::styled(fit(&e.repo, 5), theme.dim))
            } else {
                Cell::from(fit(&e.repo, 5))
            });
        }
        // The whole JSON is on `Enter`; a row shows what fits of it, escaped.
        cells.push(Cell::from(fit(&e.detail_text(), cells.len())));
        Row::new(cells).style(style)
    });
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(heads).style(theme.dim))
            .block(block),
        area,
    );
    if let Some(top) = state.events.detail_top {
        render_detail(frame, area, state, top, theme);
    }
}

/// The selected event's full JSON over the panel, scrolled to line `top`.
fn render_detail(frame: &mut Frame, area: Rect, state: &AppState, top: usize, theme: &Theme) {
    let lines = detail_lines(state);
    let rect = crate::ui::centered(
        area,
        area.width.min(crate::app::events::DETAIL_MAX_W),
        area.height,
    );
    frame.render_widget(Clear, rect);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(" event · esc closes ", theme.title));
    let inner = block.inner(rect);
    let page = usize::from(inner.height);
    let top = crate::app::help::clamp_top(top, lines.len(), page);
    if lines.len() > page {
        let last = (top + page).min(lines.len());
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" {}–{last} of {} · j/k pgdn pgup ", top + 1, lines.len()),
                theme.warn,
            ))
            .right_aligned(),
        );
    }
    frame.render_widget(block, rect);
    // Every field of an event can come from anyone who publishes to helios.events.>.
    let shown: Vec<Line> = lines
        .iter()
        .skip(top)
        .take(page)
        .map(|l| Line::styled(shown(l), theme.text))
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
