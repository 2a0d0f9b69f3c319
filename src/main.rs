//! helios: one keyboard-driven console over a swarm of coding-agent lanes, the event bus and workflows.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = helios::cli::Cli::parse();
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed when the guard drops at exit.
    let _telemetry = match helios::telemetry::init() {
        Ok(g) => g,
        Err(e) => {
            helios::commands::warn(format_args!("helios: {e}"));
            None
        }
    };
    helios::commands::run(cli)
}
