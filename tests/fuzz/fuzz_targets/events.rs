//! Audit events as they come in: JSON payloads from NATS (`helios events --source nats`, the
//! console's swarm feed, the sink's resume point), lines of the journal's fallback file, and
//! journal rows as SQLite returns them.
//!
//! Input: one byte picks the path; for rows, the rest is the text columns separated by NUL.
#![no_main]

use std::path::Path;

use helios::store::AuditEvent;
use helios::store::sqlite::RawRow;
use libfuzzer_sys::fuzz_target;
use time::format_description::well_known::Rfc3339;

/// An event that decoded must encode again and decode to the same event: the JSON printer,
/// the NATS sink and the fallback file all write what was read.
fn round_trips(e: &AuditEvent) {
    let text =
        serde_json::to_string(e).unwrap_or_else(|err| panic!("{e:?} does not encode: {err}"));
    let again: AuditEvent = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{text} does not decode again: {err}"));
    assert_eq!(&again, e, "{text}");
}

/// The columns the journal writes for an event (`SqliteStore::append`).
fn columns(e: &AuditEvent) -> RawRow {
    RawRow {
        seq: 1,
        id: e.id.clone(),
        at: e.at.format(&Rfc3339).unwrap_or_default(),
        actor: e.actor.clone(),
        repo: e.repo.clone(),
        action: e.action.clone(),
        lane: e.lane.clone(),
        result: serde_json::to_value(e.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        detail: e.detail.to_string(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [which, rest @ ..] = data else {
        return;
    };
    let journal = Path::new("journal.db");
    match which % 3 {
        0 => {
            if let Ok(e) = serde_json::from_slice::<AuditEvent>(rest) {
                round_trips(&e);
            }
        }
        1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            for line in text.lines() {
                if let Ok(e) = serde_json::from_str::<AuditEvent>(line) {
                    round_trips(&e);
                }
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let mut cols = text.split('\0').map(str::to_string);
            let mut next = || cols.next().unwrap_or_default();
            let row = RawRow {
                seq: 7,
                id: next(),
                at: next(),
                actor: next(),
                repo: next(),
                action: next(),
                lane: Some(next()).filter(|l| !l.is_empty()),
                result: next(),
                detail: next(),
            };
            if let Ok(e) = row.decode(journal) {
                round_trips(&e);
                let again = columns(&e)
                    .decode(journal)
                    .unwrap_or_else(|err| panic!("{e:?} written back does not decode: {err}"));
                assert_eq!(again, e);
            }
        }
    }
});
