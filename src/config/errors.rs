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
    ///
    /// A file that is not TOML gets "fix the TOML syntax". A file that is TOML but has a value
    /// of the wrong kind (a word where a number goes, a name not among the choices) gets the
    /// key, what it takes and "fix the value": serde's own words (`unknown variant`,
    /// `expected usize`) read like a syntax error to someone editing a config file.
    pub fn toml_error(&self, e: &toml::de::Error, what: &str) -> ConfigError {
        let message = e.message().lines().next().unwrap_or("invalid TOML").trim();
        let message = if message.starts_with("unknown field") {
            format!("{message}; remove or rename it (see the {what} section of the README)")
        } else if toml_edit::Document::parse(self.text).is_err() {
            format!("{message}; fix the TOML syntax")
        } else if message.starts_with("missing field") {
            format!("{message}; add it")
        } else {
            let key = e.span().and_then(|s| key_at(self.text, s.start));
            value_error(key.as_deref(), message)
        };
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: e.span().map_or(1, |s| self.line_of(s.start)),
            message,
        }
    }
}

/// A value error in words for a config file: `key: expected <what it takes>, not <what it
/// has>; fix the value`, from serde's `invalid type: string "x", expected u64` or
/// `unknown variant `x`, expected one of `a`, `b``.
fn value_error(key: Option<&str>, message: &str) -> String {
    let key = key.map_or_else(String::new, |k| format!("{k}: "));
    let Some((got, expected)) = message.split_once(", expected ") else {
        return format!("{key}{message}; fix the value");
    };
    let got = ["invalid type: ", "invalid value: ", "unknown variant "]
        .iter()
        .find_map(|p| got.strip_prefix(p))
        .unwrap_or(got);
    format!(
        "{key}expected {}, not {got}; fix the value",
        expected_in_words(expected)
    )
}

/// serde's name for what a field takes, in a config file's words.
fn expected_in_words(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        other => other,
    }
}

/// The dotted key (`nats.refresh_secs`, `lanes.ssh[2]`) whose value holds byte `offset` of
/// `text`, when `text` is TOML: the innermost one.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut best: Option<(usize, String)> = None;
    find_in_table(doc.as_table(), "", offset, &mut best);
    best.map(|(_, key)| key)
}

fn find_in_table(
    table: &toml_edit::Table,
    prefix: &str,
    offset: usize,
    best: &mut Option<(usize, String)>,
) {
    for (k, item) in table {
        let key = join(prefix, k);
        match item {
            toml_edit::Item::Value(v) => find_in_value(v, &key, offset, best),
            toml_edit::Item::Table(t) => find_in_table(t, &key, offset, best),
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    find_in_table(t, &format!("{key}[{i}]"), offset, best);
                }
            }
            toml_edit::Item::None => {}
        }
    }
}

fn find_in_value(
    value: &toml_edit::Value,
    key: &str,
    offset: usize,
    best: &mut Option<(usize, String)>,
) {
    let Some(span) = value.span().filter(|s| s.contains(&offset)) else {
        return;
    };
    if best.as_ref().is_none_or(|(len, _)| span.len() < *len) {
        *best = Some((span.len(), key.to_string()));
    }
    match value {
        toml_edit::Value::InlineTable(t) => {
            for (k, v) in t {
                find_in_value(v, &join(key, k), offset, best);
            }
        }
        toml_edit::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                find_in_value(v, &format!("{key}[{i}]"), offset, best);
            }
        }
        _ => {}
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
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

    fn message(text: &str) -> String {
        let src = Source {
            path: Path::new("c.toml"),
            text,
        };
        let e = toml::from_str::<crate::config::Config>(text)
            .err()
            .map(|e| src.toml_error(&e, "Configuration"));
        e.map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn value_errors_name_the_key_and_what_it_takes() {
        let cases = [
            (
                "[lanes]\ntmux_client = \"nope\"\n",
                "c.toml:2: lanes.tmux_client: expected one of `pipe`, `attach`, `control`, not `nope`; fix the value",
            ),
            (
                "[postgres]\nbatch = \"x\"\n",
                "c.toml:2: postgres.batch: expected a whole number, 0 or more, not string \"x\"; fix the value",
            ),
            (
                "[nats]\nforward = 1\n",
                "c.toml:2: nats.forward: expected true or false, not integer `1`; fix the value",
            ),
            (
                "lanes = { ssh = [\"ssh\", 2] }\n",
                "c.toml:1: lanes.ssh[1]: expected a string, not integer `2`; fix the value",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(message(text), want, "{text}");
        }
    }

    #[test]
    fn syntax_errors_stay_syntax_errors() {
        for text in ["[ui\nx", "x = = 1\n", "[lanes]\ntmux_client = nope\n"] {
            let m = message(text);
            assert!(m.ends_with("; fix the TOML syntax"), "{m}");
        }
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
