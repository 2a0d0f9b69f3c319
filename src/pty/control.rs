//! par lanes through tmux control mode (`tmux -C attach-session`), with
//! `[lanes] tmux_client = "control"`.
//!
//! A `tmux attach` client makes the tmux server re-render the lane for that client, and helios
//! then parses the re-rendered screen a second time; with 25 lanes that server-side rendering was
//! the largest cost of a flooding swarm (BENCHMARKS.md). A control-mode client gets the pane's
//! own output as `%output` lines instead, which helios feeds straight into the lane's screen; the
//! agent's bells and OSC 9/777 notifications then reach helios unchanged, too.
//!
//! Protocol (tmux 3.3a manual, CONTROL MODE): commands on stdin, one reply block each
//! (`%begin` ... `%end`/`%error`), notifications between blocks. On attach helios waits for
//! `%session-changed`, sizes the client (`refresh-client -C WxH`), asks for the pane id, cursor
//! and alternate-screen flag, and captures the pane with its history to seed the screen. Output
//! before the capture's reply is already in the capture and is dropped. Keys go in as
//! `send-keys -H` (raw bytes); `%layout-change` carries the window's real size, which the screen
//! follows (another client may make the window larger than helios asked).

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use crate::model::{LaneId, LaneInfo};
use crate::pty::LaneScreen;
use crate::pty::portable::PtyConfig;
use crate::pty::reader::{ReaderCtx, after_feed, after_seed};

/// What the lane's writer thread is asked to do.
#[derive(Debug)]
pub(crate) enum Ctl {
    /// The client is attached, or the session's active pane changed (from the reader): send
    /// the setup commands.
    Ready,
    /// Bytes typed into the lane.
    Keys(Vec<u8>),
    /// The lane's pane was resized to rows x cols.
    Resize(u16, u16),
    /// helios lets go of the lane: end the client (the session keeps running).
    Close,
}

/// helios's control clients attach and detach one at a time: held from a client's start until
/// `%session-changed`, and from its close until its process is gone.
///
/// tmux up to 3.5a writes `%client-detached` (and other notifications) to every control client,
/// including one still identifying, whose control state is NULL: SIGSEGV at 0x20 in
/// `control_write`, and the server dies with every session in it (fixed upstream in 2026, tmux
/// PRs #4980 and #5004). Found with a debug build of Debian's tmux 3.3a source and the swarm
/// bench: helios quit right after its first frame while its last clients were still starting,
/// and the first ones' detaches hit them (backtrace: `control_notify_client_detached` ->
/// `control_write`, the victim with pid 0 and no state; 8 and 25 lanes crashed on every run).
/// With this gate the same runs passed on a debug build of tmux 3.3a and with 8 lanes on
/// Debian's; with 25 lanes on Debian's build one run still ended with the tmux server gone
/// (no segfault logged; not diagnosed). A detach by another program's client can still hit the
/// window, so control mode is opt-in and experimental.
static GATE: Mutex<()> = Mutex::new(());

/// How many control clients are alive, so shutdown can wait for their detaches.
static LIVE: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

fn gate() -> MutexGuard<'static, ()> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

fn live_add(n: isize) {
    let mut live = LIVE.0.lock().unwrap_or_else(PoisonError::into_inner);
    *live = live.saturating_add_signed(n);
    LIVE.1.notify_all();
}

/// Wait (at most `limit`) until every control client helios started has gone: exiting before
/// would close their stdin all at once, detaching them together.
pub(crate) fn wait_all_gone(limit: Duration) {
    let live = LIVE.0.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = LIVE
        .1
        .wait_timeout_while(live, limit, |n| *n > 0)
        .map_err(|_| ());
}

/// Start `tmux -C attach-session` for a par session; returns the writer's channel.
pub(crate) fn spawn(
    config: &PtyConfig,
    lane: &LaneInfo,
    session: &str,
    size: (u16, u16),
    ctx: ReaderCtx,
) -> std::io::Result<mpsc::Sender<Ctl>> {
    let mut cmd = crate::config::secrets::command("tmux");
    cmd.args([
        "-C",
        "attach-session",
        "-t",
        &crate::model::lane::tmux_target(session),
    ])
    .env_remove("TMUX")
    .env_remove("TMUX_PANE")
    .current_dir(&lane.worktree)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in &config.env {
        cmd.env(k, v);
    }
    let (tx, rx) = mpsc::channel();
    let target = quote(&crate::model::lane::tmux_pane_target(session));
    let scrollback = config.scrollback;
    let name = lane.id.as_str().to_string();
    let ready = tx.clone();
    live_add(1);
    let reader = std::thread::Builder::new()
        .name(format!("tmux-read-{name}"))
        .spawn(move || {
            let attaching = gate();
            // Piped stdin and stdout are always there; the error is for the type's sake.
            let started = cmd.spawn().and_then(|mut child| {
                let pipes = child.stdin.take().zip(child.stdout.take());
                pipes
                    .map(|(stdin, stdout)| (child, stdin, stdout))
                    .ok_or_else(|| std::io::Error::other("tmux -C gave no stdin/stdout"))
            });
            let Ok((mut child, stdin, stdout)) = started else {
                drop(attaching);
                live_add(-1);
                ctx.finish(None);
                return;
            };
            let (gone_tx, gone_rx) = mpsc::channel::<()>();
            let writer = std::thread::Builder::new()
                .name(format!("tmux-write-{name}"))
                .spawn(move || {
                    write_loop(&stdin, &rx, &target, size, scrollback);
                    // Detach under the gate: close stdin, wait for the client to be gone.
                    let _detaching = gate();
                    drop(stdin);
                    let _ = gone_rx.recv_timeout(Duration::from_secs(2));
                });
            if writer.is_ok() {
                let input = BufReader::with_capacity(64 * 1024, stdout);
                read_loop(input, &ctx, &ready, Some(attaching));
            }
            // The client ends when its stdin closes (the writer lets go); killing it could
            // catch it mid-identify, which crashes tmux up to 3.5a as well (tmux PR #5004).
            drop(ready);
            let code = child.wait().ok().and_then(|s| s.code()).map(|c| c as u32);
            let _ = gone_tx.send(());
            live_add(-1);
            ctx.finish(code);
        });
    if let Err(e) = reader {
        live_add(-1);
        return Err(e);
    }
    Ok(tx)
}

/// Quote for tmux's command parser: single quotes, with a single quote itself in double quotes.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'"'"'"#))
}

/// The commands that size the client, describe the pane and capture it.
fn setup(target: &str, size: (u16, u16), scrollback: usize) -> String {
    format!(
        "display-message -p {SETUP}\n{}display-message -p -t {target} '#{{pane_id}} #{{cursor_x}} #{{cursor_y}} #{{alternate_on}} #{{pane_width}} #{{pane_height}}'\n\
         capture-pane -p -e -t {target} -S -{scrollback}\n",
        resize(size)
    )
}

/// The reply that starts the setup's replies. Replies carry no tag of their own, and keys typed
/// before a re-setup still have replies in flight, so the reader counts from this one.
const SETUP: &str = "helios-setup";

/// The command that sizes the control client (and so the window, with `window-size latest`).
fn resize((rows, cols): (u16, u16)) -> String {
    format!("refresh-client -C {cols}x{rows}\n")
}

/// `send-keys -H` lines for raw bytes, in chunks that keep each command line short.
fn keys(target: &str, bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 3 + 32);
    for chunk in bytes.chunks(128) {
        let _ = write!(out, "send-keys -t {target} -H");
        for b in chunk {
            let _ = write!(out, " {b:02x}");
        }
        out.push('\n');
    }
    out
}

fn write_loop(
    mut stdin: &ChildStdin,
    rx: &mpsc::Receiver<Ctl>,
    target: &str,
    mut size: (u16, u16),
    scrollback: usize,
) {
    // Until tmux has attached, commands would fail ("no current client"): hold keys back.
    let mut held = Vec::new();
    let mut ready = false;
    while let Ok(msg) = rx.recv() {
        let mut out = String::new();
        let mut next = Some(msg);
        while let Some(msg) = next {
            match msg {
                Ctl::Close => return,
                Ctl::Ready => {
                    out.push_str(&setup(target, size, scrollback));
                    if !ready {
                        ready = true;
                        out.push_str(&keys(target, &held));
                        held = Vec::new();
                    }
                }
                Ctl::Keys(b) if ready => out.push_str(&keys(target, &b)),
                Ctl::Keys(b) => held.extend(b),
                Ctl::Resize(rows, cols) => {
                    size = (rows, cols);
                    if ready {
                        out.push_str(&resize(size));
                    }
                }
            }
            // Batch what is already queued into one write.
            next = rx.try_recv().ok();
        }
        if !out.is_empty() && stdin.write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}

/// Where the reader is in the attach sequence.
enum Phase {
    /// Waiting for `%session-changed`.
    Attaching,
    /// Setup sent; counting its reply blocks from the [`SETUP`] marker on (refresh, describe,
    /// capture).
    Setup { replies: Option<u8> },
    /// Feeding the pane's output.
    Live,
}

/// What `display-message` said about the pane.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PaneInfo {
    /// `%N`.
    pub(crate) id: String,
    /// Cursor column and row, 0-based.
    pub(crate) cursor: (u16, u16),
    /// The alternate screen is on.
    pub(crate) alternate: bool,
    /// Columns and rows.
    pub(crate) size: (u16, u16),
}

impl PaneInfo {
    /// Parse `%0 10 2 0 80 24`.
    pub(crate) fn parse(line: &str) -> Option<Self> {
        let mut it = line.split_whitespace();
        let id = it.next().filter(|s| s.starts_with('%'))?.to_string();
        let mut num = || it.next()?.parse::<u16>().ok();
        let (x, y, alt, w, h) = (num()?, num()?, num()?, num()?, num()?);
        Some(Self {
            id,
            cursor: (x, y),
            alternate: alt == 1,
            size: (w, h),
        })
    }
}

/// The bytes that put a captured pane into a fresh screen: the history and visible lines
/// (the last `rows` end up visible, the rest in scrollback), then the cursor.
pub(crate) fn seed(info: &PaneInfo, capture: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(capture.len() + 64);
    // A full reset first: a re-setup (the active pane changed) starts from a blank screen too.
    out.extend_from_slice(b"\x1bc");
    if info.alternate {
        out.extend_from_slice(b"\x1b[?1049h");
    }
    let text = capture.strip_suffix(b"\n").unwrap_or(capture);
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\x1b[0m\r\n");
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(
        // u32: tmux may report a cursor at 65535 (fuzz find: `+ 1` overflowed a u16).
        format!(
            "\x1b[0m\x1b[{};{}H",
            u32::from(info.cursor.1) + 1,
            u32::from(info.cursor.0) + 1
        )
        .as_bytes(),
    );
    out
}

/// Decode a `%output` value: `\ooo` octal escapes for control bytes and backslash.
fn unescape(value: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut rest = value;
    while let Some(at) = rest.iter().position(|&b| b == b'\\') {
        out.extend_from_slice(&rest[..at]);
        let digits = rest
            .get(at + 1..at + 4)
            .filter(|d| d.iter().all(|d| (b'0'..=b'7').contains(d)));
        if let Some(d) = digits {
            let v = d.iter().fold(0u16, |acc, d| acc * 8 + u16::from(d - b'0'));
            out.push(v as u8);
            rest = &rest[at + 4..];
        } else {
            out.push(b'\\');
            rest = &rest[at + 1..];
        }
    }
    out.extend_from_slice(rest);
}

/// The window size in a `%layout-change @W LAYOUT ...` line: `csum,WxH,...`.
fn layout_size(rest: &[u8]) -> Option<(u16, u16)> {
    let rest = std::str::from_utf8(rest).ok()?;
    let layout = rest.split_whitespace().nth(1)?;
    let (w, h) = layout.split(',').nth(1)?.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

/// The reader's state: where it is in the attach sequence and which pane it follows.
struct Reader<'a> {
    ctx: &'a ReaderCtx,
    /// The [`GATE`], held until the client attached.
    attaching: Option<MutexGuard<'static, ()>>,
    writer: &'a mpsc::Sender<Ctl>,
    phase: Phase,
    pane: PaneInfo,
    bytes: Vec<u8>,
}

impl Reader<'_> {
    /// A reply block ended. False when the reader should stop.
    fn on_reply(&mut self, body: &[u8]) -> bool {
        let Phase::Setup { replies } = &mut self.phase else {
            return true;
        };
        let Some(n) = replies.as_mut() else {
            if body.strip_suffix(b"\n") == Some(SETUP.as_bytes()) {
                *replies = Some(0);
            }
            return true;
        };
        *n += 1;
        match *n {
            2 => {
                let line = String::from_utf8_lossy(body);
                self.pane = PaneInfo::parse(&line).unwrap_or_else(|| {
                    tracing::warn!(reply = %line.trim(), "tmux control mode: unreadable pane info");
                    PaneInfo::default()
                });
            }
            3 => {
                if self.pane.size.0 > 0 {
                    self.ctx.screen.set_size(self.pane.size.1, self.pane.size.0);
                }
                // Old bells in the capture are not news.
                let _ = self.ctx.screen.feed(&seed(&self.pane, body));
                self.phase = Phase::Live;
                return after_seed(self.ctx);
            }
            _ => {}
        }
        true
    }

    /// Ask the writer for the setup commands and wait for their replies.
    fn setup(&mut self) -> bool {
        self.phase = Phase::Setup { replies: None };
        self.writer.send(Ctl::Ready).is_ok()
    }

    /// A notification line. False when the reader should stop.
    fn on_notice(&mut self, line: &[u8]) -> bool {
        let live = matches!(self.phase, Phase::Live);
        if let Some(rest) = line.strip_prefix(b"%output ") {
            let Some((pane, value)) = rest
                .iter()
                .position(|&b| b == b' ')
                .map(|at| (&rest[..at], &rest[at + 1..]))
            else {
                return true;
            };
            // Before the capture's reply, output is already in the capture.
            if !live || pane != self.pane.id.as_bytes() {
                return true;
            }
            unescape(value, &mut self.bytes);
            let notices = self.ctx.screen.feed(&self.bytes);
            crate::telemetry::lane_bytes(self.ctx.lane.as_str(), self.bytes.len() as u64);
            return after_feed(self.ctx, notices);
        }
        if let Some(rest) = line.strip_prefix(b"%layout-change ") {
            if let (true, Some((w, h))) = (live, layout_size(rest)) {
                self.ctx.screen.set_size(h, w);
            }
        } else if line.starts_with(b"%session-changed ") {
            if let Phase::Attaching = self.phase {
                self.attaching = None;
                return self.setup();
            }
        } else if line.starts_with(b"%session-window-changed ")
            || line.starts_with(b"%window-pane-changed ")
        {
            // Keys go to the session's active pane: follow it, from a fresh capture.
            if !matches!(self.phase, Phase::Attaching) {
                return self.setup();
            }
        } else if line.starts_with(b"%exit") {
            return false;
        }
        !self.ctx.detached.load(Ordering::Acquire)
    }
}

fn read_loop(
    mut input: impl BufRead,
    ctx: &ReaderCtx,
    writer: &mpsc::Sender<Ctl>,
    attaching: Option<MutexGuard<'static, ()>>,
) {
    let mut line = Vec::with_capacity(8 * 1024);
    let mut block: Option<Vec<u8>> = None;
    let mut stopped = false;
    let mut reader = Reader {
        ctx,
        attaching,
        writer,
        phase: Phase::Attaching,
        pane: PaneInfo::default(),
        bytes: Vec::with_capacity(8 * 1024),
    };
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        // Once stopped (helios let go, `%exit`), keep draining to EOF without parsing: a client
        // whose stdout is not read cannot finish writing and never exits.
        if stopped {
            continue;
        }
        let go_on = match block.as_mut() {
            Some(_) if line.starts_with(b"%end ") || line.starts_with(b"%error ") => {
                let body = block.take().unwrap_or_default();
                reader.on_reply(&body)
            }
            Some(body) => {
                body.extend_from_slice(&line);
                body.push(b'\n');
                true
            }
            None if line.starts_with(b"%begin ") => {
                block = Some(Vec::new());
                true
            }
            None => reader.on_notice(&line),
        };
        if !go_on {
            stopped = true;
            // Stop holding the gate too, in case the client never attached.
            reader.attaching = None;
        }
    }
}

/// Run `output` through a control client's reader as if tmux had written it, into `screen`:
/// the control-mode parser without a tmux (for tests and the fuzz targets in tests/fuzz).
/// Returns how many times the reader asked for the setup commands.
pub fn replay(output: &[u8], screen: &Arc<LaneScreen>) -> usize {
    let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
    let ctx = ReaderCtx {
        lane: LaneId::new("replay"),
        screen: Arc::clone(screen),
        events,
        exited: Arc::new(AtomicBool::new(false)),
        detached: Arc::new(AtomicBool::new(false)),
        behind: None,
        read_max: usize::MAX,
        replies: None,
        clipboard: false,
    };
    let (writer, asked) = mpsc::channel();
    read_loop(output, &ctx, &writer, None);
    asked.try_iter().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_octal_and_keeps_the_rest() {
        let mut out = Vec::new();
        unescape(br"echo hi\015\012\033[?2004h\134x \07", &mut out);
        assert_eq!(out, b"echo hi\r\n\x1b[?2004h\\x \\07");
    }

    #[test]
    fn keys_become_hex_send_keys_in_chunks() {
        assert_eq!(keys("'=s':", b"a\x1b"), "send-keys -t '=s': -H 61 1b\n");
        let long = keys("t", &[b'x'; 300]);
        assert_eq!(long.lines().count(), 3);
        assert!(long.lines().all(|l| l.starts_with("send-keys -t t -H")));
    }

    #[test]
    fn pane_info_and_layout_size_parse() {
        assert_eq!(
            PaneInfo::parse("%3 10 2 1 80 24\n"),
            Some(PaneInfo {
                id: "%3".into(),
                cursor: (10, 2),
                alternate: true,
                size: (80, 24)
            })
        );
        assert_eq!(PaneInfo::parse("no current client"), None);
        assert_eq!(
            layout_size(b"@0 a1dd,60x20,0,0,0 a1dd,60x20,0,0,0 *"),
            Some((60, 20))
        );
        assert_eq!(layout_size(b"@0 junk"), None);
    }

    #[test]
    fn quote_survives_single_quotes() {
        assert_eq!(quote("=a'b"), r#"'=a'"'"'b'"#);
    }

    #[test]
    fn seed_puts_history_above_and_the_cursor_back() {
        let info = PaneInfo {
            id: "%0".into(),
            cursor: (2, 1),
            alternate: false,
            size: (10, 2),
        };
        let screen = crate::pty::LaneScreen::new(2, 10, 10);
        let _ = screen.feed(b"gone1\r\ngone2\r\ngone3\r\n");
        let _ = screen.feed(&seed(&info, b"old\nab\ncd\n"));
        assert_eq!(screen.contents(), "ab\ncd");
        assert_eq!(screen.with(crate::pty::vt::Screen::cursor_position), (1, 2));
        screen.set_scroll(10);
        assert_eq!(
            screen.contents(),
            "old\nab",
            "only the capture's history is scrollback"
        );
    }

    /// Fuzz find (`tmux_control`, 1.4M runs in): a pane info with the cursor at 65535 made
    /// `cursor + 1` overflow a u16 in the seed.
    #[test]
    fn seed_takes_a_cursor_at_the_u16_limit() {
        let info = PaneInfo {
            id: "%0".into(),
            cursor: (u16::MAX, u16::MAX),
            alternate: true,
            size: (20, 3),
        };
        let out = seed(&info, b"x\n");
        assert!(out.ends_with(b"\x1b[65536;65536H"), "{out:?}");
        let screen = crate::pty::LaneScreen::new(3, 20, 0);
        let _ = screen.feed(&out);
    }

    /// What tmux 3.3a writes for an attach, the setup's three replies and some output.
    const TRANSCRIPT: &[u8] = b"%begin 1 1 0\n%end 1 1 0\n\
%session-changed $0 par-one\n\
%output %0 dropped before the capture\n\
%begin 2 2 1\nhelios-setup\n%end 2 2 1\n\
%begin 3 3 1\n%end 3 3 1\n\
%begin 4 4 1\n%0 2 1 0 20 3\n%end 4 4 1\n\
%begin 5 5 1\nold\nab\ncd\n%end 5 5 1\n\
%output %0 \\033[1mhi\\015\\012there\n\
%output %1 another pane\n\
%layout-change @0 b25d,30x4,0,0,0 b25d,30x4,0,0,0 *\n\
%exit\n\
%output %0 after exit\n";

    #[test]
    fn replay_follows_attach_setup_and_output() {
        let screen = Arc::new(LaneScreen::new(24, 80, 100));
        assert_eq!(replay(TRANSCRIPT, &screen), 1);
        assert_eq!(screen.size(), (4, 30));
        assert_eq!(screen.contents(), "old\nabhi\nthere");
    }

    /// Fuzz find (`tmux_control`): a window of 65535x65535 made the screen model allocate
    /// gigabytes; the model stops at 1000x1000.
    #[test]
    fn a_huge_window_does_not_take_the_memory() {
        let huge = String::from_utf8_lossy(TRANSCRIPT).replace(
            "%layout-change @0 b25d,30x4,0,0,0 b25d,30x4,0,0,0 *",
            "%layout-change @0 b25d,65535x65535 @0 %1",
        );
        let screen = Arc::new(LaneScreen::new(24, 80, 100));
        assert_eq!(replay(huge.as_bytes(), &screen), 1);
        assert_eq!(screen.size(), (1000, 1000));
    }
}
