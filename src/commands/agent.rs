//! Agent-aware lanes from the shell: the stored states `helios lane ls` prints, `helios lane
//! explain`, and `helios agent setup` (the hooks each agent runs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::agent::Agent;
use crate::commands::lane::Recorder;
use crate::commands::{Context, say};
use crate::model::{AuditAction, AuditEvent};
use crate::store::lane_state;
use crate::store::sqlite::SqliteStore;
use crate::text;

/// `helios lane explain NAME [--json]`: the state, since when, the rule and signal that
/// decided it, the signals considered then, and the lane's recent signals with their age.
pub fn explain(ctx: &Context, name: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let repo = ctx.repo()?;
    let lane = crate::lanes::discover::find(&repo.path, name)
        .map_err(|e| anyhow::anyhow!(crate::commands::lane::said(&e, &repo.path)))?;
    let store = SqliteStore::open(&SqliteStore::default_path())?;
    // As `lane ls`: the state a look decides now, not one the lane has left.
    crate::commands::serve::look::look_once(&repo.name, std::slice::from_ref(&lane), &store);
    let key = crate::store::lane_state::worktree_key(&lane.worktree);
    let stored = lane_state::get(store.conn(), &key)?;
    // A plain lane's state decided from the shell of a console that has ended: not true now.
    let no_terminal = stored
        .as_ref()
        .is_some_and(|s| crate::commands::serve::look::terminal_gone(&lane, &s.state));
    let stored = stored.filter(|_| !no_terminal);
    let signals = lane_state::signals(store.conn(), &key, 10, false)?;
    let now = time::OffsetDateTime::now_utc();
    let age = |t: time::OffsetDateTime| (now - t).whole_seconds();
    // A par lane whose tmux session is gone: its stored state is from before, and the fix is
    // the same whatever that state says.
    let gone = lane
        .session()
        .filter(|_| !lane.session_alive)
        .map(|s| format!("  its tmux session {s} is gone: `par open {name}` makes it again, `helios lane rm {name}` removes the lane"));
    if as_json {
        let v = json!({
            "label": lane.id.as_str(),
            "worktree": key,
            "session": lane.status_word(),
            "state": stored.as_ref().map(|s| s.state.to_record()),
            "why": stored.as_ref().map(|s| s.why.as_str()).or(no_terminal.then_some(crate::commands::serve::look::NO_TERMINAL)),
            "decided_secs_ago": stored.as_ref().map(|s| age(s.updated)),
            "evidence": stored.as_ref().map(|s| &s.evidence),
            "signals": signals.iter().map(|s| json!({
                "source": s.source.to_string(),
                "event": s.event,
                "state": s.status.map(crate::agent::Status::label),
                "reason": s.reason,
                "age_secs": age(s.at),
            })).collect::<Vec<Value>>(),
        });
        crate::commands::out(&format!("{}\n", serde_json::to_string_pretty(&v)?));
        return Ok(ExitCode::SUCCESS);
    }
    if no_terminal {
        say(format_args!(
            "lane {name}: {}",
            crate::commands::serve::look::NO_TERMINAL
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(s) = stored else {
        say(format_args!(
            "lane {name}: unknown · no state recorded yet (no hook has reported, and no console has decided one); run `helios agent setup` for its agent"
        ));
        if let Some(g) = gone {
            say(g);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let short = |secs: i64| crate::agent::decide::short_age(secs);
    let reason = if s.state.reason.is_empty() {
        String::new()
    } else {
        format!(" · {}", s.state.reason)
    };
    let head = format!(
        "lane {name}: {}{reason} · for {}",
        s.state.status.label(),
        short(age(s.state.since))
    );
    say(head);
    if let Some(g) = gone {
        say(g);
    }
    say(format_args!("  decided by {}: {}", s.state.source, s.why));
    say(format_args!("  decided {} ago", short(age(s.updated))));
    if !s.evidence.is_empty() {
        // The ages are the decision's: the console's `e` shows them live.
        say("  signals considered then, with their ages then:");
        for e in &s.evidence {
            let when = e.age_note();
            say(format_args!(
                "    {:8} {}{when} -> {}",
                e.source, e.said, e.verdict
            ));
        }
    }
    if !signals.is_empty() {
        say("  recent signals, newest first:");
        for g in &signals {
            let state = g
                .status
                .map_or("no state".into(), crate::agent::Status::label);
            let reason = if g.reason.is_empty() {
                String::new()
            } else {
                format!(" · {}", g.reason)
            };
            say(format_args!(
                "    {:>4} ago  {:12} {} -> {state}{reason}",
                short(age(g.at)),
                g.source.to_string(),
                g.event
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `helios agent setup` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// These worktrees (a lane's, every lane's, or the current one).
    Worktrees(Vec<PathBuf>),
    /// The user's own settings.
    User,
}

/// Where `helios agent setup` writes: `--user`, a lane, every lane, or the worktree of the
/// current directory.
pub fn scope(ctx: &Context, lane: Option<&str>, all: bool, user: bool) -> anyhow::Result<Scope> {
    if user {
        return Ok(Scope::User);
    }
    let repo = ctx.repo()?;
    let dirs = match (lane, all) {
        (Some(l), _) => vec![
            crate::lanes::discover::find(&repo.path, l)
                .map_err(|e| anyhow::anyhow!(crate::commands::lane::said(&e, &repo.path)))?
                .worktree,
        ],
        (None, true) => crate::lanes::discover(&repo.path)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .map(|l| l.worktree)
            .collect(),
        (None, false) => {
            let here = std::env::current_dir().context("no current directory")?;
            vec![crate::lanes::locate::worktree_of(&here).map_err(|e| anyhow::anyhow!("{e}"))?]
        }
    };
    Ok(Scope::Worktrees(dirs))
}

/// `helios lane new NAME --agent AGENT [-- ARGS]`: set up the agent's hooks for the new lane
/// and start it there with HELIOS_LANE set (through `par send`).
pub fn start_in_lane(
    repo: &Path,
    label: &str,
    agent: Agent,
    args: &[String],
) -> Result<Value, String> {
    let lane = crate::lanes::discover::find(repo, label)
        .map_err(|e| crate::commands::lane::said(&e, repo))?;
    let program = agent.name();
    let mut words = vec![
        format!("HELIOS_LANE={}", shell_words::quote(label)),
        program.to_string(),
    ];
    words.extend(args.iter().map(|a| shell_words::quote(a).into_owned()));
    let command = words.join(" ");
    // The lane's shell would only print "command not found" into its pane, and par's send
    // still succeed. Its PATH is not known from here: the tmux server par starts passes on
    // the environment it was started with, so helios's own PATH stands in for it.
    if !crate::lanes::par::on_path(program) {
        return Err(format!(
            "{program} is not on PATH (helios looked in its own, which the lane's shell normally gets too): lane {label} was created, but nothing was started in it; install {program} or put it on PATH, then run `helios lane send {label} -- {command}`"
        ));
    }
    let scope = match agent {
        Agent::Codex => Scope::User,
        Agent::Claude | Agent::Gemini => Scope::Worktrees(vec![lane.worktree.clone()]),
    };
    // Hooks that cannot be set up (a Codex notify of the user's own) leave the screen
    // fallback: the agent still starts, and the error says why its state is a guess.
    let mut files = Vec::new();
    let hooks = setup(agent, &scope, false, false, &mut files).map_err(|e| format!("{e:#}"));
    if let Err(e) = &hooks {
        crate::commands::warn(format_args!(
            "helios: {e}; the lane's state will come from its screen"
        ));
    }
    crate::lanes::par::send(repo, label, &command).map_err(|e| e.to_string())?;
    Ok(json!({
        "agent": program,
        "command": command,
        "hooks": hooks.is_ok(),
        "hooks_error": hooks.err(),
        "hook_files": files,
    }))
}

/// The hook command agents run: this helios binary, by absolute path (an agent's PATH may
/// not have it).
fn hook_command(agent: Agent) -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .map_or_else(|| "helios".to_string(), |p| p.display().to_string());
    format!("{} hook {}", shell_words::quote(&exe), agent.name())
}

/// The Claude Code events helios listens to, and whether each takes a tool matcher.
const CLAUDE_EVENTS: &[(&str, bool)] = &[
    ("SessionStart", false),
    ("UserPromptSubmit", false),
    ("PreToolUse", true),
    ("PermissionRequest", true),
    ("PostToolUse", true),
    ("PostToolUseFailure", true),
    ("Notification", false),
    ("Stop", false),
    ("StopFailure", false),
    ("SessionEnd", false),
    ("PreCompact", false),
];

/// Gemini's settings file, the same path in a worktree and in the user's home.
const GEMINI_FILE: &str = ".gemini/settings.json";

/// The Gemini CLI events helios listens to, and whether each takes a tool matcher.
const GEMINI_EVENTS: &[(&str, bool)] = &[
    ("SessionStart", false),
    ("BeforeAgent", false),
    ("BeforeTool", true),
    ("AfterTool", true),
    ("AfterAgent", false),
    ("Notification", false),
    ("SessionEnd", false),
];

/// `helios agent setup AGENT [--lane L | --all | --user] [--dry-run] [--remove]`: the scope,
/// then [`setup`], journalled as `agent.setup` (the request first, then the result with each
/// file it changed, or its error). A dry run changes nothing and is not journalled.
pub fn run_setup(
    ctx: &Context,
    agent: Agent,
    lane: Option<&str>,
    (all, user): (bool, bool),
    dry_run: bool,
    remove: bool,
) -> anyhow::Result<ExitCode> {
    if dry_run {
        let scope = scope(ctx, lane, all, user)?;
        return setup(agent, &scope, true, remove, &mut Vec::new());
    }
    let mut rec = Recorder::open(ctx)?;
    let whose = match (lane, all, user) {
        (_, _, true) => "user",
        (Some(_), _, _) => "lane",
        (None, true, _) => "every lane",
        (None, false, _) => "this worktree",
    };
    let asked = json!({"agent": agent.name(), "scope": whose, "remove": remove});
    let action = AuditAction::AgentSetup;
    rec.request(action, lane, &asked)?;
    let mut files = Vec::new();
    let result =
        scope(ctx, lane, all, user).and_then(|s| setup(agent, &s, false, remove, &mut files));
    let mut detail = asked;
    detail["files"] = json!(files);
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    let ev = AuditEvent::of_result(
        &rec.actor,
        &rec.repo,
        action.as_str(),
        lane,
        detail,
        error.as_deref(),
    );
    rec.keep(&ev)?;
    result
}

/// `helios agent setup AGENT`: install (or `remove`) helios's hooks where the agent reads
/// them, merged with what is there; `dry_run` shows the change only. Idempotent. Each file it
/// changed is added to `done` (with what it did), also when a later one fails.
pub fn setup(
    agent: Agent,
    scope: &Scope,
    dry_run: bool,
    remove: bool,
    done: &mut Vec<Value>,
) -> anyhow::Result<ExitCode> {
    let command = hook_command(agent);
    // Each file with the worktree it belongs to (`None`: the user's own settings).
    let files: Vec<(PathBuf, Option<&Path>)> = match (agent, scope) {
        // Codex takes `notify` from its user config: a project's `.codex/config.toml` counts
        // only once the project is trusted, which is itself recorded in the user config.
        (Agent::Codex, _) => vec![(codex_home()?.join("config.toml"), None)],
        (Agent::Claude, Scope::User) => vec![(home()?.join(".claude/settings.json"), None)],
        (Agent::Gemini, Scope::User) => vec![(home()?.join(GEMINI_FILE), None)],
        (Agent::Claude | Agent::Gemini, Scope::Worktrees(w)) => {
            let rel = if agent == Agent::Claude {
                ".claude/settings.local.json"
            } else {
                GEMINI_FILE
            };
            w.iter().map(|d| (d.join(rel), Some(d.as_path()))).collect()
        }
    };
    if agent == Agent::Codex
        && let (Scope::Worktrees(_), Some((file, _))) = (scope, files.first())
    {
        say(format_args!(
            "note: Codex takes `notify` from your user config, so this is {}: every Codex session of yours runs it, not only this lane's (helios finds each session's lane from its directory)",
            text::escape(&file.display().to_string())
        ));
    }
    for (file, worktree) in files {
        let before = match std::fs::read_to_string(&file) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => bail!("{}: {e}; check the file's permissions", file.display()),
        };
        let after = match agent {
            Agent::Codex => codex_config(before.as_deref(), &command, remove)
                .with_context(|| file.display().to_string())?,
            Agent::Claude | Agent::Gemini => {
                let events = if agent == Agent::Claude {
                    CLAUDE_EVENTS
                } else {
                    GEMINI_EVENTS
                };
                json_settings(
                    before.as_deref(),
                    events,
                    &command,
                    remove,
                    agent == Agent::Gemini,
                )
                .with_context(|| file.display().to_string())?
            }
        };
        let shown = text::escape(&file.display().to_string()).to_string();
        if after.as_deref() == before.as_deref() || (before.is_none() && after.is_none()) {
            say(format_args!(
                "{shown}: already {}",
                if remove {
                    "without helios's hooks"
                } else {
                    "set up"
                }
            ));
            continue;
        }
        let verb = if remove {
            "remove helios's hooks from"
        } else {
            "add helios's hooks to"
        };
        if dry_run {
            say(format_args!("would {verb} {shown}:"));
            // Line by line: `say` escapes a line break it is given as `\n`.
            let body = after
                .as_deref()
                .unwrap_or("(the file would be removed: nothing else was in it)");
            for line in body.lines() {
                say(line);
            }
            continue;
        }
        match &after {
            Some(text) => {
                write_atomic(&file, text)?;
                if let Some(w) = worktree {
                    exclude_locally(w, &file);
                }
            }
            None => std::fs::remove_file(&file).with_context(|| format!("removing {shown}"))?,
        }
        let did = if remove { "removed" } else { "installed" };
        done.push(json!({"file": file.display().to_string(), "hooks": did}));
        say(format_args!(
            "{}: {shown}",
            if remove {
                "removed helios's hooks"
            } else {
                "hooks installed"
            }
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Claude's and Gemini's settings JSON with helios's hook in each event (or without it). A
/// hook entry is helios's when its command is `… hook AGENT` of a helios binary; entries of
/// the user's are kept as they are. `None`: the file would hold nothing and is removed.
pub fn json_settings(
    before: Option<&str>,
    events: &[(&str, bool)],
    command: &str,
    remove: bool,
    gemini: bool,
) -> anyhow::Result<Option<String>> {
    let mut root: Value = match before {
        Some(t) if !t.trim().is_empty() => serde_json::from_str(t).map_err(|e| {
            anyhow::anyhow!(
                "not valid JSON ({e}); fix or move the file, helios will not overwrite it"
            )
        })?,
        _ => json!({}),
    };
    let Some(obj) = root.as_object_mut() else {
        bail!("the settings are not a JSON object; helios will not overwrite them");
    };
    let tail = command
        .rsplit_once(" hook ")
        .map(|(_, a)| format!(" hook {a}"))
        .unwrap_or_default();
    let ours = |h: &Value| {
        h.get("command")
            .and_then(Value::as_str)
            .is_some_and(|c| c.ends_with(&tail) && c.contains("helios"))
    };
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        bail!("`hooks` is not a JSON object; helios will not overwrite it");
    };
    for (event, tool) in events {
        let list = hooks
            .entry((*event).to_string())
            .or_insert_with(|| json!([]));
        let Some(groups) = list.as_array_mut() else {
            bail!("`hooks.{event}` is not a list; helios will not overwrite it");
        };
        // Drop our entries (so a changed helios path is replaced), then drop emptied groups.
        for g in groups.iter_mut() {
            if let Some(hs) = g.get_mut("hooks").and_then(Value::as_array_mut) {
                hs.retain(|h| !ours(h));
            }
        }
        groups.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|h| !h.is_empty())
        });
        if !remove {
            let mut hook = json!({"type": "command", "command": command, "timeout": 10});
            if gemini {
                hook["name"] = json!("helios");
                // Gemini's timeout is in milliseconds.
                hook["timeout"] = json!(10_000);
            }
            let mut group = json!({"hooks": [hook]});
            if *tool {
                group["matcher"] = json!(if gemini { ".*" } else { "*" });
            }
            groups.push(group);
        }
    }
    hooks.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    if hooks.is_empty() {
        obj.remove("hooks");
    }
    if obj.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!("{}\n", serde_json::to_string_pretty(&root)?)))
}

/// Codex's config.toml with `notify` pointing at helios (or without it). A `notify` that runs
/// something else is the user's: helios refuses to replace it and says how to chain them.
pub fn codex_config(
    before: Option<&str>,
    command: &str,
    remove: bool,
) -> anyhow::Result<Option<String>> {
    let text = before.unwrap_or("");
    // One line: toml's own message draws the line with a caret under it.
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let line = e
            .span()
            .and_then(|s| text.get(..s.start))
            .map_or(1, |t| t.matches('\n').count() + 1);
        let what = e.message().lines().next().unwrap_or("invalid TOML").trim();
        anyhow::anyhow!("not valid TOML (line {line}: {what}); fix it first")
    })?;
    let argv = shell_words::split(command)?;
    let current: Option<Vec<String>> = doc.get("notify").and_then(|n| n.as_array()).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    });
    let is_ours =
        |v: &[String]| v.len() == 3 && v[1] == "hook" && v[2] == "codex" && v[0].contains("helios");
    match (&current, remove) {
        (Some(v), _) if !is_ours(v) => bail!(
            "Codex already runs notify = {}; helios will not replace it. Codex adds the event's JSON as that program's last argument: make it also run `{command} JSON` with that same JSON as the last argument (in a bash script: `{command} \"${{!#}}\"`), or remove it and run this again",
            crate::text::quote_all(v)
        ),
        (_, true) => {
            doc.remove("notify");
        }
        (_, false) => {
            let mut arr = toml_edit::Array::new();
            for a in &argv {
                arr.push(a.as_str());
            }
            doc["notify"] = toml_edit::value(arr);
        }
    }
    let text = doc.to_string();
    if text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(text))
}

fn home() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .context("HOME is not set: helios cannot find the agent's user settings")
}

fn codex_home() -> anyhow::Result<PathBuf> {
    match std::env::var_os("CODEX_HOME").filter(|h| !h.is_empty()) {
        Some(h) => Ok(PathBuf::from(h)),
        None => Ok(home()?.join(".codex")),
    }
}

/// A settings file helios writes into a lane's worktree, in the repo's own exclude list
/// (`info/exclude`, shared by every worktree, never committed), as Claude Code does for the
/// file it makes: untracked, it made the lane count as unsaved work, and `lane rm` refused it.
/// Every agent's per-lane file goes through here. Best effort: logged.
fn exclude_locally(worktree: &Path, file: &Path) {
    let Some(line) = file
        .strip_prefix(worktree)
        .ok()
        .and_then(Path::to_str)
        .map(|l| l.replace(std::path::MAIN_SEPARATOR, "/"))
    else {
        return tracing::warn!("{}: not below its worktree, not excluded", file.display());
    };
    let line = line.as_str();
    let out = crate::config::secrets::command("git")
        .arg("-C")
        .arg(worktree)
        .args(["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .output();
    let common = match out {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => {
            return tracing::warn!(
                "{}: not in a git worktree, not excluded",
                worktree.display()
            );
        }
    };
    let exclude = common.join("info").join("exclude");
    // Only a missing list is empty: one that cannot be read is not rewritten (it would lose
    // the user's lines).
    let text = match std::fs::read_to_string(&exclude) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return tracing::warn!("{}: {e}; {line} stays untracked", exclude.display()),
    };
    if text.lines().any(|l| l.trim() == line) {
        return;
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let written = std::fs::create_dir_all(common.join("info"))
        .and_then(|()| std::fs::write(&exclude, format!("{text}{sep}{line}\n")));
    if let Err(e) = written {
        tracing::warn!("{}: {e}; {line} stays untracked", exclude.display());
    }
}

/// Write through a temporary file and a rename, so an agent never reads half a file.
fn write_atomic(file: &Path, text: &str) -> anyhow::Result<()> {
    let dir = file.parent().context("a settings file has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.helios-tmp",
        file.file_name()
            .map_or_else(|| "settings".into(), |n| n.to_string_lossy())
    ));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const CMD: &str = "/opt/helios/bin/helios hook claude";

    #[test]
    fn claude_settings_merge_keep_the_users_and_round_trip() {
        let user = r#"{"model": "opus", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}}"#;
        let added = json_settings(Some(user), CLAUDE_EVENTS, CMD, false, false)
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(&added).unwrap();
        assert_eq!(v["model"], "opus");
        let stop = v["hooks"]["Stop"].as_array().unwrap();
        assert_eq!(stop.len(), 2, "{added}");
        assert_eq!(stop[0]["hooks"][0]["command"], "say done");
        assert_eq!(v["hooks"]["PermissionRequest"][0]["matcher"], "*");
        assert_eq!(
            v["hooks"]["PermissionRequest"][0]["hooks"][0]["command"],
            CMD
        );
        // Idempotent.
        let again = json_settings(Some(&added), CLAUDE_EVENTS, CMD, false, false)
            .unwrap()
            .unwrap();
        assert_eq!(again, added);
        // A moved helios binary replaces the old entry instead of adding one.
        let moved = json_settings(
            Some(&added),
            CLAUDE_EVENTS,
            "/usr/bin/helios hook claude",
            false,
            false,
        )
        .unwrap()
        .unwrap();
        let v2: Value = serde_json::from_str(&moved).unwrap();
        assert_eq!(v2["hooks"]["Stop"].as_array().unwrap().len(), 2);
        // Removed: the user's file as it was (in content).
        let removed = json_settings(Some(&added), CLAUDE_EVENTS, CMD, true, false)
            .unwrap()
            .unwrap();
        let back: Value = serde_json::from_str(&removed).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(user).unwrap());
        // A file with nothing else goes away.
        let only = json_settings(None, CLAUDE_EVENTS, CMD, false, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            json_settings(Some(&only), CLAUDE_EVENTS, CMD, true, false).unwrap(),
            None
        );
    }

    #[test]
    fn broken_settings_are_refused_not_overwritten() {
        let err = json_settings(Some("{ nope"), CLAUDE_EVENTS, CMD, false, false).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert!(json_settings(Some("[1]"), CLAUDE_EVENTS, CMD, false, false).is_err());
        assert!(json_settings(Some(r#"{"hooks": 3}"#), CLAUDE_EVENTS, CMD, false, false).is_err());
    }

    #[test]
    fn codex_notify_is_set_kept_and_refused() {
        let cmd = "/opt/helios/bin/helios hook codex";
        let before = "# my codex\nmodel = \"gpt-5\"\n";
        let after = codex_config(Some(before), cmd, false).unwrap().unwrap();
        assert!(
            after.starts_with("# my codex\nmodel = \"gpt-5\"\n"),
            "{after}"
        );
        assert!(
            after.contains(r#"notify = ["/opt/helios/bin/helios", "hook", "codex"]"#),
            "{after}"
        );
        assert_eq!(
            codex_config(Some(&after), cmd, false).unwrap().unwrap(),
            after
        );
        assert_eq!(
            codex_config(Some(&after), cmd, true).unwrap().unwrap(),
            before
        );
        let theirs = "notify = [\"notify-send\", \"codex\"]\n";
        let err = codex_config(Some(theirs), cmd, false).unwrap_err();
        assert!(err.to_string().contains("will not replace"), "{err}");
        // Codex appends the JSON to the program's own arguments: `$1` would be "codex" here.
        assert!(err.to_string().contains("last argument"), "{err}");
        assert!(!err.to_string().contains("\"$1\""), "{err}");
        // A broken file is said in one line, with where.
        let err = codex_config(Some("model = \"o3\"\nnotify = [\n"), cmd, false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("not valid TOML (line 2"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
