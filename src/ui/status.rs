//! The status line: mode, a flash message or key hints, and the attention and lane counts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::action::Panel;
use crate::app::keymap::KeyMode;
use crate::app::state::{FlashLevel, Mode, View};
use crate::ui::{Ctx, shown};

/// The hints shown in normal mode, in order, while they fit: (commands, label).
const HINTS: &[(&[&str], &str)] = &[
    (&["lane.select_next", "lane.select_prev"], "select"),
    (&["lane.focus"], "focus"),
    (&["lane.create"], "new"),
    (&["lane.remove"], "rm"),
    (&["lane.send"], "send"),
    (&["view.toggle_grid"], "grid"),
    (&["lane.next_attention"], "next!"),
    (&["palette.open"], "cmd"),
    (&["filter.open"], "filter"),
];

/// The hints while the selected lane is scrolled back: `/` searches it, Esc goes back to live.
const SCROLLED_HINTS: &[(&[&str], &str)] = &[
    (&["lane.scroll_up", "lane.scroll_down"], "scroll"),
    (&["filter.open"], "search"),
    (&["app.cancel"], "live"),
    (&["palette.open"], "cmd"),
];

/// The hints while a search of the selected lane is shown: `n` and `N` step through it.
const SEARCH_HINTS: &[(&[&str], &str)] = &[
    (&["lane.next_attention", "search.newer"], "older/newer"),
    (&["lane.scroll_up", "lane.scroll_down"], "scroll"),
    (&["filter.open"], "search"),
    (&["app.cancel"], "live"),
];

/// Hints that always stay, at the end, however narrow the terminal.
const LAST_HINTS: &[(&[&str], &str)] = &[(&["help.toggle"], "help"), (&["app.quit"], "quit")];

/// The events panel's hints (its own keys), in order.
const EVENTS_HINTS: &[(&[&str], &str)] = &[
    (&["events.select_next", "events.select_prev"], "select"),
    (&["events.detail"], "JSON"),
];

/// The NATS panel's hints (its own keys).
const NATS_HINTS: &[(&[&str], &str)] = &[
    (&["nats.stream_next", "nats.stream_prev"], "stream"),
    (&["nats.sort"], "sort"),
    (&["nats.refresh"], "refresh"),
];

/// The Temporal panel's hints (its own keys).
const TEMPORAL_HINTS: &[(&[&str], &str)] = &[
    (&["temporal.select_next", "temporal.select_prev"], "select"),
    (&["temporal.detail"], "detail"),
    (&["temporal.filter"], "filter"),
    (&["temporal.next_page", "temporal.prev_page"], "page"),
    (&["temporal.signal"], "signal"),
    (&["temporal.cancel"], "cancel"),
    (&["temporal.terminate"], "terminate"),
    (&["temporal.reset"], "reset"),
    (&["temporal.lane_workflows"], "lane's"),
    (&["temporal.refresh"], "refresh"),
];

/// Keys of an open overlay that scrolls (help, an event's JSON).
const SCROLL_HINTS: &[(&str, &str)] = &[("j/k", "scroll"), ("pgdn/pgup", "page"), ("esc", "close")];

/// Keys of an open input line.
const INPUT_HINTS: &[(&str, &str)] = &[
    ("enter", "ok"),
    ("esc", "cancel"),
    ("ctrl-u", "clear"),
    ("ctrl-w", "word"),
];

/// Draw the status line into `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let state = ctx.state;
    let theme = ctx.theme;
    let base = theme.status;
    let badge = match (&state.mode, state.view) {
        // The dialog takes every key while it is open.
        _ if state.share.dialog.is_some() => " SHARE ".into(),
        (Mode::Focus, _) => format!(
            " FOCUS {} ",
            shown(state.focused.as_ref().map_or("", |l| l.as_str()))
        ),
        (Mode::Help, _) => " HELP ".into(),
        (Mode::Explain, _) => " WHY ".into(),
        (Mode::Messages, _) => " MESSAGES ".into(),
        (Mode::Confirm(_), _) => " CONFIRM ".into(),
        _ => match state.panel {
            Panel::Lanes if state.view == View::Grid => " GRID ".into(),
            Panel::Lanes => " LANES ".into(),
            Panel::Events => " EVENTS ".into(),
            Panel::Nats => " NATS ".into(),
            Panel::Temporal => " TEMPORAL ".into(),
        },
    };
    let mut right = Vec::new();
    let attention = state.attention_count();
    if attention > 0 {
        right.push(Span::styled(
            format!(" {attention} need you "),
            theme.attention.patch(base).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(t) = crate::ui::nats::status_text(state) {
        right.push(Span::styled(format!(" {t} "), theme.warn.patch(base)));
    }
    right.push(Span::styled(
        format!(
            " {} ",
            crate::text::plural(state.lanes.len(), "lane", "lanes")
        ),
        base,
    ));
    let mut left = vec![Span::styled(
        badge,
        base.add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    // A flash is what the user must read now: the counts on the right give way to it, the
    // lane count and outbox first, the attention count last.
    // A flash often quotes a lane name or a server's error.
    let flash = state.flash.as_ref().map(|f| (shown(&f.text), f.level));
    if let Some((text, _)) = &flash {
        let need = left[0].width() + 2 + crate::text::width(text);
        while right.len() > usize::from(attention > 0)
            && need + right.iter().map(Span::width).sum::<usize>() > area.width as usize
        {
            right.pop();
        }
    }
    let right_w: usize = right.iter().map(Span::width).sum();
    let room = (area.width as usize).saturating_sub(right_w + left[0].width() + 1);
    match &flash {
        Some((text, level)) => {
            let style = match level {
                FlashLevel::Info => base,
                FlashLevel::Error => theme
                    .error
                    .patch(base)
                    .fg(theme.error.fg.unwrap_or_default()),
            };
            let room = room.saturating_sub(1);
            // Cut: the messages overlay shows it whole, and the end says so.
            let whole = ctx
                .keymap
                .keys_for(KeyMode::Normal, "app.messages")
                .into_iter()
                .next()
                .map(|k| format!(" ({}: whole)", shown(&k)))
                .filter(|_| crate::text::width(text) > room);
            let more = whole.as_deref().unwrap_or_default();
            let cut = room.saturating_sub(crate::text::width(more));
            left.push(Span::styled(
                format!(" {}", crate::ui::lanes::truncate(text, cut)),
                style,
            ));
            if !more.is_empty() {
                left.push(Span::styled(more.to_string(), base));
            }
        }
        None => left.extend(hints(ctx, room)),
    }
    let left_w: usize = left.iter().map(Span::width).sum();
    let pad = (area.width as usize).saturating_sub(left_w + right_w);
    left.push(Span::styled(" ".repeat(pad), base));
    left.extend(right);
    frame.render_widget(Paragraph::new(Line::from(left)).style(base), area);
}

fn hints<'a>(ctx: &Ctx<'_>, room: usize) -> Vec<Span<'a>> {
    let base = ctx.theme.status;
    let key = ctx.theme.key.patch(base);
    let pairs: Vec<(String, String)> = match &ctx.state.mode {
        _ if ctx.state.share.dialog.is_some() => vec![(
            "esc".into(),
            "closes the share dialog (its keys are in it; no other works meanwhile)".into(),
        )],
        Mode::Focus => {
            let leave = ctx
                .keymap
                .keys_for(KeyMode::Focus, "lane.unfocus")
                .into_iter()
                .next()
                .map_or_else(|| "?".into(), |k| shown(&k));
            let ended = ctx
                .state
                .focused
                .as_ref()
                .and_then(|f| ctx.state.lane(f))
                .is_some_and(|l| l.status == crate::app::state::LaneStatus::Exited);
            if ended {
                let restart = ctx
                    .keymap
                    .keys_for(KeyMode::Normal, "lane.restart")
                    .into_iter()
                    .next()
                    .map_or_else(|| ":lane.restart".into(), |k| shown(&k));
                vec![
                    (leave, "leave focus, then".into()),
                    (restart, "restart: the lane's program has ended".into()),
                ]
            } else {
                vec![(
                    leave,
                    "leave focus; every other key goes to the lane".into(),
                )]
            }
        }
        Mode::Help | Mode::Messages => fixed(SCROLL_HINTS),
        Mode::Explain if crate::app::explain::scrolls(ctx.state) => fixed(SCROLL_HINTS),
        Mode::Explain => vec![("any key".into(), "closes".into())],
        Mode::Confirm(_) => vec![("y".into(), "yes".into()), ("n/esc".into(), "no".into())],
        _ if ctx.state.panel == Panel::Events && ctx.state.events.detail_top.is_some() => {
            fixed(SCROLL_HINTS)
        }
        _ if crate::app::temporal::keys::editor_open(ctx.state) => fixed(INPUT_HINTS),
        _ => {
            let last = key_hints(ctx, LAST_HINTS);
            let reserved: usize = last.iter().map(|(k, l)| hint_width(k, l)).sum();
            let mut used = reserved;
            // Each panel shows its own keys, then the way back to the lanes.
            let back = || key_hints(ctx, &[(&["panel.lanes"], "lanes")]);
            let first = match ctx.state.panel {
                // Scrolled back, `/` and `n` mean search, not filter and next lane.
                Panel::Lanes => {
                    let lane = ctx
                        .state
                        .selected_visible()
                        .and_then(|id| ctx.state.lane(id));
                    match lane {
                        Some(l) if l.search.is_some() => key_hints(ctx, SEARCH_HINTS),
                        Some(l) if l.scroll > 0 => key_hints(ctx, SCROLLED_HINTS),
                        _ => key_hints(ctx, HINTS),
                    }
                }
                Panel::Events => [
                    binding_hints(crate::app::events::DEFAULT_BINDINGS, EVENTS_HINTS),
                    back(),
                ]
                .concat(),
                Panel::Nats => [
                    binding_hints(crate::app::nats::keys::DEFAULT_BINDINGS, NATS_HINTS),
                    back(),
                ]
                .concat(),
                Panel::Temporal => [
                    binding_hints(crate::app::temporal::keys::DEFAULT_BINDINGS, TEMPORAL_HINTS),
                    back(),
                ]
                .concat(),
            };
            let mut pairs: Vec<(String, String)> = first
                .into_iter()
                .take_while(|(k, l)| {
                    used += hint_width(k, l);
                    used <= room
                })
                .collect();
            pairs.extend(last);
            pairs
        }
    };
    let mut out = Vec::new();
    let mut used = 0;
    for (k, label) in pairs {
        let w = hint_width(&k, &label);
        // The hint that does not fit whole is cut rather than dropped while its key and a few
        // letters fit: at 80 columns focus mode's only hint (how to leave it) was dropped.
        let label = if used + w > room {
            let left = room.saturating_sub(used + hint_width(&k, ""));
            if left < MIN_LABEL {
                break;
            }
            crate::text::truncate(&label, left)
        } else {
            label
        };
        used += hint_width(&k, &label);
        out.push(Span::styled(" ", base));
        out.push(Span::styled(k, key));
        out.push(Span::styled(format!(" {label}"), base));
        if used >= room {
            break;
        }
    }
    out
}

/// The fewest columns a cut hint's words keep (with its `…`); a hint with less room is left out.
const MIN_LABEL: usize = 6;

fn hint_width(key: &str, label: &str) -> usize {
    1 + crate::text::width(key) + 1 + crate::text::width(label)
}

fn fixed(hints: &[(&str, &str)]) -> Vec<(String, String)> {
    hints
        .iter()
        .map(|(k, l)| ((*k).to_string(), (*l).to_string()))
        .collect()
}

/// The first key of each hint's commands in a panel's own bindings.
fn binding_hints(bindings: &[(&str, &str)], hints: &[(&[&str], &str)]) -> Vec<(String, String)> {
    hints
        .iter()
        .filter_map(|(cmds, label)| {
            let keys: Vec<&str> = cmds
                .iter()
                .filter_map(|c| bindings.iter().find(|(_, n)| n == c).map(|(k, _)| *k))
                .collect();
            (!keys.is_empty()).then(|| (keys.join("/"), (*label).to_string()))
        })
        .collect()
}

/// The first key of each hint's commands in the active keymap; hints with no key are left out.
fn key_hints(ctx: &Ctx<'_>, hints: &[(&[&str], &str)]) -> Vec<(String, String)> {
    hints
        .iter()
        .filter_map(|(cmds, label)| {
            let keys: Vec<String> = cmds
                .iter()
                .filter_map(|c| ctx.keymap.keys_for(KeyMode::Normal, c).into_iter().next())
                .collect();
            // A keymap can bind any single character, a control or bidi one too.
            (!keys.is_empty()).then(|| (shown(&keys.join("/")), (*label).to_string()))
        })
        .collect()
}
