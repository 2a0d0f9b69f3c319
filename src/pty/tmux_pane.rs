//! The tmux calls made for a par lane's pane outside its reader: tmux itself with the lanes'
//! environment, readying a pane (remain-on-exit, the tap on its output) and reading its history.

use std::sync::Arc;

use crate::pty::feed;
use crate::pty::screen::LaneScreen;

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

/// Ready a par lane's pane, on a thread of its own (tmux calls must not hold up the console; a
/// failure is logged):
/// - `remain-on-exit on` for its window, so a program that ends leaves its last screen and its
///   exit status (`#{pane_dead_status}`) instead of taking the session with it;
/// - with `tap` (not control mode), its output piped to `helios osc-tap`, unless the pane already
///   has a pipe (ours from an earlier console, or the user's own, which stays). Not
///   `pipe-pane -o`: tmux closes an open pipe before it looks at `-o`, so a second call would
///   toggle the pipe off. The tap also serves the output at the lane's feed socket, for
///   consoles in `pipe` mode (pty/feed.rs). With `waiting` (a lane waiting for its tap), that
///   lane's screen is first seeded from tmux, so it shows at once ([`PaneNews::Seeded`]), and
///   then told whether a tap serves (after up to [`TAP_START`] for a tap just started).
pub(crate) fn prepare_pane(
    env: &[(String, String)],
    session: &str,
    worktree: &std::path::Path,
    tap: Option<(&std::path::Path, &std::path::Path)>,
    waiting: Option<Waiting>,
) {
    let target = crate::model::lane::tmux_pane_target(session);
    let tap = tap.map(|(bin, feed_dir)| {
        let socket = feed::socket_path(feed_dir, worktree, session);
        let quote = |p: &std::path::Path| shell_words::quote(&p.display().to_string()).into_owned();
        let command = format!(
            "exec {} osc-tap --feed {} {}",
            quote(bin),
            quote(&socket),
            quote(worktree)
        );
        (command, socket)
    });
    let env = env.to_vec();
    let session = session.to_string();
    let spawned = std::thread::Builder::new()
        .name("lane-pane".into())
        .spawn(move || {
            let tmux = |args: &[&str]| tmux(&env, args);
            match tmux(&["set-option", "-w", "-t", &target, "remain-on-exit", "on"]) {
                Ok(o) if o.status.success() => {}
                Ok(o) => tracing::warn!(
                    "tmux set-option remain-on-exit for {session}: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
                Err(e) => tracing::warn!("tmux set-option for {session} could not run: {e}"),
            }
            if let Some((command, socket)) = tap {
                let mut waiting = waiting;
                let serving = pipe_tap(&tmux, &session, &target, &command, &socket, &mut waiting);
                if let Some((_, news)) = &mut waiting {
                    news(PaneNews::Tap { serving });
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the lane-pane thread: {e}");
    }
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

/// Pipe the pane to the tap unless it has a pipe already (seeding a waiting lane's screen with
/// the same tmux call); true when a tap serves at `socket`.
fn pipe_tap(
    tmux: &dyn Fn(&[&str]) -> std::io::Result<std::process::Output>,
    session: &str,
    target: &str,
    command: &str,
    socket: &std::path::Path,
    waiting: &mut Option<Waiting>,
) -> bool {
    let mut args = vec!["display", "-p", "-t", target, "#{pane_pipe}"];
    let seed = feed::seed_command(target);
    if waiting.is_some() {
        args.push(";");
        args.extend(seed.iter().map(String::as_str));
    }
    let asked = tmux(&args);
    if let (Ok(o), Some((screen, news))) = (&asked, waiting.as_mut())
        && o.status.success()
        && let Some(at) = o.stdout.iter().position(|&b| b == b'\n')
    {
        match feed::apply_seed(&o.stdout[at + 1..], screen) {
            Ok(_) => news(PaneNews::Seeded),
            Err(e) => tracing::warn!("seeding {session}: {e}"),
        }
    }
    match asked {
        Ok(o) if o.status.success() && o.stdout.starts_with(b"0") => {}
        // Piped already: by a tap of an earlier console when its socket is there, else by the
        // user. Or the session is gone (the lane shows that itself).
        Ok(_) => return socket.exists(),
        Err(e) => {
            tracing::warn!("tmux display for {session} could not run: {e}");
            return socket.exists();
        }
    }
    match tmux(&["pipe-pane", "-O", "-t", target, command]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            tracing::warn!(
                "tmux pipe-pane for {session}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return false;
        }
        Err(e) => {
            tracing::warn!("tmux pipe-pane for {session} could not run: {e}");
            return false;
        }
    }
    let start = std::time::Instant::now();
    while !socket.exists() {
        if start.elapsed() >= TAP_START {
            tracing::warn!(
                "the tap of {session} did not serve at {} within {TAP_START:?}; the lane is read \
                 through tmux attach",
                socket.display()
            );
            return false;
        }
        // Polled: the socket is made by a process tmux starts, with nothing to wait on.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    true
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
