//! Raw mode and alternate screen guard, with a panic hook and signal handling that restore the terminal.
//!
//! The guard restores on drop. A panic restores before the panic message is printed (so it is
//! readable). SIGTERM, SIGHUP and SIGINT are turned into a normal quit by the runtime, which drops
//! the guard; Ctrl-z and SIGTSTP [`suspend`] helios with the terminal restored.

use std::io::{Write, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};

/// Whether the terminal is in helios's mode, so restoring twice (drop after a panic) is harmless.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Holds the terminal in raw mode on the alternate screen with bracketed paste and mouse capture;
/// restores everything when dropped.
#[derive(Debug)]
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen, and install the panic hook.
    pub fn enter() -> std::io::Result<Self> {
        install_panic_hook();
        let guard = Self { _private: () };
        take()?;
        Ok(guard)
    }
}

/// Ctrl-z: give the terminal back as helios found it, stop until continued (`fg`), then
/// take it again; the caller redraws everything. Refused (an error saying why, the terminal
/// kept) when no shell with job control started helios: stopped, it would never be continued,
/// and the user would see a dead terminal.
pub fn suspend() -> std::io::Result<()> {
    if let Some(why) = no_job_control() {
        return Err(std::io::Error::other(why));
    }
    restore();
    // SIGSTOP, not SIGTSTP: helios handles SIGTSTP itself (a `kill -TSTP` suspends cleanly
    // too), so only SIGSTOP is sure to stop it. When the shell continues helios in the
    // background, re-entering raw mode stops it again (SIGTTOU) until `fg`.
    let stopped =
        rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::STOP)
            .map_err(std::io::Error::from);
    take()?;
    stopped
}

/// Give the terminal to a program that runs in it (`tmux attach`, zellij) until `f` returns,
/// then take it back; the caller redraws everything.
///
/// The terminal's modes as helios found them are put back before helios takes it again: a
/// program that ended without restoring them (killed, crashed) would otherwise leave its raw
/// mode, which helios would then keep as "the user's" and leave behind when it exits.
pub async fn lend<T>(f: impl std::future::Future<Output = T>) -> std::io::Result<T> {
    restore();
    let tty = rustix::fs::open(
        "/dev/tty",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    );
    let modes = tty
        .as_ref()
        .ok()
        .and_then(|t| rustix::termios::tcgetattr(t).ok());
    let out = f.await;
    if let (Ok(t), Some(m)) = (&tty, &modes)
        && let Err(e) = rustix::termios::tcsetattr(t, rustix::termios::OptionalActions::Now, m)
    {
        tracing::warn!("the terminal's modes were not put back after a program: {e}");
    }
    take()?;
    Ok(out)
}

/// Whether helios runs as a job of a shell with job control (see [`suspend`]).
pub fn job_control() -> bool {
    no_job_control().is_none()
}

/// A program the terminal was lent to stopped itself (tmux's `C-b C-z`): helios's whole job
/// stops with it, as a shell job does, so the shell shows its prompt; `fg` continues both.
/// Without job control nothing would continue them: the program is continued at once
/// instead, and why is returned.
pub fn stop_with(program: rustix::process::Pid) -> Result<(), String> {
    use rustix::process::Signal;
    if let Some(why) = no_job_control() {
        if let Err(e) = rustix::process::kill_process(program, Signal::CONT) {
            tracing::warn!("the program that stopped was not continued: {e}");
        }
        return Err(why);
    }
    rustix::process::kill_current_process_group(Signal::STOP).map_err(|e| e.to_string())
}

/// Raw mode, the alternate screen, bracketed paste, mouse capture, no cursor.
fn take() -> std::io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableMouseCapture,
        cursor::Hide
    )
}

/// Why stopping helios would leave it stopped for good, if it would: a shell with job control
/// runs each job in a process group of its own, in its own session, and waits for it to stop.
/// Without one (helios exec'd by a terminal or a multiplexer, or under `sh -c`) nobody sends
/// SIGCONT.
fn no_job_control() -> Option<String> {
    // Where /proc cannot tell, assume a shell: that is how people start a console.
    let (pgrp, session) = proc_stat("self")?;
    let parent = proc_stat(&std::os::unix::process::parent_id().to_string())?;
    if parent.1 == session && parent.0 != pgrp {
        return None;
    }
    Some(
        "cannot suspend: helios was not started by a shell with job control, so nothing would resume it; quit instead (par lanes keep running)"
            .into(),
    )
}

/// The process group and session of a process, from `/proc/PID/stat`.
fn proc_stat(pid: &str) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields start after the last `)`.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // state, ppid, pgrp, session
    let pgrp = fields.nth(2)?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    Some((pgrp, session))
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back as helios found it. Safe to call more than once.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    // Best effort: the terminal may already be gone (SIGHUP), and there is no one to tell.
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A lane's VT parser panicked and its screen starts over: the console goes on, in
            // its terminal mode and without a message over its screen.
            if crate::pty::screen::panic_is_contained() {
                return;
            }
            restore();
            previous(info);
        }));
    });
}
