//! The echo path's trace, on only when `HELIOS_ECHO_TRACE` names a directory: each step of a
//! keystroke's way through the console is written to `DIR/echo.<pid>` as `<start µs> <took µs>
//! <step>`, the start on the system's monotonic clock, so the swarm bench can line the steps up
//! with the keys it typed and say how much of each echo was helios's own and how much the lane's
//! (for a par lane, tmux's). Off, each call is one atomic load.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// One step of a keystroke's echo.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// A key was read from the terminal and parsed (on the loop's thread, which takes it next).
    Input,
    /// The loop took a key from the terminal (its translation starts).
    Key,
    /// A lane's writer thread took the bytes to write into the lane.
    Write,
    /// The lane in front's reader fed what it read to the screen.
    Read,
    /// A frame (or the focused tile alone) was drawn and written.
    Drawn,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Input => "input",
            Step::Key => "key",
            Step::Write => "write",
            Step::Read => "read",
            Step::Drawn => "drawn",
        }
    }
}

struct Trace {
    /// An instant and the monotonic clock's reading at it: later instants are converted by
    /// their distance from it (Rust's `Instant` is that clock on Linux, but does not show it).
    origin: (Instant, Duration),
    out: Mutex<std::io::BufWriter<std::fs::File>>,
    /// A write failed (logged once).
    failed: AtomicBool,
}

static TRACE: OnceLock<Option<Trace>> = OnceLock::new();

fn trace() -> Option<&'static Trace> {
    TRACE.get_or_init(open).as_ref()
}

fn open() -> Option<Trace> {
    let dir = std::env::var_os("HELIOS_ECHO_TRACE")?;
    let path = std::path::Path::new(&dir).join(format!("echo.{}", std::process::id()));
    let file = std::fs::File::create(&path)
        .inspect_err(|e| tracing::warn!("HELIOS_ECHO_TRACE: cannot write {}: {e}", path.display()))
        .ok()?;
    Some(Trace {
        origin: (Instant::now(), monotonic()),
        out: Mutex::new(std::io::BufWriter::new(file)),
        failed: AtomicBool::new(false),
    })
}

/// The monotonic clock's reading (`CLOCK_MONOTONIC`, which other processes read too).
pub fn monotonic() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Record `step`, begun at `start` and ending now.
pub fn step(step: Step, start: Instant) {
    let Some(t) = trace() else {
        return;
    };
    let took = start.elapsed();
    let at = if start >= t.origin.0 {
        t.origin.1 + (start - t.origin.0)
    } else {
        t.origin.1.saturating_sub(t.origin.0 - start)
    };
    let mut out = t.out.lock().unwrap_or_else(PoisonError::into_inner);
    let wrote = writeln!(
        out,
        "{} {} {}",
        at.as_micros(),
        took.as_micros(),
        step.name()
    );
    t.check(wrote);
}

/// Write out what is buffered (once a second, and when the console ends).
pub fn flush() {
    if let Some(t) = TRACE.get().and_then(Option::as_ref) {
        let flushed = t.out.lock().unwrap_or_else(PoisonError::into_inner).flush();
        t.check(flushed);
    }
}

impl Trace {
    /// Log the first failed write: a lost line is a gap in a bench's trace, never a reason to
    /// stop the console, but whoever reads the trace must know it has gaps.
    fn check(&self, result: std::io::Result<()>) {
        if let Err(e) = result
            && !self.failed.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                "HELIOS_ECHO_TRACE: writing the trace failed: {e}; it has gaps from here"
            );
        }
    }
}
