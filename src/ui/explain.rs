//! The `e` overlay: why the selected lane is in its state. The state, since when, the rule and
//! signal that decided it, and every signal considered with its age and what was made of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::ui::{Ctx, centered, shown};

/// The column a signal's words start at, after its source.
const SAID_AT: usize = 13;
/// The column a signal's verdict starts at, after its arrow.
const VERDICT_AT: usize = SAID_AT + 2;

/// What the overlay says of a lane nothing was seen from yet (the list shows its terminal's
/// state, `running` or `idle`).
const NO_STATE: &str = "no state yet: helios has seen nothing from this lane yet";

/// Draw the overlay over `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx<'_>) {
    let theme = ctx.theme;
    let Some(lane) = ctx
        .state
        .selected
        .as_ref()
        .and_then(|id| ctx.state.lane(id))
    else {
        return;
    };
    // As wide as the screen allows up to 96 columns, then four fifths of it (a 160-column
    // terminal gets 128): the signals' lines are long, and a wide screen has the room.
    let w = area.width.min(96.max(area.width / 5 * 4)).min(140);
    let width = usize::from(w.saturating_sub(2));
    let age = |secs: i64| crate::agent::decide::short_age(secs);
    let mut lines = Vec::new();
    match crate::app::agent::explanation(lane) {
        None => lines.push(Line::styled(NO_STATE, theme.dim)),
        // The list shows the terminal's state meanwhile: the overlay does not call it unknown,
        // and lists the signals still missing.
        Some(d) if lane.agent.shown().is_none() => {
            lines.push(Line::styled(NO_STATE, theme.dim));
            lines.push(Line::raw(""));
            signals(&mut lines, &d, ctx, width);
        }
        Some(d) => {
            let since = ctx.state.clock.map_or(String::new(), |now| {
                format!(" · for {}", age((now - d.state.since).whole_seconds()))
            });
            let reason = if d.state.reason.is_empty() {
                String::new()
            } else {
                format!(" · {}", d.state.reason)
            };
            let head = format!("{}{reason}{since}", d.state.status.label());
            lines.extend(hanging(Vec::new(), &head, theme.attention, 2, width));
            let decided = format!("decided by {}: {}", d.state.source, d.why);
            lines.extend(hanging(Vec::new(), &decided, theme.text, 2, width));
            lines.push(Line::raw(""));
            signals(&mut lines, &d, ctx, width);
        }
    }
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, w, h.clamp(5, area.height.max(5)));
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_active)
        .title(Span::styled(
            format!(" why: {} · any key closes ", shown(lane.id().as_str())),
            theme.title,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The signals considered, each with what was made of it.
fn signals(lines: &mut Vec<Line<'_>>, d: &crate::agent::Decision, ctx: &Ctx<'_>, width: usize) {
    let theme = ctx.theme;
    lines.push(Line::styled("signals", theme.title));
    for e in &d.evidence {
        let source = Span::styled(
            format!("{:<w$} ", shown(&e.source), w = SAID_AT - 1),
            theme.key,
        );
        let said = format!("{}{}", e.said, e.age_note());
        lines.extend(hanging(vec![source], &said, theme.text, SAID_AT, width));
        let arrow = Span::styled(format!("{:>w$}→ ", "", w = SAID_AT), theme.dim);
        lines.extend(hanging(
            vec![arrow],
            &e.verdict,
            theme.dim,
            VERDICT_AT,
            width,
        ));
    }
}

/// `text` ([`shown`]) after `first`, broken between words into rows of the columns `indent`
/// leaves of `width`; every row after the first starts at column `indent`, so a wrapped line
/// stays under the words it continues. `first` is `indent` wide, or empty for a line whose
/// later rows hang under it.
fn hanging<'a>(
    first: Vec<Span<'a>>,
    text: &str,
    style: Style,
    indent: usize,
    width: usize,
) -> Vec<Line<'a>> {
    let rows = crate::app::help::wrap(&shown(text), width.saturating_sub(indent).max(8));
    let mut first = Some(first);
    rows.into_iter()
        .map(|row| {
            let mut spans = match first.take() {
                Some(spans) => spans,
                None => vec![Span::raw(" ".repeat(indent))],
            };
            spans.push(Span::styled(row, style));
            Line::from(spans)
        })
        .collect()
}
