//! Subcommand handlers. Each returns an exit code; errors print one line naming what, where and
//! what to do.

pub mod agent;
pub mod config;
pub mod console;
pub mod deliver;
pub mod events;
pub mod fleet;
pub mod hook;
pub mod lane;
pub mod layout;
pub mod mcp;
pub mod osc_tap;
pub mod serve;
pub mod share;
pub mod status;
pub mod trust;
pub mod wf;
pub mod zellij;

use std::process::ExitCode;

use crate::cli::{Cli, CommandArgs, GlobalArgs};
use crate::config::ConfigError;

pub use crate::config::Context;

/// Print one line to stdout with every control and bidi character escaped (`crate::text`):
/// what helios prints for people carries names and text from outside.
pub fn say(line: impl std::fmt::Display) {
    out(&format!("{}\n", crate::text::escape(&line.to_string())));
}

/// [`say`] for stderr; the line goes to the log file too (at `warn`).
pub fn warn(line: impl std::fmt::Display) {
    let line = line.to_string();
    tracing::warn!("{line}");
    tell(&line);
}

/// One line on stderr, escaped, and not logged (for an error the caller logged already).
/// A stderr nobody reads (a closed pipe) is not an error: the line is dropped and the command
/// goes on, so `helios hook` still exits 0 and a command's work is still done.
pub fn tell(line: impl std::fmt::Display) {
    use std::io::Write as _;
    let text = format!("{}\n", crate::text::escape(&line.to_string()));
    if let Err(e) = std::io::stderr().lock().write_all(text.as_bytes()) {
        tracing::debug!("stderr not written ({e}): {text}");
    }
}

/// Ask `question` on stderr, escaped and without a newline (the answer is typed after it),
/// and read one line from stdin: the answer trimmed, "" when stdin ends. As in [`tell`], a
/// stderr nobody reads is no error: `eprint!` would panic there.
pub fn ask(question: impl std::fmt::Display) -> String {
    ask_on(
        &question.to_string(),
        &mut std::io::stderr().lock(),
        &mut std::io::stdin().lock(),
    )
}

fn ask_on(question: &str, w: &mut impl std::io::Write, r: &mut impl std::io::BufRead) -> String {
    let shown = crate::text::escape(question);
    if let Err(e) = w.write_all(shown.as_bytes()).and_then(|()| w.flush()) {
        tracing::debug!("stderr not written ({e}): {shown}");
    }
    let mut line = String::new();
    if let Err(e) = r.read_line(&mut line) {
        tracing::debug!("no answer read from stdin ({e})");
    }
    line.trim().to_string()
}

/// Write `text` (already escaped, or JSON, or a completion script) to stdout as it is.
///
/// `println!` panics when the reader has gone (`helios status | head -1`, exit 101 and a panic
/// message). A closed pipe means the reader took what it wanted: helios stops there with exit
/// status 0, what `ls | head` users expect. Any other write error (a full disk) is one line on
/// stderr and exit status 1.
pub fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            tracing::debug!("stdout closed by its reader; stopping");
            std::process::exit(0);
        }
        Err(e) => {
            tell(format_args!("helios: cannot write to stdout: {e}"));
            std::process::exit(1);
        }
    }
}

/// Find the repo helios works in (`--repo`, else the current directory's), then load the
/// config layers for it.
pub fn load_context(global: GlobalArgs) -> Result<Context, ConfigError> {
    let dir = match global.repo() {
        Some(p) => p.clone(),
        None => std::env::current_dir().unwrap_or_else(|_| ".".into()),
    };
    let repo = crate::lanes::repo::find(&dir, global.repo().is_some());
    Context::load(global, repo)
}

/// A `--repo PATH` that is no repo, said once: `--repo /x does not exist: …`, the path not
/// repeated when the error starts with it.
pub fn repo_error(path: &std::path::Path, e: &str) -> String {
    let shown = path.display().to_string();
    if e.starts_with(&shown) {
        format!("--repo {e}")
    } else {
        format!("--repo {shown}: {e}")
    }
}

/// A command line that asks for something that cannot be (a `--since` that is no duration):
/// exit status 2, as clap's own usage errors and a bad config, where a failure is 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// Parse done; run the chosen subcommand and turn errors into exit codes.
pub fn run(cli: Cli) -> ExitCode {
    run_with_notice(cli, None)
}

/// [`run`], with one more line for the user from start-up (the log file could not be opened):
/// printed on stderr by a CLI command, shown in the status line by the console.
pub fn run_with_notice(cli: Cli, notice: Option<String>) -> ExitCode {
    tracing::debug!("helios {} starting", env!("CARGO_PKG_VERSION"));
    if let Some(CommandArgs::Completions { shell }) = &cli.command {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        // Into a buffer first: `generate` panics on a write error, `out` does not.
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "helios", &mut script);
        out(&String::from_utf8_lossy(&script));
        return ExitCode::SUCCESS;
    }
    // A hook runs inside the agent's turn: no config, no repo lookup, nothing on stdout.
    if let Some(CommandArgs::Hook { agent, payload }) = &cli.command {
        return hook::run(agent, payload);
    }
    if let Some(CommandArgs::OscTap { dir, feed }) = &cli.command {
        return osc_tap::run(dir, feed.as_deref());
    }
    let mut ctx = match load_context(cli.global) {
        Ok(c) => c,
        Err(e) => {
            if let Some(n) = &notice {
                warn(format_args!("helios: {n}"));
            }
            tracing::error!("{e}");
            tell(format_args!("helios: {e}"));
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(CommandArgs::Console);
    if ctx.global.repos.len() > 1 && !matches!(command, CommandArgs::Serve(_)) {
        tell(format_args!(
            "helios: --repo is given {} times; only `helios serve` takes more than one",
            ctx.global.repos.len()
        ));
        return ExitCode::from(2);
    }
    // `--repo PATH` is a request to work in that repo: one that is not there is an error for
    // every command, never a quiet fall-back to no repo (`status` would report the platform
    // and exit 0, `events` would show every repo's, `config` would skip the repo's file).
    if let (Some(p), Err(e)) = (ctx.global.repo(), &ctx.repo) {
        let said = repo_error(p, e);
        tracing::error!("{said}");
        tell(format_args!("helios: {said}"));
        return ExitCode::from(2);
    }
    match (notice, &command) {
        (Some(n), CommandArgs::Console) => ctx.notices.push(n),
        (Some(n), _) => warn(format_args!("helios: {n}")),
        (None, _) => {}
    }
    // The console shows these in its status line; `trust` is the answer to them. They name
    // repo paths, which a clone chooses: escaped like every line.
    if !matches!(command, CommandArgs::Console | CommandArgs::Trust(_)) {
        for n in &ctx.notices {
            tell(format_args!("helios: {n}"));
        }
    }
    let deliver = journals(&command);
    let trusting = matches!(command, CommandArgs::Trust(_));
    let result = dispatch(&ctx, command);
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            // Errors carry lane names, paths and servers' words: escaped like everything else.
            tell(format_args!("helios: {e:#}"));
            if e.downcast_ref::<Usage>().is_some() {
                // The user asked for what cannot be: nothing of helios failed.
                tracing::info!("{e:#}");
                ExitCode::from(2)
            } else {
                tracing::error!("{e:#}");
                ExitCode::FAILURE
            }
        }
    };
    if deliver {
        // `trust` may have just made the repo's own sinks count: read the config again.
        let reloaded = trusting
            .then(|| load_context(ctx.global.clone()).ok())
            .flatten();
        deliver::at_exit(reloaded.as_ref().unwrap_or(&ctx));
    }
    code
}

/// Whether a command journals events of its own, which it then delivers before exiting.
fn journals(command: &CommandArgs) -> bool {
    use crate::cli::{LaneArgs, ShareArgs, WfArgs};
    match command {
        CommandArgs::Lane(a) => !matches!(a, LaneArgs::Ls { .. } | LaneArgs::Explain { .. }),
        CommandArgs::Trust(a) => !a.list,
        CommandArgs::Wf(a) => !matches!(a, WfArgs::Ls { .. } | WfArgs::Show { .. }),
        CommandArgs::Share(a) => !matches!(a, ShareArgs::Ls { .. }),
        CommandArgs::Zellij(_) => true,
        CommandArgs::Agent(crate::cli::AgentArgs::Setup { dry_run, .. }) => !dry_run,
        _ => false,
    }
}

fn dispatch(ctx: &Context, command: CommandArgs) -> anyhow::Result<ExitCode> {
    match command {
        CommandArgs::Config(args) => config::run(ctx, &args),
        CommandArgs::Completions { .. } | CommandArgs::Hook { .. } | CommandArgs::OscTap { .. } => {
            Ok(ExitCode::SUCCESS)
        }
        CommandArgs::Console => console::run(ctx),
        CommandArgs::Lane(crate::cli::LaneArgs::Explain { name, json }) => {
            agent::explain(ctx, &name, json)
        }
        CommandArgs::Lane(args) => lane::run(ctx, args),
        CommandArgs::Agent(crate::cli::AgentArgs::Setup {
            agent,
            lane,
            all,
            user,
            dry_run,
            remove,
        }) => agent::run_setup(
            ctx,
            agent.agent(),
            lane.as_deref(),
            (all, user),
            dry_run,
            remove,
        ),
        CommandArgs::Mcp => mcp::run(ctx),
        CommandArgs::Events(a) => events::run(ctx, &a),
        CommandArgs::Status(a) => status::run(ctx, &a),
        CommandArgs::Wf(args) => wf::run(ctx, args),
        CommandArgs::Layout(crate::cli::LayoutArgs::Write {
            template,
            out,
            lane,
        }) => layout::write(ctx, &template, out, lane.as_deref()),
        CommandArgs::Zellij(a) => {
            zellij::run(ctx, &a.template, a.lane.as_deref(), a.yes, a.recreate)
        }
        CommandArgs::Share(a) => share::run(ctx, a),
        CommandArgs::Trust(a) => trust::run(ctx, &a),
        CommandArgs::Serve(a) => serve::run(ctx, &a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stderr whose reader has gone.
    struct Closed;

    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_question_is_escaped_and_survives_a_closed_stderr() {
        let mut shown = Vec::new();
        let answer = ask_on(
            "session a\x1b]0;x\x07b is dead? ",
            &mut shown,
            &mut &b" d \n"[..],
        );
        assert_eq!(answer, "d");
        let shown = String::from_utf8_lossy(&shown);
        assert!(!shown.chars().any(crate::text::is_unsafe), "{shown:?}");
        assert!(shown.ends_with("is dead? "), "{shown:?}");
        assert_eq!(ask_on("? ", &mut Closed, &mut &b"y\n"[..]), "y");
        assert_eq!(ask_on("? ", &mut Closed, &mut &b""[..]), "");
    }
}
