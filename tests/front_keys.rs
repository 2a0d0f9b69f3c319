//! Keys typed into a par lane the moment it comes to the front (`[lanes] tmux_client = "pipe"`):
//! its attach client starts then, and until tmux has made that client's terminal raw, a Ctrl-C
//! written there was eaten by the line discipline (CI saw an interrupt lost this way). Keys go
//! in through `tmux send-keys` until the client has drawn, and none overtakes another when
//! they switch to the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/backend.rs"]
mod backend;
mod support;

use std::time::Duration;

use backend::{par_session, ptys, tmux_clients};
use helios::config::TmuxClient;
use helios::lanes::{LaneId, LaneInfo};
use helios::pty::{PortablePtys, PtyBackend};
use support::{World, require, wait_until, wait_until_or};

const WAIT: Duration = Duration::from_secs(20);

/// What the lane's pane shows, its history included, wrapped lines joined.
fn captured(world: &World, session: &str) -> String {
    let target = format!("={session}:");
    let out = world.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", &target]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lane's screen shows its attach client: (rows, cols) of the window plus tmux's status
/// line.
fn client_shown(ptys: &PortablePtys, id: &LaneId) -> bool {
    ptys.screen(id).unwrap().size() == (31, 100)
}

/// A fed lane that has been in front once (so its client's size is known, and the next
/// `set_front` starts the client at once), behind again with no client left.
fn fed_lane(world: &World, name: &str, command: &str) -> (PortablePtys, LaneInfo) {
    let info = par_session(world, name, command);
    let lanes = std::slice::from_ref(&info);
    let (mut ptys, rx) = ptys(world, 100, TmuxClient::Pipe);
    // The events are not needed; the channel must stay open for the lane's readers.
    std::mem::forget(rx);
    wait_until_or(
        "the lane read from its tap",
        WAIT,
        || {
            assert!(ptys.sync(lanes).is_empty());
            ptys.is_fed(&info.id)
        },
        || tmux_clients(world),
    );
    wait_until("the front lane's client, once", WAIT, || {
        ptys.set_front(Some(&info.id));
        client_shown(&ptys, &info.id)
    });
    ptys.set_front(None);
    wait_until("the client to go", WAIT, || tmux_clients(world).is_empty());
    (ptys, info)
}

/// A Ctrl-C typed as the lane comes to the front interrupts the lane's program.
#[test]
fn a_ctrl_c_typed_as_a_lane_comes_to_the_front_reaches_it() {
    require("tmux");
    let world = World::new("app");
    let (mut ptys, info) = fed_lane(
        &world,
        "intr",
        "trap 'echo got-int' INT; echo ready; while :; do sleep 0.1; done",
    );
    wait_until("the lane's program", WAIT, || {
        captured(&world, "intr").contains("ready")
    });
    ptys.set_front(Some(&info.id));
    // The client has just started: the key is typed before it has drawn.
    assert!(!client_shown(&ptys, &info.id));
    ptys.write(&info.id, b"\x03".to_vec()).unwrap();
    wait_until_or(
        "the interrupt in the lane",
        WAIT,
        || captured(&world, "intr").contains("got-int"),
        || captured(&world, "intr"),
    );
    ptys.shutdown();
}

/// Keys typed one by one while the lane's client starts arrive whole and in order: those
/// typed through tmux before it drew, and those typed through it after.
#[test]
fn keys_typed_while_the_front_client_starts_arrive_in_order() {
    require("tmux");
    let world = World::new("app");
    let (mut ptys, info) = fed_lane(
        &world,
        "order",
        "stty raw -echo; printf 'ready\\r\\n'; exec cat -v",
    );
    wait_until("the lane's program", WAIT, || {
        captured(&world, "order").contains("ready")
    });
    let alphabet: Vec<u8> = (b'a'..=b'z')
        .chain(b'A'..=b'Z')
        .chain(b'0'..=b'9')
        .collect();
    let mut typed = Vec::new();
    ptys.set_front(Some(&info.id));
    let mut after = None;
    for i in 0..4000 {
        let key = alphabet[i % alphabet.len()];
        ptys.write(&info.id, vec![key]).unwrap();
        typed.push(key);
        if after.is_none() && client_shown(&ptys, &info.id) {
            after = Some(typed.len());
        }
        if after.is_some_and(|n| typed.len() >= n + 100) {
            break;
        }
        // A typist's pace, not a wait for anything.
        std::thread::sleep(Duration::from_millis(1));
    }
    let before = after.expect("the lane's client never drew");
    assert!(before > 0, "no key was typed before the client drew");
    let typed = String::from_utf8(typed).unwrap();
    wait_until_or(
        "every key in the lane, in order",
        WAIT,
        || {
            let shown: String = captured(&world, "order")
                .lines()
                .skip_while(|l| !l.contains("ready"))
                .skip(1)
                .collect();
            shown.trim_end() == typed
        },
        || format!("typed {typed}\npane {}", captured(&world, "order")),
    );
    ptys.shutdown();
}
