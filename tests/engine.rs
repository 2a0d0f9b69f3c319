//! The engine, which carries out the reducer's effects: quiet-lane detection on the 1 s tick,
//! and the lane effects (create, send, remove) against a par double, each durable in the
//! journal before it runs and reported back as an event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;
#[path = "engine/rig.rs"]
mod rig;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fixture::state_with;
use helios::app::{Action, AppState, Event};
use helios::lanes::LaneError;
use helios::lanes::work::{Commit, Unsaved};
use rig::{FakePar, QUIET, Rig, id, rig};

/// A par lane blank until its seed is not looked at: the state the last console stored
/// stands, and the first look at the seeded screen reads its prompt.
#[tokio::test]
async fn a_lane_not_yet_seeded_keeps_its_stored_state() {
    use helios::agent::{LaneState, Source, Status, WaitKind};
    let (state, _) = state_with(&["a"], (120, 40));
    let mut rig = rig(state, Arc::default());
    let waiting = Status::Waiting(WaitKind::Permission);
    let stored = LaneState {
        status: waiting,
        since: time::OffsetDateTime::now_utc() - time::Duration::minutes(5),
        source: Source::Screen,
        reason: "rm -rf build".into(),
    };
    rig.engine.handle(Event::LaneStatesLoaded {
        lanes: vec![helios::app::agent::LoadedState {
            lane: id("a"),
            state: Some((stored, "a permission prompt".into(), Vec::new())),
            hook: None,
            alert: None,
            acked: false,
            recorded: None,
        }],
    });
    let status = |rig: &Rig| {
        let l = rig.engine.state.lane(&id("a")).unwrap();
        l.agent.state.as_ref().map(|s| s.status)
    };
    assert_eq!(status(&rig), Some(waiting));
    rig.engine.ptys.undrawn.push(id("a"));
    rig.engine.ptys.rows.insert(id("a"), Vec::new());
    let t0 = Instant::now();
    rig.engine.tick(t0);
    rig.engine.tick(t0 + Duration::from_secs(1));
    assert_eq!(
        status(&rig),
        Some(waiting),
        "a blank screen decided the state"
    );
    // Seeded: the prompt is still there.
    rig.engine.ptys.undrawn.clear();
    rig.engine.ptys.rows.insert(
        id("a"),
        [
            "│ Bash command           │",
            "│ Do you want to proceed? │",
            "│ ❯ 1. Yes               │",
        ]
        .map(String::from)
        .to_vec(),
    );
    rig.engine.tick(t0 + Duration::from_secs(2));
    rig.engine.tick(t0 + Duration::from_secs(3));
    assert_eq!(status(&rig), Some(waiting));
}

/// Scrolled back past the oldest line, the lane's scroll stops there: the way forward moves
/// the view at the first key, not after as many presses as went too far.
#[tokio::test]
async fn scrolling_back_stops_at_the_oldest_line() {
    let (state, _) = state_with(&["a"], (120, 40));
    let mut rig = rig(state, Arc::default());
    let screen = std::sync::Arc::new(helios::pty::screen::LaneScreen::new(10, 40, 1000));
    for i in 0..30 {
        screen.feed(format!("line {i}\r\n").as_bytes());
    }
    rig.engine.ptys.screens.insert(id("a"), screen.clone());
    let scroll = |rig: &Rig| rig.engine.state.lane(&id("a")).unwrap().scroll;
    rig.engine.handle(Action::Select { lane: id("a") });
    for _ in 0..5 {
        rig.engine.handle(Action::ScrollPage { up: true });
    }
    // 31 rows written into 10: 21 lines above the screen.
    let reach = screen.scroll_reach().unwrap();
    assert_eq!(reach, 21);
    rig.engine.handle(Action::Scroll { lines: 0 });
    assert_eq!(scroll(&rig), reach);
    rig.engine.handle(Action::Scroll { lines: -3 });
    assert_eq!(scroll(&rig), reach - 3);
    assert_eq!(
        screen.scroll_reach(),
        Some(reach - 3),
        "the view moved at once"
    );
    // A history being read from tmux: not known yet, nothing stops.
    screen.expect_history();
    assert_eq!(screen.scroll_reach(), None);
}

#[tokio::test]
async fn the_tick_reads_each_lanes_screen_into_its_state() {
    use helios::agent::{Status, WaitKind};
    let (state, _) = state_with(&["a", "b", "c"], (120, 40));
    let mut rig = rig(state, Arc::default());
    let status = |rig: &Rig, l: &str| {
        rig.engine
            .state
            .lane(&id(l))
            .unwrap()
            .agent
            .state
            .as_ref()
            .map(|s| s.status)
    };
    let set = |rig: &mut Rig, l: &str, rows: &[&str]| {
        rig.engine
            .ptys
            .rows
            .insert(id(l), rows.iter().map(|r| (*r).to_string()).collect());
    };
    let t0 = Instant::now();
    set(&mut rig, "a", &["compiling 1"]);
    set(&mut rig, "b", &["compiling 1"]);
    set(&mut rig, "c", &["user@host:~/src$"]);
    // The first look is not a change: nothing is known to be working yet.
    rig.engine.tick(t0);
    assert_eq!(status(&rig, "a"), Some(Status::Unknown));
    assert_eq!(
        status(&rig, "c"),
        Some(Status::Shell),
        "a shell prompt, no agent"
    );
    // Rows that change are work, a look later for a par lane that was not working (the
    // change may be the redraw for another tmux client's resize: app::hold).
    set(&mut rig, "a", &["compiling 2"]);
    set(&mut rig, "b", &["compiling 2"]);
    rig.engine.tick(t0 + Duration::from_secs(1));
    assert_eq!(status(&rig, "a"), Some(Status::Unknown), "held a look");
    // a settles on Claude's permission box: waiting, with the line above the question.
    set(
        &mut rig,
        "a",
        &[
            "╭────────────────────────╮",
            "│ Bash command           │",
            "│   rm -rf build         │",
            "│ Do you want to proceed? │",
            "│ ❯ 1. Yes               │",
            "╰────────────────────────╯",
        ],
    );
    rig.engine.tick(t0 + Duration::from_secs(2));
    assert_eq!(status(&rig, "a"), Some(Status::Working), "moving on");
    rig.engine.tick(t0 + Duration::from_secs(4));
    assert_eq!(
        status(&rig, "a"),
        Some(Status::Waiting(WaitKind::Permission))
    );
    let a = rig.engine.state.lane(&id("a")).unwrap();
    assert_eq!(a.agent.state.as_ref().unwrap().reason, "rm -rf build");
    assert!(a.attention.is_some());
    // b went quiet with no prompt: working for quiet_secs, then honestly unknown.
    assert_eq!(status(&rig, "b"), Some(Status::Working));
    rig.engine
        .tick(t0 + Duration::from_secs(1) + QUIET + Duration::from_secs(1));
    assert_eq!(status(&rig, "b"), Some(Status::Unknown));
    assert!(rig.engine.state.lane(&id("b")).unwrap().attention.is_none());
    // Typing into the waiting lane answers it.
    rig.engine.handle(Action::Select { lane: id("a") });
    rig.engine.handle(Action::Focus);
    rig.engine.handle(Action::WriteFocused {
        bytes: b"1".to_vec(),
    });
    assert_eq!(status(&rig, "a"), Some(Status::Working));
}

#[tokio::test]
async fn creating_a_lane_runs_par_after_its_request_is_durable_and_sends_the_command() {
    let (state, _) = state_with(&["a"], (120, 40));
    let par = Arc::new(FakePar::default());
    let mut rig = rig(state, Arc::clone(&par));
    rig.engine.handle(Action::CreateLane {
        label: "fix-login".into(),
        base: Some("main".into()),
        cmd: Some("claude".into()),
    });
    let result = rig.done().await;
    assert_eq!(
        result.as_deref(),
        Ok("lane fix-login created (tmux session par-demo-fix-login)")
    );
    assert_eq!(
        par.calls(),
        [
            "start /tmp/demo fix-login Some(\"main\")",
            "send fix-login claude"
        ]
    );
    assert_eq!(
        rig.journalled(),
        ["action.requested ok fix-login", "lane.created ok fix-login"]
    );
    let flash = rig.engine.state.flash.clone().unwrap();
    assert!(flash.text.contains("fix-login created"), "{flash:?}");
}

#[tokio::test]
async fn a_refused_create_is_recorded_as_failed_and_shown() {
    let (state, _) = state_with(&["a"], (120, 40));
    let par = Arc::new(FakePar {
        start_error: Some(LaneError::LabelTaken { label: "a".into() }),
        ..FakePar::default()
    });
    let mut rig = rig(state, Arc::clone(&par));
    rig.engine.handle(Action::CreateLane {
        label: "a".into(),
        base: None,
        cmd: Some("claude".into()),
    });
    let err = rig.done().await.unwrap_err();
    assert!(err.contains("label a is taken"), "{err}");
    // No command is sent into a lane that was not made.
    assert_eq!(par.calls(), ["start /tmp/demo a None"]);
    assert_eq!(
        rig.journalled(),
        ["action.requested ok a", "lane.created error a"]
    );
}

#[tokio::test]
async fn send_and_remove_go_to_par_for_par_lanes() {
    let (state, _) = state_with(&["a", "b"], (120, 40));
    let par = Arc::new(FakePar {
        lost: Unsaved {
            commits: vec![Commit {
                hash: "abc1234".into(),
                subject: "wip".into(),
            }],
            commit_count: 1,
            ..Unsaved::default()
        },
        // b's session is gone: `send all` reaches a, and says (and journals) b's own result.
        all: vec![
            ("a".into(), Ok(())),
            (
                "b".into(),
                Err(LaneError::SessionGone {
                    label: "b".into(),
                    session: "par-b".into(),
                }),
            ),
        ],
        ..FakePar::default()
    });
    let mut rig = rig(state, Arc::clone(&par));
    rig.engine.handle(Action::SendLine {
        target: helios::app::action::SendTarget::All,
        text: "cargo test".into(),
    });
    assert_eq!(
        rig.done().await,
        Err(
            "sent to 1 of 2 lanes; not sent to b (its tmux session par-b is gone: `par open b` makes it again)"
                .into()
        )
    );
    rig.engine.handle(Action::RemoveLane {
        lane: id("b"),
        force: true,
    });
    let removed = rig.done().await.unwrap();
    assert!(
        removed.starts_with("lane b removed; discarded"),
        "{removed}"
    );
    assert_eq!(par.calls(), ["send all cargo test", "remove b force=true"]);
    assert_eq!(
        rig.journalled(),
        [
            "action.requested ok all",
            "lane.text_sent ok a",
            "lane.text_sent error b",
            "action.requested ok b",
            "lane.removed ok b"
        ]
    );
}

/// A key typed into the focused lane, and the clock that comes with it, draw nothing: the
/// echo's frame must not wait a frame gap behind a frame drawn for the key (that put 8 to 10
/// ms in front of every echo in the swarm bench).
#[tokio::test]
async fn a_key_into_the_focused_lane_does_not_draw_a_frame() {
    let (mut state, _) = state_with(&["a"], (120, 40));
    state.selected = Some(id("a"));
    let mut rig = rig(state, Arc::default());
    rig.engine.handle(helios::app::Action::Focus);
    assert_eq!(rig.engine.state.focused, Some(id("a")));
    rig.engine.dirty = false;
    rig.engine.urgent = false;
    rig.engine.clock_to(std::time::Instant::now());
    rig.engine.handle(helios::app::Action::WriteFocused {
        bytes: b"x".to_vec(),
    });
    assert!(!rig.engine.dirty, "a frame would be drawn for the key");
    assert!(!rig.engine.urgent);
}

#[tokio::test]
async fn the_periodic_lane_read_counts_again_only_the_lanes_that_printed() {
    let w = support::World::new("demo");
    let (a, b) = (w.root.path().join("a"), w.root.path().join("b"));
    for (dir, branch) in [(&a, "a"), (&b, "b")] {
        w.git(&["worktree", "add", "-q", "-b", branch, dir.to_str().unwrap()]);
    }
    let repo = helios::app::state::RepoInfo {
        path: w.repo.clone(),
        name: "demo".into(),
    };
    let mut rig = rig(AppState::new(repo, Instant::now()), Arc::default());
    rig.engine.discover();
    rig.discovered().await;
    assert_eq!((rig.dirty(&a), rig.dirty(&b)), (0, 0));
    std::fs::write(a.join("new.txt"), "x").unwrap();
    std::fs::write(b.join("new.txt"), "x").unwrap();
    // Lane a printed since the last read began; b did not.
    let a_id = rig.engine.state.lanes.iter().find(|l| l.info.worktree == a);
    let a_id = a_id.unwrap().id().clone();
    rig.engine.handle(Event::LaneOutput {
        lane: a_id,
        at: Instant::now(),
    });
    // b's screen seeded from its pane (a par lane's feed at start) is drawn, not output.
    let b_id = rig.engine.state.lanes.iter().find(|l| l.info.worktree == b);
    let b_id = b_id.unwrap().id().clone();
    rig.engine.dirty = false;
    rig.engine.handle(Event::LaneSeeded { lane: b_id.clone() });
    assert!(rig.engine.dirty, "a seeded screen is drawn");
    assert_eq!(rig.engine.state.lane(&b_id).unwrap().last_output, None);
    rig.engine.rediscover();
    rig.discovered().await;
    assert_eq!(rig.dirty(&a), 1, "a printed: counted again");
    assert_eq!(rig.dirty(&b), 0, "b was quiet: its counts kept");
    // Nothing else changed: the next periodic read brings nothing new and draws nothing.
    rig.engine.rediscover();
    let read = rig.next_read().await;
    rig.engine.dirty = false;
    rig.engine.handle(read);
    assert!(!rig.engine.dirty, "an unchanged re-read drew a frame");
    // A read asked for (`r`, a lane made or removed) counts every lane.
    rig.engine.discover();
    rig.discovered().await;
    assert_eq!((rig.dirty(&a), rig.dirty(&b)), (1, 1));
}

/// The focused lane's output after a keystroke is drawn at once, for two frames: a frame that
/// began while the lane's reader was still parsing the echo does not show it, and the echo must
/// not then wait a frame gap. Later output waits the gap as before.
#[tokio::test]
async fn a_keystrokes_echo_gets_two_frames_at_once() {
    let (state, _) = state_with(&["a"], (120, 40));
    let mut rig = rig(state, Arc::default());
    rig.engine.handle(Action::Select { lane: id("a") });
    rig.engine.handle(Action::Focus);
    let output = |rig: &mut Rig| {
        rig.engine.handle(Event::LaneOutput {
            lane: id("a"),
            at: Instant::now(),
        });
    };
    // What the loop does as it draws a frame.
    let frame = |rig: &mut Rig| rig.engine.take_echo();
    output(&mut rig);
    assert!(
        !frame(&mut rig),
        "output before any key waits the frame gap"
    );
    rig.engine.handle(Action::WriteFocused {
        bytes: b"x".to_vec(),
    });
    output(&mut rig);
    assert!(frame(&mut rig), "the first frame after the key");
    output(&mut rig);
    assert!(
        frame(&mut rig),
        "the second: the echo may have missed the first"
    );
    output(&mut rig);
    assert!(
        !frame(&mut rig),
        "a flood after the key waits the frame gap again"
    );
}

/// `lane send` into a helios-owned lane types the text as a paste and presses Enter only after
/// a pause, as for a par lane: an agent takes an Enter right after a paste as part of it.
#[tokio::test]
async fn a_send_into_an_owned_lane_presses_enter_after_the_text() {
    let (mut state, _) = state_with(&["a"], (120, 40));
    state.lanes[0].info.source = helios::lanes::LaneSource::Worktree;
    let mut rig = rig(state, Arc::default());
    let sent = Instant::now();
    rig.engine.handle(Action::SendLine {
        target: helios::app::action::SendTarget::Lane(id("a")),
        text: "echo hi".into(),
    });
    assert_eq!(rig.engine.ptys.written, [(id("a"), b"echo hi".to_vec())]);
    let due = loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), rig.rx.recv())
            .await
            .expect("the Enter came due")
            .expect("the channel is open");
        if matches!(ev, Event::LaneEnterDue { .. }) {
            break ev;
        }
    };
    assert!(sent.elapsed() >= helios::lanes::par::ENTER_AFTER);
    rig.engine.handle(due);
    assert_eq!(rig.engine.ptys.written[1], (id("a"), b"\r".to_vec()));
}

/// A lane selected is drawn by another client (a par lane's attach client in front): its rows
/// differ from the last look's without the lane printing anything, which is no change.
#[tokio::test]
async fn selecting_a_quiet_lane_is_no_change_of_its_screen() {
    use helios::agent::Status;
    let (state, _) = state_with(&["a", "b"], (120, 40));
    let mut rig = rig(state, Arc::default());
    let rows = |s: &str| vec![format!("$ cat -v {s}")];
    rig.engine.ptys.rows.insert(id("a"), rows("fed"));
    rig.engine.ptys.rows.insert(id("b"), rows("fed"));
    rig.engine.handle(Action::Select { lane: id("a") });
    let t0 = Instant::now();
    for s in 0..25 {
        rig.engine.tick(t0 + Duration::from_secs(s));
    }
    let status = |rig: &Rig| {
        let l = rig.engine.state.lane(&id("b")).unwrap();
        l.agent.state.as_ref().map(|s| s.status)
    };
    assert_eq!(status(&rig), Some(Status::Unknown));
    // b comes to the front, drawn by its client: the same rows, drawn otherwise.
    rig.engine.handle(Action::Select { lane: id("b") });
    rig.engine.ptys.rows.insert(id("b"), rows("client"));
    for s in 25..28 {
        rig.engine.tick(t0 + Duration::from_secs(s));
        assert_eq!(status(&rig), Some(Status::Unknown), "at {s} s");
    }
}

fn output(rig: &mut Rig, lane: &str, at: Instant) {
    rig.engine.handle(Event::LaneOutput { lane: id(lane), at });
}

/// Resizing the console resizes the lane in front, whose program redraws for the new size: a
/// lane waiting on a permission prompt keeps its state and its age (no `working · 0s` between),
/// and only rows that change after the repaint are the lane's output again.
#[tokio::test]
async fn a_resize_repaints_a_waiting_lane_without_waking_it() {
    use helios::agent::{Status, WaitKind};
    let (state, _) = state_with(&["a"], (120, 40));
    let mut rig = rig(state, Arc::default());
    let permission = |w: usize| -> Vec<String> {
        let (bar, ask) = ("─".repeat(w), "│ Do you want to proceed?\n│ ❯ 1. Yes");
        let text = format!("╭{bar}╮\n│ Bash command\n│   rm -rf build\n{ask}\n╰{bar}╯");
        text.lines().map(String::from).collect()
    };
    let state = |rig: &Rig| {
        let l = rig.engine.state.lane(&id("a")).unwrap();
        let s = l.agent.state.as_ref().unwrap();
        (s.status, s.since)
    };
    rig.engine.handle(Action::Select { lane: id("a") });
    rig.engine
        .ptys
        .rows
        .insert(id("a"), vec!["compiling".into()]);
    let t0 = Instant::now();
    rig.engine.tick(t0);
    rig.engine.ptys.rows.insert(id("a"), permission(60));
    for s in 1..5 {
        rig.engine.tick(t0 + Duration::from_secs(s));
    }
    let waiting = state(&rig);
    assert_eq!(waiting.0, Status::Waiting(WaitKind::Permission));
    // The console shrinks: the lane is resized and redraws its box to the new width.
    rig.engine.ptys.repainted = Some(Vec::new());
    rig.engine.handle(Event::Resized { cols: 80, rows: 24 });
    let now = rig.engine.state.now;
    output(&mut rig, "a", now);
    rig.engine.ptys.rows.insert(id("a"), permission(40));
    for s in 5..8 {
        rig.engine.tick(t0 + Duration::from_secs(s));
        assert_eq!(state(&rig), waiting, "at {s} s");
    }
    let l = rig.engine.state.lane(&id("a")).unwrap();
    assert_eq!(l.last_output, None, "the redraw is no output");
    // The lane prints after the repaint: that is output, and work (held a look or more until
    // the process probe says the window kept its size, at most `MAX_LOOKS`).
    rig.engine.ptys.rows.insert(id("a"), vec!["again".into()]);
    let last = 8 + u64::from(helios::app::hold::MAX_LOOKS);
    for s in 8..=last {
        rig.engine.tick(t0 + Duration::from_secs(s));
    }
    assert_eq!(state(&rig).0, Status::Working);
}

/// A lane come to the front is drawn by its attach client: that draw is no output (a quiet lane
/// with no state yet showed `running 0s`); what it prints after the repaint is.
#[tokio::test]
async fn a_lane_come_to_the_front_is_drawn_not_running() {
    use helios::app::state::LaneStatus;
    let (state, _) = state_with(&["a", "b"], (120, 40));
    let mut rig = rig(state, Arc::default());
    rig.engine.ptys.repainted = Some(Vec::new());
    rig.engine.handle(Action::Select { lane: id("b") });
    let now = Instant::now().max(rig.engine.state.now);
    let b = |rig: &Rig| {
        let l = rig.engine.state.lane(&id("b")).unwrap();
        (l.status, l.last_output)
    };
    let before = b(&rig);
    output(&mut rig, "b", now);
    assert_eq!(b(&rig), before, "the client's draw");
    let later = now + helios::app::agent::REPAINT;
    output(&mut rig, "b", later);
    assert_eq!(b(&rig), (LaneStatus::Running, Some(later)));
}

/// A program started in a helios-owned lane a moment ago (before the next process probe) is
/// still named by the quit question: quitting would end it.
#[tokio::test]
async fn quitting_asks_about_a_program_started_a_moment_ago() {
    let (mut state, _) = state_with(&["a"], (120, 40));
    state.lanes[0].info.source = helios::lanes::LaneSource::Worktree;
    let mut rig = rig(state, Arc::default());
    rig.engine.ptys.running.insert(id("a"), "bash".into());
    rig.engine.tick(Instant::now());
    rig.engine.ptys.running.insert(id("a"), "sleep".into());
    rig.engine.handle(Action::Quit);
    assert!(!rig.engine.state.quit, "quit without asking");
    assert!(
        matches!(&rig.engine.state.mode, helios::app::state::Mode::Confirm(c) if c.question.contains("a (sleep)")),
        "{:?}",
        rig.engine.state.mode
    );
}
