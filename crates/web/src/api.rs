//! The JSON API under `/api/v1` (platform.md §4), for other state systems. Machine clients send an
//! institution's key (`Authorization: Bearer atk_…`); a browser session works too. The OpenAPI document
//! is generated from the same route table the router is built from, so it lists every operation with
//! the permission it needs.

use atalaia_store::audit::AuditFilter;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::guard::{Access, Identity, Via};
use crate::routes::routes;
use crate::{AppError, AppState};

/// `GET /api/v1/me`: who the API sees.
pub async fn me(Extension(id): Extension<Identity>) -> Response {
    let (kind, login) = match (&id.via, &id.user) {
        (Via::ApiKey { prefix, .. }, _) => ("api_key", prefix.clone()),
        (Via::Session { .. }, Some(u)) => ("session", u.login.clone()),
        (Via::Session { .. }, None) => ("session", String::new()),
        (Via::CalendarKey, _) => ("calendar_key", String::new()),
    };
    Json(serde_json::json!({
        "via": kind,
        "login": login,
        "name": id.name,
        "institution": id.institution,
        "roles": id.roles,
    }))
    .into_response()
}

/// A territory version in the API.
#[derive(Debug, Serialize)]
pub struct TerritoryOut {
    code: String,
    name: String,
    kind: String,
    parent_code: Option<String>,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
    synthetic: bool,
}

/// Filters of `/api/v1/territories`.
#[derive(Debug, Deserialize, Default)]
pub struct TerritoryQuery {
    kind: Option<String>,
}

/// `GET /api/v1/territories?kind=aisp`: every territory version (no geometry).
pub async fn territories(
    State(st): State<AppState>,
    Query(q): Query<TerritoryQuery>,
) -> Result<Response, AppError> {
    let out: Vec<TerritoryOut> = st
        .territories()
        .await?
        .iter()
        .filter(|t| q.kind.as_deref().is_none_or(|k| t.kind == k))
        .map(|t| TerritoryOut {
            code: t.code.clone(),
            name: t.name.clone(),
            kind: t.kind.clone(),
            parent_code: t.parent_code.clone(),
            valid_from: t.valid_from,
            valid_to: t.valid_to,
            synthetic: t.synthetic,
        })
        .collect();
    Ok(Json(out).into_response())
}

/// Filters of `/api/v1/audit`.
#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    before_id: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/audit`: audit entries, newest first (at most 1000 per call).
pub async fn audit(
    State(st): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let entries = st
        .db
        .audit_entries(&AuditFilter {
            actor: q.actor,
            action_prefix: q.action,
            before_id: q.before_id,
            limit: q.limit.unwrap_or(100).clamp(1, 1000),
        })
        .await?;
    Ok(Json(entries).into_response())
}

/// `GET /api/v1/openapi.json`: OpenAPI 3.1, one operation per API route of the table.
pub async fn openapi() -> Response {
    let mut paths = serde_json::Map::new();
    for r in routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        let (security, note) = match r.access {
            Access::Public => (serde_json::json!([]), "público".to_string()),
            Access::SignedIn => (
                serde_json::json!([{"bearer": []}, {"session": []}]),
                "qualquer usuário ou chave".to_string(),
            ),
            Access::Perm(p) | Access::LocalOr(p) => (
                serde_json::json!([{"bearer": []}, {"session": []}]),
                format!("permissão `{}`", p.as_str()),
            ),
        };
        let path = r.path.trim_start_matches("/api/v1");
        let op = serde_json::json!({
            "summary": summary(r.path),
            "description": format!("Acesso: {note}."),
            "security": security,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "401": {"description": "não autenticado"},
                "403": {"description": "papel sem permissão"}
            }
        });
        let entry = paths
            .entry(path.to_string())
            .or_insert_with(|| serde_json::json!({}));
        entry[r.method.as_str().to_lowercase()] = op;
    }
    Json(serde_json::json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Atalaia API",
            "version": "1",
            "description": "API de integração do Atalaia (Igesp e Programa Goiás Cidadão Seguro). Autentique-se com a chave de API da sua instituição no cabeçalho Authorization: Bearer."
        },
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "chave de API da instituição (atk_…)"},
            "session": {"type": "apiKey", "in": "cookie", "name": crate::guard::SESSION_COOKIE}
        }},
        "paths": paths,
    }))
    .into_response()
}

fn summary(path: &str) -> &'static str {
    match path {
        "/api/v1/openapi.json" => "Este documento",
        "/api/v1/me" => "Quem está chamando (usuário ou chave, instituição, papéis)",
        "/api/v1/territories" => "Territórios e suas versões (sem geometria); filtro ?kind=aisp",
        "/api/v1/audit" => "Entradas do registro de auditoria, da mais recente para a mais antiga",
        _ => "",
    }
}
