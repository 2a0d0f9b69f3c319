//! A resize is no output, against the real parts: stand-in agents in real par lanes that redraw
//! for a new size (SIGWINCH) as Claude Code does, waiting on a permission prompt, while the
//! real console they are shown in is resized and another lane comes to the front.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/agents.rs"]
mod agents;
mod support;
#[path = "support/tui.rs"]
mod tui;

use agents::{WAIT, looks, recorded, rule, state_events, waiting_lanes};
use support::{World, require, wait_until_or};
use tui::Tui;

#[test]
fn resizing_the_console_leaves_waiting_lanes_waiting() {
    require("tmux");
    require("par");
    require("python3");
    let world = World::new("app");
    let lanes = ["hooked", "screen"];
    let mut tui = waiting_lanes(&world, &[("hooked", true), ("screen", false)]);
    assert_eq!(recorded(&world, "hooked")[3], "hook:claude");
    assert_eq!(recorded(&world, "screen")[3], "screen");
    let show = |tui: &Tui| format!("helios shows:\n{}", tui.contents());
    // Past `settle`: rows changing now would overrule the hooks.
    looks(&tui, 3);
    let before = lanes.map(|l| (recorded(&world, l), state_events(&world, l)));
    let widths = lanes.map(|l| rule(&world, l));
    let redrawn = |l: usize| rule(&world, lanes[l]) != widths[l];

    // The console's window shrinks (its lane in front is resized), then the other lane comes
    // to the front (its client resizes its window): each stand-in redraws for its new width.
    tui.resize(24, 80);
    wait_until_or(
        "the lane in front redrawn",
        WAIT,
        || redrawn(0) || redrawn(1),
        || show(&tui),
    );
    let behind = usize::from(redrawn(0));
    looks(&tui, 4);
    tui.keys(b"j");
    wait_until_or(
        "the other lane redrawn",
        WAIT,
        || redrawn(behind),
        || show(&tui),
    );
    looks(&tui, 4);
    for (l, (state, events)) in lanes.iter().zip(before) {
        assert_eq!(recorded(&world, l), state, "{l}'s state, since and source");
        assert_eq!(state_events(&world, l), events, "{l}'s lane.state events");
    }
}
