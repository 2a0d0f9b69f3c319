//! The console's wake socket: `helios hook` and `helios mcp` send the changed lane's worktree
//! (see `store::wake`); the console then reads the lanes' states again. Datagrams that arrive
//! together become one re-read.

use crate::app::Event;
use crate::app::event::EventSender;
use crate::store::wake::{DATAGRAM_MAX, WakeSocket};

/// Bind the socket and listen until the console ends; an error (no runtime directory, say)
/// is returned for the status line: hooks then show on the next discovery instead.
pub fn listen(events: EventSender) -> Result<(), String> {
    let dir = crate::store::wake::dir();
    let sock = WakeSocket::bind(&dir).map_err(|e| {
        format!(
            "wake socket in {}: {e}; hook states show with a delay",
            dir.display()
        )
    })?;
    sock.socket
        .set_nonblocking(true)
        .map_err(|e| format!("wake socket: {e}"))?;
    let std_sock = sock
        .socket
        .try_clone()
        .map_err(|e| format!("wake socket: {e}"))?;
    let socket =
        tokio::net::UnixDatagram::from_std(std_sock).map_err(|e| format!("wake socket: {e}"))?;
    tokio::spawn(async move {
        // Owned here so the socket file is removed when the console's runtime stops.
        let _bound = sock;
        let mut buf = vec![0u8; DATAGRAM_MAX];
        while socket.recv(&mut buf).await.is_ok() {
            // Merge a burst (25 lanes' hooks at once) into one re-read.
            while socket.try_recv(&mut buf).is_ok() {}
            if events.send(Event::LaneStatesChanged).is_err() {
                return;
            }
        }
    });
    Ok(())
}
