//! Terminal input, read and parsed on the loop's own thread.
//!
//! The loop waits on the terminal itself: tokio watches the terminal for input and SIGWINCH
//! for resizes, and when it wakes, everything the terminal has is read at once and parsed. A
//! reader thread of its own cost each key a hand-off to the loop's thread, one more wake-up:
//! 0.09 ms of the 0.21 ms a key took to reach the loop (BENCHMARKS.md, run 103).
//!
//! crossterm's reader cannot serve here: with `use-dev-tty` a zero timeout never reads (its
//! poll loop runs while time is left), and a partial escape sequence makes it block in `read`
//! until the rest comes. So the bytes are read from a descriptor of our own, opened
//! non-blocking (its own open file, so the shell's stdin is left as it was), and parsed by
//! termina's parser (a port of crossterm's), whose events become crossterm's for the rest of
//! helios. A partial sequence waits in the parser for its rest; a lone ESC is the Esc key.

use std::io;
use std::os::fd::OwnedFd;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MouseButton,
    MouseEvent, MouseEventKind,
};
use rustix::fs::{Mode, OFlags};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// What the terminal sent since the last read.
pub enum Read {
    /// The events parsed (none: only part of a sequence came).
    Events,
    /// The terminal is gone (end of file): nobody can type into this console any more.
    HungUp,
}

/// The terminal's input and resizes, as the loop waits for them.
pub struct Input {
    /// The controlling terminal, opened non-blocking for reading.
    tty: AsyncFd<OwnedFd>,
    winch: Signal,
    parser: termina::Parser,
    buf: Vec<u8>,
}

impl Input {
    /// Watch the controlling terminal.
    pub fn open() -> io::Result<Self> {
        let fd = rustix::fs::open(
            "/dev/tty",
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )?;
        // Deprecated because a generic inner type could hand tokio a different or closed
        // descriptor later; an `OwnedFd` that the `AsyncFd` owns cannot, so this is sound
        // without the `unsafe` the crate forbids.
        #[allow(deprecated)]
        let tty = AsyncFd::with_interest(fd, Interest::READABLE)?;
        Ok(Self {
            tty,
            winch: signal(SignalKind::window_change())?,
            parser: termina::Parser::default(),
            // Large reads: the parser walks what it holds (a paste not yet ended) once per read.
            buf: vec![0; 64 * 1024],
        })
    }

    /// Wait until the terminal has input or was resized, then add every event it sent to
    /// `out`. Cancel-safe: events are added only just before it returns.
    pub async fn recv(&mut self, out: &mut Vec<TermEvent>) -> io::Result<Read> {
        let Self {
            tty,
            winch,
            parser,
            buf,
        } = self;
        loop {
            tokio::select! {
                ready = tty.readable() => {
                    let mut ready = ready?;
                    let read = read(ready.get_inner(), parser, buf, out);
                    // Input after the read is a new readiness event, which this does not clear.
                    ready.clear_ready();
                    if matches!(read?, Read::HungUp) {
                        return Ok(Read::HungUp);
                    }
                }
                _ = winch.recv() => out.push(resized()?),
            }
            if !out.is_empty() {
                return Ok(Read::Events);
            }
        }
    }

    /// Add the events the terminal has sent (if it has: nothing is read otherwise) to `out`,
    /// without waiting.
    pub fn try_recv(&mut self, out: &mut Vec<TermEvent>) -> io::Result<Read> {
        use futures::FutureExt;
        let Some(ready) = self.tty.readable().now_or_never() else {
            return Ok(Read::Events);
        };
        let mut ready = ready?;
        let read = read(ready.get_inner(), &mut self.parser, &mut self.buf, out);
        ready.clear_ready();
        read
    }
}

/// Read everything the terminal `tty` has, and add the events it completes to `out`.
fn read(
    tty: &OwnedFd,
    parser: &mut termina::Parser,
    buf: &mut [u8],
    out: &mut Vec<TermEvent>,
) -> io::Result<Read> {
    let mut last = None;
    loop {
        match rustix::io::read(tty, &mut *buf) {
            Ok(0) => return Ok(Read::HungUp),
            Ok(n) => {
                last = buf.get(n - 1).copied();
                parser.parse(&buf[..n], true);
            }
            Err(rustix::io::Errno::AGAIN) => break,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Nothing more for now: an ESC that ended the input alone is the Esc key (a partial
    // sequence still waits). Only then, as each parse walks all the parser holds: a long
    // paste arriving in many reads is walked once per read, not twice.
    if last == Some(0x1b) {
        parser.parse(&[], false);
    }
    let at = std::time::Instant::now();
    while let Some(ev) = parser.pop() {
        if let Some(ev) = crossterm_event(ev) {
            crate::telemetry::echo::step(crate::telemetry::echo::Step::Input, at);
            out.push(ev);
        }
    }
    Ok(Read::Events)
}

/// The terminal's new size, as the resize event crossterm's reader gave.
fn resized() -> io::Result<TermEvent> {
    let (cols, rows) = crossterm::terminal::size()?;
    Ok(TermEvent::Resize(cols, rows))
}

/// termina's event as crossterm's; `None` for what helios never asks the terminal for
/// (answers to queries, keys only the kitty keyboard protocol reports).
fn crossterm_event(ev: termina::Event) -> Option<TermEvent> {
    use termina::Event as T;
    Some(match ev {
        T::Key(k) => TermEvent::Key(KeyEvent {
            code: key_code(k.code)?,
            modifiers: modifiers(k.modifiers),
            kind: match k.kind {
                termina::event::KeyEventKind::Press => KeyEventKind::Press,
                termina::event::KeyEventKind::Release => KeyEventKind::Release,
                termina::event::KeyEventKind::Repeat => KeyEventKind::Repeat,
            },
            state: key_state(k.state),
        }),
        T::Mouse(m) => TermEvent::Mouse(MouseEvent {
            kind: mouse_kind(m.kind),
            column: m.column,
            row: m.row,
            modifiers: modifiers(m.modifiers),
        }),
        T::Paste(text) => TermEvent::Paste(text),
        T::FocusIn => TermEvent::FocusGained,
        T::FocusOut => TermEvent::FocusLost,
        T::WindowResized(size) => TermEvent::Resize(size.cols, size.rows),
        T::Csi(_) | T::Osc(_) | T::Dcs(_) => return None,
    })
}

fn key_code(code: termina::event::KeyCode) -> Option<KeyCode> {
    use termina::event::KeyCode as T;
    Some(match code {
        T::Char(c) => KeyCode::Char(c),
        T::Enter => KeyCode::Enter,
        T::Backspace => KeyCode::Backspace,
        T::Tab => KeyCode::Tab,
        T::Escape => KeyCode::Esc,
        T::Left => KeyCode::Left,
        T::Right => KeyCode::Right,
        T::Up => KeyCode::Up,
        T::Down => KeyCode::Down,
        T::Home => KeyCode::Home,
        T::End => KeyCode::End,
        T::BackTab => KeyCode::BackTab,
        T::PageUp => KeyCode::PageUp,
        T::PageDown => KeyCode::PageDown,
        T::Insert => KeyCode::Insert,
        T::Delete => KeyCode::Delete,
        T::KeypadBegin => KeyCode::KeypadBegin,
        T::CapsLock => KeyCode::CapsLock,
        T::ScrollLock => KeyCode::ScrollLock,
        T::NumLock => KeyCode::NumLock,
        T::PrintScreen => KeyCode::PrintScreen,
        T::Pause => KeyCode::Pause,
        T::Menu => KeyCode::Menu,
        T::Null => KeyCode::Null,
        T::Function(n) => KeyCode::F(n),
        T::Modifier(_) | T::Media(_) => return None,
    })
}

fn modifiers(m: termina::event::Modifiers) -> KeyModifiers {
    use termina::event::Modifiers as T;
    [
        (T::SHIFT, KeyModifiers::SHIFT),
        (T::CONTROL, KeyModifiers::CONTROL),
        (T::ALT, KeyModifiers::ALT),
        (T::SUPER, KeyModifiers::SUPER),
        (T::HYPER, KeyModifiers::HYPER),
        (T::META, KeyModifiers::META),
    ]
    .into_iter()
    .filter(|(t, _)| m.contains(*t))
    .fold(KeyModifiers::NONE, |acc, (_, c)| acc | c)
}

fn key_state(s: termina::event::KeyEventState) -> KeyEventState {
    use termina::event::KeyEventState as T;
    [
        (T::KEYPAD, KeyEventState::KEYPAD),
        (T::CAPS_LOCK, KeyEventState::CAPS_LOCK),
        (T::NUM_LOCK, KeyEventState::NUM_LOCK),
    ]
    .into_iter()
    .filter(|(t, _)| s.contains(*t))
    .fold(KeyEventState::NONE, |acc, (_, c)| acc | c)
}

fn mouse_kind(k: termina::event::MouseEventKind) -> MouseEventKind {
    use termina::event::MouseEventKind as T;
    let button = |b| match b {
        termina::event::MouseButton::Left => MouseButton::Left,
        termina::event::MouseButton::Right => MouseButton::Right,
        termina::event::MouseButton::Middle => MouseButton::Middle,
    };
    match k {
        T::Down(b) => MouseEventKind::Down(button(b)),
        T::Up(b) => MouseEventKind::Up(button(b)),
        T::Drag(b) => MouseEventKind::Drag(button(b)),
        T::Moved => MouseEventKind::Moved,
        T::ScrollDown => MouseEventKind::ScrollDown,
        T::ScrollUp => MouseEventKind::ScrollUp,
        T::ScrollLeft => MouseEventKind::ScrollLeft,
        T::ScrollRight => MouseEventKind::ScrollRight,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// What the terminal's bytes become, parsed as [`Input`] does after a read.
    fn events(chunks: &[&[u8]]) -> Vec<TermEvent> {
        let mut parser = termina::Parser::default();
        let mut out = Vec::new();
        for c in chunks {
            parser.parse(c, true);
            if c.last() == Some(&0x1b) {
                parser.parse(&[], false);
            }
            while let Some(ev) = parser.pop() {
                out.extend(crossterm_event(ev));
            }
        }
        out
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> TermEvent {
        TermEvent::Key(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn keys_become_crossterms_events() {
        assert_eq!(
            events(&[b"a\x01\r\x7f\x1b[A\x1b[Z\x1bOP\x1b[1;5C"]),
            vec![
                key(KeyCode::Char('a'), KeyModifiers::NONE),
                key(KeyCode::Char('a'), KeyModifiers::CONTROL),
                key(KeyCode::Enter, KeyModifiers::NONE),
                key(KeyCode::Backspace, KeyModifiers::NONE),
                key(KeyCode::Up, KeyModifiers::NONE),
                key(KeyCode::BackTab, KeyModifiers::SHIFT),
                key(KeyCode::F(1), KeyModifiers::NONE),
                key(KeyCode::Right, KeyModifiers::CONTROL),
            ]
        );
    }

    #[test]
    fn a_lone_esc_is_the_key_and_esc_then_a_key_is_alt() {
        assert_eq!(
            events(&[b"\x1b", b"\x1bx"]),
            vec![
                key(KeyCode::Esc, KeyModifiers::NONE),
                key(KeyCode::Char('x'), KeyModifiers::ALT),
            ]
        );
    }

    #[test]
    fn a_sequence_split_across_reads_waits_for_its_rest() {
        assert_eq!(
            events(&[b"\x1b[", b"1;5", b"D"]),
            vec![key(KeyCode::Left, KeyModifiers::CONTROL)]
        );
    }

    #[test]
    fn a_read_takes_what_is_there_and_an_end_of_file_is_a_hang_up() {
        use std::io::Write;
        let (mut terminal, ours) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let ours = OwnedFd::from(ours);
        let (mut parser, mut buf, mut out) = (termina::Parser::default(), vec![0; 16], Vec::new());
        // More than one buffer's worth, the last sequence cut in two.
        terminal.write_all(b"abcdefghijklmnop\x1b[A\x1b[").unwrap();
        assert!(matches!(
            read(&ours, &mut parser, &mut buf, &mut out),
            Ok(Read::Events)
        ));
        assert_eq!(out.len(), 17, "{out:?}");
        assert_eq!(out[16], key(KeyCode::Up, KeyModifiers::NONE));
        // Nothing more to read: no events and no waiting.
        out.clear();
        assert!(matches!(
            read(&ours, &mut parser, &mut buf, &mut out),
            Ok(Read::Events)
        ));
        assert!(out.is_empty(), "{out:?}");
        terminal.write_all(b"B").unwrap();
        read(&ours, &mut parser, &mut buf, &mut out).unwrap();
        assert_eq!(out, vec![key(KeyCode::Down, KeyModifiers::NONE)]);
        // Shut, not dropped: a child another test forks in this process holds a copy of the
        // descriptor until it execs, and a drop alone then leaves the pair open (seen once).
        terminal.shutdown(std::net::Shutdown::Both).unwrap();
        assert!(matches!(
            read(&ours, &mut parser, &mut buf, &mut out),
            Ok(Read::HungUp)
        ));
    }

    #[test]
    fn a_paste_and_a_mouse_click_come_through() {
        assert_eq!(
            events(&[b"\x1b[200~echo hi\r\x1b[201~", b"\x1b[<0;5;3M"]),
            vec![
                TermEvent::Paste("echo hi\r".to_string()),
                TermEvent::Mouse(MouseEvent {
                    kind: MouseEventKind::Down(MouseButton::Left),
                    column: 4,
                    row: 2,
                    modifiers: KeyModifiers::NONE,
                }),
            ]
        );
    }
}
