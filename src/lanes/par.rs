//! par lanes: reading par's state file, and running the real `par` CLI for start, rm and send.
//!
//! par keeps one global state file, `$XDG_DATA_HOME/par/global_state.json`, with every lane of
//! every repo; helios reads it and keeps the lanes of one repo. Changes always go through the
//! `par` CLI so par stays the owner of its own state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::lanes::LaneError;

/// One entry of par's `sessions` map (only the fields helios uses; par may add more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ParSession {
    /// The lane's label.
    pub label: String,
    /// The repository the lane belongs to.
    pub repository_path: PathBuf,
    /// The lane's worktree.
    pub worktree_path: PathBuf,
    /// The lane's tmux session.
    pub tmux_session_name: String,
    /// The lane's branch (absent for some `par checkout` lanes).
    #[serde(default)]
    pub branch_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ParStateFile {
    #[serde(default)]
    sessions: BTreeMap<String, ParSession>,
}

/// Where par keeps its state: `$XDG_DATA_HOME/par/global_state.json`.
pub fn state_path() -> PathBuf {
    crate::config::paths::data_home()
        .join("par")
        .join("global_state.json")
}

/// Parse par's state file text and keep the lanes of `repo`, sorted by label.
/// `path` is only used in the error message.
pub fn parse_state(text: &str, path: &Path, repo: &Path) -> Result<Vec<ParSession>, LaneError> {
    let file: ParStateFile = serde_json::from_str(text).map_err(|e| LaneError::ParState {
        path: path.to_path_buf(),
        line: e.line(),
        reason: e.to_string(),
    })?;
    let repo = canonical(repo);
    let mut lanes: Vec<ParSession> = file
        .sessions
        .into_values()
        .filter(|s| canonical(&s.repository_path) == repo)
        .collect();
    lanes.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(lanes)
}

/// Read par's state file (missing file: no lanes) and keep the lanes of `repo`.
pub fn read_state(repo: &Path) -> Result<Vec<ParSession>, LaneError> {
    let path = state_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_state(&text, &path, repo),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(LaneError::ParState {
            path,
            line: 0,
            reason: e.to_string(),
        }),
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

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
/// is checked first (see [`crate::app::label`]).
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
    run(repo, &["rm".into(), "--".into(), label.to_string()], label).map(|_| ())
}

/// `par send LABEL|all TEXT` in `repo` (par adds Enter).
pub fn send(repo: &Path, target: &str, text: &str) -> Result<(), LaneError> {
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

/// Run par with `args` in `repo`, mapping its failures to one line that names the fix.
fn run(repo: &Path, args: &[String], label: &str) -> Result<String, LaneError> {
    if !installed() {
        return Err(LaneError::ParMissing);
    }
    if !on_path("tmux") {
        return Err(LaneError::TmuxMissing);
    }
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

    const STATE: &str = r#"{
      "sessions": {
        "foo": {"label": "foo", "repository_path": "/r/one", "repository_name": "one",
                "worktree_path": "/d/par/worktrees/ab/foo", "tmux_session_name": "par-one-ab12-foo",
                "branch_name": "foo", "created_at": "2026-11-25T20:27:15", "session_type": "session",
                "managed_branch": true},
        "bar": {"label": "bar", "repository_path": "/r/two", "repository_name": "two",
                "worktree_path": "/d/par/worktrees/cd/bar", "tmux_session_name": "par-two-cd34-bar",
                "branch_name": "bar"},
        "alpha": {"label": "alpha", "repository_path": "/r/one",
                "worktree_path": "/d/par/worktrees/ab/alpha", "tmux_session_name": "par-one-ab12-alpha"}
      },
      "workspaces": {}
    }"#;

    #[test]
    fn keeps_only_this_repos_lanes_sorted() {
        let lanes = parse_state(STATE, Path::new("s.json"), Path::new("/r/one")).unwrap();
        let labels: Vec<_> = lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["alpha", "foo"]);
        assert_eq!(lanes[1].tmux_session_name, "par-one-ab12-foo");
        assert_eq!(lanes[1].branch_name.as_deref(), Some("foo"));
        assert_eq!(lanes[0].branch_name, None);
    }

    #[test]
    fn empty_state_has_no_lanes() {
        let lanes = parse_state(r#"{"sessions": {}}"#, Path::new("s"), Path::new("/r")).unwrap();
        assert!(lanes.is_empty());
        assert!(
            parse_state("{}", Path::new("s"), Path::new("/r"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn corrupt_state_names_file_and_line() {
        let err = parse_state(
            "{\n  \"sessions\": {\n oops",
            Path::new("/x/global_state.json"),
            Path::new("/r"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/x/global_state.json:3"), "{err}");
        assert!(err.contains("par"), "{err}");
    }

    #[test]
    fn wrong_shape_is_an_error_not_a_panic() {
        let err = parse_state(
            r#"{"sessions": {"a": {"label": 3}}}"#,
            Path::new("s"),
            Path::new("/r"),
        );
        assert!(err.is_err());
    }

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
