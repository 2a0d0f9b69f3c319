//! OpenTelemetry export: a local OTLP/HTTP receiver decodes the protobuf the built binary sends
//! while delivering events and creating a lane, and finds the delivery and lane spans and the
//! delivery counters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/servers.rs"]
mod servers;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

type Requests = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A tiny HTTP/1.1 server that records (path, body) of every POST and answers 200.
fn receiver() -> (u16, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Requests = Arc::default();
    let out = Arc::clone(&seen);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut len = 0;
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    seen.lock().unwrap().push((path, body));
                    conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
    (port, out)
}

#[test]
fn traces_and_metrics_reach_an_otlp_http_receiver() {
    let nats = servers::NatsServer::start(&[]);
    let (port, seen) = receiver();
    let world = support::World::new("demo");
    let path = world.path("state").join("helios").join("helios.db");
    {
        use helios::store::EventStore;
        let mut s = helios::store::sqlite::SqliteStore::open(&path).unwrap();
        for i in 0..5 {
            s.append(&helios::store::AuditEvent::new(
                "t",
                "demo",
                "test.otel",
                None,
                true,
                serde_json::json!({ "i": i }),
            ))
            .unwrap();
        }
    }
    // helios with OTLP export on; it must succeed.
    let run = |args: &[&str]| {
        let out = world
            .helios()
            .args(args)
            .env(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://127.0.0.1:{port}"),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "helios {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["events", "--deliver", "--nats", &nats.url()]);
    // A lane action through the CLI: its span is exported too.
    support::require("par");
    run(&["lane", "new", "otel-lane"]);
    // The exporters flush when helios exits, so everything has arrived by now.
    let seen = seen.lock().unwrap();
    let mut spans = Vec::new();
    let mut metrics = Vec::new();
    for (path, body) in seen.iter() {
        match path.as_str() {
            "/v1/traces" => {
                let req = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
                for rs in req.resource_spans {
                    for ss in rs.scope_spans {
                        spans.extend(ss.spans.into_iter().map(|s| s.name));
                    }
                }
            }
            "/v1/metrics" => {
                let req = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
                for rm in req.resource_metrics {
                    for sm in rm.scope_metrics {
                        metrics.extend(sm.metrics.into_iter().map(|m| m.name));
                    }
                }
            }
            other => panic!("unexpected OTLP path {other}"),
        }
    }
    for name in ["sink.publish", "lane.create"] {
        assert!(
            spans.iter().any(|s| s == name),
            "no {name} in spans: {spans:?}"
        );
    }
    assert!(
        metrics.iter().any(|m| m == "helios.events.delivered"),
        "metrics: {metrics:?}"
    );
    assert!(
        metrics.iter().any(|m| m == "helios.events.backlog"),
        "metrics: {metrics:?}"
    );
}
