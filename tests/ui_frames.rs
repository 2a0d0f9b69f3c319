//! Frames drawn from caches, through the presenter, and a lane's tile alone equal fresh frames
//! of the same state: what the console's fast paths write is what a whole redraw would show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{run_keys, state_with};
use helios::app::keymap::Keymap;
use helios::ui;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

/// The runtime reuses lane screens that did not change between frames (`ui::cache`). Frames
/// drawn that way must equal frames drawn from scratch while lanes print, resize, scroll back
/// and change focus, with some tiles unchanged in every step; a held frame shows only the live
/// lane's new output.
#[test]
fn cached_frames_equal_fresh_ones() {
    use helios::config::theme::Theme;
    use helios::ui::cache::TileCache;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let labels = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"];
    let (mut st, screens) = grid_with_screens(&labels, "$ ");
    let theme = Theme::default();
    let keymap = km();
    let (cols, rows) = st.size;
    let cache = TileCache::default();
    let mut kept = Terminal::new(TestBackend::new(cols, rows)).unwrap();
    let frame = |kept: &mut Terminal<TestBackend>, st: &helios::app::AppState| {
        kept.draw(|f| {
            ui::render_cached(f, st, &theme, &keymap, &screens, Some(&cache));
        })
        .unwrap();
        let mut fresh = Terminal::new(TestBackend::new(cols, rows)).unwrap();
        fresh
            .draw(|f| ui::render_with_keymap(f, st, &theme, &keymap, &screens))
            .unwrap();
        assert_eq!(kept.backend().buffer(), fresh.backend().buffer());
    };
    let lane = |i: usize| screens.get(&helios::lanes::LaneId::new(labels[i])).unwrap();

    frame(&mut kept, &st);
    frame(&mut kept, &st);
    lane(0).feed(b"cargo test\r\n\x1b[32mok\x1b[0m\r\n$ ");
    frame(&mut kept, &st);
    for i in 0..30 {
        lane(4).feed(format!("line {i}\r\n").as_bytes());
    }
    frame(&mut kept, &st);
    lane(2).set_size(5, 20);
    frame(&mut kept, &st);
    run_keys(&mut st, &km(), "j<enter>");
    frame(&mut kept, &st);
    run_keys(&mut st, &km(), "<c-g>k<pgup>");
    frame(&mut kept, &st);
    run_keys(&mut st, &km(), "<pgdn><pgdn>");
    lane(0).feed(b"x");
    frame(&mut kept, &st);

    // A held frame (the runtime's frame for a keystroke): the live lane shows its new output,
    // the others what they showed before, and release says a full frame is owed.
    let text = |kept: &Terminal<TestBackend>| format!("{:?}", kept.backend().buffer());
    let before = text(&kept);
    assert!(!before.contains("LIVE") && !before.contains("HELD"));
    lane(0).feed(b"LIVE");
    lane(5).feed(b"HELD");
    cache.hold(Some(helios::lanes::LaneId::new(labels[0])));
    kept.draw(|f| {
        ui::render_cached(f, &st, &theme, &keymap, &screens, Some(&cache));
    })
    .unwrap();
    let held = text(&kept);
    assert!(held.contains("LIVE") && !held.contains("HELD"), "{held}");
    assert!(cache.release());
    assert!(!cache.release());
    frame(&mut kept, &st);
    assert!(text(&kept).contains("HELD"));
}

/// The runtime's presenter writes only what changed, leaving out the tiles the cache copied
/// unchanged. Through output, focus, held frames, overlays over the tiles and a resize, the
/// terminal must always end exactly as a fresh frame draws it, cursor included.
#[test]
fn presented_frames_equal_fresh_ones() {
    use helios::lanes::LaneId;
    use helios::runtime::present::Presenter;
    use helios::ui::cache::TileCache;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let labels = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"];
    let (mut st, screens) = grid_with_screens(&labels, "界 $ ");
    let lane = |i: usize| screens.get(&LaneId::new(labels[i])).unwrap();
    let cache = TileCache::presented();
    let mut shown = Terminal::new(TestBackend::new(st.size.0, st.size.1)).unwrap();
    let mut presenter = Presenter::default();
    let mut skipped = 0;
    // Draws a frame; unless it is a held one, checks it against a fresh frame.
    let mut frame = |shown: &mut Terminal<TestBackend>, st: &helios::app::AppState, held: bool| {
        present(&mut presenter, shown, st, &screens, &cache);
        skipped += cache.unchanged().len();
        if !held {
            assert_like_fresh(shown, st, &screens);
        }
    };

    frame(&mut shown, &st, false);
    frame(&mut shown, &st, false);
    lane(0).feed(b"cargo test\r\n\x1b[42mok\x1b[0m\r\n$ ");
    frame(&mut shown, &st, false);
    for i in 0..30 {
        lane(4).feed(format!("line {i} 界界\r\n").as_bytes());
    }
    frame(&mut shown, &st, false);
    run_keys(&mut st, &km(), "j<enter>");
    lane(1).feed(b"typed");
    frame(&mut shown, &st, false);
    // Overlays over the tiles, drawn and taken away.
    run_keys(&mut st, &km(), "<c-g>?");
    frame(&mut shown, &st, false);
    run_keys(&mut st, &km(), "<esc>");
    frame(&mut shown, &st, false);
    run_keys(&mut st, &km(), ":lane");
    frame(&mut shown, &st, false);
    run_keys(&mut st, &km(), "<esc>");
    frame(&mut shown, &st, false);
    lane(3).feed(b"\x1b[2J\x1b[Hcleared");
    frame(&mut shown, &st, false);
    // A held frame, then the full frame it owes.
    lane(0).feed(b"LIVE");
    lane(5).feed(b"HELD");
    cache.hold(Some(LaneId::new(labels[0])));
    frame(&mut shown, &st, true);
    let text = format!("{:?}", shown.backend().buffer());
    assert!(text.contains("LIVE") && !text.contains("HELD"), "{text}");
    assert!(cache.release());
    frame(&mut shown, &st, false);
    // A resize: every tile moves, the screen is cleared and written whole.
    st.size = (100, 30);
    shown.backend_mut().resize(100, 30);
    for (id, rows, cols) in ui::pane_sizes(&st) {
        screens.get(&id).unwrap().set_size(rows, cols);
    }
    frame(&mut shown, &st, false);
    frame(&mut shown, &st, false);
    // A resize that leaves some tiles where they were: the screen is still cleared, so they
    // must be written again, not taken as shown.
    let before = ui::layout(&st).panes;
    st.size = (100, 31);
    shown.backend_mut().resize(100, 31);
    let after = ui::layout(&st).panes;
    assert!(
        before.iter().any(|p| after.contains(p)),
        "{before:?} {after:?}"
    );
    for (id, area) in after.iter().filter(|p| !before.contains(p)) {
        let inner = ui::pane::inner(*area);
        screens.get(id).unwrap().set_size(inner.height, inner.width);
    }
    frame(&mut shown, &st, false);
    assert!(
        skipped >= 8 * 3,
        "the unchanged tiles were left out only {skipped} times"
    );
}

/// Draw a frame of `st` as the runtime does: through the presenter, with the tile cache.
fn present(
    presenter: &mut helios::runtime::present::Presenter,
    shown: &mut ratatui::Terminal<ratatui::backend::TestBackend>,
    st: &helios::app::AppState,
    screens: &helios::pty::Screens,
    cache: &helios::ui::cache::TileCache,
) {
    let (theme, keymap) = (helios::config::theme::Theme::default(), km());
    presenter
        .draw(shown, |f, blank| {
            if blank {
                cache.forget_shown();
            }
            helios::runtime::present::Drawn {
                cursor: ui::render_cached(f, st, &theme, &keymap, screens, Some(cache)),
                unchanged: cache.unchanged(),
            }
        })
        .unwrap();
}

/// The terminal `shown` holds exactly what a fresh frame of `st` draws, cursor included.
fn assert_like_fresh(
    shown: &ratatui::Terminal<ratatui::backend::TestBackend>,
    st: &helios::app::AppState,
    screens: &helios::pty::Screens,
) {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let (cols, rows) = st.size;
    let mut fresh = Terminal::new(TestBackend::new(cols, rows)).unwrap();
    fresh
        .draw(|f| {
            ui::render_with_keymap(
                f,
                st,
                &helios::config::theme::Theme::default(),
                &km(),
                screens,
            );
        })
        .unwrap();
    let (a, b) = (shown.backend(), fresh.backend());
    // Compared as ratatui's diff sees them: the column after a wide character is covered by
    // it on screen, and may keep older cells in the test backend.
    let wrong: Vec<(u16, u16, String, String)> = a
        .buffer()
        .diff(b.buffer())
        .into_iter()
        .map(|(x, y, c)| {
            (
                x,
                y,
                a.buffer()[(x, y)].symbol().to_string(),
                c.symbol().to_string(),
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "cells (x, y, shown, fresh) differ: {wrong:?}"
    );
    assert_eq!(a.cursor_visible(), b.cursor_visible());
    if b.cursor_visible() {
        assert_eq!(a.cursor_position(), b.cursor_position());
    }
}

/// The runtime's echo path redraws the focused lane's tile alone when nothing else changed.
/// Through typing, colours, wide characters, line edits, a clear and a hidden cursor the
/// terminal must end exactly as a fresh frame draws it; and whenever the last frame did not
/// show that tile as the cache holds it (an overlay, a new title, a scrolled lane) the path
/// must refuse, leaving the whole frame to the runtime.
#[test]
fn live_tiles_equal_fresh_frames() {
    use helios::lanes::LaneId;
    use helios::runtime::present::Presenter;
    use helios::ui::cache::TileCache;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;

    let labels = ["c0", "c1", "c2", "c3", "c4", "c5"];
    let (mut st, screens) = grid_with_screens(&labels, "$ ");
    let lane = |i: usize| screens.get(&LaneId::new(labels[i])).unwrap();
    let cache = TileCache::presented();
    let mut shown = Terminal::new(TestBackend::new(st.size.0, st.size.1)).unwrap();
    let mut presenter = Presenter::default();
    // The runtime tells the presenter the size the state was laid out for.
    presenter.set_area(ratatui::layout::Rect::new(0, 0, st.size.0, st.size.1));
    let mut live = Buffer::default();
    let frame = |shown: &mut Terminal<TestBackend>,
                 st: &helios::app::AppState,
                 presenter: &mut Presenter| {
        present(presenter, shown, st, &screens, &cache);
        assert_like_fresh(shown, st, &screens);
    };
    // Redraws the focused tile alone and, when `alone` (nothing else changed), checks the
    // terminal against a fresh frame; false when the path refuses.
    let mut echo = |shown: &mut Terminal<TestBackend>,
                    st: &helios::app::AppState,
                    presenter: &mut Presenter,
                    alone: bool| {
        let Some(tile) = ui::pane::live_tile(st, &screens, &cache, &mut live) else {
            return false;
        };
        let changed = presenter
            .patch(shown, &live, tile.rows.clone(), tile.cursor)
            .unwrap()
            .expect("the presenter knows the screen");
        cache.redrawn(&tile.lane, tile.version, &live, &changed);
        if alone {
            assert_like_fresh(shown, st, &screens);
        }
        true
    };
    frame(&mut shown, &st, &mut presenter);
    run_keys(&mut st, &km(), "j<enter>");
    assert_eq!(st.focused, Some(LaneId::new(labels[1])));
    frame(&mut shown, &st, &mut presenter);
    for bytes in [
        &b"c"[..],
        b"argo",
        b" [31mtest[0m",
        "  界界 ok".as_bytes(),
        b"[K",
        b"
$ ",
        b"[?25l",
        b"[?25h[2J[Hcleared",
    ] {
        lane(1).feed(bytes);
        assert!(echo(&mut shown, &st, &mut presenter, true), "{bytes:?}");
    }
    // Other lanes printed meanwhile: the whole frame that follows is right too.
    lane(0).feed(b"elsewhere");
    lane(1).feed(b" more");
    assert!(echo(&mut shown, &st, &mut presenter, false));
    let text = format!("{:?}", shown.backend().buffer());
    assert!(
        text.contains("cleared more") && !text.contains("elsewhere"),
        "{text}"
    );
    frame(&mut shown, &st, &mut presenter);
    // A new title in the border: only a whole frame draws it.
    lane(1).feed(b"]2;building");
    assert!(!echo(&mut shown, &st, &mut presenter, true));
    frame(&mut shown, &st, &mut presenter);
    lane(1).feed(b"x");
    assert!(echo(&mut shown, &st, &mut presenter, true));
    // An overlay over the tiles.
    run_keys(&mut st, &km(), "<c-g>?");
    frame(&mut shown, &st, &mut presenter);
    lane(1).feed(b"y");
    assert!(!echo(&mut shown, &st, &mut presenter, true));
    frame(&mut shown, &st, &mut presenter);
}

/// A terminal that shows whole frames and the focused tile redrawn alone, written as the
/// runtime writes them.
struct LiveTerm {
    cache: helios::ui::cache::TileCache,
    term: ratatui::Terminal<ratatui::backend::TestBackend>,
    presenter: helios::runtime::present::Presenter,
    live: ratatui::buffer::Buffer,
}

impl LiveTerm {
    /// The terminal showing a first whole frame of `st`.
    fn new(st: &helios::app::AppState, screens: &helios::pty::Screens) -> Self {
        let (cols, rows) = st.size;
        let mut t = LiveTerm {
            cache: helios::ui::cache::TileCache::presented(),
            term: ratatui::Terminal::new(ratatui::backend::TestBackend::new(cols, rows)).unwrap(),
            presenter: helios::runtime::present::Presenter::default(),
            live: ratatui::buffer::Buffer::default(),
        };
        t.presenter
            .set_area(ratatui::layout::Rect::new(0, 0, cols, rows));
        t.frame(st, screens);
        t
    }

    fn frame(&mut self, st: &helios::app::AppState, screens: &helios::pty::Screens) {
        present(
            &mut self.presenter,
            &mut self.term,
            st,
            screens,
            &self.cache,
        );
    }

    /// Redraw the focused tile alone: how many of its rows were drawn, `None` when the path
    /// refuses.
    fn echo(
        &mut self,
        st: &helios::app::AppState,
        screens: &helios::pty::Screens,
    ) -> Option<usize> {
        let tile = ui::pane::live_tile(st, screens, &self.cache, &mut self.live)?;
        let changed = self
            .presenter
            .patch(&mut self.term, &self.live, tile.rows.clone(), tile.cursor)
            .unwrap()
            .expect("the presenter knows the screen");
        self.cache
            .redrawn(&tile.lane, tile.version, &self.live, &changed);
        Some(tile.rows.len())
    }

    /// Whether the terminal shows what a fresh frame of `st` draws.
    fn like_fresh(&self, st: &helios::app::AppState, screens: &helios::pty::Screens) -> bool {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_like_fresh(&self.term, st, screens);
        }))
        .is_ok()
    }
}

/// The focused tile redrawn alone, row by row (only the rows its screen changed), equals a
/// fresh frame after every feed of output chosen at random from pieces that echo on one row,
/// wrap, scroll, move the cursor, clear, switch screens, or split a sequence or a character
/// across feeds; one lane's screen is taller than its tile (the tile shows the rows around the
/// cursor).
#[test]
fn live_tiles_follow_any_output_row_by_row() {
    use helios::lanes::LaneId;

    let pieces: [&[u8]; 28] = [
        // To the last row, and near the right margin.
        b"\x1b[99;1H",
        b"\x1b[999C\x1b[3D",
        b"a",
        b"hello",
        b"\x08",
        b"\x08 \x08",
        b"\r",
        // Text that wraps (and at the bottom, scrolls) and then returns to the row's start: the
        // cursor ends on the same row as it started.
        b"typed\r",
        // After a cut `ESC [`: a clear of the whole screen that leaves the cursor in place.
        b"2J\r",
        b"\r\n$ ",
        b"\n",
        b"\x1b[",
        b"2J",
        b"K",
        b"\x1b[K",
        b"\x1b[A",
        b"\x1b[5;3H",
        b"0123456789012345678901234567890123456789012345678901234567890123456789",
        &[0xc3],
        &[0xa9],
        b"\x1b[?1049h",
        b"\x1b[?1049l",
        b"\x1b[?2026h",
        b"\x1b[?2026l",
        b"\x1b[31m",
        b"\x1b[4h",
        b"\x1b[4l",
        b"\x1b[2P",
    ];
    for tall in [false, true] {
        let labels = ["r0", "r1", "r2", "r3"];
        let (mut st, mut screens) = grid_with_screens(&labels, "$ ");
        run_keys(&mut st, &km(), "j<enter>");
        let id = LaneId::new(labels[1]);
        if tall {
            let (rows, cols) = screens.get(&id).unwrap().size();
            let s = helios::pty::LaneScreen::new(rows + 9, cols, 100);
            s.feed(b"$ ");
            screens.insert(id.clone(), std::sync::Arc::new(s));
        }
        let mut t = LiveTerm::new(&st, &screens);
        // xorshift: the same feeds every run.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut fed = Vec::new();
        // Tiles drawn alone, and those of them that drew one row or none.
        let (mut alone, mut one) = (0, 0);
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Mostly typing (the five pieces after the moves), as a lane in front mostly echoes.
            let pick = seed >> 8;
            let piece = if seed.is_multiple_of(4) {
                pieces[(pick % pieces.len() as u64) as usize]
            } else {
                pieces[2 + (pick % 5) as usize]
            };
            fed.push(piece);
            screens.get(&id).unwrap().feed(piece);
            match t.echo(&st, &screens) {
                Some(rows) => {
                    alone += 1;
                    one += usize::from(rows <= 1);
                }
                None => t.frame(&st, &screens),
            }
            let last: Vec<String> = fed
                .iter()
                .rev()
                .take(6)
                .map(|b| format!("{:?}", String::from_utf8_lossy(b)))
                .collect();
            assert!(
                t.like_fresh(&st, &screens),
                "tall {tall}: after {} feeds, the last (newest first): {last:?}",
                fed.len()
            );
        }
        // The row-by-row path was taken: mostly typing, so often one row alone.
        assert!(alone > 1000, "tall {tall}: the tile alone {alone} times");
        assert!(
            one > alone / 4,
            "tall {tall}: one row in {one} of {alone} tiles"
        );
    }
}

/// The cases the row-by-row redraw must see as more than one row, each fed in turn to the
/// focused lane and checked against a fresh frame after every feed.
#[test]
fn live_tiles_redraw_every_row_a_feed_may_have_changed() {
    use helios::lanes::LaneId;

    let cases: [&[&[u8]]; 5] = [
        // Text that wraps at the last row (scrolling every row) and returns to the row's start.
        &[b"\x1b[99;1H\x1b[999C\x1b[2D", b"typed\r"],
        // A clear of the screen whose `ESC [` came in the feed before.
        &[b"\x1b[", b"2J\r"],
        // A cut UTF-8 character, then text.
        &[b"ab", &[0xc3], b"cd"],
        // Output held by synchronized output, then shown.
        &[
            b"\x1b[?2026h",
            b"ab",
            b"\x1b[H\x1b[2J",
            b"cd",
            b"\x1b[?2026l",
            b"e",
        ],
        // Insert mode shifts the row's rest, on that row.
        &[b"\x1b[4h", b"\rxy", b"\x1b[4l", b"z"],
    ];
    for case in cases {
        let labels = ["r0", "r1", "r2"];
        let (mut st, screens) = grid_with_screens(&labels, "$ some text");
        run_keys(&mut st, &km(), "j<enter>");
        let id = LaneId::new(labels[1]);
        for row in 0..30 {
            screens
                .get(&id)
                .unwrap()
                .feed(format!("\r\nline {row}").as_bytes());
        }
        let mut t = LiveTerm::new(&st, &screens);
        for (i, bytes) in case.iter().enumerate() {
            screens.get(&id).unwrap().feed(bytes);
            assert!(t.echo(&st, &screens).is_some(), "case {case:?}, feed {i}");
            assert!(t.like_fresh(&st, &screens), "case {case:?}, feed {i}");
        }
    }
}

/// A 120x40 grid of `labels`, each lane's screen showing its coloured name and `prompt`.
fn grid_with_screens(
    labels: &[&str],
    prompt: &str,
) -> (helios::app::AppState, helios::pty::Screens) {
    let (mut st, _) = state_with(labels, (120, 40));
    run_keys(&mut st, &km(), "z");
    let mut screens = helios::pty::Screens::default();
    for (id, rows, cols) in ui::pane_sizes(&st) {
        let s = helios::pty::LaneScreen::new(rows, cols, 100);
        s.feed(format!("\x1b[1;3{}m{id}\x1b[0m {prompt}", id.as_str().len() % 8).as_bytes());
        screens.insert(id, std::sync::Arc::new(s));
    }
    (st, screens)
}
