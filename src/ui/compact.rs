//! The compact view (`helios --compact`) for a narrow zellij side pane, 30 columns and up: the
//! lanes with status and attention badges, one health line each for NATS and Temporal, the
//! status line and a key hint. Same keys as the full console.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::agent::{Status, WaitKind};
use crate::app::AppState;
use crate::app::state::{Attention, FlashLevel, Lane, LaneStatus};
use crate::config::theme::Theme;
use crate::text;
use crate::ui::shown;

/// How healthy an integration looks, for one line of the compact view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthLevel {
    /// Connected and fine.
    Ok,
    /// Worth a look.
    Warn,
    /// Broken.
    Error,
    /// Not configured or not heard from yet.
    Unknown,
}

/// One health line: `name ● text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthLine {
    /// `nats`, `temporal`.
    pub name: &'static str,
    /// The dot's colour.
    pub level: HealthLevel,
    /// A few words.
    pub text: String,
}

/// What an integration's state says about its health in one line. The NATS and Temporal
/// owners extend these impls as their states grow; the compact view only calls `health()`.
pub trait Health {
    /// The one line.
    fn health(&self) -> HealthLine;
}

impl Health for crate::app::nats::NatsState {
    fn health(&self) -> HealthLine {
        use crate::app::nats::Link;
        let waiting: u64 = self.backlog.iter().map(|b| b.pending).sum();
        let stalled = self.backlog.iter().find_map(|b| b.error.as_ref());
        let (level, text) = match (&self.link, &self.snapshot) {
            (Link::Connecting, _) if self.url.is_empty() => {
                (HealthLevel::Unknown, "connecting".to_string())
            }
            (Link::Connecting, _) => (HealthLevel::Unknown, format!("connecting to {}", self.url)),
            (Link::Down { .. }, _) if self.quiet_default => {
                (HealthLevel::Unknown, "not configured".to_string())
            }
            (Link::Down { reason }, _) => (HealthLevel::Error, format!("down: {reason}")),
            (Link::Up, _) if stalled.is_some() => (
                HealthLevel::Warn,
                format!("{waiting} unsent: {}", stalled.map_or("", String::as_str)),
            ),
            (Link::Up, None) => (HealthLevel::Ok, "up".to_string()),
            (Link::Up, Some(snap)) => {
                let js = if snap.account.is_some() {
                    crate::text::plural(snap.streams.len(), "stream", "streams")
                } else {
                    "JetStream off".to_string()
                };
                if snap.account.is_none() || waiting > 0 {
                    let unsent = if waiting > 0 {
                        format!(" · {waiting} unsent")
                    } else {
                        String::new()
                    };
                    (HealthLevel::Warn, format!("up · {js}{unsent}"))
                } else {
                    (HealthLevel::Ok, format!("up · {js}"))
                }
            }
        };
        HealthLine {
            name: "nats",
            level,
            text,
        }
    }
}

impl Health for crate::app::temporal::TemporalState {
    fn health(&self) -> HealthLine {
        use crate::app::temporal::{ConnState, WfStatus};
        let (level, text) = match (&self.conn, &self.snapshot) {
            (ConnState::Connecting, _) => (HealthLevel::Unknown, "connecting".to_string()),
            (ConnState::Unreachable { .. }, _) if self.quiet_default => {
                (HealthLevel::Unknown, "not configured".to_string())
            }
            (
                ConnState::Unreachable {
                    reason, retry_secs, ..
                },
                _,
            ) => (
                HealthLevel::Error,
                format!("down (retry {retry_secs}s): {reason}"),
            ),
            (ConnState::Connected, None) => (HealthLevel::Ok, "up".to_string()),
            (ConnState::Connected, Some(snap)) => {
                let count = |s: WfStatus| {
                    snap.counts
                        .iter()
                        .filter(|(st, _)| *st == s)
                        .map(|(_, n)| n)
                        .sum::<u64>()
                };
                let (running, failed) = (count(WfStatus::Running), count(WfStatus::Failed));
                let text = format!("{running} running · {failed} failed");
                if failed > 0 {
                    (HealthLevel::Warn, text)
                } else {
                    (HealthLevel::Ok, text)
                }
            }
        };
        HealthLine {
            name: "temporal",
            level,
            text,
        }
    }
}

/// The key hint that fits `width` columns: the longest of three.
pub fn hint(width: usize) -> &'static str {
    const HINTS: [&str; 3] = [
        "j/k ⏎ pane  n next  S share  ? help",
        "⏎ pane n next S share ? help",
        "⏎ pane ? help",
    ];
    HINTS
        .iter()
        .find(|h| text::width(h) <= width)
        .copied()
        .unwrap_or(HINTS[2])
}

/// The one- to four-letter word for why a lane needs a human.
pub fn attention_word(a: &Attention) -> &'static str {
    match a {
        Attention::Agent(s) => match s {
            Status::Waiting(WaitKind::Permission) => "perm",
            Status::Waiting(WaitKind::Question) => "ask",
            Status::Waiting(WaitKind::Input) => "wait",
            Status::Error(_) => "err",
            Status::Done => "done",
            Status::Exited(_) => "exit",
            Status::Working | Status::Shell | Status::Unknown => "",
        },
        Attention::WorkflowFailed { .. } => "wf",
    }
}

fn status_mark(s: LaneStatus, theme: &Theme) -> Span<'static> {
    match s {
        LaneStatus::Running => Span::styled("●", theme.ok),
        LaneStatus::Idle => Span::styled("○", theme.dim),
        LaneStatus::Exited => Span::styled("✗", theme.error),
        LaneStatus::Missing => Span::styled("?", theme.warn),
    }
}

/// `s` made safe to draw (see [`shown`]) and cut to `width` columns.
fn truncate(s: &str, width: usize) -> String {
    text::truncate(&shown(s), width)
}

fn lane_line(state: &AppState, lane: &Lane, width: usize, theme: &Theme) -> Line<'static> {
    let selected = state.selected.as_ref() == Some(lane.id());
    let shared = state.share.for_lane(lane.id().as_str()).is_some();
    let badge = lane.attention.as_ref().map(attention_word);
    // "▶ ● label … ! bell ⇄": marker, status, label, badge, share mark.
    let tail = badge.map_or(0, |_| 6) + usize::from(shared) * 2;
    let label_w = width.saturating_sub(4 + tail).max(4);
    let mut spans = vec![
        Span::raw(if selected { "▶ " } else { "  " }),
        status_mark(lane.status, theme),
        Span::raw(" "),
        Span::styled(
            // Padded by display columns: `{:<w$}` counts characters, and a wide one would
            // push the badge out of line.
            text::pad(&truncate(lane.id().as_str(), label_w), label_w),
            if lane.attention.is_some() {
                theme.attention
            } else {
                theme.text
            },
        ),
    ];
    if let Some(b) = badge {
        spans.push(Span::styled(format!(" !{b:<4}"), theme.attention));
    }
    if shared {
        spans.push(Span::styled(" ⇄", theme.warn));
    }
    let row = Line::from(spans);
    if selected {
        row.style(theme.selected)
    } else {
        row
    }
}

fn health_line(h: &HealthLine, width: usize, theme: &Theme) -> Line<'static> {
    let style: Style = match h.level {
        HealthLevel::Ok => theme.ok,
        HealthLevel::Warn => theme.warn,
        HealthLevel::Error => theme.error,
        HealthLevel::Unknown => theme.dim,
    };
    Line::from(vec![
        Span::styled(format!("{:<9}", h.name), theme.text),
        Span::styled("● ", style),
        Span::styled(truncate(&h.text, width.saturating_sub(11)), style),
    ])
}

/// Draw the compact side-pane view (`--compact`) into `area`; returns its status line's area
/// (a prompt is drawn there).
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Rect {
    let attention = state.attention_count();
    let repo = shown(&state.repo.name);
    let title = if attention > 0 {
        format!(" {repo} · {attention}! ")
    } else {
        format!(" {repo} ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [lanes_area, health_area, status_area, hint_area] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let width = usize::from(inner.width);

    let visible: Vec<&Lane> = state.visible_lanes().collect();
    let rows = usize::from(lanes_area.height);
    // One row per lane, and a second with the state's reason and age for a lane that needs you.
    let mut all: Vec<Line> = Vec::new();
    let mut sel_end = 0;
    for l in &visible {
        all.push(lane_line(state, l, width, theme));
        if l.attention.is_some()
            && let Some(text) = crate::app::agent::summary(l, state.clock, width.saturating_sub(4))
        {
            all.push(Line::styled(
                format!("    {}", shown(&text)),
                theme.attention,
            ));
        }
        if state.selected.as_ref() == Some(l.id()) {
            sel_end = all.len();
        }
    }
    // Keep the selected lane in view.
    let first = sel_end.saturating_sub(rows);
    let lines: Vec<Line> = if visible.is_empty() {
        vec![Line::styled(
            if state.filter.is_empty() {
                "no lanes yet (c: new lane)"
            } else {
                "no lane matches the filter"
            },
            theme.dim,
        )]
    } else {
        all.into_iter().skip(first).take(rows).collect()
    };
    frame.render_widget(Paragraph::new(lines), lanes_area);

    let health = [state.nats.health(), state.temporal.health()];
    frame.render_widget(
        Paragraph::new(
            health
                .iter()
                .map(|h| health_line(h, width, theme))
                .collect::<Vec<_>>(),
        ),
        health_area,
    );

    let status = match &state.flash {
        Some(f) => Line::styled(
            truncate(&f.text, width),
            if f.level == FlashLevel::Error {
                theme.error
            } else {
                theme.text
            },
        ),
        None if !state.filter.is_empty() => Line::styled(
            truncate(
                &format!(
                    "{}/{} lanes · /{}",
                    visible.len(),
                    state.lanes.len(),
                    shown(&state.filter)
                ),
                width,
            ),
            theme.dim,
        ),
        None => Line::styled(
            truncate(
                &format!(
                    "{}, {} shared",
                    crate::text::plural(state.lanes.len(), "lane", "lanes"),
                    state.share.shares.len()
                ),
                width,
            ),
            theme.dim,
        ),
    };
    frame.render_widget(Paragraph::new(status), status_area);
    frame.render_widget(
        Paragraph::new(Line::styled(truncate(hint(width), width), theme.dim)),
        hint_area,
    );
    status_area
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::nats::{Link, NatsState, SinkBacklog};
    use crate::app::temporal::{ConnState, TemporalState};

    #[test]
    fn nats_health_follows_the_monitor() {
        let mut n = NatsState {
            url: "nats://127.0.0.1:4222".into(),
            ..NatsState::default()
        };
        assert_eq!(n.health().level, HealthLevel::Unknown);
        assert!(n.health().text.contains("127.0.0.1:4222"));
        n.link = Link::Down {
            reason: "connection refused".into(),
        };
        assert_eq!(n.health().level, HealthLevel::Error);
        assert_eq!(n.health().text, "down: connection refused");
        // The default URL nobody set, not running: nothing configured, not a failure.
        n.quiet_default = true;
        assert_eq!(n.health().level, HealthLevel::Unknown);
        assert_eq!(n.health().text, "not configured");
        n.quiet_default = false;
        n.link = Link::Up;
        assert_eq!(n.health().level, HealthLevel::Ok);
        n.backlog = vec![SinkBacklog {
            sink: "nats".into(),
            pending: 3,
            error: Some("stream HELIOS_EVENTS not found".into()),
        }];
        let h = n.health();
        assert_eq!(h.level, HealthLevel::Warn);
        assert_eq!(h.text, "3 unsent: stream HELIOS_EVENTS not found");
    }

    #[test]
    fn temporal_health_says_down_and_how_soon_again() {
        let mut t = TemporalState::default();
        assert_eq!(t.health().level, HealthLevel::Unknown);
        t.conn = ConnState::Unreachable {
            reason: "127.0.0.1:7233: connection refused".into(),
            since: std::time::Instant::now(),
            at: std::time::Instant::now(),
            retry_secs: 8,
        };
        let h = t.health();
        assert_eq!(h.level, HealthLevel::Error);
        assert_eq!(
            h.text,
            "down (retry 8s): 127.0.0.1:7233: connection refused"
        );
        // The default address nobody set: not configured, as NATS's.
        t.quiet_default = true;
        assert_eq!(t.health().level, HealthLevel::Unknown);
        assert_eq!(t.health().text, "not configured");
        t.conn = ConnState::Connected;
        assert_eq!(t.health().text, "up");
    }

    #[test]
    fn the_key_hint_fits_the_pane() {
        for w in [10, 13, 20, 28, 30, 40, 80] {
            assert!(text::width(hint(w)) <= w.max(13), "{w}: {}", hint(w));
        }
        assert!(hint(80).starts_with("j/k"));
        assert_eq!(hint(28), "⏎ pane n next S share ? help");
    }
}
