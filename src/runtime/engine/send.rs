//! `lane send` from the console: typed into helios-owned lanes, pasted through tmux into par
//! lanes, and asked of another host's `helios serve` for its lanes.

use std::sync::Arc;

use serde_json::json;

use crate::app::action::SendTarget;
use crate::lanes::{LaneError, LaneId, LaneInfo};
use crate::model::{AuditAction, AuditEvent};
use crate::pty::PtyBackend;
use crate::runtime::engine::Engine;

impl<B: PtyBackend> Engine<B> {
    /// `lane send`: one lane or all the console shows; helios-owned lanes are typed into here,
    /// par lanes pasted through tmux (`lanes::par::send`), other hosts' through their `helios serve`.
    pub(super) fn send_line(&mut self, target: SendTarget, text: String) {
        let lanes: Vec<LaneInfo> = match &target {
            SendTarget::Lane(l) => self.lane_info(l).into_iter().collect(),
            // `all` is every lane the console shows: this machine's here, and each other
            // host's (per repo) in one request to that host, which sends to all of them.
            SendTarget::All => {
                self.send_to_every_host(&text);
                self.state
                    .lanes
                    .iter()
                    .filter(|l| l.remote.is_none())
                    .map(|l| l.info.clone())
                    .collect()
            }
        };
        if let [one] = lanes.as_slice()
            && one.remote_host().is_some()
        {
            let op = crate::model::fleet::LaneOp::Send { text };
            return self.ask_host(one.id.clone(), op);
        }
        if let SendTarget::Lane(l) = &target
            && lanes.is_empty()
        {
            let e = LaneError::NoSuchLane {
                label: l.to_string(),
            };
            return self.fail(AuditAction::LaneTextSent, Some(l), &e.to_string());
        }
        // helios owns plain lanes' shells: type into them directly, once the request is durable
        // (one small append on the loop: this is an explicit command, not typing).
        for info in lanes.iter().filter(|i| !i.is_durable()) {
            let detail = json!({ "text": text, "via": "pty" });
            if let Err(e) = self.request(AuditAction::LaneTextSent, Some(&info.id), &detail) {
                self.fail_unrecorded(AuditAction::LaneTextSent, Some(&info.id), e);
                continue;
            }
            // As into a par lane: one paste (bracketed when the lane asked), Enter after a pause
            // (an agent takes an Enter right after a paste as part of it).
            let bracketed = self.ptys.input_modes(&info.id).bracketed_paste;
            let bytes = crate::app::keys::paste_bytes(&text, bracketed);
            match self.ptys.write(&info.id, bytes) {
                Ok(()) => {
                    let (events, lane) = (self.ctx.events.clone(), info.id.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(crate::lanes::par::ENTER_AFTER).await;
                        if events
                            .send(crate::app::Event::LaneEnterDue { lane })
                            .is_err()
                        {
                            // Only when the console has ended: the Enter is not typed.
                            tracing::debug!("console gone before a sent text's Enter was due");
                        }
                    });
                    self.record(AuditAction::LaneTextSent, Some(&info.id), true, detail);
                }
                Err(e) => self.fail(AuditAction::LaneTextSent, Some(&info.id), &e.to_string()),
            }
        }
        let par_lanes: Vec<LaneId> = lanes
            .iter()
            .filter(|i| i.is_durable())
            .map(|i| i.id.clone())
            .collect();
        if par_lanes.is_empty() {
            return;
        }
        let detail = json!({ "text": text, "via": "tmux" });
        let ops = Arc::clone(&self.ctx.lanes);
        let SendTarget::Lane(lane) = target else {
            // `all`: par's lanes of this repo, through the one `send all` the CLI runs too
            // (`lanes::ops::SentAll`), journalled a lane at a time with its own result.
            let (actor, repo_name) = (self.ctx.actor.clone(), self.state.repo.name.clone());
            let action = AuditAction::LaneTextSent;
            let asked = detail.clone();
            return self.par_job(action, LaneId::new("all"), asked, move |repo| {
                match ops.send_each(repo, &text) {
                    Ok(sent) => {
                        let evs = sent.events(&actor, &repo_name, action.as_str(), &detail);
                        (sent.summary(), evs)
                    }
                    // No lane was tried: the one result is the request's, under `all`.
                    Err(e) => {
                        let e = e.to_string();
                        let ev = AuditEvent::of_result(
                            &actor,
                            &repo_name,
                            action.as_str(),
                            Some("all"),
                            detail,
                            Some(&e),
                        );
                        (Err(e), vec![ev])
                    }
                }
            });
        };
        let label = lane.to_string();
        self.par_task(AuditAction::LaneTextSent, lane, detail, move |repo| {
            ops.send(repo, &label, &text)?;
            Ok::<_, LaneError>(format!("sent to {label}"))
        });
    }

    /// `send all` on the other hosts: one request per host and repo shown, label `all`
    /// (journalled here as lane `HOST/all`).
    fn send_to_every_host(&mut self, text: &str) {
        let mut targets: Vec<(String, String)> = self
            .state
            .lanes
            .iter()
            .filter_map(|l| l.remote.as_ref())
            .map(|r| (r.host.clone(), r.repo.clone()))
            .collect();
        targets.sort();
        targets.dedup();
        for (host, repo) in targets {
            let lane = LaneId::new(format!("{host}/all"));
            let op = crate::model::fleet::LaneOp::Send {
                text: text.to_string(),
            };
            self.ask(lane, host, repo, "all".into(), op);
        }
    }
}
