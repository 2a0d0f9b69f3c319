//! The NATS panel: server, traffic (from `/varz`), JetStream account, streams (sortable),
//! consumers of the selected stream (growing lag or redeliveries flagged) and KV buckets.
//! Also the status-line text for the outbox backlog.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};

use crate::app::AppState;
use crate::app::nats::{ConsumerRow, Link, NatsSnapshot, NatsState, StreamRow};
use crate::config::theme::Theme;
use crate::ui::{fit, shown, shown_lines};

/// Bytes as B, KiB, MiB, GiB.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)] // display only
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A short age: 4s, 3m, 2h, 5d.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

fn since(snap: &NatsSnapshot, t: Option<time::OffsetDateTime>) -> String {
    match (snap.taken_at, t) {
        (Some(now), Some(t)) => {
            let d = (now - t).max(time::Duration::ZERO);
            age(Duration::try_from(d).unwrap_or_default())
        }
        _ => "-".into(),
    }
}

fn limit(used: u64, max: Option<u64>) -> String {
    match max {
        Some(m) => format!("{} / {}", bytes(used), bytes(m)),
        None => format!("{} / unlimited", bytes(used)),
    }
}

/// The status-line text for the outbox: shown only while a sink has a backlog or an error.
pub fn status_text(state: &AppState) -> Option<String> {
    let parts: Vec<String> = state
        .nats
        .backlog
        .iter()
        .filter(|b| b.pending > 0 || b.error.is_some())
        .map(|b| match &b.error {
            Some(_) => format!("{} {} waiting (down)", b.sink, b.pending),
            None => format!("{} {} waiting", b.sink, b.pending),
        })
        .collect();
    (!parts.is_empty()).then(|| format!("outbox: {}", parts.join(", ")))
}

/// Draw the NATS panel into `area`: the title with the link state, the lines about the server
/// and the account, then the streams, the selected stream's consumers and the KV buckets.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let n = &state.nats;
    let block = title_block(state, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut head = link_lines(state, theme);
    let Some(snap) = &n.snapshot else {
        if head.is_empty() {
            head.push(Line::styled("waiting for the first refresh…", theme.dim));
        }
        // Nothing else to show: the reason wraps rather than being cut at a narrow width.
        frame.render_widget(
            Paragraph::new(shown_lines(head)).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    };
    server_lines(snap, theme, &mut head);
    let head_h = u16::try_from(head.len()).unwrap_or(u16::MAX);
    let streams = n.sorted_streams();
    let selected = n.selected_stream_name();
    let consumers: Vec<_> = snap
        .consumers
        .iter()
        .filter(|c| Some(&c.stream) == selected.as_ref())
        .collect();
    let rows_of = |k: usize| u16::try_from(k.max(1) + 2).unwrap_or(u16::MAX);
    let [h, s, c, kv, _] = Layout::vertical([
        Constraint::Length(head_h),
        Constraint::Length(rows_of(streams.len()).min(12)),
        Constraint::Length(rows_of(consumers.len()).min(8)),
        Constraint::Length(rows_of(snap.kv.len()).min(6)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    // Server names, versions and errors are the server's words.
    frame.render_widget(Paragraph::new(shown_lines(head)), h);
    frame.render_widget(
        streams_table(n, snap, &streams, selected.as_deref(), theme, s),
        s,
    );
    frame.render_widget(
        consumers_table(snap, &consumers, selected.as_deref(), theme),
        c,
    );
    frame.render_widget(kv_table(snap, theme), kv);
}

/// The panel's border, titled with the server and whether it is connected, stale or down.
fn title_block(state: &AppState, theme: &Theme) -> Block<'static> {
    let n = &state.nats;
    let (link, link_style) = match &n.link {
        Link::Connecting => ("connecting".to_string(), theme.dim),
        Link::Up if n.is_stale(state.now) => ("stale".to_string(), theme.warn),
        Link::Up => ("connected".to_string(), theme.ok),
        Link::Down { .. } if n.quiet_default => ("not configured".to_string(), theme.dim),
        Link::Down { .. } => ("unreachable".to_string(), theme.error),
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(" nats ", theme.title),
            Span::styled(format!("{} ", shown(&n.url)), theme.dim),
            Span::styled(format!("{link} "), link_style),
        ]))
}

/// Why the data is missing or old: the link's failure, or an overdue refresh.
fn link_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let n = &state.nats;
    let mut head: Vec<Line> = Vec::new();
    if matches!(n.link, Link::Down { .. }) && n.quiet_default {
        head.push(Line::styled(
            format!(
                "nothing configured: the default {} is not running, and no events are forwarded \
                 (--nats URL, NATS_URL or [nats] url points helios at a server)",
                shown(&n.url)
            ),
            theme.dim,
        ));
    } else if let Link::Down { reason } = &n.link {
        head.push(Line::styled(reason.clone(), theme.error));
        let fresh = n.fresh_at.map_or_else(
            || "no data yet".to_string(),
            |t| {
                format!(
                    "last data {} ago (stale)",
                    age(state.now.saturating_duration_since(t))
                )
            },
        );
        head.push(Line::styled(
            format!("{fresh}; reconnecting with backoff"),
            theme.dim,
        ));
    } else if n.is_stale(state.now)
        && let Some(t) = n.fresh_at
    {
        head.push(Line::styled(
            format!(
                "data is {} old (stale): refresh is overdue",
                age(state.now.saturating_duration_since(t))
            ),
            theme.warn,
        ));
    }
    head
}

/// The server, its traffic (from `/varz`) and its JetStream account, one line each.
fn server_lines(snap: &NatsSnapshot, theme: &Theme, head: &mut Vec<Line<'static>>) {
    head.push(Line::from(vec![
        Span::styled("server    ", theme.dim),
        Span::styled(
            format!(
                "{}  v{}  {}  rtt {}  up {}",
                snap.server_name,
                snap.version,
                snap.connected_url,
                snap.rtt_us
                    .map_or_else(|| "-".into(), |us| format!("{:.1} ms", us as f64 / 1000.0)),
                snap.varz.as_ref().map_or("-", |v| v.uptime.as_str()),
            ),
            theme.text,
        ),
    ]));
    if let Some(v) = &snap.varz {
        let rate = |r: Option<f64>| r.map_or_else(|| "…".to_string(), |x| format!("{x:.0}"));
        let brate = |r: Option<f64>| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // display only
            r.map_or_else(
                || "…".to_string(),
                |x| format!("{}/s", bytes(x.max(0.0) as u64)),
            )
        };
        head.push(Line::from(vec![
            Span::styled("traffic   ", theme.dim),
            Span::styled(
                format!(
                    "{} conns  in {} msg/s {}  out {} msg/s {}  slow consumers {}",
                    v.connections,
                    rate(v.in_msgs_per_s),
                    brate(v.in_bytes_per_s),
                    rate(v.out_msgs_per_s),
                    brate(v.out_bytes_per_s),
                    v.slow_consumers
                ),
                if v.slow_consumers > 0 {
                    theme.warn
                } else {
                    theme.text
                },
            ),
        ]));
    } else if let Some(e) = &snap.varz_error {
        head.push(Line::styled(e.clone(), theme.warn));
    }
    match &snap.account {
        Some(a) => head.push(Line::from(vec![
            Span::styled("jetstream ", theme.dim),
            Span::styled(
                format!(
                    "storage {}  memory {}  {} streams  {} consumers  api errors {}",
                    limit(a.storage, a.max_storage),
                    limit(a.memory, a.max_memory),
                    a.streams,
                    a.consumers,
                    a.api_errors
                ),
                if a.api_errors > 0 {
                    theme.warn
                } else {
                    theme.text
                },
            ),
        ])),
        None => head.push(Line::styled(
            "jetstream off on this server (start nats-server with -js)",
            theme.warn,
        )),
    }
    if let Some(c) = &snap.cluster {
        head.push(cluster_line(c, theme));
    }
}

/// `cluster c  3 nodes  n0 offline, unseen 12s (KV_HELIOS_LANES, HELIOS_EVENTS)`: a lost node
/// is the one thing a replicated setup shows when it loses one.
fn cluster_line(c: &crate::app::nats::ClusterHealth, theme: &Theme) -> Line<'static> {
    let mut text = format!("{}  {} nodes", c.name, c.nodes.len());
    for l in &c.lost {
        text.push_str("  ");
        text.push_str(&l.describe());
    }
    if c.lost.is_empty() {
        text.push_str("  all current");
    }
    Line::from(vec![
        Span::styled("cluster   ", theme.dim),
        Span::styled(
            text,
            if c.lost.is_empty() {
                theme.text
            } else {
                theme.warn
            },
        ),
    ])
}

/// The streams, sorted as chosen, the selected one marked.
fn streams_table<'a>(
    n: &NatsState,
    snap: &NatsSnapshot,
    streams: &[&StreamRow],
    selected: Option<&str>,
    theme: &Theme,
    area: Rect,
) -> Table<'a> {
    let title = |t: String| Line::styled(t, theme.title);
    let widths = [
        Constraint::Fill(2),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(4),
        Constraint::Length(12),
        Constraint::Length(6),
    ];
    // The block has a title and no borders: the table has the area's rows but one.
    let cols = crate::ui::column_widths(&widths, area);
    let col = |c: usize| cols.get(c).copied().unwrap_or(0);
    let stream_rows = streams.iter().map(|st| {
        let style = if selected == Some(st.name.as_str()) {
            theme.selected
        } else {
            theme.text
        };
        let mark = if selected == Some(st.name.as_str()) {
            "› "
        } else {
            "  "
        };
        Row::new(vec![
            format!("{mark}{}", fit(&st.name, col(0).saturating_sub(2))),
            fit(&st.subjects.join(","), col(1)),
            st.messages.to_string(),
            bytes(st.bytes),
            st.consumers.to_string(),
            format!("{}..{}", st.first_seq, st.last_seq),
            since(snap, st.last_at),
        ])
        .style(style)
    });
    Table::new(stream_rows, widths)
        .header(
            Row::new([
                "  STREAM", "SUBJECTS", "MSGS", "BYTES", "CONS", "SEQ", "LAST",
            ])
            .style(theme.dim),
        )
        .block(Block::default().title(title(format!(
            "streams ({} · sort: {})",
            streams.len(),
            n.sort.label()
        ))))
}

/// The selected stream's consumers; growing lag or redeliveries flagged.
fn consumers_table<'a>(
    snap: &NatsSnapshot,
    consumers: &[&ConsumerRow],
    selected: Option<&str>,
    theme: &Theme,
) -> Table<'a> {
    let title = |t: String| Line::styled(t, theme.title);
    let consumer_rows = consumers.iter().map(|cr| {
        let mut flags = Vec::new();
        if cr.lag_growing {
            flags.push("lag growing");
        }
        if cr.redeliveries_growing {
            flags.push("redelivering");
        }
        let style = if flags.is_empty() {
            theme.text
        } else {
            theme.warn
        };
        Row::new(vec![
            shown(&cr.name),
            cr.pending.to_string(),
            cr.ack_pending.to_string(),
            cr.redelivered.to_string(),
            cr.waiting.to_string(),
            since(snap, cr.last_active),
            flags.join(", "),
        ])
        .style(style)
    });
    Table::new(
        consumer_rows,
        [
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Fill(2),
        ],
    )
    .header(
        Row::new([
            "CONSUMER", "PENDING", "ACK PND", "REDELIV", "WAITING", "ACTIVE", "",
        ])
        .style(theme.dim),
    )
    .block(Block::default().title(title(format!(
        "consumers of {}",
        shown(selected.unwrap_or("-"))
    ))))
}

/// The KV buckets.
fn kv_table<'a>(snap: &NatsSnapshot, theme: &Theme) -> Table<'a> {
    let title = |t: String| Line::styled(t, theme.title);
    let kv_rows = snap.kv.iter().map(|k| {
        Row::new(vec![
            shown(&k.bucket),
            k.values.to_string(),
            k.history.to_string(),
            bytes(k.bytes),
        ])
    });
    Table::new(
        kv_rows,
        [
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(10),
        ],
    )
    .header(Row::new(["KV BUCKET", "VALUES", "HISTORY", "BYTES"]).style(theme.dim))
    .block(Block::default().title(title(format!("kv buckets ({})", snap.kv.len()))))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{cluster_line, link_lines};
    use crate::app::nats::{ClusterHealth, LostNode};
    use crate::config::theme::Theme;

    fn text(c: &ClusterHealth) -> String {
        let theme = Theme::default();
        let line = cluster_line(c, &theme);
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_cluster_line_names_a_lost_node_and_what_misses_it() {
        let mut c = ClusterHealth {
            name: "c".into(),
            nodes: vec!["n0".into(), "n1".into(), "n2".into()],
            lost: Vec::new(),
        };
        assert_eq!(text(&c), "cluster   c  3 nodes  all current");
        c.lost.push(LostNode {
            node: "n0".into(),
            why: "offline".into(),
            unseen_secs: 12,
            streams: vec!["KV_HELIOS_LANES".into(), "HELIOS_EVENTS".into()],
        });
        assert_eq!(
            text(&c),
            "cluster   c  3 nodes  n0 offline, unseen 12s (KV_HELIOS_LANES, HELIOS_EVENTS)"
        );
        let theme = Theme::default();
        assert_eq!(cluster_line(&c, &theme).spans[1].style, theme.warn);
    }

    #[test]
    fn the_default_url_nobody_set_is_not_configured_not_down() {
        use crate::app::AppState;
        use crate::app::nats::Link;
        let mut s = AppState::new(
            crate::model::RepoInfo {
                path: "/r".into(),
                name: "r".into(),
            },
            std::time::Instant::now(),
        );
        s.nats.url = "nats://127.0.0.1:4222".into();
        s.nats.link = Link::Down {
            reason: "connection refused".into(),
        };
        let theme = Theme::default();
        let text = |s: &AppState| -> String {
            link_lines(s, &theme)
                .iter()
                .flat_map(|l| l.spans.iter().map(|x| x.content.to_string()))
                .collect()
        };
        assert!(text(&s).contains("connection refused"));
        assert_eq!(link_lines(&s, &theme)[0].style, theme.error);
        s.nats.quiet_default = true;
        let t = text(&s);
        assert!(
            t.contains("nothing configured") && !t.contains("refused"),
            "{t}"
        );
        assert_eq!(link_lines(&s, &theme)[0].style, theme.dim);
        // Drawn at 80 columns, the line wraps: its end is there, not cut at the border.
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 10)).unwrap();
        term.draw(|f| super::render(f, f.area(), &s, &theme))
            .unwrap();
        let drawn: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect();
        assert!(drawn.contains("points helios at"), "{drawn}");
    }
}
