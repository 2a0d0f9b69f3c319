//! `pipe` mode: par lanes read from their pane's own output (the tap's feed, pty/feed.rs),
//! lanes waiting for their tap to serve, and the attach client of the lane in front.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use super::{LanePty, Link, Pace, PortablePtys, TAP_REFUSED, TAP_SERVING, TAP_WAITING};
use crate::app::Event;
use crate::config::TmuxClient;
use crate::model::{LaneId, LaneInfo, LaneSource};
use crate::pty::feed;
use crate::pty::screen::LaneScreen;
use crate::pty::tmux_pane::PaneNews;
use crate::pty::{PtyBackend, PtyError};

impl PortablePtys {
    /// A `pipe`-mode par lane's feed, when its tap serves one (else `None`: an older tap, the
    /// user's own pipe, or a pane piped a moment ago whose tap has not started yet; `sync`
    /// tries again).
    pub(super) fn start_feed(
        &self,
        lane: &LaneInfo,
        size: (u16, u16),
        seeded: Option<Arc<LaneScreen>>,
    ) -> Option<(LanePty, Arc<LaneScreen>)> {
        let LaneSource::Par { session } = &lane.source else {
            return None;
        };
        if self.config.tmux_client != TmuxClient::Pipe {
            return None;
        }
        let socket = feed::socket_path(&self.config.feed_dir, &lane.worktree, session);
        // Asked again at every re-read of the lanes while the tap has not started.
        if !socket.exists() {
            return None;
        }
        // No scrollback: a fed lane's history is read from tmux when it is scrolled back (as
        // in attach mode), and keeping the pane's whole output cost memory and time. A waiting
        // lane's screen, seeded already, goes on showing until the feed's own seed.
        let screen = seeded.unwrap_or_else(|| {
            Arc::new(LaneScreen::with_colors(
                size.0,
                size.1,
                0,
                self.config.colors,
            ))
        });
        let behind = Arc::new(AtomicBool::new(!self.is_front(&lane.id)));
        let ctx = self.reader_ctx(&lane.id, &screen, Some(behind.clone()), usize::MAX);
        let (exited, detached) = (ctx.exited.clone(), ctx.detached.clone());
        let (fed, reader) = feed::spawn(&self.config.env, session, &socket, ctx)
            .inspect_err(|e| {
                tracing::debug!(lane = %lane.id, "no feed at {}: {e}", socket.display());
            })
            .ok()?;
        let pty = LanePty {
            source: lane.source.clone(),
            info: lane.clone(),
            link: Link::Feed(fed),
            exited,
            detached,
            size,
            sized: false,
            attach: false,
            pace: Some(Pace { behind, reader }),
        };
        Some((pty, screen))
    }

    /// Give the lane in front an attach client when it is fed (keys, its cursor, tmux's status
    /// line), shown once it has drawn.
    pub(super) fn attach_front(&mut self) {
        let Some(id) = self.front.clone() else {
            return;
        };
        let Some(p) = self.ptys.get(&id) else {
            return;
        };
        let Link::Feed(fed) = &p.link else {
            return;
        };
        if self.attached.as_ref().is_some_and(|(a, ..)| *a == id)
            || self.refused.as_ref() == Some(&id)
        {
            return;
        }
        // Not sized by a pane (the grid): a client of the window's own size, known from the
        // lane's first seed, so that selecting a lane never resizes its agent (until then the
        // lane shows its fed screen, and keys go in through `send-keys`).
        let size = if p.sized {
            p.size
        } else {
            let Some(size) = fed.client_size() else {
                self.ask_client_size(&id);
                return;
            };
            size
        };
        let info = p.info.clone();
        match self.start(&info, size) {
            Ok((pty, screen)) => {
                self.repainted.push(id.clone());
                self.screens
                    .set_front(Some((id.clone(), screen.clone())), false);
                self.attached = Some((id, pty, screen));
            }
            Err(e) => {
                tracing::warn!("{e}; the lane shows its pane's output, keys through send-keys");
                self.refused = Some(id);
            }
        }
    }

    /// Ask tmux (off the console's thread) for the size the front lane's client must have,
    /// once per lane coming to the front, rather than wait for its feed's first seed.
    fn ask_client_size(&mut self, lane: &LaneId) {
        if self.sizing.as_ref() == Some(lane) {
            return;
        }
        let Some(p) = self.ptys.get(lane) else {
            return;
        };
        let (Link::Feed(fed), LaneSource::Par { session }) = (&p.link, &p.info.source) else {
            return;
        };
        let (events, id) = (self.events.clone(), lane.clone());
        let known = Box::new(move || {
            if events.send(Event::LaneClientSized { lane: id }).is_err() {
                tracing::debug!("the console has ended before its lane's client size came");
            }
        });
        self.prepare
            .client_size(&self.config.env, session, fed.keep(), known);
        self.sizing = Some(lane.clone());
    }

    /// Close the front lane's attach client; the lane shows its feed again.
    pub(super) fn drop_attached(&mut self) {
        if let Some((lane, mut p, _)) = self.attached.take() {
            p.close();
            // Its feed's notices were held while it was not shown (the pending notice was
            // never handled): from now on they are due again.
            if let Some(s) = self.screens.own(&lane) {
                s.clear_pending();
            }
        }
        self.screens.set_front(None, false);
    }

    /// A lane behind waiting for the tap its console has just started: a blank screen until
    /// then (`resolve_pending`).
    pub(super) fn pending(
        &self,
        lane: &LaneInfo,
        size: (u16, u16),
        tap: Arc<AtomicU8>,
    ) -> (LanePty, Arc<LaneScreen>) {
        let screen = Arc::new(LaneScreen::with_colors(
            size.0,
            size.1,
            0,
            self.config.colors,
        ));
        let pty = LanePty {
            source: lane.source.clone(),
            info: lane.clone(),
            link: Link::Pending {
                tap,
                keys: Vec::new(),
            },
            exited: Arc::new(AtomicBool::new(false)),
            detached: Arc::new(AtomicBool::new(false)),
            size,
            sized: false,
            attach: false,
            pace: None,
        };
        (pty, screen)
    }

    /// What a waiting lane's console does with the news of its pane: a seeded screen is drawn,
    /// and the tap's fate is kept for `resolve_pending` (woken by `LaneTapDecided`).
    pub(super) fn pane_news(
        &self,
        lane: &LaneId,
        state: Arc<AtomicU8>,
    ) -> Box<dyn FnMut(PaneNews) + Send> {
        let (events, lane) = (self.events.clone(), lane.clone());
        Box::new(move |news| {
            let event = match news {
                PaneNews::Seeded => Event::LaneSeeded { lane: lane.clone() },
                PaneNews::Tap { serving } => {
                    let decided = if serving { TAP_SERVING } else { TAP_REFUSED };
                    state.store(decided, Ordering::Release);
                    Event::LaneTapDecided { lane: lane.clone() }
                }
            };
            if events.send(event).is_err() {
                tracing::debug!(lane = %lane, "the console has ended before its lane's tap served");
            }
        })
    }

    /// A lane waiting for its tap, once the tap's fate is known: read from the tap, or through
    /// an attach client when none serves; the keys typed meanwhile follow.
    pub(super) fn resolve_pending(&mut self, lane: &LaneId) -> Result<(), PtyError> {
        let Some(p) = self.ptys.get(lane) else {
            return Ok(());
        };
        let Link::Pending { tap, .. } = &p.link else {
            return Ok(());
        };
        let serving = match tap.load(Ordering::Acquire) {
            TAP_WAITING => return Ok(()),
            state => state == TAP_SERVING,
        };
        let (info, size, sized) = (p.info.clone(), p.size, p.sized);
        let seeded = self.screens.get(lane).cloned();
        let (mut pty, screen) = match serving
            .then(|| self.start_feed(&info, size, seeded))
            .flatten()
        {
            Some(fed) => fed,
            None => self.start(&info, size)?,
        };
        pty.sized = sized;
        self.screens.insert(lane.clone(), screen);
        let keys = match self.ptys.insert(lane.clone(), pty).map(|p| p.link) {
            Some(Link::Pending { keys, .. }) => keys,
            _ => Vec::new(),
        };
        for k in keys {
            self.write(lane, k)?;
        }
        self.attach_front();
        Ok(())
    }

    /// A `pipe`-mode par lane read through an attach client (its tap was not serving yet):
    /// switch it to its feed when the tap serves now. The client is kept as the front lane's.
    pub(super) fn try_feed(&mut self, lane: &LaneId) {
        let Some(p) = self.ptys.get(lane) else {
            return;
        };
        if !p.attach || self.config.tmux_client != TmuxClient::Pipe {
            return;
        }
        let (info, size, sized) = (p.info.clone(), p.size, p.sized);
        let Some((mut fed, screen)) = self.start_feed(&info, size, None) else {
            return;
        };
        fed.sized = sized;
        let Some(old) = self.ptys.insert(lane.clone(), fed) else {
            return;
        };
        let old_screen = self.screens.get(lane).cloned();
        self.screens.insert(lane.clone(), screen);
        match old_screen {
            Some(s) if self.is_front(lane) && self.attached.is_none() => {
                // Already drawn: shown from now on.
                self.screens
                    .set_front(Some((lane.clone(), s.clone())), true);
                self.attached = Some((lane.clone(), old, s));
            }
            _ => {
                let mut old = old;
                old.close();
            }
        }
    }

    /// Keys for a fed lane are still being typed through `tmux send-keys`.
    pub(super) fn typing(&self, lane: &LaneId) -> bool {
        self.ptys
            .get(lane)
            .is_some_and(|p| matches!(&p.link, Link::Feed(f) if f.typing()))
    }

    /// The lane is read from its pane's own output (`pipe` mode; pty/feed.rs).
    pub fn is_fed(&self, lane: &LaneId) -> bool {
        self.ptys
            .get(lane)
            .is_some_and(|p| matches!(p.link, Link::Feed(_)))
    }
}
