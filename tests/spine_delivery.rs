//! Delivery from the journal to real JetStream and PostgreSQL servers: a burst in order, a sink
//! down and back with exactly-once delivery, and SIGKILL of a forwarding helios with a backlog.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use helios::app::nats::SinkBacklog;
use helios::config::NatsConfig;
use helios::spine::forwarder::{self, Mode, SinkSpec};
use helios::store::sqlite::SqliteStore;
use helios::store::{AuditEvent, EventQuery, EventStore};
use servers::{NatsServer, PgCluster};
use support::{wait_until, wait_until_or};

fn nats_spec(url: &str) -> SinkSpec {
    SinkSpec::Nats(NatsConfig {
        url: url.into(),
        ..NatsConfig::default()
    })
}

fn pg_spec(url: &str) -> SinkSpec {
    SinkSpec::Postgres {
        url: url.into(),
        batch: 500,
    }
}

fn event(i: usize, lane: Option<&str>) -> AuditEvent {
    AuditEvent::new(
        "t@h",
        "demo",
        "test.burst",
        lane,
        true,
        serde_json::json!({ "i": i }),
    )
}

/// Append `n` events straight into a journal file in one transaction.
fn prefill(path: &Path, n: usize) {
    let mut s = SqliteStore::open(path).unwrap();
    s.conn().execute_batch("BEGIN").unwrap();
    for i in 0..n {
        s.append(&event(i, Some("bulk"))).unwrap();
    }
    s.conn().execute_batch("COMMIT").unwrap();
}

fn journal_ids(path: &Path) -> Vec<String> {
    let s = SqliteStore::open(path).unwrap();
    s.query(&EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Every message id on HELIOS_EVENTS, in stream order, and the stream's message count.
fn stream_ids(url: &str) -> (u64, Vec<String>) {
    rt().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let Ok(mut stream) = js.get_stream("HELIOS_EVENTS").await else {
            return (0, Vec::new());
        };
        let n = stream.info().await.unwrap().state.messages;
        let mut ids = Vec::new();
        if n > 0 {
            let c = stream
                .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
                .await
                .unwrap();
            let mut msgs = c.messages().await.unwrap();
            while let Some(m) = msgs.next().await {
                let m = m.unwrap();
                let e: AuditEvent = serde_json::from_slice(&m.payload).unwrap();
                ids.push(e.id);
                if m.info().unwrap().pending == 0 {
                    break;
                }
            }
        }
        (n, ids)
    })
}

/// Delete the stream's newest `n` messages.
fn drop_newest(url: &str, n: u64) {
    rt().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream("HELIOS_EVENTS").await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        for seq in (last + 1 - n)..=last {
            stream.delete_message(seq).await.unwrap();
        }
    });
}

fn stream_count(url: &str) -> u64 {
    rt().block_on(async {
        let Ok(client) = async_nats::connect(url).await else {
            return 0;
        };
        let js = async_nats::jetstream::new(client);
        match js.get_stream("HELIOS_EVENTS").await {
            Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
            Err(_) => 0,
        }
    })
}

fn pg_ids(pg: &PgCluster) -> Vec<String> {
    pg.query("SELECT id FROM helios.events ORDER BY received_seq")
}

fn pg_count(pg: &PgCluster) -> u64 {
    pg.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'helios' AND tablename = 'events'")
        .first()
        .filter(|n| *n == "1")
        .map_or(0, |_| {
            pg.query("SELECT count(*) FROM helios.events")[0]
                .parse()
                .unwrap()
        })
}

struct Running {
    rt: tokio::runtime::Runtime,
    journal: helios::store::journal::JournalHandle,
    reports: Arc<Mutex<Vec<SinkBacklog>>>,
}

/// The newest report of each sink, for a failure message.
fn last_reports(r: &Running) -> Vec<SinkBacklog> {
    let all = r.reports.lock().unwrap();
    let mut last: Vec<SinkBacklog> = Vec::new();
    for b in all.iter().rev() {
        if !last.iter().any(|l| l.sink == b.sink) {
            last.push(b.clone());
        }
    }
    last
}

/// The console's arrangement: a journal writer thread and a Follow forwarder per sink.
fn start_forwarders(path: PathBuf, specs: Vec<SinkSpec>) -> Running {
    let rt = rt();
    let (journal, _join) = helios::store::journal::spawn(path.clone(), |_| {}).unwrap();
    let reports = Arc::new(Mutex::new(Vec::new()));
    for spec in specs {
        let r = Arc::clone(&reports);
        let report = move |b: SinkBacklog| r.lock().unwrap().push(b);
        rt.spawn(forwarder::run(
            spec,
            "demo".to_string(),
            path.clone(),
            Some(journal.appended()),
            report,
            Mode::Follow,
        ));
    }
    Running {
        rt,
        journal,
        reports,
    }
}

#[test]
fn a_burst_reaches_both_sinks_in_journal_order() {
    let nats = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("helios.db");
    let run = start_forwarders(
        path.clone(),
        vec![nats_spec(&nats.url()), pg_spec(&pg.url())],
    );
    for i in 0..3000 {
        run.journal
            .record(event(i, if i % 2 == 0 { Some("a") } else { None }));
    }
    wait_until(
        "3000 events on HELIOS_EVENTS and in helios.events",
        Duration::from_secs(120),
        || stream_count(&nats.url()) >= 3000 && pg_count(&pg) >= 3000,
    );
    let journal = journal_ids(&path);
    assert_eq!(journal.len(), 3000);
    let (n, ids) = stream_ids(&nats.url());
    assert_eq!(n, 3000);
    assert_eq!(ids, journal, "JetStream order differs from the journal");
    assert_eq!(
        pg_ids(&pg),
        journal,
        "PostgreSQL order differs from the journal"
    );
    // Subjects carry repo, lane (or _) and action levels.
    let url = nats.url();
    let subjects: Vec<String> = rt().block_on(async move {
        let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
        let s = js.get_stream("HELIOS_EVENTS").await.unwrap();
        let mut v = Vec::new();
        for seq in [1, 2] {
            v.push(s.get_raw_message(seq).await.unwrap().subject.to_string());
        }
        v
    });
    assert_eq!(
        subjects,
        [
            "helios.events.demo.a.test.burst",
            "helios.events.demo._.test.burst"
        ]
    );
    drop(run.rt);
}

#[test]
fn a_sink_down_and_back_gets_every_event_exactly_once() {
    let mut nats = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("helios.db");
    let run = start_forwarders(
        path.clone(),
        vec![nats_spec(&nats.url()), pg_spec(&pg.url())],
    );
    for i in 0..200 {
        run.journal.record(event(i, Some("x")));
    }
    wait_until("the first 200 delivered", Duration::from_secs(60), || {
        stream_count(&nats.url()) == 200 && pg_count(&pg) == 200
    });
    nats.stop();
    pg.stop();
    for i in 200..500 {
        run.journal.record(event(i, Some("x")));
    }
    // Actions still succeed: the journal has them, and the backlog is reported with the reason.
    wait_until("500 events journalled", Duration::from_secs(30), || {
        journal_ids(&path).len() == 500
    });
    wait_until(
        "both sinks reported down with a backlog",
        Duration::from_secs(60),
        || {
            let r = run.reports.lock().unwrap();
            ["nats", "postgres"].iter().all(|s| {
                r.iter()
                    .any(|b| b.sink == *s && b.pending > 0 && b.error.is_some())
            })
        },
    );
    {
        let r = run.reports.lock().unwrap();
        let e = r
            .iter()
            .rev()
            .find(|b| b.sink == "nats" && b.error.is_some())
            .unwrap();
        assert!(e.error.as_ref().unwrap().contains("127.0.0.1"), "{e:?}");
    }
    nats.restart();
    pg.restart();
    wait_until(
        "all 500 delivered after the restart",
        Duration::from_secs(120),
        || stream_count(&nats.url()) >= 500 && pg_count(&pg) >= 500,
    );
    let journal = journal_ids(&path);
    let (n, ids) = stream_ids(&nats.url());
    assert_eq!(n, 500, "JetStream holds a duplicate or lost an event");
    assert_eq!(ids, journal);
    assert_eq!(pg_ids(&pg), journal);
    wait_until("backlog reported as zero", Duration::from_secs(30), || {
        let r = run.reports.lock().unwrap();
        ["nats", "postgres"].iter().all(|s| {
            r.iter()
                .rev()
                .find(|b| b.sink == *s)
                .is_some_and(|b| b.pending == 0 && b.error.is_none())
        })
    });
    drop(run.rt);
}

/// The binary `helios events --deliver --follow` is the headless forwarder; it is killed with
/// SIGKILL while delivering a backlog, and `helios events --deliver` then delivers the rest.
#[test]
fn sigkill_with_a_backlog_loses_nothing_and_duplicates_nothing() {
    let nats = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let world = support::World::new("demo");
    let path = world.path("state").join("helios").join("helios.db");
    let total = 40_000;
    prefill(&path, total);
    let mut child = KillOnDrop(
        world
            .helios()
            .args([
                "events",
                "--deliver",
                "--follow",
                "--nats",
                &nats.url(),
                "--postgres",
                &pg.url(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("delivery under way", Duration::from_secs(120), || {
        stream_count(&nats.url()) > 0 && pg_count(&pg) > 0
    });
    // SIGKILL: no chance to flush or mark anything.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let partial = (stream_count(&nats.url()), pg_count(&pg));
    assert!(
        partial.0 < total as u64 || partial.1 < total as u64,
        "everything was delivered before the kill; the test needs a bigger backlog"
    );
    let out = world
        .helios()
        .args([
            "events",
            "--deliver",
            "--nats",
            &nats.url(),
            "--postgres",
            &pg.url(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let journal = journal_ids(&path);
    let (n, ids) = stream_ids(&nats.url());
    assert_eq!(
        n, total as u64,
        "JetStream count after restart (killed at {partial:?})"
    );
    assert_eq!(ids, journal);
    assert_eq!(pg_ids(&pg), journal);
    // And the outbox agrees: nothing left.
    let status = world
        .helios()
        .args([
            "status",
            "--json",
            "--nats",
            &nats.url(),
            "--postgres",
            &pg.url(),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["backlog"]["nats"], 0);
    assert_eq!(v["backlog"]["postgres"], 0);
    assert_eq!(v["postgres"]["events"], total);
}

/// A repo's sinks receive that repo's events only; a second forwarder on the same repo and sink
/// waits for the first (here: `--deliver` says who holds it); a lost outbox mark resends nothing
/// because the forwarder resumes after the newest event the stream holds.
#[test]
fn one_repo_one_forwarder_and_resume_from_the_stream() {
    let mut nats = NatsServer::start(&[]);
    let world = support::World::new("demo");
    let path = world.path("state").join("helios").join("helios.db");
    prefill(&path, 300);
    {
        let mut s = SqliteStore::open(&path).unwrap();
        for i in 0..50 {
            let e = AuditEvent::new(
                "t@h",
                "other",
                "test.x",
                None,
                true,
                serde_json::json!({ "i": i }),
            );
            s.append(&e).unwrap();
        }
    }
    let url = nats.url();
    let deliver = || {
        world
            .helios()
            .args(["events", "--deliver", "--nats", &url])
            .output()
            .unwrap()
    };
    let out = deliver();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("nats: delivered 300 events"), "{err}");
    assert_eq!(
        stream_count(&nats.url()),
        300,
        "the other repo's events left"
    );

    // Lose the mark, as a crash between the publish ack and the mark would.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM deliveries", []).unwrap();
    drop(conn);
    let out = deliver();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("nats: delivered 0 events"), "{err}");

    // Lose the stream's newest 40 events, as a nats-server killed between its acknowledgement
    // and its asynchronous flush does: the forwarder sends exactly those again.
    // The restart also empties the duplicate window of the deleted ids, as the crash would.
    drop_newest(&nats.url(), 40);
    nats.stop();
    nats.restart();
    assert_eq!(stream_count(&nats.url()), 260);
    let out = deliver();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("nats: delivered 40 events"), "{err}");
    let (n, ids) = stream_ids(&nats.url());
    assert_eq!(n, 300);
    let demo: Vec<String> = SqliteStore::open(&path)
        .unwrap()
        .query(&EventQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.repo == "demo")
        .map(|e| e.id)
        .collect();
    assert_eq!(
        ids, demo,
        "the stream lacks, repeats or reorders an event of demo"
    );

    // A forwarder holds the repo's lock: a second one names it and delivers nothing.
    let follow = KillOnDrop(
        world
            .helios()
            .args(["events", "--deliver", "--follow", "--nats", &nats.url()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = follow.0.id().to_string();
    let mut second = String::new();
    wait_until(
        "the follower to hold the lock",
        Duration::from_secs(60),
        || {
            let out = deliver();
            second = String::from_utf8_lossy(&out.stderr).into_owned();
            !out.status.success() && second.contains("another helios") && second.contains(&pid)
        },
    );
    drop(follow);
    let out = deliver();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Pointed at another server, the repo's events all wait for it and all reach it: what the
    // first server received says nothing about the second. Before, the second got none and
    // `status` said 0 waiting. The first still has nothing to catch up on.
    let other = NatsServer::start(&[]);
    let to_other = |args: &[&str]| {
        world
            .helios()
            .args(args)
            .args(["--nats", &other.url()])
            .output()
            .unwrap()
    };
    let status = to_other(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["backlog"]["nats"], 300, "{status}");
    let out = to_other(&["events", "--deliver"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("nats: delivered 300 events"), "{err}");
    assert_eq!(stream_count(&other.url()), 300);
    let err = String::from_utf8_lossy(&deliver().stderr).into_owned();
    assert!(err.contains("nats: delivered 0 events"), "{err}");
}

/// Two consoles on one repo (two sets of forwarders on one journal) while NATS and PostgreSQL
/// are restarted in the middle of a 100,000-event backlog: every event arrives exactly once.
/// The stream's duplicate window is one second, so it cannot hide a resend: exactly once must
/// come from the delivery lock and the resume from the stream.
#[test]
fn restarts_mid_backlog_with_two_consoles_deliver_exactly_once() {
    let mut nats = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("helios.db");
    let total = 100_000;
    prefill(&path, total);
    let specs = || {
        let nats = SinkSpec::Nats(NatsConfig {
            url: nats.url(),
            duplicate_window_secs: 1,
            ..NatsConfig::default()
        });
        vec![nats, pg_spec(&pg.url())]
    };
    let first = start_forwarders(path.clone(), specs());
    let second = start_forwarders(path.clone(), specs());
    wait_until("delivery under way", Duration::from_secs(120), || {
        stream_count(&nats.url()) > 5_000 && pg_count(&pg) > 5_000
    });
    nats.stop();
    pg.stop();
    nats.restart();
    pg.restart();
    wait_until_or(
        "the whole backlog delivered after the restarts",
        Duration::from_secs(300),
        || stream_count(&nats.url()) >= total as u64 && pg_count(&pg) >= total as u64,
        || {
            let (_, ids) = stream_ids(&nats.url());
            let journal = journal_ids(&path);
            let held: std::collections::HashSet<&String> = ids.iter().collect();
            let missing: Vec<usize> = (0..journal.len())
                .filter(|i| !held.contains(&journal[*i]))
                .collect();
            format!(
                "stream {}, postgres {}, journal {total}; the stream lacks {} events, journal rows {:?} to {:?}\nfirst console's last reports: {:?}\nsecond's: {:?}",
                stream_count(&nats.url()),
                pg_count(&pg),
                missing.len(),
                missing.first(),
                missing.last(),
                last_reports(&first),
                last_reports(&second),
            )
        },
    );
    let journal = journal_ids(&path);
    let (n, ids) = stream_ids(&nats.url());
    assert_eq!(
        n, total as u64,
        "JetStream holds a duplicate or lost an event"
    );
    assert_eq!(ids, journal);
    assert_eq!(pg_ids(&pg), journal);
    // One of the two consoles delivered; the other said it waits for it.
    let waited = [&first, &second].iter().any(|r| {
        r.reports.lock().unwrap().iter().any(|b| {
            b.error
                .as_deref()
                .is_some_and(|e| e.contains("another helios"))
        })
    });
    assert!(waited, "both consoles delivered at once");
    drop(first.rt);
    drop(second.rt);
}

/// A child process killed (and reaped) when the test ends, passing or not: a forwarder left
/// running would hold the test runner's pipes open.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
