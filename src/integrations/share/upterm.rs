//! upterm, following its documentation as of v0.14 (docs/upterm_host.md and
//! docs/upterm_session_current.md, May 2024): `upterm host` runs in the foreground on a
//! terminal, so helios hosts it in a private tmux server on the share's socket:
//!
//! ```text
//! upterm host --accept --server URL [--read-only] [--authorized-keys F] [--github-user U]... \
//!     -- sh inner.sh        # inner.sh: save $UPTERM_ADMIN_SOCKET, unset TMUX, exec tmux attach [-r] -t S
//! upterm session current --admin-socket SOCK   # "=== ID", "Host: ...", "SSH Session: ssh TOKEN@HOST"
//! ```
//!
//! upterm sets `UPTERM_ADMIN_SOCKET` in the hosted command's environment; the inner script
//! writes it to a file so helios can ask `session current` for the connection string.

use std::time::{Duration, Instant};

use crate::config::ShareConfig;
use crate::integrations::share::proc::{self, sh_quote};
use crate::integrations::share::{Share, ShareError, ShareLink};

const TOOL: &str = "upterm";

/// The `upterm host` argv (without the hosted command).
pub fn host_args(rw: bool, cfg: &ShareConfig) -> Vec<String> {
    let mut args = vec![
        "host".to_string(),
        "--accept".into(),
        "--server".into(),
        cfg.upterm_server.clone(),
    ];
    if !rw {
        args.push("--read-only".into());
    }
    if let Some(k) = &cfg.upterm_authorized_keys {
        args.push("--authorized-keys".into());
        args.push(k.clone());
    }
    for u in &cfg.upterm_github_users {
        args.push("--github-user".into());
        args.push(u.clone());
    }
    args
}

/// Start `upterm host` for `share` and read its connection string. The caller stops
/// everything on error.
pub fn start(share: &mut Share, attach: &str, cfg: &ShareConfig) -> Result<(), ShareError> {
    if proc::which(TOOL).is_none() {
        return Err(ShareError::ToolMissing {
            tool: TOOL,
            hint: "install it from https://github.com/owenthereal/upterm/releases",
        });
    }
    let admin_file = share.dir.join("admin-socket");
    let log = share.dir.join("upterm.log");
    let inner = share.dir.join("inner.sh");
    let runner = share.dir.join("runner.sh");
    let q = |p: &std::path::Path| sh_quote(&p.display().to_string());
    let host: Vec<String> = host_args(share.rw, cfg)
        .iter()
        .map(|a| sh_quote(a))
        .collect();
    let scripts = [
        (
            &inner,
            format!(
                "printf %s \"$UPTERM_ADMIN_SOCKET\" > {}\nunset TMUX\nexec {attach}\n",
                q(&admin_file),
            ),
        ),
        (
            &runner,
            format!(
                "unset TMUX\nupterm {} -- sh {} 2>>{}\necho \"upterm exited with status $?\" >>{}\n",
                host.join(" "),
                q(&inner),
                q(&log),
                q(&log)
            ),
        ),
    ];
    for (path, text) in scripts {
        std::fs::write(path, text).map_err(|e| ShareError::Failed {
            tool: TOOL,
            message: format!("cannot write {}: {e}", path.display()),
        })?;
    }
    let out = proc::run_with_timeout(
        proc::unnested("tmux")
            .arg("-S")
            .arg(&share.socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
            ])
            .arg(format!("sh {}", q(&runner)))
            .env_remove("TMUX"),
        Duration::from_secs(10),
    )
    .ok_or_else(|| ShareError::Failed {
        tool: TOOL,
        message: "tmux new-session for upterm did not return within 10s".into(),
    })?;
    if !out.status.success() {
        return Err(ShareError::Failed {
            tool: TOOL,
            message: format!(
                "tmux new-session for upterm: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    share.pid = proc::query("tmux", &share.socket, &["display", "-p", "#{pid}"])
        .and_then(|p| p.parse().ok());
    let secs = cfg.ready_timeout_secs;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut pause = Duration::from_millis(20);
    loop {
        if let Some(links) = current(share) {
            share.links = links;
            return Ok(());
        }
        // Not there until upterm writes its first line.
        let said = std::fs::read_to_string(&log).unwrap_or_else(|e| {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(log = %log.display(), "cannot read upterm's output: {e}");
            }
            String::new()
        });
        if said.contains("upterm exited") {
            return Err(ShareError::Failed {
                tool: TOOL,
                message: format!(
                    "upterm host ended before sharing: {}",
                    said.lines()
                        .filter(|l| !l.trim().is_empty())
                        .collect::<Vec<_>>()
                        .join(" / ")
                ),
            });
        }
        if Instant::now() >= deadline {
            let detail = said
                .lines()
                .last()
                .map(|l| format!("; upterm said: {l}"))
                .unwrap_or_default();
            return Err(ShareError::Timeout {
                tool: TOOL,
                secs,
                server: cfg.upterm_server.clone(),
                detail,
            });
        }
        // No readiness signal to block on: upterm writes its admin socket when connected.
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

fn session_current(share: &Share) -> Option<String> {
    let admin = std::fs::read_to_string(share.dir.join("admin-socket")).ok()?;
    if admin.trim().is_empty() {
        return None;
    }
    let out = proc::run_with_timeout(
        crate::config::secrets::command(TOOL).args([
            "session",
            "current",
            "--admin-socket",
            admin.trim(),
        ]),
        Duration::from_secs(5),
    )?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The ssh link from `upterm session current`, once upterm has one.
fn current(share: &Share) -> Option<Vec<ShareLink>> {
    let text = session_current(share)?;
    let info = parse_session(&text);
    info.ssh.map(|url| {
        vec![ShareLink {
            kind: "ssh".into(),
            url,
        }]
    })
}

/// What `upterm session current` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session id (`=== ID`).
    pub id: Option<String>,
    /// `SSH Session:` — the command a guest runs.
    pub ssh: Option<String>,
    /// Lines under `Connected Client(s):`.
    pub clients: Vec<String>,
}

/// Parse `upterm session current` output.
pub fn parse_session(text: &str) -> SessionInfo {
    let mut info = SessionInfo::default();
    let mut in_clients = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(id) = t.strip_prefix("===") {
            info.id = Some(id.trim().to_string());
            in_clients = false;
        } else if let Some(ssh) = t.strip_prefix("SSH Session:") {
            info.ssh = Some(ssh.trim().to_string()).filter(|s| !s.is_empty());
            in_clients = false;
        } else if t.starts_with("Connected Client") {
            in_clients = true;
        } else if in_clients && (t.starts_with('-') || line.starts_with(char::is_whitespace)) {
            let c = t.trim_start_matches('-').trim();
            if !c.is_empty() {
                info.clients.push(c.to_string());
            }
        } else if t.contains(':') {
            in_clients = false;
        }
    }
    info
}

/// Who is attached, from `upterm session current`.
pub fn clients(share: &Share) -> Vec<String> {
    session_current(share)
        .map(|t| parse_session(&t).clients)
        .unwrap_or_default()
}
