//! A PTY's master side, non-blocking: keys written at once from the thread that has them
//! when the PTY takes them, else queued for the lane's writer thread, which waits for room;
//! and the reads of the lane's reader (its thread waits for output with `poll`).
//!
//! Why not a writer thread for every key: the hand-off woke a thread per keystroke, one more
//! wake-up on the way to the echo (BENCHMARKS.md, "One idle echo hop by hop": the loop to the
//! lane's writer, 29 µs). Why not a blocking write from the loop: a program that does not read
//! its input fills the PTY, and the write would then hold the whole console.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;

use crate::telemetry::echo::Step;

/// The master side of a lane's PTY, made non-blocking: one open file for the reader, the
/// writer and the keys. `master` must be open for the length of this call.
pub(crate) fn open(master: RawFd) -> std::io::Result<OwnedFd> {
    // The file descriptor crate portable-pty is built on duplicates a descriptor it is given
    // by number; the crate forbids `unsafe`, which std's own way to borrow one by number is.
    struct Number(RawFd);
    impl AsRawFd for Number {
        fn as_raw_fd(&self) -> RawFd {
            self.0
        }
    }
    let dup =
        filedescriptor::FileDescriptor::dup(&Number(master)).map_err(std::io::Error::other)?;
    let fd = rustix::io::fcntl_dupfd_cloexec(&dup, 0)?;
    // O_NONBLOCK is the open file's: portable-pty's own handles on it (resize) do not read.
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(fd)
}

/// Where a lane's keys (and the answers to its terminal queries) go.
#[derive(Clone)]
pub(crate) struct Keys {
    fd: Arc<OwnedFd>,
    queue: mpsc::Sender<Vec<u8>>,
    /// Writes queued and not yet done. Keys are written at once only when none is, so they
    /// never pass bytes that wait; held while a key is written, so two senders (the loop, the
    /// reader's answers) do not interleave.
    queued: Arc<Mutex<usize>>,
}

/// The writer thread's side of [`Keys`].
pub(crate) struct Writer {
    fd: Arc<OwnedFd>,
    queue: mpsc::Receiver<Vec<u8>>,
    queued: Arc<Mutex<usize>>,
}

/// Keys for the non-blocking PTY `fd`, and its writer.
pub(crate) fn keys(fd: Arc<OwnedFd>) -> (Keys, Writer) {
    let (tx, rx) = mpsc::channel();
    let queued = Arc::new(Mutex::new(0));
    let keys = Keys {
        fd: fd.clone(),
        queue: tx,
        queued: queued.clone(),
    };
    (
        keys,
        Writer {
            fd,
            queue: rx,
            queued,
        },
    )
}

impl Keys {
    /// Write `bytes` now if the PTY takes them, else queue what is left for the writer.
    /// `Err` when the PTY is gone (its other side closed, or the writer ended).
    pub(crate) fn send(&self, mut bytes: Vec<u8>) -> Result<(), ()> {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        if *queued == 0 {
            let at = Instant::now();
            match write_now(&self.fd, &bytes) {
                Ok(n) if n == bytes.len() => {
                    crate::telemetry::echo::step(Step::Write, at);
                    return Ok(());
                }
                Ok(n) => {
                    bytes.drain(..n);
                }
                Err(Errno::AGAIN) => {}
                Err(e) => {
                    tracing::debug!("a lane's PTY took no keys: {e}");
                    return Err(());
                }
            }
        }
        self.queue.send(bytes).map_err(|_| ())?;
        *queued += 1;
        Ok(())
    }
}

impl Writer {
    /// Write what is queued, waiting for room, until the PTY or every sender is gone.
    pub(crate) fn run(self) {
        while let Ok(bytes) = self.queue.recv() {
            crate::telemetry::echo::step(Step::Write, Instant::now());
            let written = write_all(&self.fd, &bytes);
            *self.queued.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
            if let Err(e) = written {
                tracing::debug!("a lane's writer stops: {e}");
                return;
            }
        }
    }
}

/// One write, retried when a signal interrupts it; `AGAIN` when the PTY has no room.
fn write_now(fd: &OwnedFd, bytes: &[u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::write(fd, bytes) {
            Err(Errno::INTR) => {}
            r => return r,
        }
    }
}

/// Write all of `bytes`, waiting for room.
fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match write_now(fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::AGAIN) => wait(fd, PollFlags::OUT)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// What one read of a non-blocking PTY found.
pub(crate) enum Got {
    Bytes(usize),
    /// Nothing waiting now.
    Nothing,
    /// The end: the other side closed (Linux says EIO), or the read failed.
    End,
}

/// One read, retried when a signal interrupts it.
pub(crate) fn read_now(fd: &OwnedFd, buf: &mut [u8]) -> Got {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Ok(0) => return Got::End,
            Ok(n) => return Got::Bytes(n),
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => return Got::Nothing,
            Err(e) => {
                if e != Errno::IO {
                    tracing::debug!("a lane's PTY read failed: {e}");
                }
                return Got::End;
            }
        }
    }
}

/// Wait until the PTY has output or hung up (the next read says which); false when it cannot
/// be waited on.
pub(crate) fn wait_readable(fd: &OwnedFd) -> bool {
    wait(fd, PollFlags::IN)
        .inspect_err(|e| tracing::debug!("a lane's PTY cannot be waited on: {e}"))
        .is_ok()
}

/// Wait until `fd` is ready for `what`, or hung up (the next read or write says so).
fn wait(fd: &OwnedFd, what: PollFlags) -> Result<(), Errno> {
    let mut fds = [PollFd::new(fd, what)];
    loop {
        match poll(&mut fds, None) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A non-blocking pipe standing for a PTY: (read end, write end).
    fn pipe() -> (OwnedFd, OwnedFd) {
        let (r, w) = std::io::pipe().unwrap();
        let w = OwnedFd::from(w);
        rustix::fs::fcntl_setfl(&w, rustix::fs::OFlags::NONBLOCK).unwrap();
        (OwnedFd::from(r), w)
    }

    #[test]
    fn keys_go_at_once_and_a_full_pty_queues_them_in_order_without_waiting() {
        let (r, w) = pipe();
        let (keys, writer) = keys(Arc::new(w));
        // Written at once: no writer runs yet.
        keys.send(b"ab".to_vec()).unwrap();
        let mut buf = [0u8; 2];
        assert_eq!(rustix::io::read(&r, &mut buf).unwrap(), 2);
        assert_eq!(&buf, b"ab");
        // More than the pipe holds: the send returns, the rest waits for the writer.
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        keys.send(big.clone()).unwrap();
        keys.send(b"after".to_vec()).unwrap();
        assert_eq!(*keys.queued.lock().unwrap(), 2);
        let writing = std::thread::spawn(move || writer.run());
        drop(keys);
        let mut got = Vec::new();
        let mut chunk = vec![0u8; 65536];
        loop {
            match rustix::io::read(&r, &mut chunk).unwrap() {
                0 => break,
                n => got.extend_from_slice(&chunk[..n]),
            }
        }
        writing.join().unwrap();
        let mut want = big;
        want.extend_from_slice(b"after");
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the bytes came out of order");
    }

    #[test]
    fn a_closed_pty_refuses_keys_and_its_reads_end() {
        let (r, w) = pipe();
        let (keys, _writer) = keys(Arc::new(w));
        drop(r);
        assert!(keys.send(b"x".to_vec()).is_err());
        let (r, w) = pipe();
        rustix::fs::fcntl_setfl(&r, rustix::fs::OFlags::NONBLOCK).unwrap();
        let mut buf = [0u8; 4];
        assert!(matches!(read_now(&r, &mut buf), Got::Nothing));
        rustix::io::write(&w, b"hi").unwrap();
        assert!(wait_readable(&r));
        assert!(matches!(read_now(&r, &mut buf), Got::Bytes(2)));
        drop(w);
        assert!(wait_readable(&r));
        assert!(matches!(read_now(&r, &mut buf), Got::End));
    }
}
