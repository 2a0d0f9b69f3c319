//! Finding the git repository helios works in.

use std::path::Path;

use crate::model::RepoInfo;

/// Resolve the repository containing `dir` with `git rev-parse --show-toplevel`.
pub fn find(dir: &Path) -> Result<RepoInfo, String> {
    let out = crate::config::secrets::command("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .map_err(|e| format!("cannot run git: {e}; install git"))?;
    if !out.status.success() {
        return Err(format!(
            "{} is not inside a git repository: run helios in a repo or pass --repo PATH",
            dir.display()
        ));
    }
    let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let path = std::path::PathBuf::from(&top);
    let name = path
        .file_name()
        .map_or_else(|| "repo".to_string(), |n| n.to_string_lossy().into_owned());
    Ok(RepoInfo { path, name })
}
