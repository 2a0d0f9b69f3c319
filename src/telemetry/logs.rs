//! The log file: `tracing` events written to `$XDG_STATE_HOME/helios/helios.<date>.log` (a new
//! file each day, the last few kept) or to the file `--log-file` names, at the level `HELIOS_LOG`
//! asks for (EnvFilter syntax, default `warn`). Logs never go to the terminal, which the console
//! owns, and never stop helios: a log file that cannot be opened is reported once by the caller
//! and helios runs on without one.

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// The variable that sets the level (`HELIOS_LOG=debug`, `HELIOS_LOG=helios=debug,warn`).
pub const LEVEL_VAR: &str = "HELIOS_LOG";
/// The level when `HELIOS_LOG` is unset: what went wrong, not what went right.
pub const DEFAULT_LEVEL: &str = "warn";
/// Daily files kept in the state directory; older ones are deleted as new days start.
pub const KEPT_FILES: usize = 7;

/// Keeps the log writer's thread alive; flushes what is pending when dropped (at exit).
pub struct LogGuard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Where the log goes: the file `--log-file` names, else daily files in `state_dir`.
#[derive(Debug, Clone)]
pub enum LogTarget {
    /// Exactly this file, appended to, never rotated (`--log-file`).
    File(PathBuf),
    /// `helios.<YYYY-MM-DD>.log` in this directory, one a day, [`KEPT_FILES`] kept.
    Daily(PathBuf),
}

impl LogTarget {
    /// `--log-file` when given, else the daily files in `state_dir`.
    pub fn new(flag: Option<PathBuf>, state_dir: &Path) -> Self {
        match flag {
            Some(f) => Self::File(f),
            None => Self::Daily(state_dir.to_path_buf()),
        }
    }

    fn appender(&self) -> Result<RollingFileAppender, String> {
        let (dir, prefix, rotation, suffix) = match self {
            Self::File(f) => {
                let name = f
                    .file_name()
                    .ok_or_else(|| format!("log file {}: not a file name", f.display()))?;
                let dir = match f.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                (
                    dir,
                    name.to_string_lossy().into_owned(),
                    Rotation::NEVER,
                    None,
                )
            }
            Self::Daily(d) => (
                d.clone(),
                "helios".to_string(),
                Rotation::DAILY,
                Some("log"),
            ),
        };
        // Made here first: the appender prunes old files before it creates the directory, and
        // says so on stderr.
        std::fs::create_dir_all(&dir).map_err(|e| {
            format!(
                "cannot write logs in {}: {e}; helios runs without a log file (set --log-file)",
                dir.display()
            )
        })?;
        let mut b = RollingFileAppender::builder()
            .rotation(rotation)
            .filename_prefix(prefix);
        if let Some(s) = suffix {
            b = b.filename_suffix(s).max_log_files(KEPT_FILES);
        }
        b.build(&dir).map_err(|e| {
            format!(
                "cannot write logs in {}: {e}; helios runs without a log file (set --log-file)",
                dir.display()
            )
        })
    }
}

/// How log lines reach the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Through a writer thread: the console's render path never waits for the disk.
    Background,
    /// Written by the logging thread itself: for `helios hook`, which logs little and whose
    /// agent waits for it to exit (starting and joining the writer thread costs more).
    Direct,
}

/// Start logging to `target`. Returns the guard to hold until exit and, when something went
/// wrong (the file cannot be opened, `HELIOS_LOG` does not parse), one line for the user.
/// Without a file nothing is logged at all: never to the terminal.
pub fn init(target: &LogTarget, writer: Writer) -> (LogGuard, Option<String>) {
    let mut notice = None;
    let filter = match std::env::var(LEVEL_VAR) {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(&v).unwrap_or_else(|e| {
            notice = Some(format!(
                "{LEVEL_VAR}={v:?} is not a log filter ({e}); logging at {DEFAULT_LEVEL}"
            ));
            EnvFilter::new(DEFAULT_LEVEL)
        }),
        _ => EnvFilter::new(DEFAULT_LEVEL),
    };
    let appender = match target.appender() {
        Ok(a) => a,
        Err(e) => return (LogGuard { _worker: None }, Some(e)),
    };
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(true);
    let (set, worker) = match writer {
        Writer::Background => {
            let (w, worker) = tracing_appender::non_blocking(appender);
            (
                tracing::subscriber::set_global_default(fmt.with_writer(w).finish()),
                Some(worker),
            )
        }
        Writer::Direct => (
            tracing::subscriber::set_global_default(fmt.with_writer(appender).finish()),
            None,
        ),
    };
    if let Err(e) = set {
        return (
            LogGuard { _worker: None },
            Some(format!("logging already started: {e}")),
        );
    }
    (LogGuard { _worker: worker }, notice)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_log_file_in_a_missing_unwritable_place_is_a_message_not_a_failure() {
        // A regular file where the directory should be: no process can create the dir.
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, "x").unwrap();
        let target = LogTarget::File(blocker.join("sub").join("helios.log"));
        let e = target.appender().err().unwrap();
        assert!(e.contains("cannot write logs in"), "{e}");
        assert!(e.contains("blocker"), "{e}");
    }

    #[test]
    fn the_flag_wins_over_the_state_dir() {
        let t = LogTarget::new(Some(PathBuf::from("/tmp/x.log")), Path::new("/state"));
        assert!(matches!(t, LogTarget::File(p) if p == Path::new("/tmp/x.log")));
        let t = LogTarget::new(None, Path::new("/state"));
        assert!(matches!(t, LogTarget::Daily(p) if p == Path::new("/state")));
    }
}
