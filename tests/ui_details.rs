//! Snapshots of the console's detail views found wanting in a tryout: the explain overlay at
//! a wide and a small terminal, the events panel's detail column, and the lane list's state
//! lines (one duration for an `unknown` lane; a new lane before its first signal).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::{FakeScreens, busy_state, draw, run_keys};
use helios::app::keymap::Keymap;
use helios::lanes::LaneId;

fn km() -> Keymap {
    Keymap::load("default").unwrap()
}

/// The explain overlay of a lane whose hook asked for a permission: on a wide terminal it is
/// wide, and on a small one its wrapped lines stay under the words they continue.
#[test]
fn explain_fits_the_terminal_and_wraps_under_its_words() {
    for (size, name) in [((160, 40), "explain_160x40"), ((80, 24), "explain_80x24")] {
        let mut st = busy_state(size);
        st.selected = Some(LaneId::new("auth-fix"));
        run_keys(&mut st, &km(), "e");
        let screens = FakeScreens::for_state(&st);
        let screen = draw(&st, &km(), &screens);
        if size.0 == 80 {
            // The hook's line is cut before `old)`, which goes under its words, not to column 0.
            assert!(screen.contains("│             old)"), "{screen}");
        } else {
            assert!(
                screen.contains(&format!(
                    "┌ why: auth-fix · any key closes {}┐",
                    "─".repeat(94)
                )),
                "{screen}"
            );
        }
        insta::assert_snapshot!(name, screen);
    }
}
