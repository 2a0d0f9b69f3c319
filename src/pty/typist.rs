//! Keys typed into a par lane's pane by `tmux send-keys -H`, in order, on a thread of the
//! lane's own: keys to a lane behind the one in front (read from its pane's output, with no
//! client to type into), and keys to a lane whose `tmux attach` client has not drawn yet. Until
//! tmux has made a new client's terminal raw, its line discipline would eat a Ctrl-C written
//! there and echo the rest back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::app::event::EventSender;
use crate::model::LaneId;
use crate::pty::tmux_pane::tmux;

/// A lane's key writer: a thread that runs `tmux send-keys` for what [`Typist::send`] queues.
#[derive(Debug)]
pub(crate) struct Typist {
    keys: mpsc::Sender<Vec<u8>>,
    /// Batches queued or being typed: while any are, later keys must follow them this way, so
    /// that none overtakes another.
    typing: Arc<AtomicUsize>,
}

impl Typist {
    /// Start the writer for `session`'s pane; a batch tmux refused is reported to `events` as
    /// the lane's failed write (it was accepted when queued).
    pub(crate) fn spawn(
        env: &[(String, String)],
        session: &str,
        lane: &LaneId,
        events: EventSender,
    ) -> std::io::Result<Self> {
        let target = crate::model::lane::tmux_pane_target(session);
        let (keys, rx) = mpsc::channel::<Vec<u8>>();
        let typing = Arc::new(AtomicUsize::new(0));
        let typing_w = typing.clone();
        let (env, lane) = (env.to_vec(), lane.clone());
        std::thread::Builder::new()
            .name(format!("keys-{}", lane.as_str()))
            .spawn(move || {
                key_loop(&env, &target, &rx, &typing_w, &mut |error| {
                    let sent = events.send(crate::app::Event::LaneCommandDone {
                        what: crate::model::AuditAction::LaneWrite.to_string(),
                        lane: Some(lane.clone()),
                        result: Err(error),
                    });
                    if sent.is_err() {
                        tracing::debug!(lane = %lane, "the console has ended; the failure is logged only");
                    }
                });
            })?;
        Ok(Self { keys, typing })
    }

    /// Queue `bytes`; `Err` when the writer has ended.
    pub(crate) fn send(&self, bytes: Vec<u8>) -> Result<(), ()> {
        self.typing.fetch_add(1, Ordering::AcqRel);
        self.keys.send(bytes).map_err(|_| {
            self.typing.fetch_sub(1, Ordering::AcqRel);
        })
    }

    /// Keys given to [`Typist::send`] that tmux has not typed yet.
    pub(crate) fn typing(&self) -> bool {
        self.typing.load(Ordering::Acquire) > 0
    }
}

/// Each batch is one `tmux send-keys -H` run, in order; `failed` hears of a batch that did not arrive.
fn key_loop(
    env: &[(String, String)],
    target: &str,
    rx: &mpsc::Receiver<Vec<u8>>,
    typing: &AtomicUsize,
    failed: &mut dyn FnMut(String),
) {
    while let Ok(mut bytes) = rx.recv() {
        let mut batches = 1;
        while let Ok(more) = rx.try_recv() {
            bytes.extend(more);
            batches += 1;
        }
        let args = send_keys_args(target, &bytes);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let typed = tmux(env, &args);
        // Typed (or lost, as said below): keys after these may take the faster way.
        typing.fetch_sub(batches, Ordering::AcqRel);
        let error = match typed {
            Ok(o) if o.status.success() => continue,
            Ok(o) => format!(
                "tmux send-keys to {target}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => format!("tmux send-keys to {target} could not run: {e}"),
        };
        tracing::warn!("{error}");
        failed(error);
    }
}

/// `send-keys -H` commands for raw bytes, 128 bytes each, joined with tmux's `;`.
fn send_keys_args(target: &str, bytes: &[u8]) -> Vec<String> {
    let mut args = Vec::with_capacity(bytes.len() + 8);
    for (i, chunk) in bytes.chunks(128).enumerate() {
        if i > 0 {
            args.push(";".to_string());
        }
        args.extend(["send-keys", "-t", target, "-H"].map(String::from));
        args.extend(chunk.iter().map(|b| format!("{b:02x}")));
    }
    args
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn keys_become_send_keys_commands_of_128_bytes() {
        let args = send_keys_args("=s:", b"a\x1b");
        assert_eq!(args, ["send-keys", "-t", "=s:", "-H", "61", "1b"]);
        let long = send_keys_args("t", &[b'x'; 200]);
        assert_eq!(long.iter().filter(|a| *a == ";").count(), 1);
        assert_eq!(long.iter().filter(|a| *a == "78").count(), 200);
    }

    /// A write is accepted when queued; keys tmux refused are reported, not only logged.
    #[test]
    fn keys_that_do_not_arrive_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![("TMUX_TMPDIR".to_string(), dir.path().display().to_string())];
        let (tx, rx) = mpsc::channel();
        tx.send(b"x".to_vec()).unwrap();
        tx.send(b"y".to_vec()).unwrap();
        drop(tx);
        let mut errors = Vec::new();
        // Two batches queued, typed (and failed) as one: none is left counted as typing.
        let typing = AtomicUsize::new(2);
        key_loop(&env, "=gone:", &rx, &typing, &mut |e| errors.push(e));
        assert_eq!(typing.load(Ordering::Acquire), 0);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("send-keys to =gone:"), "{errors:?}");
    }
}
