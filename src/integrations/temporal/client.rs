//! The Temporal gRPC client: one connection (temporalio-client's `Connection`) and the raw
//! WorkflowService calls helios needs, turned into the plain values of `app::temporal::model`.

use std::collections::HashMap;
use std::time::Duration;

use temporalio_client::grpc::WorkflowService;
use temporalio_client::tonic::{Code, Request, Status};
use temporalio_client::{ClientTlsOptions, Connection, ConnectionOptions, TlsOptions, Url};
use temporalio_common::protos::temporal::api::common::v1::{
    Payload, Payloads, SearchAttributes, WorkflowExecution, WorkflowType,
};
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1 as ws;

use crate::app::temporal::model::{Poller, WfStatus, WorkflowDetail, WorkflowRow};
use crate::config::TemporalConfig;
use crate::integrations::temporal::convert;

/// The search attribute that ties a workflow to a lane.
pub const LANE_ATTRIBUTE: &str = "HeliosLane";

/// A Temporal call that failed, worded for users.
#[derive(Debug, thiserror::Error)]
pub enum TemporalError {
    /// Could not connect.
    #[error(
        "Temporal at {address} is unreachable: {reason} (start it there, or point helios at another with --temporal / TEMPORAL_ADDRESS)"
    )]
    Connect {
        /// host:port.
        address: String,
        /// What went wrong.
        reason: String,
    },
    /// A settings problem (a TLS file missing, a bad address).
    #[error("Temporal settings: {0}")]
    Settings(String),
    /// A call failed.
    #[error("Temporal at {address}: {what}: {message}")]
    Rpc {
        /// host:port.
        address: String,
        /// What helios was doing.
        what: String,
        /// gRPC status code.
        code: Code,
        /// The server's message.
        message: String,
    },
}

impl TemporalError {
    /// Whether the server said the workflow does not exist (or that run has ended).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Rpc {
                code: Code::NotFound,
                ..
            }
        )
    }

    /// Whether the connection itself is the problem (so the monitor should reconnect).
    pub fn is_transport(&self) -> bool {
        match self {
            Self::Connect { .. } => true,
            Self::Rpc { code, .. } => matches!(
                code,
                Code::Unavailable | Code::DeadlineExceeded | Code::Unknown | Code::Cancelled
            ),
            Self::Settings(_) => false,
        }
    }

    /// The server's own message, for "in place" display of a bad filter.
    pub fn server_message(&self) -> String {
        match self {
            Self::Rpc { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// A connected client for one namespace.
#[derive(Clone, Debug)]
pub struct TemporalClient {
    conn: Connection,
    /// host:port, for messages.
    pub address: String,
    /// The namespace every call uses.
    pub namespace: String,
    identity: String,
}

/// How long a connection attempt may take before the address counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl TemporalClient {
    /// Connect with the CLI's conventions: plain gRPC unless TLS material or an API key is given.
    pub async fn connect(cfg: &TemporalConfig) -> Result<Self, TemporalError> {
        let use_tls = cfg.tls || cfg.tls_cert.is_some() || cfg.api_key.is_some();
        let scheme = if use_tls { "https" } else { "http" };
        let url = Url::parse(&format!("{scheme}://{}", cfg.address)).map_err(|e| {
            TemporalError::Settings(format!(
                "address {} is not HOST:PORT: {e}",
                crate::text::quote(&cfg.address)
            ))
        })?;
        let tls = if use_tls {
            Some(tls_options(cfg)?)
        } else {
            None
        };
        let identity = format!(
            "helios@{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into())
        );
        let opts = ConnectionOptions::new(url)
            .identity(identity.clone())
            .maybe_tls_options(tls)
            .maybe_api_key(cfg.api_key.clone())
            .connect_timeout(CONNECT_TIMEOUT)
            .dns_load_balancing(None)
            .build();
        let conn = tokio::time::timeout(CONNECT_TIMEOUT * 2, Connection::connect(opts))
            .await
            .map_err(|_| TemporalError::Connect {
                address: cfg.address.clone(),
                reason: "no answer within 6 s".into(),
            })?
            .map_err(|e| TemporalError::Connect {
                address: cfg.address.clone(),
                reason: connect_reason(&e.to_string()),
            })?;
        Ok(Self {
            conn,
            address: cfg.address.clone(),
            namespace: cfg.namespace.clone(),
            identity,
        })
    }

    fn svc(&self) -> Box<dyn WorkflowService> {
        self.conn.workflow_service()
    }

    fn err(&self, what: &str, s: &Status) -> TemporalError {
        TemporalError::Rpc {
            address: self.address.clone(),
            what: what.to_string(),
            code: s.code(),
            message: s.message().to_string(),
        }
    }

    /// The server version.
    pub async fn server_version(&self) -> Result<String, TemporalError> {
        let r = self
            .svc()
            .get_system_info(Request::new(ws::GetSystemInfoRequest::default()))
            .await
            .map_err(|s| self.err("reading the server version", &s))?;
        Ok(r.into_inner().server_version)
    }

    /// The namespace's state (`Registered`, `Deprecated`, `Deleted`).
    pub async fn namespace_state(&self) -> Result<String, TemporalError> {
        let r = self
            .svc()
            .describe_namespace(Request::new(ws::DescribeNamespaceRequest {
                namespace: self.namespace.clone(),
                ..Default::default()
            }))
            .await
            .map_err(|s| {
                self.err(
                    &format!("namespace {}", crate::text::quote(&self.namespace)),
                    &s,
                )
            })?;
        let state = r.into_inner().namespace_info.map_or(0, |i| i.state);
        Ok(match state {
            1 => "Registered",
            2 => "Deprecated",
            3 => "Deleted",
            _ => "Unknown",
        }
        .to_string())
    }

    /// Whether the `HeliosLane` search attribute is registered in the namespace.
    pub async fn has_lane_attribute(&self) -> Result<bool, TemporalError> {
        let r = self
            .svc()
            .get_search_attributes(Request::new(ws::GetSearchAttributesRequest {}))
            .await
            .map_err(|s| self.err("reading search attributes", &s))?;
        Ok(r.into_inner().keys.contains_key(LANE_ATTRIBUTE))
    }

    /// Total and counts per status, from one `GROUP BY ExecutionStatus` count query.
    pub async fn counts(&self) -> Result<(u64, Vec<(WfStatus, u64)>), TemporalError> {
        let r = self
            .svc()
            .count_workflow_executions(Request::new(ws::CountWorkflowExecutionsRequest {
                namespace: self.namespace.clone(),
                query: "GROUP BY ExecutionStatus".into(),
            }))
            .await
            .map_err(|s| self.err("counting workflows", &s))?
            .into_inner();
        let mut counts: Vec<(WfStatus, u64)> = r
            .groups
            .iter()
            .map(|g| {
                let name = g
                    .group_values
                    .first()
                    .and_then(convert::payload_string)
                    .unwrap_or_default();
                (
                    WfStatus::from_name(&name),
                    u64::try_from(g.count).unwrap_or(0),
                )
            })
            .collect();
        counts.sort();
        Ok((u64::try_from(r.count).unwrap_or(0), counts))
    }

    /// One page of workflows matching `query`; returns the rows and the next page token.
    pub async fn list(
        &self,
        query: &str,
        page_size: u32,
        token: Vec<u8>,
    ) -> Result<(Vec<WorkflowRow>, Vec<u8>), TemporalError> {
        let r = self
            .svc()
            .list_workflow_executions(Request::new(ws::ListWorkflowExecutionsRequest {
                namespace: self.namespace.clone(),
                page_size: i32::try_from(page_size).unwrap_or(1000),
                next_page_token: token,
                query: query.to_string(),
            }))
            .await
            .map_err(|s| self.err("listing workflows", &s))?
            .into_inner();
        let rows = r.executions.iter().map(convert::row).collect();
        Ok((rows, r.next_page_token))
    }

    /// The pollers of a workflow task queue.
    pub async fn pollers(&self, queue: &str) -> Result<Vec<Poller>, TemporalError> {
        let r = self
            .svc()
            .describe_task_queue(Request::new(ws::DescribeTaskQueueRequest {
                namespace: self.namespace.clone(),
                task_queue: Some(TaskQueue {
                    name: queue.to_string(),
                    kind: 1,
                    ..Default::default()
                }),
                task_queue_type: 1,
                ..Default::default()
            }))
            .await
            .map_err(|s| self.err(&format!("task queue {queue}"), &s))?
            .into_inner();
        Ok(r.pollers.iter().map(convert::poller).collect())
    }

    /// The current run of a workflow, as a table row (one cheap call, no history).
    pub async fn current(&self, id: &str) -> Result<WorkflowRow, TemporalError> {
        let r = self
            .svc()
            .describe_workflow_execution(Request::new(ws::DescribeWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                execution: Some(execution(id, None)),
            }))
            .await
            .map_err(|s| self.err(&format!("workflow {id}"), &s))?
            .into_inner();
        Ok(convert::detail(&r).row)
    }

    /// Describe the current run of each distinct workflow id among `rows` (with
    /// `running_only`, of the running rows only; eight calls at a time) and put what the list
    /// cannot know into the rows of those runs: the visibility store behind `list` writes a
    /// run's history length only when the run closes, so a running row lists 0. Returns each
    /// described id's current run id; ids deleted since the list are left out.
    pub async fn fill_live(
        &self,
        rows: &mut [WorkflowRow],
        running_only: bool,
    ) -> Result<HashMap<String, String>, TemporalError> {
        let mut ids: Vec<String> = rows
            .iter()
            .filter(|r| !running_only || r.status == WfStatus::Running)
            .map(|r| r.id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut described = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(8) {
            described
                .extend(futures::future::join_all(chunk.iter().map(|id| self.current(id))).await);
        }
        let mut current = HashMap::new();
        for d in described {
            match d {
                Ok(live) => {
                    for r in rows.iter_mut().filter(|r| r.run_id == live.run_id) {
                        r.history_length = live.history_length;
                    }
                    current.insert(live.id, live.run_id);
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(current)
    }

    /// The current run of a workflow (or the given run): row, pending activities and children.
    pub async fn describe(
        &self,
        id: &str,
        run_id: Option<&str>,
    ) -> Result<WorkflowDetail, TemporalError> {
        let r = self
            .svc()
            .describe_workflow_execution(Request::new(ws::DescribeWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                execution: Some(execution(id, run_id)),
            }))
            .await
            .map_err(|s| self.err(&format!("workflow {id}"), &s))?
            .into_inner();
        let mut detail = convert::detail(&r);
        let events = self
            .recent_history(id, Some(&detail.row.run_id), 20)
            .await?;
        detail.failure = events.iter().find_map(convert::event_failure);
        detail.recent_events = events.iter().map(convert::history_line).collect();
        Ok(detail)
    }

    /// The newest `n` history events of a run, newest first (one page: huge histories stay cheap).
    pub async fn recent_history(
        &self,
        id: &str,
        run_id: Option<&str>,
        n: i32,
    ) -> Result<Vec<convert::HistoryEvent>, TemporalError> {
        let r = self
            .svc()
            .get_workflow_execution_history_reverse(Request::new(
                ws::GetWorkflowExecutionHistoryReverseRequest {
                    namespace: self.namespace.clone(),
                    execution: Some(execution(id, run_id)),
                    maximum_page_size: n,
                    next_page_token: Vec::new(),
                },
            ))
            .await
            .map_err(|s| self.err(&format!("history of {id}"), &s))?
            .into_inner();
        Ok(r.history.map(|h| h.events).unwrap_or_default())
    }

    /// The id of the last completed workflow task event of a run, the reset point.
    pub async fn last_workflow_task(
        &self,
        id: &str,
        run_id: &str,
    ) -> Result<Option<i64>, TemporalError> {
        let mut token = Vec::new();
        loop {
            let r = self
                .svc()
                .get_workflow_execution_history_reverse(Request::new(
                    ws::GetWorkflowExecutionHistoryReverseRequest {
                        namespace: self.namespace.clone(),
                        execution: Some(execution(id, Some(run_id))),
                        maximum_page_size: 200,
                        next_page_token: token,
                    },
                ))
                .await
                .map_err(|s| self.err(&format!("history of {id}"), &s))?
                .into_inner();
            let events = r.history.map(|h| h.events).unwrap_or_default();
            // 6 = EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            if let Some(e) = events.iter().find(|e| e.event_type == 6) {
                return Ok(Some(e.event_id));
            }
            if r.next_page_token.is_empty() {
                return Ok(None);
            }
            token = r.next_page_token;
        }
    }

    /// Send a signal to a run.
    pub async fn signal(
        &self,
        id: &str,
        run_id: &str,
        name: &str,
        input: Option<&str>,
        request_id: &str,
    ) -> Result<(), TemporalError> {
        let input = input.map(|j| Payloads {
            payloads: vec![json_payload(j.as_bytes().to_vec())],
        });
        self.svc()
            .signal_workflow_execution(Request::new(ws::SignalWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                workflow_execution: Some(execution(id, Some(run_id))),
                signal_name: name.to_string(),
                input,
                identity: self.identity.clone(),
                request_id: request_id.to_string(),
                ..Default::default()
            }))
            .await
            .map_err(|s| self.err(&format!("signalling {id}"), &s))?;
        Ok(())
    }

    /// Request cancellation of a run.
    pub async fn cancel(
        &self,
        id: &str,
        run_id: &str,
        request_id: &str,
    ) -> Result<(), TemporalError> {
        self.svc()
            .request_cancel_workflow_execution(Request::new(
                ws::RequestCancelWorkflowExecutionRequest {
                    namespace: self.namespace.clone(),
                    workflow_execution: Some(execution(id, Some(run_id))),
                    identity: self.identity.clone(),
                    request_id: request_id.to_string(),
                    reason: "cancelled from helios".into(),
                    ..Default::default()
                },
            ))
            .await
            .map_err(|s| self.err(&format!("cancelling {id}"), &s))?;
        Ok(())
    }

    /// Terminate a run.
    pub async fn terminate(
        &self,
        id: &str,
        run_id: &str,
        reason: &str,
    ) -> Result<(), TemporalError> {
        self.svc()
            .terminate_workflow_execution(Request::new(ws::TerminateWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                workflow_execution: Some(execution(id, Some(run_id))),
                reason: reason.to_string(),
                identity: self.identity.clone(),
                ..Default::default()
            }))
            .await
            .map_err(|s| self.err(&format!("terminating {id}"), &s))?;
        Ok(())
    }

    /// Reset a run to the workflow task that finished at `event_id`; returns the new run id.
    pub async fn reset(
        &self,
        id: &str,
        run_id: &str,
        event_id: i64,
        reason: &str,
        request_id: &str,
    ) -> Result<String, TemporalError> {
        let r = self
            .svc()
            .reset_workflow_execution(Request::new(ws::ResetWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                workflow_execution: Some(execution(id, Some(run_id))),
                reason: reason.to_string(),
                workflow_task_finish_event_id: event_id,
                request_id: request_id.to_string(),
                identity: self.identity.clone(),
                ..Default::default()
            }))
            .await
            .map_err(|s| self.err(&format!("resetting {id}"), &s))?;
        Ok(r.into_inner().run_id)
    }

    /// Start a workflow with no input; returns the run id.
    pub async fn start(
        &self,
        id: &str,
        workflow_type: &str,
        queue: &str,
        lane: Option<&str>,
    ) -> Result<String, TemporalError> {
        let search_attributes = lane.map(|l| SearchAttributes {
            indexed_fields: HashMap::from([(
                LANE_ATTRIBUTE.to_string(),
                json_payload(serde_json::Value::from(l).to_string().into_bytes()),
            )]),
        });
        let r = self
            .svc()
            .start_workflow_execution(Request::new(ws::StartWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                workflow_id: id.to_string(),
                workflow_type: Some(WorkflowType {
                    name: workflow_type.to_string(),
                }),
                task_queue: Some(TaskQueue {
                    name: queue.to_string(),
                    kind: 1,
                    ..Default::default()
                }),
                identity: self.identity.clone(),
                request_id: ulid::Ulid::new().to_string(),
                search_attributes,
                ..Default::default()
            }))
            .await
            .map_err(|s| self.err(&format!("starting {workflow_type} {id}"), &s))?;
        Ok(r.into_inner().run_id)
    }
}

fn execution(id: &str, run_id: Option<&str>) -> WorkflowExecution {
    WorkflowExecution {
        workflow_id: id.to_string(),
        run_id: run_id.unwrap_or_default().to_string(),
    }
}

fn json_payload(data: Vec<u8>) -> Payload {
    Payload {
        metadata: HashMap::from([("encoding".to_string(), b"json/plain".to_vec())]),
        data,
        ..Default::default()
    }
}

fn read_pem(what: &str, path: Option<&String>) -> Result<Option<Vec<u8>>, TemporalError> {
    // Through the config reader: a path in a config file could name a device or a FIFO.
    path.map(|p| {
        crate::config::read::read_config_bytes(std::path::Path::new(p))
            .map_err(|e| TemporalError::Settings(format!("{what} {e}")))
    })
    .transpose()
}

fn tls_options(cfg: &TemporalConfig) -> Result<TlsOptions, TemporalError> {
    let cert = read_pem("TLS certificate", cfg.tls_cert.as_ref())?;
    let key = read_pem("TLS key", cfg.tls_key.as_ref())?;
    let client = match (cert, key) {
        (Some(c), Some(k)) => Some(
            ClientTlsOptions::builder()
                .client_cert(c)
                .client_private_key(k)
                .build(),
        ),
        (None, None) => None,
        _ => {
            return Err(TemporalError::Settings(
                "mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (or tls_cert and tls_key)"
                    .into(),
            ));
        }
    };
    Ok(TlsOptions::builder()
        .maybe_server_root_ca_cert(read_pem("TLS CA", cfg.tls_ca.as_ref())?)
        .maybe_domain(cfg.tls_server_name.clone())
        .maybe_client_tls_options(client)
        .build())
}

/// The useful part of a connect error (tonic nests "transport error" around the OS error).
fn connect_reason(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused".into()
    } else if lower.contains("certificate") || lower.contains("tls") {
        format!("TLS failed ({text}); check the certificate, key and CA, and their expiry")
    } else {
        text.lines().next().unwrap_or(text).to_string()
    }
}
