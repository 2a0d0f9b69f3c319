//! Snapshots of the console's detail views found wanting in a tryout: the explain overlay at
//! a wide and a small terminal, the events panel's detail column, and the lane list's state
//! lines (one duration for an `unknown` lane; a new lane before its first signal).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{FakeScreens, busy_state, draw, run_keys};
use helios::app::keymap::Keymap;
use helios::lanes::LaneId;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

/// The explain overlay of a lane whose hook asked for a permission: on a wide terminal it is
/// wide, and on a small one its wrapped lines stay under the words they continue.
#[test]
fn explain_fits_the_terminal_and_wraps_under_its_words() {
    for (size, name) in [((160, 40), "explain_160x40"), ((80, 24), "explain_80x24")] {
        let mut st = busy_state(size);
        st.selected = Some(LaneId::new("auth-fix"));
        run_keys(&mut st, &km(), "e");
        let screens = FakeScreens::for_state(&st);
        let screen = draw(&st, &km(), &screens);
        if size.0 == 80 {
            // The hook's line is cut before `old)`, which goes under its words, not to column 0.
            assert!(screen.contains("│             old)"), "{screen}");
        } else {
            assert!(
                screen.contains(&format!(
                    "┌ why: auth-fix · any key closes {}┐",
                    "─".repeat(94)
                )),
                "{screen}"
            );
        }
        insta::assert_snapshot!(name, screen);
    }
}

/// An event of `action` on lane `a`, `secs` after a fixed time, with `detail`.
fn event(
    id: &str,
    secs: i64,
    action: &str,
    ok: bool,
    detail: serde_json::Value,
) -> helios::store::AuditEvent {
    let mut e = helios::store::AuditEvent::new("u@h", "demo", action, Some("a"), ok, detail);
    e.id = id.into();
    e.at = fixture::clock() + time::Duration::seconds(secs);
    e
}

/// Each event row ends with its detail, as `helios events` prints it, cut to the column and
/// escaped: an error's message from the bus cannot reach the terminal as control bytes.
#[test]
fn the_events_panel_shows_each_events_detail() {
    let (mut st, _) = fixture::state_with(&["a"], (120, 12));
    helios::app::update(
        &mut st,
        helios::app::Event::JournalHistory {
            events: vec![
                event("E1", 1, "lane.created", true, serde_json::json!({})),
                event(
                    "E2",
                    2,
                    "lane.text_sent",
                    true,
                    serde_json::json!({"text": "run the tests", "via": "pty"}),
                ),
                event(
                    "E3",
                    3,
                    "lane.text_sent",
                    false,
                    serde_json::json!({"text": "x", "error": "no such lane \u{1b}[2J\u{1b}]52;c;aGk=\u{7}"}),
                ),
                event(
                    "E4",
                    4,
                    "lane.state",
                    true,
                    serde_json::json!({"previous": "done", "state": "working", "state_source": "hook:claude", "state_reason": "x".repeat(300)}),
                ),
            ],
        },
    );
    run_keys(&mut st, &km(), "2");
    let screens = FakeScreens::for_state(&st);
    let screen = draw(&st, &km(), &screens);
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen}"
    );
    assert!(screen.contains("DETAIL"), "{screen}");
    insta::assert_snapshot!("events_detail_120x12", screen);
}

/// A screen tick `secs` after the fixed clock, where the `changed` lanes printed.
fn look(st: &mut helios::app::AppState, secs: i64, changed: &[&str]) {
    let lanes = st
        .lanes
        .iter()
        .map(|l| helios::app::agent::ScreenObservation {
            lane: l.id().clone(),
            change: helios::app::hold::Change::seen(changed.contains(&l.id().as_str())),
            screen: None,
            shell_prompt: false,
        })
        .collect();
    helios::app::update(
        st,
        helios::app::Event::LaneScreens {
            at: fixture::clock() + time::Duration::seconds(secs),
            lanes,
        },
    );
}

/// The lane list's second line of `lane`.
fn list_line(screen: &str, lane: &str) -> String {
    let mut rows = screen.lines().skip_while(|r| {
        !r.contains(&format!("│● {lane} "))
            && !r.contains(&format!("│? {lane} "))
            && !r.contains(&format!("│○ {lane} "))
    });
    rows.nth(1).unwrap_or_default().to_string()
}

/// A lane that printed at 1 s and has been quiet since, looked at 80 s later.
fn quiet_lane() -> helios::app::AppState {
    let (mut st, _) = fixture::state_with(&["quiet"], (140, 12));
    look(&mut st, 0, &[]);
    look(&mut st, 1, &["quiet"]);
    look(&mut st, 80, &[]);
    st
}

/// A lane quiet past the quiet period is `unknown`, with one duration, in the list and on its
/// pane's border: how long it has been quiet (its last output dates the state), not the
/// state's own age and the quiet time in its reason beside it.
#[test]
fn an_unknown_lane_shows_one_duration() {
    let st = quiet_lane();
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let quiet = list_line(&screen, "quiet");
    assert!(
        quiet.contains("unknown · 1m · quiet, no known"),
        "{quiet}\n{screen}"
    );
    assert!(
        screen.contains("└ unknown · quiet, no known prompt · 1m ─"),
        "{screen}"
    );
}

/// A lane created a moment ago, with no signal yet, shows its terminal's state as the README
/// says (`running`, `idle`), not `unknown · no signal yet`, with its age like every other row:
/// quiet since helios first looked at it (before, `idle` had no age for its first 20 s).
#[test]
fn a_new_lane_shows_its_terminals_state_until_a_signal() {
    let mut st = quiet_lane();
    // `new` is made now: discovery lists it, and the next tick is helios's first look at it.
    helios::app::update(
        &mut st,
        helios::app::Event::LanesDiscovered {
            lanes: vec![fixture::info("quiet"), fixture::info("new")],
        },
    );
    look(&mut st, 81, &[]);
    look(&mut st, 95, &[]);
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let new = list_line(&screen, "new");
    assert!(
        new.split('│').nth(1).unwrap_or_default().trim() == "idle 14s",
        "{new}\n{screen}"
    );
    assert!(!screen.contains("no signal"), "{screen}");
    insta::assert_snapshot!("quiet_and_new_lanes", screen);
    // Its first state, a quiet period after that look, is dated from it: the age goes on.
    look(&mut st, 102, &[]);
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let new = list_line(&screen, "new");
    assert!(new.contains("unknown · 21s"), "{new}\n{screen}");
}

/// `e` on a lane nothing was seen from yet does not call it unknown either: no state yet, and
/// the signals still missing.
#[test]
fn explain_of_a_new_lane_says_it_has_no_state_yet() {
    let (mut st, _) = fixture::state_with(&["new"], (100, 30));
    look(&mut st, 0, &[]);
    run_keys(&mut st, &km(), "e");
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(
        screen.contains("no state yet: helios has seen nothing from this lane yet"),
        "{screen}"
    );
    assert!(
        screen.contains("signals") && !screen.contains("unknown"),
        "{screen}"
    );
}

/// On a terminal shorter than the explanation, the overlay scrolls: it says which lines show
/// and how to see more, `j` moves it a line and `G` to its end, and a key that does not scroll
/// closes it, as any key closes one that fits.
#[test]
fn explain_taller_than_the_terminal_scrolls() {
    let mut st = busy_state((80, 10));
    st.selected = Some(LaneId::new("auth-fix"));
    run_keys(&mut st, &km(), "e");
    let screens = FakeScreens::for_state(&st);
    let first = draw(&st, &km(), &screens);
    assert!(first.contains("why: auth-fix · esc closes"), "{first}");
    assert!(first.contains(" 1–7 of "), "{first}");
    assert!(first.contains("↓ more: j pgdn"), "{first}");
    run_keys(&mut st, &km(), "j");
    assert_eq!(st.mode, helios::app::state::Mode::Explain);
    let moved = draw(&st, &km(), &screens);
    assert!(moved.contains(" 2–8 of "), "{moved}");
    run_keys(&mut st, &km(), "G");
    let end = draw(&st, &km(), &screens);
    assert!(end.contains("↑ k pgup"), "{end}");
    insta::assert_snapshot!("explain_80x10_end", end);
    run_keys(&mut st, &km(), "x");
    assert_eq!(st.mode, helios::app::state::Mode::Normal);
    // One that fits closes on any key, `j` too, and opens at its top again.
    let mut st = busy_state((160, 40));
    st.selected = Some(LaneId::new("auth-fix"));
    run_keys(&mut st, &km(), "ej");
    assert_eq!(st.mode, helios::app::state::Mode::Normal);
}

/// Focus mode at 80 columns still says how to leave it: the hint that does not fit whole is cut,
/// not dropped (the status line showed ` FOCUS api` and nothing else, and a new user was stuck
/// in the lane).
#[test]
fn focus_at_80_columns_says_how_to_leave() {
    let mut st = busy_state((80, 24));
    run_keys(&mut st, &km(), "<enter>");
    assert_eq!(st.mode, helios::app::state::Mode::Focus);
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let status = screen.lines().last().unwrap_or_default();
    assert!(status.contains("FOCUS api"), "{status}");
    assert!(status.contains("ctrl-g leave focus;"), "{status}");
    assert!(status.contains('…'), "cut, and says so: {status}");
}
