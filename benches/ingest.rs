//! Ingest: bytes per second from a lane's PTY reads through its screen model, at 80x24 and
//! 200x50, beside the bare VT parser (vte, no screen) on the same bytes, so the cost of the
//! screen model itself is visible. Run: `cargo bench --bench ingest`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use helios::pty::LaneScreen;

#[path = "support/stream.rs"]
mod stream;

/// Bytes of generated output per iteration (about 8 MB: big enough to scroll many screens).
const STREAM_LEN: usize = 8 << 20;
/// What one PTY read returns at most (helios's reader buffer).
const READ_CHUNK: usize = 4096;
/// helios's default scrollback per lane (config `scrollback`).
const SCROLLBACK: usize = 2000;

/// A parser callback that does nothing: the cost of tokenising alone.
struct Nop;
impl vte::Perform for Nop {}

fn ingest(c: &mut Criterion) {
    let bytes = stream::generate(7, STREAM_LEN);
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    group.bench_function("vte_parse_only", |b| {
        b.iter(|| {
            let mut parser = vte::Parser::new();
            for chunk in bytes.chunks(READ_CHUNK) {
                parser.advance(&mut Nop, black_box(chunk));
            }
        });
    });
    for (rows, cols) in [(24u16, 80u16), (50, 200)] {
        let size = format!("{cols}x{rows}");
        // The bare vt100 screen (what tui-term draws from), without helios around it.
        group.bench_with_input(BenchmarkId::new("vt100_screen", &size), &size, |b, _| {
            b.iter(|| {
                let mut parser = tui_term::vt100::Parser::new(rows, cols, SCROLLBACK);
                for chunk in bytes.chunks(READ_CHUNK) {
                    parser.process(black_box(chunk));
                }
                black_box(parser.screen().cursor_position())
            });
        });
        // helios's lane screen model, fed exactly as the lane's PTY reader feeds it: the
        // per-lane lock, bell/OSC notice callbacks, and the merged-notice flag per read.
        group.bench_with_input(
            BenchmarkId::new("helios_lane_screen", &size),
            &size,
            |b, _| {
                b.iter(|| {
                    let screen = LaneScreen::new(rows, cols, SCROLLBACK);
                    for chunk in bytes.chunks(READ_CHUNK) {
                        let notices = screen.feed(black_box(chunk));
                        if notices.bell || notices.notify.is_some() || !screen.mark_pending() {
                            screen.clear_pending();
                        }
                    }
                    black_box(screen.with(tui_term::vt100::Screen::cursor_position))
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
