//! A tmux control-mode client's output (`tmux -C attach`), through the reader that follows the
//! attach, the setup replies, `%output` and `%layout-change`, into a lane's screen.
#![no_main]

use std::sync::Arc;

use helios::pty::{LaneScreen, replay_control};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let screen = Arc::new(LaneScreen::new(24, 80, 100));
    let _ = replay_control(data, &screen);
    let _ = screen.contents();
    let _ = screen.tail_at_cursor(3);
});
