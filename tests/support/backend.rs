//! helios's lane terminals (`PortablePtys`) driven directly against the world's real tmux:
//! the backend tests of par lanes. Include with `#[path = "support/backend.rs"] mod backend;`
//! next to `mod support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use helios::app::Event;
use helios::config::TmuxClient;
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use helios::pty::{PortablePtys, PtyConfig};

use crate::support::{self, World};

/// The names of the world's tmux sessions, one a line.
pub fn tmux_sessions(world: &World) -> String {
    String::from_utf8_lossy(
        &world
            .tmux(&["list-sessions", "-F", "#{session_name}"])
            .stdout,
    )
    .into_owned()
}

/// The names of the world's tmux clients, one a line.
pub fn tmux_clients(world: &World) -> String {
    String::from_utf8_lossy(&world.tmux(&["list-clients", "-F", "#{client_name}"]).stdout)
        .into_owned()
}

/// helios's lane terminals in the world, reading par lanes in `mode`, and their events.
pub fn ptys(
    world: &World,
    scrollback: usize,
    mode: TmuxClient,
) -> (PortablePtys, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    ptys_with(world, scrollback, mode, helios::pty::QueryColors::default())
}

/// [`ptys`] answering colour queries with `colors`.
pub fn ptys_with(
    world: &World,
    scrollback: usize,
    mode: TmuxClient,
    colors: helios::pty::QueryColors,
) -> (PortablePtys, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let config = PtyConfig {
        scrollback,
        shell: "/bin/sh".into(),
        env: world.env(),
        tmux_client: mode,
        colors,
        clipboard: false,
        // A piped lane's tap is this binary (`helios osc-tap --feed`).
        osc_tap: (mode == TmuxClient::Pipe).then(support::helios_bin),
        ssh: Vec::new(),
        feed_dir: world.path("run/feed"),
    };
    (PortablePtys::new(config, tx), rx)
}

/// A tmux session named `name` of 100x30 running `command`, as a par lane of the world's repo.
pub fn par_session(world: &World, name: &str, command: &str) -> LaneInfo {
    let out = world.tmux(&[
        "new-session",
        "-d",
        "-s",
        name,
        "-x",
        "100",
        "-y",
        "30",
        command,
    ]);
    assert!(out.status.success(), "{out:?}");
    LaneInfo {
        id: LaneId::new(name),
        branch: Some("main".into()),
        worktree: world.repo.clone(),
        source: LaneSource::Par {
            session: name.into(),
        },
        session_alive: true,
        git: GitCounts::default(),
    }
}
