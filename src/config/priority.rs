//! Background work yields to the user's keystrokes: threads that re-read lanes, probe tmux or
//! parse lanes nobody is looking at lower their own scheduling priority, and the programs they
//! start (git, tmux clients) inherit it. On two shared cores, the five-second re-read of 25 lanes
//! (about 50 git processes at once) held an echo back by up to 39 ms (swarm run 31), and under a
//! flood the lanes behind (their taps and readers) competed with the echo of the lane in front
//! (BENCHMARKS.md, runs 33-36). The periodic re-reads (lanes every 5 s, tmux's panes every 2 s)
//! also run under `SCHED_IDLE` (runs 71-72).

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

/// Put the calling thread (and what it starts) under `SCHED_IDLE`: a waking keystroke's threads
/// then preempt it at once. At nice 10 alone, the kernel's EEVDF scheduler let the re-read's git
/// processes run their 2-3 ms slices out while an echo's threads waited (a scheduler trace,
/// BENCHMARKS.md, run 70). Not for lane readers and taps: a flood would starve them and tmux
/// would queue their lanes' output. Linux only; a failure is logged and nice 10 still applies.
#[cfg(target_os = "linux")]
fn idle_policy() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
        tracing::debug!("cannot put a background thread under SCHED_IDLE: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn idle_policy() {}

/// Start a named thread for periodic re-reads that start programs (git, tmux's list commands):
/// under `SCHED_IDLE` and at background priority.
pub fn spawn_idle<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    spawn_with(name, true, work)
}

/// Start a named thread that runs `work` at background priority.
pub fn spawn<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    spawn_with(name, false, work)
}

fn spawn_with<T: Send + 'static>(
    name: &str,
    idle: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            // The policy first: it sets nice 0, which a thread already at 10 may not go back to.
            if idle {
                idle_policy();
            }
            lower_this_thread();
            work()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_re_read_thread_runs_under_sched_idle_at_background_priority() {
        let before = thread_priority::thread_schedule_policy().ok();
        let inside = spawn_idle("idle-test", || {
            (
                thread_priority::thread_schedule_policy().ok(),
                rustix::process::getpriority_process(None).ok(),
            )
        })
        .ok()
        .and_then(|h| h.join().ok());
        let idle = thread_priority::ThreadSchedulePolicy::Normal(
            thread_priority::NormalThreadSchedulePolicy::Idle,
        );
        assert_eq!(inside.map(|(policy, _)| policy), Some(Some(idle)));
        let nice = inside.and_then(|(_, nice)| nice);
        assert!(nice >= Some(BACKGROUND_NICE), "{nice:?}");
        assert_eq!(
            thread_priority::thread_schedule_policy().ok(),
            before,
            "the caller keeps its policy"
        );
    }

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
