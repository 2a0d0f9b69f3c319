//! The reducer and the keyboard: table tests of actions in, state and effects out; xterm key
//! encoding; key scripts run through `keys::translate` and `update` with the screen asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::{FakeScreens, attention, draw, run_keys, state_with};
use helios::app::Event;
use helios::app::action::{Panel, SendTarget};
use helios::app::keymap::Keymap;
use helios::app::nats::EventsFilter;
use helios::app::state::{Mode, PromptKind, View};
use helios::app::{Action, Effect, keys, update};
use helios::lanes::LaneId;
use helios::lanes::work::{Commit, FileChange, Unsaved};
use helios::store::EventResult;
use rstest::rstest;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

fn id(s: &str) -> LaneId {
    LaneId::new(s)
}

#[rstest]
#[case::down_moves("j", "b")]
#[case::wraps("jjj", "a")]
#[case::up_wraps("k", "c")]
#[case::arrows("<down><down><up>", "b")]
fn selection(#[case] script: &str, #[case] want: &str) {
    let (mut st, _) = state_with(&["a", "b", "c"], (100, 30));
    run_keys(&mut st, &km(), script);
    assert_eq!(st.selected, Some(id(want)));
}

#[rstest]
#[case::grid("z", View::Grid)]
#[case::back("zz", View::Single)]
fn grid_toggle(#[case] script: &str, #[case] want: View) {
    let (mut st, _) = state_with(&["a"], (100, 30));
    let fx = run_keys(&mut st, &km(), script);
    assert_eq!(st.view, want);
    assert!(fx.contains(&Effect::ResizeLanes));
}

#[test]
fn focus_types_into_the_lane_until_ctrl_g() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    let fx = run_keys(&mut st, &km(), "j<enter>ls<enter><C-c>q<c-g>");
    assert_eq!(st.mode, Mode::Normal);
    assert_eq!(st.focused, None);
    assert!(!st.quit, "q in focus mode goes to the lane, not to helios");
    let written: Vec<u8> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::WriteLane { lane, bytes } if *lane == id("b") => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(written, b"ls\r\x03q");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Record { action, .. } if action == "lane.focused"))
    );
}

/// Keys into a lane whose program has ended go nowhere (as into tmux's dead pane), and the
/// status line says how to restart it; the focus stays for reading its last screen.
#[test]
fn focus_on_an_exited_lane_types_nothing_and_says_how_to_restart() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    st.lane_mut(&id("b")).unwrap().status = helios::app::state::LaneStatus::Exited;
    let fx = run_keys(&mut st, &km(), "j<enter>ls<enter>");
    assert_eq!(st.focused, Some(id("b")));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::WriteLane { .. })),
        "{fx:?}"
    );
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    assert!(
        screen.contains("leave focus, then R restart: the lane's program has ended"),
        "{screen}"
    );
    let fx = run_keys(&mut st, &km(), "<c-g>R");
    assert_eq!(fx, vec![Effect::RestartLane { lane: id("b") }]);
}

#[test]
fn create_asks_for_a_label() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    let fx = run_keys(&mut st, &km(), "cfix-login<enter>");
    assert_eq!(
        fx,
        vec![Effect::CreateLane {
            label: "fix-login".into(),
            base: None,
            cmd: None
        }]
    );
    assert_eq!(st.mode, Mode::Normal);
}

#[test]
fn create_rejects_spaces_and_escape_cancels() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    let fx = run_keys(&mut st, &km(), "cfix login<enter>");
    assert!(
        matches!(&fx[..], [Effect::Record { ok: false, .. }]),
        "{fx:?}"
    );
    assert!(st.flash.as_ref().unwrap().text.contains("fix-login"));
    assert!(run_keys(&mut st, &km(), "<c-u>abc<esc>").is_empty());
    assert_eq!(st.mode, Mode::Normal);
    // Enter on nothing says what is wanted, and the prompt waits.
    assert!(run_keys(&mut st, &km(), "c<enter>").is_empty());
    assert!(
        matches!(&st.mode, Mode::Prompt(p) if p.error.as_deref().is_some_and(|e| e.contains("type a label"))),
        "{:?}",
        st.mode
    );
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.mode, Mode::Normal);
}

/// Every way of creating a lane in the console runs the one label check before any IO: the
/// only effect is the refusal's audit event, as the CLI records it.
#[rstest]
#[case::palette_dot(":lane new fix-1.2<enter>", "\"fix-1.2\" is not allowed")]
#[case::palette_dash(":lane new -x<enter>", "\"-x\" is not allowed")]
#[case::palette_reserved(":lane new all<enter>", "\"all\" is not allowed")]
#[case::prompt_colon("cfix:1<enter>", "\"fix:1\" is not allowed")]
#[case::prompt_slash("ca/b<enter>", "try \"a-b\"")]
fn bad_labels_are_refused_in_the_console(#[case] script: &str, #[case] shown: &str) {
    let (mut st, _) = state_with(&["a"], (100, 30));
    let fx = run_keys(&mut st, &km(), script);
    assert!(
        matches!(&fx[..], [Effect::Record { action, ok: false, .. }] if action == "lane.created"),
        "{script}: {fx:?}"
    );
    let flash = st.flash.as_ref().unwrap();
    assert!(flash.text.contains(shown), "{script}: {}", flash.text);
    // The prompt (`c`'s or the palette's) stays open with the label to fix, the error on its
    // line, as the palette does with a command that does not parse.
    assert!(
        matches!(&st.mode, Mode::Prompt(p) if p.error.as_deref().is_some_and(|e| e.contains(shown))),
        "{script}: {:?}",
        st.mode
    );
}

/// 1 commit and 2 untracked files that removing lane `a` would lose.
fn some_work() -> Unsaved {
    Unsaved {
        base: "main".into(),
        commits: vec![Commit {
            hash: "abc1234".into(),
            subject: "add the login form".into(),
        }],
        commit_count: 1,
        files: ["notes.txt", "scratch/"]
            .iter()
            .map(|p| FileChange {
                status: "??".into(),
                path: (*p).into(),
            })
            .collect(),
        file_count: 2,
    }
}

fn checked(lane: &str, result: Result<Unsaved, String>) -> Event {
    Event::UnsavedChecked {
        lane: id(lane),
        result,
    }
}

fn question(st: &helios::app::AppState) -> String {
    match &st.mode {
        Mode::Confirm(c) => c.question.clone(),
        other => panic!("no dialog: {other:?}"),
    }
}

/// `d` first finds out what the lane holds (an effect; the reducer does no IO) and opens no
/// dialog until the answer arrives.
#[test]
fn remove_checks_for_unsaved_work_first() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    let fx = run_keys(&mut st, &km(), "d");
    assert_eq!(fx, vec![Effect::CheckUnsaved { lane: id("a") }]);
    assert_eq!(st.mode, Mode::Normal);
    assert!(st.flash.as_ref().unwrap().text.contains("checking lane a"));
    // `y` before the answer removes nothing.
    assert!(run_keys(&mut st, &km(), "y").is_empty());
}

#[rstest]
#[case::yes("y", true)]
#[case::upper_yes("Y", true)]
#[case::no("n", false)]
#[case::esc("<esc>", false)]
fn nothing_to_lose_asks_once(#[case] script: &str, #[case] removed: bool) {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    run_keys(&mut st, &km(), "d");
    update(&mut st, checked("a", Ok(Unsaved::default())));
    assert!(
        question(&st).contains("Nothing is lost"),
        "{}",
        question(&st)
    );
    let fx = run_keys(&mut st, &km(), script);
    let want = Effect::RemoveLane {
        lane: id("a"),
        force: false,
    };
    assert_eq!(fx.contains(&want), removed);
    assert_eq!(st.mode, Mode::Normal);
}

/// Work that would be lost is named in the dialog, and a second yes, whose question says what
/// is lost, is needed before the removal is forced.
#[rstest]
#[case::yes_twice("yy", Some(true))]
#[case::no_then("n", None)]
#[case::yes_then_no("yn", None)]
#[case::yes_then_esc("y<esc>", None)]
fn work_to_lose_is_named_and_needs_a_second_yes(
    #[case] script: &str,
    #[case] forced: Option<bool>,
) {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    run_keys(&mut st, &km(), "d");
    update(&mut st, checked("a", Ok(some_work())));
    let q = question(&st);
    for part in [
        "abc1234 add the login form",
        "?? notes.txt",
        "?? scratch/",
        "1 commit not in main",
    ] {
        assert!(q.contains(part), "{part} missing from {q}");
    }
    let fx = run_keys(&mut st, &km(), &script[..1]);
    assert!(fx.is_empty(), "one yes removes nothing: {fx:?}");
    if script.starts_with('y') {
        let again = question(&st);
        assert!(
            again.contains("Really remove lane a")
                && again.contains("1 commit not in main and 2 uncommitted or untracked files"),
            "{again}"
        );
    }
    let fx = run_keys(&mut st, &km(), &script[1..]);
    let removed: Vec<bool> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::RemoveLane { lane, force } if *lane == id("a") => Some(*force),
            _ => None,
        })
        .collect();
    assert_eq!(removed.first().copied(), forced, "{fx:?}");
    assert_eq!(st.mode, Mode::Normal);
}

#[test]
fn a_check_that_failed_also_needs_a_second_yes() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    run_keys(&mut st, &km(), "d");
    update(&mut st, checked("a", Err("git rev-list failed".into())));
    assert!(question(&st).contains("Cannot tell whether lane a"));
    assert!(run_keys(&mut st, &km(), "y").is_empty());
    let fx = run_keys(&mut st, &km(), "y");
    assert_eq!(
        fx,
        vec![Effect::RemoveLane {
            lane: id("a"),
            force: true
        }]
    );
}

/// An answer nobody waits for any more (another lane asked since, or none) opens nothing.
#[test]
fn a_stale_answer_opens_no_dialog() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    update(&mut st, checked("a", Ok(Unsaved::default())));
    assert_eq!(st.mode, Mode::Normal);
    run_keys(&mut st, &km(), "dj");
    run_keys(&mut st, &km(), "d");
    update(&mut st, checked("a", Ok(some_work())));
    assert_eq!(st.mode, Mode::Normal);
    update(&mut st, checked("b", Ok(Unsaved::default())));
    assert!(question(&st).contains("Remove lane b?"));
}

#[test]
fn send_prompts_then_sends_to_the_selected_lane() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    let fx = run_keys(&mut st, &km(), "jsmake test<enter>");
    assert_eq!(
        fx,
        vec![
            // `j` shows another lane in the single pane, so its PTY takes the pane's size.
            Effect::ResizeLanes,
            Effect::SendLine {
                target: SendTarget::Lane(id("b")),
                text: "make test".into()
            }
        ]
    );
}

#[rstest]
#[case::select("j", true)]
#[case::grid("z", true)]
#[case::help("?", false)]
fn a_change_of_visible_lanes_resizes_them(#[case] script: &str, #[case] resized: bool) {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    let fx = run_keys(&mut st, &km(), script);
    assert_eq!(fx.contains(&Effect::ResizeLanes), resized);
}

#[test]
fn filter_updates_live_and_esc_clears() {
    let (mut st, _) = state_with(&["api", "auth", "docs"], (100, 30));
    run_keys(&mut st, &km(), "/do");
    assert_eq!(st.filter, "do");
    assert_eq!(st.selected, Some(id("docs")));
    run_keys(&mut st, &km(), "<enter>");
    assert_eq!(st.filter, "do");
    assert_eq!(st.mode, Mode::Normal);
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.filter, "");
    run_keys(&mut st, &km(), "/a<bs>x<c-u>au<esc>");
    assert_eq!(st.filter, "");
}

#[rstest]
#[case::new_with_base(":lane new web --base main<enter>", Some(Effect::CreateLane { label: "web".into(), base: Some("main".into()), cmd: None }))]
#[case::new_with_cmd(":lane new web --cmd claude  -p hi<enter>", Some(Effect::CreateLane { label: "web".into(), base: None, cmd: Some("claude -p hi".into()) }))]
#[case::cmd_quoted_once(r#":lane new x --cmd "python3 -c \"print(42)\""<enter>"#, Some(Effect::CreateLane { label: "x".into(), base: None, cmd: Some(r#"python3 -c "print(42)""#.into()) }))]
#[case::cmd_words_stay_words(r#":lane new x --cmd python3 -c "print(42)"<enter>"#, Some(Effect::CreateLane { label: "x".into(), base: None, cmd: Some("python3 -c 'print(42)'".into()) }))]
#[case::send(":lane send b echo  hi<enter>", Some(Effect::SendLine { target: SendTarget::Lane(LaneId::new("b")), text: "echo hi".into() }))]
#[case::send_quoted(r#":lane send b "echo  'hi'"<enter>"#, Some(Effect::SendLine { target: SendTarget::Lane(LaneId::new("b")), text: "echo  'hi'".into() }))]
#[case::send_all(":lane send all hi<enter>", Some(Effect::SendLine { target: SendTarget::All, text: "hi".into() }))]
#[case::quit(":quit<enter>", Some(Effect::Quit))]
#[case::registry_name(":lane.refresh<enter>", Some(Effect::DiscoverLanes))]
fn palette_runs_commands(#[case] script: &str, #[case] want: Option<Effect>) {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    let fx = run_keys(&mut st, &km(), script);
    assert_eq!(fx.first().cloned(), want, "{script}: {:?}", st.flash);
}

#[test]
fn palette_rm_confirms_and_panels_switch() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    let fx = run_keys(&mut st, &km(), ":lane rm b<enter>");
    assert_eq!(fx, vec![Effect::CheckUnsaved { lane: id("b") }]);
    update(&mut st, checked("b", Ok(Unsaved::default())));
    assert!(matches!(st.mode, Mode::Confirm(_)));
    let fx = run_keys(&mut st, &km(), "y");
    assert_eq!(
        fx,
        vec![Effect::RemoveLane {
            lane: id("b"),
            force: false
        }]
    );
    run_keys(&mut st, &km(), ":events<enter>");
    assert_eq!(st.panel, Panel::Events);
    run_keys(&mut st, &km(), "<tab><tab><tab>");
    assert_eq!(st.panel, Panel::Lanes);
}

/// A panel that hides the lanes does not let a lane key act on the lane nobody sees (`d` in
/// the Temporal panel asked to remove a lane; `s` in the events panel sent to one).
#[rstest]
#[case::events("2", "d")]
#[case::nats("3", "d")]
#[case::events_send("2", "s")]
#[case::temporal("4", "d")]
#[case::temporal_restart("4", "a")]
fn lane_keys_do_nothing_while_a_panel_hides_the_lanes(#[case] panel: &str, #[case] key: &str) {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    run_keys(&mut st, &km(), panel);
    assert_ne!(st.panel, Panel::Lanes);
    let fx = run_keys(&mut st, &km(), key);
    assert!(fx.is_empty(), "{key}: {fx:?}");
    assert_eq!(st.mode, Mode::Normal);
    let flash = st.flash.as_ref().unwrap();
    assert!(
        flash.text.contains("which this panel hides"),
        "{}",
        flash.text
    );
    // Shown again, the lanes take the key.
    run_keys(&mut st, &km(), "1");
    assert_eq!(
        run_keys(&mut st, &km(), "d"),
        vec![Effect::CheckUnsaved { lane: id("a") }]
    );
}

#[test]
fn palette_sets_the_events_filter_and_shows_the_panel() {
    let (mut st, _) = state_with(&["a", "b"], (100, 30));
    run_keys(
        &mut st,
        &km(),
        ":events lane=b action=lane. result=error<enter>",
    );
    assert_eq!(st.panel, Panel::Events);
    assert_eq!(
        st.nats.filter,
        EventsFilter {
            lane: Some("b".into()),
            action: Some("lane.".into()),
            result: Some(EventResult::Error),
        }
    );
    run_keys(&mut st, &km(), ":events -<enter>");
    assert_eq!(st.nats.filter, EventsFilter::default());
}

#[rstest]
#[case::unknown(":frobnicate<enter>", "unknown command `frobnicate`; press Tab")]
#[case::typo(
    ":lane nwe x<enter>",
    "unknown lane command `nwe` (did you mean `new`?)"
)]
#[case::top_typo(
    ":temporla<enter>",
    "unknown command `temporla` (did you mean `temporal`?)"
)]
#[case::far(":lane xyz<enter>", "unknown lane command `xyz`; usage")]
#[case::events_arg(":events colour=red<enter>", "usage: events [lane=LANE]")]
#[case::no_lane(":lane rm zzz<enter>", "no lane named `zzz`")]
#[case::args(":grid 3<enter>", "`grid` takes no arguments")]
#[case::unbalanced(":lane send a it's<enter>", "unbalanced quote in `lane send a it's`")]
fn palette_errors_flash(#[case] script: &str, #[case] want: &str) {
    let (mut st, _) = state_with(&["a"], (100, 30));
    assert!(run_keys(&mut st, &km(), script).is_empty());
    let flash = st.flash.clone().expect("an error message");
    assert!(flash.text.contains(want), "{}", flash.text);
    // The palette stays open with the text, to be fixed rather than typed again; the error is
    // on its line until the text is edited, and Esc closes it.
    let typed = script.trim_start_matches(':').trim_end_matches("<enter>");
    match &st.mode {
        Mode::Prompt(p) => {
            assert_eq!((p.kind, p.text.as_str()), (PromptKind::Palette, typed));
            assert!(
                p.error.as_deref().is_some_and(|e| e.contains(want)),
                "{p:?}"
            );
        }
        other => panic!("palette closed: {other:?}"),
    }
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let line = screen.lines().nth(29).unwrap_or_default();
    assert!(
        line.starts_with(&format!(":{typed} ")) && line.contains(want),
        "{screen}"
    );
    run_keys(&mut st, &km(), " ");
    assert!(
        matches!(&st.mode, Mode::Prompt(p) if p.error.is_none()),
        "{:?}",
        st.mode
    );
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.mode, Mode::Normal);
}

#[rstest]
#[case::top(":la<tab>", ":lane")]
#[case::sub(":lane <tab>", ":lane ")]
#[case::sub_unique(":lane s<tab>", ":lane send ")]
#[case::lane_name(":lane rm au<tab>", ":lane rm auth-fix ")]
#[case::registry(":lane.sel<tab>", ":lane.select_")]
#[case::events_lane(":events lane=au<tab>", ":events lane=auth-fix ")]
fn palette_completes(#[case] script: &str, #[case] want: &str) {
    let (mut st, _) = state_with(&["api", "auth-fix"], (100, 30));
    run_keys(&mut st, &km(), script);
    match &st.mode {
        Mode::Prompt(p) => {
            assert_eq!(p.kind, PromptKind::Palette);
            assert_eq!(format!(":{}", p.text), want);
        }
        other => panic!("palette closed: {other:?}"),
    }
}

#[test]
fn next_attention_and_help() {
    let (mut st, _) = state_with(&["a", "b", "c"], (100, 30));
    attention(&mut st, "c");
    run_keys(&mut st, &km(), "n");
    assert_eq!(st.selected, Some(id("c")));
    run_keys(&mut st, &km(), "?");
    assert_eq!(st.mode, Mode::Help);
    run_keys(&mut st, &km(), "x");
    assert_eq!(st.mode, Mode::Normal);
    run_keys(&mut st, &km(), "<enter>");
    assert!(
        st.lane(&id("c")).unwrap().attention.is_some(),
        "looking at a waiting lane does not answer it"
    );
    run_keys(&mut st, &km(), "y");
    assert!(
        st.lane(&id("c")).unwrap().attention.is_none(),
        "typing into it does"
    );
}

#[test]
fn vim_keymap_adds_motions() {
    let vim = Keymap::load("vim").unwrap();
    let (mut st, _) = state_with(&["a", "b", "c"], (100, 30));
    run_keys(&mut st, &vim, "G");
    assert_eq!(st.selected, Some(id("c")));
    run_keys(&mut st, &vim, "g");
    assert_eq!(st.selected, Some(id("a")));
    run_keys(&mut st, &vim, "l");
    assert_eq!(st.panel, Panel::Events);
    run_keys(&mut st, &vim, "h");
    assert_eq!(st.panel, Panel::Lanes);
    run_keys(&mut st, &vim, "j");
    assert_eq!(st.selected, Some(id("b")), "the default keys are inherited");
}

#[test]
fn scroll_and_typing_returns_to_live() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), "<pgup><pgup>");
    // Two pages of the 27 rows the pane shows, one kept each time (tests/console_keys.rs).
    assert_eq!(st.lanes[0].scroll, 52);
    run_keys(&mut st, &km(), "<pgdn><pgdn><pgdn>");
    assert_eq!(st.lanes[0].scroll, 0);
    run_keys(&mut st, &km(), "<pgup><enter>x");
    assert_eq!(st.lanes[0].scroll, 0);
}

#[test]
fn quit() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    assert_eq!(run_keys(&mut st, &km(), "q"), vec![Effect::Quit]);
    assert!(st.quit);
}

fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

#[rstest]
#[case::char(KeyCode::Char('a'), KeyModifiers::NONE, false, b"a".to_vec())]
#[case::utf8(KeyCode::Char('é'), KeyModifiers::NONE, false, "é".as_bytes().to_vec())]
#[case::shifted(KeyCode::Char('A'), KeyModifiers::SHIFT, false, b"A".to_vec())]
#[case::enter(KeyCode::Enter, KeyModifiers::NONE, false, b"\r".to_vec())]
#[case::tab(KeyCode::Tab, KeyModifiers::NONE, false, b"\t".to_vec())]
#[case::backtab(KeyCode::BackTab, KeyModifiers::SHIFT, false, b"\x1b[Z".to_vec())]
#[case::backspace(KeyCode::Backspace, KeyModifiers::NONE, false, b"\x7f".to_vec())]
#[case::esc(KeyCode::Esc, KeyModifiers::NONE, false, b"\x1b".to_vec())]
#[case::ctrl_c(KeyCode::Char('c'), KeyModifiers::CONTROL, false, b"\x03".to_vec())]
#[case::ctrl_d(KeyCode::Char('d'), KeyModifiers::CONTROL, false, b"\x04".to_vec())]
#[case::ctrl_space(KeyCode::Char(' '), KeyModifiers::CONTROL, false, b"\x00".to_vec())]
#[case::ctrl_bracket(KeyCode::Char('['), KeyModifiers::CONTROL, false, b"\x1b".to_vec())]
#[case::alt_x(KeyCode::Char('x'), KeyModifiers::ALT, false, b"\x1bx".to_vec())]
#[case::alt_enter(KeyCode::Enter, KeyModifiers::ALT, false, b"\x1b\r".to_vec())]
#[case::up(KeyCode::Up, KeyModifiers::NONE, false, b"\x1b[A".to_vec())]
#[case::up_app(KeyCode::Up, KeyModifiers::NONE, true, b"\x1bOA".to_vec())]
#[case::left_app(KeyCode::Left, KeyModifiers::NONE, true, b"\x1bOD".to_vec())]
#[case::ctrl_up(KeyCode::Up, KeyModifiers::CONTROL, false, b"\x1b[1;5A".to_vec())]
#[case::shift_right(KeyCode::Right, KeyModifiers::SHIFT, true, b"\x1b[1;2C".to_vec())]
#[case::alt_down(KeyCode::Down, KeyModifiers::ALT, false, b"\x1b[1;3B".to_vec())]
#[case::home(KeyCode::Home, KeyModifiers::NONE, false, b"\x1b[H".to_vec())]
#[case::end_app(KeyCode::End, KeyModifiers::NONE, true, b"\x1bOF".to_vec())]
#[case::pgup(KeyCode::PageUp, KeyModifiers::NONE, false, b"\x1b[5~".to_vec())]
#[case::pgdn(KeyCode::PageDown, KeyModifiers::NONE, false, b"\x1b[6~".to_vec())]
#[case::ins(KeyCode::Insert, KeyModifiers::NONE, false, b"\x1b[2~".to_vec())]
#[case::del(KeyCode::Delete, KeyModifiers::NONE, false, b"\x1b[3~".to_vec())]
#[case::ctrl_del(KeyCode::Delete, KeyModifiers::CONTROL, false, b"\x1b[3;5~".to_vec())]
#[case::f1(KeyCode::F(1), KeyModifiers::NONE, false, b"\x1bOP".to_vec())]
#[case::f4(KeyCode::F(4), KeyModifiers::NONE, false, b"\x1bOS".to_vec())]
#[case::f5(KeyCode::F(5), KeyModifiers::NONE, false, b"\x1b[15~".to_vec())]
#[case::f12(KeyCode::F(12), KeyModifiers::NONE, false, b"\x1b[24~".to_vec())]
#[case::shift_f1(KeyCode::F(1), KeyModifiers::SHIFT, false, b"\x1b[1;2P".to_vec())]
fn xterm_encoding(
    #[case] code: KeyCode,
    #[case] mods: KeyModifiers,
    #[case] app_cursor: bool,
    #[case] want: Vec<u8>,
) {
    assert_eq!(keys::encode_key(key(code, mods), app_cursor), Some(want));
}

#[test]
fn paste_is_bracketed_when_the_lane_asks() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), "<enter>");
    assert_eq!(
        keys::paste(&st, "a\nb", true),
        Some(Action::WriteFocused {
            bytes: b"\x1b[200~a\rb\x1b[201~".to_vec()
        })
    );
    assert_eq!(
        keys::paste(&st, "x", false),
        Some(Action::WriteFocused {
            bytes: b"x".to_vec()
        })
    );
}

#[test]
fn app_cursor_arrows_in_focus_mode() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), "<enter>");
    let a = keys::translate(&st, &km(), key(KeyCode::Up, KeyModifiers::NONE), true);
    assert_eq!(
        a,
        Some(Action::WriteFocused {
            bytes: b"\x1bOA".to_vec()
        })
    );
    let fx = update(&mut st, a.unwrap());
    assert_eq!(fx.len(), 1);
}

#[test]
fn key_script_drives_the_screen() {
    let (mut st, _) = state_with(&["api", "auth-fix", "docs"], (100, 30));
    run_keys(&mut st, &km(), "j<enter>");
    let screens = FakeScreens::for_state(&st);
    let screen = draw(&st, &km(), &screens);
    assert!(screen.contains("FOCUS auth-fix"), "{screen}");
    assert!(screen.contains("auth-fix $ cargo test"), "{screen}");
    run_keys(&mut st, &km(), "<c-g>z");
    let screens = FakeScreens::for_state(&st);
    let screen = draw(&st, &km(), &screens);
    assert!(screen.contains("GRID"), "{screen}");
    assert!(screen.contains("docs $ cargo test"), "{screen}");
    run_keys(&mut st, &km(), ":lane rm docs<enter>");
    update(&mut st, checked("docs", Ok(Unsaved::default())));
    let screen = draw(&st, &km(), &screens);
    assert!(screen.contains("Remove lane docs?"), "{screen}");
}

/// A PTY backend that records what the engine writes and sizes.
#[derive(Default)]
struct Recorder {
    writes: Vec<(LaneId, Vec<u8>)>,
    screens: helios::pty::Screens,
}

impl helios::pty::PtyBackend for Recorder {
    fn sync(&mut self, _: &[helios::lanes::LaneInfo]) -> Vec<helios::pty::PtyError> {
        Vec::new()
    }
    fn write(&mut self, lane: &LaneId, bytes: Vec<u8>) -> Result<(), helios::pty::PtyError> {
        self.writes.push((lane.clone(), bytes));
        Ok(())
    }
    fn resize(&mut self, _: &LaneId, _: u16, _: u16) {}
    fn set_scroll(&mut self, _: &LaneId, _: usize) {}
    fn notice_handled(&self, _: &LaneId) {}
    fn snapshot(&self, _: &LaneId) -> Option<helios::pty::Snapshot> {
        None
    }
    fn input_modes(&self, _: &LaneId) -> helios::pty::InputModes {
        helios::pty::InputModes::default()
    }
    fn screens(&self) -> &dyn helios::ui::ScreenSource {
        &self.screens
    }
    fn shutdown(&mut self) {}
    fn restart(&mut self, _: &helios::lanes::LaneInfo) -> Result<(), helios::pty::PtyError> {
        Ok(())
    }
}

/// A keystroke passed to the focused lane draws no frame of its own (its echo, the lane's
/// output, does, at the urgent rate); background output is drawn, but not urgently.
#[tokio::test]
async fn keystrokes_in_focus_wait_for_their_echo_to_draw() {
    use helios::app::Event;
    use helios::runtime::{Engine, EngineCtx};
    let (state, _) = state_with(&["a", "b"], (120, 40));
    let dir = tempfile::tempdir().unwrap();
    let (journal, _join) =
        helios::store::journal::spawn(dir.path().join("journal.sqlite"), |_| {}).unwrap();
    let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
    let ctx = EngineCtx {
        events,
        journal,
        actor: "test@host".into(),
        quiet: std::time::Duration::from_secs(20),
        integrations: None,
        lanes: std::sync::Arc::new(helios::lanes::ops::ParLanes),
        nats: helios::config::NatsConfig::default(),
    };
    let mut engine = Engine::new(state, Recorder::default(), ctx);
    engine.handle(Action::Focus);
    let drawn = |e: &mut Engine<Recorder>| {
        let seen = (e.dirty, e.urgent);
        (e.dirty, e.urgent) = (false, false);
        seen
    };
    drawn(&mut engine);

    engine.handle(Action::WriteFocused {
        bytes: b"x".to_vec(),
    });
    assert_eq!(drawn(&mut engine), (false, false), "a passed-through key");
    assert_eq!(engine.ptys.writes, [(id("a"), b"x".to_vec())]);

    let at = std::time::Instant::now();
    engine.handle(Event::LaneOutput { lane: id("a"), at });
    assert_eq!(drawn(&mut engine), (true, true), "the focused lane's echo");
    engine.handle(Event::LaneOutput { lane: id("b"), at });
    assert_eq!(drawn(&mut engine), (true, false), "another lane's output");

    // Scrolled back, a key returns the lane to live: that changes the view, so it draws.
    engine.handle(Action::Scroll { lines: 5 });
    drawn(&mut engine);
    engine.handle(Action::WriteFocused {
        bytes: b"y".to_vec(),
    });
    assert_eq!(
        drawn(&mut engine),
        (true, true),
        "a key that ends scrollback"
    );
}

#[rstest]
#[case::ideographic_space(":lane\u{3000}abc<c-w>", ":lane\u{3000}")]
#[case::no_break_space(":x\u{a0}y<c-w>", ":x\u{a0}")]
#[case::complete_after_wide_space(":lane\u{3000}s<tab>", ":lane\u{3000}send ")]
fn prompt_edits_after_wide_whitespace_do_not_panic(#[case] script: &str, #[case] want: &str) {
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), script);
    match &st.mode {
        Mode::Prompt(p) => assert_eq!(format!(":{}", p.text), want),
        other => panic!("palette closed: {other:?}"),
    }
}

#[test]
fn ctrl_z_suspends_in_normal_mode_and_goes_to_the_lane_in_focus() {
    let (mut st, _) = state_with(&["a"], (100, 30));
    let fx = run_keys(&mut st, &km(), "<c-z>");
    assert_eq!(fx, vec![Effect::Suspend]);
    let fx = run_keys(&mut st, &km(), "<enter><c-z>");
    assert!(
        fx.contains(&Effect::WriteLane {
            lane: id("a"),
            bytes: vec![0x1a]
        }),
        "{fx:?}"
    );
    assert!(!fx.contains(&Effect::Suspend));
}

/// Ctrl-u and Ctrl-w edit every prompt the same way: the palette, the `s` and `c` prompts, the
/// lane filter and the Temporal panel's input line (one line editor behind all of them).
#[rstest]
#[case::palette_word(":lane new abc def<c-w>", "lane new abc ")]
#[case::palette_clear(":lane new abc<c-u>x", "x")]
#[case::send_word("sgit commit -m<c-w><c-w>", "git ")]
#[case::create_clear("cfix-login<c-u>", "")]
#[case::filter_word("/api web<c-w>", "api ")]
#[case::temporal_filter_word(
    "4/WorkflowType=\"Deploy\" AND x<c-w>",
    "WorkflowType=\"Deploy\" AND "
)]
#[case::temporal_filter_clear("4/ExecutionStatus=\"Failed\"<c-u>ok", "ok")]
#[case::temporal_alt_backspace("4/a b<a-backspace>", "a ")]
fn ctrl_u_and_ctrl_w_work_in_every_prompt(#[case] script: &str, #[case] want: &str) {
    let (mut st, _) = state_with(&["a"], (100, 30));
    run_keys(&mut st, &km(), script);
    let text = match (&st.mode, &st.temporal.editor) {
        (Mode::Prompt(p), _) => p.text.clone(),
        (Mode::Normal, Some(e)) => e.text.clone(),
        other => panic!("{script}: no prompt open: {other:?}"),
    };
    assert_eq!(text, want, "{script}");
}

fn event_at(id: &str, secs_ago: i64) -> helios::store::AuditEvent {
    let mut e = helios::store::AuditEvent::new(
        "u@h",
        "demo",
        "lane.created",
        Some("a"),
        true,
        serde_json::json!({"n": id, "long": "x".repeat(300)}),
    );
    e.id = id.into();
    e.at -= time::Duration::seconds(secs_ago);
    e
}

/// History read at start merges with this run's events (no duplicates, in time order); the
/// events panel selects with j/k, `Enter` opens the selected event's JSON, which scrolls and
/// closes with Esc.
#[test]
fn events_panel_history_selection_and_json() {
    use helios::app::Event;
    // 12 rows: the JSON overlay shows 9 lines at once, fewer than the event has.
    let (mut st, _) = state_with(&["a"], (100, 12));
    update(
        &mut st,
        Event::Journalled {
            event: event_at("E3", 1),
        },
    );
    update(
        &mut st,
        Event::JournalHistory {
            events: vec![event_at("E1", 300), event_at("E2", 200), event_at("E3", 1)],
        },
    );
    let ids: Vec<&str> = st.recent_events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["E1", "E2", "E3"]);

    run_keys(&mut st, &km(), "2kk");
    assert_eq!(st.events.selected.as_deref(), Some("E1"));
    run_keys(&mut st, &km(), "j<enter>");
    assert_eq!(st.events.selected.as_deref(), Some("E2"));
    assert_eq!(st.events.detail_top, Some(0));
    let lines = helios::app::events::detail_lines(&st);
    assert!(
        lines.iter().any(|l| l.contains("\"n\": \"E2\"")),
        "{lines:#?}"
    );
    // The 300-character value is wrapped to the overlay (98 columns inside), not cut.
    assert!(lines.iter().all(|l| l.chars().count() <= 98), "{lines:#?}");
    assert_eq!(lines.concat().matches('x').count(), 300);
    run_keys(&mut st, &km(), "j");
    assert_eq!(
        st.events.detail_top,
        Some(1),
        "j scrolls inside the overlay"
    );
    assert_eq!(st.events.selected.as_deref(), Some("E2"));
    run_keys(&mut st, &km(), "<esc>");
    assert_eq!(st.events.detail_top, None);
    // Past the newest, the selection follows new events again.
    run_keys(&mut st, &km(), "jj");
    assert_eq!(st.events.selected, None);
}

/// While the share dialog is open (it takes every key), the status line says so, not the
/// lane keys that do nothing meanwhile.
#[test]
fn the_status_line_names_the_share_dialog_while_it_is_open() {
    use helios::app::share::ShareAction;
    let (mut st, _) = state_with(&["a"], (100, 30));
    update(&mut st, Action::Share(ShareAction::Start { lane: id("a") }));
    assert!(st.share.dialog.is_some(), "no dialog: {:?}", st.flash);
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let status = screen.lines().nth(29).unwrap_or_default();
    assert!(
        status.starts_with(" SHARE ") && status.contains("esc closes the share dialog"),
        "{screen}"
    );
}

/// A label wider than its pane is cut with `…` in the pane's title, not silently by the border.
#[test]
fn a_label_wider_than_its_pane_is_cut_with_an_ellipsis() {
    let label = "a-label-much-too-long-for-the-pane-it-is-shown-in";
    let (st, _) = state_with(&[label], (60, 20));
    let screen = draw(&st, &km(), &FakeScreens::for_state(&st));
    let top = screen.lines().next().unwrap_or_default();
    assert!(top.contains("a-label-") && top.contains('…'), "{screen}");
}
