//! Where helios's echoes went: its echo trace (`HELIOS_ECHO_TRACE`, see
//! `helios::telemetry::echo`) lined up with the keys the driver typed. Each echo splits into
//! the key reaching helios's loop, the loop handing it to the lane's writer thread, the lane
//! (from that write to the echo read back: tmux's whole path for a par lane, the PTY and the
//! shell for a helios-owned one), the echo drawn, and the terminal's way to the driver.
//! helios's own part is all of it but the lane's. The relay of the floor row writes the same
//! steps, so its echoes split the same way in the same run.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::stats::{ms, summarize};

/// One traced step: start (monotonic clock), duration, name.
struct Step {
    at: Duration,
    took: Duration,
    name: String,
}

fn read_steps(dir: &Path) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        let text = std::fs::read_to_string(&path)?;
        for (n, line) in text.lines().enumerate() {
            let mut f = line.split(' ');
            let parsed = match (f.next(), f.next(), f.next()) {
                (Some(at), Some(took), Some(name)) => at
                    .parse()
                    .ok()
                    .zip(took.parse().ok())
                    .map(|(at, took)| (at, took, name)),
                _ => None,
            };
            let Some((at, took, name)) = parsed else {
                bail!(
                    "{}:{}: not an echo trace line: {line:?}",
                    path.display(),
                    n + 1
                );
            };
            steps.push(Step {
                at: Duration::from_micros(at),
                took: Duration::from_micros(took),
                name: name.to_string(),
            });
        }
    }
    steps.sort_by_key(|s| s.at);
    Ok(steps)
}

/// The first `name` step starting in `[from, to)`.
fn first<'a>(steps: &'a [Step], name: &str, from: Duration, to: Duration) -> Option<&'a Step> {
    let i = steps.partition_point(|s| s.at < from);
    steps[i..]
        .iter()
        .take_while(|s| s.at < to)
        .find(|s| s.name == name)
}

/// One echo's parts: to helios, to the lane, the lane, to the screen, out; `None` when a step
/// is missing: a key that went in by `send-keys` (a par lane in front before its client), or
/// an echo shown by a frame begun while it was still being fed, with no frame after.
fn split(steps: &[Step], sent: Duration, took: Duration) -> Option<[Duration; 5]> {
    let end = sent + took;
    let key = first(steps, "key", sent, end)?;
    let write = first(steps, "write", key.at, end)?;
    let read = first(steps, "read", write.at, end)?;
    let drawn = first(steps, "drawn", read.at, end)?;
    let shown = (drawn.at + drawn.took).min(end);
    Some([
        key.at.saturating_sub(sent),
        write.at.saturating_sub(key.at),
        read.at.saturating_sub(write.at),
        shown.saturating_sub(read.at),
        end.saturating_sub(shown),
    ])
}

/// How many of a phase's slowest echoes the report lists, each with where it went.
const SLOWEST: usize = 5;

/// A report line listing a phase's slowest echoes: which key of the phase (from 0), how long
/// after the phase's first key it was typed, its latency and its parts (ms), so a tail can be
/// told apart as start-up work (the first keys), periodic work or load.
/// Only keys typed at least `from` after the phase's first are listed.
fn slowest(steps: &[Step], name: &str, at: &[(Duration, Duration)], from: Duration) -> String {
    let Some(&(first_sent, _)) = at.first() else {
        return format!("{name} echoes: none");
    };
    let mut order: Vec<usize> = (0..at.len())
        .filter(|&i| at[i].0 >= first_sent + from)
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(at[i].1));
    let list: Vec<String> = order
        .into_iter()
        .take(SLOWEST)
        .map(|i| {
            let (sent, took) = at[i];
            let parts = split(steps, sent, took).map_or_else(
                || "not traced".to_string(),
                |p| {
                    format!(
                        "key in {}, to the lane {}, the lane {}, to the screen {}, out {}",
                        ms(p[0]),
                        ms(p[1]),
                        ms(p[2]),
                        ms(p[3]),
                        ms(p[4])
                    )
                },
            );
            format!(
                "#{i} at +{:.1} s: {} ({parts})",
                sent.saturating_sub(first_sent).as_secs_f64(),
                ms(took)
            )
        })
        .collect();
    format!("slowest {name} echoes, ms: {}", list.join("; "))
}

/// A report line for one phase's echoes (`at`: each key's send time and its echo's latency).
fn phase(steps: &[Step], who: &str, name: &str, at: &[(Duration, Duration)]) -> String {
    let parts: Vec<[Duration; 5]> = at
        .iter()
        .filter_map(|&(sent, took)| split(steps, sent, took))
        .collect();
    let col = |i: usize| parts.iter().map(|p| p[i]).collect::<Vec<_>>();
    let own: Vec<Duration> = parts.iter().map(|p| p[0] + p[1] + p[3] + p[4]).collect();
    // A key's way in, split where helios read it from the terminal (builds that trace that
    // step): the read, then the way to the loop's turn that translates it.
    let (read, handed): (Vec<Duration>, Vec<Duration>) = at
        .iter()
        .filter_map(|&(sent, took)| {
            let key = first(steps, "key", sent, sent + took)?;
            let input = first(steps, "input", sent, key.at)?;
            Some((
                input.at.saturating_sub(sent),
                key.at.saturating_sub(input.at),
            ))
        })
        .unzip();
    let pair = |v: &[Duration]| {
        let s = summarize(v);
        format!("{} / {}", ms(s.p50), ms(s.p99))
    };
    let key_in = if read.is_empty() {
        pair(&col(0))
    } else {
        format!(
            "{}: read {}, to the loop {}",
            pair(&col(0)),
            pair(&read),
            pair(&handed)
        )
    };
    format!(
        "{name} echoes, p50 / p99 ms ({} of {} traced): {who}'s own {} (key in {}, to the lane {}, \
         to the screen {}, out {}), the lane {}",
        parts.len(),
        at.len(),
        pair(&own),
        key_in,
        pair(&col(1)),
        pair(&col(3)),
        pair(&col(4)),
        pair(&col(2)),
    )
}

/// The report lines for a row of `who` (helios, or the relay), from the trace written to `dir`.
pub fn report(
    dir: &Path,
    who: &str,
    idle: &[(Duration, Duration)],
    loaded: &[(Duration, Duration)],
) -> Result<Vec<String>> {
    let steps = read_steps(dir)?;
    if steps.is_empty() {
        bail!("{who} wrote no echo trace to {}", dir.display());
    }
    Ok(vec![
        phase(&steps, who, "idle", idle),
        slowest(&steps, "idle", idle, Duration::ZERO),
        // The idle p99 the table compares leaves the first second out: its own tail.
        slowest(&steps, "idle (past 1 s)", idle, crate::SETTLED),
        phase(&steps, who, "loaded", loaded),
        slowest(&steps, "loaded", loaded, Duration::ZERO),
    ])
}
