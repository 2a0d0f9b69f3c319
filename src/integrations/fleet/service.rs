//! The host services: each `helios serve` answers requests to act on its lanes, on
//! `helios.svc.<host>.{new,rm,send}`, registered as the NATS service `helios` (so `$SRV.PING`,
//! `$SRV.INFO` and `nats micro ls` find every host). A console or the CLI asks with [`ask`].
//! Who may ask is the NATS server's decision (subject permissions; README "Many machines").

use std::collections::HashMap;
use std::time::Duration;

use async_nats::service::{self, ServiceExt as _};
use futures::StreamExt as _;
use futures::stream::BoxStream;

use crate::model::fleet::{self, LaneReply, LaneRequest, SERVICE_NAME};

/// The operations, as subject suffixes.
const OPS: [&str; 3] = ["new", "rm", "send"];

/// How long [`ask`] waits for a host: creating a lane runs `par start` and git there.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(30);

/// One request as the host sees it, with the way to answer it.
pub struct Incoming {
    /// What was asked (`Err`: a body that is not a request, with why).
    pub request: Result<LaneRequest, String>,
    raw: service::Request,
}

impl Incoming {
    /// Send the answer; a requester that has gone is logged.
    pub async fn answer(self, reply: &LaneReply) {
        let body = match serde_json::to_vec(reply) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("encoding a service answer: {e}");
                return;
            }
        };
        if let Err(e) = self.raw.respond(Ok(body.into())).await {
            tracing::warn!("answering a lane request: {e}");
        }
    }
}

/// Register `host`'s service; its requests, from every endpoint, as one stream. The service
/// lives as long as the returned `Service`.
pub async fn serve(
    client: &async_nats::Client,
    host: &str,
) -> Result<(service::Service, BoxStream<'static, Incoming>), String> {
    let svc = client
        .service_builder()
        .description("helios serve: act on this host's lanes")
        .metadata(HashMap::from([("host".to_string(), host.to_string())]))
        .start(SERVICE_NAME, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| format!("registering the NATS service {SERVICE_NAME}: {e}"))?;
    let mut streams = Vec::new();
    for op in OPS {
        let subject = fleet::service_subject(host, op);
        let ep = svc
            .endpoint_builder()
            .name(format!("lane_{op}"))
            .add(subject.clone())
            .await
            .map_err(|e| format!("listening on {subject}: {e}"))?;
        streams.push(ep.boxed());
    }
    let all = futures::stream::select_all(streams).map(|raw| Incoming {
        request: serde_json::from_slice::<LaneRequest>(&raw.message.payload)
            .map_err(|e| format!("not a lane request: {e}")),
        raw,
    });
    Ok((svc, all.boxed()))
}

/// Why a request got no answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AskError {
    /// The server refused the publish: this account may not act on that host.
    #[error(
        "NATS refused this account the request to {subject} ({reason}): acting on another host's lanes needs publish permission on helios.svc.> (see README, Many machines)"
    )]
    NotPermitted {
        /// The subject.
        subject: String,
        /// What the server said.
        reason: String,
    },
    /// Nothing listens: no `helios serve` runs for that host.
    #[error("no helios serve answers for host {host} ({subject}): is it running there?")]
    NoHost {
        /// The host.
        host: String,
        /// The subject.
        subject: String,
    },
    /// No answer in time.
    #[error("host {host} did not answer {subject} within {secs} s")]
    TimedOut {
        /// The host.
        host: String,
        /// The subject.
        subject: String,
        /// The wait.
        secs: u64,
    },
    /// Anything else.
    #[error("asking host {host}: {reason}")]
    Other {
        /// The host.
        host: String,
        /// What failed.
        reason: String,
    },
}

/// Ask `host`'s service to act; its answer. `server_errors` are the connection's server errors
/// (`spine::nats::connect_reporting`): a refused publish shows there, not as an answer.
pub async fn ask(
    client: &async_nats::Client,
    server_errors: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    host: &str,
    req: &LaneRequest,
    timeout: Duration,
) -> Result<LaneReply, AskError> {
    let subject = fleet::service_subject(host, req.op.name());
    let other = |reason: String| AskError::Other {
        host: host.to_string(),
        reason,
    };
    let body = serde_json::to_vec(req).map_err(|e| other(e.to_string()))?;
    let request = async_nats::Request::new()
        .payload(body.into())
        .timeout(Some(timeout));
    let asked = client.send_request(subject.clone(), request);
    tokio::pin!(asked);
    let answer = loop {
        tokio::select! {
            a = &mut asked => break a,
            Some(e) = server_errors.recv() => {
                if e.contains("Permissions Violation") && e.contains(&subject) {
                    return Err(AskError::NotPermitted { subject, reason: e });
                }
                tracing::warn!("NATS server error while asking {host}: {e}");
            }
        }
    };
    let msg = answer.map_err(|e| match e.kind() {
        async_nats::RequestErrorKind::NoResponders => AskError::NoHost {
            host: host.to_string(),
            subject: subject.clone(),
        },
        async_nats::RequestErrorKind::TimedOut => AskError::TimedOut {
            host: host.to_string(),
            subject: subject.clone(),
            secs: timeout.as_secs(),
        },
        _ => other(e.to_string()),
    })?;
    serde_json::from_slice::<LaneReply>(&msg.payload)
        .map_err(|e| other(format!("an answer helios cannot read: {e}")))
}
