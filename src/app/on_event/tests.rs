//! Tests of the reducer's event handling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use super::*;
use crate::app::{Action, update};
use crate::model::RepoInfo;
use crate::model::{GitCounts, LaneId, LaneInfo, LaneSource};

fn info(label: &str, alive: bool) -> LaneInfo {
    LaneInfo {
        id: LaneId::new(label),
        branch: Some(label.into()),
        worktree: PathBuf::from(format!("/w/{label}")),
        source: LaneSource::Par {
            session: format!("par-r-1234-{label}"),
        },
        session_alive: alive,
        git: GitCounts::default(),
    }
}

fn state_with(labels: &[&str]) -> AppState {
    let mut s = AppState::new(
        RepoInfo {
            path: "/r".into(),
            name: "r".into(),
        },
        Instant::now(),
    );
    let lanes = labels.iter().map(|l| info(l, true)).collect();
    update(&mut s, Event::LanesDiscovered { lanes });
    s
}

fn order(s: &AppState) -> Vec<&str> {
    s.lanes.iter().map(|l| l.id().as_str()).collect()
}

fn id(s: &str) -> LaneId {
    LaneId::new(s)
}

#[test]
fn discovery_selects_first_and_asks_for_ptys() {
    let mut s = AppState::new(
        RepoInfo {
            path: "/r".into(),
            name: "r".into(),
        },
        Instant::now(),
    );
    let fx = update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("b", true), info("a", false)],
        },
    );
    assert_eq!(
        fx,
        vec![
            Effect::SyncPtys,
            Effect::ResizeLanes,
            Effect::LoadLaneStates
        ]
    );
    assert_eq!(order(&s), ["a", "b"]);
    assert_eq!(s.selected, Some(id("a")));
    assert_eq!(s.lane(&id("a")).unwrap().status, LaneStatus::Missing);
}

fn clock(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::seconds(secs)
}

/// A screen tick at `secs` where `changed` lanes printed and `screens` show a prompt.
fn look(
    s: &mut AppState,
    secs: i64,
    changed: &[&str],
    screens: &[(&str, crate::agent::screen::ScreenMatch)],
) -> Vec<Effect> {
    let lanes = s
        .lanes
        .iter()
        .map(|l| crate::app::agent::ScreenObservation {
            lane: l.id().clone(),
            change: crate::app::hold::Change::seen(changed.contains(&l.id().as_str())),
            screen: screens
                .iter()
                .find(|(n, _)| *n == l.id().as_str())
                .map(|(_, m)| m.clone()),
            shell_prompt: false,
        })
        .collect();
    update(
        s,
        Event::LaneScreens {
            at: clock(secs),
            lanes,
        },
    )
}

fn agents(s: &mut AppState) {
    let lanes = s
        .lanes
        .iter()
        .map(|l| {
            (
                l.id().clone(),
                crate::agent::Process::Program("claude".into()),
            )
        })
        .collect();
    update(s, Event::LaneProcesses { lanes });
}

fn status(s: &AppState, l: &str) -> crate::agent::Status {
    s.lane(&id(l)).unwrap().agent.state.as_ref().unwrap().status
}

#[test]
fn bell_notify_and_exit_sort_attention_first() {
    use crate::agent::{Status, WaitKind};
    let mut s = state_with(&["a", "b", "c", "d"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a", "b", "c", "d"], &[]);
    look(&mut s, 5, &[], &[]);
    update(&mut s, Event::LaneBell { lane: id("c") });
    assert_eq!(order(&s), ["c", "a", "b", "d"]);
    update(
        &mut s,
        Event::LaneNotified {
            lane: id("d"),
            text: "done".into(),
        },
    );
    assert_eq!(order(&s), ["c", "d", "a", "b"]);
    assert_eq!(status(&s, "d"), Status::Waiting(WaitKind::Input));
    assert_eq!(
        s.lane(&id("d"))
            .unwrap()
            .agent
            .state
            .as_ref()
            .unwrap()
            .reason,
        "done"
    );
    // helios's tmux client for a par lane ended: that is not the lane's exit (discovery and
    // the probe say what happened to the lane).
    let fx = update(
        &mut s,
        Event::LaneExited {
            lane: id("b"),
            code: Some(0),
        },
    );
    assert_eq!(fx, vec![Effect::DiscoverLanes]);
    assert_ne!(s.lane(&id("b")).unwrap().status, LaneStatus::Exited);
    // The probe finds its pane dead with status 3: that is the lane's exit.
    let fx = update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("b"), crate::agent::Process::Dead(Some(3)))],
        },
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { .. }))
    );
    assert_eq!(status(&s, "b"), Status::Exited(Some(3)));
    assert_eq!(s.lane(&id("b")).unwrap().status, LaneStatus::Exited);
    assert_eq!(s.attention_count(), 3);
    assert_eq!(order(&s), ["c", "d", "b", "a"]);
    // Output after that (tmux's "Pane is dead" line) does not undo it; the pane running
    // again (respawned) does.
    look(&mut s, 20, &["b"], &[]);
    assert_eq!(status(&s, "b"), Status::Exited(Some(3)));
    update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("b"), crate::agent::Process::Shell("bash".into()))],
        },
    );
    assert_eq!(s.lane(&id("b")).unwrap().status, LaneStatus::Idle);
    assert_eq!(status(&s, "b"), Status::Shell);
}

#[test]
fn a_prompt_on_screen_waits_a_quiet_lane_is_unknown_a_shell_is_shell() {
    use crate::agent::screen::ScreenMatch;
    use crate::agent::{Process, Status, WaitKind};
    let mut s = state_with(&["a", "b", "c"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("c"), Process::Shell("bash".into()))],
        },
    );
    look(&mut s, 1, &["a", "b", "c"], &[]);
    assert_eq!(status(&s, "a"), Status::Working);
    let perm = ScreenMatch {
        status: Status::Waiting(WaitKind::Permission),
        pattern: "claude permission".into(),
        reason: "Bash(rm -rf build)".into(),
    };
    let fx = look(&mut s, 5, &[], &[("a", perm)]);
    assert_eq!(status(&s, "a"), Status::Waiting(WaitKind::Permission));
    assert_eq!(status(&s, "b"), Status::Working);
    assert_eq!(status(&s, "c"), Status::Shell);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { lane, .. } if lane.as_str() == "a"))
    );
    look(&mut s, 60, &[], &[]);
    assert_eq!(status(&s, "b"), Status::Unknown);
    assert_eq!(
        s.attention_count(),
        0,
        "the prompt left the screen: no longer waiting"
    );
    assert_eq!(status(&s, "c"), Status::Shell);
}

#[test]
fn a_lane_that_starts_waiting_notifies_helios_terminal_when_asked() {
    let mut s = state_with(&["a"]);
    s.notify = crate::config::AttentionNotify::Osc9;
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    look(&mut s, 1, &["a"], &[]);
    look(&mut s, 5, &[], &[]);
    let fx = update(
        &mut s,
        Event::LaneNotified {
            lane: id("a"),
            text: "ok?\x1b]52;c;AAAA\x07".into(),
        },
    );
    let bytes = fx
        .iter()
        .find_map(|e| match e {
            Effect::NotifyTerminal { bytes } => Some(bytes.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        bytes.starts_with("\x1b]9;a waiting: input · ok?"),
        "{bytes:?}"
    );
    // The lane's text cannot end the sequence early or start another.
    assert_eq!(bytes.matches('\x1b').count(), 1, "{bytes:?}");
    assert_eq!(bytes.matches('\x07').count(), 1, "{bytes:?}");
    s.filter = "waiting".into();
    assert_eq!(s.visible_lanes().count(), 1);
    s.filter = "error".into();
    assert_eq!(s.visible_lanes().count(), 0);
}

/// A hook that came half a second after a tick, then Ctrl-C: the interrupt is stamped
/// with the clock the keys brought (not the earlier tick), so it follows the hook and the
/// quiet lane is done.
#[test]
fn an_interrupt_between_ticks_follows_the_hook_before_it() {
    use crate::agent::{Agent, Signal, Source, Status};
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    let half = time::Duration::milliseconds(500);
    update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: None,
                hook: Some(Signal {
                    at: clock(10) + half,
                    source: Source::Hook(Agent::Claude),
                    status: Some(Status::Working),
                    event: "PreToolUse".into(),
                    reason: "Bash(make)".into(),
                }),
                alert: None,
                acked: false,
                recorded: None,
            }],
        },
    );
    look(&mut s, 10, &["a"], &[]);
    update(&mut s, Action::Select { lane: id("a") });
    update(&mut s, Action::Focus);
    update(
        &mut s,
        Event::Clock {
            at: clock(10) + half * 2,
        },
    );
    update(&mut s, Action::WriteFocused { bytes: vec![3] });
    // A late tick never moves the clock back.
    update(&mut s, Event::Clock { at: clock(10) });
    assert_eq!(s.clock, Some(clock(11)));
    look(&mut s, 11, &["a"], &[]);
    assert_eq!(status(&s, "a"), Status::Working);
    look(&mut s, 14, &[], &[]);
    assert_eq!(status(&s, "a"), Status::Done);
}

/// A par lane's notification recorded by `helios osc-tap` (read from the store) makes the
/// lane wait, even though the tick that saw the output it came with is later than it; the
/// lane's next output ends it.
#[test]
fn a_stored_notification_waits_until_the_lane_prints_again() {
    use crate::agent::{Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &["a"], &[]);
    agents(&mut s);
    let at = clock(2) - time::Duration::milliseconds(300);
    update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: None,
                hook: None,
                alert: Some(Signal {
                    at,
                    source: Source::Osc,
                    status: Some(Status::Waiting(WaitKind::Input)),
                    event: "notification".into(),
                    reason: "build finished".into(),
                }),
                acked: false,
                recorded: None,
            }],
        },
    );
    look(&mut s, 2, &["a"], &[]);
    look(&mut s, 10, &[], &[]);
    assert_eq!(status(&s, "a"), Status::Waiting(WaitKind::Input));
    assert_eq!(
        s.lane(&id("a"))
            .unwrap()
            .agent
            .state
            .as_ref()
            .unwrap()
            .reason,
        "build finished"
    );
    look(&mut s, 11, &["a"], &[]);
    assert_ne!(status(&s, "a"), Status::Waiting(WaitKind::Input));
}

#[test]
fn focus_acknowledges_done_but_not_waiting() {
    use crate::agent::{Agent, Signal, Source, Status, WaitKind};
    let mut s = state_with(&["a", "b"]);
    look(&mut s, 0, &[], &[]);
    agents(&mut s);
    let hook = |status, secs| Signal {
        at: clock(secs),
        source: Source::Hook(Agent::Claude),
        status: Some(status),
        event: "Stop".into(),
        reason: String::new(),
    };
    update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![
                crate::app::agent::LoadedState {
                    lane: id("a"),
                    state: None,
                    hook: Some(hook(Status::Done, 1)),
                    alert: None,
                    acked: false,
                    recorded: None,
                },
                crate::app::agent::LoadedState {
                    lane: id("b"),
                    state: None,
                    hook: Some(hook(Status::Waiting(WaitKind::Question), 1)),
                    alert: None,
                    acked: false,
                    recorded: None,
                },
            ],
        },
    );
    look(&mut s, 2, &[], &[]);
    assert_eq!(s.attention_count(), 2);
    assert_eq!(order(&s), ["b", "a"], "a question before a finished turn");
    for l in ["a", "b"] {
        update(&mut s, Action::Select { lane: id(l) });
        update(&mut s, Action::Focus);
        update(&mut s, Action::Unfocus);
    }
    assert!(s.lane(&id("a")).unwrap().attention.is_none());
    assert!(s.lane(&id("b")).unwrap().attention.is_some());
    // Answering through focus clears the waiting state.
    update(&mut s, Action::Select { lane: id("b") });
    update(&mut s, Action::Focus);
    update(
        &mut s,
        Action::WriteFocused {
            bytes: b"1".to_vec(),
        },
    );
    assert_eq!(status(&s, "b"), Status::Working);
    assert_eq!(s.attention_count(), 0);
}

#[test]
fn focused_lane_exiting_leaves_focus() {
    let mut s = state_with(&["a"]);
    update(&mut s, Action::Focus);
    assert_eq!(s.mode, Mode::Focus);
    update(
        &mut s,
        Event::LaneExited {
            lane: id("a"),
            code: None,
        },
    );
    assert_eq!((s.focused.clone(), s.mode.clone()), (None, Mode::Normal));
}

/// A helios-owned lane's shell exits 3: the lane is exited (3); `R` restarts only a dead
/// lane, and a restart clears it.
#[test]
fn an_owned_lane_exits_with_its_status_and_restarts() {
    use crate::agent::Status;
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    if let Some(l) = s.lane_mut(&id("a")) {
        l.info.source = crate::model::LaneSource::Worktree;
    }
    assert_eq!(update(&mut s, Action::Restart { lane: id("a") }), vec![]);
    assert!(s.flash.as_ref().unwrap().text.contains("is running"));
    update(
        &mut s,
        Event::LaneExited {
            lane: id("a"),
            code: Some(3),
        },
    );
    assert_eq!(s.lane(&id("a")).unwrap().status, LaneStatus::Exited);
    assert_eq!(status(&s, "a"), Status::Exited(Some(3)));
    assert_eq!(
        update(&mut s, Action::Restart { lane: id("a") }),
        vec![Effect::RestartLane { lane: id("a") }]
    );
    update(&mut s, Event::LaneRestarted { lane: id("a") });
    assert_eq!(s.lane(&id("a")).unwrap().status, LaneStatus::Idle);
    assert_ne!(status(&s, "a"), Status::Exited(Some(3)));
}

/// A focused owned lane whose program ends stays focused: the keys typed on go nowhere
/// instead of becoming console commands (`d`, then `y`, would remove a lane).
#[test]
fn a_focused_lane_that_exits_keeps_the_focus_and_takes_no_keys() {
    let mut s = state_with(&["a"]);
    if let Some(l) = s.lane_mut(&id("a")) {
        l.info.source = crate::model::LaneSource::Worktree;
    }
    update(&mut s, Action::Focus);
    assert_eq!(s.mode, Mode::Focus);
    update(
        &mut s,
        Event::LaneExited {
            lane: id("a"),
            code: Some(0),
        },
    );
    assert_eq!(
        (s.mode.clone(), s.focused.clone()),
        (Mode::Focus, Some(id("a")))
    );
    assert!(s.flash.as_ref().unwrap().text.contains("Ctrl-g, then R"));
    let fx = update(
        &mut s,
        Action::WriteFocused {
            bytes: b"dy".to_vec(),
        },
    );
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::WriteLane { .. })),
        "{fx:?}"
    );
}

#[test]
fn a_lanes_tap_decided_syncs_the_lane_terminals() {
    let mut s = state_with(&["a"]);
    assert_eq!(
        update(&mut s, Event::LaneTapDecided { lane: id("a") }),
        vec![Effect::SyncPtys]
    );
}

#[test]
fn rediscovery_revives_missing_and_drops_gone_lanes() {
    let mut s = state_with(&["a", "b"]);
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", false)],
        },
    );
    assert_eq!(s.lane(&id("a")).unwrap().status, LaneStatus::Missing);
    assert!(s.lane(&id("b")).is_none());
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", true)],
        },
    );
    assert_eq!(s.lane(&id("a")).unwrap().status, LaneStatus::Idle);
}

/// Lane `a`, looked at once, then found without its tmux session.
fn lane_a_gone() -> AppState {
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", false)],
        },
    );
    s
}

/// A par lane whose session went away is exited, and the list says its session is missing,
/// the word `lane ls` uses.
#[test]
fn a_par_lane_whose_session_went_is_exited_with_its_session_missing() {
    let s = lane_a_gone();
    assert_eq!(status(&s, "a"), crate::agent::Status::Exited(None));
    let line = crate::app::agent::list_line(s.lane(&id("a")).unwrap(), None, 40).unwrap();
    assert_eq!(line, "exited · tmux session missing");
}

/// Decided again at start before the stored state came (a lane found gone is exited anew),
/// the lane keeps the stored state's age: the console and `lane ls` agree.
#[test]
fn a_state_decided_before_the_load_keeps_the_stored_age() {
    use crate::agent::{LaneState, Source, Status};
    let mut s = lane_a_gone();
    let decided = s.lane(&id("a")).unwrap().agent.state.clone().unwrap();
    assert_eq!(decided.status, Status::Exited(None));
    let stored = LaneState {
        since: decided.since - time::Duration::minutes(3),
        source: Source::Process,
        ..decided.clone()
    };
    update(
        &mut s,
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: Some((stored.clone(), String::new(), Vec::new())),
                hook: None,
                alert: None,
                acked: false,
                recorded: None,
            }],
        },
    );
    let now = s.lane(&id("a")).unwrap().agent.state.clone().unwrap();
    assert_eq!(now.since, stored.since);
}

/// An exited lane the user looked at before a restart stays out of the triage queue: in
/// either order of its state's load and its decision at start.
#[test]
fn a_lane_looked_at_before_a_restart_needs_no_human_again() {
    use crate::agent::{LaneState, Source};
    let loaded = |s: &AppState, acked: bool| {
        let decided = s.lane(&id("a")).unwrap().agent.state.clone().unwrap();
        let stored = LaneState {
            since: decided.since - time::Duration::minutes(3),
            source: Source::Process,
            ..decided
        };
        Event::LaneStatesLoaded {
            lanes: vec![crate::app::agent::LoadedState {
                lane: id("a"),
                state: Some((stored, String::new(), Vec::new())),
                hook: None,
                alert: None,
                acked,
                recorded: None,
            }],
        }
    };
    // Decided exited at start, then the load says it was seen.
    let mut s = lane_a_gone();
    assert_eq!(s.attention_count(), 1);
    let ev = loaded(&s, true);
    update(&mut s, ev);
    assert_eq!(s.attention_count(), 0);
    // Not seen: it still needs a human. (A lane whose program ended: Enter on a gone one is
    // refused, `focus::enter_on_a_gone_session_is_refused_and_keeps_the_lane_queued`.)
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    let lanes = vec![(id("a"), crate::agent::Process::Dead(Some(3)))];
    update(&mut s, Event::LaneProcesses { lanes });
    let ev = loaded(&s, false);
    update(&mut s, ev);
    assert_eq!(s.attention_count(), 1);
    // Looked at now: the store is asked to keep it, once.
    let effects = update(&mut s, Action::Select { lane: id("a") });
    assert!(effects.is_empty(), "{effects:?}");
    let effects = update(&mut s, Action::Focus);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::AckLaneState { lane } if lane.as_str() == "a")),
        "{effects:?}"
    );
    assert_eq!(s.attention_count(), 0);
}

#[test]
fn events_for_unknown_lanes_are_ignored() {
    let mut s = state_with(&["a"]);
    let ghost = id("ghost");
    assert!(
        update(
            &mut s,
            Event::LaneExited {
                lane: ghost.clone(),
                code: None
            }
        )
        .is_empty()
    );
    update(&mut s, Event::LaneBell { lane: ghost });
    assert_eq!(s.attention_count(), 0);
    assert_eq!(s.lane(&id("a")).unwrap().agent.state, None);
}

#[test]
fn calm_lanes_are_grouped_by_host_this_machines_first() {
    let remote = |host: &str, label: &str| {
        let mut i = info(&format!("{host}/{label}"), true);
        i.source = LaneSource::Remote {
            host: host.into(),
            ssh: host.into(),
            session: Some(format!("par-r-1-{label}")),
            socket: None,
        };
        Lane::new(i)
    };
    let mut lanes = vec![
        Lane::new(info("zeta", true)),
        remote("box", "a"),
        Lane::new(info("alpha", true)),
        remote("ant", "z"),
        remote("box", "0"),
    ];
    sort_lanes(&mut lanes);
    let ids: Vec<&str> = lanes.iter().map(|l| l.id().as_str()).collect();
    assert_eq!(ids, ["alpha", "zeta", "ant/z", "box/0", "box/a"]);
}

/// A dead par pane's attach client draws it when the lane is selected: that output does not
/// make the lane run again, so the next discovery keeps its exit (it was decided working, then
/// exited anew, losing its age and its acknowledgement).
#[test]
fn output_from_a_dead_par_lane_keeps_it_exited() {
    use crate::agent::Status;
    let mut s = state_with(&["a"]);
    look(&mut s, 0, &[], &[]);
    update(
        &mut s,
        Event::LaneProcesses {
            lanes: vec![(id("a"), crate::agent::Process::Dead(Some(3)))],
        },
    );
    let since = s.lane(&id("a")).unwrap().agent.state.clone().unwrap().since;
    assert_eq!(status(&s, "a"), Status::Exited(Some(3)));
    update(
        &mut s,
        Event::LaneOutput {
            lane: id("a"),
            at: Instant::now(),
        },
    );
    look(&mut s, 1, &["a"], &[]);
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", true)],
        },
    );
    look(&mut s, 2, &["a"], &[]);
    let st = s.lane(&id("a")).unwrap().agent.state.clone().unwrap();
    assert_eq!((st.status, st.since), (Status::Exited(Some(3)), since));
}

/// A lane made from the console is selected once discovery lists it, as in lazygit or k9s.
#[test]
fn a_lane_just_created_is_selected() {
    let mut s = state_with(&["a"]);
    assert_eq!(s.selected, Some(id("a")));
    update(
        &mut s,
        Event::LaneCommandDone {
            what: crate::model::AuditAction::LaneCreated.to_string(),
            lane: Some(id("z")),
            result: Ok("lane z created".into()),
        },
    );
    update(
        &mut s,
        Event::LanesDiscovered {
            lanes: vec![info("a", true), info("z", true)],
        },
    );
    assert_eq!(s.selected, Some(id("z")));
    assert_eq!(s.select_new, None);
}

mod focus;
mod held;
mod stored;

/// A lane quiet since the first look turns `unknown` once the quiet period has passed, dated
/// from that look: the state's one age is how long it has been quiet. The placeholder shown
/// before (nothing seen yet, decided again at every look) is not when the state began; the
/// list said `unknown · 1s` of a lane quiet for 20.
#[test]
fn a_quiet_new_lane_is_dated_from_the_first_look_not_from_its_placeholder() {
    let mut s = state_with(&["a"]);
    agents(&mut s);
    for t in [0, 5, 10, 15, 19] {
        look(&mut s, t, &[], &[]);
    }
    look(&mut s, 25, &[], &[]);
    let st = s.lane(&id("a")).unwrap().agent.state.clone().unwrap();
    assert_eq!(st.status, crate::agent::Status::Unknown);
    assert_eq!(st.since, clock(0));
}

/// Output just after helios made the lane draw again (a resize, its attach client's first draw)
/// is that redraw: the lane neither runs nor printed for it; output after the window does.
#[test]
fn a_redraw_after_a_repaint_is_no_output() {
    let mut s = state_with(&["a"]);
    let t0 = Instant::now();
    let lane = |s: &AppState| {
        let l = s.lane(&id("a")).unwrap();
        (l.status, l.last_output)
    };
    update(
        &mut s,
        Event::LaneRepaint {
            lane: id("a"),
            at: t0,
        },
    );
    let redraw = t0 + crate::app::agent::REPAINT / 2;
    update(
        &mut s,
        Event::LaneOutput {
            lane: id("a"),
            at: redraw,
        },
    );
    assert_eq!(lane(&s), (LaneStatus::Idle, None), "the redraw");
    let later = t0 + crate::app::agent::REPAINT;
    update(
        &mut s,
        Event::LaneOutput {
            lane: id("a"),
            at: later,
        },
    );
    assert_eq!(
        lane(&s),
        (LaneStatus::Running, Some(later)),
        "output after it"
    );
}
