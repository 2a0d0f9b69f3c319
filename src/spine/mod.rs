//! The event spine: the forwarder that delivers the journal's events, in order and exactly once,
//! to its sinks (JetStream and PostgreSQL), and the NATS connection they share. Never on the
//! render path; the journal itself (the first, synchronous write) is in `store`.

pub mod forwarder;
pub mod jetstream;
pub mod nats;
pub mod postgres;
