//! The tap's side of a lane feed (`helios osc-tap --feed SOCKET`, read by pty/feed.rs): the
//! pane's output, as tmux pipes it, served on a Unix socket to each console that connects.
//!
//! Nothing here may wait on a console: tmux buffers a pipe that is not read without limit in
//! the user's tmux server. Each console's socket is written without blocking; a frame that does
//! not fit waits (one at most, flushed first), later output for that console is dropped, and
//! as soon as there is room again it gets a [`GAP`] frame, so it seeds the lane again from
//! tmux (with or without more output: a flood's last lines may be the ones dropped).

use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::pty::feed::{DATA, GAP, frame};

/// The most consoles served at once (each costs a copy of the pane's output).
const PEERS_MAX: usize = 8;

/// How often a console's unsent frame is tried again while the pane prints nothing.
const RETRY: Duration = Duration::from_millis(20);

/// The listening socket and the consoles reading from it.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    /// The socket file's device and inode, so only this tap's own socket is removed.
    file: Option<(u64, u64)>,
    peers: Vec<Peer>,
}

/// One console: its socket, the part of a frame it has not taken yet, and whether output was
/// dropped for it since.
struct Peer {
    stream: UnixStream,
    pending: Vec<u8>,
    gap: bool,
}

impl Server {
    /// Listen at `path` (its directory made private to the user); a socket left there by a
    /// tap that died is replaced.
    pub fn bind(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)?,
            Ok(_) => {
                return Err(std::io::Error::new(
                    ErrorKind::AlreadyExists,
                    "something that is not a socket is there",
                ));
            }
            Err(_) => {}
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            listener,
            path: path.to_path_buf(),
            file: file_id(path),
            peers: Vec::new(),
        })
    }

    /// Take the consoles that connected since.
    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) if self.peers.len() < PEERS_MAX => {
                    if stream.set_nonblocking(true).is_ok() {
                        self.peers.push(Peer {
                            stream,
                            pending: Vec::new(),
                            gap: false,
                        });
                    }
                }
                // Refused: closing it tells that console to read the lane otherwise.
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Send `bytes` to every console.
    pub fn send(&mut self, bytes: &[u8]) {
        self.accept();
        self.peers.retain_mut(|p| p.send(bytes).is_ok());
    }

    /// The tap itself dropped output: every console is told.
    pub fn lost(&mut self) {
        for p in &mut self.peers {
            p.gap = true;
        }
    }

    /// Try the consoles' unsent frames and gap notices again; true while some are left.
    pub fn flush(&mut self) -> bool {
        self.accept();
        self.peers
            .retain_mut(|p| p.flush().and_then(|()| p.tell_gap()).is_ok());
        self.peers.iter().any(|p| !p.pending.is_empty() || p.gap)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The next console finds no socket and reads the lane through tmux attach. A socket
        // another tap bound there since is that tap's.
        if self.file.is_some()
            && file_id(&self.path) == self.file
            && let Err(e) = std::fs::remove_file(&self.path)
        {
            tracing::warn!("osc-tap: cannot remove {}: {e}", self.path.display());
        }
    }
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

impl Peer {
    /// Write what is pending without blocking. `Err` when the console is gone.
    fn flush(&mut self) -> std::io::Result<()> {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// When output was dropped and nothing is pending: an empty [`GAP`] frame.
    fn tell_gap(&mut self) -> std::io::Result<()> {
        if !self.gap || !self.pending.is_empty() {
            return Ok(());
        }
        frame(GAP, &[], &mut self.pending);
        self.gap = false;
        self.flush()
    }

    /// Queue one frame of `bytes` unless an earlier one is still pending (then it is dropped
    /// and the next one says so), and write what fits.
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.flush()?;
        if !self.pending.is_empty() {
            self.gap = true;
            return Ok(());
        }
        frame(if self.gap { GAP } else { DATA }, bytes, &mut self.pending);
        self.gap = false;
        self.flush()
    }
}

/// Serve the chunks of output from the tap's reader until it ends (then the socket is
/// removed). `lost` is set by the reader when it dropped a chunk (this thread was behind).
pub fn serve(mut server: Server, rx: &mpsc::Receiver<Vec<u8>>, lost: &AtomicBool) {
    let mut waiting = false;
    loop {
        let next = if waiting {
            rx.recv_timeout(RETRY)
        } else {
            rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        };
        // Told before the chunks still queued: a console seeds once more than needed.
        if lost.swap(false, Ordering::AcqRel) {
            server.lost();
        }
        match next {
            Ok(bytes) => server.send(&bytes),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        waiting = server.flush();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io::Read;

    use super::*;
    use crate::pty::feed::Frames;

    fn read_frames(stream: &mut UnixStream, frames: &mut Frames) -> Vec<(u8, Vec<u8>)> {
        let mut buf = vec![0u8; 1 << 16];
        stream.set_nonblocking(true).unwrap();
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => frames.push(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        let mut got = Vec::new();
        frames.take(&mut |k, b| got.push((k, b.to_vec()))).unwrap();
        got
    }

    /// A console that stops reading never holds the tap up: its frames are dropped, and the
    /// first it gets after reading again is a gap, which is whole.
    #[test]
    fn a_console_that_stops_reading_loses_output_not_the_tap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed/x.sock");
        let mut server = Server::bind(&path).unwrap();
        let mut console = UnixStream::connect(&path).unwrap();
        let chunk = vec![b'y'; 32 * 1024];
        server.send(b"first");
        let mut frames = Frames::default();
        assert_eq!(
            read_frames(&mut console, &mut frames),
            vec![(DATA, b"first".to_vec())]
        );
        // Not read: the socket fills, and sending still returns at once.
        for _ in 0..200 {
            server.send(&chunk);
        }
        assert!(server.peers[0].gap);
        // The console reads again, and no more output comes: whole frames of the output, then
        // the gap is said, with nothing after it; output after that follows as data.
        let mut got = Vec::new();
        for _ in 0..1000 {
            got.extend(read_frames(&mut console, &mut frames));
            if !server.flush() {
                break;
            }
        }
        got.extend(read_frames(&mut console, &mut frames));
        let (last, data) = got.split_last().unwrap();
        assert!(data.iter().all(|(k, b)| *k == DATA && *b == chunk));
        assert_eq!(last, &(GAP, Vec::new()), "{}", got.len());
        server.send(b"after");
        assert_eq!(
            read_frames(&mut console, &mut frames),
            vec![(DATA, b"after".to_vec())]
        );
    }

    #[test]
    fn a_console_that_left_is_dropped_and_the_socket_removed_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sock");
        let mut server = Server::bind(&path).unwrap();
        drop(UnixStream::connect(&path).unwrap());
        server.send(b"a");
        server.send(b"b");
        assert!(server.peers.is_empty());
        // A second tap for the same path takes the socket over; the first one's end leaves it.
        let again = Server::bind(&path).unwrap();
        drop(server);
        assert!(path.exists());
        drop(again);
        assert!(!path.exists());
    }

    #[test]
    fn a_file_in_the_sockets_place_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sock");
        std::fs::write(&path, "mine").unwrap();
        assert!(Server::bind(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    }
}
