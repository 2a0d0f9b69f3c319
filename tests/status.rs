//! `helios status` against real nats-server, PostgreSQL and the Temporal dev server: every
//! section as lines (no JSON blob, `unlimited` rather than `null`), exit 1 exactly when a check
//! failed and then a `FAIL` line naming it, PostgreSQL not yet migrated and the quiet NATS
//! default not counted as failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;
#[path = "support/temporal.rs"]
mod temporal_support;

use std::time::Duration;

use serde_json::Value;
use servers::{NatsServer, PgCluster};
use support::World;
use temporal_support::DevServer;

const WAIT: Duration = Duration::from_secs(30);

/// `helios ARGS status` (and `--json`): exit code, human text, JSON. The two forms run one
/// after the other, so a server whose state moves between them (a workflow Temporal's
/// visibility store lists a moment after its start or its end) would differ for that reason
/// alone: the human form runs again after the JSON, and the three are compared only when both
/// human runs exit alike (the state moved once at most, so the JSON between them saw the same).
fn status(world: &World, args: &[&str]) -> (i32, String, Value) {
    for _ in 0..10 {
        if let Some(seen) = status_once(world, args) {
            return seen;
        }
    }
    panic!("helios {args:?} status changed its exit code at every try");
}

fn status_once(world: &World, args: &[&str]) -> Option<(i32, String, Value)> {
    let run = |json: bool| {
        let mut c = world.helios();
        c.env_remove("NATS_URL")
            .env_remove("HELIOS_POSTGRES_URL")
            .env_remove("TEMPORAL_ADDRESS")
            .args(args)
            .arg("status");
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let human = run(false);
    let json = run(true);
    let again = run(false);
    let code = human.status.code().unwrap();
    if again.status.code() != Some(code) {
        return None;
    }
    let text = String::from_utf8_lossy(&human.stdout).into_owned();
    let v: Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json.stderr)));
    assert_eq!(json.status.code(), Some(code), "--json exits alike\n{text}");
    check_rules(code, &text, &v);
    Some((code, text, v))
}

/// The documented rules: exit 1 exactly when some line is `FAIL <check>`, every line is marked
/// or indented, and nothing is printed as raw JSON.
fn check_rules(code: i32, text: &str, v: &Value) {
    let fails: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(code == 1, !fails.is_empty(), "exit {code}:\n{text}");
    assert_eq!(v["healthy"], code == 0, "{v}");
    assert_eq!(
        v["failures"].as_array().unwrap().len(),
        fails.len(),
        "{v}\n{text}"
    );
    for l in text.lines() {
        assert!(
            ["ok   ", "FAIL ", "-    ", "              "]
                .iter()
                .any(|m| l.starts_with(m)),
            "unmarked line {l:?} in\n{text}"
        );
        let check = l.get(5..13).unwrap_or("").trim();
        assert!(
            check.is_empty()
                || ["lanes", "nats", "postgres", "backlog", "temporal"].contains(&check),
            "{l:?}"
        );
    }
    assert!(!text.contains("null") && !text.contains('{'), "{text}");
}

fn line<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in\n{text}"))
}

#[test]
fn status_reads_as_lines_and_fails_only_what_the_user_configured() {
    let nats = NatsServer::start(&[]);
    let pg = PgCluster::start();
    let world = World::new("demo");

    // Nothing configured: the quiet defaults are information, not failures.
    let (code, text, v) = status(&world, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        line(&text, "-    nats ").contains("not configured"),
        "{text}"
    );
    assert!(
        line(&text, "-    temporal ").contains("not configured"),
        "{text}"
    );
    assert!(
        line(&text, "-    postgres ").contains("not configured"),
        "{text}"
    );
    assert_eq!(v["nats"]["configured"], false);

    // NATS and PostgreSQL configured and up; nothing delivered yet, so helios.events does not
    // exist: that is no failure.
    let (n, p) = (nats.url(), pg.url());
    let (code, text, v) = status(&world, &["--nats", &n, "--postgres", &p]);
    assert_eq!(code, 0, "{text}");
    assert!(line(&text, "ok   lanes ").contains("in demo"), "{text}");
    assert!(line(&text, "ok   nats ").contains(&n), "{text}");
    assert!(text.contains("jetstream: storage "), "{text}");
    assert!(text.contains("of unlimited"), "{text}");
    let pg_line = line(&text, "ok   postgres ");
    assert!(
        pg_line.contains("PostgreSQL 15") && pg_line.contains("no events delivered yet"),
        "{text}"
    );
    assert!(
        line(&text, "ok   backlog ").contains("nats 0 waiting"),
        "{text}"
    );
    assert_eq!(v["postgres"]["migrated"], false, "{v}");
    assert_eq!(v["postgres"]["connected"], true, "{v}");
    assert_eq!(v["nats"]["configured"], true, "{v}");

    // Each configured part that is down fails on its own, with a FAIL line naming it.
    let dead = format!("127.0.0.1:{}", support::free_port());
    let wrong_pw = pg.url_as("postgres", "wrong");
    for (args, check) in [
        (vec!["--nats".to_string(), format!("nats://{dead}")], "nats"),
        (vec!["--postgres".to_string(), wrong_pw], "postgres"),
        (vec!["--temporal".to_string(), dead.clone()], "temporal"),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, text, v) = status(&world, &args);
        assert_eq!(code, 1, "{args:?}\n{text}");
        assert!(
            text.contains(&format!("FAIL {check:<8} ")),
            "{args:?}\n{text}"
        );
        let failures = v["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1, "{v}");
        assert!(
            failures[0]
                .as_str()
                .unwrap()
                .starts_with(&format!("{check}: ")),
            "{v}"
        );
    }
}

#[test]
fn temporal_is_shown_as_lines_and_fails_on_a_queue_nobody_polls() {
    let srv = DevServer::start();
    let world = World::new("demo");
    let addr = srv.address();
    srv.start_idle("deploy-1", "Deploy", "nobody-q", &[]);
    // Temporal's visibility store answers counts a moment after the start.
    let mut seen = (0, String::new(), Value::Null);
    support::wait_until("status to count the workflow", WAIT, || {
        seen = status(&world, &["--temporal", &addr]);
        seen.1.contains("workflows: 1 (running 1)")
    });
    let (code, text, v) = seen;
    assert_eq!(code, 1, "{text}");
    let head = line(&text, "-    temporal ");
    assert!(
        head.contains(&format!("{addr}, namespace default (Registered), server ")),
        "{text}"
    );
    assert!(
        line(&text, "FAIL temporal ").contains("no worker polls: nobody-q"),
        "{text}"
    );
    assert_eq!(
        v["temporal"]["queues_without_pollers"][0], "nobody-q",
        "{v}"
    );

    srv.cli_ok(&[
        "workflow",
        "terminate",
        "-w",
        "deploy-1",
        "--reason",
        "test",
    ]);
    let mut seen = (0, String::new(), Value::Null);
    support::wait_until("status to count it terminated", WAIT, || {
        seen = status(&world, &["--temporal", &addr]);
        seen.1.contains("workflows: 1 (terminated 1)")
    });
    let (code, text, _) = seen;
    assert_eq!(code, 0, "{text}");
    assert!(
        line(&text, "ok   temporal ").contains("(Registered)"),
        "{text}"
    );
}
