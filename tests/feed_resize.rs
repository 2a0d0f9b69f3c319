//! A fed par lane behind (`[lanes] tmux_client = "pipe"`) whose window another tmux client
//! resizes: its program redraws for the new size, and the pane's output alone says nothing of
//! the size, so helios parses that redraw at the old one (a rule as wide as the new window
//! wraps). Told the pane's size (the process probe reads it), the backend takes the lane from
//! tmux again, and the lane is drawn at its new size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/backend.rs"]
mod backend;
mod support;

use std::time::Duration;

use backend::{par_session, ptys, tmux_clients};
use helios::config::TmuxClient;
use helios::pty::PtyBackend;
use support::{World, require, wait_until, wait_until_or};

const WAIT: Duration = Duration::from_secs(20);

/// Draws `top`, a rule one column narrower than the terminal, and `bottom`, again on SIGWINCH.
const PROGRAM: &str = r#"python3 -c '
import os, signal, sys
def draw(*_):
    c = os.get_terminal_size().columns
    sys.stdout.write("\x1b[2J\x1b[Htop\r\n" + "=" * (c - 1) + "\r\nbottom\r\n")
    sys.stdout.flush()
signal.signal(signal.SIGWINCH, draw)
draw()
while True:
    signal.pause()
'"#;

#[test]
fn a_fed_lane_resized_from_outside_is_drawn_at_its_new_size() {
    require("tmux");
    require("python3");
    let world = World::new("app");
    let info = par_session(&world, "wide", PROGRAM);
    let id = info.id.clone();
    let lanes = std::slice::from_ref(&info);
    let (mut ptys, _events) = ptys(&world, 100, TmuxClient::Pipe);
    wait_until_or(
        "the lane read from its tap",
        WAIT,
        || {
            assert!(ptys.sync(lanes).is_empty());
            ptys.is_fed(&id)
        },
        || tmux_clients(&world),
    );
    let rows = |ptys: &helios::pty::PortablePtys| ptys.snapshot(&id).unwrap_or_default().rows;
    let rule = |n: usize| "=".repeat(n);
    wait_until_or(
        "the lane drawn at its size",
        WAIT,
        || rows(&ptys).contains(&rule(99)),
        || format!("{:?}", rows(&ptys)),
    );
    assert_eq!(ptys.screen(&id).unwrap().size(), (30, 100));

    // Another client makes the window wider: the redraw, parsed at the old width, wraps.
    let out = world.tmux(&["resize-window", "-t", "=wide:", "-x", "130", "-y", "20"]);
    assert!(out.status.success(), "{out:?}");
    wait_until_or(
        "the redraw read at the old size",
        WAIT,
        || rows(&ptys).contains(&rule(29)),
        || format!("{:?}", rows(&ptys)),
    );
    // The pane's size, as the probe reads it: the lane is taken from tmux again.
    ptys.pane_size(&id, (20, 130));
    wait_until_or(
        "the lane drawn at its new size",
        WAIT,
        || {
            let r = rows(&ptys);
            r.contains(&rule(129)) && !r.contains(&rule(29))
        },
        || format!("{:?}", rows(&ptys)),
    );
    assert_eq!(ptys.screen(&id).unwrap().size(), (20, 130));
    // Told the size it has already, nothing is taken again.
    let version = ptys.screen(&id).unwrap().version();
    ptys.pane_size(&id, (20, 130));
    wait_until("no client left", WAIT, || tmux_clients(&world).is_empty());
    assert_eq!(ptys.screen(&id).unwrap().version(), version);
    ptys.shutdown();
}
