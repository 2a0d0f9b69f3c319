//! The Temporal panel: connection line, counts per status, the workflow table, the selected
//! workflow's detail, task queues with a no-poller flag, and the panel's input line. Pure drawing.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use time::OffsetDateTime;

use crate::app::AppState;
use crate::app::temporal::model::{QueueInfo, Snapshot, WfStatus, WorkflowDetail};
use crate::app::temporal::{ConnState, EditKind, TemporalState};
use crate::config::theme::Theme;
use crate::ui::{fit, shown_lines};

/// Draw the temporal panel into `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let t = &state.temporal;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" temporal ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let age = t.updated_at.map(|u| state.now.saturating_duration_since(u));
    let queue_rows = t.snapshot.as_ref().map_or(0, |s| s.queues.len().min(6));
    let bottom = u16::from(t.editor.is_some()) * 2;
    // An unreachable server's reason is long; give it room to wrap.
    let head_rows = if matches!(t.conn, ConnState::Unreachable { .. }) {
        3
    } else {
        2
    };
    let [head, counts, table_area, queues_area, input_area] = Layout::vertical([
        Constraint::Length(head_rows),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(u16::try_from(queue_rows).unwrap_or(6) + 1),
        Constraint::Length(bottom),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(shown_lines(header(t, age, state.now, theme))).wrap(Wrap { trim: false }),
        head,
    );
    let Some(snap) = &t.snapshot else {
        // Nothing configured is not waiting for data.
        if !(t.quiet_default && matches!(t.conn, ConnState::Unreachable { .. })) {
            frame.render_widget(
                Paragraph::new(Line::styled("no data yet", theme.dim)),
                counts,
            );
        }
        draw_input(frame, input_area, t, theme);
        return;
    };
    frame.render_widget(Paragraph::new(count_line(snap, theme)), counts);
    let (list_area, detail_area) = if t.detail_open && table_area.width >= 100 {
        let [l, d] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(table_area);
        (l, Some(d))
    } else if t.detail_open {
        let [l, d] = Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)])
            .areas(table_area);
        (l, Some(d))
    } else {
        (table_area, None)
    };
    draw_table(frame, list_area, state, snap, age, theme);
    if let Some(d) = detail_area {
        draw_detail(frame, d, t, theme);
    }
    draw_queues(frame, queues_area, &snap.queues, theme);
    draw_input(frame, input_area, t, theme);
}

fn header(
    t: &TemporalState,
    age: Option<Duration>,
    now: std::time::Instant,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut first = Vec::new();
    if let Some(s) = &t.snapshot {
        let ns_style = if s.namespace_state == "Registered" {
            theme.ok
        } else {
            theme.warn
        };
        first.push(Span::styled(
            format!("namespace {} ", s.namespace),
            theme.text,
        ));
        first.push(Span::styled(format!("({})", s.namespace_state), ns_style));
        first.push(Span::styled(
            format!("  server {}  refresh {} ms", s.server_version, s.refresh_ms),
            theme.dim,
        ));
    }
    let second = match &t.conn {
        ConnState::Connecting => Line::styled("connecting…", theme.dim),
        ConnState::Connected => {
            let mut v = vec![Span::styled(
                format!("updated {} ago", fmt_age(age.unwrap_or_default())),
                theme.dim,
            )];
            if let Some(l) = &t.lane_filter {
                v.push(Span::styled(format!("  lane {l}"), theme.attention));
            }
            if !t.filter.is_empty() {
                v.push(Span::styled(format!("  filter {}", t.filter), theme.warn));
            }
            if let Some(p) = &t.pending {
                v.push(Span::styled(format!("  {p}…"), theme.warn));
            }
            Line::from(v)
        }
        ConnState::Unreachable { .. } if t.quiet_default => Line::styled(
            "nothing configured: no Temporal server runs at the default address \
             (--temporal ADDRESS, TEMPORAL_ADDRESS or [temporal] address points helios at one)",
            theme.dim,
        ),
        ConnState::Unreachable {
            reason,
            at,
            retry_secs,
            ..
        } => {
            let data = match age {
                Some(a) => format!("showing data from {} ago · ", fmt_age(a)),
                None => "no data yet · ".to_string(),
            };
            // Counted down as the clock moves (it stood at the wait's length before).
            let waited = now.saturating_duration_since(*at).as_secs();
            let retry = match retry_secs.saturating_sub(waited) {
                0 => "retrying now".to_string(),
                left => format!("retrying in {left} s"),
            };
            Line::styled(format!("{data}{retry} · {reason}"), theme.error)
        }
    };
    // With no data yet there is no first line to show: no blank row above the reason.
    if first.is_empty() {
        return vec![second];
    }
    vec![Line::from(first), second]
}

fn status_style(s: WfStatus, theme: &Theme) -> Style {
    match s {
        WfStatus::Running => theme.ok,
        WfStatus::Failed | WfStatus::TimedOut => theme.error,
        WfStatus::Terminated | WfStatus::Canceled => theme.warn,
        _ => theme.dim,
    }
}

fn count_line(s: &Snapshot, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for st in WfStatus::ALL {
        let n = s.count(st);
        let style = if n == 0 {
            theme.dim
        } else {
            status_style(st, theme)
        };
        spans.push(Span::styled(format!("{st} {n}  "), style));
    }
    spans.push(Span::styled(format!("total {}", s.total), theme.text));
    Line::from(spans)
}

fn draw_table(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    snap: &Snapshot,
    age: Option<Duration>,
    theme: &Theme,
) {
    let t = &state.temporal;
    let title = format!(
        " workflows · page {}{} ",
        snap.page + 1,
        if snap.has_next_page { " · more ]" } else { "" }
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(title, theme.dim));
    if let Some(err) = &snap.query_error {
        let text = shown_lines([
            Line::styled(format!("filter rejected: {}", snap.query), theme.error),
            Line::styled(err.clone(), theme.error),
            Line::styled("press / to edit the filter", theme.dim),
        ]);
        frame.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    if snap.workflows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                if t.filter.is_empty() && t.lane_filter.is_none() {
                    "no workflows"
                } else {
                    "no workflows match the filter"
                },
                theme.dim,
            ))
            .block(block),
            area,
        );
        return;
    }
    let now = snap.taken_at + age.unwrap_or_default();
    let selected = t.selected_index();
    let widths = [
        Constraint::Fill(3),
        Constraint::Fill(2),
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Fill(2),
        Constraint::Length(6),
    ];
    let cols = crate::ui::column_widths(&widths, block.inner(area));
    let col = |c: usize| cols.get(c).copied().unwrap_or(0);
    let rows = snap.workflows.iter().enumerate().map(|(i, w)| {
        let style = if Some(i) == selected {
            theme.selected
        } else {
            theme.text
        };
        let mark = if Some(i) == selected { "›" } else { " " };
        Row::new(vec![
            // Ids, types and queues are whatever the workflows were started with.
            Cell::from(format!("{mark}{}", fit(&w.id, col(0).saturating_sub(1)))),
            Cell::from(fit(&w.workflow_type, col(1))),
            Cell::from(Span::styled(
                w.status.as_str(),
                status_style(w.status, theme),
            )),
            Cell::from(w.start_time.map(|s| fmt_time(s, now)).unwrap_or_default()),
            Cell::from(
                w.run_time(now)
                    .map(|d| fmt_age(d.try_into().unwrap_or_default()))
                    .unwrap_or_default(),
            ),
            Cell::from(fit(&w.task_queue, col(5))),
            Cell::from(w.history_length.to_string()),
        ])
        .style(style)
    });
    let header = Row::new([
        "ID", "TYPE", "STATUS", "STARTED", "RUN TIME", "QUEUE", "HIST",
    ])
    .style(theme.title);
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn draw_detail(frame: &mut Frame, area: Rect, t: &TemporalState, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(" detail ", theme.title));
    let lines = match (&t.detail, &t.detail_error) {
        (_, Some(e)) => vec![Line::styled(e.clone(), theme.error)],
        (None, None) => vec![Line::styled("loading…", theme.dim)],
        (Some(d), None) => detail_lines(d, theme),
    };
    frame.render_widget(
        Paragraph::new(shown_lines(lines))
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn detail_lines(d: &WorkflowDetail, theme: &Theme) -> Vec<Line<'static>> {
    let r = &d.row;
    let mut v = vec![
        Line::from(vec![
            Span::styled(r.id.clone(), theme.title),
            Span::raw("  "),
            Span::styled(r.status.as_str(), status_style(r.status, theme)),
        ]),
        Line::styled(
            format!("type {}  queue {}", r.workflow_type, r.task_queue),
            theme.text,
        ),
        Line::styled(format!("run {}", r.run_id), theme.dim),
    ];
    if let Some(p) = &d.parent {
        v.push(Line::styled(format!("parent {p}"), theme.text));
    }
    for c in &d.children {
        v.push(Line::styled(
            format!("child {} ({})", c.id, c.workflow_type),
            theme.text,
        ));
    }
    if let Some(f) = &d.failure {
        v.push(Line::styled(format!("failure: {}", f.message), theme.error));
        for c in &f.causes {
            v.push(Line::styled(format!("  caused by: {c}"), theme.error));
        }
        for l in f.stack_trace.lines().take(8) {
            v.push(Line::styled(format!("  {l}"), theme.dim));
        }
    }
    if !d.pending_activities.is_empty() {
        v.push(Line::styled("pending activities", theme.title));
    }
    for a in &d.pending_activities {
        let max = if a.maximum_attempts == 0 {
            "∞".to_string()
        } else {
            a.maximum_attempts.to_string()
        };
        v.push(Line::styled(
            format!(
                "  {} {} {} attempt {}/{max}",
                a.id, a.activity_type, a.state, a.attempt
            ),
            theme.text,
        ));
        if let Some(f) = &a.last_failure {
            v.push(Line::styled(format!("    last failure: {f}"), theme.error));
        }
    }
    v.push(Line::styled("recent events", theme.title));
    for e in &d.recent_events {
        let at = e
            .time
            .map(|t| format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()))
            .unwrap_or_default();
        v.push(Line::styled(
            format!("  {:>5} {at} {}", e.id, e.kind),
            theme.dim,
        ));
    }
    v
}

fn draw_queues(frame: &mut Frame, area: Rect, queues: &[QueueInfo], theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(" task queues ", theme.dim));
    let lines: Vec<Line> = queues
        .iter()
        .take(6)
        .map(|q| {
            let poll = q
                .last_poll()
                .map(|t| {
                    format!(
                        "last poll {:02}:{:02}:{:02}",
                        t.hour(),
                        t.minute(),
                        t.second()
                    )
                })
                .unwrap_or_default();
            let mut spans = vec![Span::styled(
                format!(
                    "{}  pollers {}  running {}  {poll}",
                    q.name,
                    q.pollers.len(),
                    q.running
                ),
                theme.text,
            )];
            if q.needs_attention() {
                spans.push(Span::styled(
                    "  ! no poller: nobody works on it",
                    theme.attention,
                ));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(shown_lines(lines)).block(block), area);
}

fn draw_input(frame: &mut Frame, area: Rect, t: &TemporalState, theme: &Theme) {
    let Some(e) = &t.editor else {
        return;
    };
    let label = match e.kind {
        EditKind::Filter => "filter (Temporal list query, empty for all): ".to_string(),
        EditKind::SignalName => "signal name: ".to_string(),
        EditKind::SignalInput => format!(
            "{} input (JSON, empty for none): ",
            e.signal_name.as_deref().unwrap_or_default()
        ),
        EditKind::TerminateReason => "terminate reason: ".to_string(),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(label, theme.title),
            Span::styled(format!("{}▏", e.text), theme.text),
        ]),
        Line::styled(
            e.error
                .clone()
                .unwrap_or_else(|| "Enter to submit, Esc to cancel".into()),
            if e.error.is_some() {
                theme.error
            } else {
                theme.dim
            },
        ),
    ];
    frame.render_widget(Paragraph::new(shown_lines(lines)), area);
}

/// `3s`, `4m12s`, `2h05m`, `3d04h`.
fn fmt_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

/// A start time: the time of day when it is today (UTC), else the date and time.
fn fmt_time(t: OffsetDateTime, now: OffsetDateTime) -> String {
    if t.date() == now.date() {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    } else {
        format!(
            "{:02}-{:02} {:02}:{:02}",
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }
}
