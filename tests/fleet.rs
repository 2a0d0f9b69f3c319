//! Lanes on many machines, with the real parts: a 3-node nats-server cluster (JetStream,
//! replicas 3) on loopback ports, four `helios serve` standing for four hosts (each its own
//! host name, state directory, tmux server and par state, with real par lanes), and a fifth
//! world standing for the machine a user watches from. Kill a NATS node, kill a host's serve,
//! and check what `helios lane ls --all-hosts --json` says; act on a remote lane through its
//! host's service; and a read-only NATS account that may watch but not act.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/hosts.rs"]
mod hosts;
#[path = "support/servers.rs"]
mod servers;
#[path = "support/sshd.rs"]
mod sshd;
mod support;
#[path = "support/tui.rs"]
mod tui;

use std::time::Duration;

use hosts::{
    Serve, all_hosts, events, helios_ok, new_lane, pane_shows, permission_hook, rows_of, type_into,
};
use serde_json::Value;
use servers::{NatsCluster, NatsServer, http_get};
use sshd::Sshd;
use support::{World, require, wait_until, wait_until_or};

#[test]
fn four_hosts_on_a_three_node_cluster_survive_a_lost_node_and_a_killed_host() {
    require("tmux");
    require("par");
    let mut cluster = NatsCluster::start();
    let url = cluster.url();
    let hosts = ["h0", "h1", "h2", "h3"];
    let worlds: Vec<World> = hosts.iter().map(|_| World::new("app")).collect();
    for (i, w) in worlds.iter().enumerate() {
        new_lane(w, &format!("a{i}"));
        new_lane(w, &format!("b{i}"));
    }
    let mut serves: Vec<Serve> = hosts
        .iter()
        .zip(&worlds)
        .map(|(h, w)| Serve::start(w, h, &url, &["--replicas", "3"]))
        .collect();
    let watcher = World::new("app");
    let logs = |serves: &[Serve]| {
        serves
            .iter()
            .map(Serve::log)
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    wait_until_or(
        "every host's two lanes, fresh, in lane ls --all-hosts",
        Duration::from_secs(60),
        || {
            all_hosts(&watcher, &url)
                .is_ok_and(|r| r.len() == 8 && r.iter().all(|x| x["stale"] == false))
        },
        || logs(&serves),
    );
    let rows = all_hosts(&watcher, &url).unwrap();
    for (i, h) in hosts.iter().enumerate() {
        let mine = rows_of(&rows, h);
        let labels: Vec<&str> = mine.iter().map(|r| r["label"].as_str().unwrap()).collect();
        assert_eq!(labels, [format!("a{i}"), format!("b{i}")], "{rows:?}");
        for r in mine {
            assert_eq!(r["repo"], "app");
            assert_eq!(r["status"], "alive");
            assert_eq!(r["attach"]["ssh"], *h);
            assert!(
                r["session"].as_str().unwrap().starts_with("par-app-"),
                "{r}"
            );
            assert!(r["age_secs"].as_u64().unwrap() < 60, "{r}");
        }
    }
    // The buckets were made with three replicas.
    let jsz = http_get(cluster.monitor_ports[0], "/jsz?streams=true&config=true");
    for stream in ["KV_HELIOS_LANES", "KV_HELIOS_HOSTS"] {
        let at = jsz
            .find(&format!("\"name\": \"{stream}\""))
            .unwrap_or_else(|| panic!("{stream} in {jsz}"));
        assert!(
            jsz[at..].contains("\"num_replicas\": 3"),
            "{stream}: {}",
            &jsz[at..]
        );
    }

    // A hook's state on h1 reaches the bucket (through serve's wake socket or its next scan).
    let a1 = rows_of(&rows, "h1")[0].clone();
    assert_eq!(a1["label"], "a1");
    permission_hook(&worlds[1], &a1);
    wait_until_or(
        "h1's lane a1 waiting for permission in the bucket",
        Duration::from_secs(20),
        || {
            all_hosts(&watcher, &url).is_ok_and(|r| {
                r.iter().any(|x| {
                    x["host"] == "h1"
                        && x["label"] == "a1"
                        && x["state"] == "waiting"
                        && x["state_kind"] == "permission"
                })
            })
        },
        || logs(&serves),
    );

    // `helios status` (and the console's NATS panel, from the same snapshot) names the nodes.
    let cluster_of = || {
        let out = watcher
            .helios()
            .args(["status", "--json"])
            .env("NATS_URL", &url)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        v["nats"]["cluster"].clone()
    };
    let c = cluster_of();
    assert_eq!(c["nodes"], serde_json::json!(["n0", "n1", "n2"]), "{c}");
    assert_eq!(c["lost"], serde_json::json!([]), "{c}");

    // One NATS node lost: nothing a user sees changes but the line naming it, and acting
    // still works.
    cluster.kill(0);
    wait_until_or(
        "status to name the lost node n0",
        Duration::from_secs(30),
        || {
            let c = cluster_of();
            c["lost"].as_array().is_some_and(|l| {
                l.iter().any(|n| {
                    n["node"] == "n0"
                        && n["streams"]
                            .as_array()
                            .is_some_and(|s| s.iter().any(|x| x == "KV_HELIOS_LANES"))
                })
            })
        },
        || format!("{}", cluster_of()),
    );
    let out = helios_ok(
        &watcher,
        &url,
        &["lane", "new", "c2", "--host", "h2", "--remote-repo", "app"],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("lane c2 created on h2"), "{said}");
    wait_until_or(
        "h2's new lane c2, and every host fresh, with a node down",
        Duration::from_secs(30),
        || {
            all_hosts(&watcher, &url).is_ok_and(|r| {
                r.len() == 9
                    && r.iter().all(|x| x["stale"] == false)
                    && r.iter().any(|x| x["host"] == "h2" && x["label"] == "c2")
            })
        },
        || format!("{}\n{}", logs(&serves), cluster.log(1)),
    );
    // `send all --host`: every lane of the repo on h2, and no other host's.
    let out = helios_ok(
        &watcher,
        &url,
        &[
            "lane",
            "send",
            "all",
            "--host",
            "h2",
            "--remote-repo",
            "app",
            "--",
            "echo",
            "all-on-h2",
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("sent to every lane of app on h2"), "{said}");
    let rows = all_hosts(&watcher, &url).unwrap();
    for r in &rows {
        let host: usize = r["host"].as_str().unwrap()[1..].parse().unwrap();
        let session = r["session"].as_str().unwrap();
        wait_until_or(
            "send all to reach exactly h2's lanes",
            Duration::from_secs(20),
            || pane_shows(&worlds[host], session, "all-on-h2") == (host == 2),
            || format!("{r}"),
        );
    }

    // A host's serve killed: its rows stay, shown stale with their age; the others stay fresh.
    serves[3].kill();
    wait_until_or(
        "h3 stale after its serve was killed",
        Duration::from_secs(20),
        || {
            all_hosts(&watcher, &url).is_ok_and(|r| {
                let h3 = rows_of(&r, "h3");
                h3.len() == 2 && h3.iter().all(|x| x["stale"] == true)
            })
        },
        || logs(&serves),
    );
    let rows = all_hosts(&watcher, &url).unwrap();
    assert_eq!(rows.len(), 9, "{rows:?}");
    for r in &rows {
        assert_eq!(r["stale"] == true, r["host"] == "h3", "{r}");
    }
    // The table says so too.
    let table = helios_ok(&watcher, &url, &["lane", "ls", "--all-hosts"]);
    let table = String::from_utf8_lossy(&table.stdout);
    let h3_line = table.lines().find(|l| l.starts_with("h3")).unwrap();
    assert!(
        h3_line.contains("STALE") && !h3_line.contains("STOPPED"),
        "{table}"
    );
    assert!(
        !table
            .lines()
            .filter(|l| l.starts_with("h1"))
            .any(|l| l.contains("STALE")),
        "{table}"
    );
}

/// The least-privilege layout of README "Many machines", as a server config.
fn accounts_config(dir: &std::path::Path) -> std::path::PathBuf {
    let conf = dir.join("accounts.conf");
    std::fs::write(&conf, include_str!("fixtures/nats/accounts.conf")).unwrap();
    conf
}

#[test]
fn a_read_only_account_can_watch_but_not_act_and_acts_are_journalled_on_both_sides() {
    require("tmux");
    require("par");
    let tmp = tempfile::tempdir().unwrap();
    let conf = accounts_config(tmp.path());
    let nats = NatsServer::start(&["-c", conf.to_str().unwrap()]);
    let as_user = |u: &str, p: &str| format!("nats://{u}:{p}@127.0.0.1:{}", nats.port);
    let host = World::new("app");
    new_lane(&host, "wt-1");
    let serve = Serve::start(&host, "build-box", &as_user("serve", "serve-pw"), &[]);
    let watcher = World::new("app");
    let viewer = as_user("viewer", "viewer-pw");
    wait_until_or(
        "the viewer sees build-box's lane",
        Duration::from_secs(30),
        || all_hosts(&watcher, &viewer).is_ok_and(|r| r.len() == 1 && r[0]["label"] == "wt-1"),
        || {
            format!(
                "{:?}\n{}\n{}",
                all_hosts(&watcher, &viewer),
                serve.log(),
                nats.log()
            )
        },
    );

    // The viewer may not act: refused by the server, said in one line, exit 1, journalled.
    let out = watcher
        .helios()
        .args([
            "lane",
            "send",
            "wt-1",
            "--host",
            "build-box",
            "--",
            "echo",
            "no",
        ])
        .env("NATS_URL", &viewer)
        .env("USER", "vera")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("NATS refused this account"), "{err}");
    assert!(err.contains("helios.svc.build-box.send"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let mine = events(&watcher);
    assert!(
        mine.iter().any(|e| e["action"] == "lane.text_sent"
            && e["result"] == "error"
            && e["actor"].as_str().unwrap().starts_with("vera@")),
        "{mine:?}"
    );
    // Nothing reached the host.
    assert!(
        !events(&host)
            .iter()
            .any(|e| e["action"] == "lane.text_sent")
    );

    // The operator may: the line reaches the lane, and both journals name the operator.
    let out = helios_ok(
        &watcher,
        &as_user("operator", "operator-pw"),
        &[
            "lane",
            "send",
            "wt-1",
            "--host",
            "build-box",
            "--",
            "echo",
            "from-afar",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sent to lane wt-1 on build-box"));
    let there = events(&host);
    let sent: Vec<&Value> = there
        .iter()
        .filter(|e| e["action"] == "lane.text_sent")
        .collect();
    assert_eq!(sent.len(), 1, "{there:?}");
    assert_eq!(sent[0]["result"], "ok");
    assert_eq!(sent[0]["detail"]["host"], "build-box");
    let operator = sent[0]["actor"].as_str().unwrap().to_string();
    assert!(
        events(&watcher)
            .iter()
            .any(|e| e["action"] == "lane.text_sent"
                && e["result"] == "ok"
                && e["actor"] == operator.as_str()),
        "the requesting side's journal names the same actor {operator}"
    );
    let rows = all_hosts(&watcher, &viewer).unwrap();
    let session = rows[0]["session"].as_str().unwrap().to_string();
    wait_until(
        "the line in the lane's pane",
        Duration::from_secs(10),
        || pane_shows(&host, &session, "from-afar"),
    );

    // A host that does not exist, and a lane that does not: one line each, exit 1.
    let out = watcher
        .helios()
        .args(["lane", "send", "wt-1", "--host", "nowhere", "--", "x"])
        .env("NATS_URL", as_user("operator", "operator-pw"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no helios serve answers for host nowhere"),
        "{err}"
    );
    let out = watcher
        .helios()
        .args(["lane", "rm", "nope", "--host", "build-box"])
        .env("NATS_URL", as_user("operator", "operator-pw"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("on build-box") && err.contains("nope"),
        "{err}"
    );
}

#[test]
fn all_hosts_without_any_host_or_server_is_one_clear_line() {
    let world = World::new("app");
    let nats = NatsServer::start(&[]);
    let err = all_hosts(&world, &nats.url()).unwrap_err();
    assert!(err.contains("no host publishes lanes"), "{err}");
    assert!(err.contains("helios serve"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let port = support::free_port();
    let err = all_hosts(&world, &format!("nats://127.0.0.1:{port}")).unwrap_err();
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn a_console_shows_every_hosts_lanes_and_opens_one_over_a_real_ssh() {
    require("tmux");
    require("par");
    require("ssh");
    let nats = NatsServer::start(&[]);
    let sshd = Sshd::start("box-ssh");
    let host = World::new("app");
    new_lane(&host, "wt-1");
    let serve = Serve::start(&host, "box", &nats.url(), &["--ssh", "box-ssh"]);
    // The watcher's user config names the ssh command: the test's client config, and one
    // shared connection per host.
    let watcher = World::new("app");
    std::fs::create_dir_all(sshd.control_dir()).unwrap();
    let cm = sshd.control_dir().join("%C");
    std::fs::create_dir_all(watcher.path("config/helios")).unwrap();
    std::fs::write(
        watcher.path("config/helios/config.toml"),
        format!(
            "[lanes]\nssh = [\"ssh\", \"-F\", {:?}, \"-o\", \"ControlMaster=auto\", \"-o\", \"ControlPath={}\", \"-o\", \"ControlPersist=60\"]\n",
            sshd.config.display().to_string(),
            cm.display()
        ),
    )
    .unwrap();
    // tmate's stand-in (no tmate server is reachable here) runs the share's attach for real.
    let path = format!(
        "{}/tests/fixtures/share:{}",
        env!("CARGO_MANIFEST_DIR"),
        std::env::var("PATH").unwrap()
    );
    let mut tui = tui::Tui::start(&watcher, &[("NATS_URL", &nats.url()), ("PATH", &path)]);
    wait_until_or(
        "the console to list box's lane",
        Duration::from_secs(30),
        || tui.contents().contains("box/wt-1"),
        || format!("{}\n{}", tui.contents(), serve.log()),
    );
    assert!(tui.contents().contains("ssh"), "{}", tui.contents());
    // Enter opens it: ssh to the host, tmux attach there; keys reach the lane. The list holds
    // this repo's own lane too (`app`), sorted first: select the last one, box/wt-1.
    tui.wait_for("the local lane listed too", "app", Duration::from_secs(20));
    tui.keys(b":lane.select_last\r");
    // Its pane says how to open it; nothing connects before that.
    tui.wait_for(
        "box/wt-1's pane",
        "Enter opens its terminal over ssh",
        Duration::from_secs(20),
    );
    assert!(
        std::fs::read_dir(sshd.control_dir())
            .unwrap()
            .next()
            .is_none()
    );
    tui.keys(b"\r");
    tui.wait_for("box/wt-1 focused", "FOCUS", Duration::from_secs(20));
    tui.keys(b"echo from-the-console-$((6*7))\r");
    let session = all_hosts(&watcher, &nats.url()).unwrap()[0]["session"]
        .as_str()
        .unwrap()
        .to_string();
    wait_until_or(
        "the line typed in the console to run in the remote lane",
        Duration::from_secs(30),
        || pane_shows(&host, &session, "from-the-console-42"),
        || format!("{}\n{}", tui.contents(), sshd.log()),
    );
    tui.wait_for(
        "the lane's output in the console",
        "from-the-console-42",
        Duration::from_secs(20),
    );
    // The connection is a shared one: the next open reuses it.
    assert!(
        std::fs::read_dir(sshd.control_dir())
            .unwrap()
            .next()
            .is_some(),
        "no ControlMaster socket"
    );

    // Out of focus, the palette acts on the remote lane through its host's helios serve: a
    // line sent, and a lane created there, each journalled there with this console's actor.
    tui.keys(b"\x07");
    tui.keys(b":lane send box/wt-1 echo via-$((2+3))\r");
    wait_until_or(
        "the palette's line to run in the remote lane",
        Duration::from_secs(30),
        || pane_shows(&host, &session, "via-5"),
        || tui.contents(),
    );
    // `all` is every lane shown, the other hosts' included: one request to box for its repo.
    tui.keys(b":lane send all echo to-all-$((3*3))\r");
    wait_until_or(
        "send all to reach the remote lane",
        Duration::from_secs(30),
        || pane_shows(&host, &session, "to-all-9"),
        || tui.contents(),
    );
    // Shared read-only from this console, as a local lane is: the share's terminal attaches
    // to the lane's tmux session on its host, over the same ssh, with `-r`.
    tui.keys(b"S");
    tui.wait_for("the share dialog", "tmate", Duration::from_secs(10));
    tui.keys(b"\r");
    tui.wait_for(
        "the share's links",
        "ro-standintoken",
        Duration::from_secs(30),
    );
    let readonly_clients = || {
        let out = host.tmux(&[
            "list-clients",
            "-t",
            &format!("={session}"),
            "-F",
            "#{client_readonly}",
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    wait_until_or(
        "a read-only client on the host's lane session",
        Duration::from_secs(30),
        || readonly_clients().lines().any(|l| l == "1"),
        || format!("{}\n{}", tui.contents(), sshd.log()),
    );
    tui.keys(b"x");
    wait_until_or(
        "the share's client to leave the host's session",
        Duration::from_secs(30),
        || !readonly_clients().lines().any(|l| l == "1"),
        || tui.contents(),
    );
    // Stopping closes the dialog.
    wait_until_or(
        "the share dialog to close",
        Duration::from_secs(10),
        || !tui.contents().contains("ro-standintoken"),
        || tui.contents(),
    );
    tui.keys(b":lane new c9 --host box\r");
    tui.wait_for(
        "box's new lane in the list",
        "box/c9",
        Duration::from_secs(30),
    );
    // The new lane can show in the list (serve publishes its row) before the host's journal
    // thread has written the act's result: wait for the journal.
    wait_until_or(
        "the host to journal the remote acts",
        Duration::from_secs(20),
        || {
            let there = events(&host);
            ["lane.text_sent", "lane.created"].iter().all(|action| {
                there
                    .iter()
                    .any(|e| e["action"] == *action && e["detail"]["via"] == "nats")
            })
        },
        || format!("{:?}", events(&host)),
    );
    let there = events(&host);
    // `send all` there: journalled for each lane it reached, with that lane's own result.
    assert!(
        there.iter().any(|e| e["action"] == "lane.text_sent"
            && e["lane"] != "all"
            && e["detail"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("to-all"))
            && e["result"] == "ok"
            && e["detail"]["via"] == "nats"),
        "{there:?}"
    );
    for action in ["lane.text_sent", "lane.created"] {
        let e = there
            .iter()
            .find(|e| e["action"] == action && e["detail"]["via"] == "nats")
            .unwrap_or_else(|| panic!("{action} in {there:?}"));
        assert_eq!(e["result"], "ok", "{e}");
        assert!(e["actor"].as_str().unwrap().contains('@'), "{e}");
    }
    let here = events(&watcher);
    assert!(
        here.iter().any(|e| e["action"] == "lane.created"
            && e["result"] == "ok"
            && e["detail"]["host"] == "box"),
        "{here:?}"
    );
    for action in ["share.started", "share.stopped"] {
        assert!(
            here.iter()
                .any(|e| e["action"] == action && e["result"] == "ok" && e["lane"] == "box/wt-1"),
            "{action} in {here:?}"
        );
    }

    // A hook's state on the host shows in the console (pushed through the bucket).
    let row = all_hosts(&watcher, &nats.url())
        .unwrap()
        .into_iter()
        .find(|r| r["label"] == "wt-1")
        .unwrap();
    permission_hook(&host, &row);
    tui.wait_for(
        "box's lane waiting in the console",
        "permission",
        Duration::from_secs(20),
    );

    // The host's serve killed: the lane stays, marked stale.
    drop(serve);
    tui.wait_for("box's lane shown stale", "stale", Duration::from_secs(20));
    assert!(tui.contents().contains("box/wt-1"), "{}", tui.contents());
}

#[test]
fn a_console_without_nats_shows_its_own_lanes_and_says_the_others_are_unknown() {
    let world = World::new("app");
    let closed = format!("nats://127.0.0.1:{}", support::free_port());
    let tui = tui::Tui::start(&world, &[("NATS_URL", &closed)]);
    tui.wait_for("the local lane", "app", Duration::from_secs(20));
    tui.wait_for(
        "the list saying other hosts are unknown",
        "other hosts unknown",
        Duration::from_secs(30),
    );
    let shown = tui.contents();
    assert!(
        shown.contains(" app ") && shown.contains("shell"),
        "{shown}"
    );
    assert!(shown.contains("is unreachable"), "{shown}");
}

/// A console started before any `helios serve` waits on its connection for the advisory that
/// the buckets were made, so the first serve's lanes show at once (its next look of its own is
/// 30 s away), and it does not ask for the missing buckets every few seconds.
#[test]
fn a_console_started_before_any_serve_shows_the_first_serves_lanes_at_once() {
    require("tmux");
    require("par");
    let nats = NatsServer::start(&[]);
    let watcher = World::new("app");
    let tui = tui::Tui::start(&watcher, &[("NATS_URL", &nats.url())]);
    // It listens for the advisory, then looks once and finds no buckets.
    let advisory = "$JS.EVENT.ADVISORY.STREAM.CREATED.KV_HELIOS_LANES";
    wait_until_or(
        "the console to listen for the buckets' advisory",
        Duration::from_secs(20),
        || http_get(nats.monitor_port, "/connz?subs=1").contains(advisory),
        || http_get(nats.monitor_port, "/connz?subs=1"),
    );
    let api_errors = || {
        let jsz = http_get(nats.monitor_port, "/jsz");
        jsz.find('{')
            .and_then(|body| serde_json::from_str::<Value>(&jsz[body..]).ok())
            .and_then(|j| j["api"]["errors"].as_u64())
            .unwrap_or(0)
    };
    wait_until_or(
        "the console's look for the buckets",
        Duration::from_secs(20),
        || api_errors() >= 1,
        || http_get(nats.monitor_port, "/jsz"),
    );
    let host = World::new("app");
    new_lane(&host, "first");
    let serve = Serve::start(&host, "box", &nats.url(), &[]);
    wait_until_or(
        "the console to list box's lane well before its own next look",
        Duration::from_secs(20),
        || tui.contents().contains("box/first"),
        || format!("{}\n{}", tui.contents(), serve.log()),
    );
    // The server lost while the console watches: the list says the other hosts are unknown
    // (before, the watch waited on its reconnecting client and only the rows' age showed it);
    // the server back, it says so no more, status line included.
    let mut nats = nats;
    nats.stop();
    tui.wait_for(
        "the list to say the other hosts are unknown",
        "other hosts unknown",
        Duration::from_secs(20),
    );
    nats.restart();
    wait_until_or(
        "the unknown to clear once the server is back",
        Duration::from_secs(30),
        || {
            let shown = tui.contents();
            !shown.contains("other hosts unknown") && !shown.contains("lanes unknown")
        },
        || tui.contents(),
    );
    assert!(tui.contents().contains("box/first"), "{}", tui.contents());
}

#[test]
fn a_serve_stopped_with_sigterm_says_so_and_its_rows_stay() {
    let nats = NatsServer::start(&[]);
    let host = World::new("app");
    let mut serve = Serve::start(&host, "quiet-box", &nats.url(), &[]);
    let watcher = World::new("app");
    wait_until_or(
        "quiet-box's lane, fresh",
        Duration::from_secs(30),
        || all_hosts(&watcher, &nats.url()).is_ok_and(|r| r.len() == 1 && r[0]["stale"] == false),
        || serve.log(),
    );
    let child = serve.child.take().unwrap();
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}: {}", out.status, serve.log());
    assert!(serve.log().is_empty(), "{}", serve.log());
    // The last heartbeat says it stopped: stale at once, not a heartbeat and a half later.
    let rows = all_hosts(&watcher, &nats.url()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["stale"], true, "{rows:?}");
    assert_eq!(rows[0]["host"], "quiet-box");
    assert_eq!(
        rows[0]["stale_reason"], "the host's helios serve stopped",
        "{rows:?}"
    );
    let table = helios_ok(&watcher, &nats.url(), &["lane", "ls", "--all-hosts"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("SERVE STOPPED, "), "{table}");
}

#[test]
fn a_host_without_a_console_decides_its_lanes_states_from_tmux() {
    require("tmux");
    require("par");
    require("python3");
    let nats = NatsServer::start(&[]);
    let host = World::new("app");
    new_lane(&host, "idle");
    new_lane(&host, "agent");
    let serve = Serve::start(&host, "box", &nats.url(), &[]);
    let row = |label: &str| -> Option<Value> {
        all_hosts(&host, &nats.url())
            .ok()?
            .into_iter()
            .find(|r| r["label"] == label)
    };
    // An idle shell is a shell, decided by serve (no hook, no console).
    wait_until_or(
        "the idle lane published as a shell",
        Duration::from_secs(30),
        || row("idle").is_some_and(|r| r["state"] == "shell"),
        || format!("{:?}\n{}", row("idle"), serve.log()),
    );
    // An agent without hooks asks for permission: its screen says so.
    let session = row("agent").unwrap()["session"]
        .as_str()
        .unwrap()
        .to_string();
    let standin = format!(
        "{}/tests/fixtures/agents/standin.py",
        env!("CARGO_MANIFEST_DIR")
    );
    type_into(
        &host,
        &session,
        &format!("HOOKS=0 python3 '{standin}' claude"),
    );
    wait_until_or(
        "the stand-in's input box",
        Duration::from_secs(30),
        || pane_shows(&host, &session, "for shortcuts"),
        || format!("{:?}", row("agent")),
    );
    type_into(&host, &session, "clean the build");
    wait_until_or(
        "the agent lane published waiting for permission, read from its screen",
        Duration::from_secs(30),
        || {
            row("agent").is_some_and(|r| {
                r["state"] == "waiting"
                    && r["state_kind"] == "permission"
                    && r["state_source"] == "screen"
            })
        },
        || format!("{:?}\n{}", row("agent"), serve.log()),
    );
    assert_eq!(
        row("agent").unwrap()["state_reason"],
        "Remove the build directory"
    );
    assert_eq!(row("idle").unwrap()["state"], "shell");
}
