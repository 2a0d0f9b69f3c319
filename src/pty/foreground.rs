//! The program in the foreground of a helios-owned lane's terminal, read from `/proc`.
//!
//! Only the terminal's process group is read on the loop ([`crate::pty::PtyBackend`]); these
//! reads run on the probe's thread. Each is a file opened in `/proc`, which on this machine
//! costs tens of µs to a third of a millisecond once the process has been idle a moment.

/// The command the process group `pid` runs: its name, or the script or command a shell was
/// given (`bash go.sh` runs that, not a prompt). `None`: it is gone.
pub fn command_of(pid: i32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let comm = comm.trim();
    if crate::agent::screen::is_shell(comm)
        && let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline"))
        && let Some(runs) = crate::agent::screen::cmdline_runs(&cmdline)
    {
        return Some(runs);
    }
    Some(comm.to_string())
}
