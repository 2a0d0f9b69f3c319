//! The share panel and the share dialog: tool and mode choice, the read-write confirmation,
//! the links with expiry, and who is attached where the tool reports it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::AppState;
use crate::app::share::DialogStep;
use crate::config::theme::Theme;
use crate::model::{Share, Tool};
use crate::ui::{shown, shown_lines};

fn until(s: &Share) -> String {
    format!("{:02}:{:02} UTC", s.expires.hour(), s.expires.minute())
}

/// Draw the share panel (every active share) into `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let mut lines = Vec::new();
    if state.share.shares.is_empty() {
        lines.push(Line::styled(
            "no active shares (S on a lane starts one)",
            theme.dim,
        ));
    }
    for s in &state.share.shares {
        lines.push(Line::from(vec![
            Span::styled(crate::text::pad(&shown(&s.lane), 16), theme.text),
            Span::styled(format!(" {:<6} {} ", s.tool.as_str(), s.mode()), theme.warn),
            Span::styled(format!("until {}", until(s)), theme.dim),
            Span::styled(format!("  {} attached", s.clients.len()), theme.dim),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(Span::styled(" shares ", theme.title)),
        ),
        area,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn choice(on: bool, text: &str, theme: &Theme) -> Span<'static> {
    if on {
        Span::styled(format!("[{text}]"), theme.selected)
    } else {
        Span::styled(format!(" {text} "), theme.dim)
    }
}

/// Draw the share dialog over `area` when one is open.
pub fn render_dialog(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(d) = &state.share.dialog else {
        return;
    };
    let mut lines = Vec::new();
    match &d.step {
        DialogStep::Choose => {
            lines.push(Line::from(vec![
                Span::raw("tool  "),
                choice(d.tool == Tool::Tmate, "t tmate", theme),
                Span::raw(" "),
                choice(d.tool == Tool::Upterm, "u upterm", theme),
            ]));
            lines.push(Line::from(vec![
                Span::raw("mode  "),
                choice(!d.rw, "read-only", theme),
                Span::raw(" "),
                choice(d.rw, "read-write", theme),
                Span::styled("  (r)", theme.dim),
            ]));
            lines.push(Line::raw(""));
            lines.push(Line::styled("⏎ start for 30m   esc cancel", theme.dim));
        }
        DialogStep::ConfirmRw => {
            lines.push(Line::styled(
                format!("Let guests TYPE into lane {}?", d.lane),
                theme.warn,
            ));
            lines.push(Line::raw("Anyone with the link can run commands in it."));
            lines.push(Line::raw(""));
            lines.push(Line::styled("y share read-write   n back", theme.dim));
        }
        DialogStep::Starting { since } => {
            lines.push(Line::raw(format!(
                "starting {} for {}",
                d.tool.as_str(),
                d.lane
            )));
            let waited = state.now.saturating_duration_since(*since).as_secs();
            lines.push(Line::from(vec![
                Span::raw(crate::app::share::waiting_text(
                    d.tool,
                    state.share.ready_timeout_secs,
                )),
                Span::styled(format!(" {waited} s"), theme.dim),
            ]));
        }
        DialogStep::Failed(err) => {
            lines.push(Line::styled(err.clone(), theme.error));
            lines.push(Line::raw(""));
            lines.push(Line::styled("⏎ try again   esc close", theme.dim));
        }
        DialogStep::Showing => match state.share.for_lane(d.lane.as_str()) {
            Some(s) => {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "{} {} ",
                            s.tool.as_str(),
                            if s.rw { "read-write" } else { "read-only" }
                        ),
                        if s.rw { theme.warn } else { theme.ok },
                    ),
                    Span::styled(format!("until {}", until(s)), theme.dim),
                ]));
                for l in &s.links {
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<4}", l.kind), theme.dim),
                        Span::raw(l.url.clone()),
                    ]));
                }
                if s.clients.is_empty() {
                    lines.push(Line::styled("nobody attached yet", theme.dim));
                } else {
                    lines.push(Line::raw(format!("attached: {}", s.clients.join(", "))));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled("c copy links   x stop   esc close", theme.dim));
            }
            None => lines.push(Line::styled("the share has ended", theme.dim)),
        },
    }
    let height = u16::try_from(lines.len()).unwrap_or(10) + 2;
    let rect = centered(area, 72, height + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        // Lane names, the tools' links and errors, and client names are all outside text.
        Paragraph::new(shown_lines(lines))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border_active)
                    .title(Span::styled(
                        format!(" share {} ", shown(d.lane.as_str())),
                        theme.title,
                    )),
            ),
        rect,
    );
}
