//! Lending the console's terminal to a program (`a` outside tmux and zellij, `L` outside
//! zellij): the request journalled first, the program's end journalled and shown after. The
//! loop runs the program (`runtime::hand_over`).

use serde_json::json;

use crate::app::Event;
use crate::app::effect::HandOver;
use crate::integrations::attach::Via;
use crate::lanes::{LaneError, LaneId};
use crate::model::AuditAction;
use crate::pty::PtyBackend;
use crate::runtime::engine::Engine;

impl<B: PtyBackend> Engine<B> {
    /// Ask the loop to give the terminal to `h`'s program, once the request is journalled.
    pub(super) fn lend_terminal(&mut self, h: HandOver) {
        if let Err(e) = self.request(h.action, h.lane.as_ref(), &h.detail) {
            return self.fail_unrecorded(h.action, h.lane.as_ref(), e);
        }
        self.hand_over = Some(h);
    }

    /// The program the terminal was lent to ended: what happened is journalled and shown.
    pub fn handed_back(&mut self, h: HandOver, result: Result<(), String>) {
        let mut detail = h.detail;
        let gone = match (&h.session, &h.lane) {
            (Some(s), Some(l)) if !crate::lanes::discover::session_alive(s) => {
                Some(format!("back from lane {l}: its tmux session {s} ended"))
            }
            _ => None,
        };
        // A session killed while attached ends `tmux attach` with 0, or with 1 when it was the
        // server's last (the server exits before the client is told): either way the session
        // ended, which is what happened, not a failed attach.
        let result = match result {
            Err(e) if gone.is_some() => {
                if let Some(map) = detail.as_object_mut() {
                    map.insert("program".into(), json!(e));
                }
                Ok(())
            }
            other => other,
        };
        if let (Err(e), Some(map)) = (&result, detail.as_object_mut()) {
            map.insert("error".into(), json!(e));
        }
        self.record(h.action, h.lane.as_ref(), result.is_ok(), detail);
        let back = gone.unwrap_or(h.back);
        self.handle(Event::LaneCommandDone {
            what: h.action.to_string(),
            lane: h.lane,
            result: result.map(|()| back),
        });
    }

    pub(super) fn attach(&mut self, lane: LaneId) {
        let Some(info) = self.lane_info(&lane) else {
            let e = LaneError::NoSuchLane {
                label: lane.to_string(),
            };
            return self.fail(AuditAction::LaneAttached, Some(&lane), &e.to_string());
        };
        let Some(session) = info.session().map(str::to_string) else {
            let e = LaneError::NotPar {
                label: lane.to_string(),
                what: "attach (press Enter to focus it instead)".into(),
            };
            return self.fail(AuditAction::LaneAttached, Some(&lane), &e.to_string());
        };
        if !info.session_alive {
            let e = crate::integrations::attach::gone(lane.as_str(), &session);
            return self.fail(AuditAction::LaneAttached, Some(&lane), &e.to_string());
        }
        let via = Via::from_env();
        if via == Via::Exec {
            // In this terminal, and back to the console when the user detaches.
            return self.lend_terminal(HandOver {
                argv: crate::integrations::attach::argv(&session),
                action: AuditAction::LaneAttached,
                detail: json!({"session": session, "via": "terminal"}),
                back: format!("back from lane {lane} (detached from tmux session {session})"),
                session: Some(session.clone()),
                lane: Some(lane),
            });
        }
        let l = lane.clone();
        self.par_task(
            AuditAction::LaneAttached,
            lane,
            json!({"session": session, "via": via.as_str()}),
            move |_| crate::integrations::attach::attach(via, l.as_str(), &info.worktree, &session),
        );
    }
}
