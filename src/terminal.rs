//! Raw mode and alternate screen guard, with a panic hook and signal handling that restore the terminal.
