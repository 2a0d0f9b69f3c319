//! What an agent's hook payload says about its lane. Pure: the bytes an agent passed to
//! `helios hook AGENT` in, a [`Signal`] (and the `cwd` the agent reported) out.
//!
//! - Claude Code: command hooks, JSON on stdin, `hook_event_name` names the event.
//! - Codex: the `notify` program (JSON as the last argv argument, `type`) and Codex hooks
//!   (Claude's shape plus `turn_id` and `model`).
//! - Gemini CLI: hooks, JSON on stdin, `hook_event_name` (BeforeAgent, AfterTool…).

use serde_json::Value;
use time::OffsetDateTime;

use crate::agent::state::{Agent, ErrorKind, Signal, Source, Status, WaitKind, one_line};

/// The largest payload read. A transcript is passed by path, but a tool's input is inline:
/// Claude's PreToolUse for a Write carries the whole file (a 5 MB file is an ordinary one), so
/// the cap is far above any real payload and only stops a runaway writer.
pub const PAYLOAD_MAX: usize = 32 << 20;

/// A payload helios cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// Not JSON, or not a JSON object.
    #[error("the {agent} hook payload is not a JSON object: {detail}")]
    NotJson {
        /// Which agent's hook.
        agent: &'static str,
        /// The parser's message.
        detail: String,
    },
    /// A JSON object without the event name.
    #[error("the {agent} hook payload has no `{field}`: is this hook installed for another agent?")]
    NoEvent {
        /// Which agent's hook.
        agent: &'static str,
        /// The missing field.
        field: &'static str,
    },
}

/// What a payload says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReport {
    /// The signal for the lane.
    pub signal: Signal,
    /// The working directory the agent reported, if any.
    pub cwd: Option<String>,
    /// The agent's session or thread id, if any.
    pub session: Option<String>,
}

/// Read one payload of `agent` received at `at`.
pub fn parse(agent: Agent, payload: &[u8], at: OffsetDateTime) -> Result<HookReport, HookError> {
    let v: Value = serde_json::from_slice(payload).map_err(|e| HookError::NotJson {
        agent: agent.name(),
        detail: e.to_string(),
    })?;
    if !v.is_object() {
        return Err(HookError::NotJson {
            agent: agent.name(),
            detail: "a JSON value that is not an object".to_string(),
        });
    }
    let (event, status, reason) = match (agent, text(&v, "hook_event_name")) {
        (Agent::Gemini, Some(e)) => gemini(&e, &v),
        (_, Some(e)) => claude(&e, &v),
        (Agent::Codex, None) => match text(&v, "type") {
            Some(t) => codex_notify(&t, &v),
            None => {
                return Err(HookError::NoEvent {
                    agent: agent.name(),
                    field: "type",
                });
            }
        },
        (_, None) => {
            return Err(HookError::NoEvent {
                agent: agent.name(),
                field: "hook_event_name",
            });
        }
    };
    let session = text(&v, "session_id").or_else(|| text(&v, "thread-id"));
    Ok(HookReport {
        signal: Signal {
            at,
            source: Source::Hook(agent),
            status,
            event: one_line(&event),
            reason: one_line(&reason),
        },
        cwd: text(&v, "cwd"),
        session,
    })
}

type Reading = (String, Option<Status>, String);

/// Claude Code's events (and Codex hooks, which share their shape).
fn claude(event: &str, v: &Value) -> Reading {
    let tool = || tool_call(v);
    let (status, reason) = match event {
        "SessionStart" => (
            Some(Status::Waiting(WaitKind::Input)),
            format!(
                "new session ({}): waiting for a prompt",
                text(v, "source").unwrap_or_else(|| "startup".into())
            ),
        ),
        "UserPromptSubmit" => (Some(Status::Working), "prompt submitted".into()),
        "PreToolUse" => match text(v, "tool_name").as_deref() {
            Some("AskUserQuestion") => (
                Some(Status::Waiting(WaitKind::Question)),
                question(v).unwrap_or_else(|| "asks a question".into()),
            ),
            Some("ExitPlanMode") => (
                Some(Status::Waiting(WaitKind::Question)),
                "plan ready: approve it?".into(),
            ),
            _ => (Some(Status::Working), tool()),
        },
        "PermissionRequest" => (Some(Status::Waiting(WaitKind::Permission)), tool()),
        "PostToolUse" | "PostToolUseFailure" => (Some(Status::Working), format!("ran {}", tool())),
        "PreCompact" => (Some(Status::Working), "compacting the context".into()),
        "Notification" => notification(v),
        "Stop" => (Some(Status::Done), "turn finished".into()),
        "StopFailure" => {
            let error = text(v, "error")
                .or_else(|| text(v, "error_type"))
                .unwrap_or_else(|| "unknown".into());
            let message = text(v, "error_message")
                .or_else(|| text(v, "message"))
                .unwrap_or_default();
            let reason = if message.is_empty() {
                error.clone()
            } else {
                format!("{error}: {message}")
            };
            (Some(Status::Error(error_kind(&error))), reason)
        }
        "SessionEnd" => (
            Some(Status::Exited(None)),
            format!(
                "session ended ({})",
                text(v, "reason").unwrap_or_else(|| "other".into())
            ),
        ),
        // SubagentStart/SubagentStop and events added later inform without changing the state.
        _ => (None, String::new()),
    };
    (event.to_string(), status, reason)
}

/// Claude's Notification: `notification_type` says what the agent waits for.
fn notification(v: &Value) -> (Option<Status>, String) {
    let message = text(v, "message").unwrap_or_default();
    let status = match text(v, "notification_type").as_deref() {
        Some("permission_prompt") => Some(Status::Waiting(WaitKind::Permission)),
        Some("elicitation_dialog") => Some(Status::Waiting(WaitKind::Question)),
        Some("idle_prompt") => Some(Status::Waiting(WaitKind::Input)),
        // Older versions send no type: the message says it.
        None if message.contains("permission") => Some(Status::Waiting(WaitKind::Permission)),
        None if message.contains("waiting for your input") => {
            Some(Status::Waiting(WaitKind::Input))
        }
        _ => None,
    };
    (status, message)
}

/// Codex's `notify` program: one JSON argument per completed turn.
fn codex_notify(kind: &str, v: &Value) -> Reading {
    let (status, reason) = match kind {
        "agent-turn-complete" => (
            Some(Status::Done),
            text(v, "last-assistant-message").unwrap_or_else(|| "turn finished".into()),
        ),
        "approval-requested" => (
            Some(Status::Waiting(WaitKind::Permission)),
            text(v, "command")
                .or_else(|| text(v, "message"))
                .unwrap_or_else(|| "approval requested".into()),
        ),
        _ => (None, String::new()),
    };
    (kind.to_string(), status, reason)
}

/// Gemini CLI's hook events.
fn gemini(event: &str, v: &Value) -> Reading {
    let (status, reason) = match event {
        "SessionStart" => (
            Some(Status::Waiting(WaitKind::Input)),
            "new session: waiting for a prompt".into(),
        ),
        "BeforeAgent" => (Some(Status::Working), "prompt submitted".into()),
        "BeforeTool" | "BeforeModel" => (Some(Status::Working), tool_call(v)),
        "AfterTool" => (Some(Status::Working), format!("ran {}", tool_call(v))),
        "AfterAgent" => (Some(Status::Done), "turn finished".into()),
        "Notification" => {
            let message = text(v, "message").unwrap_or_default();
            match text(v, "notification_type").as_deref() {
                Some("ToolPermission") => {
                    let tool = v
                        .get("details")
                        .map(tool_call)
                        .filter(|t| t != "a tool")
                        .unwrap_or_else(|| message.clone());
                    (Some(Status::Waiting(WaitKind::Permission)), tool)
                }
                _ => (None, message),
            }
        }
        "SessionEnd" => (
            Some(Status::Exited(None)),
            format!(
                "session ended ({})",
                text(v, "reason").unwrap_or_else(|| "exit".into())
            ),
        ),
        _ => (None, String::new()),
    };
    (event.to_string(), status, reason)
}

/// `Bash(cargo test)`, `Edit(src/main.rs)`: the tool and its main argument.
fn tool_call(v: &Value) -> String {
    let name = text(v, "tool_name")
        .or_else(|| text(v, "name"))
        .unwrap_or_else(|| "a tool".into());
    let input = v
        .get("tool_input")
        .or_else(|| v.get("tool_args"))
        .or_else(|| v.get("args"));
    let arg = input.and_then(|i| {
        [
            "command",
            "file_path",
            "path",
            "url",
            "pattern",
            "query",
            "prompt",
        ]
        .iter()
        .find_map(|k| text(i, k))
    });
    match arg {
        Some(a) => format!("{name}({})", one_line(&a)),
        None => name,
    }
}

/// The first question of an AskUserQuestion call.
fn question(v: &Value) -> Option<String> {
    let input = v.get("tool_input")?;
    input
        .get("questions")
        .and_then(|q| q.get(0))
        .and_then(|q| text(q, "question"))
        .or_else(|| text(input, "question"))
}

/// The error class of Claude's StopFailure.
fn error_kind(error: &str) -> ErrorKind {
    match error {
        "rate_limit" | "rate_limit_error" | "quota_exceeded" => ErrorKind::RateLimit,
        "authentication_failed" | "authentication_error" | "auth" => ErrorKind::Auth,
        "billing_error" | "billing" => ErrorKind::Billing,
        _ => ErrorKind::Other,
    }
}

/// A string field, or `None`.
fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use serde_json::json;

    use super::*;

    fn read(agent: Agent, v: &Value) -> HookReport {
        parse(agent, v.to_string().as_bytes(), OffsetDateTime::UNIX_EPOCH).unwrap()
    }

    fn status(agent: Agent, v: &Value) -> (Option<Status>, String) {
        let r = read(agent, v);
        (r.signal.status, r.signal.reason)
    }

    #[test]
    fn claude_permission_names_the_tool_and_its_command() {
        let v = json!({"session_id": "s1", "cwd": "/w/a", "hook_event_name": "PermissionRequest",
            "tool_name": "Bash", "tool_input": {"command": "rm -rf build", "description": "clean"}});
        let r = read(Agent::Claude, &v);
        assert_eq!(r.signal.status, Some(Status::Waiting(WaitKind::Permission)));
        assert_eq!(r.signal.reason, "Bash(rm -rf build)");
        assert_eq!(r.signal.source, Source::Hook(Agent::Claude));
        assert_eq!(r.cwd.as_deref(), Some("/w/a"));
        assert_eq!(r.session.as_deref(), Some("s1"));
    }

    #[test]
    fn claude_questions_plans_and_work() {
        let ask = json!({"hook_event_name": "PreToolUse", "tool_name": "AskUserQuestion",
            "tool_input": {"questions": [{"question": "Which database?", "options": []}]}});
        assert_eq!(
            status(Agent::Claude, &ask),
            (
                Some(Status::Waiting(WaitKind::Question)),
                "Which database?".into()
            )
        );
        let plan = json!({"hook_event_name": "PreToolUse", "tool_name": "ExitPlanMode"});
        assert_eq!(
            status(Agent::Claude, &plan).0,
            Some(Status::Waiting(WaitKind::Question))
        );
        let edit = json!({"hook_event_name": "PreToolUse", "tool_name": "Edit",
            "tool_input": {"file_path": "src/main.rs"}});
        assert_eq!(
            status(Agent::Claude, &edit),
            (Some(Status::Working), "Edit(src/main.rs)".into())
        );
        let post = json!({"hook_event_name": "PostToolUseFailure", "tool_name": "Bash"});
        assert_eq!(status(Agent::Claude, &post).0, Some(Status::Working));
    }

    #[test]
    fn claude_stop_failure_kinds() {
        for (error, kind) in [
            ("rate_limit", ErrorKind::RateLimit),
            ("authentication_failed", ErrorKind::Auth),
            ("billing_error", ErrorKind::Billing),
            ("overloaded", ErrorKind::Other),
        ] {
            let v = json!({"hook_event_name": "StopFailure", "error": error});
            assert_eq!(
                status(Agent::Claude, &v).0,
                Some(Status::Error(kind)),
                "{error}"
            );
        }
        let v = json!({"hook_event_name": "StopFailure", "error_type": "rate_limit",
            "error_message": "429 Too Many Requests"});
        assert_eq!(
            status(Agent::Claude, &v),
            (
                Some(Status::Error(ErrorKind::RateLimit)),
                "rate_limit: 429 Too Many Requests".into()
            )
        );
    }

    #[test]
    fn claude_notifications_session_and_stop() {
        let n = |t: &str| json!({"hook_event_name": "Notification", "notification_type": t, "message": "m"});
        assert_eq!(
            status(Agent::Claude, &n("permission_prompt")).0,
            Some(Status::Waiting(WaitKind::Permission))
        );
        assert_eq!(
            status(Agent::Claude, &n("idle_prompt")).0,
            Some(Status::Waiting(WaitKind::Input))
        );
        assert_eq!(status(Agent::Claude, &n("auth_success")).0, None);
        let stop = json!({"hook_event_name": "Stop", "stop_hook_active": false});
        assert_eq!(status(Agent::Claude, &stop).0, Some(Status::Done));
        let end = json!({"hook_event_name": "SessionEnd", "reason": "prompt_input_exit"});
        assert_eq!(
            status(Agent::Claude, &end),
            (
                Some(Status::Exited(None)),
                "session ended (prompt_input_exit)".into()
            )
        );
        let start = json!({"hook_event_name": "SessionStart", "source": "resume"});
        assert_eq!(
            status(Agent::Claude, &start).0,
            Some(Status::Waiting(WaitKind::Input))
        );
        let sub = json!({"hook_event_name": "SubagentStop"});
        assert_eq!(status(Agent::Claude, &sub).0, None);
    }

    #[test]
    fn codex_notify_and_hooks() {
        let v = json!({"type": "agent-turn-complete", "thread-id": "t1", "turn-id": "u1",
            "cwd": "/w/b", "input-messages": ["fix it"], "last-assistant-message": "Fixed the\nbug."});
        let r = read(Agent::Codex, &v);
        assert_eq!(r.signal.status, Some(Status::Done));
        assert_eq!(r.signal.reason, "Fixed the bug.");
        assert_eq!(r.session.as_deref(), Some("t1"));
        assert_eq!(r.signal.source, Source::Hook(Agent::Codex));
        let hook = json!({"hook_event_name": "PreToolUse", "turn_id": "u2", "model": "gpt-5",
            "tool_name": "shell", "tool_input": {"command": "ls"}});
        assert_eq!(
            status(Agent::Codex, &hook),
            (Some(Status::Working), "shell(ls)".into())
        );
        assert!(matches!(
            parse(Agent::Codex, b"{}", OffsetDateTime::UNIX_EPOCH),
            Err(HookError::NoEvent { field: "type", .. })
        ));
    }

    #[test]
    fn gemini_events() {
        let perm = json!({"hook_event_name": "Notification", "notification_type": "ToolPermission",
            "message": "Allow shell?", "details": {"tool_name": "run_shell_command",
            "tool_input": {"command": "make"}}});
        assert_eq!(
            status(Agent::Gemini, &perm),
            (
                Some(Status::Waiting(WaitKind::Permission)),
                "run_shell_command(make)".into()
            )
        );
        let after = json!({"hook_event_name": "AfterAgent"});
        assert_eq!(status(Agent::Gemini, &after).0, Some(Status::Done));
        let before = json!({"hook_event_name": "BeforeTool", "tool_name": "read_file",
            "tool_input": {"path": "a.rs"}});
        assert_eq!(
            status(Agent::Gemini, &before),
            (Some(Status::Working), "read_file(a.rs)".into())
        );
    }

    #[test]
    fn bad_payloads_are_errors_not_panics() {
        for bad in [&b""[..], b"[]", b"null", b"{", b"\xff\xfe"] {
            assert!(parse(Agent::Claude, bad, OffsetDateTime::UNIX_EPOCH).is_err());
        }
        assert!(matches!(
            parse(Agent::Claude, b"{\"x\":1}", OffsetDateTime::UNIX_EPOCH),
            Err(HookError::NoEvent { .. })
        ));
    }

    #[test]
    fn reasons_are_one_bounded_line_without_controls() {
        let v = json!({"hook_event_name": "PermissionRequest", "tool_name": "Bash",
            "tool_input": {"command": format!("echo \x1b]52;c;AAAA\x07 {}", "y".repeat(400))}});
        let r = read(Agent::Claude, &v).signal.reason;
        assert!(!r.chars().any(char::is_control), "{r:?}");
        assert!(r.chars().count() <= 2 * crate::agent::state::REASON_MAX + 10);
    }
}
