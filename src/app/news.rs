//! Whether a background result brings anything new. The periodic lane re-read (every 5 s), the
//! process probe (every 2 s) and the platform monitors' retries (NATS and Temporal down, the
//! share list) mostly find what the state already holds; one that does is not applied and
//! draws nothing (the engine passes it through), where it used to cost a whole frame of every
//! tile just as an echo might be due (BENCHMARKS.md, "What holds the echoes past the first
//! second"; the monitors' repeats were a whole frame a second more, runs 141-142).

use crate::agent::Process;
use crate::app::Event;
use crate::app::agent::AgentView;
use crate::app::nats::{Link, NatsEvent};
use crate::app::share::ShareEvent;
use crate::app::state::{AppState, Attention, LaneStatus};
use crate::app::temporal::{ConnState, TemporalEvent};
use crate::model::{LaneId, LaneInfo};

/// Whether applying `event` could change what a frame shows; `true` for every event but the
/// periodic results.
pub fn is_news(state: &AppState, event: &Event) -> bool {
    match event {
        Event::LanesDiscovered { lanes } => lanes_news(state, lanes),
        Event::LaneProcesses { lanes } => processes_news(state, lanes),
        Event::Nats(NatsEvent::Unreachable { reason }) => {
            !matches!(&state.nats.link, Link::Down { reason: was } if was == reason)
        }
        Event::Share(ShareEvent::Listed { shares }) => state.share.shares != *shares,
        // A retry's time counts down in the panel; with nothing configured the panel says only
        // that, and the failure again is no news.
        Event::Temporal(TemporalEvent::Unreachable { reason, .. }) => {
            let again = matches!(
                &state.temporal.conn,
                ConnState::Unreachable { reason: was, .. } if was == reason
            );
            !(state.temporal.quiet_default && again)
        }
        _ => true,
    }
}

/// What a lane-state load can change on screen: the lanes' order, each one's agent state and
/// attention, and the selection. The load comes every 5 s and mostly finds the states shown;
/// the engine compares this before and after it, and draws nothing when it is the same.
#[derive(Debug, PartialEq)]
pub struct LanesShown(Vec<(LaneId, AgentView, Option<Attention>)>, Option<LaneId>);

/// The lanes as a frame shows their states now.
pub fn lanes_shown(state: &AppState) -> LanesShown {
    let lanes = state.lanes.iter();
    LanesShown(
        lanes
            .map(|l| (l.id().clone(), l.agent.clone(), l.attention.clone()))
            .collect(),
        state.selected.clone(),
    )
}

/// A re-read is news unless it finds this machine's lanes as they are, each with the status
/// its session implies and no exit left over from a session that came back.
fn lanes_news(state: &AppState, lanes: &[LaneInfo]) -> bool {
    let mut local = 0;
    for l in state.lanes.iter().filter(|l| l.remote.is_none()) {
        local += 1;
        let Some(info) = lanes.iter().find(|f| f.id == *l.id()) else {
            return true;
        };
        let missing = l.status == LaneStatus::Missing;
        let settled = l.info == *info
            && missing != info.session_alive
            && (missing || l.status == LaneStatus::Exited || l.agent.inputs.exited.is_none());
        if !settled {
            return true;
        }
    }
    local != lanes.len()
}

/// A probe is news when a lane's process changed, or when it ends or restarts a lane.
fn processes_news(state: &AppState, lanes: &[(LaneId, Process)]) -> bool {
    lanes.iter().any(|(id, p)| {
        state.lane(id).is_some_and(|l| {
            let exited = l.status == LaneStatus::Exited;
            match p {
                Process::Dead(code) => !exited || l.agent.inputs.exited != Some(*code),
                p => {
                    let running = matches!(p, Process::Shell(_) | Process::Program(_));
                    l.agent.inputs.process != *p || (running && l.info.is_durable() && exited)
                }
            }
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Instant;

    use super::*;
    use crate::app::{Effect, update};
    use crate::model::{GitCounts, LaneId, LaneSource, RepoInfo};

    fn info(label: &str, alive: bool, dirty: u32) -> LaneInfo {
        LaneInfo {
            id: LaneId::new(label),
            branch: Some(label.into()),
            worktree: format!("/w/{label}").into(),
            source: LaneSource::Par {
                session: format!("par-r-1-{label}"),
            },
            session_alive: alive,
            git: GitCounts {
                dirty,
                ..GitCounts::default()
            },
        }
    }

    fn found(lanes: &[(&str, bool, u32)]) -> Event {
        let lanes = lanes.iter().map(|&(l, a, d)| info(l, a, d)).collect();
        Event::LanesDiscovered { lanes }
    }

    fn state() -> AppState {
        let repo = RepoInfo {
            path: "/r".into(),
            name: "r".into(),
        };
        let mut s = AppState::new(repo, Instant::now());
        update(&mut s, found(&[("a", true, 0), ("b", true, 0)]));
        s
    }

    #[test]
    fn a_reread_that_finds_the_lanes_as_they_are_is_not_applied() {
        let mut s = state();
        let same = found(&[("b", true, 0), ("a", true, 0)]);
        assert!(!is_news(&s, &same), "the order found is not news");
        assert_eq!(
            update(&mut s, same),
            vec![Effect::SyncPtys, Effect::LoadLaneStates]
        );
        for news in [
            found(&[("a", true, 1), ("b", true, 0)]),
            found(&[("a", true, 0)]),
            found(&[("a", true, 0), ("b", true, 0), ("c", true, 0)]),
            found(&[("a", true, 0), ("c", true, 0)]),
        ] {
            assert!(is_news(&s, &news), "{news:?}");
        }
        // A session gone is news once: the lane is missing after it.
        let gone = found(&[("a", true, 0), ("b", false, 0)]);
        assert!(is_news(&s, &gone));
        update(&mut s, gone.clone());
        assert_eq!(
            s.lane(&LaneId::new("b")).unwrap().status,
            LaneStatus::Missing
        );
        assert!(!is_news(&s, &gone));
        // Output from the missing lane (its session back) makes the next re-read news.
        update(
            &mut s,
            Event::LaneOutput {
                lane: LaneId::new("b"),
                at: Instant::now(),
            },
        );
        assert!(is_news(&s, &gone));
    }

    #[test]
    fn a_monitor_failing_again_as_it_failed_is_no_news() {
        let mut s = state();
        let down = |why: &str| Event::Nats(NatsEvent::Unreachable { reason: why.into() });
        assert!(is_news(&s, &down("refused")));
        update(&mut s, down("refused"));
        assert!(!is_news(&s, &down("refused")));
        assert!(is_news(&s, &down("timed out")));

        let listed = Event::Share(ShareEvent::Listed { shares: Vec::new() });
        assert!(!is_news(&s, &listed), "no shares, none listed");

        let at = Instant::now();
        let temporal = |why: &str| {
            Event::Temporal(TemporalEvent::Unreachable {
                reason: why.into(),
                at,
                retry_secs: 5,
            })
        };
        update(&mut s, temporal("refused"));
        // Configured: the panel counts down to the next try, so each try is news.
        assert!(is_news(&s, &temporal("refused")));
        s.temporal.quiet_default = true;
        assert!(!is_news(&s, &temporal("refused")));
        assert!(is_news(&s, &temporal("timed out")));
    }

    #[test]
    fn a_load_that_finds_the_states_shown_shows_nothing_new() {
        use crate::agent::{LaneState, Source, Status};
        use crate::app::agent::LoadedState;
        let mut s = state();
        let start = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        update(&mut s, Event::Clock { at: start });
        let load = |status: Status| Event::LaneStatesLoaded {
            lanes: vec![LoadedState {
                lane: LaneId::new("b"),
                state: Some((
                    LaneState {
                        status,
                        since: start,
                        source: Source::Screen,
                        reason: String::new(),
                    },
                    "stored".into(),
                    Vec::new(),
                )),
                hook: None,
                alert: None,
                acked: false,
                recorded: Some(start),
            }],
        };
        let before = lanes_shown(&s);
        update(
            &mut s,
            load(Status::Waiting(crate::agent::WaitKind::Permission)),
        );
        let waiting = lanes_shown(&s);
        assert_ne!(
            before, waiting,
            "a stored state shown for the first time is news"
        );
        update(
            &mut s,
            load(Status::Waiting(crate::agent::WaitKind::Permission)),
        );
        assert_eq!(
            lanes_shown(&s),
            waiting,
            "the same load again shows nothing new"
        );
        update(&mut s, crate::app::Action::SelectNext);
        assert_ne!(lanes_shown(&s), waiting, "the selection is part of it");
    }

    #[test]
    fn a_probe_is_news_when_a_process_changes_or_a_lane_ends() {
        let mut s = state();
        let probe = |a: Process, b: Process| Event::LaneProcesses {
            lanes: vec![(LaneId::new("a"), a), (LaneId::new("b"), b)],
        };
        let claude = || Process::Program("claude".into());
        let first = probe(claude(), claude());
        assert!(is_news(&s, &first));
        update(&mut s, first.clone());
        assert!(!is_news(&s, &first));
        assert!(is_news(&s, &probe(claude(), Process::Shell("bash".into()))));
        let dead = probe(claude(), Process::Dead(Some(1)));
        assert!(is_news(&s, &dead));
        update(&mut s, dead.clone());
        assert_eq!(
            s.lane(&LaneId::new("b")).unwrap().status,
            LaneStatus::Exited
        );
        assert!(!is_news(&s, &dead));
        assert!(is_news(&s, &probe(claude(), Process::Dead(Some(2)))));
    }
}
