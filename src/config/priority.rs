//! Background work yields to the user's keystrokes: threads that re-read lanes, probe tmux or
//! parse lanes nobody is looking at lower their own scheduling priority, and the programs they
//! start (git, tmux clients) inherit it. On two shared cores, the five-second re-read of 25 lanes
//! (about 50 git processes at once) held an echo back by up to 39 ms (swarm run 31), and under a
//! flood the lanes behind (their taps and readers) competed with the echo of the lane in front
//! (BENCHMARKS.md, runs 33-36).

/// The nice value background threads take: the kernel then gives a waking keystroke's threads
/// (at 0) about nine times their share of a busy CPU.
pub const BACKGROUND_NICE: i32 = 10;

/// Lower the calling thread's priority to [`BACKGROUND_NICE`] (Linux keeps a nice value per
/// thread; threads and processes started from it inherit it). Never raises it; a failure is
/// logged and the work runs at the priority it had.
pub fn lower_this_thread() {
    // `None`: the calling thread on Linux (on other systems, the whole process: skipped there).
    if !cfg!(target_os = "linux") {
        return;
    }
    match rustix::process::getpriority_process(None) {
        Ok(now) if now >= BACKGROUND_NICE => return,
        Ok(_) => {}
        // Not known: try anyway (were it already lower, the kernel refuses and that is logged).
        Err(e) => tracing::debug!("cannot read a background thread's priority: {e}"),
    }
    if let Err(e) = rustix::process::setpriority_process(None, BACKGROUND_NICE) {
        tracing::debug!("cannot lower a background thread's priority: {e}");
    }
}

/// Start a named thread that runs `work` at background priority.
pub fn spawn<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            lower_this_thread();
            work()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_background_thread_is_lowered_and_the_caller_is_not() {
        let before = rustix::process::getpriority_process(None).ok();
        let inside = spawn("bg-test", || {
            rustix::process::getpriority_process(None).ok()
        })
        .ok()
        .and_then(|h| h.join().ok())
        .flatten();
        assert_eq!(rustix::process::getpriority_process(None).ok(), before);
        if cfg!(target_os = "linux") {
            assert_eq!(inside, Some(BACKGROUND_NICE.max(before.unwrap_or(0))));
        }
    }
}
