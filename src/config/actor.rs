//! Who runs helios, as `user@host`: the actor of every audit event the console and the CLI
//! record. One function, so an event journalled by the console, by `helios wf`, by a share or by
//! `helios trust` names the same person.
//!
//! The user is `$USER` when it is set (a shared login can name its human that way), else the
//! account the process runs as, asked of the OS; the host is the OS's host name. Cron jobs,
//! systemd units and `env -i` start programs without `$USER`: their events still say who.

/// `user@host` of whoever runs helios.
pub fn actor() -> String {
    actor_for(std::env::var("USER").ok())
}

/// [`actor`] with `user` standing for `$USER` (`None`: unset).
pub fn actor_for(user: Option<String>) -> String {
    let user = user
        .filter(|u| !u.trim().is_empty())
        .or_else(|| whoami::username().ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{}", os_host())
}

/// The OS host name (`localhost` when it has none, or none in UTF-8).
fn os_host() -> String {
    gethostname::gethostname()
        .into_string()
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// This machine's name among many (`helios serve --host`, and the rows the console takes as
/// its own): `HELIOS_HOST`, else the OS host name.
pub fn host_name() -> String {
    std::env::var("HELIOS_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(os_host)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_comes_from_the_os_when_user_is_unset() {
        let a = actor_for(None);
        let os = whoami::username().unwrap();
        assert!(a.starts_with(&format!("{os}@")), "{a}");
        assert!(!a.starts_with("unknown@"), "{a}");
        let host = gethostname::gethostname().into_string().unwrap();
        assert!(a.ends_with(&format!("@{host}")), "{a}");
        assert_eq!(actor_for(Some(String::new())), a);
    }

    #[test]
    fn user_wins_when_set() {
        assert!(actor_for(Some("ada".into())).starts_with("ada@"));
    }
}
