//! Frame: the time to build one frame with `helios::ui::render` and diff it against the previous
//! one (ratatui's double buffer), then encode the changed cells as escape sequences into a sink:
//! the whole per-frame cost of the render loop except the write(2). Five cases: the swarm grid
//! with 25 live tiles at 250x80 and every tile changed; the same grid with one tile changed (a
//! keystroke's echo; the other 24 come from the runtime's tile cache) written as the runtime
//! writes it; the same with ratatui's whole-buffer diff; the focused tile redrawn alone (what
//! the runtime does for an echo when nothing else changed); and a single 200x50 pane.
//! Every frame shows different screen contents than the one before, so the diff is never empty.
//! Run: `cargo bench --bench frame`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use helios::app::AppState;
use helios::app::keymap::Keymap;
use helios::app::state::{Lane, RepoInfo, View};
use helios::config::theme::Theme;
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use helios::pty::{LaneScreen, Screens};
use helios::runtime::present::{Drawn, Presenter};
use helios::ui::cache::TileCache;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

#[path = "support/stream.rs"]
mod stream;

fn state(lanes: usize, size: (u16, u16), view: View) -> AppState {
    let mut s = AppState::new(
        RepoInfo {
            path: PathBuf::from("/tmp/bench-repo"),
            name: "bench-repo".into(),
        },
        Instant::now(),
    );
    for i in 0..lanes {
        let label = format!("agent-{i:02}");
        s.lanes.push(Lane::new(LaneInfo {
            id: LaneId::new(&label),
            branch: Some(label.clone()),
            worktree: PathBuf::from(format!("/tmp/bench-repo/{label}")),
            source: LaneSource::Par {
                session: format!("par-bench-{label}"),
            },
            session_alive: true,
            git: GitCounts::default(),
        }));
    }
    s.selected = s.lanes.first().map(|l| l.id().clone());
    s.size = size;
    s.view = view;
    s
}

/// Screens sized as helios sizes them for this state; lanes helios does not size get a tile's
/// share of the terminal. `seed` changes the contents.
fn screens(state: &AppState, seed: u64) -> Screens {
    let sizes: HashMap<LaneId, (u16, u16)> = helios::ui::pane_sizes(state)
        .into_iter()
        .map(|(id, rows, cols)| (id, (rows, cols)))
        .collect();
    let (cols, rows) = state.size;
    let mut out = Screens::default();
    for (i, lane) in state.lanes.iter().enumerate() {
        let (r, c) = sizes
            .get(lane.id())
            .copied()
            .unwrap_or((rows / 5 - 2, cols / 5 - 2));
        let screen = LaneScreen::new(r.max(1), c.max(1), 2000);
        screen.feed(&stream::generate(seed * 100 + i as u64, 64 << 10));
        out.insert(lane.id().clone(), Arc::new(screen));
    }
    out
}

/// A terminal of the state's size whose output goes nowhere: the frame's cost without write(2).
fn sink_terminal(state: &AppState) -> Terminal<CrosstermBackend<std::io::Sink>> {
    let (cols, rows) = state.size;
    Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, cols, rows)),
        },
    )
    .unwrap()
}

fn bench_view(c: &mut Criterion, name: &str, state: &AppState) {
    let theme = Theme::default();
    let sets = [screens(state, 1), screens(state, 2)];
    let mut term = sink_terminal(state);
    let mut n = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            n += 1;
            let screens = &sets[n % 2];
            term.draw(|f| helios::ui::render(f, black_box(state), &theme, screens))
                .unwrap();
        });
    });
}

/// A keystroke's echo in the grid: one tile changed, 24 reused from the runtime's tile cache.
/// `presenter`: written as the runtime writes it, comparing only the changed tile and the
/// chrome with the terminal; otherwise with ratatui's `Terminal::draw`, which compares all cells.
fn bench_echo(c: &mut Criterion, name: &str, state: &AppState, presenter: bool) {
    let theme = Theme::default();
    let keymap = Keymap::builtin_default();
    let cache = if presenter {
        TileCache::presented()
    } else {
        TileCache::default()
    };
    let screens = screens(state, 1);
    let first = state.lanes[0].id().clone();
    let mut term = sink_terminal(state);
    let mut shown = Presenter::default();
    c.bench_function(name, |b| {
        b.iter(|| {
            if let Some(s) = screens.get(&first) {
                s.feed(b"x");
            }
            let render = |f: &mut ratatui::Frame| {
                helios::ui::render_cached(f, state, &theme, &keymap, &screens, Some(&cache))
            };
            if presenter {
                shown
                    .draw(&mut term, |f, blank| {
                        if blank {
                            cache.forget_shown();
                        }
                        Drawn {
                            cursor: render(f),
                            unchanged: cache.unchanged(),
                        }
                    })
                    .unwrap();
            } else {
                term.draw(|f| {
                    render(f);
                })
                .unwrap();
            }
        });
    });
}

/// A keystroke's echo as the runtime draws it when only the focused lane's screen changed:
/// that lane's tile alone (`ui::pane::live_tile`) written by `Presenter::patch`, no frame.
fn bench_live(c: &mut Criterion, name: &str, state: &AppState) {
    let theme = Theme::default();
    let keymap = Keymap::builtin_default();
    let cache = TileCache::presented();
    let screens = screens(state, 1);
    let first = state.lanes[0].id().clone();
    let mut term = sink_terminal(state);
    let mut shown = Presenter::default();
    shown.set_area(Rect::new(0, 0, state.size.0, state.size.1));
    // The frame the tile is then drawn over.
    shown
        .draw(&mut term, |f, _| Drawn {
            cursor: helios::ui::render_cached(f, state, &theme, &keymap, &screens, Some(&cache)),
            unchanged: cache.unchanged(),
        })
        .unwrap();
    let mut live = ratatui::buffer::Buffer::empty(Rect::default());
    c.bench_function(name, |b| {
        b.iter(|| {
            if let Some(s) = screens.get(&first) {
                s.feed(b"x");
            }
            let tile = helios::ui::pane::live_tile(state, &screens, &cache, &mut live)
                .expect("the focused tile can be drawn alone");
            let changed = shown
                .patch(&mut term, &live, tile.rows.clone(), tile.cursor)
                .unwrap()
                .expect("the presenter shows the tile");
            cache.redrawn(&tile.lane, tile.version, &live, &changed);
        });
    });
}

fn frame(c: &mut Criterion) {
    let grid = state(25, (250, 80), View::Grid);
    bench_view(c, "frame/grid_25_tiles_250x80", &grid);
    let mut focused = grid.clone();
    focused.focused = focused.selected.clone();
    bench_live(c, "frame/grid_25_tiles_250x80_focused_tile_alone", &focused);
    bench_echo(c, "frame/grid_25_tiles_250x80_one_changed", &grid, true);
    bench_echo(
        c,
        "frame/grid_25_tiles_250x80_one_changed_ratatui_diff",
        &grid,
        false,
    );
    // The single view: the terminal is sized so the selected lane's pane is 200x50.
    let mut single = state(25, (232, 53), View::Single);
    if let Some((_, rows, cols)) = helios::ui::pane_sizes(&single).first().cloned() {
        let (tc, tr) = single.size;
        // Keep the chrome (lane list, borders, status line) and make the pane itself 200x50.
        single.size = (tc.saturating_sub(cols) + 200, tr.saturating_sub(rows) + 50);
    }
    bench_view(c, "frame/single_pane_200x50", &single);
}

criterion_group!(benches, frame);
criterion_main!(benches);
