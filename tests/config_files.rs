//! Config, keymap and theme files: every shipped file parses; every bad file gives one message
//! naming file, line and the bad value; layering order; `helios config check` exit statuses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use helios::app::keymap::{self, Keymap};
use helios::config::ConfigError;
use helios::config::theme::{self, ColorDepth, TermEnv, Theme, color_depth};
use ratatui::style::{Color, Modifier};
use rstest::rstest;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn every_shipped_keymap_parses() {
    for (name, _) in keymap::SHIPPED {
        let k = Keymap::load(name).unwrap_or_else(|e| panic!("keymap {name}: {e}"));
        assert!(k.len() > 20, "{name} binds the core keys");
        assert!(
            !k.keys_for(keymap::KeyMode::Focus, "lane.unfocus")
                .is_empty()
        );
    }
}

#[test]
fn every_shipped_theme_parses() {
    for (name, _) in theme::SHIPPED {
        Theme::load(name, &TermEnv::default()).unwrap_or_else(|e| panic!("theme {name}: {e}"));
    }
}

#[test]
fn ansi16_file_matches_the_fallback_theme() {
    let env = TermEnv::default();
    assert_eq!(Theme::load("ansi16", &env).unwrap(), Theme::default());
}

#[rstest]
#[case(Some("truecolor"), Some("xterm"), ColorDepth::TrueColor)]
#[case(Some("24bit"), None, ColorDepth::TrueColor)]
#[case(None, Some("xterm-256color"), ColorDepth::Ansi256)]
#[case(None, Some("tmux-256color"), ColorDepth::Ansi256)]
#[case(None, Some("alacritty"), ColorDepth::Ansi256)]
#[case(None, Some("xterm"), ColorDepth::Ansi16)]
#[case(None, Some("linux"), ColorDepth::Ansi16)]
#[case(None, Some("screen"), ColorDepth::Ansi16)]
#[case(None, None, ColorDepth::Ansi16)]
fn colour_depth_heuristic(
    #[case] colorterm: Option<&str>,
    #[case] term: Option<&str>,
    #[case] want: ColorDepth,
) {
    assert_eq!(color_depth(colorterm, term), want);
}

#[test]
fn small_terminals_get_ansi16_unless_a_theme_was_chosen() {
    let small = TermEnv {
        term: Some("xterm".into()),
        ..TermEnv::default()
    };
    let big = TermEnv {
        term: Some("xterm-256color".into()),
        ..TermEnv::default()
    };
    assert_eq!(theme::resolved_name("default", &small), "ansi16");
    assert_eq!(theme::resolved_name("default", &big), "default");
    assert_eq!(theme::resolved_name("light", &small), "light");
}

#[test]
fn no_color_keeps_modifiers_only() {
    let env = TermEnv {
        no_color: true,
        term: Some("xterm-256color".into()),
        ..TermEnv::default()
    };
    let t = Theme::load("default", &env).unwrap();
    for s in [t.text, t.title, t.status, t.selected, t.attention, t.error] {
        assert_eq!(s.fg, None);
        assert_eq!(s.bg, None);
    }
    assert!(t.title.add_modifier.contains(Modifier::BOLD));
    assert!(
        t.status.add_modifier.contains(Modifier::REVERSED),
        "filled styles become reversed"
    );
}

#[test]
fn colours_by_name_hex_and_index() {
    assert_eq!(theme::parse_color("LightBlue"), Some(Color::LightBlue));
    assert_eq!(theme::parse_color("dark_grey"), Some(Color::DarkGray));
    assert_eq!(theme::parse_color("#ff8000"), Some(Color::Rgb(255, 128, 0)));
    assert_eq!(theme::parse_color("208"), Some(Color::Indexed(208)));
    assert_eq!(theme::parse_color("#ff80"), None);
    assert_eq!(theme::parse_color("256"), None);
}

#[test]
fn user_keymap_extends_default() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "mine.toml",
        "extends = \"default\"\n[normal]\nq = \"none\"\nx = \"app.quit\"\n[focus]\n\"ctrl-]\" = \"lane.unfocus\"\n",
    );
    let k = Keymap::load(p.to_str().unwrap()).unwrap();
    assert_eq!(
        k.keys_for(keymap::KeyMode::Normal, "app.quit"),
        vec!["x", "ctrl-c"]
    );
    assert_eq!(
        k.keys_for(keymap::KeyMode::Normal, "lane.focus"),
        vec!["enter"]
    );
    assert_eq!(
        k.keys_for(keymap::KeyMode::Focus, "lane.unfocus"),
        vec!["ctrl-]", "ctrl-g"]
    );
}

fn err_text(e: ConfigError) -> String {
    e.to_string()
}

fn keymap_err(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.toml", text);
    let e = Keymap::load(p.to_str().unwrap()).expect_err("a bad keymap");
    (err_text(e), p.display().to_string())
}

fn theme_err(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.toml", text);
    let e = Theme::load(p.to_str().unwrap(), &TermEnv::default()).expect_err("a bad theme");
    (err_text(e), p.display().to_string())
}

#[rstest]
#[case::syntax("[normal]\nj = \"lane.select_next\n", 2, "fix the TOML syntax")]
#[case::unknown_section(
    "[normal]\nj = \"app.quit\"\n\n[insert]\nx = \"app.quit\"\n",
    4,
    "unknown field `insert`"
)]
#[case::unknown_action(
    "[normal]\nj = \"lane.select_next\"\nx = \"lane.fcus\"\n",
    3,
    "unknown action `lane.fcus` for key `x` in [normal]; did you mean `lane.focus`?"
)]
#[case::twice_ctrl(
    "[focus]\nctrl-g = \"lane.unfocus\"\nC-g = \"app.quit\"\n",
    3,
    "key `C-g` is bound twice in [focus] (also as `ctrl-g` on line 2)"
)]
#[case::twice_case(
    "[normal]\ndown = \"lane.select_next\"\nDown = \"lane.select_prev\"\n",
    3,
    "key `Down` is bound twice in [normal] (also as `down` on line 2)"
)]
#[case::bad_key(
    "[normal]\nhyper-x = \"app.quit\"\n",
    2,
    "bad key `hyper-x` in [normal]: unknown modifier `hyper`"
)]
#[case::bad_extends("extends = \"nope\"\n", 1, "cannot extend keymap `nope`")]
fn bad_keymaps(#[case] text: &str, #[case] line: usize, #[case] what: &str) {
    let (msg, path) = keymap_err(text);
    assert!(msg.starts_with(&format!("{path}:{line}: ")), "{msg}");
    assert!(msg.contains(what), "{msg}");
}

#[rstest]
#[case::syntax("text = { fg = \"red\"\n", 1, "fix the TOML syntax")]
#[case::unknown_style(
    "text = {}\nborder_colour = { fg = \"red\" }\n",
    2,
    "unknown field `border_colour`"
)]
#[case::unknown_attr(
    "text = { fg = \"red\", underline = true }\n",
    1,
    "unknown field `underline`"
)]
#[case::bad_name(
    "dim = { fg = 244 }\ntext = { fg = \"purplish\" }\n",
    2,
    "bad colour `purplish` for text.fg"
)]
#[case::bad_hex("title = { bg = \"#12345\" }\n", 1, "bad colour `#12345` for title.bg")]
#[case::bad_index("ok = { fg = 300 }\n", 1, "bad colour `300` for ok.fg")]
#[case::bad_modifier(
    "ok = { modifiers = [\"bold\", \"sparkly\"] }\n",
    1,
    "unknown modifier `sparkly` in ok"
)]
fn bad_themes(#[case] text: &str, #[case] line: usize, #[case] what: &str) {
    let (msg, path) = theme_err(text);
    assert!(msg.starts_with(&format!("{path}:{line}: ")), "{msg}");
    assert!(msg.contains(what), "{msg}");
}

#[test]
fn unknown_names_list_the_shipped_files() {
    let e = Keymap::load("emacs").unwrap_err().to_string();
    assert!(
        e.contains("no keymap named `emacs`: the shipped keymaps are default, vim"),
        "{e}"
    );
    let e = Theme::load("solarized", &TermEnv::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no theme named `solarized`"), "{e}");
}

/// Trust the world's repo file as it is now (a repo file counts only once trusted).
fn trust(w: &support::World) {
    let out = w.helios().arg("trust").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_layers_in_order_and_errors_name_their_line() {
    let w = support::World::new("layers");
    let cfg_dir = w.path("config/helios");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    write(
        &cfg_dir,
        "config.toml",
        "[ui]\ntheme = \"light\"\nkeymap = \"vim\"\n[lanes]\nscrollback = 10\n",
    );
    write(&w.repo, ".helios.toml", "[lanes]\nscrollback = 20\n");
    trust(&w);
    let extra = write(w.root.path(), "extra.toml", "[ui]\nkeymap = \"default\"\n");
    // config::load reads XDG_CONFIG_HOME; run it through the binary so the env stays per process.
    let out = w
        .helios()
        .args([
            "--config",
            extra.to_str().unwrap(),
            "--theme",
            "high-contrast",
            "config",
            "show",
        ])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.contains("theme = \"high-contrast\""),
        "flags win: {shown}"
    );
    assert!(
        shown.contains("keymap = \"default\""),
        "--config beats user: {shown}"
    );
    assert!(
        shown.contains("scrollback = 20"),
        "repo beats user: {shown}"
    );
    assert!(shown.contains("# keymap: default"), "{shown}");

    write(
        &w.repo,
        ".helios.toml",
        "[lanes]\nscrollback = 20\n\n[ui]\nthemee = \"x\"\n",
    );
    // A changed repo file must be trusted again; a broken one cannot be.
    let out = w.helios().args(["trust"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let want = format!(
        "helios: {}:5: unknown field `themee`, expected `theme` or `keymap`",
        w.repo.join(".helios.toml").display()
    );
    assert!(err.starts_with(&want), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn config_check_passes_and_fails_with_status_2() {
    let w = support::World::new("check");
    let out = w.helios().args(["config", "check"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("keymap default"), "{text}");
    assert!(text.contains("(not found, skipped)"), "{text}");
    assert!(text.trim_end().ends_with("ok"), "{text}");
    assert!(text.contains("built in: patterns.toml ("), "{text}");

    // A broken screen patterns file: the console skips it, a check fails, in one line.
    let patterns = w.path("config/helios/patterns.toml");
    std::fs::create_dir_all(patterns.parent().unwrap()).unwrap();
    std::fs::write(&patterns, "[[prompt]]\nname = \"x\"\nall = [\n").unwrap();
    let out = w.helios().args(["config", "check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&format!("{}: line 3: ", patterns.display())),
        "{err}"
    );
    std::fs::remove_file(&patterns).unwrap();

    // A keymap path relative to the repo file that names it.
    // (Written before `trust`: the trust covers the files the config names.)
    write(&w.repo, ".helios.toml", "[ui]\nkeymap = \"keys.toml\"\n");
    write(
        &w.repo,
        "keys.toml",
        "[normal]\nx = \"app.quit\"\ny = \"lane.explode\"\n",
    );
    trust(&w);
    let out = w.helios().args(["config", "check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!(
            "helios: {}:3: unknown action `lane.explode`",
            w.repo.join("keys.toml").display()
        )),
        "{err}"
    );

    write(&w.repo, ".helios.toml", "[ui]\ntheme = \"t.toml\"\n");
    write(
        &w.repo,
        "t.toml",
        "extends = \"default\"\ntitle = { fg = \"chartreuse\" }\n",
    );
    trust(&w);
    let out = w.helios().args(["config", "check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("t.toml:2: bad colour `chartreuse` for title.fg"),
        "{err}"
    );

    let out = w
        .helios()
        .args(["--keymap", "nope", "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = w
        .helios()
        .args(["--config", "/nonexistent/helios.toml", "config", "check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/nonexistent/helios.toml: cannot read"),
        "{err}"
    );
}

/// Run helios with `args`, killing it if it does not finish in 20 s (a FIFO used to hang it).
fn run_bounded(w: &support::World, args: &[&str]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = w
        .helios()
        .args(args)
        // A usable TERM, so the console gets as far as its keymap.
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("helios {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn devices_fifos_and_huge_files_are_refused_with_one_line() {
    let w = support::World::new("devices");
    let fifo = w.path("config.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = w.path("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    let fifo = fifo.to_str().unwrap();
    let big = big.to_str().unwrap();
    for (args, want) in [
        (
            vec!["--keymap", "/dev/zero", "config", "check"],
            "/dev/zero: is a device",
        ),
        (
            vec!["--theme", "/dev/urandom", "config", "check"],
            "/dev/urandom: is a device",
        ),
        (
            vec!["--config", fifo, "config", "check"],
            "is a FIFO, not a regular file",
        ),
        (vec!["--keymap", fifo, "console"], "is a FIFO"),
        (
            vec!["--keymap", big, "config", "check"],
            "too big for a config file",
        ),
        (
            vec!["--config", "/dev/zero", "lane", "ls"],
            "/dev/zero: is a device",
        ),
    ] {
        let out = run_bounded(&w, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn a_keymap_with_no_way_out_of_focus_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "trap.toml",
        "extends = \"default\"\n[focus]\nctrl-g = \"none\"\n",
    );
    let e = Keymap::load(p.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: no key in [focus] leaves focus mode",
            p.display()
        )),
        "{e}"
    );
    assert!(
        e.contains("add `ctrl-g = \"lane.unfocus\"` under [focus]"),
        "{e}"
    );
    // Any way out will do: quitting from focus mode is one.
    let ok = write(
        dir.path(),
        "quit.toml",
        "extends = \"default\"\n[focus]\nctrl-g = \"none\"\nctrl-q = \"app.quit\"\n",
    );
    assert!(Keymap::load(ok.to_str().unwrap()).is_ok());

    let w = support::World::new("trap");
    for sub in [vec!["config", "check"], vec!["console"]] {
        let mut args = vec!["--keymap", p.to_str().unwrap()];
        args.extend(sub);
        let out = run_bounded(&w, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("lane.unfocus"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn a_dumb_terminal_gets_a_refusal_and_the_cli_still_works() {
    let w = support::World::new("dumb");
    for term in [Some("dumb"), Some(""), None] {
        let mut c = w.helios();
        match term {
            Some(t) => c.env("TERM", t),
            None => c.env_remove("TERM"),
        };
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{term:?}: {err}");
        assert!(err.contains("cannot show the console"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out.stdout.contains(&0x1b), "nothing drawn");
    }
    let out = w
        .helios()
        .env("TERM", "dumb")
        .args(["lane", "ls"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The compact view runs in a zellij pane, where zellij 0.45 takes its default mode keys
/// before helios sees them (Ctrl-g locked the compact pane when Enter entered a focus mode only
/// Ctrl-g could leave). The default keymap binds none of them; a shipped keymap that binds one
/// (vim's Ctrl-b, page up) binds its command to another key too, so nothing is out of reach.
#[test]
fn no_command_needs_a_zellij_default_mode_key() {
    use helios::config::chord::KeyChord;
    let zellij = [
        "ctrl-g", "ctrl-p", "ctrl-t", "ctrl-n", "ctrl-h", "ctrl-s", "ctrl-o", "ctrl-q", "ctrl-b",
    ];
    for name in ["default", "vim"] {
        let k = Keymap::load(name).unwrap();
        for z in zellij {
            let Some(command) = k.command(keymap::KeyMode::Normal, KeyChord::parse(z).unwrap())
            else {
                continue;
            };
            assert_ne!(name, "default", "{z} is zellij's");
            let others: Vec<String> = k
                .keys_for(keymap::KeyMode::Normal, command)
                .into_iter()
                .filter(|key| !zellij.contains(&key.as_str()))
                .collect();
            assert!(!others.is_empty(), "{name}: {command} only on zellij's {z}");
        }
    }
}

/// A keymap that extends itself is refused in one line that says so once.
#[test]
fn a_keymap_extending_itself_is_one_short_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.toml");
    write(
        dir.path(),
        "loop.toml",
        &format!("extends = {:?}\n", path.display().to_string()),
    );
    let e = err_text(Keymap::load(path.to_str().unwrap()).expect_err("a loop"));
    assert!(e.starts_with(&format!("{}:1: ", path.display())), "{e}");
    assert_eq!(e.matches("goes more than 4 files deep").count(), 1, "{e}");
    assert!(!e.contains("cannot extend"), "{e}");
}
