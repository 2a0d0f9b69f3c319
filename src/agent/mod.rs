//! What the agent in a lane is doing, from its own hooks, its MCP calls and, as a fallback, its
//! terminal. Pure: payloads and observations in, states and explanations out; the IO lives in
//! `store` (the state table), `runtime` (the console's observations) and `commands` (`helios
//! hook`, `helios agent`, `helios mcp`).

pub mod decide;
pub mod hook;
pub mod screen;
pub mod state;

pub use decide::{Decision, Evidence, Inputs, Process, Timing, decide};
pub use state::{
    Agent, ErrorKind, LaneKey, LaneState, Signal, Source, StateRecord, Status, WaitKind,
};
