//! Keymaps: key chords bound to command names, loaded from `keymaps/*.toml`.
//!
//! A keymap file has a `[normal]` section (keys in the console) and a `[focus]` section (keys
//! helios keeps for itself while a lane is focused; every other key goes to the lane). Each line
//! binds a key to a command name from the registry; `"none"` unbinds a key inherited through
//! `extends = "NAME|PATH"`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::app::command;
use crate::config::chord::KeyChord;
use crate::config::errors::{Source, did_you_mean};
use crate::config::{ConfigError, named};

/// The keymaps shipped in the binary, by name.
pub const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// Bindings per mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    /// The keymap's name or path, as configured.
    pub name: String,
    /// Keys in normal mode.
    pub normal: HashMap<KeyChord, String>,
    /// Keys helios keeps while a lane is focused.
    pub focus: HashMap<KeyChord, String>,
}

/// Which section of a keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// `[normal]`
    Normal,
    /// `[focus]`
    Focus,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    extends: Option<Spanned<String>>,
    #[serde(default)]
    normal: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    focus: BTreeMap<Spanned<String>, Spanned<String>>,
}

impl Keymap {
    /// Load a keymap by name (shipped or in the user's keymaps dir) or path, and refuse one
    /// that leaves no way out of focus mode.
    pub fn load(spec: &str) -> Result<Self, ConfigError> {
        let file = named::find("keymaps", spec, SHIPPED)?;
        let map = parse_depth(&file.name, file.path.clone(), &file.text, 0)?;
        map.check_focus_exit(&file.path)?;
        Ok(map)
    }

    /// Whether some `[focus]` key leads out of focus mode. In focus mode every other key goes
    /// to the lane, so without one the user is trapped in it (only a signal ends helios).
    pub fn check_focus_exit(&self, path: &std::path::Path) -> Result<(), ConfigError> {
        if self
            .focus
            .values()
            .any(|c| command::LEAVES_FOCUS.contains(&c.as_str()))
        {
            return Ok(());
        }
        Err(ConfigError::Other(format!(
            "{}: no key in [focus] leaves focus mode, so a focused lane would keep every key; add `ctrl-g = \"lane.unfocus\"` under [focus]",
            path.display()
        )))
    }

    /// The shipped default keymap.
    pub fn builtin_default() -> Self {
        // The shipped file is checked by tests; an empty keymap is the harmless fallback.
        Self::load("default").unwrap_or_default()
    }

    /// Parse keymap text; `path` is only for messages.
    pub fn parse(name: &str, path: PathBuf, text: &str) -> Result<Self, ConfigError> {
        parse_depth(name, path, text, 0)
    }

    /// The command bound to a chord in a mode.
    pub fn command(&self, mode: KeyMode, chord: KeyChord) -> Option<&str> {
        self.section(mode).get(&chord).map(String::as_str)
    }

    /// Every key bound to `command` in a mode, short ones first, as displayed.
    pub fn keys_for(&self, mode: KeyMode, command: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .section(mode)
            .iter()
            .filter(|(_, c)| *c == command)
            .map(|(k, _)| k.to_string())
            .collect();
        keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        keys
    }

    /// How many bindings there are in both modes.
    pub fn len(&self) -> usize {
        self.normal.len() + self.focus.len()
    }

    /// Whether nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn section(&self, mode: KeyMode) -> &HashMap<KeyChord, String> {
        match mode {
            KeyMode::Normal => &self.normal,
            KeyMode::Focus => &self.focus,
        }
    }
}

/// Said once however deep it was found (each level would otherwise wrap it again).
const TOO_DEEP: &str = "`extends` goes more than 4 files deep (a loop?); shorten the chain";

fn load_depth(spec: &str, depth: usize) -> Result<Keymap, ConfigError> {
    if depth > 4 {
        return Err(ConfigError::Other(format!("keymap `{spec}`: {TOO_DEEP}")));
    }
    let file = named::find("keymaps", spec, SHIPPED)?;
    parse_depth(&file.name, file.path, &file.text, depth)
}

fn parse_depth(name: &str, path: PathBuf, text: &str, depth: usize) -> Result<Keymap, ConfigError> {
    let src = Source { path: &path, text };
    let file: KeymapFile = toml::from_str(text).map_err(|e| src.toml_error(&e, "Keymaps"))?;
    let mut map = Keymap {
        name: name.to_string(),
        ..Keymap::default()
    };
    if let Some(base) = &file.extends {
        let b = load_depth(base.get_ref(), depth + 1).map_err(|e| match e {
            ConfigError::Other(m) if m.ends_with(TOO_DEEP) && depth > 0 => ConfigError::Other(m),
            ConfigError::Other(m) if m.ends_with(TOO_DEEP) => src.error(base.span(), m),
            e => src.error(
                base.span(),
                format!("cannot extend keymap `{}`: {e}", base.get_ref()),
            ),
        })?;
        map.normal = b.normal;
        map.focus = b.focus;
    }
    bind_section(&src, "normal", &file.normal, &mut map.normal)?;
    bind_section(&src, "focus", &file.focus, &mut map.focus)?;
    Ok(map)
}

fn bind_section(
    src: &Source<'_>,
    section: &str,
    entries: &BTreeMap<Spanned<String>, Spanned<String>>,
    out: &mut HashMap<KeyChord, String>,
) -> Result<(), ConfigError> {
    let mut seen: HashMap<KeyChord, (&str, usize)> = HashMap::new();
    // Sort by position so "bound twice" points at the later line.
    let mut entries: Vec<_> = entries.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    for (key, cmd) in entries {
        let chord = KeyChord::parse(key.get_ref()).map_err(|why| {
            src.error(
                key.span(),
                format!(
                    "bad key `{}` in [{section}]: {why}; write keys like `j`, `G`, `ctrl-g`, `alt-x`, `shift-tab`, `enter`, `pgup`, `f5`",
                    key.get_ref()
                ),
            )
        })?;
        let line = src.line_of(key.span().start);
        if let Some((first, first_line)) = seen.insert(chord, (key.get_ref(), line)) {
            return Err(src.error(
                key.span(),
                format!(
                    "key `{}` is bound twice in [{section}] (also as `{first}` on line {first_line}); keep one of them",
                    key.get_ref()
                ),
            ));
        }
        let name = cmd.get_ref().as_str();
        if name == "none" {
            out.remove(&chord);
            continue;
        }
        if !command::is_known(name) {
            let hint = did_you_mean(name, command::COMMANDS.iter().map(|c| c.name)).map_or_else(
                || "see the command list in the README or the `?` overlay".to_string(),
                |m| format!("did you mean `{m}`?"),
            );
            return Err(src.error(
                cmd.span(),
                format!(
                    "unknown action `{name}` for key `{}` in [{section}]; {hint}",
                    key.get_ref()
                ),
            ));
        }
        out.insert(chord, name.to_string());
    }
    Ok(())
}
