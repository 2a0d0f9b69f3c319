//! par's state file: reading it, refusing lane changes while it does not parse, and the copy of
//! the last good one helios keeps next to it.
//!
//! par treats a state file it cannot parse (or an empty one) as "no lanes", and its next write
//! keeps only the lane it just made: every other lane's record is gone and their tmux sessions
//! run on unseen. So before any par command that changes state helios checks the file itself,
//! and each time it reads a good file that differs from its backup it refreshes the backup, so
//! there is something to restore.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// The lane's tmux session, as tmux names it (see [`tmux_session_name`]).
    pub tmux_session_name: String,
    /// The name par recorded, when tmux keeps the session under another: par's own commands
    /// (`par send`, `par rm`'s kill) then cannot reach it.
    #[serde(skip)]
    pub par_recorded: Option<String>,
    /// The lane's branch (absent for some `par checkout` lanes).
    #[serde(default)]
    pub branch_name: Option<String>,
    /// The branch the lane started from, should par record it (par 0.2 does not).
    #[serde(default)]
    pub base_branch: Option<String>,
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

/// The copy of the last good state file helios saw: beside it, so it is found where the broken
/// file is, and one per par data directory.
pub fn backup_path(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".helios-bak");
    state.with_file_name(name)
}

/// Parse par's state file text and keep the lanes of `repo`, sorted by label.
/// `path` is only used in the error message.
pub fn parse_state(text: &str, path: &Path, repo: &Path) -> Result<Vec<ParSession>, LaneError> {
    let repo = canonical(repo);
    let mut lanes: Vec<ParSession> = parse_all(text, path)?
        .into_iter()
        .filter(|s| canonical(&s.repository_path) == repo)
        .collect();
    lanes.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(lanes)
}

/// Every lane in the file, of every repository.
fn parse_all(text: &str, path: &Path) -> Result<Vec<ParSession>, LaneError> {
    let file: ParStateFile = serde_json::from_str(text).map_err(|e| {
        // serde's text ends with the position, which the error shows as path:line:column.
        let position = format!(" at line {} column {}", e.line(), e.column());
        let reason = e.to_string();
        LaneError::ParState {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            reason: reason
                .strip_suffix(&position)
                .unwrap_or(&reason)
                .to_string(),
            backup: Some(backup_path(path)).filter(|b| b.is_file()),
        }
    })?;
    Ok(file
        .sessions
        .into_values()
        .map(|mut s| {
            let real = tmux_session_name(&s.tmux_session_name);
            if real != s.tmux_session_name {
                s.par_recorded = Some(std::mem::replace(&mut s.tmux_session_name, real));
            }
            s
        })
        .collect())
}

/// The name tmux gives a session asked for as `name`: tmux 3.3a (`session_check_name`) turns
/// every '.' and ':' into '_', as they separate a target's window and pane. par records the
/// name it asked for, so a lane labelled `fix.1` (made with par itself; helios refuses such
/// labels) looked dead: its session runs as `par-…-fix_1`.
pub fn tmux_session_name(name: &str) -> String {
    name.replace(['.', ':'], "_")
}

/// Read par's state file (missing file: no lanes) and keep the lanes of `repo`.
pub fn read_state(repo: &Path) -> Result<Vec<ParSession>, LaneError> {
    let path = state_path();
    match load(&path)? {
        Some(text) => parse_state(&text, &path, repo),
        None => Ok(Vec::new()),
    }
}

/// Every lane in par's state file, of every repository (missing file: none). par labels are
/// unique across repositories, so a label alone finds its lane here.
pub fn read_all_states() -> Result<Vec<ParSession>, LaneError> {
    let path = state_path();
    load(&path)?.map_or_else(|| Ok(Vec::new()), |text| parse_all(&text, &path))
}

/// Before par changes its state: the file is missing (par starts it) or parses. Refreshes the
/// backup as a side effect.
pub fn check_state() -> Result<(), LaneError> {
    load(&state_path()).map(|_| ())
}

/// The state file's text when it parses (`None` when there is none); a good text that differs
/// from the backup becomes the new backup.
fn load(path: &Path) -> Result<Option<String>, LaneError> {
    let Some(mut text) = read(path)? else {
        return Ok(None);
    };
    if parse_all(&text, path).is_err() {
        // par rewrites the file in place (truncate, then write): a read during that write sees
        // a short file. Look once more before calling it corrupt.
        std::thread::sleep(Duration::from_millis(150));
        text = read(path)?.unwrap_or_default();
        parse_all(&text, path)?;
    }
    keep_backup(path, &text);
    Ok(Some(text))
}

/// The file's text, `None` when there is none. The path is under the user's data directory,
/// which agents in lanes can write: a FIFO there blocked every reader (`helios hook` too) and a
/// device would flood it. So only a regular file of at most [`MAX_BYTES`] is read, through
/// the guarded read config files get; it is checked here first so the message speaks of par's
/// state file.
fn read(path: &Path) -> Result<Option<String>, LaneError> {
    let unreadable = |reason: String| LaneError::ParState {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        reason,
        backup: None,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    if !meta.is_file() {
        return Err(unreadable(format!(
            "it is {}, not a regular file: remove it",
            crate::config::read::kind_of(&meta)
        )));
    }
    if meta.len() > MAX_BYTES {
        return Err(unreadable(format!(
            "larger than {} KiB, far more than par writes",
            MAX_BYTES / 1024
        )));
    }
    let bytes = match crate::config::read::read_config_bytes(path) {
        Ok(bytes) => bytes,
        // Removed between the look and the read: par starts a new one.
        Err(crate::config::ConfigError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Ok(None);
        }
        Err(e) => return Err(unreadable(e.to_string())),
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| unreadable("not UTF-8 text".into()))
}

/// The largest state file helios reads: par keeps a few hundred bytes a lane.
const MAX_BYTES: u64 = crate::config::read::MAX_BYTES;

/// Write `text` as the backup when it differs, through a temporary file so a crash never
/// leaves a half-written backup. A backup that cannot be written costs only the backup: the
/// lane command itself goes on.
fn keep_backup(path: &Path, text: &str) {
    let backup = backup_path(path);
    if read(&backup).is_ok_and(|b| b.as_deref() == Some(text)) {
        return;
    }
    let tmp = backup.with_extension("helios-bak.tmp");
    // A new file, never whatever sits at the name: writing into a FIFO left there would block.
    if let Err(e) = std::fs::remove_file(&tmp)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(file = %tmp.display(), "cannot remove: {e}");
    }
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .and_then(|()| std::fs::rename(&tmp, &backup));
    if let Err(e) = written {
        tracing::warn!(backup = %backup.display(), "cannot keep a backup of par's state: {e}");
        if let Err(e) = std::fs::remove_file(&tmp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %tmp.display(), "cannot remove: {e}");
        }
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_session_tmux_renamed_is_known_by_both_names() {
        let text = r#"{"sessions": {"fix.1": {"label": "fix.1", "repository_path": "/r/one",
            "worktree_path": "/w", "tmux_session_name": "par-one-ab12-fix.1"}}}"#;
        let lanes = parse_state(text, Path::new("s.json"), Path::new("/r/one")).unwrap();
        assert_eq!(lanes[0].tmux_session_name, "par-one-ab12-fix_1");
        assert_eq!(lanes[0].par_recorded.as_deref(), Some("par-one-ab12-fix.1"));
        assert_eq!(tmux_session_name("a:b.c_d"), "a_b_c_d");
    }

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
    fn corrupt_state_names_file_line_and_column() {
        let err = parse_state(
            "{\n  \"sessions\": {\n oops",
            Path::new("/x/global_state.json"),
            Path::new("/r"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("/x/global_state.json:3:2: "), "{err}");
        assert!(!err.contains("at line"), "{err}");
        assert!(err.contains("par"), "{err}");
    }

    #[test]
    fn an_empty_file_is_corrupt_too() {
        // par reads an empty file as "no lanes" and would drop every record on its next write.
        assert!(parse_state("", Path::new("s"), Path::new("/r")).is_err());
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

    fn mkfifo(path: &Path) {
        let ok = crate::config::secrets::command("mkfifo")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mkfifo (coreutils) is needed for this test");
    }

    /// `load(path)` on another thread, given a generous minute: a read that blocks fails the
    /// test instead of hanging it.
    fn load_bounded(path: &Path) -> Result<Option<String>, LaneError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = path.to_path_buf();
        std::thread::spawn(move || tx.send(load(&path)));
        rx.recv_timeout(Duration::from_secs(60))
            .expect("reading the state file blocked")
    }

    #[test]
    fn a_fifo_for_a_state_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("global_state.json");
        mkfifo(&path);
        let err = load_bounded(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "{}: par state file is unreadable (it is a FIFO",
                path.display()
            )),
            "{err}"
        );
        assert!(err.contains("remove it"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let err = load_bounded(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("it is a device"), "{err}");
    }

    #[test]
    fn a_fifo_where_the_backup_goes_is_replaced_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("global_state.json");
        std::fs::write(&path, STATE).unwrap();
        let backup = backup_path(&path);
        mkfifo(&backup);
        mkfifo(&backup.with_extension("helios-bak.tmp"));
        assert_eq!(load_bounded(&path).unwrap().as_deref(), Some(STATE));
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), STATE);
    }

    #[test]
    fn a_good_file_is_backed_up_and_a_corrupt_one_names_the_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("global_state.json");
        std::fs::write(&path, STATE).unwrap();
        assert!(load(&path).unwrap().is_some());
        let backup = backup_path(&path);
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), STATE);
        std::fs::write(&path, &STATE[..40]).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains(&backup.display().to_string()), "{err}");
        // The corrupt text never replaces the good copy.
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), STATE);
        assert_eq!(load(&dir.path().join("none.json")).unwrap(), None);
    }
}
