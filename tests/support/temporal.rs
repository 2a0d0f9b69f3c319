//! The real Temporal dev server for tests: `temporal server start-dev --headless` on free loopback
//! ports with a temporary SQLite file and the `HeliosLane` search attribute, stopped on drop; and
//! helpers that drive the `temporal` CLI and the Python test worker.
//! Include with `#[path = "support/temporal.rs"] mod temporal_support;` next to `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{free_port, require, wait_until, wait_until_or};

/// A running dev server; killed (process group and all) when dropped.
pub struct DevServer {
    child: Child,
    /// gRPC port.
    pub port: u16,
    /// HTTP API port.
    pub http_port: u16,
    /// Holds the database file and the server log.
    pub dir: tempfile::TempDir,
}

impl DevServer {
    /// Start a dev server on a free port and wait until it answers.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Start a dev server on `port` and wait until it answers.
    pub fn start_on(port: u16) -> Self {
        let temporal = require("temporal");
        let dir = tempfile::tempdir().unwrap();
        let http_port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(temporal)
            .args(["server", "start-dev", "--headless", "--ip", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .args(["--http-port", &http_port.to_string()])
            .args(["--metrics-port", &free_port().to_string()])
            .arg("--db-filename")
            .arg(dir.path().join("temporal.db"))
            .args(["--search-attribute", "HeliosLane=Keyword"])
            .args(["--log-level", "error"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let srv = Self {
            child,
            port,
            http_port,
            dir,
        };
        // Ready means the `default` namespace is loaded by the services a start goes through:
        // a fresh dev server answers `workflow count` while a start still fails with NOT_FOUND
        // "Namespace default is not found". Describing a workflow that was never started takes
        // the same path (frontend, then history) and creates nothing: it says "workflow not
        // found" once the namespace is there.
        wait_until(
            "the Temporal dev server to load the default namespace",
            Duration::from_mins(1),
            || {
                let out = srv.cli(&["workflow", "describe", "-w", "helios-readiness-probe"]);
                let text = String::from_utf8_lossy(&out.stderr).to_lowercase()
                    + &String::from_utf8_lossy(&out.stdout).to_lowercase();
                text.contains("workflow not found") && !text.contains("namespace")
            },
        );
        srv
    }

    /// host:port of the frontend.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Run `temporal ARGS --address ADDR` and return its output.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(require("temporal"))
            .args(args)
            .args(["--address", &self.address()])
            .output()
            .unwrap()
    }

    /// Run the temporal CLI and fail the test when it fails.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "temporal {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `temporal workflow count --query Q`, as a number.
    pub fn count(&self, query: &str) -> u64 {
        let out = self.cli_ok(&["workflow", "count", "--query", query, "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["count"]
            .as_str()
            .map_or_else(|| v["count"].as_u64().unwrap_or(0), |s| s.parse().unwrap())
    }

    /// The current status of a workflow, like `WORKFLOW_EXECUTION_STATUS_RUNNING`.
    pub fn status(&self, id: &str) -> String {
        let out = self.cli_ok(&["workflow", "describe", "-w", id, "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["workflowExecutionInfo"]["status"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The current run id of a workflow.
    pub fn run_id(&self, id: &str) -> String {
        let out = self.cli_ok(&["workflow", "describe", "-w", id, "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["workflowExecutionInfo"]["execution"]["runId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The event types of a workflow's history, as the CLI prints them (JSON lines).
    pub fn history(&self, id: &str) -> String {
        self.cli_ok(&["workflow", "show", "-w", id, "-o", "json"])
    }

    /// Start a workflow with no worker behind its queue.
    pub fn start_idle(&self, id: &str, workflow_type: &str, queue: &str, extra: &[&str]) {
        let mut args = vec!["workflow", "start", "--type", workflow_type];
        args.extend(["--task-queue", queue, "--workflow-id", id]);
        args.extend(extra);
        self.cli_ok(&args);
    }

    /// Run the Python test worker (tests/fixtures/temporal/worker.py) with `args`.
    /// It is killed and the test fails when it has not exited within two minutes.
    pub fn python_worker(&self, args: &[&str]) -> String {
        let child = Command::new(python())
            .arg(worker_script())
            .arg(self.address())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `show` runs once, right before the timeout panic: it kills the worker and says what
        // it printed.
        let child = std::cell::RefCell::new(Some(child));
        wait_until_or(
            &format!("the Python test worker {args:?} to exit"),
            Duration::from_mins(2),
            || {
                child
                    .borrow_mut()
                    .as_mut()
                    .unwrap()
                    .try_wait()
                    .unwrap()
                    .is_some()
            },
            || {
                let mut c = child.borrow_mut().take().unwrap();
                let _ = c.kill();
                let out = c.wait_with_output().unwrap();
                format!(
                    "killed; it printed: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                )
            },
        );
        let child = child.into_inner().unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "the Python test worker {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python with the `temporalio` SDK (the test virtualenv's, via PATH); fails when missing.
pub fn python() -> PathBuf {
    let py = require("python3");
    let ok = Command::new(&py)
        .args(["-c", "import temporalio"])
        .status()
        .unwrap()
        .success();
    assert!(
        ok,
        "python3 on PATH has no `temporalio`: run the tests with scripts/test.sh (it installs the SDK into .venv)"
    );
    py
}

/// tests/fixtures/temporal/worker.py
pub fn worker_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/temporal/worker.py")
}
