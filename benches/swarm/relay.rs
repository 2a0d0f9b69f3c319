//! The floor for a par lane: the least any program between the user's terminal and a tmux
//! client can add. `--relay <program> <args>` runs the program (`tmux attach`) in a PTY of the
//! outer terminal's size and copies bytes both ways, one thread a direction, each blocked in
//! `read`: no parsing, no drawing, one wake-up each way. An echo through it is tmux's whole
//! echo plus that; helios sits in the same place and also parses the client's output and draws.
//! With `HELIOS_ECHO_TRACE` set it writes helios's echo trace steps at the same points helios
//! does (the key read, its write into the client, the echo read, the echo written out), so
//! the bench splits the floor's echoes as it splits helios's: the key's way in and the frame's
//! way out are the PTY hops both pay, measured in the same run.

use std::io::{Read, Write};

use std::time::{Duration, Instant};

use helios::telemetry::echo::{self, Step};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// Run the relay until either side ends; never returns.
pub fn run(args: &[String]) -> ! {
    let code = match relay(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("relay: {e:#}");
            1
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    std::process::exit(code);
}

fn relay(args: &[String]) -> anyhow::Result<()> {
    let (program, rest) = args
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("usage: --relay <program> <args>"))?;
    let (cols, rows) = crossterm::terminal::size()?;
    let pair = native_pty_system().openpty(PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut cmd = CommandBuilder::new(program);
    cmd.args(rest);
    let _child = pair.slave.spawn_command(cmd)?;
    drop(pair.slave);
    crossterm::terminal::enable_raw_mode()?;
    let mut from_lane = pair.master.try_clone_reader()?;
    let mut to_lane = pair.master.take_writer()?;
    // The terminal's close (SIGHUP) ends the relay without a word: what the trace holds is
    // written out often, off the echo's threads, as helios writes its own once a second.
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(50));
            echo::flush();
        }
    });
    std::thread::spawn(move || {
        let mut keys = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = keys.read(&mut buf) {
            let read = Instant::now();
            echo::step(Step::Input, read);
            echo::step(Step::Key, read);
            echo::step(Step::Write, Instant::now());
            if to_lane
                .write_all(&buf[..n])
                .and_then(|()| to_lane.flush())
                .is_err()
            {
                break;
            }
        }
    });
    let mut out = std::io::stdout().lock();
    let mut buf = vec![0u8; 64 << 10];
    // EIO is how Linux says the client's side closed.
    while let Ok(n @ 1..) = from_lane.read(&mut buf) {
        let read = Instant::now();
        echo::step(Step::Read, read);
        out.write_all(&buf[..n])?;
        out.flush()?;
        echo::step(Step::Drawn, read);
    }
    echo::flush();
    Ok(())
}
