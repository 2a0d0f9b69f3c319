//! Attaching to a par lane's tmux session, the one implementation behind the console's `a` and
//! `helios lane attach`: inside the lanes' tmux server the client switches to the session, inside zellij the
//! session opens in a new pane, and elsewhere `tmux attach` runs in helios's terminal: the CLI
//! replaces itself with it, the console lends it the terminal and comes back on detach
//! (`runtime::hand_over`).

use std::path::Path;

use crate::lanes::LaneError;
use crate::model::lane::{tmux_default_socket, tmux_target};

/// How an attach reaches the session, from where helios runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `tmux switch-client` (helios runs inside tmux).
    SwitchClient,
    /// A zellij pane running `tmux attach` (helios runs inside zellij).
    Zellij,
    /// `tmux attach` in helios's own terminal (the CLI execs it, the console lends it the
    /// terminal until the detach).
    Exec,
}

impl Via {
    /// From `$TMUX` and `$ZELLIJ` (tmux first: tmux inside a zellij pane switches its client).
    /// A client can only switch to a session of its own server: inside another tmux server
    /// than the lanes' (`-L`, another `TMUX_TMPDIR`), the attach runs as outside tmux.
    pub fn from_env() -> Self {
        let tmpdir = std::env::var_os("TMUX_TMPDIR");
        let lanes = tmux_default_socket(tmpdir.as_deref(), rustix::process::getuid().as_raw());
        let in_lanes_tmux = std::env::var("TMUX").is_ok_and(|t| same_server(&t, &lanes));
        Self::choose(in_lanes_tmux, std::env::var_os("ZELLIJ").is_some())
    }

    /// The choice for these surroundings.
    pub fn choose(in_tmux: bool, in_zellij: bool) -> Self {
        match (in_tmux, in_zellij) {
            (true, _) => Self::SwitchClient,
            (false, true) => Self::Zellij,
            (false, false) => Self::Exec,
        }
    }

    /// The name recorded in the `lane.attached` event's `via`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SwitchClient => "switch-client",
            Self::Zellij => "zellij",
            Self::Exec => "exec",
        }
    }
}

/// Whether `$TMUX` (`socket,pid,session`) names the server whose socket is `lanes`. tmux
/// resolves its socket directory, so both sides are compared resolved when they can be.
fn same_server(tmux_env: &str, lanes: &Path) -> bool {
    let Some(socket) = tmux_env.split(',').next().filter(|s| !s.is_empty()) else {
        return false;
    };
    let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    resolve(Path::new(socket)) == resolve(lanes)
}

/// Why a lane whose tmux session is gone is not attached: tmux would only say it cannot find
/// the session, and the attach was taken for a detach.
pub fn gone(lane: &str, session: &str) -> LaneError {
    LaneError::Failed {
        what: format!("attaching to lane {lane}"),
        message: format!(
            "its tmux session {session} is gone: `par open {lane}` makes it again, `helios lane rm {lane}` removes the lane"
        ),
    }
}

/// `tmux attach-session` to `session` (exactly that session, never one whose name begins so).
pub fn argv(session: &str) -> Vec<String> {
    vec![
        "tmux".to_string(),
        "attach-session".into(),
        "-t".into(),
        tmux_target(session),
    ]
}

/// Attach to `session`; what was done. `Exec` replaces this process and returns only when
/// that failed: the CLI's way (the console runs [`argv`] itself instead).
pub fn attach(via: Via, lane: &str, worktree: &Path, session: &str) -> Result<String, LaneError> {
    let argv = argv(session);
    match via {
        Via::SwitchClient => {
            let out = crate::config::secrets::command("tmux")
                .args(["switch-client", "-t", &tmux_target(session)])
                .output()
                .map_err(|e| LaneError::Failed {
                    what: "tmux switch-client".into(),
                    message: e.to_string(),
                })?;
            if out.status.success() {
                Ok(format!("switched to {session}"))
            } else {
                Err(LaneError::Failed {
                    what: format!("tmux switch-client -t {session}"),
                    message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                })
            }
        }
        Via::Zellij => {
            crate::integrations::zellij::open_lane_pane(lane, worktree, &argv).map_err(|e| {
                LaneError::Failed {
                    what: "opening a zellij pane".into(),
                    message: format!("{e:#}"),
                }
            })?;
            Ok(format!("opened {lane} in a zellij pane"))
        }
        Via::Exec => {
            use std::os::unix::process::CommandExt as _;
            let err = crate::config::secrets::command("tmux")
                .args(&argv[1..])
                .env_remove("TMUX")
                .exec();
            Err(LaneError::Failed {
                what: format!("attaching to lane {lane} (tmux session {session})"),
                message: format!("{err}; is tmux installed?"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tmux_first_then_zellij_then_exec() {
        assert_eq!(Via::choose(true, true), Via::SwitchClient);
        assert_eq!(Via::choose(true, false), Via::SwitchClient);
        assert_eq!(Via::choose(false, true), Via::Zellij);
        assert_eq!(Via::choose(false, false), Via::Exec);
    }

    #[test]
    fn only_the_lanes_own_tmux_server_switches() {
        let lanes = tmux_default_socket(Some("/run/x".as_ref()), 1000);
        assert_eq!(lanes, Path::new("/run/x/tmux-1000/default"));
        assert!(same_server("/run/x/tmux-1000/default,4242,0", &lanes));
        // The user's own tmux (default socket) or a named one (`-L work`) is another server.
        assert!(!same_server("/tmp/tmux-1000/default,4242,0", &lanes));
        assert!(!same_server("/run/x/tmux-1000/work,4242,0", &lanes));
        assert!(!same_server("", &lanes));
        assert_eq!(
            tmux_default_socket(Some("".as_ref()), 7),
            Path::new("/tmp/tmux-7/default")
        );
        assert_eq!(
            tmux_default_socket(None, 7),
            Path::new("/tmp/tmux-7/default")
        );
    }

    #[test]
    fn a_symlinked_socket_directory_is_the_same_server() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("tmux-5")).unwrap();
        std::fs::write(real.join("tmux-5/default"), "").unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let lanes = tmux_default_socket(Some(dir.path().join("link").as_os_str()), 5);
        let env = format!("{},1,0", real.join("tmux-5/default").display());
        assert!(same_server(&env, &lanes));
    }
}
