//! Answers to the terminal queries a program sends: the status and cursor reports, the device
//! attributes, the version, mode reports (DECRQM) and the colour queries (OSC 10/11/12).
//!
//! A helios-owned lane has no terminal but helios, so helios answers, as tmux does for its
//! panes; programs wait for these answers (crossterm's `cursor::position()` gives up after 2 s,
//! vttest stalls). The set follows tmux 3.3a where tmux answers (DSR 5, CPR, DA1) and xterm
//! where tmux does not (DECXCPR, DECRQM, the colours). DA2 and XTVERSION name helios, not tmux.
//! The kitty keyboard query (`CSI ? u`) gets no answer: helios sends keys the xterm way only,
//! and a terminal without the kitty protocol stays silent there (programs see DA1 first).

use crate::pty::vt::{MouseProtocolEncoding, MouseProtocolMode, Screen};

/// The colours a lane's program is told its terminal has (OSC 10, 11 and 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryColors {
    /// Text (OSC 10).
    pub fg: (u8, u8, u8),
    /// Background (OSC 11).
    pub bg: (u8, u8, u8),
    /// Cursor (OSC 12).
    pub cursor: (u8, u8, u8),
}

impl Default for QueryColors {
    /// Light grey on black: what the dark shipped themes are drawn over.
    fn default() -> Self {
        Self {
            fg: (0xd0, 0xd0, 0xd0),
            bg: (0, 0, 0),
            cursor: (0xd0, 0xd0, 0xd0),
        }
    }
}

impl QueryColors {
    /// Black on white, for light themes.
    pub fn light() -> Self {
        Self {
            fg: (0, 0, 0),
            bg: (0xff, 0xff, 0xff),
            cursor: (0, 0, 0),
        }
    }

    /// From a theme's plain-text style: its own colours where it sets them, else `light` or
    /// dark defaults (a theme that leaves the text alone shows the terminal's own colours,
    /// which helios does not ask its terminal for).
    pub fn from_theme(theme: &crate::config::theme::Theme, light: bool) -> Self {
        let base = if light {
            Self::light()
        } else {
            Self::default()
        };
        let fg = theme.text.fg.and_then(rgb).unwrap_or(base.fg);
        Self {
            fg,
            bg: theme.text.bg.and_then(rgb).unwrap_or(base.bg),
            cursor: fg,
        }
    }
}

/// A ratatui colour as xterm shows it by default; `None` for the terminal's own default.
fn rgb(c: ratatui::style::Color) -> Option<(u8, u8, u8)> {
    use ratatui::style::Color;
    let index = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    Some(xterm_palette(index))
}

/// xterm's default 256-colour palette.
fn xterm_palette(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (0xcd, 0, 0),
        (0, 0xcd, 0),
        (0xcd, 0xcd, 0),
        (0, 0, 0xee),
        (0xcd, 0, 0xcd),
        (0, 0xcd, 0xcd),
        (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f),
        (0xff, 0, 0),
        (0, 0xff, 0),
        (0xff, 0xff, 0),
        (0x5c, 0x5c, 0xff),
        (0xff, 0, 0xff),
        (0, 0xff, 0xff),
        (0xff, 0xff, 0xff),
    ];
    match i {
        0..=15 => BASE[usize::from(i)],
        16..=231 => {
            let level = |n: u8| if n == 0 { 0 } else { 55 + 40 * n };
            let n = i - 16;
            (level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// Modes helios keeps beside the screen model (vt100 does not track them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtraModes {
    /// Synchronized output (mode 2026) is on.
    pub synchronized: bool,
    /// Autowrap (DECAWM, mode 7) is off.
    pub no_wrap: bool,
}

/// The first value of the `n`th parameter (0 when absent, as terminals default it).
fn param(params: &[&[u16]], n: usize) -> u16 {
    params.get(n).and_then(|p| p.first()).copied().unwrap_or(0)
}

/// The answer to a CSI sequence vt100 left unhandled, if it is a query helios answers.
/// `i1`/`i2` are the private marker and intermediate bytes as vt100 passes them.
pub fn csi(
    screen: &Screen,
    extra: ExtraModes,
    i1: Option<u8>,
    i2: Option<u8>,
    params: &[&[u16]],
    c: char,
) -> Option<Vec<u8>> {
    let p0 = param(params, 0);
    let reply = match (i1, i2, c) {
        // DSR: status report, "OK".
        (None, None, 'n') if p0 == 5 => "\x1b[0n".to_string(),
        // CPR, and DEC's extended CPR (page 1).
        (None, None, 'n') if p0 == 6 => {
            let (row, col) = cursor(screen);
            format!("\x1b[{row};{col}R")
        }
        (Some(b'?'), None, 'n') if p0 == 6 => {
            let (row, col) = cursor(screen);
            format!("\x1b[?{row};{col};1R")
        }
        // DA1 as tmux 3.3a answers: a VT100 with advanced video.
        (None, None, 'c') if p0 == 0 => "\x1b[?1;2c".to_string(),
        // DA2: a VT100-class terminal, version 0 (claims nothing a program would act on).
        (Some(b'>'), None, 'c') if p0 == 0 => "\x1b[>0;0;0c".to_string(),
        // XTVERSION.
        (Some(b'>'), None, 'q') if p0 == 0 => {
            format!("\x1bP>|helios {}\x1b\\", env!("CARGO_PKG_VERSION"))
        }
        // DECRQM for DEC private modes, and for ANSI modes (none of which helios changes).
        (Some(b'?'), Some(b'$'), 'p') => {
            format!("\x1b[?{p0};{}$y", dec_mode(screen, extra, p0))
        }
        (Some(b'$'), None, 'p') => format!("\x1b[{p0};0$y"),
        _ => return None,
    };
    Some(reply.into_bytes())
}

/// The cursor as a 1-based (row, column); a cursor waiting to wrap is in the last column.
fn cursor(screen: &Screen) -> (u16, u16) {
    let (row, col) = screen.cursor_position();
    let (_, cols) = screen.size();
    (row + 1, col.min(cols.get() - 1) + 1)
}

/// DECRPM's state of a DEC private mode: 1 set, 2 reset, 0 a mode helios does not implement.
fn dec_mode(screen: &Screen, extra: ExtraModes, mode: u16) -> u8 {
    let state = |on: bool| if on { 1 } else { 2 };
    let mouse = |m: MouseProtocolMode| state(screen.mouse_protocol_mode() == m);
    let encoding = |e: MouseProtocolEncoding| state(screen.mouse_protocol_encoding() == e);
    match mode {
        1 => state(screen.application_cursor()),
        7 => state(!extra.no_wrap),
        25 => state(!screen.hide_cursor()),
        47 | 1049 => state(screen.alternate_screen()),
        9 => mouse(MouseProtocolMode::Press),
        1000 => mouse(MouseProtocolMode::PressRelease),
        1002 => mouse(MouseProtocolMode::ButtonMotion),
        1003 => mouse(MouseProtocolMode::AnyMotion),
        1005 => encoding(MouseProtocolEncoding::Utf8),
        1006 => encoding(MouseProtocolEncoding::Sgr),
        2004 => state(screen.bracketed_paste()),
        2026 => state(extra.synchronized),
        _ => 0,
    }
}

/// The answer to an OSC sequence, if it is a colour query helios answers: `OSC 10 ; ?`
/// (text), `11` (background), `12` (cursor), and xterm's chained form `OSC 10 ; ? ; ?`.
pub fn osc(colors: &QueryColors, params: &[&[u8]]) -> Option<Vec<u8>> {
    let (first, rest) = params.split_first()?;
    let first: u8 = match *first {
        b"10" => 10,
        b"11" => 11,
        b"12" => 12,
        _ => return None,
    };
    let mut out = Vec::new();
    for (n, p) in (first..=12).zip(rest) {
        if *p != b"?" {
            continue;
        }
        let (r, g, b) = match n {
            10 => colors.fg,
            11 => colors.bg,
            _ => colors.cursor,
        };
        // xterm's form: 16 bits a channel, the byte repeated.
        out.extend_from_slice(
            format!("\x1b]{n};rgb:{r:02x}{r:02x}/{g:02x}{g:02x}/{b:02x}{b:02x}\x1b\\").as_bytes(),
        );
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::pty::vt::Parser;

    fn parser(rows: u16, cols: u16) -> Parser {
        let n = |v| std::num::NonZeroU16::new(v).unwrap();
        Parser::new(n(rows), n(cols), 0)
    }

    fn ask(parser: &Parser, i1: Option<u8>, i2: Option<u8>, params: &[&[u16]], c: char) -> String {
        let reply = csi(parser.screen(), ExtraModes::default(), i1, i2, params, c);
        String::from_utf8(reply.unwrap_or_default()).unwrap()
    }

    #[test]
    fn reports_follow_the_screen() {
        let mut p = parser(5, 10);
        p.process(b"\x1b[3;4Hx");
        assert_eq!(ask(&p, None, None, &[&[5]], 'n'), "\x1b[0n");
        assert_eq!(ask(&p, None, None, &[&[6]], 'n'), "\x1b[3;5R");
        assert_eq!(ask(&p, Some(b'?'), None, &[&[6]], 'n'), "\x1b[?3;5;1R");
        // A cursor waiting to wrap reports the last column, as xterm and tmux do.
        p.process(b"\x1b[1;8Habc");
        assert_eq!(ask(&p, None, None, &[&[6]], 'n'), "\x1b[1;10R");
        assert_eq!(ask(&p, None, None, &[], 'c'), "\x1b[?1;2c");
        assert_eq!(ask(&p, None, None, &[&[0]], 'c'), "\x1b[?1;2c");
        assert_eq!(ask(&p, Some(b'>'), None, &[], 'c'), "\x1b[>0;0;0c");
        assert!(ask(&p, Some(b'>'), None, &[], 'q').starts_with("\x1bP>|helios "));
        // Not queries: no answer.
        assert_eq!(ask(&p, None, None, &[&[1]], 'c'), "");
        assert_eq!(ask(&p, Some(b'?'), None, &[], 'u'), "");
    }

    #[test]
    fn decrqm_reports_the_modes_helios_implements() {
        let mut p = parser(5, 10);
        let mode = |p: &Parser, m: u16| ask(p, Some(b'?'), Some(b'$'), &[&[m]], 'p');
        assert_eq!(mode(&p, 2004), "\x1b[?2004;2$y");
        assert_eq!(mode(&p, 1049), "\x1b[?1049;2$y");
        p.process(b"\x1b[?2004h\x1b[?1049h\x1b[?1000h\x1b[?1006h");
        assert_eq!(mode(&p, 2004), "\x1b[?2004;1$y");
        assert_eq!(mode(&p, 1049), "\x1b[?1049;1$y");
        assert_eq!(mode(&p, 1000), "\x1b[?1000;1$y");
        assert_eq!(mode(&p, 1006), "\x1b[?1006;1$y");
        assert_eq!(mode(&p, 2026), "\x1b[?2026;2$y");
        assert_eq!(mode(&p, 7), "\x1b[?7;1$y");
        let sync = ExtraModes {
            synchronized: true,
            no_wrap: false,
        };
        let reply = csi(p.screen(), sync, Some(b'?'), Some(b'$'), &[&[2026]], 'p');
        assert_eq!(reply.unwrap(), b"\x1b[?2026;1$y");
        assert_eq!(mode(&p, 12345), "\x1b[?12345;0$y");
        assert_eq!(ask(&p, Some(b'$'), None, &[&[4]], 'p'), "\x1b[4;0$y");
    }

    #[test]
    fn colour_queries_answer_from_the_theme() {
        let c = QueryColors::light();
        assert_eq!(
            osc(&c, &[b"11", b"?"]).unwrap(),
            b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\"
        );
        assert_eq!(
            osc(&c, &[b"10", b"?", b"?"]).unwrap(),
            b"\x1b]10;rgb:0000/0000/0000\x1b\\\x1b]11;rgb:ffff/ffff/ffff\x1b\\"
        );
        // Setting a colour is not a query.
        assert_eq!(osc(&c, &[b"11", b"#000000"]), None);
        assert_eq!(osc(&c, &[b"4", b"1", b"?"]), None);
        let mut theme = crate::config::theme::Theme::default();
        theme.text = theme
            .text
            .fg(ratatui::style::Color::Rgb(1, 2, 3))
            .bg(ratatui::style::Color::Indexed(232));
        let c = QueryColors::from_theme(&theme, false);
        assert_eq!((c.fg, c.bg, c.cursor), ((1, 2, 3), (8, 8, 8), (1, 2, 3)));
    }
}
