//! The audit log page (admin, auditor): newest first, filtered by actor and action, paged backwards,
//! with the chain's state at the top.

use askama::Template;
use atalaia_store::audit::{AuditEntry, AuditFilter, ChainCheck};
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, render};
use crate::AppError;
use crate::guard::Ctx;

/// Page size.
const PAGE: i64 = 100;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    ator: Option<String>,
    acao: Option<String>,
    antes: Option<i64>,
}

struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
    details: String,
    ip: String,
    hash: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    actor: String,
    action: String,
    chain: String,
    chain_ok: bool,
    rows: Vec<Row>,
    older: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `GET /auditoria`.
pub async fn page(Ctx { st, id }: Ctx, Query(q): Query<AuditQuery>) -> Result<Response, AppError> {
    let filter = AuditFilter {
        actor: nonempty(&q.ator),
        action_prefix: nonempty(&q.acao),
        before_id: q.antes,
        limit: PAGE,
    };
    let entries: Vec<AuditEntry> = st.db.audit_entries(&filter).await?;
    // From the last entry this server verified, not the whole log on every load (the command
    // `atalaia audit verify` re-reads it all).
    let from = st
        .audit_checkpoint
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let (check, checkpoint) = st.db.verify_audit_chain_from(from.as_ref()).await?;
    if let Ok(mut c) = st.audit_checkpoint.lock() {
        *c = checkpoint;
    }
    let (chain, chain_ok) = match check {
        ChainCheck::Intact { entries } => (
            format!("Cadeia íntegra: {entries} entradas conferidas."),
            true,
        ),
        ChainCheck::Broken { id, reason } => {
            (format!("Cadeia ROMPIDA na entrada {id}: {reason}."), false)
        }
    };
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten()
        .map(|last| {
            let mut q2 = vec![format!("antes={last}")];
            if let Some(a) = &filter.actor {
                q2.push(format!("ator={}", crate::guard::percent_encode(a)));
            }
            if let Some(a) = &filter.action_prefix {
                q2.push(format!("acao={}", crate::guard::percent_encode(a)));
            }
            format!("/auditoria?{}", q2.join("&"))
        });
    let rows = entries
        .into_iter()
        .map(|e| Row {
            id: e.id,
            at: e.at.replace('T', " ").chars().take(19).collect::<String>() + " UTC",
            actor: e.actor,
            action: e.action,
            object: e.object,
            details: e.details,
            ip: e.ip,
            hash: e.hash.chars().take(12).collect(),
        })
        .collect();
    render(&AuditPage {
        chrome: Chrome::new(&st, &id, "Auditoria", "/auditoria").await,
        actor: filter.actor.unwrap_or_default(),
        action: filter.action_prefix.unwrap_or_default(),
        chain,
        chain_ok,
        rows,
        older,
    })
}
