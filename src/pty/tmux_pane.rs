//! The tmux calls made for a par lane's pane outside its reader: tmux itself with the lanes'
//! environment, readying a pane (remain-on-exit, the tap on its output) and reading its history.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::pty::screen::LaneScreen;
use crate::pty::{feed, seeds};

/// Run tmux with the lanes' environment (their tmux server), outside any tmux of helios's own.
pub(crate) fn tmux(
    env: &[(String, String)],
    args: &[&str],
) -> std::io::Result<std::process::Output> {
    crate::config::secrets::command("tmux")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("TMUX")
        .output()
}

/// A test's private tmux server (`TMUX_TMPDIR` in its environment), ended when the test ends,
/// an assertion failed or not.
#[cfg(test)]
pub(crate) struct TestServer(pub Vec<(String, String)>);

#[cfg(test)]
impl Drop for TestServer {
    fn drop(&mut self) {
        match tmux(&self.0, &["kill-server"]) {
            Ok(o) if o.status.success() => {}
            other => eprintln!("the test's tmux server may still run: {other:?}"),
        }
    }
}

/// Readies par lanes' panes on a few threads of their own (tmux calls must not hold up the
/// console), the lane in front first. At a console's first start every lane's pane is readied
/// at once: with a thread each, 50 lanes made 100-150 tmux calls and started 50 taps together,
/// and the lane the user looks at waited its turn among them (first start-up 0.6-1.0 s at 50
/// lanes against 0.17 s at 25).
#[derive(Default)]
pub(crate) struct Preparer {
    queue: Arc<Mutex<Queue>>,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    workers: usize,
}

type Job = Box<dyn FnOnce() + Send>;

/// At most this many panes are readied at once (the machines have two cores; each job is a
/// tmux call or two, the tmux server does the work).
const WORKERS: usize = 4;

impl Preparer {
    /// Ready a par lane's pane (a failure is logged):
    /// - `remain-on-exit on` for its window, so a program that ends leaves its last screen and
    ///   its exit status (`#{pane_dead_status}`) instead of taking the session with it;
    /// - with `tap` (not control mode), its output piped to `helios osc-tap`, unless the pane
    ///   already has a pipe (ours from an earlier console, or the user's own, which stays). Not
    ///   `pipe-pane -o`: tmux closes an open pipe before it looks at `-o`, so a second call would
    ///   toggle the pipe off. The tap also serves the output at the lane's feed socket, for
    ///   consoles in `pipe` mode (pty/feed.rs). With `waiting` (a lane waiting for its tap),
    ///   that lane's screen is seeded from tmux in the same call, so it shows at once
    ///   ([`PaneNews::Seeded`]), and then told whether a tap serves (after up to
    ///   [`TAP_START`] for a tap just started).
    ///
    /// `front`: the lane the user looks at, readied before the lanes queued behind it.
    pub(crate) fn pane(&self, pane: Pane<'_>, waiting: Option<Waiting>, front: bool) {
        let target = crate::model::lane::tmux_pane_target(pane.session);
        let tap = pane.tap.map(|(bin, feed_dir)| {
            let socket = feed::socket_path(feed_dir, pane.worktree, pane.session);
            let quote =
                |p: &std::path::Path| shell_words::quote(&p.display().to_string()).into_owned();
            let command = format!(
                "exec {} osc-tap --feed {} {}",
                quote(bin),
                quote(&socket),
                quote(pane.worktree)
            );
            (command, socket)
        });
        let env = pane.env.to_vec();
        let session = pane.session.to_string();
        self.submit(
            Box::new(move || {
                let tmux = |args: &[&str]| tmux(&env, args);
                let mut waiting = waiting;
                let keep = ["set-option", "-w", "-t", &target, "remain-on-exit", "on"];
                let Some((command, socket)) = tap else {
                    report(&session, "set-option remain-on-exit", tmux(&keep));
                    return;
                };
                let serving =
                    match pipe_tap(&tmux, &keep, &session, &target, &command, &mut waiting) {
                        Tap::Started => return await_tap(session, socket, waiting),
                        Tap::Decided => socket.exists(),
                        Tap::Failed => false,
                    };
                if let Some((_, news)) = &mut waiting {
                    news(PaneNews::Tap { serving });
                }
            }),
            front,
        );
    }

    /// Learn the terminal size a `tmux attach` client of the lane in front must have to leave
    /// its window as it is, before its feed's first seed tells it (at a console's start that
    /// seed waits its turn among every lane's, and until the client runs, keys go through one
    /// `send-keys` each). Stored in `keep` unless the seed was first; `known` is called either
    /// way (the console then starts the client). A failure is logged, and the seed still comes.
    pub(crate) fn client_size(
        &self,
        env: &[(String, String)],
        session: &str,
        keep: Arc<AtomicU32>,
        known: Box<dyn FnOnce() + Send>,
    ) {
        let target = crate::model::lane::tmux_pane_target(session);
        let (env, session) = (env.to_vec(), session.to_string());
        self.submit(
            Box::new(move || {
                let args = [
                    "display-message",
                    "-p",
                    "-t",
                    &target,
                    seeds::WINDOW_SIZE_FORMAT,
                ];
                let out = tmux(&env, &args);
                let size = match &out {
                    Ok(o) if o.status.success() => {
                        seeds::window_client_size(&String::from_utf8_lossy(&o.stdout))
                    }
                    _ => None,
                };
                match size {
                    Some((rows, cols)) => {
                        let v = u32::from(rows) << 16 | u32::from(cols);
                        // The seed's size, when it came first, is as good.
                        if let Err(seeded) =
                            keep.compare_exchange(0, v, Ordering::AcqRel, Ordering::Acquire)
                        {
                            tracing::debug!(
                                "{session}: its seed gave the client's size first ({seeded:#x})"
                            );
                        }
                        known();
                    }
                    None if matches!(&out, Ok(o) if o.status.success()) => tracing::warn!(
                        "tmux gave no window size for {session}; its client waits for its seed"
                    ),
                    None => report(&session, "display-message (the window's size)", out),
                }
            }),
            true,
        );
    }

    fn submit(&self, job: Job, front: bool) {
        let mut q = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if front {
            q.jobs.push_front(job);
        } else {
            q.jobs.push_back(job);
        }
        if q.workers >= WORKERS {
            return;
        }
        q.workers += 1;
        drop(q);
        let queue = self.queue.clone();
        // Readying panes (tmux calls) is background work: the lane in front goes first in the
        // queue, and the echo of a lane already shown goes first on the CPU.
        let spawned = crate::config::priority::spawn("lane-pane", move || work(&queue));
        if let Err(e) = spawned {
            tracing::warn!("cannot start a lane-pane thread: {e}");
            let mut q = self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            q.workers -= 1;
        }
    }
}

/// A worker: jobs until the queue is empty, then it ends (a later job starts another).
fn work(queue: &Mutex<Queue>) {
    loop {
        let job = {
            let mut q = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(job) = q.jobs.pop_front() else {
                q.workers -= 1;
                return;
            };
            job
        };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            tracing::error!("readying a lane's pane panicked; the next lane is readied");
        }
    }
}

/// What [`Preparer::pane`] readies: the lanes' environment (their tmux server), the session,
/// the worktree, and with `tap` the helios binary and the feed directory.
pub(crate) struct Pane<'a> {
    pub env: &'a [(String, String)],
    pub session: &'a str,
    pub worktree: &'a std::path::Path,
    pub tap: Option<(&'a std::path::Path, &'a std::path::Path)>,
}

/// How long a tap just piped may take to serve its socket (tmux starts `sh`, which starts
/// helios, which binds it).
const TAP_START: std::time::Duration = std::time::Duration::from_secs(3);

/// A lane waiting for its tap: its screen, and who hears the news of its pane.
pub(crate) type Waiting = (Arc<LaneScreen>, Box<dyn FnMut(PaneNews) + Send>);

/// What the thread readying a waiting lane's pane tells its console.
pub(crate) enum PaneNews {
    /// The lane's screen now shows the pane as tmux has it.
    Seeded,
    /// A tap serves the pane's output at the lane's socket, or none will.
    Tap { serving: bool },
}

/// What became of a pane's tap.
enum Tap {
    /// The pane had a pipe already (a tap serves when its socket is there), or is gone.
    Decided,
    /// The pipe could not be made.
    Failed,
    /// A tap was just piped: its socket comes when it has started.
    Started,
}

/// Log a tmux call that failed.
fn report(session: &str, what: &str, out: std::io::Result<std::process::Output>) {
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => tracing::warn!(
            "tmux {what} for {session}: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => tracing::warn!("tmux {what} for {session} could not run: {e}"),
    }
}

/// Keep the pane's window (`keep`) and pipe the pane to the tap unless it has a pipe already,
/// seeding a waiting lane's screen in the same tmux call: two calls at most.
fn pipe_tap(
    tmux: &dyn Fn(&[&str]) -> std::io::Result<std::process::Output>,
    keep: &[&str],
    session: &str,
    target: &str,
    command: &str,
    waiting: &mut Option<Waiting>,
) -> Tap {
    let mut args = keep.to_vec();
    args.extend([";", "display", "-p", "-t", target, "#{pane_pipe}"]);
    let seed = seeds::seed_command(target);
    if waiting.is_some() {
        args.push(";");
        args.extend(seed.iter().map(String::as_str));
    }
    let asked = tmux(&args);
    if let (Ok(o), Some((screen, news))) = (&asked, waiting.as_mut())
        && o.status.success()
        && let Some(at) = o.stdout.iter().position(|&b| b == b'\n')
    {
        match seeds::apply_seed(&o.stdout[at + 1..], screen) {
            Ok(_) => news(PaneNews::Seeded),
            Err(e) => tracing::warn!("seeding {session}: {e}"),
        }
    }
    match asked {
        Ok(o) if o.status.success() && o.stdout.starts_with(b"0") => {}
        // Piped already: by a tap of an earlier console when its socket is there, else by the
        // user. Or the session is gone (the lane shows that itself).
        Ok(o) => {
            if !o.status.success() {
                report(session, "set-option and display", Ok(o));
            }
            return Tap::Decided;
        }
        Err(e) => {
            tracing::warn!("tmux display for {session} could not run: {e}");
            return Tap::Decided;
        }
    }
    match tmux(&["pipe-pane", "-O", "-t", target, command]) {
        Ok(o) if o.status.success() => Tap::Started,
        out => {
            report(session, "pipe-pane", out);
            Tap::Failed
        }
    }
}

/// Wait for a tap just piped to serve, on a thread of its own (it only sleeps: the workers go
/// on with the next pane), and tell a waiting lane.
fn await_tap(session: String, socket: std::path::PathBuf, waiting: Option<Waiting>) {
    let spawned = std::thread::Builder::new()
        .name("lane-tap".into())
        .spawn(move || {
            let start = std::time::Instant::now();
            let mut serving = true;
            while !socket.exists() {
                if start.elapsed() >= TAP_START {
                    tracing::warn!(
                        "the tap of {session} did not serve at {} within {TAP_START:?}; the lane \
                         is read through tmux attach",
                        socket.display()
                    );
                    serving = false;
                    break;
                }
                // Polled: the socket is made by a process tmux starts, with nothing to wait on.
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            if let Some((_, mut news)) = waiting {
                news(PaneNews::Tap { serving });
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the lane-tap thread: {e}");
    }
}

/// Read a par lane's history (`tmux capture-pane -p -e`, at most `limit` lines above the
/// pane: the scrollback a lane keeps, whatever tmux's `history-limit`) on a thread of its own
/// and show it in `screen` while the lane is scrolled back; a failure is logged and the live
/// screen stays.
pub(crate) fn capture_history(
    env: &[(String, String)],
    session: &str,
    limit: usize,
    screen: Arc<LaneScreen>,
) {
    let target = crate::model::lane::tmux_pane_target(session);
    let start = format!("-{limit}");
    let env = env.to_vec();
    let session = session.to_string();
    let spawned = std::thread::Builder::new()
        .name("lane-history".into())
        .spawn(move || {
            let out = tmux(
                &env,
                &[
                    "capture-pane",
                    "-p",
                    "-e",
                    "-S",
                    &start,
                    "-E",
                    "-",
                    "-t",
                    &target,
                ],
            );
            match out {
                Ok(o) if o.status.success() => screen.set_history(&o.stdout),
                Ok(o) => tracing::warn!(
                    "tmux capture-pane for {session}'s history: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
                Err(e) => tracing::warn!("tmux capture-pane for {session} could not run: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the lane-history thread: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn the_lane_in_front_is_readied_before_the_lanes_queued_behind_it() {
        let prepare = Preparer::default();
        let (done, order) = mpsc::channel::<&'static str>();
        // Every worker busy until released.
        let mut gates = Vec::new();
        let (started, busy) = mpsc::channel();
        for _ in 0..WORKERS {
            let (open, gate) = mpsc::channel::<()>();
            gates.push(open);
            let started = started.clone();
            prepare.submit(
                Box::new(move || {
                    started.send(()).unwrap();
                    gate.recv().unwrap();
                }),
                false,
            );
        }
        for _ in 0..WORKERS {
            busy.recv().unwrap();
        }
        for (name, front) in [("behind-1", false), ("behind-2", false), ("front", true)] {
            let done = done.clone();
            prepare.submit(Box::new(move || done.send(name).unwrap()), front);
        }
        // One worker free: it takes the lane in front first.
        let mut gates = gates.into_iter();
        gates.next().unwrap().send(()).unwrap();
        assert_eq!(order.recv().unwrap(), "front");
        for g in gates {
            g.send(()).unwrap();
        }
        let mut rest = vec![order.recv().unwrap(), order.recv().unwrap()];
        rest.sort_unstable();
        assert_eq!(rest, ["behind-1", "behind-2"]);
    }

    /// The lane in front learns its client's size from tmux itself (a private tmux server):
    /// the window's size plus its status line, unless the seed stored one first.
    #[test]
    fn the_front_lanes_client_size_comes_from_tmux_before_any_seed() {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![("TMUX_TMPDIR".to_string(), dir.path().display().to_string())];
        let _server = TestServer(env.clone());
        let made = tmux(
            &env,
            &[
                "new-session",
                "-d",
                "-s",
                "sized",
                "-x",
                "100",
                "-y",
                "30",
                "sh",
            ],
        )
        .unwrap();
        assert!(made.status.success(), "{made:?}");
        let prepare = Preparer::default();
        let ask = |keep: &Arc<AtomicU32>| {
            let (known, heard) = mpsc::channel();
            prepare.client_size(
                &env,
                "sized",
                keep.clone(),
                Box::new(move || known.send(()).unwrap()),
            );
            heard.recv_timeout(std::time::Duration::from_secs(30))
        };
        let keep = Arc::new(AtomicU32::new(0));
        assert_eq!(ask(&keep), Ok(()));
        assert_eq!(keep.load(Ordering::Acquire), (31 << 16) + 100);
        // A size the seed stored first stays.
        let seeded = Arc::new(AtomicU32::new((7 << 16) + 9));
        assert_eq!(ask(&seeded), Ok(()));
        assert_eq!(seeded.load(Ordering::Acquire), (7 << 16) + 9);
        // No such session: nothing is known (logged), and the caller is not called.
        let (known, heard) = mpsc::channel();
        prepare.client_size(
            &env,
            "gone",
            Arc::new(AtomicU32::new(0)),
            Box::new(move || known.send(()).unwrap()),
        );
        assert!(
            heard
                .recv_timeout(std::time::Duration::from_secs(30))
                .is_err()
        );
    }

    #[test]
    fn a_job_that_panics_does_not_take_its_worker_with_it() {
        let prepare = Preparer::default();
        let (said, heard) = mpsc::channel::<&'static str>();
        for _ in 0..WORKERS * 2 {
            let said = said.clone();
            prepare.submit(
                Box::new(move || {
                    said.send("failing").unwrap();
                    panic!("a job that fails");
                }),
                false,
            );
        }
        for _ in 0..WORKERS * 2 {
            assert_eq!(heard.recv().unwrap(), "failing");
        }
        prepare.submit(Box::new(move || said.send("last").unwrap()), false);
        let last = heard.recv_timeout(std::time::Duration::from_secs(30));
        assert_eq!(last, Ok("last"));
    }
}
