//! A lane made with par itself under a label tmux renames (`fix.1`: tmux turns '.' and ':' in
//! session names into '_', par records the name it asked for): helios finds its session, shows
//! it running, refuses a send that par would fail, saying why, and removes it with its session
//! (par's own kill misses it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{World, require};

#[test]
fn a_par_lane_whose_session_tmux_renamed_shows_running_and_refuses_sends() {
    require("tmux");
    let par = require("par");
    let world = World::new("app");
    let out = std::process::Command::new(par)
        .args(["start", "fix.1"])
        .current_dir(&world.repo)
        .envs(world.env())
        .env_remove("TMUX")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sessions = world.tmux(&["list-sessions", "-F", "#{session_name}"]);
    let sessions = String::from_utf8_lossy(&sessions.stdout);
    assert!(sessions.trim_end().ends_with("-fix_1"), "{sessions}");

    let ls = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    let lanes: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
    let lane = lanes
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "fix.1")
        .unwrap();
    assert_eq!(
        lane["session"].as_str(),
        Some(sessions.trim_end()),
        "{lane}"
    );
    assert_eq!(lane["status"], "alive", "{lane}");

    let send = world
        .helios()
        .args(["lane", "send", "fix.1", "--", "echo hi"])
        .output()
        .unwrap();
    assert!(!send.status.success());
    let err = String::from_utf8_lossy(&send.stderr);
    assert!(
        err.contains("par cannot reach lane fix.1: tmux named its session"),
        "{err}"
    );

    let rm = world
        .helios()
        .args(["lane", "rm", "fix.1"])
        .output()
        .unwrap();
    assert!(
        rm.status.success(),
        "{}",
        String::from_utf8_lossy(&rm.stderr)
    );
    let left = world.tmux(&["list-sessions", "-F", "#{session_name}"]);
    assert!(
        !String::from_utf8_lossy(&left.stdout).contains("fix"),
        "the renamed session still runs: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}
