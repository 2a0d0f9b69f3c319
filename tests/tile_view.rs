//! A lane larger than its grid tile (it keeps the size the single pane gave it): the tile
//! follows the cursor, and the runtime's echo path (the focused tile redrawn alone) follows it
//! too, the terminal always ending as a fresh frame draws it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use std::sync::Arc;

use fixture::{run_keys, state_with};
use helios::app::AppState;
use helios::app::keymap::Keymap;
use helios::config::theme::Theme;
use helios::pty::{LaneScreen, Screens};
use helios::runtime::present::{Drawn, Presenter};
use helios::ui;
use helios::ui::cache::TileCache;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

/// The terminal as the runtime writes it: whole frames through the presenter, and the
/// focused tile alone.
struct Term {
    cache: TileCache,
    shown: Terminal<TestBackend>,
    presenter: Presenter,
    live: Buffer,
}

impl Term {
    fn new(st: &AppState, screens: &Screens) -> Self {
        let (cols, rows) = st.size;
        let mut t = Self {
            cache: TileCache::presented(),
            shown: Terminal::new(TestBackend::new(cols, rows)).unwrap(),
            presenter: Presenter::default(),
            live: Buffer::default(),
        };
        t.presenter.set_area(Rect::new(0, 0, cols, rows));
        t.frame(st, screens);
        t
    }

    fn frame(&mut self, st: &AppState, screens: &Screens) {
        let (theme, keymap, cache) = (Theme::default(), km(), &self.cache);
        self.presenter
            .draw(&mut self.shown, |f, blank| {
                if blank {
                    cache.forget_shown();
                }
                Drawn {
                    cursor: ui::render_cached(f, st, &theme, &keymap, screens, Some(cache)),
                    unchanged: cache.unchanged(),
                }
            })
            .unwrap();
    }

    /// The focused tile redrawn alone: how many rows, `None` when the path refuses.
    fn echo(&mut self, st: &AppState, screens: &Screens) -> Option<usize> {
        let tile = ui::pane::live_tile(st, screens, &self.cache, &mut self.live)?;
        let changed = self
            .presenter
            .patch(&mut self.shown, &self.live, tile.rows.clone(), tile.cursor)
            .unwrap()
            .expect("the presenter knows the screen");
        self.cache
            .redrawn(&tile.lane, tile.version, &self.live, &changed);
        Some(tile.rows.len())
    }

    /// Panics unless the terminal shows what a fresh frame of `st` draws, cursor included.
    fn assert_fresh(&self, st: &AppState, screens: &Screens, what: &str) {
        let (cols, rows) = st.size;
        let mut fresh = Terminal::new(TestBackend::new(cols, rows)).unwrap();
        fresh
            .draw(|f| ui::render_with_keymap(f, st, &Theme::default(), &km(), screens))
            .unwrap();
        let (a, b) = (self.shown.backend(), fresh.backend());
        let wrong: Vec<_> = a.buffer().diff(b.buffer());
        let first: Vec<_> = wrong
            .iter()
            .take(4)
            .map(|(x, y, c)| (x, y, c.symbol()))
            .collect();
        assert!(
            wrong.is_empty(),
            "{what}: {} cells differ, the first (x, y, fresh): {first:?}",
            wrong.len()
        );
        assert_eq!(a.cursor_visible(), b.cursor_visible(), "{what}");
        if b.cursor_visible() {
            assert_eq!(a.cursor_position(), b.cursor_position(), "{what}");
        }
    }
}

#[test]
fn typing_past_a_tiles_edge_follows_the_cursor_tile_alone() {
    let (mut st, _) = state_with(&["t0", "t1", "t2", "t3"], (120, 40));
    run_keys(&mut st, &km(), "z");
    let mut screens = Screens::default();
    let mut width = 0;
    for (id, rows, cols) in ui::pane_sizes(&st) {
        // Twice as wide and a few rows taller than its tile.
        let s = LaneScreen::new(rows + 5, cols * 2, 100);
        // Rows of text across the screen's width, which move when the view does.
        let ruler: String = (0..cols * 2 - 1)
            .map(|i| char::from(b'0' + (i % 10) as u8))
            .collect();
        for _ in 0..3 {
            s.feed(format!("{ruler}\r\n").as_bytes());
        }
        s.feed(b"$ ");
        screens.insert(id, Arc::new(s));
        width = cols;
    }
    run_keys(&mut st, &km(), "j<enter>");
    let id = st.focused.clone().unwrap();
    let mut t = Term::new(&st, &screens);
    t.assert_fresh(&st, &screens, "first frame");
    let (mut one, mut all) = (0, 0);
    for i in 0..2 * width - 4 {
        let c = [b'a' + u8::try_from(i % 26).unwrap()];
        screens.get(&id).unwrap().feed(&c);
        let rows = t.echo(&st, &screens).expect("the tile alone");
        if rows <= 1 {
            one += 1;
        } else {
            all += 1;
        }
        t.assert_fresh(&st, &screens, &format!("after {} keys", i + 1));
    }
    // Within the tile one row each; past its edge the view moves a column a key.
    assert!(one >= usize::from(width) - 4, "{one} one-row echoes");
    assert!(all >= usize::from(width) - 4, "{all} whole-tile echoes");
    let typed = format!("{:?}", t.shown.backend().buffer());
    assert!(!typed.contains("$ abc"), "the prompt scrolled out of view");
    // Back at the start of the line the view is at the left edge again.
    screens.get(&id).unwrap().feed(b"\r");
    assert!(t.echo(&st, &screens).is_some());
    t.assert_fresh(&st, &screens, "after a carriage return");
    assert!(format!("{:?}", t.shown.backend().buffer()).contains("$ abc"));
}
