//! The NATS panel's own keys: active while the panel is shown, before the keymap looks (the
//! keymap binds no stream keys by default; the `nats.*` commands also run from the palette).

/// Default panel bindings: key and command name.
pub const DEFAULT_BINDINGS: &[(&str, &str)] = &[
    ("j", "nats.stream_next"),
    ("down", "nats.stream_next"),
    ("k", "nats.stream_prev"),
    ("up", "nats.stream_prev"),
    ("s", "nats.sort"),
    ("r", "nats.refresh"),
];
