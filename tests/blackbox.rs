//! The built helios binary in a PTY, driven with keys like a user: the screen is read through a
//! vt100 parser, lanes are real par/tmux lanes or plain git worktrees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use helios::store::sqlite::SqliteStore;
use helios::store::{EventQuery, EventStore};
use support::{World, require, wait_until, wait_until_or};

#[path = "support/shell_tui.rs"]
mod shell_tui;

use shell_tui::{Tui, WAIT, assert_restored, capture_pane, helios_pid, session_of};

#[test]
fn focus_a_par_lane_type_a_command_and_quit() {
    require("tmux");
    require("par");
    let world = World::new("app");
    for name in ["one", "two"] {
        let st = world.helios().args(["lane", "new", name]).output().unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let two = session_of(&world, "two");

    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "two");
    tui.wait_for("the lane list", "one");
    // Select the second lane, focus it, and type into its real tmux session.
    tui.keys(b"j");
    tui.keys(b"\r");
    wait_until("focus to be recorded", WAIT, || {
        SqliteStore::open(&world.path("state/helios/helios.db"))
            .and_then(|s| s.query(&EventQuery::default()))
            .is_ok_and(|evs| evs.iter().any(|e| e.action == "lane.focused"))
    });
    tui.keys(b"echo bb-$((3*4))\r");
    wait_until_or(
        "the command to run in lane two's tmux session",
        WAIT,
        || capture_pane(&world, &two).contains("bb-12"),
        || {
            format!(
                "helios shows:\n{}\npane:\n{}",
                tui.contents(),
                capture_pane(&world, &two)
            )
        },
    );
    tui.wait_for("the output in helios's pane", "bb-12");
    // Leave focus, then q quits helios (the lanes keep running).
    tui.keys(b"\x07");
    tui.keys(b"q");
    let out = tui.wait_exit();
    assert!(out.contains("helios-exit=0"), "helios did not exit cleanly");
    assert_restored(&out);
    assert!(
        capture_pane(&world, &two).contains("bb-12"),
        "lane two's session is gone"
    );

    let store = SqliteStore::open(&world.path("state/helios/helios.db")).unwrap();
    let events = store.query(&EventQuery::default()).unwrap();
    let focused = events.iter().find(|e| e.action == "lane.focused").unwrap();
    assert_eq!(focused.lane.as_deref(), Some("two"));
    assert!(events.iter().any(|e| e.action == "config.loaded"));
}

#[test]
fn plain_worktree_without_par_gets_a_shell_and_sigterm_restores() {
    require("git");
    let world = World::new("app");
    let wt = world.path("feature-x");
    world.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature-x",
        wt.to_str().unwrap(),
    ]);

    // The echo trace the swarm bench reads is on too (HELIOS_ECHO_TRACE).
    let trace = world.path("echo-trace");
    std::fs::create_dir_all(&trace).unwrap();
    let mut tui = Tui::start(
        &world,
        &[
            ("PATH", "/usr/bin:/bin"),
            ("SHELL", "/bin/sh"),
            ("HELIOS_ECHO_TRACE", trace.to_str().unwrap()),
        ],
    );
    tui.wait_for("the worktree lane", "feature-x");
    // Lanes sort by label: app, feature-x.
    tui.keys(b"j");
    tui.keys(b"\r");
    // Wait for focus before typing: keys typed earlier go to the keymap.
    wait_until("focus to be recorded", WAIT, || {
        SqliteStore::open(&world.path("state/helios/helios.db"))
            .and_then(|s| s.query(&EventQuery::default()))
            .is_ok_and(|evs| evs.iter().any(|e| e.action == "lane.focused"))
    });
    tui.keys(b"echo in-$(basename \"$PWD\")-$((2*3))\r");
    tui.wait_for("the shell runs in the worktree", "in-feature-x-6");

    // SIGTERM: helios quits and gives the terminal back.
    let pid = helios_pid(&world);
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(st.success());
    let out = tui.wait_exit();
    assert_restored(&out);
    assert_echo_traced(&trace);
}

/// The console's echo trace (written out as it quit) has a key, then its write into the lane,
/// the lane's echo read back and a frame drawn, in that order on the monotonic clock.
fn assert_echo_traced(dir: &std::path::Path) {
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert_eq!(files.len(), 1, "one console, one trace file");
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let steps: Vec<(u64, &str)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(
                f.len(),
                3,
                "a trace line is `<start µs> <took µs> <step>`: {l:?}"
            );
            f[1].parse::<u64>().unwrap();
            (f[0].parse::<u64>().unwrap(), f[2])
        })
        .collect();
    let after = |name: &str, t: u64| {
        steps
            .iter()
            .filter(|(at, n)| *n == name && *at >= t)
            .map(|(at, _)| *at)
            .min()
    };
    let key = steps
        .iter()
        .filter(|(_, n)| *n == "key")
        .map(|(at, _)| *at)
        .max()
        .unwrap_or_else(|| panic!("no key in the trace:\n{text}"));
    // The last key is the command's Enter: its write, the output read and a frame follow.
    let write =
        after("write", key).unwrap_or_else(|| panic!("no write after the last key:\n{text}"));
    let read = after("read", write).unwrap_or_else(|| panic!("no read after the write:\n{text}"));
    after("drawn", read).unwrap_or_else(|| panic!("no frame after the read:\n{text}"));
}

#[test]
fn corrupt_par_state_still_opens_the_console() {
    require("par");
    let world = World::new("app");
    let state = world.path("data/par/global_state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, "not json").unwrap();
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for(
        "the error on the status line",
        "par state file is unreadable",
    );
    tui.keys(b"q");
    let out = tui.wait_exit();
    assert!(out.contains("helios-exit=0"));
    assert_restored(&out);
}

/// The pid of the helios process running for `world` (its cwd is the world's repo).
/// `git clone X && cd X && helios` must not run the shell X's `.helios.toml` names until the
/// user trusts it; once trusted, it does (so the first half can fail).
#[test]
fn a_cloned_repo_cannot_run_its_shell_until_trusted() {
    require("git");
    let world = World::new("cloned");
    let marker = world.path("repo-shell-ran");
    let tools = world.repo.join(".tools");
    std::fs::create_dir_all(&tools).unwrap();
    let script = |path: &std::path::Path, body: &str| {
        std::fs::write(path, format!("#!/bin/sh\n{body}\nexec /bin/sh\n")).unwrap();
        let st = std::process::Command::new("chmod")
            .arg("+x")
            .arg(path)
            .status()
            .unwrap();
        assert!(st.success());
    };
    script(
        &tools.join("init.sh"),
        &format!("touch '{}'; echo repo-shell-ran", marker.display()),
    );
    let user_shell = world.path("user-shell.sh");
    script(&user_shell, "echo user-shell-ok");
    std::fs::create_dir_all(world.path("config/helios")).unwrap();
    std::fs::write(
        world.path("config/helios/config.toml"),
        format!("[lanes]\nshell = \"{}\"\n", user_shell.display()),
    )
    .unwrap();
    std::fs::write(
        world.repo.join(".helios.toml"),
        "[lanes]\nshell = \"./.tools/init.sh\"\n",
    )
    .unwrap();

    let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin")]);
    tui.wait_for("the user's own shell in the lane", "user-shell-ok");
    tui.wait_for("the notice in the status line", "not trusted");
    assert!(!marker.exists(), "the untrusted repo's shell ran");
    tui.quit_owned();

    let out = world.helios().arg("trust").output().unwrap();
    assert!(out.status.success());
    let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin")]);
    tui.wait_for("the trusted repo's shell", "repo-shell-ran");
    assert!(marker.exists());
    tui.quit_owned();
}

/// The journal takes no append (its `events` table is damaged): a send from the console is
/// refused with a status-line message and never reaches the lane.
#[test]
fn no_send_without_its_audit_event() {
    require("git");
    let world = World::new("app");
    // Migrate the journal, give `events` pages of its own, then overwrite its root page.
    let out = world.helios().arg("events").output().unwrap();
    assert!(out.status.success());
    let db = world.path("state/helios/helios.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    for i in 0..200 {
        conn.execute(
            "INSERT INTO events (id, at, actor, repo, action, lane, result, detail) VALUES (?1, '2026-01-01T00:00:00Z', 'a', 'r', 'x', NULL, 'ok', '{}')",
            [format!("fill-{i}")],
        )
        .unwrap();
    }
    let root: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page: i64 = conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&db).unwrap();
    let at = usize::try_from((root - 1) * page).unwrap();
    bytes[at..at + usize::try_from(page).unwrap()].fill(0xA5);
    std::fs::write(&db, bytes).unwrap();

    let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin"), ("SHELL", "/bin/sh")]);
    tui.wait_for("the lane", "app");
    tui.wait_for("the journal failure in the status line", "audit journal");
    tui.keys(b"s");
    tui.keys(b"echo sent-$((6*7))\r");
    tui.wait_for("the refusal", "not done");
    assert!(!tui.contents().contains("sent-42"), "{}", tui.contents());
    tui.quit_owned();
}

/// The tmux server that holds the par lanes dies under a running console: the console stays
/// responsive, shows the lanes without their sessions, and quits cleanly.
#[test]
fn the_tmux_server_killed_under_a_running_console() {
    require("tmux");
    require("par");
    let world = World::new("app");
    for name in ["one", "two"] {
        let st = world.helios().args(["lane", "new", name]).output().unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "two");
    let st = std::process::Command::new("tmux")
        .arg("kill-server")
        .envs(world.env())
        .env_remove("TMUX")
        .status()
        .unwrap();
    assert!(st.success());
    tui.keys(b"r");
    tui.wait_for("the lanes shown as ended", "exited · ");
    tui.keys(b"?");
    tui.wait_for(
        "the help overlay (the console still answers keys)",
        "help · esc closes",
    );
    tui.keys(b"x");
    wait_until("the help overlay to close", WAIT, || {
        !tui.contents().contains("help · esc closes")
    });
    tui.keys(b"q");
    let out = tui.wait_exit();
    assert!(out.contains("helios-exit=0"), "{out}");
    assert_restored(&out);
}

/// 25 plain lanes print while the terminal is resized 200 times: the console keeps answering
/// keys, draws at the final size, and quits cleanly.
#[test]
fn a_resize_storm_while_25_lanes_print() {
    require("git");
    let world = World::new("app");
    for i in 0..24 {
        let wt = world.path(&format!("wt-{i:02}"));
        world.git(&[
            "worktree",
            "add",
            "-q",
            "-b",
            &format!("wt-{i:02}"),
            wt.to_str().unwrap(),
        ]);
    }
    let shell = world.path("printer.sh");
    std::fs::write(
        &shell,
        "#!/bin/sh\ni=0\nwhile [ $i -lt 3000 ]; do printf 'line %s %s \\033[31mred\\033[0m\\n' $i \"$(basename \"$PWD\")\"; i=$((i+1)); done\nexec /bin/sh\n",
    )
    .unwrap();
    let st = std::process::Command::new("chmod")
        .arg("+x")
        .arg(&shell)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::create_dir_all(world.path("config/helios")).unwrap();
    std::fs::write(
        world.path("config/helios/config.toml"),
        format!("[lanes]\nshell = \"{}\"\n", shell.display()),
    )
    .unwrap();
    let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin")]);
    tui.wait_for("all 25 lanes", "lanes 25/25");
    tui.keys(b"z");
    for i in 0..200u16 {
        tui.resize(20 + (i * 7) % 40, 60 + (i * 13) % 140);
    }
    tui.resize(30, 110);
    tui.keys(b"?");
    tui.wait_for("the help overlay after the storm", "help · esc closes");
    tui.keys(b"x");
    wait_until("the help overlay to close", WAIT, || {
        !tui.contents().contains("help · esc closes")
    });
    // The lanes' printer may still be in the foreground as the console last probed them.
    let out = tui.quit_owned();
    assert!(out.contains("helios-exit=0"), "{}", tui.contents());
    assert!(!out.contains("panicked"), "{out}");
    assert_restored(&out);
}

/// The state letter of process `pid` (`T` when stopped).
fn proc_state(pid: &str) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .and_then(|r| r.trim_start().chars().next())
        .unwrap_or('?')
}

#[test]
fn ctrl_z_suspends_with_the_terminal_restored_and_fg_redraws() {
    require("git");
    let world = World::new("app");
    let wt = world.path("feature-x");
    world.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature-x",
        wt.to_str().unwrap(),
    ]);
    // `set -m`: the shell runs helios as a job of its own and can continue it, like a login
    // shell does; `read` holds the shell until the test says to bring helios back.
    let script = format!(
        "set -m; '{}'; echo \"stopped-$?\"; stty -a; echo stty-done; read x; fg; echo \"helios-exit=$?\"",
        support::helios_bin().display()
    );
    let env = [("PATH", "/usr/bin:/bin"), ("SHELL", "/bin/sh")];
    let mut tui = Tui::start_script(&world, &env, &script);
    tui.wait_for("the worktree lane", "feature-x");
    let pid = helios_pid(&world);

    tui.keys(b"\x1a");
    wait_until_or(
        "the shell to see helios stop",
        WAIT,
        || tui.raw().contains("stty-done"),
        || tui.raw(),
    );
    assert_eq!(proc_state(&pid), 'T', "helios is stopped");
    let out = tui.raw();
    assert!(out.contains("stopped-147"), "stopped by SIGSTOP: {out}");
    assert_restored(&out);
    assert!(out.contains("\x1b[?25h"), "cursor shown");
    assert!(out.contains("\x1b[?1000l"), "mouse reporting off");

    // `fg`: helios takes the terminal again and draws everything anew.
    let before = tui.raw.lock().unwrap().len();
    tui.keys(b"\n");
    wait_until_or(
        "helios to redraw after fg",
        WAIT,
        || {
            let raw = tui.raw.lock().unwrap();
            let after = String::from_utf8_lossy(&raw[before..]);
            after.contains("\x1b[?1049h") && after.contains("feature-x")
        },
        || tui.contents(),
    );
    assert_ne!(proc_state(&pid), 'T');
    tui.keys(b"q");
    let out = tui.wait_exit_with("helios-exit=0");
    assert!(out.contains("helios-exit=0"), "{out}");
}

#[test]
fn ctrl_z_without_job_control_is_refused_not_a_hang() {
    require("git");
    let world = World::new("app");
    let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin"), ("SHELL", "/bin/sh")]);
    tui.wait_for("the console", "lanes");
    tui.keys(b"\x1a");
    tui.wait_for("the refusal", "cannot suspend");
    tui.keys(b"q");
    let out = tui.wait_exit();
    assert!(out.contains("helios-exit=0"));
    assert_restored(&out);
}

/// The events panel opens with the journal's history from earlier runs, and `Enter` shows one
/// event's full JSON in an overlay.
#[test]
fn events_panel_shows_earlier_runs_and_one_events_json() {
    use helios::store::{AuditEvent, EventStore as _};
    require("git");
    let world = World::new("app");
    let db = world.path("state/helios/helios.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let mut old = AuditEvent::new(
        "ada@elsewhere",
        "app",
        "lane.created",
        Some("yesterday-lane"),
        true,
        serde_json::json!({"note": "from an earlier run"}),
    );
    old.at -= time::Duration::days(1);
    SqliteStore::open(&db).unwrap().append(&old).unwrap();

    let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin"), ("SHELL", "/bin/sh")]);
    tui.wait_for("the console", " LANES ");
    tui.keys(b"2");
    tui.wait_for("the earlier run's event", "yesterday-lane");
    // The oldest event is the earlier run's: select it, open its JSON.
    tui.keys(&[b'k'; 50]);
    tui.keys(b"\r");
    tui.wait_for("the event's JSON", "\"note\": \"from an earlier run\"");
    assert!(
        tui.contents().contains("\"actor\": \"ada@elsewhere\""),
        "{}",
        tui.shows()
    );
    tui.keys(b"\x1b");
    wait_until_or(
        "the overlay to close",
        WAIT,
        // The overlay's pretty JSON (the row's detail column shows the compact one).
        || !tui.contents().contains("\"note\": "),
        || tui.shows(),
    );
    tui.keys(b"q");
    let out = tui.wait_exit();
    assert_restored(&out);
}

/// A lane's title shows in its pane's border, escaped; its OSC 52 reaches helios's terminal
/// only with `[lanes] clipboard = "allow"`, and every attempt is an audit event.
#[test]
fn lane_title_shows_and_its_clipboard_needs_the_config() {
    require("git");
    for allow in [false, true] {
        let world = World::new("app");
        std::fs::create_dir_all(world.path("config/helios")).unwrap();
        let policy = if allow { "allow" } else { "refuse" };
        std::fs::write(
            world.path("config/helios/config.toml"),
            format!("[lanes]\nclipboard = \"{policy}\"\n"),
        )
        .unwrap();
        let mut tui = Tui::start(&world, &[("PATH", "/usr/bin:/bin"), ("SHELL", "/bin/sh")]);
        tui.wait_for("the main checkout's lane", "app");
        tui.keys(b"\r");
        wait_until("focus to be recorded", WAIT, || {
            SqliteStore::open(&world.path("state/helios/helios.db"))
                .and_then(|s| s.query(&EventQuery::default()))
                .is_ok_and(|evs| evs.iter().any(|e| e.action == "lane.focused"))
        });
        // A title with a bidi override, and "secret" for the clipboard (base64 c2VjcmV0), made
        // by the shell so the typed line itself holds neither.
        tui.keys(b"printf '\\033]2;built \\342\\200\\256ok\\007\\033]52;c;%s\\007' $(printf secret | base64); echo done-$((6*7))\r");
        tui.wait_for("the lane's output", "done-42");
        tui.wait_for("the lane's title, escaped", "built \\u{202e}ok");
        let copied = "\x1b]52;c;c2VjcmV0\x07";
        let journalled = || {
            SqliteStore::open(&world.path("state/helios/helios.db"))
                .and_then(|s| s.query(&EventQuery::default()))
                .map(|evs| {
                    evs.into_iter()
                        .filter(|e| e.action == "lane.clipboard")
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        wait_until_or(
            "the clipboard attempt's audit event",
            WAIT,
            || !journalled().is_empty(),
            || tui.shows(),
        );
        let event = &journalled()[0];
        assert_eq!(event.lane.as_deref(), Some("app"));
        let detail = event.detail.to_string();
        assert!(!detail.contains("secret"), "{detail}");
        if allow {
            wait_until_or(
                "OSC 52 written to helios's terminal",
                WAIT,
                || tui.raw().contains(copied),
                || tui.shows(),
            );
            assert!(detail.contains("copied"), "{detail}");
        } else {
            tui.wait_for("the refusal", "tried to set the clipboard");
            assert!(detail.contains("refused"), "{detail}");
            assert!(
                !tui.raw().contains("\x1b]52;"),
                "OSC 52 reached the terminal"
            );
        }
        tui.keys(b"\x07");
        tui.keys(b"q");
        let out = tui.wait_exit();
        assert_restored(&out);
    }
}

/// Showing the grid never resizes an agent: the par lanes' tmux windows keep their size with
/// the grid on and off (a tile shows the rows around the lane's cursor instead).
#[test]
fn the_grid_never_resizes_a_par_lanes_window() {
    require("tmux");
    require("par");
    let world = World::new("app");
    for name in ["one", "two"] {
        let st = world.helios().args(["lane", "new", name]).output().unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let sessions = [session_of(&world, "one"), session_of(&world, "two")];
    let tmux = |args: &[&str]| {
        let out = std::process::Command::new("tmux")
            .args(args)
            .envs(world.env())
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let sizes = || {
        sessions
            .iter()
            .map(|s| {
                let target = format!("={s}:");
                tmux(&[
                    "display",
                    "-p",
                    "-t",
                    &target,
                    "#{window_width}x#{window_height}",
                ])
            })
            .collect::<Vec<_>>()
    };
    // A command's output in every lane, seen in helios: tmux has handled what helios did to
    // its clients before (a resize reaches the server before the keys sent after it).
    let settle = |tui: &Tui, round: u32| {
        for s in &sessions {
            let target = format!("={s}:");
            tmux(&[
                "send-keys",
                "-t",
                &target,
                &format!("echo r{round}-$((6*7))"),
                "Enter",
            ]);
        }
        tui.wait_for("the lanes' output", &format!("r{round}-42"));
        for s in &sessions {
            let target = format!("={s}:");
            wait_until("the output in the lane", WAIT, || {
                tmux(&["capture-pane", "-p", "-t", &target]).contains(&format!("r{round}-42"))
            });
        }
    };
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for("the lane list", "two");
    // The single view sizes the lane in front through its attach client, which starts after
    // the lane shows its pane's output: the sizes compared are the ones after it attached
    // (measured before it, one window changed when the client came, after `z`, in ci74).
    wait_until("the lane in front's tmux client", WAIT, || {
        !tmux(&["list-clients", "-F", "#{client_session}"]).is_empty()
    });
    settle(&tui, 1);
    let before = sizes();
    tui.keys(b"z");
    settle(&tui, 2);
    assert_eq!(sizes(), before, "the grid resized a lane's window");
    // Both tiles show their lane, around the cursor.
    wait_until_or(
        "both lanes' latest output in their tiles",
        WAIT,
        || tui.contents().matches("r2-42").count() >= 2,
        || tui.shows(),
    );
    tui.keys(b"z");
    settle(&tui, 3);
    assert_eq!(sizes(), before, "leaving the grid resized a lane's window");
    tui.keys(b"q");
    let out = tui.wait_exit();
    assert_restored(&out);
}

/// An owned lane whose shell cannot start (`[lanes] shell` names no program) is shown as
/// ended, not `connecting…` for good, and `R` tries it again (it said "running" before).
#[test]
fn a_lane_whose_shell_cannot_start_is_ended_and_r_tries_again() {
    require("git");
    let world = World::new("app");
    std::fs::create_dir_all(world.path("config/helios")).unwrap();
    std::fs::write(
        world.path("config/helios/config.toml"),
        "[lanes]\nshell = \"/nonexistent/sh\"\n",
    )
    .unwrap();
    let mut tui = Tui::start(&world, &[]);
    tui.wait_for(
        "the reason in the status line",
        "cannot start /nonexistent/sh",
    );
    tui.wait_for("the lane shown as ended", "exited");
    assert!(
        !tui.contents().contains("connecting…"),
        "{}",
        tui.contents()
    );
    tui.keys(b"R");
    wait_until_or(
        "R to try the shell again",
        WAIT,
        || {
            SqliteStore::open(&world.path("state/helios/helios.db"))
                .and_then(|s| s.query(&EventQuery::default()))
                .is_ok_and(|evs| {
                    evs.iter().any(|e| {
                        e.action == "lane.restarted"
                            && e.result == helios::store::EventResult::Error
                    })
                })
        },
        || tui.contents(),
    );
    assert!(!tui.contents().contains("is running"), "{}", tui.contents());
    tui.keys(b"q");
    tui.wait_exit();
}
