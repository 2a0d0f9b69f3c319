//! `helios config check` and `helios config show`.

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::app::keymap::Keymap;
use crate::cli::ConfigArgs;
use crate::commands::{Context, out, warn};
use crate::config::theme::{self, TermEnv, Theme};
use crate::config::{self, ConfigError};

/// Run `helios config check|show`. The config layers were already loaded (and checked) by
/// `Context::load`; this checks the keymap and theme they name.
pub fn run(ctx: &Context, args: &ConfigArgs) -> anyhow::Result<ExitCode> {
    let env = TermEnv::from_env();
    let (report, result) = check(ctx, &env);
    match args {
        ConfigArgs::Check => match result {
            Ok(()) => {
                out(&escape_lines(&report));
                out("ok\n");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                warn(format_args!("helios: {e}"));
                Ok(ExitCode::from(2))
            }
        },
        ConfigArgs::Show => {
            if let Err(e) = result {
                warn(format_args!("helios: {e}"));
                return Ok(ExitCode::from(2));
            }
            out(&escape_lines(&show(ctx, &env)?));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Each line of `text` escaped: paths and names in it come from config files and the
/// environment. TOML already escapes C0 controls inside strings; this catches C1 and bidi.
fn escape_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(&crate::text::escape(line));
        out.push('\n');
    }
    out
}

/// What `check` looked at, one line each, and the first error.
pub fn check(ctx: &Context, env: &TermEnv) -> (String, Result<(), ConfigError>) {
    let mut out = String::new();
    let repo = ctx.repo.as_ref().ok().map(|r| r.path.as_path());
    for layer in config::layers(&ctx.global, repo) {
        let ignored = ctx.ignored.iter().find(|(f, _)| *f == layer.path);
        let state = match ignored {
            _ if !layer.path.exists() => "not found, skipped".to_string(),
            Some((_, why)) => format!("ignored: {why}; review it, then run `helios trust`"),
            None => "ok".to_string(),
        };
        let _ = writeln!(
            out,
            "config {:<9} {} ({state})",
            layer.kind,
            layer.path.display()
        );
    }
    let keymap = match Keymap::load(&ctx.config.ui.keymap) {
        Ok(k) => k,
        Err(e) => return (out, Err(e)),
    };
    // A keymap or theme given as a file is named by its path: said once.
    let from = source_of("keymaps", &ctx.config.ui.keymap);
    let _ = writeln!(
        out,
        "keymap {:<9} {from} ({} bindings)",
        if keymap.name == from {
            ""
        } else {
            &keymap.name
        },
        keymap.len()
    );
    // The screen patterns: the console skips a broken file (and says so); a check fails.
    let (patterns, broken) = crate::commands::console::load_patterns();
    if let Some(e) = broken {
        return (out, Err(ConfigError::Other(e)));
    }
    let path = config::paths::config_dir().join("patterns.toml");
    let _ = writeln!(
        out,
        "{:<17}{} ({} prompts)",
        "patterns",
        if path.exists() {
            path.display().to_string()
        } else {
            "built in: patterns.toml".to_string()
        },
        patterns.len(),
    );
    let name = theme::resolved_name(&ctx.config.ui.theme, env);
    if let Err(e) = Theme::load(&ctx.config.ui.theme, env) {
        return (out, Err(e));
    }
    let from = source_of("themes", &name);
    let _ = writeln!(
        out,
        "theme  {:<9} {from}{}",
        if name == from { "" } else { &name },
        if env.no_color {
            " (NO_COLOR: colours off)"
        } else {
            ""
        }
    );
    (out, Ok(()))
}

fn source_of(dir: &str, spec: &str) -> String {
    let user = config::paths::config_dir()
        .join(dir)
        .join(format!("{spec}.toml"));
    if config::named::is_path(spec) {
        spec.to_string()
    } else if user.exists() {
        user.display().to_string()
    } else {
        format!("built in: {dir}/{spec}.toml")
    }
}

/// The merged config as TOML, headed by the resolved keymap and theme.
pub fn show(ctx: &Context, env: &TermEnv) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# merged helios config (defaults < user < repo < --config < flags)"
    );
    let _ = writeln!(
        out,
        "# keymap: {} ({})",
        ctx.config.ui.keymap,
        source_of("keymaps", &ctx.config.ui.keymap)
    );
    let theme = theme::resolved_name(&ctx.config.ui.theme, env);
    let _ = writeln!(out, "# theme: {theme} ({})", source_of("themes", &theme));
    // Passwords, tokens and the API key never reach the terminal or a pasted bug report.
    let shown = toml::to_string(&config::secrets::redacted(&ctx.config))?;
    let real = toml::to_string(&ctx.config)?;
    let text = comment_hidden(&shown, &real);
    if ctx.config.nats.url_given {
        out.push_str(&text);
    } else {
        out.push_str(&unset_nats_url(&text));
    }
    Ok(out)
}

/// `shown` (the redacted config) with every line whose secret was hidden commented out, and
/// why: written back as a config file, `***` would be read as the password itself, and the
/// server would refuse it as a wrong one. A line differs from `real`'s only by its secret;
/// were the two not line for line alike, every line showing `***` counts.
fn comment_hidden(shown: &str, real: &str) -> String {
    let aligned = shown.lines().count() == real.lines().count();
    let mut real = real.lines();
    let mut out = String::with_capacity(shown.len() + 120);
    for line in shown.lines() {
        let same = real.next().is_some_and(|r| r == line);
        let hidden = if aligned {
            !same
        } else {
            line.contains(config::secrets::HIDDEN)
        };
        if hidden {
            out.push_str("# ");
            out.push_str(line);
            out.push_str("  # a secret, hidden: put the line back from where you keep it\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `text` with the `[nats]` url line commented out. A NATS URL nobody set is the built-in
/// default, only monitored; written into a file it would be a URL the user set, and helios
/// would then deliver to it and report it unreachable. Commented out, `helios config show >
/// config.toml` reads back as the same configuration.
fn unset_nats_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 120);
    let mut section = "";
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
        }
        match line.strip_prefix("url = ") {
            Some(url) if section == "nats" => {
                out.push_str("# url = ");
                out.push_str(url);
                out.push_str("  # the built-in default: NATS is not configured, only monitored; set url to deliver events to it\n");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::comment_hidden;

    #[test]
    fn only_lines_with_a_hidden_secret_are_commented() {
        let real = "[postgres]\nurl = \"postgres://u:pw@h/db\"\n\n[ui]\ntheme = \"***\"\n";
        let shown = "[postgres]\nurl = \"postgres://u:***@h/db\"\n\n[ui]\ntheme = \"***\"\n";
        let out = comment_hidden(shown, real);
        assert_eq!(
            out,
            "[postgres]\n# url = \"postgres://u:***@h/db\"  # a secret, hidden: put the line back from where you keep it\n\n[ui]\ntheme = \"***\"\n"
        );
        // Not line for line alike: every line showing `***` counts.
        let out = comment_hidden(shown, "x");
        assert_eq!(out.lines().filter(|l| l.starts_with("# ")).count(), 2);
    }
}
