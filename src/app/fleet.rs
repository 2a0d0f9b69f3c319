//! Lanes on other machines in the console: what the bucket watch reports (`FleetEvent`), kept
//! in `FleetView`, and turned into lanes of the list (`LaneSource::Remote`, id `host/label`, or
//! `host/repo/label` for another repo) whose state is the host's, never decided here. A remote
//! lane has no terminal until it is opened (focused): then `ssh -t HOST tmux attach`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::agent::{LaneState, Source, Status};
use crate::app::effect::Effect;
use crate::app::state::{AppState, Attention, Lane, LaneStatus};
use crate::model::fleet::{HostBeat, LaneRow, StaleReason, freshness};
use crate::model::{GitCounts, LaneId, LaneInfo, LaneSource};

/// What the watch of the buckets reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetEvent {
    /// The whole content, read at (re)connection.
    Loaded {
        /// Every lane row, keyed by its bucket key.
        rows: Vec<(String, LaneRow)>,
        /// Every heartbeat.
        beats: Vec<HostBeat>,
    },
    /// A row was written (`Some`) or deleted (`None`).
    Row {
        /// The bucket key.
        key: String,
        /// The row.
        row: Option<Box<LaneRow>>,
    },
    /// A host beat.
    Beat(HostBeat),
    /// The server answered and no host publishes lanes: none are unknown.
    NoHosts,
    /// The buckets cannot be read: the remote lanes' states are unknown.
    Unavailable {
        /// Why, in one line.
        error: String,
    },
}

/// The console's copy of the buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetView {
    /// This machine's host name: its own rows are its local lanes, not shown twice.
    pub local_host: String,
    /// Rows by bucket key.
    pub rows: BTreeMap<String, LaneRow>,
    /// Heartbeats by host.
    pub beats: BTreeMap<String, HostBeat>,
    /// Why the buckets cannot be read now (`None`: they can, or never tried).
    pub error: Option<String>,
    /// Whether the content was read at least once.
    pub loaded: bool,
    /// The user pointed helios at a NATS server: other hosts are expected, and not reaching
    /// them is worth saying (a console without NATS stays quiet about it).
    pub expected: bool,
}

impl FleetView {
    /// What the lane list says about other hosts when it cannot know them: `None` when it can,
    /// or when nobody expects any.
    pub fn unknown(&self) -> Option<&str> {
        self.error
            .as_deref()
            .filter(|_| self.expected || self.loaded)
    }
}

/// A remote lane as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteView {
    /// The host.
    pub host: String,
    /// The repo there.
    pub repo: String,
    /// The lane's label there.
    pub label: String,
    /// Its data is not current: the heartbeat is overdue, or the buckets cannot be read.
    pub stale: bool,
    /// Seconds since the host last confirmed it (`u64::MAX`: unknown).
    pub age_secs: u64,
    /// The host's `helios serve` said it stopped: its data is as the serve left it.
    pub stopped: bool,
    /// Its terminal was asked for (the lane was focused): it has a PTY from then on.
    pub opened: bool,
}

/// How the status line says that the buckets cannot be read.
const UNKNOWN: &str = "other hosts' lanes unknown: ";

/// Take one report of the watch. A row changes one lane; a heartbeat or the clock only the
/// staleness of lanes; the whole content rebuilds them all.
pub fn on_fleet(state: &mut AppState, ev: FleetEvent) -> Vec<Effect> {
    let f = &mut state.fleet;
    match ev {
        FleetEvent::Loaded { rows, beats } => {
            f.rows = rows.into_iter().collect();
            f.beats = beats.into_iter().map(|b| (b.host.clone(), b)).collect();
            f.error = None;
            f.loaded = true;
            merge(state);
            // The loss's message is over once the buckets are read again.
            if state
                .flash
                .as_ref()
                .is_some_and(|m| m.text.starts_with(UNKNOWN))
            {
                state.flash = None;
            }
        }
        FleetEvent::Row { key, row: Some(r) } => {
            let id = (r.host != f.local_host).then(|| remote_id(&r, &state.repo.name));
            f.rows.insert(key.clone(), *r);
            if let Some(id) = id {
                upsert(state, &key, &id);
            }
        }
        FleetEvent::Row { key, row: None } => {
            if let Some(old) = f.rows.remove(&key) {
                let id = remote_id(&old, &state.repo.name);
                state.lanes.retain(|l| l.remote.is_none() || l.id() != &id);
                crate::app::on_event::settle_lanes(state);
            }
        }
        FleetEvent::Beat(b) => {
            f.beats.insert(b.host.clone(), b);
            refresh(state);
        }
        FleetEvent::NoHosts => {
            f.rows.clear();
            f.beats.clear();
            f.error = None;
            merge(state);
        }
        FleetEvent::Unavailable { error } => {
            // The rows stay, shown stale: a lost server is not a lost lane.
            f.error = Some(error);
            if let Some(e) = f.unknown().map(|e| format!("{UNKNOWN}{e}")) {
                state.flash(crate::app::state::FlashLevel::Error, &e);
            }
            refresh(state);
        }
    }
    Vec::new()
}

/// Rebuild the remote lanes from the view, keeping each one's local parts (opened, scroll).
pub fn merge(state: &mut AppState) {
    let (mut old, local): (Vec<Lane>, Vec<Lane>) = std::mem::take(&mut state.lanes)
        .into_iter()
        .partition(|l| l.remote.is_some());
    let mut old: std::collections::HashMap<LaneId, Lane> =
        old.drain(..).map(|l| (l.id().clone(), l)).collect();
    state.lanes = local;
    let now = state.clock.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let f = &state.fleet;
    for r in f.rows.values().filter(|r| r.host != f.local_host) {
        let id = remote_id(r, &state.repo.name);
        let mut lane = old
            .remove(&id)
            .unwrap_or_else(|| Lane::new(info_of(r, id.clone())));
        fill(&mut lane, r, id, f, now);
        state.lanes.push(lane);
    }
    crate::app::on_event::settle_lanes(state);
}

/// One row changed: its lane alone is rebuilt.
fn upsert(state: &mut AppState, key: &str, id: &LaneId) {
    let now = state.clock.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let Some(r) = state.fleet.rows.get(key) else {
        return;
    };
    if let Some(i) = state
        .lanes
        .iter()
        .position(|l| l.remote.is_some() && l.id() == id)
    {
        fill(&mut state.lanes[i], r, id.clone(), &state.fleet, now);
    } else {
        let mut lane = Lane::new(info_of(r, id.clone()));
        fill(&mut lane, r, id.clone(), &state.fleet, now);
        state.lanes.push(lane);
    }
    crate::app::on_event::settle_lanes(state);
}

/// The clock moved or a host beat: each remote lane's staleness and age again.
pub fn refresh(state: &mut AppState) {
    let now = state.clock.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let f = &state.fleet;
    for l in &mut state.lanes {
        let Some(v) = l.remote.as_mut() else {
            continue;
        };
        let updated = f
            .rows
            .get(&crate::model::fleet::lane_key(&v.host, &v.repo, &v.label))
            .map_or("", |r| r.updated.as_str());
        let fresh = freshness(f.beats.get(&v.host), updated, now);
        v.stale = fresh.stale || f.error.is_some();
        v.age_secs = fresh.age_secs;
        v.stopped = fresh.why == Some(StaleReason::Stopped);
    }
}

/// A lane from its row: what the host says, and how current that is.
fn fill(lane: &mut Lane, r: &LaneRow, id: LaneId, f: &FleetView, now: OffsetDateTime) {
    let fresh = freshness(f.beats.get(&r.host), &r.updated, now);
    let opened = lane.remote.as_ref().is_some_and(|v| v.opened);
    lane.info = info_of(r, id);
    lane.status = LaneStatus::Idle;
    lane.remote = Some(RemoteView {
        host: r.host.clone(),
        repo: r.repo.clone(),
        label: r.label.clone(),
        stale: fresh.stale || f.error.is_some(),
        age_secs: fresh.age_secs,
        stopped: fresh.why == Some(StaleReason::Stopped),
        opened,
    });
    set_state(lane, r);
}

/// `host/label`, or `host/repo/label` for a lane of another repo (labels hold no `/`).
fn remote_id(r: &LaneRow, repo: &str) -> LaneId {
    if r.repo == repo {
        LaneId::new(format!("{}/{}", r.host, r.label))
    } else {
        LaneId::new(format!("{}/{}/{}", r.host, r.repo, r.label))
    }
}

fn info_of(r: &LaneRow, id: LaneId) -> LaneInfo {
    LaneInfo {
        id,
        branch: r.branch.clone(),
        worktree: r.worktree.clone().into(),
        source: LaneSource::Remote {
            host: r.host.clone(),
            ssh: r
                .attach
                .as_ref()
                .map_or_else(|| r.host.clone(), |a| a.ssh.clone()),
            session: r.attach.as_ref().map(|a| a.session.clone()),
            socket: r.attach.as_ref().and_then(|a| a.socket.clone()),
        },
        session_alive: r.status == "alive",
        git: GitCounts {
            dirty: r.dirty,
            ahead: r.ahead,
            behind: r.behind,
            base: r.base.clone(),
        },
    }
}

/// The host's state for the lane, and attention from it as for a local lane.
fn set_state(lane: &mut Lane, r: &LaneRow) {
    let state = r.state.as_deref().and_then(|name| {
        Some(LaneState {
            status: Status::parse(name, r.state_kind.as_deref())?,
            since: r
                .state_since
                .as_deref()
                .and_then(crate::model::fleet::parse_time)?,
            source: r
                .state_source
                .as_deref()
                .and_then(Source::parse)
                .unwrap_or(Source::Screen),
            reason: r.state_reason.clone().unwrap_or_default(),
        })
    });
    lane.agent.why = format!("reported by {}'s helios serve", r.host);
    lane.attention = state
        .as_ref()
        .filter(|s| s.status.needs_human())
        .map(|s| Attention::Agent(s.status));
    lane.agent.state = state;
}

/// Open a remote lane's terminal (on focus): from now on it has a PTY.
pub fn open(state: &mut AppState, id: &LaneId) -> Vec<Effect> {
    let Some(view) = state.lane_mut(id).and_then(|l| l.remote.as_mut()) else {
        return Vec::new();
    };
    if view.opened {
        return Vec::new();
    }
    view.opened = true;
    vec![Effect::SyncPtys]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::RepoInfo;

    fn row(host: &str, label: &str, state: Option<&str>) -> LaneRow {
        LaneRow {
            host: host.into(),
            repo: "app".into(),
            label: label.into(),
            branch: Some(label.into()),
            worktree: format!("/w/{label}"),
            session: Some(format!("par-app-{label}")),
            status: "alive".into(),
            dirty: 0,
            base: None,
            ahead: 1,
            behind: 0,
            state: state.map(String::from),
            state_kind: state.map(|_| "permission".into()),
            state_since: Some("2026-12-02T10:00:00Z".into()),
            state_source: Some("hook:claude".into()),
            state_reason: Some("Bash: make deploy".into()),
            attach: Some(crate::model::fleet::Attach {
                ssh: host.into(),
                session: format!("par-app-{label}"),
                socket: None,
            }),
            updated: "2026-12-02T10:00:00Z".into(),
        }
    }

    fn beat(host: &str, at: &str) -> HostBeat {
        HostBeat {
            host: host.into(),
            at: at.into(),
            interval_secs: 2,
            lanes: 1,
            repos: vec!["app".into()],
            stopped: false,
        }
    }

    fn state() -> AppState {
        let mut s = AppState::new(
            RepoInfo {
                path: "/r".into(),
                name: "app".into(),
            },
            std::time::Instant::now(),
        );
        s.fleet.local_host = "me".into();
        s.clock = crate::model::fleet::parse_time("2026-12-02T10:00:01Z");
        s
    }

    #[test]
    fn remote_rows_become_lanes_with_the_hosts_state_and_staleness() {
        let mut s = state();
        let mut other = row("h2", "b", None);
        other.repo = "web".into();
        on_fleet(
            &mut s,
            FleetEvent::Loaded {
                rows: vec![
                    ("h1.app.a".into(), row("h1", "a", Some("waiting"))),
                    ("h2.web.b".into(), other),
                    ("me.app.c".into(), row("me", "c", None)),
                ],
                beats: vec![beat("h1", "2026-12-02T10:00:00Z")],
            },
        );
        let ids: Vec<&str> = s.lanes.iter().map(|l| l.id().as_str()).collect();
        // Waiting first; this host's own row is its local lane, not shown twice.
        assert_eq!(ids, ["h1/a", "h2/web/b"]);
        let a = &s.lanes[0];
        assert_eq!(
            a.attention,
            Some(Attention::Agent(
                Status::parse("waiting", Some("permission")).unwrap()
            ))
        );
        assert!(!a.remote.as_ref().unwrap().stale);
        assert_eq!(
            a.info.session(),
            None,
            "no local tmux acts on a remote session"
        );
        // h2 has no heartbeat: stale.
        assert!(s.lanes[1].remote.as_ref().unwrap().stale);

        // The clock moves past h1's heartbeat: stale, still listed.
        s.clock = crate::model::fleet::parse_time("2026-12-02T10:00:09Z");
        merge(&mut s);
        assert!(s.lanes[0].remote.as_ref().unwrap().stale);
        assert_eq!(s.lanes.len(), 2);

        // Opened stays across reports; a deleted row goes.
        assert_eq!(open(&mut s, &LaneId::new("h1/a")), vec![Effect::SyncPtys]);
        on_fleet(&mut s, FleetEvent::Beat(beat("h1", "2026-12-02T10:00:09Z")));
        assert!(
            s.lane(&LaneId::new("h1/a"))
                .unwrap()
                .remote
                .as_ref()
                .unwrap()
                .opened
        );
        on_fleet(
            &mut s,
            FleetEvent::Row {
                key: "h2.web.b".into(),
                row: None,
            },
        );
        assert_eq!(s.lanes.len(), 1);

        // A lost server: the rows stay, stale.
        on_fleet(
            &mut s,
            FleetEvent::Unavailable {
                error: "down".into(),
            },
        );
        assert!(s.lanes[0].remote.as_ref().unwrap().stale);
        assert!(s.fleet.error.is_some());

        // The server is back and no host publishes: nothing is unknown any more.
        on_fleet(&mut s, FleetEvent::NoHosts);
        assert_eq!(s.fleet.error, None);
        assert_eq!(s.fleet.unknown(), None);
        assert!(s.lanes.iter().all(|l| l.remote.is_none()));
    }

    /// `:lane new x --host h1` selects `h1/x` when h1's bucket lists it, and forgets it then
    /// (a later local lane of that label is not selected for it).
    #[test]
    fn a_lane_made_on_another_host_is_selected_when_its_row_arrives() {
        let mut s = state();
        on_fleet(
            &mut s,
            FleetEvent::Loaded {
                rows: vec![("h1.app.a".into(), row("h1", "a", None))],
                beats: vec![beat("h1", "2026-12-02T10:00:00Z")],
            },
        );
        assert_eq!(s.selected, Some(LaneId::new("h1/a")));
        s.select_new = Some(LaneId::new("h1/x"));
        on_fleet(
            &mut s,
            FleetEvent::Row {
                key: "h1.app.x".into(),
                row: Some(Box::new(row("h1", "x", None))),
            },
        );
        assert_eq!(s.selected, Some(LaneId::new("h1/x")));
        assert_eq!(s.select_new, None);
    }

    /// A serve that said it stopped is shown as stopped, not just stale.
    #[test]
    fn a_stopped_serves_lanes_say_so() {
        let mut s = state();
        let mut stopped = beat("h1", "2026-12-02T10:00:00Z");
        stopped.stopped = true;
        on_fleet(
            &mut s,
            FleetEvent::Loaded {
                rows: vec![
                    ("h1.app.a".into(), row("h1", "a", None)),
                    ("h2.app.b".into(), row("h2", "b", None)),
                ],
                beats: vec![stopped, beat("h2", "2026-12-02T10:00:00Z")],
            },
        );
        let view = |l: &str| s.lane(&LaneId::new(l)).unwrap().remote.clone().unwrap();
        assert!(view("h1/a").stale && view("h1/a").stopped);
        assert!(!view("h2/b").stale && !view("h2/b").stopped);
    }

    /// The local ssh of an opened remote lane ended: the message says it was the connection,
    /// and the lane keeps the state its host reports.
    #[test]
    fn a_remote_lanes_ssh_that_ends_is_said_to_be_the_connection() {
        let mut s = state();
        on_fleet(
            &mut s,
            FleetEvent::Loaded {
                rows: vec![("h1.app.a".into(), row("h1", "a", Some("waiting")))],
                beats: vec![beat("h1", "2026-12-02T10:00:00Z")],
            },
        );
        let id = LaneId::new("h1/a");
        open(&mut s, &id);
        crate::app::update(
            &mut s,
            crate::app::Event::LaneExited {
                lane: id.clone(),
                code: Some(255),
            },
        );
        let text = &s.flash.as_ref().unwrap().text;
        assert!(
            text.starts_with("ssh to h1 for lane h1/a ended (exit 255) (the lane there goes on)"),
            "{text}"
        );
        let a = s.lane(&id).unwrap();
        assert_eq!(
            a.agent.state.as_ref().unwrap().status.label(),
            "waiting: permission"
        );
    }

    /// The buckets read again after a loss: the loss's message in the status line goes too.
    #[test]
    fn the_loss_message_goes_when_the_buckets_are_read_again() {
        let mut s = state();
        let loaded = || FleetEvent::Loaded {
            rows: vec![("h1.app.a".into(), row("h1", "a", None))],
            beats: vec![beat("h1", "2026-12-02T10:00:00Z")],
        };
        on_fleet(&mut s, loaded());
        on_fleet(
            &mut s,
            FleetEvent::Unavailable {
                error: "the connection to NATS was lost".into(),
            },
        );
        assert!(
            s.flash
                .as_ref()
                .is_some_and(|f| f.text.starts_with(UNKNOWN))
        );
        on_fleet(&mut s, loaded());
        assert_eq!(s.flash, None);
        assert_eq!(s.fleet.unknown(), None);
    }
}
