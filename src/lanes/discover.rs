//! Lane discovery: the repo's par lanes and its other git worktrees. Does IO (files, git,
//! tmux): run it off the render path.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::lanes::worktree::{self, canonical};
use crate::lanes::{GitCounts, LaneError, LaneId, LaneInfo, LaneSource, git, par, work};

/// Every lane of the repo at `repo`, sorted by label, with tmux liveness and git counts.
///
/// The lanes are par's lanes of this repo (from its state file, whether or not the par program
/// is on PATH: the tmux sessions are real either way) plus every other git worktree, each a
/// shell helios runs. The main checkout is a lane only when par has none: beside par lanes it
/// is where the operator works, not an agent. A corrupt par state file is an error, not a
/// silent fallback: showing plain shells in par's worktrees would hide the agents' sessions.
pub fn discover(repo: &Path) -> Result<Vec<LaneInfo>, LaneError> {
    discover_with(repo, usize::MAX, &KnownCounts::new())
}

/// Git counts a re-read already has, by worktree: a lane found at one of these worktrees on
/// the same branch keeps its counts and runs no git.
pub type KnownCounts = HashMap<PathBuf, (Option<String>, GitCounts)>;

/// [`discover`], reading at most `at_once` lanes' git counts at a time. A one-off read takes
/// them all side by side (fastest); the console's re-read every few seconds takes a couple at
/// a time: with 50 lanes under the swarm bench's flood, 100 git processes at once (forked by
/// the console, at low priority, waiting long for a CPU) cost the console 9-15% of a core
/// instead of 7-8%, and the flooding lanes 1-3 MB/s of what tmux let through (BENCHMARKS.md,
/// runs 62-65). A lane in `known` (its worktree and branch) keeps the counts given there.
pub fn discover_with(
    repo: &Path,
    at_once: usize,
    known: &KnownCounts,
) -> Result<Vec<LaneInfo>, LaneError> {
    let sessions = par::read_state(repo)?;
    let alive = if sessions.is_empty() {
        HashSet::new()
    } else {
        tmux_sessions()
    };
    let par: Vec<(String, PathBuf)> = sessions
        .iter()
        .map(|s| (s.label.clone(), canonical(&s.worktree_path)))
        .collect();
    // par 0.2 records no base; a later par that does is preferred (see `work`).
    let par_bases: Vec<(String, Option<String>)> = sessions
        .iter()
        .map(|s| (s.label.clone(), s.base_branch.clone()))
        .collect();
    let mut lanes: Vec<LaneInfo> = sessions
        .into_iter()
        .map(|s| LaneInfo {
            id: LaneId::new(s.label),
            branch: s.branch_name,
            worktree: s.worktree_path,
            session_alive: alive.contains(&s.tmux_session_name),
            source: LaneSource::Par {
                session: s.tmux_session_name,
            },
            git: GitCounts::default(),
        })
        .collect();
    for w in worktree::beside_par(repo, &par, worktree::list(repo)?) {
        lanes.push(LaneInfo {
            id: LaneId::new(w.label),
            branch: w.branch,
            worktree: w.path,
            source: LaneSource::Worktree,
            session_alive: true,
            git: GitCounts::default(),
        });
    }
    // Ahead/behind are against each lane's base, not an upstream (par branches have none).
    let bases = work::Bases::read(repo);
    // Two git processes per lane, `at_once` lanes side by side.
    let jobs: Vec<(&mut LaneInfo, Option<String>)> = lanes
        .iter_mut()
        .filter_map(|lane| match known.get(&lane.worktree) {
            Some((branch, counts)) if *branch == lane.branch => {
                lane.git = counts.clone();
                None
            }
            _ => Some(lane),
        })
        .map(|lane| {
            let par_base = par_bases
                .iter()
                .find(|(l, _)| l == lane.id.as_str())
                .and_then(|(_, b)| b.as_deref());
            let base = bases.of(lane.branch.as_deref(), par_base);
            (lane, base)
        })
        .collect();
    let workers = at_once.clamp(1, jobs.len().max(1));
    let queue = std::sync::Mutex::new(jobs.into_iter());
    let next = || {
        queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next()
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((lane, base)) = next() {
                    lane.git = git::counts(&lane.worktree, base.as_deref());
                }
            });
        }
    });
    lanes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(lanes)
}

/// Names of the sessions on the (default, or `TMUX_TMPDIR`-chosen) tmux server; empty when no
/// server runs or tmux is missing.
pub fn tmux_sessions() -> HashSet<String> {
    let out = crate::config::secrets::command("tmux")
        .args(["list-sessions", "-F", "#{session_name}"])
        .env_remove("TMUX")
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        _ => HashSet::new(),
    }
}

/// Whether one tmux session exists (`tmux has-session -t =NAME`, exact match).
pub fn session_alive(session: &str) -> bool {
    crate::config::secrets::command("tmux")
        .args([
            "has-session",
            "-t",
            &crate::model::lane::tmux_target(session),
        ])
        .env_remove("TMUX")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Find one lane by label.
pub fn find(repo: &Path, label: &str) -> Result<LaneInfo, LaneError> {
    discover(repo)?
        .into_iter()
        .find(|l| l.id.as_str() == label)
        .ok_or_else(|| LaneError::NoSuchLane {
            label: label.to_string(),
        })
}

/// What tmux says of a session's active pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreground {
    /// The command in its foreground (`pane_current_command`).
    pub command: String,
    /// When its window last had output (`window_activity`, seconds since the epoch).
    pub activity: u64,
    /// The pane's program ended and tmux keeps the pane (`remain-on-exit`): its exit status,
    /// `None` inside when it was killed by a signal.
    pub dead: Option<Option<i32>>,
    /// tmux says the pane is dead (`pane_dead`), known even when how it ended is not yet: such
    /// a pane is not running either.
    pub pane_dead: bool,
    /// The pane's size (rows, columns): another tmux client that resizes the lane's window
    /// changes it, and the program's redraw for it is no output.
    pub size: Option<(u16, u16)>,
}

/// The active pane of every tmux session, by session name: one `list-panes` for all.
pub fn session_foregrounds() -> std::collections::HashMap<String, Foreground> {
    tmux_stdout(&[
        "list-panes",
        "-a",
        "-F",
        "#{window_active}#{pane_active}\t#{window_activity}\t#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pane_pid}\t#{pane_height}x#{pane_width}\t#{session_name}\t#{pane_current_command}",
    ])
    .map_or_else(std::collections::HashMap::new, |text| {
        parse_foregrounds(&text, zombie_status, running)
    })
}

/// What the foreground of pane process `pid`'s terminal runs when tmux's name for it (its
/// first argument) hides that: a shell running a script or a command (Linux `/proc`: the
/// terminal's foreground group from the pane's process, that group leader's arguments).
fn running(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the name in parentheses: state, ppid, pgrp, session, tty, the foreground group.
    let group = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .nth(5)?;
    let cmdline = std::fs::read(format!("/proc/{group}/cmdline")).ok()?;
    crate::agent::screen::cmdline_runs(&cmdline)
}

/// What tmux printed for `args` (outside any tmux of helios's own), or `None` when it failed:
/// a tmux that refuses (no server, no such session: no lanes yet, a lane gone) is logged at
/// debug, one that cannot run at all is a warning.
pub fn tmux_stdout(args: &[&str]) -> Option<String> {
    let out = crate::config::secrets::command("tmux")
        .args(args)
        .env_remove("TMUX")
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => {
            tracing::debug!(
                "tmux {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            tracing::warn!("tmux could not run: {e}");
            None
        }
    }
}

/// `session_foregrounds` from `list-panes` output; `zombie` reads the raw wait status of a pane
/// process tmux has not reaped.
/// `running` says what a live pane's foreground runs when its name does not (see [`running`]).
fn parse_foregrounds(
    text: &str,
    zombie: impl Fn(u32) -> Option<i32>,
    running: impl Fn(u32) -> Option<String>,
) -> std::collections::HashMap<String, Foreground> {
    let mut map = std::collections::HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(6, '\t');
        if let (Some("11"), Some(activity), Some(dead), Some(size), Some(session), Some(cmd)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            let pane_dead = dead.starts_with("1:");
            let pid = dead.rsplit(':').next().and_then(|p| p.parse().ok());
            let dead = match dead.split(':').collect::<Vec<_>>()[..] {
                ["1", status, signal, pid] => {
                    ended(status, signal, pid, &zombie).map(|e| match e {
                        Exit::Status(code) => Some(code),
                        Exit::Signal => None,
                    })
                }
                _ => None,
            };
            // Only a shell's name can hide a script: no other pane costs a read.
            let command = match pid {
                Some(pid) if !pane_dead && crate::agent::screen::is_shell(cmd) => {
                    running(pid).unwrap_or_else(|| cmd.to_string())
                }
                _ => cmd.to_string(),
            };
            map.insert(
                session.to_string(),
                Foreground {
                    command,
                    activity: activity.parse().unwrap_or(0),
                    dead,
                    pane_dead,
                    size: size
                        .split_once('x')
                        .and_then(|(r, c)| Some((r.parse().ok()?, c.parse().ok()?))),
                },
            );
        }
    }
    map
}

/// How the program in a dead pane ended, as far as anyone knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneEnd {
    /// It exited with this status.
    Exit(i32),
    /// A signal killed it.
    Signal,
    /// tmux marks the pane dead but knows no status yet, nor does the kernel.
    Unknown,
}

impl std::fmt::Display for PaneEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exit(code) => write!(f, "exit {code}"),
            Self::Signal => f.write_str("killed by a signal"),
            Self::Unknown => f.write_str("exit status not known yet"),
        }
    }
}

/// Whether the program of the pane `par send` types into (the active pane of window 0 of
/// exactly `session`) has ended: lane panes keep their dead program's pane (helios sets
/// `remain-on-exit`), and tmux takes keys for a dead pane without complaint, so a send there
/// would report success having reached nothing. `None` while it runs, and when tmux cannot say
/// (no such window: par's own send then fails and says so).
pub fn pane_end(session: &str) -> Option<PaneEnd> {
    let target = format!("{}:0", crate::model::lane::tmux_target(session));
    let text = tmux_stdout(&[
        "list-panes",
        "-t",
        &target,
        "-F",
        "#{pane_active}:#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pane_pid}",
    ])?;
    parse_pane_end(&text, zombie_status)
}

/// [`pane_end`] from `list-panes` output. Unlike the console's probe, a pane tmux marks dead
/// is dead here even with no status anywhere: the question is whether keys would reach a
/// program, not how it ended.
fn parse_pane_end(text: &str, zombie: impl Fn(u32) -> Option<i32>) -> Option<PaneEnd> {
    let active = text.lines().find(|l| l.starts_with("1:"))?;
    match active.split(':').collect::<Vec<_>>()[..] {
        ["1", "1", status, signal, pid] => Some(match ended(status, signal, pid, &zombie) {
            Some(Exit::Status(code)) => PaneEnd::Exit(code),
            Some(Exit::Signal) => PaneEnd::Signal,
            None => PaneEnd::Unknown,
        }),
        _ => None,
    }
}

/// How a dead pane's program ended.
enum Exit {
    Status(i32),
    Signal,
}

/// How a dead pane's program ended, if anyone knows yet.
///
/// tmux 3.3a closes a pane when its pty reaches EOF and learns the status from SIGCHLD, and
/// sometimes never does: the pane stays dead with no status or signal and its process a
/// zombie (measured: half of twelve panes whose program was `sh -c 'sleep 0.2; exit 3'`, with
/// or without `list-panes` polling). The kernel still holds the status then, in
/// `/proc/<pid>/stat`. With neither, the pane is read as not dead yet rather than guessed: the
/// next look decides.
fn ended(
    status: &str,
    signal: &str,
    pid: &str,
    zombie: &impl Fn(u32) -> Option<i32>,
) -> Option<Exit> {
    if let Ok(code) = status.parse::<i32>() {
        return Some(Exit::Status(code));
    }
    if signal.parse::<i32>().is_ok() {
        return Some(Exit::Signal);
    }
    let raw = zombie(pid.parse().ok()?)?;
    // The wait status: the low seven bits hold the signal, the next byte the exit code.
    let signal = raw & 0x7f;
    Some(if signal == 0 {
        Exit::Status((raw >> 8) & 0xff)
    } else {
        Exit::Signal
    })
}

/// The raw wait status of process `pid` if it is a zombie (Linux: the last field of
/// `/proc/<pid>/stat`, after the state `Z`).
fn zombie_status(pid: u32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields start after the last `)`.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    if fields.next()? != "Z" {
        return None;
    }
    fields.last()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn active_panes_with_their_activity() {
        let text = "11\t1700000000\t0:::7\t30x100\tpar-a\tclaude\n\
                    10\t1700000001\t0:::8\t30x100\tpar-a\tbash\n\
                    11\t1700000005\t1:3::9\t30x100\tpar-b\tbash\tx\n\
                    11\t9\t1::9:10\t30x100\tpar-c\tsh\n\
                    11\t9\t1:::11\t30x100\tpar-d\tsh\n\
                    11\t9\t1:::12\t30x100\tpar-e\tsh\n\
                    11\t9\t1:::13\t30x100\tpar-f\tsh\n\
                    11\t9\t0:::14\t30x100\tpar-g\tbash\n\
                    11\t9\t0:::15\t30x100\tpar-h\tbash\n";
        // 11 is a zombie that exited 3, 12 one killed by signal 9, 13 is gone.
        let zombie = |pid| match pid {
            11 => Some(3 << 8),
            12 => Some(9),
            _ => None,
        };
        // 14's foreground is a script; a dead pane's process is never asked.
        let running = |pid| match pid {
            14 => Some("run-agent.sh".to_string()),
            7..=13 => panic!("pane {pid} is not a live shell"),
            _ => None,
        };
        let m = parse_foregrounds(text, zombie, running);
        assert_eq!(m["par-g"].command, "run-agent.sh");
        assert_eq!(m["par-h"].command, "bash");
        assert_eq!(m["par-a"].command, "claude");
        assert_eq!(m["par-a"].activity, 1_700_000_000);
        assert_eq!(m["par-a"].dead, None);
        assert_eq!(m["par-a"].size, Some((30, 100)));
        assert_eq!(m["par-b"].command, "bash\tx");
        assert_eq!(m["par-b"].dead, Some(Some(3)));
        assert_eq!(m["par-c"].dead, Some(None));
        assert_eq!(m["par-d"].dead, Some(Some(3)));
        assert_eq!(m["par-e"].dead, Some(None));
        assert_eq!(
            m["par-f"].dead, None,
            "no status anywhere yet: not read as dead"
        );
        // ... but not as running either.
        assert!(m["par-f"].pane_dead && !m["par-a"].pane_dead);
        assert_eq!(m.len(), 8);
    }

    #[test]
    fn the_pane_par_types_into_is_dead_or_not() {
        let zombie = |pid| (pid == 11).then_some(3 << 8);
        assert_eq!(parse_pane_end("1:0:::7\n", zombie), None);
        assert_eq!(
            parse_pane_end("0:0:::6\n1:1:3::7\n", zombie),
            Some(PaneEnd::Exit(3))
        );
        // Only the active pane is where par's keys go.
        assert_eq!(parse_pane_end("0:1:3::6\n1:0:::7\n", zombie), None);
        assert_eq!(parse_pane_end("1:1::9:7\n", zombie), Some(PaneEnd::Signal));
        assert_eq!(parse_pane_end("1:1:::11\n", zombie), Some(PaneEnd::Exit(3)));
        assert_eq!(parse_pane_end("1:1:::12\n", zombie), Some(PaneEnd::Unknown));
        assert_eq!(parse_pane_end("", zombie), None);
    }

    #[test]
    fn a_zombie_is_read_from_proc() {
        let mut child = crate::config::secrets::command("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .unwrap();
        let pid = child.id();
        // Not reaped yet: poll /proc until the child is a zombie (it exits at once).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut raw = zombie_status(pid);
        while raw.is_none() && std::time::Instant::now() < deadline {
            std::thread::yield_now();
            raw = zombie_status(pid);
        }
        assert_eq!(raw, Some(3 << 8));
        child.wait().unwrap();
        assert_eq!(zombie_status(pid), None, "reaped: no longer a zombie");
        assert_eq!(zombie_status(std::process::id()), None, "a live process");
    }
}
