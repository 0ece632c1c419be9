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
use atalaia_ingest::Kind;

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

/// `GET /api/v1/recap/{quarter}`: the quarter's RECAP result with today's data, as `recap compute`
/// writes it (contracts.md §3): levels only once the quarter is over; a unit head gets his units only.
pub async fn recap(
    crate::guard::Ctx { st, id }: crate::guard::Ctx,
    axum::extract::Path(quarter): axum::extract::Path<String>,
) -> Response {
    crate::api_jobs::answer(
        async {
            let q = atalaia_core::Quarter::parse(&quarter).map_err(|e| {
                AppError::BadRequest(format!("trimestre `{quarter}` inválido: {e}"))
            })?;
            let c = st
                .db
                .compute_quarter(q, None, st.config.clock.today())
                .await?;
            let mut report = c.report;
            if !id.reads_whole_runs() {
                report.units.retain(|u| id.heads_unit(&u.code));
            }
            Ok(Json(report).into_response())
        }
        .await,
    )
}

/// `GET /api/v1/ipei/{month}`: the month's IPEI with today's data (`ipei result`'s JSON, with its
/// memória): payments only once the month is over.
pub async fn ipei(
    crate::guard::Ctx { st, id: _ }: crate::guard::Ctx,
    axum::extract::Path(month): axum::extract::Path<String>,
) -> Response {
    crate::api_jobs::answer(
        async {
            let m = atalaia_core::Month::parse(&month)
                .map_err(|e| AppError::BadRequest(format!("mês `{month}` inválido: {e}")))?;
            let report = st.db.ipei_result(m, st.config.clock.today()).await?;
            Ok(Json(report).into_response())
        }
        .await,
    )
}

/// `GET /api/v1/openapi.json`: OpenAPI 3.1, one operation per API route of the table, each with its
/// parameters, body and the schema of every answer ([`operation`], [`schemas`]).
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
        let mut op = operation(r.path);
        op["description"] = format!("Acesso: {note}.").into();
        op["security"] = security;
        let responses = op["responses"]
            .as_object_mut()
            .expect("responses is an object");
        let problem = serde_json::json!({"description": "", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        for (code, what) in [
            ("400", "pedido inválido: o motivo em `detail`"),
            ("401", "não autenticado"),
            ("403", "papel sem permissão"),
            ("404", "não encontrado, ou fora do alcance de quem pede"),
        ] {
            let mut p = problem.clone();
            p["description"] = what.into();
            responses.entry(code).or_insert(p);
        }
        let path = r.path.trim_start_matches("/api/v1");
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
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "chave de API da instituição (atk_…)"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::guard::SESSION_COOKIE}
            },
            "schemas": schemas(),
        },
        "paths": paths,
    }))
    .into_response()
}

fn ok(schema: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}})
}

fn reference(name: &str) -> serde_json::Value {
    serde_json::json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The operation of the API route `path`: its id, summary, parameters, body and answers.
fn operation(path: &str) -> serde_json::Value {
    let id_param = |name: &str, what: &str, schema: serde_json::Value| serde_json::json!({"name": name, "in": "path", "required": true, "description": what, "schema": schema});
    match path {
        "/api/v1/openapi.json" => serde_json::json!({
            "operationId": "getOpenApi", "summary": "Este documento",
            "responses": ok(serde_json::json!({"type": "object"})),
        }),
        "/api/v1/me" => serde_json::json!({
            "operationId": "getMe",
            "summary": "Quem está chamando (usuário ou chave, instituição, papéis)",
            "responses": ok(reference("Me")),
        }),
        "/api/v1/territories" => serde_json::json!({
            "operationId": "listTerritories",
            "summary": "Territórios e suas versões (sem geometria); filtro ?kind=aisp",
            "parameters": [{"name": "kind", "in": "query", "required": false, "schema": {"type": "string"}}],
            "responses": ok(serde_json::json!({"type": "array", "items": reference("Territory")})),
        }),
        "/api/v1/audit" => serde_json::json!({
            "operationId": "listAudit",
            "summary": "Entradas do registro de auditoria, da mais recente para a mais antiga",
            "parameters": [
                {"name": "actor", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "action", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "before_id", "in": "query", "required": false, "schema": {"type": "integer"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
            ],
            "responses": ok(serde_json::json!({"type": "array", "items": {"type": "object"}})),
        }),
        "/api/v1/imports/{kind}" => serde_json::json!({
            "operationId": "pushImport",
            "summary": "Envia um arquivo (CSV ou XLSX) ou um array JSON de linhas para importação; responde com o trabalho",
            "parameters": [
                id_param("kind", "tipo de importação", serde_json::json!({"type": "string", "enum": Kind::ALL.map(|k| k.as_str())})),
                {"name": "profile", "in": "query", "required": false, "description": "perfil de importação da fonte", "schema": {"type": "string"}},
                {"name": "Idempotency-Key", "in": "header", "required": false, "description": "o mesmo valor de novo devolve o primeiro trabalho", "schema": {"type": "string", "maxLength": 200}}
            ],
            "requestBody": {"required": true, "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}},
                    "example": [{"id": "BO-1", "occurred_at": "2026-07-01T10:00:00", "crime": "roubo_veiculo", "territory_code": "5208707"}]}
            }},
            "responses": {"202": {"description": "na fila", "content": {"application/json": {"schema": reference("Accepted")}}}},
        }),
        "/api/v1/jobs/{id}" => serde_json::json!({
            "operationId": "getJob",
            "summary": "Um trabalho de importação: situação, contagens e, ao fim, o resumo e as linhas rejeitadas",
            "parameters": [id_param("id", "número do trabalho", serde_json::json!({"type": "integer"}))],
            "responses": ok(reference("Job")),
        }),
        "/api/v1/recap/{quarter}" => serde_json::json!({
            "operationId": "getRecap",
            "summary": "Resultado do RECAP de um trimestre com os dados de hoje (níveis só com o trimestre encerrado)",
            "parameters": [id_param("quarter", "trimestre AAAA-Qn", serde_json::json!({"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"}))],
            "responses": ok(reference("RecapReport")),
        }),
        "/api/v1/meetings" => serde_json::json!({
            "operationId": "listMeetings",
            "summary": "Reuniões do Igesp que quem pede vê (parceiros: as da sua instituição), da mais recente",
            "responses": ok(serde_json::json!({"type": "array", "items": reference("Meeting")})),
        }),
        "/api/v1/actions" => serde_json::json!({
            "operationId": "listActions",
            "summary": "Ações dos planos do Igesp que quem pede vê, com o atraso de hoje",
            "responses": ok(serde_json::json!({"type": "array", "items": reference("Action")})),
        }),
        "/api/v1/actions/{id}/updates" => serde_json::json!({
            "operationId": "updateAction",
            "summary": "Registra o andamento de uma ação da instituição ou do município de quem envia",
            "parameters": [id_param("id", "número da ação", serde_json::json!({"type": "integer"}))],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["note"], "additionalProperties": false, "properties": {
                    "note": {"type": "string"},
                    "status": {"enum": atalaia_core::igesp::ActionStatus::ALL.map(|s| s.as_str())}}}}}},
            "responses": {"201": {"description": "registrado", "content": {"application/json": {"schema": {
                "type": "object", "required": ["action", "update"], "properties": {
                    "action": {"type": "integer"}, "update": {"type": "integer"}}}}}}},
        }),
        "/api/v1/indicators" => serde_json::json!({
            "operationId": "getIndicators",
            "summary": "Ocorrências e vítimas de cada crime numa área (um estado: seus municípios) num período",
            "parameters": [
                {"name": "area", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "from", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}
            ],
            "responses": ok(reference("Indicators")),
        }),
        "/api/v1/ipei/{month}" => serde_json::json!({
            "operationId": "getIpei",
            "summary": "Resultado do IPEI de um mês com os dados de hoje (pagamentos só com o mês encerrado), com a memória de cálculo",
            "parameters": [id_param("month", "mês AAAA-MM", serde_json::json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}))],
            "responses": ok(serde_json::json!({"type": "object", "required": ["month", "stage", "units", "payments", "total_cents", "memoria"],
                "properties": {"month": {"type": "string"}, "stage": {"type": "string"}, "units": {"type": "array"},
                    "seizures": {"type": "array"}, "payments": {"type": "array"}, "total_cents": {"type": "integer"},
                    "memoria": {"type": "array", "items": {"type": "string"}}}})),
        }),
        _ => serde_json::json!({"summary": "", "responses": ok(serde_json::json!({}))}),
    }
}

/// The answers' schemas (JSON Schema 2020-12, as OpenAPI 3.1 takes them).
fn schemas() -> serde_json::Value {
    let nullable = |t: &str| serde_json::json!({"type": [t, "null"]});
    let area_fields = serde_json::json!({
        "code": {"type": "string"}, "name": {"type": "string"},
        "index": nullable("number"), "baseline_index": nullable("number"),
        "reduction_pct": nullable("number"),
        "level": {"enum": ["RECAP1", "RECAP2", null]},
        "reasons": {"type": "array", "items": {"type": "string"}}
    });
    let mut area = area_fields.clone();
    area["kind"] = serde_json::json!({"type": "string"});
    area["population"] = nullable("integer");
    area["baseline_population"] = nullable("integer");
    area["warnings"] = serde_json::json!({"type": "array", "items": {"type": "string"}});
    area["crimes"] = serde_json::json!({"type": "array", "items": {"type": "object", "required": ["crime", "count", "baseline_count"],
        "properties": {"crime": {"type": "string"}, "count": {"type": "integer"}, "baseline_count": {"type": "integer"}}}});
    let mut unit = area_fields;
    unit["areas"] = serde_json::json!({"type": "array", "items": {"type": "string"}});
    serde_json::json!({
        "Problem": {"type": "object", "required": ["title", "status", "detail"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}},
        "Me": {"type": "object", "required": ["via", "roles"], "properties": {
            "via": {"enum": ["api_key", "session", "calendar_key"]}, "login": {"type": "string"}, "name": {"type": "string"},
            "institution": nullable("string"), "roles": {"type": "array", "items": {"type": "string"}}}},
        "Territory": {"type": "object", "required": ["code", "name", "kind", "valid_from"], "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"}, "parent_code": nullable("string"),
            "valid_from": {"type": "string", "format": "date"}, "valid_to": {"type": ["string", "null"], "format": "date"}, "synthetic": {"type": "boolean"}}},
        "Meeting": {"type": "object", "required": ["id", "kind", "title", "municipality_code", "starts_at", "status", "institutions"], "properties": {
            "id": {"type": "integer"}, "kind": {"enum": ["internal", "articulation", "intervention"]}, "title": {"type": "string"},
            "municipality_code": {"type": "string"}, "area_code": nullable("string"),
            "starts_at": {"type": "string"}, "ends_at": {"type": "string"}, "place": {"type": "string"},
            "status": {"type": "string"}, "institutions": {"type": "array", "items": {"type": "string"}}}},
        "Action": {"type": "object", "required": ["id", "title", "municipality_code", "responsible", "due_on", "status", "overdue"], "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "municipality_code": {"type": "string"},
            "meeting_id": nullable("integer"), "responsible": {"type": "string"},
            "partners": {"type": "array", "items": {"type": "string"}},
            "starts_on": {"type": "string", "format": "date"}, "due_on": {"type": "string", "format": "date"},
            "status": {"type": "string"}, "overdue": {"type": "boolean"}, "joint_operation": {"type": "boolean"}}},
        "Indicators": {"type": "object", "required": ["area", "from", "to", "occurrences", "victims", "crimes"], "properties": {
            "area": {"type": "string"}, "name": {"type": "string"},
            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
            "occurrences": {"type": "integer"}, "victims": {"type": "integer"},
            "crimes": {"type": "array", "items": {"type": "object", "required": ["crime", "occurrences", "victims"], "properties": {
                "crime": {"type": "string"}, "name": {"type": "string"}, "occurrences": {"type": "integer"}, "victims": {"type": "integer"}}}}}},
        "Accepted": {"type": "object", "required": ["job", "status", "replayed"], "properties": {
            "job": {"type": "integer"}, "status": {"type": "string"}, "replayed": {"type": "boolean"}}},
        "Job": {"type": "object", "required": ["id", "kind", "state", "ended", "summary", "rejects"], "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"}, "file_name": {"type": "string"},
            "state": {"enum": ["queued", "running", "done", "failed", "cancelled"]}, "ended": {"type": "boolean"},
            "rows_read": {"type": "integer"}, "rows_written": {"type": "integer"}, "rows_rejected": {"type": "integer"},
            "error": nullable("string"), "import_id": nullable("integer"),
            "summary": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["read", "inserted", "updated", "unchanged", "rejected"],
                "properties": {"read": {"type": "integer"}, "inserted": {"type": "integer"}, "updated": {"type": "integer"},
                    "unchanged": {"type": "integer"}, "rejected": {"type": "integer"}}}]},
            "rejects": {"type": "array", "items": {"type": "object", "required": ["line", "reason"],
                "properties": {"line": nullable("integer"), "reason": {"type": "string"}}}}}},
        "RecapReport": {"type": "object", "required": ["quarter", "baseline_quarter", "parameters", "areas", "units"], "properties": {
            "quarter": {"type": "string"}, "baseline_quarter": {"type": "string"}, "parameters": {"type": "object"},
            "areas": {"type": "array", "items": {"type": "object", "required": ["code", "name", "level"], "properties": area}},
            "units": {"type": "array", "items": {"type": "object", "required": ["code", "name", "level"], "properties": unit}}}},
    })
}
