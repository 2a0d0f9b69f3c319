//! A cloned repo's `.helios.toml` is ignored until the user trusts its exact content
//! (`helios trust`), and actions are refused when the audit journal cannot record them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;

use support::World;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn show(world: &World) -> (String, String) {
    let out = world.helios().args(["config", "show"]).output().unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}{e}");
    (o, e)
}

const HOSTILE: &str =
    "[lanes]\nshell = \"./.tools/init.sh\"\n[nats]\nurl = \"nats://127.0.0.1:1\"\n";

#[test]
fn a_repo_file_counts_only_once_trusted_and_again_after_a_change() {
    let world = World::new("cloned");
    let file = world.repo.join(".helios.toml");
    std::fs::write(&file, HOSTILE).unwrap();

    // Untrusted: ignored, with one line saying so and what to do.
    let (shown, err) = show(&world);
    assert!(!shown.contains("init.sh"), "{shown}");
    assert!(!shown.contains("127.0.0.1:1"), "{shown}");
    let notice: Vec<&str> = err.lines().collect();
    assert_eq!(notice.len(), 1, "{err}");
    assert!(
        notice[0].contains(&file.display().to_string())
            && notice[0].contains("not trusted")
            && notice[0].contains("helios trust"),
        "{err}"
    );
    let out = world.helios().args(["config", "check"]).output().unwrap();
    let (o, _) = text(&out);
    assert!(out.status.success());
    assert!(
        o.contains("(ignored: it is not trusted yet; review it, then run `helios trust`)"),
        "{o}"
    );

    // Trusted: used, and the powerful keys were named.
    let out = world.helios().arg("trust").output().unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}{e}");
    assert!(o.contains("lanes.shell") && o.contains("nats.url"), "{o}");
    let (shown, err) = show(&world);
    assert!(shown.contains("./.tools/init.sh"), "{shown}");
    assert!(err.is_empty(), "{err}");

    // Changed: ignored again until trusted again.
    std::fs::write(&file, format!("{HOSTILE}# a pull changed it\n")).unwrap();
    let (shown, err) = show(&world);
    assert!(!shown.contains("init.sh"), "{shown}");
    assert!(err.contains("changed since you trusted it"), "{err}");

    // Listed, then revoked.
    let out = world.helios().args(["trust", "--list"]).output().unwrap();
    let (o, _) = text(&out);
    assert!(o.contains("changed since trusted"), "{o}");
    world.helios().arg("trust").output().unwrap();
    let out = world.helios().args(["trust", "--revoke"]).output().unwrap();
    assert!(out.status.success());
    let (shown, _) = show(&world);
    assert!(!shown.contains("init.sh"), "{shown}");

    // Every trust change is an audit event.
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{e}");
    assert_eq!(o.matches("config.trusted").count(), 2, "{o}");
    assert_eq!(o.matches("config.trust_revoked").count(), 1, "{o}");
}

#[test]
fn a_broken_repo_file_is_not_trusted() {
    let world = World::new("broken");
    let file = world.repo.join(".helios.toml");
    std::fs::write(&file, "[lanes]\nshel = \"x\"\n").unwrap();
    let out = world.helios().arg("trust").output().unwrap();
    let (_, e) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.starts_with(&format!(
            "helios: {}:2: unknown field `shel`",
            file.display()
        )),
        "{e}"
    );
    let out = world.helios().args(["trust", "--list"]).output().unwrap();
    let (o, _) = text(&out);
    assert!(o.contains("no trusted repo config files"), "{o}");
}

/// A journal whose `events` table is damaged opens (its header and schema are fine) but takes
/// no append: the action must not be taken, and the CLI must say so.
#[test]
fn no_trust_change_without_its_audit_event() {
    let world = World::new("nojournal");
    std::fs::write(world.repo.join(".helios.toml"), HOSTILE).unwrap();
    let db = world.path("state/helios/helios.db");
    damage_events_table(&world, &db);
    let out = world.helios().arg("trust").output().unwrap();
    let (o, e) = text(&out);
    assert!(!out.status.success(), "{o}{e}");
    assert!(e.contains("nothing was changed"), "{e}");
    let (shown, _) = show(&world);
    assert!(
        !shown.contains("init.sh"),
        "the trust was recorded anyway: {shown}"
    );
}

/// Fill the journal so `events` has pages of its own, then overwrite its root page.
fn damage_events_table(world: &World, db: &std::path::Path) {
    let out = world.helios().args(["events"]).output().unwrap();
    assert!(out.status.success());
    let conn = rusqlite::Connection::open(db).unwrap();
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
    let mut bytes = std::fs::read(db).unwrap();
    let at = usize::try_from((root - 1) * page).unwrap();
    for b in &mut bytes[at..at + usize::try_from(page).unwrap()] {
        *b = 0xA5;
    }
    std::fs::write(db, bytes).unwrap();
}

/// The CLI takes no lane action the journal cannot record: `lane new` with a damaged journal
/// exits non-zero, says nothing was changed, and par has no such lane.
#[test]
fn no_lane_created_without_its_audit_event() {
    support::require("par");
    let world = World::new("nolane");
    let db = world.path("state/helios/helios.db");
    damage_events_table(&world, &db);
    let out = world
        .helios()
        .args(["lane", "new", "ghost"])
        .output()
        .unwrap();
    let (o, e) = text(&out);
    assert!(!out.status.success(), "{o}{e}");
    assert!(
        e.contains("not done") && e.contains("nothing was changed"),
        "{e}"
    );
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{e}");
    assert!(!o.contains("ghost"), "par created the lane anyway: {o}");
    // And the same command with a healthy journal does create it (so the test can fail).
    std::fs::remove_file(&db).unwrap();
    let out = world
        .helios()
        .args(["lane", "new", "ghost"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    let out = world
        .helios()
        .args(["lane", "ls", "--json"])
        .output()
        .unwrap();
    assert!(text(&out).0.contains("ghost"));
}

/// Without `$USER` (cron, systemd, `env -i`) the actor is still who runs helios, asked of the OS.
#[test]
fn the_actor_without_user_is_the_os_account_at_the_host() {
    let world = World::new("who");
    std::fs::write(
        world.repo.join(".helios.toml"),
        "[attention]\nquiet_secs = 5\n",
    )
    .unwrap();
    let out = world
        .helios()
        .env_remove("USER")
        .env_remove("LOGNAME")
        .arg("trust")
        .output()
        .unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}{e}");
    let run = |p: &str, a: &str| {
        let out = std::process::Command::new(p).arg(a).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let want = format!("{}@{}", run("id", "-un"), run("uname", "-n"));
    let out = world.helios().args(["events", "--json"]).output().unwrap();
    let (o, _) = text(&out);
    let ev: serde_json::Value = serde_json::from_str(o.lines().last().unwrap()).unwrap();
    assert_eq!(ev["action"], "config.trusted", "{o}");
    assert_eq!(ev["actor"], want.as_str(), "{o}");
}

/// No byte that starts or ends a terminal escape sequence.
fn assert_inert(what: &str, bytes: &[u8]) {
    assert!(
        !bytes.iter().any(|b| matches!(b, 0x1b | 0x07)),
        "{what} reached the terminal raw: {}",
        String::from_utf8_lossy(bytes)
    );
}

/// A clone chooses its directory name and its `.helios.toml`: neither may retitle the window
/// or write the clipboard through `helios trust`, `trust --list` or the not-trusted notice.
#[test]
fn trust_and_its_notices_print_repo_text_escaped() {
    let world = World::new("re\x1b]0;DIRKEY\x07po");
    let file = world.repo.join(".helios.toml");
    // A key that is no config key: the error quotes it.
    std::fs::write(
        &file,
        "[ui]\n\"\\u001b]0;PWNKEY\\u0007\\u001b]52;c;cm0gLXJmIH4=\\u0007\" = 1\n",
    )
    .unwrap();
    let out = world.helios().arg("trust").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert_inert("trust's error", &out.stderr);
    assert!(text(&out).1.contains("PWNKEY"), "{:?}", text(&out));

    // A good file, whose value holds the same bytes.
    std::fs::write(
        &file,
        "[lanes]\nshell = \"\\u001b]0;PWNVAL\\u0007\"\n[attention]\nquiet_secs = 5\n",
    )
    .unwrap();
    let out = world.helios().args(["config", "check"]).output().unwrap();
    let (_, e) = text(&out);
    assert!(e.contains("not trusted") && e.contains("DIRKEY"), "{e}");
    assert_inert("the not-trusted notice", &out.stderr);
    assert_inert("config check", &out.stdout);

    let out = world.helios().arg("trust").output().unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}{e}");
    assert!(o.contains("DIRKEY") && o.contains("trusted"), "{o}");
    assert_inert("trust's output", &out.stdout);
    assert_inert("trust's stderr", &out.stderr);

    let out = world.helios().args(["trust", "--list"]).output().unwrap();
    let (o, _) = text(&out);
    assert!(o.contains("DIRKEY") && o.contains("trusted"), "{o}");
    assert_inert("trust --list", &out.stdout);
    assert_inert("trust --list's stderr", &out.stderr);

    // Changed: the notice names the file again.
    std::fs::write(&file, "[attention]\nquiet_secs = 6\n").unwrap();
    let out = world.helios().args(["config", "check"]).output().unwrap();
    assert!(text(&out).1.contains("changed since"), "{:?}", text(&out));
    assert_inert("the changed notice", &out.stderr);
}

const KEYMAP: &str = "extends = \"default\"\n[normal]\nj = \"lane.select_next\"\n";

/// The files a trusted config names (a keymap, a zellij template) arrive with the same `git
/// pull` as the config: a change to one of them needs a new `helios trust` too.
#[test]
fn trust_covers_the_files_the_config_names() {
    let world = World::new("named");
    let dir = world.repo.join("helios");
    std::fs::create_dir_all(&dir).unwrap();
    let keymap = dir.join("keys.toml");
    let template = dir.join("team.kdl");
    std::fs::write(&keymap, KEYMAP).unwrap();
    std::fs::write(&template, "layout {\n}\n").unwrap();
    std::fs::write(
        world.repo.join(".helios.toml"),
        "[ui]\nkeymap = \"helios/keys.toml\"\n[zellij]\ntemplate = \"helios/team.kdl\"\n",
    )
    .unwrap();
    // Relative paths are the repo's files, from any directory helios starts in.
    let canon = std::fs::canonicalize(&dir).unwrap();
    let used = |shown: &str| shown.contains(&canon.join("keys.toml").display().to_string());

    let out = world.helios().arg("trust").output().unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}{e}");
    assert!(
        o.contains("ui.keymap") && o.contains("zellij.template"),
        "{o}"
    );
    assert!(o.contains("keys.toml") && o.contains("team.kdl"), "{o}");
    let (shown, err) = show(&world);
    assert!(used(&shown), "{shown}");
    assert!(
        shown.contains(&canon.join("team.kdl").display().to_string()),
        "the template path is not anchored to the config: {shown}"
    );
    assert!(err.is_empty(), "{err}");

    // A pull changes only the keymap: the whole repo config is ignored again.
    std::fs::write(&keymap, format!("{KEYMAP}k = \"lane.select_prev\"\n")).unwrap();
    let (shown, err) = show(&world);
    assert!(!used(&shown), "a changed keymap was used: {shown}");
    assert!(
        err.contains("keys.toml") && err.contains("changed since you trusted it"),
        "{err}"
    );
    // `config check` says which file changed, not just that the config is not trusted.
    let out = world.helios().args(["config", "check"]).output().unwrap();
    let (o, _) = text(&out);
    assert!(
        o.contains("(ignored: ") && o.contains("keys.toml (a file it names) changed since"),
        "{o}"
    );
    let out = world.helios().args(["trust", "--list"]).output().unwrap();
    assert!(
        text(&out).0.contains("changed since trusted"),
        "{:?}",
        text(&out)
    );

    let out = world.helios().arg("trust").output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        text(&out).0.contains("a file it names had changed"),
        "{:?}",
        text(&out)
    );
    let (shown, err) = show(&world);
    assert!(used(&shown), "{shown}");
    assert!(err.is_empty(), "{err}");

    // The same for the zellij template, and for a named file that goes missing.
    std::fs::write(&template, "layout {\n    pane command=\"sh\"\n}\n").unwrap();
    let (shown, err) = show(&world);
    assert!(!used(&shown) && err.contains("team.kdl"), "{shown}{err}");
    world.helios().arg("trust").output().unwrap();
    std::fs::remove_file(&template).unwrap();
    let (shown, err) = show(&world);
    assert!(!used(&shown) && err.contains("team.kdl"), "{shown}{err}");
}
