//! `helios lane new|ls|rm|send|attach`: the lane lifecycle from the shell, through the real par CLI.
//! Every command records an audit event (ok or error) in the journal.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::cli::LaneArgs;
use crate::commands::{Context, say, warn};
use crate::lanes::ops::LaneOps as _;
use crate::lanes::work::{self, Unsaved};
use crate::lanes::{LaneError, LaneInfo, LaneSource, discover, par};
use crate::model::AuditAction;
use crate::model::AuditEvent;
use crate::store::sqlite::SqliteStore;
use crate::store::{EventStore, journal};

mod rows;

pub use rows::{lane_json, write_lanes, write_rows};

/// Run one `helios lane` subcommand.
pub fn run(ctx: &Context, args: LaneArgs) -> anyhow::Result<ExitCode> {
    // Refused before anything is asked, tried or journalled, here or on another host, as the
    // palette refuses it: a request that cannot be, not a failure (exit 2, logged as the
    // user's mistake rather than an error).
    if let LaneArgs::Send { target, text, .. } = &args
        && target == "all"
        && let Some(why) = crate::model::lane::send_all_refusal(&text.join(" "))
    {
        return Err(super::Usage(format!("lane send all refused: {why}")).into());
    }
    if let LaneArgs::Ls {
        json,
        all_hosts: true,
    } = args
    {
        return crate::commands::fleet::ls_all_hosts(ctx, json);
    }
    if let Some((host, repo, label, op)) = remote(ctx, &args)? {
        return crate::commands::fleet::ask(ctx, &host, &repo, &label, op);
    }
    // Open the journal first: an action that cannot be recorded is not taken.
    let mut store = SqliteStore::open(&SqliteStore::default_path())?;
    let (action, lane) = action_of(&args);
    let repo = match ctx.repo() {
        Ok(r) => r.clone(),
        Err(e) => {
            refused_outside_a_repo(ctx, &mut store, action, lane, &e)?;
            return Err(e);
        }
    };
    let _span = crate::telemetry::span(action.span_name(), lane.unwrap_or(""));
    let mut rec = Recorder {
        store,
        actor: crate::config::actor::actor(),
        repo: repo.name.clone(),
    };
    if !matches!(args, LaneArgs::Ls { .. } | LaneArgs::Explain { .. }) {
        // A send's request names its text, as the console's does.
        let asked = match &args {
            LaneArgs::Send { text, .. } => json!({ "text": text.join(" ") }),
            _ => json!({}),
        };
        rec.request(action, lane, &asked)?;
    }
    let path = repo.path.as_path();
    match args {
        LaneArgs::Ls { json, .. } => {
            let lanes = discover(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            let states = crate::commands::serve::look::states_shown(&repo.name, &lanes, &rec.store);
            write_rows(&mut std::io::stdout().lock(), &lanes, &states, json)?;
            Ok(ExitCode::SUCCESS)
        }
        LaneArgs::New {
            name,
            base,
            cmd,
            workflow,
            task_queue,
            agent,
            agent_args,
            ..
        } => {
            // `lane new -- LABEL`: a label that starts with `-` comes after `--`.
            let (name, agent_args) = match (name, &agent) {
                (Some(n), _) => (n, agent_args),
                (None, None) if agent_args.len() == 1 => (agent_args[0].clone(), Vec::new()),
                _ => anyhow::bail!(
                    "lane new needs the lane's NAME: helios lane new NAME [--agent AGENT] [-- ARGS]"
                ),
            };
            let code = new(
                ctx,
                &mut rec,
                path,
                &name,
                base.as_deref(),
                cmd.as_deref(),
                workflow.zip(task_queue),
            )?;
            match agent {
                Some(a) => start_agent(&mut rec, path, &name, a.agent(), &agent_args),
                None => Ok(code),
            }
        }
        LaneArgs::Explain { name, json } => crate::commands::agent::explain(ctx, &name, json),
        LaneArgs::Rm { name, force, .. } => rm(&mut rec, path, &name, force),
        LaneArgs::Send { target, text, .. } => send(&mut rec, path, &target, &text),
        LaneArgs::Attach { name } => attach(rec, path, &name),
    }
}

/// A lane command aimed at another host (`--host`): the host, the repo there (`--remote-repo`,
/// else this repo's name), the label and the operation.
fn remote(
    ctx: &Context,
    args: &LaneArgs,
) -> anyhow::Result<Option<(String, String, String, crate::model::fleet::LaneOp)>> {
    use crate::model::fleet::LaneOp;
    let (host, remote_repo, label, op) = match args {
        LaneArgs::New {
            host: Some(h),
            remote_repo,
            name,
            agent_args,
            base,
            cmd,
            ..
        } => {
            let label = name
                .clone()
                .or_else(|| agent_args.first().cloned())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "lane new needs the lane's NAME: helios lane new NAME --host HOST"
                    )
                })?;
            let op = LaneOp::New {
                base: base.clone(),
                cmd: cmd.clone(),
            };
            (h, remote_repo, label, op)
        }
        LaneArgs::Rm {
            host: Some(h),
            remote_repo,
            name,
            force,
        } => (h, remote_repo, name.clone(), LaneOp::Rm { force: *force }),
        LaneArgs::Send {
            host: Some(h),
            remote_repo,
            target,
            text,
        } => {
            let op = LaneOp::Send {
                text: text.join(" "),
            };
            (h, remote_repo, target.clone(), op)
        }
        _ => return Ok(None),
    };
    // `send all` is every lane of the repo there; any other `all` is refused here.
    if !(label == "all" && matches!(op, LaneOp::Send { .. })) {
        crate::model::label::validate(&label)?;
    }
    let repo = match remote_repo {
        Some(r) => r.clone(),
        None => ctx
            .repo()
            .map_err(|e| {
                anyhow::anyhow!("{e}; or name the repo on {host} with --remote-repo NAME")
            })?
            .name
            .clone(),
    };
    Ok(Some((host.clone(), repo, label, op)))
}

/// Without a repo nothing is done; the refusal is recorded under the directory helios was in.
fn refused_outside_a_repo(
    ctx: &Context,
    store: &mut SqliteStore,
    action: AuditAction,
    lane: Option<&str>,
    e: &anyhow::Error,
) -> anyhow::Result<()> {
    let dir = asked_dir(ctx);
    // Named as a repo is (its directory's name), the whole path in the detail: the events
    // table's REPO column is a name.
    let name = dir_name(&dir);
    let ev = AuditEvent::new(
        &crate::config::actor::actor(),
        &name,
        action.as_str(),
        lane,
        false,
        json!({"error": e.to_string(), "dir": dir.display().to_string()}),
    );
    store.append(&ev)?;
    Ok(())
}

/// The directory a command was asked about when it is no repo: `--repo`, else the working
/// directory (one that is gone, say deleted under the shell, is logged and named empty).
fn asked_dir(ctx: &Context) -> std::path::PathBuf {
    if let Some(dir) = ctx.global.repo() {
        return dir.clone();
    }
    std::env::current_dir().unwrap_or_else(|e| {
        tracing::warn!("the working directory cannot be read ({e}): the event names no repo");
        std::path::PathBuf::new()
    })
}

/// The name a directory is journalled under when it is no repo: its last part.
fn dir_name(dir: &std::path::Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Writes a command's request and results to the journal, as its actor, in its repo: the lane
/// commands' and `agent setup`'s one path to the journal.
pub(super) struct Recorder {
    store: SqliteStore,
    /// Who acts (`user@host`, or a remote requester's).
    pub(super) actor: String,
    /// The repo's name, as events carry it.
    pub(super) repo: String,
}

impl Recorder {
    /// The journal, opened before anything is done (an action that cannot be recorded is not
    /// taken), for the repo helios works in or, outside one, the directory it was started in.
    pub(super) fn open(ctx: &Context) -> anyhow::Result<Self> {
        let store = SqliteStore::open(&SqliteStore::default_path())?;
        let repo = match ctx.repo() {
            Ok(r) => r.name.clone(),
            Err(_) => dir_name(&asked_dir(ctx)),
        };
        Ok(Self {
            store,
            actor: crate::config::actor::actor(),
            repo,
        })
    }

    /// Journal the request first: it is durable before anything runs, or nothing runs.
    pub(super) fn request(
        &mut self,
        action: AuditAction,
        lane: Option<&str>,
        asked: &Value,
    ) -> anyhow::Result<()> {
        let req = journal::request_event(&self.actor, &self.repo, action.as_str(), lane, asked);
        if let Err(e) = self.store.append(&req) {
            anyhow::bail!(
                "{action} {} not done: the audit journal cannot record it ({e}); nothing was changed",
                lane.unwrap_or("")
            );
        }
        Ok(())
    }

    pub(super) fn event(
        &self,
        action: AuditAction,
        lane: Option<&str>,
        ok: bool,
        detail: Value,
    ) -> AuditEvent {
        AuditEvent::new(&self.actor, &self.repo, action.as_str(), lane, ok, detail)
    }

    /// Record a result: its detail when it worked, its error when not.
    fn record(
        &mut self,
        action: AuditAction,
        lane: Option<&str>,
        result: &Result<Value, String>,
    ) -> anyhow::Result<()> {
        let (ok, detail) = match result {
            Ok(d) => (true, d.clone()),
            Err(e) => (false, json!({ "error": e })),
        };
        let ev = self.event(action, lane, ok, detail);
        self.keep(&ev)
    }

    pub(super) fn keep(&mut self, ev: &AuditEvent) -> anyhow::Result<()> {
        keep_result(&mut self.store, ev)
    }
}

/// `lane new`: par start (and the command), then the lane's workflow when one is asked for.
fn new(
    ctx: &Context,
    rec: &mut Recorder,
    repo: &std::path::Path,
    name: &str,
    base: Option<&str>,
    cmd: Option<&str>,
    workflow: Option<(String, String)>,
) -> anyhow::Result<ExitCode> {
    let result = new_lane(repo, name, base, cmd);
    rec.record(AuditAction::LaneCreated, Some(name), &result)?;
    let detail = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    say(format_args!(
        "lane {name} created: branch {name}, tmux session {}",
        detail["session"].as_str().unwrap_or("?")
    ));
    if let Some((wf, q)) = workflow {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let started = rt.block_on(crate::integrations::temporal::start_lane_workflow(
            ctx, name, &wf, &q,
        ));
        let r = started
            .as_ref()
            .map(|id| json!({"workflow_id": id, "type": wf, "task_queue": q}))
            .map_err(|e| format!("{e:#}"));
        rec.record(AuditAction::LaneWorkflowStarted, Some(name), &r)?;
        match started {
            Ok(id) => say(format_args!("workflow {id} started for lane {name}")),
            Err(e) => {
                anyhow::bail!("lane {name} was created, but starting its workflow failed: {e:#}")
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `lane new --agent`: the agent started in the new lane, with its hooks.
fn start_agent(
    rec: &mut Recorder,
    repo: &std::path::Path,
    name: &str,
    agent: crate::agent::Agent,
    args: &[String],
) -> anyhow::Result<ExitCode> {
    let started = crate::commands::agent::start_in_lane(repo, name, agent, args);
    rec.record(AuditAction::LaneAgentStarted, Some(name), &started)?;
    let started = started.map_err(|e| anyhow::anyhow!("{e}"))?;
    say(format_args!(
        "{} started in lane {name}: {}",
        agent.name(),
        started["command"].as_str().unwrap_or("")
    ));
    Ok(ExitCode::SUCCESS)
}

/// `lane rm`: refused (and what would be lost listed) when the lane holds unsaved work.
fn rm(
    rec: &mut Recorder,
    repo: &std::path::Path,
    name: &str,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let result = remove_lane(repo, name, force);
    // What was discarded, or what refused the removal, is part of the record.
    let (ok, detail) = match &result {
        Ok(lost) if lost.is_empty() => (true, json!({ "force": force })),
        Ok(lost) => (true, json!({ "force": force, "discarded": lost })),
        Err(e @ LaneError::Unsaved { work, .. }) => {
            (false, json!({ "error": e.to_string(), "unsaved": work }))
        }
        Err(e) => (false, json!({ "error": said(e, repo) })),
    };
    let ev = rec.event(AuditAction::LaneRemoved, Some(name), ok, detail);
    rec.keep(&ev)?;
    match result {
        Ok(lost) if lost.is_empty() => say(format_args!(
            "lane {name} removed (worktree, branch and tmux session)"
        )),
        Ok(lost) => {
            say(format_args!(
                "lane {name} removed (worktree, branch and tmux session); discarded {}:",
                lost.summary()
            ));
            for l in lost.lines(LIST_LIMIT) {
                say(format_args!("  {l}"));
            }
        }
        Err(LaneError::Unsaved { label, work }) => {
            warn(format_args!(
                "helios: lane {label} has work that removing it would delete; nothing was removed:"
            ));
            for l in work.lines(LIST_LIMIT) {
                warn(format_args!("  {l}"));
            }
            warn(format_args!(
                "helios: save it (merge or push the commits, commit or move the files), or remove the lane anyway with `helios lane rm {label} --force`"
            ));
            return Ok(ExitCode::FAILURE);
        }
        Err(e @ LaneError::Unchecked { .. }) => {
            anyhow::bail!(
                "{e}: look at the lane, or remove it anyway with `helios lane rm {name} --force`"
            )
        }
        Err(e) => anyhow::bail!("{}", said(&e, repo)),
    }
    Ok(ExitCode::SUCCESS)
}

/// `lane send`: one lane, or `all` of this repo's.
fn send(
    rec: &mut Recorder,
    repo: &std::path::Path,
    target: &str,
    text: &[String],
) -> anyhow::Result<ExitCode> {
    let text = text.join(" ");
    let detail = json!({ "text": text, "via": "tmux" });
    if target == "all" {
        let line = send_all(rec, repo, &text, &detail)?.map_err(|e| anyhow::anyhow!("{e}"))?;
        say(line);
        return Ok(ExitCode::SUCCESS);
    }
    // par::send checks the lane's session and its pane, then types the text through tmux.
    let result = par_lane(repo, target, "send")
        .and_then(|_| par::send(repo, target, &text))
        .map(|()| detail)
        .map_err(|e| said(&e, repo));
    rec.record(AuditAction::LaneTextSent, Some(target), &result)?;
    result.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// `send all` ([`crate::lanes::ops::SentAll`], as the console does it): an event per lane with
/// its own result (`detail` plus its error), and the one line that says it. The outer error: a
/// result that could not be journalled (the others still are).
fn send_all(
    rec: &mut Recorder,
    repo: &std::path::Path,
    text: &str,
    detail: &Value,
) -> anyhow::Result<Result<String, String>> {
    let sent = match crate::lanes::ops::ParLanes.send_each(repo, text) {
        Ok(s) => s,
        Err(e) => {
            // No lane was tried: the one result is the request's, under `all`.
            let e = said(&e, repo);
            rec.record(AuditAction::LaneTextSent, Some("all"), &Err(e.clone()))?;
            return Ok(Err(e));
        }
    };
    let action = AuditAction::LaneTextSent.as_str();
    let mut unkept = Ok(());
    for ev in sent.events(&rec.actor, &rec.repo, action, detail) {
        let kept = rec.keep(&ev);
        if unkept.is_ok() {
            unkept = kept;
        }
    }
    unkept.map(|()| sent.summary())
}

/// `lane attach` ([`crate::integrations::attach`]): inside the lanes' tmux the client switches, inside
/// zellij a pane opens, else helios is replaced by `tmux attach`. An exec is recorded before it
/// (nothing runs after it); the others after, with what really happened.
fn attach(mut rec: Recorder, repo: &std::path::Path, name: &str) -> anyhow::Result<ExitCode> {
    use crate::integrations::attach::{Via, attach};
    let via = Via::from_env();
    let lane = par_lane(repo, name, "attach")
        .and_then(|(session, lane)| {
            // tmux would only say it cannot find the session, after the attach was recorded.
            if lane.session_alive {
                Ok((session, lane.worktree))
            } else {
                Err(crate::integrations::attach::gone(name, &session))
            }
        })
        .map_err(|e| said(&e, repo));
    let detail = lane
        .as_ref()
        .map(|(session, _)| json!({"session": session, "via": via.as_str()}))
        .map_err(Clone::clone);
    if via == Via::Exec || detail.is_err() {
        rec.record(AuditAction::LaneAttached, Some(name), &detail)?;
    }
    let (session, worktree) = lane.map_err(|e| anyhow::anyhow!("{e}"))?;
    if via == Via::Exec {
        // Recorded above, delivered now: nothing of helios runs after the exec.
        drop(rec);
        attach(via, name, &worktree, &session)?;
        return Ok(ExitCode::SUCCESS);
    }
    let result = attach(via, name, &worktree, &session)
        .map(|done| {
            say(format_args!("{done}"));
            detail.clone().unwrap_or_default()
        })
        .map_err(|e| e.to_string());
    rec.record(AuditAction::LaneAttached, Some(name), &result)?;
    result.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// A lane error as the CLI says it. "No lane X" names the repo helios looked in: run from
/// another repo (or another repo's worktree) the label is simply not there, and "in this
/// repository" does not say which one that was.
pub fn said(e: &LaneError, repo: &std::path::Path) -> String {
    match e {
        LaneError::NoSuchLane { label } => format!(
            "no lane {label} in {}: `helios lane ls` lists its lanes; for another repo's lane, pass --repo with that repo's path",
            repo.display()
        ),
        e => e.to_string(),
    }
}

/// Append an action's result; when the journal will not take it, keep it in the fallback file
/// the next journal writer imports, and say exactly what happened (the action already did).
fn keep_result(store: &mut SqliteStore, ev: &AuditEvent) -> anyhow::Result<()> {
    let Err(e) = store.append(ev) else {
        return Ok(());
    };
    let how = if ev.result == crate::model::EventResult::Ok {
        "was done"
    } else {
        "failed"
    };
    let kept = journal::keep_unwritten(store.path(), std::slice::from_ref(ev));
    let lane = ev.lane.as_deref().unwrap_or("");
    match kept {
        Ok(()) => anyhow::bail!(
            "{} {lane} {how}, but its audit event could not be written ({e}); it was kept in {} for the next journal write",
            ev.action,
            journal::fallback_path(store.path()).display()
        ),
        Err(k) => anyhow::bail!(
            "{} {lane} {how}, but its audit event could not be written ({e}) nor kept ({k})",
            ev.action
        ),
    }
}

/// The audit action and lane a subcommand records.
fn action_of(args: &LaneArgs) -> (AuditAction, Option<&str>) {
    match args {
        LaneArgs::New {
            name, agent_args, ..
        } => (
            AuditAction::LaneCreated,
            name.as_deref().or(agent_args.first().map(String::as_str)),
        ),
        LaneArgs::Ls { .. } => (AuditAction::LaneListed, None),
        LaneArgs::Rm { name, .. } => (AuditAction::LaneRemoved, Some(name)),
        LaneArgs::Send { target, .. } => (AuditAction::LaneTextSent, Some(target)),
        LaneArgs::Attach { name } => (AuditAction::LaneAttached, Some(name)),
        LaneArgs::Explain { name, .. } => (AuditAction::LaneListed, Some(name)),
    }
}

/// `par start`, then `par send` of `cmd` ([`crate::lanes::ops::create`]), as the event detail.
fn new_lane(
    repo: &std::path::Path,
    name: &str,
    base: Option<&str>,
    cmd: Option<&str>,
) -> Result<Value, String> {
    let session = crate::lanes::ops::create(&crate::lanes::ops::ParLanes, repo, name, base, cmd)
        .map_err(|e| e.to_string())?;
    Ok(json!({ "session": session, "base": base, "cmd": cmd }))
}

/// How many commits and files `lane rm` lists before "… and N more".
const LIST_LIMIT: usize = 20;

/// Remove par lane `name` unless it holds unsaved work (`force`: anyway); what it discarded.
fn remove_lane(repo: &std::path::Path, name: &str, force: bool) -> Result<Unsaved, LaneError> {
    if !par::installed() {
        return Err(LaneError::ParMissing);
    }
    let lane = crate::lanes::discover::find(repo, name)?;
    if !lane.is_durable() {
        return Err(LaneError::NotPar {
            label: name.to_string(),
            what: "remove (use `git worktree remove`)".to_string(),
        });
    }
    work::remove(repo, &lane, force)
}

/// The par session of lane `name` and the lane, or the error saying why `what` cannot reach it.
fn par_lane(
    repo: &std::path::Path,
    name: &str,
    what: &str,
) -> Result<(String, LaneInfo), LaneError> {
    if !par::installed() {
        return Err(LaneError::ParMissing);
    }
    let lane = crate::lanes::discover::find(repo, name)?;
    match &lane.source {
        LaneSource::Par { session } => Ok((session.clone(), lane)),
        LaneSource::Worktree | LaneSource::Remote { .. } => Err(LaneError::NotPar {
            label: name.to_string(),
            what: what.to_string(),
        }),
    }
}

/// [`said`] for a request from another machine: the repo is named as that machine knows it,
/// and `--repo` (a path here) is no help there.
fn remote_said(e: &LaneError, repo: &crate::model::RepoInfo) -> String {
    match e {
        LaneError::NoSuchLane { label } => format!(
            "no lane {label} in repo {} ({}): `helios lane ls --all-hosts` lists every host's lanes",
            repo.name,
            repo.path.display()
        ),
        e => e.to_string(),
    }
}

/// A request from another machine's console or CLI, carried out here by `helios serve`: the
/// same operations as `helios lane new|rm|send`, journalled with the requester's actor (the
/// request before, the result after), answered in one line.
pub fn act_for(
    store: SqliteStore,
    repo: &crate::model::RepoInfo,
    host: &str,
    req: &crate::model::fleet::LaneRequest,
) -> crate::model::fleet::LaneReply {
    use crate::model::fleet::{LaneOp, LaneReply};
    let reply = |ok: bool, message: String| LaneReply {
        ok,
        message,
        host: host.to_string(),
    };
    let action = match req.op {
        LaneOp::New { .. } => AuditAction::LaneCreated,
        LaneOp::Rm { .. } => AuditAction::LaneRemoved,
        LaneOp::Send { .. } => AuditAction::LaneTextSent,
    };
    let mut rec = Recorder {
        store,
        actor: req.actor.clone(),
        repo: repo.name.clone(),
    };
    let via = json!({ "via": "nats", "host": host });
    let asked = journal::request_event(
        &rec.actor,
        &repo.name,
        action.as_str(),
        Some(&req.label),
        &via,
    );
    if let Err(e) = rec.store.append(&asked) {
        return reply(
            false,
            format!(
                "{action} {} not done on {host}: its audit journal cannot record it ({e}); nothing was changed",
                req.label
            ),
        );
    }
    let path = repo.path.as_path();
    let label = req.label.as_str();
    // The request came over the network: its label is checked here as well as by the asker.
    let every = label == "all" && matches!(req.op, LaneOp::Send { .. });
    let refused = if every {
        None
    } else {
        crate::model::label::validate(label)
            .err()
            .map(|e| format!("on {host}: {e}"))
    };
    let result = match (&req.op, refused) {
        (_, Some(why)) => Err(why),
        (LaneOp::New { base, cmd }, None) => new_lane(path, label, base.as_deref(), cmd.as_deref())
            .map_err(|e| format!("on {host}: {e}"))
            .map(|d| {
                let session = d["session"].as_str().unwrap_or("?").to_string();
                (
                    d,
                    format!("lane {label} created on {host}: tmux session {session}"),
                )
            }),
        (LaneOp::Rm { force }, None) => match remove_lane(path, label, *force) {
            Ok(lost) if lost.is_empty() => Ok((
                json!({ "force": force }),
                format!("lane {label} removed on {host} (worktree, branch and tmux session)"),
            )),
            Ok(lost) => Ok((
                json!({ "force": force, "discarded": lost }),
                format!(
                    "lane {label} removed on {host}; discarded {}",
                    lost.summary()
                ),
            )),
            Err(LaneError::Unsaved { work, .. }) => Err(format!(
                "lane {label} on {host} has work that removing it would delete ({}); nothing was removed: remove it anyway with --force",
                work.summary()
            )),
            Err(e) => Err(format!("on {host}: {}", remote_said(&e, repo))),
        },
        // `all`: every par lane of the repo here (no lane may be named so), journalled a
        // lane at a time as the CLI and the console do.
        (LaneOp::Send { text }, None) if every => {
            let mut detail = json!({ "text": text, "via": "tmux" });
            if let (Some(m), Some(v)) = (detail.as_object_mut(), via.as_object()) {
                m.extend(v.clone());
            }
            return match send_all(&mut rec, path, text, &detail) {
                Ok(Ok(_)) => reply(
                    true,
                    format!("sent to every lane of {} on {host}", repo.name),
                ),
                Ok(Err(e)) => reply(false, format!("on {host}: {e}")),
                Err(e) => reply(false, format!("on {host}: {e:#}")),
            };
        }
        (LaneOp::Send { text }, None) => par_lane(path, label, "send")
            .and_then(|_| par::send(path, label, text))
            .map(|()| {
                (
                    json!({ "text": text, "via": "tmux" }),
                    format!("sent to lane {label} on {host}"),
                )
            })
            .map_err(|e| format!("on {host}: {}", remote_said(&e, repo))),
    };
    let (kept, message) = match result {
        Ok((mut detail, message)) => {
            if let (Some(m), Some(v)) = (detail.as_object_mut(), via.as_object()) {
                m.extend(v.clone());
            }
            (
                rec.record(action, Some(label), &Ok(detail)),
                reply(true, message),
            )
        }
        Err(e) => (
            rec.record(action, Some(label), &Err(e.clone())),
            reply(false, e),
        ),
    };
    match kept {
        Ok(()) => message,
        // The action happened (or failed) as said; the answer says its record did not stick.
        Err(e) => reply(message.ok, format!("{}; {e:#}", message.message)),
    }
}
