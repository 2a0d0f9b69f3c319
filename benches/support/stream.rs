//! A deterministic stream of terminal output like an agent's: coloured log lines, progress bars
//! redrawn with cursor motion, erase-line, a scroll region, and plenty of plain scrolling.
//! Shared by the ingest bench (as one big buffer) and the swarm generator (as an endless source).

/// A tiny linear congruential generator: deterministic and dependency-free.
pub struct Lcg(u64);

impl Lcg {
    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }

    /// The next pseudo-random number.
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "compiling",
    "helios",
    "lane",
    "worktree",
    "running",
    "test",
    "ok",
    "FAILED",
    "warning:",
    "src/pty/mod.rs",
    "fn",
    "let",
    "match",
    "=>",
    "Ok(())",
    "tokio",
    "ratatui",
    "agent",
    "diff",
    "+++",
    "---",
    "@@",
    "cargo",
    "build",
    "finished",
    "in",
    "0.42s",
    "thinking…",
    "tool_call",
    "read_file",
    "édition",
    "résumé",
    "→",
    "✓",
    "✗",
];

/// Append one "chunk" of output (a few lines) to `out`.
pub fn chunk(rng: &mut Lcg, out: &mut Vec<u8>) {
    match rng.below(10) {
        // A progress bar redrawn in place: carriage return, erase line, coloured bar.
        0 => {
            for step in 0..8u64 {
                let pct = (step + 1) * 12;
                out.extend_from_slice(b"\r\x1b[2K\x1b[1;36m[");
                for i in 0..40u64 {
                    out.push(if i * 100 / 40 < pct { b'#' } else { b'.' });
                }
                out.extend_from_slice(format!("]\x1b[0m {pct:>3}%").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
        // A status line painted at the top with save/restore cursor and absolute moves.
        1 => {
            let row = 1 + rng.below(5);
            let col = 1 + rng.below(40);
            out.extend_from_slice(
                format!(
                    "\x1b7\x1b[{row};{col}H\x1b[7m status {} \x1b[0m\x1b8",
                    rng.next() % 1000
                )
                .as_bytes(),
            );
        }
        // A scroll region with reverse index, like a pager or an editor.
        2 => {
            out.extend_from_slice(b"\x1b[3;12r\x1b[12;1H");
            for _ in 0..3 {
                out.extend_from_slice(b"\x1b[32mregion line\x1b[0m\r\n");
            }
            out.extend_from_slice(b"\x1bM\x1b[r\x1b[999;1H");
        }
        // Cursor up and rewrite, as spinners and multi-line progress do.
        3 => {
            out.extend_from_slice(b"\x1b[2A\x1b[K\x1b[33mrewritten\x1b[0m\x1b[2B\r");
        }
        // Coloured log lines: 16, 256 and truecolour, bold and underline.
        _ => {
            let lines = 1 + rng.below(4);
            for _ in 0..lines {
                match rng.below(3) {
                    0 => out.extend_from_slice(format!("\x1b[{}m", 31 + rng.below(7)).as_bytes()),
                    1 => out.extend_from_slice(format!("\x1b[38;5;{}m", rng.below(256)).as_bytes()),
                    _ => out.extend_from_slice(
                        format!(
                            "\x1b[1;38;2;{};{};{}m",
                            rng.below(256),
                            rng.below(256),
                            rng.below(256)
                        )
                        .as_bytes(),
                    ),
                }
                let words = 4 + rng.below(14);
                for w in 0..words {
                    if w == 3 {
                        out.extend_from_slice(b"\x1b[0;4m");
                    }
                    if w == 5 {
                        out.extend_from_slice(b"\x1b[24m");
                    }
                    out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
                    out.push(b' ');
                }
                out.extend_from_slice(b"\x1b[0m\r\n");
            }
        }
    }
}

/// About `len` bytes of output (always whole chunks), the same for the same seed.
pub fn generate(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Lcg::new(seed);
    let mut out = Vec::with_capacity(len + 4096);
    while out.len() < len {
        chunk(&mut rng, &mut out);
    }
    out
}
