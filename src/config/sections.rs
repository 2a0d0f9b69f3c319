//! The config sections of the integrations. Each is `[name]` in config.toml.

use serde::{Deserialize, Serialize};

/// `[nats]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConfig {
    /// Server URL; user/password or token may be in it.
    pub url: String,
    /// Credentials file.
    pub creds: Option<String>,
    /// Monitoring endpoint, like http://127.0.0.1:8222.
    pub monitor: Option<String>,
    /// Panel refresh, seconds.
    pub refresh_secs: u64,
    /// Max age of messages in the HELIOS_EVENTS stream when helios creates it, like `30d`.
    pub stream_max_age: String,
    /// Max bytes of the HELIOS_EVENTS stream when helios creates it (-1: unlimited).
    pub stream_max_bytes: i64,
    /// Duplicate window of the stream when helios creates it, seconds: a resend of an event
    /// within it (after a crash mid-publish) is dropped by the server.
    pub duplicate_window_secs: u64,
    /// Deliver journalled events to JetStream (set false to only monitor).
    pub forward: bool,
    /// Whether the URL came from the user (a config file, `--nats` or `NATS_URL`) rather than
    /// the built-in default. Set by `config::load`, never read from a file: see
    /// [`NatsConfig::is_configured`].
    #[serde(skip)]
    pub url_given: bool,
}

impl NatsConfig {
    /// Whether the user configured NATS: a URL from a config file, `--nats` or `NATS_URL` (even
    /// one equal to the default), or a credentials file. The built-in default
    /// `nats://127.0.0.1:4222` that nobody set is only monitored, quietly: events are not
    /// forwarded to it, and its being unreachable is not a failure anywhere.
    pub fn is_configured(&self) -> bool {
        self.url_given || self.creds.is_some()
    }
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            creds: None,
            monitor: None,
            refresh_secs: 2,
            stream_max_age: "30d".into(),
            stream_max_bytes: 1 << 30,
            duplicate_window_secs: 3600,
            forward: true,
            url_given: false,
        }
    }
}

/// `[postgres]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    /// libpq-style URL; PostgreSQL is used only when set (never from DATABASE_URL).
    pub url: Option<String>,
    /// Events per INSERT.
    pub batch: usize,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            url: None,
            batch: 500,
        }
    }
}

/// `[temporal]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemporalConfig {
    /// Frontend address.
    pub address: String,
    /// Namespace.
    pub namespace: String,
    /// Panel refresh, seconds.
    pub refresh_secs: u64,
    /// Use TLS even without a client certificate or API key (`TEMPORAL_TLS`).
    pub tls: bool,
    /// Client certificate (PEM file) for mTLS (`TEMPORAL_TLS_CERT`).
    pub tls_cert: Option<String>,
    /// Client private key (PEM file) for mTLS (`TEMPORAL_TLS_KEY`).
    pub tls_key: Option<String>,
    /// CA certificate (PEM file) to verify the server with (`TEMPORAL_TLS_CA`).
    pub tls_ca: Option<String>,
    /// Server name to verify instead of the address's host (`TEMPORAL_TLS_SERVER_NAME`).
    pub tls_server_name: Option<String>,
    /// API key for hosted clusters; turns TLS on (`TEMPORAL_API_KEY`).
    pub api_key: Option<String>,
    /// Rows per page in the panel's workflow list.
    pub page_size: u32,
}

impl Default for TemporalConfig {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:7233".into(),
            namespace: "default".into(),
            refresh_secs: 2,
            tls: false,
            tls_cert: None,
            tls_key: None,
            tls_ca: None,
            tls_server_name: None,
            api_key: None,
            page_size: 50,
        }
    }
}

/// `[share]`: lane handoff over tmate or upterm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShareConfig {
    /// Self-hosted tmate server host (tmate option `tmate-server-host`); unset: tmate's default.
    pub tmate_host: Option<String>,
    /// Its port (`tmate-server-port`).
    pub tmate_port: Option<u16>,
    /// Its RSA key fingerprint (`tmate-server-rsa-fingerprint`).
    pub tmate_rsa_fingerprint: Option<String>,
    /// Its ed25519 key fingerprint (`tmate-server-ed25519-fingerprint`).
    pub tmate_ed25519_fingerprint: Option<String>,
    /// upterm server (`upterm host --server`).
    pub upterm_server: String,
    /// An authorized_keys file for upterm (`--authorized-keys`).
    pub upterm_authorized_keys: Option<String>,
    /// GitHub users allowed to join an upterm share (`--github-user`).
    pub upterm_github_users: Vec<String>,
    /// Seconds to wait for the tool to report its links before giving up.
    pub ready_timeout_secs: u64,
}

impl Default for ShareConfig {
    fn default() -> Self {
        Self {
            tmate_host: None,
            tmate_port: None,
            tmate_rsa_fingerprint: None,
            tmate_ed25519_fingerprint: None,
            upterm_server: "ssh://uptermd.upterm.dev:22".into(),
            upterm_authorized_keys: None,
            upterm_github_users: Vec::new(),
            ready_timeout_secs: 20,
        }
    }
}

/// `[zellij]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZellijConfig {
    /// The layout template the `L` key uses (grid, triage, focus, or a user template).
    pub template: String,
}

impl Default for ZellijConfig {
    fn default() -> Self {
        Self {
            template: "grid".into(),
        }
    }
}
