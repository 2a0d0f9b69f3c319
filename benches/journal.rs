//! Journal: events appended per second to the SQLite journal (one durable append per event, as
//! the journal thread does), and the time of the read behind `helios events --lane L --since 1h`
//! over a journal of one million events. Run: `cargo bench --bench journal`.
//! The million-event journal is built once per run in a temporary directory (about half a minute).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use helios::store::sqlite::SqliteStore;
use helios::store::{AuditEvent, EventQuery, EventResult, EventStore};
use time::OffsetDateTime;

/// Events in the big journal.
const EVENTS: usize = 1_000_000;
/// Lanes the events are spread over.
const LANES: usize = 25;
/// The time span the events cover, ending now (so `--since 1h` keeps 1/24 of them).
const SPAN: Duration = Duration::from_hours(24);

fn event(i: usize, at: OffsetDateTime) -> AuditEvent {
    let lane = format!("lane-{:02}", i % LANES);
    let mut e = AuditEvent::new(
        "bench@host",
        "repo",
        if i.is_multiple_of(7) {
            "lane.sent"
        } else {
            "lane.focused"
        },
        Some(&lane),
        !i.is_multiple_of(50),
        serde_json::json!({ "n": i, "text": "cargo test --all" }),
    );
    e.at = at;
    e
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("helios.db")).unwrap();
    let mut group = c.benchmark_group("journal");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("append_one_event", |b| {
        b.iter(|| {
            i += 1;
            store
                .append(black_box(&event(i, OffsetDateTime::now_utc())))
                .unwrap();
        });
    });
    group.finish();
}

fn query(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("helios.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let now = OffsetDateTime::now_utc();
    let step = SPAN / EVENTS as u32;
    // One transaction for the bulk load: the journal's own append, just not fsynced each time.
    store.conn().execute_batch("BEGIN").unwrap();
    for i in 0..EVENTS {
        let at = now - SPAN + step * i as u32;
        store.append(&event(i, at)).unwrap();
    }
    store.conn().execute_batch("COMMIT").unwrap();
    let q = EventQuery {
        lane: Some("lane-07".into()),
        since: Some(now - Duration::from_hours(1)),
        after_id: None,
        limit: None,
    };
    let expected = store.query(&q).unwrap().len();
    assert!(
        expected > 1000,
        "the query should match about 1/600 of the events, got {expected}"
    );
    let mut group = c.benchmark_group("journal");
    group.sample_size(20);
    group.bench_function("events_lane_since_1h_of_1M", |b| {
        b.iter(|| {
            let got = store.query(black_box(&q)).unwrap();
            assert_eq!(got.len(), expected);
            assert!(
                got.iter()
                    .all(|e| e.result == EventResult::Ok || e.result == EventResult::Error)
            );
        });
    });
    group.finish();
}

criterion_group!(benches, append, query);
criterion_main!(benches);
