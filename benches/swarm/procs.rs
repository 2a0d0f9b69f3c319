//! CPU time and peak memory of the processes under test, from /proc.

use std::path::Path;

/// Clock ticks per second for /proc/PID/stat times (100 on Linux everywhere we run).
const TICKS: f64 = 100.0;

/// CPU time of a process and of the children it has waited for, in seconds (0 when it is
/// gone).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may contain spaces: fields start after the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the state field (field 3 = index 0);
    // 16 and 17 (cutime, cstime) are the children it has waited for: the short-lived commands
    // a console runs (helios's `tmux capture-pane` seeds, git) live and end between two
    // samples, and are counted only there.
    (num(11) + num(12) + num(13) + num(14)) / TICKS
}

/// The machine's CPU time so far, in clock ticks: (busy, all), summed over every core. Busy is
/// all but idle and iowait. `None` (said on stderr) when /proc/stat cannot be read.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")
        .inspect_err(|e| eprintln!("swarm: cannot read /proc/stat ({e}): no machine-busy figure"))
        .ok()?;
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        eprintln!("swarm: /proc/stat has no `cpu` line: no machine-busy figure");
        return None;
    };
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let all: u64 = f.iter().take(8).sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    Some((all.saturating_sub(idle), all))
}

/// A `Vm*` line of /proc/PID/status in MiB (VmHWM is the peak resident set).
pub fn status_mib(pid: u32, key: &str) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0.0;
    };
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| {
            v.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The command name of a process.
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Every process whose environment has `marker` (like `HELIOS_SWARM_RUN=abc`) and whose
/// command name is `name`.
pub fn find(marker: &str, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if comm(pid) != name {
            continue;
        }
        let env = std::fs::read(Path::new("/proc").join(pid.to_string()).join("environ"))
            .unwrap_or_default();
        if env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// Bytes a process has written so far (/proc/PID/io wchar).
pub fn written(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("wchar:").and_then(|v| v.trim().parse().ok()))
        })
        .unwrap_or(0)
}

/// Every process whose command line contains `needle`.
pub fn find_cmdline(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    let me = std::process::id();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        if cmdline(pid).join(" ").contains(needle) {
            out.push(pid);
        }
    }
    out
}

/// A process's arguments (empty for one gone; any other failure said on stderr).
pub fn cmdline(pid: u32) -> Vec<String> {
    let cmd = match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmd) => cmd,
        // Gone between the listing and this read (ENOENT, or ESRCH while it exits).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(3) => {
            return Vec::new();
        }
        Err(e) => {
            eprintln!("swarm: cannot read the arguments of process {pid}: {e}");
            return Vec::new();
        }
    };
    cmd.split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The children of `pid` (direct), from /proc/PID/task/*/children.
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let s = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        out.extend(s.split_whitespace().filter_map(|v| v.parse::<u32>().ok()));
    }
    out
}
