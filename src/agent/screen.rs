//! The screen fallback: what a lane's visible screen says when no hook is fresh. The prompts
//! agents draw (boxed permission questions, numbered menus, `(y/n)`) come from a data file,
//! `patterns.toml`, that users extend.

use serde::Deserialize;

use crate::agent::state::{Status, WaitKind, one_line};

/// The patterns shipped with helios.
pub const BUILTIN: &str = include_str!("patterns.toml");

/// Programs that are shells: a lane whose foreground is one of them runs no agent.
pub const SHELLS: &[&str] = &[
    "bash", "zsh", "fish", "sh", "dash", "ksh", "tcsh", "csh", "nu", "elvish", "xonsh", "login",
];

/// One screen an agent draws when it needs a human.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    /// A name for `helios lane explain`.
    pub name: String,
    /// `waiting` or `done`.
    pub state: String,
    /// For `waiting`: `permission`, `question` or `input`.
    #[serde(default)]
    pub kind: Option<WaitKind>,
    /// Phrases that must all be on the screen (lowercase compared).
    pub all: Vec<String>,
    /// Phrases of which one must be on the screen, when given.
    #[serde(default)]
    pub any: Vec<String>,
    /// Which line is the reason: `line` (default) or `above`.
    #[serde(default)]
    pub reason: Option<String>,
    /// The `all` phrases must be on the cursor's row: a question a program waits on there,
    /// not the same words printed earlier (a note that mentions "(y/n)", a question answered).
    #[serde(default)]
    pub at_cursor: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    #[serde(default)]
    prompt: Vec<Prompt>,
}

/// The prompts to look for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    prompts: Vec<Prompt>,
}

/// What a screen matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenMatch {
    /// The state it points to.
    pub status: Status,
    /// The pattern's name.
    pub pattern: String,
    /// The line that explains it.
    pub reason: String,
}

impl Patterns {
    /// The shipped patterns.
    pub fn builtin() -> Self {
        // The shipped file is checked by a test; an error here would leave the fallback empty,
        // not crash.
        Self::parse(BUILTIN).unwrap_or(Self {
            prompts: Vec::new(),
        })
    }

    /// Parse a patterns file; the error names the line (toml's message) and what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        // One line: toml's own message draws the line and a caret under it.
        let file: PatternFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .and_then(|s| text.get(..s.start))
                .map_or(1, |t| t.matches('\n').count() + 1);
            let what = e.message().lines().next().unwrap_or("invalid TOML").trim();
            format!("line {line}: {what}; fix the file")
        })?;
        for p in &file.prompt {
            match (p.state.as_str(), p.kind) {
                ("waiting", Some(_)) | ("done", None) => {}
                ("waiting", None) => {
                    return Err(format!(
                        "prompt `{}`: state \"waiting\" needs a kind (permission, question or input)",
                        p.name
                    ));
                }
                ("done", Some(_)) => {
                    return Err(format!("prompt `{}`: state \"done\" takes no kind", p.name));
                }
                (other, _) => {
                    return Err(format!(
                        "prompt `{}`: state {} is not \"waiting\" or \"done\"",
                        p.name,
                        crate::text::quote(other)
                    ));
                }
            }
            if p.all.iter().any(String::is_empty) || p.all.is_empty() {
                return Err(format!(
                    "prompt `{}`: `all` needs at least one non-empty phrase",
                    p.name
                ));
            }
            if let Some(r) = p
                .reason
                .as_deref()
                .filter(|r| !matches!(*r, "line" | "above"))
            {
                return Err(format!(
                    "prompt `{}`: reason {} is not \"line\" or \"above\"",
                    p.name,
                    crate::text::quote(r)
                ));
            }
        }
        Ok(Self {
            prompts: file.prompt,
        })
    }

    /// `user`'s prompts first, then these.
    pub fn with_user(mut self, user: Self) -> Self {
        let mut prompts = user.prompts;
        prompts.append(&mut self.prompts);
        self.prompts = prompts;
        self
    }

    /// How many prompts there are.
    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }

    /// The prompt the screen shows lowest (the newest: a prompt answered and then printed
    /// under is over), reading every row (borders stripped, lowercase); among prompts on the
    /// same row, the first listed. The cursor is on row `cursor_row`.
    pub fn read(&self, rows: &[String], cursor_row: usize) -> Option<ScreenMatch> {
        let lines: Vec<String> = rows.iter().map(|r| strip_box(r).to_string()).collect();
        let lower: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
        // The lowest row that has the phrase: its newest showing.
        let on_screen = |phrase: &str| {
            let phrase = phrase.to_lowercase();
            lower.iter().rposition(|l| l.contains(&phrase))
        };
        let at_cursor = |phrase: &str| {
            let phrase = phrase.to_lowercase();
            lower
                .get(cursor_row)
                .is_some_and(|l| l.contains(&phrase))
                .then_some(cursor_row)
        };
        let mut best: Option<(usize, &Prompt, usize)> = None;
        for p in &self.prompts {
            let find = |phrase: &str| {
                if p.at_cursor {
                    at_cursor(phrase)
                } else {
                    on_screen(phrase)
                }
            };
            let Some(first) = find(&p.all[0]) else {
                continue;
            };
            let Some(all) = p.all[1..]
                .iter()
                .map(|a| find(a))
                .try_fold(first, |low, row| row.map(|r| low.max(r)))
            else {
                continue;
            };
            let any = p.any.iter().filter_map(|a| on_screen(a)).max();
            if !p.any.is_empty() && any.is_none() {
                continue;
            }
            let low = all.max(any.unwrap_or(0));
            if best.is_none_or(|(b, ..)| low > b) {
                best = Some((low, p, first));
            }
        }
        let (low, p, first) = best?;
        // A shell prompt at the cursor, below the prompt: the program that drew it is gone
        // (an agent's last screen stays above the shell it returned to).
        if low < cursor_row
            && rows
                .get(cursor_row)
                .is_some_and(|l| looks_like_shell_prompt(l))
        {
            return None;
        }
        let status = match p.kind {
            Some(k) => Status::Waiting(k),
            None => Status::Done,
        };
        let line = if p.reason.as_deref() == Some("above") {
            lines[..first]
                .iter()
                .rev()
                .find(|l| !l.is_empty() && !is_rule(l))
                .unwrap_or(&lines[first])
        } else {
            &lines[first]
        };
        Some(ScreenMatch {
            status,
            pattern: p.name.clone(),
            reason: one_line(line),
        })
    }
}

/// Whether the last non-empty line looks like a shell prompt (`user@host:~/x$`, `#`, `%`, `❯`).
pub fn looks_like_shell_prompt(line: &str) -> bool {
    let t = line.trim_end();
    t.ends_with('$')
        || t.ends_with('#')
        || t.ends_with(" %")
        || t == "%"
        || t.ends_with('❯')
        || t.ends_with('>')
}

/// Whether a command name is a shell.
pub fn is_shell(command: &str) -> bool {
    let name = command.rsplit('/').next().unwrap_or(command);
    let name = name.strip_prefix('-').unwrap_or(name);
    SHELLS.contains(&name)
}

/// What a process runs, from its arguments as `/proc/<pid>/cmdline` holds them (each ended by
/// a NUL), when that is not what its name says. See [`runs_instead`].
pub fn cmdline_runs(cmdline: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(cmdline);
    let argv: Vec<&str> = text.split_terminator('\0').collect();
    runs_instead(&argv)
}

/// What a process runs, from its arguments, when that is not what its
/// name says: a shell given a script (`bash run-agent.sh`, which a `#!/bin/bash` script is)
/// or a command (`sh -c 'claude …'`) runs that, not a prompt. tmux names a pane's foreground
/// by its first argument, so a script that starts an agent looked like an idle shell.
/// `None`: not a shell, or a shell that reads its commands from a person.
pub fn runs_instead(argv: &[&str]) -> Option<String> {
    let (first, rest) = argv.split_first()?;
    if !is_shell(first) {
        return None;
    }
    let mut args = rest.iter();
    while let Some(a) = args.next() {
        match *a {
            // The command string (also in a bundle such as `-ec`): named by its program.
            c if c.starts_with('-') && !c.starts_with("--") && c.ends_with('c') => {
                return args.next().and_then(|c| command_name(c));
            }
            // Commands from standard input, or the end of the options with nothing after.
            "-s" | "--" if args.len() == 0 => return None,
            "--" => {}
            // Options that take a word (bash, zsh, fish, nu; fish's `-C` is bash's noclobber);
            // other options are letters alone.
            "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file" | "--init-command"
            | "--config" | "--env-config" => {
                args.next();
            }
            "-C" if base(first).ends_with("fish") => {
                args.next();
            }
            a if a.starts_with('-') || a.starts_with('+') => {}
            script => return Some(base(script).to_string()),
        }
    }
    None
}

/// The program a shell's command string runs now: its last command (`cd /w && claude`
/// runs `claude` once `cd` is done), past variable assignments and the words that only start
/// another program (`exec`, `env`, `nohup`, `time`, `command`).
fn command_name(command: &str) -> Option<String> {
    let last = command
        .split(['&', '|', ';', '\n'])
        .rfind(|part| !part.trim().is_empty())?;
    let word = last.split_whitespace().find(|w| {
        (!w.contains('=') || w.starts_with('='))
            && !matches!(*w, "exec" | "env" | "nohup" | "time" | "command")
    })?;
    Some(base(word).to_string())
}

/// The last part of a path.
fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A line without the box-drawing borders agents draw around prompts.
fn strip_box(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || ('\u{2500}'..='\u{257f}').contains(&c))
}

/// A horizontal rule (`───`), left empty by [`strip_box`].
fn is_rule(line: &str) -> bool {
    line.chars().all(|c| c == '─' || c == '-' || c == '═')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn rows(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    /// The cursor on the last row, as a program waiting on its question leaves it.
    fn end(rows: &[String]) -> usize {
        rows.len().saturating_sub(1)
    }

    fn read_end(p: &Patterns, text: &str) -> Option<ScreenMatch> {
        let r = rows(text);
        p.read(&r, end(&r))
    }

    #[test]
    fn generic_questions_count_only_at_the_cursor() {
        let p = Patterns::builtin();
        // A note that mentions the words, the program then running quietly below it.
        let note = rows("$ run\nnote: pass --yes to skip the (y/n) prompt\n");
        assert_eq!(p.read(&note, 2), None);
        // A question answered earlier, and the one the program waits on now.
        let two = rows("Continue? (y/n) y\nreading...\nOverwrite a.txt? [y/N]\nDelete b? (y/n) ");
        let m = p.read(&two, 3).unwrap();
        assert_eq!(m.reason, "Delete b? (y/n)");
        assert_eq!(p.read(&two, 1), None);
        assert_eq!(
            read_end(&p, "[sudo] password for me: ").unwrap().pattern,
            "password"
        );
    }

    #[test]
    fn the_shipped_patterns_parse() {
        let p = Patterns::parse(BUILTIN).unwrap();
        assert!(p.len() > 10);
        assert_eq!(Patterns::builtin(), p);
    }

    #[test]
    fn claude_permission_box_reads_the_command() {
        let screen = rows(
            "╭──────────────────────────────────────╮\n\
             │ Bash command                         │\n\
             │                                      │\n\
             │   rm -rf build                       │\n\
             │   Remove the build directory         │\n\
             │                                      │\n\
             │ Do you want to proceed?              │\n\
             │ ❯ 1. Yes                             │\n\
             │   2. Yes, and don't ask again        │\n\
             │   3. No, and tell Claude what to do  │\n\
             ╰──────────────────────────────────────╯",
        );
        let m = Patterns::builtin().read(&screen, end(&screen)).unwrap();
        assert_eq!(m.status, Status::Waiting(WaitKind::Permission));
        assert_eq!(m.reason, "Remove the build directory");
        assert_eq!(m.pattern, "claude permission");
    }

    #[test]
    fn codex_gemini_aider_and_yes_no() {
        let p = Patterns::builtin();
        let codex = rows(
            "Would you like to run the following command?\n  $ cargo clean\n› 1. Yes, proceed (y)\n  2. No (esc)",
        );
        assert_eq!(
            p.read(&codex, end(&codex)).unwrap().status,
            Status::Waiting(WaitKind::Permission)
        );
        let gemini = rows(
            "? Shell rm -rf build\nAllow execution of: 'rm'?\n● 1. Allow once\n  2. Allow for this session\n  3. No, suggest changes (esc)",
        );
        let m = p.read(&gemini, end(&gemini)).unwrap();
        assert_eq!(m.status, Status::Waiting(WaitKind::Permission));
        assert_eq!(m.reason, "Allow execution of: 'rm'?");
        let aider = rows("Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:");
        assert_eq!(
            p.read(&aider, end(&aider)).unwrap().status,
            Status::Waiting(WaitKind::Permission)
        );
        let yn = rows("Overwrite config.toml? (y/n)");
        let m = p.read(&yn, end(&yn)).unwrap();
        assert_eq!(m.status, Status::Waiting(WaitKind::Question));
        assert_eq!(m.reason, "Overwrite config.toml? (y/n)");
    }

    #[test]
    fn shells_logs_and_idle_agents() {
        let p = Patterns::builtin();
        assert_eq!(read_end(&p, "user@host:~/src$ "), None);
        assert_eq!(
            read_end(&p, "   Compiling serde v1.0\nwarning: x > y"),
            None
        );
        let idle = rows("╭────╮\n│ >  │\n╰────╯\n  ? for shortcuts");
        assert_eq!(p.read(&idle, end(&idle)).unwrap().status, Status::Done);
        assert!(looks_like_shell_prompt("user@host:~/src$ "));
        assert!(!looks_like_shell_prompt("Compiling"));
        assert!(is_shell("-bash") && is_shell("/bin/zsh") && !is_shell("claude"));
    }

    #[test]
    fn the_lowest_prompt_on_the_screen_is_the_one_that_counts() {
        let p = Patterns::builtin();
        let boxed = "╭────╮\n│ Remove the build directory │\n│ Do you want to proceed? │\n│ ❯ 1. Yes │\n╰────╯";
        // Answered, then printed under: the agent's idle line below the old box wins.
        let answered = rows(&format!("{boxed}\nremoved build\ndone.\n  ? for shortcuts"));
        assert_eq!(
            p.read(&answered, end(&answered)).unwrap().status,
            Status::Done
        );
        // Asked again under an old box: the newest box's question is the reason.
        let again = rows(&format!(
            "{boxed}\nok\n╭────╮\n│ Delete the cache │\n│ Do you want to proceed? │\n│ ❯ 1. Yes │\n╰────╯"
        ));
        let m = p.read(&again, end(&again)).unwrap();
        assert_eq!(m.status, Status::Waiting(WaitKind::Permission));
        assert_eq!(m.reason, "Delete the cache");
        // Below an idle line, a prompt waits.
        let asked = rows(&format!("  ? for shortcuts\n{boxed}"));
        assert_eq!(
            p.read(&asked, end(&asked)).unwrap().status,
            Status::Waiting(WaitKind::Permission)
        );
    }

    #[test]
    fn a_prompt_above_a_shell_prompt_is_over() {
        let p = Patterns::builtin();
        let exited = rows("╭────╮\n│ >  │\n╰────╯\n  ? for shortcuts\nuser@host:~/app$ ");
        assert_eq!(p.read(&exited, end(&exited)), None);
        // Aider's question waits on the cursor's row; answered, the output moves the cursor on.
        let asked = rows("Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: ");
        assert!(p.read(&asked, end(&asked)).is_some());
        let answered =
            rows("Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: y\nRunning pytest -q\n");
        assert_eq!(p.read(&answered, end(&answered)), None);
    }

    #[test]
    fn a_shell_running_a_script_or_a_command_runs_that() {
        let runs = |a: &[&str]| runs_instead(a);
        assert_eq!(
            runs(&["/bin/bash", "/w/run-agent.sh"]).as_deref(),
            Some("run-agent.sh")
        );
        assert_eq!(
            runs(&["bash", "-e", "-o", "pipefail", "go.sh", "x"]).as_deref(),
            Some("go.sh")
        );
        assert_eq!(
            runs(&["sh", "-c", "HELIOS_LANE=a claude --resume"]).as_deref(),
            Some("claude")
        );
        assert_eq!(runs(&["bash", "--", "go.sh"]).as_deref(), Some("go.sh"));
        // A command string runs its last command; a bundle `-ec` is `-c` too.
        assert_eq!(
            runs(&["sh", "-c", "cd /tmp && exec env A=1 python3 x.py"]).as_deref(),
            Some("python3")
        );
        assert_eq!(
            runs(&["bash", "-ec", "read -p go; sleep 1000"]).as_deref(),
            Some("sleep")
        );
        assert_eq!(runs(&["fish", "--init-command", "set x 1"]), None);
        // A person's shell: interactive, a login shell, commands from standard input.
        for argv in [
            &["-bash"][..],
            &["bash", "-l"],
            &["zsh", "-i"],
            &["bash", "-s"],
            &["bash", "--"],
        ] {
            assert_eq!(runs(argv), None, "{argv:?}");
        }
        assert_eq!(runs(&["python3", "agent.py"]), None);
        assert_eq!(runs(&[]), None);
        assert_eq!(
            cmdline_runs(b"/bin/bash\0./go.sh\0").as_deref(),
            Some("go.sh")
        );
    }

    #[test]
    fn user_patterns_come_first_and_bad_files_say_why() {
        let user = Patterns::parse(
            "[[prompt]]\nname = \"mine\"\nstate = \"waiting\"\nkind = \"input\"\nall = [\"(y/n)\"]\n",
        )
        .unwrap();
        let p = Patterns::builtin().with_user(user);
        assert_eq!(read_end(&p, "go? (y/n)").unwrap().pattern, "mine");
        let err = Patterns::parse("[[prompt]]\nname = \"x\"\nstate = \"waiting\"\nall = [\"a\"]\n")
            .unwrap_err();
        assert!(err.contains("needs a kind"), "{err}");
        let err = Patterns::parse("[[prompt]]\nname = 1").unwrap_err();
        assert!(err.starts_with("line 2: ") && !err.contains('\n'), "{err}");
        let err = Patterns::parse("[[prompt]]\nname = \"x\"\nall = [\n").unwrap_err();
        assert!(err.starts_with("line 3: ") && !err.contains('\n'), "{err}");
        assert!(Patterns::parse("[[prompt]]\nname = \"x\"\nstate = \"done\"\nall = []\n").is_err());
    }
}
