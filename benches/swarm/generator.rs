//! The generator role: the swarm binary re-executed as `swarm --gen RATE GO_FILE` inside every
//! flooding pane. It prints generated coloured output at RATE bytes/s while GO_FILE exists, idles
//! while it does not, and exits when GO_FILE's directory is gone or its parent died, so no
//! generator outlives a run.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::stream;

/// Pacing tick: 10 ms slices of the rate.
const TICK: Duration = Duration::from_millis(10);

/// Run the generator until the run ends. Never returns normally.
pub fn run(rate: u64, go: &Path) -> ! {
    let seed = u64::from(std::process::id());
    let buf = stream::generate(seed, 4 << 20);
    let per_tick = usize::try_from(rate / 100).unwrap_or(1 << 16).max(1);
    let mut out = std::io::stdout().lock();
    let dir = go.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut pos = 0usize;
    let mut next = Instant::now();
    let mut checked = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let mut going = false;
    loop {
        if checked.elapsed() >= Duration::from_millis(100) {
            checked = Instant::now();
            if !dir.exists() || parent_gone() {
                std::process::exit(0);
            }
            let now_going = go.exists();
            if now_going && !going {
                next = Instant::now();
            }
            going = now_going;
        }
        if !going {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        let mut left = per_tick;
        while left > 0 {
            let end = (pos + left).min(buf.len());
            if out.write_all(&buf[pos..end]).is_err() {
                std::process::exit(0);
            }
            left -= end - pos;
            pos = if end == buf.len() { 0 } else { end };
        }
        let _ = out.flush();
        next += TICK;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > Duration::from_secs(1) {
            // Blocked by the terminal (backpressure): do not try to catch up in a burst.
            next = now;
        }
    }
}

fn parent_gone() -> bool {
    std::os::unix::process::parent_id() == 1
}
