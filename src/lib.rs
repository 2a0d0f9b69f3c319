//! The helios library: the binary in `main.rs` is a thin clap entry over these modules.

pub mod agent;
pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod integrations;
pub mod lanes;
pub mod model;
pub mod pty;
pub mod runtime;
pub mod spine;
pub mod store;
pub mod telemetry;
pub mod terminal;
pub mod text;
pub mod ui;
