//! Terminal input on a thread of its own.
//!
//! crossterm's `EventStream` hands each poll to a wake-up thread that blocks in `poll` while
//! holding crossterm's global event-reader lock; every later poll from the event loop then
//! spins on that lock (parking_lot's `try_lock_for(0)`: a burst of `sched_yield`s) before it
//! gives up. The loop polls input on every turn, so under a flood that was a dozen yields per
//! turn, each one a chance for a busy machine to run something else first. Here one thread
//! blocks in `read` and nothing else ever touches the lock.
//!
//! crossterm is built with `use-dev-tty`: its default reader waits on an edge-triggered epoll
//! and returns a resize as soon as it sees one, dropping the terminal's readiness when both
//! came in the same wake-up, so a key typed during a resize waited for the next key (a resize
//! storm in the tests lost `?` for good). The `use-dev-tty` reader polls level-triggered.

use crossterm::event::Event as TermEvent;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Terminal events as they arrive; a read error is sent once and ends the stream.
pub type Input = UnboundedReceiver<std::io::Result<TermEvent>>;

/// Start the reader thread. It ends after an error or when the receiver is gone; at exit or
/// exec it is simply left blocked in `read`.
pub fn spawn() -> std::io::Result<Input> {
    let (tx, rx) = unbounded_channel();
    std::thread::Builder::new()
        .name("term-input".into())
        .spawn(move || {
            loop {
                let ev = crossterm::event::read();
                let failed = ev.is_err();
                if tx.send(ev).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(rx)
}
