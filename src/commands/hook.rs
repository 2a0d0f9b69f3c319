//! `helios hook AGENT`: the command agents run from their hooks. It reads the payload (stdin,
//! or for Codex's `notify` the last argument), records the lane's signal and state, and wakes
//! the running consoles. It must never hurt the agent: nothing on stdout (Claude reads hook
//! stdout as decisions), exit 0 whatever happens (a failure is one line on stderr), and a few
//! milliseconds of work: no config, no git process, no network.

use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;

use time::OffsetDateTime;

use crate::agent::hook::{PAYLOAD_MAX, parse};
use crate::agent::{Agent, Signal};
use crate::store::lane_state;
use crate::store::sqlite::SqliteStore;

/// Run the hook; always exit 0 (see the module doc).
pub fn run(agent: &str, args: &[String]) -> ExitCode {
    if let Err(e) = record(agent, args) {
        // stderr only: the agent shows it in its own log, and goes on.
        crate::commands::warn(format_args!("helios hook {agent}: {e}"));
    }
    ExitCode::SUCCESS
}

fn record(agent_name: &str, args: &[String]) -> Result<(), String> {
    let agent = Agent::from_name(agent_name).ok_or_else(|| {
        format!(
            "unknown agent {}: use claude, codex or gemini",
            crate::text::quote(agent_name)
        )
    })?;
    let payload = payload(args)?;
    let report = parse(agent, &payload, OffsetDateTime::now_utc()).map_err(|e| e.to_string())?;
    let dir = std::env::var_os("HELIOS_LANE_DIR")
        .map(PathBuf::from)
        .or_else(|| report.cwd.as_ref().map(PathBuf::from))
        .or_else(|| std::env::current_dir().ok())
        .ok_or("no working directory: set HELIOS_LANE_DIR")?;
    let label = std::env::var("HELIOS_LANE").ok();
    let key = crate::lanes::locate::locate(&dir, label.as_deref())
        .map_err(|e| format!("{e}; nothing was recorded"))?;
    save(&key, &redact(report.signal))
}

/// Record a signal for a lane: the step `helios hook` and `helios mcp` share.
pub fn save(key: &lane_state::LaneKey, signal: &Signal) -> Result<(), String> {
    let path = SqliteStore::default_path();
    let store = SqliteStore::open(&path).map_err(|e| {
        format!("{e}; the lane's state was not recorded (the agent is not affected)")
    })?;
    lane_state::report(&store, key, signal, &crate::config::actor::actor())
        .map(|_| ())
        .map_err(|e| format!("{e}; the lane's state was not recorded"))
}

/// The signal with secrets in its reason hidden: reasons reach the journal and the sinks.
pub fn redact(mut s: Signal) -> Signal {
    s.reason = crate::config::secrets::redact_text(&s.reason);
    s
}

/// Codex's `notify` passes the JSON as the last argument; every hook passes it on stdin.
fn payload(args: &[String]) -> Result<Vec<u8>, String> {
    if let Some(last) = args.last() {
        if last.len() > PAYLOAD_MAX {
            return Err(too_large("argument"));
        }
        return Ok(last.as_bytes().to_vec());
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(
            "no payload: agents pipe their hook JSON to stdin (see `helios agent setup`)".into(),
        );
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(PAYLOAD_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading the payload on stdin: {e}"))?;
    if bytes.len() > PAYLOAD_MAX {
        return Err(too_large("on stdin"));
    }
    Ok(bytes)
}

fn too_large(place: &str) -> String {
    format!(
        "the payload {place} is over {} MiB, far more than an agent's hook sends; nothing was recorded",
        PAYLOAD_MAX >> 20
    )
}
