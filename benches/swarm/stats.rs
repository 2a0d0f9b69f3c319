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
