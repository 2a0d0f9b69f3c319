//! The clap definitions: every subcommand and flag. Handlers live in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// helios: a keyboard-driven console for a swarm of coding agents (par lanes), NATS JetStream and Temporal.
#[derive(Debug, Parser)]
#[command(name = "helios", version, about, propagate_version = true)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; without one, open the console.
    #[command(subcommand)]
    pub command: Option<CommandArgs>,
}

pub use crate::config::flags::GlobalArgs;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Open the console (the default).
    Console,
    /// Create, list, remove, send to and attach to lanes.
    #[command(subcommand)]
    Lane(LaneArgs),
    /// Read the audit events of this repo (--repo, else the current directory's).
    ///
    /// With --all, or outside any git repository, every repo's events, with a REPO column.
    Events(EventsArgs),
    /// Check or show the merged configuration.
    #[command(subcommand)]
    Config(ConfigArgs),
    /// One-shot health of lanes, NATS, PostgreSQL and Temporal.
    ///
    /// Outside a git repository (without --repo) it reports everything but lanes; a --repo
    /// that is not a git repository is an error.
    Status(StatusArgs),
    /// Temporal workflows: list, show and triage.
    #[command(subcommand)]
    Wf(WfArgs),
    /// Write zellij layouts for the repo's lanes.
    #[command(subcommand)]
    Layout(LayoutArgs),
    /// Attach to (or create) the repo's zellij session.
    Zellij(ZellijArgs),
    /// Share a lane over tmate or upterm.
    #[command(subcommand)]
    Share(ShareArgs),
    /// Trust the repo's .helios.toml (helios ignores a repo's config until you do).
    Trust(TrustArgs),
    /// Set up agents' hooks so helios knows exactly what each agent does.
    #[command(subcommand)]
    Agent(AgentArgs),
    /// An MCP server on stdio for agents in lanes: report_status, ask_human, list_lanes,
    /// lane_events.
    Mcp,
    /// Record what an agent's hook reports (run by the agent, not by hand): reads the hook's
    /// JSON on stdin, or Codex `notify`'s last argument. Prints nothing; always exits 0.
    Hook {
        /// claude, codex or gemini.
        agent: String,
        /// Codex `notify` passes its JSON here.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        payload: Vec<String>,
    },
    /// Read a par lane's output for OSC 9/777 notifications, and serve it to consoles (run by
    /// tmux `pipe-pane`, not by hand). Prints nothing; always exits 0.
    #[command(hide = true)]
    OscTap {
        /// Serve the pane's output on this Unix socket (`[lanes] tmux_client = "pipe"`).
        #[arg(long)]
        feed: Option<std::path::PathBuf>,
        /// A directory inside the lane's worktree.
        dir: std::path::PathBuf,
    },
    /// Publish this host's lanes to NATS JetStream (bucket HELIOS_LANES, heartbeats in
    /// HELIOS_HOSTS) and act on them for other machines' consoles: one per machine.
    Serve(ServeArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `helios serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// This host's name in the buckets (default: HELIOS_HOST, else the OS host name; a
    /// console leaves out the rows of its own HELIOS_HOST or host name).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// How other machines reach this one with ssh (default: the host name).
    #[arg(long, value_name = "DEST")]
    pub ssh: Option<String>,
    /// Seconds between heartbeats; a host is shown stale after one and a half.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub heartbeat: u64,
    /// Seconds between looks at par's lanes (hook states arrive at once).
    #[arg(long, value_name = "SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub scan: u64,
    /// Copies of the buckets when helios creates them (3 on a 3-node cluster).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=5))]
    pub replicas: u64,
}

/// `helios trust`
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The repo config file (default: the repo's .helios.toml).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Stop trusting the file.
    #[arg(long, conflicts_with = "list")]
    pub revoke: bool,
    /// List the trusted files and whether each still matches what was trusted.
    #[arg(long)]
    pub list: bool,
}

/// `helios lane ...`
#[derive(Debug, Subcommand)]
pub enum LaneArgs {
    /// Create a lane (par start).
    New {
        /// The lane's label (a label that starts with `-` goes after `--`).
        name: Option<String>,
        /// Branch or commit to start from.
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        /// A command to send into the new lane.
        #[arg(long, value_name = "CMD")]
        cmd: Option<String>,
        /// Start a Temporal workflow of this type tied to the lane.
        #[arg(long, value_name = "TYPE", requires = "task_queue")]
        workflow: Option<String>,
        /// The workflow's task queue.
        #[arg(long, value_name = "QUEUE")]
        task_queue: Option<String>,
        /// Start this agent in the lane, with helios's hooks set up and HELIOS_LANE set.
        #[arg(long, value_enum, conflicts_with = "cmd")]
        agent: Option<AgentName>,
        /// Arguments for the agent (after `--`); without --agent, the lane's label.
        #[arg(last = true)]
        agent_args: Vec<String>,
        /// Create it on this host, through its `helios serve` (repo: --remote-repo).
        #[arg(long, value_name = "HOST", conflicts_with_all = ["workflow", "agent"])]
        host: Option<String>,
        /// The repo's name on that host (default: this repo's name).
        #[arg(long, value_name = "NAME", requires = "host")]
        remote_repo: Option<String>,
    },
    /// List lanes.
    #[command(visible_alias = "list")]
    Ls {
        /// One JSON array.
        #[arg(long)]
        json: bool,
        /// Every host's lanes, as the hosts' `helios serve` publish them on NATS.
        #[arg(long)]
        all_hosts: bool,
    },
    /// Remove a lane (worktree, branch and tmux session). Refused while the lane has commits
    /// not in its base or uncommitted or untracked files, unless --force.
    Rm {
        /// The lane's label.
        name: String,
        /// Remove it even if that loses commits or files (they are listed).
        #[arg(long)]
        force: bool,
        /// The lane is on this host: ask its `helios serve`.
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        /// The repo's name on that host (default: this repo's name).
        #[arg(long, value_name = "NAME", requires = "host")]
        remote_repo: Option<String>,
    },
    /// Send a line of text (and Enter) to a lane, or to all lanes.
    Send {
        /// A label, or `all`.
        target: String,
        /// The text.
        #[arg(last = true, required = true)]
        text: Vec<String>,
        /// The lane is on this host: ask its `helios serve`.
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        /// The repo's name on that host (default: this repo's name).
        #[arg(long, value_name = "NAME", requires = "host")]
        remote_repo: Option<String>,
    },
    /// Attach to a lane's tmux session (switches client inside tmux).
    Attach {
        /// The lane's label.
        name: String,
    },
    /// Why helios thinks a lane is working, waiting, done…: the state, since when, the signal
    /// that decided it and the recent signals.
    Explain {
        /// The lane's label.
        name: String,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// The agents helios knows the hooks of.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AgentName {
    /// Claude Code.
    Claude,
    /// OpenAI Codex CLI.
    Codex,
    /// Gemini CLI.
    Gemini,
}

impl AgentName {
    /// The agent model's value.
    pub fn agent(self) -> crate::agent::Agent {
        match self {
            Self::Claude => crate::agent::Agent::Claude,
            Self::Codex => crate::agent::Agent::Codex,
            Self::Gemini => crate::agent::Agent::Gemini,
        }
    }
}

/// `helios agent ...`
#[derive(Debug, Subcommand)]
pub enum AgentArgs {
    /// Install helios's hooks where the agent reads them (merged with your settings, shown,
    /// idempotent; --remove takes them out again).
    Setup {
        /// claude, codex or gemini.
        #[arg(value_enum)]
        agent: AgentName,
        /// This lane's worktree (default: the worktree of the current directory).
        #[arg(long, conflicts_with_all = ["all", "user"])]
        lane: Option<String>,
        /// Every lane of the repo.
        #[arg(long, conflicts_with = "user")]
        all: bool,
        /// The agent's user settings instead (every project).
        #[arg(long)]
        user: bool,
        /// Show the change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Take helios's hooks out.
        #[arg(long)]
        remove: bool,
    },
}

/// Where `helios events` reads from.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum EventSource {
    /// The local SQLite journal.
    #[default]
    Local,
    /// The HELIOS_EVENTS JetStream stream.
    Nats,
    /// The PostgreSQL table helios.events.
    Postgres,
}

/// `helios events`
// Each bool is a flag of its own on the command line, as clap's derive wants them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Every repo's events, with a REPO column (the default outside a git repository).
    #[arg(long)]
    pub all: bool,
    /// Only this lane's events.
    #[arg(long)]
    pub lane: Option<String>,
    /// Only events newer than this, like 10m or 2h.
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Keep printing new events.
    #[arg(long)]
    pub follow: bool,
    /// Where to read.
    #[arg(long, value_enum, default_value_t = EventSource::Local)]
    pub source: EventSource,
    /// Instead of printing, deliver the journal's backlog to the configured sinks (JetStream,
    /// PostgreSQL) and exit; with --follow keep delivering (a headless forwarder).
    #[arg(long, conflicts_with_all = ["json", "lane", "since", "all"])]
    pub deliver: bool,
}

/// `helios config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigArgs {
    /// Validate every config, keymap and theme file without opening the console.
    Check,
    /// Print the merged configuration.
    Show,
}

/// `helios status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `helios wf ...`
#[derive(Debug, Subcommand)]
pub enum WfArgs {
    /// List workflows.
    #[command(visible_alias = "list")]
    Ls {
        /// A Temporal list filter.
        #[arg(long, value_name = "QUERY")]
        query: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one workflow.
    Show {
        /// Workflow id.
        id: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Signal a workflow.
    Signal {
        /// Workflow id.
        id: String,
        /// Signal name.
        name: String,
        /// JSON payload.
        #[arg(long, value_name = "JSON")]
        input: Option<String>,
    },
    /// Request cancellation.
    Cancel {
        /// Workflow id.
        id: String,
    },
    /// Terminate a workflow.
    Terminate {
        /// Workflow id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Reset a workflow to its last workflow task.
    Reset {
        /// Workflow id.
        id: String,
        /// Why.
        #[arg(long, default_value = "reset from helios")]
        reason: String,
    },
}

/// `helios layout ...`
#[derive(Debug, Subcommand)]
pub enum LayoutArgs {
    /// Write a zellij KDL layout for the repo's lanes.
    Write {
        /// grid, triage or focus (or a user template name).
        #[arg(long, default_value = "grid")]
        template: String,
        /// Output file, or - for stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The lane the focus template gives most of the screen (default: the first lane).
        #[arg(long, value_name = "LABEL")]
        lane: Option<String>,
    },
}

/// `helios zellij`
#[derive(Debug, Args)]
pub struct ZellijArgs {
    /// Layout template.
    #[arg(long, default_value = "grid")]
    pub template: String,
    /// The lane the focus template gives most of the screen (default: the first lane).
    #[arg(long, value_name = "LABEL")]
    pub lane: Option<String>,
    /// Add lanes that are new since the session was made without asking.
    #[arg(long)]
    pub yes: bool,
    /// When the session exists but is dead, delete it and create it afresh instead of
    /// resurrecting it (the default without a terminal to ask on).
    #[arg(long)]
    pub recreate: bool,
}

/// The sharing tools.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShareVia {
    /// tmate.
    Tmate,
    /// upterm.
    Upterm,
}

/// `helios share ...`
#[derive(Debug, Subcommand)]
pub enum ShareArgs {
    /// Start sharing a lane.
    Start {
        /// The lane's label.
        lane: String,
        /// Which tool.
        #[arg(long, value_enum, default_value_t = ShareVia::Tmate)]
        via: ShareVia,
        /// Read-write (default read-only).
        #[arg(long)]
        rw: bool,
        /// How long the share lives, like 30m.
        #[arg(long, default_value = "30m")]
        ttl: String,
    },
    /// List active shares.
    #[command(visible_alias = "list")]
    Ls {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Stop sharing a lane.
    Stop {
        /// The lane's label.
        lane: String,
    },
}
