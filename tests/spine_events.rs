//! `helios events` from each source (journal, HELIOS_EVENTS, PostgreSQL) and the `:events`
//! panel showing events other helios instances and agents publish to `helios.events.>`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;

use std::time::{Duration, Instant};

use helios::app::nats::{EventsFilter, NatsAction, NatsEvent};
use helios::config::NatsConfig;
use helios::store::{AuditEvent, EventStore};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn events_reads_each_source_with_filters() {
    let nats = servers::NatsServer::start(&[]);
    let pg = servers::PgCluster::start();
    let world = support::World::new("demo");
    let path = world.path("state").join("helios").join("helios.db");
    {
        let mut s = helios::store::sqlite::SqliteStore::open(&path).unwrap();
        let mut old = AuditEvent::new(
            "t",
            "demo",
            "lane.created",
            Some("old"),
            true,
            serde_json::json!({}),
        );
        old.at -= time::Duration::hours(3);
        s.append(&old).unwrap();
        for (lane, ok) in [(Some("a"), true), (Some("b"), false), (None, true)] {
            s.append(&AuditEvent::new(
                "t",
                "demo",
                "lane.sent",
                lane,
                ok,
                serde_json::json!({ "n": 1 }),
            ))
            .unwrap();
        }
    }
    let (n, p) = (nats.url(), pg.url());
    let base = ["--nats", n.as_str(), "--postgres", p.as_str()];
    let d = world
        .helios()
        .args(["events", "--deliver"])
        .args(base)
        .output()
        .unwrap();
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    for source in ["local", "nats", "postgres"] {
        let all = lines(
            &world
                .helios()
                .args(["events", "--json", "--source", source])
                .args(base)
                .output()
                .unwrap(),
        );
        assert_eq!(all.len(), 4, "{source}: {all:?}");
        assert_eq!(all[0]["lane"], "old", "{source}: oldest first");
        let a = lines(
            &world
                .helios()
                .args(["events", "--json", "--lane", "a", "--source", source])
                .args(base)
                .output()
                .unwrap(),
        );
        assert_eq!(a.len(), 1, "{source}");
        assert_eq!(a[0]["action"], "lane.sent");
        let recent = lines(
            &world
                .helios()
                .args(["events", "--json", "--since", "1h", "--source", source])
                .args(base)
                .output()
                .unwrap(),
        );
        assert_eq!(recent.len(), 3, "{source}: --since 1h");
    }
    let table = world.helios().args(["events"]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("TIME (UTC)") && text.contains("lane.sent") && text.contains("error"),
        "{text}"
    );
    let bad = world
        .helios()
        .args(["events", "--since", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a usage error: {bad:?}");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since \"soon\""));
    let no_pg = world
        .helios()
        .args(["events", "--source", "postgres"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&no_pg.stderr).contains("HELIOS_POSTGRES_URL"));
}

#[test]
fn events_panel_shows_what_other_instances_publish_live() {
    let nats = servers::NatsServer::start(&[]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The stream exists (as after any helios delivered), then the monitor starts tailing it.
    let url = nats.url();
    rt.block_on(async {
        let client = helios::integrations::nats::connect(&NatsConfig {
            url: url.clone(),
            ..NatsConfig::default()
        })
        .await
        .unwrap();
        helios::integrations::nats::sink::NatsSink::open(client, &NatsConfig::default())
            .await
            .unwrap();
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_etx, erx) = tokio::sync::mpsc::unbounded_channel();
    rt.spawn(helios::integrations::nats::monitor::run(
        NatsConfig {
            url: url.clone(),
            refresh_secs: 1,
            ..NatsConfig::default()
        },
        tx,
        erx,
    ));
    let mut st = helios::app::AppState::new(
        helios::app::state::RepoInfo {
            path: "/r".into(),
            name: "demo".into(),
        },
        Instant::now(),
    );
    st.recent_events.push(AuditEvent::new(
        "me",
        "demo",
        "lane.created",
        Some("mine"),
        true,
        serde_json::json!({}),
    ));
    // Another agent publishes to helios.events.> while we watch.
    let theirs = AuditEvent::new(
        "agent-7",
        "other",
        "task.failed",
        Some("x"),
        false,
        serde_json::json!({}),
    );
    let payload = serde_json::to_vec(&theirs).unwrap();
    rt.block_on(async {
        let client = async_nats::connect(&url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        js.publish("helios.events.other.x.task.failed", payload.into())
            .await
            .unwrap()
            .await
            .unwrap();
    });
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Some(helios::app::Event::Nats(e)) = rx.recv().await {
                    let got = matches!(&e, NatsEvent::Swarm { events } if !events.is_empty());
                    helios::app::nats::on_event(&mut st, e);
                    if got {
                        break;
                    }
                }
            }
        })
        .await
        .expect("the agent's event reached the panel");
    });
    let draw = |st: &helios::app::AppState| {
        let mut t = Terminal::new(TestBackend::new(100, 8)).unwrap();
        t.draw(|f| {
            helios::ui::events::render(f, f.area(), st, &helios::config::theme::Theme::default());
        })
        .unwrap();
        let buf = t.backend().buffer().clone();
        (0..8)
            .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect::<String>()
    };
    let text = draw(&st);
    assert!(text.contains("journal + HELIOS_EVENTS"), "{text}");
    assert!(
        text.contains("task.failed") && text.contains("agent-7") && text.contains("other"),
        "{text}"
    );
    assert!(text.contains("lane.created"), "{text}");
    helios::app::nats::on_action(
        &mut st,
        NatsAction::SetFilter {
            filter: EventsFilter {
                result: Some(helios::store::EventResult::Error),
                ..EventsFilter::default()
            },
        },
    );
    let text = draw(&st);
    assert!(
        text.contains("task.failed")
            && !text.contains("lane.created")
            && text.contains("result=error"),
        "{text}"
    );
}
