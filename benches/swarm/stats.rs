//! Percentiles and formatting for the report.

use std::time::Duration;

/// Summary of a set of timings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Smallest.
    pub min: Duration,
    /// Largest.
    pub max: Duration,
}

/// Nearest-rank percentiles of `samples`.
pub fn summarize(samples: &[Duration]) -> Summary {
    if samples.is_empty() {
        return Summary::default();
    }
    let mut s = samples.to_vec();
    s.sort();
    let at = |p: f64| {
        let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
        s[rank.clamp(1, s.len()) - 1]
    };
    Summary {
        p50: at(50.0),
        p90: at(90.0),
        p99: at(99.0),
        min: s[0],
        max: s[s.len() - 1],
    }
}

/// The echoes of `sent` whose key went at least `after` past the first one's: a phase without
/// the console's first moments (a console is measured right after it starts).
pub fn settled(sent: &[(Duration, Duration)], after: Duration) -> Summary {
    let Some(first) = sent.iter().map(|(at, _)| *at).min() else {
        return Summary::default();
    };
    let later: Vec<Duration> = sent
        .iter()
        .filter(|(at, _)| *at >= first + after)
        .map(|(_, d)| *d)
        .collect();
    summarize(&later)
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `a / b` as a ratio string, or `–` when b is zero.
pub fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "–".into()
    } else {
        format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
    }
}

/// One system's ratios to tmux in one run (`None` where tmux's value was zero).
pub struct Ratios {
    pub system: String,
    pub idle_p50: Option<f64>,
    pub late_p99: Option<f64>,
    pub loaded_p99: Option<f64>,
    pub cpu: Option<f64>,
    /// The same per MB the generators wrote: a console that lets less of the flood through
    /// also uses less CPU.
    pub cpu_per_mb: Option<f64>,
}

/// `median (min–max)` of the values, with how many of them are at most `target`.
fn spread(mut v: Vec<f64>, target: f64) -> String {
    if v.is_empty() {
        return "–".into();
    }
    v.sort_by(f64::total_cmp);
    let met = v.iter().filter(|x| **x <= target).count();
    format!(
        "{:.2}x ({:.2}–{:.2}), {met} of {} at most {target:.1}x",
        v[(v.len() - 1) / 2],
        v[0],
        v[v.len() - 1],
        v.len()
    )
}

/// The table over repeated runs of one configuration: each system's same-run ratios to tmux,
/// the median (the lower middle one for an even count) and range, and how many runs met issue
/// 16's target for a par lane.
pub fn over_runs(lanes: usize, rate: u64, runs: &[Vec<Ratios>]) -> String {
    use std::fmt::Write as _;
    let mut systems: Vec<&str> = Vec::new();
    for r in runs.iter().flatten() {
        if !systems.contains(&r.system.as_str()) {
            systems.push(&r.system);
        }
    }
    let mut s = format!(
        "Over {} runs of {lanes} lanes at {:.1} MB/s: each run's ratio to tmux in that run, median (min–max), and the runs that met issue 16's target for a par lane (1.2x, 1.5x, 1.0x, 1.2x; for helios-owned lanes the idle p50's is 1.0x).\n\n",
        runs.len(),
        rate as f64 / 1e6
    );
    s.push_str("| system | idle p50 vs tmux | idle p99 past 1 s vs tmux | loaded p99 vs tmux | CPU total vs tmux | CPU total per MB written vs tmux |\n");
    s.push_str("|---|---|---|---|---|---|\n");
    for name in systems {
        let of = |f: fn(&Ratios) -> Option<f64>| -> Vec<f64> {
            runs.iter()
                .flatten()
                .filter(|r| r.system == name)
                .filter_map(f)
                .collect()
        };
        // Owned lanes have no tmux hop, so their idle target is tmux's own p50.
        let idle_target = if name.contains("owned") { 1.0 } else { 1.2 };
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} |",
            spread(of(|r| r.idle_p50), idle_target),
            spread(of(|r| r.late_p99), 1.5),
            spread(of(|r| r.loaded_p99), 1.0),
            spread(of(|r| r.cpu), 1.2),
            spread(of(|r| r.cpu_per_mb), 1.2),
        );
    }
    s
}
