//! Lane labels: the one check every path that creates a lane (the CLI, the palette, the `c`
//! prompt) runs before par, git or tmux see the label.
//!
//! It lives in the core so both the reducer and `lanes::par` can call it. The label becomes a
//! git branch, a directory and part of a tmux session name, and each of those rewrites or
//! misreads some characters: tmux turns `.` and `:` into `_` (so the session par records is not
//! the one that exists), a leading `-` is read as an option by par, git and tmux, and `all` is
//! par's word for every lane. Only characters all three keep as they are get through.

use std::fmt::Write as _;

/// The longest label helios accepts: the tmux session name adds about 25 characters to it and
/// the worktree path more, and a longer name is never needed to tell agents apart.
pub const MAX_LABEL_LEN: usize = 64;

/// What is allowed, said once so every refusal reads the same.
const ALLOWED: &str = "use letters, digits, '-' and '_' (at most 64, not starting with '-')";

/// Why a label was refused. The message is one line that shows the label escaped (so a control
/// character cannot reach the terminal) and says what to use instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// Empty, too long, a leading `-`, or a character outside `[A-Za-z0-9_-]`.
    #[error("lane label {} is not allowed: {ALLOWED}{}", shown(label), hint(label))]
    Invalid {
        /// The label as given.
        label: String,
    },
    /// A word par gives a meaning of its own (`par send all`, `par rm all`).
    #[error(
        "lane label {} is not allowed: par reads it as every lane at once; choose another name",
        shown(label)
    )]
    Reserved {
        /// The label as given.
        label: String,
    },
}

/// Check a new lane's label.
pub fn validate(label: &str) -> Result<(), LabelError> {
    let well_formed = !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && !label.starts_with('-')
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed {
        return Err(LabelError::Invalid {
            label: label.to_string(),
        });
    }
    // par compares `all` without case (`par rm ALL` removes every lane).
    if label.eq_ignore_ascii_case("all") {
        return Err(LabelError::Reserved {
            label: label.to_string(),
        });
    }
    Ok(())
}

/// The label quoted and escaped, cut short when very long.
fn shown(label: &str) -> String {
    let cut: String = label.chars().take(MAX_LABEL_LEN + 16).collect();
    let mut s = crate::text::quote(&cut);
    if cut.len() < label.len() {
        s.push('…');
    }
    s
}

/// `; try "fix-1-2"` when replacing the refused characters gives a valid label.
fn hint(label: &str) -> String {
    let mapped: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_matches('-');
    let mut out = String::new();
    if !trimmed.is_empty() && trimmed.len() <= MAX_LABEL_LEN && validate(trimmed).is_ok() {
        let _ = write!(out, "; try {}", crate::text::quote(trimmed));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn plain_labels_pass() {
        for ok in [
            "a",
            "fix-login",
            "fix_1",
            "A9",
            &"x".repeat(64),
            "all-tests",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn what_tmux_git_or_par_would_change_is_refused() {
        for bad in [
            "",
            ".",
            "..",
            "fix-1.2",
            "a:b",
            "-x",
            "--help",
            "a b",
            "a\tb",
            "a/b",
            "a\\b",
            "a\u{1b}[31m",
            "é",
            &"x".repeat(65),
        ] {
            assert!(
                matches!(validate(bad), Err(LabelError::Invalid { .. })),
                "{bad:?}"
            );
        }
        for reserved in ["all", "ALL", "All"] {
            assert!(matches!(
                validate(reserved),
                Err(LabelError::Reserved { .. })
            ));
        }
    }

    #[test]
    fn the_message_is_one_line_with_the_rule_and_a_fix() {
        let e = validate("fix-1.2").unwrap_err().to_string();
        assert_eq!(
            e,
            "lane label \"fix-1.2\" is not allowed: use letters, digits, '-' and '_' (at most 64, not starting with '-'); try \"fix-1-2\""
        );
        let e = validate("a\u{1b}]0;x\u{7}\nb").unwrap_err().to_string();
        assert!(!e.contains('\u{1b}') && !e.contains('\n'), "{e:?}");
        assert!(e.contains("\\x1b"), "{e}");
        let e = validate("").unwrap_err().to_string();
        assert!(e.starts_with("lane label \"\" is not allowed"), "{e}");
        assert!(!e.contains("try"), "{e}");
        let e = validate(&"y".repeat(500)).unwrap_err().to_string();
        assert!(e.len() < 250, "{e}");
    }
}
