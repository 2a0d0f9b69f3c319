//! Names and text from outside never reach the user's terminal as control sequences: worktree
//! names holding OSC 52, OSC 2, `CSI 2J` and bidi overrides, and journalled events with such
//! fields, printed by the built binary; and the console draws such labels without shifting
//! its columns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;
mod support;

use std::process::Output;

use fixture::{FakeScreens, state_with};
use helios::app::keymap::Keymap;
use helios::config::theme::Theme;
use helios::store::sqlite::SqliteStore;
use helios::store::{AuditEvent, EventStore};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::World;

/// Sets the clipboard, retitles the window, clears the screen, reverses the line, and joins
/// an emoji whose width terminals disagree on.
const HOSTILE: &str =
    "x\x1b]52;c;aGVsbG8=\x07-\x1b]2;pwned\x07-\x1b[2J-\u{202e}evil-\u{9b}31m-👩\u{200d}💻";

/// A character a terminal acts on, or one that reorders the line.
fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn assert_inert(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{what} {stream} holds ESC: {bytes:?}"
        );
        let text = String::from_utf8_lossy(bytes);
        let bad: Vec<char> = text.chars().filter(|&c| dangerous(c)).collect();
        assert!(bad.is_empty(), "{what} {stream} holds {bad:?}:\n{text}");
    }
}

fn world_with_hostile_worktree() -> World {
    let w = World::new("inj");
    let dir = w.path(HOSTILE);
    w.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feat-\u{202e}-👩\u{200d}💻",
        dir.to_str().unwrap(),
    ]);
    w
}

#[test]
fn lane_ls_prints_hostile_names_escaped_and_aligned() {
    let w = world_with_hostile_worktree();
    let out = w.helios().args(["lane", "ls"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_inert("lane ls", &out);
    let text = String::from_utf8_lossy(&out.stdout);
    // Still there, readable: the escapes name what was in the name.
    assert!(text.contains("\\x1b]52;c;aGVsbG8=\\x07"), "{text}");
    assert!(text.contains("\\u{202e}evil"), "{text}");
    assert!(
        text.contains("👩\u{200d}💻"),
        "the emoji is kept for copying: {text}"
    );
    // The TMUX column starts at the same display column on every line (`none`: a plain
    // worktree has no tmux session).
    let cols: Vec<usize> = text
        .lines()
        .map(|l| {
            let at = l
                .find("TMUX")
                .or_else(|| l.find("  none  ").map(|i| i + 2))
                .unwrap();
            helios::text::width(&l[..at])
        })
        .collect();
    assert!(cols.windows(2).all(|p| p[0] == p[1]), "{cols:?}\n{text}");

    // The JSON form stays JSON: serde escapes C0 controls itself.
    let out = w.helios().args(["lane", "ls", "--json"]).output().unwrap();
    assert!(!out.stdout.contains(&0x1b));
}

#[test]
fn errors_naming_a_hostile_lane_are_escaped() {
    let w = world_with_hostile_worktree();
    for args in [
        vec!["lane", "rm", HOSTILE],
        vec!["lane", "attach", HOSTILE],
        vec!["share", "start", HOSTILE],
    ] {
        let out = w.helios().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert_inert(&format!("{args:?}"), &out);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
    let out = w
        .helios()
        .args(["--keymap", &format!("{HOSTILE}.toml"), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_inert("config check", &out);
}

#[test]
fn events_prints_hostile_fields_escaped() {
    let w = world_with_hostile_worktree();
    let mut store = SqliteStore::open(&w.path("state/helios/helios.db")).unwrap();
    store
        .append(&AuditEvent::new(
            HOSTILE,
            HOSTILE,
            HOSTILE,
            Some(HOSTILE),
            false,
            serde_json::json!({ "error": HOSTILE, "\u{202e}": "\u{85}" }),
        ))
        .unwrap();
    store
        .append(&AuditEvent::new(
            "me@host",
            "inj",
            "lane.created",
            Some("plain"),
            true,
            serde_json::json!({}),
        ))
        .unwrap();
    // Every repo's events: the hostile repo name is printed too, in the REPO column.
    let out = w.helios().args(["events", "--all"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_inert("events", &out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 3, "a header and two rows: {text}");
    assert!(text.contains("\\x1b]2;pwned\\x07"), "{text}");

    let out = w
        .helios()
        .args(["events", "--since", "12026y"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage error, not a panic: {out:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--since \"12026y\""), "{err}");
}

/// Draw the console into a TestBackend and return its buffer.
fn buffer(labels: &[&str], selected: usize) -> ratatui::buffer::Buffer {
    let (mut st, _) = state_with(labels, (100, 20));
    st.selected = Some(st.lanes[selected].id().clone());
    let screens = FakeScreens::default();
    let keymap = Keymap::load("default").unwrap();
    let mut term = Terminal::new(TestBackend::new(100, 20)).unwrap();
    term.draw(|f| helios::ui::render_with_keymap(f, &st, &Theme::default(), &keymap, &screens))
        .unwrap();
    term.backend().buffer().clone()
}

#[test]
fn console_labels_with_joiners_and_bidi_keep_their_columns() {
    let labels = [
        "plain",
        "👩\u{200d}💻-dev",
        "\u{202e}evil",
        "a\x1b]2;pwned\x07b",
        "❤\u{fe0f}x",
        "👍🏽ok",
    ];
    for selected in 0..labels.len() {
        let buf = buffer(&labels, selected);
        for cell in &buf.content {
            let s = cell.symbol();
            assert!(
                !s.chars().any(|c| dangerous(c)
                    || matches!(c, '\u{200d}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}')),
                "a cell holds {s:?}"
            );
        }
        // Each lane's first line ends in its kind (`tmux`) at the same column, and the list's
        // right border is straight: cells, not characters, so wide glyphs count as two.
        let sym = |x: u16, y: u16| buf[(x, y)].symbol().to_string();
        let kind_x: Vec<u16> = (0..buf.area.height)
            .filter_map(|y| {
                (0..buf.area.width - 3)
                    .find(|&x| (0..4).map(|i| sym(x + i, y)).collect::<String>() == "tmux")
            })
            .collect();
        assert_eq!(kind_x.len(), labels.len(), "{kind_x:?}");
        assert!(kind_x.windows(2).all(|p| p[0] == p[1]), "{kind_x:?}");
        let border = helios::ui::list_width(100) - 1;
        for y in 1..=(labels.len() as u16 * 2) {
            assert_eq!(sym(border, y), "│", "row {y}");
        }
    }
}
