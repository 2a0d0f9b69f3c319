//! A program that takes the terminal for a while: `a` outside tmux and zellij attaches to a par
//! lane's tmux session, `L` outside zellij runs zellij. The console gives the terminal back as
//! it found it, runs the program in it, and takes it back when the program ends (a detach).
//!
//! Meanwhile the loop neither draws nor reads keys, but goes on with everything else: lanes'
//! output, results, the journal and the 1 s tick. helios's own lanes keep running (before, the
//! console replaced itself with the program and ended them).

use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::signal::unix::{Signal, SignalKind};

use super::{EventReceiver, Outcome, Ui, redraw_all};
use crate::app::effect::HandOver;
use crate::pty::PtyBackend;
use crate::runtime::engine::Engine;

/// What the program may print on stderr that the flash shows when it fails (its last bytes).
const KEPT_STDERR: usize = 2048;

/// The console's signals. SIGTERM and SIGHUP end it; SIGINT and SIGTSTP that come while the
/// program runs were meant for the program (a Ctrl-c or Ctrl-z typed while the terminal was
/// not in its raw mode reaches helios's process group too) and are dropped, so the console
/// does not quit or stop on them once it is back.
pub(super) struct Ends<'a> {
    pub term: &'a mut Signal,
    pub hup: &'a mut Signal,
    pub int: &'a mut Signal,
    pub tstp: &'a mut Signal,
}

/// Run `h`'s program in the terminal until it ends, then redraw everything. `Some(Quit)` when
/// a signal ended the console meanwhile (the program is stopped with it).
pub(super) async fn run<B: PtyBackend>(
    engine: &mut Engine<B>,
    ui: &mut Ui,
    events: &mut EventReceiver,
    ends: Ends<'_>,
    h: HandOver,
    ahead: &[u8],
) -> anyhow::Result<Option<Outcome>> {
    if !ahead.is_empty() {
        // Into the pane before its client starts, as tmux takes keys typed into a client.
        if let Some(s) = &h.session {
            if let Err(e) = crate::lanes::par::type_keys(s, ahead) {
                tracing::warn!("keys typed ahead of attaching to {s} were lost: {e}");
            }
        } else {
            tracing::debug!("{} bytes typed ahead of {:?} dropped", ahead.len(), h.argv);
        }
    }
    let lent = crate::terminal::lend(wait(engine, events, ends, &h.argv)).await;
    let result = match lent {
        Ok(Some(result)) => result,
        Ok(None) => {
            let why = "helios was ended by a signal while the program ran".to_string();
            engine.handed_back(h, Err(why));
            return Ok(Some(Outcome::Quit));
        }
        Err(e) => anyhow::bail!("cannot take the terminal back: {e}"),
    };
    if let Err(e) = &result {
        tracing::warn!("{e}");
    }
    engine.handed_back(h, result);
    redraw_all(engine, ui);
    Ok(None)
}

/// Start the program and handle the loop's events until it ends: what it ended with, or `None`
/// when a signal ended the console first.
async fn wait<B: PtyBackend>(
    engine: &mut Engine<B>,
    events: &mut EventReceiver,
    ends: Ends<'_>,
    argv: &[String],
) -> Option<Result<(), String>> {
    let Some((prog, args)) = argv.split_first() else {
        return Some(Err("nothing to run".into()));
    };
    let shown = argv.join(" ");
    let mut cmd = tokio::process::Command::from(crate::config::secrets::command(prog));
    // The program takes this terminal as if helios were not in tmux: a `tmux attach` from a
    // console inside another tmux server than the lanes' would refuse to nest ("sessions
    // should be nested with care") and reach the wrong server's sessions otherwise.
    cmd.args(args)
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    // Watched before the program starts, so a stop is never missed.
    let mut changed = match tokio::signal::unix::signal(SignalKind::child()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("a program that stops itself will not stop helios with it: {e}");
            None
        }
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Some(Err(format!(
                "running {shown} failed: {e}; is {prog} installed?"
            )));
        }
    };
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw);
    let stderr = tokio::spawn(last_bytes(child.stderr.take()));
    // Without job control the kernel drops the SIGTSTP tmux's client sends itself on `C-b
    // C-z` (its process group is orphaned): it leaves the terminal and waits for a SIGCONT
    // nobody would send, and the console looked frozen. So it gets one each second: a client
    // that runs ignores it, a suspended one comes back (a suspend refused, as helios's own
    // Ctrl-z is there).
    let jobs = crate::terminal::job_control();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut open = true;
    let status = loop {
        tokio::select! {
            biased;
            _ = ends.term.recv() => return end(child, pid).await,
            _ = ends.hup.recv() => return end(child, pid).await,
            _ = ends.int.recv() => {},
            _ = ends.tstp.recv() => {},
            status = child.wait() => break status,
            Some(()) = async { changed.as_mut()?.recv().await } => {
                if let Some(p) = pid.filter(|p| stopped(*p))
                    && let Err(why) = crate::terminal::stop_with(p)
                {
                    tracing::warn!("{shown} stopped itself and was continued: {why}");
                }
            },
            ev = events.recv(), if open => match ev {
                Some(e) => engine.handle(e),
                None => open = false,
            },
            now = tick.tick() => {
                engine.tick(now.into_std());
                if let Some(p) = pid.filter(|_| !jobs) {
                    continue_it(p);
                }
            },
        }
    };
    let said = stderr.await.unwrap_or_else(|e| {
        tracing::warn!("the program's stderr was not read to its end: {e}");
        Vec::new()
    });
    match status {
        Ok(s) if s.success() => Some(Ok(())),
        Ok(s) => {
            let said = String::from_utf8_lossy(&said);
            let last = said.lines().rev().find(|l| !l.trim().is_empty());
            Some(Err(match last {
                Some(l) => format!("{shown} ended ({s}): {}", l.trim()),
                None => format!("{shown} ended ({s})"),
            }))
        }
        Err(e) => Some(Err(format!("waiting for {shown} failed: {e}"))),
    }
}

/// Whether `pid` (a child) has stopped since last asked: its stop is taken (`WSTOPPED` only,
/// so its exit is left for tokio to reap).
fn stopped(pid: rustix::process::Pid) -> bool {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    matches!(
        waitid(WaitId::Pid(pid), WaitIdOptions::STOPPED | WaitIdOptions::NOHANG),
        Ok(Some(s)) if s.stopped()
    )
}

fn continue_it(pid: rustix::process::Pid) {
    if let Err(e) = rustix::process::kill_process(pid, rustix::process::Signal::CONT) {
        tracing::debug!("no SIGCONT for the program in the console's terminal: {e}");
    }
}

/// The console is ending while the program runs: ask it to end too (SIGTERM: tmux's client
/// then gives the terminal back as it found it, which SIGKILL would not let it do), and wait
/// for it a moment. `None`: the console ends.
async fn end(
    mut child: tokio::process::Child,
    pid: Option<rustix::process::Pid>,
) -> Option<Result<(), String>> {
    if let Some(p) = pid
        && let Err(e) = rustix::process::kill_process(p, rustix::process::Signal::TERM)
    {
        tracing::warn!("the program in the console's terminal was not asked to end: {e}");
    }
    if tokio::time::timeout(Duration::from_secs(2), child.wait())
        .await
        .is_err()
    {
        tracing::warn!("the program in the console's terminal did not end in 2 s; killed");
    }
    None
}

/// Everything `from` writes, of which the last [`KEPT_STDERR`] bytes are kept: read to its end
/// so the program never waits on a full pipe.
async fn last_bytes(from: Option<tokio::process::ChildStderr>) -> Vec<u8> {
    let Some(mut from) = from else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                let extra = kept.len().saturating_sub(KEPT_STDERR);
                kept.drain(..extra);
            }
        }
    }
}

/// What the terminal events left after the key that lent the terminal were, as bytes typed
/// (keys as xterm sends them, pastes as their text).
pub(super) fn typed_ahead(rest: impl Iterator<Item = crossterm::event::Event>) -> Vec<u8> {
    use crossterm::event::{Event, KeyEventKind};
    let mut bytes = Vec::new();
    for ev in rest {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                if let Some(b) = crate::app::keys::encode_key(k, false) {
                    bytes.extend(b);
                } else {
                    // A key with no terminal encoding (a bare modifier) types nothing.
                    tracing::debug!("a key typed ahead has no encoding: {k:?}");
                }
            }
            Event::Paste(text) => bytes.extend(text.into_bytes()),
            _ => {}
        }
    }
    bytes
}
