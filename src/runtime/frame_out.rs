//! helios's terminal output, one write per frame.
//!
//! ratatui's crossterm backend flushes after every cursor command (`execute!`), so a frame
//! reached the terminal in three writes (the cells, the cursor move, the end of synchronized
//! output), each a chance for a busy machine to run something else before the terminal sees the
//! rest. While a frame is drawn the output is held ([`Gate`]) and written in one go by the flush
//! that ends the frame; between frames a flush writes at once.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

/// Buffered standard output that a frame can hold back.
#[derive(Debug)]
pub struct FrameOut {
    buf: Vec<u8>,
    holding: Rc<Cell<bool>>,
}

/// Holds a [`FrameOut`]'s output back while set (a handle kept beside the terminal that owns
/// the writer).
#[derive(Debug, Clone)]
pub struct Gate(Rc<Cell<bool>>);

impl Gate {
    /// Keep everything written until [`open`](Self::open), flushes included.
    pub fn hold(&self) {
        self.0.set(true);
    }

    /// Let the next flush write what was kept.
    pub fn open(&self) {
        self.0.set(false);
    }
}

impl FrameOut {
    /// Standard output, and the gate that holds it back during a frame.
    pub fn stdout() -> (Self, Gate) {
        let holding = Rc::new(Cell::new(false));
        let out = Self {
            buf: Vec::with_capacity(64 * 1024),
            holding: holding.clone(),
        };
        (out, Gate(holding))
    }
}

impl Write for FrameOut {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.holding.get() || self.buf.is_empty() {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        // Dropped even when the write fails: the runtime stops on that error, and a terminal
        // that cannot be written must not make helios hold an ever larger frame.
        let result = out.write_all(&self.buf).and_then(|()| out.flush());
        self.buf.clear();
        result
    }
}
