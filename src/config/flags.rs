//! The flags every subcommand takes: the last config layer, over every file.

use std::path::PathBuf;

use clap::Args;

/// Options shared by every subcommand; each overrides the config files.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// The git repository to work in (default: the one containing the current directory);
    /// `helios serve` takes it more than once.
    #[arg(long = "repo", global = true, value_name = "PATH", action = clap::ArgAction::Append)]
    pub repos: Vec<PathBuf>,
    /// An extra config file, layered over the user and repo files.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Theme name (from themes/) or path to a theme file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Keymap name (from keymaps/) or path to a keymap file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    /// NATS server URL.
    #[arg(long, global = true, env = "NATS_URL", value_name = "URL")]
    pub nats: Option<String>,
    /// NATS credentials file.
    #[arg(long, global = true, value_name = "FILE")]
    pub nats_creds: Option<PathBuf>,
    /// NATS monitoring endpoint, like http://127.0.0.1:8222.
    #[arg(long, global = true, value_name = "URL")]
    pub nats_monitor: Option<String>,
    /// PostgreSQL URL for the system of record (used only when given).
    #[arg(long, global = true, env = "HELIOS_POSTGRES_URL", value_name = "URL")]
    pub postgres: Option<String>,
    /// Temporal frontend address.
    #[arg(
        long,
        global = true,
        env = "TEMPORAL_ADDRESS",
        value_name = "HOST:PORT"
    )]
    pub temporal: Option<String>,
    /// Temporal namespace.
    #[arg(long, global = true, env = "TEMPORAL_NAMESPACE", value_name = "NS")]
    pub namespace: Option<String>,
    /// Write the log here instead of the daily files in $XDG_STATE_HOME/helios (level: HELIOS_LOG).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// A narrow view for a side pane (30 columns and up).
    #[arg(long, global = true)]
    pub compact: bool,
}

impl GlobalArgs {
    /// The repo given with `--repo` (the last one, when given more than once).
    pub fn repo(&self) -> Option<&PathBuf> {
        self.repos.last()
    }
}
