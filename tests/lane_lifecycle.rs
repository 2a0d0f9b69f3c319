//! A lane's life as the reducer sees it: lanes that discovery drops or keeps, a program that
//! ends in front, quitting while helios-owned lanes run something, states kept over a restart,
//! and a filter that hides every lane.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{run_keys, state_with};
use helios::app::keymap::Keymap;
use helios::app::state::Mode;
use helios::app::{Effect, Event, update};
use helios::lanes::LaneId;
use rstest::rstest;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

fn id(s: &str) -> LaneId {
    LaneId::new(s)
}

fn question(st: &helios::app::AppState) -> String {
    match &st.mode {
        Mode::Confirm(c) => c.question.clone(),
        other => panic!("no dialog: {other:?}"),
    }
}

/// The main checkout's lane (a shell helios owns) is not listed beside par lanes; when the first
/// par lane appears while its shell runs, it stays (closing it would end what runs there), and
/// goes with the first discovery after its shell ended. A lane with no terminal is not kept.
#[test]
fn a_running_owned_lane_is_never_dropped_by_discovery() {
    let (mut st, _) = state_with(&[], (100, 30));
    let mut main = fixture::info("demo");
    main.source = helios::lanes::LaneSource::Worktree;
    main.branch = Some("main".into());
    // A second owned lane the probe found no terminal for (the compact view has none).
    let mut bare = fixture::info("bare");
    bare.source = helios::lanes::LaneSource::Worktree;
    update(
        &mut st,
        Event::LanesDiscovered {
            lanes: vec![main.clone(), bare],
        },
    );
    // The probe found the main checkout's shell.
    update(
        &mut st,
        Event::LaneProcesses {
            lanes: vec![(id("demo"), helios::agent::Process::Shell("bash".into()))],
        },
    );
    let fx = update(
        &mut st,
        Event::LanesDiscovered {
            lanes: vec![fixture::info("feat")],
        },
    );
    let labels: Vec<&str> = st.lanes.iter().map(|l| l.id().as_str()).collect();
    assert_eq!(
        labels,
        ["demo", "feat"],
        "the running shell's lane was dropped"
    );
    assert!(fx.contains(&Effect::SyncPtys));

    update(
        &mut st,
        Event::LaneExited {
            lane: id("demo"),
            code: Some(0),
        },
    );
    update(
        &mut st,
        Event::LanesDiscovered {
            lanes: vec![fixture::info("feat")],
        },
    );
    let labels: Vec<&str> = st.lanes.iter().map(|l| l.id().as_str()).collect();
    assert_eq!(
        labels,
        ["feat"],
        "an ended shell's lane stays after discovery dropped it"
    );
}

/// A par lane's program that ends while the lane is in focus (its pane kept by tmux) keeps
/// the focus on its last screen: keys typed on go nowhere (before, focus ended and they became
/// console commands: `d` then `y` removed a lane), and `Ctrl-g` then `R` restarts it.
#[test]
fn a_focused_par_lane_whose_program_ends_keeps_focus_and_takes_no_keys() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    run_keys(&mut st, &km(), "<enter>");
    assert_eq!(st.mode, Mode::Focus);
    update(
        &mut st,
        Event::LaneProcesses {
            lanes: vec![(id("a"), helios::agent::Process::Dead(Some(3)))],
        },
    );
    assert_eq!(
        (st.mode.clone(), st.focused.clone()),
        (Mode::Focus, Some(id("a")))
    );
    let flash = st
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(flash.contains("exit 3"), "{flash}");
    let fx = run_keys(&mut st, &km(), "dy");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::WriteLane { .. })),
        "keys went to a dead pane: {fx:?}"
    );
    let fx = run_keys(&mut st, &km(), "<c-g>R");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::RestartLane { .. })),
        "R did not restart the lane: {fx:?}"
    );
}

/// A filter that hides every lane leaves none to act on: the keys that act on the selected lane
/// say so instead of acting on the lane hidden behind the filter.
#[rstest]
#[case::send("s")]
#[case::remove("d")]
#[case::focus("<enter>")]
#[case::scroll("<pgup>")]
fn a_filter_that_hides_every_lane_leaves_none_to_act_on(#[case] script: &str) {
    let (mut st, _) = state_with(&["api", "docs"], (100, 30));
    run_keys(&mut st, &km(), "/zzz<enter>");
    assert_eq!(st.visible_lanes().count(), 0);
    let fx = run_keys(&mut st, &km(), script);
    assert_eq!(st.mode, Mode::Normal, "{script} opened something");
    assert!(fx.is_empty(), "{script} acted: {fx:?}");
    assert!(st.lanes.iter().all(|l| l.scroll == 0));
    if script != "<pgup>" {
        let flash = st
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        assert!(flash.contains("the filter /zzz shows none"), "{flash}");
    }
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.selected_visible(), Some(&id("api")));
}

/// Quitting ends helios-owned lanes: when a program other than the shell runs in one, a
/// dialog names it first; par lanes (they keep running) and owned lanes at their shell do not
/// ask.
#[test]
fn quit_asks_first_when_an_owned_lane_runs_a_program() {
    let (mut st, _) = state_with(&["par-lane"], (100, 30));
    let mut owned = fixture::info("wt");
    owned.source = helios::lanes::LaneSource::Worktree;
    let mut lanes = vec![fixture::info("par-lane"), owned];
    update(
        &mut st,
        Event::LanesDiscovered {
            lanes: lanes.clone(),
        },
    );
    let probe = |p: helios::agent::Process| Event::LaneProcesses {
        lanes: vec![
            (id("wt"), p),
            (
                id("par-lane"),
                helios::agent::Process::Program("claude".into()),
            ),
        ],
    };
    update(&mut st, probe(helios::agent::Process::Program("vi".into())));
    assert!(run_keys(&mut st, &km(), "q").is_empty());
    assert!(!st.quit);
    assert!(question(&st).contains("wt (vi)"), "{}", question(&st));
    assert!(!question(&st).contains("claude"), "{}", question(&st));
    run_keys(&mut st, &km(), "n");
    assert!(!st.quit);
    assert_eq!(run_keys(&mut st, &km(), "qy"), vec![Effect::Quit]);
    assert!(st.quit);

    let (mut st, _) = state_with(&[], (100, 30));
    lanes.truncate(2);
    update(&mut st, Event::LanesDiscovered { lanes });
    update(&mut st, probe(helios::agent::Process::Shell("bash".into())));
    assert_eq!(run_keys(&mut st, &km(), "q"), vec![Effect::Quit]);
}

/// A console that starts keeps each lane's stored state and its age: a decision before
/// anything was seen from the lane is no news (no `unknown` recorded and then the state
/// again), and the screen that shows the same prompt keeps the state's `since`.
#[test]
fn a_restart_keeps_each_lanes_stored_state_and_its_age() {
    use helios::agent::screen::ScreenMatch;
    use helios::agent::{LaneState, Source, Status, WaitKind};
    use helios::app::agent::{LoadedState, ScreenObservation};
    let (mut st, _) = state_with(&["a"], (100, 30));
    let now = time::OffsetDateTime::now_utc();
    let look = |screen: Option<ScreenMatch>| Event::LaneScreens {
        at: now,
        lanes: vec![ScreenObservation {
            lane: id("a"),
            change: helios::app::hold::Change::None,
            screen,
            shell_prompt: false,
        }],
    };
    let recorded = |fx: &[Effect]| {
        fx.iter()
            .any(|e| matches!(e, Effect::RecordLaneState { .. }))
    };
    update(&mut st, Event::Clock { at: now });
    // Decided before anything was seen (the store's answer comes back empty first).
    let fx = update(&mut st, Event::LaneStatesLoaded { lanes: Vec::new() });
    assert!(!recorded(&fx), "a placeholder was recorded: {fx:?}");
    assert_eq!(
        st.lanes[0].agent.state.as_ref().map(|s| s.status),
        Some(Status::Unknown)
    );

    let since = now - time::Duration::seconds(12);
    let waiting = LaneState {
        status: Status::Waiting(WaitKind::Question),
        since,
        source: Source::Screen,
        reason: "Proceed? (y/n)".into(),
    };
    update(
        &mut st,
        Event::LaneStatesLoaded {
            lanes: vec![LoadedState {
                lane: id("a"),
                state: Some((waiting, "the screen showed it".into(), Vec::new())),
                hook: None,
                alert: None,
                acked: false,
                recorded: None,
            }],
        },
    );
    let fx = update(
        &mut st,
        look(Some(ScreenMatch {
            status: Status::Waiting(WaitKind::Question),
            pattern: "yes/no question".into(),
            reason: "Proceed? (y/n)".into(),
        })),
    );
    assert!(!recorded(&fx), "the same state was recorded again: {fx:?}");
    let s = st.lanes[0].agent.state.clone().unwrap();
    assert_eq!(s.status, Status::Waiting(WaitKind::Question));
    assert_eq!(s.since, since, "the state's age started over");
    assert!(
        st.lanes[0].attention.is_some(),
        "the waiting lane needs no one"
    );
}

/// A par lane shown as exited from its stored state, before this console's probe saw the dead
/// pane (its screen's output marks it running meanwhile), restarts with `R`, which the state
/// offers; tmux itself refuses to respawn a pane that runs.
#[test]
fn a_par_lane_stored_as_exited_restarts_before_the_probe() {
    use helios::agent::{LaneState, Source, Status};
    use helios::app::agent::LoadedState;
    let (mut st, base) = state_with(&["a"], (100, 30));
    update(
        &mut st,
        Event::Clock {
            at: time::OffsetDateTime::now_utc(),
        },
    );
    update(
        &mut st,
        Event::LaneStatesLoaded {
            lanes: vec![LoadedState {
                lane: id("a"),
                state: Some((
                    LaneState {
                        status: Status::Exited(Some(3)),
                        since: time::OffsetDateTime::now_utc(),
                        source: Source::Process,
                        reason: String::new(),
                    },
                    "its pane is dead".into(),
                    Vec::new(),
                )),
                hook: None,
                alert: None,
                acked: false,
                recorded: None,
            }],
        },
    );
    update(
        &mut st,
        Event::LaneOutput {
            lane: id("a"),
            at: base,
        },
    );
    let fx = run_keys(&mut st, &km(), "R");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::RestartLane { .. })),
        "R did not restart the lane shown as exited: {fx:?}"
    );
}
