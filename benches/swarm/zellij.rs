//! zellij under test (when installed): the same lanes as 25 panes of one tab from a layout, a
//! new session started in the driver's 250x80 PTY with the interactive pane focused.
//!
//! zellij 0.45 needs an existing config directory to load a layout file: its server resolves
//! the `-n FILE` path against the layout directory, which comes from `--config-dir` or the first
//! existing default config directory. In a fresh private HOME/XDG_CONFIG_HOME there is none, and
//! the server then silently starts its built-in default layout (one plain shell, tab and status
//! bars) instead, so the probe prompt never appears. The world therefore gets a real zellij
//! config directory (`$XDG_CONFIG_HOME/zellij` with our config.kdl), passed with `--config-dir`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};

use crate::driver::{self, Accounting};
use crate::stats::summarize;
use crate::term::{self, Term};
use crate::world::World;
use crate::{Config, Row};

/// How long a new session may take to draw the probe prompt.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// zellij from ~/.cargo/bin or PATH.
fn bin() -> Option<PathBuf> {
    let home = PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo/bin/zellij");
    if home.exists() {
        return Some(home);
    }
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| PathBuf::from(d).join("zellij"))
        .find(|p| p.exists())
}

fn kdl_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A layout of `lanes` panes in rows of five: pane 0 the probe shell (focused), the rest generators.
/// The probe pane is named: a command pane's frame title is otherwise its command line, which
/// contains `PS1=probe> ` and would be found (first, on the frame's row) instead of the prompt.
fn layout(w: &World, cfg: &Config) -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let go = w.path("go-zellij");
    let per_row = 5;
    let mut s = String::from("layout {\n    pane split_direction=\"horizontal\" {\n");
    let mut i = 0;
    while i < cfg.lanes {
        s.push_str("        pane split_direction=\"vertical\" {\n");
        for _ in 0..per_row.min(cfg.lanes - i) {
            if i == 0 {
                let _ = write!(
                    s,
                    "            pane name=\"probe\" command=\"env\" focus=true {{\n                args {} \"/bin/bash\" \"--norc\" \"--noprofile\"\n            }}\n",
                    kdl_str(&format!("PS1={}", driver::PROMPT))
                );
            } else {
                let _ = write!(
                    s,
                    "            pane command={} {{\n                args \"--gen\" \"{}\" {}\n            }}\n",
                    kdl_str(&exe.display().to_string()),
                    cfg.rate,
                    kdl_str(&go.display().to_string())
                );
            }
            i += 1;
        }
        s.push_str("        }\n");
    }
    s.push_str("    }\n}\n");
    s
}

/// All zellij measurements (start-up here is a cold start: a new session from the layout).
pub fn run(w: &World, cfg: &Config) -> Result<Row> {
    let Some(zellij) = bin() else {
        return Ok(Row {
            notes: vec![
                "not installed (cargo install --locked zellij@0.45.1): not measured".into(),
            ],
            ..Row::default()
        });
    };
    // The config directory must exist (see the module doc), and a config file in it also keeps
    // the server from writing one there and opening its first-run setup wizard.
    let config_dir = w.path("config").join("zellij");
    std::fs::create_dir_all(config_dir.join("layouts"))?;
    let config = config_dir.join("config.kdl");
    std::fs::write(
        &config,
        "show_startup_tips false\nshow_release_notes false\n",
    )?;
    let layout_path = config_dir.join("layouts").join("swarm.kdl");
    std::fs::write(&layout_path, layout(w, cfg))?;
    let start = |name: &str| -> Result<Term> {
        let mut cmd = w.pty_command(&zellij, "tmux-plain");
        cmd.args([
            "--config-dir",
            &config_dir.display().to_string(),
            "--config",
            &config.display().to_string(),
            "-s",
            name,
            "-n",
            &layout_path.display().to_string(),
        ]);
        cmd.cwd(w.path("repo"));
        Term::spawn(cmd, cfg.size.0, cfg.size.1)
    };
    let go = w.path("go-zellij");
    let marker = w.marker();
    // End a session and wait until its server and its panes' processes are gone, so the next
    // start-up and the measured session do not share the machine with a dying one.
    let kill = |name: &str| -> Result<()> {
        let _ = w
            .command(&zellij.display().to_string())
            .args(["kill-session", name])
            .output();
        let _ = w
            .command(&zellij.display().to_string())
            .args(["delete-session", "--force", name])
            .output();
        let left = || {
            let mut v = crate::procs::find(&marker, "zellij");
            v.extend(crate::procs::find_cmdline(&go.display().to_string()));
            v
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !left().is_empty() {
            if Instant::now() >= deadline {
                for pid in left() {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid.to_string()])
                        .status();
                }
                bail!("zellij session {name} did not end within 10 s of kill-session");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    };
    let mut startups = Vec::new();
    for i in 0..cfg.startups {
        let name = format!("swarm-start-{i}");
        let t0 = Instant::now();
        let t = start(&name)?;
        t.arm(term::all_visible(vec![driver::PROMPT.into()]));
        // The screen goes into the error, so a start-up that went wrong shows what it drew.
        let outcome = t.wait(STARTUP_TIMEOUT).map(|at| at - t0).ok_or_else(|| {
            anyhow!(
                "zellij never drew the prompt {:?} within {} s{}; screen:\n{}",
                driver::PROMPT,
                STARTUP_TIMEOUT.as_secs(),
                if t.exited() {
                    " (the client exited)"
                } else {
                    ""
                },
                t.contents()
            )
        });
        kill(&name)?;
        drop(t);
        startups.push(outcome?);
    }
    let mut t = start("swarm")?;
    let client = t.pid;
    let server_marker = marker.clone();
    let acct = Accounting {
        console: Box::new(move || {
            let mut v = crate::procs::find(&server_marker, "zellij");
            if !v.contains(&client) {
                v.push(client);
            }
            v
        }),
        helpers: Box::new(Vec::new),
        go: go.clone(),
    };
    let echoes = driver::measure(&mut t, &acct, cfg.idle_samples, cfg.samples);
    let killed = kill("swarm");
    drop(t);
    killed?;
    Ok(Row {
        startup: Some(summarize(&startups)),
        echoes: Some(echoes?),
        cat: None,
        notes: vec!["start-up is a cold start (new session from a layout), not an attach".into()],
    })
}
