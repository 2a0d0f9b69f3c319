//! The one event loop: input, lane notices, integration events and ticks in; effects out; draw when
//! something changed.
//!
//! Each turn waits for anything (a key, an IO event, the 1 s tick, a signal), then drains
//! everything else already pending, applies it all with `app::update` (through the [`Engine`]),
//! and draws once if the state changed, each frame wrapped in synchronized output: at most 120
//! frames a second when a key or the lane in front changed something, 30 (or fewer when frames
//! are expensive) when only background lanes printed.

pub mod engine;
pub mod frame_out;
mod front;
mod hand_over;
mod input;
mod periodic;
pub mod present;
mod typing;
pub mod wake;

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};

use crate::app::keymap::Keymap;
use crate::app::{AppState, Event, Msg};
use crate::config::theme::Theme;
use crate::pty::PtyBackend;
use crate::telemetry::echo::Step;

pub use engine::{Engine, EngineCtx, Outcome};

pub use crate::app::event::{EventReceiver, EventSender};

/// The shortest time between two frames when the user's own lane or a key changed something
/// (120 fps): an echo waits at most this long behind the previous frame.
const FRAME: Duration = Duration::from_millis(8);
/// The shortest time between two frames when only background lanes printed (30 fps): the
/// pace at which the PTYs read lanes behind the one in front.
use crate::pty::BACKGROUND_FRAME;

/// How long after the last frame the next may be drawn. Background-only changes wait longer,
/// and longer still when frames get expensive (a saturated machine): at most a fifth of the
/// time goes to drawing lanes nobody is typing into. Their screens keep parsing meanwhile, so
/// nothing is lost, only drawn later.
pub fn frame_gap(urgent: bool, last_cost: Duration) -> Duration {
    if urgent {
        FRAME
    } else {
        BACKGROUND_FRAME.max(last_cost * 5)
    }
}

/// When the last frames were drawn, and what a full one cost.
#[derive(Debug, Default)]
struct Frames {
    /// The last frame of any kind.
    last: Option<Instant>,
    /// The last frame that drew every lane's current screen.
    last_full: Option<Instant>,
    /// What that full frame cost.
    full_cost: Duration,
}

impl Frames {
    /// The earliest time the next frame may be drawn (`None`: now).
    fn next(&self, urgent: bool) -> Option<Instant> {
        let since = if urgent { self.last } else { self.last_full };
        since.map(|t| t + frame_gap(urgent, self.full_cost))
    }

    /// Whether a frame now would be a full one.
    fn full_due(&self) -> bool {
        self.next(false).is_none_or(|t| Instant::now() >= t)
    }

    /// A frame that started at `start` is on the screen.
    fn drawn(&mut self, start: Instant, partial: bool) {
        let now = Instant::now();
        self.last = Some(now);
        if !partial {
            self.last_full = Some(now);
            self.full_cost = now - start;
        }
    }
}

/// `user@host`, the actor of every event the console records (the one function, kept at this
/// path for its callers).
pub use crate::config::actor::actor;

/// What the loop needs to draw and read keys.
pub struct Ui {
    /// The ratatui terminal.
    pub terminal: Terminal<CrosstermBackend<frame_out::FrameOut>>,
    /// Holds the terminal's output back while a frame is drawn, so it goes out in one write.
    pub gate: frame_out::Gate,
    /// Styles.
    pub theme: Theme,
    /// Key bindings.
    pub keymap: Keymap,
    /// Lane screens drawn in earlier frames, reused while they do not change.
    pub tiles: crate::ui::cache::TileCache,
    /// What the terminal shows, so a frame writes only what changed.
    pub presenter: present::Presenter,
    /// The focused lane's cells when its tile is redrawn alone, kept between frames.
    pub live: ratatui::buffer::Buffer,
}

/// Run the console until the user quits, a signal arrives, or an attach is asked for.
/// The caller holds the terminal guard and starts discovery (`engine.discover()`).
pub async fn run<B: PtyBackend>(
    engine: &mut Engine<B>,
    ui: &mut Ui,
    mut events: EventReceiver,
) -> anyhow::Result<Outcome> {
    let mut input = input::Input::open()
        .map_err(|e| anyhow::anyhow!("cannot read the terminal (/dev/tty): {e}"))?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // `kill -TSTP`: suspend like Ctrl-z (in raw mode the key itself sends no signal).
    let mut sigtstp = signal(SignalKind::from_raw(rustix::process::Signal::TSTP.as_raw()))?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The tick and background results, which wait for an echo while the user types.
    let mut work = periodic::Periodic::default();
    // Set when that work ran at the end of a turn: one more turn carries out what it asked.
    let mut ran = false;
    let mut frames = Frames::default();
    let mut engine_first: Vec<Event> = Vec::new();
    let mut front = front::Front::new();
    let mut front_buf = vec![0u8; 64 * 1024];

    if let Ok((cols, rows)) = crossterm::terminal::size() {
        engine.handle(Event::Resized { cols, rows });
    }
    loop {
        // Terminal events are translated one at a time against the current state: a key that
        // leaves focus changes what the next key means.
        let mut keys: Vec<TermEvent> = Vec::new();
        let mut front_read = None;
        let next_frame = frames
            .next(engine.urgent)
            .map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std);
        let waits = work.deadline().map(tokio::time::Instant::from_std);
        tokio::select! {
            biased;
            _ = sigterm.recv() => return Ok(Outcome::Quit),
            _ = sighup.recv() => return Ok(Outcome::Quit),
            _ = sigint.recv() => return Ok(Outcome::Quit),
            _ = sigtstp.recv() => engine.suspend = true,
            read = input.recv(&mut keys) => {
                if let Some(outcome) = after_read(read)? {
                    return Ok(outcome);
                }
            },
            ev = events.recv() => match ev {
                Some(e) => engine_first.push(e),
                None => return Ok(Outcome::Quit),
            },
            _ = tick.tick() => work.tick_due = true,
            // After the tick: a lane in front that floods keeps this ready.
            ready = front.ready() => front_read = Some(front::read_ready(ready, &mut front_buf)),
            () = tokio::time::sleep_until(next_frame), if engine.dirty => {},
            () = tokio::time::sleep_until(waits.unwrap_or_else(tokio::time::Instant::now)),
                if waits.is_some() => {},
            () = std::future::ready(()), if ran => {},
        }
        // Drain what is already waiting, keys first: a flooding lane must not delay an echo.
        if let Some(outcome) = after_read(input.try_recv(&mut keys))? {
            return Ok(outcome);
        }
        // Then the lane in front's output, which the keys' echo comes in.
        match front_read {
            Some(read) => front.after(read),
            None => front.read_now(&mut front_buf),
        }
        if !keys.is_empty() {
            engine.clock_to(Instant::now());
        }
        let mut keys = keys.into_iter();
        for t in keys.by_ref() {
            crate::telemetry::echo::step(Step::Key, Instant::now());
            if let Some(msg) = translate(engine, ui, t) {
                if matches!(msg, Msg::Action(crate::app::Action::WriteFocused { .. })) {
                    work.typing.key(Instant::now());
                }
                engine.handle(msg);
            }
            if engine.outcome.is_some() || engine.hand_over.is_some() {
                break;
            }
        }
        // Keys read with the one that lends the terminal were typed for the program that takes
        // it, not for the console.
        let ahead = hand_over::typed_ahead(keys);
        let mut io = std::mem::take(&mut engine_first);
        while let Ok(e) = events.try_recv() {
            io.push(e);
        }
        work.sort(&mut io, Instant::now());
        // The focused lane's notice goes first among the IO events.
        let focused = engine.state.focused.clone();
        io.sort_by_key(
            |e| !matches!(e, Event::LaneOutput { lane, .. } if Some(lane) == focused.as_ref()),
        );
        for e in io {
            if engine.outcome.is_some() {
                break;
            }
            engine.handle(e);
        }
        if let Some(outcome) = engine.outcome.take() {
            return Ok(outcome);
        }
        front.follow(&engine.ptys);
        if !engine.terminal_writes.is_empty() {
            // The one terminal writer: between frames, never inside one.
            let out = ui.terminal.backend_mut();
            for w in engine.terminal_writes.drain(..) {
                out.write_all(w.as_bytes())?;
            }
            out.flush()?;
        }
        if std::mem::take(&mut engine.suspend) {
            suspend(engine, ui);
        }
        if let Some(h) = engine.hand_over.take() {
            // The lane in front goes back to its reader thread while the console is away.
            front = front::Front::new();
            let ends = hand_over::Ends {
                term: &mut sigterm,
                hup: &mut sighup,
                int: &mut sigint,
                tstp: &mut sigtstp,
            };
            if let Some(outcome) = hand_over::run(engine, ui, &mut events, ends, h, &ahead).await? {
                return Ok(outcome);
            }
            continue;
        }
        let echoed = draw_due(engine, ui, &mut frames)?;
        ran = work.run(engine, echoed, Instant::now());
        if let Some(outcome) = engine.outcome.take() {
            return Ok(outcome);
        }
    }
}

/// Draw if a frame is due: the echo of a key at once, anything else at the frame pace.
/// Returns whether a key's echo was drawn.
fn draw_due<B: PtyBackend>(
    engine: &mut Engine<B>,
    ui: &mut Ui,
    frames: &mut Frames,
) -> anyhow::Result<bool> {
    if !engine.dirty
        || !engine.echo
            && frames
                .next(engine.urgent)
                .is_some_and(|t| Instant::now() < t)
    {
        return Ok(false);
    }
    let echoed = engine.take_echo();
    // When only the focused lane's screen changed (a keystroke's echo), its tile alone
    // is redrawn; a whole frame follows at the background pace if other lanes printed.
    // (Only for the focused lane's output: a frame owed to the others is a whole one.)
    let start = Instant::now();
    let focus_output = std::mem::take(&mut engine.focus_output);
    if focus_output && draw_live(engine, ui)? {
        crate::telemetry::echo::step(Step::Drawn, start);
        frames.drawn(start, true);
        if !engine.chrome {
            engine.dirty = engine.backdrop;
            engine.urgent = false;
            return Ok(echoed);
        }
        // Something besides the lane's screen changed too (the ages at a tick, a
        // result, a layout): the echo went out first, into the tile the terminal
        // shows, and the whole frame follows at once. A whole frame first held the
        // echo back 0.5-0.8 ms (BENCHMARKS.md, run 127).
    }
    // Before a full frame is due, a keystroke's or the focused lane's frame redraws that
    // lane only and shows the others as last drawn; the full frame follows on time.
    let partial = !frames.full_due();
    if partial {
        ui.tiles.hold(engine.state.focused.clone());
    }
    draw(engine, ui)?;
    crate::telemetry::echo::step(Step::Drawn, start);
    let owed = partial && ui.tiles.release();
    frames.drawn(start, partial);
    engine.dirty = owed;
    engine.urgent = false;
    engine.chrome = false;
    engine.backdrop = owed;
    Ok(echoed)
}

/// Whether a read of the terminal ends the console: when the terminal is gone (closed
/// without a SIGHUP, nobody can type here any more), or it failed.
fn after_read(read: std::io::Result<input::Read>) -> anyhow::Result<Option<Outcome>> {
    match read {
        Ok(input::Read::Events) => Ok(None),
        Ok(input::Read::HungUp) => {
            tracing::warn!("the terminal reached its end (closed); the console stops");
            Ok(Some(Outcome::Quit))
        }
        Err(e) => anyhow::bail!("reading the terminal failed: {e}"),
    }
}

/// Stop until the shell continues helios, then redraw everything: the terminal showed the
/// shell meanwhile, so nothing the presenter kept is on it any more, and it may have been
/// resized.
fn suspend<B: PtyBackend>(engine: &mut Engine<B>, ui: &mut Ui) {
    let error = crate::terminal::suspend().err().map(|e| e.to_string());
    redraw_all(engine, ui);
    engine.handle(Event::Resumed { error });
}

/// Draw everything again after the terminal showed something else (a shell, a program it was
/// lent to): nothing the presenter kept is on it any more, and it may have been resized.
fn redraw_all<B: PtyBackend>(engine: &mut Engine<B>, ui: &mut Ui) {
    // A blank screen and a presenter that knows nothing: the next frame writes every cell.
    // (Not `Terminal::clear`: it asks the terminal for the cursor position, and would wait for
    // an answer that only the loop's own input reader takes.)
    ui.presenter = present::Presenter::default();
    let _ = crossterm::execute!(
        ui.terminal.backend_mut(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    );
    if let Ok((cols, rows)) = crossterm::terminal::size() {
        engine.handle(Event::Resized { cols, rows });
    }
    engine.dirty = true;
    engine.urgent = true;
}

/// Redraw the focused lane's tile alone (`ui::pane::live_tile`), inside synchronized output,
/// in one write. False, with nothing written, when only a whole frame is right.
fn draw_live<B: PtyBackend>(engine: &Engine<B>, ui: &mut Ui) -> anyhow::Result<bool> {
    let start = Instant::now();
    // After a resize the terminal no longer shows the presenter's cells.
    let (cols, rows) = engine.state.size;
    if ui.presenter.area() != Some(ratatui::layout::Rect::new(0, 0, cols, rows)) {
        return Ok(false);
    }
    let screens = engine.ptys.screens();
    let Some(tile) = crate::ui::pane::live_tile(&engine.state, screens, &ui.tiles, &mut ui.live)
    else {
        return Ok(false);
    };
    if !ui.presenter.shows(ui.live.area) {
        return Ok(false);
    }
    ui.gate.hold();
    crossterm::queue!(ui.terminal.backend_mut(), BeginSynchronizedUpdate)?;
    // `shows` was checked above, so the presenter writes the patch.
    let patched = ui
        .presenter
        .patch(&mut ui.terminal, &ui.live, tile.rows.clone(), tile.cursor)?;
    if let Some(changed) = patched {
        ui.tiles
            .redrawn(&tile.lane, tile.version, &ui.live, &changed);
    } else {
        tracing::warn!("the focused tile's patch was refused after it was checked");
    }
    crossterm::queue!(ui.terminal.backend_mut(), EndSynchronizedUpdate)?;
    ui.gate.open();
    ui.terminal.backend_mut().flush()?;
    crate::telemetry::frame_time(start.elapsed());
    Ok(true)
}

/// Draw one frame inside synchronized output so the terminal never shows half a frame, in one
/// write.
fn draw<B: PtyBackend>(engine: &Engine<B>, ui: &mut Ui) -> anyhow::Result<()> {
    let start = Instant::now();
    ui.gate.hold();
    crossterm::queue!(ui.terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let state = &engine.state;
    let (cols, rows) = state.size;
    ui.presenter
        .set_area(ratatui::layout::Rect::new(0, 0, cols, rows));
    let screens = engine.ptys.screens();
    let (theme, keymap, tiles) = (&ui.theme, &ui.keymap, &ui.tiles);
    ui.presenter.draw(&mut ui.terminal, |frame, blank| {
        if blank {
            tiles.forget_shown();
        }
        let cursor = crate::ui::render_cached(frame, state, theme, keymap, screens, Some(tiles));
        present::Drawn {
            cursor,
            unchanged: tiles.unchanged(),
        }
    })?;
    crossterm::queue!(ui.terminal.backend_mut(), EndSynchronizedUpdate)?;
    ui.gate.open();
    ui.terminal.backend_mut().flush()?;
    crate::telemetry::frame_time(start.elapsed());
    Ok(())
}

/// Turn one terminal event into messages for the reducer.
fn translate<B: PtyBackend>(engine: &Engine<B>, ui: &Ui, ev: TermEvent) -> Option<Msg> {
    let state: &AppState = &engine.state;
    match ev {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
            let modes = focused_modes(engine);
            crate::app::keys::translate(state, &ui.keymap, key, modes.app_cursor).map(Msg::Action)
        }
        TermEvent::Paste(text) => {
            let modes = focused_modes(engine);
            crate::app::keys::paste(state, &text, modes.bracketed_paste).map(Msg::Action)
        }
        TermEvent::Mouse(m) => crate::app::keys::mouse(state, m).map(Msg::Action),
        TermEvent::Resize(cols, rows) => Some(Msg::Event(Event::Resized { cols, rows })),
        _ => None,
    }
}

fn focused_modes<B: PtyBackend>(engine: &Engine<B>) -> crate::pty::InputModes {
    engine
        .state
        .focused
        .as_ref()
        .map(|l| engine.ptys.input_modes(l))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_frames_wait_longer_and_back_off_when_frames_are_slow() {
        let cheap = Duration::from_millis(2);
        assert_eq!(frame_gap(true, cheap), FRAME);
        assert_eq!(frame_gap(true, Duration::from_millis(40)), FRAME);
        assert_eq!(frame_gap(false, cheap), BACKGROUND_FRAME);
        assert_eq!(
            frame_gap(false, Duration::from_millis(20)),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn a_partial_frame_leaves_the_full_one_due_on_time() {
        let mut f = Frames::default();
        assert!(f.next(true).is_none() && f.full_due());
        // A full frame that took a second: the next full one waits five.
        let now = Instant::now();
        let start = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        f.drawn(start, false);
        let full = f.last_full.unwrap_or(start);
        let gap = f.full_cost * 5;
        assert!(gap >= Duration::from_secs(5));
        assert_eq!(f.next(true), Some(full + FRAME));
        assert_eq!(f.next(false), Some(full + gap));
        assert!(!f.full_due());
        f.drawn(Instant::now(), true);
        let last = f.last.unwrap_or(start);
        assert_eq!(f.next(true), Some(last + FRAME));
        assert_eq!(f.next(false), Some(full + gap));
    }
}
