//! Agent hooks: the wall time of `helios hook claude` as an agent runs it (a process per
//! call, the JSON on stdin), and the time from a hook call to the console's badge with 25
//! lanes whose agents fire 10 hook calls a second each. Run: `cargo bench --bench hooks`
//! (`cargo test --all-targets` only starts it, and it does nothing then).
//!
//! The lanes are plain git worktrees (no tmux needed) running `cat` as a stand-in agent; the
//! console runs in a PTY of its own (60 rows, so every lane's line is on screen) and a VT
//! parser reads what it draws.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const LANES: usize = 25;
const RATE_PER_LANE: u32 = 10;
const SECONDS: u64 = 10;
const CALLS: usize = 300;

fn helios() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_helios"))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct World {
    root: tempfile::TempDir,
    repo: PathBuf,
}

impl World {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        for d in ["state", "config", "data", "run", "home"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        std::fs::create_dir_all(&repo).unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(args)
                .envs(Self::env_of(root.path()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["commit", "-q", "--allow-empty", "-m", "init"]);
        for i in 0..LANES {
            let wt = root.path().join(format!("lanes/l{i:02}"));
            git(&[
                "worktree",
                "add",
                "-q",
                "-b",
                &format!("l{i:02}"),
                wt.to_str().unwrap(),
            ]);
        }
        Self { root, repo }
    }

    fn env_of(root: &Path) -> Vec<(String, String)> {
        let p = |d: &str| root.join(d).display().to_string();
        vec![
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_RUNTIME_DIR".into(), p("run")),
            ("HOME".into(), p("home")),
            ("GIT_AUTHOR_NAME".into(), "b".into()),
            ("GIT_AUTHOR_EMAIL".into(), "b@b".into()),
            ("GIT_COMMITTER_NAME".into(), "b".into()),
            ("GIT_COMMITTER_EMAIL".into(), "b@b".into()),
        ]
    }

    fn env(&self) -> Vec<(String, String)> {
        Self::env_of(self.root.path())
    }

    fn lane(&self, i: usize) -> PathBuf {
        self.root.path().join(format!("lanes/l{i:02}"))
    }
}

/// Hook calls that printed an error (the state was not recorded).
static FAILED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One `helios hook claude` call from lane `i`'s worktree; its wall time.
fn hook(world: &World, i: usize, reason: &str) -> Duration {
    let payload = format!(
        r#"{{"session_id":"s{i}","cwd":".","hook_event_name":"PermissionRequest","tool_name":"{reason}","tool_input":{{}}}}"#
    );
    let start = Instant::now();
    let mut child = Command::new(helios())
        .args(["hook", "claude"])
        .current_dir(world.lane(i))
        .envs(world.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success());
    if !out.stderr.is_empty() {
        let n = FAILED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n < 3 {
            eprintln!(
                "hook failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    took
}

fn wall_time(world: &World) {
    let mut t: Vec<Duration> = (0..CALLS).map(|n| hook(world, n % LANES, "Bash")).collect();
    t.sort();
    println!(
        "helios hook claude, wall time over {CALLS} calls: p50 {}  p99 {}  max {}",
        ms(pct(&t, 0.5)),
        ms(pct(&t, 0.99)),
        ms(t[t.len() - 1])
    );
}

fn badge_latency(world: &World) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 60,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(helios());
    cmd.cwd(&world.repo);
    for (k, v) in world.env() {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("TMUX");
    // Each lane runs a stand-in agent (`cat`, waiting on its input) instead of a shell: with a
    // shell in the foreground the console rightly says `shell`, whatever a hook said.
    cmd.env("SHELL", "/bin/cat");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let screen = Arc::new(Mutex::new(vt100_016::Parser::new(60, 200, 0)));
    let s = screen.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            s.lock().unwrap().process(&buf[..n]);
        }
    });
    let shows = |needle: &str| screen.lock().unwrap().screen().contents().contains(needle);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !shows("l24") {
        assert!(
            Instant::now() < deadline,
            "the console did not list the lanes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Each lane's agent fires RATE_PER_LANE hooks a second; every 10th call of lane 0 is
    // timed from its start until the console shows its reason.
    let stop = Instant::now() + Duration::from_secs(SECONDS);
    let worlds: Vec<_> = (1..LANES).collect();
    let mut samples = Vec::new();
    let mut missed = 0;
    let mut loaded_walls: Vec<Duration> = Vec::new();
    std::thread::scope(|scope| {
        let firing: Vec<_> = worlds
            .into_iter()
            .map(|i| {
                scope.spawn(move || {
                    let period = Duration::from_secs(1) / RATE_PER_LANE;
                    let mut n = 0u32;
                    let mut walls = Vec::new();
                    while Instant::now() < stop {
                        let t = Instant::now();
                        n += 1;
                        walls.push(hook(world, i, &format!("T{}", n % 2)));
                        if let Some(rest) = period.checked_sub(t.elapsed()) {
                            std::thread::sleep(rest);
                        }
                    }
                    walls
                })
            })
            .collect();
        let mut n = 0;
        while Instant::now() < stop {
            n += 1;
            let reason = format!("Q{n}");
            let t = Instant::now();
            hook(world, 0, &reason);
            let limit = Instant::now() + Duration::from_secs(5);
            while !shows(&reason) && Instant::now() < limit {
                std::thread::sleep(Duration::from_millis(1));
            }
            if shows(&reason) {
                samples.push(t.elapsed());
            } else {
                missed += 1;
            }
            let period = Duration::from_secs(1) / RATE_PER_LANE;
            std::thread::sleep(period);
        }
        for f in firing {
            loaded_walls.extend(f.join().unwrap());
        }
    });
    loaded_walls.sort();
    println!(
        "helios hook claude, wall time while the other 24 lanes fire: p50 {}  p99 {}  max {}  ({} calls in {SECONDS} s)",
        ms(pct(&loaded_walls, 0.5)),
        ms(pct(&loaded_walls, 0.99)),
        ms(loaded_walls[loaded_walls.len() - 1]),
        loaded_walls.len()
    );
    let _ = child.kill();
    samples.sort();
    if samples.is_empty() {
        println!("hook to badge: no sample (the console never showed the reason)");
        return;
    }
    println!(
        "hook to the console's badge, {LANES} lanes x {RATE_PER_LANE} hooks/s: p50 {}  p99 {}  ({} samples, {missed} not shown within 5 s, {} hook calls failed)",
        ms(pct(&samples, 0.5)),
        ms(pct(&samples, 0.99)),
        samples.len(),
        FAILED.load(std::sync::atomic::Ordering::Relaxed)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("hooks: not run (use `cargo bench --bench hooks`)");
        return;
    }
    let world = World::new();
    wall_time(&world);
    badge_latency(&world);
}
