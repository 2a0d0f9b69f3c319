//! `helios` / `helios console`: open the full-screen console over the repo's lanes.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;

use crate::app::{AppState, Event};
use crate::commands::Context;
use crate::model::AuditAction;
use crate::pty::{PortablePtys, PtyBackend as _, PtyConfig};
use crate::runtime::{Engine, EngineCtx, Outcome, Ui};
use crate::store::sqlite::SqliteStore;

/// The screen patterns: the shipped ones, after the user's
/// `$XDG_CONFIG_HOME/helios/patterns.toml` when there is one (a broken file is reported and
/// skipped: the shipped patterns still work).
pub fn load_patterns() -> (crate::agent::screen::Patterns, Option<String>) {
    use crate::agent::screen::Patterns;
    let path = crate::config::paths::config_dir().join("patterns.toml");
    if !path.exists() {
        return (Patterns::builtin(), None);
    }
    let user = crate::config::read::read_config_file(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| Patterns::parse(&text).map_err(|e| format!("{}: {e}", path.display())));
    match user {
        Ok(u) => (Patterns::builtin().with_user(u), None),
        Err(e) => (
            Patterns::builtin(),
            Some(format!("{e}; using the shipped screen patterns only")),
        ),
    }
}

/// Run the console; on an attach request, replace helios with `tmux attach` once the terminal
/// is restored.
pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    if let Some(why) = term_refusal(std::env::var("TERM").ok().as_deref()) {
        crate::commands::warn(format_args!("helios: {why}"));
        return Ok(ExitCode::from(2));
    }
    let repo = ctx.repo()?.clone();
    let (keymap, theme) = match look_and_keys(ctx) {
        Ok(k) => k,
        Err(e) => {
            // A bad keymap or theme file is a config error: exit status 2, like `config check`.
            crate::commands::warn(format_args!("helios: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    // One thread: the loop's. It waits on the terminal itself (runtime/input.rs), so a key
    // wakes the thread that handles it; with worker threads, their IO driver woke it. The
    // integrations' tasks share it (they wait on sockets; blocking work goes to threads).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let journal_tx = tx.clone();
    let db = SqliteStore::default_path();
    let (journal, journal_thread) = crate::store::journal::spawn(db, move |r| {
        // The console may be gone while the writer drains; nothing is left to tell then.
        let _ = journal_tx.send(match r {
            Ok(ev) => Event::Journalled { event: ev.clone() },
            Err(e) => Event::JournalFailed {
                error: e.to_string(),
            },
        });
    })?;
    let actor = crate::config::actor::actor();

    let outcome = rt.block_on(async {
        let integrations = crate::integrations::start(ctx, &tx, &journal);
        let mut state = AppState::new(repo.clone(), Instant::now());
        // This machine's own rows in the lane bucket are its local lanes: not shown twice.
        state.fleet.local_host = crate::config::actor::host_name();
        state.fleet.expected = ctx.config.nats.is_configured();
        state.temporal.quiet_default = !crate::integrations::temporal::is_configured(ctx);
        state.compact = ctx.global.compact;
        state.timing.quiet = std::time::Duration::from_secs(ctx.config.attention.quiet_secs.max(1));
        state.notify = ctx.config.attention.notify;
        let wake = crate::runtime::wake::listen(tx.clone());
        let (patterns, patterns_error) = load_patterns();
        state.share.ready_timeout_secs = Some(ctx.config.share.ready_timeout_secs);
        let mut pty_config = PtyConfig::from_config(&ctx.config.lanes);
        // tmux runs this binary on par lanes' output for their notifications.
        pty_config.osc_tap = std::env::current_exe()
            .inspect_err(|e| {
                tracing::warn!("no helios path for osc-tap ({e}): par lanes' notifications in attach mode are off");
            })
            .ok();
        pty_config.colors =
            crate::pty::QueryColors::from_theme(&theme, ctx.config.ui.theme == "light");
        let ptys = PortablePtys::new(pty_config, tx.clone());
        let engine_ctx = EngineCtx {
            events: tx.clone(),
            journal: journal.clone(),
            actor,
            quiet: std::time::Duration::from_secs(ctx.config.attention.quiet_secs.max(1)),
            integrations: Some(integrations),
            lanes: std::sync::Arc::new(crate::lanes::ops::ParLanes),
            nats: ctx.config.nats.clone(),
        };
        follow_journal(tx.clone());
        drop(tx);
        let mut engine = Engine::new(state, ptys, engine_ctx);
        engine.set_patterns(patterns);
        for e in [wake.err(), patterns_error].into_iter().flatten() {
            crate::app::on_action::flash(
                &mut engine.state,
                crate::app::state::FlashLevel::Error,
                &e,
            );
        }
        engine.record(
            AuditAction::ConfigLoaded.as_str(),
            None,
            true,
            json!({
                "theme": ctx.config.ui.theme,
                "keymap": ctx.config.ui.keymap,
                "repo": repo.path.display().to_string(),
            }),
        );
        for n in &ctx.notices {
            engine.handle(Event::Notice {
                level: crate::app::state::FlashLevel::Error,
                text: n.clone(),
            });
        }
        engine.discover();
        let guard = crate::terminal::TerminalGuard::enter().context(
            "cannot put the terminal in raw mode: run helios in an interactive terminal",
        )?;
        let (out, gate) = crate::runtime::frame_out::FrameOut::stdout();
        let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(out))?;
        let mut ui = Ui {
            terminal,
            gate,
            theme,
            keymap,
            tiles: crate::ui::cache::TileCache::presented(),
            presenter: crate::runtime::present::Presenter::default(),
            live: ratatui::buffer::Buffer::default(),
        };
        let result = crate::runtime::run(&mut engine, &mut ui, rx).await;
        crate::telemetry::echo::flush();
        if let Err(e) = &result {
            engine.record(
                AuditAction::ConsoleFailed.as_str(),
                None,
                false,
                json!({"error": format!("{e:#}")}),
            );
        }
        engine.ptys.shutdown();
        drop(ui);
        drop(guard);
        result
    });
    // Stop the integration tasks so every journal handle is gone, then let the journal finish.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    drop(journal);
    if journal_thread.join().is_err() {
        tracing::error!("the journal writer thread panicked");
    }
    match outcome? {
        Outcome::Quit => Ok(ExitCode::SUCCESS),
    }
}

/// Why the console cannot run on a terminal of type `term`, if it cannot. A `dumb` terminal
/// (Emacs shell buffers, some CI logs) has no cursor movement, and with no `TERM` at all
/// nothing says what the terminal understands: drawing there fills it with escape codes.
pub fn term_refusal(term: Option<&str>) -> Option<String> {
    let shown = match term.map(str::trim) {
        None => "TERM is not set".to_string(),
        Some("") => "TERM is empty".to_string(),
        Some(t) if t.eq_ignore_ascii_case("dumb") => format!("TERM={t}"),
        Some(_) => return None,
    };
    Some(format!(
        "{shown}: this terminal cannot show the console; run helios in a terminal emulator (TERM like xterm-256color), or use the subcommands (helios lane ls, helios events, helios status)"
    ))
}

/// The keymap and theme the config names.
fn look_and_keys(
    ctx: &Context,
) -> Result<(crate::app::keymap::Keymap, crate::config::theme::Theme), crate::config::ConfigError> {
    let keymap = crate::app::keymap::Keymap::load(&ctx.config.ui.keymap)?;
    let env = crate::config::theme::TermEnv::from_env();
    let theme = crate::config::theme::Theme::load(&ctx.config.ui.theme, &env)?;
    Ok((keymap, theme))
}

/// How often the events panel reads what other helios processes (the CLI, hooks, another
/// console) added to the journal. Without NATS nothing else would tell this console; with it,
/// this is the same journal read that NATS may already have delivered, merged by event id.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The events panel opens with the journal's newest events and then follows the journal,
/// read on a thread of its own (a big or busy journal never delays a frame) and sent to the
/// loop like any other event. Rows that cannot be decoded are skipped; a journal that cannot be
/// read leaves the panel with this run's events (the writer reports what is wrong with it).
/// Each problem is logged once. The thread ends with the console.
fn follow_journal(tx: tokio::sync::mpsc::UnboundedSender<Event>) {
    let follow = move || {
        let mut after: Option<String> = None;
        let mut store: Option<SqliteStore> = None;
        let mut said = std::collections::HashSet::new();
        let mut say = |what: String| {
            if said.len() < 100 && said.insert(what.clone()) {
                tracing::warn!("{what}");
            }
        };
        loop {
            let query = crate::store::EventQuery {
                limit: Some(crate::app::events::HISTORY),
                after_id: after.clone(),
                ..crate::store::EventQuery::default()
            };
            // Opened once and kept (opening sets the journal up, a write); opened again after
            // a failed read.
            let read = match store.take() {
                Some(s) => Ok(s),
                None => SqliteStore::open(&SqliteStore::default_path()),
            }
            .and_then(|s| {
                let read = s.query_lenient(&query);
                store = Some(s);
                read
            });
            match read {
                Ok((events, bad)) => {
                    for e in &bad {
                        say(format!("the events panel skips a journal row: {e}"));
                    }
                    if let Some(last) = events.last() {
                        after = Some(last.id.clone());
                        if tx.send(Event::JournalHistory { events }).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    store = None;
                    say(format!("the events panel cannot read the journal: {e}"));
                }
            }
            if tx.is_closed() {
                return;
            }
            std::thread::sleep(FOLLOW_EVERY);
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("journal-follow".into())
        .spawn(follow)
    {
        tracing::warn!("the events panel shows only this console's events: no thread ({e})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumb_and_missing_terminals_are_refused() {
        for t in [None, Some(""), Some("dumb"), Some("DUMB")] {
            let why = term_refusal(t);
            assert!(
                why.as_deref()
                    .is_some_and(|w| w.contains("run helios in a terminal")),
                "{t:?}"
            );
        }
        for t in ["xterm-256color", "screen", "linux", "tmux-256color"] {
            assert_eq!(term_refusal(Some(t)), None, "{t}");
        }
    }
}
