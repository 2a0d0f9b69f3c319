//! Themes: named styles for every part of the screen, loaded from `themes/*.toml`.
//!
//! A theme file has one entry per style, like `title = { fg = "cyan", modifiers = ["bold"] }`.
//! Colours are names (`red`, `lightblue`, `darkgray`, `reset`), `#rrggbb`, or 0–255 indexes.
//! Styles a file leaves out come from the theme it `extends`, else from the 16-colour theme.

use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::config::errors::Source;
use crate::config::{ConfigError, named};

/// The themes shipped in the binary, by name.
pub const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
];

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
    /// Keys in hints and the help overlay.
    pub key: Style,
}

impl Default for Theme {
    /// The 16-colour theme (`themes/ansi16.toml` says the same; a test keeps them equal).
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
            key: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        }
    }
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// The 16 ANSI colours.
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

/// What the environment says about colour: `NO_COLOR`, `COLORTERM` and `TERM`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermEnv {
    /// `NO_COLOR` is set to something non-empty.
    pub no_color: bool,
    /// `$COLORTERM`.
    pub colorterm: Option<String>,
    /// `$TERM`.
    pub term: Option<String>,
}

impl TermEnv {
    /// Read the process environment.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            no_color: var("NO_COLOR").is_some(),
            colorterm: var("COLORTERM"),
            term: var("TERM"),
        }
    }

    /// The colour depth these values imply.
    pub fn depth(&self) -> ColorDepth {
        color_depth(self.colorterm.as_deref(), self.term.as_deref())
    }
}

/// Guess the colour depth: `COLORTERM=truecolor|24bit` is 24-bit; a `TERM` naming 256 colours,
/// a direct-colour entry, or a modern emulator family is 256; anything else (`linux`, `vt100`,
/// `xterm`, `screen`, unset) gets the 16-colour theme.
pub fn color_depth(colorterm: Option<&str>, term: Option<&str>) -> ColorDepth {
    let ct = colorterm.unwrap_or("").to_ascii_lowercase();
    if ct == "truecolor" || ct == "24bit" {
        return ColorDepth::TrueColor;
    }
    let term = term.unwrap_or("").to_ascii_lowercase();
    if term.contains("256") || term.contains("direct") || term.contains("truecolor") {
        return ColorDepth::Ansi256;
    }
    let modern = [
        "kitty",
        "alacritty",
        "wezterm",
        "foot",
        "ghostty",
        "tmux",
        "iterm",
    ];
    if modern.iter().any(|m| term.starts_with(m)) {
        return ColorDepth::Ansi256;
    }
    ColorDepth::Ansi16
}

/// The theme name actually used for a configured one: `default` becomes `ansi16` on terminals
/// with fewer than 256 colours; any other choice is the user's and is kept.
pub fn resolved_name(spec: &str, env: &TermEnv) -> String {
    if spec == "default" && env.depth() == ColorDepth::Ansi16 {
        "ansi16".into()
    } else {
        spec.into()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    extends: Option<Spanned<String>>,
    text: Option<StyleSpec>,
    dim: Option<StyleSpec>,
    border: Option<StyleSpec>,
    border_active: Option<StyleSpec>,
    title: Option<StyleSpec>,
    selected: Option<StyleSpec>,
    ok: Option<StyleSpec>,
    warn: Option<StyleSpec>,
    error: Option<StyleSpec>,
    attention: Option<StyleSpec>,
    status: Option<StyleSpec>,
    key: Option<StyleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<Spanned<toml::Value>>,
    bg: Option<Spanned<toml::Value>>,
    #[serde(default)]
    modifiers: Vec<Spanned<String>>,
}

impl Theme {
    /// Load the theme for a configured name or path, picking `ansi16` for `default` on small
    /// terminals and dropping colours (keeping bold, reverse…) under `NO_COLOR`.
    pub fn load(spec: &str, env: &TermEnv) -> Result<Self, ConfigError> {
        let theme = load_depth(&resolved_name(spec, env), 0)?;
        Ok(if env.no_color {
            theme.without_colors()
        } else {
            theme
        })
    }

    /// Parse theme text; `path` is only for messages.
    pub fn parse(path: PathBuf, text: &str) -> Result<Self, ConfigError> {
        parse_depth(path, text, 0)
    }

    /// The same theme with every colour removed; styles that had a background become reversed
    /// so the status line and selection stay visible.
    #[must_use]
    pub fn without_colors(&self) -> Self {
        let strip = |s: Style| {
            let mut out = Style::default()
                .add_modifier(s.add_modifier)
                .remove_modifier(s.sub_modifier);
            if s.bg.is_some_and(|c| c != Color::Reset) {
                out = out.add_modifier(Modifier::REVERSED);
            }
            out
        };
        Self {
            text: strip(self.text),
            dim: strip(self.dim),
            border: strip(self.border),
            border_active: strip(self.border_active).add_modifier(Modifier::BOLD),
            title: strip(self.title),
            selected: strip(self.selected),
            ok: strip(self.ok),
            warn: strip(self.warn),
            error: strip(self.error),
            attention: strip(self.attention),
            status: strip(self.status),
            key: strip(self.key),
        }
    }
}

fn load_depth(spec: &str, depth: usize) -> Result<Theme, ConfigError> {
    if depth > 4 {
        return Err(ConfigError::Other(format!(
            "theme `{spec}`: `extends` goes more than 4 files deep (a loop?); shorten the chain"
        )));
    }
    let file = named::find("themes", spec, SHIPPED)?;
    parse_depth(file.path, &file.text, depth)
}

fn parse_depth(path: PathBuf, text: &str, depth: usize) -> Result<Theme, ConfigError> {
    let src = Source { path: &path, text };
    let file: ThemeFile = toml::from_str(text).map_err(|e| src.toml_error(&e, "Themes"))?;
    let mut t = match &file.extends {
        Some(base) => load_depth(base.get_ref(), depth + 1).map_err(|e| {
            src.error(
                base.span(),
                format!("cannot extend theme `{}`: {e}", base.get_ref()),
            )
        })?,
        None => Theme::default(),
    };
    let slots: [(&Option<StyleSpec>, &mut Style, &str); 12] = [
        (&file.text, &mut t.text, "text"),
        (&file.dim, &mut t.dim, "dim"),
        (&file.border, &mut t.border, "border"),
        (&file.border_active, &mut t.border_active, "border_active"),
        (&file.title, &mut t.title, "title"),
        (&file.selected, &mut t.selected, "selected"),
        (&file.ok, &mut t.ok, "ok"),
        (&file.warn, &mut t.warn, "warn"),
        (&file.error, &mut t.error, "error"),
        (&file.attention, &mut t.attention, "attention"),
        (&file.status, &mut t.status, "status"),
        (&file.key, &mut t.key, "key"),
    ];
    for (spec, slot, name) in slots {
        if let Some(spec) = spec {
            *slot = to_style(&src, name, spec)?;
        }
    }
    Ok(t)
}

fn to_style(src: &Source<'_>, name: &str, spec: &StyleSpec) -> Result<Style, ConfigError> {
    let mut style = Style::default();
    if let Some(fg) = &spec.fg {
        style = style.fg(to_color(src, &format!("{name}.fg"), fg)?);
    }
    if let Some(bg) = &spec.bg {
        style = style.bg(to_color(src, &format!("{name}.bg"), bg)?);
    }
    for m in &spec.modifiers {
        let modifier = parse_modifier(m.get_ref()).ok_or_else(|| {
            src.error(
                m.span(),
                format!(
                    "unknown modifier `{}` in {name}; use bold, dim, italic, underlined, reversed, crossed_out, slow_blink or hidden",
                    m.get_ref()
                ),
            )
        })?;
        style = style.add_modifier(modifier);
    }
    Ok(style)
}

fn to_color(src: &Source<'_>, what: &str, v: &Spanned<toml::Value>) -> Result<Color, ConfigError> {
    let parsed = match v.get_ref() {
        toml::Value::String(s) => parse_color(s),
        toml::Value::Integer(i) => u8::try_from(*i).ok().map(Color::Indexed),
        _ => None,
    };
    parsed.ok_or_else(|| {
        let shown = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        src.error(
            v.span(),
            format!(
                "bad colour `{shown}` for {what}; use a name (red, lightblue, darkgray, reset…), #rrggbb, or an index 0-255"
            ),
        )
    })
}

/// Parse a colour: a name, `#rrggbb`, or a 0–255 index written as a string.
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let n = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8));
    }
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    let norm: String = s
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .collect::<String>()
        .to_ascii_lowercase()
        .replace("grey", "gray")
        .replace("bright", "light");
    Some(match norm.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" => Color::Gray,
        "darkgray" | "lightblack" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" | "lightwhite" => Color::White,
        _ => return None,
    })
}

fn parse_modifier(s: &str) -> Option<Modifier> {
    Some(match s.to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" | "strikethrough" => Modifier::CROSSED_OUT,
        "slow_blink" | "blink" => Modifier::SLOW_BLINK,
        "rapid_blink" => Modifier::RAPID_BLINK,
        "hidden" => Modifier::HIDDEN,
        _ => return None,
    })
}
