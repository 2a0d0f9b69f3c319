//! Caps the count of the CSI sequences vt100 0.16 repeats without bound, before lane output
//! reaches the parser.
//!
//! vt100 runs `CSI n @` (insert characters) as n single inserts into a row that grows to n
//! cells, so eight bytes of lane output, `ESC [ 65535 @`, held the lane's screen lock for about
//! 0.8 s in a release build (found by the `lane_screen` fuzz target); `CSI n L` (insert lines)
//! and `CSI n T` (scroll down) loop n times too, allocating a row each time. A count at least
//! the screen's size has the same effect as any larger one, so a count above
//! `max(rows, cols)` is replaced by that: the sequence's final byte becomes CAN (which makes the
//! parser drop the sequence, as a terminal does) followed by `ESC [ cap FINAL`.
//!
//! The scanner follows vte 0.15's CSI states (what vt100 parses with), so a sequence split
//! across reads, or with controls, DEL or bytes above 0x7F inside it, is still seen.

use std::borrow::Cow;

/// Cancel: the parser drops the sequence in progress.
const CAN: u8 = 0x18;
/// Substitute: cancels like CAN.
const SUB: u8 = 0x1a;
const ESC: u8 = 0x1b;

/// Where the scanner is, as far as CSI sequences are concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    /// Text, or a string (OSC, DCS...) or escape this filter does not care about.
    #[default]
    Other,
    /// After ESC.
    Escape,
    /// After ESC and an intermediate byte (`ESC (`): `[` is not CSI there.
    EscapeIntermediate,
    /// Right after `ESC [`.
    Entry,
    /// In a CSI's parameters.
    Param {
        /// The first parameter's value so far (saturating, as vte counts).
        first: u16,
        /// A `;` or `:` ended the first parameter.
        first_done: bool,
        /// A private marker (`?`, `>`...) came first: not a sequence vt100 repeats.
        private: bool,
    },
    /// In a CSI after an intermediate byte: dispatched, but not as one vt100 repeats.
    Intermediate,
    /// A malformed CSI that vte drops at its final byte.
    Ignore,
}

/// The scanner's state across reads of one lane.
#[derive(Debug, Default)]
pub(crate) struct CsiCap {
    state: State,
}

impl CsiCap {
    /// The bytes to feed for `bytes`: borrowed unchanged unless a count was capped at `cap`.
    pub(crate) fn filter<'a>(&mut self, bytes: &'a [u8], cap: u16) -> Cow<'a, [u8]> {
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            // Outside an escape only ESC matters: skip text in one scan.
            if self.state == State::Other {
                match bytes[i..].iter().position(|&b| b == ESC) {
                    Some(n) => i += n,
                    None => break,
                }
            }
            if let Some(final_byte) = self.step(bytes[i], cap) {
                let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
                out.extend_from_slice(&bytes[copied..i]);
                out.push(CAN);
                out.extend_from_slice(format!("\x1b[{cap}").as_bytes());
                out.push(final_byte);
                copied = i + 1;
            }
            i += 1;
        }
        match out {
            None => Cow::Borrowed(bytes),
            Some(mut out) => {
                out.extend_from_slice(&bytes[copied..]);
                Cow::Owned(out)
            }
        }
    }

    /// Advance over one byte; returns the final byte of a sequence whose count must be capped.
    fn step(&mut self, b: u8, cap: u16) -> Option<u8> {
        // CAN, SUB and ESC act the same in every state (vte's "anywhere").
        match b {
            CAN | SUB => {
                self.state = State::Other;
                return None;
            }
            ESC => {
                self.state = State::Escape;
                return None;
            }
            _ => {}
        }
        let executed = b < 0x20;
        let ignored = b >= 0x7f;
        self.state = match self.state {
            State::Other => State::Other,
            s if executed || ignored => s,
            State::Escape => match b {
                b'[' => State::Entry,
                0x20..=0x2f => State::EscapeIntermediate,
                _ => State::Other,
            },
            State::EscapeIntermediate => match b {
                0x20..=0x2f => State::EscapeIntermediate,
                _ => State::Other,
            },
            State::Entry => match b {
                b'0'..=b'9' => State::Param {
                    first: u16::from(b - b'0'),
                    first_done: false,
                    private: false,
                },
                b':' | b';' => State::Param {
                    first: 0,
                    first_done: true,
                    private: false,
                },
                0x3c..=0x3f => State::Param {
                    first: 0,
                    first_done: false,
                    private: true,
                },
                0x20..=0x2f => State::Intermediate,
                // A final byte with no count: the default, 1.
                _ => State::Other,
            },
            State::Param {
                first,
                first_done,
                private,
            } => match b {
                b'0'..=b'9' if !first_done => State::Param {
                    first: first.saturating_mul(10).saturating_add(u16::from(b - b'0')),
                    first_done,
                    private,
                },
                b'0'..=b'9' => State::Param {
                    first,
                    first_done,
                    private,
                },
                b':' | b';' => State::Param {
                    first,
                    first_done: true,
                    private,
                },
                0x3c..=0x3f => State::Ignore,
                0x20..=0x2f => State::Intermediate,
                _ => {
                    self.state = State::Other;
                    let repeats = matches!(b, b'@' | b'L' | b'T');
                    return (repeats && !private && first > cap).then_some(b);
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
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut cap = CsiCap::default();
        chunks
            .iter()
            .flat_map(|c| cap.filter(c, 80).into_owned())
            .collect()
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
            "日本\x1b[2J".as_bytes(),
        ] {
            let mut cap = CsiCap::default();
            assert!(matches!(cap.filter(s, 80), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn capped_sequences_draw_like_the_originals() {
        let draw = |bytes: &[u8]| {
            let mut p = tui_term::vt100::Parser::new(4, 10, 0);
            p.process(b"abcdefghij\r\nklmnopqrst\r\nuvwxyz\x1b[2;3H");
            p.process(bytes);
            p.screen().contents_formatted()
        };
        for s in [&b"\x1b[500@"[..], b"\x1b[500L", b"\x1b[500T"] {
            let capped = CsiCap::default().filter(s, 10).into_owned();
            assert_ne!(capped, s);
            assert_eq!(draw(&capped), draw(s), "{s:?}");
        }
    }
}
