//! Choosing a lane's state from its signals, and saying why. Pure: the caller gathers the
//! signals (hooks from the state store, the screen and processes from the lane) and the time.
//!
//! The order, first rule that applies:
//! 1. the lane's program ended: `exited` with its status;
//! 2. a hook (or MCP call) said something: that, unless
//!    - the foreground is a shell again (the agent is gone without saying so): `shell`;
//!    - the user interrupted a working agent and the lane went quiet (Claude sends no Stop
//!      then): `done`;
//!    - the lane's own rows changed after a `done`/`waiting` hook (someone answered, a new turn
//!      began without a hook): the screen decides, below;
//!    - a console before this one overruled it for the lane's output after it (its recorded
//!      decision says so, and this one cannot know the rows that changed then): the screen
//!      decides;
//!    - it said `working` but nothing moved for `stale` since: `unknown`;
//! 3. the screen: a shell in the foreground is `shell`; rows that changed within `settle` are
//!    `working`; a known prompt (patterns.toml) is what it says; a bell or a notification
//!    waits for input; quiet for less than `quiet` is still `working`; after that, `unknown`.

use std::time::Duration;

use time::OffsetDateTime;

use crate::agent::screen::ScreenMatch;
use crate::agent::state::{LaneState, Signal, Source, Status};

/// How long after an interrupt the agent may still print (its "interrupted" line, its prompt)
/// without that counting as more work.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);
/// Screens are looked at once a second, so a change is stamped up to this long after it
/// happened: a notification sent with its last output is not "older than the output".
const LOOK: Duration = Duration::from_secs(1);

/// What runs in the lane's foreground.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Process {
    /// Not known (not probed yet, or the probe failed).
    #[default]
    Unknown,
    /// A shell: no agent runs.
    Shell(String),
    /// Some other program (an agent, a build…).
    Program(String),
    /// The lane's program ended and its pane is kept (tmux `remain-on-exit`), with its exit
    /// status (`None`: killed by a signal). The reducer turns this into the lane's exit.
    Dead(Option<i32>),
}

/// The timing knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long rows must stay unchanged before the screen is read as a prompt.
    pub settle: Duration,
    /// How long a quiet program with no known prompt still counts as working.
    pub quiet: Duration,
    /// How long a `working` hook holds with no hook and no output since.
    pub stale: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            settle: Duration::from_secs(2),
            quiet: Duration::from_secs(20),
            stale: Duration::from_secs(300),
        }
    }
}

/// Everything known about a lane at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// The time of the decision.
    pub now: Option<OffsetDateTime>,
    /// The newest hook or MCP signal that carries a state.
    pub hook: Option<Signal>,
    /// What runs in the foreground.
    pub process: Process,
    /// When the lane's own rows last changed (tmux's status bar and the redraw after a resize
    /// excluded: `app::agent::REPAINT`). Before the first
    /// change seen it is an hour before `first_look`: quiet, for every rule.
    pub last_change: Option<OffsetDateTime>,
    /// When helios first looked at the lane's screen. A state read from a lane that has not
    /// changed since is dated from here, not from the made-up hour before it.
    pub first_look: Option<OffsetDateTime>,
    /// What the screen shows, read from every visible row.
    pub screen: Option<ScreenMatch>,
    /// Whether the cursor line looks like a shell prompt.
    pub shell_prompt: bool,
    /// The lane's program ended, with its status when known.
    pub exited: Option<Option<i32>>,
    /// When the user last typed Esc or Ctrl-C into the lane through helios.
    pub interrupted: Option<OffsetDateTime>,
    /// When the user last answered the lane through helios (keys into a waiting lane, Enter
    /// into a done one, `s` or the palette).
    pub answered: Option<OffsetDateTime>,
    /// The newest bell or OSC notification.
    pub alert: Option<Signal>,
    /// When a recorded decision overruled the lane's newest hook for the lane's output after
    /// it ([`overruled_at`]). A console that starts again has no history of the lane's rows,
    /// so without this it took such a hook as fresh and flagged the lane again.
    pub overruled: Option<OffsetDateTime>,
    /// The lane's tmux session is gone (killed, or tmux's server ended): its program went
    /// with it, and there is no screen to read.
    pub gone: bool,
}

/// One signal as the explanation shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// `hook:claude`, `screen`, `process`…
    pub source: String,
    /// What it said.
    pub said: String,
    /// How old it is, in seconds, when known.
    pub age_secs: Option<i64>,
    /// `used`, or why it was ignored.
    pub verdict: String,
}

impl Evidence {
    /// ` (3m old)` after what it said, unless what it said tells its age already (the screen's
    /// `rows last changed 18s ago`); empty when the age is unknown.
    pub fn age_note(&self) -> String {
        match self.age_secs {
            Some(a) if !self.said.ends_with(" ago") => format!(" ({} old)", short_age(a)),
            _ => String::new(),
        }
    }
}

/// The reason of a lane whose tmux session is gone (the state is `exited`, with no status).
pub const SESSION_MISSING: &str = "tmux session missing";
/// Why: [`Inputs::gone`].
const SESSION_GONE: &str = "the lane's tmux session is gone";

/// Why a lane nothing was seen from yet is `unknown`.
const NOTHING_SEEN: &str = "nothing has been seen from this lane yet";

impl Decision {
    /// Whether nothing was seen from the lane yet: the state is a placeholder, no news about
    /// the lane (a state stored by an earlier console stands until a signal comes).
    pub fn is_blind(&self) -> bool {
        self.state.status == Status::Unknown && self.why == NOTHING_SEEN
    }
}

/// A state and the reasoning behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The state (with `since` = the time of the signal that decided it).
    pub state: LaneState,
    /// The rule that decided, in a sentence.
    pub why: String,
    /// Every signal considered.
    pub evidence: Vec<Evidence>,
}

impl Decision {
    /// Whether recording this decision over the stored `state` would tell nothing new
    /// ([`LaneState::same_record`]): then the store is not written again.
    pub fn restates(&self, state: &LaneState) -> bool {
        self.state.same_record(state)
    }
}

impl Inputs {
    /// When the rows last changed as far as helios knows: never earlier than its first look.
    fn changed_at(&self) -> Option<OffsetDateTime> {
        self.last_change
            .map(|c| self.first_look.map_or(c, |f| c.max(f)))
    }
}

/// How a recorded decision treated `hook`, when it saw that very hook (its evidence names the
/// hook's source, at the hook's age then) and did not use it: the verdict it gave. `None` when
/// it used it, or decided before the hook was known: a console's own record can come after a
/// hook it had not read yet, and must not silence it.
pub fn overruling<'a>(
    state: &LaneState,
    evidence: &'a [Evidence],
    recorded: OffsetDateTime,
    hook: Option<&Signal>,
) -> Option<&'a str> {
    let h = hook?;
    if state.source.is_exact() || recorded <= h.at {
        return None;
    }
    let age = (recorded - h.at).whole_seconds();
    let source = h.source.to_string();
    evidence
        .iter()
        .find(|e| {
            e.source == source
                && e.verdict != "used"
                && e.age_secs.is_some_and(|a| (a - age).abs() <= 1)
        })
        .map(|e| e.verdict.as_str())
}

/// When a recorded decision overruled `hook` because of the lane's output after it, which a
/// console that starts again cannot see: [`Inputs::overruled`]. (A shell in the foreground,
/// the other reason, the next console sees for itself.)
pub fn overruled_at(
    state: &LaneState,
    evidence: &[Evidence],
    recorded: OffsetDateTime,
    hook: Option<&Signal>,
) -> Option<OffsetDateTime> {
    overruling(state, evidence, recorded, hook)
        .filter(|v| v.starts_with(BY_OUTPUT) || v.starts_with(BY_RECORD))
        .map(|_| recorded)
}

/// The verdicts on a hook overruled by the lane's output, now or as recorded.
const BY_OUTPUT: &str = "older than the lane's output";
const BY_RECORD: &str = "older than the state recorded after it";
/// The verdicts on a hook overruled by keys typed through helios.
const BY_INTERRUPT: &str = "superseded by the interrupt";
const BY_ANSWER: &str = "superseded: the user answered through helios";

impl Inputs {
    /// Take in what a decision recorded earlier (by a console, serve or a look) knew and one
    /// made now cannot see: that it overruled `hook` (the lane's newest) for the lane's output
    /// after it ([`overruled_at`]), or for keys typed through helios, an interrupt or an
    /// answer (the recorded state's `since` is when). A console that starts and serve's looker
    /// both build their inputs from the store with this, so neither brings back a hook an
    /// earlier decision overruled.
    pub fn restore(
        &mut self,
        state: &LaneState,
        evidence: &[Evidence],
        recorded: OffsetDateTime,
        hook: Option<&Signal>,
    ) {
        self.overruled = overruled_at(state, evidence, recorded, hook);
        if state.source != Source::Keys {
            return;
        }
        match overruling(state, evidence, recorded, hook) {
            Some(BY_INTERRUPT) => self.interrupted = self.interrupted.max(Some(state.since)),
            Some(BY_ANSWER) => self.answered = self.answered.max(Some(state.since)),
            _ => {}
        }
    }
}

/// Decide a lane's state.
pub fn decide(i: &Inputs, t: Timing) -> Decision {
    let now = i.now.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut ev = evidence(i, now);
    let verdict = |ev: &mut Vec<Evidence>, source: &str, v: &str| {
        for e in ev
            .iter_mut()
            .filter(|e| e.source == source || source == "*")
        {
            if e.verdict.is_empty() {
                e.verdict = v.to_string();
            }
        }
    };
    let done = |ev: Vec<Evidence>, status, source, reason: String, since, why: String| Decision {
        state: LaneState {
            status,
            since,
            source,
            reason,
        },
        why,
        evidence: ev
            .into_iter()
            .map(|mut e| {
                if e.verdict.is_empty() {
                    e.verdict = "not needed".into();
                }
                e
            })
            .collect(),
    };
    if i.gone {
        verdict(&mut ev, "process", "used");
        verdict(&mut ev, "*", SESSION_GONE);
        return done(
            ev,
            Status::Exited(None),
            Source::Process,
            SESSION_MISSING.into(),
            now,
            format!("{SESSION_GONE}: its program went with it"),
        );
    }
    if let Some(code) = i.exited {
        verdict(&mut ev, "process", "used");
        verdict(&mut ev, "*", "the lane's program ended");
        // The status is in the state's label (`exited (3)`); the reason adds nothing then.
        let reason = String::new();
        return done(
            ev,
            Status::Exited(code),
            Source::Process,
            reason,
            now,
            "the lane's program ended".into(),
        );
    }
    let changed_since = |at: OffsetDateTime| i.last_change.is_some_and(|c| c > at + t.settle);
    let moving = i.last_change.is_some_and(|c| now - c < t.settle);
    if let Some(h) = i.hook.as_ref().filter(|h| h.status.is_some()) {
        let status = h.status.unwrap_or(Status::Unknown);
        let hook_src = h.source.to_string();
        if let Process::Shell(sh) = &i.process {
            verdict(&mut ev, "process", "used");
            // An agent that said it ended (SessionEnd) left its shell: the lane is a shell
            // again, as the hook itself implies, and nothing waits for the user.
            let (hook_verdict, why) = if matches!(status, Status::Exited(_)) {
                (
                    "used: the agent ended",
                    format!(
                        "the agent's hook said it ended ({}) and {sh} is in the foreground again",
                        h.event
                    ),
                )
            } else {
                (
                    "older than the shell now in the foreground",
                    format!(
                        "the hook last said {} but {sh} is in the foreground again: the agent ended without a SessionEnd",
                        status.label()
                    ),
                )
            };
            verdict(&mut ev, &hook_src, hook_verdict);
            return done(
                ev,
                Status::Shell,
                Source::Process,
                format!("{sh} in the foreground, no agent"),
                now,
                why,
            );
        }
        if status == Status::Working
            && let Some(at) = i.interrupted.filter(|at| *at > h.at)
            // The agent prints its "interrupted" line and redraws its prompt: output for a few
            // seconds after the interrupt is that, as long as the lane is quiet now.
            && i.last_change.is_none_or(|c| c <= at + INTERRUPT_GRACE && now - c >= t.settle)
            && now - at >= t.settle
        {
            verdict(&mut ev, &hook_src, BY_INTERRUPT);
            verdict(&mut ev, "keys", "used");
            verdict(&mut ev, "screen", "used: no output since the interrupt");
            return done(
                ev,
                Status::Done,
                Source::Keys,
                "interrupted by the user".into(),
                at,
                "Esc or Ctrl-C was typed into the working agent and the lane went quiet (agents send no Stop hook for an interrupt)".into(),
            );
        }
        if status != Status::Working
            && let Some(at) = i.answered.filter(|at| *at > h.at && now - *at < t.quiet)
        {
            verdict(&mut ev, &hook_src, BY_ANSWER);
            verdict(&mut ev, "keys", "used");
            return done(
                ev,
                Status::Working,
                Source::Keys,
                "answered through helios".into(),
                at,
                "the user answered the lane through helios; the agent's next hook or output follows"
                    .into(),
            );
        }
        let later_output = status != Status::Working && changed_since(h.at);
        let overruled = i.overruled.is_some_and(|at| at > h.at);
        let stale = status == Status::Working
            && now - h.at >= t.stale
            && i.last_change.is_none_or(|c| now - c >= t.stale);
        if overruled && !later_output {
            verdict(
                &mut ev,
                &hook_src,
                &format!("{BY_RECORD}: the screen decides"),
            );
            return from_screen(i, t, now, moving, ev, done);
        }
        if !later_output && !stale {
            verdict(&mut ev, &hook_src, "used");
            verdict(
                &mut ev,
                "*",
                "a hook decides until the lane shows otherwise",
            );
            return done(
                ev,
                status,
                h.source,
                h.reason.clone(),
                h.at,
                if h.source == Source::Mcp {
                    format!(
                        "the agent said so through helios's MCP server ({})",
                        h.event
                    )
                } else {
                    format!("the agent's own hook ({}) said so", h.event)
                },
            );
        }
        if stale {
            verdict(&mut ev, &hook_src, "stale: no hook and no output since");
            verdict(&mut ev, "*", "not enough to decide");
            // Dated from the last sign of life, so the state's age is the one duration shown
            // (`unknown · 6m · hook said working, no output since`). helios's first look is
            // none: a look long after the hook (`lane ls` with no console) said `0s`.
            let seen_change = i
                .last_change
                .filter(|c| i.first_look.is_none_or(|f| *c >= f));
            let last = seen_change.map_or(h.at, |c| c.max(h.at));
            return done(
                ev,
                Status::Unknown,
                h.source,
                "hook said working, no output since".into(),
                last,
                "a `working` hook went stale: no newer hook and no output".into(),
            );
        }
        verdict(
            &mut ev,
            &hook_src,
            &format!("{BY_OUTPUT}: the screen decides"),
        );
    }
    from_screen(i, t, now, moving, ev, done)
}

fn from_screen(
    i: &Inputs,
    t: Timing,
    now: OffsetDateTime,
    moving: bool,
    mut ev: Vec<Evidence>,
    done: impl Fn(Vec<Evidence>, Status, Source, String, OffsetDateTime, String) -> Decision,
) -> Decision {
    let mark = |ev: &mut Vec<Evidence>, source: &str, v: &str| {
        for e in ev
            .iter_mut()
            .filter(|e| (e.source == source || source == "*") && e.verdict.is_empty())
        {
            e.verdict = v.to_string();
        }
    };
    let quiet_for = i.last_change.map(|c| now - c);
    if let Process::Shell(sh) = &i.process {
        mark(&mut ev, "process", "used");
        return done(
            ev,
            Status::Shell,
            Source::Process,
            format!("{sh} in the foreground, no agent"),
            now,
            "no agent runs: an idle shell is not waiting".into(),
        );
    }
    if moving {
        mark(&mut ev, "screen", "used: the lane's rows are changing");
        return done(
            ev,
            Status::Working,
            Source::Screen,
            String::new(),
            now,
            "the lane's own rows changed in the last seconds".into(),
        );
    }
    if let Some(at) = i
        .answered
        .filter(|at| i.last_change.is_none_or(|c| *at >= c) && now - *at < t.quiet)
    {
        mark(&mut ev, "keys", "used");
        mark(&mut ev, "*", "older than the answer");
        return done(
            ev,
            Status::Working,
            Source::Keys,
            "answered through helios".into(),
            at,
            "the user answered the lane through helios; its output follows".into(),
        );
    }
    if let Some(m) = &i.screen {
        mark(&mut ev, "screen", "used");
        return done(
            ev,
            m.status,
            Source::Screen,
            m.reason.clone(),
            i.changed_at().unwrap_or(now),
            format!("the screen shows a known prompt (`{}`)", m.pattern),
        );
    }
    if let Some(a) = i
        .alert
        .as_ref()
        .filter(|a| i.last_change.is_none_or(|c| a.at + LOOK >= c))
    {
        mark(&mut ev, &a.source.to_string(), "used");
        return done(
            ev,
            Status::Waiting(crate::agent::state::WaitKind::Input),
            a.source,
            a.reason.clone(),
            a.at,
            "the lane asked for attention (bell or notification) and printed nothing since".into(),
        );
    }
    if i.process == Process::Unknown && i.shell_prompt {
        mark(&mut ev, "screen", "used: a shell prompt at the cursor");
        return done(
            ev,
            Status::Shell,
            Source::Screen,
            "a shell prompt at the cursor".into(),
            i.changed_at().unwrap_or(now),
            "the cursor line is a shell prompt (the foreground process is not known)".into(),
        );
    }
    // Quiet since a first look less than a quiet period ago (a console just started): how long
    // the lane has really been quiet is not known yet, so it is as if nothing was seen, and the
    // state an earlier console stored stands (`working` for a lane that printed just before the
    // restart) until the lane changes or stays quiet a whole period.
    let just_looked = i
        .first_look
        .is_some_and(|f| now - f < t.quiet && i.last_change.is_some_and(|c| c < f));
    match quiet_for.filter(|_| !just_looked) {
        Some(q) if q < t.quiet => {
            mark(&mut ev, "screen", "used: output a moment ago");
            done(
                ev,
                Status::Working,
                Source::Screen,
                String::new(),
                i.changed_at().unwrap_or(now),
                "the lane printed a moment ago and shows no prompt".into(),
            )
        }
        Some(q) => {
            mark(&mut ev, "screen", "no known prompt on the screen");
            mark(&mut ev, "*", "not enough to decide");
            done(
                ev,
                Status::Unknown,
                Source::Screen,
                // Dated from the last output, so the state's age says how long the lane has
                // been quiet and is the one duration shown (`unknown · 3m · quiet, no known
                // prompt`); a lane quiet since helios first looked is dated from that look.
                "quiet, no known prompt".into(),
                i.changed_at().unwrap_or(now - q),
                "the lane is quiet and its screen shows no prompt helios knows: it may be thinking, stuck or waiting"
                    .into(),
            )
        }
        None => {
            mark(&mut ev, "*", "not enough to decide");
            done(
                ev,
                Status::Unknown,
                Source::Screen,
                "no signal yet".into(),
                now,
                NOTHING_SEEN.into(),
            )
        }
    }
}

/// The signals, before verdicts.
fn evidence(i: &Inputs, now: OffsetDateTime) -> Vec<Evidence> {
    let age = |at: OffsetDateTime| Some((now - at).whole_seconds());
    let mut ev = Vec::new();
    if let Some(h) = &i.hook {
        ev.push(Evidence {
            source: h.source.to_string(),
            said: format!(
                "{}: {}{}",
                h.event,
                h.status.map_or("no state".into(), Status::label),
                if h.reason.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", h.reason)
                }
            ),
            age_secs: age(h.at),
            verdict: String::new(),
        });
    }
    let process = match &i.process {
        Process::Unknown => "foreground process not known".to_string(),
        Process::Shell(s) => format!("{s} (a shell) in the foreground"),
        Process::Program(p) => format!("{p} in the foreground"),
        Process::Dead(Some(c)) => format!("its pane is dead (status {c})"),
        Process::Dead(None) => "its pane is dead (killed by a signal)".to_string(),
    };
    let process = match i.exited {
        Some(Some(c)) => format!("ended with status {c}"),
        Some(None) => "ended".to_string(),
        None => process,
    };
    ev.push(Evidence {
        source: "process".into(),
        said: if i.gone {
            "none: its tmux session is gone".to_string()
        } else {
            process
        },
        age_secs: None,
        verdict: String::new(),
    });
    // A session that is gone has no screen: nothing to say of one.
    if i.gone {
        ev.extend(keys_and_alerts(i, now));
        return ev;
    }
    let screen = match (&i.screen, i.last_change) {
        (Some(m), _) => format!("shows `{}`: {}", m.pattern, m.reason),
        (None, Some(_)) if i.shell_prompt => "a shell prompt at the cursor".to_string(),
        (None, Some(_)) => "no known prompt".to_string(),
        (None, None) => "no output yet".to_string(),
    };
    // The rows' age in words: "changed 18s ago"; "unchanged since helios first looked 3m ago"
    // when they have not changed since (how long before that is not known); nothing before
    // any output.
    let rows = match (i.last_change, i.changed_at()) {
        (Some(c), Some(at)) if at > c => format!(
            "; rows unchanged since helios first looked {}",
            ago((now - at).whole_seconds())
        ),
        (Some(_), Some(at)) => format!("; rows last changed {}", ago((now - at).whole_seconds())),
        _ => String::new(),
    };
    let screen = match (&i.screen, i.last_change) {
        (None, None) => "no output seen yet".to_string(),
        _ => screen,
    };
    ev.push(Evidence {
        source: "screen".into(),
        said: format!("{screen}{rows}"),
        age_secs: i.changed_at().and_then(age),
        verdict: String::new(),
    });
    ev.extend(keys_and_alerts(i, now));
    ev
}

/// The keys typed through helios and the notifications, as evidence.
fn keys_and_alerts(i: &Inputs, now: OffsetDateTime) -> Vec<Evidence> {
    let age = |at: OffsetDateTime| Some((now - at).whole_seconds());
    let mut ev = Vec::new();
    if let Some(at) = i.interrupted {
        ev.push(Evidence {
            source: "keys".into(),
            said: "Esc or Ctrl-C typed through helios".into(),
            age_secs: age(at),
            verdict: String::new(),
        });
    }
    if let Some(at) = i.answered {
        ev.push(Evidence {
            source: "keys".into(),
            said: "answered through helios".into(),
            age_secs: age(at),
            verdict: String::new(),
        });
    }
    if let Some(a) = &i.alert {
        ev.push(Evidence {
            source: a.source.to_string(),
            said: if a.reason.is_empty() {
                a.event.clone()
            } else {
                format!("{}: {}", a.event, a.reason)
            },
            age_secs: age(a.at),
            verdict: String::new(),
        });
    }
    ev
}

/// `3s ago`, `4m ago`, `2h ago`.
pub fn ago(secs: i64) -> String {
    format!("{} ago", short_age(secs))
}

/// `3s`, `4m`, `2h`, `5d`.
pub fn short_age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests;
