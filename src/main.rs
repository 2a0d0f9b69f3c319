//! helios: one keyboard-driven console over a swarm of coding-agent lanes, the event bus and workflows.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = helios::cli::Cli::parse();
    helios::commands::run(cli)
}
