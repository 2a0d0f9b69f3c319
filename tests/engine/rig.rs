//! The engine test's rig: a PTY backend and a par played by the test, and an engine over
//! them with a real journal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use helios::app::{AppState, Event};
use helios::lanes::ops::{LaneOps, SentAll};
use helios::lanes::work::Unsaved;
use helios::lanes::{LaneError, LaneId, LaneInfo};
use helios::runtime::{Engine, EngineCtx};
use helios::store::{EventQuery, EventResult, EventStore as _};
use tokio::sync::mpsc::UnboundedReceiver;

pub(crate) const QUIET: Duration = Duration::from_secs(20);

pub(crate) fn id(s: &str) -> LaneId {
    LaneId::new(s)
}

/// A PTY backend whose lanes' screens are what the test says.
#[derive(Default)]
pub(crate) struct Ptys {
    pub(crate) rows: HashMap<LaneId, Vec<String>>,
    /// Lanes whose screen is blank since it was made (a par lane before its seed).
    pub(crate) undrawn: Vec<LaneId>,
    /// Lanes `resize` changes the size of, until taken (their program then redraws).
    pub(crate) repainted: Option<Vec<LaneId>>,
    pub(crate) front: Option<LaneId>,
    pub(crate) screens: helios::pty::Screens,
    /// What was written into each lane, in order.
    pub(crate) written: Vec<(LaneId, Vec<u8>)>,
    /// What runs in each owned lane's foreground.
    pub(crate) running: HashMap<LaneId, String>,
}

impl helios::pty::PtyBackend for Ptys {
    fn sync(&mut self, _: &[LaneInfo]) -> Vec<helios::pty::PtyError> {
        Vec::new()
    }
    fn write(&mut self, lane: &LaneId, bytes: Vec<u8>) -> Result<(), helios::pty::PtyError> {
        self.written.push((lane.clone(), bytes));
        Ok(())
    }
    fn resize(&mut self, lane: &LaneId, _: u16, _: u16) {
        if let Some(r) = &mut self.repainted {
            r.push(lane.clone());
        }
    }
    /// A par lane in front gets an attach client, which draws it.
    fn set_front(&mut self, lane: Option<&LaneId>) {
        if let (Some(r), Some(l)) = (&mut self.repainted, lane)
            && self.front.as_ref() != Some(l)
        {
            r.push(l.clone());
        }
        self.front = lane.cloned();
    }
    fn take_repainted(&mut self) -> Vec<LaneId> {
        self.repainted
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
    fn set_scroll(&mut self, lane: &LaneId, rows: usize) {
        if let Some(s) = self.screens.get(lane) {
            s.set_scroll(rows);
        }
    }
    fn notice_handled(&self, _: &LaneId) {}
    fn snapshot(&self, lane: &LaneId) -> Option<helios::pty::Snapshot> {
        let rows = self.rows.get(lane)?.clone();
        Some(helios::pty::Snapshot {
            cursor_row: rows.len().saturating_sub(1),
            rows,
        })
    }
    fn foreground(&self, lane: &LaneId) -> Option<String> {
        self.running.get(lane).cloned()
    }
    fn input_modes(&self, _: &LaneId) -> helios::pty::InputModes {
        helios::pty::InputModes::default()
    }
    fn drawn(&self, lane: &LaneId) -> bool {
        !self.undrawn.contains(lane)
    }
    fn screens(&self) -> &dyn helios::ui::ScreenSource {
        &self.screens
    }
    fn shutdown(&mut self) {}
    fn restart(&mut self, _: &helios::lanes::LaneInfo) -> Result<(), helios::pty::PtyError> {
        Ok(())
    }
}

/// par, played by the test: records each call, answers as told.
#[derive(Debug, Default)]
pub(crate) struct FakePar {
    pub(crate) calls: Mutex<Vec<String>>,
    /// `start` fails with this when set.
    pub(crate) start_error: Option<LaneError>,
    /// What `remove` reports as discarded.
    pub(crate) lost: Unsaved,
    /// Each lane `send all` reaches, and its result there.
    pub(crate) all: Vec<(String, Result<(), LaneError>)>,
}

impl FakePar {
    pub(crate) fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl LaneOps for FakePar {
    fn start(&self, repo: &Path, label: &str, base: Option<&str>) -> Result<String, LaneError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("start {} {label} {base:?}", repo.display()));
        match &self.start_error {
            Some(e) => Err(e.clone()),
            None => Ok(format!("par-demo-{label}")),
        }
    }
    fn send(&self, _: &Path, target: &str, text: &str) -> Result<(), LaneError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("send {target} {text}"));
        Ok(())
    }
    fn send_each(&self, _: &Path, text: &str) -> Result<SentAll, LaneError> {
        self.calls.lock().unwrap().push(format!("send all {text}"));
        Ok(SentAll {
            lanes: self.all.clone(),
        })
    }
    fn remove(&self, _: &Path, lane: &LaneInfo, force: bool) -> Result<Unsaved, LaneError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("remove {} force={force}", lane.id));
        Ok(self.lost.clone())
    }
}

pub(crate) struct Rig {
    pub(crate) engine: Engine<Ptys>,
    pub(crate) rx: UnboundedReceiver<Event>,
    pub(crate) journal: PathBuf,
    pub(crate) handle: helios::store::journal::JournalHandle,
    _dir: tempfile::TempDir,
}

pub(crate) fn rig(state: AppState, par: Arc<FakePar>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let (handle, _join) = helios::store::journal::spawn(journal.clone(), |_| {}).unwrap();
    let (events, rx) = tokio::sync::mpsc::unbounded_channel();
    let ctx = EngineCtx {
        events,
        journal: handle.clone(),
        actor: "test@host".into(),
        quiet: QUIET,
        integrations: None,
        lanes: par,
        nats: helios::config::NatsConfig::default(),
    };
    Rig {
        engine: Engine::new(state, Ptys::default(), ctx),
        rx,
        journal,
        handle,
        _dir: dir,
    }
}

impl Rig {
    /// The next lane command's result, fed back into the engine as the loop would.
    pub(crate) async fn done(&mut self) -> Result<String, String> {
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
                .await
                .expect("the lane command reported back")
                .expect("the channel is open");
            if let Event::LaneCommandDone { result, .. } = &ev {
                let r = result.clone();
                self.engine.handle(ev);
                return r;
            }
        }
    }

    /// `action result lane` of every journalled event, oldest first.
    pub(crate) fn journalled(&self) -> Vec<String> {
        // The writer appends in order: once this marker is durable, everything before it is.
        let marker = helios::store::AuditEvent::new(
            "test",
            "demo",
            "test.marker",
            None,
            true,
            serde_json::Value::Null,
        );
        self.handle.record_sync(marker).unwrap();
        helios::store::sqlite::SqliteStore::open(&self.journal)
            .unwrap()
            .query(&EventQuery::default())
            .unwrap()
            .iter()
            .filter(|e| e.action != "test.marker")
            .map(|e| {
                let r = if e.result == EventResult::Ok {
                    "ok"
                } else {
                    "error"
                };
                format!("{} {r} {}", e.action, e.lane.as_deref().unwrap_or("-"))
            })
            .collect()
    }
}

impl Rig {
    /// Wait for the lane read the engine started, handling what comes before it.
    pub(crate) async fn next_read(&mut self) -> Event {
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
                .await
                .expect("the lane read reported back")
                .expect("the channel is open");
            match ev {
                Event::LanesDiscovered { .. } => return ev,
                Event::DiscoveryFailed { error } => panic!("the lane read failed: {error}"),
                ev => self.engine.handle(ev),
            }
        }
    }

    /// [`Self::next_read`], handed to the engine.
    pub(crate) async fn discovered(&mut self) {
        let ev = self.next_read().await;
        self.engine.handle(ev);
    }

    pub(crate) fn dirty(&self, worktree: &Path) -> u32 {
        let l = self.engine.state.lanes.iter();
        let mut found = l.filter(|l| l.info.worktree == worktree);
        found.next().expect("the worktree is a lane").info.git.dirty
    }
}
