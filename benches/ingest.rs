//! Ingest: bytes per second from a lane's PTY reads through its screen model, at 80x24 and
//! 200x50, beside the bare VT parser (vte, no screen) and the bare vt100 0.16 and 0.18 screens
//! on the same bytes in the same run, so the cost of each layer is visible. Run: `cargo bench --bench ingest`.

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
        // The bare vt100 screens, without helios around them: 0.16 (what helios used until
        // it moved to 0.18) and 0.18 (what helios's lane screen is built on).
        group.bench_with_input(
            BenchmarkId::new("vt100_0.16_screen", &size),
            &size,
            |b, _| {
                b.iter(|| {
                    let mut parser = vt100_016::Parser::new(rows, cols, SCROLLBACK);
                    for chunk in bytes.chunks(READ_CHUNK) {
                        parser.process(black_box(chunk));
                    }
                    black_box(parser.screen().cursor_position())
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("vt100_0.18_screen", &size),
            &size,
            |b, _| {
                let n = |v: u16| std::num::NonZeroU16::new(v).unwrap();
                b.iter(|| {
                    let mut parser = vt100::Parser::new(n(rows), n(cols), SCROLLBACK);
                    for chunk in bytes.chunks(READ_CHUNK) {
                        parser.process(black_box(chunk));
                    }
                    black_box(parser.screen().cursor_position())
                });
            },
        );
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
                    black_box(screen.with(helios::pty::vt::Screen::cursor_position))
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
