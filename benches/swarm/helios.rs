//! helios under test: 25 real par lanes (par + tmux in the world's private tmux server), helios
//! in grid view on the driver's 250x80 PTY with the interactive lane focused; the same with
//! helios-owned lanes (git worktrees whose shells helios runs in its own PTYs, no tmux), with
//! `helios-owned` in SWARM_SYSTEMS; and a plain worktree lane for the `cat` test.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::driver::{self, Accounting};
use crate::stats::summarize;
use crate::term::{self, Term};
use crate::world::World;
use crate::{Config, Row};

/// Numbers each traced console's trace directory within a world.
static TRACES: AtomicUsize = AtomicUsize::new(0);

/// The release helios binary cargo built for this bench.
fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_helios"))
}

/// Another build of helios to measure on the same lanes in the same run (SWARM_HELIOS_BASE,
/// e.g. a copy of main's binary): an A/B of a change without two runs' noise between them.
fn base_bin() -> Option<PathBuf> {
    std::env::var_os("SWARM_HELIOS_BASE").map(PathBuf::from)
}

/// Lane labels: lane-00 is the interactive one and sorts first.
fn label(i: usize) -> String {
    format!("lane-{i:02}")
}

/// Create the par lanes and start their programs (generators idle until the go file exists).
fn setup(w: &World, cfg: &Config) -> Result<()> {
    let repo = w.path("repo");
    let t0 = Instant::now();
    for i in 0..cfg.lanes {
        let out = w
            .command("par")
            .current_dir(&repo)
            .args(["start", &label(i)])
            .output()
            .context("run par (install it: scripts/test.sh makes .venv with par-cli)")?;
        if !out.status.success() {
            bail!(
                "par start {}: {}",
                label(i),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    eprintln!(
        "swarm: {} par lanes in {:.1} s",
        cfg.lanes,
        t0.elapsed().as_secs_f64()
    );
    let go = w.path("go-helios");
    for i in 0..cfg.lanes {
        let s = &session(w, i)?;
        let cmd = if i == 0 {
            // `clear` first: the typed command line holds the prompt text too.
            format!("clear; exec {}", crate::probe_shell())
        } else {
            format!("clear; exec {}", crate::gen_command(&go, cfg.rate))
        };
        w.tmux("tmux-par", &["send-keys", "-t", s, "-l", &cmd])?;
        w.tmux("tmux-par", &["send-keys", "-t", s, "Enter"])?;
    }
    Ok(())
}

/// Which lanes helios shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lanes {
    /// par lanes in the world's par tmux server, read through tmux clients.
    Par,
    /// The `owned` repo's worktrees, each a shell helios runs in a PTY of its own.
    Owned,
}

fn spawn(w: &World, cfg: &Config, lanes: Lanes, bin: &Path, args: &[String]) -> Result<Term> {
    spawn_traced(w, cfg, lanes, bin, args, None)
}

/// [`spawn`], writing helios's echo trace to `trace` when given.
fn spawn_traced(
    w: &World,
    cfg: &Config,
    lanes: Lanes,
    bin: &Path,
    args: &[String],
    trace: Option<&Path>,
) -> Result<Term> {
    let mut cmd = w.pty_command(bin, "tmux-par");
    cmd.args(args);
    if let Some(dir) = trace {
        cmd.env("HELIOS_ECHO_TRACE", dir);
    }
    match lanes {
        Lanes::Par => cmd.cwd(w.path("repo")),
        Lanes::Owned => {
            cmd.cwd(owned_root(w).join(label(0)));
            cmd.env("SHELL", w.path("owned-shell"));
            cmd.env("PATH", path_without_par());
        }
    }
    Term::spawn(cmd, cfg.size.0, cfg.size.1)
}

/// PATH without the project's virtualenv, so par is not found and a repo's worktrees are lanes
/// whose shells helios owns.
fn path_without_par() -> String {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.contains(".venv"))
        .collect::<Vec<_>>()
        .join(":")
}

fn owned_root(w: &World) -> PathBuf {
    w.path("owned")
}

/// The `owned` repo: its main checkout `owned/lane-00` and worktrees `owned/lane-01`…, and the
/// shell helios starts in each: the probe shell in lane-00, a generator in the others.
fn setup_owned(w: &World, cfg: &Config) -> Result<()> {
    let main = format!("owned/{}", label(0));
    std::fs::create_dir_all(w.path(&main))?;
    w.git(&main, &["init", "-q", "-b", "main"])?;
    std::fs::write(w.path(&main).join("README.md"), "swarm bench\n")?;
    w.git(&main, &["add", "."])?;
    w.git(&main, &["commit", "-q", "-m", "init"])?;
    for i in 1..cfg.lanes {
        let to = format!("../{}", label(i));
        w.git(&main, &["worktree", "add", "-q", "-b", &label(i), &to])?;
    }
    let shell = w.path("owned-shell");
    std::fs::write(
        &shell,
        format!(
            "#!/bin/sh\ncase \"$(pwd -P)\" in\n  */{}) exec {} ;;\n  *) exec {} ;;\nesac\n",
            label(0),
            crate::probe_shell(),
            crate::gen_command(&w.path("go-owned"), cfg.rate)
        ),
    )?;
    std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(())
}

/// helios on owned lanes: start-ups and echoes, as for par lanes (and the base's, named).
pub fn run_owned(w: &World, cfg: &Config) -> Result<(Row, Vec<(String, Row)>)> {
    setup_owned(w, cfg)?;
    with_base(w, cfg, Lanes::Owned, "helios (owned lanes)")
}

/// The built helios measured on `lanes`, and the base build (SWARM_HELIOS_BASE) on the same
/// lanes in the same run, its row named `NAME (base: PATH)`. The base first: the first console
/// measured on fresh lanes has shown the worse idle tail (runs 69 and 71), and a change should
/// not be credited with that. SWARM_HELIOS_BASE_LAST measures it second, to see what the order
/// did.
fn with_base(
    w: &World,
    cfg: &Config,
    lanes: Lanes,
    name: &str,
) -> Result<(Row, Vec<(String, Row)>)> {
    let mut more = Vec::new();
    let base = base_bin().map(|b| (format!("{name} (base: {})", b.display()), b));
    let base_last = std::env::var_os("SWARM_HELIOS_BASE_LAST").is_some();
    if let Some((name, b)) = base.as_ref().filter(|_| !base_last) {
        more.push((name.clone(), measure(w, cfg, lanes, b, &[])?));
    }
    let row = measure(w, cfg, lanes, &bin(), &[])?;
    if let Some((name, b)) = base.as_ref().filter(|_| base_last) {
        more.push((name.clone(), measure(w, cfg, lanes, b, &[])?));
    }
    Ok((row, more))
}

/// Everything on the screen that says the first full frame is drawn: the labels of the first
/// 25 lanes and the interactive lane's prompt.
fn first_frame(cfg: &Config) -> term::Probe {
    // The lanes of the list's first screen: beyond 38 lanes at 80 rows the list scrolls.
    let mut needles: Vec<String> = (0..cfg.lanes.min(25)).map(label).collect();
    needles.push(driver::PROMPT.to_string());
    term::all_visible(needles)
}

/// Switch to the grid and focus the selected (interactive) lane, each step seen in the status
/// line's badge.
fn grid_and_focus(t: &mut Term) -> Result<()> {
    t.send(b"z")?;
    shows(t, " GRID ")?;
    t.send(b"\r")?;
    shows(t, " FOCUS ")
}

/// Wait until `text` is on helios's screen.
fn shows(t: &Term, text: &str) -> Result<()> {
    t.arm(term::all_visible(vec![text.to_string()]));
    if t.wait(Duration::from_secs(10)).is_none() {
        bail!(
            "helios did not show {text:?} within 10 s:\n{}",
            t.contents()
        );
    }
    Ok(())
}

/// Wait until every lane's program runs: the generators in their panes, and the probe shell's
/// prompt in lane-00's.
fn lanes_started(w: &World, cfg: &Config) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let panes = w.tmux(
            "tmux-par",
            &["list-panes", "-a", "-F", "#{pane_current_command}"],
        )?;
        let generators = panes.lines().filter(|c| c.starts_with("swarm")).count();
        let first = w.tmux("tmux-par", &["capture-pane", "-p", "-t", &session(w, 0)?])?;
        // capture-pane drops the prompt's trailing space.
        if generators + 1 >= cfg.lanes && first.contains(driver::PROMPT.trim_end()) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("after 30 s only {generators} generators ran, lane-00 shows:\n{first}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The tmux session of lane `i`.
fn session(w: &World, i: usize) -> Result<String> {
    let sessions = w.tmux("tmux-par", &["ls", "-F", "#{session_name}"])?;
    let suffix = format!("-{}", label(i));
    sessions
        .lines()
        .find(|s| s.ends_with(&suffix))
        .map(str::to_string)
        .with_context(|| format!("no tmux session for {} in {sessions:?}", label(i)))
}

/// The other ways of reading par lanes, by SWARM_SYSTEMS name: `[lanes] tmux_client` and the
/// row's name.
const MODES: [(&str, &str, &str); 2] = [
    ("helios-attach", "attach", "helios (attach clients)"),
    ("helios-control", "control", "helios (tmux -C)"),
];

/// All helios measurements: par lanes behind the focused one read through `pipe-pane` (the
/// default), and on the same lanes with each of [`MODES`] in SWARM_SYSTEMS (their rows, named).
pub fn run(w: &World, cfg: &Config) -> Result<(Row, Vec<(String, Row)>)> {
    setup(w, cfg)?;
    lanes_started(w, cfg)?;
    let (mut row, mut more) = with_base(w, cfg, Lanes::Par, "helios")?;
    for (system, mode, name) in MODES {
        if cfg.wants(system) {
            let conf = w.path(&format!("{mode}.toml"));
            std::fs::write(&conf, format!("[lanes]\ntmux_client = \"{mode}\"\n"))?;
            let args = ["--config".to_string(), conf.display().to_string()];
            more.push((
                name.to_string(),
                measure(w, cfg, Lanes::Par, &bin(), &args)?,
            ));
        }
    }
    let _ = w.tmux("tmux-par", &["kill-server"]);
    row.cat = Some(summarize(&cat(w, cfg)?));
    Ok((row, more))
}

/// Wait until the last helios's lane processes have gone, so start-ups do not overlap.
fn gone(w: &World, lanes: Lanes) -> Result<()> {
    match lanes {
        Lanes::Par => clients_gone(w),
        Lanes::Owned => generators_gone(w),
    }
}

/// Wait until the owned lanes' generators have exited (their terminal, helios, is gone).
fn generators_gone(w: &World) -> Result<()> {
    let go = w.path("go-owned").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !crate::procs::find_cmdline(&go).is_empty() {
        if Instant::now() > deadline {
            bail!("owned lanes' generators still ran 10 s after helios quit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Wait until every owned lane but the interactive one runs its generator.
fn generators_started(w: &World, cfg: &Config) -> Result<()> {
    let go = w.path("go-owned").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = crate::procs::find_cmdline(&go).len();
        if n + 1 >= cfg.lanes {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("after 30 s only {n} of the owned lanes' generators ran");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until the last helios's tmux clients have gone, so start-ups do not overlap.
fn clients_gone(w: &World) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !w.tmux("tmux-par", &["list-clients"])?.trim().is_empty() {
        if Instant::now() > deadline {
            bail!("helios's tmux clients were still attached 10 s after it quit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The taps tmux runs on the par lanes' output: the server's children running `osc-tap`.
fn taps(server: u32) -> Vec<u32> {
    crate::procs::children(server)
        .into_iter()
        .filter(|p| crate::procs::cmdline(*p).get(1).map(String::as_str) == Some("osc-tap"))
        .collect()
}

/// Close every par lane's pipe and wait for its tap to exit. A console keeps a pane's pipe
/// when one is there (tmux_pane.rs), so without this every console after the first would run
/// on the first one's taps: another build's taps in an A/B, and a start-up without the taps'.
fn unpipe(w: &World) -> Result<()> {
    let server: u32 = w
        .tmux("tmux-par", &["display", "-p", "#{pid}"])?
        .trim()
        .parse()?;
    for pane in w
        .tmux("tmux-par", &["list-panes", "-a", "-F", "#{pane_id}"])?
        .lines()
    {
        // `pipe-pane` without a command closes the pane's pipe.
        w.tmux("tmux-par", &["pipe-pane", "-t", pane])?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = taps(server).len();
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{left} taps still ran 10 s after their pipes were closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Start-ups and echoes of the helios at `bin` started with `args` on the world's par or owned
/// lanes; on par lanes, with taps of its own.
fn measure(w: &World, cfg: &Config, lanes: Lanes, bin: &Path, args: &[String]) -> Result<Row> {
    if lanes == Lanes::Par {
        unpipe(w)?;
    }
    let mut startups = Vec::new();
    for _ in 0..cfg.startups {
        let t0 = Instant::now();
        let t = spawn(w, cfg, lanes, bin, args)?;
        t.arm(first_frame(cfg));
        match t.wait(Duration::from_secs(30)) {
            Some(at) => startups.push(at - t0),
            None => bail!(
                "helios never drew a full first frame (every lane label and {:?}):\n{}",
                driver::PROMPT,
                t.contents()
            ),
        }
        drop(t);
        gone(w, lanes)?;
    }
    eprintln!(
        "swarm: helios {args:?} start-up p50 {:?}",
        summarize(&startups).p50
    );
    let trace = w.path(&format!(
        "echo-trace-{}",
        TRACES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&trace)?;
    let spawned = Instant::now();
    let mut t = spawn_traced(w, cfg, lanes, bin, args, Some(&trace))?;
    t.arm(first_frame(cfg));
    t.wait(Duration::from_secs(30));
    if lanes == Lanes::Owned {
        generators_started(w, cfg)?;
    }
    grid_and_focus(&mut t)?;
    eprintln!(
        "swarm: helios in grid view, lane focused {:.2} s after it started",
        spawned.elapsed().as_secs_f64()
    );
    let helios = t.pid;
    let acct = match lanes {
        Lanes::Par => {
            let server: u32 = w
                .tmux("tmux-par", &["display", "-p", "#{pid}"])?
                .trim()
                .parse()?;
            Accounting {
                console: Box::new(move || vec![helios]),
                // helios's tmux clients, the tmux server, and the taps tmux runs on the lanes'
                // output (`helios osc-tap`, which serve the pipe-pane feed), whatever the
                // binary's name (a SWARM_HELIOS_BASE copy's taps are named after the copy).
                helpers: Box::new(move || {
                    let mut v = crate::procs::children(helios);
                    v.push(server);
                    v.extend(taps(server));
                    v
                }),
                go: w.path("go-helios"),
            }
        }
        // The lanes' programs are helios's children here: the generators are not helpers, and
        // the probe shell is not counted for tmux either.
        Lanes::Owned => Accounting {
            console: Box::new(move || vec![helios]),
            helpers: Box::new(Vec::new),
            go: w.path("go-owned"),
        },
    };
    let echoes = driver::measure(&mut t, &acct, cfg.idle_samples, cfg.samples)?;
    eprintln!("swarm: helios echoes measured");
    drop(t);
    gone(w, lanes)?;
    // helios wrote its trace out as it quit (the Term's SIGHUP).
    let notes = crate::trace::report(&trace, "helios", &echoes.idle_at, &echoes.loaded_at)?;
    Ok(Row {
        startup: Some(summarize(&startups)),
        echoes: Some(echoes),
        cat: None,
        notes,
    })
}

/// `cat` in a helios-owned lane: the `plain` repo, par off the PATH, so its one worktree is a
/// lane whose shell PTY helios owns.
fn cat(w: &World, cfg: &Config) -> Result<Vec<Duration>> {
    let shell = w.path("probe-shell");
    std::fs::write(
        &shell,
        format!("#!/bin/sh\nexec {}\n", crate::probe_shell()),
    )?;
    std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let mut cmd = w.pty_command(&bin(), "tmux-cat");
    cmd.cwd(w.path("plain"));
    cmd.env("SHELL", &shell);
    cmd.env("PATH", path_without_par());
    let mut t = Term::spawn(cmd, cfg.cat_size.0, cfg.cat_size.1)?;
    // The lane's prompt shows in the pane once helios is up; Enter then focuses the lane.
    driver::locate_prompt(&t, Duration::from_secs(30))?;
    t.send(b"\r")?;
    shows(&t, " FOCUS ")?;
    crate::cat_runs(w, &mut t, cfg)
}
