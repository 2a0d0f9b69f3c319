//! The NATS connection (URL, creds file, user/password or token in the URL) and its errors,
//! shared by the JetStream sink and the NATS panel's monitor.

use std::time::Duration;

use crate::config::NatsConfig;

/// What went wrong talking to NATS, worded for the panel, the status line and `helios status`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum NatsError {
    /// Nothing answered, or the connection failed.
    #[error(
        "NATS at {url} is unreachable: {reason}; start nats-server or point helios at one with --nats URL / NATS_URL / [nats] url"
    )]
    Unreachable {
        /// The URL tried (credentials removed).
        url: String,
        /// What the client said.
        reason: String,
    },
    /// The server refused the credentials.
    #[error(
        "NATS at {url} refused the credentials: {reason}; check --nats-creds or the user/token in the URL"
    )]
    Auth {
        /// The URL tried.
        url: String,
        /// What the server said.
        reason: String,
    },
    /// The credentials file could not be read.
    #[error("NATS credentials file {path}: {reason}")]
    Creds {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// JetStream failed or is not enabled.
    #[error("NATS JetStream at {url}: {reason}")]
    JetStream {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// HELIOS_EVENTS exists with other subjects; helios does not overwrite it.
    #[error(
        "NATS at {url}: stream HELIOS_EVENTS exists with subjects {}, not [\"helios.events.>\"]; helios will not change it: fix it with `nats stream edit HELIOS_EVENTS --subjects 'helios.events.>'` or remove it",
        crate::text::quote_all(.subjects)
    )]
    StreamMismatch {
        /// The URL.
        url: String,
        /// The subjects it has.
        subjects: Vec<String>,
    },
    /// A bad `[nats]` setting.
    #[error("{0}")]
    Config(String),
}

/// Connect with the configured URL and credentials; fails fast (5 s) instead of retrying, so
/// callers can say "unreachable" and retry on their own schedule. The client reconnects on its
/// own after a disconnect (what the panel and the CLI's reads want).
pub async fn connect(cfg: &NatsConfig) -> Result<async_nats::Client, NatsError> {
    connect_with(cfg, async_nats::ConnectOptions::new()).await
}

/// Like [`connect`], for the JetStream sink: the client never reconnects by itself. async-nats
/// sends the publishes queued while it was away once it reconnects, after the ones the lost
/// connection swallowed, and that leaves a hole in the stream that nothing reports. The
/// forwarder opens a new connection instead, and resumes from what the stream holds.
pub async fn connect_once(cfg: &NatsConfig) -> Result<async_nats::Client, NatsError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let connected = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&connected);
    // The delay before a (re)connect attempt: none until the first connection is up (the first
    // attempt and the other servers of a URL list), forever after. A client left waiting keeps
    // one idle task until the runtime ends; the forwarder has dropped it by then.
    let opts = async_nats::ConnectOptions::new().reconnect_delay_callback(move |_| {
        if seen.load(Ordering::Acquire) {
            Duration::MAX
        } else {
            Duration::ZERO
        }
    });
    let client = connect_with(cfg, opts).await?;
    connected.store(true, Ordering::Release);
    Ok(client)
}

/// Like [`connect`], also handing over every error the server reports on the connection
/// (`Permissions Violation for Publish to …`): a publish the server refuses is dropped without
/// an answer, so a request would only time out without this.
pub async fn connect_reporting(
    cfg: &NatsConfig,
) -> Result<
    (
        async_nats::Client,
        tokio::sync::mpsc::UnboundedReceiver<String>,
    ),
    NatsError,
> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = async_nats::ConnectOptions::new().event_callback(move |ev| {
        let tx = tx.clone();
        async move {
            if let async_nats::Event::ServerError(e) = ev {
                // Nobody listening any more is fine: the caller has its answer.
                if tx.send(e.to_string()).is_err() {
                    tracing::debug!("a NATS server error after its reader went: {e}");
                }
            }
        }
    });
    Ok((connect_with(cfg, opts).await?, rx))
}

async fn connect_with(
    cfg: &NatsConfig,
    base: async_nats::ConnectOptions,
) -> Result<async_nats::Client, NatsError> {
    let shown = crate::config::secrets::redact_url(&cfg.url);
    let mut opts = match &cfg.creds {
        Some(path) => base
            .credentials_file(path)
            .await
            .map_err(|e| NatsError::Creds {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        None => base,
    };
    // async-nats does not apply credentials written in the URL; NATS convention is that
    // `nats://user:pass@host` means user/password and `nats://token@host` a token.
    let first = cfg.url.split(',').next().unwrap_or_default().trim();
    if cfg.creds.is_none()
        && let Ok(addr) = first.parse::<async_nats::ServerAddr>()
    {
        match (addr.username(), addr.password()) {
            (Some(u), Some(p)) => opts = opts.user_and_password(u.to_string(), p.to_string()),
            (Some(t), None) => opts = opts.token(t.to_string()),
            _ => {}
        }
    }
    opts = opts
        .name("helios")
        .connection_timeout(Duration::from_secs(5))
        // Keep a publish from hanging forever while the server is away.
        .request_timeout(Some(Duration::from_secs(10)));
    // A list of servers (`nats://a:4222,nats://b:4222`, as the NATS tools take it): the client
    // picks one and moves to another when it is lost.
    let addrs: Vec<async_nats::ServerAddr> = cfg
        .url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|e: std::io::Error| NatsError::Unreachable {
            url: shown.clone(),
            reason: format!("not a NATS URL or list of URLs: {e}"),
        })?;
    match opts.connect(addrs).await {
        Ok(c) => Ok(c),
        Err(e) => {
            use async_nats::ConnectErrorKind as K;
            // Keep the URL's password out of the reason too, should the client quote it.
            let reason = e.to_string().replace(cfg.url.as_str(), &shown);
            Err(match e.kind() {
                K::Authentication | K::AuthorizationViolation => {
                    NatsError::Auth { url: shown, reason }
                }
                _ => NatsError::Unreachable { url: shown, reason },
            })
        }
    }
}
