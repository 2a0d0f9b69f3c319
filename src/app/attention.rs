//! When a lane needs a human. The reasons, in the order helios checks them:
//!
//! 1. it rang the bell (BEL);
//! 2. it sent a desktop notification (OSC 9 or OSC 777 `notify`);
//! 3. its process or tmux session ended;
//! 4. it has been quiet for `[attention] quiet_secs` (default 20) and its last lines look like a
//!    prompt waiting for an answer (see [`looks_like_prompt`]).
//!
//! The focused lane never gets attention (the user is looking at it); focusing a lane clears it.

/// Phrases that, anywhere in the lines at the cursor, mean "waiting for a human" (lowercase).
const PHRASES: &[&str] = &[
    "(y/n)",
    "[y/n]",
    "(yes/no)",
    "[yes/no]",
    "press enter",
    "press any key",
    "do you want to",
    "would you like to",
    "are you sure",
    "continue?",
    "proceed?",
    "approve",
    "password:",
    "passphrase",
];

/// Line endings that mark a shell or REPL prompt (after trailing blanks are trimmed).
const ENDINGS: &[&str] = &["$", "#", ">", "?", "❯", "›", "»", " %", ":"];

/// Whether the lines ending at a quiet lane's cursor look like a prompt waiting for input.
///
/// `tail` is up to three non-empty lines, oldest first, the last one being the cursor line.
/// The heuristic, tuned for shells and coding agents (Claude Code, Codex, aider…):
/// - any line contains a question phrase: `(y/n)`, `[Y/n]`, `(yes/no)`, "Press Enter",
///   "Press any key", "Do you want to", "Would you like to", "Are you sure", "Continue?",
///   "Proceed?", "approve", "Password:", "passphrase" (case-insensitive);
/// - or the last line ends (trailing blanks trimmed) with a prompt character: `$`, `#`, `>`,
///   `?`, `❯`, `›`, `»`, ` %` (zsh; not `45%`), `:` — a shell prompt (`user@host:~/x$`), a REPL (`>>>`), an
///   agent's input box (`❯`, `>`), or a question;
/// - a line of box-drawing characters around the input (`│ > │`) is read without its border.
///
/// It only runs after the lane has been quiet, so a compiler printing `x > y` mid-build does
/// not count: it is not quiet.
pub fn looks_like_prompt(tail: &[String]) -> bool {
    let joined = tail.join("\n").to_lowercase();
    if PHRASES.iter().any(|p| joined.contains(p)) {
        return true;
    }
    let Some(last) = tail.last() else {
        return false;
    };
    let last = strip_box(last);
    // A bare `%` is zsh's prompt; `45%` is a progress bar.
    last == "%" || (!last.is_empty() && ENDINGS.iter().any(|e| last.ends_with(e)))
}

/// A line without the box-drawing borders agents draw around their input.
fn strip_box(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || ('\u{2500}'..='\u{257f}').contains(&c))
}

/// The short text shown for a waiting lane: its cursor line, without borders, at most 60 chars.
pub fn prompt_text(tail: &[String]) -> String {
    let line = tail.last().map_or("", |l| strip_box(l));
    line.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[rstest]
    #[case::bash("user@host:~/src/app$")]
    #[case::bash_space("user@host:~/src/app$ ")]
    #[case::root("root@box:/#")]
    #[case::zsh("app %")]
    #[case::starship("app on main ❯")]
    #[case::python(">>>")]
    #[case::node(">")]
    #[case::question("Which file should I edit?")]
    #[case::yes_no("Overwrite config.toml? (y/n)")]
    #[case::yn_default("Continue [Y/n] ")]
    #[case::press_enter("Press Enter to continue…")]
    #[case::password("[sudo] password for me:")]
    #[case::claude_box("│ > │")]
    #[case::codex("› ")]
    fn prompts(#[case] line: &str) {
        assert!(looks_like_prompt(&lines(line)), "{line:?}");
    }

    #[rstest]
    #[case::compiling("   Compiling serde v1.0.200")]
    #[case::progress("[=====>      ] 45%  ")]
    #[case::log("INFO request handled in 3ms")]
    #[case::empty("")]
    fn not_prompts(#[case] line: &str) {
        assert!(!looks_like_prompt(&lines(line)), "{line:?}");
    }

    #[test]
    fn question_phrase_above_the_cursor_counts() {
        let tail = lines("Do you want to proceed?\n❯ 1. Yes\n  2. No");
        assert!(looks_like_prompt(&tail));
    }

    #[test]
    fn no_lines_is_not_a_prompt() {
        assert!(!looks_like_prompt(&[]));
    }

    #[test]
    fn prompt_text_is_the_cursor_line_without_borders() {
        assert_eq!(prompt_text(&lines("x\n│ > │")), ">");
        assert_eq!(prompt_text(&[]), "");
        assert_eq!(prompt_text(&["a".repeat(100)]).len(), 60);
    }
}
