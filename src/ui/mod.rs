//! Pure drawing: `render(&AppState, ...)` into a ratatui frame. One file per panel or widget.
//!
//! The screen is the main area (lane list and live pane, the swarm grid, or another panel) over
//! a one-line status bar; prompts replace the status bar; help and confirm are overlays. The
//! geometry lives in [`layout`], shared by drawing and by [`pane_sizes`], so every lane's PTY is
//! sized to exactly the cells it is drawn into.

pub mod cache;
pub mod compact;
pub mod confirm;
pub mod events;
pub mod explain;
pub mod grid;
pub mod help;
pub mod lanes;
pub mod messages;
pub mod nats;
pub mod pane;
pub mod prompt;
pub mod share;
pub mod status;
pub mod temporal;

use std::cell::Cell;
use std::sync::LazyLock;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};

use crate::app::AppState;
use crate::app::action::Panel;
use crate::app::keymap::Keymap;
use crate::app::state::{Mode, PromptKind, View};
use crate::config::theme::Theme;
use crate::model::LaneId;
use crate::ui::cache::TileCache;

pub use crate::app::grid::GRID_MAX;

pub use crate::pty::ScreenSource;

/// Everything a widget needs to draw.
pub struct Ctx<'a> {
    /// The state.
    pub state: &'a AppState,
    /// Styles.
    pub theme: &'a Theme,
    /// The active keymap, for hints and help.
    pub keymap: &'a Keymap,
    /// The lanes' screens.
    pub screens: &'a dyn ScreenSource,
    /// Drawn screens kept across frames, when the caller keeps one.
    pub cache: Option<&'a TileCache>,
    /// Where the terminal's cursor goes, as last set with [`Ctx::set_cursor`].
    pub cursor: Cell<Option<Position>>,
}

impl Ctx<'_> {
    /// Put the terminal's cursor at `at` after this frame (the last call wins).
    pub fn set_cursor(&self, frame: &mut Frame, at: Position) {
        frame.set_cursor_position(at);
        self.cursor.set(Some(at));
    }
}

/// Where everything goes for the current state and terminal size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenLayout {
    /// The main area above the status line.
    pub main: Rect,
    /// The lane list (single view only).
    pub list: Option<Rect>,
    /// Each visible lane's pane, outer rect including its border.
    pub panes: Vec<(LaneId, Rect)>,
    /// The status (or prompt) line.
    pub status: Rect,
}

/// The lane list's width for a terminal width: about 30%, between 26 and 40 columns.
pub fn list_width(cols: u16) -> u16 {
    (cols.saturating_mul(3) / 10).clamp(26, 40).min(cols)
}

/// Compute the layout from the state alone.
pub fn layout(state: &AppState) -> ScreenLayout {
    let (cols, rows) = state.size;
    let area = Rect::new(0, 0, cols, rows);
    let [main, status] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let mut out = ScreenLayout {
        main,
        list: None,
        panes: Vec::new(),
        status,
    };
    if state.compact || state.panel != Panel::Lanes {
        return out;
    }
    match state.view {
        View::Single => {
            let [list, pane] =
                Layout::horizontal([Constraint::Length(list_width(cols)), Constraint::Min(0)])
                    .areas(main);
            out.list = Some(list);
            if let (Some(sel), true) = (state.selected_visible(), pane.width > 2 && pane.height > 2)
            {
                out.panes.push((sel.clone(), pane));
            }
        }
        View::Grid => out.panes = grid::tiles(state, main),
    }
    out
}

/// The size in cells (rows, cols) each visible lane's PTY should have for the current view, so
/// the runtime can resize them. Pure: derived from the state alone.
pub fn pane_sizes(state: &AppState) -> Vec<(LaneId, u16, u16)> {
    layout(state)
        .panes
        .into_iter()
        .map(|(id, r)| {
            let inner = pane::inner(r);
            (id, inner.height, inner.width)
        })
        .collect()
}

static DEFAULT_KEYMAP: LazyLock<Keymap> = LazyLock::new(Keymap::builtin_default);

/// Draw the whole screen with the default keymap's hints. Prefer [`render_with_keymap`].
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme, screens: &dyn ScreenSource) {
    render_with_keymap(frame, state, theme, &DEFAULT_KEYMAP, screens);
}

/// Draw the whole screen; hints and help show the keys of `keymap`.
pub fn render_with_keymap(
    frame: &mut Frame,
    state: &AppState,
    theme: &Theme,
    keymap: &Keymap,
    screens: &dyn ScreenSource,
) {
    render_cached(frame, state, theme, keymap, screens, None);
}

/// [`render_with_keymap`], reusing the lane screens in `cache` that did not change since it
/// was filled (the runtime keeps one across frames; the result is the same without it).
/// Returns where the terminal's cursor goes (also set on the frame), `None` to hide it.
pub fn render_cached(
    frame: &mut Frame,
    state: &AppState,
    theme: &Theme,
    keymap: &Keymap,
    screens: &dyn ScreenSource,
    cache: Option<&TileCache>,
) -> Option<Position> {
    if let Some(c) = cache {
        c.retain(|id| state.lane(id).is_some());
        c.begin_frame(nothing_over_tiles(state));
    }
    let area = frame.area();
    let ctx = Ctx {
        state,
        theme,
        keymap,
        screens,
        cache,
        cursor: Cell::new(None),
    };
    if state.compact {
        // The compact view has the full console's keys, so its prompt, questions and
        // overlays too: over the whole side pane, the prompt on its status line.
        let status = compact::render(frame, area, state, theme);
        overlays(frame, area, status, &ctx);
        return ctx.cursor.get();
    }
    let lay = layout(state);
    match state.panel {
        Panel::Events => events::render(frame, lay.main, state, theme),
        Panel::Nats => nats::render(frame, lay.main, state, theme),
        Panel::Temporal => temporal::render(frame, lay.main, state, theme),
        Panel::Lanes => {
            if let Some(list) = lay.list {
                lanes::render(frame, list, &ctx);
            }
            match state.view {
                View::Single => match lay.panes.first() {
                    Some((id, rect)) => pane::render(frame, *rect, &ctx, id, false),
                    None => pane::render_empty(frame, lay.main_right(), &ctx),
                },
                View::Grid => grid::render(frame, lay.main, &ctx, &lay.panes),
            }
        }
    }
    if !matches!(state.mode, Mode::Prompt(_)) {
        status::render(frame, lay.status, &ctx);
    }
    overlays(frame, lay.main, lay.status, &ctx);
    ctx.cursor.get()
}

/// What the mode draws over `main` (help, explain, messages, a question) or on the `status`
/// line (a prompt), and the share dialog over everything.
fn overlays(frame: &mut Frame, main: Rect, status: Rect, ctx: &Ctx<'_>) {
    match &ctx.state.mode {
        Mode::Prompt(p) => prompt::render(frame, status, ctx, p),
        Mode::Help => help::render(frame, main, ctx),
        Mode::Explain => explain::render(frame, main, ctx),
        Mode::Messages => messages::render(frame, main, ctx),
        Mode::Confirm(c) => confirm::render(frame, main, ctx, &c.question),
        Mode::Normal | Mode::Focus => {}
    }
    share::render_dialog(frame, frame.area(), ctx.state, ctx.theme);
}

/// Whether this frame draws nothing over the lane tiles: no help, question, palette list or
/// share dialog.
fn nothing_over_tiles(state: &AppState) -> bool {
    let overlay = match &state.mode {
        Mode::Help | Mode::Explain | Mode::Messages | Mode::Confirm(_) => true,
        Mode::Prompt(p) => p.kind == PromptKind::Palette,
        Mode::Normal | Mode::Focus => false,
    };
    !overlay && state.share.dialog.is_none()
}

impl ScreenLayout {
    /// The main area right of the lane list (where the single pane goes).
    pub fn main_right(&self) -> Rect {
        match self.list {
            Some(l) => Rect {
                x: l.right(),
                width: self.main.width.saturating_sub(l.width),
                ..self.main
            },
            None => self.main,
        }
    }
}

/// A rect of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Outside text (lane labels, branches, event fields, server words) as it is drawn: controls
/// and bidi controls shown as escapes, joiners dropped, so its width is what ratatui computes
/// (see [`crate::text::display`]). Lane screens are a separate matter: vt100 owns those cells.
pub fn shown(s: &str) -> String {
    crate::text::display(s).into_owned()
}

/// The width of each column a [`ratatui::widgets::Table`] lays out in `area` (its defaults:
/// spacing 1, flex start, no selection column), to cut a cell with `…` ([`fit`]) where the
/// table would clip it silently.
pub fn column_widths(widths: &[Constraint], area: Rect) -> Vec<usize> {
    // At x 0 as the table does: the solver rounds in absolute columns.
    Layout::horizontal(widths.iter().copied())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, area.width, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// `s` made [`shown`] and cut to `columns` with `…` when longer.
pub fn fit(s: &str, columns: usize) -> String {
    crate::text::truncate(&shown(s), columns)
}

/// Every span of `lines` made [`shown`], for panels whose lines mix helios's words with a
/// server's (workflow ids, stream names, error text).
pub fn shown_lines<'a>(
    lines: impl IntoIterator<Item = ratatui::text::Line<'a>>,
) -> Vec<ratatui::text::Line<'a>> {
    lines
        .into_iter()
        .map(|mut line| {
            for span in &mut line.spans {
                if let std::borrow::Cow::Owned(s) = crate::text::display(&span.content) {
                    span.content = s.into();
                }
            }
            line
        })
        .collect()
}

/// A short age like `4s`, `3m`, `2h`, `5d`.
pub fn age(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}
