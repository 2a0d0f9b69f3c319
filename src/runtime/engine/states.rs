//! The engine's side of lane states: the once-a-second look at every lane's screen, the probe
//! of what runs in each lane, and the store (read on a hook's wake, written on a change).

use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use time::OffsetDateTime;

use crate::agent::screen::{Patterns, ScreenMatch, is_shell, looks_like_shell_prompt};
use crate::agent::{Decision, Process};
use crate::app::agent::{LoadedState, ScreenObservation};
use crate::app::{Event, update};
use crate::lanes::LaneId;
use crate::pty::PtyBackend;
use crate::runtime::engine::Engine;
use crate::store::lane_state::{self, LaneKey};
use crate::store::sqlite::SqliteStore;

/// How often (in ticks) the lanes' foreground processes are probed.
const PROBE_EVERY: u32 = 2;

/// What the engine remembers between looks.
#[derive(Default)]
pub struct Watch {
    /// The prompts to recognise (shipped plus the user's).
    pub patterns: Patterns,
    screens: HashMap<LaneId, Seen>,
    ticks: u32,
    probing: Arc<AtomicBool>,
    /// The one thread that writes lane states, in the order they were decided: two blocking
    /// tasks could commit out of order and leave the store with the older state (seen: an
    /// `exited` without its status after the one with it).
    recorder: std::sync::OnceLock<std::sync::mpsc::Sender<RecordJob>>,
    /// The thread that reads lane states, started at the first read (see [`start_loader`]).
    loader: std::sync::OnceLock<std::sync::mpsc::Sender<Vec<(LaneId, std::path::PathBuf)>>>,
    /// Each par lane's pane, from the last probe.
    panes: Arc<std::sync::Mutex<HashMap<LaneId, Pane>>>,
    /// The probes started, and the newest that has answered (numbered from 1): a change held
    /// back waits for a probe started after it ([`crate::app::hold`]).
    started: u64,
    probed: Arc<AtomicU64>,
    /// The newest probe whose sizes the engine has taken ([`Engine::panes_probed`]).
    taken: u64,
    /// The wall clock at the first tick, and that tick's instant: later ticks' wall time is
    /// derived from their instants, so the clock a test gives the engine is the one it uses.
    origin: Option<(std::time::Instant, OffsetDateTime)>,
}

impl Watch {
    /// The wall-clock time of `now`, derived from the first instant seen.
    fn wall(&mut self, now: std::time::Instant) -> OffsetDateTime {
        let (i0, w0) = *self
            .origin
            .get_or_insert_with(|| (now, OffsetDateTime::now_utc()));
        w0 + now.saturating_duration_since(i0)
    }
}

/// What the probe learnt of a par lane's pane.
#[derive(Debug, Clone, Copy)]
struct Pane {
    /// tmux's `window_activity`: the compact view has no lane screens, and a newer activity
    /// is its sign that the lane printed.
    activity: u64,
    /// The pane's (rows, columns): another tmux client may resize the window.
    size: Option<(u16, u16)>,
}

/// One lane-state write for the recorder thread.
type RecordJob = Box<dyn FnOnce() + Send>;

/// The recorder: runs jobs in order until the engine (the sender) is gone.
fn start_recorder() -> std::sync::mpsc::Sender<RecordJob> {
    let (tx, rx) = std::sync::mpsc::channel::<RecordJob>();
    let started = std::thread::Builder::new()
        .name("lane-states".into())
        .spawn(move || {
            for job in rx {
                job();
            }
        });
    if let Err(e) = started {
        // The jobs are dropped with the channel; each state is decided again on its next change.
        tracing::error!("cannot start the lane-state writer: {e}");
    }
    tx
}

/// The loader: one thread and one journal connection read the lanes' states. Requests that
/// queued while it read become one read (with the newest lane list): 25 agents' hooks wake the
/// console hundreds of times a second, and a read per wake fell seconds behind.
fn start_loader(
    path: std::path::PathBuf,
    events: crate::app::event::EventSender,
) -> std::sync::mpsc::Sender<Vec<(LaneId, std::path::PathBuf)>> {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<(LaneId, std::path::PathBuf)>>();
    let started = std::thread::Builder::new()
        .name("lane-reader".into())
        .spawn(move || {
            let mut store: Option<SqliteStore> = None;
            while let Ok(mut lanes) = rx.recv() {
                while let Ok(newer) = rx.try_recv() {
                    lanes = newer;
                }
                if store.is_none() {
                    match SqliteStore::open(&path) {
                        Ok(s) => store = Some(s),
                        Err(e) => {
                            // The journal's own failure is already in the status line; a
                            // second, differently worded one would push the user's refusal away.
                            tracing::warn!("reading lane states: {e}");
                            continue;
                        }
                    }
                }
                if let Some(s) = &store
                    && events
                        .send(Event::LaneStatesLoaded {
                            lanes: read_states(s, lanes),
                        })
                        .is_err()
                {
                    return;
                }
            }
        });
    if let Err(e) = started {
        tracing::error!("cannot start the lane-state reader: {e}");
    }
    tx
}

/// Each lane's stored state, decisive hook signal and newest notification.
fn read_states(store: &SqliteStore, lanes: Vec<(LaneId, std::path::PathBuf)>) -> Vec<LoadedState> {
    let mut loaded = Vec::new();
    for (lane, dir) in lanes {
        let key = lane_state::worktree_key(&dir);
        let state = lane_state::get(store.conn(), &key)
            .inspect_err(|e| tracing::warn!("reading lane {lane}'s state: {e}"))
            .ok()
            .flatten()
            .map(|s| (s.acked, s.updated, (s.state, s.why, s.evidence)));
        let (acked, recorded, state) =
            state.map_or((false, None, None), |(a, u, s)| (a, Some(u), Some(s)));
        let hook = lane_state::decisive_signal(store.conn(), &key)
            .inspect_err(|e| tracing::warn!("reading lane {lane}'s hook signals: {e}"))
            .ok()
            .flatten();
        let alert = lane_state::newest_alert(store.conn(), &key)
            .inspect_err(|e| tracing::warn!("reading lane {lane}'s notifications: {e}"))
            .ok()
            .flatten();
        loaded.push(LoadedState {
            lane,
            state,
            hook,
            alert,
            acked,
            recorded,
        });
    }
    loaded
}

/// The last look at one lane's screen.
#[derive(Default)]
struct Seen {
    hash: Option<u64>,
    /// The screen's version when it was last read: the same version, the same rows.
    version: Option<u64>,
    /// The reading of the settled screen with this hash (prompt, shell prompt at the cursor).
    read: Option<(Option<ScreenMatch>, bool)>,
    /// The tmux activity last seen, for a lane without a screen here.
    activity: Option<u64>,
    /// The lane was in front (focused or selected) at that look.
    front: bool,
    /// When that look was.
    looked: Option<std::time::Instant>,
    /// The screen's (rows, columns) at the last snapshot, and when a look found them changed
    /// or the probe found the pane's changed: a window resized by someone else (another tmux
    /// client) repaints as helios's resizes do.
    size: Option<(u16, u16)>,
    resized: Option<std::time::Instant>,
    /// The pane's size the last probe saw (par lanes).
    pane: Option<(u16, u16)>,
    /// A change of the rows held back until a probe says whether it was such a repaint.
    held: Option<crate::app::hold::Held>,
    /// The reading from before a repaint, shown until the repainted screen settles and is read.
    kept: Option<(Option<ScreenMatch>, bool)>,
}

impl Default for Patterns {
    fn default() -> Self {
        Self::builtin()
    }
}

impl<B: PtyBackend> Engine<B> {
    /// helios made `lane` draw again (resized it, brought it to the front): its output for a
    /// moment is that redraw ([`crate::app::agent::REPAINT`]).
    pub(crate) fn repainted(&mut self, lane: LaneId) {
        // The clock a test gives the engine (its ticks' instants) may run ahead of the real one.
        let at = std::time::Instant::now().max(self.state.now);
        for e in update(&mut self.state, Event::LaneRepaint { lane, at }) {
            self.execute(e);
        }
    }

    /// A probe answered: a par lane whose pane changed size since the last one was resized
    /// (by another tmux client, or by helios), and its screen is taken from tmux again when it
    /// is read at another size.
    pub(crate) fn panes_probed(&mut self) {
        self.watch.taken = self.watch.probed.load(Ordering::Acquire);
        let panes = self.panes();
        let at = std::time::Instant::now().max(self.state.now);
        for (id, pane) in panes {
            let Some(size) = pane.size else {
                continue;
            };
            let seen = self.watch.screens.entry(id.clone()).or_default();
            let resized = seen.pane.is_some_and(|p| p != size);
            seen.pane = Some(size);
            if resized {
                seen.resized = Some(at);
                // Its output from now on is the redraw too (`running`, its age).
                for e in update(
                    &mut self.state,
                    Event::LaneRepaint {
                        lane: id.clone(),
                        at,
                    },
                ) {
                    self.execute(e);
                }
            }
            self.ptys.pane_size(&id, size);
        }
    }

    /// The par lanes' panes as the last probe saw them.
    fn panes(&self) -> HashMap<LaneId, Pane> {
        self.watch
            .panes
            .lock()
            .map(|a| a.clone())
            .unwrap_or_else(|e| {
                tracing::warn!("tmux pane map poisoned: {e}; taking its last value");
                e.into_inner().clone()
            })
    }

    /// Look at every lane's screen and send what changed and what it shows.
    pub(crate) fn observe_screens(&mut self, now: std::time::Instant) {
        let at = self.watch.wall(now);
        // A probe that answered before its event was handled: its sizes count for this look.
        if self.watch.probed.load(Ordering::Acquire) > self.watch.taken {
            self.panes_probed();
        }
        let panes = self.panes();
        let probed = self.watch.taken;
        let mut holding = false;
        let mut obs = Vec::with_capacity(self.state.lanes.len());
        let front = self.state.focused.as_ref().or(self.state.selected.as_ref());
        for lane in &self.state.lanes {
            let id = lane.id();
            // A blank screen never drawn (a par lane before its seed) is no first look: read
            // as one, it would decide `unknown` over the state the last console stored.
            if !self.ptys.drawn(id) {
                continue;
            }
            let seen = self.watch.screens.entry(id.clone()).or_default();
            // A par lane comes to the front drawn by its attach client, and goes back to its
            // pane's own output: the same screen drawn by another, which is no change of the
            // lane's (read as one, selecting an idle lane decided it `working`).
            if seen.front != (front == Some(id)) {
                seen.front = front == Some(id);
                seen.hash = None;
                seen.version = None;
            }
            let version = self.ptys.screens().version(id);
            // A screen read and unchanged since needs no new copy of its rows: with 50 lanes
            // those copies took the loop 4 ms a second, ahead of any key that came meanwhile.
            let unchanged = lane.scroll == 0
                && version.is_some()
                && seen.version == version
                && seen.read.is_some();
            // A lane scrolled back shows history, not what the program draws now.
            let snap = if lane.scroll == 0 && !unchanged {
                seen.version = version;
                self.ptys.snapshot(id)
            } else {
                None
            };
            let mut moved = false;
            if snap.is_some() {
                let mut size = None;
                self.ptys
                    .screens()
                    .with_screen(id, &mut |s| size = Some(s.size()));
                let size = size.map(|(r, c)| (r.get(), c.get()));
                if seen.size.is_some() && seen.size != size {
                    seen.resized = Some(now);
                }
                seen.size = size;
            }
            // Rows that change while a repaint may still be under way (since the last look) are
            // that repaint, not the lane's output (`REPAINT`, where the rule is explained).
            let repaint = lane.repaint.max(seen.resized).is_some_and(|r| {
                seen.looked
                    .is_none_or(|p| r + crate::app::agent::REPAINT > p)
            });
            seen.looked = Some(now);
            // A change may be held back a look ([`crate::app::hold`]): the reading from before
            // it is kept meanwhile, as through a repaint.
            let holdable = !self.state.compact && crate::app::agent::holds_change(lane);
            let keep = repaint || holdable || seen.held.is_some();
            if let Some(snap) = snap {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                snap.rows.hash(&mut h);
                let hash = h.finish();
                if seen.hash != Some(hash) {
                    moved = seen.hash.is_some();
                    seen.hash = Some(hash);
                    let read = seen.read.take();
                    seen.kept = if keep {
                        read.or(seen.kept.take())
                    } else {
                        None
                    };
                }
                // Read the prompt once the rows settled (unchanged for a tick).
                if !moved && seen.read.is_none() {
                    let cursor = snap.rows.get(snap.cursor_row).map_or("", String::as_str);
                    seen.read = Some((
                        self.watch.patterns.read(&snap.rows, snap.cursor_row),
                        looks_like_shell_prompt(cursor),
                    ));
                    seen.kept = None;
                }
            } else if !unchanged && let Some(pane) = panes.get(id) {
                // No screen here (the compact view): tmux's activity time says it printed.
                moved = seen.activity.is_some_and(|a| pane.activity > a);
                seen.activity = Some(pane.activity);
            }
            let look = crate::app::hold::Look {
                moved: moved && !repaint,
                resized: seen.resized,
                probed,
                next_probe: self.watch.started + 1,
                holdable,
            };
            let (change, held) = crate::app::hold::judge(seen.held.take(), look, now, at);
            seen.held = held;
            holding |= held.is_some();
            if matches!(
                change,
                crate::app::hold::Change::Now | crate::app::hold::Change::Since(_)
            ) {
                // The lane's own output: what it showed before is no reading of it.
                seen.kept = None;
            }
            let (screen, shell_prompt) = seen
                .read
                .clone()
                .or_else(|| seen.kept.clone())
                .unwrap_or((None, false));
            obs.push(ScreenObservation {
                lane: id.clone(),
                change,
                screen,
                shell_prompt,
            });
        }
        let ids: Vec<&LaneId> = self
            .state
            .lanes
            .iter()
            .map(crate::app::state::Lane::id)
            .collect();
        self.watch.screens.retain(|k, _| ids.contains(&k));
        self.handle(Event::LaneScreens { at, lanes: obs });
        self.watch.ticks = self.watch.ticks.wrapping_add(1);
        // Without lane screens the probe is the only sign of output: every tick then. A change
        // held back waits for a probe: at once.
        if self.state.compact || holding || self.watch.ticks.is_multiple_of(PROBE_EVERY) {
            self.probe_processes();
        }
    }

    /// What runs in each helios-owned lane now, read from their PTYs and handled at once: the
    /// quit question must not miss a program started since the last probe (up to 2 s ago).
    pub(crate) fn look_at_owned(&mut self) {
        let owned: Vec<(LaneId, Process)> = self
            .state
            .lanes
            .iter()
            .filter(|l| matches!(l.info.source, crate::model::LaneSource::Worktree))
            .map(|l| {
                let cmd = self.ptys.foreground(l.id());
                (l.id().clone(), cmd.map_or(Process::Unknown, classify))
            })
            .collect();
        if !owned.is_empty() {
            self.handle(Event::LaneProcesses { lanes: owned });
        }
    }

    /// Find what runs in each lane, on a thread at idle priority: owned lanes' foregrounds
    /// (the loop takes only each terminal's process group, [`PtyBackend::foreground_read`])
    /// and par lanes' from tmux (one `list-panes` for all of them).
    fn probe_processes(&mut self) {
        let mut owned = Vec::new();
        let mut par = Vec::new();
        for lane in &self.state.lanes {
            match lane.info.session() {
                Some(s) if lane.info.session_alive => par.push((lane.id().clone(), s.to_string())),
                Some(_) => {}
                None => owned.push((lane.id().clone(), self.ptys.foreground_read(lane.id()))),
            }
        }
        if (owned.is_empty() && par.is_empty()) || self.watch.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let events = self.ctx.events.clone();
        let flag = self.watch.probing.clone();
        let panes = self.watch.panes.clone();
        let probed = self.watch.probed.clone();
        self.watch.started += 1;
        let number = self.watch.started;
        let started = crate::config::priority::spawn_idle("lane-probe", move || {
            let mut lanes: Vec<(LaneId, Process)> = owned
                .into_iter()
                .map(|(id, read)| (id, read().map_or(Process::Unknown, classify)))
                .collect();
            // No tmux asked when there is no par lane to ask about.
            let fg = if par.is_empty() {
                HashMap::new()
            } else {
                crate::lanes::discover::session_foregrounds()
            };
            if let Ok(mut a) = panes.lock() {
                a.clear();
                a.extend(par.iter().filter_map(|(id, s)| {
                    let f = fg.get(s)?;
                    let pane = Pane {
                        activity: f.activity,
                        size: f.size,
                    };
                    Some((id.clone(), pane))
                }));
            }
            probed.fetch_max(number, Ordering::AcqRel);
            flag.store(false, Ordering::Release);
            lanes.extend(par.into_iter().map(|(id, session)| {
                let p = match fg.get(&session) {
                    Some(f) if f.dead.is_some() => Process::Dead(f.dead.flatten()),
                    // Dead, how not known yet (tmux 3.3a, a reaped zombie): not running, and
                    // not an exit to record without its status; the next look decides.
                    Some(f) if f.pane_dead => Process::Unknown,
                    Some(f) => classify(f.command.clone()),
                    None => Process::Unknown,
                };
                (id, p)
            }));
            if events.send(Event::LaneProcesses { lanes }).is_err() {
                tracing::debug!("a process probe ended after the console stopped");
            }
        });
        if let Err(e) = started {
            tracing::warn!("cannot start the lanes' process probe: {e}; it is tried again");
            self.watch.probing.store(false, Ordering::Release);
        }
    }

    /// Read every lane's stored state and newest hook signal on the loader thread.
    pub(crate) fn load_states(&self) {
        let lanes: Vec<(LaneId, std::path::PathBuf)> = self
            .state
            .lanes
            .iter()
            .map(|l| (l.id().clone(), l.info.worktree.clone()))
            .collect();
        let loader = self.watch.loader.get_or_init(|| {
            start_loader(
                self.ctx.journal.path().to_path_buf(),
                self.ctx.events.clone(),
            )
        });
        if loader.send(lanes).is_err() {
            tracing::error!("the lane-state reader has ended: hook states show on discovery only");
        }
    }

    /// Move the reducer's clock to `now` before keys are handled: an interrupt or an answer
    /// is stamped with when it was typed, not with the last tick (up to a second earlier,
    /// which put an interrupt before the hook it followed). Straight to the reducer: the clock
    /// draws nothing and touches no lane, so the engine's bookkeeping around a message (scroll,
    /// the lane in front) has nothing to do, and it stood between each key and its write into
    /// the lane (5 µs of the 15 the clock took, BENCHMARKS.md run 135).
    pub fn clock_to(&mut self, now: std::time::Instant) {
        let at = self.watch.wall(now);
        let effects = crate::app::update(&mut self.state, Event::Clock { at });
        debug_assert!(effects.is_empty(), "the clock asks for no IO");
    }

    /// Record a lane's new state (once across consoles, with its event) on a blocking thread.
    pub(crate) fn record_state(&self, lane: &LaneId, decision: Decision) {
        let Some(l) = self.state.lane(lane) else {
            return;
        };
        let dir = l.info.worktree.clone();
        let (repo, label) = (self.state.repo.name.clone(), lane.to_string());
        let path = self.ctx.journal.path().to_path_buf();
        let actor = self.ctx.actor.clone();
        let journal = self.ctx.journal.clone();
        let events = self.ctx.events.clone();
        let job: RecordJob = Box::new(move || {
            let key = LaneKey {
                worktree: lane_state::worktree_key(&dir),
                repo,
                lane: label,
            };
            // Tried three times: a state not written stays unwritten until the lane changes
            // again (the console holds it as recorded), and the journal can be busy for more
            // than its 5 s wait while 25 hooks write.
            let mut tries = 0;
            let result = loop {
                let r = SqliteStore::open(&path)
                    .and_then(|store| lane_state::transition(&store, &key, &decision, &actor));
                match r {
                    Err(e) if tries < 2 => {
                        tries += 1;
                        tracing::warn!(
                            "recording lane {}'s state (try {tries} of 3): {e}",
                            key.lane
                        );
                        std::thread::sleep(std::time::Duration::from_millis(250 * tries));
                    }
                    r => break r,
                }
            };
            match result {
                Ok(Some(event)) => {
                    journal.nudge();
                    let _ = events.send(Event::Journalled { event });
                }
                Ok(None) => {}
                // Shown (once) by the journal's own failure.
                Err(e) => tracing::warn!("recording lane {}'s state: {e}", key.lane),
            }
        });
        self.queue(lane, job);
    }

    /// Keep that the user looked at a lane, after its state's own record (the same writer).
    pub(crate) fn ack_state(&self, lane: &LaneId) {
        let Some(l) = self.state.lane(lane) else {
            return;
        };
        let worktree = lane_state::worktree_key(&l.info.worktree);
        let path = self.ctx.journal.path().to_path_buf();
        let label = lane.clone();
        let job: RecordJob = Box::new(move || {
            let r = SqliteStore::open(&path).and_then(|s| lane_state::acknowledge(&s, &worktree));
            if let Err(e) = r {
                tracing::warn!("keeping that lane {label} was looked at: {e}");
            }
        });
        self.queue(lane, job);
    }

    fn queue(&self, lane: &LaneId, job: RecordJob) {
        if self
            .watch
            .recorder
            .get_or_init(start_recorder)
            .send(job)
            .is_err()
        {
            tracing::error!("the lane-state writer has ended: lane {lane}'s state not recorded");
        }
    }
}

/// A foreground command as a process: a shell, or a program.
fn classify(cmd: String) -> Process {
    if is_shell(&cmd) {
        Process::Shell(cmd)
    } else {
        Process::Program(cmd)
    }
}
