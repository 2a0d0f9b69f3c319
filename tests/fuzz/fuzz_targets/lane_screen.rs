//! A lane's screen model fed arbitrary output, with resizes, scrolling and reads in between.
//!
//! Input: three bytes (rows, columns, scrollback / 8), then terminal output. A 0xFF byte starts
//! an operation (real UTF-8 output never holds 0xFF, so captured output is a valid input as is):
//! `FF R r c` resize, `FF S n` scroll back n lines, `FF T n` tail of n lines, `FF C` contents,
//! `FF M` input modes, `FF FF` a literal 0xFF; any other `FF x` just splits the feed. Sizes stay
//! below 256: the screen's size comes from the terminal helios draws on, not from the lane.
#![no_main]

use helios::pty::LaneScreen;
use helios::pty::screen::notification;
use libfuzzer_sys::fuzz_target;

fn check_tail(screen: &LaneScreen, n: usize) {
    let tail = screen.tail_at_cursor(n);
    assert!(tail.len() <= n, "{} lines for a tail of {n}", tail.len());
    for line in &tail {
        assert!(!line.trim().is_empty(), "blank line in the tail: {tail:?}");
        assert_eq!(line.trim_end(), line, "trailing blanks in the tail");
    }
}

/// helios contains a panic of vt100 inside a lane's screen (the screen starts over; see
/// `LaneScreen`), but libFuzzer's panic hook aborts on every panic: let contained ones unwind
/// to helios, unless HELIOS_FUZZ_STRICT is set (to hunt vt100's own panics).
fn let_contained_panics_unwind() {
    if std::env::var_os("HELIOS_FUZZ_STRICT").is_some() {
        return;
    }
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !helios::pty::screen::panic_is_contained() {
            abort(info);
        }
    }));
}

fuzz_target!(init: let_contained_panics_unwind(), |data: &[u8]| {
    let [rows, cols, scrollback, rest @ ..] = data else {
        return;
    };
    let screen = LaneScreen::new(
        u16::from(*rows),
        u16::from(*cols),
        usize::from(*scrollback) * 8,
    );
    let mut chunk = Vec::new();
    let mut bytes = rest.iter().copied();
    while let Some(b) = bytes.next() {
        if b != 0xff {
            chunk.push(b);
            continue;
        }
        let op = bytes.next();
        if op == Some(0xff) {
            chunk.push(0xff);
            continue;
        }
        let _ = screen.feed(&chunk);
        chunk.clear();
        let mut arg = || usize::from(bytes.next().unwrap_or(0));
        match op {
            Some(b'R') => {
                let (r, c) = (arg(), arg());
                screen.set_size(r as u16, c as u16);
            }
            Some(b'S') => screen.set_scroll(arg()),
            Some(b'T') => check_tail(&screen, arg()),
            Some(b'C') => {
                let _ = screen.contents();
            }
            Some(b'M') => {
                let _ = screen.input_modes();
            }
            _ => {}
        }
    }
    let _ = screen.feed(&chunk);
    let _ = screen.contents();
    let _ = screen.input_modes();
    check_tail(&screen, 3);
    screen.set_scroll(usize::MAX);
    let _ = screen.contents();

    // The OSC parameters as the parser would split them (`;`), straight to the decoder.
    let params: Vec<&[u8]> = rest.split(|&b| b == b';').collect();
    let _ = notification(&params);
});
