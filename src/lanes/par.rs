//! par lanes: reading par's state file, and running the real `par` CLI for start, rm and send.
//!
//! par keeps one global state file, `$XDG_DATA_HOME/par/global_state.json`, with every lane of
//! every repo; helios reads it and keeps the lanes of one repo. Changes always go through the
//! `par` CLI so par stays the owner of its own state.

mod state;

use std::path::Path;

use crate::lanes::LaneError;
use crate::lanes::discover::{pane_end, session_alive, tmux_sessions};

pub use state::{
    ParSession, backup_path, check_state, parse_state, read_all_states, read_state, state_path,
};

/// Whether an executable program is on `PATH` (without running it).
pub fn on_path(program: &str) -> bool {
    which::which(program).is_ok()
}

/// Whether par is installed.
pub fn installed() -> bool {
    on_path("par")
}

/// `par start LABEL [--base REF]` in `repo`; returns the tmux session name par made.
///
/// The label is checked first (see [`crate::model::label`]) and par's state file must parse.
/// par's exit status is not the whole answer: the lane must be in its state file afterwards
/// and its tmux session must exist under exactly the recorded name.
pub fn start(repo: &Path, label: &str, base: Option<&str>) -> Result<String, LaneError> {
    crate::model::label::validate(label)?;
    let mut args = vec!["start"];
    if let Some(b) = base {
        // par hands the base to git, which would read a leading '-' as an option.
        if b.is_empty() || b.starts_with('-') {
            return Err(LaneError::Failed {
                what: format!("par start {label} --base {b}"),
                message: format!(
                    "{} is not a branch or commit: name one, like main",
                    crate::text::quote(b)
                ),
            });
        }
        args.extend(["--base", b]);
    }
    // `--` ends par's options: whatever the label is, it is never read as one.
    args.extend(["--", label]);
    ready()?;
    check_state()?;
    // par's stderr may show a failed step it then recovered from (a branch that already
    // existed): the state file and tmux say how it ended.
    let out = run(repo, &args, label)?;
    let what = format!("par start {label}");
    let recorded = read_state(repo)?
        .into_iter()
        .find(|s| s.label == label)
        .map(|s| s.tmux_session_name)
        .ok_or_else(|| LaneError::Unconfirmed {
            what: what.clone(),
            problem: format!(
                "par reported success but lane {label} is not in its state file {}",
                state_path().display()
            ),
        })?;
    // par prints "Session: NAME"; when it names another session than it recorded, trust neither.
    let printed = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Session: ").map(str::to_string));
    if printed.as_ref().is_some_and(|p| *p != recorded) || !session_alive(&recorded) {
        return Err(LaneError::Unconfirmed {
            what,
            problem: format!(
                "par recorded tmux session {recorded}, which does not exist (tmux may have renamed it); remove the lane with `helios lane rm {label}`"
            ),
        });
    }
    // par keeps no record of the base: keep it, so the lane's work is measured against it.
    if let Some(b) = base {
        crate::lanes::work::record_base(repo, label, b);
    }
    // Kept from the start, not only once a console readies the pane: a `--cmd` that ends at
    // once leaves its last screen and exit status, not a lane whose session is gone.
    let target = crate::model::lane::tmux_pane_target(&recorded);
    let keep = tmux(&["set-option", "-w", "-t", &target, "remain-on-exit", "on"])
        .and_then(std::process::Child::wait_with_output);
    match keep {
        Ok(o) if o.status.success() => {}
        Ok(o) => tracing::warn!(
            "tmux set-option remain-on-exit -t {target}: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => tracing::warn!("tmux set-option remain-on-exit -t {target}: {e}"),
    }
    Ok(recorded)
}

/// `par rm LABEL` in `repo`: kills the session, removes the worktree and the branch. Succeeds
/// only when the lane is out of par's state and its tmux session is gone.
pub fn remove(repo: &Path, label: &str) -> Result<(), LaneError> {
    ready()?;
    check_state()?;
    let lane = read_state(repo)?.into_iter().find(|s| s.label == label);
    // par kills the session it recorded; one tmux renamed (`fix.1` runs as `…fix_1`) helios
    // stops itself, by its real name, once par has removed the rest.
    let renamed = lane.as_ref().is_some_and(|s| s.par_recorded.is_some());
    let session = lane.map(|s| s.tmux_session_name);
    let what = format!("par rm {label}");
    if let Some(s) = &session {
        shield_namesakes(s, &what)?;
    }
    run(repo, &["rm", "--", label], label)?;
    if read_state(repo)?.iter().any(|s| s.label == label) {
        return Err(LaneError::Unconfirmed {
            what,
            problem: format!("par reported success but lane {label} is still in its state file"),
        });
    }
    if let Some(s) = session.as_deref().filter(|s| renamed && session_alive(s)) {
        let killed = crate::config::secrets::command("tmux")
            .args(["kill-session", "-t", &crate::model::lane::tmux_target(s)])
            .env_remove("TMUX")
            .output();
        if let Err(e) = &killed {
            tracing::warn!("tmux kill-session -t ={s}: {e}");
        }
    }
    // par kills the session without checking that it worked.
    if let Some(session) = session.filter(|s| session_alive(s)) {
        return Err(LaneError::Unconfirmed {
            what,
            problem: format!(
                "the lane's worktree and record are gone but its tmux session {session} still runs: stop it with `tmux kill-session -t ={session}`"
            ),
        });
    }
    Ok(())
}

/// par kills a lane's session with `tmux kill-session -t NAME`, and when NAME is gone tmux
/// takes the one session whose name starts with it: `par rm g` would kill lane g2's agent. A
/// stand-in session under exactly NAME takes that kill instead.
fn shield_namesakes(session: &str, what: &str) -> Result<(), LaneError> {
    if session_alive(session)
        || !tmux_sessions()
            .iter()
            .any(|other| other.starts_with(session))
    {
        return Ok(());
    }
    let made = crate::config::secrets::command("tmux")
        .args(["new-session", "-d", "-s", session])
        .env_remove("TMUX")
        .output()
        .is_ok_and(|o| o.status.success());
    if made && session_alive(session) {
        Ok(())
    } else {
        Err(LaneError::Unconfirmed {
            what: what.to_string(),
            problem: format!(
                "the lane's session {session} is gone and par would kill another session whose name starts with it; nothing was removed"
            ),
        })
    }
}

/// Type TEXT into par lane `target` of `repo`, then Enter ([`type_text`]). A lane whose tmux
/// session is gone is an error, as is one whose program ended (its dead pane would take the
/// text and nothing read it), and any error par prints while exiting 0.
pub fn send(repo: &Path, target: &str, text: &str) -> Result<(), LaneError> {
    ready()?;
    check_state()?;
    let lanes = read_state(repo)?;
    let lane = lanes
        .iter()
        .find(|s| s.label == target)
        .ok_or_else(|| LaneError::NoSuchLane {
            label: target.to_string(),
        })?;
    send_one(lane, text)
}

/// Each lane's label and its own result.
pub type LaneResults = Vec<(String, Result<(), LaneError>)>;

/// `send all`: TEXT typed into every par lane of `repo` as [`send`] does (par's own `all`
/// would reach every repository's lanes); each lane's label and its own result, so each can be
/// journalled and said. An error: no lane could be tried.
pub fn send_each(repo: &Path, text: &str) -> Result<LaneResults, LaneError> {
    if let Some(why) = crate::model::lane::send_all_refusal(text) {
        return Err(LaneError::Failed {
            what: "lane send all".into(),
            message: why.into(),
        });
    }
    ready()?;
    check_state()?;
    let lanes = read_state(repo)?;
    if lanes.is_empty() {
        return Err(LaneError::Failed {
            what: "lane send all".into(),
            message: format!(
                "no par lanes in {}: nothing to send to (create one with `helios lane new`)",
                repo.display()
            ),
        });
    }
    // One par process per lane, side by side: each is mostly Python starting up.
    Ok(std::thread::scope(|scope| {
        let runs: Vec<_> = lanes
            .iter()
            .map(|lane| {
                (
                    lane.label.clone(),
                    scope.spawn(move || send_one(lane, text)),
                )
            })
            .collect();
        runs.into_iter()
            .map(|(label, run)| {
                let result = run.join().unwrap_or_else(|_| {
                    Err(LaneError::Failed {
                        what: format!("lane send {label}"),
                        message: "its send thread panicked".into(),
                    })
                });
                (label, result)
            })
            .collect()
    }))
}

fn send_one(lane: &ParSession, text: &str) -> Result<(), LaneError> {
    let label = lane.label.as_str();
    if !session_alive(&lane.tmux_session_name) {
        return Err(LaneError::SessionGone {
            label: label.to_string(),
            session: lane.tmux_session_name.clone(),
        });
    }
    if let Some(recorded) = &lane.par_recorded {
        return Err(LaneError::Renamed {
            label: label.to_string(),
            recorded: recorded.clone(),
            session: lane.tmux_session_name.clone(),
        });
    }
    if let Some(end) = pane_end(&lane.tmux_session_name) {
        return Err(LaneError::ProgramEnded {
            label: label.to_string(),
            session: lane.tmux_session_name.clone(),
            end,
        });
    }
    type_text(&lane.tmux_session_name, text)
}

/// How long Enter waits after the text: Claude Code takes an Enter within 100 ms of a paste
/// as part of it, Codex one within 120 ms of fast input (their paste handling), and the text
/// then sits in the prompt unsent.
pub const ENTER_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

/// Type `text` into the session's active pane as the user would paste it, then press Enter:
/// one `paste-buffer -p` (bracketed when the program asked for bracketed paste, so an agent
/// takes several lines as one prompt), the text read from stdin. Never `send-keys TEXT`, which
/// tmux reads: `C-c` would be a key, a leading `-` an option, a trailing `;` a command
/// separator, and 16 KB too long a command.
fn type_text(session: &str, text: &str) -> Result<(), LaneError> {
    let target = crate::model::lane::tmux_pane_target(session);
    // A pasted line break is a CR as from a terminal (tmux's separator); CR LF would be two.
    let body = text.replace("\r\n", "\n");
    let body = body.trim_end_matches(['\n', '\r']);
    // Nothing to paste (tmux makes no buffer of nothing): Enter alone.
    if !body.is_empty() {
        paste(&target, body.as_bytes(), "-p")?;
        std::thread::sleep(ENTER_AFTER);
    }
    let out = tmux(&["send-keys", "-t", &target, "Enter"])
        .and_then(std::process::Child::wait_with_output)
        .map_err(|e| {
            tmux_failed(
                &target,
                "send-keys Enter",
                format!("tmux could not run: {e}"),
            )
        })?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(tmux_failed(
            &target,
            "send-keys Enter",
            format!("the text went in, Enter did not: {said}"),
        ));
    }
    Ok(())
}

/// Type keys the user already pressed into the session's active pane, byte for byte (no
/// bracketing, no line-break translation): what they typed right after the key that attaches
/// to it, before its client had the terminal.
pub fn type_keys(session: &str, keys: &[u8]) -> Result<(), LaneError> {
    let target = crate::model::lane::tmux_pane_target(session);
    paste(&target, keys, "-r")
}

/// `tmux load-buffer -` (the bytes on stdin) then `paste-buffer FLAG -d` into `target`.
fn paste(target: &str, bytes: &[u8], flag: &str) -> Result<(), LaneError> {
    use std::io::Write as _;
    let buffer = format!("helios-send-{}", ulid::Ulid::new());
    let failed = |message: String| tmux_failed(target, "paste-buffer", message);
    let mut child = tmux(&[
        "load-buffer",
        "-b",
        &buffer,
        "-",
        ";",
        "paste-buffer",
        flag,
        "-d",
        "-b",
        &buffer,
        "-t",
        target,
    ])
    .map_err(|e| failed(format!("tmux could not run: {e}")))?;
    let written = child.stdin.take().map(|mut stdin| stdin.write_all(bytes));
    let out = child
        .wait_with_output()
        .map_err(|e| failed(format!("tmux did not finish: {e}")))?;
    if !out.status.success() {
        return Err(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    match written {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(failed(format!("the text did not reach tmux: {e}"))),
        None => Err(failed("tmux took no input".into())),
    }
}

/// tmux, its stdin a pipe, its stderr kept for the error.
fn tmux(args: &[&str]) -> std::io::Result<std::process::Child> {
    crate::config::secrets::command("tmux")
        .args(args)
        .env_remove("TMUX")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
}

fn tmux_failed(target: &str, what: &str, message: String) -> LaneError {
    LaneError::Failed {
        what: format!("tmux {what} -t {target}"),
        message,
    }
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

/// Run par with `args` in `repo`, mapping a non-zero exit to one line that names the fix; what
/// it printed on stdout. par also exits 0 after some failures: each caller checks the outcome
/// it needs.
fn run(repo: &Path, args: &[&str], label: &str) -> Result<String, LaneError> {
    ready()?;
    // Clipped: it goes into messages, the log and the journal, and a send's text may be huge.
    let what = crate::text::clip(
        &format!(
            "par {}",
            args.iter()
                .filter(|a| **a != "--")
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        ),
        120,
        40,
    );
    let out = crate::config::secrets::command("par")
        .args(args)
        .current_dir(repo)
        .env_remove("TMUX")
        // par uses rich: keep its output plain and on one line per message.
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .map_err(|e| LaneError::Failed {
            what: what.clone(),
            message: format!("cannot run par: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    tracing::debug!(repo = %repo.display(), status = %out.status, "{what}");
    if !out.status.success() {
        tracing::warn!(repo = %repo.display(), status = %out.status, stderr = %stderr.trim(), "{what} failed");
        return Err(classify(&what, label, repo, &format!("{stderr}\n{stdout}")));
    }
    Ok(stdout)
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
        LaneError::Failed {
            what: what.to_string(),
            message: first,
        }
    }
}

/// Start a par lane's dead pane again (`tmux respawn-pane`, which runs the pane's command
/// anew; refused by tmux while the pane still runs); what was done.
pub fn respawn(session: &str) -> Result<String, LaneError> {
    let out = crate::config::secrets::command("tmux")
        .args([
            "respawn-pane",
            "-t",
            &crate::model::lane::tmux_pane_target(session),
        ])
        .env_remove("TMUX")
        .output()
        .map_err(|e| LaneError::Failed {
            what: "tmux respawn-pane".into(),
            message: e.to_string(),
        })?;
    if out.status.success() {
        Ok(format!("restarted the pane of {session}"))
    } else {
        Err(LaneError::Failed {
            what: format!("tmux respawn-pane -t {session}"),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
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
