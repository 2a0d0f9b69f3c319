//! `helios lane ls`: the lane table, and each lane as JSON (also what the MCP `list_lanes`
//! tool returns).

use std::io::Write;

use serde_json::{Value, json};

use crate::lanes::LaneInfo;
use crate::text;

/// One lane as `lane ls --json` prints it, with its state (`state`, `state_kind`,
/// `state_since`, `state_source`, `state_reason`; null when none was ever recorded).
pub fn lane_json(lane: &LaneInfo, state: Option<&crate::agent::LaneState>) -> Value {
    let mut v = json!({
        "label": lane.id.as_str(),
        "branch": lane.branch,
        "worktree": lane.worktree.display().to_string(),
        "session": lane.session(),
        "status": lane.status_word(),
        "durable": lane.is_durable(),
        "dirty": lane.git.dirty,
        "base": lane.git.base,
        "ahead": lane.git.ahead,
        "behind": lane.git.behind,
    });
    let rec = state.map(crate::agent::LaneState::to_record);
    if let Some(m) = v.as_object_mut() {
        m.insert("state".into(), json!(rec.as_ref().map(|r| &r.state)));
        m.insert(
            "state_kind".into(),
            json!(rec.as_ref().and_then(|r| r.state_kind.clone())),
        );
        m.insert(
            "state_since".into(),
            json!(rec.as_ref().and_then(|r| {
                r.state_since
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })),
        );
        m.insert(
            "state_source".into(),
            json!(rec.as_ref().map(|r| &r.state_source)),
        );
        m.insert(
            "state_reason".into(),
            json!(rec.as_ref().map(|r| &r.state_reason)),
        );
    }
    v
}

/// Write `lane ls` output (table or JSON) to `out`, without states.
pub fn write_lanes(out: &mut impl Write, lanes: &[LaneInfo], as_json: bool) -> anyhow::Result<()> {
    write_rows(out, lanes, &[], as_json)
}

/// Write `lane ls` output with each lane's state (`states[i]` is lane `i`'s, when known).
pub fn write_rows(
    out: &mut impl Write,
    lanes: &[LaneInfo],
    states: &[Option<crate::agent::LaneState>],
    as_json: bool,
) -> anyhow::Result<()> {
    let state_of = |i: usize| states.get(i).and_then(Option::as_ref);
    if as_json {
        let arr: Vec<Value> = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| lane_json(l, state_of(i)))
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&arr)?)?;
        return Ok(());
    }
    if lanes.is_empty() {
        writeln!(out, "no lanes: create one with `helios lane new NAME`")?;
        return Ok(());
    }
    let now = time::OffsetDateTime::now_utc();
    let state_text = |i: usize| {
        state_of(i).map_or_else(
            || "-".to_string(),
            |s| {
                let age = crate::agent::decide::short_age((now - s.since).whole_seconds());
                if s.reason.is_empty() {
                    format!("{} · {age}", s.status.label())
                } else {
                    format!(
                        "{} · {} · {age}",
                        s.status.label(),
                        text::truncate(&s.reason, 40)
                    )
                }
            },
        )
    };
    let rows: Vec<[String; 8]> = lanes
        .iter()
        .enumerate()
        .map(|(i, l)| {
            [
                l.id.as_str().to_string(),
                l.branch.clone().unwrap_or_else(|| "-".into()),
                l.tmux_word().to_string(),
                l.git.dirty.to_string(),
                l.git.base.clone().unwrap_or_else(|| "-".into()),
                format!("+{}/-{}", l.git.ahead, l.git.behind),
                l.worktree.display().to_string(),
                state_text(i),
            ]
        })
        .collect();
    let header = [
        "LABEL",
        "BRANCH",
        "TMUX",
        "DIRTY",
        "BASE",
        "AHEAD/BEH",
        "WORKTREE",
        "STATE",
    ]
    .map(String::from);
    // Widths in display columns of the escaped text: that is what the terminal shows, and
    // every column but the last is padded to its widest cell so the next one starts in line.
    let mut widths = [0; 8];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(text::width(&text::escape(cell)));
        }
    }
    // Numbers read best right-aligned.
    let right = [false, false, false, true, false, true, false, false];
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            if c == row.len() - 1 {
                line.push_str(&text::escape(cell));
            } else if right[c] {
                let shown = text::escape(cell);
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[c].saturating_sub(text::width(&shown)),
                ));
                line.push_str(&shown);
            } else {
                line.push_str(&text::pad(cell, widths[c]));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}
