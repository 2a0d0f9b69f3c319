//! Lanes on many machines: what `helios serve` publishes in the JetStream key-value buckets
//! (one row per lane in `HELIOS_LANES`, one heartbeat per host in `HELIOS_HOSTS`), how keys are
//! spelled, and when a host's data is stale. Plain data and pure functions: the NATS side is in
//! `integrations::fleet`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The bucket of lane rows: key `<host>.<repo>.<label>`.
pub const LANES_BUCKET: &str = "HELIOS_LANES";
/// The bucket of heartbeats: key `<host>`.
pub const HOSTS_BUCKET: &str = "HELIOS_HOSTS";
/// The subject prefix of the host services' requests: `helios.svc.<host>.<op>`.
pub const SERVICE_PREFIX: &str = "helios.svc";
/// The NATS service name every `helios serve` registers (`$SRV.PING.helios` finds them all).
pub const SERVICE_NAME: &str = "helios";

/// One lane as a host publishes it. The fields of `helios lane ls --json`, with the host, the
/// repo, how to attach and when the row was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneRow {
    /// The host that runs the lane (as `helios serve --host` names it).
    pub host: String,
    /// The repository's short name.
    pub repo: String,
    /// The lane's label.
    pub label: String,
    /// Its branch, when it has one.
    pub branch: Option<String>,
    /// Its worktree on that host.
    pub worktree: String,
    /// Its tmux session (par lanes).
    pub session: Option<String>,
    /// `alive`, `missing` or `worktree` (as `lane ls`).
    pub status: String,
    /// Changed or untracked files.
    pub dirty: u32,
    /// The base the counts are measured against.
    pub base: Option<String>,
    /// Commits not in the base.
    pub ahead: u32,
    /// Commits of the base not in the lane.
    pub behind: u32,
    /// `working`, `waiting`, … (none recorded yet: null).
    pub state: Option<String>,
    /// `permission`, an exit status, …
    pub state_kind: Option<String>,
    /// When the lane entered its state (RFC 3339).
    pub state_since: Option<String>,
    /// The signal that decided it (`hook:claude`, `screen`, …).
    pub state_source: Option<String>,
    /// Why.
    pub state_reason: Option<String>,
    /// How to reach the lane's terminal: `ssh -t <ssh> tmux attach -t =<session>`.
    pub attach: Option<Attach>,
    /// When the host wrote this row (RFC 3339, the host's clock).
    pub updated: String,
}

/// How a console on another machine opens a lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attach {
    /// The ssh destination (`--ssh` of `helios serve`, else the host name).
    pub ssh: String,
    /// The tmux session.
    pub session: String,
    /// The tmux server's socket there, when not the default (`TMUX_TMPDIR` or `-L` set).
    #[serde(default)]
    pub socket: Option<String>,
}

/// The argv that opens a remote lane's terminal: `ssh` (the configured command, at least the
/// program) with `-t DEST`, then tmux's attach for the host's shell, each word quoted for it
/// (ssh hands the words to the remote shell as one string). `read_only` attaches with `-r`
/// (a share's guests).
pub fn attach_argv(
    ssh: &[String],
    dest: &str,
    session: &str,
    socket: Option<&str>,
    read_only: bool,
) -> Vec<String> {
    let mut argv: Vec<String> = if ssh.is_empty() {
        vec!["ssh".into()]
    } else {
        ssh.to_vec()
    };
    // `--` keeps a destination that starts with `-` from being read as an option.
    argv.extend(["-t".into(), "--".into(), dest.to_string()]);
    let mut remote = vec!["tmux".to_string()];
    if let Some(s) = socket {
        remote.extend(["-S".into(), s.to_string()]);
    }
    remote.push("attach-session".into());
    if read_only {
        remote.push("-r".into());
    }
    remote.extend([
        "-f".into(),
        "ignore-size".into(),
        "-t".into(),
        format!("={session}"),
    ]);
    argv.push(shell_words::join(&remote));
    argv
}

/// A host's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostBeat {
    /// The host.
    pub host: String,
    /// When it was written (RFC 3339, the host's clock).
    pub at: String,
    /// Seconds between heartbeats.
    pub interval_secs: u64,
    /// How many lanes the host publishes.
    pub lanes: usize,
    /// The repos it serves (short names).
    pub repos: Vec<String>,
    /// True when `helios serve` stopped on a signal (its rows stay, shown stale).
    #[serde(default)]
    pub stopped: bool,
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A key token: `[A-Za-z0-9_-]` kept, every other byte as `=XX` (a KV key allows `=`, and a dot
/// would split a token), so any host or repo name gives one token and reads back the same.
pub fn token(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push('=');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    if out.is_empty() {
        // An empty name still needs a token; `=` alone never comes from a byte.
        out.push('=');
    }
    out
}

/// The text a [`token`] stands for (`None` for a token no name gives).
pub fn untoken(tok: &str) -> Option<String> {
    if tok == "=" {
        return Some(String::new());
    }
    let b = tok.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The key of a lane row.
pub fn lane_key(host: &str, repo: &str, label: &str) -> String {
    format!("{}.{}.{}", token(host), token(repo), token(label))
}

/// The keys of one host's rows, for a watch or a purge: `<host>.>`.
pub fn host_keys(host: &str) -> String {
    format!("{}.>", token(host))
}

/// The subject of a host service's operation.
pub fn service_subject(host: &str, op: &str) -> String {
    format!("{SERVICE_PREFIX}.{}.{op}", token(host))
}

/// Whether a host's data can be trusted as current, and how old it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// True when the host's heartbeat is missing, older than [`stale_after`], or dated ahead
    /// of this machine's clock by more than [`MAX_CLOCK_SKEW_SECS`].
    pub stale: bool,
    /// Seconds since the data was last confirmed (the heartbeat, else the row itself);
    /// `u64::MAX` when unknown (a time that does not parse, or lies in the future).
    pub age_secs: u64,
    /// Why the data is stale (`None` when it is not), to show beside it.
    pub why: Option<StaleReason>,
}

/// Why a host's data is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// The host has no heartbeat.
    NoHeartbeat,
    /// The host's `helios serve` stopped.
    Stopped,
    /// The last heartbeat is older than [`stale_after`] its interval.
    Overdue {
        /// Seconds since it.
        age_secs: u64,
        /// The host's heartbeat interval.
        interval_secs: u64,
    },
    /// The heartbeat is dated further ahead of this machine's clock than clocks drift.
    Ahead {
        /// By how many seconds.
        secs: u64,
    },
    /// The heartbeat's time does not parse.
    Unreadable,
}

impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoHeartbeat => f.write_str("no heartbeat from the host"),
            Self::Stopped => f.write_str("the host's helios serve stopped"),
            Self::Overdue {
                age_secs,
                interval_secs,
            } => write!(
                f,
                "last heartbeat {age_secs}s ago, expected every {interval_secs}s"
            ),
            Self::Ahead { secs } => write!(
                f,
                "heartbeat dated {secs}s ahead of this machine's clock (more than the {MAX_CLOCK_SKEW_SECS}s clocks may differ): a wrong clock or a forged heartbeat; its age is unknown"
            ),
            Self::Unreadable => f.write_str("the heartbeat's time does not parse"),
        }
    }
}

/// How far ahead of this machine's clock a heartbeat may be dated and still count as just
/// written: clocks kept by NTP differ by far less. Further ahead, it would stay fresh until
/// that time came, and a forged one dated years ahead forever.
pub const MAX_CLOCK_SKEW_SECS: u64 = 60;

/// How long a heartbeat is good for: one and a half intervals (one missed beat plus slack), so
/// a host that stops is stale within two heartbeats of its last one.
pub fn stale_after(interval_secs: u64) -> u64 {
    interval_secs.max(1) * 3 / 2
}

/// How old a time is at `now`.
enum Age {
    /// Seconds (a time ahead of `now` by no more than the skew allowed counts as 0).
    Secs(u64),
    /// Dated ahead of `now` by more than the skew allowed, by this many seconds.
    Ahead(u64),
    /// Not an RFC 3339 time.
    Unreadable,
}

fn age_of(at: &str, now: OffsetDateTime) -> Age {
    let Some(t) = parse_time(at) else {
        return Age::Unreadable;
    };
    let secs = (now - t).whole_seconds();
    match u64::try_from(secs) {
        Ok(secs) => Age::Secs(secs),
        Err(_) if secs.unsigned_abs() <= MAX_CLOCK_SKEW_SECS => Age::Secs(0),
        Err(_) => Age::Ahead(secs.unsigned_abs()),
    }
}

/// The freshness of a host's rows at `now`, from its heartbeat (when there is one) and the
/// time the row was written (when there is none: always stale).
pub fn freshness(beat: Option<&HostBeat>, row_updated: &str, now: OffsetDateTime) -> Freshness {
    let Some(b) = beat else {
        let age_secs = match age_of(row_updated, now) {
            Age::Secs(s) => s,
            Age::Ahead(_) | Age::Unreadable => u64::MAX,
        };
        return Freshness {
            stale: true,
            age_secs,
            why: Some(StaleReason::NoHeartbeat),
        };
    };
    let (age_secs, why) = match age_of(&b.at, now) {
        Age::Secs(s) if b.stopped => (s, Some(StaleReason::Stopped)),
        Age::Secs(s) if s > stale_after(b.interval_secs) => (
            s,
            Some(StaleReason::Overdue {
                age_secs: s,
                interval_secs: b.interval_secs,
            }),
        ),
        Age::Secs(s) => (s, None),
        Age::Ahead(secs) => (u64::MAX, Some(StaleReason::Ahead { secs })),
        Age::Unreadable => (u64::MAX, Some(StaleReason::Unreadable)),
    };
    Freshness {
        stale: why.is_some(),
        age_secs,
        why,
    }
}

/// Parse an RFC 3339 time.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// A request from a console or the CLI to a host's `helios serve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneRequest {
    /// Who asks (the console's actor), journalled on both sides.
    pub actor: String,
    /// The repo on that host (short name).
    pub repo: String,
    /// The lane.
    pub label: String,
    /// What to do.
    #[serde(flatten)]
    pub op: LaneOp,
}

/// The operations a host service runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LaneOp {
    /// `helios lane new`.
    New {
        /// The base branch.
        #[serde(default)]
        base: Option<String>,
        /// A command to run in it.
        #[serde(default)]
        cmd: Option<String>,
    },
    /// `helios lane rm`.
    Rm {
        /// Remove unsaved work too.
        #[serde(default)]
        force: bool,
    },
    /// `helios lane send`.
    Send {
        /// The line.
        text: String,
    },
}

impl LaneOp {
    /// The subject suffix.
    pub fn name(&self) -> &'static str {
        match self {
            Self::New { .. } => "new",
            Self::Rm { .. } => "rm",
            Self::Send { .. } => "send",
        }
    }
}

/// A host service's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneReply {
    /// Whether it was done.
    pub ok: bool,
    /// What happened, in one line (the error when not done).
    pub message: String,
    /// The host that answered.
    pub host: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_read_back_and_never_hold_a_dot() {
        for name in [
            "build-box",
            "a.b.c",
            "",
            "=",
            "x y",
            "héllo",
            "a=2E",
            "*",
            ">",
        ] {
            let t = token(name);
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-=".contains(&b)),
                "{t}"
            );
            assert_eq!(untoken(&t).as_deref(), Some(name), "{name} -> {t}");
        }
        assert_eq!(lane_key("h.lan", "repo", "wt-1"), "h=2Elan.repo.wt-1");
        assert_eq!(untoken("=zz"), None);
        assert_eq!(untoken("=4"), None);
    }

    fn beat(at: &str, interval_secs: u64, stopped: bool) -> HostBeat {
        HostBeat {
            host: "h".into(),
            at: at.into(),
            interval_secs,
            lanes: 0,
            repos: vec![],
            stopped,
        }
    }

    #[test]
    fn a_host_is_stale_once_its_heartbeat_is_overdue() {
        let now = parse_time("2026-12-02T10:00:10Z").unwrap();
        let fresh = beat("2026-12-02T10:00:07Z", 2, false);
        assert_eq!(
            freshness(Some(&fresh), "", now),
            Freshness {
                stale: false,
                age_secs: 3,
                why: None
            }
        );
        let late = beat("2026-12-02T10:00:06Z", 2, false);
        assert!(freshness(Some(&late), "", now).stale);
        let stopped = beat("2026-12-02T10:00:10Z", 2, true);
        assert!(freshness(Some(&stopped), "", now).stale);
        let none = freshness(None, "2026-12-02T09:59:00Z", now);
        assert_eq!(
            none,
            Freshness {
                stale: true,
                age_secs: 70,
                why: Some(StaleReason::NoHeartbeat)
            }
        );
        assert_eq!(freshness(None, "garbage", now).age_secs, u64::MAX);
    }

    /// A heartbeat dated ahead of this clock would otherwise be fresh until that time came (a
    /// forged one dated years ahead, forever); a few seconds of clock skew are normal.
    #[test]
    fn a_heartbeat_from_the_future_is_not_fresh() {
        let now = parse_time("2026-12-02T10:00:00Z").unwrap();
        let skewed = beat("2026-12-02T10:00:30Z", 2, false);
        assert_eq!(
            freshness(Some(&skewed), "", now),
            Freshness {
                stale: false,
                age_secs: 0,
                why: None
            }
        );
        let forged = beat("2099-01-01T00:00:00Z", 2, false);
        let f = freshness(Some(&forged), "", now);
        assert!(f.stale, "{f:?}");
        assert_eq!(f.age_secs, u64::MAX, "its age is unknown, not 0");
        let why = f.why.unwrap().to_string();
        assert!(why.contains("ahead of this machine's clock"), "{why}");
        let just_over = beat("2026-12-02T10:01:01Z", 2, false);
        assert_eq!(
            freshness(Some(&just_over), "", now).why,
            Some(StaleReason::Ahead { secs: 61 })
        );
        // Without a heartbeat a row dated ahead has no age either.
        assert_eq!(
            freshness(None, "2099-01-01T00:00:00Z", now).age_secs,
            u64::MAX
        );
    }

    #[test]
    fn the_remote_attach_quotes_what_the_remote_shell_reads() {
        let argv = attach_argv(&[], "box", "par-a b;x", Some("/tmp/t s/default"), false);
        assert_eq!(argv[..4], ["ssh", "-t", "--", "box"]);
        assert_eq!(
            shell_words::split(&argv[4]).unwrap(),
            [
                "tmux",
                "-S",
                "/tmp/t s/default",
                "attach-session",
                "-f",
                "ignore-size",
                "-t",
                "=par-a b;x"
            ]
        );
        let guest = attach_argv(&["ssh".into(), "-q".into()], "box", "s", None, true);
        assert_eq!(
            shell_words::split(&guest[5]).unwrap(),
            [
                "tmux",
                "attach-session",
                "-r",
                "-f",
                "ignore-size",
                "-t",
                "=s"
            ]
        );
    }

    #[test]
    fn requests_are_tagged_by_op() {
        let r = LaneRequest {
            actor: "a@b".into(),
            repo: "r".into(),
            label: "l".into(),
            op: LaneOp::Send { text: "hi".into() },
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["op"], "send");
        assert_eq!(j["text"], "hi");
        let back: LaneRequest = serde_json::from_value(j).unwrap();
        assert_eq!(back, r);
    }
}
