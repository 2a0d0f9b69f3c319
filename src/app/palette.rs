//! The `:` command palette: parsing a line into an Action, and completion candidates. Pure.
//!
//! The commands mirror the CLI (`lane new NAME [--base REF] [--cmd CMD]`, `lane rm NAME`,
//! `lane send NAME|all TEXT…`, `lane attach NAME`), plus the panels (`grid`, `lanes`, `events`,
//! `nats`, `temporal`), the events filter (`events lane=L action=P result=ok|error`), `help`,
//! `quit`, and every dotted command name of the registry.

use crate::app::action::SendTarget;
use crate::app::nats::{EventsFilter, NatsAction};
use crate::app::{Action, AppState, command};
use crate::model::EventResult;
use crate::model::LaneId;

/// The words a palette line can start with, besides the registry names.
pub const TOP_WORDS: &[&str] = &[
    "lane", "grid", "lanes", "events", "nats", "temporal", "help", "quit",
];

/// The `lane` subcommands.
pub const LANE_WORDS: &[&str] = &["new", "rm", "send", "attach"];

/// The registry command each palette word stands for: its action and its description.
const WORD_COMMANDS: &[(&str, &str)] = &[
    ("q", "app.quit"),
    ("grid", "view.toggle_grid"),
    ("lanes", "panel.lanes"),
    ("events", "panel.events"),
    ("nats", "panel.nats"),
    ("temporal", "panel.temporal"),
    ("help", "help.toggle"),
    ("quit", "app.quit"),
    ("new", "lane.create"),
    ("rm", "lane.remove"),
    ("send", "lane.send"),
    ("attach", "lane.attach"),
];

/// The one-line description the palette shows beside a completion candidate: the command
/// registry's, for a command name or a palette word that stands for one.
pub fn describe(candidate: &str) -> Option<&'static str> {
    if candidate == "lane" {
        return Some("new, rm, send or attach a lane");
    }
    let name = WORD_COMMANDS
        .iter()
        .find(|(w, _)| *w == candidate)
        .map_or(candidate, |(_, c)| *c);
    command::description(name)
}

/// Parse a palette line. `Ok(None)` for an empty line; `Err` is the one-line message to flash.
///
/// Words are shell words (`shell-words`): `"a b"` and `'a b'` are one word, `\"` a quote.
pub fn parse(line: &str, state: &AppState) -> Result<Option<Action>, String> {
    let words = shell_words::split(line).map_err(|_| {
        format!(
            "unbalanced quote in `{}`: close it, or put a \\ before a quote meant literally",
            line.trim()
        )
    })?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let Some(&first) = words.first() else {
        return Ok(None);
    };
    // A top-level word stands for a registry command: its action comes from the one table.
    let word = WORD_COMMANDS
        .iter()
        .find(|(w, _)| *w == first && (*w == "q" || TOP_WORDS.contains(w)))
        .map(|(_, c)| *c);
    let action = match first {
        "lane" => parse_lane(&words, state)?,
        "events" if words.len() > 1 => return parse_events(&words[1..]).map(Some),
        name if word.is_some() || command::is_known(name) => {
            let name = word.unwrap_or(name);
            command::action_for(name, state.selected_visible())
                .ok_or_else(|| format!("`{name}` needs a selected lane; select one first"))?
        }
        other => {
            let known = TOP_WORDS
                .iter()
                .copied()
                .chain(command::COMMANDS.iter().map(|c| c.name));
            return Err(format!(
                "unknown command `{other}`{}; press Tab to complete, or see `help`",
                mean(other, known)
            ));
        }
    };
    if words.len() > 1 && first != "lane" {
        return Err(format!("`{first}` takes no arguments"));
    }
    Ok(Some(action))
}

/// `events lane=L action=PREFIX result=ok|error` (any subset, `-` clears): the events filter.
fn parse_events(args: &[&str]) -> Result<Action, String> {
    const USAGE: &str =
        "usage: events [lane=LANE] [action=PREFIX] [result=ok|error], or events - to clear";
    let mut filter = EventsFilter::default();
    for arg in args {
        match arg.split_once('=') {
            Some(("lane", v)) if !v.is_empty() => filter.lane = Some(v.to_string()),
            Some(("action", v)) if !v.is_empty() => filter.action = Some(v.to_string()),
            Some(("result", "ok")) => filter.result = Some(EventResult::Ok),
            Some(("result", "error")) => filter.result = Some(EventResult::Error),
            None if *arg == "-" => filter = EventsFilter::default(),
            _ => return Err(format!("`{arg}`: {USAGE}")),
        }
    }
    Ok(Action::Nats(NatsAction::SetFilter { filter }))
}

fn parse_lane(words: &[&str], state: &AppState) -> Result<Action, String> {
    const USAGE: &str = "usage: lane new NAME [--host HOST] [--base REF] [--cmd CMD] | lane rm NAME | lane send NAME|all TEXT… | lane attach NAME";
    let sub = words.get(1).copied().ok_or(USAGE)?;
    let name = words.get(2).copied();
    match sub {
        "new" => {
            let label =
                name.ok_or("usage: lane new NAME [--host HOST] [--base REF] [--cmd CMD]")?;
            let (mut base, mut cmd, mut host) = (None, None, None);
            let mut i = 3;
            while i < words.len() {
                match words[i] {
                    "--base" => {
                        base = Some(words.get(i + 1).ok_or("--base needs a REF")?.to_string());
                        i += 2;
                    }
                    "--host" => {
                        host = Some(words.get(i + 1).ok_or("--host needs a HOST")?.to_string());
                        i += 2;
                    }
                    "--cmd" => {
                        // The command is the rest of the words: one (quoted) word as it is,
                        // several quoted again so each stays one argument in the lane's shell.
                        cmd = Some(match &words[i + 1..] {
                            [] => return Err("--cmd needs a command".into()),
                            [one] => (*one).to_string(),
                            many => shell_words::join(many),
                        });
                        break;
                    }
                    other => return Err(format!("unexpected `{other}` after lane new {label}")),
                }
            }
            Ok(match host {
                Some(host) => Action::CreateOnHost {
                    host,
                    label: label.to_string(),
                    base,
                    cmd,
                },
                None => Action::CreateLane {
                    label: label.to_string(),
                    base,
                    cmd,
                },
            })
        }
        "rm" => Ok(Action::AskRemove {
            lane: known_lane(name, state, "rm")?,
        }),
        "attach" => Ok(Action::Attach {
            lane: known_lane(name, state, "attach")?,
        }),
        "send" => {
            let target = match name {
                Some("all") => SendTarget::All,
                _ => SendTarget::Lane(known_lane(name, state, "send")?),
            };
            // Like `helios lane send NAME -- TEXT…`: the words joined by one space.
            let text = words.get(3..).unwrap_or_default().join(" ");
            if text.is_empty() && words.len() <= 3 {
                return Err("usage: lane send NAME|all TEXT…".into());
            }
            // Typed but empty (`""`): refused for all lanes with the CLI's own reason.
            if target == SendTarget::All
                && let Some(why) = crate::model::lane::send_all_refusal(&text)
            {
                return Err(format!("lane send all refused: {why}"));
            }
            if text.is_empty() {
                return Err("usage: lane send NAME|all TEXT…".into());
            }
            Ok(Action::SendLine { target, text })
        }
        other => Err(format!(
            "unknown lane command `{other}`{}; {USAGE}",
            mean(other, LANE_WORDS.iter().copied())
        )),
    }
}

fn known_lane(name: Option<&str>, state: &AppState, sub: &str) -> Result<LaneId, String> {
    let name = name.ok_or_else(|| format!("usage: lane {sub} NAME"))?;
    let id = LaneId::new(name);
    if state.lane(&id).is_none() {
        return Err(format!(
            "no lane named `{name}`; press Tab after `lane {sub} ` to list them"
        ));
    }
    Ok(id)
}

/// Where the last word of `text` starts: after its last whitespace character, which can be
/// wider than one byte (U+3000, a no-break space), so `i + 1` would cut a character in two.
pub fn last_word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// ` (did you mean `new`?)` when `typed` is one or two typos from a known word (one for a word
/// of up to four letters, where two would match almost anything), else nothing.
fn mean<'a>(typed: &str, known: impl Iterator<Item = &'a str>) -> String {
    let close =
        |k: &&str| strsim::damerau_levenshtein(typed, k) <= if k.len() <= 4 { 1 } else { 2 };
    known
        .filter(close)
        .min_by_key(|k| strsim::damerau_levenshtein(typed, k))
        .map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"))
}

/// Completion candidates for the word being typed (the last one; empty after a space).
pub fn candidates(line: &str, state: &AppState) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let typing_new = line.is_empty() || line.ends_with(char::is_whitespace);
    let (done, partial) = if typing_new {
        (&words[..], "")
    } else {
        (&words[..words.len() - 1], words[words.len() - 1])
    };
    let lanes = || state.lanes.iter().map(|l| l.id().as_str().to_string());
    let pool: Vec<String> = match done {
        [] => TOP_WORDS
            .iter()
            .map(|w| (*w).to_string())
            .chain(command::COMMANDS.iter().map(|c| c.name.to_string()))
            .collect(),
        ["lane"] => LANE_WORDS.iter().map(|w| (*w).to_string()).collect(),
        ["lane", "rm" | "attach"] => lanes().collect(),
        ["lane", "send"] => std::iter::once("all".to_string()).chain(lanes()).collect(),
        ["events", ..] => ["lane=", "action=", "result=ok", "result=error"]
            .iter()
            .map(|w| (*w).to_string())
            .chain(lanes().map(|l| format!("lane={l}")))
            .collect(),
        ["lane", "new", _, ..] if !done.contains(&"--cmd") => {
            vec!["--base".to_string(), "--cmd".to_string()]
        }
        _ => Vec::new(),
    };
    pool.into_iter()
        .filter(|c| c.starts_with(partial))
        .collect()
}

/// The line after pressing Tab: the single candidate (and a space), or the longest common prefix.
pub fn complete(line: &str, state: &AppState) -> String {
    let cands = candidates(line, state);
    let stem_len = if line.is_empty() || line.ends_with(char::is_whitespace) {
        line.len()
    } else {
        last_word_start(line)
    };
    let stem = &line[..stem_len];
    match cands.as_slice() {
        [] => line.to_string(),
        [one] => format!("{stem}{one} "),
        many => {
            let mut prefix = many[0].clone();
            for c in &many[1..] {
                let common = prefix
                    .chars()
                    .zip(c.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                prefix = prefix.chars().take(common).collect();
            }
            if prefix.len() > line.len() - stem_len {
                format!("{stem}{prefix}")
            } else {
                line.to_string()
            }
        }
    }
}
