//! helios: one keyboard-driven console over a swarm of coding-agent lanes, the event bus and workflows.

use std::process::ExitCode;

use clap::Parser;
use helios::telemetry::logs;

fn main() -> ExitCode {
    let cli = helios::cli::Cli::parse();
    // The log file first, so everything after it can log; it never writes to the terminal.
    let target = logs::LogTarget::new(
        cli.global.log_file.clone(),
        &helios::config::paths::state_dir(),
    );
    let writer = match cli.command {
        Some(helios::cli::CommandArgs::Hook { .. }) => logs::Writer::Direct,
        _ => logs::Writer::Background,
    };
    let (_logs, log_notice) = logs::init(&target, writer);
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed when the guard drops at exit.
    let _telemetry = match helios::telemetry::init() {
        Ok(g) => g,
        Err(e) => {
            helios::commands::warn(format_args!("helios: {e}"));
            None
        }
    };
    helios::commands::run_with_notice(cli, log_notice)
}
