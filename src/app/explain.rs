//! The `e` overlay's text: why the selected lane is in its state. The state, since when, the
//! rule and signal that decided it, and every signal considered with its age and what was made
//! of it. Built here, as rows of styled pieces, so that the keys know how many rows there are to
//! scroll through (a lane with many signals is taller than a small terminal) and the drawing
//! shows the same rows.

use time::OffsetDateTime;

use crate::app::state::{AppState, Lane};

/// The column a signal's words start at, after its source.
const SAID_AT: usize = 13;
/// The column a signal's verdict starts at, after its arrow.
const VERDICT_AT: usize = SAID_AT + 2;

/// What the overlay says of a lane nothing was seen from yet (the list shows its terminal's
/// state, `running` or `idle`).
pub const NO_STATE: &str = "no state yet: helios has seen nothing from this lane yet";

/// How a piece of a row is drawn (the theme's colour for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// No style of its own (an indent).
    Plain,
    /// The state itself.
    State,
    /// Plain text.
    Text,
    /// A section's name.
    Title,
    /// A signal's source.
    Source,
    /// What is said about a signal, and what is not known.
    Dim,
}

/// One row: its pieces, in order.
pub type Row = Vec<(Tone, String)>;

/// The overlay's width on a screen `screen` columns wide: as wide as the screen allows up to 96
/// columns, then four fifths of it (a 160-column terminal gets 128), at most 140. The signals'
/// lines are long, and a wide screen has the room.
pub fn width(screen: u16) -> u16 {
    screen.min(96.max(screen / 5 * 4)).min(140)
}

/// The selected lane's explanation as the overlay shows it on this screen, if a lane is
/// selected.
pub fn selected_rows(state: &AppState) -> Option<Vec<Row>> {
    let lane = state.selected.as_ref().and_then(|id| state.lane(id))?;
    let inside = usize::from(width(state.size.0).saturating_sub(2));
    Some(rows(lane, state.clock, inside))
}

/// Whether the explanation is taller than the screen, so that keys scroll it.
pub fn scrolls(state: &AppState) -> bool {
    selected_rows(state).is_some_and(|r| r.len() > crate::app::help::page(state.size))
}

/// The rows of `lane`'s explanation, `width` columns wide inside the border, at `clock`.
/// Everything a lane or a hook said is made safe to show ([`crate::text::display`]).
pub fn rows(lane: &Lane, clock: Option<OffsetDateTime>, width: usize) -> Vec<Row> {
    let age = |secs: i64| crate::agent::decide::short_age(secs);
    let mut rows = Vec::new();
    match crate::app::agent::explanation(lane) {
        None => rows.push(vec![(Tone::Dim, NO_STATE.to_string())]),
        // The list shows the terminal's state meanwhile: the overlay does not call it unknown,
        // and lists the signals still missing.
        Some(d) if lane.agent.shown().is_none() => {
            rows.push(vec![(Tone::Dim, NO_STATE.to_string())]);
            rows.push(Vec::new());
            signals(&mut rows, &d, width);
        }
        Some(d) => {
            let since = clock.map_or(String::new(), |now| {
                format!(" · for {}", age((now - d.state.since).whole_seconds()))
            });
            let reason = if d.state.reason.is_empty() {
                String::new()
            } else {
                format!(" · {}", d.state.reason)
            };
            let head = format!("{}{reason}{since}", d.state.status.label());
            rows.extend(hanging(Vec::new(), &head, Tone::State, 2, width));
            let decided = format!("decided by {}: {}", d.state.source, d.why);
            rows.extend(hanging(Vec::new(), &decided, Tone::Text, 2, width));
            rows.push(Vec::new());
            signals(&mut rows, &d, width);
        }
    }
    rows
}

/// The signals considered, each with what was made of it.
fn signals(rows: &mut Vec<Row>, d: &crate::agent::Decision, width: usize) {
    rows.push(vec![(Tone::Title, "signals".to_string())]);
    for e in &d.evidence {
        let source = (
            Tone::Source,
            format!("{:<w$} ", shown(&e.source), w = SAID_AT - 1),
        );
        let said = format!("{}{}", e.said, e.age_note());
        rows.extend(hanging(vec![source], &said, Tone::Text, SAID_AT, width));
        let arrow = (Tone::Dim, format!("{:>w$}→ ", "", w = SAID_AT));
        rows.extend(hanging(
            vec![arrow],
            &e.verdict,
            Tone::Dim,
            VERDICT_AT,
            width,
        ));
    }
}

/// `text` ([`shown`]) after `first`, broken between words into rows of the columns `indent`
/// leaves of `width`; every row after the first starts at column `indent`, so a wrapped line
/// stays under the words it continues. `first` is `indent` wide, or empty for a line whose
/// later rows hang under it.
fn hanging(first: Row, text: &str, tone: Tone, indent: usize, width: usize) -> Vec<Row> {
    let lines = crate::app::help::wrap(&shown(text), width.saturating_sub(indent).max(8));
    let mut first = Some(first);
    lines
        .into_iter()
        .map(|line| {
            let mut row = first
                .take()
                .unwrap_or_else(|| vec![(Tone::Plain, " ".repeat(indent))]);
            row.push((tone, line));
            row
        })
        .collect()
}

/// What a lane or hook said, safe to draw.
fn shown(s: &str) -> String {
    crate::text::display(s).into_owned()
}
