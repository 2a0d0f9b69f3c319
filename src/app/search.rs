//! Search in a scrolled-back lane: `/` asks for the text, the runtime finds its lines (history
//! included, see `pty::search`), and `n` / `N` step to the next older / newer one. The view
//! scrolls so the line found sits mid-pane; the pane highlights the text.

use crate::app::state::{AppState, FlashLevel};
use crate::model::LaneId;

/// Where a search found its text in one lane (the runtime reads the screen, see
/// `pty::search::find`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The lines holding the text, oldest first (0: the oldest line kept).
    pub lines: Vec<usize>,
    /// How many lines of history sit above the screen.
    pub history: usize,
    /// The screen's rows.
    pub rows: usize,
}

/// A lane's search: the text and the lines that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// What was searched for.
    pub query: String,
    /// The lines found, oldest first (0: the oldest line kept).
    pub lines: Vec<usize>,
    /// Lines of history above the screen when it was searched.
    pub history: usize,
    /// The screen's rows.
    pub rows: usize,
    /// The line shown now (an index into `lines`).
    pub at: Option<usize>,
}

impl Search {
    /// The scroll offset that puts line `n` in the middle of the pane (at least 1: the view
    /// stays on the history it searched).
    fn offset_of(&self, n: usize) -> usize {
        (self.history + self.rows / 2)
            .saturating_sub(n)
            .clamp(1, self.history.max(1))
    }

    /// The line at the middle of the view scrolled back `scroll` lines.
    fn middle(&self, scroll: usize) -> usize {
        (self.history + self.rows / 2).saturating_sub(scroll)
    }
}

/// The runtime found `query` in `lane`: show the nearest line at or above the view's middle.
pub fn on_found(state: &mut AppState, lane: &LaneId, query: String, found: Found) {
    let Some(l) = state.lane_mut(lane) else {
        return;
    };
    let mut s = Search {
        query,
        lines: found.lines,
        history: found.history,
        rows: found.rows,
        at: None,
    };
    let middle = s.middle(l.scroll);
    s.at = s
        .lines
        .iter()
        .rposition(|n| *n <= middle)
        .or_else(|| s.lines.len().checked_sub(1));
    let text = match s.at {
        Some(i) => {
            l.scroll = s.offset_of(s.lines[i]);
            format!(
                "match {} of {} for {} · n older · N newer",
                i + 1,
                s.lines.len(),
                crate::text::quote(&s.query)
            )
        }
        None => format!(
            "{} is not in lane {lane}'s output",
            crate::text::quote(&s.query)
        ),
    };
    let level = if s.at.is_some() {
        FlashLevel::Info
    } else {
        FlashLevel::Error
    };
    l.search = Some(s);
    state.flash(level, &text);
}

/// `n` (older, `back`) or `N` (newer): the next line found. False when the selected lane has
/// no search to step (the key then does what it does outside a search).
pub fn step(state: &mut AppState, back: bool) -> bool {
    let Some(id) = state.selected_visible().cloned() else {
        return false;
    };
    let Some(l) = state.lane_mut(&id) else {
        return false;
    };
    let Some(s) = l.search.as_mut().filter(|_| l.scroll > 0) else {
        return false;
    };
    let Some(at) = s.at else {
        return true;
    };
    let next = if back {
        at.checked_sub(1)
    } else {
        Some(at + 1).filter(|n| *n < s.lines.len())
    };
    let text = match next {
        Some(n) => {
            s.at = Some(n);
            l.scroll = s.offset_of(s.lines[n]);
            format!(
                "match {} of {} for {}",
                n + 1,
                s.lines.len(),
                crate::text::quote(&s.query)
            )
        }
        None => format!(
            "no {} line holds {}",
            if back { "older" } else { "newer" },
            crate::text::quote(&s.query)
        ),
    };
    state.flash(FlashLevel::Info, &text);
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::app::{Event, update};
    use crate::model::{GitCounts, LaneInfo, LaneSource, RepoInfo};

    fn state_with_lane(label: &str) -> AppState {
        let mut s = AppState::new(
            RepoInfo {
                path: "/r".into(),
                name: "r".into(),
            },
            std::time::Instant::now(),
        );
        let info = LaneInfo {
            id: LaneId::new(label),
            branch: Some(label.into()),
            worktree: format!("/w/{label}").into(),
            source: LaneSource::Worktree,
            session_alive: true,
            git: GitCounts::default(),
        };
        update(&mut s, Event::LanesDiscovered { lanes: vec![info] });
        s
    }

    fn found() -> Found {
        Found {
            lines: vec![2, 40, 90, 105],
            history: 100,
            rows: 10,
        }
    }

    #[test]
    fn the_nearest_line_above_the_view_then_older_and_newer() {
        let mut state = state_with_lane("a");
        let id = LaneId::new("a");
        state.selected = Some(id.clone());
        state.lane_mut(&id).unwrap().scroll = 20;
        on_found(&mut state, &id, "x".into(), found());
        // The view's middle was line 85: line 40 is the nearest at or above it.
        let l = state.lane(&id).unwrap();
        assert_eq!(l.search.as_ref().unwrap().at, Some(1));
        assert_eq!(l.scroll, 65);
        assert!(step(&mut state, true));
        assert_eq!(state.lane(&id).unwrap().scroll, 100);
        assert!(step(&mut state, true));
        assert!(state.flash.as_ref().unwrap().text.contains("no older line"));
        assert!(step(&mut state, false));
        assert!(step(&mut state, false));
        assert!(step(&mut state, false));
        // Line 105 is on the screen: the view keeps one line of history.
        assert_eq!(state.lane(&id).unwrap().scroll, 1);
        // Back to the live view: n is the attention key again.
        state.lane_mut(&id).unwrap().scroll = 0;
        assert!(!step(&mut state, true));
    }

    #[test]
    fn nothing_found_says_so() {
        let mut state = state_with_lane("a");
        let id = LaneId::new("a");
        state.lane_mut(&id).unwrap().scroll = 5;
        on_found(
            &mut state,
            &id,
            "zz".into(),
            Found {
                history: 100,
                rows: 10,
                ..Found::default()
            },
        );
        assert_eq!(state.lane(&id).unwrap().scroll, 5);
        assert!(state.flash.as_ref().unwrap().text.contains("not in lane a"));
    }

    #[test]
    fn slash_in_a_scrolled_lane_searches_it_and_esc_goes_live() {
        use crate::app::action::PromptEdit;
        use crate::app::state::{Mode, PromptKind};
        use crate::app::{Action, Effect, Msg};
        let mut state = state_with_lane("a");
        let id = LaneId::new("a");
        state.selected = Some(id.clone());
        // Live: `/` filters the lanes.
        update(&mut state, Msg::Action(Action::OpenFilter));
        assert!(matches!(&state.mode, Mode::Prompt(p) if p.kind == PromptKind::Filter));
        update(&mut state, Msg::Action(Action::Cancel));
        state.lane_mut(&id).unwrap().scroll = 5;
        update(&mut state, Msg::Action(Action::OpenFilter));
        assert!(matches!(&state.mode, Mode::Prompt(p) if p.kind == PromptKind::Search));
        update(
            &mut state,
            Msg::Action(Action::PromptInput {
                edit: PromptEdit::Insert { text: "err".into() },
            }),
        );
        let effects = update(&mut state, Msg::Action(Action::PromptSubmit));
        assert_eq!(
            effects,
            vec![Effect::SearchLane {
                lane: id.clone(),
                query: "err".into()
            }]
        );
        on_found(&mut state, &id, "err".into(), found());
        assert!(state.lane(&id).unwrap().search.is_some());
        update(&mut state, Msg::Action(Action::Cancel));
        let l = state.lane(&id).unwrap();
        assert_eq!((l.scroll, l.search.is_none()), (0, true));
    }
}
