//! A lane's state as the store keeps it, against the console's.

use super::*;

/// A new console loads a hook's `waiting` that an earlier console already overruled with
/// `shell` (the shell came back): before its own process probe, it keeps the stored `shell`.
/// Before, every console start decided `waiting` again (a bell, and two false `lane.state`).
#[test]
fn a_console_start_does_not_replay_a_hook_older_than_the_stored_state() {
    use crate::agent::{Agent, LaneState, Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(100));
    let stored = LaneState {
        status: Status::Shell,
        since: clock(60),
        source: Source::Process,
        reason: "bash in the foreground, no agent".into(),
    };
    let fx = update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: Some((stored, String::new(), Vec::new())),
                hook: Some(Signal {
                    at: clock(50),
                    source: Source::Hook(Agent::Claude),
                    status: Some(Status::Waiting(WaitKind::Permission)),
                    event: "PermissionRequest".into(),
                    reason: "Bash(rm)".into(),
                }),
                alert: None,
                acked: false,
                recorded: None,
            }],
        },
    );
    let fx = [fx, look(&mut s, 100, &[], &[])].concat();
    assert_eq!(status(&s, "a"), Status::Shell);
    assert!(
        !fx.iter().any(|e| matches!(
            e,
            Effect::RecordLaneState { .. } | Effect::NotifyTerminal { .. }
        )),
        "{fx:?}"
    );
}

/// A hook records `waiting` while this console sees the shell in the foreground: the console
/// keeps `shell` and records it again, so the store (`helios lane ls`, the events) says what
/// the console shows. Before, the store kept the hook's `waiting` for as long as the console's
/// state did not change.
#[test]
fn a_hook_the_console_overrules_is_overruled_in_the_store_too() {
    use crate::agent::{Agent, LaneState, Process, Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(100));
    let shell = || Event::LaneProcesses {
        lanes: vec![(id("a"), Process::Shell("bash".into()))],
    };
    update(&mut s, shell());
    assert_eq!(status(&s, "a"), Status::Shell);
    let waiting = Status::Waiting(WaitKind::Permission);
    let hook = Signal {
        at: clock(110),
        source: Source::Hook(Agent::Claude),
        status: Some(waiting),
        event: "PermissionRequest".into(),
        reason: "Bash(rm)".into(),
    };
    let stored = LaneState {
        status: waiting,
        since: clock(110),
        source: hook.source,
        reason: hook.reason.clone(),
    };
    s.clock = Some(clock(111));
    let loaded = |stored: LaneState, hook: Signal| Event::LaneStatesLoaded {
        lanes: vec![crate::app::agent::LoadedState {
            lane: id("a"),
            state: Some((stored, String::new(), Vec::new())),
            hook: Some(hook),
            alert: None,
            acked: false,
            recorded: None,
        }],
    };
    let fx = update(&mut s, loaded(stored.clone(), hook.clone()));
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
    // A store that agrees asks for nothing.
    let agreed = LaneState {
        status: Status::Shell,
        ..stored
    };
    let fx = update(&mut s, loaded(agreed, hook));
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
    use crate::agent::{Agent, LaneState, Process, Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(400));
    let stored = LaneState {
        status: Status::Unknown,
        since: clock(10),
        source: Source::Screen,
        reason: "quiet 20s".into(),
    };
    let hook = Signal {
        at: clock(50),
        source: Source::Hook(Agent::Claude),
        status: Some(Status::Waiting(WaitKind::Permission)),
        event: "Notification".into(),
        reason: "Claude needs your permission".into(),
    };
    let mut fx = update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: Some((
                    stored,
                    String::new(),
                    vec![crate::agent::decide::Evidence {
                        source: "hook:claude".into(),
                        said: "Notification: waiting: permission".into(),
                        age_secs: Some(30),
                        verdict: "older than the lane's output: the screen decides".into(),
                    }],
                )),
                hook: Some(hook),
                alert: None,
                acked: false,
                recorded: Some(clock(80)),
            }],
        },
    );
    fx.extend(update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("a"), Process::Program("python3".into()))],
        },
    ));
    fx.extend(look(&mut s, 400, &[], &[]));
    fx.extend(look(&mut s, 401, &[], &[]));
    assert_ne!(status(&s, "a"), Status::Waiting(WaitKind::Permission));
    assert!(
        !fx.iter().any(|e| matches!(
            e,
            Effect::RecordLaneState { decision, .. } if matches!(decision.state.status, Status::Waiting(_))
        ) || matches!(e, Effect::NotifyTerminal { .. })),
        "{fx:?}"
    );
}

/// A console that starts again shows the lanes that need you first at once: stored states are
/// taken as they are, and no decision changes to sort the list.
#[test]
fn stored_states_sort_the_lanes_that_need_you_first() {
    use crate::agent::{Agent, LaneState, Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a", "b"]);
    s.clock = Some(clock(100));
    let waiting = Status::Waiting(WaitKind::Permission);
    let hook = Signal {
        at: clock(90),
        source: Source::Hook(Agent::Claude),
        status: Some(waiting),
        event: "PermissionRequest".into(),
        reason: "Bash(rm)".into(),
    };
    let stored = LaneState {
        status: waiting,
        since: clock(90),
        source: hook.source,
        reason: hook.reason.clone(),
    };
    update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("b"),
                state: Some((stored, String::new(), Vec::new())),
                hook: Some(hook),
                alert: None,
                acked: false,
                recorded: Some(clock(90)),
            }],
        },
    );
    assert_eq!(status(&s, "b"), waiting);
    assert_eq!(s.lanes[0].id().as_str(), "b");
}

/// The tryout's restart: a hook fed while the lane's shell was at its prompt, overruled by
/// `shell` and recorded again (as old as it was, so older than the hook). A new console must
/// not flag the lane (and ring) for the second before its own process probe.
#[test]
fn a_restart_before_the_probe_keeps_a_hook_the_shell_overruled_quiet() {
    use crate::agent::{Agent, LaneState, Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a"]);
    s.clock = Some(clock(400));
    let stored = LaneState {
        status: Status::Shell,
        since: clock(10),
        source: Source::Process,
        reason: "bash in the foreground, no agent".into(),
    };
    let seen = crate::agent::decide::Evidence {
        source: "hook:claude".into(),
        said: "Notification: waiting: permission".into(),
        age_secs: Some(1),
        verdict: "older than the shell now in the foreground".into(),
    };
    let fx = update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: Some((stored, String::new(), vec![seen])),
                hook: Some(Signal {
                    at: clock(50),
                    source: Source::Hook(Agent::Claude),
                    status: Some(Status::Waiting(WaitKind::Permission)),
                    event: "Notification".into(),
                    reason: "Claude needs your permission".into(),
                }),
                alert: None,
                acked: false,
                recorded: Some(clock(51)),
            }],
        },
    );
    let fx = [fx, look(&mut s, 400, &[], &[])].concat();
    assert_eq!(status(&s, "a"), Status::Shell);
    assert!(
        !fx.iter().any(|e| matches!(
            e,
            Effect::RecordLaneState { .. } | Effect::NotifyTerminal { .. }
        )),
        "{fx:?}"
    );
}
