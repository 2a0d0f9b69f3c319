//! The runtime's core without the terminal: applies messages with `app::update`, carries out the
//! effects (PTYs, par commands in blocking tasks, the journal, integrations) and runs the 1 s
//! quiet check. Generic over [`PtyBackend`] so it is tested with a double.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::effect::HandOver;
use crate::app::event::EventSender;
use crate::app::{Action, AppState, Effect, Event, Msg, update};
use crate::integrations::Integrations;
use crate::lanes::ops::LaneOps;
use crate::lanes::{LaneError, LaneId, LaneInfo, work};
use crate::model::AuditAction;
use crate::model::AuditEvent;
use crate::pty::PtyBackend;
use crate::store::journal::JournalHandle;

mod discover;
mod lend;
mod send;
mod states;

/// Frames of the focused lane's output drawn at once after a keystroke
/// ([`Engine::echo_frames`]); later ones wait the frame gap, so a lane that floods while the
/// user types is still drawn at most at the frame rate.
const ECHO_FRAMES: u8 = 2;

/// How the console ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The user quit (or a signal asked to).
    Quit,
}

/// Everything the engine needs besides the state and the PTYs.
#[derive(Debug, Clone)]
pub struct EngineCtx {
    /// Where IO tasks report back.
    pub events: EventSender,
    /// The audit journal.
    pub journal: JournalHandle,
    /// `user@host`.
    pub actor: String,
    /// `[attention] quiet_secs`.
    pub quiet: Duration,
    /// The integration tasks (absent in tests).
    pub integrations: Option<Integrations>,
    /// Lane create, send and remove: par's CLI ([`crate::lanes::ops::ParLanes`]), or a double.
    pub lanes: Arc<dyn LaneOps>,
    /// The NATS connection settings: requests to other machines' `helios serve`.
    pub nats: crate::config::NatsConfig,
}

/// State, PTYs and the effect interpreter.
// Four independent requests of the loop (draw, draw now, suspend, discover again), not one
// state spelled in bools.
#[allow(clippy::struct_excessive_bools)]
pub struct Engine<B: PtyBackend> {
    /// The console state; changed only through `update`.
    pub state: AppState,
    /// The lane terminals.
    pub ptys: B,
    ctx: EngineCtx,
    /// Set when the state changed since the last draw.
    pub dirty: bool,
    /// Set when something the user is looking at changed since the last draw (a key, the
    /// focused or selected lane's output, any other event): drawn at the full frame rate.
    /// Output of the other lanes alone leaves it unset and is drawn at the background rate.
    pub urgent: bool,
    /// Set when something besides the focused lane's screen changed since the last whole
    /// frame: while unset, a frame may redraw that lane's tile alone (`ui::pane::live_tile`).
    pub chrome: bool,
    /// Set when the focused lane printed since the last frame.
    pub focus_output: bool,
    /// How many more frames of the focused lane's output are drawn at once for the last
    /// keystroke sent to it ([`ECHO_FRAMES`] after a key). Two, not one: a frame that began
    /// while the lane's reader was still parsing the echo does not show it, and the echo then
    /// waited a whole frame gap (up to 8 ms).
    pub echo_frames: u8,
    /// Set when the focused lane printed after a keystroke: the next frame is drawn at once,
    /// not a frame gap after the last one (a key typed right after another is not held back).
    pub echo: bool,
    /// Set when a lane behind the focused one printed since the last whole frame: a frame that
    /// redrew the focused tile alone still owes a whole one, at the background pace.
    pub backdrop: bool,
    /// Set once the loop should end.
    pub outcome: Option<Outcome>,
    /// Bytes for helios's own terminal (OSC 52) that the loop writes between frames, so they
    /// never land inside one.
    pub terminal_writes: Vec<String>,
    /// Set when the user asked to suspend (Ctrl-z); the loop clears it.
    pub suspend: bool,
    /// A program to give the terminal to (`a` outside tmux and zellij, `L` outside zellij);
    /// the loop takes it and comes back when it ends.
    pub hand_over: Option<HandOver>,
    /// helios-owned lanes whose terminal could not start (a `[lanes] shell` that is not
    /// there): not tried again at every re-read, only by `R`.
    unstartable: std::collections::HashSet<LaneId>,
    discovering: Arc<AtomicBool>,
    discover_again: bool,
    /// A lane read was started before (the next ones are background work).
    discovered: bool,
    /// When the last lane read started, and the last one that took every lane's git counts.
    counted: Option<Instant>,
    counted_all: Option<Instant>,
    scroll_applied: HashMap<LaneId, usize>,
    /// The screen and process watch behind lane states.
    pub(crate) watch: states::Watch,
}

/// Whether a lane's output notice changes more than its screen: its status word (it was not
/// running) or the age of its last output, both shown in the lane list.
fn output_shows_beyond_screen(state: &AppState, lane: &LaneId, at: Instant) -> bool {
    state.lane(lane).is_none_or(|l| {
        let secs = |t: Instant| state.now.saturating_duration_since(t).as_secs();
        l.status != crate::app::state::LaneStatus::Running
            || l.last_output.is_none_or(|was| secs(was) != secs(at))
    })
}

impl<B: PtyBackend> Engine<B> {
    /// A new engine over a state and a PTY backend.
    pub fn new(state: AppState, ptys: B, ctx: EngineCtx) -> Self {
        Self {
            state,
            ptys,
            ctx,
            terminal_writes: Vec::new(),
            dirty: true,
            urgent: true,
            chrome: true,
            focus_output: false,
            echo_frames: 0,
            echo: false,
            backdrop: false,
            outcome: None,
            suspend: false,
            hand_over: None,
            unstartable: std::collections::HashSet::new(),
            discovering: Arc::new(AtomicBool::new(false)),
            discover_again: false,
            discovered: false,
            counted: None,
            counted_all: None,
            scroll_applied: HashMap::new(),
            watch: states::Watch::default(),
        }
    }

    /// A frame is being drawn: whether it is one drawn at once for a keystroke's echo (and
    /// one fewer of those is left for that keystroke).
    pub fn take_echo(&mut self) -> bool {
        let echo = std::mem::take(&mut self.echo);
        if echo {
            self.echo_frames = self.echo_frames.saturating_sub(1);
        }
        echo
    }

    /// Apply one message and carry out its effects.
    pub fn handle(&mut self, msg: impl Into<Msg>) {
        let msg = msg.into();
        if matches!(msg, Msg::Action(Action::Quit)) {
            self.look_at_owned();
        }
        // A keystroke passed to the focused lane changes nothing helios draws (its echo does,
        // as that lane's output): drawing for it would only delay the echo's frame, which must
        // then wait a frame gap behind it. The clock the keys bring is no reason to draw either
        // (a frame per key put 8 to 10 ms in front of every echo; the ticks redraw the ages).
        // Nor is a background result that brings nothing new (app::news).
        let passthrough = matches!(&msg, Msg::Event(Event::Clock { .. }))
            || matches!(&msg, Msg::Event(e) if !crate::app::news::is_news(&self.state, e))
            || matches!(&msg, Msg::Action(Action::WriteFocused { .. }))
                && self
                    .state
                    .focused
                    .as_ref()
                    .and_then(|l| self.state.lane(l))
                    .is_some_and(|l| l.scroll == 0);
        // A lane-state load (every 5 s) is news only if it changed what the lanes show.
        let loaded = matches!(&msg, Msg::Event(Event::LaneStatesLoaded { .. })).then(|| {
            let shown = crate::app::news::lanes_shown(&self.state);
            (shown, self.urgent, self.chrome, self.dirty)
        });
        self.urgent |= !passthrough
            && match &msg {
                Msg::Event(Event::LaneOutput { lane, .. } | Event::LaneSeeded { lane }) => {
                    self.state.focused.as_ref() == Some(lane)
                        || self.state.selected.as_ref() == Some(lane)
                }
                Msg::Event(Event::Tick { .. }) => false,
                _ => true,
            };
        if matches!(&msg, Msg::Action(Action::WriteFocused { .. })) {
            self.echo_frames = ECHO_FRAMES;
        }
        if !passthrough {
            match &msg {
                Msg::Event(Event::LaneOutput { lane, at })
                    if self.state.focused.as_ref() == Some(lane) =>
                {
                    self.chrome |= output_shows_beyond_screen(&self.state, lane, *at);
                    self.focus_output = true;
                    self.echo |= self.echo_frames > 0;
                }
                Msg::Event(Event::LaneSeeded { lane })
                    if self.state.focused.as_ref() == Some(lane) =>
                {
                    self.focus_output = true;
                }
                Msg::Event(Event::LaneOutput { lane, .. } | Event::LaneSeeded { lane })
                    if self.state.selected.as_ref() != Some(lane) =>
                {
                    self.backdrop = true;
                }
                _ => self.chrome = true,
            }
        }
        match &msg {
            Msg::Event(Event::LaneOutput { lane, .. }) => self.ptys.notice_handled(lane),
            // The probe's sizes first: a resize it found makes the lane's output a redraw.
            Msg::Event(Event::LaneProcesses { .. }) => self.panes_probed(),
            Msg::Event(Event::LanesDiscovered { .. } | Event::DiscoveryFailed { .. })
                if std::mem::take(&mut self.discover_again) =>
            {
                self.discover();
            }
            _ => {}
        }
        self.clamp_scroll();
        let effects = update(&mut self.state, msg);
        self.dirty |= !passthrough;
        if let Some((shown, urgent, chrome, dirty)) = loaded
            && shown == crate::app::news::lanes_shown(&self.state)
        {
            (self.urgent, self.chrome, self.dirty) = (urgent, chrome, dirty);
        }
        // Known before the effects run: lanes started by them ready the one in front first.
        let front = self.state.focused.as_ref().or(self.state.selected.as_ref());
        self.ptys.set_front(front);
        for e in effects {
            self.execute(e);
        }
        self.apply_scroll();
        let front = self.state.focused.as_ref().or(self.state.selected.as_ref());
        self.ptys.set_front(front);
        for lane in self.ptys.take_repainted() {
            self.repainted(lane);
        }
    }

    /// The 1 s tick: look at every lane (lane states), then advance the clock.
    pub fn tick(&mut self, now: Instant) {
        self.observe_screens(now);
        self.handle(Event::Tick { now });
    }

    /// The prompts the screen fallback recognises: the shipped ones after the user's.
    pub fn set_patterns(&mut self, patterns: crate::agent::screen::Patterns) {
        self.watch.patterns = patterns;
    }

    /// Lanes scrolled back past their oldest line stop there, before a key moves them on.
    fn clamp_scroll(&mut self) {
        let over: Vec<(LaneId, usize)> = self
            .state
            .lanes
            .iter()
            .filter(|l| l.scroll > 0)
            .filter_map(|l| {
                let reach = self.ptys.screens().scroll_reach(l.id())?;
                (reach < l.scroll).then(|| (l.id().clone(), reach))
            })
            .collect();
        for (lane, rows) in over {
            update(
                &mut self.state,
                Msg::Event(Event::LaneScrollReach {
                    lane: lane.clone(),
                    rows,
                }),
            );
            // The screen is already there: no new scroll to apply.
            self.scroll_applied.insert(lane, rows);
        }
    }

    fn apply_scroll(&mut self) {
        for lane in &self.state.lanes {
            let id = lane.id();
            if self.scroll_applied.get(id).copied().unwrap_or(0) != lane.scroll {
                self.ptys.set_scroll(id, lane.scroll);
                self.scroll_applied.insert(id.clone(), lane.scroll);
            }
        }
    }

    /// Find `query` in a copy of the lane's view (its tmux history for an attached par lane)
    /// on a blocking thread: a long scrollback is not read on the render path.
    fn search(&self, lane: LaneId, query: String) {
        let mut copy = None;
        self.ptys
            .screens()
            .with_screen(&lane, &mut |s| copy = Some(s.clone()));
        let Some(screen) = copy else {
            return;
        };
        let events = self.ctx.events.clone();
        tokio::task::spawn_blocking(move || {
            let found = crate::pty::search::find(&screen, &query);
            if events
                .send(Event::SearchFound { lane, query, found })
                .is_err()
            {
                tracing::debug!("a lane search finished after the console ended");
            }
        });
    }

    /// Record an audit event (`action`: an [`AuditAction`], or its name).
    pub fn record(
        &self,
        action: impl AsRef<str>,
        lane: Option<&LaneId>,
        ok: bool,
        detail: serde_json::Value,
    ) {
        self.ctx.journal.record(AuditEvent::new(
            &self.ctx.actor,
            &self.state.repo.name,
            action.as_ref(),
            lane.map(LaneId::as_str),
            ok,
            detail,
        ));
    }

    /// Record, durably, that `action` is about to be taken; `Err` means it must not be.
    fn request(
        &self,
        action: AuditAction,
        lane: Option<&LaneId>,
        detail: &serde_json::Value,
    ) -> Result<(), String> {
        self.ctx.journal.request(
            &self.ctx.actor,
            &self.state.repo.name,
            action.as_str(),
            lane.map(LaneId::as_str),
            detail,
        )
    }

    /// An action refused because the journal cannot record it: say so, record nothing.
    fn fail_unrecorded(&mut self, action: AuditAction, lane: Option<&LaneId>, error: String) {
        self.handle(Event::LaneCommandDone {
            what: action.to_string(),
            lane: lane.cloned(),
            result: Err(error),
        });
    }

    fn lane_info(&self, lane: &LaneId) -> Option<LaneInfo> {
        self.state.lane(lane).map(|l| l.info.clone())
    }

    fn fail(&mut self, action: AuditAction, lane: Option<&LaneId>, error: &str) {
        self.record(action.as_str(), lane, false, json!({ "error": error }));
        self.handle(Event::LaneCommandDone {
            what: action.to_string(),
            lane: lane.cloned(),
            result: Err(error.to_string()),
        });
    }

    /// Carry out one effect. Anything that can block runs on a blocking thread and reports back
    /// with an event.
    pub fn execute(&mut self, effect: Effect) {
        match effect {
            Effect::WriteLane { lane, bytes } => {
                if let Err(e) = self.ptys.write(&lane, bytes) {
                    self.fail(AuditAction::LaneWrite, Some(&lane), &e.to_string());
                }
            }
            // A lane keeps its size: a grid tile shows the rows around the lane's cursor and
            // never resizes it (an agent would reflow its output to the tile, and a par lane's
            // tmux window would shrink); the single pane sizes the lane it shows.
            Effect::ResizeLanes if self.state.view == crate::app::state::View::Grid => {}
            Effect::ResizeLanes => {
                for (lane, rows, cols) in crate::ui::pane_sizes(&self.state) {
                    self.ptys.resize(&lane, rows, cols);
                }
            }
            // The compact view is the side pane of a zellij layout whose own panes already attach
            // every lane; a second tmux client per lane would only fight over window sizes.
            Effect::SyncPtys if self.state.compact => {}
            Effect::SyncPtys => {
                // Remote lanes have a terminal only once opened (each is an ssh connection).
                let infos: Vec<LaneInfo> = self
                    .state
                    .lanes
                    .iter()
                    .filter(|l| l.remote.as_ref().is_none_or(|r| r.opened))
                    .filter(|l| !self.unstartable.contains(l.id()))
                    .map(|l| l.info.clone())
                    .collect();
                for e in self.ptys.sync(&infos) {
                    let lane = match &e {
                        crate::pty::PtyError::Spawn { lane, .. }
                        | crate::pty::PtyError::NotRunning { lane } => lane.clone(),
                    };
                    self.cannot_start(&lane, &e);
                    self.record(
                        AuditAction::LaneTerminal,
                        Some(&lane),
                        false,
                        json!({"error": e.to_string()}),
                    );
                    self.handle(Event::Notice {
                        level: crate::app::state::FlashLevel::Error,
                        text: e.to_string(),
                    });
                }
                // New PTYs start at the default size: give the visible ones their pane size.
                self.execute(Effect::ResizeLanes);
            }
            Effect::DiscoverLanes => self.discover(),
            Effect::CreateLane { label, base, cmd } => self.create_lane(label, base, cmd),
            Effect::AskHost {
                lane,
                host,
                repo,
                label,
                op,
            } => self.ask(lane, host, repo, label, op),
            Effect::CheckUnsaved { lane } => self.check_unsaved(lane),
            Effect::RemoveLane { lane, force } => self.remove_lane(lane, force),
            Effect::SendLine { target, text } => self.send_line(target, text),
            Effect::Attach { lane } => self.attach(lane),
            Effect::HandOver(h) => self.lend_terminal(h),
            Effect::SearchLane { lane, query } => self.search(lane, query),
            Effect::FocusZellijPane { lane } => self.focus_zellij_pane(lane),
            Effect::RestartLane { lane } => self.restart_lane(lane),
            Effect::Record {
                action,
                lane,
                ok,
                detail,
            } => self.record(&action, lane.as_ref(), ok, detail),
            Effect::RecordLaneState { lane, decision } => self.record_state(&lane, *decision),
            Effect::AckLaneState { lane } => self.ack_state(&lane),
            Effect::LoadLaneStates => self.load_states(),
            Effect::NotifyTerminal { bytes } => self.terminal_writes.push(bytes),
            Effect::Clipboard { text } => {
                self.terminal_writes
                    .push(crate::integrations::share::osc52(&text));
            }
            Effect::Quit => {
                if self.outcome.is_none() {
                    self.outcome = Some(Outcome::Quit);
                }
            }
            // Only the loop holds the terminal: it suspends once this turn's keys are handled.
            Effect::Suspend => self.suspend = true,
            Effect::Nats(e) => {
                if let Some(i) = &self.ctx.integrations
                    && i.nats.send(e).is_err()
                {
                    tracing::error!("the NATS task has ended; an effect for it was dropped");
                }
            }
            Effect::Temporal(e) => {
                if let Some(i) = &self.ctx.integrations
                    && i.temporal.send(e).is_err()
                {
                    tracing::error!("the Temporal task has ended; an effect for it was dropped");
                }
            }
            Effect::Share(e) => {
                if let Some(i) = &self.ctx.integrations
                    && i.share.send(e).is_err()
                {
                    tracing::error!(
                        "the sharing and zellij task has ended; an effect for it was dropped"
                    );
                }
            }
        }
    }

    /// Run a par command on a blocking thread; record it and report back.
    fn par_task<E: std::fmt::Display>(
        &self,
        action: AuditAction,
        lane: LaneId,
        detail: serde_json::Value,
        run: impl FnOnce(&Path) -> Result<String, E> + Send + 'static,
    ) {
        let (actor, repo_name) = (self.ctx.actor.clone(), self.state.repo.name.clone());
        let (label, result_detail) = (lane.to_string(), detail.clone());
        self.par_job(action, lane, detail, move |repo| {
            let result = run(repo).map_err(|e| e.to_string());
            let ev = AuditEvent::of_result(
                &actor,
                &repo_name,
                action.as_str(),
                Some(&label),
                result_detail,
                result.as_ref().err().map(String::as_str),
            );
            (result, vec![ev])
        });
    }

    /// [`Self::par_task`] for a command that journals its own results (`send all`: one event
    /// per lane): the request is journalled under `lane` first, then `run`'s events, and its
    /// line reported back.
    fn par_job(
        &self,
        action: AuditAction,
        lane: LaneId,
        detail: serde_json::Value,
        run: impl FnOnce(&Path) -> (Result<String, String>, Vec<AuditEvent>) + Send + 'static,
    ) {
        let repo = self.state.repo.path.clone();
        let events = self.ctx.events.clone();
        let journal = self.ctx.journal.clone();
        let actor = self.ctx.actor.clone();
        let repo_name = self.state.repo.name.clone();
        tokio::task::spawn_blocking(move || {
            // The request is durable before par runs, or par does not run.
            if let Err(e) = journal.request(
                &actor,
                &repo_name,
                action.as_str(),
                Some(lane.as_str()),
                &detail,
            ) {
                let _ = events.send(Event::LaneCommandDone {
                    what: action.to_string(),
                    lane: Some(lane),
                    result: Err(e),
                });
                return;
            }
            let span = crate::telemetry::span(action.span_name(), lane.as_str());
            let (result, results) = run(&repo);
            drop(span);
            for ev in results {
                journal.record(ev);
            }
            let _ = events.send(Event::LaneCommandDone {
                what: action.to_string(),
                lane: Some(lane),
                result,
            });
        });
    }

    fn create_lane(&mut self, label: String, base: Option<String>, cmd: Option<String>) {
        let lane = LaneId::new(label.clone());
        let detail = json!({ "base": base, "cmd": cmd });
        let ops = Arc::clone(&self.ctx.lanes);
        self.par_task(AuditAction::LaneCreated, lane, detail, move |repo| {
            let session =
                crate::lanes::ops::create(&*ops, repo, &label, base.as_deref(), cmd.as_deref())?;
            Ok::<_, LaneError>(format!("lane {label} created (tmux session {session})"))
        });
    }

    /// A par lane to remove, or the refusal recorded as a failed `lane.removed`.
    fn removable(&mut self, lane: &LaneId) -> Option<LaneInfo> {
        let error = match self.lane_info(lane) {
            Some(info) if info.is_durable() => return Some(info),
            Some(_) => LaneError::NotPar {
                label: lane.to_string(),
                what: "remove (use `git worktree remove`)".into(),
            },
            None => LaneError::NoSuchLane {
                label: lane.to_string(),
            },
        };
        self.fail(AuditAction::LaneRemoved, Some(lane), &error.to_string());
        None
    }

    /// Find out on a blocking thread what removing the lane would lose, for the dialog.
    fn check_unsaved(&mut self, lane: LaneId) {
        let Some(info) = self.removable(&lane) else {
            return;
        };
        let events = self.ctx.events.clone();
        tokio::task::spawn_blocking(move || {
            let result =
                work::unsaved(&info.worktree, info.git.base.as_deref()).map_err(|e| e.to_string());
            let _ = events.send(Event::UnsavedChecked { lane, result });
        });
    }

    fn remove_lane(&mut self, lane: LaneId, force: bool) {
        if self.state.lane(&lane).is_some_and(|l| l.remote.is_some()) {
            return self.ask_host(lane, crate::model::fleet::LaneOp::Rm { force });
        }
        let Some(info) = self.removable(&lane) else {
            return;
        };
        let label = lane.to_string();
        let ops = Arc::clone(&self.ctx.lanes);
        // The check runs again at removal: work that appeared since the dialog refuses it.
        self.par_task(
            AuditAction::LaneRemoved,
            lane,
            json!({ "force": force }),
            move |repo| {
                let lost = ops.remove(repo, &info, force)?;
                Ok::<_, LaneError>(if lost.is_empty() {
                    format!("lane {label} removed")
                } else {
                    format!("lane {label} removed; discarded {}", lost.summary())
                })
            },
        );
    }

    /// Act on a lane of another machine: a request to its host's `helios serve` (journalled
    /// here first, and there with this console's actor), answered as a lane command.
    fn ask_host(&mut self, lane: LaneId, op: crate::model::fleet::LaneOp) {
        let Some(view) = self.state.lane(&lane).and_then(|l| l.remote.clone()) else {
            return;
        };
        self.ask(lane, view.host, view.repo, view.label, op);
    }

    /// [`Self::ask_host`] for a host, repo and label (a lane that may not exist yet).
    fn ask(
        &mut self,
        lane: LaneId,
        host: String,
        repo: String,
        label: String,
        op: crate::model::fleet::LaneOp,
    ) {
        use crate::model::fleet::{LaneOp, LaneRequest};
        let action = match op {
            LaneOp::New { .. } => AuditAction::LaneCreated,
            LaneOp::Rm { .. } => AuditAction::LaneRemoved,
            LaneOp::Send { .. } => AuditAction::LaneTextSent,
        };
        let detail = json!({ "host": host, "via": "nats" });
        let req = LaneRequest {
            actor: self.ctx.actor.clone(),
            repo,
            label,
            op,
        };
        let nats = self.ctx.nats.clone();
        self.par_task(action, lane, detail, move |_| {
            // A runtime of its own: the console's is the loop's one thread, which must not
            // carry this request's waiting on NATS (nor stop it by quitting).
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime for the NATS request: {e}"))?;
            rt.block_on(async {
                let (client, mut errors) = crate::spine::nats::connect_reporting(&nats)
                    .await
                    .map_err(|e| e.to_string())?;
                let reply = crate::integrations::fleet::service::ask(
                    &client,
                    &mut errors,
                    &host,
                    &req,
                    crate::integrations::fleet::service::ASK_TIMEOUT,
                )
                .await
                .map_err(|e| e.to_string())?;
                if reply.ok {
                    Ok(reply.message)
                } else {
                    Err(reply.message)
                }
            })
        });
    }

    /// A par lane's dead pane is respawned by tmux (its next probe shows it running); a
    /// helios-owned lane gets a new shell.
    fn restart_lane(&mut self, lane: LaneId) {
        let Some(info) = self.lane_info(&lane) else {
            let e = LaneError::NoSuchLane {
                label: lane.to_string(),
            };
            return self.fail(AuditAction::LaneRestarted, Some(&lane), &e.to_string());
        };
        if let Some(session) = info.session().map(str::to_string) {
            let said = format!("lane {lane} restarted");
            return self.par_task(
                AuditAction::LaneRestarted,
                lane,
                json!({"session": session, "via": "respawn-pane"}),
                // Said as for a helios-owned lane; the event's detail names the session.
                move |_| crate::lanes::par::respawn(&session).map(|_| said),
            );
        }
        let detail = json!({"via": "pty"});
        if let Err(e) = self.request(AuditAction::LaneRestarted, Some(&lane), &detail) {
            return self.fail_unrecorded(AuditAction::LaneRestarted, Some(&lane), e);
        }
        self.unstartable.remove(&lane);
        match self.ptys.restart(&info) {
            Ok(()) => {
                self.record(AuditAction::LaneRestarted, Some(&lane), true, detail);
                self.handle(Event::LaneRestarted { lane });
            }
            Err(e) => {
                self.cannot_start(&lane, &e);
                self.fail(AuditAction::LaneRestarted, Some(&lane), &e.to_string());
            }
        }
    }

    /// An owned lane whose terminal did not start has ended, as far as the user can act on it
    /// (`R` tries again); before, it showed `connecting…` for good and `R` said it was running.
    fn cannot_start(&mut self, lane: &LaneId, e: &crate::pty::PtyError) {
        let owned = self.lane_info(lane).is_some_and(|i| !i.is_durable());
        if owned && matches!(e, crate::pty::PtyError::Spawn { .. }) {
            self.unstartable.insert(lane.clone());
            self.handle(Event::LaneExited {
                lane: lane.clone(),
                code: None,
            });
        }
    }

    fn focus_zellij_pane(&mut self, lane: LaneId) {
        let Some(info) = self.lane_info(&lane) else {
            let e = LaneError::NoSuchLane {
                label: lane.to_string(),
            };
            return self.fail(AuditAction::LaneFocused, Some(&lane), &e.to_string());
        };
        let l = lane.clone();
        self.par_task(
            AuditAction::LaneFocused,
            lane,
            json!({"via": "zellij"}),
            move |_| {
                let argv =
                    crate::integrations::zellij::layout::lane_command(&info).unwrap_or_default();
                crate::integrations::zellij::focus_lane_pane(l.as_str(), &info.worktree, &argv)
                    .map_err(|e| LaneError::Failed {
                        what: "focusing the lane's zellij pane".into(),
                        message: format!("{e:#}"),
                    })
            },
        );
    }
}
