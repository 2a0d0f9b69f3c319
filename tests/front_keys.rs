//! Keys typed into a par lane as its `tmux attach` client starts: when the lane comes to the
//! front (`[lanes] tmux_client = "pipe"`), or as its own client (`attach`). Until tmux has made
//! the client's terminal raw, a Ctrl-C written there was eaten by the line discipline (CI saw
//! an interrupt lost this way). Keys go in through `tmux send-keys` until the client has drawn,
//! and none overtakes another when they switch to the client.
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

type Events = tokio::sync::mpsc::UnboundedReceiver<helios::app::Event>;

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
fn fed_lane(world: &World, name: &str, command: &str) -> (PortablePtys, Events, LaneInfo) {
    feed(world, par_session(world, name, command))
}

/// [`fed_lane`] for a session made already.
fn feed(world: &World, info: LaneInfo) -> (PortablePtys, Events, LaneInfo) {
    let lanes = std::slice::from_ref(&info);
    let (mut ptys, events) = ptys(world, 100, TmuxClient::Pipe);
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
    (ptys, events, info)
}

/// A par lane whose `tmux attach` client has just started: in `pipe` mode the fed lane brought
/// to the front, in `attach` mode the lane's own client.
struct Shown {
    ptys: PortablePtys,
    /// Not read; open for the lane's readers.
    _events: Events,
    info: LaneInfo,
    mode: TmuxClient,
}

impl Shown {
    fn start(world: &World, name: &str, command: &str, mode: TmuxClient) -> Self {
        let (mut ptys, events, info) = if mode == TmuxClient::Pipe {
            fed_lane(world, name, command)
        } else {
            let info = par_session(world, name, command);
            let (ptys, events) = ptys(world, 100, mode);
            (ptys, events, info)
        };
        wait_until("the lane's program", WAIT, || {
            captured(world, name).contains("ready")
        });
        if mode == TmuxClient::Pipe {
            ptys.set_front(Some(&info.id));
        } else {
            assert!(ptys.sync(std::slice::from_ref(&info)).is_empty());
        }
        Self {
            ptys,
            _events: events,
            info,
            mode,
        }
    }

    fn client_drawn(&self) -> bool {
        if self.mode == TmuxClient::Pipe {
            client_shown(&self.ptys, &self.info.id)
        } else {
            self.ptys.screen(&self.info.id).unwrap().drawn()
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.ptys.write(&self.info.id, bytes.to_vec()).unwrap();
    }
}

/// A Ctrl-C typed as the lane's client starts interrupts the lane's program: in front of a
/// fed lane, and as a lane's own attach client.
#[test]
fn a_ctrl_c_typed_as_a_lanes_client_starts_reaches_it() {
    require("tmux");
    for mode in [TmuxClient::Pipe, TmuxClient::Attach] {
        let world = World::new("app");
        let mut lane = Shown::start(
            &world,
            "intr",
            "trap 'echo got-int' INT; echo ready; while :; do sleep 0.1; done",
            mode,
        );
        // The client has just started: the key is typed before it has drawn.
        assert!(!lane.client_drawn(), "{mode:?}");
        lane.write(b"\x03");
        wait_until_or(
            &format!("the interrupt in the lane ({mode:?})"),
            WAIT,
            || captured(&world, "intr").contains("got-int"),
            || captured(&world, "intr"),
        );
        lane.ptys.shutdown();
    }
}

/// Keys typed one by one while the lane's client starts arrive whole and in order: those
/// typed through tmux before it drew, and those typed through it after.
#[test]
fn keys_typed_while_a_lanes_client_starts_arrive_in_order() {
    require("tmux");
    for mode in [TmuxClient::Pipe, TmuxClient::Attach] {
        let world = World::new("app");
        let mut lane = Shown::start(
            &world,
            "order",
            "stty raw -echo; printf 'ready\\r\\n'; exec cat -v",
            mode,
        );
        let alphabet: Vec<u8> = (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .chain(b'0'..=b'9')
            .collect();
        let mut typed = Vec::new();
        let mut after = None;
        for i in 0..4000 {
            let key = alphabet[i % alphabet.len()];
            lane.write(&[key]);
            typed.push(key);
            if after.is_none() && lane.client_drawn() {
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
            &format!("every key in the lane, in order ({mode:?})"),
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
        lane.ptys.shutdown();
    }
}

/// Resized in front (the single pane sizes the lane it shows), the pane is reflowed by tmux and
/// its program redraws for the new size; the pane's own output says neither. Behind again, the
/// lane is the pane as tmux has it, at its new size. Before, its screen kept the old size and
/// drew the redraw where it did not belong (a tryout saw a shell's prompt over its last line).
#[test]
fn a_lane_resized_in_front_is_the_pane_as_tmux_has_it_behind() {
    require("tmux");
    require("python3");
    let world = World::new("app");
    // A program that redraws on SIGWINCH, as a shell's prompt or an agent's screen does: one
    // row up, over what is there. It takes its time (0.3 s), as a busy program does, so the
    // redraw comes well after the lane's seed: output within 0.25 s of a seed has the seed
    // taken again anyway.
    let script = world.path("redraw.py");
    std::fs::write(
        &script,
        "import signal, sys, time\n\
         def redraw(*_):\n    time.sleep(0.3)\n    sys.stdout.write('\\x1b[A\\rredrawn-at-new-size'); sys.stdout.flush()\n\
         signal.signal(signal.SIGWINCH, redraw)\n\
         sys.stdout.write('one\\ntwo\\nready\\n'); sys.stdout.flush()\n\
         while True:\n    signal.pause()\n",
    )
    .unwrap();
    // The pane's size and what it shows, as tmux has them.
    let pane = || {
        let text = world.tmux(&["capture-pane", "-p", "-t", "=grow:"]);
        let size = world.tmux(&[
            "display",
            "-p",
            "-t",
            "=grow:",
            "#{pane_height} #{pane_width}",
        ]);
        (
            String::from_utf8_lossy(&size.stdout).trim().to_string(),
            String::from_utf8_lossy(&text.stdout).into_owned(),
        )
    };
    let info = par_session(&world, "grow", &format!("python3 {}", script.display()));
    // Ready before helios takes the pane: the seed has all the output and none comes close
    // after it (which would have the seed taken again, hiding what this test is about).
    wait_until_or(
        "the program ready",
        WAIT,
        || pane().1.contains("ready"),
        || format!("{:?}", pane()),
    );
    let (mut ptys, _events, info) = feed(&world, info);
    let id = &info.id;
    ptys.set_front(Some(id));
    wait_until("the client in front", WAIT, || client_shown(&ptys, id));
    ptys.resize(id, 21, 70);
    wait_until_or(
        "tmux's pane redrawn at its new size",
        WAIT,
        || pane().0 == "20 70" && pane().1.contains("redrawn-at-new-size"),
        || format!("{:?}", pane()),
    );
    ptys.set_front(None);
    wait_until("the client to go", WAIT, || tmux_clients(&world).is_empty());
    let text = |t: &str| -> String {
        let lines: Vec<&str> = t.lines().map(str::trim_end).collect();
        lines.join("\n").trim_end().to_string()
    };
    wait_until_or(
        "the lane behind as tmux has it",
        WAIT,
        || {
            let s = ptys.screen(id).unwrap();
            let (r, c) = s.size();
            let (size, shown) = pane();
            format!("{r} {c}") == size && text(&s.contents()) == text(&shown)
        },
        || {
            let s = ptys.screen(id).unwrap();
            format!(
                "helios {:?}:\n{}\ntmux {:?}",
                s.size(),
                s.contents(),
                pane()
            )
        },
    );
}
