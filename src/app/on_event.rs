//! How each IO event changes the state.

use crate::app::on_action::flash;
use crate::app::state::{Confirm, FlashLevel, Lane, LaneStatus, Mode};
use crate::app::{Action, AppState, Effect, Event, nats, share, temporal};

/// A lane set the clipboard: an audit event every time (never with the text: it may be a
/// secret), and the text on to the user's terminal only when the config allows it.
fn lane_clipboard(
    state: &mut AppState,
    lane: crate::model::LaneId,
    text: String,
    allowed: bool,
) -> Vec<Effect> {
    let mut effects = vec![Effect::Record {
        action: "lane.clipboard".into(),
        lane: Some(lane.clone()),
        ok: allowed,
        detail: serde_json::json!({
            "chars": text.chars().count(),
            "outcome": if allowed { "copied" } else { "refused" },
        }),
    }];
    if allowed {
        effects.push(Effect::Clipboard { text });
    } else {
        let why = format!(
            "lane {lane} tried to set the clipboard: refused ([lanes] clipboard = \"allow\" lets lanes do it)"
        );
        flash(state, FlashLevel::Info, &why);
    }
    effects
}

/// How many recent audit events the events panel keeps in memory.
const RECENT_EVENTS: usize = 500;

/// Apply one event.
pub fn apply(state: &mut AppState, event: Event) -> Vec<Effect> {
    if !crate::app::news::is_news(state, &event) {
        // Nothing to apply; a re-read still has the lanes' terminals looked after (one whose
        // client died is started again) and the stored states read again: the periodic read
        // is what catches a hook whose wake-up came before its state was in the store.
        return match event {
            Event::LanesDiscovered { .. } => vec![Effect::SyncPtys, Effect::LoadLaneStates],
            _ => Vec::new(),
        };
    }
    match event {
        Event::Tick { now } => {
            state.now = now;
            Vec::new()
        }
        Event::Resized { cols, rows } => {
            state.size = (cols, rows);
            vec![Effect::ResizeLanes]
        }
        Event::LanesDiscovered { lanes } => {
            let mut next: Vec<Lane> = lanes
                .into_iter()
                .map(|info| match state.lane(&info.id) {
                    Some(old) => {
                        let mut l = old.clone();
                        if !info.session_alive {
                            l.status = LaneStatus::Missing;
                        } else if l.status == LaneStatus::Missing {
                            l.status = LaneStatus::Idle;
                        }
                        l.info = info;
                        l
                    }
                    None => Lane::new(info),
                })
                .collect();
            // A helios-owned lane whose shell still runs stays when discovery no longer lists
            // it (the main checkout once par has lanes, a worktree removed behind helios's
            // back): dropping it would close its terminal and end what runs there. It goes
            // with the first discovery after its shell ended.
            let running_owned: Vec<Lane> = state
                .lanes
                .iter()
                .filter(|l| {
                    use crate::agent::Process;
                    // The probe found a process in its terminal (a lane with no terminal, as
                    // in the compact view, has nothing to lose).
                    matches!(l.info.source, crate::model::LaneSource::Worktree)
                        && l.status != LaneStatus::Exited
                        && matches!(
                            l.agent.inputs.process,
                            Process::Shell(_) | Process::Program(_)
                        )
                        && !next.iter().any(|n| n.id() == l.id())
                })
                .cloned()
                .collect();
            next.extend(running_owned);
            // Lanes on other machines come from the buckets, not from discovery.
            next.extend(state.lanes.iter().filter(|l| l.remote.is_some()).cloned());
            state.lanes = next;
            settle_lanes(state);
            // A par lane whose session is gone is exited; one that came back is not.
            let gone: Vec<_> = state
                .lanes
                .iter()
                .filter(|l| l.status == LaneStatus::Missing)
                .map(|l| l.id().clone())
                .collect();
            let mut effects = vec![
                Effect::SyncPtys,
                Effect::ResizeLanes,
                Effect::LoadLaneStates,
            ];
            for id in gone {
                effects.extend(crate::app::agent::on_gone(state, &id));
            }
            for l in &mut state.lanes {
                if l.status != LaneStatus::Missing {
                    l.agent.inputs.gone = false;
                }
                if l.status != LaneStatus::Missing && l.status != LaneStatus::Exited {
                    l.agent.inputs.exited = None;
                }
            }
            effects
        }
        Event::Fleet(ev) => crate::app::fleet::on_fleet(state, ev),
        Event::DiscoveryFailed { error } => {
            flash(state, FlashLevel::Error, &error);
            Vec::new()
        }
        Event::Notice { level, text } => {
            state.flash(level, &text);
            Vec::new()
        }
        Event::LaneRepaint { lane, at } => {
            if let Some(l) = state.lane_mut(&lane) {
                l.repaint = Some(at);
            }
            Vec::new()
        }
        Event::LaneOutput { lane, at } => {
            // The redraw that follows a resize or the attach client's first draw repaints what
            // was there: no sign that the lane runs or printed (selecting a quiet lane showed
            // it `running 0s`).
            let Some(l) = state.lane_mut(&lane) else {
                return Vec::new();
            };
            if crate::app::agent::is_repaint(l.repaint, at) {
                return Vec::new();
            }
            // Maybe the redraw for another tmux client's resize: the next look tells.
            if crate::app::agent::holds_change(l) {
                l.held_output = Some(at);
                return Vec::new();
            }
            l.last_output = Some(at);
            // Output means something runs again (a restarted attach or shell), except from an
            // ended lane: a dead par pane's attach client draws it when it is selected, and
            // only the process probe says it runs again (a lane taken for running lost its
            // exit at the next discovery, and was decided working, then exited anew).
            if l.status != LaneStatus::Exited {
                l.status = LaneStatus::Running;
            }
            Vec::new()
        }
        Event::LaneScrollReach { lane, rows } => {
            // Scrolling on past the oldest line counted rows nobody saw: the way forward
            // would take as many presses before the view moved.
            if let Some(l) = state.lane_mut(&lane)
                && l.scroll > rows
            {
                l.scroll = rows;
                if rows == 0 {
                    l.search = None;
                }
            }
            Vec::new()
        }
        Event::LaneBell { lane } => {
            crate::app::agent::on_alert(state, &lane, crate::agent::Source::Bell, String::new())
        }
        Event::LaneNotified { lane, text } => {
            crate::app::agent::on_alert(state, &lane, crate::agent::Source::Osc, text)
        }
        Event::LaneClipboard {
            lane,
            text,
            allowed,
        } => lane_clipboard(state, lane, text, allowed),
        Event::LaneTapDecided { .. } => vec![Effect::SyncPtys],
        // The engine starts the client after every event (`PtyBackend::set_front`); a seeded
        // screen is drawn, but the lane printed nothing new.
        Event::LaneClientSized { .. } | Event::LaneSeeded { .. } => Vec::new(),
        Event::LaneEnterDue { lane } => vec![Effect::WriteLane {
            lane,
            bytes: vec![b'\r'],
        }],
        Event::LaneRestarted { lane } => {
            let now = state.clock;
            if let Some(l) = state.lane_mut(&lane) {
                l.status = LaneStatus::Idle;
                l.agent.inputs.exited = None;
                // A new program is a change of the lane: it is dated from now, not left quiet
                // since a first look (which would keep the exited state shown).
                if now.is_some() {
                    l.agent.inputs.last_change = now;
                }
            }
            flash(state, FlashLevel::Info, &format!("lane {lane} restarted"));
            crate::app::agent::decide(state, &lane)
        }
        Event::LaneExited { lane, code } => {
            let Some(l) = state.lane_mut(&lane) else {
                return Vec::new();
            };
            let durable = l.info.is_durable();
            // A remote lane's terminal is the local `ssh -t HOST tmux attach`: its end is the
            // connection's, not the agent's on that host.
            let over_ssh = l.remote.as_ref().map(|r| r.host.clone());
            if !durable {
                l.status = LaneStatus::Exited;
            }
            // A par lane's client ended (its session was killed): focus ends with it. A
            // helios-owned lane's program ended: the focus stays on its last screen, keys go
            // nowhere (typed on, they would be console commands) and the status line says how
            // to restart it.
            if durable && state.focused.as_ref() == Some(&lane) {
                state.focused = None;
                state.mode = Mode::Normal;
            }
            if durable {
                // helios's own `tmux attach` ended, not necessarily the lane: discovery says
                // whether the session is gone (the lane is then missing), the probe whether
                // its pane died (with the program's real status); the client attaches again.
                return vec![Effect::DiscoverLanes];
            }
            let how = code.map_or_else(String::new, |c| format!(" (exit {c})"));
            let then = if state.focused.as_ref() == Some(&lane) {
                "; Ctrl-g, then R starts it again"
            } else {
                "; R starts it again"
            };
            let what = match over_ssh {
                Some(host) => format!(
                    "ssh to {host} for lane {lane} ended{how} (the lane there goes on){}",
                    then.replace("starts it again", "connects again")
                ),
                None => format!("lane {lane} ended{how}{then}"),
            };
            flash(state, FlashLevel::Info, &what);
            let code = code.and_then(|c| i32::try_from(c).ok());
            crate::app::agent::on_exit(state, &lane, code)
        }
        Event::Clock { at } => {
            // Never backwards: ticks and keys may arrive out of order within a turn.
            if state.clock.is_none_or(|c| c < at) {
                state.clock = Some(at);
            }
            Vec::new()
        }
        Event::LaneScreens { at, lanes } => crate::app::agent::on_screens(state, at, lanes),
        Event::LaneProcesses { lanes } => crate::app::agent::on_processes(state, lanes),
        Event::LaneStatesLoaded { lanes } => crate::app::agent::on_loaded(state, lanes),
        Event::LaneStatesChanged => vec![Effect::LoadLaneStates],
        Event::SearchFound { lane, query, found } => {
            crate::app::search::on_found(state, &lane, query, found);
            Vec::new()
        }
        Event::LaneProgress { lane, progress } => {
            crate::app::agent::on_progress(state, &lane, progress);
            Vec::new()
        }
        Event::LaneCommandDone { what, lane, result } => {
            match &result {
                Ok(msg) => flash(state, FlashLevel::Info, msg),
                Err(err) => flash(state, FlashLevel::Error, err),
            }
            if lane.is_some() && state.removing == lane {
                // The check was refused before it ran (a plain worktree, a lane gone).
                state.removing = None;
            }
            if result.is_ok() && what == crate::model::AuditAction::LaneCreated.to_string() {
                state.select_new = lane;
            } else if what == crate::model::AuditAction::LaneRemoved.to_string()
                && let Some(id) = &lane
            {
                removed(state, id, result.is_ok());
            }
            vec![Effect::DiscoverLanes]
        }
        Event::UnsavedChecked { lane, result } => {
            unsaved_checked(state, lane, result);
            Vec::new()
        }
        Event::Resumed { error } => {
            if let Some(e) = error {
                flash(state, FlashLevel::Error, &e);
            }
            // Lanes may have come and gone while helios was stopped.
            vec![Effect::DiscoverLanes]
        }
        Event::Journalled { event } => {
            state.journal_error = None;
            state.recent_events.push(event);
            if state.recent_events.len() > RECENT_EVENTS {
                let extra = state.recent_events.len() - RECENT_EVENTS;
                state.recent_events.drain(..extra);
            }
            Vec::new()
        }
        Event::JournalHistory { events } => {
            crate::app::events::add_history(state, events);
            Vec::new()
        }
        Event::JournalFailed { error } => {
            // Failed retries repeat every 200 ms: say it once, so a refusal stays readable.
            if state.journal_error.as_ref() != Some(&error) {
                let text = format!(
                    "audit journal: {error}; new actions are refused until it can be written, results wait in memory"
                );
                flash(state, FlashLevel::Error, &text);
                state.journal_error = Some(error);
            }
            Vec::new()
        }
        Event::Nats(e) => nats::on_event(state, e),
        Event::Temporal(e) => temporal::on_event(state, e),
        Event::Share(e) => share::on_event(state, e),
    }
}

/// How many commits and files the remove dialog lists before "… and N more".
const DIALOG_LIST: usize = 5;

/// The check before removing a lane answered: open the dialog that says what would be lost.
/// Nothing lost: one plain question. Work would be lost, or the check failed: the dialog names
/// the work, and a yes asks once more (`AskRemoveAnyway`) before the removal is forced.
fn unsaved_checked(
    state: &mut AppState,
    lane: crate::model::LaneId,
    result: Result<crate::model::work::Unsaved, String>,
) {
    // An answer for a request since replaced, or for a dialog the user already left.
    if state.removing.as_ref() != Some(&lane) {
        return;
    }
    state.removing = None;
    if state.mode != Mode::Normal || state.lane(&lane).is_none() {
        flash(
            state,
            FlashLevel::Info,
            &format!("lane {lane} was not removed: press d on it again"),
        );
        return;
    }
    state.flash = None;
    let (question, on_yes) = match result {
        Ok(u) if u.is_empty() => (
            format!(
                "Remove lane {lane}? This deletes its worktree, branch and tmux session. Nothing is lost: {}.",
                u.summary()
            ),
            Action::RemoveLane { lane, force: false },
        ),
        Ok(u) => {
            let mut q = format!("Lane {lane} has work that removing it would delete:");
            for l in u.lines(DIALOG_LIST) {
                q.push('\n');
                q.push_str(&l);
            }
            q.push_str("\nRemove the lane with its worktree, branch and tmux session?");
            let loss = capitalise(&u.summary());
            (q, Action::AskRemoveAnyway { lane, loss })
        }
        Err(e) => (
            format!("Cannot tell whether lane {lane} holds unsaved work: {e}\nRemove it anyway?"),
            Action::AskRemoveAnyway {
                lane,
                loss: "Whatever it holds that is not saved elsewhere".into(),
            },
        ),
    };
    state.mode = Mode::Confirm(Confirm {
        question,
        on_yes: Box::new(on_yes),
    });
}

/// This console's removal of lane `id` ended. Removed, the lane leaves the list at once (the
/// discovery that follows would drop it a moment later, the look deciding it meanwhile), and
/// the selection goes to the lane that took its row, not back to the top; refused, it is
/// decided again.
fn removed(state: &mut AppState, id: &crate::model::LaneId, gone: bool) {
    state.removed.retain(|r| r != id);
    if !gone {
        return;
    }
    let Some(i) = state
        .lanes
        .iter()
        .position(|l| l.id() == id && l.remote.is_none())
    else {
        return;
    };
    state.lanes.remove(i);
    if state.selected.as_ref() == Some(id) {
        let next = state
            .lanes
            .get(i)
            .or_else(|| state.lanes.get(i.checked_sub(1)?));
        state.selected = next.map(|l| l.id().clone());
    }
    settle_lanes(state);
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Lanes needing attention first (most urgent state, then the oldest), then by label.
/// After the lanes changed: their order, and a selection and focus that still exist (the
/// first lane selected; a focus on a lane that is gone ends).
pub fn settle_lanes(state: &mut AppState) {
    sort_lanes(&mut state.lanes);
    // A lane the user just made is selected when it appears: from discovery here, or from its
    // host's bucket (`host/label`) for one made on another machine.
    if let Some(new) = state
        .select_new
        .take_if(|n| state.lanes.iter().any(|l| l.id() == n))
    {
        state.selected = Some(new);
        state.auto_pick = None;
    }
    let top = state.lanes.first().map(|l| l.id().clone());
    if state.selected.is_none() {
        // The console's own pick, at its start: the top row.
        state.selected.clone_from(&top);
        state.auto_pick.clone_from(&top);
    }
    follow_top(state);
    if state
        .selected
        .as_ref()
        .is_none_or(|s| state.lane(s).is_none())
    {
        state.selected.clone_from(&top);
    }
    if state
        .focused
        .as_ref()
        .is_some_and(|f| state.lane(f).is_none())
    {
        state.focused = None;
        state.mode = Mode::Normal;
    }
}

/// Sort the lanes again after their states changed ([`sort_lanes`]), the console's own pick of
/// a selection going with the top row ([`follow_top`]).
pub fn resort(state: &mut AppState) {
    sort_lanes(&mut state.lanes);
    follow_top(state);
}

/// A selection the console made by itself, and nobody has moved since (any action clears
/// `auto_pick`), goes to the top row once a lane that needs you is there, then stays: those
/// come to the top as their states load, and a console that started on the first label
/// alphabetically left Enter on a lane in the middle of the list. Lanes that need nobody
/// moving about (a new one listed above) do not move it.
fn follow_top(state: &mut AppState) {
    if state.auto_pick.is_none() || state.auto_pick != state.selected {
        // Moved since (a search, a new lane, anything but the console's own pick).
        state.auto_pick = None;
        return;
    }
    if let Some(top) = state
        .lanes
        .first()
        .filter(|l| crate::app::agent::triage_key(l).is_some())
    {
        state.selected = Some(top.id().clone());
        state.auto_pick = None;
    }
}

/// The lanes that need you first, most urgent first, across hosts; then the others grouped by
/// host (this machine's first, then each host by name), by label within a host.
pub fn sort_lanes(lanes: &mut [Lane]) {
    lanes.sort_by(|a, b| {
        let (ka, kb) = (
            crate::app::agent::triage_key(a),
            crate::app::agent::triage_key(b),
        );
        match (ka, kb) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.info.remote_host().cmp(&b.info.remote_host()))
        .then_with(|| a.id().cmp(b.id()))
    });
}

#[cfg(test)]
mod tests;
