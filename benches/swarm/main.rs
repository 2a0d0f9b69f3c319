//! The swarm benchmark: helios, tmux and zellij side by side in one run on this machine.
//!
//! `cargo bench --bench swarm` builds helios in release mode and runs every measurement of
//! issue 6's swarm table (echo latency idle and under a 24-lane flood, CPU, peak RSS, start-up
//! to the first full frame, `cat` of 50 MB), then prints a markdown table with ratios to tmux.
//! Knobs (environment): SWARM_LANES (25; a list such as `25,50` runs each), SWARM_SAMPLES (120
//! loaded echoes), SWARM_IDLE (60), SWARM_RATE (2000000 bytes/s per flooding lane; a list such
//! as `2000000,4000000` runs each), SWARM_SYSTEMS (helios,tmux,zellij; add helios-owned for
//! helios-owned lanes, helios-attach for par lanes read through `tmux attach` clients,
//! helios-control for par lanes read through tmux control mode, relay for the floor of a par
//! lane: tmux's client behind a process that only copies bytes, with the tmux system;
//! relay-piped for the same floor with every flooding pane piped into `cat`, as helios pipes
//! the par lanes behind the one in front),
//! SWARM_CAT_MB (50), SWARM_STARTUPS (5), SWARM_OUT (write the tables to this file too),
//! SWARM_HELIOS_BASE (the path of another helios build, measured on the same par lanes in the
//! same run, each build with taps of its own, first; with SWARM_HELIOS_BASE_LAST set, second:
//! an A/B of a change), SWARM_REPEAT (1; N runs each configuration N times, each
//! in a fresh world, and adds a table of each system's same-run ratios to tmux over the runs:
//! one run's tail ratios move more between identical builds than most changes do).
//! Beyond 25 lanes, tmux gets a window of 25 panes per 25 lanes and helios pages its grid: the
//! interactive lane is on the first page either way.
//! Everything runs in a temporary world (git repo, XDG dirs, private tmux and zellij sockets)
//! that is torn down, with every process in it, when the run ends or fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod driver;
mod generator;
mod helios;
mod procs;
mod relay;
mod stats;
mod term;
mod tmux;
mod trace;
mod world;
mod zellij;

#[path = "../support/stream.rs"]
mod stream;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::driver::Echoes;
use crate::stats::{Summary, ms, ratio, settled, summarize};
use crate::term::Term;
use crate::world::World;

/// The idle p99 is also given for the keys typed this long after the phase's first: a console
/// is measured right after it starts, and its first second's echoes share the machine with
/// every lane being read for the first time.
pub const SETTLED: Duration = Duration::from_secs(1);

/// Lanes shown at once: helios's grid page and, to match it, tmux's panes per window.
pub const PAGE: usize = ::helios::ui::GRID_MAX;

/// What to run.
pub struct Config {
    /// Lanes in the grid (one interactive, the rest flooding).
    pub lanes: usize,
    /// Loaded echo samples.
    pub samples: usize,
    /// Idle echo samples.
    pub idle_samples: usize,
    /// Bytes per second per flooding lane.
    pub rate: u64,
    /// Which systems.
    pub systems: Vec<String>,
    /// Size of the `cat` file in MB.
    pub cat_mb: usize,
    /// Start-up repeats.
    pub startups: usize,
    /// `cat` repeats.
    pub cat_runs: usize,
    /// The terminal for the grid (cols, rows).
    pub size: (u16, u16),
    /// The terminal for the `cat` test (helios's single pane is then 200x50).
    pub cat_size: (u16, u16),
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Config {
    /// One configuration per lane count and flood rate listed in the environment.
    fn from_env() -> Vec<Self> {
        let list = |key: &str, default: u64| -> Vec<u64> {
            let v: Vec<u64> = std::env::var(key)
                .unwrap_or_default()
                .split(',')
                .filter_map(|v| v.trim().parse().ok())
                .collect();
            if v.is_empty() { vec![default] } else { v }
        };
        let mut out = Vec::new();
        for lanes in list("SWARM_LANES", 25) {
            for rate in list("SWARM_RATE", 2_000_000) {
                out.push(Self {
                    lanes: usize::try_from(lanes).unwrap_or(25).max(2),
                    rate,
                    ..Self::base()
                });
            }
        }
        out
    }

    fn base() -> Self {
        Self {
            lanes: 25,
            samples: env_or("SWARM_SAMPLES", 120),
            idle_samples: env_or("SWARM_IDLE", 60),
            rate: 2_000_000,
            systems: env_or("SWARM_SYSTEMS", "helios,tmux,zellij".to_string())
                .split(',')
                .map(str::to_string)
                .collect(),
            cat_mb: env_or("SWARM_CAT_MB", 50),
            startups: env_or("SWARM_STARTUPS", 5),
            cat_runs: env_or("SWARM_CAT_RUNS", 3),
            size: (250, 80),
            cat_size: (232, 53),
        }
    }

    fn wants(&self, system: &str) -> bool {
        self.systems.iter().any(|s| s == system)
    }
}

/// The interactive lane's shell: bash without rc files, with the probe prompt.
pub fn probe_shell() -> String {
    format!("env 'PS1={}' /bin/bash --norc --noprofile", driver::PROMPT)
}

/// The command a flooding pane runs: this binary in its generator role.
pub fn gen_command(go: &Path, rate: u64) -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    format!("'{}' --gen {rate} '{}'", exe.display(), go.display())
}

/// Type `cat FILE` at the prompt and time until the end marker is drawn; `cat_runs` times.
pub fn cat_runs(w: &World, t: &mut Term, cfg: &Config) -> Result<Vec<Duration>> {
    let file = w.path("cat.txt");
    if !file.exists() {
        std::fs::write(&file, stream::generate(50, cfg.cat_mb << 20))?;
    }
    let mut out = Vec::new();
    for i in 0..cfg.cat_runs {
        driver::locate_prompt(t, Duration::from_secs(30))?;
        let marker = format!("CATDONE{i}");
        // The typed line shows CATDONE''N, only the output shows CATDONEN.
        let line = format!("cat '{}'; echo CATDONE''{i}", file.display());
        t.arm(term::near_cursor(format!("CATDONE''{i}")));
        t.send(line.as_bytes())?;
        if t.wait(Duration::from_secs(10)).is_none() {
            bail!("the typed cat line never showed:\n{}", t.contents());
        }
        match t.time(
            term::near_cursor(marker.clone()),
            b"\r",
            Duration::from_mins(2),
        )? {
            Some(d) => out.push(d),
            None => bail!("cat never finished:\n{}", t.contents()),
        }
        let gone: term::Probe = Box::new(move |s| !s.contents().contains(&marker));
        if t.time(gone, b"clear\r", Duration::from_secs(10))?.is_none() {
            bail!("clear did not clear the screen:\n{}", t.contents());
        }
    }
    Ok(out)
}

/// One system's results.
#[derive(Default)]
struct Row {
    startup: Option<Summary>,
    echoes: Option<Echoes>,
    cat: Option<Summary>,
    notes: Vec<String>,
}

/// [`run_system`] for a helios measurement with more rows than its own (other builds, other
/// ways of reading lanes): its row named `row`, then the others.
fn run_helios(
    name: &str,
    row: &str,
    f: impl FnOnce() -> Result<(Row, Vec<(String, Row)>)>,
) -> Vec<(String, Row)> {
    let mut more = Vec::new();
    let own = run_system(name, || {
        let (own, m) = f()?;
        more = m;
        Ok(own)
    });
    let mut rows = vec![(row.to_string(), own)];
    rows.extend(more);
    rows
}

fn run_system(name: &str, f: impl FnOnce() -> Result<Row>) -> Row {
    eprintln!("swarm: measuring {name}…");
    let t0 = Instant::now();
    let row = f().unwrap_or_else(|e| Row {
        notes: vec![format!("{name} failed: {e:#}")],
        ..Row::default()
    });
    eprintln!("swarm: {name} done in {:.0} s", t0.elapsed().as_secs_f64());
    for n in &row.notes {
        eprintln!("swarm: {n}");
    }
    row
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--gen") {
        let rate = args
            .get(2)
            .and_then(|v| v.parse().ok())
            .unwrap_or(2_000_000);
        let go = args.get(3).cloned().unwrap_or_default();
        generator::run(rate, Path::new(&go));
    }
    if args.get(1).map(String::as_str) == Some("--relay") {
        relay::run(&args[2..]);
    }
    // Only `cargo bench` (which passes --bench) runs the swarm; `cargo test --all-targets` builds
    // and starts this binary too, and must not flood the machine. A filter other than ours means
    // "not me".
    if !args.iter().any(|a| a == "--bench")
        || args
            .iter()
            .skip(1)
            .any(|a| !a.starts_with('-') && a != "swarm")
    {
        println!("swarm: not run (use `cargo bench --bench swarm`)");
        return Ok(());
    }
    let mut reports = String::new();
    let repeat: usize = env_or("SWARM_REPEAT", 1).max(1);
    for cfg in Config::from_env() {
        let mut runs = Vec::new();
        for n in 1..=repeat {
            eprintln!(
                "swarm: {} lanes, {:.1} MB/s per flooding lane (run {n} of {repeat})",
                cfg.lanes,
                cfg.rate as f64 / 1e6
            );
            let (table, ratios) = run_config(&cfg)?;
            reports.push_str(&table);
            reports.push('\n');
            runs.push(ratios);
        }
        if repeat > 1 {
            reports.push_str(&stats::over_runs(cfg.lanes, cfg.rate, &runs));
            reports.push('\n');
        }
    }
    println!("{reports}");
    if let Ok(path) = std::env::var("SWARM_OUT") {
        std::fs::write(path, &reports)?;
    }
    Ok(())
}

/// Every system of one configuration, in a world of its own; returns its table and each
/// system's ratios to tmux.
fn run_config(cfg: &Config) -> Result<(String, Vec<stats::Ratios>)> {
    let world = World::new()?;
    let mut rows: Vec<(String, Row)> = Vec::new();
    let mut relay = None;
    let mut piped = None;
    if cfg.wants("tmux") {
        rows.push((
            "tmux".into(),
            run_system("tmux", || {
                tmux::setup(&world, cfg)?;
                let startup = tmux::startup(&world, cfg)?;
                let echoes = tmux::echoes(&world, cfg)?;
                if cfg.wants("relay") {
                    relay = Some(tmux::relay_echoes(&world, cfg));
                }
                if cfg.wants("relay-piped") {
                    piped = Some(tmux::piped_relay_echoes(&world, cfg));
                }
                let _ = world.tmux("tmux-plain", &["kill-server"]);
                let cat = summarize(&tmux::cat(&world, cfg)?);
                Ok(Row {
                    startup: Some(startup),
                    echoes: Some(echoes),
                    cat: Some(cat),
                    notes: vec![],
                })
            }),
        ));
    }
    if let Some(echoes) = relay {
        rows.push(("floor: tmux + a relay".into(), relay_row(echoes)));
    }
    if let Some(echoes) = piped {
        rows.push(("floor, every lane piped".into(), relay_row(echoes)));
    }
    if cfg.wants("helios") {
        rows.extend(run_helios("helios", "helios", || helios::run(&world, cfg)));
    }
    if cfg.wants("helios-owned") {
        rows.extend(run_helios(
            "helios with owned lanes",
            "helios (owned lanes)",
            || helios::run_owned(&world, cfg),
        ));
    }
    if cfg.wants("zellij") {
        rows.push((
            "zellij".into(),
            run_system("zellij", || zellij::run(&world, cfg)),
        ));
    }
    let report = report(cfg, &rows);
    drop(world);
    Ok((report, ratios(&rows)))
}

/// A relay's row: its echoes and trace lines, or why it failed.
fn relay_row(echoes: Result<(Echoes, Vec<String>)>) -> Row {
    echoes.map_or_else(
        |e| Row {
            notes: vec![format!("the relay failed: {e:#}")],
            ..Row::default()
        },
        |(echoes, notes)| Row {
            echoes: Some(echoes),
            notes,
            ..Row::default()
        },
    )
}

/// Each measured system's same-run ratios to tmux (none without a tmux row).
fn ratios(rows: &[(String, Row)]) -> Vec<stats::Ratios> {
    let Some(tm) = rows
        .iter()
        .find(|(n, _)| n == "tmux")
        .and_then(|(_, r)| r.echoes.as_ref())
    else {
        return Vec::new();
    };
    let over = |a: Duration, b: Duration| (!b.is_zero()).then(|| a.as_secs_f64() / b.as_secs_f64());
    rows.iter()
        .filter(|(n, _)| n != "tmux")
        .filter_map(|(n, r)| Some((n, r.echoes.as_ref()?)))
        .map(|(name, e)| stats::Ratios {
            system: name.clone(),
            idle_p50: over(e.idle.p50, tm.idle.p50),
            late_p99: over(
                settled(&e.idle_at, SETTLED).p99,
                settled(&tm.idle_at, SETTLED).p99,
            ),
            loaded_p99: over(e.loaded.p99, tm.loaded.p99),
            cpu: (tm.cpu_total > 0.0).then(|| e.cpu_total / tm.cpu_total),
            cpu_per_mb: (tm.cpu_total > 0.0 && tm.gen_mbps > 0.0 && e.gen_mbps > 0.0)
                .then(|| (e.cpu_total / e.gen_mbps) / (tm.cpu_total / tm.gen_mbps)),
        })
        .collect()
}

/// Busy cores (in % of all) past which the CPU columns say little.
const SATURATED: f64 = 90.0;

fn report(cfg: &Config, rows: &[(String, Row)]) -> String {
    let tmux = rows.iter().find(|(n, _)| n == "tmux").map(|(_, r)| r);
    let mut s = format!(
        "Swarm run: {} lanes ({} flooding at {:.1} MB/s each), terminal {}x{}, {} loaded and {} idle echo samples, `cat` of {} MB at {}x{} ({} runs), {} start-ups.\n\n",
        cfg.lanes,
        cfg.lanes - 1,
        cfg.rate as f64 / 1e6,
        cfg.size.0,
        cfg.size.1,
        cfg.samples,
        cfg.idle_samples,
        cfg.cat_mb,
        cfg.cat_size.0,
        cfg.cat_size.1,
        cfg.cat_runs,
        cfg.startups
    );
    s.push_str("| system | echo idle p50 / p99 ms | idle p50 vs tmux | idle p99 past 1 s ms (vs tmux) | echo loaded p50 / p90 / p99 / max ms | lost | loaded p99 vs tmux | CPU console / total % | CPU total vs tmux | machine busy % | peak RSS console / total MiB | generators MB/s | start-up p50 (min–max) ms | cat p50 (min–max) s | cat vs tmux |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (name, r) in rows {
        let e = r.echoes.clone().unwrap_or_default();
        let tm = tmux.and_then(|t| t.echoes.clone()).unwrap_or_default();
        // A system without start-ups (the relay's floor row) shows a dash, not zeros.
        let startup = r.startup.map_or_else(
            || "–".to_string(),
            |st| format!("{} ({}–{})", ms(st.p50), ms(st.min), ms(st.max)),
        );
        let tcat = tmux.and_then(|t| t.cat).unwrap_or_default();
        // A system without a `cat` run (zellij, helios over tmux -C) shows dashes, not zeros.
        let (cat, cat_ratio) = r.cat.map_or_else(
            || ("–".to_string(), "–".to_string()),
            |c| {
                (
                    format!(
                        "{:.2} ({:.2}–{:.2})",
                        c.p50.as_secs_f64(),
                        c.min.as_secs_f64(),
                        c.max.as_secs_f64()
                    ),
                    ratio(c.p50, tcat.p50),
                )
            },
        );
        let late_p99 = settled(&e.idle_at, SETTLED).p99;
        let _ = writeln!(
            s,
            "| {name} | {} / {} | {} | {} ({}) | {} / {} / {} / {} | {} | {} | {:.0} / {:.0} | {:.2}x | {} | {:.1} / {:.1} | {:.1} | {startup} | {cat} | {cat_ratio} |",
            ms(e.idle.p50),
            ms(e.idle.p99),
            ratio(e.idle.p50, tm.idle.p50),
            ms(late_p99),
            ratio(late_p99, settled(&tm.idle_at, SETTLED).p99),
            ms(e.loaded.p50),
            ms(e.loaded.p90),
            ms(e.loaded.p99),
            ms(e.loaded.max),
            e.lost,
            ratio(e.loaded.p99, tm.loaded.p99),
            e.cpu_console,
            e.cpu_total,
            e.cpu_total / tm.cpu_total.max(f64::MIN_POSITIVE),
            e.machine_busy
                .map_or_else(|| "–".to_string(), |b| format!("{b:.0}")),
            e.rss_console,
            e.rss_total,
            e.gen_mbps,
        );
    }
    let busy: Vec<&str> = rows
        .iter()
        .filter(|(_, r)| {
            r.echoes
                .as_ref()
                .is_some_and(|e| e.machine_busy.is_some_and(|b| b >= SATURATED))
        })
        .map(|(n, _)| n.as_str())
        .collect();
    if !busy.is_empty() {
        let _ = write!(
            s,
            "\n- The machine's cores were at least {SATURATED:.0}% busy in the loaded phase of {}: every process there waited for a core, so its CPU columns compare work squeezed into the same cores, not what each system would use.",
            busy.join(", ")
        );
    }
    for (name, r) in rows {
        for n in &r.notes {
            let _ = write!(s, "\n- {name}: {n}");
        }
    }
    s.push('\n');
    s
}
