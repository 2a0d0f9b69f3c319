//! `helios share start|ls|stop`: hand a lane to someone over tmate or upterm.

use std::io::IsTerminal;
use std::process::ExitCode;

use time::OffsetDateTime;

use crate::cli::{ShareArgs, ShareVia};
use crate::commands::{Context, say, warn};
use crate::integrations::share::store::ShareStore;
use crate::integrations::share::{self, Share, StartRequest, Tool, manage};
use crate::lanes;
use crate::text;

/// Run one `helios share` subcommand.
pub fn run(ctx: &Context, args: ShareArgs) -> anyhow::Result<ExitCode> {
    let repo = ctx.repo()?;
    let mut store = ShareStore::open_default()?;
    match args {
        ShareArgs::Start { lane, via, rw, ttl } => {
            let ttl = share::parse_ttl(&ttl)?;
            let lanes = lanes::discover(&repo.path)?;
            let info = lanes
                .iter()
                .find(|l| l.id.as_str() == lane)
                .ok_or_else(|| share::ShareError::NoLane { lane: lane.clone() })?;
            let tool = match via {
                ShareVia::Tmate => Tool::Tmate,
                ShareVia::Upterm => Tool::Upterm,
            };
            let req = StartRequest {
                repo: &repo.name,
                lane: info,
                tool,
                rw,
                ttl,
                config: &ctx.config.share,
                ssh: &ctx.config.lanes.ssh,
            };
            // Up to `ready_timeout_secs` pass before the links (or the failure) are known; a
            // lane with no live session or a missing tool fails at once, with its own line.
            let will_wait = info.session().is_some()
                && info.session_alive
                && share::proc::which(tool.as_str()).is_some();
            if will_wait {
                warn(format_args!(
                    "helios: starting {} for lane {}: {}",
                    tool.as_str(),
                    info.id,
                    crate::app::share::waiting_text(
                        tool,
                        Some(ctx.config.share.ready_timeout_secs)
                    )
                ));
            }
            let s = manage::start(&mut store, &req)?;
            say(format_args!(
                "sharing lane {} over {} ({}) until {}",
                s.lane,
                s.tool.as_str(),
                if s.rw { "read-write" } else { "read-only" },
                hhmm(s.expires)
            ));
            // The links are what tmate or upterm printed.
            for l in &s.links {
                say(format_args!("  {:<4} {}", l.kind, l.url));
            }
            let all: Vec<&str> = s.links.iter().map(|l| l.url.as_str()).collect();
            if std::io::stdout().is_terminal() && share::copy_to_clipboard(&all.join("\n")) {
                crate::commands::say("links copied to the clipboard (OSC 52)");
            }
            say(format_args!("stop it with: helios share stop {}", s.lane));
            Ok(ExitCode::SUCCESS)
        }
        ShareArgs::Ls { json } => {
            let mut live = manage::reconcile(&mut store, &repo.name)?;
            for s in &mut live {
                s.clients = share::clients(s);
            }
            if json {
                crate::commands::out(&format!("{}\n", serde_json::to_string_pretty(&live)?));
            } else if live.is_empty() {
                crate::commands::say(
                    "no active shares; start one with: helios share start LANE --via tmate",
                );
            } else {
                print_table(&live);
            }
            Ok(ExitCode::SUCCESS)
        }
        ShareArgs::Stop { lane } => match manage::stop(&mut store, &repo.name, &lane)? {
            Some(s) => {
                say(format_args!(
                    "stopped sharing lane {} ({})",
                    s.lane,
                    s.tool.as_str()
                ));
                Ok(ExitCode::SUCCESS)
            }
            None => anyhow::bail!("lane {lane} is not shared; see helios share ls"),
        },
    }
}

fn hhmm(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn print_table(shares: &[Share]) {
    crate::commands::say(format_args!(
        "{:<20} {:<7} {:<4} {:<22} {:<8} LINK",
        "LANE", "TOOL", "MODE", "EXPIRES (UTC)", "CLIENTS"
    ));
    for s in shares {
        let link = s.links.first().map_or("", |l| l.url.as_str());
        say(format_args!(
            "{} {:<7} {:<4} {:<22} {:<8} {}",
            text::pad(&s.lane, 20),
            s.tool.as_str(),
            s.mode(),
            hhmm(s.expires),
            s.clients.len(),
            link
        ));
    }
}
