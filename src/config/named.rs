//! Finding a keymap or theme file by name or path: a path (anything with `/` or ending in
//! `.toml`), then `$XDG_CONFIG_HOME/helios/<dir>/<name>.toml`, then the files shipped in the binary.

use std::path::PathBuf;

use crate::config::errors::builtin_path;
use crate::config::{ConfigError, paths};

/// A keymap or theme file, found and read.
#[derive(Debug, Clone)]
pub struct NamedFile {
    /// The name (for shipped and user-dir files) or the path as given.
    pub name: String,
    /// Where it came from, as shown in messages.
    pub path: PathBuf,
    /// Whether it is one of the files shipped inside the binary.
    pub builtin: bool,
    /// The file's text.
    pub text: String,
}

/// Find `spec` among paths, the user's `<dir>` and the `shipped` files.
pub fn find(dir: &str, spec: &str, shipped: &[(&str, &str)]) -> Result<NamedFile, ConfigError> {
    let kind = dir.trim_end_matches('s');
    let as_path = is_path(spec);
    let path = if as_path {
        PathBuf::from(spec)
    } else {
        paths::config_dir().join(dir).join(format!("{spec}.toml"))
    };
    if as_path || path.exists() {
        let text = crate::config::read::read_config_file(&path)?;
        return Ok(NamedFile {
            name: spec.to_string(),
            path,
            builtin: false,
            text,
        });
    }
    if let Some((n, text)) = shipped.iter().find(|(n, _)| *n == spec) {
        return Ok(NamedFile {
            name: (*n).to_string(),
            path: builtin_path(dir, n),
            builtin: true,
            text: (*text).to_string(),
        });
    }
    let names: Vec<&str> = shipped.iter().map(|(n, _)| *n).collect();
    Err(ConfigError::Other(format!(
        "no {kind} named `{spec}`: the shipped {dir} are {}; or put {} there, or give a path to a .toml file",
        names.join(", "),
        path.display()
    )))
}

/// Whether a keymap or theme spec is a path (has a `/` or ends in `.toml`) rather than a name.
pub fn is_path(spec: &str) -> bool {
    spec.contains('/')
        || std::path::Path::new(spec)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}
