//! Keymaps: key chords bound to command names, loaded from `keymaps/*.toml`.

/// Bindings per mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {}
