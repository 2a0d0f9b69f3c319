//! What helios prints for people: the `helios events` table row and the `helios lane ls` table.
//! Every field can come from someone else (events from anyone who publishes to
//! helios.events.>, lane labels and branches from par's state file and git), so no control
//! character may reach the terminal: no C0 but the line feed, no DEL, no C1.
#![no_main]

use std::path::PathBuf;

use helios::commands::events::row;
use helios::commands::lane::write_lanes;
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use helios::store::{AuditEvent, EventResult};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Event {
    id: String,
    actor: String,
    repo: String,
    action: String,
    lane: Option<String>,
    ok: bool,
    detail: String,
    unix: i32,
}

#[derive(Debug, Arbitrary)]
struct Lane {
    label: String,
    branch: Option<String>,
    worktree: String,
    session: Option<String>,
    alive: bool,
    dirty: u32,
    ahead: u32,
    behind: u32,
}

#[derive(Debug, Arbitrary)]
struct Input {
    events: Vec<Event>,
    lanes: Vec<Lane>,
}

fn assert_clean(what: &str, text: &str) {
    // `is_control` is Unicode's Cc: C0, DEL and C1.
    let bad = text.chars().find(|&c| c.is_control() && c != '\n');
    assert!(
        bad.is_none(),
        "{what} prints control character {bad:?}: {text:?}"
    );
}

fuzz_target!(|input: Input| {
    for e in input.events {
        // The detail is any JSON: a string, or the JSON the text is, as a publisher could send.
        let detail = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail));
        let event = AuditEvent {
            id: e.id,
            at: time::OffsetDateTime::from_unix_timestamp(i64::from(e.unix))
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            actor: e.actor,
            repo: e.repo,
            action: e.action,
            lane: e.lane,
            result: if e.ok {
                EventResult::Ok
            } else {
                EventResult::Error
            },
            detail,
        };
        let line = row(&event, true);
        assert!(!line.contains('\n'), "a table row spans lines: {line:?}");
        assert_clean("the events table", &line);
    }
    let lanes: Vec<LaneInfo> = input
        .lanes
        .into_iter()
        .map(|l| LaneInfo {
            id: LaneId::new(l.label),
            branch: l.branch,
            worktree: PathBuf::from(l.worktree),
            source: match l.session {
                Some(session) => LaneSource::Par { session },
                None => LaneSource::Worktree,
            },
            session_alive: l.alive,
            git: GitCounts {
                dirty: l.dirty,
                ahead: l.ahead,
                behind: l.behind,
                base: None,
            },
        })
        .collect();
    let mut out = Vec::new();
    write_lanes(&mut out, &lanes, false).unwrap_or_else(|e| panic!("lane ls failed: {e}"));
    assert_clean("lane ls", &String::from_utf8_lossy(&out));
});
