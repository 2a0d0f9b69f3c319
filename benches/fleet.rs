//! Many machines at scale: 500 lanes on 4 hosts in the JetStream buckets of a real nats-server
//! on a loopback port, changing state at 50 changes a second in all, watched by the console's
//! own watch task (`integrations::fleet::watch::run`) and reducer. Run:
//! `cargo bench --bench fleet` (`cargo test --all-targets` only starts it, and it does nothing).
//!
//! Measured:
//! - first view: from starting the watch (connect, open the buckets, read both whole) to the
//!   console state holding all 500 lanes, plus the first frame drawn;
//! - change latency: from a host's `put` of a changed row to the console's state showing it
//!   (the watch's push, the event channel and the reducer), p50/p99 over every change;
//! - frame time with the 500 lanes in the list (single view; only the selected pane has a
//!   terminal), p50/p99, and the reducer's cost per change;
//! - opening a remote lane's connection: `ssh HOST true` through a real sshd on a loopback
//!   port with the console's default ControlMaster options, the first open (a new master
//!   connection) against the second and later ones (over the master), 20 of each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use helios::app::AppState;
use helios::app::event::Event;
use helios::app::fleet::FleetEvent;
use helios::app::state::RepoInfo;
use helios::config::theme::Theme;
use helios::model::fleet::{self, HostBeat, LaneRow};
use helios::pty::Screens;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const HOSTS: usize = 4;
const LANES_PER_HOST: usize = 125;
const CHANGES_PER_SEC: u64 = 50;
const SECONDS: u64 = 20;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nats-server with JetStream on a loopback port; killed in Drop.
struct Nats {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nats {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server on PATH (scripts/test.sh installs it in .venv)");
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn row(host: usize, lane: usize, reason: &str) -> LaneRow {
    let label = format!("agent-{lane:03}");
    LaneRow {
        host: format!("host-{host}"),
        repo: "app".into(),
        label: label.clone(),
        branch: Some(label.clone()),
        worktree: format!("/srv/app/{label}"),
        session: Some(format!("par-app-{label}")),
        status: "alive".into(),
        dirty: 0,
        base: Some("main".into()),
        ahead: 1,
        behind: 0,
        state: Some("working".into()),
        state_kind: None,
        state_since: Some("2026-12-02T10:00:00Z".into()),
        state_source: Some("hook:claude".into()),
        state_reason: Some(reason.to_string()),
        attach: None,
        updated: "2026-12-02T10:00:00Z".into(),
    }
}

fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("fleet: not run (use `cargo bench --bench fleet`)");
        return;
    }
    let nats = Nats::start();
    let url = format!("nats://127.0.0.1:{}", nats.port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(url));
    ssh_opens();
}

/// The ssh part of opening a remote lane, cold (first open: a new master connection) and warm
/// (over the master), each 20 times with the console's default ControlMaster options.
fn ssh_opens() {
    let sshd = sshd::Sshd::start("box-ssh");
    std::fs::create_dir_all(sshd.control_dir()).unwrap();
    let path = sshd.control_dir().join("%C");
    let ssh = |args: &[&str]| {
        let t = Instant::now();
        let out = Command::new("ssh")
            .arg("-F")
            .arg(&sshd.config)
            .args(["-o", "ControlMaster=auto", "-o"])
            .arg(format!("ControlPath={}", path.display()))
            .args(["-o", "ControlPersist=60"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh {args:?}: {out:?}\n{}",
            sshd.log()
        );
        t.elapsed()
    };
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        cold.push(ssh(&["box-ssh", "true"]));
        warm.push(ssh(&["box-ssh", "true"]));
        // Close the master, so the next open is a first one again.
        ssh(&["-O", "exit", "box-ssh"]);
    }
    cold.sort();
    warm.sort();
    println!(
        "fleet: ssh open, first (new connection) p50 {} max {}; second (ControlMaster) p50 {} max {}; ratio {:.2}x",
        ms(pct(&cold, 0.5)),
        ms(*cold.last().unwrap()),
        ms(pct(&warm, 0.5)),
        ms(*warm.last().unwrap()),
        pct(&warm, 0.5).as_secs_f64() / pct(&cold, 0.5).as_secs_f64()
    );
}

async fn run(url: String) {
    // The hosts: every row and a heartbeat written, as helios serve writes them.
    let client = async_nats::connect(&url).await.unwrap();
    let buckets = helios::integrations::fleet::open_or_create(&client, &url, 1)
        .await
        .unwrap();
    for h in 0..HOSTS {
        for l in 0..LANES_PER_HOST {
            let r = row(h, l, "start");
            let key = fleet::lane_key(&r.host, &r.repo, &r.label);
            buckets
                .lanes
                .put(key, serde_json::to_vec(&r).unwrap().into())
                .await
                .unwrap();
        }
    }
    let beat = |h: usize| HostBeat {
        host: format!("host-{h}"),
        at: now_text(),
        interval_secs: 5,
        lanes: LANES_PER_HOST,
        repos: vec!["app".into()],
        stopped: false,
    };
    for h in 0..HOSTS {
        buckets
            .hosts
            .put(
                fleet::token(&format!("host-{h}")),
                serde_json::to_vec(&beat(h)).unwrap().into(),
            )
            .await
            .unwrap();
    }

    // The console: its watch task, its reducer and its drawing.
    let mut state = AppState::new(
        RepoInfo {
            path: PathBuf::from("/tmp/app"),
            name: "app".into(),
        },
        Instant::now(),
    );
    state.fleet.expected = true;
    state.clock = Some(time::OffsetDateTime::now_utc());
    state.size = (160, 50);
    let theme = Theme::default();
    let screens = Screens::default();
    let mut term = Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 160, 50)),
        },
    )
    .unwrap();
    let cfg = helios::config::NatsConfig {
        url: url.clone(),
        ..Default::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let started = Instant::now();
    tokio::spawn(helios::integrations::fleet::watch::run(cfg, tx));
    loop {
        let Some(Event::Fleet(ev)) = rx.recv().await else {
            continue;
        };
        let loaded = matches!(ev, FleetEvent::Loaded { .. });
        helios::app::update::update(&mut state, Event::Fleet(ev));
        if loaded {
            break;
        }
    }
    let in_state = started.elapsed();
    term.draw(|f| helios::ui::render(f, &state, &theme, &screens))
        .unwrap();
    let first_view = started.elapsed();
    assert_eq!(state.lanes.len(), HOSTS * LANES_PER_HOST);
    println!(
        "fleet: {} lanes on {HOSTS} hosts; first view {} (in the state {}, first frame drawn)",
        state.lanes.len(),
        ms(first_view),
        ms(in_state)
    );

    // Changes: 50 a second in all, round robin over hosts and lanes, each naming its number.
    let sent = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<u64, Instant>::new()));
    let total = CHANGES_PER_SEC * SECONDS;
    let writer = {
        let sent = sent.clone();
        let lanes = buckets.lanes.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000 / CHANGES_PER_SEC));
            for n in 0..total {
                tick.tick().await;
                let (h, l) = ((n as usize) % HOSTS, (n as usize / HOSTS) % LANES_PER_HOST);
                let mut r = row(h, l, &format!("change-{n}"));
                r.state = Some(if n % 3 == 0 { "waiting" } else { "working" }.into());
                r.state_kind = (n % 3 == 0).then(|| "permission".into());
                let key = fleet::lane_key(&r.host, &r.repo, &r.label);
                sent.lock().unwrap().insert(n, Instant::now());
                lanes
                    .put(key, serde_json::to_vec(&r).unwrap().into())
                    .await
                    .unwrap();
            }
        })
    };
    let mut latencies = Vec::new();
    let mut reducer = Vec::new();
    let mut frames = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(SECONDS + 10);
    while latencies.len() < total as usize && Instant::now() < deadline {
        let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await else {
            break;
        };
        let Event::Fleet(ev) = ev else { continue };
        let n = match &ev {
            FleetEvent::Row { row: Some(r), .. } => r
                .state_reason
                .as_deref()
                .and_then(|s| s.strip_prefix("change-"))
                .and_then(|s| s.parse::<u64>().ok()),
            _ => None,
        };
        let t = Instant::now();
        helios::app::update::update(&mut state, Event::Fleet(ev));
        let done = Instant::now();
        reducer.push(done - t);
        if let Some(n) = n
            && let Some(at) = sent.lock().unwrap().get(&n)
        {
            latencies.push(done - *at);
        }
        let f = Instant::now();
        term.draw(|fr| helios::ui::render(fr, &state, &theme, &screens))
            .unwrap();
        frames.push(f.elapsed());
    }
    writer.await.unwrap();
    latencies.sort();
    reducer.sort();
    frames.sort();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "fleet: {} of {total} changes seen in the console state ({CHANGES_PER_SEC}/s for {SECONDS} s); load {}",
        latencies.len(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "fleet: change to console state p50 {} p99 {} max {}",
        ms(pct(&latencies, 0.5)),
        ms(pct(&latencies, 0.99)),
        ms(*latencies.last().unwrap())
    );
    println!(
        "fleet: reducer per change p50 {} p99 {}",
        ms(pct(&reducer, 0.5)),
        ms(pct(&reducer, 0.99))
    );
    println!(
        "fleet: frame with {} lanes in the list p50 {} p99 {}",
        state.lanes.len(),
        ms(pct(&frames, 0.5)),
        ms(pct(&frames, 0.99))
    );
    println!(
        "fleet: change to screen (state p99 + frame p99) {}",
        ms(pct(&latencies, 0.99) + pct(&frames, 0.99))
    );
}
