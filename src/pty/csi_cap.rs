//! The filter in front of every lane's parser: caps the counts vt100 repeats without bound, and
//! hands the sequences vt100 does not implement to [`fixups`](crate::pty::fixups).
//!
//! Counts: vt100 runs `CSI n @` (insert characters) as n single inserts into a row that grows to
//! n cells, so eight bytes of lane output, `ESC [ 65535 @`, held the lane's screen lock for
//! about 0.8 s in a release build (found by the `lane_screen` fuzz target); `CSI n L` (insert
//! lines) and `CSI n T` (scroll down) loop n times too, allocating a row each time. A count at
//! least the screen's size has the same effect as any larger one, so a count above
//! `max(rows, cols)` is replaced by that: the sequence's final byte becomes CAN (which makes the
//! parser drop the sequence, as a terminal does) followed by `ESC [ cap FINAL`.
//!
//! Strings: vte keeps an OSC's body in a `Vec` that grows as long as the string does, so a lane
//! that prints `ESC ]` and then never ends the string would grow helios's memory without bound.
//! A string (OSC, DCS, SOS, PM, APC) longer than [`STRING_MAX`] is cancelled for the parser
//! (CAN) and the rest of its body, with its BEL, is dropped, as a terminal drops what it will
//! not keep.
//!
//! Missing sequences: vt100 0.18 has no IND, NEL, DECALN, tab stops (HTS, TBC, CHT, CBT) nor
//! DECAWM, and its callbacks cannot move the cursor or draw (`Screen` has no public way to), so
//! they are taken out of the stream here (final byte replaced by CAN, like a capped count) and
//! reported as a [`Fix`] at that point of the stream; the lane's screen carries it out with the
//! screen's state of that moment (see `fixups.rs`).
//!
//! The scanner follows vte 0.15's CSI states (what vt100 parses with), so a sequence split
//! across reads, or with controls, DEL or bytes above 0x7F inside it, is still seen.

use crate::pty::fixups::Fix;

/// The longest string body passed to the parser: an OSC 52 copy of a large selection fits.
pub(crate) const STRING_MAX: usize = 1 << 20;

/// Cancel: the parser drops the sequence in progress.
const CAN: u8 = 0x18;
/// Substitute: cancels like CAN.
const SUB: u8 = 0x1a;
const ESC: u8 = 0x1b;
const HT: u8 = 0x09;
const BEL: u8 = 0x07;

/// Where the scanner is, as far as CSI sequences are concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    /// Text, or an escape this filter does not care about.
    #[default]
    Other,
    /// In a string: OSC, DCS, SOS, PM or APC, up to its ST (or BEL).
    String,
    /// In a string that grew past [`STRING_MAX`]: cancelled for the parser, its body dropped.
    Skip,
    /// After ESC.
    Escape,
    /// After ESC and an intermediate byte (`ESC (`): `[` is not CSI there. `hash`: the one
    /// intermediate so far is `#` (DECALN is `ESC # 8`).
    EscapeIntermediate { hash: bool },
    /// Right after `ESC [`.
    Entry,
    /// In a CSI's parameters.
    Param(Params),
    /// In a CSI after an intermediate byte: dispatched, but not as one this filter cares about.
    Intermediate,
    /// A malformed CSI that vte drops at its final byte.
    Ignore,
}

/// What the scanner keeps of a CSI's parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Params {
    /// The first parameter's value so far (saturating, as vte counts).
    first: u16,
    /// A `;` or `:` ended the first parameter.
    first_done: bool,
    /// The value of the parameter being read.
    current: u16,
    /// A parameter (ended or current) is 7: DECAWM, in `CSI ? 7 h`.
    seven: bool,
    /// The private marker that came first (`?`, `>`...), if any.
    private: Option<u8>,
}

impl Params {
    fn digit(mut self, d: u8) -> Self {
        let d = u16::from(d - b'0');
        self.current = self.current.saturating_mul(10).saturating_add(d);
        if !self.first_done {
            self.first = self.current;
        }
        self
    }

    fn separator(mut self) -> Self {
        self.seven |= self.current == 7;
        self.current = 0;
        self.first_done = true;
        self
    }

    fn has_seven(self) -> bool {
        self.seven || self.current == 7
    }
}

/// What the filter gives the parser, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Bytes to parse.
    Bytes(&'a [u8]),
    /// Something to carry out with the screen's state at this point.
    Fix(Fix),
}

/// The scanner's state across reads of one lane.
#[derive(Debug, Default)]
pub(crate) struct CsiCap {
    state: State,
    /// The body of the string in progress so far, in bytes.
    string_len: usize,
    /// Every HT goes through [`Fix::Tab`]: the tab stops are not vt100's every 8 columns.
    pub(crate) custom_tabs: bool,
    /// Autowrap is off (DECAWM reset): every printed character is preceded by [`Fix::Print`].
    pub(crate) no_wrap: bool,
}

impl CsiCap {
    /// Whether the next byte is read as text, printed as vt100 prints it: no sequence or
    /// string in progress, autowrap on, no tab stops of the program's own.
    pub(crate) fn in_text(&self) -> bool {
        self.state == State::Other && !self.no_wrap && !self.custom_tabs
    }

    /// Give `sink` the pieces to feed for `bytes`, counts capped at `cap`: one piece of the
    /// bytes unchanged unless a count was capped or a sequence is carried out by a [`Fix`].
    pub(crate) fn filter(&mut self, bytes: &[u8], cap: u16, sink: &mut dyn FnMut(Piece<'_>)) {
        let mut copied = 0;
        let mut i = 0;
        let mut capped = Vec::new();
        while i < bytes.len() {
            match self.state {
                // In a string (OSC, DCS...) only its end matters; nothing in it is printed.
                State::String | State::Skip => {
                    let found = bytes[i..]
                        .iter()
                        .position(|&b| matches!(b, ESC | BEL | CAN | SUB));
                    let n = found.unwrap_or(bytes.len() - i);
                    if self.state == State::String {
                        self.string_len = self.string_len.saturating_add(n);
                        if self.string_len > STRING_MAX {
                            sink(Piece::Bytes(&bytes[copied..i]));
                            sink(Piece::Bytes(&[CAN]));
                            self.state = State::Skip;
                        }
                    }
                    if self.state == State::Skip {
                        copied = i + n;
                    }
                    let Some(n) = found else { break };
                    i += n;
                    if bytes[i] != ESC {
                        // A skipped string's BEL would ring: it goes with the body.
                        if self.state == State::Skip {
                            copied = i + 1;
                        }
                        self.state = State::Other;
                        i += 1;
                        continue;
                    }
                }
                // In text only ESC matters (and HT with tab stops of the program's own): skip
                // text in one scan.
                State::Other if !self.no_wrap => {
                    let next = if self.custom_tabs {
                        bytes[i..].iter().position(|&b| b == ESC || b == HT)
                    } else {
                        bytes[i..].iter().position(|&b| b == ESC)
                    };
                    match next {
                        Some(n) => i += n,
                        None => break,
                    }
                }
                _ => {}
            }
            let b = bytes[i];
            if self.state == State::Other && b != ESC {
                if b == HT && self.custom_tabs {
                    sink(Piece::Bytes(&bytes[copied..i]));
                    sink(Piece::Fix(Fix::Tab(1)));
                    copied = i + 1;
                } else if self.no_wrap && b >= 0x20 && b != 0x7f && !(0x80..0xc0).contains(&b) {
                    // The first byte of a printed character (not a UTF-8 continuation).
                    sink(Piece::Bytes(&bytes[copied..i]));
                    sink(Piece::Fix(Fix::Print));
                    copied = i;
                }
                i += 1;
                continue;
            }
            match self.step(b, cap) {
                Step::Pass => {}
                Step::Cap(final_byte) => {
                    sink(Piece::Bytes(&bytes[copied..i]));
                    capped.clear();
                    capped.push(CAN);
                    capped.extend_from_slice(format!("\x1b[{cap}").as_bytes());
                    capped.push(final_byte);
                    sink(Piece::Bytes(&capped));
                    copied = i + 1;
                }
                Step::Replace(fix) => {
                    sink(Piece::Bytes(&bytes[copied..i]));
                    sink(Piece::Bytes(&[CAN]));
                    sink(Piece::Fix(fix));
                    self.note(fix);
                    copied = i + 1;
                }
                Step::After(fix) => {
                    sink(Piece::Bytes(&bytes[copied..=i]));
                    sink(Piece::Fix(fix));
                    self.note(fix);
                    copied = i + 1;
                }
            }
            i += 1;
        }
        if copied < bytes.len() {
            sink(Piece::Bytes(&bytes[copied..]));
        }
    }

    /// Follow what a fix changes in how text must be split.
    fn note(&mut self, fix: Fix) {
        match fix {
            Fix::SetTab | Fix::ClearTab(_) => self.custom_tabs = true,
            Fix::Autowrap(on) => self.no_wrap = !on,
            Fix::Reset => {
                self.custom_tabs = false;
                self.no_wrap = false;
            }
            _ => {}
        }
    }

    /// Advance over one byte of an escape sequence (or ESC itself).
    fn step(&mut self, b: u8, cap: u16) -> Step {
        // CAN, SUB and ESC act the same in every state (vte's "anywhere").
        match b {
            CAN | SUB => {
                self.state = State::Other;
                return Step::Pass;
            }
            ESC => {
                self.state = State::Escape;
                return Step::Pass;
            }
            _ => {}
        }
        let executed = b < 0x20;
        let ignored = b >= 0x7f;
        let mut step = Step::Pass;
        self.state = match self.state {
            State::Other => State::Other,
            State::String => State::String,
            State::Skip => State::Skip,
            s if executed || ignored => s,
            State::Escape => match b {
                b'[' => State::Entry,
                b']' | b'P' | b'X' | b'^' | b'_' => {
                    self.string_len = 0;
                    State::String
                }
                b'#' => State::EscapeIntermediate { hash: true },
                0x20..=0x2f => State::EscapeIntermediate { hash: false },
                _ => {
                    step = match b {
                        b'D' => Step::Replace(Fix::Index),
                        b'E' => Step::Replace(Fix::NextLine),
                        b'H' => Step::Replace(Fix::SetTab),
                        b'c' => Step::After(Fix::Reset),
                        _ => Step::Pass,
                    };
                    State::Other
                }
            },
            State::EscapeIntermediate { .. } if (0x20..=0x2f).contains(&b) => {
                State::EscapeIntermediate { hash: false }
            }
            State::EscapeIntermediate { hash } => {
                if hash && b == b'8' {
                    step = Step::Replace(Fix::Align);
                }
                State::Other
            }
            State::Entry => match b {
                b'0'..=b'9' => State::Param(Params::default().digit(b)),
                b':' | b';' => State::Param(Params::default().separator()),
                0x3c..=0x3f => State::Param(Params {
                    private: Some(b),
                    ..Params::default()
                }),
                0x20..=0x2f => State::Intermediate,
                // A final byte with no parameters.
                _ => {
                    step = final_step(Params::default(), b, cap);
                    State::Other
                }
            },
            State::Param(p) => match b {
                b'0'..=b'9' => State::Param(p.digit(b)),
                b':' | b';' => State::Param(p.separator()),
                0x3c..=0x3f => State::Ignore,
                0x20..=0x2f => State::Intermediate,
                _ => {
                    step = final_step(p, b, cap);
                    State::Other
                }
            },
            State::Intermediate => match b {
                0x20..=0x2f => State::Intermediate,
                0x30..=0x3f => State::Ignore,
                _ => State::Other,
            },
            State::Ignore => match b {
                0x20..=0x3f => State::Ignore,
                _ => State::Other,
            },
        };
        step
    }
}

/// What to do at a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Nothing: it goes to the parser as it is.
    Pass,
    /// The final byte of a CSI whose count is capped.
    Cap(u8),
    /// The final byte of a sequence carried out by a fix instead.
    Replace(Fix),
    /// The final byte of a sequence the parser runs, with a fix after it.
    After(Fix),
}

/// The step at a CSI's final byte.
fn final_step(p: Params, b: u8, cap: u16) -> Step {
    let count = p.first.max(1);
    match (p.private, b) {
        (None, b'@' | b'L' | b'T') if p.first > cap => Step::Cap(b),
        (None, b'I') => Step::Replace(Fix::Tab(count)),
        (None, b'Z') => Step::Replace(Fix::BackTab(count)),
        (None, b'g') => Step::Replace(Fix::ClearTab(p.first)),
        (Some(b'?'), b'h' | b'l') if p.has_seven() => Step::After(Fix::Autowrap(b == b'h')),
        _ => Step::Pass,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// The filtered stream, each fix shown as `<Fix>`.
    fn run_with(cap: &mut CsiCap, chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in chunks {
            cap.filter(c, 80, &mut |p| match p {
                Piece::Bytes(b) => out.extend_from_slice(b),
                Piece::Fix(f) => out.extend_from_slice(format!("<{f:?}>").as_bytes()),
            });
        }
        out
    }

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        run_with(&mut CsiCap::default(), chunks)
    }

    /// An unterminated OSC cannot grow the parser's buffer without bound: past the limit it is
    /// cancelled and the rest of it (its BEL too) dropped, across reads; output after it shows.
    #[test]
    fn an_endless_string_is_cancelled_and_dropped() {
        let body = vec![b'a'; STRING_MAX / 4];
        let mut chunks: Vec<&[u8]> = vec![b"x\x1b]0;"];
        for _ in 0..8 {
            chunks.push(&body);
        }
        chunks.push(b"\x07after\x1b]0;short\x07");
        let out = run(&chunks);
        assert!(out.len() < STRING_MAX + 64, "{}", out.len());
        assert!(out.starts_with(b"x\x1b]0;"));
        assert_eq!(out.split(|&b| b == CAN).count(), 2);
        assert!(
            out.ends_with(b"\x18after\x1b]0;short\x07"),
            "{:?}",
            &out[out.len() - 40..]
        );
        // A string within the limit passes unchanged.
        let ok = [b"\x1b]52;c;".as_slice(), &body, b"\x07"].concat();
        assert_eq!(run(&[&ok]), ok);
    }

    #[test]
    fn large_repeat_counts_are_capped() {
        assert_eq!(run(&[b"a\x1b[65535@b"]), b"a\x1b[65535\x18\x1b[80@b");
        assert_eq!(run(&[b"\x1b[999L"]), b"\x1b[999\x18\x1b[80L");
        assert_eq!(run(&[b"\x1b[99999;3T"]), b"\x1b[99999;3\x18\x1b[80T");
        // Split across reads, with a control, DEL and a byte above 0x7F inside.
        assert_eq!(
            run(&[b"\x1b[6\n5", b"5\x7f3\x805@"]),
            b"\x1b[6\n55\x7f3\x805\x18\x1b[80@"
        );
        // Leading zeros do not hide the count.
        assert_eq!(
            run(&[b"\x1b[0000000000000000000000065535@"]),
            b"\x1b[0000000000000000000000065535\x18\x1b[80@".to_vec()
        );
    }

    #[test]
    fn everything_else_passes_unchanged() {
        for s in [
            &b"\x1b[80@\x1b[3L\x1b[T\x1b[65535P\x1b[65535S"[..],
            b"\x1b[?65535@\x1b[65535 @\x1b[1?65535@",
            b"\x1b(65535@\x1b]9;\x1b[65535\x18@",
            b"\x1b[1;65535@\x1b[1:65535L",
            b"\x1b(D\x1b[?g\x1b[>I\x1b[ Z\x1b[?17h\x1b[7h\ttab",
            "日本\x1b[2J".as_bytes(),
        ] {
            let mut pieces = 0;
            CsiCap::default().filter(s, 80, &mut |p| {
                pieces += 1;
                assert_eq!(p, Piece::Bytes(s));
            });
            assert_eq!(pieces, 1, "{s:?}");
        }
    }

    #[test]
    fn capped_sequences_draw_like_the_originals() {
        let draw = |bytes: &[u8]| {
            let n = |v| std::num::NonZeroU16::new(v).unwrap();
            let mut p = crate::pty::vt::Parser::new(n(4), n(10), 0);
            p.process(b"abcdefghij\r\nklmnopqrst\r\nuvwxyz\x1b[2;3H");
            p.process(bytes);
            p.screen().contents_formatted()
        };
        for s in [&b"\x1b[500@"[..], b"\x1b[500L", b"\x1b[500T"] {
            let mut capped = Vec::new();
            CsiCap::default().filter(s, 10, &mut |p| {
                if let Piece::Bytes(b) = p {
                    capped.extend_from_slice(b);
                }
            });
            assert_ne!(capped, s);
            assert_eq!(draw(&capped), draw(s), "{s:?}");
        }
    }

    #[test]
    fn missing_sequences_become_fixes() {
        assert_eq!(
            run(&[b"a\x1bDb\x1bE"]),
            b"a\x1b\x18<Index>b\x1b\x18<NextLine>"
        );
        assert_eq!(run(&[b"\x1b#", b"8"]), b"\x1b#\x18<Align>");
        assert_eq!(
            run(&[b"\x1bH\x1b[g\x1b[3g\x1b[2I\x1b[Z"]),
            b"\x1b\x18<SetTab>\x1b[\x18<ClearTab(0)>\x1b[3\x18<ClearTab(3)>\x1b[2\x18<Tab(2)>\x1b[\x18<BackTab(1)>"
        );
        assert_eq!(run(&[b"\x1b[?25;7l"]), b"\x1b[?25;7l<Autowrap(false)>");
        assert_eq!(run(&[b"\x1bc"]), b"\x1bc<Reset>");
    }

    #[test]
    fn tabs_and_text_are_split_only_when_needed() {
        let mut cap = CsiCap {
            custom_tabs: true,
            ..CsiCap::default()
        };
        assert_eq!(run_with(&mut cap, &[b"a\tb"]), b"a<Tab(1)>b");
        let mut cap = CsiCap {
            no_wrap: true,
            ..CsiCap::default()
        };
        assert_eq!(
            run_with(&mut cap, &["a\r日\x1b[1mb".as_bytes()]),
            "<Print>a\r<Print>日\x1b[1m<Print>b".as_bytes()
        );
        // Nothing in a string is printed, and its end is seen in either form.
        assert_eq!(
            run_with(&mut cap, &[b"\x1b]0;t\ti\x07x\x1bPq\x1b\\y"]),
            b"\x1b]0;t\ti\x07<Print>x\x1bPq\x1b\\<Print>y"
        );
    }
}
