//! Themes: named styles for every part of the screen, loaded from `themes/*.toml`.

use ratatui::style::{Color, Modifier, Style};

/// Every style the UI uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Plain text.
    pub text: Style,
    /// Secondary text: hints, ages.
    pub dim: Style,
    /// Panel borders.
    pub border: Style,
    /// The border of the focused or selected pane.
    pub border_active: Style,
    /// Panel titles.
    pub title: Style,
    /// The selected row.
    pub selected: Style,
    /// Healthy.
    pub ok: Style,
    /// Worth a look.
    pub warn: Style,
    /// Broken.
    pub error: Style,
    /// A lane needing attention.
    pub attention: Style,
    /// The status line.
    pub status: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            text: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            border: Style::default().fg(Color::DarkGray),
            border_active: Style::default().fg(Color::Cyan),
            title: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            ok: Style::default().fg(Color::Green),
            warn: Style::default().fg(Color::Yellow),
            error: Style::default().fg(Color::Red),
            attention: Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            status: Style::default().fg(Color::Black).bg(Color::Cyan),
        }
    }
}
