//! A lane's state as the store keeps it, against the console's.

use super::*;
use crate::agent::decide::Evidence;
use crate::agent::{Agent, LaneState, Process, Signal, Source, Status, WaitKind};

const PERMISSION: Status = Status::Waiting(WaitKind::Permission);

/// Claude's hook at `secs`, saying `PERMISSION` for `event`.
fn permission_hook(secs: i64, event: &str, reason: &str) -> Signal {
    Signal {
        at: clock(secs),
        source: Source::Hook(Agent::Claude),
        status: Some(PERMISSION),
        event: event.into(),
        reason: reason.into(),
    }
}

/// A state as stored: `status` since `secs`, decided from `source`.
fn stored(status: Status, secs: i64, source: Source, reason: &str) -> LaneState {
    LaneState {
        status,
        since: clock(secs),
        source,
        reason: reason.into(),
    }
}

/// A lane's store as a console loads it: `state`, decided from `evidence` and written at
/// `recorded`, and the lane's newest `hook`.
fn loaded(
    lane: &str,
    state: LaneState,
    evidence: Vec<Evidence>,
    hook: Signal,
    recorded: Option<i64>,
) -> Event {
    Event::LaneStatesLoaded {
        lanes: vec![crate::app::agent::LoadedState {
            lane: id(lane),
            state: Some((state, String::new(), evidence)),
            hook: Some(hook),
            alert: None,
            acked: false,
            recorded: recorded.map(clock),
        }],
    }
}

/// The evidence of a decision that saw Claude's hook `age` seconds old and gave it `verdict`.
fn saw_hook(age: i64, verdict: &str) -> Vec<Evidence> {
    vec![Evidence {
        source: "hook:claude".into(),
        said: "Notification: waiting: permission".into(),
        age_secs: Some(age),
        verdict: verdict.into(),
    }]
}

/// Effects that record a waiting state or ring the user's terminal.
fn flags(fx: &[Effect]) -> bool {
    fx.iter().any(|e| {
        matches!(e, Effect::NotifyTerminal { .. })
            || matches!(e, Effect::RecordLaneState { decision, .. } if matches!(decision.state.status, Status::Waiting(_)))
    })
}

/// A new console loads a hook's `waiting` that an earlier console already overruled with
/// `shell` (the shell came back): before its own process probe, it keeps the stored `shell`.
/// Before, every console start decided `waiting` again (a bell, and two false `lane.state`).
#[test]
fn a_console_start_does_not_replay_a_hook_older_than_the_stored_state() {
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(100));
    let shell = stored(Status::Shell, 60, Source::Process, "bash in the foreground");
    let hook = permission_hook(50, "PermissionRequest", "Bash(rm)");
    let fx = update(&mut s, loaded("a", shell, Vec::new(), hook, None));
    let fx = [fx, look(&mut s, 100, &[], &[])].concat();
    assert_eq!(status(&s, "a"), Status::Shell);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { .. }))
            && !flags(&fx),
        "{fx:?}"
    );
}

/// A hook records `waiting` while this console sees the shell in the foreground: the console
/// keeps `shell` and records it again, so the store (`helios lane ls`, the events) says what
/// the console shows. Before, the store kept the hook's `waiting` for as long as the console's
/// state did not change.
#[test]
fn a_hook_the_console_overrules_is_overruled_in_the_store_too() {
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(100));
    let shell = || Event::LaneProcesses {
        lanes: vec![(id("a"), Process::Shell("bash".into()))],
    };
    update(&mut s, shell());
    assert_eq!(status(&s, "a"), Status::Shell);
    let hook = permission_hook(110, "PermissionRequest", "Bash(rm)");
    let waiting = stored(PERMISSION, 110, hook.source, &hook.reason);
    s.clock = Some(clock(111));
    let fx = update(
        &mut s,
        loaded("a", waiting.clone(), Vec::new(), hook.clone(), None),
    );
    assert_eq!(status(&s, "a"), Status::Shell);
    let recorded: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::RecordLaneState { decision, .. } => Some(decision.state.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(recorded.len(), 1, "{fx:?}");
    assert_eq!(recorded[0].status, Status::Shell);
    assert_eq!(recorded[0].since, clock(100), "as old as the state shown");
    // Recorded once: the next decision, with nothing new, records nothing.
    assert!(update(&mut s, shell()).is_empty());
    // A store that agrees (the state, its signal and reason) asks for nothing.
    let agreed = LaneState {
        status: Status::Shell,
        source: Source::Process,
        reason: recorded[0].reason.clone(),
        ..waiting
    };
    let fx = update(&mut s, loaded("a", agreed, Vec::new(), hook, None));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { .. })),
        "{fx:?}"
    );
}

/// A console that starts again loads a hook's `waiting` that an earlier console overruled from
/// the lane's screen (`unknown`, recorded after the hook, though as old as it was: the state
/// began before the hook came). Once it has probed the lane (an agent in the foreground) and
/// looked at its quiet screen, it must not take the old hook as fresh: before, the restart
/// flagged the lane and recorded `waiting` again. (That the earlier console saw this very
/// hook is in the stored evidence: `agent::decide::overruled_at`'s tests cover a record made
/// before the hook was read, which must not silence it.)
#[test]
fn a_restart_does_not_bring_back_a_hook_the_screen_overruled() {
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(400));
    let quiet = stored(Status::Unknown, 10, Source::Screen, "quiet 20s");
    let hook = permission_hook(50, "Notification", "Claude needs your permission");
    let seen = saw_hook(30, "older than the lane's output: the screen decides");
    let mut fx = update(&mut s, loaded("a", quiet, seen, hook, Some(80)));
    fx.extend(update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("a"), Process::Program("python3".into()))],
        },
    ));
    fx.extend(look(&mut s, 400, &[], &[]));
    fx.extend(look(&mut s, 401, &[], &[]));
    assert_ne!(status(&s, "a"), PERMISSION);
    assert!(!flags(&fx), "{fx:?}");
}

/// A console that starts again shows the lanes that need you first at once: stored states are
/// taken as they are, and no decision changes to sort the list.
#[test]
fn stored_states_sort_the_lanes_that_need_you_first() {
    let mut s = state_with(&["a", "b"]);
    s.clock = Some(clock(100));
    let hook = permission_hook(90, "PermissionRequest", "Bash(rm)");
    let waiting = stored(PERMISSION, 90, hook.source, &hook.reason);
    assert_eq!(s.lanes[0].id().as_str(), "a");
    update(&mut s, loaded("b", waiting, Vec::new(), hook, Some(90)));
    assert_eq!(status(&s, "b"), PERMISSION);
    assert_eq!(s.lanes[0].id().as_str(), "b");
}

/// The tryout's restart: a hook fed while the lane's shell was at its prompt, overruled by
/// `shell` and recorded again (as old as it was, so older than the hook). A new console must
/// not flag the lane (and ring) for the second before its own process probe.
#[test]
fn a_restart_before_the_probe_keeps_a_hook_the_shell_overruled_quiet() {
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(400));
    let shell = stored(Status::Shell, 10, Source::Process, "bash in the foreground");
    let hook = permission_hook(50, "Notification", "Claude needs your permission");
    let seen = saw_hook(1, "older than the shell now in the foreground");
    let fx = update(&mut s, loaded("a", shell, seen, hook, Some(51)));
    let fx = [fx, look(&mut s, 400, &[], &[])].concat();
    assert_eq!(status(&s, "a"), Status::Shell);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { .. }))
            && !flags(&fx),
        "{fx:?}"
    );
}

/// The recorded states of lane `a` among `fx`.
fn recorded_of_a(fx: &[Effect]) -> Vec<LaneState> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::RecordLaneState { lane, decision } if lane.as_str() == "a" => {
                Some(decision.state.clone())
            }
            _ => None,
        })
        .collect()
}

/// The same state for a new reason (a second permission prompt right after the first) is
/// recorded, as old as the state, so `helios lane ls` and `lane explain` give the reason the
/// console shows. Before, the store kept the first decision's reason for as long as the state
/// lasted. Nothing new (a reason that only quotes a later age) records nothing.
#[test]
fn a_new_reason_within_the_same_state_is_recorded_and_only_then() {
    use crate::agent::screen::ScreenMatch;
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    let prompt = |reason: &str| {
        vec![(
            "a",
            ScreenMatch {
                status: PERMISSION,
                pattern: "claude permission".into(),
                reason: reason.into(),
            },
        )]
    };
    look(&mut s, 1, &["a"], &[]);
    let first = recorded_of_a(&look(&mut s, 5, &[], &prompt("Bash(rm -rf build)")));
    assert_eq!(first.len(), 1);
    let since = first[0].since;
    let fx = look(&mut s, 6, &[], &prompt("Bash(rm -rf dist)"));
    let again = recorded_of_a(&fx);
    assert_eq!(again.len(), 1, "{fx:?}");
    assert_eq!(again[0].status, PERMISSION);
    assert_eq!(again[0].reason, "Bash(rm -rf dist)");
    assert_eq!(again[0].since, since, "the state did not begin again");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::NotifyTerminal { .. }))
    );
    // The same again: nothing to record.
    assert!(recorded_of_a(&look(&mut s, 7, &[], &prompt("Bash(rm -rf dist)"))).is_empty());
    // A quiet lane's reason quotes its age: a new second is not a new reason.
    look(&mut s, 8, &["a"], &[]);
    assert!(!recorded_of_a(&look(&mut s, 40, &[], &[])).is_empty());
    assert_eq!(status(&s, "a"), Status::Unknown);
    assert!(recorded_of_a(&look(&mut s, 41, &[], &[])).is_empty());
}

/// A console loads a state stored for another reason than the one it shows (a restart, another
/// console): it records its own, so the store agrees with it.
#[test]
fn a_stored_reason_other_than_the_one_shown_is_recorded_again() {
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(100));
    update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("a"), Process::Shell("bash".into()))],
        },
    );
    let shown = s.lane(&id("a")).unwrap().agent.state.clone().unwrap();
    assert_eq!(shown.status, Status::Shell);
    let hook = permission_hook(50, "PermissionRequest", "Bash(rm)");
    let other = stored(
        Status::Shell,
        60,
        Source::Screen,
        "a shell prompt at the cursor",
    );
    let fx = update(&mut s, loaded("a", other, Vec::new(), hook, None));
    let recorded = recorded_of_a(&fx);
    assert_eq!(recorded.len(), 1, "{fx:?}");
    assert_eq!(recorded[0].reason, shown.reason);
    assert_eq!(recorded[0].source, Source::Process);
}

/// The tryout: the user interrupted a working agent with Ctrl-C in a console, which recorded
/// `done · interrupted by the user`. A console that starts again, once it has probed the lane
/// (the agent in the foreground) and looked at its quiet screen, keeps `done`: the interrupt is
/// restored from the record (`Inputs::restore`, which serve's looker uses too). Before, the
/// `working` hook the interrupt superseded came back.
#[test]
fn a_restart_does_not_bring_back_a_hook_the_user_interrupted() {
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(400));
    let done = stored(Status::Done, 60, Source::Keys, "interrupted by the user");
    let hook = Signal {
        at: clock(50),
        source: Source::Hook(Agent::Claude),
        status: Some(Status::Working),
        event: "PreToolUse".into(),
        reason: "Bash(make)".into(),
    };
    let seen = vec![Evidence {
        source: "hook:claude".into(),
        said: "PreToolUse: working · Bash(make)".into(),
        age_secs: Some(14),
        verdict: "superseded by the interrupt".into(),
    }];
    let mut fx = update(&mut s, loaded("a", done, seen, hook, Some(64)));
    fx.extend(update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("a"), Process::Program("claude".into()))],
        },
    ));
    fx.extend(look(&mut s, 400, &[], &[]));
    fx.extend(look(&mut s, 401, &[], &[]));
    assert_eq!(status(&s, "a"), Status::Done, "{fx:?}");
    assert!(recorded_of_a(&fx).is_empty(), "{fx:?}");
}

/// A par lane whose tmux session is gone is `exited · tmux session missing`, recorded with
/// that reason and an explanation that says the session is gone (the rule `lane ls`'s look
/// applies too). Before, the record had no reason and said the lane's program ended.
#[test]
fn a_gone_session_is_recorded_as_missing() {
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a"], &[]);
    let mut gone = info("a", false);
    gone.worktree = s.lane(&id("a")).unwrap().info.worktree.clone();
    let fx = update(&mut s, Event::LanesDiscovered { lanes: vec![gone] });
    let d = fx
        .iter()
        .find_map(|e| match e {
            Effect::RecordLaneState { decision, .. } => Some(decision),
            _ => None,
        })
        .unwrap_or_else(|| panic!("nothing recorded: {fx:?}"));
    assert_eq!(d.state.status, Status::Exited(None));
    assert_eq!(d.state.reason, "tmux session missing");
    assert!(d.why.contains("tmux session is gone"), "{}", d.why);
    assert!(d.evidence.iter().all(|e| e.source != "screen"), "{d:?}");
    // Back: the lane is no longer gone.
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", true)],
        },
    );
    assert!(!s.lane(&id("a")).unwrap().agent.inputs.gone);
}
