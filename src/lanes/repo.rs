//! Finding the git repository helios works in.

use std::path::Path;

use crate::model::RepoInfo;

/// Resolve the repository containing `dir`: its main checkout, also from inside one of its
/// linked worktrees (a lane), so helios in a lane shows the repo's lanes, not the lane alone.
/// `given`: `dir` was passed as `--repo` (the advice on failure differs).
pub fn find(dir: &Path, given: bool) -> Result<RepoInfo, String> {
    let advice = if given {
        "pass --repo a git repository's directory"
    } else {
        "run helios in a repo or pass --repo PATH"
    };
    // git's own answer for these is "not a git repository", which sends the user looking in
    // the wrong place.
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{} does not exist: {advice}", dir.display()));
        }
        Ok(m) if !m.is_dir() => {
            return Err(format!("{} is not a directory: {advice}", dir.display()));
        }
        _ => {}
    }
    let out = crate::config::secrets::command("git")
        .arg("-C")
        .arg(dir)
        .args([
            "rev-parse",
            "--path-format=absolute",
            "--git-common-dir",
            "--show-toplevel",
        ])
        .output()
        .map_err(|e| format!("cannot run git: {e}; install git"))?;
    if !out.status.success() {
        // git says "must be run in a work tree" for a bare repository, which has no lanes.
        if bare(dir) {
            return Err(format!(
                "{} is a bare git repository, with no work tree for lanes: pass --repo a clone of it",
                dir.display()
            ));
        }
        return Err(format!(
            "{} is not inside a git repository: {advice}",
            dir.display()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let common = lines.next().unwrap_or_default().trim();
    let top = lines.next().unwrap_or_default().trim();
    // `<main>/.git` for a checkout and each of its worktrees; anything else (a bare or
    // unusual layout) keeps the worktree's own top level.
    let path = match Path::new(common).file_name() {
        Some(n) if n == ".git" => Path::new(common)
            .parent()
            .map_or_else(|| std::path::PathBuf::from(top), Path::to_path_buf),
        _ => std::path::PathBuf::from(top),
    };
    let name = path
        .file_name()
        .map_or_else(|| "repo".to_string(), |n| n.to_string_lossy().into_owned());
    Ok(RepoInfo { path, name })
}

/// Whether `dir` is (inside) a bare repository.
fn bare(dir: &Path) -> bool {
    crate::config::secrets::command("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--is-bare-repository"])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_path_that_is_no_repo_says_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(find(&missing, true).unwrap_err().contains("does not exist"));
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(
            find(&file, true)
                .unwrap_err()
                .contains("is not a directory")
        );
        let err = find(dir.path(), false).unwrap_err();
        assert!(err.contains("is not inside a git repository"), "{err}");
        // From the current directory the advice is to go to a repo; a --repo given is wrong.
        assert!(
            err.ends_with("run helios in a repo or pass --repo PATH"),
            "{err}"
        );
        let err = find(dir.path(), true).unwrap_err();
        assert!(
            err.ends_with("pass --repo a git repository's directory"),
            "{err}"
        );
        let bare = dir.path().join("b.git");
        let made = crate::config::secrets::command("git")
            .args(["init", "-q", "--bare"])
            .arg(&bare)
            .status()
            .unwrap();
        assert!(made.success());
        let err = find(&bare, true).unwrap_err();
        assert!(err.contains("is a bare git repository"), "{err}");
    }
}
