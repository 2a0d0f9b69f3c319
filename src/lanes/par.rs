//! par lanes: reading par's state file, and running the real `par` CLI for start, rm and send.
//!
//! par keeps one global state file, `$XDG_DATA_HOME/par/global_state.json`, with every lane of
//! every repo; helios reads it and keeps the lanes of one repo. Changes always go through the
//! `par` CLI so par stays the owner of its own state.

mod state;

use std::path::Path;
use std::process::Command;

use crate::lanes::LaneError;

pub use state::{ParSession, backup_path, check_state, parse_state, read_state, state_path};

/// Whether a program is on `PATH` (without running it).
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let p = dir.join(program);
            p.is_file() && is_executable(&p)
        })
    })
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_p: &Path) -> bool {
    true
}

/// Whether par is installed.
pub fn installed() -> bool {
    on_path("par")
}

/// `par start LABEL [--base REF]` in `repo`; returns the tmux session name par made. The label
/// is checked first (see [`crate::app::label`]), and par's state file must parse.
pub fn start(repo: &Path, label: &str, base: Option<&str>) -> Result<String, LaneError> {
    crate::app::label::validate(label)?;
    let mut args = vec!["start".to_string()];
    if let Some(b) = base {
        // par hands the base to git, which would read a leading '-' as an option.
        if b.is_empty() || b.starts_with('-') {
            return Err(LaneError::Par {
                what: format!("par start {label} --base {b}"),
                message: format!("{b:?} is not a branch or commit: name one, like main"),
            });
        }
        args.push("--base".into());
        args.push(b.to_string());
    }
    // `--` ends par's options: whatever the label is, it is never read as one.
    args.push("--".into());
    args.push(label.to_string());
    ready()?;
    check_state()?;
    let out = run(repo, &args, label)?;
    // par prints "Session: NAME"; fall back to the state file when its wording changes.
    let from_output = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Session: ").map(str::to_string));
    match from_output {
        Some(s) => Ok(s),
        None => read_state(repo)?
            .into_iter()
            .find(|s| s.label == label)
            .map(|s| s.tmux_session_name)
            .ok_or_else(|| LaneError::Par {
                what: format!("par start {label}"),
                message: "par reported success but the lane is not in its state file".into(),
            }),
    }
}

/// `par rm LABEL` in `repo`: kills the session, removes the worktree and the branch.
pub fn remove(repo: &Path, label: &str) -> Result<(), LaneError> {
    ready()?;
    check_state()?;
    run(repo, &["rm".into(), "--".into(), label.to_string()], label).map(|_| ())
}

/// `par send LABEL|all TEXT` in `repo` (par adds Enter).
pub fn send(repo: &Path, target: &str, text: &str) -> Result<(), LaneError> {
    ready()?;
    check_state()?;
    run(
        repo,
        &[
            "send".into(),
            "--".into(),
            target.to_string(),
            text.to_string(),
        ],
        target,
    )
    .map(|_| ())
}

/// par and tmux are both on PATH.
fn ready() -> Result<(), LaneError> {
    if !installed() {
        return Err(LaneError::ParMissing);
    }
    if !on_path("tmux") {
        return Err(LaneError::TmuxMissing);
    }
    Ok(())
}

/// Run par with `args` in `repo`, mapping its failures to one line that names the fix.
fn run(repo: &Path, args: &[String], label: &str) -> Result<String, LaneError> {
    ready()?;
    let shown: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--")
        .collect();
    let what = format!("par {}", shown.join(" "));
    let out = Command::new("par")
        .args(args)
        .current_dir(repo)
        .env_remove("TMUX")
        // par uses rich: keep its output plain and on one line per message.
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .map_err(|e| LaneError::Par {
            what: what.clone(),
            message: format!("cannot run par: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(classify(&what, label, repo, &format!("{stderr}\n{stdout}")))
}

/// Turn par's failure text into the error that names the fix.
pub fn classify(what: &str, label: &str, repo: &Path, text: &str) -> LaneError {
    let lower = text.to_lowercase();
    if lower.contains("already exists") {
        LaneError::LabelTaken {
            label: label.to_string(),
        }
    } else if lower.contains("not in a git repository") {
        LaneError::NotARepo {
            path: repo.to_path_buf(),
        }
    } else if lower.contains("session '") && lower.contains("not found") {
        LaneError::NoSuchLane {
            label: label.to_string(),
        }
    } else if lower.contains("tmux") && lower.contains("not found") {
        LaneError::TmuxMissing
    } else {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("failed with no message")
            .trim_start_matches("Error: ")
            .to_string();
        LaneError::Par {
            what: what.to_string(),
            message: first,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn classify_maps_par_messages_to_fixes() {
        let repo = Path::new("/r");
        let taken = classify(
            "par start foo",
            "foo",
            repo,
            "Error: Label 'foo' already exists. Labels must be globally unique.",
        );
        assert_eq!(
            taken.to_string(),
            "lane label foo is taken (par labels are unique across all repositories): choose another name"
        );
        let not_repo = classify(
            "par start foo",
            "foo",
            repo,
            "Error: Not in a git repository.\nPlease run par commands from within a git repository.",
        );
        assert!(
            not_repo
                .to_string()
                .starts_with("/r is not a git repository"),
            "{not_repo}"
        );
        let missing = classify("par rm x", "x", repo, "Error: Session 'x' not found.");
        assert!(missing.to_string().contains("no lane x"), "{missing}");
        let other = classify("par send x hi", "x", repo, "\nError: boom\nmore");
        assert_eq!(other.to_string(), "par send x hi failed: boom");
    }
}
