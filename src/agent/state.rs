//! The lane state model: what the agent in a lane is doing, since when, which signal said so
//! and why. Plain data; `decide.rs` chooses it from signals.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why a waiting agent waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitKind {
    /// It asks to run a tool (`Bash(rm -rf build)`).
    Permission,
    /// It asks a question (a menu, a plan to approve, `(y/n)`).
    Question,
    /// It waits for the next prompt (a new session, an idle input box).
    Input,
}

/// Why an agent stopped on an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// API rate limit or quota.
    RateLimit,
    /// Authentication failed.
    Auth,
    /// Billing or credit.
    Billing,
    /// The agent crashed.
    Crash,
    /// Anything else (overloaded, server error…).
    Other,
}

/// The state of a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The agent works: nothing for a human to do.
    Working,
    /// The agent waits for a human.
    Waiting(WaitKind),
    /// The agent finished its turn.
    Done,
    /// The agent stopped on an error.
    Error(ErrorKind),
    /// The lane's program ended, with its status when known.
    Exited(Option<i32>),
    /// No agent runs: an idle shell, which is not waiting.
    Shell,
    /// The signals are missing, stale or contradict each other.
    Unknown,
}

impl Status {
    /// The state's name: `working`, `waiting`, `done`, `error`, `exited`, `shell`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::Waiting(_) => "waiting",
            Self::Done => "done",
            Self::Error(_) => "error",
            Self::Exited(_) => "exited",
            Self::Shell => "shell",
            Self::Unknown => "unknown",
        }
    }

    /// The kind of a waiting or error state (`permission`, `rate_limit`…), or the exit status.
    pub fn kind(self) -> Option<String> {
        let text = |v: &dyn erased::Snake| v.snake();
        match self {
            Self::Waiting(k) => Some(text(&k)),
            Self::Error(k) => Some(text(&k)),
            Self::Exited(Some(code)) => Some(code.to_string()),
            _ => None,
        }
    }

    /// Rebuild from a name and kind, as [`Status::name`] and [`Status::kind`] wrote them.
    pub fn parse(name: &str, kind: Option<&str>) -> Option<Self> {
        fn de<T: serde::de::DeserializeOwned>(k: &str) -> Option<T> {
            serde_json::from_value(serde_json::Value::String(k.to_string())).ok()
        }
        Some(match name {
            "working" => Self::Working,
            "waiting" => Self::Waiting(de(kind?)?),
            "done" => Self::Done,
            "error" => Self::Error(de(kind?)?),
            "exited" => Self::Exited(kind.and_then(|k| k.parse().ok())),
            "shell" => Self::Shell,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// Whether a human is needed: waiting, error, done or exited (in that triage order).
    pub fn needs_human(self) -> bool {
        self.priority().is_some()
    }

    /// Triage order, most urgent first: permission, question, input, error, done, exited.
    pub fn priority(self) -> Option<u8> {
        match self {
            Self::Waiting(WaitKind::Permission) => Some(0),
            Self::Waiting(WaitKind::Question) => Some(1),
            Self::Waiting(WaitKind::Input) => Some(2),
            Self::Error(_) => Some(3),
            Self::Done => Some(4),
            Self::Exited(_) => Some(5),
            Self::Working | Self::Shell | Self::Unknown => None,
        }
    }

    /// `waiting: permission`, `exited (3)`, `working`.
    pub fn label(self) -> String {
        match self {
            Self::Exited(Some(c)) => format!("exited ({c})"),
            s => match s.kind() {
                Some(k) => format!("{}: {}", s.name(), k.replace('_', " ")),
                None => s.name().to_string(),
            },
        }
    }
}

/// Serde's snake_case name of a unit enum variant, without a trait object per enum.
mod erased {
    pub trait Snake {
        fn snake(&self) -> String;
    }
    impl<T: serde::Serialize> Snake for T {
        fn snake(&self) -> String {
            serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        }
    }
}

/// The agents whose hooks helios reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agent {
    /// Claude Code.
    Claude,
    /// OpenAI Codex CLI.
    Codex,
    /// Gemini CLI.
    Gemini,
}

impl Agent {
    /// Every agent, in the order the docs list them.
    pub const ALL: [Self; 3] = [Self::Claude, Self::Codex, Self::Gemini];

    /// `claude`, `codex`, `gemini`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Codex => "codex",
            Self::Gemini => "gemini",
        }
    }

    /// Parse a name given on the command line.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Where a signal came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The agent's own hook (`helios hook AGENT`).
    Hook(Agent),
    /// The agent called helios's MCP server.
    Mcp,
    /// An OSC 9/777 notification or OSC 9;4 progress the lane printed.
    Osc,
    /// The lane rang the bell.
    Bell,
    /// What the lane's screen shows.
    Screen,
    /// The lane's processes (what runs in its foreground, whether it ended).
    Process,
    /// What the user typed into the lane through helios (an answer, an interrupt).
    Keys,
}

impl Source {
    /// The precedence of fresh signals: hooks and MCP know, the terminal guesses.
    pub fn is_exact(self) -> bool {
        matches!(self, Self::Hook(_) | Self::Mcp)
    }

    /// Parse what [`Display`](fmt::Display) wrote.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "mcp" => Self::Mcp,
            "osc" => Self::Osc,
            "bell" => Self::Bell,
            "screen" => Self::Screen,
            "process" => Self::Process,
            "keys" => Self::Keys,
            other => Self::Hook(Agent::from_name(other.strip_prefix("hook:")?)?),
        })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hook(a) => write!(f, "hook:{}", a.name()),
            Self::Mcp => f.write_str("mcp"),
            Self::Osc => f.write_str("osc"),
            Self::Bell => f.write_str("bell"),
            Self::Screen => f.write_str("screen"),
            Self::Process => f.write_str("process"),
            Self::Keys => f.write_str("keys"),
        }
    }
}

/// A lane's state as shown and stored: what, since when, decided by which signal, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneState {
    /// The state.
    pub status: Status,
    /// When the lane entered this state.
    pub since: OffsetDateTime,
    /// The signal that decided it.
    pub source: Source,
    /// The question, the tool waiting for permission, the error… (may be empty).
    pub reason: String,
}

impl LaneState {
    /// Whether `other` is the same state: the same status and kind. A new reason within one
    /// state (the next tool a working agent runs) refreshes the shown state without being a
    /// change of its own: no audit event per tool call.
    pub fn same_as(&self, other: &Self) -> bool {
        self.status == other.status
    }

    /// Whether `other` says what this state says, as `helios lane ls` shows it: the same
    /// status, from the same signal, for the same reason; then the store needs no new record.
    /// A reason that differs only in an age it quotes (`quiet 21s` and `quiet 22s`) is the
    /// same reason, and the rule's wording and the evidence are left out (they change with
    /// every look: the ages, a working lane's output that moves and pauses): a record for
    /// those would be a write a second per lane.
    pub fn same_record(&self, other: &Self) -> bool {
        self.same_as(other)
            && self.source == other.source
            && without_ages(&self.reason) == without_ages(&other.reason)
    }

    /// The flat record stored in SQLite, sent in `lane.state` events and printed by
    /// `helios lane ls --json`.
    pub fn to_record(&self) -> StateRecord {
        StateRecord {
            state: self.status.name().to_string(),
            state_kind: self.status.kind(),
            state_since: self.since,
            state_source: self.source.to_string(),
            state_reason: self.reason.clone(),
        }
    }
}

/// `text` with every age it quotes (`21s`, `3m`, `2h`, `5d`: digits that begin a word, then
/// the unit that ends it) as `#`.
fn without_ages(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let unit = chars
            .get(i + digits)
            .filter(|c| matches!(c, 's' | 'm' | 'h' | 'd'));
        let ends_word = chars
            .get(i + digits + 1)
            .is_none_or(|c| !c.is_alphanumeric());
        if starts_word && digits > 0 && unit.is_some() && ends_word {
            out.push('#');
            i += digits + 1;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A [`LaneState`] as flat fields (`state`, `state_kind`, `state_since`, `state_source`,
/// `state_reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRecord {
    /// `working`, `waiting`, …
    pub state: String,
    /// `permission`, `rate_limit`, an exit status, or none.
    pub state_kind: Option<String>,
    /// When the lane entered the state.
    #[serde(with = "time::serde::rfc3339")]
    pub state_since: OffsetDateTime,
    /// `hook:claude`, `screen`, …
    pub state_source: String,
    /// Why.
    pub state_reason: String,
}

impl StateRecord {
    /// Back to a [`LaneState`]; `None` for a record this helios cannot read.
    pub fn to_state(&self) -> Option<LaneState> {
        Some(LaneState {
            status: Status::parse(&self.state, self.state_kind.as_deref())?,
            since: self.state_since,
            source: Source::parse(&self.state_source)?,
            reason: self.state_reason.clone(),
        })
    }
}

/// Which lane a state belongs to: its worktree (the key), repo and label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LaneKey {
    /// The worktree directory, canonical.
    pub worktree: String,
    /// The repository's short name.
    pub repo: String,
    /// The lane's label.
    pub lane: String,
}

/// One observation about a lane, kept for `helios lane explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// When it was seen.
    pub at: OffsetDateTime,
    /// Where from.
    pub source: Source,
    /// The state it points to; `None` for a signal that only informs (a subagent ended).
    pub status: Option<Status>,
    /// The agent's event name (`PermissionRequest`, `agent-turn-complete`) or what was seen.
    pub event: String,
    /// Why (the tool, the question, the error).
    pub reason: String,
}

/// The longest reason kept: a line in a list, not a transcript.
pub const REASON_MAX: usize = 120;

/// `text` on one line, without control characters, cut to [`REASON_MAX`] characters.
pub fn one_line(text: &str) -> String {
    let mut out = String::new();
    let mut space = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        // A terminal sequence goes whole: dropping only its ESC left `[31m` in the reason.
        if c == '\x1b' || c == '\u{9b}' {
            skip_sequence(c, &mut chars);
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if out.chars().count() >= REASON_MAX {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// Skip the rest of the terminal sequence `first` (ESC or the C1 CSI) began: a CSI up to its
/// final byte, an OSC or other string up to BEL or ST, an escape up to its final character.
fn skip_sequence(first: char, chars: &mut std::str::Chars<'_>) {
    let kind = if first == '\u{9b}' {
        '['
    } else {
        match chars.next() {
            Some(k) => k,
            None => return,
        }
    };
    match kind {
        '[' => {
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    return;
                }
            }
        }
        ']' | 'P' | '_' | '^' | 'X' => {
            let mut esc = false;
            for c in chars.by_ref() {
                if c == '\x07' || (esc && c == '\\') {
                    return;
                }
                esc = c == '\x1b';
            }
        }
        // Intermediate bytes, then the final one (`ESC ( B`).
        '\x20'..='\x2f' => {
            for c in chars.by_ref() {
                if !('\x20'..='\x2f').contains(&c) {
                    return;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn names_kinds_and_parse_round_trip() {
        let all = [
            Status::Working,
            Status::Waiting(WaitKind::Permission),
            Status::Waiting(WaitKind::Question),
            Status::Waiting(WaitKind::Input),
            Status::Done,
            Status::Error(ErrorKind::RateLimit),
            Status::Error(ErrorKind::Other),
            Status::Exited(Some(3)),
            Status::Exited(None),
            Status::Shell,
            Status::Unknown,
        ];
        for s in all {
            assert_eq!(
                Status::parse(s.name(), s.kind().as_deref()),
                Some(s),
                "{s:?}"
            );
        }
        assert_eq!(
            Status::Error(ErrorKind::RateLimit).kind().as_deref(),
            Some("rate_limit")
        );
        assert_eq!(Status::Exited(Some(3)).label(), "exited (3)");
        assert_eq!(
            Status::Waiting(WaitKind::Permission).label(),
            "waiting: permission"
        );
        assert_eq!(Status::parse("waiting", None), None);
        assert_eq!(Status::parse("sleeping", None), None);
    }

    #[test]
    fn a_record_is_the_same_up_to_the_ages_its_reason_quotes() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let st = |status, source, reason: &str| LaneState {
            status,
            since: at,
            source,
            reason: reason.into(),
        };
        let quiet = |r: &str| st(Status::Unknown, Source::Screen, r);
        assert!(
            quiet("quiet 21s, no known prompt").same_record(&quiet("quiet 22s, no known prompt"))
        );
        assert!(
            quiet("quiet at least 3m, no known prompt")
                .same_record(&quiet("quiet at least 4m, no known prompt"))
        );
        // A new reason or signal within the same state is a new record.
        let hook = |r: &str| st(Status::Working, Source::Hook(Agent::Claude), r);
        assert!(!hook("Edit(a.rs)").same_record(&hook("Bash(ls)")));
        assert!(!hook("Edit(a1.rs)").same_record(&hook("Edit(a2.rs)")));
        assert!(!hook("build 2s").same_record(&hook("build 2x")));
        let shell = st(
            Status::Shell,
            Source::Process,
            "bash in the foreground, no agent",
        );
        let from_hook = st(Status::Shell, Source::Hook(Agent::Claude), &shell.reason);
        assert!(!shell.same_record(&from_hook));
        assert!(!shell.same_record(&st(Status::Done, Source::Process, &shell.reason)));
        assert!(shell.same_record(&shell.clone()));
    }

    #[test]
    fn sources_round_trip() {
        for s in [
            Source::Hook(Agent::Claude),
            Source::Hook(Agent::Codex),
            Source::Hook(Agent::Gemini),
            Source::Mcp,
            Source::Osc,
            Source::Bell,
            Source::Screen,
            Source::Process,
            Source::Keys,
        ] {
            assert_eq!(Source::parse(&s.to_string()), Some(s));
        }
        assert_eq!(Source::parse("hook:aider"), None);
    }

    #[test]
    fn idle_shells_and_work_need_no_human() {
        assert!(!Status::Shell.needs_human());
        assert!(!Status::Working.needs_human());
        assert!(!Status::Unknown.needs_human());
        assert!(Status::Done.needs_human());
        assert!(
            Status::Waiting(WaitKind::Permission).priority()
                < Status::Error(ErrorKind::Auth).priority()
        );
    }

    #[test]
    fn one_line_strips_controls_and_cuts() {
        assert_eq!(one_line("  a\n\tb\x1b[31m  "), "a b");
        // Terminal sequences go whole, not their ESC alone.
        assert_eq!(
            one_line("Claude needs \x1b[1;31myour\x1b[0m permission\u{9b}2J"),
            "Claude needs your permission"
        );
        assert_eq!(one_line("x\x1b]0;title\x07y\x1b]8;;u\x1b\\z"), "xyz");
        assert_eq!(one_line("a\x1b(Bb\x1b"), "ab");
        assert_eq!(one_line(&"x".repeat(500)).chars().count(), REASON_MAX + 1);
    }
}
