//! A CLI command's events leave the machine without a console running: after a command that
//! journals (`lane new|rm|send`, `trust`, `wf` triage, `share`, `zellij`), one short, bounded
//! delivery of the repo's backlog to each configured sink, through the same forwarder as the
//! console (`Mode::Drain`). When it cannot, one line on stderr says the events wait in the
//! outbox; the command's own exit status never changes.

use std::time::Duration;

use crate::commands::{Context, warn};
use crate::spine::forwarder::{self, Mode, SinkSpec};
use crate::store::outbox::Outbox;
use crate::store::sqlite::SqliteStore;

/// The most a command spends delivering before it exits, all sinks together.
pub const BUDGET: Duration = Duration::from_secs(2);

/// Deliver this repo's waiting events to every configured sink, within [`BUDGET`]. Nothing is
/// tried when no sink is configured (the built-in NATS default is not one) or nothing waits.
/// Another helios already delivering (it holds the sink's lock) is left to it, silently.
pub fn at_exit(ctx: &Context) {
    let Ok(repo) = &ctx.repo else {
        return;
    };
    let specs = SinkSpec::from_config(&ctx.config);
    if specs.is_empty() {
        return;
    }
    let path = SqliteStore::default_path();
    let waiting = |specs: &[SinkSpec]| -> Vec<(&'static str, u64)> {
        let Ok(outbox) = Outbox::open(&path) else {
            return Vec::new();
        };
        specs
            .iter()
            .filter_map(|s| {
                let key = forwarder::outbox_key(s, &repo.name);
                outbox
                    .backlog(&key)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(|n| (s.name(), n))
            })
            .collect()
    };
    let before = waiting(&specs);
    let specs: Vec<SinkSpec> = specs
        .into_iter()
        .filter(|s| before.iter().any(|(name, _)| *name == s.name()))
        .collect();
    if specs.is_empty() {
        return;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return note(&before, &format!("cannot start the async runtime: {e}")),
    };
    let deadline = tokio::time::Instant::now() + BUDGET;
    let runs = specs.iter().cloned().map(|spec| {
        let (repo, path) = (repo.name.clone(), path.clone());
        async move {
            let name = spec.name();
            let run = forwarder::run(spec, repo, path, None, |_| {}, Mode::Drain);
            match tokio::time::timeout_at(deadline, run).await {
                Ok(Ok(_)) => None,
                Ok(Err(e)) if forwarder::is_busy(&e) => None,
                Ok(Err(e)) => Some(format!("{name}: {}", first_clause(&e))),
                Err(_) => Some(format!("{name}: no answer within {}s", BUDGET.as_secs())),
            }
        }
    });
    let failures: Vec<String> = rt
        .block_on(futures::future::join_all(runs))
        .into_iter()
        .flatten()
        .collect();
    // Don't wait for a blocking outbox call a timeout left behind: the process is ending.
    rt.shutdown_background();
    if failures.is_empty() {
        return;
    }
    let after = waiting(&specs);
    note(
        if after.is_empty() { &before } else { &after },
        &failures.join("; "),
    );
}

/// The one line for events that could not be delivered.
fn note(waiting: &[(&str, u64)], why: &str) {
    let n = waiting.iter().map(|(_, n)| *n).max().unwrap_or(1);
    let (what, it) = if n == 1 {
        ("1 event waits".to_string(), "it")
    } else {
        (format!("{n} events wait"), "them")
    };
    warn(format_args!(
        "helios: {what} in the outbox ({why}); `helios events --deliver` or the next console will send {it}"
    ));
}

/// A sink's error up to its first `; ` (the rest is advice for the console's status line).
fn first_clause(e: &str) -> &str {
    e.split("; ").next().unwrap_or(e)
}

#[cfg(test)]
mod tests {
    use super::first_clause;

    #[test]
    fn the_reason_is_the_first_clause() {
        assert_eq!(
            first_clause(
                "NATS at nats://h:1 is unreachable: refused; start nats-server or point helios at one"
            ),
            "NATS at nats://h:1 is unreachable: refused"
        );
        assert_eq!(first_clause("plain"), "plain");
    }
}
