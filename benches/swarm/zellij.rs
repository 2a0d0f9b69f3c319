//! zellij under test (when installed): the same lanes as 25 panes of one tab from a layout, a
//! new session started in the driver's 250x80 PTY with the interactive pane focused.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::driver::{self, Accounting};
use crate::stats::summarize;
use crate::term::{self, Term};
use crate::world::World;
use crate::{Config, Row};

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
                    "            pane command=\"env\" focus=true {{\n                args {} \"/bin/bash\" \"--norc\" \"--noprofile\"\n            }}\n",
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
    let dir = w.path("zellij");
    let config = dir.join("config.kdl");
    std::fs::write(
        &config,
        "show_startup_tips false\nshow_release_notes false\n",
    )?;
    let layout_path = dir.join("swarm.kdl");
    std::fs::write(&layout_path, layout(w, cfg))?;
    let start = |name: &str| -> Result<Term> {
        let mut cmd = w.pty_command(&zellij, "tmux-plain");
        cmd.args([
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
    let kill = |name: &str| {
        let _ = w
            .command(&zellij.display().to_string())
            .args(["kill-session", name])
            .output();
        let _ = w
            .command(&zellij.display().to_string())
            .args(["delete-session", "--force", name])
            .output();
    };
    let mut startups = Vec::new();
    for i in 0..cfg.startups.min(3) {
        let name = format!("swarm-start-{i}");
        let t0 = Instant::now();
        let t = start(&name)?;
        t.arm(term::all_visible(vec![driver::PROMPT.into()]));
        let hit = t.wait(Duration::from_mins(1));
        drop(t);
        kill(&name);
        match hit {
            Some(at) => startups.push(at - t0),
            None => bail!("zellij never drew its first frame"),
        }
    }
    let mut t = start("swarm")?;
    let client = t.pid;
    let marker = w.marker();
    let acct = Accounting {
        console: Box::new(move || {
            let mut v = crate::procs::find(&marker, "zellij");
            if !v.contains(&client) {
                v.push(client);
            }
            v
        }),
        helpers: Box::new(Vec::new),
        go: w.path("go-zellij"),
    };
    let echoes = driver::measure(&mut t, &acct, cfg.idle_samples, cfg.samples);
    drop(t);
    kill("swarm");
    Ok(Row {
        startup: Some(summarize(&startups)),
        echoes: Some(echoes?),
        cat: None,
        notes: vec!["start-up is a cold start (new session from a layout), not an attach".into()],
    })
}
