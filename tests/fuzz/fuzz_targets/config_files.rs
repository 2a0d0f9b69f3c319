//! Config, keymap and theme files as text, through the parsers `helios config check` uses.
//!
//! Input: one byte picks the parser (config layer, keymap, theme, key chord, colour), the rest
//! is the file's text (files are read as UTF-8, so other bytes never reach the parsers).
#![no_main]

use std::path::{Path, PathBuf};

use helios::config::chord::KeyChord;
use helios::app::keymap::Keymap;
use helios::config::named::is_path;
use helios::config::theme::{Theme, parse_color};
use helios::config::{parse_layer, trust};
use libfuzzer_sys::fuzz_target;

/// Whether the file extends a file by path: `extends = "/dev/zero"` would read the fuzzing
/// machine's files (names resolve to the shipped keymaps and themes, which is what we want).
fn extends_a_path(text: &str) -> bool {
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    matches!(table.get("extends"), Some(toml::Value::String(s)) if is_path(s))
}

fuzz_target!(|data: &[u8]| {
    let [which, rest @ ..] = data else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 5 {
        0 => {
            if let Ok(table) = parse_layer(Path::new("/repo/.helios.toml"), text) {
                let _ = trust::powerful_keys(&table);
            }
        }
        1 => {
            if !extends_a_path(text) {
                let _ = Keymap::parse("fuzz", PathBuf::from("fuzz.toml"), text);
            }
        }
        2 => {
            if !extends_a_path(text) {
                let _ = Theme::parse(PathBuf::from("fuzz.toml"), text).map(|t| t.without_colors());
            }
        }
        3 => {
            let _ = KeyChord::parse(text).map(|c| c.to_string());
        }
        _ => {
            let _ = parse_color(text);
        }
    }
});
