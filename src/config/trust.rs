//! Which repo config files the user trusts. A repo's `.helios.toml` arrives with `git clone`, so
//! it could name a shell to run or a server to send the journal to: like direnv's `allow` and
//! mise's `trust`, helios ignores it until the user runs `helios trust`, which records the file's
//! path and the SHA-256 of its content, and the SHA-256 of every file it names (a keymap, a
//! theme, a zellij template, credentials: `config::FILE_KEYS`), since those arrive with the
//! same `git pull`. Any later change to any of them makes it untrusted again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::{ConfigError, paths};

/// Whether a repo config file may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustState {
    /// Trusted with exactly this content, and so are the files it names.
    Trusted,
    /// Never trusted.
    New,
    /// Trusted once, but the content changed since.
    Changed,
    /// The config is as trusted, but a file it names changed since (or is new to it).
    NamedChanged {
        /// The named file.
        file: PathBuf,
    },
}

/// What the store keeps for one trusted config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum Record {
    /// The config's digest and each named file's ([`file_digest`]).
    Covered {
        sha256: String,
        #[serde(default)]
        named: BTreeMap<PathBuf, String>,
    },
    /// Written by helios before trust covered named files: the config's digest alone. It still
    /// counts for a config that names no file; one that does must be trusted again.
    Legacy(String),
}

/// The trust store: `$XDG_STATE_HOME/helios/trusted.json`,
/// `{"files": {PATH: {"sha256": SHA256, "named": {PATH: SHA256}}}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TrustStore {
    /// Canonical file path to what the user trusted.
    #[serde(default)]
    files: BTreeMap<PathBuf, Record>,
}

/// The SHA-256 of a file's content, in hex.
pub fn digest(text: &str) -> String {
    digest_bytes(text.as_bytes())
}

fn digest_bytes(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let sum = Sha256::digest(bytes);
    sum.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The digest of a named file's content; a file that cannot be read (missing, a device, over
/// the config size limit: helios does not read such a file either) is recorded as such, so
/// it appearing later is a change too.
fn file_digest(path: &Path) -> String {
    match crate::config::read::read_config_bytes(path) {
        Ok(bytes) => digest_bytes(&bytes),
        Err(ConfigError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            "missing".into()
        }
        Err(e) => format!("unreadable: {e}"),
    }
}

/// The files the config `file` (with content `text`) names, anchored to its canonical
/// directory, as `config::load` will read them. Text that does not parse names none (it is
/// never trusted: `helios trust` checks it first).
pub fn named_files(file: &Path, text: &str) -> Vec<PathBuf> {
    let Ok(mut table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    crate::config::anchor_paths(&mut table, &canonical(file));
    crate::config::file_paths(&table)
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

    /// Whether `file`, whose content is `text`, may be used. The text is compared first; only
    /// text the user trusted is parsed to find the files it names.
    pub fn state(&self, file: &Path, text: &str) -> TrustState {
        let (sha256, named) = match self.files.get(&canonical(file)) {
            None => return TrustState::New,
            Some(Record::Legacy(h)) => (h, None),
            Some(Record::Covered { sha256, named }) => (sha256, Some(named)),
        };
        if *sha256 != digest(text) {
            return TrustState::Changed;
        }
        for path in named_files(file, text) {
            let recorded = named.and_then(|n| n.get(&canonical(&path)));
            if recorded != Some(&file_digest(&path)) {
                return TrustState::NamedChanged { file: path };
            }
        }
        TrustState::Trusted
    }

    /// Trust `file` with content `text`, and the files it names with their content now.
    /// Returns those files.
    pub fn trust(&mut self, file: &Path, text: &str) -> Vec<PathBuf> {
        let files = named_files(file, text);
        let named = files
            .iter()
            .map(|p| (canonical(p), file_digest(p)))
            .collect();
        self.files.insert(
            canonical(file),
            Record::Covered {
                sha256: digest(text),
                named,
            },
        );
        files
    }

    /// Forget `file`; whether it was trusted.
    pub fn revoke(&mut self, file: &Path) -> bool {
        self.files.remove(&canonical(file)).is_some()
    }

    /// Every trusted file.
    pub fn entries(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.keys()
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

/// Why a repo file in `state` is ignored: `it is not trusted yet`, `it changed since…`.
pub fn why_ignored(state: &TrustState) -> String {
    match state {
        TrustState::Changed => "it changed since you trusted it".to_string(),
        TrustState::NamedChanged { file: named } => format!(
            "{} (a file it names) changed since you trusted it",
            named.display()
        ),
        TrustState::Trusted | TrustState::New => "it is not trusted yet".to_string(),
    }
}

/// The one line shown when a repo file is ignored, `why` being [`why_ignored`]'s.
pub fn ignored_notice(file: &Path, why: &str) -> String {
    format!(
        "ignoring {}: {why} (a repo's config can run programs and send your events elsewhere); review it, then run `helios trust` to use it",
        file.display()
    )
}

/// The keys of a repo file that run programs, send data somewhere, or let lane output out of
/// its lane, as `section.key` names, shown when the user trusts it so they know what they
/// agree to. Keep in step with the config sections: a new key that runs something, names a
/// file helios reads, or sends lane text outside belongs here.
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
    // shell and ssh are programs helios runs; clipboard lets lane output set the user's
    // clipboard.
    check("lanes", &["shell", "ssh", "clipboard"]);
    // Writes lane text to the user's terminal as a notification.
    check("attention", &["notify"]);
    // Where events, queries and shared terminals go, who may join a share, and the files
    // and secrets that authenticate there (not the pacing, limits or page sizes).
    check("nats", &["url", "creds", "monitor", "forward"]);
    check("postgres", &["url"]);
    check(
        "temporal",
        &[
            "address",
            "tls",
            "tls_cert",
            "tls_key",
            "tls_ca",
            "tls_server_name",
            "api_key",
        ],
    );
    check(
        "share",
        &[
            "tmate_host",
            "tmate_port",
            "tmate_rsa_fingerprint",
            "upterm_server",
            "upterm_authorized_keys",
            "upterm_github_users",
        ],
    );
    // A keymap binds keys to commands; a theme is a file read; a zellij layout runs commands.
    check("ui", &["keymap", "theme"]);
    check("zellij", &["template"]);
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
    fn a_changed_named_file_is_no_longer_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".helios.toml");
        let text = "[ui]\nkeymap = \"helios/keys.toml\"\n";
        std::fs::create_dir_all(dir.path().join("helios")).unwrap();
        let keys = dir.path().join("helios/keys.toml");
        std::fs::write(&keys, "[normal]\n").unwrap();
        let mut s = TrustStore::default();
        let named = s.trust(&f, text);
        assert_eq!(named, vec![std::fs::canonicalize(&keys).unwrap()]);
        assert_eq!(s.state(&f, text), TrustState::Trusted);
        std::fs::write(&keys, "[normal]\nj = \"quit\"\n").unwrap();
        assert!(
            matches!(s.state(&f, text), TrustState::NamedChanged { file } if file.ends_with("keys.toml"))
        );
        s.trust(&f, text);
        assert_eq!(s.state(&f, text), TrustState::Trusted);
        std::fs::remove_file(&keys).unwrap();
        assert!(matches!(s.state(&f, text), TrustState::NamedChanged { .. }));
    }

    #[test]
    fn a_record_from_before_named_files_counts_only_for_a_config_naming_none() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".helios.toml");
        std::fs::write(&f, "x").unwrap();
        let key = std::fs::canonicalize(&f).unwrap().display().to_string();
        let plain = "[attention]\nquiet_secs = 3\n";
        let json = serde_json::json!({"files": {&key: digest(plain)}});
        let s: TrustStore = serde_json::from_value(json).unwrap();
        assert_eq!(s.state(&f, plain), TrustState::Trusted);
        let naming = "[zellij]\ntemplate = \"team.kdl\"\n";
        let json = serde_json::json!({"files": {&key: digest(naming)}});
        let s: TrustStore = serde_json::from_value(json).unwrap();
        assert!(matches!(
            s.state(&f, naming),
            TrustState::NamedChanged { .. }
        ));
    }

    #[test]
    fn every_key_that_runs_or_sends_is_named() {
        let t: toml::Table = toml::from_str(
            "[lanes]\nssh = [\"ssh\"]\nclipboard = \"allow\"\nscrollback = 1\n\
             [attention]\nnotify = \"osc9\"\nquiet_secs = 1\n\
             [zellij]\ntemplate = \"t.kdl\"\n[ui]\nkeymap = \"k.toml\"\n\
             [share]\nupterm_server = \"ssh://x\"\n[postgres]\nurl = \"postgres://x\"\nbatch = 9\n\
             [temporal]\naddress = \"x:1\"\npage_size = 5\n[nats]\nrefresh_secs = 5\n",
        )
        .unwrap();
        let mut got = powerful_keys(&t);
        got.sort();
        assert_eq!(
            got,
            vec![
                "attention.notify",
                "lanes.clipboard",
                "lanes.ssh",
                "postgres.url",
                "share.upterm_server",
                "temporal.address",
                "ui.keymap",
                "zellij.template",
            ]
        );
    }

    #[test]
    fn powerful_keys_are_named() {
        let t: toml::Table =
            toml::from_str("[lanes]\nshell = \"x\"\nscrollback = 3\n[nats]\nurl = \"u\"\n")
                .unwrap();
        assert_eq!(powerful_keys(&t), vec!["lanes.shell", "nats.url"]);
    }
}
