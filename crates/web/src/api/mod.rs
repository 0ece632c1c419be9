//! The JSON API under `/api/v1` (platform.md §4), for other state systems. Machine clients send an
//! institution's key (`Authorization: Bearer atk_…`); a browser session works too. The OpenAPI document
//! is generated from the same route table the router is built from, so it lists every operation with
//! the permission it needs.

mod doc;
pub mod igesp;
pub mod jobs;
pub mod places;
pub mod programs;

pub use doc::openapi;

use atalaia_store::audit::AuditFilter;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::guard::{Identity, Via};
use crate::{AppError, AppState};

/// `GET /api/v1/me`: who the API sees.
pub async fn me(Extension(id): Extension<Identity>) -> Response {
    let (kind, login) = match (&id.via, &id.user) {
        (Via::ApiKey { prefix, .. }, _) => ("api_key", prefix.clone()),
        (Via::Session { .. }, Some(u)) => ("session", u.login.clone()),
        (Via::Session { .. }, None) => ("session", String::new()),
        (Via::CalendarKey, _) => ("calendar_key", String::new()),
    };
    Json(Me {
        via: kind,
        login,
        name: id.name,
        institution: id.institution,
        roles: id.roles,
    })
    .into_response()
}

/// Who the API sees: how it came in (`api_key`, `session`, `calendar_key`), the login or the key's
/// prefix, the institution and the roles.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Me {
    via: &'static str,
    login: String,
    name: String,
    institution: String,
    roles: Vec<atalaia_core::access::Role>,
}

/// A territory version in the API.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Territory")]
pub struct TerritoryOut {
    code: String,
    name: String,
    kind: String,
    parent_code: Option<String>,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
    synthetic: bool,
}

impl From<&atalaia_store::territories::TerritoryVersion> for TerritoryOut {
    fn from(t: &atalaia_store::territories::TerritoryVersion) -> Self {
        TerritoryOut {
            code: t.code.clone(),
            name: t.name.clone(),
            kind: t.kind.clone(),
            parent_code: t.parent_code.clone(),
            valid_from: t.valid_from,
            valid_to: t.valid_to,
            synthetic: t.synthetic,
        }
    }
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
        .map(TerritoryOut::from)
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
