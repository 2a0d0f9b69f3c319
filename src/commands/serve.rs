//! `helios serve`: one per machine, in the foreground (a systemd user unit in the README). It
//! publishes this host's lanes to the `HELIOS_LANES` bucket whenever one changes (hook states
//! arrive through the wake socket at once; par's lanes are looked at every `--scan` seconds),
//! beats in `HELIOS_HOSTS`, and carries out other machines' requests on its lanes
//! (`helios.svc.<host>.{new,rm,send}`), journalled with the requester's actor.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;

use crate::cli::ServeArgs;
use crate::commands::{Context, say, warn};
use crate::integrations::fleet::{self, publish, service};
use crate::model::RepoInfo;
use crate::model::fleet::{LaneReply, LaneRow};
use crate::store::sqlite::SqliteStore;

pub mod look;

/// How often serve looks at its lanes' screens when no console runs here (a console's pace).
const LOOK: Duration = Duration::from_secs(1);

/// Run until SIGINT or SIGTERM.
pub fn run(ctx: &Context, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let repos = repos(ctx)?;
    let host = match &args.host {
        Some(h) if h.trim().is_empty() => {
            return Err(super::Usage("--host is empty: give this host a name".into()).into());
        }
        Some(h) => h.clone(),
        None => crate::config::actor::host_name(),
    };
    let ssh = args.ssh.clone().unwrap_or_else(|| host.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(serve(
        ctx,
        args,
        Host {
            name: host,
            ssh,
            repos,
            lanes: std::sync::Mutex::default(),
        },
    ))
}

/// Who this host is and what it serves.
struct Host {
    name: String,
    ssh: String,
    repos: Vec<RepoInfo>,
    /// Every repo's lanes at the last scan (repo name, lane), for the looker.
    lanes: std::sync::Mutex<Vec<(String, crate::model::LaneInfo)>>,
}

/// `--repo` (repeatable), else the current repo.
fn repos(ctx: &Context) -> anyhow::Result<Vec<RepoInfo>> {
    if ctx.global.repos.is_empty() {
        return Ok(vec![ctx.repo()?.clone()]);
    }
    let mut out: Vec<RepoInfo> = Vec::new();
    for p in &ctx.global.repos {
        let r = crate::lanes::repo::find(p, true)
            .map_err(|e| anyhow::anyhow!("{}", crate::commands::repo_error(p, &e)))?;
        if let Some(same) = out.iter().find(|o| o.name == r.name && o.path != r.path) {
            anyhow::bail!(
                "--repo {} and {} have the same name {}: rows are keyed by host, repo name and label, so serve them from different hosts",
                same.path.display(),
                r.path.display(),
                crate::text::quote(&r.name)
            );
        }
        if !out.iter().any(|o| o.path == r.path) {
            out.push(r);
        }
    }
    Ok(out)
}

async fn serve(ctx: &Context, args: &ServeArgs, host: Host) -> anyhow::Result<ExitCode> {
    let cfg = &ctx.config.nats;
    let url = crate::config::secrets::redact_url(&cfg.url);
    let client = crate::spine::nats::connect(cfg).await?;
    let replicas = usize::try_from(args.replicas).unwrap_or(1);
    let buckets = fleet::open_or_create(&client, &url, replicas).await?;
    let mut publisher = publish::Publisher::new(buckets, &url, &host.name).await?;
    let (_service, mut requests) = service::serve(&client, &host.name)
        .await
        .map_err(|e| anyhow::anyhow!("NATS at {url}: {e}"))?;
    let wake = wake_socket();
    let store = Arc::new(std::sync::Mutex::new(SqliteStore::open(
        &SqliteStore::default_path(),
    )?));
    let host = Arc::new(host);
    say(format_args!(
        "helios serve: host {} publishing {} repo(s) ({}) to NATS at {url}; heartbeat every {} s",
        host.name,
        host.repos.len(),
        host.repos
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.heartbeat
    ));
    // The heartbeat and the requests each run on their own: a scan of many lanes, or a
    // `par start` asked from another machine, never delays a heartbeat (the host would show
    // stale) nor the other.
    let beater = publish::Beater::new(&publisher, host.repos.iter().map(|r| r.name.clone()));
    let beats = tokio::spawn(beater.clone().run(Duration::from_secs(args.heartbeat)));
    let (acted_tx, mut acted) = tokio::sync::mpsc::unbounded_channel::<()>();
    let answering = {
        let host = Arc::clone(&host);
        tokio::spawn(async move {
            // One at a time: par and git on one repo are not made to race each other.
            while let Some(req) = requests.next().await {
                answer(req, &host).await;
                if acted_tx.send(()).is_err() {
                    return;
                }
            }
        })
    };
    let (looked_tx, mut looked) = tokio::sync::mpsc::unbounded_channel::<()>();
    let looking = {
        let host = Arc::clone(&host);
        let looker = look::Looker::new(
            crate::commands::console::load_patterns().0,
            crate::config::actor::actor(),
        );
        tokio::task::spawn_blocking(move || look_loop(looker, &host, &looked_tx))
    };
    let mut scan = tokio::time::interval(Duration::from_secs(args.scan));
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut buf = vec![0u8; crate::store::wake::DATAGRAM_MAX];
    loop {
        tokio::select! {
            _ = scan.tick() => {}
            Ok(_) = recv(wake.as_ref(), &mut buf) => {
                // Hooks that woke us while the last sync ran are one sync.
                while let Some(w) = wake.as_ref() {
                    if w.try_recv(&mut buf).is_err() {
                        break;
                    }
                }
            }
            // A request was carried out, or a look changed a state: published now.
            Some(()) = acted.recv() => {}
            Some(()) = looked.recv() => {}
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
        sync(&mut publisher, &host, &store).await;
        beater.set_lanes(publisher.len());
    }
    answering.abort();
    beats.abort();
    // The looker ends at its next look, once it sees the channel closed.
    drop(looked);
    drop(looking);
    // Rows stay: other consoles show this host stopped, with the age of its data.
    beater.beat(true).await;
    say(format_args!("helios serve: host {} stopped", host.name));
    Ok(ExitCode::SUCCESS)
}

/// The wake socket hooks reach, so a state they record is published at once. Without one,
/// states arrive with the next scan (said in the log).
fn wake_socket() -> Option<tokio::net::UnixDatagram> {
    let bound = crate::store::wake::WakeSocket::bind(&crate::store::wake::dir()).and_then(|w| {
        w.socket.set_nonblocking(true)?;
        let sock = w.socket.try_clone()?;
        // The socket file must live as long as serve: leak the guard's path removal to
        // process exit, where the next writer sweeps it (connection refused).
        std::mem::forget(w);
        tokio::net::UnixDatagram::from_std(sock)
    });
    match bound {
        Ok(s) => Some(s),
        Err(e) => {
            warn(format_args!(
                "helios serve: no wake socket ({e}); hook states are published at the next scan"
            ));
            None
        }
    }
}

async fn recv(sock: Option<&tokio::net::UnixDatagram>, buf: &mut [u8]) -> std::io::Result<usize> {
    match sock {
        Some(s) => s.recv(buf).await,
        None => std::future::pending().await,
    }
}

/// Look at every repo's lanes and states, and publish what changed.
async fn sync(
    publisher: &mut publish::Publisher,
    host: &Arc<Host>,
    store: &Arc<std::sync::Mutex<SqliteStore>>,
) {
    let (h, s) = (Arc::clone(host), Arc::clone(store));
    let rows = tokio::task::spawn_blocking(move || rows(&h, &s)).await;
    let rows = match rows {
        Ok(Some(r)) => r,
        // A repo that could not be read keeps its rows as they were.
        Ok(None) => return,
        Err(e) => {
            tracing::error!("the lane scan failed: {e}");
            return;
        }
    };
    let done = publisher.sync(rows, &fleet::now_text()).await;
    if done.put + done.deleted + done.failed > 0 {
        tracing::info!(
            "published {} rows, deleted {}, {} failed",
            done.put,
            done.deleted,
            done.failed
        );
    }
}

/// Look at the lanes every [`LOOK`], on a thread of its own (tmux and the journal are
/// blocking), until serve stops; a changed state asks for a sync.
fn look_loop(
    mut looker: look::Looker,
    host: &Host,
    changed: &tokio::sync::mpsc::UnboundedSender<()>,
) {
    let store = match SqliteStore::open(&SqliteStore::default_path()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("serve cannot decide lane states: the journal does not open ({e})");
            return;
        }
    };
    loop {
        let lanes = match host.lanes.lock() {
            Ok(l) => l.clone(),
            Err(e) => {
                tracing::error!(
                    "the lane list's lock is poisoned ({e}); serve stops deciding states"
                );
                return;
            }
        };
        if looker.look(&lanes, &store) > 0 && changed.send(()).is_err() {
            return;
        }
        if changed.is_closed() {
            return;
        }
        std::thread::sleep(LOOK);
    }
}

/// Every repo's rows; `None` when a repo's lanes could not be read (its rows stay as they are
/// rather than be deleted on a passing error).
fn rows(host: &Host, store: &std::sync::Mutex<SqliteStore>) -> Option<Vec<LaneRow>> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for repo in &host.repos {
        let lanes = match crate::lanes::discover(&repo.path) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("reading the lanes of {}: {e}", repo.path.display());
                return None;
            }
        };
        let states = if let Ok(s) = store.lock() {
            crate::store::lane_state::states_of(&s, &lanes)
        } else {
            tracing::error!("the journal's lock is poisoned; states left out");
            vec![None; lanes.len()]
        };
        seen.extend(lanes.iter().map(|l| (repo.name.clone(), l.clone())));
        for (lane, state) in lanes.iter().zip(&states) {
            out.push(publish::row(
                &host.name,
                &host.ssh,
                &repo.name,
                lane,
                state.as_ref(),
            ));
        }
    }
    match host.lanes.lock() {
        Ok(mut l) => *l = seen,
        Err(e) => {
            tracing::error!(
                "the lane list's lock is poisoned ({e}); the looker keeps the old list"
            );
        }
    }
    Some(out)
}

/// Carry out one request on a blocking thread (par and git run there) and answer it.
async fn answer(req: service::Incoming, host: &Arc<Host>) {
    let reply = match &req.request {
        Err(e) => LaneReply {
            ok: false,
            message: e.clone(),
            host: host.name.clone(),
        },
        Ok(r) => {
            let (h, r) = (Arc::clone(host), r.clone());
            tokio::task::spawn_blocking(move || act(&h, &r))
                .await
                .unwrap_or_else(|e| LaneReply {
                    ok: false,
                    message: format!("the request failed on {}: {e}", host.name),
                    host: host.name.clone(),
                })
        }
    };
    // A failure's message can quote what was asked (par's command line holds the text sent):
    // a 900 KB text would fill the log and come back whole to the asker.
    let reply = LaneReply {
        message: clip(&reply.message),
        ..reply
    };
    tracing::info!("request answered: ok {} {}", reply.ok, reply.message);
    req.answer(&reply).await;
}

/// How many characters of the start and of the end of an answer's message serve logs and
/// sends back: the end is kept too, as it says why (`cannot run par: Argument list too long`).
const MESSAGE_HEAD: usize = 200;
const MESSAGE_TAIL: usize = 100;

/// `message`, or its first [`MESSAGE_HEAD`] and last [`MESSAGE_TAIL`] characters with its size
/// between them.
fn clip(message: &str) -> String {
    crate::text::clip(message, MESSAGE_HEAD, MESSAGE_TAIL)
}

fn act(host: &Host, req: &crate::model::fleet::LaneRequest) -> LaneReply {
    let Some(repo) = host.repos.iter().find(|r| r.name == req.repo) else {
        return LaneReply {
            ok: false,
            message: format!(
                "host {} serves no repo named {} (it serves {})",
                host.name,
                crate::text::quote(&req.repo),
                host.repos
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            host: host.name.clone(),
        };
    };
    // Each request journals through its own connection, as a CLI command would; `act_for`
    // checks its label (and journals a refusal).
    match SqliteStore::open(&SqliteStore::default_path()) {
        Ok(store) => crate::commands::lane::act_for(store, repo, &host.name, req),
        Err(e) => LaneReply {
            ok: false,
            message: format!(
                "not done on {}: its audit journal cannot be opened ({e})",
                host.name
            ),
            host: host.name.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_clipped_with_their_size_and_their_end() {
        assert_eq!(clip("lane x sent"), "lane x sent");
        let fits = "é".repeat(MESSAGE_HEAD + MESSAGE_TAIL);
        assert_eq!(clip(&fits), fits);
        let long = format!("par send x {}: cannot run par", "é".repeat(450_000));
        let c = clip(&long);
        assert!(c.starts_with("par send x éé"), "{c}");
        assert!(c.contains("é… (900027 bytes) …é"), "{c}");
        assert!(c.ends_with("éé: cannot run par"), "{c}");
        assert_eq!(
            c.chars().count(),
            MESSAGE_HEAD + MESSAGE_TAIL + " (900027 bytes) ".len() + 2
        );
    }
}
