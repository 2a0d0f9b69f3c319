//! Events leave the machine without a console running: a CLI command that journals delivers its
//! events to the configured NATS and PostgreSQL before it exits (real nats-server, PostgreSQL,
//! par), within a bound; a sink that cannot take them leaves one line on stderr and the exit
//! status alone; another helios already delivering is left to it; and the built-in NATS default
//! that nobody set is not a sink at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;

use std::net::TcpListener;
use std::process::{Output, Stdio};
use std::time::Duration;

use helios::config::Config;
use helios::spine::forwarder::SinkSpec;
use serde_json::Value;
use servers::{NatsServer, PgCluster};
use support::{World, require, wait_until};

const WAIT: Duration = Duration::from_secs(20);

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The events `helios events --source SOURCE --json` reads, as (action, lane).
fn events_in(world: &World, source: &str, sinks: &[&str]) -> Vec<(String, String)> {
    let out = world
        .helios()
        .args(sinks)
        .args(["events", "--json", "--source", source])
        .output()
        .unwrap();
    assert!(out.status.success(), "{source}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            (
                v["action"].as_str().unwrap_or_default().to_string(),
                v["lane"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn has(events: &[(String, String)], action: &str, lane: &str) -> bool {
    events.iter().any(|(a, l)| a == action && l == lane)
}

#[test]
fn cli_commands_deliver_their_events_at_exit() {
    require("par");
    require("tmux");
    let nats = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let world = World::new("demo");
    let (n, p) = (nats.url(), pg.url());
    let sinks = ["--nats", n.as_str(), "--postgres", p.as_str()];

    // A failed command journals too; its exit status is its own.
    let out = world
        .helios()
        .args(sinks)
        .args(["lane", "rm", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        err.lines().count(),
        1,
        "only the command's own error: {err}"
    );
    for source in ["nats", "postgres"] {
        let got = events_in(&world, source, &sinks);
        assert!(has(&got, "lane.removed", "nope"), "{source}: {got:?}");
    }

    // The repo's own config names the sinks: trusting it makes them count for `trust` itself.
    std::fs::write(
        world.repo.join(".helios.toml"),
        format!("[nats]\nurl = \"{n}\"\n\n[postgres]\nurl = \"{p}\"\n"),
    )
    .unwrap();
    let out = world.helios().arg("trust").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("outbox"), "{}", stderr(&out));
    let out = world
        .helios()
        .args(["lane", "new", "feat"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for source in ["nats", "postgres"] {
        let got = events_in(&world, source, &[]);
        assert!(
            got.iter().any(|(a, _)| a == "config.trusted"),
            "{source}: {got:?}"
        );
        assert!(has(&got, "lane.created", "feat"), "{source}: {got:?}");
    }
}

#[test]
fn a_sink_that_cannot_take_them_leaves_one_note_and_the_exit_status() {
    let world = World::new("demo");
    // Nothing listens: refused at once.
    let dead = format!("nats://127.0.0.1:{}", support::free_port());
    let out = world
        .helios()
        .args(["--nats", &dead, "lane", "rm", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the command's own status");
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(!lines[0].contains("outbox"), "{err}");
    assert!(
        lines[1].contains("2 events wait in the outbox (nats: NATS at")
            && lines[1].contains("unreachable")
            && lines[1].ends_with("`helios events --deliver` or the next console will send them"),
        "{err}"
    );

    // A server that accepts and never answers: the delivery gives up at its bound, not at the
    // client's own 5 s connect timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://{}", silent.local_addr().unwrap());
    let out = world
        .helios()
        .args(["--nats", &url, "lane", "rm", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("4 events wait in the outbox (nats: no answer within 2s)"),
        "{err}"
    );
    drop(silent);
}

#[test]
fn another_helios_delivering_is_left_to_it() {
    let nats = NatsServer::start(&[]);
    let world = World::new("demo");
    let url = nats.url();
    let mut holder = world
        .helios()
        .args(["--nats", &url, "events", "--deliver", "--follow"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The lock of this repo's deliveries to this server (its name ends with the URL's).
    let dir = world.path("state/helios");
    let held = || {
        std::fs::read_dir(&dir).is_ok_and(|d| {
            d.flatten().any(|f| {
                let path = f.path();
                let name = f.file_name().to_string_lossy().into_owned();
                name.starts_with("helios.deliver-nats_demo_nats___127_0_0_1_")
                    && path.extension().is_some_and(|e| e == "lock")
                    && !support::read(&path).trim().is_empty()
            })
        })
    };
    wait_until("the headless forwarder to hold the lock", WAIT, held);
    let out = world
        .helios()
        .args(["--nats", &url, "lane", "rm", "nope"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(
        err.lines().count(),
        1,
        "nothing to say: the holder delivers\n{err}"
    );
    wait_until("the holder to deliver it", WAIT, || {
        has(
            &events_in(&world, "nats", &["--nats", &url]),
            "lane.removed",
            "nope",
        )
    });
    let _ = holder.kill();
    let _ = holder.wait();
}

/// The built-in default `nats://127.0.0.1:4222` that nobody set is monitored, never a sink:
/// the CLI tries no delivery, the console starts no NATS forwarder (so its status line has no
/// backlog that can never drain), and `status` does not count it. Any URL the user gave counts,
/// even the same one.
#[test]
fn the_quiet_default_is_not_a_sink() {
    assert!(SinkSpec::from_config(&Config::default()).is_empty());
    let mut set = Config::default();
    set.nats.url_given = true;
    assert_eq!(SinkSpec::from_config(&set).len(), 1);
    set.nats.forward = false;
    assert!(SinkSpec::from_config(&set).is_empty());

    let world = World::new("demo");
    let out = world
        .helios()
        .env_remove("NATS_URL")
        .args(["lane", "rm", "nope"])
        .output()
        .unwrap();
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

    let configured = |extra: &[(&str, &str)]| -> Value {
        let out = world
            .helios()
            .env_remove("NATS_URL")
            .envs(extra.iter().copied())
            .args(["status", "--json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["nats"]["configured"].clone()
    };
    assert_eq!(configured(&[]), false);
    assert_eq!(configured(&[("NATS_URL", "nats://127.0.0.1:4222")]), true);
    let user = world.path("config/helios");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("config.toml"),
        "[nats]\nurl = \"nats://127.0.0.1:4222\"\n",
    )
    .unwrap();
    assert_eq!(configured(&[]), true);
}
