//! The lane list: two lines per lane (label, kind and attention; status, age, git and workflow
//! counts), lanes needing attention first (the reducer keeps that order).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};

use crate::agent::Status;
use crate::app::agent::Progress;
use crate::app::state::{Attention, Lane, LaneStatus};
use crate::app::temporal::lane_counts;
use crate::config::theme::Theme;
use crate::text;
use crate::ui::{Ctx, age, shown};

/// Draw the lane list into `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let state = ctx.state;
    let theme = ctx.theme;
    let visible: Vec<&Lane> = state.visible_lanes().collect();
    let mut title = vec![Span::styled(
        format!(" lanes {}/{} ", visible.len(), state.lanes.len()),
        theme.title,
    )];
    if state.fleet.unknown().is_some() {
        // The local lanes are all here; the other machines' are not known right now.
        title.push(Span::styled("other hosts unknown (NATS) ", theme.warn));
    }
    if !state.filter.is_empty() {
        title.push(Span::styled(
            format!("/{} ", shown(&state.filter)),
            theme.warn,
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    let width = inner.width as usize;
    let selected = state
        .selected
        .as_ref()
        .and_then(|s| visible.iter().position(|l| l.id() == s));
    // Only the lanes that fit are drawn (two lines each), as the list would scroll them: from
    // the top, or with the selected one last. 500 lanes cost what a screenful costs.
    let fit = usize::from(inner.height / 2).max(1);
    let first = selected.map_or(0, |s| (s + 1).saturating_sub(fit));
    let items: Vec<ListItem> = visible
        .iter()
        .skip(first)
        .take(fit)
        .map(|lane| {
            ListItem::new(vec![
                first_line(lane, theme, width),
                second_line(lane, ctx, width),
            ])
        })
        .collect();
    let list = List::new(items)
        .block(block)
        .highlight_style(theme.selected);
    let mut list_state = ListState::default().with_selected(selected.map(|s| s - first));
    frame.render_stateful_widget(list, area, &mut list_state);
}

fn first_line<'a>(lane: &Lane, theme: &Theme, width: usize) -> Line<'a> {
    let (glyph, style) = match (&lane.attention, lane.status) {
        (Some(_), _) => ("!", theme.attention),
        (None, LaneStatus::Exited) => ("✗", theme.error),
        (None, LaneStatus::Missing) => ("?", theme.warn),
        (None, _) => state_glyph(lane, theme),
    };
    // par lanes live in tmux and outlive helios; plain worktree lanes are helios's own shells.
    let kind = if lane.remote.is_some() {
        "ssh"
    } else if lane.info.is_durable() {
        "tmux"
    } else {
        "shell"
    };
    let label = shown(lane.id().as_str());
    let room = width.saturating_sub(3 + kind.len());
    let label = truncate(&label, room);
    let pad = width.saturating_sub(2 + text::width(&label) + kind.len());
    Line::from(vec![
        Span::styled(format!("{glyph} "), style),
        Span::styled(label, theme.text),
        Span::raw(" ".repeat(pad)),
        Span::styled(kind, theme.dim),
    ])
}

fn second_line<'a>(lane: &Lane, ctx: &Ctx<'_>, width: usize) -> Line<'a> {
    let theme = ctx.theme;
    let mut spans = vec![Span::raw("  ")];
    let mut room = width.saturating_sub(2);
    // A remote lane's data is as old as its host's last heartbeat: stale says so first.
    if let Some(r) = lane.remote.as_ref().filter(|r| r.stale) {
        // A serve that said it stopped is not just late.
        let what = if r.stopped { "serve stopped" } else { "stale" };
        let word = if r.age_secs == u64::MAX {
            format!("{what} ")
        } else {
            format!("{what} {} ", age(r.age_secs))
        };
        room = room.saturating_sub(word.len());
        spans.push(Span::styled(word, theme.warn));
    }
    // The counts go at the end, and the state's reason is what gives way to them: a long
    // reason otherwise filled the line and hid them.
    let counts = counts(lane, ctx);
    let used: usize = counts.iter().map(|s| crate::text::width(&s.content)).sum();
    let line = crate::app::agent::list_line(lane, ctx.state.clock, room.saturating_sub(used));
    if let Some(line) = &line {
        let style = if lane.attention.is_some() {
            theme.attention
        } else {
            state_style(lane, theme)
        };
        spans.push(Span::styled(shown(line), style));
        if let Some(p) = lane.agent.progress {
            spans.push(Span::styled(format!(" {}", gauge(p)), theme.dim));
        }
    } else if let Some(why) = &lane.attention {
        spans.push(Span::styled(attention_text(why), theme.attention));
    } else {
        let (word, style) = match lane.status {
            LaneStatus::Running => ("running", theme.ok),
            LaneStatus::Idle => ("idle", theme.dim),
            LaneStatus::Exited => ("exited", theme.error),
            LaneStatus::Missing => ("no session", theme.warn),
        };
        spans.push(Span::styled(word, style));
    }
    if line.is_none()
        && let Some(secs) =
            crate::app::agent::terminal_age_secs(lane, ctx.state.now, ctx.state.clock)
    {
        spans.push(Span::styled(format!(" {}", age(secs)), theme.dim));
    }
    spans.extend(counts);
    Line::from(spans)
}

/// A lane's git and workflow counts: ` ~1 ↑2 ↓3 wf▶1 wf✗1`, each only when not 0.
fn counts<'a>(lane: &Lane, ctx: &Ctx<'_>) -> Vec<Span<'a>> {
    let theme = ctx.theme;
    let mut spans = Vec::new();
    let g = &lane.info.git;
    if g.dirty > 0 {
        spans.push(Span::styled(format!(" ~{}", g.dirty), theme.warn));
    }
    if g.ahead > 0 {
        spans.push(Span::styled(format!(" ↑{}", g.ahead), theme.dim));
    }
    if g.behind > 0 {
        spans.push(Span::styled(format!(" ↓{}", g.behind), theme.dim));
    }
    let (running, failed) = lane_counts(&ctx.state.temporal, lane.id());
    if running > 0 {
        spans.push(Span::styled(format!(" wf▶{running}"), theme.ok));
    }
    if failed > 0 {
        spans.push(Span::styled(format!(" wf✗{failed}"), theme.error));
    }
    spans
}

/// Why a lane needs a human, in a few words.
pub fn attention_text(why: &Attention) -> String {
    match why {
        Attention::Agent(s) => s.label(),
        Attention::WorkflowFailed { id } => format!("workflow failed: {}", shown(id)),
    }
}

/// The glyph of a lane that needs no human: working, a shell, unknown.
fn state_glyph(lane: &Lane, theme: &Theme) -> (&'static str, ratatui::style::Style) {
    match lane.agent.shown().map(|s| s.status) {
        Some(Status::Working) => ("●", theme.ok),
        Some(Status::Shell) => ("$", theme.dim),
        Some(Status::Unknown) => ("?", theme.dim),
        _ if lane.status == LaneStatus::Running => ("●", theme.ok),
        _ => ("○", theme.dim),
    }
}

fn state_style(lane: &Lane, theme: &Theme) -> ratatui::style::Style {
    match lane.agent.shown().map(|s| s.status) {
        Some(Status::Working) => theme.ok,
        _ => theme.dim,
    }
}

/// An OSC 9;4 progress report as a short gauge: `[###--] 60%`, `[ busy ]`, `[paused 40%]`.
pub fn gauge(p: Progress) -> String {
    let bar = |n: u8| {
        let full = usize::from(n.min(100)) / 20;
        format!("[{}{}] {n}%", "#".repeat(full), "-".repeat(5 - full))
    };
    match p {
        Progress::Percent(n) => bar(n),
        Progress::Error(n) => format!("{} failed", bar(n)),
        Progress::Indeterminate => "[ busy ]".into(),
        Progress::Paused(n) => format!("[paused {n}%]"),
    }
}

/// Cut `s` to `max` display columns, ending in `…` when cut (see [`text::truncate`]).
pub fn truncate(s: &str, max: usize) -> String {
    text::truncate(s, max)
}
