//! The `M` overlay's rows: the status line's last messages, whole, oldest first, wrapped at the
//! overlay's width. The status line shows one message at a time, cut at the terminal's width;
//! a server's error or a lane command's failure is often longer than that.

use crate::app::AppState;
use crate::app::state::FlashLevel;

/// The overlay's text width on a terminal of `size` (cols, rows): the main area less its
/// borders.
pub fn width(size: (u16, u16)) -> usize {
    usize::from(size.0).saturating_sub(2).max(8)
}

/// Every row of every kept message, oldest first: `HH:MM:SS text`, wrapped, escaped (lanes'
/// names and servers' errors are in the text).
pub fn rows(state: &AppState) -> Vec<(String, FlashLevel)> {
    let fmt = time::macros::format_description!("[hour]:[minute]:[second]");
    let width = width(state.size);
    let mut rows = Vec::new();
    for m in &state.messages {
        let at =
            m.at.and_then(|t| t.format(&fmt).ok())
                .unwrap_or_else(|| "--:--:--".into());
        let text = format!("{at} {}", crate::text::display(&m.text));
        for row in crate::app::help::wrap(&text, width) {
            rows.push((row, m.level));
        }
    }
    rows
}
