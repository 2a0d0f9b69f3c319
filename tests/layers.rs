//! The layers of ARCHITECTURE.md hold: a module imports only modules of a lower layer (or
//! itself). Siblings of one layer talk through the types of a lower one, never to each other.
//! Read from the source, so a new upward `use` fails here with the file and line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// Each top-level module of src/ and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    ("text", 0),
    ("model", 1),
    ("agent", 1),
    ("telemetry", 1),
    ("config", 2),
    ("app", 3),
    ("lanes", 4),
    ("store", 4),
    ("pty", 4),
    ("ui", 5),
    ("spine", 5),
    ("terminal", 5),
    ("integrations", 6),
    ("runtime", 7),
    ("cli", 8),
    ("commands", 9),
];

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| {
            panic!("module `{module}` has no layer: add it to LAYERS and ARCHITECTURE.md")
        })
}

/// Every `crate::NAME` in a file, with its line number (comments included: a doc link is a
/// dependency a reader follows too).
fn uses(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let tail = &rest[at + 7..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            }
            rest = tail;
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|e| e == "rs") {
            files.push(p);
        }
    }
}

#[test]
fn every_import_goes_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let from = layer(&module);
        for (line, to) in uses(&std::fs::read_to_string(f).unwrap()) {
            if to == module {
                continue;
            }
            let level = layer(&to);
            if level >= from {
                bad.push(format!(
                    "src/{}:{line}: {module} (layer {from}) imports {to} (layer {level})",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports that do not go down a layer:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let module = name.trim_end_matches(".rs");
        if module != "main" && module != "lib" {
            layer(module);
        }
    }
}
