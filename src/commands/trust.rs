//! `helios trust [FILE] [--revoke | --list]`: let a repo's `.helios.toml` take effect, after the
//! user has read it. The file is checked first (a broken file is never trusted) and the keys
//! that run programs, send data, bind keys or name files are listed, so the user knows what
//! they agree to, and so are the files it names, which the trust covers too.
//!
//! Every line goes through `say`/`tell` (escaped): the file's path and its error messages
//! quote what a cloned repo chose.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use crate::cli::TrustArgs;
use crate::commands::{Context, say, tell};
use crate::config::trust::{self, TrustState, TrustStore};
use crate::model::AuditAction;
use crate::model::AuditEvent;
use crate::store::EventStore as _;
use crate::store::sqlite::SqliteStore;

/// Run `helios trust`.
pub fn run(ctx: &Context, args: &TrustArgs) -> anyhow::Result<ExitCode> {
    let mut store = match TrustStore::load() {
        Ok(s) => s,
        Err(e) => {
            tell(format_args!("helios: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    if args.list {
        return Ok(list(&store));
    }
    let file = target(ctx, args.file.as_deref())?;
    let repo_name = ctx
        .repo
        .as_ref()
        .map_or_else(|_| file.display().to_string(), |r| r.name.clone());
    if args.revoke {
        let was = store.revoke(&file);
        journal_first(
            &repo_name,
            AuditAction::ConfigTrustRevoked.as_str(),
            &file,
            json!({"was_trusted": was}),
        )?;
        store.save()?;
        say(format_args!(
            "{}: {}",
            file.display(),
            if was {
                "no longer trusted; helios ignores it"
            } else {
                "was not trusted"
            }
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let text = match crate::config::read::read_config_file(&file) {
        Ok(t) => t,
        Err(e) => {
            tell(format_args!("helios: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    // A file that would not load is not worth trusting: say what is wrong, exit 2 like `config check`.
    let table = match crate::config::parse_layer(&file, &text) {
        Ok(t) => t,
        Err(e) => {
            tell(format_args!("helios: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    let before = store.state(&file, &text);
    let powerful = trust::powerful_keys(&table);
    let named = trust::named_files(&file, &text);
    journal_first(
        &repo_name,
        AuditAction::ConfigTrusted.as_str(),
        &file,
        json!({"sha256": trust::digest(&text), "keys": powerful, "named_files": named}),
    )?;
    store.trust(&file, &text);
    store.save()?;
    let what = match before {
        TrustState::Trusted => "already trusted",
        TrustState::Changed => "trusted again (it had changed)",
        TrustState::NamedChanged { .. } => "trusted again (a file it names had changed)",
        TrustState::New => "trusted",
    };
    say(format_args!(
        "{}: {what} (sha256 {})",
        file.display(),
        &trust::digest(&text)[..12]
    ));
    if !powerful.is_empty() {
        say(format_args!(
            "it sets keys that run programs, send data, bind keys or name files helios reads: {}",
            powerful.join(", ")
        ));
    }
    if !named.is_empty() {
        say("it names these files; the trust covers their content as it is now:");
        for f in &named {
            say(format_args!("  {}", f.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The file to act on: the one given, or the repo's `.helios.toml`.
fn target(ctx: &Context, given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(f) = given {
        return Ok(f.to_path_buf());
    }
    let repo = ctx.repo()?;
    Ok(repo.path.join(".helios.toml"))
}

/// Record the trust change in the journal before making it: no trust change without its event.
fn journal_first(
    repo: &str,
    action: &str,
    file: &Path,
    mut detail: serde_json::Value,
) -> anyhow::Result<()> {
    if let Some(m) = detail.as_object_mut() {
        m.insert("file".into(), json!(file.display().to_string()));
    }
    let mut journal = SqliteStore::open(&SqliteStore::default_path())?;
    journal
        .append(&AuditEvent::new(
            &crate::config::actor::actor(),
            repo,
            action,
            None,
            true,
            detail,
        ))
        .map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))
}

fn list(store: &TrustStore) -> ExitCode {
    let mut any = false;
    for path in store.entries() {
        any = true;
        let text = crate::config::read::read_config_file(path);
        let state = match &text {
            Ok(t) => match store.state(path, t) {
                TrustState::Trusted => "trusted".to_string(),
                TrustState::NamedChanged { file } => format!(
                    "{} (a file it names) changed since trusted: ignored",
                    file.display()
                ),
                TrustState::Changed | TrustState::New => {
                    "changed since trusted: ignored".to_string()
                }
            },
            Err(_) => "missing".to_string(),
        };
        say(format_args!("{}  {state}", path.display()));
        if let Ok(t) = &text {
            for f in trust::named_files(path, t) {
                say(format_args!("  names {}", f.display()));
            }
        }
    }
    if !any {
        say("no trusted repo config files: run `helios trust` in a repo to trust its .helios.toml");
    }
    ExitCode::SUCCESS
}
