//! The share dialog reducer and the compact view, without a terminal: actions and events in,
//! state and effects out; screens drawn into ratatui's TestBackend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use helios::app::effect::ShareEffect;
use helios::app::share::{DialogStep, ShareAction, ShareEvent, dialog_key};
use helios::app::state::{Attention, Lane, RepoInfo};
use helios::app::{Action, AppState, Effect, Event, update};
use helios::config::theme::Theme;
use helios::integrations::share::{Share, ShareLink, Tool};
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn state(n: usize) -> AppState {
    let mut s = AppState::new(
        RepoInfo {
            path: PathBuf::from("/tmp/repo"),
            name: "repo".into(),
        },
        Instant::now(),
    );
    for i in 0..n {
        s.lanes.push(Lane::new(LaneInfo {
            id: LaneId::new(format!("lane-with-a-long-name-{i}")),
            branch: None,
            worktree: PathBuf::from(format!("/tmp/wt/{i}")),
            source: LaneSource::Par {
                session: format!("par-repo-0000-{i}"),
            },
            session_alive: true,
            git: GitCounts::default(),
        }));
    }
    s.selected = s.lanes.first().map(|l| l.id().clone());
    s
}

fn share(lane: &str, rw: bool) -> Share {
    let now = time::OffsetDateTime::now_utc();
    Share {
        id: "01TEST".into(),
        repo: "repo".into(),
        lane: lane.into(),
        tool: Tool::Tmate,
        rw,
        links: vec![ShareLink {
            kind: "ssh".into(),
            url: "ssh ro-secret@lon1.tmate.io".into(),
        }],
        started: now,
        expires: now + time::Duration::minutes(30),
        pid: None,
        socket: PathBuf::from("/tmp/s.sock"),
        dir: PathBuf::from("/tmp/s"),
        watchdog_pid: None,
        clients: vec!["203.0.113.9".into()],
    }
}

fn key(s: &mut AppState, c: char) -> Vec<Effect> {
    let a = dialog_key(&s.share, c)
        .unwrap_or_else(|| panic!("key {c:?} does nothing in {:?}", s.share.dialog));
    update(s, a)
}

#[test]
fn read_only_share_starts_on_enter() {
    let mut s = state(2);
    let lane = s.lanes[0].id().clone();
    assert!(
        update(
            &mut s,
            Action::Share(ShareAction::Start { lane: lane.clone() })
        )
        .is_empty()
    );
    assert_eq!(s.share.dialog.as_ref().unwrap().step, DialogStep::Choose);
    key(&mut s, 'u');
    key(&mut s, 't');
    let fx = key(&mut s, '\r');
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Share(ShareEffect::Start {
                tool: Tool::Tmate,
                rw: false,
                ..
            })
        )),
        "{fx:?}"
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Record { action, .. } if action == "share.requested"))
    );
    let since = s.now;
    assert_eq!(
        s.share.dialog.as_ref().unwrap().step,
        DialogStep::Starting { since }
    );
    // While it waits, the dialog says for what, for how long at most, and how long so far.
    s.share.ready_timeout_secs = Some(20);
    let shown = dialog_screen(&s, 80, 12);
    assert!(
        shown.contains("waiting for tmate to report its links (up to 20 s)… 0 s"),
        "{shown}"
    );
    update(
        &mut s,
        Event::Tick {
            now: since + std::time::Duration::from_secs(7),
        },
    );
    let shown = dialog_screen(&s, 80, 12);
    assert!(shown.contains("(up to 20 s)… 7 s"), "{shown}");
    let fx = update(
        &mut s,
        Event::Share(ShareEvent::Started {
            share: share(lane.as_str(), false),
        }),
    );
    assert!(
        matches!(&fx[..], [Effect::Clipboard { text }] if text == "ssh ro-secret@lon1.tmate.io")
    );
    assert_eq!(s.share.dialog.as_ref().unwrap().step, DialogStep::Showing);
    let fx = key(&mut s, 'x');
    assert!(
        matches!(&fx[..], [Effect::Share(ShareEffect::Stop { lane: l })] if l == lane.as_str())
    );
    assert!(s.share.dialog.is_none());
}

#[test]
fn read_write_needs_a_second_yes() {
    let mut s = state(1);
    let lane = s.lanes[0].id().clone();
    update(&mut s, Action::Share(ShareAction::Start { lane }));
    key(&mut s, 'r');
    assert!(
        key(&mut s, '\r').is_empty(),
        "read-write must not start without confirmation"
    );
    assert_eq!(s.share.dialog.as_ref().unwrap().step, DialogStep::ConfirmRw);
    key(&mut s, 'n');
    assert_eq!(s.share.dialog.as_ref().unwrap().step, DialogStep::Choose);
    key(&mut s, '\r');
    let fx = key(&mut s, 'y');
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Share(ShareEffect::Start { rw: true, .. }))),
        "{fx:?}"
    );
}

#[test]
fn failure_is_shown_and_can_be_retried() {
    let mut s = state(1);
    let lane = s.lanes[0].id().clone();
    update(
        &mut s,
        Action::Share(ShareAction::Start { lane: lane.clone() }),
    );
    key(&mut s, '\r');
    update(
        &mut s,
        Event::Share(ShareEvent::StartFailed {
            lane: lane.to_string(),
            error: "tmate did not report its links within 20s".into(),
        }),
    );
    assert!(
        matches!(&s.share.dialog.as_ref().unwrap().step, DialogStep::Failed(e) if e.contains("20s"))
    );
    assert!(s.flash.as_ref().unwrap().text.contains("20s"));
    key(&mut s, '\r');
    assert_eq!(s.share.dialog.as_ref().unwrap().step, DialogStep::Choose);
    key(&mut s, '\x1b');
    assert!(s.share.dialog.is_none());
}

#[test]
fn open_zellij_outside_zellij_lends_it_the_terminal() {
    let mut s = state(3);
    s.lanes[1].attention = Some(Attention::Agent(helios::agent::Status::Done));
    let fx = update(&mut s, Action::Share(ShareAction::OpenZellij));
    assert!(
        matches!(&fx[..], [Effect::Share(ShareEffect::OpenZellij { lanes, attention, .. })] if lanes.len() == 3 && attention.len() == 1)
    );
    let argv = vec!["zellij".to_string(), "attach".into(), "helios-repo".into()];
    let fx = update(
        &mut s,
        Event::Share(ShareEvent::ZellijReady {
            argv: Some(argv.clone()),
            message: "attaching".into(),
        }),
    );
    // zellij runs in the console's terminal and the console comes back after: no quit.
    assert!(
        matches!(&fx[..], [Effect::HandOver(h)] if h.argv == argv && h.action == helios::model::AuditAction::ZellijOpen),
        "{fx:?}"
    );
    assert!(!s.quit);
}

fn screen(s: &AppState, w: u16, h: u16) -> String {
    draw(w, h, |f| {
        helios::ui::compact::render(f, f.area(), s, &Theme::default());
    })
}

fn dialog_screen(s: &AppState, w: u16, h: u16) -> String {
    draw(w, h, |f| {
        helios::ui::share::render_dialog(f, f.area(), s, &Theme::default());
    })
}

fn draw(w: u16, h: u16, f: impl FnOnce(&mut ratatui::Frame)) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(f).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn compact_view_fits_thirty_columns() {
    let mut s = state(3);
    s.lanes[1].attention = Some(Attention::Agent(helios::agent::Status::Waiting(
        helios::agent::WaitKind::Input,
    )));
    s.share.shares.push(share(s.lanes[2].id().as_str(), false));
    let text = screen(&s, 30, 12);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains(" repo · 1! "), "{text}");
    assert!(
        lines[1].starts_with("│▶ ○ lane-with-a-long-name-0"),
        "{text}"
    );
    assert!(lines[2].contains("!wait"), "{text}");
    assert!(lines[3].contains('⇄'), "{text}");
    // The monitors have not answered yet.
    assert!(text.contains("nats     ● connecting"), "{text}");
    assert!(text.contains("temporal ● connecting"), "{text}");
    assert!(text.contains("3 lanes, 1 shared"), "{text}");
    assert!(
        screen(&state(1), 30, 12).contains("1 lane, 0 shared"),
        "{}",
        screen(&state(1), 30, 12)
    );
    assert!(text.contains("│⏎ pane n next S share ? help│"), "{text}");
    for l in &lines {
        assert_eq!(l.chars().count(), 30);
    }
}

#[test]
fn compact_view_keeps_the_selection_visible() {
    let mut s = state(25);
    s.selected = Some(s.lanes[24].id().clone());
    let text = screen(&s, 34, 10);
    assert!(text.contains("▶ ○ lane-with-a-long-name-24"), "{text}");
    let empty = screen(&state(0), 30, 8);
    assert!(empty.contains("no lanes yet"), "{empty}");
}

#[test]
fn compact_view_says_a_filter_hides_lanes() {
    let mut s = state(3);
    s.filter = "name-1".into();
    let text = screen(&s, 34, 10);
    assert!(text.contains("1/3 lanes · /name-1"), "{text}");
}
