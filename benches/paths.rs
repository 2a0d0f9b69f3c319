//! The ways into a tmux pane, timed against each other in one run: how long a key takes to
//! come back as its echo through each path helios could use for a par lane. Issue 16 asks
//! whether a path that skips tmux's attach client (the pane's output through `pipe-pane -O`,
//! keys through `pipe-pane -I`) would be faster than the client; this measures that path at its
//! best (one relay process, a thread per direction, nothing parsed) beside the client, and a
//! bare PTY as the floor. The pane runs `cat`: the kernel's line discipline echoes, so what is
//! measured is the path, not a program.
//!
//! `cargo bench --bench paths` (`PATHS_SAMPLES`, default 300 per path, taken in alternating
//! rounds; `PATHS_FLOOD=24` sessions flooding behind at `PATHS_RATE` bytes a second, see
//! `main` for the rest). Nothing leaves this machine: a tmux server on a socket in a temporary
//! directory.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// A path under test: where keys go, and where their echoes arrive (stamped on arrival).
struct Way {
    name: &'static str,
    keys: Box<dyn Write + Send>,
    echoes: mpsc::Receiver<(Instant, Vec<u8>)>,
    scan: Scan,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--relay") => return relay(Path::new(&args[2])),
        Some("--flood") => flood(args[2].parse()?),
        _ => {}
    }
    // `cargo test --all-targets` runs bench binaries too: only `cargo bench` measures (and a
    // filter other than ours means "not me").
    if !args.iter().any(|a| a == "--bench")
        || args
            .iter()
            .skip(1)
            .any(|a| !a.starts_with('-') && a != "paths")
    {
        return Ok(());
    }
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let samples = usize::try_from(number("PATHS_SAMPLES", 300))?;
    let (floods, rate) = (number("PATHS_FLOOD", 0), number("PATHS_RATE", 2_000_000));
    // What helios's pipe mode adds to tmux's work for lanes behind: a pipe each (`PATHS_PIPED`,
    // 1), and seeds (`PATHS_SEEDS` a second: `display-message` and `capture-pane` of a flooding
    // lane, as pty/feed.rs asks tmux for a stale lane, at most once a second each).
    let (piped_floods, seeds) = (number("PATHS_PIPED", 1) == 1, number("PATHS_SEEDS", 0));
    let dir = tempfile::tempdir()?;
    let socket = dir.path().join("tmux.sock");
    let tmux = |args: &[&str]| -> Result<()> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .context("running tmux")?;
        if !out.status.success() {
            bail!("tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    for s in ["attached", "piped"] {
        tmux(&[
            "new-session",
            "-d",
            "-s",
            s,
            "-x",
            "80",
            "-y",
            "24",
            "stty -echoctl; exec cat",
        ])?;
    }
    // Lanes flooding behind, as par lanes in helios's pipe mode: sessions no client shows,
    // their output piped (to a reader that drops it, as a tap behind does).
    let exe = shell_words::quote(&std::env::current_exe()?.display().to_string()).into_owned();
    for i in 0..floods {
        let s = format!("flood{i}");
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &s,
            "-x",
            "80",
            "-y",
            "24",
            &format!("exec {exe} --flood {rate}"),
        ])?;
        if piped_floods {
            tmux(&["pipe-pane", "-O", "-t", &s, "exec cat >/dev/null"])?;
        }
    }
    let seeding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(floods > 0 && seeds > 0));
    let seeder = {
        let (seeding, socket) = (seeding.clone(), socket.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while seeding.load(std::sync::atomic::Ordering::Relaxed) {
                let target = format!("flood{}", n % floods);
                let _ = Command::new("tmux")
                    .arg("-S")
                    .arg(&socket)
                    .args([
                        "display-message",
                        "-p",
                        "-t",
                        &target,
                        "#{pane_id} #{cursor_x}",
                    ])
                    .args([";", "capture-pane", "-p", "-e", "-t", &target])
                    .output();
                n += 1;
                std::thread::sleep(
                    Duration::from_secs(1) / u32::try_from(seeds.max(1)).unwrap_or(1),
                );
            }
        })
    };
    let mut paths = [bare()?, attached(&socket)?, piped(dir.path(), &tmux)?];
    // Let each path settle (the client's first frame, the relay's connection).
    std::thread::sleep(Duration::from_millis(500));
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); paths.len()];
    let rounds = 6;
    for round in 0..rounds {
        for (p, t) in paths.iter_mut().zip(&mut times) {
            for i in 0..samples.div_ceil(rounds) {
                t.push(echo(p, round * 1000 + i)?);
            }
        }
    }
    seeding.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = seeder.join();
    let _ = tmux(&["kill-server"]);
    println!(
        "echo through each path into a tmux pane running cat ({} samples each, {floods} \
         sessions flooding at {rate} B/s behind, {} piped, {seeds} seeds a second):",
        times[0].len(),
        if piped_floods { "each" } else { "none" },
    );
    println!("| path | p50 ms | p90 ms | p99 ms | p50 / p99 vs the attach client |");
    println!("|---|---|---|---|---|");
    let base = (
        quantile(&mut times[1].clone(), 0.5),
        quantile(&mut times[1].clone(), 0.99),
    );
    for (p, t) in paths.iter().zip(&mut times) {
        let (p50, p90, p99) = (quantile(t, 0.5), quantile(t, 0.9), quantile(t, 0.99));
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3}x / {:.3}x |",
            p.name,
            ms(p50),
            ms(p90),
            ms(p99),
            p50.as_secs_f64() / base.0.as_secs_f64(),
            p99.as_secs_f64() / base.1.as_secs_f64()
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantile(t: &mut [Duration], q: f64) -> Duration {
    t.sort();
    let at = ((t.len() as f64 * q) as usize).min(t.len() - 1);
    t[at]
}

/// Type one character and wait for it to come back; every 40th key is ^U, so the line never
/// fills (its echo is not timed).
fn echo(p: &mut Way, i: usize) -> Result<Duration> {
    // Drain what came after the last echo (tmux's cursor moves, ^U's erasing).
    std::thread::sleep(Duration::from_millis(3));
    while p.echoes.try_recv().is_ok() {}
    if i % 40 == 39 {
        p.keys.write_all(b"\x15")?;
        p.keys.flush()?;
        std::thread::sleep(Duration::from_millis(10));
        while p.echoes.try_recv().is_ok() {}
    }
    let ch = b"uvwxyz"[i % 6];
    p.scan = Scan::default();
    let start = Instant::now();
    p.keys.write_all(&[ch])?;
    p.keys.flush()?;
    loop {
        let (at, bytes) = p
            .echoes
            .recv_timeout(Duration::from_secs(5))
            .with_context(|| format!("{}: no echo in 5 s", p.name))?;
        if bytes.iter().any(|&b| p.scan.text(b) == Some(ch)) {
            return Ok(at - start);
        }
    }
}

/// Text bytes outside escape sequences (tmux's output has letters in its CSI sequences).
#[derive(Default)]
enum Scan {
    #[default]
    Ground,
    Esc,
    Csi,
    Osc,
}

impl Scan {
    fn text(&mut self, b: u8) -> Option<u8> {
        *self = match (&*self, b) {
            (_, 0x1b) => Self::Esc,
            (Self::Ground, _) => return Some(b),
            (Self::Esc, b'[') => Self::Csi,
            (Self::Esc, b']') => Self::Osc,
            (Self::Csi, 0x40..=0x7e) | (Self::Osc, 0x07) | (Self::Esc, _) => Self::Ground,
            (Self::Csi | Self::Osc, _) => return None,
        };
        None
    }
}

/// Stamp each chunk read from `r` as it arrives.
fn reader(mut r: Box<dyn Read + Send>) -> mpsc::Receiver<(Instant, Vec<u8>)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                return;
            }
        }
    });
    rx
}

/// A program on a PTY of this process: `cat`, the floor of any path.
fn bare() -> Result<Way> {
    on_pty("a bare PTY (the floor)", CommandBuilder::new("cat"))
}

/// tmux's attach client on a PTY of this process: how helios reaches a par lane in front.
fn attached(socket: &Path) -> Result<Way> {
    let mut cmd = CommandBuilder::new("tmux");
    cmd.arg("-S");
    cmd.arg(socket);
    cmd.args(["attach", "-t", "attached"]);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("TMUX");
    on_pty("tmux attach client", cmd)
}

fn on_pty(name: &'static str, cmd: CommandBuilder) -> Result<Way> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 25,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let child = pair
        .slave
        .spawn_command(cmd)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The child lives as long as the bench (its PTY closes at exit).
    std::mem::forget(child);
    let echoes = reader(
        pair.master
            .try_clone_reader()
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let keys = pair
        .master
        .take_writer()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::mem::forget(pair.master);
    Ok(Way {
        name,
        keys,
        echoes,
        scan: Scan::default(),
    })
}

/// `pipe-pane -IO` into a relay (this binary, `--relay`): the pane's output to a Unix socket,
/// and what the socket sends typed into the pane; no tmux client.
fn piped(dir: &Path, tmux: &dyn Fn(&[&str]) -> Result<()>) -> Result<Way> {
    let socket = dir.join("relay.sock");
    let exe = std::env::current_exe()?;
    let command = format!(
        "exec {} --relay {}",
        shell_words::quote(&exe.display().to_string()),
        shell_words::quote(&socket.display().to_string())
    );
    tmux(&["pipe-pane", "-IO", "-t", "piped", &command])?;
    let started = Instant::now();
    let stream = loop {
        match UnixStream::connect(&socket) {
            Ok(s) => break s,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => bail!("the relay at {} did not start: {e}", socket.display()),
        }
    };
    Ok(Way {
        name: "pipe-pane -IO relay",
        echoes: reader(Box::new(stream.try_clone()?)),
        keys: Box::new(stream),
        scan: Scan::default(),
    })
}

/// The relay tmux runs: stdin (the pane's output) to the one console that connects, and what
/// that console sends to stdout (typed into the pane), a thread each way.
fn relay(socket: &Path) -> Result<()> {
    let listener = UnixListener::bind(socket)?;
    let (stream, _) = listener.accept()?;
    let mut to_console = stream.try_clone()?;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut to_console);
    });
    // Flushed after each read: Rust's stdout holds a line back until its newline.
    let (mut from_console, mut out) = (stream, std::io::stdout().lock());
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = from_console.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n])?;
        out.flush()?;
    }
}

/// A flooding lane: lines of text at `rate` bytes a second, in 10 ms slices, until tmux closes
/// the pane (the write fails).
fn flood(rate: usize) -> ! {
    let line: Vec<u8> = (0..79u8).map(|i| b'!' + i % 90).chain([b'\n']).collect();
    let slice: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take((rate / 100).max(1))
        .collect();
    let mut out = std::io::stdout().lock();
    let mut next = Instant::now();
    loop {
        if out.write_all(&slice).and_then(|()| out.flush()).is_err() {
            std::process::exit(0);
        }
        next += Duration::from_millis(10);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}
