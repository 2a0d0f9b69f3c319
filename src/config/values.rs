//! Values whose type alone does not check them: the servers' URLs and addresses, and sizes
//! with a bound. Checked once the layers are merged and the flags applied, so a bad value
//! fails at start with its key named, not later as a server that cannot be reached.

use crate::config::flags::GlobalArgs;
use crate::config::{Config, ConfigError};

/// The most scrollback a lane keeps: each line is a row of cells, kept for every lane.
pub const MAX_SCROLLBACK: usize = 100_000;

/// Every value of `cfg` this module knows a rule for; the first one broken. `flags` says
/// which values a flag (or its environment variable) set: the error names that, not the key.
pub fn check(
    cfg: &Config,
    flags: &GlobalArgs,
    origin: &dyn Fn(&str) -> Option<std::path::PathBuf>,
) -> Result<(), ConfigError> {
    // As the other value errors read (`errors::value_error`), with the file that set the
    // value but no line (the value is the merged layers').
    let bad = |key: &str, flag: Option<&str>, value: Option<&str>, what: &str| {
        let (name, fix) = match (flag, origin(key)) {
            (Some(f), _) => (f.to_string(), "fix the flag or the variable"),
            (None, Some(file)) => (format!("{}: {key}", file.display()), "fix the value"),
            (None, None) => (key.to_string(), "fix the value"),
        };
        // A value that may hold a password is not shown.
        let not = value.map_or_else(String::new, |v| format!(", not {}", crate::text::quote(v)));
        ConfigError::Other(format!("{name}: expected {what}{not}; {fix}"))
    };
    if cfg.nats.url_given && !nats_servers(&cfg.nats.url) {
        return Err(bad(
            "nats.url",
            flags.nats.as_ref().map(|_| "--nats (or NATS_URL)"),
            Some(&crate::config::secrets::redact_url(&cfg.nats.url)),
            "NATS servers (nats://HOST:PORT, tls://, ws:// or wss://, separated by commas)",
        ));
    }
    if let Some(url) = &cfg.postgres.url
        && let Err(what) = postgres(url)
    {
        return Err(bad(
            "postgres.url",
            flags
                .postgres
                .as_ref()
                .map(|_| "--postgres (or HELIOS_POSTGRES_URL)"),
            None,
            what,
        ));
    }
    if humantime::parse_duration(&cfg.nats.stream_max_age).is_err() {
        return Err(bad(
            "nats.stream_max_age",
            None,
            Some(&cfg.nats.stream_max_age),
            "a duration like 30d or 12h",
        ));
    }
    if !host_port(&cfg.temporal.address) {
        return Err(bad(
            "temporal.address",
            flags
                .temporal
                .as_ref()
                .map(|_| "--temporal (or TEMPORAL_ADDRESS)"),
            Some(&cfg.temporal.address),
            "HOST:PORT",
        ));
    }
    if cfg.lanes.scrollback > MAX_SCROLLBACK {
        return Err(bad(
            "lanes.scrollback",
            None,
            Some(&cfg.lanes.scrollback.to_string()),
            &format!("at most {MAX_SCROLLBACK} lines"),
        ));
    }
    if cfg.lanes.ssh.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(bad(
            "lanes.ssh",
            None,
            None,
            "a command, like [\"ssh\"], not an empty list",
        ));
    }
    Ok(())
}

/// async-nats's forms: `SCHEME://[USER[:PASS]@]HOST[:PORT]` or `HOST[:PORT]`, comma-separated.
fn nats_servers(text: &str) -> bool {
    text.split(',').all(|s| {
        let s = s.trim();
        let url = if s.contains("://") {
            s.to_string()
        } else {
            format!("nats://{s}")
        };
        !s.is_empty()
            && url::Url::parse(&url).is_ok_and(|u| {
                matches!(u.scheme(), "nats" | "tls" | "ws" | "wss")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            })
    })
}

/// A `postgres://` or `postgresql://` URL, or libpq's `key=value` settings with a port that is
/// a port; else what was expected.
fn postgres(text: &str) -> Result<(), &'static str> {
    const EXPECTED: &str = "a PostgreSQL URL (postgres://USER@HOST:PORT/DB) or key=value settings";
    if text.contains("://") {
        return url::Url::parse(text)
            .is_ok_and(|u| matches!(u.scheme(), "postgres" | "postgresql"))
            .then_some(())
            .ok_or(EXPECTED);
    }
    let mut pairs = text.split_whitespace().peekable();
    if pairs.peek().is_none() {
        return Err(EXPECTED);
    }
    for kv in pairs {
        match kv.split_once('=') {
            // libpq would refuse these at the first connection, far from the config.
            Some(("port", p)) if !p.split(',').all(|p| p.parse::<u16>().is_ok()) => {
                return Err("a port=NUMBER (1-65535) in the key=value settings");
            }
            Some((k, _)) if !k.is_empty() => {}
            _ => return Err(EXPECTED),
        }
    }
    Ok(())
}

/// `HOST:PORT`, as the Temporal client reads it (`http://` added).
fn host_port(text: &str) -> bool {
    url::Url::parse(&format!("http://{text}"))
        .is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()) && u.port().is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn servers_and_addresses_are_checked() {
        for ok in [
            "nats://127.0.0.1:4222",
            "127.0.0.1:4222",
            "localhost",
            "tls://u:p@nats.example:4443",
            "nats://a:4222, nats://b:4222",
            "wss://nats.example/ws",
        ] {
            assert!(nats_servers(ok), "{ok}");
        }
        for bad in ["not a url", "", "http://x:4222", "nats://", "a:4222,"] {
            assert!(!nats_servers(bad), "{bad}");
        }
        assert!(postgres("postgres://u:p@127.0.0.1:5432/helios").is_ok());
        assert!(postgres("postgresql:///helios?host=/run/postgresql").is_ok());
        assert!(postgres("host=/tmp user=me dbname=helios").is_ok());
        assert!(postgres("host=db port=5433").is_ok());
        assert!(postgres("host=db port=abc").is_err_and(|e| e.contains("port=NUMBER")));
        assert!(postgres("=x").is_err());
        assert!(postgres("not a url").is_err());
        assert!(postgres("mysql://x/y").is_err());
        assert!(host_port("127.0.0.1:7233"));
        assert!(host_port("temporal.example:443"));
        assert!(!host_port("127.0.0.1"));
        assert!(!host_port("not an address:7233"));
    }

    #[test]
    fn a_bad_value_names_its_key_and_hides_a_password() {
        let none = GlobalArgs::default();
        let mut cfg = Config::default();
        assert!(check(&cfg, &none, &|_| None).is_ok());
        cfg.nats.url = "not a url".into();
        cfg.nats.url_given = true;
        let e = check(&cfg, &none, &|_| None).unwrap_err().to_string();
        assert!(e.starts_with("nats.url: expected NATS servers"), "{e}");
        assert!(e.contains("not \"not a url\"; fix the value"), "{e}");
        cfg.nats.url = "nats://me:hunter2@bad host:4222".into();
        let e = check(&cfg, &none, &|_| None).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        cfg.nats.url_given = false;
        cfg.postgres.url = Some("postgres//user:hunter2@host/db".into());
        let e = check(&cfg, &none, &|_| None).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        cfg.postgres.url = None;
        cfg.lanes.scrollback = 99_999_999_999;
        let e = check(&cfg, &none, &|_| None).unwrap_err().to_string();
        assert!(e.contains("lanes.scrollback"), "{e}");
        cfg.lanes.scrollback = 2000;
        cfg.nats.stream_max_age = "forever".into();
        let e = check(&cfg, &none, &|_| None).unwrap_err().to_string();
        assert!(
            e.starts_with("nats.stream_max_age: expected a duration"),
            "{e}"
        );
        cfg.nats.stream_max_age = "30d".into();
        cfg.lanes.ssh.clear();
        assert!(
            check(&cfg, &none, &|_| None)
                .unwrap_err()
                .to_string()
                .contains("lanes.ssh")
        );
    }

    /// A value a flag set is the flag's to fix, not a config file's.
    #[test]
    fn a_bad_value_from_a_flag_names_the_flag() {
        let mut cfg = Config::default();
        cfg.nats.url = "not a url".into();
        cfg.nats.url_given = true;
        let flags = GlobalArgs {
            nats: Some(cfg.nats.url.clone()),
            ..GlobalArgs::default()
        };
        let e = check(&cfg, &flags, &|_| None).unwrap_err().to_string();
        assert!(
            e.starts_with("--nats (or NATS_URL): expected NATS servers"),
            "{e}"
        );
        assert!(e.ends_with("; fix the flag or the variable"), "{e}");
    }
}
