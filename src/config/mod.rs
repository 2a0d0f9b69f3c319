//! Configuration in layers: embedded defaults < user file < repo file < `--config` file < flags.

pub mod actor;
pub mod chord;
pub mod context;
pub mod errors;
pub mod flags;

pub mod named;
pub mod paths;
pub mod priority;
pub mod read;
pub mod secrets;
pub mod sections;
pub mod theme;
pub mod trust;
pub mod values;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use sections::{NatsConfig, PostgresConfig, ShareConfig, TemporalConfig, ZellijConfig};

use crate::config::flags::GlobalArgs;
pub use context::Context;

/// The merged configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Look and keys.
    pub ui: UiConfig,
    /// Lanes.
    pub lanes: LanesConfig,
    /// When a lane needs a human.
    pub attention: AttentionConfig,
    /// NATS.
    pub nats: NatsConfig,
    /// PostgreSQL.
    pub postgres: PostgresConfig,
    /// Temporal.
    pub temporal: TemporalConfig,
    /// Sharing.
    pub share: ShareConfig,
    /// Zellij.
    pub zellij: ZellijConfig,
}

/// `[ui]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Theme name or path.
    pub theme: String,
    /// Keymap name or path.
    pub keymap: String,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: "default".into(),
            keymap: "default".into(),
        }
    }
}

/// `[lanes]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanesConfig {
    /// Lines of scrollback helios keeps per lane.
    pub scrollback: usize,
    /// Shell for plain worktree lanes (default `$SHELL`, then /bin/sh).
    pub shell: Option<String>,
    /// How par lanes' tmux sessions are read.
    pub tmux_client: TmuxClient,
    /// Whether a lane may set the clipboard of the terminal helios runs in (OSC 52).
    pub clipboard: LaneClipboard,
    /// The ssh command that opens a lane on another machine (`ssh -t HOST tmux attach` is
    /// added); the default shares one connection per host (ControlMaster).
    pub ssh: Vec<String>,
}

/// `[lanes] clipboard`: what helios does when a program in a lane sets the clipboard (OSC 52).
/// Either way the attempt is an audit event (`lane.clipboard`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LaneClipboard {
    /// Nothing reaches the user's clipboard (lane output is untrusted).
    #[default]
    Refuse,
    /// The text goes on to the clipboard of the terminal helios runs in.
    Allow,
}

/// `[lanes] tmux_client`: how helios reads a par lane's tmux session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TmuxClient {
    /// Lanes behind the one in front read from their pane's own output (`pipe-pane` into
    /// `helios osc-tap --feed`, see `pty/feed.rs`); the lane in front through `tmux attach`.
    /// The default: under the swarm bench's flood it measured faster than `attach` on every
    /// row, with less CPU (BENCHMARKS.md, issue 16).
    #[default]
    Pipe,
    /// `tmux attach` in a PTY for every lane: what tmux draws for a terminal client.
    Attach,
    /// `tmux -C attach`: the pane's own output, no re-rendering by the tmux server. Opt-in:
    /// tmux releases up to 3.5a can crash on control clients (see `pty/control.rs`).
    Control,
}

impl Default for LanesConfig {
    fn default() -> Self {
        Self {
            scrollback: 2000,
            shell: None,
            tmux_client: TmuxClient::Pipe,
            clipboard: LaneClipboard::Refuse,
            ssh: [
                "ssh",
                "-o",
                "ControlMaster=auto",
                "-o",
                "ControlPath=~/.ssh/helios-%C",
                "-o",
                "ControlPersist=10m",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// `[attention]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttentionConfig {
    /// Seconds a quiet lane with no known prompt still counts as working; after that its
    /// state is `unknown` (the screen fallback, when no hook is fresh).
    pub quiet_secs: u64,
    /// Tell helios's own terminal when a lane starts waiting: `off`, `bell`, `osc9` or `osc777`.
    pub notify: AttentionNotify,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        Self {
            quiet_secs: 20,
            notify: AttentionNotify::Off,
        }
    }
}

/// How helios tells its own terminal that a lane started waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttentionNotify {
    /// Nothing.
    #[default]
    Off,
    /// The bell (BEL).
    Bell,
    /// An OSC 9 notification (iTerm2, Windows Terminal, WezTerm, kitty, foot…).
    Osc9,
    /// An OSC 777 notification (urxvt, Ghostty, foot, VTE).
    Osc777,
}

impl AttentionNotify {
    /// The bytes that notify, for `text` (already one line without control characters).
    pub fn bytes(self, text: &str) -> Option<String> {
        // A notification carries lane text: no ESC or BEL may end the sequence early.
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        match self {
            Self::Off => None,
            Self::Bell => Some("\x07".into()),
            Self::Osc9 => Some(format!("\x1b]9;{clean}\x07")),
            Self::Osc777 => Some(format!("\x1b]777;notify;helios;{clean}\x07")),
        }
    }
}

/// A config, keymap or theme file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}; check the path and its permissions")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file has a bad value.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// Something else (a name that matches no shipped file, say).
    #[error("{0}")]
    Other(String),
}

/// One config file layer, lowest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// What the layer is: `user`, `repo` or `--config`.
    pub kind: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Whether it must exist (the `--config` file must; the others are optional).
    pub required: bool,
}

/// The config files helios reads for a repo, lowest first (flags go over all of them).
pub fn layers(global: &GlobalArgs, repo: Option<&Path>) -> Vec<Layer> {
    let mut out = vec![Layer {
        kind: "user",
        path: paths::config_dir().join("config.toml"),
        required: false,
    }];
    if let Some(r) = repo {
        out.push(Layer {
            kind: "repo",
            path: r.join(".helios.toml"),
            required: false,
        });
    }
    if let Some(c) = &global.config {
        out.push(Layer {
            kind: "--config",
            path: c.clone(),
            required: true,
        });
    }
    out
}

/// A loaded configuration and what the user should be told about it.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The merged config.
    pub config: Config,
    /// One line each: repo files ignored because they are not trusted.
    pub notices: Vec<String>,
    /// The files those lines are about, each with why (`it is not trusted yet`, …).
    pub ignored: Vec<(PathBuf, String)>,
}

/// Load the layered configuration for a repo: embedded defaults, then each file of `layers`,
/// then the flags. Each file is checked on its own first, so an error names its own line.
/// A repo file is used only when the user trusted its exact content (`helios trust`); an
/// untrusted one is skipped with a notice, before it is even parsed.
pub fn load(global: &GlobalArgs, repo: Option<&Path>) -> Result<Loaded, ConfigError> {
    let mut merged = toml::Table::new();
    let mut notices = Vec::new();
    let mut ignored = Vec::new();
    let mut trust: Option<trust::TrustStore> = None;
    // Each file merged and what it set: a bad value's error names the file that set it.
    let mut origins: Vec<(PathBuf, toml::Table)> = Vec::new();
    for layer in layers(global, repo) {
        let f = &layer.path;
        if !layer.required && !f.exists() {
            continue;
        }
        let text = read::read_config_file(f)?;
        if layer.kind == "repo" {
            let store = match &trust {
                Some(s) => s,
                None => trust.insert(trust::TrustStore::load()?),
            };
            let state = store.state(f, &text);
            if state != trust::TrustState::Trusted {
                let why = trust::why_ignored(&state);
                notices.push(trust::ignored_notice(f, &why));
                ignored.push((f.clone(), why));
                continue;
            }
        }
        let table = parse_layer(f, &text)?;
        origins.push((f.clone(), table.clone()));
        merge(&mut merged, table);
    }
    // Whether NATS was configured is decided here, once: a url in any file, or the flag (which
    // clap also fills from NATS_URL). The built-in default alone is not a configuration.
    let nats_url_in_file = merged
        .get("nats")
        .and_then(toml::Value::as_table)
        .is_some_and(|t| t.contains_key("url"));
    let mut cfg: Config = Config::deserialize(toml::Value::Table(merged)).map_err(|e| {
        ConfigError::Other(format!("the merged config is invalid: {}", e.message()))
    })?;
    apply_flags(&mut cfg, global);
    cfg.nats.url_given = nats_url_in_file || global.nats.is_some();
    // The last file that sets a dotted key is where its merged value came from.
    let origin = |key: &str| {
        origins.iter().rev().find_map(|(f, t)| {
            let mut parts = key.split('.');
            let first = t.get(parts.next()?)?;
            parts
                .try_fold(first, |v, p| v.as_table()?.get(p))
                .map(|_| f.clone())
        })
    };
    values::check(&cfg, global, &origin)?;
    Ok(Loaded {
        config: cfg,
        notices,
        ignored,
    })
}

/// Check one layer's text on its own (so an error names its line) and return it as a table
/// with the file paths in it anchored to the file ([`anchor_paths`]).
pub fn parse_layer(f: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    let src = errors::Source { path: f, text };
    let _: Config = toml::from_str(text).map_err(|e| src.toml_error(&e, "Configuration"))?;
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| src.toml_error(&e, "Configuration"))?;
    anchor_paths(&mut table, f);
    Ok(table)
}

/// How a key's value names a file.
#[derive(Clone, Copy)]
enum FileSpec {
    /// A keymap or theme: a path when [`named::is_path`] says so, else a name.
    Toml,
    /// A zellij template: a path when it has a `/` or ends in `.kdl` (as
    /// `integrations::zellij::layout::load_template` decides), else a name.
    Kdl,
    /// Always a path.
    Path,
}

impl FileSpec {
    fn is_path(self, spec: &str) -> bool {
        match self {
            Self::Toml => named::is_path(spec),
            Self::Kdl => {
                spec.contains('/')
                    || Path::new(spec)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("kdl"))
            }
            Self::Path => true,
        }
    }
}

/// Every key whose value can name a file helios or a program it starts reads. Trust covers
/// the content of each file a repo config names here (`trust::named_files`), so keep this
/// list whole when a section gains such a key.
const FILE_KEYS: [(&str, &str, FileSpec); 8] = [
    ("ui", "keymap", FileSpec::Toml),
    ("ui", "theme", FileSpec::Toml),
    ("zellij", "template", FileSpec::Kdl),
    ("nats", "creds", FileSpec::Path),
    ("temporal", "tls_cert", FileSpec::Path),
    ("temporal", "tls_key", FileSpec::Path),
    ("temporal", "tls_ca", FileSpec::Path),
    ("share", "upterm_authorized_keys", FileSpec::Path),
];

/// A file named by a relative path is relative to the config file that names it, not to
/// wherever helios was started: a repo's `template = "helios/team.kdl"` means the repo's file
/// from any directory, and trust can cover exactly the file that will be read.
fn anchor_paths(table: &mut toml::Table, file: &Path) {
    let dir = file.parent().unwrap_or(Path::new("."));
    for (section, key, spec) in FILE_KEYS {
        let Some(toml::Value::Table(t)) = table.get_mut(section) else {
            continue;
        };
        if let Some(toml::Value::String(value)) = t.get_mut(key)
            && spec.is_path(value)
            && Path::new(value.as_str()).is_relative()
        {
            *value = dir.join(value.as_str()).display().to_string();
        }
    }
}

/// The files a parsed (and anchored) layer names, in [`FILE_KEYS`] order, without repeats.
pub fn file_paths(table: &toml::Table) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for (section, key, spec) in FILE_KEYS {
        let value = table
            .get(section)
            .and_then(toml::Value::as_table)
            .and_then(|t| t.get(key))
            .and_then(toml::Value::as_str);
        if let Some(v) = value
            && spec.is_path(v)
            && !out.iter().any(|p| p.as_path() == Path::new(v))
        {
            out.push(PathBuf::from(v));
        }
    }
    out
}

/// Deep-merge `over` into `base`: tables merge, everything else replaces.
pub fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn apply_flags(cfg: &mut Config, g: &GlobalArgs) {
    if let Some(t) = &g.theme {
        cfg.ui.theme.clone_from(t);
    }
    if let Some(k) = &g.keymap {
        cfg.ui.keymap.clone_from(k);
    }
    if let Some(u) = &g.nats {
        cfg.nats.url.clone_from(u);
    }
    if let Some(c) = &g.nats_creds {
        cfg.nats.creds = Some(c.display().to_string());
    }
    if let Some(m) = &g.nats_monitor {
        cfg.nats.monitor = Some(m.clone());
    }
    if let Some(p) = &g.postgres {
        cfg.postgres.url = Some(p.clone());
    }
    if let Some(t) = &g.temporal {
        cfg.temporal.address.clone_from(t);
    }
    if let Some(n) = &g.namespace {
        cfg.temporal.namespace.clone_from(n);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn relative_file_paths_are_anchored_to_the_config_file() {
        let text = "[ui]\nkeymap = \"k/keys.toml\"\ntheme = \"dark\"\n\
                    [zellij]\ntemplate = \"team.kdl\"\n[nats]\ncreds = \"n.creds\"\n\
                    [temporal]\ntls_ca = \"/etc/ca.pem\"\n";
        let table = parse_layer(Path::new("/repo/.helios.toml"), text).unwrap();
        assert_eq!(
            file_paths(&table),
            [
                "/repo/k/keys.toml",
                "/repo/team.kdl",
                "/repo/n.creds",
                "/etc/ca.pem"
            ]
            .map(PathBuf::from)
            .to_vec()
        );
        // Names (a shipped theme, a template name) stay names.
        let table = parse_layer(
            Path::new("/repo/.helios.toml"),
            "[zellij]\ntemplate = \"grid\"\n",
        )
        .unwrap();
        assert!(file_paths(&table).is_empty());
        assert_eq!(table["zellij"]["template"].as_str(), Some("grid"));
    }
}
