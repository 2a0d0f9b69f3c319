//! OpenTelemetry export (OTLP over HTTP/protobuf), on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set; the standard `OTEL_*` variables are honoured by the exporter. Traces for actions and
//! integration calls, metrics for events journalled and delivered, backlog, frame time and lane
//! bytes. Each helper is a no-op when export is off, and none does IO on the caller's thread
//! (the SDK batches and exports on its own threads).

use std::sync::OnceLock;

pub mod echo;
pub mod logs;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram};
use opentelemetry::trace::{Span as _, Tracer as _};
use opentelemetry_otlp::WithExportConfig as _;

/// The instruments, made once when export starts. OpenTelemetry's own providers are process
/// globals too; these are just handles to them.
struct Instruments {
    journalled: Counter<u64>,
    delivered: Counter<u64>,
    backlog: Gauge<u64>,
    frame_ms: Histogram<f64>,
    lane_bytes: Counter<u64>,
}

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// Keeps the exporters alive; flushes and shuts them down when dropped (at exit).
pub struct TelemetryGuard {
    tracer: opentelemetry_sdk::trace::SdkTracerProvider,
    meter: opentelemetry_sdk::metrics::SdkMeterProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let _ = self.tracer.force_flush();
        let _ = self.meter.force_flush();
        let _ = self.tracer.shutdown();
        let _ = self.meter.shutdown();
    }
}

/// Start exporting when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Call from `main` before any tokio
/// runtime exists (the blocking HTTP client must not be built or dropped inside one).
/// Returns an error message for the user when the endpoint is set but unusable.
pub fn init() -> Result<Option<TelemetryGuard>, String> {
    let Some(endpoint) = std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT") else {
        return Ok(None);
    };
    let endpoint = endpoint.to_string_lossy().into_owned();
    if endpoint.is_empty() {
        return Ok(None);
    }
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("helios")
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
        .map_err(|e| {
            format!("OpenTelemetry traces to {endpoint}: {e}; check OTEL_EXPORTER_OTLP_ENDPOINT")
        })?;
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
        .map_err(|e| {
            format!("OpenTelemetry metrics to {endpoint}: {e}; check OTEL_EXPORTER_OTLP_ENDPOINT")
        })?;
    let tracer = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(spans)
        .with_resource(resource.clone())
        .build();
    let meter = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_periodic_exporter(metrics)
        .with_resource(resource)
        .build();
    opentelemetry::global::set_tracer_provider(tracer.clone());
    opentelemetry::global::set_meter_provider(meter.clone());
    let m = opentelemetry::global::meter("helios");
    let _ = INSTRUMENTS.set(Instruments {
        journalled: m
            .u64_counter("helios.events.journalled")
            .with_description("audit events appended to the local journal")
            .build(),
        delivered: m
            .u64_counter("helios.events.delivered")
            .with_description("audit events acknowledged by a sink")
            .build(),
        backlog: m
            .u64_gauge("helios.events.backlog")
            .with_description("journalled events a sink has not received yet")
            .build(),
        frame_ms: m
            .f64_histogram("helios.frame.time")
            .with_unit("ms")
            .with_description("time to draw one frame")
            .build(),
        lane_bytes: m
            .u64_counter("helios.lanes.bytes_read")
            .with_unit("By")
            .with_description("bytes read from lane PTYs")
            .build(),
    });
    Ok(Some(TelemetryGuard { tracer, meter }))
}

/// Whether export is on.
pub fn enabled() -> bool {
    INSTRUMENTS.get().is_some()
}

/// A span for an action or integration call (`lane.create`, `sink.publish`, `nats.query`…),
/// ended when dropped. `target` names what it acted on (lane, sink, server).
pub fn span(name: &'static str, target: &str) -> Option<opentelemetry::global::BoxedSpan> {
    if !enabled() {
        return None;
    }
    let mut s = opentelemetry::global::tracer("helios").start(name);
    s.set_attribute(KeyValue::new("helios.target", target.to_string()));
    Some(s)
}

/// Count events appended to the journal.
pub fn journalled(n: u64) {
    if let Some(i) = INSTRUMENTS.get() {
        i.journalled.add(n, &[]);
    }
}

/// Count events a sink acknowledged.
pub fn delivered(sink: &str, n: u64) {
    if let Some(i) = INSTRUMENTS.get() {
        i.delivered
            .add(n, &[KeyValue::new("sink", sink.to_string())]);
    }
}

/// Record a sink's backlog.
pub fn backlog(sink: &str, n: u64) {
    if let Some(i) = INSTRUMENTS.get() {
        i.backlog
            .record(n, &[KeyValue::new("sink", sink.to_string())]);
    }
}

/// Record one frame's draw time.
pub fn frame_time(d: std::time::Duration) {
    if let Some(i) = INSTRUMENTS.get() {
        i.frame_ms.record(d.as_secs_f64() * 1e3, &[]);
    }
}

/// Count bytes read from a lane.
pub fn lane_bytes(lane: &str, n: u64) {
    if let Some(i) = INSTRUMENTS.get() {
        i.lane_bytes
            .add(n, &[KeyValue::new("lane", lane.to_string())]);
    }
}
