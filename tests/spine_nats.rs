//! The NATS panel against a real nats-server (known streams, a consumer with lag, a KV bucket),
//! an unreachable server, `helios status --json`, and bad input (wrong URL, bad credentials, a
//! stream with other subjects, a PostgreSQL role without permission).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use helios::app::AppState;
use helios::app::nats::{self, NatsEvent, NatsSnapshot, Varz};
use helios::config::NatsConfig;
use helios::config::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use servers::{NatsServer, PgCluster};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn state() -> AppState {
    AppState::new(
        helios::app::state::RepoInfo {
            path: "/r".into(),
            name: "demo".into(),
        },
        Instant::now(),
    )
}

fn screen(state: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| helios::ui::nats::render(f, f.area(), state, &Theme::default()))
        .unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Streams ORDERS (10 then 15 messages) and LOGS, consumer `slow` on ORDERS that fetched 3
/// without acking (lag), consumer `done` that is caught up, and KV bucket `config`.
async fn populate(url: &str, more: bool) {
    use async_nats::jetstream::{self, consumer, kv, stream};
    let js = jetstream::new(async_nats::connect(url).await.unwrap());
    if !more {
        js.create_stream(stream::Config {
            name: "ORDERS".into(),
            subjects: vec!["orders.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
        js.create_stream(stream::Config {
            name: "LOGS".into(),
            subjects: vec!["logs.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
        let kv = js
            .create_key_value(kv::Config {
                bucket: "config".into(),
                history: 5,
                ..Default::default()
            })
            .await
            .unwrap();
        for (k, v) in [("a", "1"), ("b", "2"), ("a", "3")] {
            kv.put(k, v.into()).await.unwrap();
        }
    }
    let n = if more { 5 } else { 10 };
    for i in 0..n {
        js.publish(format!("orders.new.{i}"), "{\"qty\":1}".into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    js.publish("logs.app", "hello".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let s = js.get_stream("ORDERS").await.unwrap();
    let slow = s
        .get_or_create_consumer(
            "slow",
            consumer::pull::Config {
                durable_name: Some("slow".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    if !more {
        let mut batch = slow.fetch().max_messages(3).messages().await.unwrap();
        while let Some(m) = batch.next().await {
            m.unwrap(); // fetched, never acked
        }
        let done = s
            .get_or_create_consumer(
                "done",
                consumer::pull::Config {
                    durable_name: Some("done".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut batch = done.fetch().max_messages(10).messages().await.unwrap();
        while let Some(m) = batch.next().await {
            m.unwrap().double_ack().await.unwrap();
        }
    }
}

async fn take(
    url: &str,
    monitor: &str,
    prev: &mut Option<helios::integrations::nats::monitor::VarzCounters>,
) -> NatsSnapshot {
    let cfg = NatsConfig {
        url: url.into(),
        monitor: Some(monitor.into()),
        ..NatsConfig::default()
    };
    let client = helios::integrations::nats::connect(&cfg).await.unwrap();
    let http = reqwest::Client::new();
    helios::integrations::nats::monitor::snapshot(&client, &cfg, Some(&http), prev)
        .await
        .unwrap()
}

/// Replace what differs between runs (ids, ports, times, rates) with fixed values.
fn normalize(s: &mut NatsSnapshot) {
    let t0 = time::macros::datetime!(2026-01-01 12:00:00 UTC);
    s.server_name = "SERVER".into();
    s.version = "2.x".into();
    s.connected_url = "127.0.0.1:PORT".into();
    s.rtt_us = Some(250);
    s.taken_at = Some(t0);
    s.varz = Some(Varz {
        uptime: "1m5s".into(),
        connections: 2,
        in_msgs_per_s: Some(10.0),
        out_msgs_per_s: Some(4.0),
        in_bytes_per_s: Some(2048.0),
        out_bytes_per_s: Some(512.0),
        slow_consumers: 0,
    });
    for st in &mut s.streams {
        st.last_at = st.last_at.map(|_| t0 - time::Duration::seconds(7));
    }
    if let Some(a) = &mut s.account {
        a.storage = 1000;
        a.api_total = 40;
        a.api_errors = 0;
    }
    for c in &mut s.consumers {
        c.last_active = c.last_active.map(|_| t0 - time::Duration::seconds(3));
    }
}

#[test]
fn panel_shows_streams_consumers_with_lag_and_kv_buckets() {
    let server = NatsServer::start(&[]);
    let rt = rt();
    let mut prev = None;
    let (first, second) = rt.block_on(async {
        populate(&server.url(), false).await;
        let first = take(&server.url(), &server.monitor_url(), &mut prev).await;
        populate(&server.url(), true).await;
        let second = take(&server.url(), &server.monitor_url(), &mut prev).await;
        (first, second)
    });
    // The real numbers, before normalizing.
    let orders = second.streams.iter().find(|s| s.name == "ORDERS").unwrap();
    assert_eq!(
        (
            orders.messages,
            orders.consumers,
            orders.first_seq,
            orders.last_seq
        ),
        (15, 2, 1, 15)
    );
    let slow = second.consumers.iter().find(|c| c.name == "slow").unwrap();
    assert_eq!((slow.pending, slow.ack_pending), (12, 3));
    assert_eq!(second.kv.len(), 1);
    assert_eq!(
        (
            second.kv[0].bucket.as_str(),
            second.kv[0].values,
            second.kv[0].history
        ),
        ("config", 3, 5)
    );
    assert!(second.streams.iter().all(|s| !s.name.starts_with("KV_")));
    let varz = second
        .varz
        .as_ref()
        .expect("varz read from the monitoring port");
    assert!(varz.connections >= 1 && varz.in_msgs_per_s.is_some() && !varz.uptime.is_empty());
    let acct = second.account.as_ref().unwrap();
    assert_eq!(acct.streams, 3);
    assert!(!second.version.is_empty());

    let mut st = state();
    let (mut a, mut b) = (first, second);
    normalize(&mut a);
    normalize(&mut b);
    let now = st.now;
    nats::on_event(
        &mut st,
        NatsEvent::Configured {
            url: "nats://127.0.0.1:PORT".into(),
            refresh: Duration::from_secs(2),
            quiet_default: false,
        },
    );
    nats::on_event(
        &mut st,
        NatsEvent::Snapshot {
            snapshot: Box::new(a),
        },
    );
    nats::on_event(
        &mut st,
        NatsEvent::Snapshot {
            snapshot: Box::new(b),
        },
    );
    st.now = now;
    nats::on_action(&mut st, nats::NatsAction::NextStream); // LOGS, ORDERS by name
    assert_eq!(st.nats.selected_stream_name().as_deref(), Some("ORDERS"));
    let text = screen(&st, 100, 30);
    assert!(text.contains("lag growing"), "{text}");
    insta::assert_snapshot!("nats_panel_100x30", text);
    // 80x24 still shows every section.
    let small = screen(&st, 80, 24);
    for want in ["ORDERS", "slow", "config", "jetstream"] {
        assert!(small.contains(want), "{want} missing at 80x24:\n{small}");
    }
}

#[test]
fn an_unreachable_server_is_shown_with_the_reason_and_data_age() {
    let port = support::free_port();
    let url = format!("nats://127.0.0.1:{port}");
    // A server the user named (the built-in default nobody set shows as not configured).
    let cfg = NatsConfig {
        url: url.clone(),
        url_given: true,
        refresh_secs: 1,
        ..NatsConfig::default()
    };
    let rt = rt();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_etx, erx) = tokio::sync::mpsc::unbounded_channel();
    rt.spawn(helios::integrations::nats::monitor::run(cfg, tx, erx));
    let mut st = state();
    let reason = rt.block_on(async {
        loop {
            match rx.recv().await.unwrap() {
                helios::app::Event::Nats(e @ NatsEvent::Unreachable { .. }) => {
                    let NatsEvent::Unreachable { reason } = &e else {
                        unreachable!()
                    };
                    let r = reason.clone();
                    nats::on_event(&mut st, e);
                    break r;
                }
                helios::app::Event::Nats(e) => {
                    nats::on_event(&mut st, e);
                }
                _ => {}
            }
        }
    });
    assert!(
        reason.contains(&url) && reason.contains("--nats"),
        "{reason}"
    );
    let text = screen(&st, 100, 12);
    assert!(text.contains("unreachable"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("no data yet"), "{text}");
    // With data from before the outage, its age is shown and marked stale.
    st.nats.snapshot = Some(NatsSnapshot::default());
    st.nats.fresh_at = Some(st.now);
    st.now += Duration::from_secs(9);
    let text = screen(&st, 100, 12);
    assert!(text.contains("last data 9s ago (stale)"), "{text}");
}

#[test]
fn status_json_reports_nats_postgres_and_backlog() {
    let server = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let world = support::World::new("demo");
    let out = world
        .helios()
        .args([
            "status",
            "--json",
            "--nats",
            &server.url(),
            "--postgres",
            &pg.url(),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    // Postgres connected but nothing delivered yet: the table is missing, which is no failure.
    assert_eq!(v["nats"]["connected"], true, "{v}");
    assert_eq!(v["postgres"]["migrated"], false, "{v}");
    assert_eq!(v["healthy"], true, "{v}");
    assert!(v["nats"]["version"].as_str().unwrap().starts_with('2'));
    assert!(v["nats"]["jetstream"]["storage"].is_u64());
    assert_eq!(v["postgres"]["connected"], true);
    assert!(v["postgres"]["version"].as_str().unwrap().starts_with("15"));
    assert_eq!(v["lanes"]["repo"], "demo");
    assert!(v["temporal"].is_object());
    // Deliver (creates stream and table), then everything is healthy: exit 0.
    let d = world
        .helios()
        .args([
            "events",
            "--deliver",
            "--nats",
            &server.url(),
            "--postgres",
            &pg.url(),
        ])
        .output()
        .unwrap();
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    let out = world
        .helios()
        .args([
            "status",
            "--json",
            "--nats",
            &server.url(),
            "--postgres",
            &pg.url(),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["healthy"], true);
    assert_eq!(v["postgres"]["events"], 0);
    assert_eq!(v["backlog"]["nats"], 0);
    let names: Vec<&str> = v["nats"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HELIOS_EVENTS"]);
    // A configured server that is down: exit 1 and the reason.
    let dead = format!("nats://127.0.0.1:{}", support::free_port());
    let out = world
        .helios()
        .args(["status", "--nats", &dead])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL nats") && text.contains("unreachable"),
        "{text}"
    );
}

#[test]
fn bad_input_gives_clear_messages() {
    let rt = rt();
    // Wrong URL.
    let dead = format!("nats://127.0.0.1:{}", support::free_port());
    let e = rt
        .block_on(helios::integrations::nats::connect(&NatsConfig {
            url: dead.clone(),
            ..NatsConfig::default()
        }))
        .unwrap_err()
        .to_string();
    assert!(e.contains(&dead) && e.contains("unreachable"), "{e}");
    // Bad credentials, and the password is not echoed.
    let auth = NatsServer::start(&["--user", "u", "--pass", "secret"]);
    let bad = format!("nats://u:wrong@127.0.0.1:{}", auth.port);
    let e = rt
        .block_on(helios::integrations::nats::connect(&NatsConfig {
            url: bad,
            ..NatsConfig::default()
        }))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refused the credentials") && !e.contains("wrong"),
        "{e}"
    );
    let good = format!("nats://u:secret@127.0.0.1:{}", auth.port);
    rt.block_on(helios::integrations::nats::connect(&NatsConfig {
        url: good,
        ..NatsConfig::default()
    }))
    .unwrap();
    // A missing creds file.
    let e = rt
        .block_on(helios::integrations::nats::connect(&NatsConfig {
            creds: Some("/nonexistent/helios.creds".into()),
            ..NatsConfig::default()
        }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/helios.creds"), "{e}");
    // HELIOS_EVENTS with other subjects is reported, not overwritten.
    let server = NatsServer::start(&[]);
    let url = server.url();
    let e = rt.block_on(async {
        let client = async_nats::connect(&url).await.unwrap();
        let js = async_nats::jetstream::new(client.clone());
        js.create_stream(async_nats::jetstream::stream::Config {
            name: "HELIOS_EVENTS".into(),
            subjects: vec!["other.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
        let cfg = NatsConfig {
            url: url.clone(),
            ..NatsConfig::default()
        };
        let e = helios::integrations::nats::sink::NatsSink::open(client, &cfg)
            .await
            .err()
            .unwrap();
        let mut s = js.get_stream("HELIOS_EVENTS").await.unwrap();
        assert_eq!(s.info().await.unwrap().config.subjects, ["other.>"]);
        e.to_string()
    });
    assert!(
        e.contains("other.>") && e.contains("will not change it"),
        "{e}"
    );
    // PostgreSQL: a role without CREATE on the database.
    let pg = PgCluster::start();
    pg.query("CREATE ROLE weak LOGIN PASSWORD 'pw'");
    let e = rt
        .block_on(helios::spine::postgres::PgSink::connect(
            &pg.url_as("weak", "pw"),
        ))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("permission denied") && e.contains("GRANT") || e.contains("grant"),
        "{e}"
    );
    // Wrong password.
    let e = rt
        .block_on(helios::spine::postgres::PgSink::connect(
            &pg.url_as("postgres", "nope"),
        ))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("password authentication failed") && !e.contains("nope"),
        "{e}"
    );
}
