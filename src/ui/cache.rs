//! Memo of each lane's drawn screen, so a frame copies the tiles whose lane printed nothing
//! since the last frame instead of converting their vt100 screens cell by cell again.
//!
//! Why: ratatui rebuilds the whole buffer every frame, and converting a vt100 screen costs far
//! more than copying cells (vt100 finds each cell's row afresh). A keystroke's echo changes one
//! tile, yet the grid redrew 25. The drawing stays a pure function of the state and the
//! screens: an entry is used only when the screen's version and the area are the ones it was
//! made from, so the output is the same with or without the cache.
//!
//! The one exception is asked for by the runtime: a frame drawn for a keystroke or the focused
//! lane may [`hold`](TileCache::hold) the other lanes at what they showed last (their screens keep
//! parsing; a background frame soon shows them), so an echo does not wait for 24 busy tiles.
//!
//! The cache also knows which tiles a frame copied with the very cells the frame before showed
//! at the same place ([`unchanged`](TileCache::unchanged)): the runtime's presenter leaves those
//! out of its comparison with the terminal, so a keystroke compares one tile, not 25.

use std::cell::{Cell as Flag, RefCell};
use std::collections::HashMap;

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;

use crate::model::LaneId;
use crate::ui::pane::Viewport;

/// Which lanes draw from their current screen.
#[derive(Debug, Default)]
enum Hold {
    /// Every lane (a full frame).
    #[default]
    Off,
    /// Only this one, or none.
    Except(Option<LaneId>),
}

/// One lane's cells as last drawn.
#[derive(Debug)]
struct Entry {
    version: u64,
    area: Rect,
    /// The part of the lane's screen the cells show (it follows the cursor).
    view: Viewport,
    cells: Vec<Cell>,
    /// The title drawn in the tile's border with these cells (see [`TileCache::titled`]).
    title: Option<String>,
}

/// The tiles drawn in the last frame and in the one being drawn.
#[derive(Debug, Default)]
struct Shown {
    /// (lane, area, version) of the tiles of the last frame, empty when it was not trusted. The
    /// three fix a tile's cells: drawing a screen version into an area always gives the same.
    last: Vec<(LaneId, Rect, u64)>,
    /// The same for this frame.
    this: Vec<(LaneId, Rect, u64)>,
    /// Whether this frame draws nothing over its tiles.
    trusted: bool,
    /// Tiles of this frame copied with the cells the last frame showed there.
    unchanged: Vec<Rect>,
}

/// The drawn screens of the lanes in the last frames. The runtime keeps one across frames.
#[derive(Debug, Default)]
pub struct TileCache {
    entries: RefCell<HashMap<LaneId, Entry>>,
    /// Whether lanes are held: drawn as before even when their screen changed.
    hold: RefCell<Hold>,
    /// A held lane showed older cells than its screen has.
    held_stale: Flag<bool>,
    /// What the last frames showed where.
    shown: RefCell<Shown>,
    /// Frames go through the runtime's presenter: unchanged tiles are not even copied.
    presented: bool,
    /// The view a tile redrawn alone moved to (lane, version, view), until the runtime says
    /// those cells are on the terminal ([`redrawn`](Self::redrawn)).
    moved: RefCell<Option<(LaneId, u64, Viewport)>>,
}

impl TileCache {
    /// A cache for frames written by the runtime's
    /// `Presenter` (runtime::present), which keeps what the terminal shows and
    /// leaves the [`unchanged`](Self::unchanged) tiles out: those are not copied into the frame
    /// at all, so the frame's buffer is blank there. Other callers use `default()`.
    pub fn presented() -> Self {
        Self {
            presented: true,
            ..Self::default()
        }
    }

    /// Copy the lane's cells into `area` of `buf` if they were drawn from this `version` at
    /// this very area, showing `view` of the screen (focus changes which columns a tile
    /// shows). True when it did.
    pub fn restore(
        &self,
        lane: &LaneId,
        version: u64,
        area: Rect,
        view: Viewport,
        buf: &mut Buffer,
    ) -> bool {
        let entries = self.entries.borrow();
        let Some(e) = entries.get(lane) else {
            return false;
        };
        if e.area != area || e.view != view || !fits(buf, area) {
            return false;
        }
        if e.version != version {
            let held =
                matches!(&*self.hold.borrow(), Hold::Except(live) if live.as_ref() != Some(lane));
            if !held {
                return false;
            }
            self.held_stale.set(true);
        }
        let mut shown = self.shown.borrow_mut();
        if shown.trusted {
            let tile = (lane.clone(), area, e.version);
            let same = shown.last.contains(&tile);
            shown.this.push(tile);
            if same {
                shown.unchanged.push(area);
                if self.presented {
                    // The presenter keeps these cells on screen and will not look at them.
                    return true;
                }
            }
        }
        let w = usize::from(area.width);
        for (row, y) in (area.y..area.bottom()).enumerate() {
            let at = buf.index_of(area.x, y);
            buf.content[at..at + w].clone_from_slice(&e.cells[row * w..(row + 1) * w]);
        }
        true
    }

    /// Remember what `area` of `buf` holds now as the lane's cells at `version`, showing `view`
    /// of its screen.
    pub fn store(&self, lane: &LaneId, version: u64, area: Rect, view: Viewport, buf: &Buffer) {
        if !fits(buf, area) {
            return;
        }
        let w = usize::from(area.width);
        let mut shown = self.shown.borrow_mut();
        if shown.trusted {
            shown.this.push((lane.clone(), area, version));
        }
        let mut entries = self.entries.borrow_mut();
        let e = entries.entry(lane.clone()).or_insert_with(|| Entry {
            version,
            area,
            view,
            cells: Vec::new(),
            title: None,
        });
        e.version = version;
        e.area = area;
        e.view = view;
        e.cells.clear();
        for y in area.y..area.bottom() {
            let at = buf.index_of(area.x, y);
            e.cells.extend_from_slice(&buf.content[at..at + w]);
        }
    }

    /// The lane's program title drawn in its tile's border this frame.
    pub fn titled(&self, lane: &LaneId, title: Option<&str>) {
        if let Some(e) = self.entries.borrow_mut().get_mut(lane)
            && e.title.as_deref() != title
        {
            e.title = title.map(str::to_string);
        }
    }

    /// Where the frame just drawn showed the lane's screen, if it showed it exactly as stored
    /// (a trusted frame: nothing over the tile) under a border with `title`: the area that a
    /// new version of the screen may be drawn into alone ([`redrawn`](Self::redrawn)), the
    /// version of the screen shown there, and the part of it shown.
    pub fn live_area(&self, lane: &LaneId, title: Option<&str>) -> Option<(Rect, u64, Viewport)> {
        let entries = self.entries.borrow();
        let e = entries.get(lane)?;
        let shown = self.shown.borrow();
        let on_screen = shown.trusted
            && shown
                .this
                .iter()
                .any(|(id, area, v)| id == lane && *area == e.area && *v == e.version);
        (on_screen && e.title.as_deref() == title).then_some((e.area, e.version, e.view))
    }

    /// The lane's cells at `version` (a buffer over exactly its [`live_area`](Self::live_area))
    /// are on the screen now, written alone after the last frame; only the `changed` rows
    /// differ from the stored ones.
    pub fn redrawn(&self, lane: &LaneId, version: u64, cells: &Buffer, changed: &[usize]) {
        let moved = self
            .moved
            .take()
            .filter(|(id, v, _)| id == lane && *v == version);
        let mut entries = self.entries.borrow_mut();
        let Some(e) = entries
            .get_mut(lane)
            .filter(|e| e.area == cells.area && e.cells.len() == cells.content.len())
        else {
            return;
        };
        e.version = version;
        if let Some((_, _, view)) = moved {
            e.view = view;
        }
        let w = usize::from(cells.area.width);
        for &row in changed {
            e.cells[row * w..(row + 1) * w]
                .clone_from_slice(&cells.content[row * w..(row + 1) * w]);
        }
        for tile in &mut self.shown.borrow_mut().this {
            if &tile.0 == lane {
                tile.2 = version;
            }
        }
    }

    /// The lane's tile is being redrawn alone at `version` showing `view`, another part of its
    /// screen than the stored cells: every row is redrawn, and once they are on the terminal
    /// ([`redrawn`](Self::redrawn)) the stored cells show `view`.
    pub fn moved(&self, lane: &LaneId, version: u64, view: Viewport) {
        *self.moved.borrow_mut() = Some((lane.clone(), version, view));
    }

    /// Start a frame. `trusted`: nothing will be drawn over the tiles (no overlay, dialog or
    /// palette), so they show on screen exactly as copied. Only then, and only after a trusted
    /// frame, are tiles reported [`unchanged`](Self::unchanged).
    pub fn begin_frame(&self, trusted: bool) {
        let mut shown = self.shown.borrow_mut();
        let shown = &mut *shown;
        // `this` holds tiles only when its frame was trusted.
        std::mem::swap(&mut shown.last, &mut shown.this);
        shown.this.clear();
        shown.unchanged.clear();
        shown.trusted = trusted;
    }

    /// Take nothing as shown any more: the screen was cleared (the first frame, a resize).
    pub fn forget_shown(&self) {
        self.shown.borrow_mut().this.clear();
    }

    /// The tiles of the frame just drawn that hold the very cells the frame before showed at the
    /// same place: what the terminal already shows there.
    pub fn unchanged(&self) -> Vec<Rect> {
        self.shown.borrow().unchanged.clone()
    }

    /// Draw the next frames with every lane but `live` (none when `None`) as it was last drawn,
    /// until [`release`](Self::release).
    pub fn hold(&self, live: Option<LaneId>) {
        *self.hold.borrow_mut() = Hold::Except(live);
        self.held_stale.set(false);
    }

    /// Draw every lane from its current screen again. True when a held lane showed older cells
    /// than its screen has since the last [`hold`](Self::hold): a full frame is still owed.
    pub fn release(&self) -> bool {
        *self.hold.borrow_mut() = Hold::Off;
        self.held_stale.replace(false)
    }

    /// Forget lanes that are no longer drawn.
    pub fn retain(&self, mut keep: impl FnMut(&LaneId) -> bool) {
        self.entries.borrow_mut().retain(|id, _| keep(id));
    }
}

/// Whether `area` lies inside the buffer (a frame's buffer always starts at the origin).
fn fits(buf: &Buffer, area: Rect) -> bool {
    !area.is_empty() && buf.area.intersection(area) == area
}
