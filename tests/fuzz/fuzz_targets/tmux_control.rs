//! A tmux control-mode client's output (`tmux -C attach`), through the reader that follows the
//! attach, the setup replies, `%output` and `%layout-change`, into a lane's screen.
#![no_main]

use std::sync::Arc;

use helios::pty::{LaneScreen, replay_control};
use libfuzzer_sys::fuzz_target;

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
    let screen = Arc::new(LaneScreen::new(24, 80, 100));
    let _ = replay_control(data, &screen);
    let _ = screen.contents();
    let _ = screen.tail_at_cursor(3);
});
