//! tmate 2.4.0 (Debian 12's package; commands as in tmate's man page and tmate.io docs): one tmate
//! server per share on its own socket, running `tmux attach [-r] -t SESSION` against the lane.
//!
//! ```text
//! tmate -S SOCK -f CONF new-session -d 'sh attach.sh'     # attach.sh: unset TMUX; exec tmux attach -r -t =S (ssh -t HOST … for a remote lane)
//! tmate -S SOCK wait tmate-ready                          # blocks until the tmate server answered
//! tmate -S SOCK display -p '#{tmate_ssh_ro}'              # or tmate_ssh, tmate_web_ro, tmate_web
//! tmate -S SOCK show-messages                             # "A mate has joined (IP) ..." lines
//! tmate -S SOCK kill-server
//! ```

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use crate::config::ShareConfig;
use crate::integrations::share::proc::{self, sh_quote};
use crate::integrations::share::{Share, ShareError, ShareLink};

const TOOL: &str = "tmate";

/// The tmate config helios writes per share: the self-hosted server options when configured.
pub fn config_text(cfg: &ShareConfig) -> String {
    let mut text = String::from("# written by helios for one share\n");
    let mut set = |k: &str, v: &str| {
        let _ = writeln!(text, "set -g {k} {}", sh_quote(v));
    };
    if let Some(h) = &cfg.tmate_host {
        set("tmate-server-host", h);
    }
    if let Some(p) = cfg.tmate_port {
        set("tmate-server-port", &p.to_string());
    }
    if let Some(f) = &cfg.tmate_rsa_fingerprint {
        set("tmate-server-rsa-fingerprint", f);
    }
    if let Some(f) = &cfg.tmate_ed25519_fingerprint {
        set("tmate-server-ed25519-fingerprint", f);
    }
    text
}

fn server(cfg: &ShareConfig) -> String {
    format!(
        "{}:{}",
        cfg.tmate_host.as_deref().unwrap_or("ssh.tmate.io"),
        cfg.tmate_port.unwrap_or(22)
    )
}

fn tmate(share: &Share) -> Command {
    let mut c = proc::unnested(TOOL);
    c.arg("-S").arg(&share.socket);
    c
}

/// Start the tmate server for `share` and read its links. The caller stops everything on error.
pub fn start(share: &mut Share, attach: &str, cfg: &ShareConfig) -> Result<(), ShareError> {
    if proc::which(TOOL).is_none() {
        return Err(ShareError::ToolMissing {
            tool: TOOL,
            hint: "install it (Debian: apt-get install tmate)",
        });
    }
    let conf = share.dir.join("tmate.conf");
    let script = share.dir.join("attach.sh");
    let write = |path: &std::path::Path, text: String| {
        std::fs::write(path, text).map_err(|e| ShareError::Failed {
            tool: TOOL,
            message: format!("cannot write {}: {e}", path.display()),
        })
    };
    write(&conf, config_text(cfg))?;
    // tmate sets TMUX to its own socket in its panes; the lane's tmux must not see it.
    write(&script, format!("unset TMUX\nexec {attach}\n"))?;
    let out = proc::run_with_timeout(
        tmate(share)
            .arg("-f")
            .arg(&conf)
            .args(["new-session", "-d", "-x", "200", "-y", "50"])
            .arg(format!("sh {}", sh_quote(&script.display().to_string()))),
        Duration::from_secs(10),
    )
    .ok_or_else(|| ShareError::Failed {
        tool: TOOL,
        message: "tmate new-session did not return within 10s".into(),
    })?;
    if !out.status.success() {
        return Err(ShareError::Failed {
            tool: TOOL,
            message: format!(
                "tmate new-session: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    share.pid =
        proc::query(TOOL, &share.socket, &["display", "-p", "#{pid}"]).and_then(|p| p.parse().ok());
    let secs = cfg.ready_timeout_secs;
    let ready = proc::run_with_timeout(
        tmate(share).args(["wait", "tmate-ready"]),
        Duration::from_secs(secs),
    );
    if !ready.is_some_and(|o| o.status.success()) {
        let said = proc::query(TOOL, &share.socket, &["show-messages"])
            .and_then(|m| m.lines().last().map(str::to_string))
            .map(|m| format!("; tmate said: {m}"))
            .unwrap_or_default();
        return Err(ShareError::Timeout {
            tool: TOOL,
            secs,
            server: server(cfg),
            detail: said,
        });
    }
    let (ssh, web) = if share.rw {
        ("#{tmate_ssh}", "#{tmate_web}")
    } else {
        ("#{tmate_ssh_ro}", "#{tmate_web_ro}")
    };
    for (kind, fmt) in [("ssh", ssh), ("web", web)] {
        if let Some(url) =
            proc::query(TOOL, &share.socket, &["display", "-p", fmt]).filter(|u| !u.is_empty())
        {
            share.links.push(ShareLink {
                kind: kind.into(),
                url,
            });
        }
    }
    if share.links.iter().all(|l| l.kind != "ssh") {
        return Err(ShareError::Failed {
            tool: TOOL,
            message: format!("tmate became ready but reported no ssh link ({ssh} was empty)"),
        });
    }
    Ok(())
}

/// Who is attached: the addresses in tmate's "A mate has joined (ADDR)" messages minus those
/// that left.
pub fn clients(share: &Share) -> Vec<String> {
    let Some(messages) = proc::query(TOOL, &share.socket, &["show-messages"]) else {
        return Vec::new();
    };
    parse_clients(&messages)
}

/// Parse `show-messages` output into the attached clients.
pub fn parse_clients(messages: &str) -> Vec<String> {
    let mut who: Vec<String> = Vec::new();
    for line in messages.lines() {
        let addr = line
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(a, _)| a.to_string());
        let Some(addr) = addr else { continue };
        if line.contains("has joined") {
            who.push(addr);
        } else if line.contains("has left")
            && let Some(i) = who.iter().position(|w| *w == addr)
        {
            who.remove(i);
        }
    }
    who
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_named_in_messages_is_the_configured_one_or_tmates_default() {
        assert_eq!(server(&ShareConfig::default()), "ssh.tmate.io:22");
        let own = ShareConfig {
            tmate_host: Some("127.0.0.1".into()),
            tmate_port: Some(2222),
            ..ShareConfig::default()
        };
        assert_eq!(server(&own), "127.0.0.1:2222");
        assert!(config_text(&own).contains("set -g tmate-server-port '2222'"));
    }
}
