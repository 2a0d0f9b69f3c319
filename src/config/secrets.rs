//! helios's own credentials: hidden from everything it prints, and kept out of the environment
//! of every program it starts (par, tmux, the lane shells and agents, zellij, tmate).
//!
//! A NATS or PostgreSQL URL may carry a password or token, and the Temporal API key is one.
//! Agents run in lanes that helios starts, so whatever helios was started with would otherwise
//! be theirs too: par may start the tmux server, and a tmux server keeps the environment it
//! started with for every session it ever makes.

use std::ffi::OsStr;
use std::process::Command;

use crate::config::Config;

/// The variables helios reads credentials from (clap's `env =` in `cli.rs`, and
/// `integrations::temporal::settings`), plus `NATS_CREDS`, the usual name for a NATS creds file.
pub const SECRET_ENV: &[&str] = &[
    "NATS_URL",
    "NATS_CREDS",
    "HELIOS_POSTGRES_URL",
    "TEMPORAL_API_KEY",
];

/// What a hidden secret is shown as.
pub const HIDDEN: &str = "***";

/// Query or conninfo keys whose value is a secret.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "sslpassword",
    "token",
    "auth_token",
    "api_key",
    "apikey",
    "secret",
];

/// Take helios's credentials out of a child's environment; `remove` is the builder's
/// `env_remove` (a `std::process::Command`, a portable-pty `CommandBuilder`).
pub fn scrub_env(mut remove: impl FnMut(&str)) {
    for name in SECRET_ENV {
        remove(name);
    }
}

/// `Command::new(program)` without helios's credentials in its environment: the way helios
/// starts every child process.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    scrub_env(|name| {
        cmd.env_remove(name);
    });
    cmd
}

/// A URL (or a comma-separated list of them, as NATS takes, or a PostgreSQL `key=value`
/// conninfo) with its password, token and secret query values shown as `***`:
/// `nats://u:***@h:4222`, `nats://***@h` (a token), `postgres://u:***@h/db?sslpassword=***`.
pub fn redact_url(url: &str) -> String {
    if !url.contains("://") {
        return redact_keys(url);
    }
    url.split(',').map(redact_one).collect::<Vec<_>>().join(",")
}

fn redact_one(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_keys(url);
    };
    // The user info ends at the last '@' before the query: a password may hold an unescaped
    // '@' or '/', and hiding too much is better than showing any of it.
    let query_at = rest.find(['?', '#']).unwrap_or(rest.len());
    let rest = match rest[..query_at].rfind('@') {
        Some(at) => {
            // Alone, the user info is NATS's token, but PostgreSQL's user name.
            let shown = match rest[..at].split_once(':') {
                Some((user, _)) => format!("{user}:{HIDDEN}"),
                None if scheme.starts_with("postgres") => rest[..at].to_string(),
                None => HIDDEN.to_string(),
            };
            format!("{shown}{}", &rest[at..])
        }
        None => rest.to_string(),
    };
    format!("{scheme}://{}", redact_keys(&rest))
}

/// `key=value` pairs (a URL's query, or a conninfo string) with secret values hidden.
fn redact_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let key_start = rest[..eq]
            .rfind(|c: char| c == '?' || c == '&' || c == ';' || c.is_whitespace())
            .map_or(0, |i| i + 1);
        let key = &rest[key_start..eq];
        let value = &rest[eq + 1..];
        let value_len = if let Some(quoted) = value.strip_prefix('\'') {
            quoted.find('\'').map_or(value.len(), |i| i + 2)
        } else {
            value
                .find(|c: char| c == '&' || c == '#' || c == ';' || c.is_whitespace())
                .unwrap_or(value.len())
        };
        out.push_str(&rest[..=eq]);
        if SECRET_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) && value_len > 0 {
            out.push_str(HIDDEN);
        } else {
            out.push_str(&value[..value_len]);
        }
        rest = &value[value_len..];
    }
    out.push_str(rest);
    out
}

/// The config as `helios config show` prints it: every URL redacted, the API key hidden.
pub fn redacted(cfg: &Config) -> Config {
    let mut cfg = cfg.clone();
    cfg.nats.url = redact_url(&cfg.nats.url);
    cfg.nats.monitor = cfg.nats.monitor.as_deref().map(redact_url);
    cfg.postgres.url = cfg.postgres.url.as_deref().map(redact_url);
    if cfg
        .temporal
        .api_key
        .as_deref()
        .is_some_and(|k| !k.is_empty())
    {
        cfg.temporal.api_key = Some(HIDDEN.into());
    }
    cfg
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn passwords_and_tokens_are_hidden() {
        for (url, want) in [
            ("nats://u:p@h:4222", "nats://u:***@h:4222"),
            ("nats://s3cret-token@h:4222", "nats://***@h:4222"),
            ("nats://h:4222", "nats://h:4222"),
            (
                "nats://a:x@h1,nats://b:y@h2",
                "nats://a:***@h1,nats://b:***@h2",
            ),
            (
                "postgres://me:pw@db:5432/helios",
                "postgres://me:***@db:5432/helios",
            ),
            ("postgres://me:p@ss/w@db/x", "postgres://me:***@db/x"),
            ("postgres://me@db/x", "postgres://me@db/x"),
            (
                "postgresql://me@db/x?password=p",
                "postgresql://me@db/x?password=***",
            ),
            (
                "postgresql://db/helios?user=me&password=pw&sslmode=require",
                "postgresql://db/helios?user=me&password=***&sslmode=require",
            ),
            (
                "host=db user=me password=pw dbname=x",
                "host=db user=me password=*** dbname=x",
            ),
            ("host=db password='a b' x=1", "host=db password=*** x=1"),
            ("http://127.0.0.1:8222", "http://127.0.0.1:8222"),
            (
                "https://mon:pw@h/varz?token=t",
                "https://mon:***@h/varz?token=***",
            ),
            ("127.0.0.1:7233", "127.0.0.1:7233"),
            ("", ""),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn config_show_hides_every_secret() {
        let mut cfg = Config::default();
        cfg.nats.url = "nats://u:natspw@h".into();
        cfg.nats.monitor = Some("http://m:monpw@h:8222".into());
        cfg.postgres.url = Some("postgres://u:pgpw@h/db".into());
        cfg.temporal.api_key = Some("tkey".into());
        let shown = toml::to_string(&redacted(&cfg)).unwrap();
        for secret in ["natspw", "monpw", "pgpw", "tkey"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("nats://u:***@h"), "{shown}");
    }

    #[test]
    fn children_do_not_get_the_credentials() {
        let cmd = command("true");
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        for name in SECRET_ENV {
            assert!(removed.iter().any(|r| r == name), "{name}");
        }
    }

    /// Every child helios starts goes through [`command`] (or [`scrub_env`] for a PTY): a new
    /// `Command::new` elsewhere would hand the agents helios's credentials again.
    #[test]
    fn every_spawn_in_src_is_scrubbed() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        let mut offenders = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("config/secrets.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (i, line) in text.lines().enumerate() {
                        let spawns =
                            line.contains("Command::new(") && !line.contains("secrets::command(");
                        let builder =
                            line.contains("CommandBuilder::new(") && !text.contains("scrub_env(");
                        if spawns || builder {
                            offenders.push(format!("{}:{}: {line}", path.display(), i + 1));
                        }
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "unscrubbed spawns:\n{}",
            offenders.join("\n")
        );
    }
}

/// Token prefixes of well-known credentials (GitHub, OpenAI/Anthropic, Slack, AWS, GitLab).
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "sk-",
    "xoxb-",
    "xoxp-",
    "AKIA",
    "glpat-",
];

/// Free text from an agent (a command it wants to run, a question) with the secrets it may
/// carry shown as `***`: `KEY=value` and `--key value` for secret-looking keys, `Bearer x`,
/// URL passwords and well-known token shapes. Used before such text enters an audit event.
pub fn redact_text(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut hide_next = false;
    for w in words {
        if std::mem::take(&mut hide_next) && !w.is_empty() {
            out.push(HIDDEN.to_string());
            continue;
        }
        let lower = w.to_lowercase();
        let secret_key = |k: &str| {
            let k = k.trim_start_matches('-').trim_start_matches("export ");
            SECRET_KEYS.iter().any(|s| k.ends_with(s)) || k.ends_with("_key")
        };
        if let Some((k, v)) = w
            .split_once('=')
            .filter(|(k, v)| !v.is_empty() && secret_key(&k.to_lowercase()))
        {
            // Closing brackets and quotes after the value are the text's, not the secret's.
            let tail: String = v
                .chars()
                .rev()
                .take_while(|c| matches!(c, ')' | ']' | '"' | '\'' | ',' | ';'))
                .collect();
            out.push(format!(
                "{k}={HIDDEN}{}",
                tail.chars().rev().collect::<String>()
            ));
        } else if lower == "bearer" || (lower.starts_with("--") && secret_key(&lower)) {
            out.push(w.to_string());
            hide_next = true;
        } else if TOKEN_PREFIXES
            .iter()
            .any(|p| w.trim_matches(['"', '\'']).starts_with(p) && w.len() >= p.len() + 8)
        {
            out.push(HIDDEN.to_string());
        } else if w.contains("://") && w.contains('@') {
            out.push(redact_url(w));
        } else {
            out.push(w.to_string());
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod redact_text_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn secrets_in_commands_are_hidden() {
        assert_eq!(
            redact_text("Bash(curl -H Authorization: Bearer abc123 https://x)"),
            "Bash(curl -H Authorization: Bearer *** https://x)"
        );
        assert_eq!(redact_text("API_TOKEN=s3cr3t make"), "API_TOKEN=*** make");
        assert_eq!(redact_text("gh --token ghp_abcdefghijkl"), "gh --token ***");
        assert_eq!(redact_text("echo sk-ant-0123456789abc"), "echo ***");
        assert_eq!(
            redact_text("psql postgres://u:pw@h/db"),
            "psql postgres://u:***@h/db"
        );
        assert_eq!(redact_text("cargo test --release"), "cargo test --release");
        assert_eq!(redact_text("ls -la =x"), "ls -la =x");
        assert_eq!(redact_text("Bash(make TOKEN=abc)"), "Bash(make TOKEN=***)");
    }
}
