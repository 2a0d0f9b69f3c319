//! The `:events` panel: this helios's journal (`recent_events`) merged with what arrives on the
//! HELIOS_EVENTS stream from every helios and agent, newest at the bottom, filtered by lane,
//! action and result.

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Row, Table};

use crate::app::AppState;
use crate::app::nats::Link;
use crate::config::theme::Theme;
use crate::model::{AuditEvent, EventResult};
use crate::ui::shown;

/// The events to show, oldest first: the journal's and the stream's, deduplicated by id (our
/// own events come back from the stream too), ordered by time then id, filtered.
pub fn merged(state: &AppState) -> Vec<&AuditEvent> {
    let mut seen = HashSet::new();
    let mut v: Vec<&AuditEvent> = state
        .recent_events
        .iter()
        .chain(state.nats.swarm.iter())
        .filter(|e| seen.insert(e.id.as_str()))
        .filter(|e| state.nats.filter.matches(e))
        .collect();
    v.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    v
}

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
        _ => "journal only (NATS not connected)",
    };
    let events = merged(state);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(" events ", theme.title),
            Span::styled(format!("{source} "), theme.dim),
            Span::styled(
                if filters.is_empty() {
                    String::new()
                } else {
                    format!("[{}] ", filters.join(" "))
                },
                theme.warn,
            ),
        ]));
    let inner_h = usize::from(block.inner(area).height.saturating_sub(1));
    let own = &state.repo.name;
    let skip = events.len().saturating_sub(inner_h);
    let fmt = time::macros::format_description!("[hour]:[minute]:[second]");
    let rows = events.iter().skip(skip).map(|e| {
        let style = match e.result {
            EventResult::Ok => theme.text,
            EventResult::Error => theme.error,
        };
        // Anyone who can publish to helios.events.> writes these fields.
        let origin = if &e.repo == own {
            String::new()
        } else {
            shown(&e.repo)
        };
        Row::new(vec![
            e.at.format(&fmt).unwrap_or_default(),
            shown(&e.action),
            e.lane.as_deref().map_or_else(|| "-".into(), shown),
            if e.result == EventResult::Ok {
                "ok".into()
            } else {
                "error".into()
            },
            shown(&e.actor),
            origin,
        ])
        .style(style)
    });
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(8),
                Constraint::Fill(2),
                Constraint::Fill(1),
                Constraint::Length(5),
                Constraint::Fill(1),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["TIME", "ACTION", "LANE", "RES", "ACTOR", "REPO"]).style(theme.dim))
        .block(block),
        area,
    );
}
