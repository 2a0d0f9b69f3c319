//! Zellij layouts: helios templates (`layouts/*.kdl`, overridable in
//! `$XDG_CONFIG_HOME/helios/layouts/templates/`) rendered into zellij KDL v1 and checked with
//! zellij's own parser (zellij-utils 0.45.1 `Layout::from_kdl`) before anything is written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::model::{LaneInfo, LaneSource};

/// The templates shipped with helios, embedded at build time.
pub const SHIPPED: &[(&str, &str)] = &[
    ("grid", include_str!("../../../layouts/grid.kdl")),
    ("triage", include_str!("../../../layouts/triage.kdl")),
    ("focus", include_str!("../../../layouts/focus.kdl")),
];

/// What a layout is rendered from.
#[derive(Debug, Clone)]
pub struct LayoutInput<'a> {
    /// The repository's short name.
    pub repo: &'a str,
    /// The repository's directory (cwd of the helios pane and of the "no lanes" pane).
    pub repo_path: &'a Path,
    /// Every lane, in display order.
    pub lanes: &'a [LaneInfo],
    /// Labels of the lanes needing attention.
    pub attention: &'a [String],
    /// The selected lane, for `{{focus}}`.
    pub selected: Option<&'a str>,
    /// The argv of the helios pane (`helios --repo R --compact`).
    pub helios: &'a [String],
}

/// A template loaded from the shipped set or the user's directory.
#[derive(Debug, Clone)]
pub struct Template {
    /// Shown in errors: the file path, or `layouts/NAME.kdl (built in)`.
    pub origin: String,
    /// The template text.
    pub text: String,
}

/// Why a layout could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// No template of that name.
    #[error(
        "no layout template {}: not built in (grid, triage, focus) and not in {dir}; pass one of those or a path to a .kdl file",
        crate::text::quote(.name)
    )]
    UnknownTemplate {
        /// The name asked for.
        name: String,
        /// The user template directory searched.
        dir: String,
    },
    /// The template file could not be read, or is not one helios reads (a device, a FIFO, a
    /// file over 1 MiB): the message names the file.
    #[error("layout template {0}")]
    Read(crate::config::ConfigError),
    /// A `{{...}}` the renderer does not know.
    #[error(
        "{origin}:{line}:{col}: unknown placeholder {{{{{name}}}}}; known: repo, lanes, attention, quiet, focus, others, helios"
    )]
    Placeholder {
        /// The template.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// The placeholder's name.
        name: String,
    },
    /// zellij's parser rejected the rendered layout.
    #[error("{origin}:{line}:{col}: zellij rejects this layout: {message}{context}")]
    Zellij {
        /// The template.
        origin: String,
        /// 1-based template line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// zellij's message.
        message: String,
        /// Extra context (which placeholder expansion the error is in).
        context: String,
    },
}

/// The user template directory: `$XDG_CONFIG_HOME/helios/layouts/templates`.
pub fn user_template_dir() -> PathBuf {
    crate::config::paths::config_dir().join("layouts/templates")
}

/// Find a template: a path (contains `/` or ends in `.kdl`), else a user file
/// `templates/NAME.kdl`, else a shipped one.
pub fn load_template(name: &str) -> Result<Template, LayoutError> {
    let read = |path: &Path| {
        crate::config::read::read_config_file(path)
            .map(|text| Template {
                origin: path.display().to_string(),
                text,
            })
            .map_err(LayoutError::Read)
    };
    let is_path = name.contains('/')
        || Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("kdl"));
    if is_path {
        return read(Path::new(name));
    }
    let user = user_template_dir().join(format!("{name}.kdl"));
    if user.is_file() {
        return read(&user);
    }
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| Template {
            origin: format!("layouts/{n}.kdl (built in)"),
            text: (*text).to_string(),
        })
        .ok_or_else(|| LayoutError::UnknownTemplate {
            name: name.to_string(),
            dir: user_template_dir().display().to_string(),
        })
}

/// A KDL v1 string literal that zellij reads back as exactly `s`: it decodes the `\u{..}`
/// escapes written here into the characters they stand for. Right for data (a pane's command,
/// its args, its cwd); a name zellij shows goes through [`pane_title`] first.
pub fn kdl_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Bidi controls too: the file is read by people as well as by zellij.
            c if crate::text::is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What zellij is given to show for `name` (a pane or tab title, from a lane label or the repo's
/// directory name): zellij draws titles straight into the user's terminal, so an escape in a
/// label would reach it (an OSC 52 set the outer clipboard). Control, C1 and bidi characters
/// become visible text (`\x1b`, `\u{202e}`), and joiners go, since zellij's frame is a cell grid.
pub fn pane_title(name: &str) -> String {
    crate::text::display(name).into_owned()
}

/// The argv a lane's pane runs: `tmux attach -t =SESSION` for par lanes, none (the default
/// shell) for plain worktree lanes. A par lane whose session is gone gets a shell in its
/// worktree that first says so (not a pane that prints tmux's "can't find session").
pub fn lane_command(lane: &LaneInfo) -> Option<Vec<String>> {
    match &lane.source {
        LaneSource::Par { session } if !lane.session_alive => Some(vec![
            "sh".into(),
            "-c".into(),
            // The names are arguments, never part of the script.
            r#"printf 'lane %s: its tmux session %s is gone (par open %s makes it again)\n' "$1" "$2" "$1"; exec "${SHELL:-/bin/sh}""#.into(),
            "helios-lane".into(),
            crate::text::escape(lane.id.as_str()).into_owned(),
            crate::text::escape(session).into_owned(),
        ]),
        LaneSource::Par { session } => Some(vec![
            "tmux".into(),
            "attach".into(),
            "-t".into(),
            crate::model::lane::tmux_target(session),
        ]),
        LaneSource::Remote {
            ssh,
            session: Some(session),
            socket,
            ..
        } => Some(crate::model::fleet::attach_argv(
            &crate::config::LanesConfig::default().ssh,
            ssh,
            session,
            socket.as_deref(),
            false,
        )),
        // A plain worktree here, or there: the pane's default shell.
        LaneSource::Worktree | LaneSource::Remote { .. } => None,
    }
}

fn command_pane(name: &str, cwd: &Path, argv: Option<&[String]>, props: &str) -> String {
    let mut node = format!(
        "pane name={} cwd={}",
        kdl_str(&pane_title(name)),
        kdl_str(&cwd.display().to_string())
    );
    if !props.is_empty() {
        node.push(' ');
        node.push_str(props);
    }
    match argv {
        Some([program, rest @ ..]) => {
            let _ = write!(node, " command={}", kdl_str(program));
            if rest.is_empty() {
                node.push('\n');
            } else {
                let quoted: Vec<String> = rest.iter().map(|a| kdl_str(a)).collect();
                let _ = writeln!(node, " {{\n    args {}\n}}", quoted.join(" "));
            }
        }
        _ => node.push('\n'),
    }
    node
}

fn lane_pane(lane: &LaneInfo, props: &str) -> String {
    command_pane(
        lane.id.as_str(),
        &lane.worktree,
        lane_command(lane).as_deref(),
        props,
    )
}

fn indent(text: &str, by: &str) -> String {
    text.lines().fold(String::new(), |mut acc, l| {
        let _ = writeln!(acc, "{by}{l}");
        acc
    })
}

/// Lanes tiled in rows of about sqrt(n) columns, inside one container pane.
fn grid(lanes: &[&LaneInfo], props: &str) -> String {
    let cols = (1..=lanes.len())
        .find(|c| c * c >= lanes.len())
        .unwrap_or(1);
    let mut rows = String::new();
    for row in lanes.chunks(cols) {
        let panes: String = row.iter().map(|l| lane_pane(l, "")).collect();
        let _ = write!(
            rows,
            "pane split_direction=\"vertical\" {{\n{}}}\n",
            indent(&panes, "    ")
        );
    }
    format!(
        "pane split_direction=\"horizontal\"{}{props} {{\n{}}}\n",
        if props.is_empty() { "" } else { " " },
        indent(&rows, "    ")
    )
}

fn stacked(lanes: &[&LaneInfo], props: &str) -> String {
    let panes: String = lanes.iter().map(|l| lane_pane(l, "")).collect();
    format!(
        "pane stacked=true{}{props} {{\n{}}}\n",
        if props.is_empty() { "" } else { " " },
        indent(&panes, "    ")
    )
}

impl LayoutInput<'_> {
    fn no_lanes(&self, props: &str) -> String {
        command_pane("no lanes yet", self.repo_path, None, props)
    }

    fn needs_attention(&self, lane: &LaneInfo) -> bool {
        self.attention.iter().any(|a| a == lane.id.as_str())
    }

    fn focus_lane(&self) -> Option<&LaneInfo> {
        self.selected
            .and_then(|s| self.lanes.iter().find(|l| l.id.as_str() == s))
            .or_else(|| self.lanes.iter().find(|l| self.needs_attention(l)))
            .or_else(|| self.lanes.first())
    }

    /// The text a block placeholder becomes, or `None` when the name is unknown.
    fn expand(&self, name: &str, props: &str) -> Option<String> {
        let all: Vec<&LaneInfo> = self.lanes.iter().collect();
        let (hot, cold): (Vec<&LaneInfo>, Vec<&LaneInfo>) =
            all.iter().partition(|l| self.needs_attention(l));
        let some = |v: &[&LaneInfo], f: fn(&[&LaneInfo], &str) -> String| {
            if v.is_empty() {
                String::new()
            } else {
                f(v, props)
            }
        };
        Some(match name {
            "lanes" | "quiet" if all.is_empty() => self.no_lanes(props),
            "lanes" => grid(&all, props),
            "attention" => some(&hot, grid),
            "quiet" => some(&cold, stacked),
            "focus" => match self.focus_lane() {
                Some(l) => lane_pane(l, props),
                None => self.no_lanes(props),
            },
            "others" => {
                let focus = self.focus_lane().map(|l| l.id.clone());
                let rest: Vec<&LaneInfo> = all
                    .iter()
                    .copied()
                    .filter(|l| Some(&l.id) != focus.as_ref())
                    .collect();
                some(&rest, stacked)
            }
            "helios" => command_pane("helios", self.repo_path, Some(self.helios), props),
            _ => return None,
        })
    }
}

/// Where each rendered line came from: its template line and, for expansions, the placeholder.
#[derive(Debug, Clone)]
struct Origin {
    line: usize,
    placeholder: Option<String>,
}

/// A rendered layout that zellij's parser accepted.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The zellij KDL.
    pub text: String,
}

/// Render `template` for `input` and check it with zellij's parser. `file_name` is what zellij
/// is told the layout is called (used for its relative paths and messages).
pub fn render(
    template: &Template,
    input: &LayoutInput<'_>,
    file_name: &str,
) -> Result<Rendered, LayoutError> {
    let mut text = format!(
        "// Written by helios from {} for {}; edit the template, not this file.\n",
        // A newline in a repo name would end the comment and start a KDL node.
        crate::text::escape(&template.origin),
        crate::text::escape(input.repo)
    );
    let mut origins = vec![Origin {
        line: 0,
        placeholder: None,
    }];
    for (i, line) in template.text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("//") {
            // Comments pass through untouched: they document the placeholders.
            text.push_str(line);
            text.push('\n');
            origins.push(Origin {
                line: i + 1,
                placeholder: None,
            });
            continue;
        }
        let block = trimmed
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
            .filter(|inner| !inner.contains("{{") && !inner.trim_start().starts_with("repo"));
        if let Some(inner) = block {
            let inner = inner.trim();
            let (name, props) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
            let col = line.find("{{").unwrap_or(0) + 1;
            let expanded =
                input
                    .expand(name, props.trim())
                    .ok_or_else(|| LayoutError::Placeholder {
                        origin: template.origin.clone(),
                        line: i + 1,
                        col,
                        name: name.to_string(),
                    })?;
            let pad = &line[..line.len() - line.trim_start().len()];
            for l in expanded.lines() {
                let _ = writeln!(text, "{pad}{l}");
                origins.push(Origin {
                    line: i + 1,
                    placeholder: Some(name.to_string()),
                });
            }
            continue;
        }
        let mut out = String::new();
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            if name != "repo" {
                return Err(LayoutError::Placeholder {
                    origin: template.origin.clone(),
                    line: i + 1,
                    col: line.len() - rest.len() + start + 1,
                    name: name.to_string(),
                });
            }
            // Templates put the repo's name in tab names, which zellij shows.
            let quoted = kdl_str(&pane_title(input.repo));
            out.push_str(&quoted[1..quoted.len() - 1]);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        text.push_str(&out);
        text.push('\n');
        origins.push(Origin {
            line: i + 1,
            placeholder: None,
        });
    }
    check(&text, file_name).map_err(|(message, line, col)| {
        let origin = origins
            .get(line.saturating_sub(1))
            .cloned()
            .unwrap_or(Origin {
                line,
                placeholder: None,
            });
        let context = match origin.placeholder {
            Some(p) => {
                format!(" (in what {{{{{p}}}}} became: rendered line {line}, column {col})")
            }
            None => String::new(),
        };
        LayoutError::Zellij {
            origin: template.origin.clone(),
            line: origin.line,
            col,
            message,
            context,
        }
    })?;
    Ok(Rendered { text })
}

/// Parse `text` with zellij's own layout parser. On error: zellij's message and the 1-based
/// line and column of its offset.
pub fn check(text: &str, file_name: &str) -> Result<(), (String, usize, usize)> {
    use zellij_utils::input::config::ConfigError;
    match zellij_utils::input::layout::Layout::from_kdl(
        text,
        Some(file_name.to_string()),
        None,
        None,
    ) {
        Ok(_) => Ok(()),
        Err(ConfigError::KdlError(e)) => {
            let (line, col) = line_col(text, e.offset.unwrap_or(0));
            let mut msg = e.error_message.replace('\n', " ");
            if let Some(h) = e.help_message {
                let _ = write!(msg, " ({h})");
            }
            Err((msg, line, col))
        }
        Err(ConfigError::KdlDeserializationError(e)) => {
            let (line, col) = line_col(text, e.span.offset());
            Err((e.to_string(), line, col))
        }
        Err(other) => Err((other.to_string(), 1, 1)),
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end or inside a
/// character clamp to the nearest earlier boundary.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
