//! Snapshots of whole screens drawn into ratatui's TestBackend: the lane list with the single
//! pane, the grid with 4 and 9 lanes, help, palette, confirm and the 80x24 layout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{FakeScreens, busy_state, draw, draw_styles, run_keys, state_with};
use helios::app::keymap::Keymap;
use helios::lanes::work::{Commit, FileChange, Unsaved};
use helios::ui;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

#[test]
fn lanes_and_single_pane() {
    let st = busy_state((100, 30));
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw(&st, &km(), &screens));
}

/// The styles of the busy screen: the selected lane, attention, dirty counts, an exited lane,
/// borders and the status line, in the default theme's colours.
#[test]
fn lanes_and_single_pane_styles() {
    let st = busy_state((100, 30));
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw_styles(&st, &km(), &screens));
}

/// The grid's styles: the selected tile's border, a tile needing attention.
#[test]
fn grid_of_9_styles() {
    let labels: Vec<String> = (1..=9).map(|i| format!("lane-{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (100, 30));
    fixture::attention(&mut st, "lane-5");
    run_keys(&mut st, &km(), "zj");
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw_styles(&st, &km(), &screens));
}

#[test]
fn focused_and_scrolled() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "<enter>");
    let mut screens = FakeScreens::default();
    let (_, rows, cols) = ui::pane_sizes(&st)[0].clone();
    let mut bytes = Vec::new();
    for i in 1..=60 {
        bytes.extend_from_slice(format!("line {i}\r\n").as_bytes());
    }
    screens.feed(st.selected.as_ref().unwrap().as_str(), rows, cols, &bytes);
    insta::assert_snapshot!("focused", draw(&st, &km(), &screens));
    // The lane's cursor is the terminal's cursor, at the lane's cursor inside the pane's border
    // (after 60 lines it sits at the start of the last row).
    let (x, y) = fixture::cursor(&st, &km(), &screens).expect("a visible cursor");
    let text = draw(&st, &km(), &screens);
    let row: Vec<&str> = text.lines().collect();
    assert!(
        row[usize::from(y) - 1].contains("line 60"),
        "cursor at {x},{y}:\n{text}"
    );
    assert_eq!(
        row[usize::from(y)].chars().nth(usize::from(x) - 1),
        Some('│')
    );
    run_keys(&mut st, &km(), "<c-g><pgup>");
    insta::assert_snapshot!("scrolled", draw(&st, &km(), &screens));
    // Scrolled back and unfocused: no cursor.
    assert_eq!(fixture::cursor(&st, &km(), &screens), None);
}

#[test]
fn grid_of_4() {
    let (mut st, _) = state_with(&["a1", "b2", "c3", "d4"], (100, 30));
    run_keys(&mut st, &km(), "jz");
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw(&st, &km(), &screens));
}

#[test]
fn grid_of_9() {
    let labels: Vec<String> = (1..=9).map(|i| format!("lane-{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (100, 30));
    fixture::attention(&mut st, "lane-5");
    run_keys(&mut st, &km(), "z");
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw(&st, &km(), &screens));
}

/// Six lanes fill a 3x2 grid (no empty third row), and the selected tile has a double border.
#[test]
fn grid_of_6() {
    let labels: Vec<String> = (1..=6).map(|i| format!("lane-{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (90, 25));
    run_keys(&mut st, &km(), "zjjjj");
    let screens = FakeScreens::for_state(&st);
    let screen = draw(&st, &km(), &screens);
    let tiles = helios::ui::layout(&st).panes;
    assert_eq!(tiles.len(), 6);
    assert!(tiles.iter().all(|(_, r)| r.height == 12), "{tiles:?}");
    assert!(screen.contains("╔ lane-5 ═"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_overlay() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "?");
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::default()));
}

#[test]
fn palette_with_completions() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), ":lane rm ");
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::for_state(&st)));
}

/// The palette lists each command with its description from the command registry.
#[test]
fn palette_describes_commands() {
    let mut st = busy_state((80, 24));
    run_keys(&mut st, &km(), ":te");
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(
        screen.contains(&format!("{:<20}  show Temporal workflows", "temporal")),
        "{screen}"
    );
    assert!(
        screen.contains("temporal.select_next  select the next workflow"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn confirm_dialog() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "jd");
    let nothing = Unsaved {
        base: "main".into(),
        ..Unsaved::default()
    };
    checked(&mut st, "auth-fix", nothing);
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::for_state(&st)));
}

/// The remove dialog of a lane with work in it lists the commits and files, then asks again.
#[test]
fn confirm_dialog_names_the_work_a_remove_loses() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "jd");
    let work = Unsaved {
        base: "main".into(),
        commits: (1..=7)
            .map(|i| Commit {
                hash: format!("abc123{i}"),
                subject: format!("step {i} of the login form"),
            })
            .collect(),
        commit_count: 7,
        files: vec![
            FileChange {
                status: " M".into(),
                path: "src/login.rs".into(),
            },
            FileChange {
                status: "??".into(),
                path: "notes\x1b]52;c;x\x07.txt".into(),
            },
        ],
        file_count: 2,
    };
    checked(&mut st, "auth-fix", work);
    insta::assert_snapshot!(
        "confirm_dialog_with_work",
        draw(&st, &km(), &FakeScreens::for_state(&st))
    );
    run_keys(&mut st, &km(), "y");
    insta::assert_snapshot!(
        "confirm_dialog_second_yes",
        draw(&st, &km(), &FakeScreens::for_state(&st))
    );
}

fn checked(st: &mut helios::app::AppState, lane: &str, work: Unsaved) {
    helios::app::update(
        st,
        helios::app::Event::UnsavedChecked {
            lane: helios::lanes::LaneId::new(lane),
            result: Ok(work),
        },
    );
}

#[test]
fn small_terminal_80x24() {
    let mut st = busy_state((80, 24));
    run_keys(&mut st, &km(), "/a");
    insta::assert_snapshot!(
        "80x24_filter",
        draw(&st, &km(), &FakeScreens::for_state(&st))
    );
    run_keys(&mut st, &km(), "<esc>");
    insta::assert_snapshot!("80x24", draw(&st, &km(), &FakeScreens::for_state(&st)));
    run_keys(&mut st, &km(), "?");
    insta::assert_snapshot!("80x24_help", draw(&st, &km(), &FakeScreens::default()));
}

/// Help fits 80x24 by scrolling: j/k a line, PgDn/PgUp a page, G the end, with where you are
/// and whether more follows on its border; any other key closes it.
#[test]
fn help_scrolls_at_80x24() {
    let mut st = busy_state((80, 24));
    let screen = |st: &helios::app::AppState| draw(st, &km(), &FakeScreens::default());
    run_keys(&mut st, &km(), "?");
    let total = helios::app::help::lines(&km()).len();
    assert!(total > 21, "help fits without scrolling: {total} lines");
    assert!(screen(&st).contains(&format!(" 1–21 of {total} · ↓ more")));
    run_keys(&mut st, &km(), "jj");
    assert_eq!(st.help_top, 2);
    run_keys(&mut st, &km(), "<pgdn>");
    assert_eq!(st.help_top, 23);
    run_keys(&mut st, &km(), "<pgup>k");
    assert_eq!(st.help_top, 1);
    // G and more PgDn stop at the last page: the last line shows, nothing past it.
    run_keys(&mut st, &km(), "G<pgdn>j");
    assert_eq!(st.help_top, total - 21);
    let last = screen(&st);
    assert!(
        last.contains(&format!(" {}–{total} of {total} · ↑ k pgup", total - 20)),
        "{last}"
    );
    assert!(last.contains("arguments are shell words"), "{last}");
    // One k goes back one line from the end.
    run_keys(&mut st, &km(), "k");
    assert_eq!(st.help_top, total - 22);
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.mode, helios::app::state::Mode::Normal);
    // Opening again starts at the top.
    run_keys(&mut st, &km(), "?");
    assert_eq!(st.help_top, 0);
}

/// The hint line shows the keys of the panel on screen.
#[test]
fn hint_line_follows_the_panel() {
    let mut st = busy_state((120, 30));
    let status = |st: &helios::app::AppState| {
        draw(st, &km(), &FakeScreens::for_state(st))
            .lines()
            .last()
            .unwrap()
            .to_string()
    };
    let lanes = status(&st);
    assert!(
        lanes.contains("enter focus") && lanes.contains("c new"),
        "{lanes}"
    );
    run_keys(&mut st, &km(), "2");
    let events = status(&st);
    assert!(events.contains(" EVENTS "), "{events}");
    assert!(events.contains("j/k select enter JSON 1 lane"), "{events}");
    assert!(!events.contains("c new"), "{events}");
    run_keys(&mut st, &km(), "3");
    let nats = status(&st);
    assert!(
        nats.contains("j/k stream s sort r refresh 1 lane"),
        "{nats}"
    );
    run_keys(&mut st, &km(), "4");
    let temporal = status(&st);
    assert!(
        temporal.contains("j/k select enter detail / filter ]/[ page S signal"),
        "{temporal}"
    );
    run_keys(&mut st, &km(), "/");
    let input = status(&st);
    assert!(
        input.contains("enter ok esc cancel ctrl-u clear ctrl-w word"),
        "{input}"
    );
}

#[test]
fn empty_repo() {
    let (st, _) = state_with(&[], (80, 24));
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::default()));
}

#[test]
fn pane_sizes_match_the_drawn_panes() {
    let (mut st, _) = state_with(&["a", "b", "c", "d", "e"], (100, 30));
    assert_eq!(
        ui::pane_sizes(&st),
        vec![(helios::lanes::LaneId::new("a"), 27, 68)]
    );
    run_keys(&mut st, &km(), "z");
    let sizes = ui::pane_sizes(&st);
    assert_eq!(sizes.len(), 5);
    // 3x3 tiles over 100x29: 33/33/34 columns and 9/10/10 rows, minus borders.
    let total_cols: u16 = sizes.iter().take(3).map(|(_, _, c)| c + 2).sum();
    assert_eq!(total_cols, 100);
    for n in [1usize, 2, 4, 5, 9, 10, 16, 17, 25, 26] {
        let labels: Vec<String> = (0..n).map(|i| format!("l{i:02}")).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let (mut st, _) = state_with(&refs, (120, 40));
        run_keys(&mut st, &km(), "z");
        assert_eq!(ui::pane_sizes(&st).len(), n.min(25), "{n} lanes");
    }
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

/// A long list draws only what fits, scrolled as the list scrolls: from the top, or with the
/// selected lane last.
#[test]
fn a_long_lane_list_draws_the_window_around_the_selection() {
    let labels: Vec<String> = (0..60).map(|i| format!("lane-{i:02}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (100, 24));
    let screens = FakeScreens::default();
    let top = draw(&st, &km(), &screens);
    assert!(top.contains("lane-00") && !top.contains("lane-40"), "{top}");
    st.selected = Some(helios::model::LaneId::new("lane-40"));
    let down = draw(&st, &km(), &screens);
    assert!(
        down.contains("lane-40") && !down.contains("lane-00"),
        "{down}"
    );
    // The selected lane is the last one drawn, as before.
    let last = down
        .lines()
        .filter_map(|l| l.split("lane-").nth(1))
        .filter_map(|t| t.get(..2)?.parse::<u32>().ok())
        .filter(|n| *n <= 59)
        .max();
    assert_eq!(last, Some(40), "{down}");
}
