//! What every command and every integration task gets: the flags, the repo (when there is
//! one) and the merged config.

use crate::config::flags::GlobalArgs;
use crate::config::{Config, ConfigError};
use crate::model::RepoInfo;

/// The flags, the repo and the merged config.
#[derive(Debug, Clone)]
pub struct Context {
    /// Global flags.
    pub global: GlobalArgs,
    /// The repository, when helios runs in one.
    pub repo: Result<RepoInfo, String>,
    /// The merged config.
    pub config: Config,
    /// Lines to show the user about the config (repo files ignored as untrusted).
    pub notices: Vec<String>,
    /// The repo config files ignored as untrusted, each with why.
    pub ignored: Vec<(std::path::PathBuf, String)>,
}

impl Context {
    /// Load the config layers for `repo` (found by the caller: finding it runs git).
    pub fn load(global: GlobalArgs, repo: Result<RepoInfo, String>) -> Result<Self, ConfigError> {
        let loaded = crate::config::load(&global, repo.as_ref().ok().map(|r| r.path.as_path()))?;
        Ok(Self {
            global,
            repo,
            config: loaded.config,
            notices: loaded.notices,
            ignored: loaded.ignored,
        })
    }

    /// The repo, or the error saying why there is none.
    pub fn repo(&self) -> anyhow::Result<&RepoInfo> {
        self.repo.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
    }
}
