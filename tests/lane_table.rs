//! `helios lane ls`'s table: every column starts at the same display column in the header and
//! in each row, whatever the labels, branches and worktree paths hold (wide characters,
//! escaped controls, long paths), as the README promises ("tables align by display width").
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use helios::agent::{LaneState, Source, Status};
use helios::commands::lane::write_rows;
use helios::lanes::{GitCounts, LaneId, LaneInfo, LaneSource};
use helios::text;

fn lane(label: &str, branch: &str, worktree: &str, dirty: u32, ahead: u32) -> LaneInfo {
    LaneInfo {
        id: LaneId::new(label),
        branch: Some(branch.into()),
        worktree: PathBuf::from(worktree),
        source: LaneSource::Par {
            session: format!("par-r-ab12-{label}"),
        },
        session_alive: true,
        git: GitCounts {
            dirty,
            ahead,
            behind: 0,
            base: Some("main".into()),
        },
    }
}

/// The text of `line` from display column `col` on (`None` when a wide character straddles it).
fn from_column(line: &str, col: usize) -> Option<&str> {
    let mut at = 0;
    for (i, c) in line.char_indices() {
        if at == col {
            return Some(&line[i..]);
        }
        at += text::width(c.encode_utf8(&mut [0; 4]));
        if at > col {
            return None;
        }
    }
    (at == col).then_some("")
}

#[test]
fn every_column_starts_in_line_with_its_header() {
    let lanes = vec![
        lane("a", "a", "/w/a", 0, 0),
        lane("日本語", "機能-ブランチ", "/w/日本語/deeper/still", 12, 3),
        lane("x\u{1b}y", "b", "/w/x\u{1b}y", 345, 10_000),
    ];
    let now = time::OffsetDateTime::now_utc();
    let states = vec![
        None,
        Some(LaneState {
            status: Status::Working,
            since: now,
            source: Source::Screen,
            reason: "compiling".into(),
        }),
        None,
    ];
    let mut out = Vec::new();
    write_rows(&mut out, &lanes, &states, false).unwrap();
    let table = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    let header = lines[0];
    let names = [
        "LABEL",
        "BRANCH",
        "TMUX",
        "DIRTY",
        "BASE",
        "AHEAD/BEH",
        "WORKTREE",
        "STATE",
    ];
    // Where each header name starts, in display columns (the header is ASCII).
    let starts: Vec<usize> = names
        .iter()
        .map(|n| {
            header
                .find(n)
                .unwrap_or_else(|| panic!("{n} in {header:?}"))
        })
        .collect();
    for (row, (l, state)) in lines[1..].iter().zip(lanes.iter().zip(&states)) {
        let cells = [
            text::escape(l.id.as_str()).into_owned(),
            l.branch.clone().unwrap(),
            "up".into(),
            l.git.dirty.to_string(),
            "main".into(),
            format!("+{}/-{}", l.git.ahead, l.git.behind),
            text::escape(&l.worktree.display().to_string()).into_owned(),
            state
                .as_ref()
                .map_or("-".into(), |_| "working · compiling · ".into()),
        ];
        for (c, cell) in cells.iter().enumerate() {
            // DIRTY and AHEAD/BEH are right-aligned: their cells end where their header ends.
            let col = if matches!(names[c], "DIRTY" | "AHEAD/BEH") {
                starts[c] + names[c].len() - text::width(cell)
            } else {
                starts[c]
            };
            let shown = from_column(row, col)
                .unwrap_or_else(|| panic!("{} splits a character in {row:?}\n{table}", names[c]));
            assert!(
                shown.starts_with(cell.as_str()),
                "{} of {row:?} is not at column {col}\n{table}",
                names[c]
            );
        }
        assert!(!row.contains('\u{1b}'), "{row:?}");
    }
}

/// A lane whose tmux session lives but whose agent ended: the session column says the
/// session is up, and nothing on the row reads as if the agent were alive.
#[test]
fn the_tmux_column_says_the_session_is_up_beside_an_exited_agent() {
    let lanes = vec![lane("a", "a", "/w/a", 0, 0)];
    let states = vec![Some(LaneState {
        status: Status::Exited(Some(3)),
        since: time::OffsetDateTime::now_utc(),
        source: Source::Process,
        reason: String::new(),
    })];
    let mut out = Vec::new();
    write_rows(&mut out, &lanes, &states, false).unwrap();
    let table = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    let col = lines[0].find("TMUX").expect("a TMUX column");
    assert!(!lines[0].contains("STATUS"), "{table}");
    assert!(lines[1][col..].starts_with("up "), "{table}");
    assert!(lines[1].contains("exited (3)"), "{table}");
    assert!(!table.contains("alive"), "{table}");
    // The JSON keeps its field and word: scripts and other hosts read them.
    let mut out = Vec::new();
    write_rows(&mut out, &lanes, &states, true).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json[0]["status"], "alive");
}
