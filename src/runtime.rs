//! The one event loop: input, lane notices, integration events and ticks in; effects out; draw when
//! something changed.

/// Where IO tasks send their typed events. Unbounded because every producer coalesces first
/// (lane output is a merged notice, monitors send at most one snapshot per refresh).
pub type EventSender = tokio::sync::mpsc::UnboundedSender<crate::app::Event>;
