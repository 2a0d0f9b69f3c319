//! Snapshots of whole screens drawn into ratatui's TestBackend: the lane list with the single
//! pane, the grid with 4 and 9 lanes, help, palette, confirm and the 80x24 layout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{FakeScreens, busy_state, draw, draw_styles, run_keys, state_with};
use helios::app::keymap::Keymap;
use helios::lanes::work::{Commit, FileChange, Unsaved};
use helios::ui;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

#[test]
fn lanes_and_single_pane() {
    let st = busy_state((100, 30));
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw(&st, &km(), &screens));
}

/// The styles of the busy screen: the selected lane, attention, dirty counts, an exited lane,
/// borders and the status line, in the default theme's colours.
#[test]
fn lanes_and_single_pane_styles() {
    let st = busy_state((100, 30));
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw_styles(&st, &km(), &screens));
}

/// The grid's styles: the selected tile's border, a tile needing attention.
#[test]
fn grid_of_9_styles() {
    let labels: Vec<String> = (1..=9).map(|i| format!("lane-{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (100, 30));
    fixture::attention(&mut st, "lane-5");
    run_keys(&mut st, &km(), "zj");
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw_styles(&st, &km(), &screens));
}

#[test]
fn focused_and_scrolled() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "<enter>");
    let mut screens = FakeScreens::default();
    let (_, rows, cols) = ui::pane_sizes(&st)[0].clone();
    let mut bytes = Vec::new();
    for i in 1..=60 {
        bytes.extend_from_slice(format!("line {i}\r\n").as_bytes());
    }
    screens.feed(st.selected.as_ref().unwrap().as_str(), rows, cols, &bytes);
    insta::assert_snapshot!("focused", draw(&st, &km(), &screens));
    // The lane's cursor is the terminal's cursor, at the lane's cursor inside the pane's border
    // (after 60 lines it sits at the start of the last row).
    let (x, y) = fixture::cursor(&st, &km(), &screens).expect("a visible cursor");
    let text = draw(&st, &km(), &screens);
    let row: Vec<&str> = text.lines().collect();
    assert!(
        row[usize::from(y) - 1].contains("line 60"),
        "cursor at {x},{y}:\n{text}"
    );
    assert_eq!(
        row[usize::from(y)].chars().nth(usize::from(x) - 1),
        Some('│')
    );
    run_keys(&mut st, &km(), "<c-g><pgup>");
    insta::assert_snapshot!("scrolled", draw(&st, &km(), &screens));
    // Scrolled back and unfocused: no cursor.
    assert_eq!(fixture::cursor(&st, &km(), &screens), None);
}

#[test]
fn grid_of_4() {
    let (mut st, _) = state_with(&["a1", "b2", "c3", "d4"], (100, 30));
    run_keys(&mut st, &km(), "jz");
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw(&st, &km(), &screens));
}

#[test]
fn grid_of_9() {
    let labels: Vec<String> = (1..=9).map(|i| format!("lane-{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (100, 30));
    fixture::attention(&mut st, "lane-5");
    run_keys(&mut st, &km(), "z");
    let screens = FakeScreens::for_state(&st);
    insta::assert_snapshot!(draw(&st, &km(), &screens));
}

/// Six lanes fill a 3x2 grid (no empty third row), and the selected tile has a double border.
#[test]
fn grid_of_6() {
    let labels: Vec<String> = (1..=6).map(|i| format!("lane-{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (90, 25));
    run_keys(&mut st, &km(), "zjjjj");
    let screens = FakeScreens::for_state(&st);
    let screen = draw(&st, &km(), &screens);
    let tiles = helios::ui::layout(&st).panes;
    assert_eq!(tiles.len(), 6);
    assert!(tiles.iter().all(|(_, r)| r.height == 12), "{tiles:?}");
    assert!(screen.contains("╔ lane-5 ═"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_overlay() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "?");
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::default()));
}

#[test]
fn palette_with_completions() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), ":lane rm ");
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::for_state(&st)));
}

/// The palette lists each command with its description from the command registry.
#[test]
fn palette_describes_commands() {
    let mut st = busy_state((80, 24));
    run_keys(&mut st, &km(), ":te");
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(
        screen.contains(&format!("{:<20}  show Temporal workflows", "temporal")),
        "{screen}"
    );
    assert!(
        screen.contains("temporal.select_next  select the next workflow"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn confirm_dialog() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "jd");
    let nothing = Unsaved {
        base: "main".into(),
        ..Unsaved::default()
    };
    checked(&mut st, "auth-fix", nothing);
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::for_state(&st)));
}

/// The remove dialog of a lane with work in it lists the commits and files, then asks again.
#[test]
fn confirm_dialog_names_the_work_a_remove_loses() {
    let mut st = busy_state((100, 30));
    run_keys(&mut st, &km(), "jd");
    let work = Unsaved {
        base: "main".into(),
        commits: (1..=7)
            .map(|i| Commit {
                hash: format!("abc123{i}"),
                subject: format!("step {i} of the login form"),
            })
            .collect(),
        commit_count: 7,
        files: vec![
            FileChange {
                status: " M".into(),
                path: "src/login.rs".into(),
            },
            FileChange {
                status: "??".into(),
                path: "notes\x1b]52;c;x\x07.txt".into(),
            },
        ],
        file_count: 2,
    };
    checked(&mut st, "auth-fix", work);
    insta::assert_snapshot!(
        "confirm_dialog_with_work",
        draw(&st, &km(), &FakeScreens::for_state(&st))
    );
    run_keys(&mut st, &km(), "y");
    insta::assert_snapshot!(
        "confirm_dialog_second_yes",
        draw(&st, &km(), &FakeScreens::for_state(&st))
    );
}

fn checked(st: &mut helios::app::AppState, lane: &str, work: Unsaved) {
    helios::app::update(
        st,
        helios::app::Event::UnsavedChecked {
            lane: helios::lanes::LaneId::new(lane),
            result: Ok(work),
        },
    );
}

#[test]
fn small_terminal_80x24() {
    let mut st = busy_state((80, 24));
    run_keys(&mut st, &km(), "/a");
    insta::assert_snapshot!(
        "80x24_filter",
        draw(&st, &km(), &FakeScreens::for_state(&st))
    );
    run_keys(&mut st, &km(), "<esc>");
    insta::assert_snapshot!("80x24", draw(&st, &km(), &FakeScreens::for_state(&st)));
    run_keys(&mut st, &km(), "?");
    insta::assert_snapshot!("80x24_help", draw(&st, &km(), &FakeScreens::default()));
}

/// Help fits 80x24 by scrolling: j/k a line, PgDn/PgUp a page, G the end, with where you are
/// and whether more follows on its border; any other key closes it.
#[test]
fn help_scrolls_at_80x24() {
    let mut st = busy_state((80, 24));
    let screen = |st: &helios::app::AppState| draw(st, &km(), &FakeScreens::default());
    run_keys(&mut st, &km(), "?");
    let total = helios::app::help::lines(&km(), st.size.0).len();
    assert!(total > 21, "help fits without scrolling: {total} lines");
    assert!(screen(&st).contains(&format!(" 1–21 of {total} · ↓ more")));
    run_keys(&mut st, &km(), "jj");
    assert_eq!(st.help_top, 2);
    run_keys(&mut st, &km(), "<pgdn>");
    assert_eq!(st.help_top, 23);
    run_keys(&mut st, &km(), "<pgup>k");
    assert_eq!(st.help_top, 1);
    // G and more PgDn stop at the last page: the last line shows, nothing past it.
    run_keys(&mut st, &km(), "G<pgdn>j");
    assert_eq!(st.help_top, total - 21);
    let last = screen(&st);
    assert!(
        last.contains(&format!(" {}–{total} of {total} · ↑ k pgup", total - 20)),
        "{last}"
    );
    assert!(last.contains("arguments are shell words"), "{last}");
    // One k goes back one line from the end.
    run_keys(&mut st, &km(), "k");
    assert_eq!(st.help_top, total - 22);
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.mode, helios::app::state::Mode::Normal);
    // Opening again starts at the top.
    run_keys(&mut st, &km(), "?");
    assert_eq!(st.help_top, 0);
}

/// The hint line shows the keys of the panel on screen.
#[test]
fn hint_line_follows_the_panel() {
    let mut st = busy_state((120, 30));
    let status = |st: &helios::app::AppState| {
        draw(st, &km(), &FakeScreens::for_state(st))
            .lines()
            .last()
            .unwrap()
            .to_string()
    };
    let lanes = status(&st);
    assert!(
        lanes.contains("enter focus") && lanes.contains("c new"),
        "{lanes}"
    );
    // Scrolled back, `/` searches the lane and Esc goes back to live.
    run_keys(&mut st, &km(), "<pgup>");
    let scrolled = status(&st);
    assert!(
        scrolled.contains("/ search esc live") && !scrolled.contains("filter"),
        "{scrolled}"
    );
    run_keys(&mut st, &km(), "<esc>");
    run_keys(&mut st, &km(), "2");
    let events = status(&st);
    assert!(events.contains(" EVENTS "), "{events}");
    assert!(events.contains("j/k select enter JSON 1 lane"), "{events}");
    assert!(!events.contains("c new"), "{events}");
    run_keys(&mut st, &km(), "3");
    let nats = status(&st);
    assert!(
        nats.contains("j/k stream s sort r refresh 1 lane"),
        "{nats}"
    );
    run_keys(&mut st, &km(), "4");
    let temporal = status(&st);
    assert!(
        temporal.contains("j/k select enter detail / filter ]/[ page S signal"),
        "{temporal}"
    );
    run_keys(&mut st, &km(), "/");
    let input = status(&st);
    assert!(
        input.contains("enter ok esc cancel ctrl-u clear ctrl-w word"),
        "{input}"
    );
}

#[test]
fn empty_repo() {
    let (st, _) = state_with(&[], (80, 24));
    insta::assert_snapshot!(draw(&st, &km(), &FakeScreens::default()));
}

#[test]
fn pane_sizes_match_the_drawn_panes() {
    let (mut st, _) = state_with(&["a", "b", "c", "d", "e"], (100, 30));
    assert_eq!(
        ui::pane_sizes(&st),
        vec![(helios::lanes::LaneId::new("a"), 27, 68)]
    );
    run_keys(&mut st, &km(), "z");
    let sizes = ui::pane_sizes(&st);
    assert_eq!(sizes.len(), 5);
    // 3x3 tiles over 100x29: 33/33/34 columns and 9/10/10 rows, minus borders.
    let total_cols: u16 = sizes.iter().take(3).map(|(_, _, c)| c + 2).sum();
    assert_eq!(total_cols, 100);
    for n in [1usize, 2, 4, 5, 9, 10, 16, 17, 25, 26] {
        let labels: Vec<String> = (0..n).map(|i| format!("l{i:02}")).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let (mut st, _) = state_with(&refs, (120, 40));
        run_keys(&mut st, &km(), "z");
        assert_eq!(ui::pane_sizes(&st).len(), n.min(25), "{n} lanes");
    }
}

/// A long list draws only what fits, scrolled as the list scrolls: from the top, or with the
/// selected lane last.
#[test]
fn a_long_lane_list_draws_the_window_around_the_selection() {
    let labels: Vec<String> = (0..60).map(|i| format!("lane-{i:02}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut st, _) = state_with(&refs, (100, 24));
    let screens = FakeScreens::default();
    let top = draw(&st, &km(), &screens);
    assert!(top.contains("lane-00") && !top.contains("lane-40"), "{top}");
    st.selected = Some(helios::model::LaneId::new("lane-40"));
    let down = draw(&st, &km(), &screens);
    assert!(
        down.contains("lane-40") && !down.contains("lane-00"),
        "{down}"
    );
    // The selected lane is the last one drawn, as before.
    let last = down
        .lines()
        .filter_map(|l| l.split("lane-").nth(1))
        .filter_map(|t| t.get(..2)?.parse::<u32>().ok())
        .filter(|n| *n <= 59)
        .max();
    assert_eq!(last, Some(40), "{down}");
}

/// The compact view (a zellij side pane) has the console's keys, so it shows what they open:
/// the prompt on its status line, a remove's question, the help.
#[test]
fn the_compact_view_shows_its_prompt_questions_and_help() {
    let mut st = busy_state((34, 20));
    st.compact = true;
    run_keys(&mut st, &km(), ":lan");
    let text = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(text.contains(":lan"), "{text}");
    run_keys(&mut st, &km(), "<Esc>jd");
    let nothing = Unsaved {
        base: "main".into(),
        ..Unsaved::default()
    };
    checked(&mut st, "auth-fix", nothing);
    let text = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(text.contains("Remove lane"), "{text}");
    // Whole, its answer keys too, at the pane's width.
    assert!(text.contains("y yes"), "{text}");
    run_keys(&mut st, &km(), "n?");
    let text = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(text.contains("help · esc closes"), "{text}");
}
