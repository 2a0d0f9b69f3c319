//! User-facing wording of config, keymap and theme errors, decided in one place: every message is
//! `file:line: what is wrong; what to do`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::config::ConfigError;

/// A file's text and where it came from, for turning byte spans into line numbers.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The path shown to the user (a real path, or `<built-in>/keymaps/vim.toml`).
    pub path: &'a Path,
    /// The file's contents.
    pub text: &'a str,
}

impl Source<'_> {
    /// The 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text
            .get(..end)
            .unwrap_or(self.text)
            .matches('\n')
            .count()
            + 1
    }

    /// An error at a span of this file.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: self.line_of(span.start),
            message: message.into(),
        }
    }

    /// Turn a TOML parse or shape error into a ConfigError naming the line, with advice.
    pub fn toml_error(&self, e: &toml::de::Error, what: &str) -> ConfigError {
        let message = e.message().lines().next().unwrap_or("invalid TOML").trim();
        let advice = if message.starts_with("unknown field") {
            format!("remove or rename it (see the {what} section of the README)")
        } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
            "fix the value".to_string()
        } else {
            "fix the TOML syntax".to_string()
        };
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: e.span().map_or(1, |s| self.line_of(s.start)),
            message: format!("{message}; {advice}"),
        }
    }
}

/// The path shown for a file shipped inside the binary.
pub fn builtin_path(dir: &str, name: &str) -> PathBuf {
    PathBuf::from(format!("<built-in>/{dir}/{name}.toml"))
}

/// The closest known name to `bad`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(bad: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        // Damerau-Levenshtein: a swapped pair of letters (`lane.fcous`) is one typo, not two.
        .map(|k| (strsim::damerau_levenshtein(bad, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        let s = Source {
            path: Path::new("x.toml"),
            text: "a\nb\nc",
        };
        assert_eq!(s.line_of(0), 1);
        assert_eq!(s.line_of(2), 2);
        assert_eq!(s.line_of(99), 3);
    }

    #[test]
    fn suggests_typos() {
        let names = ["lane.focus", "lane.create", "app.quit"];
        assert_eq!(
            did_you_mean("lane.fcus", names.iter().copied()),
            Some("lane.focus")
        );
        // Two letters swapped count as one edit.
        assert_eq!(
            did_you_mean("app.qiut", ["app.quit", "app.cancel"].into_iter()),
            Some("app.quit")
        );
        assert_eq!(strsim::damerau_levenshtein("app.qiut", "app.quit"), 1);
        assert_eq!(did_you_mean("zzzzzzzzzzzz", names.iter().copied()), None);
    }
}
