//! The lane terminal backend: per par lane its pane's output from the tap (`feed.rs`, the
//! default), a PTY running `tmux attach`, or a tmux control-mode client (`control.rs`); per
//! plain lane a PTY running a shell in the worktree. Their threads are in `reader.rs`, the tmux
//! calls for a pane in `tmux_pane.rs`, `pipe` mode's side of the backend in `portable/piped.rs`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc;

use portable_pty::{ChildKiller, CommandBuilder, MasterPty, PtySize, native_pty_system};

use crate::app::event::EventSender;
use crate::config::TmuxClient;
use crate::model::{LaneId, LaneInfo, LaneSource};
use crate::pty::ScreenSource;
use crate::pty::control::{self, Ctl};
use crate::pty::feed::{self, Feed};
use crate::pty::keys::Keys;
use crate::pty::reader::{BACKGROUND_READ_MAX, FrontOutput, ReaderCtx, read_loop};
use crate::pty::screen::{InputModes, LaneScreen, Screens};
use crate::pty::tmux_pane::{Pane, Preparer, capture_history};
use crate::pty::typist::Typist;
use crate::pty::{DEFAULT_SIZE, PtyBackend, PtyError, QueryColors};

mod piped;

/// How lane terminals are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtyConfig {
    /// Scrollback lines kept per lane (`[lanes] scrollback`).
    pub scrollback: usize,
    /// Shell for plain worktree lanes (`[lanes] shell`, else `$SHELL`, else /bin/sh).
    pub shell: String,
    /// Extra environment for every lane process (an isolated `TMUX_TMPDIR`, say).
    pub env: Vec<(String, String)>,
    /// How par lanes are read (`[lanes] tmux_client`).
    pub tmux_client: TmuxClient,
    /// The colours a lane's program is told its terminal has (from the theme).
    pub colors: QueryColors,
    /// A lane's OSC 52 may reach the user's clipboard (`[lanes] clipboard = "allow"`).
    pub clipboard: bool,
    /// The helios binary that tmux runs on a par lane's output (`pipe-pane -O`, `helios
    /// osc-tap`) to catch OSC 9/777 notifications, which tmux 3.3 keeps from attached clients.
    /// `None` (tests that drive lanes without the binary): not done.
    pub osc_tap: Option<std::path::PathBuf>,
    /// The ssh command for lanes on other machines (`[lanes] ssh`).
    pub ssh: Vec<String>,
    /// Where par lanes' taps serve their output (`pty::feed::dir()`).
    pub feed_dir: std::path::PathBuf,
}

impl PtyConfig {
    /// From the `[lanes]` config section and the environment.
    pub fn from_config(lanes: &crate::config::LanesConfig) -> Self {
        let shell = lanes
            .shell
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| std::env::var("SHELL").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "/bin/sh".into());
        Self {
            scrollback: lanes.scrollback,
            shell,
            env: Vec::new(),
            tmux_client: lanes.tmux_client,
            colors: QueryColors::default(),
            clipboard: lanes.clipboard == crate::config::LaneClipboard::Allow,
            osc_tap: None,
            ssh: lanes.ssh.clone(),
            feed_dir: crate::pty::feed::dir(),
        }
    }
}

/// How helios talks to a lane's process.
enum Link {
    /// A PTY: a shell, or a `tmux attach` client.
    Pty {
        master: Box<dyn MasterPty + Send>,
        killer: Box<dyn ChildKiller + Send + Sync>,
        input: Keys,
        /// Its output, which the loop reads while the lane is in front.
        output: FrontOutput,
    },
    /// A tmux control-mode client.
    Control(mpsc::Sender<Ctl>),
    /// The pane's own output from its tap (pty/feed.rs); in front, an attach client as well
    /// (`PortablePtys::attached`).
    Feed(Feed),
    /// A lane behind, in `pipe` mode, whose tap the console has just started: read from the tap
    /// once it serves ([`TAP_SERVING`]), else through an attach client; keys typed meanwhile
    /// wait here. No attach client in the meantime: it would cost a tmux client per lane at
    /// start-up, and tmux 3.3a gives a window whose only client has `ignore-size` its
    /// `default-size`.
    Pending {
        tap: Arc<AtomicU8>,
        keys: Vec<Vec<u8>>,
    },
}

/// A pending lane's tap: not known yet, serving, or not serving (another pipe, or none came).
const TAP_WAITING: u8 = 0;
const TAP_SERVING: u8 = 1;
const TAP_REFUSED: u8 = 2;

/// One lane's live terminal.
struct LanePty {
    /// What it was started for, to notice a changed session.
    source: LaneSource,
    /// The lane it serves (an attach client for a fed lane is started from it).
    info: LaneInfo,
    link: Link,
    /// Set by the reader when the process ended.
    exited: Arc<AtomicBool>,
    /// Set when helios drops the PTY, so the reader does not report the exit it caused.
    detached: Arc<AtomicBool>,
    size: (u16, u16),
    /// A pane has sized the lane (`resize`); a fed lane's attach client has that size, else
    /// the one that keeps its window's.
    sized: bool,
    /// A par lane's `tmux attach` client (not the lane's own program).
    attach: bool,
    /// A paced reader (a par lane's attach client, a helios-owned lane's shell): set while the
    /// lane is behind the one in front.
    pace: Option<Pace>,
}

/// What pauses a background par lane's reader between reads, and wakes it.
#[derive(Debug, Clone)]
struct Pace {
    behind: Arc<AtomicBool>,
    reader: std::thread::Thread,
}

impl LanePty {
    fn close(&mut self) {
        self.detached.store(true, Ordering::Release);
        // The process may already be gone; nothing more to do then.
        match &mut self.link {
            Link::Pty { killer, .. } => {
                let _ = killer.kill();
            }
            // Closing the client's stdin detaches it; the session keeps running.
            Link::Control(tx) => {
                let _ = tx.send(Ctl::Close);
            }
            Link::Feed(f) => f.close(),
            Link::Pending { .. } => {}
        }
    }
}

/// Every lane's PTY; implements [`PtyBackend`].
pub struct PortablePtys {
    config: PtyConfig,
    events: EventSender,
    ptys: HashMap<LaneId, LanePty>,
    screens: Screens,
    /// The lane the user works in; par lanes behind it are read at the background pace.
    front: Option<LaneId>,
    /// The `tmux attach` client of the lane in front when that lane is fed (`pipe` mode).
    attached: Option<(LaneId, LanePty, Arc<LaneScreen>)>,
    /// The lane in front whose attach client could not start: not tried again (after every
    /// event) until another lane comes to the front.
    refused: Option<LaneId>,
    /// The lane in front whose client's size was asked of tmux (`attach_front`).
    sizing: Option<LaneId>,
    /// Readies par lanes' panes off the console's thread, the lane in front first.
    prepare: Preparer,
    /// Keys typed into par lanes whose own attach client had not drawn yet, through tmux.
    early: HashMap<LaneId, Typist>,
    /// Lanes resized or given an attach client since the engine last asked.
    repainted: Vec<LaneId>,
}

impl std::fmt::Debug for PortablePtys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortablePtys")
            .field("lanes", &self.ptys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl PortablePtys {
    /// No lanes yet; notices go to `events`.
    pub fn new(config: PtyConfig, events: EventSender) -> Self {
        Self {
            config,
            events,
            ptys: HashMap::new(),
            screens: Screens::default(),
            front: None,
            attached: None,
            refused: None,
            sizing: None,
            prepare: Preparer::default(),
            early: HashMap::new(),
            repainted: Vec::new(),
        }
    }

    /// The screens, owned (cheap `Arc` clones), for tests that watch a lane.
    pub fn screen(&self, lane: &LaneId) -> Option<Arc<LaneScreen>> {
        self.screens.get(lane).cloned()
    }

    /// The command a lane's PTY runs.
    pub fn command_for(&self, lane: &LaneInfo) -> CommandBuilder {
        let mut cmd = match &lane.source {
            LaneSource::Par { session } => {
                let mut c = CommandBuilder::new("tmux");
                // A lane keeps its size: helios's client never sizes the agent's window (a
                // grid tile would shrink it, and the agent reflow its output to the tile); tmux
                // shows the window in the client, cropped around the cursor when larger.
                c.args([
                    "attach-session",
                    "-f",
                    "ignore-size",
                    "-t",
                    &crate::model::lane::tmux_target(session),
                ]);
                c
            }
            LaneSource::Worktree => CommandBuilder::new(&self.config.shell),
            LaneSource::Remote {
                ssh,
                session,
                socket,
                ..
            } => {
                // The reducer opens only remote lanes with a session (a plain worktree there
                // is refused with a message), so the empty name is never attached.
                let argv = crate::model::fleet::attach_argv(
                    &self.config.ssh,
                    ssh,
                    session.as_deref().unwrap_or_default(),
                    socket.as_deref(),
                    false,
                );
                let mut c = CommandBuilder::new(&argv[0]);
                c.args(&argv[1..]);
                c
            }
        };
        // The agents in the lanes get none of helios's own credentials.
        crate::config::secrets::scrub_env(|name| cmd.env_remove(name));
        // Never nest: the attach must be a fresh client even when helios runs inside tmux.
        cmd.env_remove("TMUX");
        cmd.env_remove("TMUX_PANE");
        // What the vt100 screen model understands.
        cmd.env("TERM", "xterm-256color");
        for (k, v) in &self.config.env {
            cmd.env(k, v);
        }
        // A remote lane's worktree is a path on its host.
        match &lane.source {
            LaneSource::Remote { .. } => {
                if let Some(home) = std::env::var_os("HOME") {
                    cmd.cwd(home);
                }
            }
            _ => cmd.cwd(&lane.worktree),
        }
        cmd
    }

    /// Start a lane's PTY (in `pipe` mode, a par lane's feed when its tap serves one).
    pub fn spawn(&mut self, lane: &LaneInfo) -> Result<(), PtyError> {
        let (size, sized) = self
            .ptys
            .get(&lane.id)
            .map_or((DEFAULT_SIZE, false), |p| (p.size, p.sized));
        if let Some(mut old) = self.ptys.remove(&lane.id) {
            old.close();
        }
        if self.attached.as_ref().is_some_and(|(a, ..)| *a == lane.id) {
            self.drop_attached();
        }
        // A restarted lane's client is tried again, with its new feed's size.
        if self.refused.as_ref() == Some(&lane.id) {
            self.refused = None;
        }
        if self.sizing.as_ref() == Some(&lane.id) {
            self.sizing = None;
        }
        let mut pending = None;
        if let LaneSource::Par { session } = &lane.source {
            let tap = self
                .config
                .osc_tap
                .as_deref()
                .filter(|_| self.config.tmux_client != TmuxClient::Control)
                .map(|bin| (bin, self.config.feed_dir.as_path()));
            let feed = feed::socket_path(&self.config.feed_dir, &lane.worktree, session);
            // Pipe mode, no tap serving yet: the lane waits for the one about to start.
            let waiting =
                (tap.is_some() && self.config.tmux_client == TmuxClient::Pipe && !feed.exists())
                    .then(|| {
                        let state = Arc::new(AtomicU8::new(TAP_WAITING));
                        let (p, screen) = self.pending(lane, size, state.clone());
                        pending = Some((p, screen.clone()));
                        (screen, self.pane_news(&lane.id, state))
                    });
            let pane = Pane {
                env: &self.config.env,
                session,
                worktree: &lane.worktree,
                tap,
            };
            self.prepare.pane(pane, waiting, self.is_front(&lane.id));
        }
        let (mut pty, screen) = match pending {
            Some(waiting) => waiting,
            None => match self.start_feed(lane, size, None) {
                Some(fed) => fed,
                None => self.start(lane, size)?,
            },
        };
        pty.sized = sized;
        self.screens.insert(lane.id.clone(), screen);
        self.ptys.insert(lane.id.clone(), pty);
        self.attach_front();
        Ok(())
    }

    /// A lane's PTY (a shell, a `tmux attach` client, an ssh) or tmux control client.
    fn start(
        &self,
        lane: &LaneInfo,
        size: (u16, u16),
    ) -> Result<(LanePty, Arc<LaneScreen>), PtyError> {
        let control = match &lane.source {
            LaneSource::Par { session } if self.config.tmux_client == TmuxClient::Control => {
                Some(session.clone())
            }
            _ => None,
        };
        let program = match &lane.source {
            LaneSource::Par { .. } if control.is_some() => "tmux -C attach".to_string(),
            LaneSource::Par { .. } => "tmux attach".to_string(),
            LaneSource::Worktree => self.config.shell.clone(),
            LaneSource::Remote { ssh, .. } => format!("ssh {ssh}"),
        };
        let err = |message: String| PtyError::Spawn {
            lane: lane.id.clone(),
            program: program.clone(),
            message,
        };
        let screen = Arc::new(LaneScreen::with_colors(
            size.0,
            size.1,
            self.config.scrollback,
            self.config.colors,
        ));
        let attach = matches!(lane.source, LaneSource::Par { .. }) && control.is_none();
        let paced = attach || matches!(lane.source, LaneSource::Worktree);
        let behind = paced.then(|| Arc::new(AtomicBool::new(!self.is_front(&lane.id))));
        let read_max = if attach {
            usize::MAX
        } else {
            BACKGROUND_READ_MAX
        };
        let ctx = self.reader_ctx(&lane.id, &screen, behind.clone(), read_max);
        let (exited, detached) = (ctx.exited.clone(), ctx.detached.clone());
        let (link, pace) = if let Some(session) = control {
            let tx = control::spawn(&self.config, lane, &session, size, ctx)
                .map_err(|e| err(e.to_string()))?;
            (Link::Control(tx), None)
        } else {
            let (link, reader) = self.spawn_pty(lane, size, ctx).map_err(err)?;
            (link, behind.map(|behind| Pace { behind, reader }))
        };
        let pty = LanePty {
            source: lane.source.clone(),
            info: lane.clone(),
            link,
            exited,
            detached,
            size,
            sized: false,
            attach,
            pace,
        };
        Ok((pty, screen))
    }

    /// What a new reader of `lane` needs (no replies: the PTY's spawn adds them).
    fn reader_ctx(
        &self,
        lane: &LaneId,
        screen: &Arc<LaneScreen>,
        behind: Option<Arc<AtomicBool>>,
        read_max: usize,
    ) -> ReaderCtx {
        ReaderCtx {
            lane: lane.clone(),
            screen: screen.clone(),
            events: self.events.clone(),
            exited: Arc::new(AtomicBool::new(false)),
            detached: Arc::new(AtomicBool::new(false)),
            behind,
            read_max,
            replies: None,
            clipboard: self.config.clipboard,
        }
    }

    fn is_front(&self, lane: &LaneId) -> bool {
        self.front.as_ref() == Some(lane)
    }

    /// A PTY running the lane's command, with its reader and writer threads; also returns the
    /// reader thread.
    fn spawn_pty(
        &self,
        lane: &LaneInfo,
        size: (u16, u16),
        mut ctx: ReaderCtx,
    ) -> Result<(Link, std::thread::Thread), String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: size.0,
                cols: size.1,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| err(&e))?;
        let mut child = pair
            .slave
            .spawn_command(self.command_for(lane))
            .map_err(|e| err(&e))?;
        drop(pair.slave);
        let killer = child.clone_killer();
        // Not portable-pty's reader and writer: they block, and its writer, when dropped,
        // sends "\n" and ^D, which through a live `tmux attach` would end the agent's session.
        let fd = pair
            .master
            .as_raw_fd()
            .ok_or_else(|| "the PTY has no descriptor".to_string())
            .and_then(|raw| crate::pty::keys::open(raw).map_err(|e| err(&e)))?;
        let fd = Arc::new(fd);
        let (input, writer) = crate::pty::keys::keys(fd.clone());
        // helios is this PTY's terminal (a shell's, or a `tmux attach` client's): it answers
        // the queries read from it.
        ctx.replies = Some(input.clone());
        let output = FrontOutput::new(fd, ctx);
        let name = lane.id.as_str();
        std::thread::Builder::new()
            .name(format!("pty-write-{name}"))
            .spawn(move || writer.run())
            .map_err(|e| err(&e))?;
        let read = output.clone();
        let reader = std::thread::Builder::new()
            .name(format!("pty-read-{name}"))
            .spawn(move || {
                read_loop(&read);
                let code = child.wait().ok().map(|s| s.exit_code());
                read.ctx().finish(code);
            })
            .map_err(|e| err(&e))?;
        let link = Link::Pty {
            master: pair.master,
            killer,
            input,
            output,
        };
        Ok((link, reader.thread().clone()))
    }

    /// The process group in the foreground of a helios-owned lane's terminal (`None` for a
    /// `tmux attach` client, whose foreground is tmux itself: tmux reports the lane's).
    fn foreground_group(&self, lane: &LaneId) -> Option<i32> {
        let pty = self.ptys.get(lane)?;
        match &pty.link {
            Link::Pty { master, .. } if !pty.attach => master.process_group_leader(),
            _ => None,
        }
    }
}

/// Resize a lane's PTY; a failure leaves the old size (logged), and the next resize tries again.
fn resize_pty(lane: &LaneId, master: &(dyn MasterPty + Send), rows: u16, cols: u16) {
    if let Err(e) = master.resize(PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }) {
        tracing::warn!(lane = %lane, rows, cols, "lane PTY resize failed: {e}");
    }
}

impl PtyBackend for PortablePtys {
    fn restart(&mut self, lane: &LaneInfo) -> Result<(), PtyError> {
        self.spawn(lane)
    }

    fn sync(&mut self, lanes: &[LaneInfo]) -> Vec<PtyError> {
        let gone: Vec<LaneId> = self
            .ptys
            .keys()
            .filter(|id| !lanes.iter().any(|l| &l.id == *id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(mut p) = self.ptys.remove(&id) {
                p.close();
            }
            self.early.remove(&id);
            if self.attached.as_ref().is_some_and(|(a, ..)| *a == id) {
                self.drop_attached();
            }
            self.screens.remove(&id);
        }
        let mut errors = Vec::new();
        // The lane in front first: its pane is readied before the others'.
        let (front, behind): (Vec<&LaneInfo>, Vec<&LaneInfo>) =
            lanes.iter().partition(|l| self.is_front(&l.id));
        for lane in front.into_iter().chain(behind).filter(|l| l.session_alive) {
            let needs = self.ptys.get(&lane.id).is_none_or(|p| {
                p.source != lane.source || (p.exited.load(Ordering::Acquire) && lane.is_durable())
            });
            if needs {
                if let Err(e) = self.spawn(lane) {
                    errors.push(e);
                }
            } else {
                self.try_feed(&lane.id);
                if let Err(e) = self.resolve_pending(&lane.id) {
                    errors.push(e);
                }
            }
        }
        errors
    }

    fn write(&mut self, lane: &LaneId, bytes: Vec<u8>) -> Result<(), PtyError> {
        let not_running = || PtyError::NotRunning { lane: lane.clone() };
        if let Some(LanePty {
            link: Link::Pending { keys, .. },
            ..
        }) = self.ptys.get_mut(lane)
        {
            keys.push(bytes);
            return Ok(());
        }
        // A fed lane in front: keys through its attach client while it runs, once it has
        // drawn (tmux made its terminal raw first: before, the line discipline would eat a
        // Ctrl-C and echo the rest) and every key typed through tmux meanwhile has arrived.
        let front = match &self.attached {
            Some((a, p, _))
                if a == lane
                    && !p.exited.load(Ordering::Acquire)
                    && self.screens.shows_front(lane)
                    && !self.typing(lane) =>
            {
                Some(p)
            }
            _ => None,
        };
        let p = match front {
            Some(p) => p,
            None => self.ptys.get(lane).ok_or_else(not_running)?,
        };
        if p.exited.load(Ordering::Acquire) {
            return Err(not_running());
        }
        // A par lane's own attach client (`attach` mode, or a tap that does not serve) waits
        // for its first draw the same way.
        if front.is_none()
            && p.attach
            && let (Link::Pty { .. }, LaneSource::Par { session }) = (&p.link, &p.info.source)
            && (!self.screens.own(lane).is_some_and(|s| s.drawn())
                || self.early.get(lane).is_some_and(Typist::typing))
        {
            let typist = match self.early.entry(lane.clone()) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(v) => {
                    let t = Typist::spawn(&self.config.env, session, lane, self.events.clone())
                        .map_err(|e| PtyError::Spawn {
                            lane: lane.clone(),
                            program: "a key writer thread".into(),
                            message: e.to_string(),
                        })?;
                    v.insert(t)
                }
            };
            return typist.send(bytes).map_err(|()| not_running());
        }
        match &p.link {
            Link::Pty { input, .. } => input.send(bytes).map_err(|()| not_running()),
            Link::Control(tx) => tx.send(Ctl::Keys(bytes)).map_err(|_| not_running()),
            Link::Feed(f) => f.send_keys(bytes).map_err(|()| not_running()),
            Link::Pending { .. } => Err(not_running()),
        }
    }

    fn resize(&mut self, lane: &LaneId, rows: u16, cols: u16) {
        let (rows, cols) = (
            rows.max(crate::pty::MIN_SIZE.0),
            cols.max(crate::pty::MIN_SIZE.1),
        );
        let Some(p) = self.ptys.get_mut(lane) else {
            return;
        };
        p.sized = true;
        if p.size == (rows, cols) {
            return;
        }
        p.size = (rows, cols);
        match &p.link {
            Link::Pty { master, .. } => {
                resize_pty(lane, master.as_ref(), rows, cols);
                if let Some(s) = self.screens.get(lane) {
                    s.set_size(rows, cols);
                }
            }
            // The screen follows the window's real size from `%layout-change`.
            Link::Control(tx) => {
                let _ = tx.send(Ctl::Resize(rows, cols));
            }
            // The fed screen has the pane's size; the attach client in front takes this one,
            // and the fed screen is taken from tmux again for the reflowed pane.
            Link::Feed(f) => {
                if let Some((a, ap, screen)) = &mut self.attached
                    && a == lane
                    && let Link::Pty { master, .. } = &ap.link
                {
                    ap.size = (rows, cols);
                    resize_pty(lane, master.as_ref(), rows, cols);
                    screen.set_size(rows, cols);
                    f.resized();
                }
            }
            // Its link, when it comes, starts at this size.
            Link::Pending { .. } => {}
        }
        self.repainted.push(lane.clone());
    }

    fn take_repainted(&mut self) -> Vec<LaneId> {
        std::mem::take(&mut self.repainted)
    }

    fn pane_size(&mut self, lane: &LaneId, size: (u16, u16)) {
        // Only a fed screen has the pane's size; an attach client's tmux draws at its own.
        if let Some(p) = self.ptys.get(lane)
            && let Link::Feed(f) = &p.link
            && self
                .screens
                .own(lane)
                .is_some_and(|s| s.drawn() && !s.has_size(size.0, size.1))
        {
            f.reseed();
        }
    }

    fn set_scroll(&mut self, lane: &LaneId, rows: usize) {
        let Some(s) = self.screens.get(lane) else {
            return;
        };
        let was = s.scroll();
        s.set_scroll(rows);
        // A par lane in attach mode: its history is in tmux, read once as the view leaves the
        // live screen (and kept, like tmux's copy mode, until it returns).
        if was == 0
            && rows > 0
            && let Some(p) = self.ptys.get(lane)
            && let (LaneSource::Par { session }, Link::Pty { .. } | Link::Feed(_)) =
                (&p.source, &p.link)
        {
            s.expect_history();
            capture_history(
                &self.config.env,
                session,
                self.config.scrollback,
                Arc::clone(s),
            );
        }
    }

    fn set_front(&mut self, lane: Option<&LaneId>) {
        if self.front.as_ref() == lane {
            // A fed lane's client waits for its first seed (the size that keeps its window).
            self.attach_front();
            return;
        }
        self.front = lane.cloned();
        self.refused = None;
        self.sizing = None;
        if self
            .attached
            .as_ref()
            .is_some_and(|(a, ..)| Some(a) != lane)
        {
            self.drop_attached();
        }
        self.attach_front();
        for (id, p) in &self.ptys {
            if let Some(pace) = &p.pace {
                let behind = Some(id) != lane;
                let was_behind = pace.behind.swap(behind, Ordering::AcqRel);
                if was_behind && !behind {
                    pace.reader.unpark();
                }
            }
        }
    }

    fn front_output(&self) -> Option<&FrontOutput> {
        let front = self.front.as_ref()?;
        // A fed lane in front is shown from its attach client.
        let p = match &self.attached {
            Some((a, p, _)) if a == front => p,
            _ => self.ptys.get(front)?,
        };
        match &p.link {
            Link::Pty { output, .. } if !p.exited.load(Ordering::Acquire) => Some(output),
            _ => None,
        }
    }

    fn notice_handled(&self, lane: &LaneId) {
        if let Some(s) = self.screens.get(lane) {
            s.clear_pending();
        }
    }

    fn snapshot(&self, lane: &LaneId) -> Option<crate::pty::Snapshot> {
        // An attached par lane (a `tmux attach` client) shows tmux's status line.
        let status_line =
            self.ptys.get(lane).is_some_and(|p| p.attach) || self.screens.shows_front(lane);
        self.screens.get(lane).map(|s| s.snapshot(status_line))
    }

    fn foreground(&self, lane: &LaneId) -> Option<String> {
        super::foreground::command_of(self.foreground_group(lane)?)
    }

    fn foreground_read(&self, lane: &LaneId) -> crate::pty::ForegroundRead {
        let group = self.foreground_group(lane);
        Box::new(move || super::foreground::command_of(group?))
    }

    fn input_modes(&self, lane: &LaneId) -> InputModes {
        self.screens
            .get(lane)
            .map(|s| s.input_modes())
            .unwrap_or_default()
    }

    fn drawn(&self, lane: &LaneId) -> bool {
        self.screens.get(lane).is_none_or(|s| s.drawn())
    }

    fn screens(&self) -> &dyn ScreenSource {
        &self.screens
    }

    fn shutdown(&mut self) {
        self.drop_attached();
        let mut control = false;
        for (_, mut p) in self.ptys.drain() {
            control |= matches!(p.link, Link::Control(_));
            p.close();
        }
        if control {
            control::wait_all_gone(std::time::Duration::from_secs(3));
        }
    }
}

impl Drop for PortablePtys {
    fn drop(&mut self) {
        self.shutdown();
    }
}
