//! A lane's screen: the notices it catches, its bounds (scrollback, tiny sizes, huge counts), a
//! cut wide character and a parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn bell_and_osc_notifications_are_caught() {
    let s = LaneScreen::new(5, 40, 100);
    assert_eq!(s.feed(b"hello"), Notices::default());
    assert!(s.feed(b"ding\x07").bell);
    assert_eq!(
        s.feed(b"\x1b]9;build done\x07").notify.as_deref(),
        Some("build done")
    );
    assert_eq!(
        s.feed(b"\x1b]777;notify;Claude;needs input\x1b\\")
            .notify
            .as_deref(),
        Some("Claude: needs input")
    );
    // ConEmu progress (OSC 9;4) is not a notification, and the OSC's BEL is not a bell.
    assert_eq!(
        s.feed(b"\x1b]9;4;1;50\x07"),
        Notices {
            progress: Some(Some(Progress::Percent(50))),
            ..Notices::default()
        }
    );
    assert_eq!(s.feed(b"\x1b]9;4;0\x07").progress, Some(None));
    assert_eq!(
        s.feed(b"\x1b]9;4;3\x07").progress,
        Some(Some(Progress::Indeterminate))
    );
    assert_eq!(
        s.feed(b"\x1b]9;4;2;250\x07").progress,
        Some(Some(Progress::Error(100)))
    );
    assert_eq!(
        s.feed(b"\x1b]9;4;4;7\x1b\\").progress,
        Some(Some(Progress::Paused(7)))
    );
    assert_eq!(s.feed(b"\x1b]9;4;9\x07").progress, None);
    assert!(s.contents().contains("hello"));
}

#[test]
fn title_and_clipboard_are_caught() {
    let s = LaneScreen::new(5, 40, 0);
    assert_eq!(s.title(), None);
    let _ = s.feed(b"\x1b]2;build \xe2\x80\xae\x07");
    assert_eq!(s.title().as_deref(), Some("build \u{202e}"));
    let _ = s.feed(b"\x1b]0;two\x1b\\");
    assert_eq!(s.title().as_deref(), Some("two"));
    let n = s.feed(b"\x1b]52;c;c2VjcmV0\x07");
    assert_eq!(n.clipboard.as_deref(), Some("secret"));
    // A request to read the clipboard is never answered.
    let n = s.feed(b"\x1b]52;c;?\x07");
    assert_eq!((n.clipboard, n.replies), (None, Vec::new()));
}

#[test]
fn pending_flag_merges_notices() {
    let s = LaneScreen::new(5, 40, 0);
    assert!(!s.mark_pending());
    assert!(s.mark_pending());
    s.clear_pending();
    assert!(!s.mark_pending());
}

#[test]
fn tail_at_cursor_skips_blank_lines() {
    let s = LaneScreen::new(6, 40, 0);
    s.feed(b"one\r\n\r\ntwo\r\nDo you want to proceed?\r\n\r\n> ");
    assert_eq!(s.tail_at_cursor(3), ["two", "Do you want to proceed?", ">"]);
}

#[test]
fn scrollback_is_capped() {
    let s = LaneScreen::new(2, 10, 3);
    for i in 0..20 {
        s.feed(format!("{i}\r\n").as_bytes());
    }
    s.set_scroll(100);
    assert_eq!(s.with(Screen::scrollback), 3);
}

/// Fuzz finds (tests/fuzz, `lane_screen` and `tmux_control`): vt100 0.16 panicked on these.
#[test]
fn tiny_screens_do_not_panic() {
    // Text wrapping on a one-row screen (tmux reported a pane of 2x1).
    let s = LaneScreen::new(1, 2, 0);
    let _ = s.feed(b"\\0 and more");
    assert_eq!(s.size(), (2, 2));
    // A wide character on a one-column screen, also after a resize.
    let s = LaneScreen::new(24, 80, 0);
    s.set_size(3, 1);
    let _ = s.feed("\u{65e5}\u{672c}".as_bytes());
    s.set_size(0, 0);
    let _ = s.feed("\u{65e5}x\r\n\u{672c}".as_bytes());
    assert!(!s.contents().is_empty());
}

/// Fuzz find (`lane_screen`): `ESC [ 65535 @` took about 0.8 s in vt100; capped, it draws
/// the same as a count of the screen's width.
#[test]
fn huge_insert_counts_are_cheap() {
    let s = LaneScreen::new(4, 10, 0);
    let t = std::time::Instant::now();
    for _ in 0..50 {
        let _ = s.feed(b"ab\x1b[1;2H\x1b[65535@\x1b[65535L\x1b[65535T");
    }
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    let _ = s.feed(b"\x1b[Hxy\x1b[1;2H\x1b[65535@");
    assert_eq!(s.contents(), "x");
}

/// Fuzz find (`lane_screen`): vt100 0.16 panicked drawing where a resize cut a wide
/// character; 0.18 draws it.
#[test]
fn a_cut_wide_character_is_drawn_over() {
    let s = LaneScreen::new(2, 4, 10);
    let _ = s.feed("ab\u{65e5}".as_bytes());
    s.set_size(2, 3);
    let _ = s.feed(b"\x1b[1;3Hx");
    assert_eq!(s.size(), (2, 3));
    assert!(s.feed(b"ok\x07").bell);
    assert_eq!(s.contents(), "abxok");
}

/// A panic inside the parser is contained: the lane's screen starts over instead of the
/// lane's reader (and, through the panic hook, the console) ending.
#[test]
fn a_parser_panic_resets_the_lane_instead_of_ending_it() {
    let s = LaneScreen::new(2, 4, 10);
    assert_eq!(s.feed(b"abc\r\nde"), Notices::default());
    let drawn = s.version();
    let seen = s.lock().guarded(|_| -> bool {
        assert!(panic_is_contained());
        panic!("a panic in the parser")
    });
    assert!(!seen);
    assert!(!panic_is_contained());
    assert_eq!(s.size(), (2, 4));
    assert_eq!(s.feed(b"ok"), Notices::default());
    // Every row of the screen started over differs from what was drawn before.
    assert_eq!(s.with_changes(drawn, |_, _, rows| rows), Rows::All);
    assert!(s.feed(b"\x07").bell);
    assert_eq!(s.contents(), "ok");
}
