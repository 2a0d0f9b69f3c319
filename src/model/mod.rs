//! Value types that more than one layer needs: the lowest layer, importing nothing else from
//! helios (see ARCHITECTURE.md). Plain data and pure functions only.

pub mod audit;
pub mod fleet;
pub mod label;
pub mod lane;
pub mod retry;
pub mod share;
pub mod work;

pub use audit::{AuditAction, AuditEvent, EventQuery, EventResult};
pub use lane::{GitCounts, LaneId, LaneInfo, LaneSource, RepoInfo};
pub use share::{Share, ShareLink, Tool};
