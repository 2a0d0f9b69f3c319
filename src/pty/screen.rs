//! A lane's screen model: a vt100 parser behind its own mutex (locked briefly by the lane's
//! reader and by the renderer, never one lock over all lanes), the merged-notice flag, and the
//! callbacks that catch the bell and OSC 9 / OSC 777 notifications and answer terminal queries.

use std::cell::Cell;
use std::collections::HashMap;
use std::num::NonZeroU16;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::app::agent::Progress;
use crate::model::LaneId;
use crate::pty::ScreenSource;
use crate::pty::answers::{self, ExtraModes, QueryColors};
use crate::pty::csi_cap::{CsiCap, Piece};
use crate::pty::fixups::Fixups;
use crate::pty::rows::{self, RowLog, Rows};
use crate::pty::vt::{Callbacks, Parser, Screen};

/// What the parser saw in one chunk of output that needs a human.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notices {
    /// The lane rang the bell (BEL outside an escape sequence).
    pub bell: bool,
    /// The text of the last OSC 9 / OSC 777 notification.
    pub notify: Option<String>,
    /// The last OSC 9;4 progress report (`Some(None)`: progress removed).
    pub progress: Option<Option<Progress>>,
    /// Answers to the terminal queries in the chunk, for the lane's input (written back only
    /// where helios is the lane's terminal: not in tmux control mode, where tmux answered).
    pub replies: Vec<u8>,
    /// The lane is inside a synchronized update (mode 2026): its screen is not shown changed
    /// until the update ends, so no output notice is due.
    pub held: bool,
    /// The text the lane last put on the clipboard (OSC 52) in the chunk, decoded.
    pub clipboard: Option<String>,
}

/// The most of a lane's title kept (characters).
const TITLE_MAX: usize = 200;

/// The most of a lane's clipboard text passed on (bytes, decoded).
const CLIPBOARD_MAX: usize = 1 << 20;

/// How long a synchronized update may hold a lane's screen back (a program that never ends
/// one must not freeze its lane).
const SYNC_LIMIT: Duration = Duration::from_secs(1);

/// The parser's callbacks: what needs a human, the colours queries are answered with, and the
/// modes vt100 does not keep.
#[derive(Debug, Default)]
struct LaneCallbacks {
    notices: Notices,
    colors: QueryColors,
    extra: ExtraModes,
    /// When the open synchronized update began.
    sync_since: Option<Instant>,
    /// The window title the lane set (OSC 0 / OSC 2).
    title: Option<String>,
}

impl Callbacks for LaneCallbacks {
    fn audible_bell(&mut self, _: &mut Screen) {
        self.notices.bell = true;
    }

    fn set_window_title(&mut self, _: &mut Screen, title: &[u8]) {
        let title: String = String::from_utf8_lossy(title)
            .chars()
            .take(TITLE_MAX)
            .collect();
        self.title = (!title.is_empty()).then_some(title);
    }

    fn copy_to_clipboard(&mut self, _: &mut Screen, _ty: &[u8], data: &[u8]) {
        use base64::Engine as _;
        // vt100 checked the alphabet; a bad length still fails here, and is dropped.
        if let Ok(mut bytes) = base64::engine::general_purpose::STANDARD.decode(data) {
            bytes.truncate(CLIPBOARD_MAX);
            self.notices.clipboard = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
    }

    fn unhandled_osc(&mut self, _: &mut Screen, params: &[&[u8]]) {
        if let Some(text) = notification(params) {
            self.notices.notify = Some(text);
        } else if let Some(p) = progress(params) {
            self.notices.progress = Some(p);
        } else if let Some(reply) = answers::osc(&self.colors, params) {
            self.notices.replies.extend_from_slice(&reply);
        }
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        if let (Some(b'?'), None, 'h' | 'l') = (i1, i2, c) {
            if params.iter().any(|p| p.first() == Some(&2026)) {
                let on = c == 'h';
                self.extra.synchronized = on;
                self.sync_since = on.then(Instant::now);
            }
            return;
        }
        if let Some(reply) = answers::csi(screen, self.extra, i1, i2, params, c) {
            self.notices.replies.extend_from_slice(&reply);
        }
    }
}

/// The text of an OSC 9 (iTerm2/Windows Terminal: `9;TEXT`) or OSC 777 (urxvt/Ghostty:
/// `777;notify;TITLE;BODY`) notification. ConEmu's `9;N;...` subcommands (progress bars and
/// the like) are not notifications.
pub fn notification(params: &[&[u8]]) -> Option<String> {
    let text = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
    match params {
        [b"9", rest @ ..] if !rest.is_empty() => {
            let first = rest[0];
            if rest.len() > 1 && !first.is_empty() && first.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(rest.iter().map(|p| text(p)).collect::<Vec<_>>().join(";"))
        }
        [b"777", b"notify", title, body @ ..] => {
            let body = body.iter().map(|p| text(p)).collect::<Vec<_>>().join(";");
            let title = text(title);
            Some(match (title.is_empty(), body.is_empty()) {
                (_, true) => title,
                (true, false) => body,
                (false, false) => format!("{title}: {body}"),
            })
        }
        _ => None,
    }
}

/// An OSC 9;4 progress report (ConEmu, Windows Terminal): `9;4;STATE;PERCENT`, state 0
/// removes, 1 sets a percentage, 2 is an error, 3 is indeterminate, 4 is paused.
/// `Some(None)` is a removal; `None` is not a progress report.
pub fn progress(params: &[&[u8]]) -> Option<Option<Progress>> {
    let [b"9", b"4", rest @ ..] = params else {
        return None;
    };
    let num = |i: usize| -> u8 {
        rest.get(i)
            .and_then(|p| std::str::from_utf8(p).ok())
            .and_then(|t| t.parse::<u16>().ok())
            .map_or(0, |n| n.min(100) as u8)
    };
    let state = rest.first().map_or(&b"0"[..], |s| *s);
    Some(match state {
        b"0" | b"" => None,
        b"1" => Some(Progress::Percent(num(1))),
        b"2" => Some(Progress::Error(num(1))),
        b"3" => Some(Progress::Indeterminate),
        b"4" => Some(Progress::Paused(num(1))),
        _ => return None,
    })
}

/// Where screen versions come from: one counter for all screens, so a lane's new screen never
/// repeats a version its old one had.
static VERSIONS: AtomicU64 = AtomicU64::new(1);

/// The smallest screen the model keeps, whatever the pane's size (kept from vt100 0.16, which
/// panicked on smaller ones): vt100 0.16 panicked when text
/// wraps on a one-row screen (`Grid::col_wrap` subtracts the scrolled row from row 0) and when
/// a wide character is drawn on a one-column screen (`cols - width`), in release builds too
/// (upstream vt100-rust issue #37 and PR #29; found by the fuzz targets). The PTY keeps the
/// pane's real size; a one-row or one-column pane shows the top-left of a 2x2 screen.
const MIN_SIZE: u16 = 2;

/// The largest screen the model keeps: a control-mode lane follows the size tmux reports for
/// the window, and a program in the lane can make its own window 10000x10000 (tmux's limit);
/// vt100 would allocate every cell of it, about 4 GB per lane (found by the `tmux_control`
/// fuzz target with `%layout-change @0 b25d,65535x65535`). No terminal helios runs in is
/// wider or taller; a larger window shows its top-left part.
const MAX_SIZE: u16 = 1000;

/// Rows and columns as the model keeps them.
fn model_size(rows: u16, cols: u16) -> (NonZeroU16, NonZeroU16) {
    let clamp = |n: u16| NonZeroU16::new(n.clamp(MIN_SIZE, MAX_SIZE)).unwrap_or(NonZeroU16::MIN);
    (clamp(rows), clamp(cols))
}

/// A lane's parser, the filter in front of it and the state of the sequences carried out
/// there, behind one lock.
struct Model {
    parser: Parser<LaneCallbacks>,
    cap: CsiCap,
    fix: Fixups,
    /// Scrollback lines, for a screen that starts over.
    scrollback: usize,
    /// The rows each recent version changed.
    rows: RowLog,
}

thread_local! {
    /// Set while this thread runs the VT parser in [`Model::guarded`].
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic on this thread comes from a lane's VT parser and is contained there: the
/// console's panic hook then leaves the terminal alone.
pub fn panic_is_contained() -> bool {
    CONTAINED.with(Cell::get)
}

impl Model {
    fn new(size: (NonZeroU16, NonZeroU16), scrollback: usize, colors: QueryColors) -> Self {
        let callbacks = LaneCallbacks {
            colors,
            ..LaneCallbacks::default()
        };
        Self {
            parser: Parser::new_with_callbacks(size.0, size.1, scrollback, callbacks),
            cap: CsiCap::default(),
            fix: Fixups::default(),
            scrollback,
            rows: RowLog::default(),
        }
    }

    /// Run `f` on the model. vt100 may have panics left in it (0.16 had several: a wide
    /// character cut by a narrower resize stayed marked wide in the last column, and drawing
    /// there indexed past the row; found by the `lane_screen` fuzz target). Such a panic would
    /// end the lane's reader and, through the panic hook, the console's terminal mode; instead
    /// the lane starts over on a blank screen of the model's size.
    fn guarded<R: Default>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let size = self.parser.screen().size();
        CONTAINED.with(|c| c.set(true));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(self)));
        CONTAINED.with(|c| c.set(false));
        result.unwrap_or_else(|_| {
            let colors = self.parser.callbacks().colors;
            *self = Self::new(size, self.scrollback, colors);
            // Every row of the blank screen differs from what was drawn before.
            self.rows.touched(Rows::All);
            R::default()
        })
    }

    /// Feed output through the filter and the fixes into the parser, and log the rows it
    /// changed.
    fn feed(&mut self, bytes: &[u8]) -> Notices {
        let screen = self.parser.screen();
        let before = (self.cap.in_text() && screen.scrollback() == 0)
            .then(|| (screen.cursor_position(), screen.size().1.get()));
        let notices = self.feed_parser(bytes);
        let row = before.and_then(|(at, cols)| {
            rows::one_row(bytes, cols, at, self.parser.screen().cursor_position())
        });
        self.rows
            .touched(row.map_or(Rows::All, |r| Rows::Span(r, r)));
        notices
    }

    fn feed_parser(&mut self, bytes: &[u8]) -> Notices {
        let Self {
            parser, cap, fix, ..
        } = self;
        let (rows, cols) = parser.screen().size();
        let mut scratch = Vec::new();
        cap.filter(
            bytes,
            rows.get().max(cols.get()),
            &mut |piece| match piece {
                Piece::Bytes(b) => parser.process(b),
                Piece::Fix(f) => {
                    scratch.clear();
                    fix.apply(f, parser.screen(), &mut scratch);
                    parser.process(&scratch);
                    parser.callbacks_mut().extra.no_wrap = fix.no_wrap;
                }
            },
        );
        std::mem::take(&mut parser.callbacks_mut().notices)
    }
}

/// One lane's screen, its pending-notice flag, and its version.
pub struct LaneScreen {
    model: Mutex<Model>,
    pending: AtomicBool,
    version: AtomicU64,
    /// The version it started with: blank, nothing drawn yet.
    first: u64,
    /// How far the view is scrolled back (0: live).
    scroll: AtomicUsize,
    /// A par lane's history from tmux, shown instead of the live screen while the lane is
    /// scrolled back in attach mode (a `tmux attach` client's screen keeps no history).
    history: Mutex<Option<Parser<()>>>,
    /// That history is being read: how far back the view can go is not known yet.
    history_due: AtomicBool,
}

impl std::fmt::Debug for LaneScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaneScreen")
            .field("pending", &self.pending.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl LaneScreen {
    /// A blank screen of `rows` x `cols` keeping `scrollback` lines.
    pub fn new(rows: u16, cols: u16, scrollback: usize) -> Self {
        Self::with_colors(rows, cols, scrollback, QueryColors::default())
    }

    /// A blank screen whose colour queries are answered with `colors`.
    pub fn with_colors(rows: u16, cols: u16, scrollback: usize, colors: QueryColors) -> Self {
        let first = VERSIONS.fetch_add(1, Ordering::Relaxed);
        Self {
            model: Mutex::new(Model::new(model_size(rows, cols), scrollback, colors)),
            pending: AtomicBool::new(false),
            version: AtomicU64::new(first),
            first,
            scroll: AtomicUsize::new(0),
            history: Mutex::new(None),
            history_due: AtomicBool::new(false),
        }
    }

    /// Changes after every change to the screen (set while the lock is still held, after the
    /// change, so a reader that saw a version sees at least that screen).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Anything changed the screen since it was made: its program drew, or it was seeded (a
    /// par lane waiting for its tap is blank until then, which says nothing of its agent).
    pub fn drawn(&self) -> bool {
        self.version() != self.first
    }

    fn bump(&self) {
        let v = VERSIONS.fetch_add(1, Ordering::Relaxed);
        self.version.store(v, Ordering::Release);
    }

    /// A new version, its rows logged: done under the model's lock, so the log and the
    /// version never disagree about a screen someone reads.
    fn bump_logged(&self, m: &mut Model) {
        let from = self.version();
        self.bump();
        m.rows.versioned(from, self.version());
    }

    fn lock(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Feed output bytes; returns what needs a human in them.
    pub fn feed(&self, bytes: &[u8]) -> Notices {
        let mut m = self.lock();
        let mut notices = m.guarded(|m| m.feed(bytes));
        let cb = m.parser.callbacks();
        notices.held = cb.sync_since.is_some_and(|t| t.elapsed() < SYNC_LIMIT);
        if !notices.held {
            self.bump_logged(&mut m);
        }
        notices
    }

    /// Mark a notice as sent; returns true when one was already pending (so this one merges).
    pub fn mark_pending(&self) -> bool {
        self.pending.swap(true, Ordering::AcqRel)
    }

    /// The runtime handled the lane's notice: the next output sends a new one.
    pub fn clear_pending(&self) {
        self.pending.store(false, Ordering::Release);
    }

    /// Run `f` on the current screen, holding this lane's lock only for the call.
    pub fn with<R>(&self, f: impl FnOnce(&Screen) -> R) -> R {
        f(self.lock().parser.screen())
    }

    /// Run `f` on what the lane's pane shows: its history from tmux while it has one (see
    /// [`Self::set_history`]), else the current screen.
    pub fn with_view<R>(&self, f: impl FnOnce(&Screen) -> R) -> R {
        let history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = history.as_ref() {
            return f(h.screen());
        }
        drop(history);
        self.with(f)
    }

    /// Run `f` on what the lane's pane shows (as [`Self::with_view`]), its version, and the
    /// rows that may differ from the screen at version `since` ([`Rows::All`] when that is not
    /// known), all of one moment.
    pub fn with_changes<R>(&self, since: u64, f: impl FnOnce(&Screen, u64, Rows) -> R) -> R {
        let history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = history.as_ref() {
            return f(h.screen(), self.version(), Rows::All);
        }
        drop(history);
        let m = self.lock();
        let now = self.version();
        f(m.parser.screen(), now, m.rows.since(since, now))
    }

    /// How far the view is scrolled back (0: live).
    pub fn scroll(&self) -> usize {
        self.scroll.load(Ordering::Acquire)
    }

    /// The view's history is being read from tmux ([`Self::set_history`] brings it).
    pub fn expect_history(&self) {
        self.history_due.store(true, Ordering::Release);
    }

    /// How far back the view really is: [`Self::scroll`] stopped at the oldest line kept
    /// (`None` while the history is being read).
    pub fn scroll_reach(&self) -> Option<usize> {
        if self.history_due.load(Ordering::Acquire) {
            return None;
        }
        let history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = history.as_ref() {
            return Some(h.screen().scrollback());
        }
        drop(history);
        Some(self.lock().parser.screen().scrollback())
    }

    /// Show `captured` (tmux `capture-pane -p -e` of the whole history, one line per row) as
    /// the lane's view while it is scrolled back; ignored when the lane went live meanwhile.
    pub fn set_history(&self, captured: &[u8]) {
        if self.scroll() == 0 {
            return;
        }
        let (rows, cols) = self.size();
        let (rows, cols) = model_size(rows, cols);
        let lines = captured.split(|b| *b == b'\n').count();
        let mut parser = Parser::new(rows, cols, lines);
        // tmux ends each line with LF alone; the attributes of a line do not carry over.
        for line in captured.split(|b| *b == b'\n') {
            parser.process(line);
            parser.process(b"\x1b[0m\r\n");
        }
        parser.screen_mut().set_scrollback(self.scroll());
        *self.history.lock().unwrap_or_else(PoisonError::into_inner) = Some(parser);
        self.history_due.store(false, Ordering::Release);
        self.bump();
    }

    /// Resize the screen model (the PTY is resized by the caller).
    pub fn set_size(&self, rows: u16, cols: u16) {
        let (rows, cols) = model_size(rows, cols);
        let mut m = self.lock();
        m.guarded(|m| m.parser.screen_mut().set_size(rows, cols));
        m.rows.touched(Rows::All);
        self.bump_logged(&mut m);
    }

    /// Whether the model has the size [`LaneScreen::set_size`] would give it for `rows`x`cols`.
    pub fn has_size(&self, rows: u16, cols: u16) -> bool {
        let (r, c) = model_size(rows, cols);
        self.size() == (r.get(), c.get())
    }

    /// Scroll the view back `rows` lines (0: live, which drops the history from tmux).
    pub fn set_scroll(&self, rows: usize) {
        let mut m = self.lock();
        m.parser.screen_mut().set_scrollback(rows);
        self.scroll.store(rows, Ordering::Release);
        let mut history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        if rows == 0 {
            *history = None;
            self.history_due.store(false, Ordering::Release);
        } else if let Some(h) = history.as_mut() {
            h.screen_mut().set_scrollback(rows);
        }
        m.rows.touched(Rows::All);
        self.bump_logged(&mut m);
    }

    /// Every visible row and the cursor row; without the last row when `status_line` (an
    /// attached tmux client draws its status bar there).
    pub fn snapshot(&self, status_line: bool) -> crate::pty::Snapshot {
        self.with(|s| {
            let (rows, cols) = s.size();
            let (rows, cols) = (rows.get(), cols.get());
            let (cursor, _) = s.cursor_position();
            let keep = usize::from(rows).saturating_sub(usize::from(status_line));
            crate::pty::Snapshot {
                rows: s
                    .rows(0, cols)
                    .take(keep)
                    .map(|r| r.trim_end().to_string())
                    .collect(),
                cursor_row: usize::from(cursor),
            }
        })
    }

    /// The window title the lane's program set (OSC 0 or 2): outside text, to be escaped.
    pub fn title(&self) -> Option<String> {
        self.lock().parser.callbacks().title.clone()
    }

    /// The model's (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        self.with(|s| {
            let (rows, cols) = s.size();
            (rows.get(), cols.get())
        })
    }

    /// The whole visible text (for tests and the quiet check).
    pub fn contents(&self) -> String {
        self.with(Screen::contents)
    }

    /// Up to `n` non-empty lines ending at the cursor row, oldest first: what the quiet-lane
    /// prompt heuristic looks at.
    pub fn tail_at_cursor(&self, n: usize) -> Vec<String> {
        self.with(|s| {
            let (row, _) = s.cursor_position();
            let (_, cols) = s.size();
            let rows: Vec<String> = s.rows(0, cols.get()).take(usize::from(row) + 1).collect();
            let mut tail: Vec<String> = rows
                .into_iter()
                .rev()
                .map(|l| l.trim_end().to_string())
                .filter(|l| !l.trim().is_empty())
                .take(n)
                .collect();
            tail.reverse();
            tail
        })
    }

    /// The lane's input modes, for key and paste encoding.
    pub fn input_modes(&self) -> InputModes {
        self.with(|s| InputModes {
            app_cursor: s.application_cursor(),
            bracketed_paste: s.bracketed_paste(),
        })
    }
}

/// Terminal input modes the focused lane asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputModes {
    /// DECCKM: arrows send `ESC O A`.
    pub app_cursor: bool,
    /// The lane wants pastes wrapped in `ESC [200~ … ESC [201~`.
    pub bracketed_paste: bool,
}

/// Every lane's screen, by lane. The renderer reads it through [`ScreenSource`].
#[derive(Debug, Default, Clone)]
pub struct Screens {
    map: HashMap<LaneId, Arc<LaneScreen>>,
    /// A lane read from its pane's output (`pty/feed.rs`) while it is in front: the screen of
    /// its `tmux attach` client, shown instead once it has drawn anything (the version it
    /// started with), so a lane never shows blank while its client starts.
    front: Option<(LaneId, Arc<LaneScreen>, Option<u64>)>,
}

impl Screens {
    /// A lane's screen: the one shown for it.
    pub fn get(&self, lane: &LaneId) -> Option<&Arc<LaneScreen>> {
        match &self.front {
            Some((id, s, v0)) if id == lane && *v0 != Some(s.version()) => Some(s),
            _ => self.map.get(lane),
        }
    }

    /// A lane's own screen (not its front screen).
    pub fn own(&self, lane: &LaneId) -> Option<&Arc<LaneScreen>> {
        self.map.get(lane)
    }

    /// Add or replace a lane's screen.
    pub fn insert(&mut self, lane: LaneId, screen: Arc<LaneScreen>) {
        self.map.insert(lane, screen);
    }

    /// Forget a lane's screen.
    pub fn remove(&mut self, lane: &LaneId) {
        self.map.remove(lane);
        if self.front.as_ref().is_some_and(|(id, ..)| id == lane) {
            self.front = None;
        }
    }

    /// Show `screen` for `lane` once it has drawn, or at once when it `drawn` already
    /// (`None`: every lane shows its own again).
    pub fn set_front(&mut self, front: Option<(LaneId, Arc<LaneScreen>)>, drawn: bool) {
        self.front = front.map(|(lane, s)| {
            let v0 = (!drawn).then(|| s.version());
            (lane, s, v0)
        });
    }

    /// The lane's front screen is the one shown (see [`Screens::set_front`]).
    pub fn shows_front(&self, lane: &LaneId) -> bool {
        self.front
            .as_ref()
            .is_some_and(|(id, s, v0)| id == lane && *v0 != Some(s.version()))
    }
}

impl ScreenSource for Screens {
    fn with_screen(&self, lane: &LaneId, f: &mut dyn FnMut(&Screen)) {
        if let Some(s) = self.get(lane) {
            s.with_view(|screen| f(screen));
        }
    }

    fn version(&self, lane: &LaneId) -> Option<u64> {
        self.get(lane).map(|s| s.version())
    }

    fn with_changes(&self, lane: &LaneId, since: u64, f: &mut dyn FnMut(&Screen, u64, Rows)) {
        if let Some(s) = self.get(lane) {
            s.with_changes(since, f);
        }
    }

    fn title(&self, lane: &LaneId) -> Option<String> {
        self.get(lane).and_then(|s| s.title())
    }

    fn scroll_reach(&self, lane: &LaneId) -> Option<usize> {
        self.get(lane).and_then(|s| s.scroll_reach())
    }
}

#[cfg(test)]
mod tests;
