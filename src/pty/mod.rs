//! Lane PTYs: the backend trait, the portable-pty implementation, reader/writer tasks and the
//! per-lane screen model.
