#![allow(clippy::unwrap_used, clippy::expect_used)]

use time::Duration as TimeDelta;

use super::*;
use crate::agent::state::{Agent, ErrorKind, WaitKind};

fn t0() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + TimeDelta::days(20_000)
}

fn hook(at: OffsetDateTime, status: Status, reason: &str) -> Signal {
    Signal {
        at,
        source: Source::Hook(Agent::Claude),
        status: Some(status),
        event: "PermissionRequest".into(),
        reason: reason.into(),
    }
}

fn at(secs: i64) -> OffsetDateTime {
    t0() + TimeDelta::seconds(secs)
}

fn inputs(now: i64) -> Inputs {
    Inputs {
        now: Some(at(now)),
        process: Process::Program("claude".into()),
        ..Inputs::default()
    }
}

#[test]
fn a_fresh_hook_decides_and_says_so() {
    let mut i = inputs(100);
    let perm = Status::Waiting(WaitKind::Permission);
    i.hook = Some(hook(at(10), perm, "Bash(rm -rf build)"));
    i.last_change = Some(at(9));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, perm);
    assert_eq!(d.state.reason, "Bash(rm -rf build)");
    assert_eq!(d.state.since, at(10));
    assert_eq!(d.state.source, Source::Hook(Agent::Claude));
    let used = d
        .evidence
        .iter()
        .find(|e| e.source == "hook:claude")
        .unwrap();
    assert_eq!(used.verdict, "used");
    assert_eq!(used.age_secs, Some(90));
    assert!(d.evidence.iter().all(|e| !e.verdict.is_empty()));
}

#[test]
fn an_idle_shell_is_shell_never_waiting() {
    let mut i = inputs(100);
    i.process = Process::Shell("bash".into());
    i.last_change = Some(at(0));
    i.shell_prompt = true;
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Shell);
    // Without process information, the prompt at the cursor says it.
    i.process = Process::Unknown;
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Shell);
    // A hook from an agent that is gone no longer holds.
    i.process = Process::Shell("zsh".into());
    i.hook = Some(hook(at(5), Status::Working, "Bash(ls)"));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Shell);
    assert!(d.why.contains("without a SessionEnd"), "{}", d.why);
    // One that said it ended left a shell, which waits for nobody.
    let mut end = hook(at(5), Status::Exited(None), "session ended");
    end.event = "SessionEnd".into();
    i.hook = Some(end);
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Shell);
    assert_eq!(
        d.why,
        "the agent's hook said it ended (SessionEnd) and zsh is in the foreground again"
    );
}

#[test]
fn exit_wins_with_its_status() {
    let mut i = inputs(10);
    i.exited = Some(Some(3));
    i.hook = Some(hook(at(5), Status::Working, ""));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Exited(Some(3)));
    assert_eq!(d.state.status.label(), "exited (3)");
}

#[test]
fn an_interrupt_without_stop_ends_the_turn_once_quiet() {
    let mut i = inputs(100);
    i.hook = Some(hook(at(10), Status::Working, "Bash(sleep 100)"));
    i.interrupted = Some(at(50));
    i.last_change = Some(at(51));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Done);
    assert_eq!(d.state.reason, "interrupted by the user");
    // Output well after the interrupt: the agent kept working.
    i.last_change = Some(at(99));
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Working);
}

#[test]
fn a_stale_working_hook_is_unknown_and_explained() {
    let mut i = inputs(1000);
    i.hook = Some(hook(at(0), Status::Working, "Bash(make)"));
    i.last_change = Some(at(1));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Unknown);
    // Dated from the last output after the hook: the state's age is the one duration shown.
    assert_eq!(
        (d.state.reason.as_str(), d.state.since),
        ("hook said working, no output since", at(1))
    );
    assert!(d.evidence.iter().any(|e| e.verdict.starts_with("stale")));
}

#[test]
fn output_after_a_done_hook_hands_over_to_the_screen() {
    let mut i = inputs(100);
    i.hook = Some(hook(at(10), Status::Done, "turn finished"));
    i.last_change = Some(at(99));
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Working);
    i.last_change = Some(at(60));
    i.screen = Some(ScreenMatch {
        status: Status::Waiting(WaitKind::Permission),
        pattern: "codex approval".into(),
        reason: "Allow command?".into(),
    });
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Waiting(WaitKind::Permission));
    assert_eq!(d.state.source, Source::Screen);
}

#[test]
fn screen_fallback_without_hooks() {
    let mut i = inputs(100);
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Unknown);
    i.last_change = Some(at(99));
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Working);
    i.last_change = Some(at(90));
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Working);
    i.last_change = Some(at(50));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Unknown);
    assert!(d.why.contains("no prompt"), "{}", d.why);
    i.alert = Some(Signal {
        at: at(60),
        source: Source::Bell,
        status: None,
        event: "bell".into(),
        reason: "rang the bell".into(),
    });
    assert_eq!(
        decide(&i, Timing::default()).state.status,
        Status::Waiting(WaitKind::Input)
    );
}

#[test]
fn errors_pass_through_from_hooks() {
    let mut i = inputs(100);
    i.hook = Some(hook(
        at(90),
        Status::Error(ErrorKind::RateLimit),
        "rate_limit",
    ));
    i.last_change = Some(at(89));
    assert_eq!(
        decide(&i, Timing::default()).state.status,
        Status::Error(ErrorKind::RateLimit)
    );
}

#[test]
fn ages_read_short() {
    assert_eq!(short_age(5), "5s");
    assert_eq!(short_age(185), "3m");
    assert_eq!(short_age(7300), "2h");
    assert_eq!(short_age(-4), "0s");
    assert_eq!(ago(90_000), "1d ago");
}

#[test]
fn answering_a_waiting_lane_clears_it_until_the_agent_speaks() {
    let mut i = inputs(100);
    i.hook = Some(hook(
        at(10),
        Status::Waiting(WaitKind::Permission),
        "Bash(x)",
    ));
    i.last_change = Some(at(9));
    i.answered = Some(at(95));
    let d = decide(&i, Timing::default());
    assert_eq!(
        (d.state.status, d.state.source),
        (Status::Working, Source::Keys)
    );
    // Nothing followed for a while: the hook's state holds again.
    i.now = Some(at(200));
    assert_eq!(
        decide(&i, Timing::default()).state.status,
        Status::Waiting(WaitKind::Permission)
    );
}

/// A lane quiet since helios first looked is dated from that look: a console started a
/// minute ago does not show `shell · 1h` or `quiet 1h` for lanes it has never seen change.
#[test]
fn a_lane_unchanged_since_the_first_look_is_dated_from_it() {
    let mut i = inputs(160);
    i.process = Process::Unknown;
    i.first_look = Some(at(100));
    i.last_change = Some(at(100) - TimeDelta::seconds(3600));
    i.shell_prompt = true;
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Shell);
    assert_eq!(d.state.since, at(100));
    i.shell_prompt = false;
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Unknown);
    // Dated from the first look: its age is how long helios has seen it quiet, the one
    // duration the list shows (the reason carries none).
    assert_eq!(
        (d.state.reason.as_str(), d.state.since),
        ("quiet, no known prompt", at(100))
    );
    let screen = d.evidence.iter().find(|e| e.source == "screen").unwrap();
    assert!(
        screen
            .said
            .ends_with("rows unchanged since helios first looked 1m ago"),
        "{}",
        screen.said
    );
    assert_eq!(screen.age_secs, Some(60));
    // Its text tells the age: `e` and `lane explain` do not add `(1m old)` to it.
    assert_eq!(screen.age_note(), "");
    let process = d.evidence.iter().find(|e| e.source == "process").unwrap();
    let aged = Evidence {
        age_secs: Some(90),
        ..process.clone()
    };
    assert_eq!(aged.age_note(), " (1m old)");
    // A change after the first look is dated as it is.
    i.last_change = Some(at(130));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.since, at(130));
}

/// Just after a restart, a quiet lane with no prompt is not called `unknown` at once: the
/// state the last console stored stands for a quiet period (the decision is blind).
#[test]
fn a_quiet_lane_just_looked_at_keeps_its_stored_state_for_a_quiet_period() {
    let mut i = inputs(105);
    i.process = Process::Program("sleep".into());
    i.first_look = Some(at(100));
    i.last_change = Some(at(100) - TimeDelta::seconds(3600));
    assert!(decide(&i, Timing::default()).is_blind());
    // A whole quiet period later it is unknown, dated from the first look.
    i.now = Some(at(121));
    let d = decide(&i, Timing::default());
    assert!(!d.is_blind());
    assert_eq!(d.state.status, Status::Unknown);
    assert_eq!(d.state.since, at(100));
    // Output after the first look decides at once.
    i.now = Some(at(105));
    i.last_change = Some(at(103));
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Working);
}

/// A console that starts again knows nothing of the rows that changed after a hook; the state
/// recorded after the hook from the lane itself says the hook was overruled.
#[test]
fn a_hook_older_than_a_state_recorded_from_the_lane_is_overruled() {
    let perm = Status::Waiting(WaitKind::Permission);
    let mut i = inputs(400);
    i.hook = Some(hook(at(10), perm, "Bash(rm -rf build)"));
    // The made-up quiet hour of a first look.
    i.last_change = Some(at(400 - 3600));
    i.first_look = Some(at(400));
    assert_eq!(decide(&i, Timing::default()).state.status, perm);
    i.overruled = Some(at(40));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Unknown, "{d:?}");
    let hook = d
        .evidence
        .iter()
        .find(|e| e.source == "hook:claude")
        .unwrap();
    assert!(hook.verdict.contains("recorded after it"), "{hook:?}");
    // A hook newer than that state decides again.
    i.hook = Some(hook_at(50, perm));
    assert_eq!(decide(&i, Timing::default()).state.status, perm);
}

fn hook_at(secs: i64, status: Status) -> Signal {
    hook(at(secs), status, "Bash(rm -rf build)")
}

#[test]
fn explanations_read_as_sentences() {
    let mut i = inputs(100);
    let d = decide(&i, Timing::default());
    let screen = d.evidence.iter().find(|e| e.source == "screen").unwrap();
    assert_eq!(screen.said, "no output seen yet");
    i.last_change = Some(at(82));
    let d = decide(&i, Timing::default());
    let screen = d.evidence.iter().find(|e| e.source == "screen").unwrap();
    assert_eq!(screen.said, "no known prompt; rows last changed 18s ago");
    let mut h = hook(at(90), Status::Waiting(WaitKind::Question), "which branch?");
    h.source = Source::Mcp;
    h.event = "ask_human".into();
    i.hook = Some(h);
    let d = decide(&i, Timing::default());
    assert_eq!(
        d.why,
        "the agent said so through helios's MCP server (ask_human)"
    );
}

/// Only a record that saw the hook, at its age then, and did not use it overrules it: a
/// console's record made before it read the hook must not silence the hook.
#[test]
fn a_record_overrules_only_the_hook_it_saw() {
    let perm = Status::Waiting(WaitKind::Permission);
    let h = hook(at(50), perm, "Bash(rm)");
    let state = LaneState {
        status: Status::Unknown,
        since: at(10),
        source: Source::Screen,
        reason: "quiet 20s".into(),
    };
    let seen = |verdict: &str, age: i64| Evidence {
        source: "hook:claude".into(),
        said: "PermissionRequest: waiting: permission".into(),
        age_secs: Some(age),
        verdict: verdict.into(),
    };
    let overruled = [seen("older than the lane's output: the screen decides", 30)];
    assert_eq!(
        overruled_at(&state, &overruled, at(80), Some(&h)),
        Some(at(80))
    );
    // Recorded without that hook in view (another, older one; or none), or using it.
    assert_eq!(
        overruled_at(&state, &[seen("older than x", 70)], at(80), Some(&h)),
        None
    );
    assert_eq!(overruled_at(&state, &[], at(80), Some(&h)), None);
    assert_eq!(
        overruled_at(&state, &[seen("used", 30)], at(80), Some(&h)),
        None
    );
    // A record before the hook, or one the hook made itself.
    assert_eq!(overruled_at(&state, &overruled, at(40), Some(&h)), None);
    let by_hook = LaneState {
        source: Source::Hook(Agent::Claude),
        ..state.clone()
    };
    assert_eq!(overruled_at(&by_hook, &overruled, at(80), Some(&h)), None);
}

/// The inputs of a console or a look that starts at `now`, with `hook` the newest and the
/// decision `d` recorded at `recorded` restored from the store.
fn restarted(now: i64, hook: &Signal, d: &Decision, recorded: i64) -> Inputs {
    let mut i = inputs(now);
    i.hook = Some(hook.clone());
    // The made-up quiet hour of a first look.
    i.last_change = Some(at(now - 3600));
    i.first_look = Some(at(now));
    i.restore(&d.state, &d.evidence, at(recorded), Some(hook));
    i
}

/// The tryout: the user interrupted a working agent (Ctrl-C, no Stop hook) and the console
/// recorded `done · interrupted by the user`. A console or a look that starts later has no
/// keys of its own: restored from the record, the interrupt still supersedes the `working`
/// hook. Before, both took the hook as fresh and decided `working` again.
#[test]
fn a_recorded_interrupt_stays_after_a_restart() {
    let h = hook(at(40), Status::Working, "Bash(make)");
    let mut i = inputs(60);
    i.hook = Some(h.clone());
    i.interrupted = Some(at(50));
    i.last_change = Some(at(51));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Done);
    let again = decide(&restarted(400, &h, &d, 60), Timing::default());
    assert_eq!(again.state.status, Status::Done, "{again:?}");
    assert_eq!(again.state.reason, "interrupted by the user");
    assert_eq!(again.state.since, at(50));
    assert!(again.restates(&d.state));
    // A hook after the interrupt (a new prompt) decides again.
    let newer = hook(at(70), Status::Working, "Bash(ls)");
    let i = restarted(300, &newer, &d, 60);
    assert_eq!(i.interrupted, None);
    assert_eq!(decide(&i, Timing::default()).state.status, Status::Working);
}

/// An answer through helios to a waiting agent, recorded, holds after a restart as it did in
/// the console that saw the keys (until the quiet period after it).
#[test]
fn a_recorded_answer_stays_after_a_restart() {
    let h = hook(at(40), Status::Waiting(WaitKind::Permission), "Bash(rm)");
    let mut i = inputs(52);
    i.hook = Some(h.clone());
    i.answered = Some(at(50));
    i.last_change = Some(at(30));
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.reason, "answered through helios");
    let again = decide(&restarted(55, &h, &d, 52), Timing::default());
    assert_eq!(again.state.status, Status::Working, "{again:?}");
    assert_eq!(again.state.source, Source::Keys);
}

/// A lane whose tmux session is gone is `exited · tmux session missing`, and its explanation
/// says the session went, not that a program ended, and shows no screen (there is none).
/// Before, it was `exited` for no reason, "decided by process: the lane's program ended".
#[test]
fn a_gone_session_is_exited_and_says_so() {
    let mut i = inputs(100);
    i.hook = Some(hook(at(10), Status::Working, "Bash(make)"));
    i.last_change = Some(at(99));
    i.first_look = Some(at(50));
    i.gone = true;
    let d = decide(&i, Timing::default());
    assert_eq!(d.state.status, Status::Exited(None));
    assert_eq!(d.state.reason, "tmux session missing");
    assert_eq!(d.state.source, Source::Process);
    assert!(d.why.contains("tmux session is gone"), "{}", d.why);
    assert!(!d.why.contains("program ended"), "{}", d.why);
    assert!(d.evidence.iter().all(|e| e.source != "screen"), "{d:?}");
    let process = d.evidence.iter().find(|e| e.source == "process").unwrap();
    assert_eq!(process.said, "none: its tmux session is gone");
    assert_eq!(process.verdict, "used");
    let hook = d
        .evidence
        .iter()
        .find(|e| e.source == "hook:claude")
        .unwrap();
    assert_eq!(hook.verdict, "the lane's tmux session is gone");
}
