//! Seeds of par lanes behind, taken together. A fed lane that prints more than its budget is
//! seeded from `tmux capture-pane` once per gap (feed.rs), and under a flood every lane behind
//! is: a tmux client per lane a second, about 2 ms of CPU each, and a client connection each for
//! tmux's server thread, which the flood is already bound by (BENCHMARKS.md, runs 88-91). The
//! lanes' readers ask here; what is asked for within [`GATHER`] of the first goes to tmux as one
//! command. The readers' flood seeds fall due together (`feed::next_seed`), so one command
//! serves them all. Also here: what a seed is ([`seed_command`]) and how it is put into a
//! lane's screen ([`apply_seed`]), shared with the pane-readying workers (tmux_pane.rs).

use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::pty::control::{PaneInfo, seed};
use crate::pty::screen::LaneScreen;
use crate::pty::tmux_pane::tmux;

/// How long the first seed asked for waits for others: lanes due at the same slot ask within a
/// millisecond or two of each other, and a lane behind is drawn at 33 ms anyway.
const GATHER: Duration = Duration::from_millis(5);

/// The most seeds in one tmux command (its arguments stay far below the system's limit).
const BATCH_MAX: usize = 64;

/// What a seed's reader gets: tmux's output for [`seed_command`], or why there is none.
pub(crate) type Seed = Result<Vec<u8>, String>;

struct Ask {
    env: Vec<(String, String)>,
    target: String,
    reply: Sender<Seed>,
}

static ASKS: OnceLock<Option<Sender<Ask>>> = OnceLock::new();

/// The output of [`seed_command`] for `target`, taken with any other seeds due now.
pub(crate) fn take(env: &[(String, String)], target: &str) -> Seed {
    let (reply, answer) = mpsc::channel();
    let ask = Ask {
        env: env.to_vec(),
        target: target.to_string(),
        reply,
    };
    match ASKS.get_or_init(start) {
        Some(asks) => match asks.send(ask) {
            Ok(()) => answer
                .recv()
                .unwrap_or_else(|_| Err("the seeding thread ended".into())),
            Err(mpsc::SendError(ask)) => one(&ask.env, &ask.target),
        },
        None => one(env, target),
    }
}

fn start() -> Option<Sender<Ask>> {
    let (tx, rx) = mpsc::channel();
    match std::thread::Builder::new()
        .name("lane-seeds".into())
        .spawn(move || serve(&rx))
    {
        Ok(_) => Some(tx),
        Err(e) => {
            tracing::warn!("cannot start the seeding thread ({e}); each lane seeds alone");
            None
        }
    }
}

fn serve(asks: &Receiver<Ask>) {
    while let Ok(first) = asks.recv() {
        let until = Instant::now() + GATHER;
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match asks.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(ask) => batch.push(ask),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        // The lanes share one environment (one tmux server); any other goes alone.
        let env = batch[0].env.clone();
        let (together, apart): (Vec<Ask>, Vec<Ask>) = batch.into_iter().partition(|a| a.env == env);
        run(together);
        for a in apart {
            answer(&a, one(&a.env, &a.target));
        }
    }
}

fn answer(ask: &Ask, seed: Seed) {
    if ask.reply.send(seed).is_err() {
        tracing::debug!(target = %ask.target, "a lane's reader left before its seed came");
    }
}

/// One tmux command for every ask, each lane's part after a marker line no lane can print (a
/// new random one each time); when tmux refuses (a lane gone meanwhile ends the whole command
/// list), each lane is seeded alone.
fn run(batch: Vec<Ask>) {
    if let [ask] = batch.as_slice() {
        answer(ask, one(&ask.env, &ask.target));
        return;
    }
    let Some(env) = batch.first().map(|a| a.env.clone()) else {
        return;
    };
    let marker = format!("helios-seed-{}", ulid::Ulid::new());
    let mut args: Vec<String> = Vec::new();
    for (i, ask) in batch.iter().enumerate() {
        if i > 0 {
            args.push(";".into());
        }
        args.extend([
            "display-message".into(),
            "-p".into(),
            format!("{marker} {i}"),
        ]);
        args.push(";".into());
        args.extend(seed_command(&ask.target));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let parts = match tmux(&env, &args) {
        Ok(o) if o.status.success() => {
            let parts = split(&o.stdout, &marker, batch.len());
            if parts.is_none() {
                tracing::warn!(
                    "tmux's output for {} seeds lacked a marker; each lane seeds alone",
                    batch.len()
                );
            }
            parts
        }
        // Usually a lane gone meanwhile; each lane's own seed then says which.
        Ok(o) => {
            tracing::debug!(
                "tmux refused {} seeds together ({}); each lane seeds alone",
                batch.len(),
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            tracing::debug!(
                "tmux for {} seeds could not run ({e}); each lane seeds alone",
                batch.len()
            );
            None
        }
    };
    match parts {
        Some(parts) => {
            for (ask, part) in batch.iter().zip(parts) {
                answer(ask, Ok(part));
            }
        }
        None => {
            for ask in &batch {
                answer(ask, one(&ask.env, &ask.target));
            }
        }
    }
}

/// One lane's seed in a tmux client of its own.
fn one(env: &[(String, String)], target: &str) -> Seed {
    let args = seed_command(target);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match tmux(env, &args) {
        Ok(o) if o.status.success() => Ok(o.stdout),
        Ok(o) => Err(format!(
            "tmux capture-pane for the lane's feed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!(
            "tmux capture-pane for the lane's feed could not run: {e}"
        )),
    }
}

/// The `n` lanes' parts of a batch's output: what follows each marker line up to the next.
/// `None` when a marker is missing or out of place.
fn split(out: &[u8], marker: &str, n: usize) -> Option<Vec<Vec<u8>>> {
    let mut starts = Vec::with_capacity(n);
    let mut from = 0;
    for i in 0..n {
        let line = format!("{marker} {i}\n");
        let at = find_line(&out[from..], line.as_bytes())? + from;
        starts.push((at, at + line.len()));
        from = at + line.len();
    }
    let mut parts = Vec::with_capacity(n);
    for (i, &(_, body)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(out.len(), |&(next, _)| next);
        parts.push(out[body..end].to_vec());
    }
    Some(parts)
}

/// Where `line` (ending in a newline) starts a line of `text`.
fn find_line(text: &[u8], line: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at + line.len() <= text.len() {
        if text[at..].starts_with(line) {
            return Some(at);
        }
        at += text[at..].iter().position(|&b| b == b'\n')? + 1;
    }
    None
}

/// The tmux command (with `;` between its parts) that describes the pane and captures its
/// visible lines, for [`apply_seed`].
pub(crate) fn seed_command(target: &str) -> Vec<String> {
    [
        "display-message",
        "-p",
        "-t",
        target,
        &format!(
            "#{{pane_id}} #{{cursor_x}} #{{cursor_y}} #{{alternate_on}} #{{pane_width}} \
             #{{pane_height}} {WINDOW_SIZE_FORMAT}"
        ),
        ";",
        "capture-pane",
        "-p",
        "-e",
        "-t",
        target,
    ]
    .map(String::from)
    .to_vec()
}

/// Put what [`seed_command`] printed into `screen`: its size, the lines, the cursor. Returns
/// the terminal size of a client that leaves the window's size as it is, when tmux told it.
pub(crate) fn apply_seed(out: &[u8], screen: &LaneScreen) -> Result<Option<(u16, u16)>, String> {
    let (head, capture) = out
        .iter()
        .position(|&b| b == b'\n')
        .map_or((out, &[][..]), |at| (&out[..at], &out[at + 1..]));
    let described = String::from_utf8_lossy(head);
    let Some(pane) = PaneInfo::parse(&described) else {
        return Err("tmux said something unreadable about the lane's pane".into());
    };
    if pane.size.0 > 0 && pane.size.1 > 0 {
        screen.set_size(pane.size.1, pane.size.0);
    }
    // Old bells and titles in the capture are not news (the notices, not an error, are dropped).
    let _ = screen.feed(&seed(&pane, capture));
    Ok(client_size(&described))
}

/// The terminal size of a client showing the window at its own size: its width, and its
/// height plus tmux's status lines (`status` is `off`, `on` or 2 to 5), from the seed's
/// description of the pane (tokens 7 to 9).
fn client_size(described: &str) -> Option<(u16, u16)> {
    window_tokens_size(described.split_whitespace().skip(6))
}

/// The format of [`window_client_size`]'s input: what a client must know to keep the window.
pub(crate) const WINDOW_SIZE_FORMAT: &str = "#{window_width} #{window_height} #{status}";

/// [`client_size`] from tmux's answer to [`WINDOW_SIZE_FORMAT`] alone.
pub(crate) fn window_client_size(answer: &str) -> Option<(u16, u16)> {
    window_tokens_size(answer.split_whitespace())
}

/// The window's width, height and `status`, as tmux printed them, to a client's size.
fn window_tokens_size<'a>(mut it: impl Iterator<Item = &'a str>) -> Option<(u16, u16)> {
    let cols: u16 = it.next()?.parse().ok()?;
    let rows: u16 = it.next()?.parse().ok()?;
    let status = match it.next()? {
        "off" => 0,
        "on" => 1,
        n => n.parse().ok()?,
    };
    Some((rows.checked_add(status)?, cols))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pty::tmux_pane::TestServer;

    #[test]
    fn one_command_seeds_every_lane_with_its_own_screen_and_a_gone_lane_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let env = vec![("TMUX_TMPDIR".to_string(), dir.path().display().to_string())];
        let _server = TestServer(env.clone());
        for (name, text) in [("a", "alpha-screen"), ("b", "beta-screen")] {
            let script = format!("printf '{text}\\n'; exec sleep 600");
            let made = tmux(
                &env,
                &[
                    "new-session",
                    "-d",
                    "-s",
                    name,
                    "-x",
                    "40",
                    "-y",
                    "5",
                    "sh",
                    "-c",
                    &script,
                ],
            );
            assert!(made.as_ref().is_ok_and(|o| o.status.success()), "{made:?}");
        }
        let ask = |target: &str| {
            let (reply, answer) = mpsc::channel();
            let ask = Ask {
                env: env.clone(),
                target: target.to_string(),
                reply,
            };
            (ask, answer)
        };
        let seed = |answer: &Receiver<Seed>| {
            answer
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|e| Err(e.to_string()))
        };
        // Wait until both printed (a seed taken before shows an empty screen).
        for (target, text) in [("=a:", "alpha-screen"), ("=b:", "beta-screen")] {
            let start = Instant::now();
            while !one(&env, target).is_ok_and(|o| String::from_utf8_lossy(&o).contains(text)) {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "{target} never printed"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let (a, a_seed) = ask("=a:");
        let (b, b_seed) = ask("=b:");
        run(vec![a, b]);
        let (a_out, b_out) = (seed(&a_seed), seed(&b_seed));
        let text = |s: &Seed| match s {
            Ok(out) => String::from_utf8_lossy(out).into_owned(),
            Err(e) => format!("(no seed: {e})"),
        };
        assert!(
            text(&a_out).contains("alpha-screen") && !text(&a_out).contains("beta"),
            "{a_out:?}"
        );
        assert!(
            text(&b_out).contains("beta-screen") && !text(&b_out).contains("alpha"),
            "{b_out:?}"
        );
        // Each part is what a lane's own seed command prints: its description line first.
        for out in [&a_out, &b_out] {
            assert!(text(out).starts_with('%'), "{out:?}");
        }
        // A lane gone meanwhile fails the command list: the others are seeded alone.
        let (a, a_seed) = ask("=a:");
        let (gone, gone_seed) = ask("=gone:");
        run(vec![a, gone]);
        assert!(text(&seed(&a_seed)).contains("alpha-screen"));
        assert!(seed(&gone_seed).is_err());
    }

    #[test]
    fn a_client_keeps_the_window_with_room_for_the_status_lines() {
        assert_eq!(client_size("%0 1 2 0 100 30 100 30 on"), Some((31, 100)));
        assert_eq!(client_size("%0 1 2 0 100 30 100 30 off"), Some((30, 100)));
        assert_eq!(client_size("%0 1 2 0 50 30 100 30 2"), Some((32, 100)));
        assert_eq!(client_size("%0 1 2 0 100 30"), None);
        assert_eq!(client_size("%0 1 2 0 100 30 100 65535 on"), None);
        // tmux's answer to the window's format alone, as the lane in front asks it.
        assert_eq!(window_client_size("100 30 on\n"), Some((31, 100)));
        assert_eq!(window_client_size("100 30"), None);
        assert_eq!(window_client_size("can't find pane"), None);
    }

    #[test]
    fn a_batch_splits_at_its_markers_and_nowhere_else() {
        let m = "helios-seed-X";
        let out = b"helios-seed-X 0\n%1 0 0 0 80 24\nhelios-seed-X 1 is text\nrow\nhelios-seed-X 1\n%2 1 1 0 80 24\n";
        assert_eq!(
            split(out, m, 2),
            Some(vec![
                b"%1 0 0 0 80 24\nhelios-seed-X 1 is text\nrow\n".to_vec(),
                b"%2 1 1 0 80 24\n".to_vec()
            ])
        );
        // A marker not at a line's start, or missing, is no split.
        assert!(split(b"xhelios-seed-X 0\n", m, 1).is_none());
        assert!(split(b"helios-seed-X 0\nrow\n", m, 2).is_none());
        // Markers out of order are no split.
        assert!(split(b"helios-seed-X 1\nhelios-seed-X 0\n", m, 2).is_none());
    }
}
