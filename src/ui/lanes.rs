//! The lane list: two lines per lane (label, kind and attention; status, age, git and workflow
//! counts), lanes needing attention first (the reducer keeps that order).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};

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
    let width = block.inner(area).width as usize;
    let items: Vec<ListItem> = visible
        .iter()
        .map(|lane| ListItem::new(vec![first_line(lane, theme, width), second_line(lane, ctx)]))
        .collect();
    let selected = state
        .selected
        .as_ref()
        .and_then(|s| visible.iter().position(|l| l.id() == s));
    let list = List::new(items)
        .block(block)
        .highlight_style(theme.selected);
    let mut list_state = ListState::default().with_selected(selected);
    frame.render_stateful_widget(list, area, &mut list_state);
}

fn first_line<'a>(lane: &Lane, theme: &Theme, width: usize) -> Line<'a> {
    let (glyph, style) = match (&lane.attention, lane.status) {
        (Some(_), _) => ("!", theme.attention),
        (None, LaneStatus::Running) => ("●", theme.ok),
        (None, LaneStatus::Idle) => ("○", theme.dim),
        (None, LaneStatus::Exited) => ("✗", theme.error),
        (None, LaneStatus::Missing) => ("?", theme.warn),
    };
    // par lanes live in tmux and outlive helios; plain worktree lanes are helios's own shells.
    let kind = if lane.info.is_durable() {
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

fn second_line<'a>(lane: &Lane, ctx: &Ctx<'_>) -> Line<'a> {
    let theme = ctx.theme;
    let mut spans = vec![Span::raw("  ")];
    if let Some(why) = &lane.attention {
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
    if let Some(at) = lane.last_output {
        let secs = ctx.state.now.saturating_duration_since(at).as_secs();
        spans.push(Span::styled(format!(" {}", age(secs)), theme.dim));
    }
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
    Line::from(spans)
}

/// Why a lane needs a human, in a few words.
pub fn attention_text(why: &Attention) -> String {
    match why {
        Attention::Bell => "needs you: bell".into(),
        // What a lane's program put in a notification (OSC 9/777): anything at all.
        Attention::Notified { text } => format!("says: {}", shown(text)),
        Attention::Exited => "needs you: exited".into(),
        Attention::Waiting { .. } => "waiting for input".into(),
        Attention::WorkflowFailed { id } => format!("workflow failed: {}", shown(id)),
    }
}

/// Cut `s` to `max` display columns, ending in `…` when cut (see [`text::truncate`]).
pub fn truncate(s: &str, max: usize) -> String {
    text::truncate(s, max)
}
