//! Lane states in the console: the reducer's side of agent-aware lanes. Observations (screens,
//! processes, bells, keys, hook states from the store) update each lane's inputs; every
//! change and every clock tick decides again (`agent::decide`), and a changed state is sent to
//! the store (`Effect::RecordLaneState`), which records it once with its `lane.state` event.

use time::OffsetDateTime;

use crate::agent::screen::ScreenMatch;
use crate::agent::{Decision, Evidence, Inputs, LaneState, Process, Signal, Source, Status};
use crate::app::Effect;
use crate::app::hold::Change;
use crate::app::state::{AppState, Attention, Lane, LaneStatus};
use crate::model::LaneId;

/// A lane's agent state and what it was decided from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentView {
    /// The state shown (`None` before the first decision).
    pub state: Option<LaneState>,
    /// The rule that decided it.
    pub why: String,
    /// The signals considered.
    pub evidence: Vec<Evidence>,
    /// What is known about the lane.
    pub inputs: Inputs,
    /// The user visited the lane since it became done or exited: `n` skips it.
    pub acked: bool,
    /// The last OSC 9;4 progress report.
    pub progress: Option<Progress>,
    /// The state shown is the placeholder of a lane nothing was seen from yet: never recorded,
    /// and a state stored by an earlier console replaces it.
    pub placeholder: bool,
    /// The store holds another state than the one shown, or the same for another reason (a
    /// hook recorded one that this console overruled): the next decision records the one
    /// shown, even unchanged, so `helios lane ls` and the events say what the console does.
    pub unrecorded: bool,
    /// The time of the lane's newest hook when the stored state was decided knowing it, and
    /// overruled it: until this console has probed the lane, that hook is no news (no flag
    /// and bell for a second).
    pub overruled_hook: Option<OffsetDateTime>,
}

impl AgentView {
    /// The state to show: `None` before anything was seen from the lane (the placeholder),
    /// when the lane shows its terminal's state instead (`running`, `idle`), as the README says
    /// of a new lane; `unknown · no signal yet` read as a problem with a lane just made.
    pub fn shown(&self) -> Option<&LaneState> {
        self.state.as_ref().filter(|_| !self.placeholder)
    }
}

/// OSC 9;4 progress (ConEmu's semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `1;N`: N percent done.
    Percent(u8),
    /// `2;N`: failed (at N percent).
    Error(u8),
    /// `3`: busy, no percentage.
    Indeterminate,
    /// `4;N`: paused at N percent.
    Paused(u8),
}

/// How long after helios resized a lane (or brought it to the front) the lane's output is taken
/// for the redraw that follows rather than for its own: the program repaints for the new size
/// on SIGWINCH, and a par lane's attach client draws the whole window when it starts. Without
/// this a resize reset a waiting lane's age (`permission → working · 0s → permission`) and made
/// a fresh hook lose to "the lane's output". The window is short: a lane that really works
/// prints on past it, and keeps counting as working meanwhile (quiet for less than `quiet`).
/// Timed rather than read from the screen's text: the redraw for a new width changes the text
/// (reflowed lines, boxes drawn to the new width), so no comparison tells it from new output.
pub const REPAINT: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether a change of the lane's rows (and its output) waits a look for the process probe
/// ([`crate::app::hold`]): a par lane, whose window another tmux client can resize, in a state
/// its output would end. Not `working`, which output keeps; not `shell` or `exited`, which the
/// process decides whatever the screen does: holding those would only ask tmux for a probe
/// every second while someone types at a shell (the echo's tmux server pays for each).
pub fn holds_change(lane: &Lane) -> bool {
    lane.info.session().is_some()
        && lane.info.session_alive
        && lane.remote.is_none()
        && lane.agent.state.as_ref().is_some_and(|s| {
            !matches!(
                s.status,
                Status::Working | Status::Shell | Status::Exited(_)
            )
        })
}

/// Whether output `at` is the redraw of a repaint helios caused at `repaint` ([`REPAINT`]).
pub fn is_repaint(repaint: Option<std::time::Instant>, at: std::time::Instant) -> bool {
    repaint.is_some_and(|r| at.checked_duration_since(r).is_some_and(|d| d < REPAINT))
}

/// One lane's screen at a clock tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenObservation {
    /// The lane.
    pub lane: LaneId,
    /// Whether its own rows changed since the last tick (tmux's status bar excluded, and a
    /// redraw helios caused: [`REPAINT`]), or a change held back ([`crate::app::hold`]).
    pub change: crate::app::hold::Change,
    /// The prompt its screen shows, read once its rows settled.
    pub screen: Option<ScreenMatch>,
    /// Whether the cursor line looks like a shell prompt.
    pub shell_prompt: bool,
}

/// A lane's stored state and newest hook signal, as loaded from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedState {
    /// The lane.
    pub lane: LaneId,
    /// The state last recorded (by any console or hook).
    pub state: Option<(LaneState, String, Vec<Evidence>)>,
    /// The newest hook or MCP signal with a state.
    pub hook: Option<Signal>,
    /// The newest notification recorded for the lane (`helios osc-tap` on a par lane).
    pub alert: Option<Signal>,
    /// The user looked at the lane since its stored state began.
    pub acked: bool,
    /// When that state was last written (a console records an overruling state again, as
    /// old as it is: its `since` can be older than the hook it overruled).
    pub recorded: Option<OffsetDateTime>,
}

/// The clock moved: take the screens, then decide every lane again.
pub fn on_screens(
    state: &mut AppState,
    at: OffsetDateTime,
    obs: Vec<ScreenObservation>,
) -> Vec<Effect> {
    state.clock = Some(state.clock.map_or(at, |c| c.max(at)));
    // Remote lanes age with the clock: a host whose heartbeat is overdue turns stale.
    if !state.fleet.rows.is_empty() {
        crate::app::fleet::refresh(state);
    }
    for o in obs {
        let Some(l) = state.lane_mut(&o.lane) else {
            continue;
        };
        // Output held back with the change is the lane's once the change counts, and the
        // redraw's when it was one; output that changed no rows is the lane's a look late.
        match o.change {
            Change::Held => {}
            Change::Redraw => l.held_output = None,
            Change::None | Change::Now | Change::Since(_) => {
                if let Some(t) = l.held_output.take() {
                    l.last_output = Some(l.last_output.map_or(t, |o| o.max(t)));
                    if l.status != LaneStatus::Exited {
                        l.status = LaneStatus::Running;
                    }
                }
            }
        }
        let i = &mut l.agent.inputs;
        if let Some(t) = o.change.at(at) {
            i.last_change = Some(i.last_change.map_or(t, |c| c.max(t)));
        } else if i.last_change.is_none() {
            // The first look at a screen is not a change: it only starts the quiet clock, so a
            // restarted console does not read old output as new work.
            i.last_change = Some(at - time::Duration::seconds(3600));
            i.first_look = Some(at);
        }
        i.screen = o.screen;
        i.shell_prompt = o.shell_prompt;
    }
    decide_all(state)
}

/// What runs in each lane's foreground.
///
/// A par lane's dead pane is the lane's exit, with the real status (the attach client's says
/// nothing); a pane that runs again (respawned) clears it.
pub fn on_processes(state: &mut AppState, lanes: Vec<(LaneId, Process)>) -> Vec<Effect> {
    let mut ended = Vec::new();
    for (id, p) in lanes {
        let Some(l) = state.lane_mut(&id) else {
            continue;
        };
        match p {
            Process::Dead(code) => {
                if l.status != LaneStatus::Exited {
                    ended.push((id.clone(), code));
                }
                l.status = LaneStatus::Exited;
                l.agent.inputs.exited = Some(code);
            }
            p => {
                let running = matches!(p, Process::Shell(_) | Process::Program(_));
                if running && l.info.is_durable() && l.status == LaneStatus::Exited {
                    l.status = LaneStatus::Idle;
                    l.agent.inputs.exited = None;
                }
                l.agent.inputs.process = p;
            }
        }
    }
    for (id, code) in ended {
        // A focused lane stays focused: keys typed on would otherwise become console commands
        // (`d`, `y`); they go nowhere, and the status line says how to restart it.
        let focused = state.focused.as_ref() == Some(&id);
        let how = code.map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
        let then = if focused { "" } else { "; R starts it again" };
        state.flash(
            crate::app::state::FlashLevel::Info,
            &format!("lane {id}'s program ended ({how}){then}"),
        );
    }
    decide_all(state)
}

/// States and hook signals read from the store (at start, and when a hook woke the console).
pub fn on_loaded(state: &mut AppState, loaded: Vec<LoadedState>) -> Vec<Effect> {
    for s in loaded {
        let Some(l) = state.lane_mut(&s.lane) else {
            continue;
        };
        // A state recorded from the lane itself that overruled this hook keeps it overruled:
        // for its later output always; for any reason until this console has probed the lane.
        // (Serve's looker restores its inputs with the same `Inputs::restore`.)
        l.agent.inputs.overruled = None;
        l.agent.overruled_hook = None;
        if let (Some((st, _, evidence)), Some(at)) = (&s.state, s.recorded) {
            l.agent.inputs.restore(st, evidence, at, s.hook.as_ref());
            l.agent.overruled_hook =
                crate::agent::decide::overruling(st, evidence, at, s.hook.as_ref())
                    .and(s.hook.as_ref().map(|h| h.at));
        }
        // Only a par lane outlives a console: an owned lane's terminal is new in each one.
        if (l.agent.state.is_none() || l.agent.placeholder)
            && l.info.is_durable()
            && let Some((st, why, evidence)) = s.state
        {
            l.agent.state = Some(st);
            l.agent.why = why;
            l.agent.evidence = evidence;
            l.agent.placeholder = false;
            l.agent.acked = s.acked;
            refresh_attention(l);
        } else if let (Some(now), Some((stored, ..))) = (l.agent.state.as_mut(), &s.state)
            && l.info.is_durable()
            && now.same_as(stored)
            && stored.since <= now.since
        {
            // Decided again before the load came (a par lane found gone at start is exited
            // anew): the state is the one stored, as old, and seen if it was.
            now.since = stored.since;
            l.agent.unrecorded = !now.same_record(stored);
            l.agent.acked |= s.acked;
            refresh_attention(l);
        } else if let (Some(now), Some((stored, ..))) = (&l.agent.state, &s.state) {
            // Another state, or the same for another reason: `lane ls` would not say what the
            // console shows.
            l.agent.unrecorded = !l.agent.placeholder && !now.same_record(stored);
        }
        if s.hook.is_some() {
            l.agent.inputs.hook = s.hook;
        }
        if let Some(a) = s.alert
            && l.agent.inputs.alert.as_ref().is_none_or(|x| x.at < a.at)
        {
            l.agent.inputs.alert = Some(a);
        }
    }
    // Stored states taken as they are change no decision, so nothing else re-sorts: a console
    // that starts again must show the lanes that need you first at once.
    crate::app::on_event::resort(state);
    decide_all(state)
}

/// A bell or an OSC 9/777 notification from a lane.
pub fn on_alert(state: &mut AppState, lane: &LaneId, source: Source, text: String) -> Vec<Effect> {
    let Some(at) = state.clock else {
        return Vec::new();
    };
    if let Some(l) = state.lane_mut(lane) {
        l.agent.inputs.alert = Some(Signal {
            at,
            source,
            status: None,
            event: if source == Source::Bell {
                "bell".into()
            } else {
                "notification".into()
            },
            reason: if text.is_empty() {
                "rang the bell".into()
            } else {
                crate::agent::state::one_line(&text)
            },
        });
    }
    decide(state, lane)
}

/// The lane's program ended, with its status when known.
pub fn on_exit(state: &mut AppState, lane: &LaneId, code: Option<i32>) -> Vec<Effect> {
    if let Some(l) = state.lane_mut(lane) {
        l.agent.inputs.exited = Some(code);
    }
    decide(state, lane)
}

/// A par lane's tmux session is gone: `exited · tmux session missing` until it is back (the
/// rule `helios lane ls`'s look applies too, `agent::decide`).
pub fn on_gone(state: &mut AppState, lane: &LaneId) -> Vec<Effect> {
    if let Some(l) = state.lane_mut(lane) {
        l.agent.inputs.gone = true;
        l.agent.inputs.exited = Some(None);
    }
    decide(state, lane)
}

/// The user typed into a lane through helios: Esc or Ctrl-C interrupts a working agent;
/// anything typed into a waiting lane, or Enter into a done one, answers it.
pub fn on_input(state: &mut AppState, lane: &LaneId, bytes: &[u8]) -> Vec<Effect> {
    let Some(at) = state.clock else {
        return Vec::new();
    };
    let Some(l) = state.lane_mut(lane) else {
        return Vec::new();
    };
    let status = l.agent.state.as_ref().map(|s| s.status);
    let interrupts = bytes == b"\x1b" || bytes.contains(&0x03);
    if interrupts {
        l.agent.inputs.interrupted = Some(at);
    }
    let answers = match status {
        Some(Status::Waiting(_)) => true,
        Some(Status::Done | Status::Error(_)) => bytes.contains(&b'\r'),
        _ => false,
    };
    if answers {
        l.agent.inputs.answered = Some(at);
    }
    // A plain keystroke tells the state machine nothing new (the clock's turn comes with the
    // next tick): deciding on it cost a fifth of the key's turn, on every echo.
    if interrupts || answers {
        decide(state, lane)
    } else {
        Vec::new()
    }
}

/// OSC 9;4 progress from a lane.
pub fn on_progress(state: &mut AppState, lane: &LaneId, progress: Option<Progress>) {
    if let Some(l) = state.lane_mut(lane) {
        l.agent.progress = progress;
    }
}

/// The user looked at the lane (focused it): a done or exited lane leaves the triage queue,
/// and the store keeps that it did (a par lane's, which outlives the console).
pub fn acknowledge(lane: &mut Lane) -> Option<Effect> {
    let first = !lane.agent.acked;
    lane.agent.acked = true;
    refresh_attention(lane);
    let seen = lane
        .agent
        .state
        .as_ref()
        .is_some_and(|s| matches!(s.status, Status::Done | Status::Exited(_)));
    (first && seen && !lane.agent.placeholder && lane.info.is_durable() && lane.remote.is_none())
        .then(|| Effect::AckLaneState {
            lane: lane.id().clone(),
        })
}

/// Decide every lane again.
pub fn decide_all(state: &mut AppState) -> Vec<Effect> {
    let ids: Vec<LaneId> = state.lanes.iter().map(|l| l.id().clone()).collect();
    let mut effects = Vec::new();
    for id in ids {
        effects.extend(decide(state, &id));
    }
    effects
}

/// Decide one lane again; a changed state is kept, shown and sent to the store.
pub fn decide(state: &mut AppState, id: &LaneId) -> Vec<Effect> {
    let (Some(now), timing) = (state.clock, state.timing) else {
        return Vec::new();
    };
    if state.removed.contains(id) {
        return Vec::new();
    }
    // A remote lane's state is its host's (app::fleet), never decided here.
    let Some(l) = state.lane_mut(id).filter(|l| l.remote.is_none()) else {
        return Vec::new();
    };
    let mut inputs = l.agent.inputs.clone();
    inputs.now = Some(now);
    let d = crate::agent::decide(&inputs, timing);
    // Before this console has probed the lane's foreground, a hook older than the state stored
    // after it is no news: that state was decided knowing more (the shell that came back after
    // the hook). Taken as news, every console start replayed the hook (a bell, two false
    // `lane.state` events).
    let stale_hook = matches!(inputs.process, Process::Unknown)
        && matches!(d.state.source, Source::Hook(_) | Source::Mcp)
        && inputs
            .hook
            .as_ref()
            .zip(l.agent.state.as_ref())
            .is_some_and(|(h, stored)| h.at < stored.since || l.agent.overruled_hook == Some(h.at));
    if stale_hook {
        return Vec::new();
    }
    if d.is_blind() {
        // Nothing seen yet (a console just started): a known state stays, unrecorded again
        // (a restart kept every lane's state and its age, not `unknown` and back).
        if l.agent.state.is_none() || l.agent.placeholder {
            l.agent.state = Some(d.state);
            l.agent.why = d.why;
            l.agent.evidence = d.evidence;
            l.agent.placeholder = true;
            refresh_attention(l);
        }
        return Vec::new();
    }
    // A placeholder is not a state that goes on: the first decision takes its own `since`.
    let was_placeholder = std::mem::replace(&mut l.agent.placeholder, false);
    l.agent.why.clone_from(&d.why);
    l.agent.evidence.clone_from(&d.evidence);
    if let Some(s) = l
        .agent
        .state
        .as_mut()
        .filter(|s| !was_placeholder && s.same_as(&d.state))
    {
        // The same state: a fresher reason (the next tool) shows, `since` stays, and the store
        // gets it too, so `lane ls` and `lane explain` give the reason the console shows.
        let restated = d.restates(s);
        s.reason.clone_from(&d.state.reason);
        s.source = d.state.source;
        if !std::mem::take(&mut l.agent.unrecorded) && restated {
            return Vec::new();
        }
        // A new reason, or the store says otherwise (an overruled hook): record the state
        // shown, as old as it is.
        let mut shown = d;
        shown.state = s.clone();
        return vec![Effect::RecordLaneState {
            lane: id.clone(),
            decision: Box::new(shown),
        }];
    }
    l.agent.unrecorded = false;
    l.agent.state = Some(d.state.clone());
    l.agent.acked = false;
    refresh_attention(l);
    let mut effects = Vec::new();
    if matches!(d.state.status, Status::Waiting(_))
        && let Some(bytes) = state.notify.bytes(&format!(
            "{id} {}{}",
            d.state.status.label(),
            if d.state.reason.is_empty() {
                String::new()
            } else {
                format!(" · {}", d.state.reason)
            }
        ))
    {
        effects.push(Effect::NotifyTerminal { bytes });
    }
    crate::app::on_event::resort(state);
    effects.push(Effect::RecordLaneState {
        lane: id.clone(),
        decision: Box::new(d),
    });
    effects
}

/// A lane's attention follows its state: waiting, error, done and exited need a human (done
/// and exited until visited); a failed workflow keeps its own flag.
fn refresh_attention(l: &mut Lane) {
    let status = l.agent.state.as_ref().map(|s| s.status);
    let needs = status.filter(|s| {
        s.needs_human() && !(l.agent.acked && matches!(s, Status::Done | Status::Exited(_)))
    });
    l.attention = match (needs, l.attention.take()) {
        (Some(s), _) => Some(Attention::Agent(s)),
        (None, Some(w @ Attention::WorkflowFailed { .. })) => Some(w),
        (None, _) => None,
    };
}

/// How long a lane's terminal has been as it is, for a row that shows the terminal's word
/// (`running`, `idle`) because no state is shown yet: since its last output, else since helios
/// first looked at it. A new lane that printed nothing read `idle` with no age until its first
/// state was decided (a quiet period), then `unknown` dated from that same first look.
pub fn terminal_age_secs(
    lane: &Lane,
    now: std::time::Instant,
    clock: Option<OffsetDateTime>,
) -> Option<u64> {
    if let Some(at) = lane.last_output {
        return Some(now.saturating_duration_since(at).as_secs());
    }
    let (first, clock) = (lane.agent.inputs.first_look?, clock?);
    Some(u64::try_from((clock - first).whole_seconds()).unwrap_or(0))
}

/// The state line shown for a lane, at most `width` columns:
/// `waiting: permission · Bash(rm -rf build) · 3m`; the reason is cut first, so the state and
/// its age always show.
pub fn summary(lane: &Lane, now: Option<OffsetDateTime>, width: usize) -> Option<String> {
    let s = lane.agent.shown()?;
    let head = s.status.label();
    let age = now.map(|n| crate::agent::decide::short_age((n - s.since).whole_seconds()));
    let fixed = crate::text::width(&head) + age.as_ref().map_or(0, |a| 3 + a.len());
    let mut out = head;
    if !s.reason.is_empty() && fixed + 4 < width {
        out.push_str(" · ");
        out.push_str(&crate::text::truncate(&s.reason, width - fixed - 3));
    }
    if let Some(a) = age {
        out.push_str(" · ");
        out.push_str(&a);
    }
    Some(out)
}

/// The lane list's shorter line, age before reason so a narrow list keeps it:
/// `permission · 3m · Bash(rm -rf build)`, `error: rate limit · 1m`, `working · 4s`.
pub fn list_line(lane: &Lane, now: Option<OffsetDateTime>, width: usize) -> Option<String> {
    use crate::agent::WaitKind;
    let s = lane.agent.shown()?;
    let mut out = match s.status {
        Status::Waiting(WaitKind::Permission) => "permission".to_string(),
        Status::Waiting(WaitKind::Question) => "question".to_string(),
        Status::Waiting(WaitKind::Input) => "needs input".to_string(),
        other => other.label(),
    };
    if let Some(n) = now {
        out.push_str(" · ");
        out.push_str(&crate::agent::decide::short_age(
            (n - s.since).whole_seconds(),
        ));
    }
    let used = crate::text::width(&out);
    // A par lane whose tmux session is gone says so in its reason (`agent::decide`).
    let reason = s.reason.as_str();
    if !reason.is_empty() && used + 5 < width {
        out.push_str(" · ");
        out.push_str(&crate::text::truncate(reason, width - used - 3));
    }
    Some(out)
}

/// The state's decision as `helios lane explain` and the console's explain overlay show it.
pub fn explanation(lane: &Lane) -> Option<Decision> {
    Some(Decision {
        state: lane.agent.state.clone()?,
        why: lane.agent.why.clone(),
        evidence: lane.agent.evidence.clone(),
    })
}

/// The triage order of a lane: most urgent state first, then the oldest.
pub fn triage_key(lane: &Lane) -> Option<(u8, OffsetDateTime)> {
    match &lane.attention {
        Some(Attention::Agent(s)) => Some((s.priority()?, lane.agent.state.as_ref()?.since)),
        Some(Attention::WorkflowFailed { .. }) => Some((3, OffsetDateTime::UNIX_EPOCH)),
        None => None,
    }
}
