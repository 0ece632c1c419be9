//! The audit log page (admin, auditor): newest first, filtered by actor and action, paged backwards,
//! with the chain's state at the top.

use askama::Template;
use atalaia_store::audit::{AuditEntry, AuditFilter, ChainCheck};
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, render};
use crate::guard::Ctx;
use crate::{AppError, AppState};

/// Page size.
const PAGE: i64 = 100;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    ator: Option<String>,
    acao: Option<String>,
    antes: Option<i64>,
    /// The download's format (`csv`, `xlsx`) on `/auditoria/exportar`.
    formato: Option<String>,
}

struct Row {
    id: i64,
    /// Local time (America/Sao_Paulo), as every other page.
    at: String,
    actor: String,
    /// The action in words; its code stays in the cell's title for who filters by it.
    action: String,
    action_code: String,
    object: String,
    details: Vec<String>,
    ip: String,
    hash: String,
}

impl Row {
    /// The chain's link as the table shows it: its first 12 characters.
    fn short_hash(&self) -> &str {
        self.hash.get(..12).unwrap_or(&self.hash)
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    actor: String,
    /// The action groups to filter by: (code prefix, name, chosen).
    groups: Vec<crate::pages::FormOption>,
    chain: String,
    chain_ok: bool,
    rows: Vec<Row>,
    older: Option<String>,
    /// `/auditoria/exportar?ator=…&acao=…&`, the format appended by the template.
    export_href: String,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The actor asked for: a login alone means that user (`ana` → `user:ana`).
/// Whose entries to list: an actor as stored (`cli:…`), a login, or a person's name as the table
/// shows it ("Bruno" finds Bruno Analista's entries when one user's name holds it).
async fn actor_filter(st: &AppState, s: &Option<String>) -> Result<Option<String>, AppError> {
    let Some(a) = nonempty(s) else {
        return Ok(None);
    };
    if a.contains(':') {
        return Ok(Some(a));
    }
    let users = st.db.users().await?;
    if users.iter().any(|u| u.login == a) {
        return Ok(Some(format!("user:{a}")));
    }
    let wanted = atalaia_core::text::folded(&a);
    let named: Vec<_> = users
        .iter()
        .filter(|u| atalaia_core::text::folded(&u.name).contains(&wanted))
        .collect();
    Ok(Some(match named.as_slice() {
        [one] => format!("user:{}", one.login),
        _ => format!("user:{a}"),
    }))
}

/// A stored audit time (UTC, `YYYY-MM-DDTHH:MM:SS…`) in local time; as stored if unreadable.
fn local_at(at: &str) -> String {
    let head: String = at.chars().take(19).collect();
    chrono::NaiveDateTime::parse_from_str(&head, "%Y-%m-%dT%H:%M:%S")
        .map(crate::pages::local_time)
        .unwrap_or_else(|_| at.to_string())
}

/// An entry as the table shows it; its full hash kept (the page shows the first 12 characters).
fn row(e: AuditEntry, actors: &crate::pages::Actors) -> Row {
    Row {
        id: e.id,
        at: local_at(&e.at),
        actor: actors.name(&e.actor),
        action: atalaia_core::audit::action_pt(&e.action),
        action_code: e.action,
        object: atalaia_core::audit::object_pt(&e.object),
        details: serde_json::from_str(&e.details)
            .map(|v| atalaia_core::audit::details_pt(&v))
            .unwrap_or_else(|_| vec![e.details.clone()]),
        ip: e.ip,
        hash: e.hash,
    }
}

/// The most entries one download carries: a larger selection is refused with a pointer to the
/// filters (the whole log stays with `atalaia audit verify` and a database backup).
const EXPORT_MAX: i64 = super::export::XLSX_MAX_ROWS as i64;

/// `GET /auditoria/exportar?formato=csv|xlsx&ator=…&acao=…`: every entry the page's filters select
/// (all its pages, newest first), with the table's columns and each link of the chain in full.
pub async fn export(
    Ctx { st, id: _ }: Ctx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    use super::export::{Format, Table};
    let format = Format::parse(q.formato.as_deref())?;
    let filter = AuditFilter {
        actor: actor_filter(&st, &q.ator).await?,
        action_prefix: nonempty(&q.acao),
        before_id: None,
        limit: EXPORT_MAX + 1,
    };
    let entries = st.db.audit_entries(&filter).await?;
    if entries.len() as i64 > EXPORT_MAX {
        return Err(AppError::BadRequest(format!(
            "o registro filtrado passa de {} entradas: escolha uma pessoa ou um tipo de ação",
            super::thousands(EXPORT_MAX as u64)
        )));
    }
    let actors = crate::pages::Actors::load(&st).await?;
    let rows = entries
        .into_iter()
        .map(|e| {
            let r = row(e, &actors);
            vec![
                r.id.into(),
                r.at.into(),
                r.actor.into(),
                r.action.into(),
                r.object.into(),
                r.details.join("; ").into(),
                r.ip.into(),
                r.hash.into(),
            ]
        })
        .collect();
    let table = Table {
        name: "auditoria".into(),
        sheet: "Auditoria",
        header: vec![
            "#",
            "Quando",
            "Quem",
            "O quê",
            "Sobre",
            "Detalhes",
            "Endereço",
            "Elo da cadeia",
        ],
        rows,
    };
    super::export::send(table, format).await
}

/// `GET /auditoria`.
pub async fn page(Ctx { st, id }: Ctx, Query(q): Query<AuditQuery>) -> Result<Response, AppError> {
    let filter = AuditFilter {
        actor: actor_filter(&st, &q.ator).await?,
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
    // On the primary: the checkpoint is this server's, and a replica that has not replayed up to it
    // would look like a chain that lost an entry.
    let (check, checkpoint) = st.primary.verify_audit_chain_from(from.as_ref()).await?;
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
    let actors = crate::pages::Actors::load(&st).await?;
    let rows = entries.into_iter().map(|e| row(e, &actors)).collect();
    let prefix = filter.action_prefix.clone().unwrap_or_default();
    let groups = atalaia_core::audit::ACTION_GROUPS
        .iter()
        .map(|(code, name)| crate::pages::FormOption {
            value: code.to_string(),
            label: name.to_string(),
            chosen: *code == prefix,
        })
        .collect();
    let export_href = format!(
        "/auditoria/exportar?ator={}&acao={}&",
        crate::guard::percent_encode(q.ator.as_deref().unwrap_or_default()),
        crate::guard::percent_encode(&prefix)
    );
    render(&AuditPage {
        export_href,
        chrome: Chrome::new(&st, &id, "Auditoria", "/auditoria").await,
        actor: q.ator.clone().unwrap_or_default(),
        groups,
        chain,
        chain_ok,
        rows,
        older,
    })
}
