//! A resize by another tmux client is no output either, against the real parts: stand-in
//! agents in real par lanes, waiting on a permission prompt while the console runs, whose
//! windows are resized behind helios's back (`tmux resize-window`, another client attached at
//! its own size). The redraw keeps each lane's state, its age and its events; what the lane
//! prints afterwards still makes it `working`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/agents.rs"]
mod agents;
mod support;
#[path = "support/tui.rs"]
mod tui;

use agents::{WAIT, looks, pane, recorded, rule, session, state_events, type_in, waiting_lanes};
use support::{World, require, wait_until_or};

/// The two lanes: one decided by its hooks, one by its screen.
const LANES: [&str; 2] = ["hooked", "screen"];

/// Each lane's recorded state (state, since, source…) and its count of `lane.state` events.
type Kept = [([String; 5], usize); 2];

/// A world with a console over the two [`LANES`], each a stand-in waiting on a permission
/// prompt, looked at past `settle` (rows changing now would overrule the hooks); and what
/// each lane had recorded then.
fn two_waiting() -> (World, tui::Tui, Kept) {
    require("tmux");
    require("par");
    require("python3");
    let world = World::new("app");
    let tui = waiting_lanes(&world, &[("hooked", true), ("screen", false)]);
    assert_eq!(recorded(&world, "hooked")[3], "hook:claude");
    assert_eq!(recorded(&world, "screen")[3], "screen");
    looks(&tui, 3);
    let before = LANES.map(|l| (recorded(&world, l), state_events(&world, l)));
    (world, tui, before)
}

/// Each lane's state, since, source and events are as they were.
fn unchanged(world: &World, before: &Kept) {
    for (l, (state, events)) in LANES.iter().zip(before) {
        assert_eq!(&recorded(world, l), state, "{l}'s state, since and source");
        assert_eq!(state_events(world, l), *events, "{l}'s lane.state events");
    }
}

#[test]
fn another_client_resizing_a_lane_leaves_it_waiting() {
    let (world, tui, before) = two_waiting();
    let show = || format!("helios shows:\n{}", tui.contents());

    // Each lane's window resized from outside helios, one after the other: the lane in front
    // and the one behind; each stand-in redraws for its new width.
    for (l, cols) in LANES.iter().zip([97, 131]) {
        let target = format!("={}:", session(&world, l));
        let out = world.tmux(&[
            "resize-window",
            "-t",
            &target,
            "-x",
            &cols.to_string(),
            "-y",
            "21",
        ]);
        assert!(out.status.success(), "tmux resize-window: {out:?}");
        wait_until_or(
            &format!("{l} redrawn at {cols} columns"),
            WAIT,
            || rule(&world, l) == Some(cols - 1),
            || pane(&world, l),
        );
        looks(&tui, 3);
    }
    unchanged(&world, &before);
    assert!(show().contains("permission · "), "{}", show());

    // Output afterwards is the lane's: answered, the screen-read stand-in works (and prints on
    // until interrupted).
    type_in(&world, "screen", "1");
    type_in(&world, "screen", "long");
    wait_until_or(
        "the answered lane working",
        WAIT,
        || recorded(&world, "screen")[0] == "working",
        || format!("{:?}\n{}", recorded(&world, "screen"), show()),
    );
}

/// The user attaches to a lane's session from outside helios, in a terminal of another size,
/// and leaves: the window takes that client's size (and may go back to helios's); no redraw
/// is the lane's output.
#[test]
fn attaching_from_outside_at_another_size_leaves_lanes_waiting() {
    let (world, tui, before) = two_waiting();
    let widths = LANES.map(|l| rule(&world, l));
    for (i, l) in LANES.iter().enumerate() {
        let mut cmd = portable_pty::CommandBuilder::new("tmux");
        cmd.args(["attach-session", "-t", &format!("={}:", session(&world, l))]);
        let mut client = support::spawn_in_pty(&world, cmd, &[], 25, 90);
        // Its output is read (and dropped) so tmux never waits on it.
        let mut reader = client.reader;
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        wait_until_or(
            &format!("{l} redrawn for the outside client"),
            WAIT,
            || rule(&world, l) == Some(89),
            || pane(&world, l),
        );
        looks(&tui, 3);
        client.child.kill().unwrap();
        client.child.wait().unwrap();
        // The window goes back to helios's clients' size, or keeps the outside one's when
        // helios's client in front takes the window's size as it is.
        looks(&tui, 4);
        eprintln!("{l}: {:?} -> {:?}", widths[i], rule(&world, l));
    }
    unchanged(&world, &before);
}
