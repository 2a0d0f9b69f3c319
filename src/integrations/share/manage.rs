//! Shares as audited state: start, stop and reconcile, each recorded in the `shares` table and
//! as an audit event (`share.started`, `share.failed`, `share.stopped`, `share.expired`,
//! `share.ended`), links redacted. Used by the CLI and by the console's share task.

use serde_json::json;
use time::OffsetDateTime;

use crate::config::actor::actor;
use crate::integrations::share::store::ShareStore;
use crate::integrations::share::{
    Share, ShareError, StartRequest, event, is_alive, start_share, stop_share,
};
use crate::model::AuditAction;
use crate::model::AuditEvent;

/// Start a share and record it; a failure is recorded too and leaves nothing running.
pub fn start(store: &mut ShareStore, req: &StartRequest<'_>) -> Result<Share, ShareError> {
    reconcile(store, req.repo)?;
    if let Some(s) = store.active_for(req.repo, req.lane.id.as_str())? {
        return Err(ShareError::AlreadyShared {
            lane: s.lane.clone(),
            tool: s.tool.as_str(),
            until: s
                .expires
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        });
    }
    // Journal first: no share starts unless its request is durable.
    store.audit(&crate::store::journal::request_event(
        &actor(),
        req.repo,
        AuditAction::ShareStarted.as_str(),
        Some(req.lane.id.as_str()),
        &json!({ "tool": req.tool.as_str(), "mode": if req.rw { "rw" } else { "ro" } }),
    ))?;
    match start_share(req) {
        Ok(share) => {
            store.insert(&share)?;
            store.audit(&event(
                AuditAction::ShareStarted.as_str(),
                &share,
                true,
                json!({}),
            ))?;
            Ok(share)
        }
        Err(e) => {
            let failed = AuditEvent::new(
                &actor(),
                req.repo,
                AuditAction::ShareFailed.as_str(),
                Some(req.lane.id.as_str()),
                false,
                json!({
                    "tool": req.tool.as_str(),
                    "mode": if req.rw { "rw" } else { "ro" },
                    "error": e.to_string(),
                }),
            );
            store.audit(&failed)?;
            Err(e)
        }
    }
}

/// Stop the lane's active share; `None` when it had none.
pub fn stop(store: &mut ShareStore, repo: &str, lane: &str) -> Result<Option<Share>, ShareError> {
    let Some(share) = store.active_for(repo, lane)? else {
        return Ok(None);
    };
    store.audit(&crate::store::journal::request_event(
        &actor(),
        repo,
        AuditAction::ShareStopped.as_str(),
        Some(lane),
        &json!({ "tool": share.tool.as_str() }),
    ))?;
    stop_share(&share);
    store.end(&share.id, "stopped")?;
    store.audit(&event(
        AuditAction::ShareStopped.as_str(),
        &share,
        true,
        json!({}),
    ))?;
    Ok(Some(share))
}

/// Find the repo's shares again: end the expired ones (stopping them) and mark the ones whose
/// server is gone as ended. Returns the shares still running.
pub fn reconcile(store: &mut ShareStore, repo: &str) -> Result<Vec<Share>, ShareError> {
    let now = OffsetDateTime::now_utc();
    let mut live = Vec::new();
    for share in store.active(repo)? {
        if now >= share.expires {
            stop_share(&share);
            store.end(&share.id, "expired")?;
            store.audit(&event(
                AuditAction::ShareExpired.as_str(),
                &share,
                true,
                json!({}),
            ))?;
        } else if !is_alive(&share) {
            stop_share(&share);
            store.end(&share.id, "died")?;
            store.audit(&event(
                AuditAction::ShareEnded.as_str(),
                &share,
                false,
                json!({ "error": format!("the {} server on {} is gone", share.tool.as_str(), share.socket.display()) }),
            ))?;
        } else {
            live.push(share);
        }
    }
    Ok(live)
}
