//! Every shipped layout template, with 0, 1, 7 and 25 lanes, renders into a layout zellij's own
//! parser (zellij-utils) accepts; bad user templates are rejected with zellij's message and the
//! template's line and column.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use helios::integrations::zellij::layout::{
    self, LayoutError, LayoutInput, SHIPPED, Template, check, line_col,
};
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use rstest::rstest;

fn lanes(n: usize) -> Vec<LaneInfo> {
    (0..n)
        .map(|i| LaneInfo {
            id: LaneId::new(format!("lane-{i:02}")),
            branch: Some(format!("b{i}")),
            worktree: PathBuf::from(format!("/tmp/wt/lane \"{i}\"")),
            // Every third lane is a plain worktree lane (a shell), the rest are par lanes.
            source: if i % 3 == 2 {
                LaneSource::Worktree
            } else {
                LaneSource::Par {
                    session: format!("par-repo-ab12-lane-{i:02}"),
                }
            },
            session_alive: true,
            git: GitCounts::default(),
        })
        .collect()
}

fn render(name: &str, n: usize, attention: &[String]) -> String {
    let lanes = lanes(n);
    let helios = vec!["helios".to_string(), "--compact".to_string()];
    let input = LayoutInput {
        repo: "my\"repo",
        repo_path: Path::new("/tmp/repo"),
        lanes: &lanes,
        attention,
        selected: None,
        helios: &helios,
    };
    let tpl = Template {
        origin: name.into(),
        text: SHIPPED.iter().find(|(n, _)| *n == name).unwrap().1.into(),
    };
    layout::render(&tpl, &input, "test.kdl")
        .unwrap_or_else(|e| panic!("{name} with {n} lanes: {e}"))
        .text
}

#[rstest]
fn shipped_templates_parse(
    #[values("grid", "triage", "focus")] name: &str,
    #[values(0, 1, 7, 25)] n: usize,
) {
    for attention in [
        vec![],
        vec!["lane-00".to_string()],
        (0..n).map(|i| format!("lane-{i:02}")).collect(),
    ] {
        let text = render(name, n, &attention);
        // Independently re-parse what was written, as zellij would read the file.
        check(&text, "again.kdl").unwrap();
        for i in 0..n {
            assert!(
                text.contains(&format!("name=\"lane-{i:02}\"")),
                "{name}/{n}: lane {i} missing"
            );
            if i % 3 != 2 {
                assert!(
                    text.contains(&format!(
                        "args \"attach\" \"-t\" \"=par-repo-ab12-lane-{i:02}\""
                    )),
                    "{name}/{n}: lane {i} does not attach to its tmux session"
                );
            }
        }
        assert!(
            text.contains("args \"--compact\""),
            "{name}: helios pane missing"
        );
    }
}

#[test]
fn line_col_counts_lines_and_chars() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("é\nx", 3), (2, 1));
    assert_eq!(line_col("ab", 99), (1, 3));
}

fn user_template(world: &support::World, name: &str, text: &str) -> PathBuf {
    let dir = world.path("config/helios/layouts/templates");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.kdl"));
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn bad_user_template_reports_zellij_message_with_line_and_column() {
    let world = support::World::new("repo");
    // Line 3: a node without its terminator, the mistake zellij's parser explains.
    let file = user_template(
        &world,
        "mine",
        "layout {\n    pane split_direction=\"vertical\" {\n        pane pane\n    }\n}\n",
    );
    let out = world
        .helios()
        .args(["layout", "write", "--template", "mine", "--out", "-"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", file.display())), "{err}");
    assert!(err.contains("zellij rejects this layout"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing may be written: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn semantic_error_inside_an_expansion_names_the_placeholder() {
    let world = support::World::new("repo");
    let file = user_template(
        &world,
        "weird",
        "layout {\n    pane split_direction=\"diagonal\" {\n        {{helios}}\n    }\n}\n",
    );
    let out = world
        .helios()
        .args(["layout", "write", "--template", "weird", "--out", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&format!("{}:2:", file.display())), "{err}");
    assert!(
        err.to_lowercase().contains("split"),
        "zellij's own message expected: {err}"
    );
}

#[test]
fn unknown_placeholder_and_unknown_template_are_named() {
    let world = support::World::new("repo");
    let file = user_template(&world, "typo", "layout {\n    {{lanez}}\n}\n");
    let out = world
        .helios()
        .args(["layout", "write", "--template", "typo", "--out", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:2:5: unknown placeholder {{{{lanez}}}}",
            file.display()
        )),
        "{err}"
    );
    let out = world
        .helios()
        .args(["layout", "write", "--template", "nope"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no layout template \"nope\""), "{err}");
}

#[test]
fn layout_write_defaults_to_the_config_dir_and_user_templates_override() {
    let world = support::World::new("repo");
    let out = world.helios().args(["layout", "write"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = world.path("config/helios/layouts/repo.kdl");
    let text = std::fs::read_to_string(&file).unwrap();
    check(&text, "repo.kdl").unwrap();
    // Without par lanes the lanes are the repo's worktrees, as in the console: here the main
    // checkout, as a shell pane.
    assert!(text.contains("pane name=\"repo\" cwd="), "{text}");
    user_template(
        &world,
        "grid",
        "layout {\n    pane name=\"mine\"\n    {{helios}}\n}\n",
    );
    let out = world
        .helios()
        .args(["layout", "write", "--out", "-"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("name=\"mine\""));
    let _ = LayoutError::UnknownTemplate {
        name: String::new(),
        dir: String::new(),
    };
}

/// A par lane whose tmux session is gone gets a shell that says so, with its names passed as
/// arguments (never spliced into the script), not a pane that prints "can't find session".
#[test]
fn a_lane_without_its_session_gets_a_shell_that_says_so() {
    let mut gone = lanes(1).remove(0);
    gone.session_alive = false;
    gone.id = LaneId::new("x'; touch /tmp/pwned; '");
    let argv = layout::lane_command(&gone).unwrap();
    assert_eq!(argv[0], "sh");
    assert!(
        !argv[2].contains("pwned") && !argv[2].contains("par-repo"),
        "{argv:?}"
    );
    assert_eq!(argv[4], "x'; touch /tmp/pwned; '");
    assert_eq!(argv[5], "par-repo-ab12-lane-00");
    let out = std::process::Command::new("sh")
        .args(&argv[1..])
        .env("SHELL", "/bin/true")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "lane x'; touch /tmp/pwned; ': its tmux session par-repo-ab12-lane-00 is gone (par open x'; touch /tmp/pwned; ' makes it again)\n"
    );
    let alive = &lanes(1)[0];
    assert_eq!(
        layout::lane_command(alive).unwrap(),
        ["tmux", "attach", "-t", "=par-repo-ab12-lane-00"]
    );
}

/// The compact pane gets the flags this helios was given (paths made absolute); a URL with a
/// secret in it is withheld from the layout file and named.
#[test]
fn the_compact_pane_gets_the_flags_but_no_secret() {
    let flags = helios::config::flags::GlobalArgs {
        config: Some(PathBuf::from("extra.toml")),
        nats: Some("nats://127.0.0.1:4333".into()),
        postgres: Some("postgres://me:hunter2@127.0.0.1/db".into()),
        temporal: Some("127.0.0.1:7444".into()),
        ..Default::default()
    };
    let (argv, withheld) =
        helios::integrations::zellij::plan::helios_argv(Path::new("/tmp/repo"), &flags);
    let at = |f: &str| {
        argv.iter()
            .position(|a| a == f)
            .map(|i| argv[i + 1].clone())
    };
    assert_eq!(at("--repo").unwrap(), "/tmp/repo");
    assert!(Path::new(&at("--config").unwrap()).is_absolute());
    assert_eq!(at("--nats").unwrap(), "nats://127.0.0.1:4333");
    assert_eq!(at("--temporal").unwrap(), "127.0.0.1:7444");
    assert_eq!(at("--postgres"), None);
    assert!(!argv.iter().any(|a| a.contains("hunter2")));
    assert_eq!(withheld, ["--postgres"]);
    assert_eq!(argv.last().unwrap(), "--compact");
}

/// Every title in a parsed layout: tab names and pane names, at any depth.
fn titles(layout: &zellij_utils::input::layout::Layout) -> Vec<String> {
    fn walk(pane: &zellij_utils::input::layout::TiledPaneLayout, out: &mut Vec<String>) {
        out.extend(pane.name.clone());
        for child in &pane.children {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for (name, pane, _) in &layout.tabs {
        out.extend(name.clone());
        walk(pane, &mut out);
    }
    out
}

/// The pane titled `title`, at any depth.
fn pane_titled<'a>(
    pane: &'a zellij_utils::input::layout::TiledPaneLayout,
    title: &str,
) -> Option<&'a zellij_utils::input::layout::TiledPaneLayout> {
    if pane.name.as_deref() == Some(title) {
        return Some(pane);
    }
    pane.children.iter().find_map(|c| pane_titled(c, title))
}

/// zellij draws pane and tab titles raw into the user's terminal (an OSC 52 in a label set
/// the outer clipboard): what it reads as a title, after decoding KDL's escapes, holds no
/// control, C1 or bidi character. A pane's command, args and cwd are data and stay exact.
#[rstest]
fn names_zellij_shows_carry_no_terminal_controls(#[values("grid", "triage", "focus")] name: &str) {
    let hostile = "a\x1b]52;c;aGk=\x07b\u{9b}31m\u{202e}z";
    let session = format!("par-\x1b[2J-{}", "s");
    let worktree = PathBuf::from("/tmp/wt/\x1b]0;t\x07");
    let lanes = vec![LaneInfo {
        id: LaneId::new(hostile),
        branch: Some("b".into()),
        worktree: worktree.clone(),
        source: LaneSource::Par {
            session: session.clone(),
        },
        session_alive: true,
        git: GitCounts::default(),
    }];
    let helios = vec!["helios".to_string(), "--compact".to_string()];
    let input = LayoutInput {
        repo: "repo\x1b]2;title\x07\u{202e}",
        repo_path: Path::new("/tmp/repo"),
        lanes: &lanes,
        attention: &[],
        selected: None,
        helios: &helios,
    };
    let tpl = Template {
        origin: name.into(),
        text: SHIPPED.iter().find(|(n, _)| *n == name).unwrap().1.into(),
    };
    let text = layout::render(&tpl, &input, "t.kdl").unwrap().text;
    let parsed =
        zellij_utils::input::layout::Layout::from_kdl(&text, Some("t.kdl".into()), None, None)
            .unwrap();
    let shown = titles(&parsed);
    assert!(shown.len() >= 3, "{shown:?}");
    for t in &shown {
        assert!(
            !t.chars().any(helios::text::is_unsafe),
            "{name}: title {t:?} reaches the terminal raw"
        );
    }
    let title = r"a\x1b]52;c;aGk=\x07b\u{9b}31m\u{202e}z";
    assert!(shown.iter().any(|t| t == title), "{shown:?}");
    assert!(
        shown.iter().any(|t| t == r"repo\x1b]2;title\x07\u{202e}"),
        "{shown:?}"
    );
    // The lane's pane still attaches to exactly its session, in exactly its worktree.
    let pane = parsed
        .tabs
        .iter()
        .find_map(|(_, p, _)| pane_titled(p, title))
        .unwrap();
    match &pane.run {
        Some(zellij_utils::input::layout::Run::Command(run)) => {
            assert_eq!(run.command, PathBuf::from("tmux"));
            assert_eq!(run.args, ["attach", "-t", &format!("={session}")]);
            assert_eq!(run.cwd.as_deref(), Some(worktree.as_path()));
        }
        other => panic!("{name}: the lane's pane runs {other:?}"),
    }
}
