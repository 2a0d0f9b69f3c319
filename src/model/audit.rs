//! The audit event: what every action records, the journal keeps and the sinks receive.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// Whether the action an event records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventResult {
    /// It worked.
    Ok,
    /// It failed; the detail says why.
    Error,
}

/// One auditable action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// ULID: sortable by time, unique.
    pub id: String,
    /// UTC time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it (`user@host`, or `helios` for automatic actions).
    pub actor: String,
    /// The repository's short name.
    pub repo: String,
    /// Dotted action name, like `lane.created`.
    pub action: String,
    /// The lane, when the action concerns one.
    pub lane: Option<String>,
    /// Whether it worked.
    pub result: EventResult,
    /// Anything else, as JSON.
    pub detail: Value,
}

/// `previous → state · source · reason` of a `lane.state` event's detail (the fields of the
/// agent state's record), or `None` when it has no `state`.
fn state_change(d: &Value) -> Option<String> {
    let text = |k: &str| d.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let state = text("state")?;
    let mut out = match text("previous") {
        Some(p) => format!("{p} → "),
        None => String::new(),
    };
    let now = match (state, text("state_kind")) {
        ("exited", Some(code)) => format!("exited ({code})"),
        (s, Some(kind)) => format!("{s}: {}", kind.replace('_', " ")),
        (s, None) => s.to_string(),
    };
    out.push_str(&now);
    for k in ["state_source", "state_reason"] {
        if let Some(t) = text(k) {
            out.push_str(" · ");
            out.push_str(t);
        }
    }
    Some(out)
}

impl AuditEvent {
    /// A new event stamped now with a fresh ULID.
    pub fn new(
        actor: &str,
        repo: &str,
        action: &str,
        lane: Option<&str>,
        ok: bool,
        detail: Value,
    ) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            at: OffsetDateTime::now_utc(),
            actor: actor.to_string(),
            repo: repo.to_string(),
            action: action.to_string(),
            lane: lane.map(str::to_string),
            result: if ok {
                EventResult::Ok
            } else {
                EventResult::Error
            },
            detail,
        }
    }

    /// The detail as one line of compact JSON (`{"text":"hi","via":"pty"}`), empty when there
    /// is none: the DETAIL column of `helios events` and of the console's events panel. Not
    /// escaped: anyone who publishes to helios.events.> writes it.
    /// A `lane.state` event reads as the change it records (`done → working · hook:claude ·
    /// Bash(make)`): its JSON's first forty columns were the same on every row.
    pub fn detail_text(&self) -> String {
        if self.action == "lane.state"
            && let Some(change) = state_change(&self.detail)
        {
            return change;
        }
        match &self.detail {
            Value::Object(m) if m.is_empty() => String::new(),
            Value::Null => String::new(),
            d => d.to_string(),
        }
    }

    /// An action's result: `detail` as it is when it worked; with `error` added when it failed.
    pub fn of_result(
        actor: &str,
        repo: &str,
        action: &str,
        lane: Option<&str>,
        mut detail: Value,
        error: Option<&str>,
    ) -> Self {
        if let (Some(e), Some(m)) = (error, detail.as_object_mut()) {
            m.insert("error".into(), Value::String(e.to_string()));
        }
        Self::new(actor, repo, action, lane, error.is_none(), detail)
    }
}

/// Every action helios records, by name. The names are the wire format (journal rows, NATS
/// subjects, PostgreSQL rows, `helios events --action`): never change one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `action.requested`: an action is about to be taken (written durably first).
    ActionRequested,
    /// `lane.created`: a lane was created.
    LaneCreated,
    /// `lane.removed`: a lane was removed.
    LaneRemoved,
    /// `lane.text_sent`: text was sent to a lane.
    LaneTextSent,
    /// `lane.attached`: a terminal attached to a lane's session.
    LaneAttached,
    /// `lane.restarted`: a dead lane's command was started again.
    LaneRestarted,
    /// `lane.listed`: the lanes were listed.
    LaneListed,
    /// `lane.focused`: a lane was focused in the console.
    LaneFocused,
    /// `lane.workflow_started`: a workflow was started for a new lane.
    LaneWorkflowStarted,
    /// `lane.write`: keys or a paste could not be written to a lane.
    LaneWrite,
    /// `lane.terminal`: a lane's terminal could not be started or was not running.
    LaneTerminal,
    /// `lane.state`: a lane's state changed (working, waiting, done…; agent-aware lanes).
    LaneState,
    /// `lane.agent_started`: an agent was started in a new lane with its hooks set up.
    LaneAgentStarted,
    /// `agent.setup`: helios's hooks were installed in (or removed from) an agent's settings.
    AgentSetup,
    /// `share.requested`: a share was asked for in the console.
    ShareRequested,
    /// `share.started`: a share started.
    ShareStarted,
    /// `share.stopped`: a share was stopped.
    ShareStopped,
    /// `share.expired`: a share reached its TTL.
    ShareExpired,
    /// `share.ended`: a share's server died.
    ShareEnded,
    /// `share.failed`: a share could not start.
    ShareFailed,
    /// `config.loaded`: the console started with this config.
    ConfigLoaded,
    /// `config.trusted`: a repo's config file was trusted.
    ConfigTrusted,
    /// `config.trust_revoked`: a repo's config file is no longer trusted.
    ConfigTrustRevoked,
    /// `console.failed`: the console stopped on an error.
    ConsoleFailed,
    /// `workflow.signalled`: a workflow was signalled.
    WorkflowSignalled,
    /// `workflow.cancel_requested`: a workflow's cancellation was requested.
    WorkflowCancelRequested,
    /// `workflow.terminated`: a workflow was terminated.
    WorkflowTerminated,
    /// `workflow.reset`: a workflow was reset.
    WorkflowReset,
    /// `zellij.open`: the lanes were opened in zellij.
    ZellijOpen,
}

impl AuditAction {
    /// Every action, for tests and listings.
    pub const ALL: &[Self] = &[
        Self::ActionRequested,
        Self::LaneCreated,
        Self::LaneRemoved,
        Self::LaneTextSent,
        Self::LaneAttached,
        Self::LaneRestarted,
        Self::LaneListed,
        Self::LaneFocused,
        Self::LaneWorkflowStarted,
        Self::LaneWrite,
        Self::LaneTerminal,
        Self::LaneState,
        Self::LaneAgentStarted,
        Self::AgentSetup,
        Self::ShareRequested,
        Self::ShareStarted,
        Self::ShareStopped,
        Self::ShareExpired,
        Self::ShareEnded,
        Self::ShareFailed,
        Self::ConfigLoaded,
        Self::ConfigTrusted,
        Self::ConfigTrustRevoked,
        Self::ConsoleFailed,
        Self::WorkflowSignalled,
        Self::WorkflowCancelRequested,
        Self::WorkflowTerminated,
        Self::WorkflowReset,
        Self::ZellijOpen,
    ];

    /// The dotted name events carry, like `lane.created`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ActionRequested => "action.requested",
            Self::LaneCreated => "lane.created",
            Self::LaneRemoved => "lane.removed",
            Self::LaneTextSent => "lane.text_sent",
            Self::LaneAttached => "lane.attached",
            Self::LaneRestarted => "lane.restarted",
            Self::LaneListed => "lane.listed",
            Self::LaneFocused => "lane.focused",
            Self::LaneWorkflowStarted => "lane.workflow_started",
            Self::LaneWrite => "lane.write",
            Self::LaneTerminal => "lane.terminal",
            Self::LaneState => "lane.state",
            Self::LaneAgentStarted => "lane.agent_started",
            Self::AgentSetup => "agent.setup",
            Self::ShareRequested => "share.requested",
            Self::ShareStarted => "share.started",
            Self::ShareStopped => "share.stopped",
            Self::ShareExpired => "share.expired",
            Self::ShareEnded => "share.ended",
            Self::ShareFailed => "share.failed",
            Self::ConfigLoaded => "config.loaded",
            Self::ConfigTrusted => "config.trusted",
            Self::ConfigTrustRevoked => "config.trust_revoked",
            Self::ConsoleFailed => "console.failed",
            Self::WorkflowSignalled => "workflow.signalled",
            Self::WorkflowCancelRequested => "workflow.cancel_requested",
            Self::WorkflowTerminated => "workflow.terminated",
            Self::WorkflowReset => "workflow.reset",
            Self::ZellijOpen => "zellij.open",
        }
    }

    /// The action with this name, if helios knows it (events from a newer helios may not).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    /// The OpenTelemetry span name of the action (`lane.created` is the span `lane.create`).
    pub const fn span_name(self) -> &'static str {
        match self {
            Self::ActionRequested => "action.request",
            Self::LaneCreated => "lane.create",
            Self::LaneRemoved => "lane.remove",
            Self::LaneTextSent => "lane.send",
            Self::LaneAttached => "lane.attach",
            Self::LaneListed => "lane.list",
            Self::LaneFocused
            | Self::LaneWorkflowStarted
            | Self::LaneWrite
            | Self::LaneTerminal
            | Self::LaneState
            | Self::LaneAgentStarted
            | Self::LaneRestarted => "lane.action",
            Self::AgentSetup => "agent.action",
            Self::ShareRequested
            | Self::ShareStarted
            | Self::ShareStopped
            | Self::ShareExpired
            | Self::ShareEnded
            | Self::ShareFailed => "share.action",
            Self::ConfigLoaded | Self::ConfigTrusted | Self::ConfigTrustRevoked => "config.action",
            Self::ConsoleFailed => "console.action",
            Self::WorkflowSignalled
            | Self::WorkflowCancelRequested
            | Self::WorkflowTerminated
            | Self::WorkflowReset => "workflow.action",
            Self::ZellijOpen => "zellij.action",
        }
    }
}

impl AsRef<str> for AuditAction {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this lane.
    pub lane: Option<String>,
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events after this id (for following).
    pub after_id: Option<String>,
    /// At most this many (the newest).
    pub limit: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_change_reads_as_the_change() {
        let ev = |detail: Value| AuditEvent::new("me", "r", "lane.state", Some("a"), true, detail);
        let d = serde_json::json!({"previous": "done", "state": "waiting", "state_kind": "permission",
            "state_source": "hook:claude", "state_reason": "Bash(make)", "worktree": "/w/a"});
        assert_eq!(
            ev(d).detail_text(),
            "done → waiting: permission · hook:claude · Bash(make)"
        );
        let first =
            serde_json::json!({"state": "exited", "state_kind": "3", "state_source": "process"});
        assert_eq!(ev(first).detail_text(), "exited (3) · process");
        // Without a state it is the JSON, as any other event's.
        assert_eq!(ev(serde_json::json!({"x": 1})).detail_text(), r#"{"x":1}"#);
        let sent = AuditEvent::new(
            "me",
            "r",
            "lane.text_sent",
            None,
            true,
            serde_json::json!({"state": "x"}),
        );
        assert_eq!(sent.detail_text(), r#"{"state":"x"}"#);
    }

    #[test]
    fn action_names_are_unique_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a} twice");
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(AuditAction::parse("lane.exploded"), None);
    }

    #[test]
    fn the_wire_names_do_not_change() {
        assert_eq!(AuditAction::ActionRequested.as_str(), "action.requested");
        assert_eq!(AuditAction::LaneCreated.as_str(), "lane.created");
        assert_eq!(AuditAction::LaneTextSent.as_str(), "lane.text_sent");
        assert_eq!(AuditAction::ShareFailed.as_str(), "share.failed");
        assert_eq!(
            AuditAction::ConfigTrustRevoked.as_str(),
            "config.trust_revoked"
        );
        assert_eq!(
            AuditAction::WorkflowCancelRequested.as_str(),
            "workflow.cancel_requested"
        );
        assert_eq!(AuditAction::ZellijOpen.as_str(), "zellij.open");
        assert_eq!(AuditAction::LaneCreated.span_name(), "lane.create");
        assert_eq!(AuditAction::LaneFocused.span_name(), "lane.action");
    }
}
