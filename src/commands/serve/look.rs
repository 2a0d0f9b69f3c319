//! Lane states on a host with no console: `helios serve` looks at its par lanes as a console
//! would and records what the rules decide (`agent::decide`), so an agent without hooks still
//! shows `working`, `waiting`, `shell` or `exited` in every other console.
//!
//! `helios lane ls` and `lane explain` take one such look first when nothing else decides
//! here ([`look_once`]), so they print what a console would show, not a state the lane has
//! left (an agent's `exited` after its shell came back).
//!
//! A console reads each lane's screen from its own terminal; serve has none, so it asks tmux:
//! one `list-panes -a` a look (the foreground program, a dead pane's status, and the window's
//! last output time, which says the rows changed), and one `capture-pane` for a lane whose
//! output settled and whose screen was not read since it last changed. A console running on
//! this host decides its lanes itself (it sees more: keys, bells, exact screens), so serve
//! leaves them to it while one is up.

use std::collections::HashMap;
use std::path::Path;

use time::OffsetDateTime;

use crate::agent::screen::{Patterns, ScreenMatch, is_shell, looks_like_shell_prompt};
use crate::agent::{Decision, Inputs, LaneKey, Process, Timing, decide};
use crate::lanes::discover::Foreground;
use crate::model::LaneInfo;
use crate::store::lane_state;
use crate::store::sqlite::SqliteStore;

/// The last look at one lane.
#[derive(Default)]
struct Seen {
    /// tmux's `window_activity` at the last look.
    activity: Option<u64>,
    /// The pane's size at the last look: another tmux client that resized the window made
    /// the program redraw, which is no output.
    size: Option<(u16, u16)>,
    last_change: Option<OffsetDateTime>,
    first_look: Option<OffsetDateTime>,
    /// The screen as read once its rows settled: the prompt it shows, and whether the cursor
    /// line is a shell prompt. `None`: not read since the last change.
    read: Option<(Option<ScreenMatch>, bool)>,
}

/// Serve's eyes on its lanes.
pub struct Looker {
    patterns: Patterns,
    actor: String,
    seen: HashMap<String, Seen>,
    /// A console was up at the last look (logged when that changes).
    console_up: bool,
}

impl Looker {
    /// A looker recording with `actor`.
    pub fn new(patterns: Patterns, actor: String) -> Self {
        Self {
            patterns,
            actor,
            seen: HashMap::new(),
            console_up: false,
        }
    }

    /// Look at every par lane (repo name, lane) once and record each decision (a lane whose
    /// tmux session is gone too: `exited · tmux session missing`); returns how many lanes'
    /// states or reasons changed.
    pub fn look(&mut self, lanes: &[(String, LaneInfo)], store: &SqliteStore) -> usize {
        let up = console_running(&crate::store::wake::dir());
        if up != self.console_up {
            self.console_up = up;
            tracing::info!(
                "{}",
                if up {
                    "a console runs on this host: it decides lane states, serve publishes them"
                } else {
                    "no console on this host: serve decides lane states from tmux"
                }
            );
        }
        if up {
            return 0;
        }
        let fg = crate::lanes::discover::session_foregrounds();
        let now = OffsetDateTime::now_utc();
        let mut changed = 0;
        let mut live = Vec::new();
        for (repo, lane) in lanes {
            let Some(session) = lane.session() else {
                continue;
            };
            let key = LaneKey {
                worktree: lane_state::worktree_key(&lane.worktree),
                repo: repo.clone(),
                lane: lane.id.to_string(),
            };
            // A session that is gone has no screen and no foreground: the lane is decided
            // from that alone (`exited · tmux session missing`, as in a console).
            let looked = if lane.session_alive {
                live.push(session.to_string());
                let seen = self.seen.entry(session.to_string()).or_default();
                let f = fg.get(session);
                observe(seen, f, now, || capture(session), &self.patterns);
                Some((&*seen, f))
            } else {
                None
            };
            let (decision, stored) = decide_lane(looked, now, store, &key);
            // Written only when it says something new: a write a second per lane would hold
            // the journal's lock against the hooks. Nothing seen yet (a first look at a quiet
            // lane) is no news either: the stored state stands, as in a console that starts.
            if decision.is_blind() || stored.is_some_and(|s| decision.restates(&s.state)) {
                continue;
            }
            // A new status is a `lane.state` event; a new reason within it only refreshes the
            // row. Both are published at once.
            match lane_state::transition(store, &key, &decision, &self.actor) {
                Ok(_) => changed += 1,
                Err(e) => tracing::warn!("recording lane {}'s state: {e}", key.lane),
            }
        }
        self.seen.retain(|s, _| live.contains(s));
        changed
    }
}

/// One look at `lanes` (of the repo `repo`) for a command that prints their states (`lane ls`,
/// `lane explain`): what the rules decide from it is recorded as serve records it, unless a
/// console or serve on this host decides these lanes (they see more). What one look can tell
/// stands (a dead pane: `exited`; a session gone: `exited · tmux session missing`; a shell
/// back in the foreground: `shell`; a hook; a prompt on the screen); what takes watching
/// (output that moves, a quiet period) leaves the stored state as it is. Returns how many lanes' states or reasons changed.
pub fn look_once(repo: &str, lanes: &[LaneInfo], store: &SqliteStore) -> usize {
    let (patterns, warning) = crate::commands::console::load_patterns();
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    let lanes: Vec<(String, LaneInfo)> = lanes
        .iter()
        .filter(|l| l.session().is_some())
        .map(|l| (repo.to_string(), l.clone()))
        .collect();
    if lanes.is_empty() {
        return 0;
    }
    Looker::new(patterns, crate::config::actor::actor()).look(&lanes, store)
}

/// Each lane's state as `lane ls` and the MCP `list_lanes` print it: [`look_once`], then the
/// stored states, less those that describe a terminal gone with its console ([`still_true`]).
pub fn states_shown(
    repo: &str,
    lanes: &[LaneInfo],
    store: &SqliteStore,
) -> Vec<Option<crate::agent::LaneState>> {
    look_once(repo, lanes, store);
    let up = console_running(&crate::store::wake::dir());
    lane_state::states_of(store, lanes)
        .into_iter()
        .zip(lanes)
        .map(|(s, l)| s.filter(|s| still_true(l, s, up)))
        .collect()
}

/// Whether `state`, stored for `lane`, no longer says anything true of it because the terminal
/// it was decided from ended with its console: `lane explain` says so instead of the state.
pub fn terminal_gone(lane: &LaneInfo, state: &crate::agent::LaneState) -> bool {
    !still_true(lane, state, console_running(&crate::store::wake::dir()))
}

/// What `lane explain` says of a lane whose state [`terminal_gone`].
pub const NO_TERMINAL: &str =
    "no state: a plain worktree lane's shell lives in a console, and none runs on this host";

/// Whether `state`, stored for `lane`, still describes it (`console_up`: a console runs on this
/// host). A plain worktree lane's terminal is the shell a console starts for it, and it ends
/// with that console: while none runs, nothing runs in the lane, so a state decided from that
/// terminal (its shell, its screen, keys typed into it) is not true any more. What an agent
/// said itself (a hook, an MCP call) stands: it may run in a terminal of the user's.
fn still_true(lane: &LaneInfo, state: &crate::agent::LaneState, console_up: bool) -> bool {
    console_up
        || !matches!(lane.source, crate::model::LaneSource::Worktree)
        || state.source.is_exact()
}

/// Take one look's news of a lane into what is known of it.
fn observe(
    seen: &mut Seen,
    f: Option<&Foreground>,
    now: OffsetDateTime,
    capture: impl FnOnce() -> Option<(Vec<String>, usize)>,
    patterns: &Patterns,
) {
    let Some(f) = f else { return };
    // Activity and size come from one `list-panes`: the window's activity since a resize is
    // taken for the program's redraw (as a console takes it, README "A redraw is not output").
    let resized = seen.size.is_some() && f.size.is_some() && seen.size != f.size;
    seen.size = f.size.or(seen.size);
    let moved = !resized && seen.activity.is_some_and(|a| f.activity > a);
    if resized {
        // Redrawn at another size: read again, once settled.
        seen.read = None;
    }
    if seen.activity.is_none() {
        // The first look is not a change: it only starts the quiet clock (as a console's).
        seen.last_change = Some(now - time::Duration::seconds(3600));
        seen.first_look = Some(now);
    } else if moved {
        seen.last_change = Some(now);
        seen.read = None;
    }
    seen.activity = Some(f.activity);
    // Read the prompt once the rows settled (unchanged for a look), and only then.
    if !moved && seen.read.is_none() {
        seen.read = capture().map(|(rows, cursor)| {
            let line = rows.get(cursor).map_or("", String::as_str);
            (patterns.read(&rows, cursor), looks_like_shell_prompt(line))
        });
    }
}

/// Decide a lane from what this look saw of it (`None`: its tmux session is gone) and what the
/// store holds; returns the decision and the state stored before it.
fn decide_lane(
    looked: Option<(&Seen, Option<&Foreground>)>,
    now: OffsetDateTime,
    store: &SqliteStore,
    key: &LaneKey,
) -> (Decision, Option<lane_state::StoredState>) {
    let stored = lane_state::get(store.conn(), &key.worktree)
        .inspect_err(|e| tracing::warn!("reading lane {}'s state: {e}", key.lane))
        .ok()
        .flatten();
    let mut inputs = match looked {
        Some((seen, f)) => inputs(seen, f, now, store, &key.worktree),
        None => Inputs {
            gone: true,
            ..inputs(&Seen::default(), None, now, store, &key.worktree)
        },
    };
    // As a console's load: what the stored decision overruled stays overruled.
    if let Some(s) = &stored {
        let hook = inputs.hook.clone();
        inputs.restore(&s.state, &s.evidence, s.updated, hook.as_ref());
    }
    (decide(&inputs, Timing::default()), stored)
}

/// The decision's inputs: what was seen, and the hook and notification signals in the store.
fn inputs(
    seen: &Seen,
    f: Option<&Foreground>,
    now: OffsetDateTime,
    store: &SqliteStore,
    worktree: &str,
) -> Inputs {
    let (process, exited) = match f {
        None => (Process::Unknown, None),
        Some(f) => match f.dead {
            Some(code) => (Process::Dead(code), Some(code)),
            None if f.pane_dead => (Process::Unknown, None),
            None if is_shell(&f.command) => (Process::Shell(f.command.clone()), None),
            None => (Process::Program(f.command.clone()), None),
        },
    };
    let hook = lane_state::decisive_signal(store.conn(), worktree)
        .inspect_err(|e| tracing::warn!("reading the hook signals of {worktree}: {e}"))
        .ok()
        .flatten();
    let alert = lane_state::newest_alert(store.conn(), worktree)
        .inspect_err(|e| tracing::warn!("reading the notifications of {worktree}: {e}"))
        .ok()
        .flatten();
    let (screen, shell_prompt) = seen.read.clone().unwrap_or((None, false));
    Inputs {
        now: Some(now),
        hook,
        process,
        last_change: seen.last_change,
        first_look: seen.first_look,
        screen,
        shell_prompt,
        exited,
        interrupted: None,
        answered: None,
        alert,
        overruled: None,
        gone: false,
    }
}

/// The lane's visible rows and the cursor's row, in one tmux call. The cursor line is printed
/// last, after everything the lane drew, so nothing the lane prints can stand in for it.
fn capture(session: &str) -> Option<(Vec<String>, usize)> {
    let target = crate::model::lane::tmux_pane_target(session);
    let text = crate::lanes::discover::tmux_stdout(&[
        "capture-pane",
        "-p",
        "-t",
        &target,
        ";",
        "display-message",
        "-p",
        "-t",
        &target,
        "#{cursor_y}",
    ])?;
    let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
    let cursor = rows.pop()?.trim().parse().ok()?;
    Some((rows, cursor))
}

/// Whether a console (a live process other than this one with a socket in the wake directory:
/// `<pid>.sock`; serve's own is one too) runs on this host.
fn console_running(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        let pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".sock"))
            .and_then(|p| p.parse::<u32>().ok());
        pid.is_some_and(|p| p != std::process::id() && Path::new(&format!("/proc/{p}")).exists())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Agent, Signal, Source, Status};

    fn fg(activity: u64, command: &str) -> Foreground {
        Foreground {
            command: command.into(),
            activity,
            dead: None,
            pane_dead: false,
            size: None,
        }
    }

    #[test]
    fn output_then_quiet_reads_the_screen_once_it_settled() {
        let p = Patterns::builtin();
        let t0 = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20000);
        let mut seen = Seen::default();
        let prompt = || {
            Some((
                vec![
                    "Bash command".to_string(),
                    "rm -rf build".into(),
                    "Do you want to proceed?".into(),
                    "❯ 1. Yes".into(),
                ],
                3,
            ))
        };
        // First look: quiet since long ago, the screen read at once.
        observe(&mut seen, Some(&fg(100, "python3")), t0, prompt, &p);
        assert_eq!(seen.first_look, Some(t0));
        assert!(seen.read.as_ref().is_some_and(|(m, _)| m.is_some()));
        // Output: a change, the old reading dropped, nothing captured while it moves.
        let t1 = t0 + time::Duration::seconds(1);
        observe(
            &mut seen,
            Some(&fg(101, "python3")),
            t1,
            || panic!("captured while moving"),
            &p,
        );
        assert_eq!(seen.last_change, Some(t1));
        assert!(seen.read.is_none());
        let d = decide(
            &Inputs {
                now: Some(t1),
                process: Process::Program("python3".into()),
                last_change: seen.last_change,
                first_look: seen.first_look,
                ..Inputs::default()
            },
            Timing::default(),
        );
        assert_eq!(d.state.status.label(), "working");
        // Quiet for a look: read once.
        let t2 = t1 + time::Duration::seconds(1);
        observe(&mut seen, Some(&fg(101, "python3")), t2, prompt, &p);
        let (m, _) = seen.read.clone().unwrap_or_default();
        assert_eq!(m.map(|m| m.reason), Some("rm -rf build".to_string()));
    }

    /// Activity that came with a new pane size is the program's redraw for it (another tmux
    /// client resized the window): no change; activity at the same size is one.
    #[test]
    fn activity_with_a_resize_is_no_change() {
        let p = Patterns::builtin();
        let t0 = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20000);
        let sized = |activity, rows, cols| Foreground {
            size: Some((rows, cols)),
            ..fg(activity, "claude")
        };
        let mut seen = Seen::default();
        observe(&mut seen, Some(&sized(100, 30, 100)), t0, || None, &p);
        let quiet = seen.last_change;
        let t1 = t0 + time::Duration::seconds(2);
        observe(&mut seen, Some(&sized(101, 20, 130)), t1, || None, &p);
        assert_eq!(seen.last_change, quiet, "the redraw");
        let t2 = t1 + time::Duration::seconds(2);
        observe(&mut seen, Some(&sized(102, 20, 130)), t2, || None, &p);
        assert_eq!(seen.last_change, Some(t2), "output");
    }

    /// A store in `dir` holding lane `a`'s working hook from 14s before `now`.
    fn store_with_hook(dir: &Path, now: OffsetDateTime) -> (SqliteStore, LaneKey, Signal) {
        let store = SqliteStore::open(&dir.join("h.db")).unwrap_or_else(|e| panic!("{e}"));
        let key = LaneKey {
            worktree: "/w/a".into(),
            repo: "app".into(),
            lane: "a".into(),
        };
        let hook = Signal {
            at: now - time::Duration::seconds(14),
            source: Source::Hook(Agent::Claude),
            status: Some(Status::Working),
            event: "PreToolUse".into(),
            reason: "Bash(make)".into(),
        };
        lane_state::add_signal(&store, &key, &hook).unwrap_or_else(|e| panic!("{e}"));
        (store, key, hook)
    }

    /// The tryout: a console recorded `done · interrupted by the user` over the agent's
    /// `working` hook (Ctrl-C: no Stop hook comes). A look taken after it (`lane ls` with no
    /// console) keeps it, as a console that starts again does. Before, the look decided the
    /// hook's `working` and recorded it.
    #[test]
    fn a_look_keeps_an_interrupt_a_console_recorded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let now = OffsetDateTime::now_utc();
        let (store, key, hook) = store_with_hook(dir.path(), now);
        // The console's decision, 2s after the interrupt, recorded now.
        let console = decide(
            &Inputs {
                now: Some(now),
                hook: Some(hook),
                process: Process::Program("claude".into()),
                last_change: Some(now - time::Duration::seconds(4)),
                interrupted: Some(now - time::Duration::seconds(4)),
                ..Inputs::default()
            },
            Timing::default(),
        );
        assert_eq!(console.state.status, Status::Done);
        lane_state::transition(&store, &key, &console, "t").unwrap_or_else(|e| panic!("{e}"));
        // A look later: a first look, the agent in the foreground, its screen quiet.
        let later = now + time::Duration::seconds(6);
        let mut seen = Seen::default();
        let f = fg(100, "claude");
        observe(&mut seen, Some(&f), later, || None, &Patterns::builtin());
        let (d, stored) = decide_lane(Some((&seen, Some(&f))), later, &store, &key);
        assert_eq!(d.state.status, Status::Done, "{d:?}");
        assert_eq!(d.state.reason, "interrupted by the user");
        assert!(stored.is_some_and(|s| d.restates(&s.state)));
    }

    /// The tryout: a `working` hook from 10 minutes ago, and `helios lane ls` with no console
    /// (one first look, the agent quiet): `unknown · hook said working, no output since`,
    /// dated from the hook, the last sign of life, as a console that saw the hook go stale
    /// dates it. Before, the look dated it from itself and `lane ls` said `0s`.
    #[test]
    fn a_look_dates_a_stale_hook_from_the_hook() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let now = OffsetDateTime::now_utc();
        let (store, key, hook) = store_with_hook(dir.path(), now - time::Duration::minutes(10));
        let mut seen = Seen::default();
        let f = fg(100, "claude");
        observe(&mut seen, Some(&f), now, || None, &Patterns::builtin());
        let (d, _) = decide_lane(Some((&seen, Some(&f))), now, &store, &key);
        assert_eq!(d.state.status, Status::Unknown, "{d:?}");
        assert_eq!(d.state.reason, "hook said working, no output since");
        assert_eq!(d.state.since, hook.at);
        // Output the next look sees is a sign of life: the hook's `working` holds again.
        let later = now + time::Duration::seconds(5);
        observe(
            &mut seen,
            Some(&fg(101, "claude")),
            later,
            || None,
            &Patterns::builtin(),
        );
        let (d, _) = decide_lane(Some((&seen, Some(&f))), later, &store, &key);
        assert_eq!(d.state.status, Status::Working, "{d:?}");
        assert_eq!(d.state.since, hook.at);
    }

    /// A lane whose tmux session is gone is decided as a console decides it: `exited · tmux
    /// session missing`. Before, the look skipped it and its old state (`working`) stood.
    #[test]
    fn a_look_at_a_gone_session_decides_it_missing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let now = OffsetDateTime::now_utc();
        let (store, key, _) = store_with_hook(dir.path(), now);
        let (d, _) = decide_lane(None, now, &store, &key);
        assert_eq!(d.state.status, Status::Exited(None));
        assert_eq!(d.state.reason, "tmux session missing");
        assert!(d.why.contains("tmux session is gone"), "{}", d.why);
    }

    /// A plain worktree lane's `shell · bash in the foreground` was its console's shell: with
    /// no console on the host it is shown as no state; a hook's word stands, and a par lane's
    /// state (its tmux session outlives consoles) always does.
    #[test]
    fn a_plain_lane_state_from_its_terminal_ends_with_the_console() {
        let state = |source| crate::agent::LaneState {
            status: Status::Shell,
            since: OffsetDateTime::UNIX_EPOCH,
            source,
            reason: "bash in the foreground, no agent".into(),
        };
        let lane = |source| LaneInfo {
            id: crate::model::LaneId::new("pl"),
            branch: None,
            worktree: "/w/pl".into(),
            source,
            session_alive: false,
            git: crate::model::GitCounts::default(),
        };
        let plain = lane(crate::model::LaneSource::Worktree);
        let par = lane(crate::model::LaneSource::Par {
            session: "par-app-1-pl".into(),
        });
        assert!(!still_true(&plain, &state(Source::Process), false));
        assert!(!still_true(&plain, &state(Source::Screen), false));
        assert!(still_true(&plain, &state(Source::Process), true));
        assert!(still_true(
            &plain,
            &state(Source::Hook(Agent::Claude)),
            false
        ));
        assert!(still_true(&par, &state(Source::Process), false));
    }

    #[test]
    fn only_a_live_other_process_counts_as_a_console() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let own = dir.path().join(format!("{}.sock", std::process::id()));
        std::fs::write(&own, "").unwrap_or_else(|e| panic!("{e}"));
        assert!(!console_running(dir.path()));
        // No such process (pid_max is below 2^22).
        std::fs::write(dir.path().join("4194999.sock"), "").unwrap_or_else(|e| panic!("{e}"));
        assert!(!console_running(dir.path()));
        // pid 1 runs.
        std::fs::write(dir.path().join("1.sock"), "").unwrap_or_else(|e| panic!("{e}"));
        assert!(console_running(dir.path()));
    }
}
