//! tmux as the reference: the same lanes as panes tiled in one window (a window per 25 lanes),
//! one client attached in the driver's PTY; and one pane for the `cat` test.

use std::time::Duration;

use anyhow::{Result, bail};

use crate::Config;
use crate::driver::{self, Accounting, Echoes};
use crate::stats::{Summary, summarize};
use crate::term::{self, Term};
use crate::world::World;

const DIR: &str = "tmux-plain";

/// Build the session: pane 0 the interactive shell, the others generators, tiled.
pub fn setup(w: &World, cfg: &Config) -> Result<()> {
    let (cols, rows) = cfg.size;
    w.tmux(
        DIR,
        &[
            "new-session",
            "-d",
            "-s",
            "swarm",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            &crate::probe_shell(),
        ],
    )?;
    let go = w.path("go-tmux");
    let generator = crate::gen_command(&go, cfg.rate);
    // 25 panes a window, as helios shows 25 tiles a page: the rest are in windows not shown.
    for i in 1..cfg.lanes {
        let window = format!("swarm:{}", i / crate::PAGE);
        if i % crate::PAGE == 0 {
            w.tmux(DIR, &["new-window", "-d", "-t", &window, &generator])?;
        } else {
            w.tmux(
                DIR,
                &[
                    "split-window",
                    "-d",
                    "-t",
                    &format!("{window}.0"),
                    &generator,
                ],
            )?;
            w.tmux(DIR, &["select-layout", "-t", &window, "tiled"])?;
        }
    }
    w.tmux(DIR, &["select-window", "-t", "swarm:0"])?;
    w.tmux(DIR, &["select-pane", "-t", "swarm:0.0"])?;
    Ok(())
}

fn attach(w: &World, cfg: &Config, session: &str, dir: &str) -> Result<Term> {
    let mut cmd = w.pty_command(std::path::Path::new("tmux"), dir);
    cmd.args(["attach", "-t", session]);
    Term::spawn(cmd, cfg.size.0, cfg.size.1)
}

/// Time from starting a client to a complete first frame (prompt and status line drawn).
pub fn startup(w: &World, cfg: &Config) -> Result<Summary> {
    let mut times = Vec::new();
    for _ in 0..cfg.startups {
        let t0 = std::time::Instant::now();
        let t = attach(w, cfg, "swarm", DIR)?;
        t.arm(term::all_visible(vec![
            driver::PROMPT.into(),
            "[swarm]".into(),
        ]));
        match t.wait(Duration::from_secs(30)) {
            Some(at) => times.push(at - t0),
            None => bail!("tmux client never drew its first frame:\n{}", t.contents()),
        }
    }
    Ok(summarize(&times))
}

/// Echo latency idle and under the flood, CPU and memory of the tmux server and client.
pub fn echoes(w: &World, cfg: &Config) -> Result<Echoes> {
    measure(w, cfg, attach(w, cfg, "swarm", DIR)?)
}

/// The same echoes through a tmux client behind a relay (`relay.rs`): the floor for any
/// program between the terminal and a tmux client. CPU: the server, the relay and its client.
/// Also the report lines of the relay's echo trace, split as helios's are.
pub fn relay_echoes(w: &World, cfg: &Config) -> Result<(Echoes, Vec<String>)> {
    relayed(w, cfg, "echo-trace-relay")
}

/// The floor again with every flooding pane piped (`pipe-pane -O` into `cat`), as helios pipes
/// the par lanes behind the one in front: what the pipes alone cost tmux's loop, and so the
/// echo, with nothing behind them but a reader. Its CPU leaves out the `cat`s.
pub fn piped_relay_echoes(w: &World, cfg: &Config) -> Result<(Echoes, Vec<String>)> {
    let front = w.tmux(DIR, &["display", "-p", "-t", "swarm:0.0", "#{pane_id}"])?;
    let panes = w.tmux(
        DIR,
        &["list-panes", "-s", "-t", "swarm", "-F", "#{pane_id}"],
    )?;
    let piped: Vec<&str> = panes.lines().filter(|p| *p != front.trim()).collect();
    for pane in &piped {
        w.tmux(DIR, &["pipe-pane", "-O", "-t", pane, "cat > /dev/null"])?;
    }
    let out = relayed(w, cfg, "echo-trace-relay-piped");
    for pane in &piped {
        // `pipe-pane` without a command closes the pane's pipe.
        w.tmux(DIR, &["pipe-pane", "-t", pane])?;
    }
    out
}

fn relayed(w: &World, cfg: &Config, trace: &str) -> Result<(Echoes, Vec<String>)> {
    let exe = std::env::current_exe()?;
    let trace = w.path(trace);
    std::fs::create_dir_all(&trace)?;
    let mut cmd = w.pty_command(&exe, DIR);
    cmd.args(["--relay", "tmux", "attach", "-t", "swarm"]);
    cmd.env("HELIOS_ECHO_TRACE", &trace);
    // `measure` drops the terminal, which waits for the relay to exit: its trace is complete.
    let echoes = measure(w, cfg, Term::spawn(cmd, cfg.size.0, cfg.size.1)?)?;
    let notes = crate::trace::report(&trace, "the relay", &echoes.idle_at, &echoes.loaded_at)?;
    Ok((echoes, notes))
}

/// Echoes through the terminal `t` shows, a tmux client or what runs one; the console's CPU is
/// the server's, `t`'s process's and its children's.
fn measure(w: &World, cfg: &Config, mut t: Term) -> Result<Echoes> {
    let server: u32 = w.tmux(DIR, &["display", "-p", "#{pid}"])?.trim().parse()?;
    let front = t.pid;
    let acct = Accounting {
        console: Box::new(move || {
            let mut v = vec![server, front];
            v.extend(crate::procs::children(front));
            v
        }),
        helpers: Box::new(Vec::new),
        go: w.path("go-tmux"),
    };
    driver::measure(&mut t, &acct, cfg.idle_samples, cfg.samples)
}

/// `cat` of the big file in one tmux pane: seconds for each repeat.
pub fn cat(w: &World, cfg: &Config) -> Result<Vec<Duration>> {
    let (cols, rows) = cfg.cat_size;
    w.tmux(
        "tmux-cat",
        &[
            "new-session",
            "-d",
            "-s",
            "cat",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            &crate::probe_shell(),
        ],
    )?;
    let mut t = Term::spawn(
        {
            let mut c = w.pty_command(std::path::Path::new("tmux"), "tmux-cat");
            c.args(["attach", "-t", "cat"]);
            c
        },
        cols,
        rows,
    )?;
    let out = crate::cat_runs(w, &mut t, cfg);
    let _ = w.tmux("tmux-cat", &["kill-server"]);
    out
}
