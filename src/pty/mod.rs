//! Lane PTYs: the backend trait, the portable-pty implementation, reader/writer threads and the
//! per-lane screen model.

mod answers;
mod control;
mod csi_cap;
pub mod feed;
mod fixups;
mod foreground;
mod keys;
pub mod portable;
mod reader;
pub mod rows;
pub mod screen;
pub mod search;
mod seeds;
mod tmux_pane;
mod typist;

use crate::model::{LaneId, LaneInfo};

/// The VT emulator behind every lane's screen.
pub use vt100 as vt;

pub use answers::QueryColors;
pub use control::replay as replay_control;
pub use portable::{PortablePtys, PtyConfig};
pub use reader::{FrontOutput, FrontRead, LoopRead};
pub use rows::Rows;
pub use screen::{InputModes, LaneScreen, Notices, Screens};

/// How long a par lane's reader waits between reads while the lane is not in front (the
/// renderer draws background lanes at the same pace: 30 frames a second).
pub const BACKGROUND_FRAME: std::time::Duration = std::time::Duration::from_millis(33);

/// Gives the renderer read access to each lane's screen model without the UI owning the PTYs.
pub trait ScreenSource {
    /// Call `f` with the lane's current screen, if the lane has one.
    fn with_screen(&self, lane: &LaneId, f: &mut dyn FnMut(&vt::Screen));

    /// A number that changes whenever the lane's screen does (never the same for two
    /// screens), so a drawn screen can be reused; `None` draws it afresh every frame.
    fn version(&self, _lane: &LaneId) -> Option<u64> {
        None
    }

    /// The title the lane's program set (OSC 0 / 2), unescaped outside text.
    fn title(&self, _lane: &LaneId) -> Option<String> {
        None
    }

    /// How far back the lane's view really is (its scroll stops at the oldest line kept);
    /// `None` when not known (yet).
    fn scroll_reach(&self, _lane: &LaneId) -> Option<usize> {
        None
    }

    /// Call `f` with the lane's current screen, its [`version`](Self::version), and the rows
    /// that may differ from the screen at version `since`, all of one moment; nothing when the
    /// lane has no screen or no version.
    fn with_changes(&self, lane: &LaneId, _since: u64, f: &mut dyn FnMut(&vt::Screen, u64, Rows)) {
        if let Some(v) = self.version(lane) {
            self.with_screen(lane, &mut |s| f(s, v, Rows::All));
        }
    }
}

/// A lane's visible text at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every visible row, trailing blanks trimmed.
    pub rows: Vec<String>,
    /// The row the cursor is on.
    pub cursor_row: usize,
}

/// Rows and columns a lane's PTY gets before the UI has sized it (and keeps while not visible).
pub const DEFAULT_SIZE: (u16, u16) = (24, 80);

/// The smallest size (rows, cols) a lane is ever given. A pane smaller than this shows the
/// part around the lane's cursor instead: shrinking a par lane's tmux window to a few cells
/// rewraps its history into many times the lines, past tmux's `history-limit`, and a
/// helios-owned lane's screen cuts its rows at the new width, so a console briefly made tiny
/// would lose the lane's history for good. Small enough that a narrow console (60 columns
/// leave the single pane 32) still shows a lane whole; 40x10 cut 8 columns off there.
pub const MIN_SIZE: (u16, u16) = (5, 20);

/// Why a lane's PTY could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PtyError {
    /// The PTY or its process could not be started.
    #[error("lane {lane}: cannot start {program}: {message}")]
    Spawn {
        /// The lane.
        lane: LaneId,
        /// The program (tmux or the shell).
        program: String,
        /// What the OS said.
        message: String,
    },
    /// The lane has no live PTY (its session or process ended).
    #[error(
        "lane {lane} has no running terminal: its session or process ended; press r to re-read lanes"
    )]
    NotRunning {
        /// The lane.
        lane: LaneId,
    },
}

/// The rest of a lane's foreground read ([`PtyBackend::foreground_read`]), to run off the loop.
pub type ForegroundRead = Box<dyn FnOnce() -> Option<String> + Send>;

/// The OS boundary for lane terminals, so the runtime can be tested with a double.
pub trait PtyBackend {
    /// Make sure every listed lane has a PTY (attach new ones, re-attach par lanes whose client
    /// ended while their session is alive) and drop the PTYs of lanes no longer listed. A
    /// helios-owned lane whose shell ended keeps its last screen until `restart`.
    /// Returns the lanes whose PTY could not be started.
    fn sync(&mut self, lanes: &[LaneInfo]) -> Vec<PtyError>;
    /// Queue bytes for a lane's PTY; never blocks.
    fn write(&mut self, lane: &LaneId, bytes: Vec<u8>) -> Result<(), PtyError>;
    /// Resize a lane's PTY and screen model (no-op when unchanged), never below [`MIN_SIZE`].
    fn resize(&mut self, lane: &LaneId, rows: u16, cols: u16);
    /// The lanes made to draw again since the last call without their program printing
    /// anything new: resized (the program redraws on SIGWINCH, tmux reflows the pane), or
    /// given an attach client (a par lane's, which draws the whole window as it starts).
    fn take_repainted(&mut self) -> Vec<LaneId> {
        Vec::new()
    }
    /// tmux says a par lane's pane is `size` (rows, columns) now: a lane whose screen is read
    /// at another size (another tmux client resized its window) is taken from tmux again.
    fn pane_size(&mut self, _lane: &LaneId, _size: (u16, u16)) {}
    /// Scroll a lane's view back `rows` lines (0: live).
    fn set_scroll(&mut self, lane: &LaneId, rows: usize);
    /// The lane the user works in (focused, else selected), told after every message; cheap
    /// when unchanged. Lanes behind it may be read at a lower rate when that costs nothing
    /// (see `reader::BACKGROUND_READ`).
    fn set_front(&mut self, _lane: Option<&LaneId>) {}
    /// The output of the lane in front, for the loop to read itself while it stays in front
    /// (`None`: the lane has no such output, and its reader thread reads it).
    fn front_output(&self) -> Option<&FrontOutput> {
        None
    }
    /// The runtime handled a lane's output notice; the next output sends a new one.
    fn notice_handled(&self, lane: &LaneId);
    /// The lane's visible rows for the agent-state screen reading (tmux's status line left
    /// out of an attached par lane); `None` for a lane without a screen.
    fn snapshot(&self, lane: &LaneId) -> Option<Snapshot>;
    /// The program in the foreground of a helios-owned lane's terminal (`None`: not known,
    /// or a par lane, whose foreground tmux reports).
    fn foreground(&self, _lane: &LaneId) -> Option<String> {
        None
    }
    /// [`foreground`](Self::foreground) in two parts: what must be read on the loop now (the
    /// terminal's process group), and the rest to run on the probe's thread (the `/proc`
    /// reads: with 50 lanes, 100 system calls every 2 s, each up to 0.3 ms on this machine once
    /// the loop had been idle; BENCHMARKS.md, runs 141-142).
    fn foreground_read(&self, lane: &LaneId) -> ForegroundRead {
        let now = self.foreground(lane);
        Box::new(move || now)
    }
    /// The lane's input modes (DECCKM, bracketed paste).
    fn input_modes(&self, lane: &LaneId) -> InputModes;
    /// Whether the lane's screen shows anything yet (false: blank since it was made, as a par
    /// lane waiting for its first seed; true for a lane with no screen).
    fn drawn(&self, _lane: &LaneId) -> bool {
        true
    }
    /// Read access to every lane's screen, for the renderer.
    fn screens(&self) -> &dyn ScreenSource;
    /// Close every PTY (par lanes keep running in tmux; helios-owned shells end).
    fn shutdown(&mut self);
    /// Start a lane's terminal again after its process ended (a helios-owned lane's shell; a
    /// par lane's attach client). Until then an ended lane keeps its last screen.
    fn restart(&mut self, lane: &LaneInfo) -> Result<(), PtyError>;
}
