//! Waking the running consoles when a lane's stored state changed, so a hook's news shows at
//! once instead of on a poll. Each console binds a datagram socket in one directory; a writer
//! (`helios hook`, `helios mcp`) sends the changed worktree to every socket there. A dead
//! console's socket refuses the datagram and is removed. Nothing but a path travels: the
//! console reads the state from the store, so a forged datagram can only cause a re-read.

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// The largest datagram read or sent (a worktree path).
pub const DATAGRAM_MAX: usize = 4096;

/// The directory of the consoles' sockets: `$XDG_RUNTIME_DIR/helios/wake`, else the state dir.
pub fn dir() -> PathBuf {
    crate::config::paths::runtime_dir().join("wake")
}

/// Send `worktree` to every console; returns how many were reached. Never blocks: a console
/// whose queue is full misses this datagram and sees the change on its next read.
pub fn wake_all(dir: &Path, worktree: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let Ok(sock) = UnixDatagram::unbound() else {
        return 0;
    };
    if sock.set_nonblocking(true).is_err() {
        return 0;
    }
    let bytes = &worktree.as_bytes()[..worktree.len().min(DATAGRAM_MAX)];
    let mut reached = 0;
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "sock") {
            continue;
        }
        match sock.send_to(bytes, &path) {
            Ok(_) => reached += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                // The console that bound it is gone; a socket that cannot be removed is tried
                // (and refused) again next time, nothing worse.
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::debug!("removing the stale wake socket {}: {e}", path.display());
                }
            }
            // A console whose queue is full re-reads on its next wake or discovery.
            Err(e) => tracing::debug!("waking the console at {}: {e}", path.display()),
        }
    }
    reached
}

/// A console's socket; removed when dropped.
pub struct WakeSocket {
    path: PathBuf,
    /// The bound socket (std, so the caller picks the runtime).
    pub socket: UnixDatagram,
}

impl WakeSocket {
    /// Bind `<dir>/<pid>.sock` (the directory is made private to the user).
    pub fn bind(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        let path = dir.join(format!("{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path)?;
        Ok(Self { path, socket })
    }
}

impl Drop for WakeSocket {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            // A stale socket left behind is swept by the next writer (connection refused).
            tracing::debug!("removing the wake socket {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_console_is_woken_and_dead_ones_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wake");
        let live = WakeSocket::bind(&dir).unwrap();
        // A socket file left by a console that died.
        let dead = dir.join("1.sock");
        drop(UnixDatagram::bind(&dead).unwrap());
        assert_eq!(wake_all(&dir, "/w/lane"), 1);
        let mut buf = [0u8; 64];
        let n = live.socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"/w/lane");
        assert!(!dead.exists());
        assert_eq!(wake_all(&tmp.path().join("none"), "x"), 0);
    }
}
