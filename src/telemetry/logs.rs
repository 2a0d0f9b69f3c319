//! The log file: `tracing` events written to `$XDG_STATE_HOME/helios/helios.<date>.log` (a new
//! file each day, the last few kept) or to the file `--log-file` names, at the level `HELIOS_LOG`
//! asks for (EnvFilter syntax, default `warn`). Logs never go to the terminal, which the console
//! owns, and never stop helios: a log file that cannot be opened is reported once by the caller
//! and helios runs on without one.
//!
//! Log lines carry lane text, paths and servers' errors, so the files are the user's alone, like
//! the journal: made with mode 0600, in a directory made with mode 0700. That is why helios
//! opens and rotates the files itself ([`LogFile`]) instead of using `tracing_appender`'s
//! rolling appender, which creates them with the umask's mode (0644).

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
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

    fn appender(&self) -> Result<LogFile, String> {
        let cannot = |dir: &Path, e: std::io::Error| {
            format!(
                "cannot write logs in {}: {e}; helios runs without a log file (set --log-file)",
                dir.display()
            )
        };
        let (dir, daily) = match self {
            Self::File(f) => {
                if f.file_name().is_none() {
                    return Err(format!("log file {}: not a file name", f.display()));
                }
                let dir = match f.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                (dir, false)
            }
            Self::Daily(d) => (d.clone(), true),
        };
        // Only the directories helios makes get 0700: an existing one is the user's choice.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| cannot(&dir, e))?;
        let mut log = LogFile {
            dir: dir.clone(),
            fixed: match self {
                Self::File(f) => Some(f.clone()),
                Self::Daily(_) => None,
            },
            day: None,
            file: None,
        };
        log.open_for(today()).map_err(|e| cannot(&dir, e))?;
        if daily {
            log.prune();
        }
        Ok(log)
    }
}

/// Today's date in UTC, the day a daily file is named after.
fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// The log file being written: the `--log-file` one, or today's daily file (a new one, and the
/// oldest pruned, when the date changes).
pub struct LogFile {
    dir: PathBuf,
    /// The `--log-file` path; `None` for daily files in `dir`.
    fixed: Option<PathBuf>,
    /// The day the open daily file is for.
    day: Option<time::Date>,
    file: Option<File>,
}

impl LogFile {
    fn daily_name(day: time::Date) -> String {
        format!(
            "helios.{:04}-{:02}-{:02}.log",
            day.year(),
            u8::from(day.month()),
            day.day()
        )
    }

    /// Open the file lines go to on `day`: created 0600, appended to.
    fn open_for(&mut self, day: time::Date) -> std::io::Result<()> {
        let (path, own) = match &self.fixed {
            Some(f) => (f.clone(), false),
            None => (self.dir.join(Self::daily_name(day)), true),
        };
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)?;
        // A daily file an older helios made with 0644 is ours to close up; a `--log-file` that
        // already existed (even /dev/stderr) keeps the mode its owner gave it.
        if own && file.metadata()?.is_file() {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        self.file = Some(file);
        self.day = Some(day);
        Ok(())
    }

    /// Delete all but the newest [`KEPT_FILES`] daily files (their names sort by date).
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut logs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_daily_name)
            })
            .collect();
        logs.sort();
        let extra = logs.len().saturating_sub(KEPT_FILES);
        // The log cannot report its own housekeeping (this is the log's writer), and an old
        // file left behind costs only disk: a failed removal is tried again the next day.
        for old in logs.into_iter().take(extra) {
            let _ = std::fs::remove_file(old);
        }
    }

    fn current(&mut self) -> std::io::Result<&mut File> {
        if self.fixed.is_none() {
            let day = today();
            if self.day != Some(day) {
                self.open_for(day)?;
                self.prune();
            }
        }
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the log file is not open"))
    }
}

/// Whether `name` is a daily log file's: `helios.YYYY-MM-DD.log`.
fn is_daily_name(name: &str) -> bool {
    name.strip_prefix("helios.")
        .and_then(|r| r.strip_suffix(".log"))
        .is_some_and(|d| {
            d.len() == 10
                && d.char_indices().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                })
        })
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.current()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
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
                "{LEVEL_VAR}={} is not a log filter ({e}); logging at {DEFAULT_LEVEL}",
                crate::text::quote(&v)
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
            tracing::subscriber::set_global_default(
                fmt.with_writer(std::sync::Mutex::new(appender)).finish(),
            ),
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
