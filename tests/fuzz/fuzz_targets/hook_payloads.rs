//! What agents hand `helios hook` (Claude and Gemini on stdin, Codex `notify` as an argument)
//! and what the screen fallback reads: any bytes, for each agent. Nothing may panic; what is
//! read must be one line without control characters (it reaches the console, the journal and
//! the sinks) and its state must survive the store's record round trip; the redaction of a
//! reason must not panic either.
//!
//! Input: one byte picks the agent (and whether the bytes are screen rows), the rest is the
//! payload.
#![no_main]

use helios::agent::hook::parse;
use helios::agent::screen::Patterns;
use helios::agent::{Agent, LaneState, Status};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// Parsed once: compiling the shipped patterns on every input cost most of each run.
static PATTERNS: LazyLock<Patterns> = LazyLock::new(Patterns::builtin);

fn clean(what: &str, s: &str) {
    assert!(
        !s.chars().any(char::is_control),
        "{what} has a control character: {s:?}"
    );
    assert!(!s.contains('\n'), "{what} is not one line: {s:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let agent = Agent::ALL[usize::from(pick % 3)];
    if pick & 0x80 != 0 {
        let text = String::from_utf8_lossy(payload);
        let rows: Vec<String> = text.split('\n').map(str::to_string).collect();
        // The cursor on the last row, as a program waiting on its question leaves it.
        if let Some(m) = PATTERNS.read(&rows, rows.len().saturating_sub(1)) {
            clean("a screen reason", &m.reason);
            assert!(m.status.needs_human(), "{m:?}");
        }
        return;
    }
    let Ok(report) = parse(agent, payload, OffsetDateTime::UNIX_EPOCH) else {
        return;
    };
    let s = &report.signal;
    clean("a reason", &s.reason);
    clean("an event name", &s.event);
    let _ = helios::config::secrets::redact_text(&s.reason);
    if let Some(status) = s.status {
        let state = LaneState {
            status,
            since: s.at,
            source: s.source,
            reason: s.reason.clone(),
        };
        let back = state.to_record().to_state();
        assert_eq!(back.as_ref(), Some(&state), "{state:?} does not round-trip");
        assert_eq!(
            Status::parse(status.name(), status.kind().as_deref()),
            Some(status)
        );
    }
});
