//! The share value types: which tool, the links it hands out, and a share as the console and
//! the CLI show it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Which tool carries a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// tmate 2.4.
    Tmate,
    /// upterm.
    Upterm,
}

impl Tool {
    /// The program name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tmate => "tmate",
            Self::Upterm => "upterm",
        }
    }

    /// Parse `tmate` / `upterm`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "tmate" => Some(Self::Tmate),
            "upterm" => Some(Self::Upterm),
            _ => None,
        }
    }
}

/// One link a share hands out. Links are credentials: never log them unredacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    /// `ssh` or `web`.
    pub kind: String,
    /// The link or command.
    pub url: String,
}

/// A share, running or ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// ULID.
    pub id: String,
    /// Repository short name.
    pub repo: String,
    /// The lane's label.
    pub lane: String,
    /// The tool.
    pub tool: Tool,
    /// Read-write (else read-only).
    pub rw: bool,
    /// What to hand out.
    pub links: Vec<ShareLink>,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// When the TTL ends it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    /// The server process (tmate, or the private tmux hosting upterm).
    pub pid: Option<u32>,
    /// The server's socket.
    pub socket: PathBuf,
    /// The share's private directory (scripts, logs, sockets).
    pub dir: PathBuf,
    /// The detached TTL watchdog.
    pub watchdog_pid: Option<u32>,
    /// Who is attached, where the tool reports it (refreshed, not stored).
    #[serde(default)]
    pub clients: Vec<String>,
}

impl Share {
    /// `ro` or `rw`.
    pub fn mode(&self) -> &'static str {
        if self.rw { "rw" } else { "ro" }
    }

    /// The links with their secret parts replaced, for events and logs.
    pub fn redacted_links(&self) -> Vec<String> {
        self.links
            .iter()
            .map(|l| format!("{}: {}", l.kind, redact(&l.url)))
            .collect()
    }
}

/// Replace the secret parts of a link: the user part of `user@host` (tmate and upterm tokens)
/// and the path of a web URL.
pub fn redact(link: &str) -> String {
    link.split(' ')
        .map(|w| {
            if let Some(rest) = w
                .strip_prefix("https://")
                .or_else(|| w.strip_prefix("http://"))
            {
                let scheme = &w[..w.len() - rest.len()];
                let host = rest.split('/').next().unwrap_or("");
                format!("{scheme}{host}/****")
            } else if let Some((_, host)) = w.rsplit_once('@') {
                format!("****@{host}")
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
