//! Lane handoff: share a lane's tmux session over tmate or upterm, as an audited, revocable,
//! time-limited grant. Each share runs detached on its own socket (a tmate server, or a private
//! tmux server hosting `upterm host`), so it outlives the helios process that started it; the
//! `shares` table remembers it and `reconcile` finds it again, expires it or marks it ended.

pub mod manage;
pub mod proc;
pub mod store;
pub mod task;
pub mod tmate;
pub mod upterm;

use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;

use crate::config::ShareConfig;
use crate::model::AuditEvent;
use crate::model::LaneInfo;
use crate::model::LaneSource;

pub use task::start;

pub use crate::model::share::{Share, ShareLink, Tool, redact};

/// Why a share could not start. Each says what failed and what to do; nothing is left running.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// The program is not installed.
    #[error("{tool} is not installed (not on PATH): {hint}")]
    ToolMissing {
        /// tmate or upterm.
        tool: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// The lane has no tmux session to share.
    #[error("lane {lane} has no tmux session to share ({why}); only live par lanes can be shared")]
    NoSession {
        /// The lane.
        lane: String,
        /// Why.
        why: String,
    },
    /// The lane does not exist.
    #[error("no lane {lane} in this repo; see helios lane ls")]
    NoLane {
        /// The label.
        lane: String,
    },
    /// Already shared.
    #[error(
        "lane {lane} is already shared over {tool} until {until}; stop it first: helios share stop {lane}"
    )]
    AlreadyShared {
        /// The lane.
        lane: String,
        /// The tool.
        tool: &'static str,
        /// Expiry, RFC 3339.
        until: String,
    },
    /// The tool never reported its links in time.
    #[error(
        "{tool} did not report its links within {secs}s (server {server} unreachable?); nothing was left running{detail}"
    )]
    Timeout {
        /// The tool.
        tool: &'static str,
        /// Seconds waited.
        secs: u64,
        /// The server it tried.
        server: String,
        /// What the tool said, if anything.
        detail: String,
    },
    /// The tool failed.
    #[error("{tool} failed: {message}; nothing was left running")]
    Failed {
        /// The tool.
        tool: &'static str,
        /// What happened.
        message: String,
    },
    /// A bad TTL.
    #[error("bad --ttl {}: {why}; use a duration like 30m or 2h", crate::text::quote(.ttl))]
    BadTtl {
        /// What was given.
        ttl: String,
        /// Why it is bad.
        why: String,
    },
    /// The share table.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What starting a share needs.
#[derive(Debug, Clone)]
pub struct StartRequest<'a> {
    /// Repository short name.
    pub repo: &'a str,
    /// The lane.
    pub lane: &'a LaneInfo,
    /// The tool.
    pub tool: Tool,
    /// Read-write.
    pub rw: bool,
    /// How long it lives.
    pub ttl: Duration,
    /// `[share]`.
    pub config: &'a ShareConfig,
    /// `[lanes] ssh`: how a lane on another machine is reached.
    pub ssh: &'a [String],
}

/// Parse a TTL like `30m`; between one minute and a week.
pub fn parse_ttl(ttl: &str) -> Result<Duration, ShareError> {
    let d = humantime::parse_duration(ttl).map_err(|e| ShareError::BadTtl {
        ttl: ttl.to_string(),
        why: e.to_string(),
    })?;
    if d < Duration::from_mins(1) || d > Duration::from_hours(7 * 24) {
        return Err(ShareError::BadTtl {
            ttl: ttl.to_string(),
            why: "must be between 1m and 7d".into(),
        });
    }
    Ok(d)
}

/// Start a share: the tool's server on its own socket, wait for its links, start the TTL
/// watchdog. On any failure everything started is stopped again.
pub fn start_share(req: &StartRequest<'_>) -> Result<Share, ShareError> {
    let attach = attach_line(req)?;
    let id = ulid::Ulid::new().to_string();
    let dir = share_dir(&id);
    std::fs::create_dir_all(&dir).map_err(|e| ShareError::Failed {
        tool: req.tool.as_str(),
        message: format!("cannot create {}: {e}", dir.display()),
    })?;
    private_dir(&dir);
    let started = OffsetDateTime::now_utc();
    let ttl = time::Duration::try_from(req.ttl).unwrap_or(time::Duration::MINUTE * 30);
    let mut share = Share {
        id,
        repo: req.repo.to_string(),
        lane: req.lane.id.to_string(),
        tool: req.tool,
        rw: req.rw,
        links: Vec::new(),
        started,
        expires: started + ttl,
        pid: None,
        socket: dir.join("server.sock"),
        dir,
        watchdog_pid: None,
        clients: Vec::new(),
    };
    let result = match req.tool {
        Tool::Tmate => tmate::start(&mut share, &attach, req.config),
        Tool::Upterm => upterm::start(&mut share, &attach, req.config),
    };
    if let Err(e) = result {
        stop_share(&share);
        return Err(e);
    }
    share.watchdog_pid = proc::watchdog(&share, req.ttl).ok();
    Ok(share)
}

/// The shell command the share's terminal runs: the lane's tmux attach (`-r` for a read-only
/// share), here, or over ssh for a lane on another machine (the user's `[lanes] ssh`).
fn attach_line(req: &StartRequest<'_>) -> Result<String, ShareError> {
    let refuse = |why: String| ShareError::NoSession {
        lane: req.lane.id.to_string(),
        why,
    };
    let alive = req.lane.session_alive;
    let ro: &[&str] = if req.rw { &[] } else { &["-r"] };
    match &req.lane.source {
        LaneSource::Par { session } if alive => {
            let target = crate::model::lane::tmux_target(session);
            let mut argv = vec!["tmux", "attach"];
            argv.extend(ro);
            argv.extend(["-t", &target]);
            Ok(shell_words::join(argv))
        }
        LaneSource::Par { session } => Err(refuse(format!("tmux session {session} is gone"))),
        LaneSource::Remote {
            ssh,
            session: Some(session),
            socket,
            ..
        } if alive => {
            let argv =
                crate::model::fleet::attach_argv(req.ssh, ssh, session, socket.as_deref(), !req.rw);
            Ok(shell_words::join(argv))
        }
        LaneSource::Remote {
            host,
            session: Some(session),
            ..
        } => Err(refuse(format!("tmux session {session} on {host} is gone"))),
        LaneSource::Remote { host, .. } => {
            Err(refuse(format!("it is a plain worktree lane on {host}")))
        }
        LaneSource::Worktree => Err(refuse("it is a plain worktree lane".into())),
    }
}

/// Stop a share's processes and remove its directory. Idempotent.
pub fn stop_share(share: &Share) {
    if let Some(pid) = share.watchdog_pid {
        proc::kill_group(pid);
    }
    let prog = match share.tool {
        Tool::Tmate => "tmate",
        Tool::Upterm => "tmux",
    };
    proc::kill_server(prog, &share.socket);
    if let Some(pid) = share.pid {
        proc::kill_pid(pid);
    }
    match std::fs::remove_dir_all(&share.dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(share = %share.id, dir = %share.dir.display(), "cannot remove the share's directory: {e}");
        }
        _ => {}
    }
}

/// Whether the share's server still runs.
pub fn is_alive(share: &Share) -> bool {
    let prog = match share.tool {
        Tool::Tmate => "tmate",
        Tool::Upterm => "tmux",
    };
    proc::has_session(prog, &share.socket)
}

/// Who is attached, as the tool reports it.
pub fn clients(share: &Share) -> Vec<String> {
    match share.tool {
        Tool::Tmate => tmate::clients(share),
        Tool::Upterm => upterm::clients(share),
    }
}

/// `$XDG_STATE_HOME/helios/shares/<id>`.
pub fn share_dir(id: &str) -> PathBuf {
    crate::config::paths::state_dir().join("shares").join(id)
}

#[cfg(unix)]
fn private_dir(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    // The directory holds the share's socket: others must not reach it.
    if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
        tracing::warn!(dir = %dir.display(), "cannot make the share's directory private: {e}");
    }
}

#[cfg(not(unix))]
fn private_dir(_dir: &std::path::Path) {}

/// `user@host` of whoever runs helios, for audit events (the one function, kept at this path).
pub use crate::config::actor::actor;

/// The audit event for a share action, links redacted.
pub fn event(action: &str, share: &Share, ok: bool, extra: serde_json::Value) -> AuditEvent {
    let mut detail = serde_json::json!({
        "share": share.id,
        "tool": share.tool.as_str(),
        "mode": share.mode(),
        "links": share.redacted_links(),
        "expires": share.expires.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    });
    if let (Some(d), serde_json::Value::Object(x)) = (detail.as_object_mut(), extra) {
        d.extend(x);
    }
    AuditEvent::new(&actor(), &share.repo, action, Some(&share.lane), ok, detail)
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal helios runs in (also
/// over SSH); wrapped for tmux passthrough when inside tmux.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let seq = format!("\x1b]52;c;{b64}\x07");
    if std::env::var_os("TMUX").is_some() {
        format!("\x1bPtmux;\x1b{seq}\x1b\\")
    } else {
        seq
    }
}

/// Write the OSC 52 sequence for `text` to the controlling terminal, when there is one.
pub fn copy_to_clipboard(text: &str) -> bool {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .and_then(|mut tty| tty.write_all(osc52(text).as_bytes()))
        .is_ok()
}
