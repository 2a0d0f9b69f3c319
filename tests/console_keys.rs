//! Keys a new user tries first, as a tryout of the release build found them: PgUp/PgDn move a
//! page, `?` is the reference a keymap is written from, `S` on a lane that cannot be shared
//! says so at once, a lane larger than its tile shows the part around its cursor, and
//! `:lane send all ""` says why it is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{FakeScreens, draw, run_keys, state_with};
use helios::app::command::COMMANDS;
use helios::app::keymap::Keymap;
use helios::app::state::{FlashLevel, Mode};
use helios::lanes::{LaneId, LaneSource};
use helios::ui;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

/// The rows inside the selected lane's pane as drawn.
fn drawn_rows(st: &helios::app::AppState) -> usize {
    let lay = ui::layout(st);
    let sel = st.selected.clone().unwrap();
    let (_, rect) = lay.panes.iter().find(|(id, _)| *id == sel).unwrap();
    usize::from(ui::pane::inner(*rect).height)
}

/// PgUp and PgDn move the rows the pane shows, less one kept for context, in the single pane
/// and in grid tiles of different heights.
#[test]
fn pgup_and_pgdn_move_a_page_of_the_pane_drawn() {
    let labels = ["a", "b", "c", "d", "e"];
    for (size, script) in [
        ((100, 30), ""),
        ((80, 24), ""),
        ((100, 30), "z"),
        ((100, 31), "zjjj"),
        ((120, 40), "zjjjj"),
    ] {
        let (mut st, _) = state_with(&labels, size);
        run_keys(&mut st, &km(), script);
        let page = drawn_rows(&st) - 1;
        let sel = st.selected.clone().unwrap();
        let scroll = |st: &helios::app::AppState| st.lane(&sel).unwrap().scroll;
        run_keys(&mut st, &km(), "<pgup>");
        assert_eq!(scroll(&st), page, "{size:?} {script:?}");
        run_keys(&mut st, &km(), "<pgup><pgup>");
        assert_eq!(scroll(&st), 3 * page, "{size:?} {script:?}");
        run_keys(&mut st, &km(), "<pgdn>");
        assert_eq!(scroll(&st), 2 * page, "{size:?} {script:?}");
        run_keys(&mut st, &km(), "<pgdn><pgdn><pgdn>");
        assert_eq!(scroll(&st), 0, "{size:?} {script:?}: live again");
    }
}

/// Every help row at 80x24, paging through to the end.
fn help_rows(keymap: &Keymap) -> Vec<String> {
    help_rows_at(keymap, (80, 24))
}

/// Every help row on a terminal of `size`, paging through to the end (`G` must reach it).
fn help_rows_at(keymap: &Keymap, size: (u16, u16)) -> Vec<String> {
    let (mut st, _) = state_with(&["a"], size);
    run_keys(&mut st, keymap, "?");
    assert_eq!(st.mode, Mode::Help);
    let total = helios::app::help::lines(keymap, st.size.0).len();
    let page = helios::app::help::page(st.size);
    let mut rows = Vec::new();
    // Page by page (the last page is the last `page` lines, some seen twice).
    for top in (0..total).step_by(page) {
        st.help_top = top;
        let screen = draw(&st, keymap, &FakeScreens::default());
        // The overlay's rows between its borders.
        for line in screen.lines().skip(1).take(page) {
            // The palette's syntax lines alone may be cut: they are not prose to wrap.
            let syntax =
                line.contains("[--") || line.contains("lanes events") || line.contains("[lane=");
            assert!(syntax || !line.contains('…'), "a help row is cut: {line}");
            rows.push(line.trim_matches('│').trim_end().to_string());
        }
    }
    // `G` scrolls to the last page the drawing shows: the reducer counts the same lines.
    run_keys(&mut st, keymap, "G");
    assert_eq!(st.help_top, total.saturating_sub(page), "{size:?}");
    rows
}

/// In a pane narrower than the overlay's columns (compact mode's zellij side pane) the
/// descriptions wrap at the width left, whole, and scrolling reaches the end.
#[test]
fn help_in_a_narrow_pane_wraps_its_descriptions() {
    let rows = help_rows_at(&km(), (44, 24));
    let text = rows.join(" ");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let all = words(&text);
    for c in COMMANDS.iter().filter(|c| c.name == "lane.explain") {
        let first = c
            .description
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        let last = c.description.split_whitespace().last().unwrap();
        assert!(all.contains(&first), "{first}: {text}");
        assert!(
            rows.iter().any(|r| r.trim_end().ends_with(last)),
            "{last}: {rows:?}"
        );
    }
}

/// The `?` overlay names the command of every binding beside its description, and lists
/// every command a keymap can bind, unbound ones as such, in 80 columns.
#[test]
fn help_names_every_command_a_keymap_binds() {
    for name in ["default", "vim"] {
        let keymap = Keymap::load(name).unwrap();
        let rows = help_rows(&keymap);
        for c in COMMANDS {
            assert!(
                rows.iter()
                    .any(|r| r.split_whitespace().any(|w| w == c.name)),
                "{name}: {} is not in the help",
                c.name
            );
        }
        let select = rows
            .iter()
            .find(|r| r.contains("select the next lane"))
            .unwrap();
        assert!(select.ends_with("lane.select_next"), "{select}");
    }
    let rows = help_rows(&km());
    let first = rows
        .iter()
        .find(|r| r.contains("lane.select_first"))
        .unwrap();
    assert!(first.starts_with("g home"), "{first}");
    // Bound in focus mode only, so not unbound.
    let unfocus: Vec<_> = rows.iter().filter(|r| r.contains("lane.unfocus")).collect();
    assert_eq!(unfocus.len(), 1, "{unfocus:?}");
    assert!(unfocus[0].starts_with("ctrl-g"), "{unfocus:?}");
    // PgUp says what it does now.
    let pgup = rows.iter().find(|r| r.starts_with("pgup ")).unwrap();
    assert!(
        pgup.contains("a page") && pgup.ends_with("lane.scroll_up"),
        "{pgup}"
    );
}

/// `S` on a lane no share can reach refuses at once, saying why and what to do; a live par
/// lane opens the dialog.
#[test]
fn share_refuses_a_lane_without_a_tmux_session() {
    let (mut st, _) = state_with(&["plain", "gone", "par"], (100, 30));
    st.lane_mut(&LaneId::new("plain")).unwrap().info.source = LaneSource::Worktree;
    st.lane_mut(&LaneId::new("gone"))
        .unwrap()
        .info
        .session_alive = false;
    for (lane, why) in [
        (
            "plain",
            "plain worktree lane: only par lanes share (:lane new NAME)",
        ),
        (
            "gone",
            "tmux session is gone: `par open gone` makes it again",
        ),
    ] {
        st.selected = Some(LaneId::new(lane));
        let fx = run_keys(&mut st, &km(), "S");
        assert!(fx.is_empty(), "{fx:?}");
        assert!(st.share.dialog.is_none(), "{lane}: a dialog opened");
        let flash = st.flash.clone().unwrap();
        assert_eq!(flash.level, FlashLevel::Error);
        assert!(flash.text.contains(why), "{lane}: {}", flash.text);
        // It fits the status line at 80 columns.
        assert!(flash.text.len() < 70, "{}", flash.text);
    }
    st.selected = Some(LaneId::new("par"));
    run_keys(&mut st, &km(), "S");
    assert!(st.share.dialog.is_some());
    assert!(st.flash.is_none());
}

/// A lane wider and taller than its pane: the pane shows the part around the cursor, where
/// typing shows up, and the terminal's cursor sits on it.
#[test]
fn a_pane_follows_the_cursor_of_a_larger_screen() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), "<enter>");
    let rows = drawn_rows(&st);
    let mut screens = FakeScreens::default();
    let words: Vec<String> = (0..20).map(|i| format!("w{i:02}-----")).collect();
    let text = format!("$ {}END", words.concat());
    // Two screens' worth of lines, then a long command line: below and right of the pane.
    let lines: Vec<String> = (0..2 * rows).map(|i| format!("line {i}\r\n")).collect();
    let lines = lines.concat();
    screens.feed("a", u16::try_from(2 * rows).unwrap(), 200, lines.as_bytes());
    screens.feed("a", 0, 0, text.as_bytes());
    let screen = draw(&st, &km(), &screens);
    assert!(screen.contains("-----END"), "{screen}");
    assert!(!screen.contains("$ w00"), "{screen}");
    let (x, y) = fixture::cursor(&st, &km(), &screens).unwrap();
    let row = screen.lines().nth(usize::from(y)).unwrap();
    let before: String = row.chars().take(usize::from(x)).collect();
    assert!(before.ends_with("-----END"), "cursor at {x},{y}: {row}");
    // Back at the line's start, the view goes back to the left edge.
    screens.feed("a", 0, 0, b"\r\n$ ");
    let screen = draw(&st, &km(), &screens);
    assert!(screen.contains("│$ "), "{screen}");
    assert!(
        screen.contains(&format!("line {}", 2 * rows - 1)),
        "{screen}"
    );
}

/// A message longer than the status line is cut there and says where it is whole: `M` shows
/// the last messages in full, newest last, and scrolls like the help.
#[test]
fn a_long_message_is_whole_in_the_messages_overlay() {
    let (mut st, _) = state_with(&["a"], (80, 24));
    let long = format!(
        "nats://127.0.0.1:4222: {} the end of the error",
        "a long server error ".repeat(6)
    );
    st.flash(FlashLevel::Info, "lane a restarted");
    st.flash(FlashLevel::Error, &long);
    let screen = draw(&st, &km(), &FakeScreens::default());
    let status = screen.lines().last().unwrap();
    assert!(status.ends_with("(M: whole)"), "{status}");
    assert!(!screen.contains("the end of the error"), "{screen}");

    run_keys(&mut st, &km(), "M");
    assert_eq!(st.mode, Mode::Messages);
    let screen = draw(&st, &km(), &FakeScreens::default());
    // Rows of the overlay between its borders, joined: both messages, the long one whole.
    let text: String = screen
        .lines()
        .filter_map(|l| {
            l.split_once('│')
                .map(|(_, r)| r.trim_end_matches('│').trim())
        })
        .collect::<Vec<_>>()
        .join(" ");
    let restarted = text.find("lane a restarted").expect(&screen);
    let end = text.find("the end of the error").expect(&screen);
    assert!(restarted < end, "newest last: {text}");
    // j/k and the page keys scroll it; any other key closes it.
    run_keys(&mut st, &km(), "j");
    assert_eq!(st.mode, Mode::Messages);
    run_keys(&mut st, &km(), "x");
    assert_eq!(st.mode, Mode::Normal);

    // Many messages: it opens on the newest, and scrolls back to the oldest.
    for i in 0..60 {
        st.flash(FlashLevel::Info, &format!("message number {i}"));
    }
    run_keys(&mut st, &km(), "M");
    let screen = draw(&st, &km(), &FakeScreens::default());
    assert!(screen.contains("message number 59"), "{screen}");
    assert!(!screen.contains("message number 10 "), "{screen}");
    run_keys(&mut st, &km(), "g");
    let screen = draw(&st, &km(), &FakeScreens::default());
    assert!(screen.contains("lane a restarted"), "{screen}");
    assert!(!screen.contains("message number 59"), "{screen}");
}

/// A key for a command that needs a lane, with the filter showing none, says why instead of
/// doing nothing.
#[test]
fn lane_keys_with_no_lane_shown_say_so() {
    for key in ["a", "e", "R", "S", "s", "d"] {
        let (mut st, _) = state_with(&["a"], (100, 30));
        run_keys(&mut st, &km(), "/qqq<enter>");
        run_keys(&mut st, &km(), key);
        let flash = st
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        assert!(
            flash.starts_with("no lane selected: the filter /qqq shows none"),
            "{key}: {flash:?}"
        );
        assert_eq!(st.mode, Mode::Normal, "{key}");
    }
}

/// Enter on a par lane whose tmux session is gone says how to bring it back instead of
/// focusing a lane every key would fail in.
#[test]
fn enter_on_a_lane_whose_session_is_gone_says_how_to_bring_it_back() {
    let (mut st, _) = state_with(&["gone"], (100, 30));
    let lane = st.lane_mut(&LaneId::new("gone")).unwrap();
    lane.info.session_alive = false;
    lane.status = helios::app::state::LaneStatus::Missing;
    run_keys(&mut st, &km(), "<enter>");
    assert_eq!(st.mode, Mode::Normal);
    assert!(st.focused.is_none());
    let flash = st.flash.clone().unwrap();
    assert_eq!(flash.level, FlashLevel::Error);
    assert!(
        flash.text.contains("`par open gone` makes it again"),
        "{flash:?}"
    );
}

/// `:lane send all ""` (or only blanks) is refused with the reason `helios lane send all -- ""`
/// gives (`model::lane::send_all_refusal`), not the usage line: Enter in every lane would
/// answer each waiting prompt with its default. Nothing is sent, and the palette stays open.
#[test]
fn palette_send_all_with_no_text_says_why_as_the_cli_does() {
    let why = helios::model::lane::send_all_refusal("").unwrap();
    for text in ["\"\"", "'  '"] {
        let (mut st, _) = state_with(&["a", "b"], (100, 30));
        let fx = run_keys(&mut st, &km(), &format!(":lane send all {text}<enter>"));
        assert!(fx.is_empty(), "{fx:?}");
        let flash = st.flash.clone().unwrap();
        assert_eq!(flash.level, FlashLevel::Error);
        assert_eq!(flash.text, format!("lane send all refused: {why}"));
        assert!(
            matches!(&st.mode, Mode::Prompt(p) if p.error.as_deref() == Some(flash.text.as_str())),
            "{:?}",
            st.mode
        );
    }
    // With no text word at all it is the usage line still.
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), ":lane send all<enter>");
    assert!(st.flash.unwrap().text.starts_with("usage: lane send"));
}
