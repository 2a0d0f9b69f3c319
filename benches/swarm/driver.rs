//! The measurements every system gets: find the interactive lane's prompt on the rendered
//! screen, type into it and time each echo, idle and under the flood, with CPU and memory of
//! the processes involved.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::procs;
use crate::stats::{Summary, summarize};
use crate::stream::Lcg;
use crate::term::{self, Term};

/// The interactive lane's prompt: the only place it appears on screen.
pub const PROMPT: &str = "probe> ";
/// How long one echo may take before it counts as lost.
const ECHO_TIMEOUT: Duration = Duration::from_secs(10);

/// What the driver measured in one system.
#[derive(Debug, Default, Clone)]
pub struct Echoes {
    /// Echo latency with every lane quiet.
    pub idle: Summary,
    /// Echo latency with the flooding lanes printing.
    pub loaded: Summary,
    /// Echoes that did not show within the timeout (counted as the timeout in the summaries).
    pub lost: usize,
    /// CPU of the console's own processes during the loaded phase, with the commands they ran
    /// and waited for meanwhile, in % of one core.
    pub cpu_console: f64,
    /// CPU of everything serving the screen (console plus any tmux server and clients it drives).
    pub cpu_total: f64,
    /// Peak resident set of the console's own processes, MiB.
    pub rss_console: f64,
    /// Peak resident set including servers, MiB.
    pub rss_total: f64,
    /// How busy the machine's cores were during the loaded phase, in % of all of them. Near
    /// 100, every process waited for a core and the CPU columns compare squeezed work.
    pub machine_busy: Option<f64>,
    /// What the generators managed to write during the loaded phase, MB/s in total.
    pub gen_mbps: f64,
    /// Each idle echo: when its key was sent (monotonic clock) and how long the echo took.
    pub idle_at: Sent,
    /// The same for the loaded echoes.
    pub loaded_at: Sent,
}

/// Which processes to account, found again at each sample (clients may come and go).
pub struct Accounting {
    /// The console's own processes (helios; tmux/zellij client and server).
    pub console: Box<dyn Fn() -> Vec<u32>>,
    /// Helper processes it drives (helios: the tmux server and its tmux attach clients).
    pub helpers: Box<dyn Fn() -> Vec<u32>>,
    /// The go file that starts the generators.
    pub go: PathBuf,
}

/// Find where typed text appears: the cell right after the prompt.
pub fn locate_prompt(term: &Term, timeout: Duration) -> Result<(u16, u16)> {
    term.arm(term::all_visible(vec![PROMPT.to_string()]));
    if term.wait(timeout).is_none() {
        bail!(
            "the prompt {PROMPT:?} never showed; screen:\n{}",
            term.contents()
        );
    }
    match term.with_screen(|s| term::find_text(s, PROMPT)) {
        Some((r, c)) => Ok((r, c + PROMPT.len() as u16)),
        None => bail!("the prompt vanished; screen:\n{}", term.contents()),
    }
}

/// Each key's send time (monotonic clock) and its echo's latency.
pub type Sent = Vec<(Duration, Duration)>;

/// Type `n` characters one at a time and time each echo at `pos`.
pub fn echo_samples(
    term: &mut Term,
    pos: (u16, u16),
    n: usize,
    seed: u64,
) -> Result<(Vec<Duration>, Sent, usize)> {
    let (row, col) = pos;
    let mut rng = Lcg::new(seed);
    let mut typed = String::new();
    let mut out = Vec::with_capacity(n);
    let mut at = Vec::with_capacity(n);
    let mut lost = 0;
    // Start from an empty line.
    term.time(term::text_at(row, col, ""), b"\x15", ECHO_TIMEOUT)?;
    for i in 0..n {
        if typed.len() >= 12 {
            // Ctrl-U: clear the line (not timed).
            term.time(term::text_at(row, col, ""), b"\x15", ECHO_TIMEOUT)?;
            typed.clear();
        }
        let ch = char::from(b'a' + (i % 26) as u8);
        typed.push(ch);
        if let Some(d) = term.time(term::text_at(row, col, &typed), &[ch as u8], ECHO_TIMEOUT)? {
            out.push(d);
            at.push((term.sent, d));
        } else {
            lost += 1;
            out.push(ECHO_TIMEOUT);
            term.time(term::text_at(row, col, ""), b"\x15", ECHO_TIMEOUT)?;
            typed.clear();
        }
        // Irregular gaps, so the keystrokes do not lock onto a frame clock.
        std::thread::sleep(Duration::from_millis(10 + rng.below(30)));
    }
    term.time(term::text_at(row, col, ""), b"\x15", ECHO_TIMEOUT)?;
    Ok((out, at, lost))
}

fn cpu(pids: &[u32]) -> f64 {
    pids.iter().map(|p| procs::cpu_seconds(*p)).sum()
}

fn hwm(pids: &[u32]) -> f64 {
    pids.iter().map(|p| procs::status_mib(*p, "VmHWM")).sum()
}

/// Idle echoes, then start the flood, warm up, loaded echoes with CPU and memory, stop the flood.
pub fn measure(
    term: &mut Term,
    acct: &Accounting,
    idle_n: usize,
    loaded_n: usize,
) -> Result<Echoes> {
    let pos = locate_prompt(term, Duration::from_secs(30))?;
    let (idle, idle_at, lost_idle) = echo_samples(term, pos, idle_n, 1)?;
    let gens = || procs::find_cmdline(&acct.go.display().to_string());
    std::fs::write(&acct.go, b"go")?;
    std::thread::sleep(Duration::from_secs(3));
    let console = (acct.console)();
    let helpers = (acct.helpers)();
    let (c0, h0) = (cpu(&console), cpu(&helpers));
    let w0: u64 = gens().iter().map(|p| procs::written(*p)).sum();
    let m0 = procs::machine_ticks();
    let t0 = Instant::now();
    let (loaded, loaded_at, lost_loaded) = echo_samples(term, pos, loaded_n, 2)?;
    let secs = t0.elapsed().as_secs_f64();
    let w1: u64 = gens().iter().map(|p| procs::written(*p)).sum();
    let (c1, h1) = (cpu(&console), cpu(&helpers));
    let m1 = procs::machine_ticks();
    let rss_console = hwm(&console);
    let rss_total = rss_console + hwm(&helpers);
    let _ = std::fs::remove_file(&acct.go);
    series(acct, &idle_at, &loaded_at);
    Ok(Echoes {
        idle: summarize(&idle),
        loaded: summarize(&loaded),
        lost: lost_idle + lost_loaded,
        cpu_console: (c1 - c0) / secs * 100.0,
        cpu_total: ((c1 - c0) + (h1 - h0)) / secs * 100.0,
        rss_console,
        rss_total,
        machine_busy: m0.zip(m1).map(|((b0, a0), (b1, a1))| {
            b1.saturating_sub(b0) as f64 / a1.saturating_sub(a0).max(1) as f64 * 100.0
        }),
        gen_mbps: w1.saturating_sub(w0) as f64 / secs / 1e6,
        idle_at,
        loaded_at,
    })
}

/// With `SWARM_SERIES` set to a file, append every echo of this system to it as CSV (system,
/// phase, seconds since the first idle key, ms), to see when in a phase the slow echoes fall.
fn series(acct: &Accounting, idle: &Sent, loaded: &Sent) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let Some(path) = std::env::var_os("SWARM_SERIES").map(PathBuf::from) else {
        return;
    };
    let system = acct.go.file_name().unwrap_or_default().to_string_lossy();
    let t0 = idle.first().map(|(t, _)| *t).unwrap_or_default();
    let mut out = String::new();
    for (phase, sent) in [("idle", idle), ("loaded", loaded)] {
        for (t, d) in sent {
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{system},{phase},{:.3},{:.3}",
                t.saturating_sub(t0).as_secs_f64(),
                d.as_secs_f64() * 1e3
            );
        }
    }
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(out.as_bytes()));
    if let Err(e) = written {
        eprintln!("swarm: cannot append the echoes to {}: {e}", path.display());
    }
}
