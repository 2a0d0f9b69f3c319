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
    assert!(o.contains("not trusted, ignored"), "{o}");

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
