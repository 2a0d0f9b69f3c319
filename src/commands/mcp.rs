//! `helios mcp`: an MCP server on stdio (the official Rust SDK, `rmcp`) that agents in lanes
//! start. Its tools: `report_status` and `ask_human` set the lane's state (through the same
//! step as `helios hook`, so the console sees it at once), `list_lanes` and `lane_events`
//! read what helios knows. stdout belongs to the protocol: errors go to stderr.

use std::process::ExitCode;

use anyhow::Context as _;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt as _, schemars, tool, tool_handler, tool_router};
use serde_json::json;
use time::OffsetDateTime;

use crate::agent::{ErrorKind, LaneKey, Signal, Source, Status, WaitKind};
use crate::commands::Context;
use crate::model::{EventQuery, RepoInfo};
use crate::store::EventStore as _;
use crate::store::sqlite::SqliteStore;

/// `report_status`'s arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct ReportStatus {
    /// working, waiting, done or error.
    #[schemars(description = "the lane's state: working, waiting, done or error")]
    pub state: String,
    /// What the agent does, waits for or failed on (one line).
    #[schemars(description = "one line: what you do, wait for, finished or failed on")]
    pub message: Option<String>,
    /// For waiting: permission, question or input; for error: rate_limit, auth, billing,
    /// crash or other.
    #[schemars(
        description = "waiting: permission | question | input; error: rate_limit | auth | billing | crash | other"
    )]
    pub kind: Option<String>,
}

/// `ask_human`'s arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct AskHuman {
    /// The question, shown in the console's lane list.
    #[schemars(description = "the question for the human; they answer in your lane's terminal")]
    pub question: String,
}

/// `lane_events`'s arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct LaneEvents {
    /// A lane label (default: this lane).
    #[schemars(description = "a lane label (default: the lane this server runs in)")]
    pub lane: Option<String>,
    /// Only events at or after this time: RFC 3339, or an age like `10m`, `2h`.
    #[schemars(description = "only events since: RFC 3339 time, or an age like 10m or 2h")]
    pub since: Option<String>,
}

/// `list_lanes` takes no arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct NoArgs {}

/// The server: the lane it runs in, and the repo.
#[derive(Debug, Clone)]
pub struct HeliosMcp {
    lane: Result<LaneKey, String>,
    repo: Option<RepoInfo>,
    tool_router: ToolRouter<Self>,
}

fn text_result(ok: bool, text: impl Into<String>) -> CallToolResult {
    let content = vec![ContentBlock::text(text)];
    if ok {
        CallToolResult::success(content)
    } else {
        CallToolResult::error(content)
    }
}

#[tool_router]
impl HeliosMcp {
    /// A server for the lane at `dir`.
    pub fn new(lane: Result<LaneKey, String>, repo: Option<RepoInfo>) -> Self {
        Self {
            lane,
            repo,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Tell helios (and the human watching the swarm) what this agent is doing: working, waiting (for a permission, an answer or input), done, or error (rate_limit, auth, billing, crash, other)."
    )]
    fn report_status(&self, Parameters(a): Parameters<ReportStatus>) -> CallToolResult {
        let status = match parse_status(&a.state, a.kind.as_deref()) {
            Ok(s) => s,
            Err(e) => return text_result(false, e),
        };
        let message = a.message.unwrap_or_default();
        match self.save(status, "report_status", &message) {
            Ok(()) => text_result(true, format!("lane state: {}", status.label())),
            Err(e) => text_result(false, e),
        }
    }

    #[tool(
        description = "Ask the human a question: the lane shows as waiting with this question at the top of the console's triage queue. Returns at once; the answer arrives in your terminal."
    )]
    fn ask_human(&self, Parameters(a): Parameters<AskHuman>) -> CallToolResult {
        if a.question.trim().is_empty() {
            return text_result(false, "the question is empty");
        }
        match self.save(
            Status::Waiting(WaitKind::Question),
            "ask_human",
            &a.question,
        ) {
            Ok(()) => text_result(
                true,
                "asked: the lane is waiting with your question; the human answers in your terminal",
            ),
            Err(e) => text_result(false, e),
        }
    }

    #[tool(
        description = "List the repo's lanes with their branch, worktree, git counts and state."
    )]
    fn list_lanes(&self, Parameters(_): Parameters<NoArgs>) -> CallToolResult {
        let Some(repo) = &self.repo else {
            return text_result(false, "helios mcp runs outside a git repository");
        };
        let lanes = match crate::lanes::discover(&repo.path) {
            Ok(l) => l,
            Err(e) => return text_result(false, e.to_string()),
        };
        let store = match SqliteStore::open(&SqliteStore::default_path()) {
            Ok(s) => s,
            Err(e) => return text_result(false, e.to_string()),
        };
        // As `lane ls --json`: what a look decides now, when nothing else decides here.
        let states = crate::commands::serve::look::states_shown(&repo.name, &lanes, &store);
        let rows: Vec<_> = lanes
            .iter()
            .zip(&states)
            .map(|(l, s)| crate::commands::lane::lane_json(l, s.as_ref()))
            .collect();
        text_result(true, json!(rows).to_string())
    }

    #[tool(description = "Read helios's audit events of a lane (default: this one), newest last.")]
    fn lane_events(&self, Parameters(a): Parameters<LaneEvents>) -> CallToolResult {
        let lane = match (a.lane, &self.lane) {
            (Some(l), _) => l,
            (None, Ok(k)) => k.lane.clone(),
            (None, Err(e)) => return text_result(false, e.clone()),
        };
        let since = match a.since.as_deref().map(parse_since).transpose() {
            Ok(s) => s,
            Err(e) => return text_result(false, e),
        };
        let store = match SqliteStore::open(&SqliteStore::default_path()) {
            Ok(s) => s,
            Err(e) => return text_result(false, e.to_string()),
        };
        let q = EventQuery {
            lane: Some(lane),
            since,
            after_id: None,
            limit: Some(200),
        };
        match store.query(&q) {
            Ok(events) => text_result(true, json!(events).to_string()),
            Err(e) => text_result(false, e.to_string()),
        }
    }
}

impl HeliosMcp {
    fn save(&self, status: Status, event: &str, reason: &str) -> Result<(), String> {
        let key = self.lane.as_ref().map_err(Clone::clone)?;
        let signal = Signal {
            at: OffsetDateTime::now_utc(),
            source: Source::Mcp,
            status: Some(status),
            event: event.to_string(),
            reason: crate::agent::state::one_line(reason),
        };
        crate::commands::hook::save(key, &crate::commands::hook::redact(signal))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for HeliosMcp {
    fn get_info(&self) -> ServerConfig {
        // rmcp's default (and `Implementation::from_build_env`, expanded in rmcp) names rmcp.
        let helios = Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(helios)
            .with_instructions(
            "helios watches a swarm of coding agents, one per git worktree lane. Call report_status when you start, finish or fail a task, and ask_human when you need a decision: the human sees your lane at the top of their queue with your words.",
        )
    }
}

/// A state from `report_status`'s words.
fn parse_status(state: &str, kind: Option<&str>) -> Result<Status, String> {
    let bad_kind = |k: &str, valid: &str| {
        format!(
            "unknown kind {} for state {}: use {valid}",
            crate::text::quote(k),
            crate::text::quote(state)
        )
    };
    Ok(match state {
        "working" => Status::Working,
        "done" => Status::Done,
        "waiting" => Status::Waiting(match kind.unwrap_or("input") {
            "permission" => WaitKind::Permission,
            "question" => WaitKind::Question,
            "input" => WaitKind::Input,
            k => return Err(bad_kind(k, "permission, question or input")),
        }),
        "error" => Status::Error(match kind.unwrap_or("other") {
            "rate_limit" => ErrorKind::RateLimit,
            "auth" => ErrorKind::Auth,
            "billing" => ErrorKind::Billing,
            "crash" => ErrorKind::Crash,
            "other" => ErrorKind::Other,
            k => return Err(bad_kind(k, "rate_limit, auth, billing, crash or other")),
        }),
        other => {
            return Err(format!(
                "unknown state {}: use working, waiting, done or error",
                crate::text::quote(other)
            ));
        }
    })
}

/// `since`: RFC 3339, or an age (`10m`, `2h`, `30s`).
fn parse_since(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let age = humantime::parse_duration(text).map_err(|_| {
        format!(
            "since {} is neither an RFC 3339 time nor an age like 10m",
            crate::text::quote(text)
        )
    })?;
    Ok(OffsetDateTime::now_utc() - age)
}

/// Run the server until the client closes stdin.
pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let dir = std::env::var_os("HELIOS_LANE_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let label = std::env::var("HELIOS_LANE").ok();
    let lane = crate::lanes::locate::locate(&dir, label.as_deref());
    if let Err(e) = &lane {
        eprintln!("helios mcp: {e}; report_status and ask_human will fail");
    }
    let server = HeliosMcp::new(lane, ctx.repo().ok().cloned());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| anyhow::anyhow!("MCP handshake failed: {e}"))?;
        service
            .waiting()
            .await
            .map_err(|e| anyhow::anyhow!("MCP server stopped: {e}"))?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_server_names_helios_and_its_version() {
        let info = HeliosMcp::new(Err("no lane".into()), None).get_info();
        assert_eq!(info.server_info.name, "helios");
        assert_eq!(info.server_info.version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn states_and_kinds_are_checked() {
        assert_eq!(
            parse_status("waiting", Some("permission")),
            Ok(Status::Waiting(WaitKind::Permission))
        );
        assert_eq!(
            parse_status("error", Some("rate_limit")),
            Ok(Status::Error(ErrorKind::RateLimit))
        );
        assert_eq!(
            parse_status("waiting", None),
            Ok(Status::Waiting(WaitKind::Input))
        );
        assert!(parse_status("sleeping", None).is_err());
        assert_eq!(
            parse_status("error", Some("weird")),
            Err(
                "unknown kind \"weird\" for state \"error\": use rate_limit, auth, billing, crash or other"
                    .into()
            )
        );
        assert_eq!(
            parse_status("waiting", Some("x")),
            Err(
                "unknown kind \"x\" for state \"waiting\": use permission, question or input"
                    .into()
            )
        );
        assert!(parse_since("10m").is_ok());
        assert!(parse_since("2026-01-01T00:00:00Z").is_ok());
        assert!(parse_since("yesterday-ish").is_err());
    }
}
