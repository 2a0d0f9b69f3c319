//! Real servers for the spine tests: nats-server with JetStream and a throwaway PostgreSQL 15
//! cluster, each on free loopback ports in a temp dir, stopped in Drop (also when a test fails).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{free_port, poll, require, wait_until, wait_until_or};

/// A running nats-server with JetStream.
pub struct NatsServer {
    /// Client port.
    pub port: u16,
    /// Monitoring port.
    pub monitor_port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    extra: Vec<String>,
}

fn port_open(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

impl NatsServer {
    /// Start one; `extra` are more server flags (like `--user u --pass p`).
    pub fn start(extra: &[&str]) -> Self {
        require("nats-server");
        let mut s = Self {
            port: free_port(),
            monitor_port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            extra: extra.iter().map(|s| (*s).to_string()).collect(),
        };
        // A port found free can be taken before the server binds it (by an outgoing
        // connection of a test running beside this one): the server then exits, and is
        // started again on other ports.
        for _ in 0..3 {
            if s.launch() {
                return s;
            }
            s.port = free_port();
            s.monitor_port = free_port();
        }
        panic!("nats-server exited on three pairs of ports: {}", s.log());
    }

    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// What the server logged (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nats.log")).unwrap_or_default()
    }

    /// The monitoring URL.
    pub fn monitor_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.monitor_port)
    }

    /// Stop it (SIGKILL, like a crash); its JetStream store stays for `restart`.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        wait_until("nats-server port to close", Duration::from_secs(10), || {
            !port_open(self.port)
        });
    }

    /// Start it again on the same ports and store.
    pub fn restart(&mut self) {
        assert!(self.launch(), "nats-server exited: {}", self.log());
    }

    /// Start the server; false when it exited before it listened (its log says why).
    fn launch(&mut self) -> bool {
        let log = std::fs::File::create(self.dir.path().join("nats.log")).unwrap();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-m", &self.monitor_port.to_string(), "-js", "-sd"])
            .arg(self.dir.path().join("js"))
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let (port, mon) = (self.port, self.monitor_port);
        let mut child = child;
        let mut exited = false;
        let log = self.dir.path().join("nats.log");
        wait_until_or(
            "nats-server to listen",
            Duration::from_secs(20),
            || {
                exited = matches!(child.try_wait(), Ok(Some(_)));
                exited || (port_open(port) && port_open(mon))
            },
            || std::fs::read_to_string(&log).unwrap_or_default(),
        );
        self.child = Some(child);
        !exited
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Where initdb and pg_ctl live (`HELIOS_PG_BIN`, set by scripts/test.sh, or Debian's path).
fn pg_bin() -> PathBuf {
    std::env::var_os("HELIOS_PG_BIN").map_or_else(
        || PathBuf::from("/usr/lib/postgresql/15/bin"),
        PathBuf::from,
    )
}

/// PostgreSQL refuses to run as root: as root, run it as the `postgres` OS user.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A throwaway PostgreSQL cluster run as the `postgres` OS user. Superuser `postgres`,
/// password `pw`; password auth over TCP.
pub struct PgCluster {
    /// TCP port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
}

fn as_postgres(program: &str) -> Command {
    if !is_root() {
        return Command::new(pg_bin().join(program));
    }
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--"]).arg(pg_bin().join(program));
    c
}

impl PgCluster {
    /// initdb and start a cluster.
    pub fn start() -> Self {
        let bin = pg_bin();
        assert!(
            bin.join("initdb").exists(),
            "PostgreSQL is not installed at {}: run scripts/test.sh, which installs it",
            bin.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("helios-pg")
            .tempdir()
            .unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "pw\n").unwrap();
        if is_root() {
            require("runuser");
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chown.success(), "chown of the PostgreSQL temp dir failed");
        }
        let out = as_postgres("initdb")
            .arg("-D")
            .arg(dir.path().join("data"))
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pw.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let c = Self {
            port: free_port(),
            dir,
        };
        c.pg_start();
        c
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &opts, "-l"])
            .arg(self.dir.path().join("pg.log"))
            .args(["-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("pg.log")).unwrap_or_default()
        );
    }

    /// Stop the server (fast shutdown).
    pub fn stop(&self) {
        let _ = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .output();
    }

    /// Start it again on the same port.
    pub fn restart(&self) {
        self.pg_start();
    }

    /// The superuser URL.
    pub fn url(&self) -> String {
        self.url_as("postgres", "pw")
    }

    /// A URL for another role.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// Run SQL as the superuser; returns every row's first column as text.
    pub fn query(&self, sql: &str) -> Vec<String> {
        let url = self.url();
        let sql = sql.to_string();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let rows = client.simple_query(&sql).await.unwrap();
                rows.into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some(r.get(0).unwrap_or("").to_string())
                        }
                        _ => None,
                    })
                    .collect()
            })
        })
        .join()
        .unwrap()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A 3-node nats-server cluster with JetStream, every node on loopback ports, each with its
/// own store; nodes can be killed one by one. Stopped in Drop.
pub struct NatsCluster {
    /// Client ports, one per node.
    pub ports: Vec<u16>,
    /// Monitoring ports.
    pub monitor_ports: Vec<u16>,
    dir: tempfile::TempDir,
    children: Vec<Option<Child>>,
}

impl NatsCluster {
    /// Start three nodes and wait until JetStream's meta group has a leader and all three.
    ///
    /// The ports come from `free_port`, which releases each port before nats-server binds it,
    /// so another test of the same binary can take one in between (a node then exits, or the
    /// routes never join). A start that does not form within 40 s is stopped and tried again
    /// on new ports, three times at most; the last failure shows every node's log.
    pub fn start() -> Self {
        require("nats-server");
        let mut failures = Vec::new();
        for attempt in 1..=3 {
            let mut c = Self::spawn();
            if poll(Duration::from_secs(40), || c.formed() || c.any_exited()) && c.formed() {
                return c;
            }
            let logs = (0..3)
                .map(|i| format!("--- n{i} ---\n{}", c.log(i)))
                .collect::<Vec<_>>()
                .join("\n");
            eprintln!("NATS cluster start {attempt} did not form; trying new ports\n{logs}");
            failures.push(logs);
        }
        panic!(
            "the NATS cluster's JetStream meta group (3 peers and a leader) did not form in \
             three starts on fresh ports; the last start's logs:\n{}",
            failures.last().map_or("", String::as_str)
        );
    }

    /// Three nodes on fresh loopback ports, routed to each other.
    fn spawn() -> Self {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let monitor_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let cluster: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes = cluster
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let dir = tempfile::tempdir().unwrap();
        let mut children = Vec::new();
        for i in 0..3 {
            let log = std::fs::File::create(dir.path().join(format!("n{i}.log"))).unwrap();
            let child = Command::new("nats-server")
                .args(["-a", "127.0.0.1", "-p", &ports[i].to_string()])
                .args(["-m", &monitor_ports[i].to_string()])
                .args(["--server_name", &format!("n{i}"), "--cluster_name", "c"])
                .args(["--cluster", &format!("nats://127.0.0.1:{}", cluster[i])])
                .args(["--routes", &routes, "-js", "-sd"])
                .arg(dir.path().join(format!("js{i}")))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            children.push(Some(child));
        }
        Self {
            ports,
            monitor_ports,
            dir,
            children,
        }
    }

    /// Every node reports a 3-peer meta group with a leader.
    fn formed(&self) -> bool {
        self.monitor_ports.iter().all(|m| {
            let j = http_get(*m, "/jsz");
            j.contains("\"cluster_size\": 3") && j.contains("\"leader\"")
        })
    }

    /// A node has exited (a port taken by someone else, say): this start cannot form.
    fn any_exited(&mut self) -> bool {
        self.children
            .iter_mut()
            .flatten()
            .any(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// A URL naming every node (the client picks one, and another when it is lost).
    pub fn url(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Kill node `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let port = self.ports[i];
        wait_until(
            "the killed node's port to close",
            Duration::from_secs(10),
            || !port_open(port),
        );
    }

    /// A node's log (for failure messages).
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("n{i}.log"))).unwrap_or_default()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for c in self.children.iter_mut().filter_map(Option::take) {
            let mut c = c;
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `GET path` from the monitoring port on 127.0.0.1: the body, or empty when nothing answers.
pub fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body
}
