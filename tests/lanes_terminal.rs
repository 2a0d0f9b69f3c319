//! Lane terminals as programs see them, with real PTYs and a real tmux: the answers to terminal
//! queries in a helios-owned lane (helios answers) and in a par lane (tmux answers, through
//! helios's `tmux attach` client).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/backend.rs"]
mod backend;
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use helios::app::Event;
use helios::config::TmuxClient;
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use helios::pty::{FrontRead, PortablePtys, PtyBackend, QueryColors};
use support::{World, require, wait_until_or};

const WAIT: Duration = Duration::from_secs(30);

fn ptys(world: &World) -> (PortablePtys, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    ptys_keeping(world, 100)
}

/// Lane terminals keeping `scrollback` lines (attach clients, the light theme's colours).
fn ptys_keeping(
    world: &World,
    scrollback: usize,
) -> (PortablePtys, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    backend::ptys_with(world, scrollback, TmuxClient::Attach, QueryColors::light())
}

/// A detached tmux session in the world's server; panics when tmux refuses.
fn new_session(world: &World, args: &[&str]) {
    let mut all = vec!["new-session", "-d"];
    all.extend_from_slice(args);
    let out = world.tmux(&all);
    assert!(out.status.success(), "{out:?}");
}

/// The par lane helios would discover for tmux session `session` in the world's repo.
fn par_lane(world: &World, session: &str) -> LaneInfo {
    LaneInfo {
        id: LaneId::new(session),
        branch: Some("main".into()),
        worktree: world.repo.clone(),
        source: LaneSource::Par {
            session: session.into(),
        },
        session_alive: true,
        git: GitCounts::default(),
    }
}

/// A helios-owned lane (a shell) in the world's repo, started; keep the receiver: its
/// readers stop when it is gone.
fn owned_lane(
    world: &World,
) -> (
    LaneInfo,
    PortablePtys,
    tokio::sync::mpsc::UnboundedReceiver<Event>,
) {
    let info = LaneInfo {
        id: LaneId::new("app"),
        branch: Some("main".into()),
        worktree: world.repo.clone(),
        source: LaneSource::Worktree,
        session_alive: true,
        git: GitCounts::default(),
    };
    let (mut ptys, rx) = ptys(world);
    assert!(ptys.sync(std::slice::from_ref(&info)).is_empty());
    (info, ptys, rx)
}

fn probe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/term/queries.py")
}

/// Run the query probe in `lane` (typed into its shell) and return its answers by query.
fn ask_all(ptys: &mut PortablePtys, lane: &LaneInfo, out: &Path) -> BTreeMap<String, String> {
    let screen = ptys.screen(&lane.id).unwrap();
    ptys.write(
        &lane.id,
        format!("python3 {} {}\r", probe().display(), out.display()).into_bytes(),
    )
    .unwrap();
    wait_until_or(
        "the query probe's answers",
        WAIT,
        || support::read(out).ends_with("done\n"),
        || screen.contents(),
    );
    support::read(out)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_answers(got: &BTreeMap<String, String>, want: &[(&str, &str)]) {
    for (query, answer) in want {
        assert_eq!(
            got.get(*query).map(String::as_str),
            Some(*answer),
            "answer to {query}; all answers: {got:#?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

/// Answers a program gets from every lane kind alike (tmux 3.3a's where tmux answers).
const COMMON: &[(&str, &str)] = &[
    ("dsr5", "\\e[0n"),
    ("cpr", "\\e[5;7R"),
    ("da1", "\\e[?1;2c"),
    // Not answered by tmux 3.3a, nor by helios: helios sends keys the xterm way only.
    ("kitty", ""),
];

#[test]
fn an_owned_lane_answers_terminal_queries() {
    require("python3");
    let world = World::new("app");
    let (info, mut ptys, _rx) = owned_lane(&world);
    let got = ask_all(&mut ptys, &info, &world.path("answers.txt"));
    let version = format!("\\eP>|helios {}\\e\\", env!("CARGO_PKG_VERSION"));
    let mut want = COMMON.to_vec();
    want.extend([
        ("decxcpr", "\\e[?5;7;1R"),
        ("da2", "\\e[>0;0;0c"),
        ("xtversion", version.as_str()),
        ("decrqm2004", "\\e[?2004;2$y"),
        ("decrqm2004on", "\\e[?2004;1$y"),
        ("decrqm2026", "\\e[?2026;2$y"),
        ("decrqm2026on", "\\e[?2026;1$y"),
        ("decrqm1049", "\\e[?1049;2$y"),
        // The colours of the light theme the config names.
        ("osc10", "\\e]10;rgb:0000/0000/0000\\e\\"),
        ("osc11", "\\e]11;rgb:ffff/ffff/ffff\\e\\"),
        ("osc12", "\\e]12;rgb:0000/0000/0000\\e\\"),
    ]);
    assert_answers(&got, &want);
}

/// What runs in an owned lane as the process probe reads it: the terminal's process group
/// taken where the read is made (the loop), the program read from `/proc` on another thread
/// (the probe's), as the console does; a shell given a script names the script.
#[test]
fn an_owned_lanes_foreground_is_read_on_another_thread() {
    let world = World::new("app");
    let (info, mut ptys, _rx) = owned_lane(&world);
    let screen = ptys.screen(&info.id).unwrap();
    let off_the_loop = |ptys: &PortablePtys| {
        let read = ptys.foreground_read(&info.id);
        std::thread::spawn(read).join().unwrap()
    };
    let script = world.path("work.sh");
    std::fs::write(&script, "sleep 300\n").unwrap();
    for (typed, runs) in [
        ("sleep 300\r".to_string(), "sleep".to_string()),
        (
            format!("\x03sh {}\r", script.display()),
            "work.sh".to_string(),
        ),
    ] {
        ptys.write(&info.id, typed.into_bytes()).unwrap();
        wait_until_or(
            &format!("{runs} in the lane's foreground"),
            WAIT,
            || off_the_loop(&ptys).as_deref() == Some(runs.as_str()),
            || format!("{:?}\n{}", off_the_loop(&ptys), screen.contents()),
        );
        assert_eq!(ptys.foreground(&info.id).as_deref(), Some(runs.as_str()));
    }
}

#[test]
fn keys_into_a_lane_that_reads_nothing_never_hold_the_console_and_all_arrive_in_order() {
    require("stty");
    let world = World::new("app");
    let (info, mut ptys, _rx) = owned_lane(&world);
    let screen = ptys.screen(&info.id).unwrap();
    let (go, out) = (world.path("go"), world.path("keys.txt"));
    // Raw mode (no line limit, no echo); then nothing reads the lane's input until `go` exists.
    let script = format!(
        "stty raw -echo; echo READ''Y; while [ ! -e {} ]; do sleep 0.05; done; head -c 300000 > {}\r",
        go.display(),
        out.display()
    );
    ptys.write(&info.id, script.into_bytes()).unwrap();
    wait_until_or(
        "the lane in raw mode",
        WAIT,
        || screen.contents().contains("READY"),
        || screen.contents(),
    );
    // Far more than a PTY holds (4 KiB in the line discipline, 64 KiB in its buffers).
    let keys: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let lane = info.id.clone();
    let sent = keys.clone();
    std::thread::spawn(move || {
        let first = ptys.write(&lane, sent[..100_000].to_vec());
        let rest = ptys.write(&lane, sent[100_000..].to_vec());
        let _ = done_tx.send((first, rest, ptys));
    });
    // The writes return while nothing has read a byte: a console writing keys would go on.
    let (first, rest, _ptys) = done_rx
        .recv_timeout(WAIT)
        .expect("writing keys into a lane that reads nothing held the caller");
    assert!(first.is_ok() && rest.is_ok(), "{first:?} {rest:?}");
    assert!(!out.exists(), "the lane read its input before it was let");
    std::fs::write(&go, "").unwrap();
    wait_until_or(
        "every key read by the lane",
        WAIT,
        || std::fs::metadata(&out).is_ok_and(|m| m.len() == 300_000),
        || format!("{:?} bytes", std::fs::metadata(&out).map(|m| m.len())),
    );
    assert!(
        std::fs::read(&out).unwrap() == keys,
        "the keys came out changed or out of order"
    );
}

/// Wait until the PTY behind `fd` has output for a read.
fn readable(fd: &impl std::os::fd::AsFd) -> bool {
    let mut fds = [rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN)];
    rustix::event::poll(
        &mut fds,
        Some(&rustix::time::Timespec {
            tv_sec: 30,
            tv_nsec: 0,
        }),
    )
    .is_ok_and(|n| n == 1)
}

#[test]
fn the_lane_in_front_is_read_by_the_loop_then_given_back_to_its_thread() {
    let world = World::new("app");
    let (info, mut ptys, mut rx) = owned_lane(&world);
    let screen = ptys.screen(&info.id).unwrap();
    ptys.set_front(Some(&info.id));
    let output = ptys.front_output().expect("an owned lane in front").clone();
    let hold = output.take().expect("a live lane can be taken");
    let mut buf = vec![0u8; 64 * 1024];
    ptys.write(&info.id, b"echo on''loop\r".to_vec()).unwrap();
    // The echo waits in the PTY for the loop: the lane's thread, which would have fed it to the
    // screen within microseconds, leaves it there (an absence, so watched for a while).
    assert!(readable(&hold), "the lane printed nothing in 30 s");
    assert!(
        !support::poll(Duration::from_millis(300), || screen
            .contents()
            .contains("echo on")),
        "the lane's thread read the echo while the loop held the lane"
    );
    assert_eq!(
        hold.read(&mut buf),
        FrontRead::More,
        "the thread read the echo"
    );
    wait_until_or(
        "the echo, read by the loop",
        WAIT,
        || {
            hold.read(&mut buf);
            screen.contents().contains("onloop")
        },
        || screen.contents(),
    );
    // Given back: its thread reads again.
    drop(hold);
    ptys.write(&info.id, b"echo back''again\r".to_vec())
        .unwrap();
    wait_until_or(
        "the lane's thread reading again",
        WAIT,
        || screen.contents().contains("backagain"),
        || screen.contents(),
    );
    // The end read by the loop: given back, the thread reports the exit.
    let hold = output.take().expect("still live");
    ptys.write(&info.id, b"exit\r".to_vec()).unwrap();
    wait_until_or(
        "the end of the lane, read by the loop",
        WAIT,
        || hold.read(&mut buf) == FrontRead::End,
        || screen.contents(),
    );
    assert!(output.take().is_none(), "a lane that ended was taken again");
    drop(hold);
    wait_until_or(
        "the lane's exit, reported by its thread",
        WAIT,
        || std::iter::from_fn(|| rx.try_recv().ok()).any(|e| matches!(e, Event::LaneExited { .. })),
        || screen.contents(),
    );
}

#[test]
fn a_par_lane_answers_as_tmux_does() {
    require("python3");
    require("tmux");
    let world = World::new("app");
    new_session(&world, &["-s", "q", "-x", "80", "-y", "24", "/bin/sh"]);
    let info = par_lane(&world, "q");
    let (mut ptys, _rx) = ptys(&world);
    assert!(ptys.sync(std::slice::from_ref(&info)).is_empty());
    let screen = ptys.screen(&info.id).unwrap();
    wait_until_or(
        "tmux to draw the lane",
        WAIT,
        || screen.contents().contains("[q]"),
        || screen.contents(),
    );
    let got = ask_all(&mut ptys, &info, &world.path("answers.txt"));
    // What tmux 3.3a answers itself; helios answers only the queries of tmux's own client.
    let version = got.get("xtversion").cloned().unwrap_or_default();
    assert!(version.starts_with("\\eP>|tmux "), "{got:#?}");
    let mut want = COMMON.to_vec();
    want.extend([
        ("decxcpr", ""),
        ("da2", "\\e[>84;0;0c"),
        ("xtversion", version.as_str()),
        ("decrqm2004", ""),
        ("decrqm2004on", ""),
        ("decrqm2026", ""),
        ("decrqm2026on", ""),
        ("decrqm1049", ""),
        ("osc10", ""),
        ("osc11", ""),
        ("osc12", ""),
    ]);
    assert_answers(&got, &want);
    ptys.shutdown();
}

/// Byte streams with the sequences vt100 0.18 leaves out (carried out in front of it by
/// helios), drawn by helios's lane screen and by tmux in a pane of the same size: the same text
/// in every row. tmux is the reference emulator.
#[test]
fn missing_sequences_draw_as_in_tmux() {
    require("tmux");
    let world = World::new("app");
    let (rows, cols) = (6u16, 20u16);
    let streams: &[(&str, &[u8])] = &[
        // Where helios differs on purpose, the streams stay clear of it: a REP past the end of
        // the row (tmux 3.3a stops at the margin; vt100, like xterm, wraps) and a REP of a
        // non-ASCII character (tmux 3.3a repeats only ASCII; vt100, like xterm, any), and CHT
        // (`CSI n I`, which tmux 3.3a ignores; helios moves as xterm does, see fixups.rs).
        ("rep", b"ab\x1b[5bc\r\n=\x1b[19b"),
        ("decawm", b"\x1b[?7labcdefghijklmnopqrstuvwxyz\r\n\x1b[?7h0123456789abcdefghijklm"),
        (
            "tabs",
            b"\x1b[3g\x1b[4G\x1bH\x1b[9G\x1bH\r\ta\tb\tc\x1b[Zd\r\n\t\te\x1b[9Zf\x1b[3g\r\n\x1b[5G\x1bH\x1b[13G\x1bH\r\t\tg\x1b[g\r\tx",
        ),
        ("ind-nel", b"top\x1b[6;1Hbottom\x1bDx\x1bEy\x1b[2;1Hmid\x1bEz"),
        ("decaln", b"junk\x1b[2;4r\x1b#8\x1b[3;3Hxy"),
    ];
    for (name, bytes) in streams {
        let file = world.path(&format!("{name}.out"));
        let mut all = bytes.to_vec();
        all.extend_from_slice(format!("\x1b[{rows};1H{name}-end").as_bytes());
        std::fs::write(&file, &all).unwrap();
        let session = format!("c-{name}");
        let cmd = format!("cat {}; exec sleep 600", file.display());
        let (r, c) = (rows.to_string(), cols.to_string());
        new_session(&world, &["-s", &session, "-x", &c, "-y", &r, &cmd]);
        // tmux's status line would take a row of the window.
        let out = world.tmux(&["set", "-t", &session, "status", "off"]);
        assert!(out.status.success(), "{out:?}");
        let capture = || {
            let out = world.tmux(&["capture-pane", "-p", "-t", &session]);
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        wait_until_or(
            &format!("tmux to draw {name}"),
            WAIT,
            || capture().contains(&format!("{name}-end")),
            capture,
        );
        let tmux_rows: Vec<String> = capture()
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect();
        let screen = helios::pty::LaneScreen::new(rows, cols, 0);
        let _ = screen.feed(&all);
        let helios_rows: Vec<String> =
            screen.with(|s| s.rows(0, cols).map(|l| l.trim_end().to_string()).collect());
        assert_eq!(helios_rows, tmux_rows, "{name}");
    }
}

/// A par lane in attach mode scrolls through its tmux history (the `tmux attach` client's
/// screen keeps none), and a search finds lines there; back at 0 the live screen shows again.
#[test]
fn a_par_lane_in_attach_mode_scrolls_and_searches_its_tmux_history() {
    require("tmux");
    let world = World::new("app");
    new_session(
        &world,
        &[
            "-s",
            "h",
            "-x",
            "80",
            "-y",
            "24",
            "seq -f 'history line %g' 1 300; exec cat",
        ],
    );
    let info = par_lane(&world, "h");
    // The history read stops at the lane's scrollback: 250 lines above the pane, not line 5.
    let (mut ptys, _rx) = ptys_keeping(&world, 250);
    assert!(ptys.sync(std::slice::from_ref(&info)).is_empty());
    let screen = ptys.screen(&info.id).unwrap();
    let id = info.id.clone();
    let view = move |p: &PortablePtys| {
        let mut text = String::new();
        p.screens().with_screen(&id, &mut |s| text = s.contents());
        text
    };
    wait_until_or(
        "tmux to draw the lane",
        WAIT,
        || screen.contents().contains("history line 300"),
        || screen.contents(),
    );
    assert!(
        !view(&ptys).contains("history line 200\n"),
        "{}",
        view(&ptys)
    );
    // Scrolled back 100 lines: rows from tmux's history, which the attach client never drew.
    ptys.set_scroll(&info.id, 100);
    wait_until_or(
        "the view to show tmux's history",
        WAIT,
        || view(&ptys).contains("history line 200\n"),
        || view(&ptys),
    );
    let mut found = None;
    ptys.screens().with_screen(&info.id, &mut |s| {
        found = Some(helios::pty::search::find(s, "line 5"));
    });
    let found = found.unwrap();
    // Of "history line 5" and 50 to 59, the 250 lines kept hold 50 to 59.
    assert_eq!(found.lines.len(), 10, "{found:?}");
    assert!(found.history >= 250, "{found:?}");
    // Live again: the attach client's screen, the history dropped.
    ptys.set_scroll(&info.id, 0);
    assert!(view(&ptys).contains("history line 300"), "{}", view(&ptys));
    assert!(
        !view(&ptys).contains("history line 200\n"),
        "{}",
        view(&ptys)
    );
    ptys.shutdown();
}

/// Real full-screen programs (vim, less, and an ncurses program) run in a helios-owned lane
/// and in a tmux pane of the same size with the same TERM: the same text in every row. tmux is
/// the reference emulator.
#[test]
fn real_programs_draw_as_in_tmux() {
    require("tmux");
    require("vim");
    require("less");
    require("python3");
    let world = World::new("app");
    let text = world.path("text.txt");
    let body: String = (1..=60)
        .map(|i| match i % 5 {
            0 => format!("{i}\tTabbed\tcolumns\there\n"),
            1 => format!(
                "{i} {}\n",
                "a long line that wraps past the edge ".repeat(3)
            ),
            2 => format!("{i} unicode: café — naïve ✓\n"),
            _ => format!("{i} plain line\n"),
        })
        .collect();
    std::fs::write(&text, body).unwrap();
    let curses = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/term/curses_demo.py");
    let programs = [
        (
            "vim",
            format!("vim -u NONE -N -i NONE -n {}", text.display()),
            "60L",
        ),
        ("less", format!("less {}", text.display()), "text.txt"),
        (
            "curses",
            format!("python3 {}", curses.display()),
            "curses-ready",
        ),
    ];
    let (rows, cols) = (24u16, 80u16);
    for (name, cmd, ready) in programs {
        // tmux: a pane of the lane's size, no status line, the lane's TERM.
        let session = format!("real-{name}");
        let (r, c) = (rows.to_string(), cols.to_string());
        let run = format!("TERM=xterm-256color LANG=C.UTF-8 {cmd}");
        new_session(&world, &["-s", &session, "-x", &c, "-y", &r, &run]);
        let tmux = |args: &[&str]| world.tmux(args);
        let out = tmux(&["set", "-t", &session, "status", "off"]);
        assert!(out.status.success(), "{out:?}");
        // The program drew at the window's size with the status line: again at the full size.
        let out = tmux(&["resize-window", "-t", &session, "-x", &c, "-y", &r]);
        assert!(out.status.success(), "{out:?}");
        let capture = || {
            String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &session]).stdout)
                .into_owned()
        };
        // helios: an owned lane running the same command.
        let info = LaneInfo {
            id: LaneId::new(name),
            branch: Some("main".into()),
            worktree: world.repo.clone(),
            source: LaneSource::Worktree,
            session_alive: true,
            git: GitCounts::default(),
        };
        let (mut ptys, _rx) = ptys(&world);
        assert!(ptys.sync(std::slice::from_ref(&info)).is_empty());
        let screen = ptys.screen(&info.id).unwrap();
        ptys.write(
            &info.id,
            format!("TERM=xterm-256color LANG=C.UTF-8 exec {cmd}\r").into_bytes(),
        )
        .unwrap();
        let rows_of = |text: &str| -> Vec<String> {
            let mut v: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
            v.resize(usize::from(rows), String::new());
            v
        };
        let helios_rows =
            || screen.with(|s| s.rows(0, cols).map(|l| l.trim_end().to_string()).collect());
        // Both settled on the same text: each program draws once and waits for a key.
        wait_until_or(
            &format!("{name} drawn the same in helios and in tmux"),
            WAIT,
            || {
                let t = capture();
                let h: Vec<String> = helios_rows();
                t.contains(ready) && h.iter().any(|r| r.contains(ready)) && rows_of(&t) == h
            },
            || {
                let t = rows_of(&capture());
                let h: Vec<String> = helios_rows();
                let mut diff = String::new();
                for (i, (a, b)) in t.iter().zip(&h).enumerate().filter(|(_, (a, b))| a != b) {
                    let _ = writeln!(diff, "row {i}:\n  tmux   {a:?}\n  helios {b:?}");
                }
                diff
            },
        );
        ptys.shutdown();
        tmux(&["kill-session", "-t", &session]);
    }
}
