//! Which repo config files the user trusts. A repo's `.helios.toml` arrives with `git clone`, so
//! it could name a shell to run or a server to send the journal to: like direnv's `allow` and
//! mise's `trust`, helios ignores it until the user runs `helios trust`, which records the file's
//! path and the SHA-256 of its content. Any later change makes it untrusted again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::{ConfigError, paths};

/// Whether a repo config file may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustState {
    /// Trusted with exactly this content.
    Trusted,
    /// Never trusted.
    New,
    /// Trusted once, but the content changed since.
    Changed,
}

/// The trust store: `$XDG_STATE_HOME/helios/trusted.json`, `{"files": {PATH: SHA256}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TrustStore {
    /// Canonical file path to the hex SHA-256 of the content the user trusted.
    #[serde(default)]
    files: BTreeMap<PathBuf, String>,
}

/// The SHA-256 of a file's content, in hex.
pub fn digest(text: &str) -> String {
    use std::fmt::Write as _;
    let sum = Sha256::digest(text.as_bytes());
    sum.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl TrustStore {
    /// Where the store lives.
    pub fn path() -> PathBuf {
        paths::state_dir().join("trusted.json")
    }

    /// Read the store (a missing file is an empty store). A damaged store trusts nothing and
    /// says so: failing closed is the safe side.
    pub fn load() -> Result<Self, ConfigError> {
        let path = Self::path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        serde_json::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.clone(),
            line: e.line(),
            message: format!(
                "the trust store is damaged ({e}); move it aside and run `helios trust` again in each repo"
            ),
        })
    }

    /// Whether `file`, whose content is `text`, may be used.
    pub fn state(&self, file: &Path, text: &str) -> TrustState {
        match self.files.get(&canonical(file)) {
            Some(h) if *h == digest(text) => TrustState::Trusted,
            Some(_) => TrustState::Changed,
            None => TrustState::New,
        }
    }

    /// Trust `file` with content `text`.
    pub fn trust(&mut self, file: &Path, text: &str) {
        self.files.insert(canonical(file), digest(text));
    }

    /// Forget `file`; whether it was trusted.
    pub fn revoke(&mut self, file: &Path) -> bool {
        self.files.remove(&canonical(file)).is_some()
    }

    /// Every trusted file and its hash.
    pub fn entries(&self) -> impl Iterator<Item = (&PathBuf, &String)> {
        self.files.iter()
    }

    /// Write the store atomically, readable by the user only.
    pub fn save(&self) -> Result<(), ConfigError> {
        let path = Self::path();
        let io = |source| ConfigError::Read {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ConfigError::Other(format!("cannot encode the trust store: {e}")))?;
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

/// The one line shown when a repo file is ignored.
pub fn ignored_notice(file: &Path, state: &TrustState) -> String {
    let why = match state {
        TrustState::Changed => "it changed since you trusted it",
        _ => "it is not trusted yet",
    };
    format!(
        "ignoring {}: {why} (a repo's config can run programs and send your events elsewhere); review it, then run `helios trust` to use it",
        file.display()
    )
}

/// The keys of a repo file that run programs or send data somewhere, as `section.key` names,
/// shown when the user trusts it so they know what they agree to.
pub fn powerful_keys(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |section: &str, keys: &[&str]| {
        if let Some(toml::Value::Table(t)) = table.get(section) {
            for k in t.keys() {
                if keys.is_empty() || keys.contains(&k.as_str()) {
                    out.push(format!("{section}.{k}"));
                }
            }
        }
    };
    check("lanes", &["shell"]);
    check("nats", &[]);
    check("postgres", &[]);
    check("temporal", &[]);
    check("share", &[]);
    check("ui", &["keymap", "theme"]);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_changed_file_is_no_longer_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".helios.toml");
        std::fs::write(&f, "a").unwrap();
        let mut s = TrustStore::default();
        assert_eq!(s.state(&f, "a"), TrustState::New);
        s.trust(&f, "a");
        assert_eq!(s.state(&f, "a"), TrustState::Trusted);
        assert_eq!(s.state(&f, "a "), TrustState::Changed);
        assert!(s.revoke(&f));
        assert_eq!(s.state(&f, "a"), TrustState::New);
    }

    #[test]
    fn powerful_keys_are_named() {
        let t: toml::Table =
            toml::from_str("[lanes]\nshell = \"x\"\nscrollback = 3\n[nats]\nurl = \"u\"\n")
                .unwrap();
        assert_eq!(powerful_keys(&t), vec!["lanes.shell", "nats.url"]);
    }
}
