//! The OpenAPI 3.1 document of `/api/v1`, generated: one operation per API route of the table the
//! router is built from (so none is missing and each says the permission it needs), and every body's
//! schema derived from the Rust type the handler serialises (`schemars`), so the document cannot
//! drift from the answers. Parameters carry an example drawn from the demo, which is also what the
//! route-by-route test calls.

use axum::Json;
use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Value, json};

use super::igesp::{ActionOut, Indicators, MeetingOut, UpdateIn, UpdateOut};
use super::jobs::{Accepted, JobOut, Problem};
use super::places::{Hotspots, OCCURRENCES_MAX, Page, Selection, TerritoryShape};
use super::programs::{RunOut, RunSummary};
use super::{Me, TerritoryOut};
use crate::guard::Access;
use crate::routes::routes;
use atalaia_ingest::Kind;

/// `GET /api/v1/openapi.json`: the document.
pub async fn openapi() -> Response {
    Json(document()).into_response()
}

/// Schemas of the types an operation names, collected under `components/schemas`.
struct Schemas(SchemaGenerator);

impl Schemas {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        });
        Schemas(SchemaGenerator::new(settings))
    }

    /// The schema of `T`: a `$ref` for a named type.
    fn of<T: JsonSchema>(&mut self) -> Value {
        self.0.subschema_for::<T>().to_value()
    }

    /// A 200 answer with `T` as JSON.
    fn ok<T: JsonSchema>(&mut self) -> Value {
        json!({"200": {"description": "OK", "content": {"application/json": {"schema": self.of::<T>()}}}})
    }

    /// Every named schema, without the code's doc comments (English, for us): the document's
    /// words are the operations' summaries, in Portuguese.
    fn into_components(mut self) -> Value {
        let mut defs = Value::Object(self.0.take_definitions(true));
        strip_descriptions(&mut defs);
        defs
    }
}

fn strip_descriptions(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("description");
            o.values_mut().for_each(strip_descriptions);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_descriptions),
        _ => {}
    }
}

/// The whole document.
pub(crate) fn document() -> Value {
    let mut schemas = Schemas::new();
    let problem = schemas.of::<Problem>();
    let mut paths = serde_json::Map::new();
    for r in routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        let (security, note) = match r.access {
            Access::Public => (json!([]), "público".to_string()),
            Access::SignedIn => (
                json!([{"bearer": []}, {"session": []}]),
                "qualquer usuário ou chave".to_string(),
            ),
            Access::Perm(p) | Access::LocalOr(p) => (
                json!([{"bearer": []}, {"session": []}]),
                format!("permissão `{}`", p.as_str()),
            ),
        };
        let mut op = operation(r.path, &mut schemas);
        op["description"] = format!("Acesso: {note}.").into();
        op["security"] = security;
        let responses = op["responses"]
            .as_object_mut()
            .expect("responses is an object");
        for (code, what) in [
            ("400", "pedido inválido: o motivo em `detail`"),
            ("401", "não autenticado"),
            ("403", "papel sem permissão"),
            ("404", "não encontrado, ou fora do alcance de quem pede"),
        ] {
            responses.entry(code).or_insert(json!({"description": what,
                "content": {"application/problem+json": {"schema": problem.clone()}}}));
        }
        let path = r.path.trim_start_matches("/api/v1");
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.as_str().to_lowercase()] = op;
    }
    json!({
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
            "schemas": schemas.into_components(),
        },
        "paths": paths,
    })
}

/// A path parameter.
fn in_path(name: &str, what: &str, schema: Value, example: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": what, "schema": schema, "example": example})
}

/// A query parameter.
fn in_query(name: &str, what: &str, required: bool, schema: Value, example: Value) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": what, "schema": schema, "example": example})
}

/// The selection page's month and weights (the same names, so a link to the page and a call agree).
fn selection_parameters() -> Value {
    use crate::pages::igesp::selection::weight_name;
    let weight = |name: String, what: &str, example: f64| {
        let what = format!("peso de {what}, de 0 a 100");
        let schema = json!({"type": "number", "minimum": 0, "maximum": 100});
        in_query(&name, &what, false, schema, json!(example))
    };
    let defaults = atalaia_core::selection::Weights::default();
    let mut out = vec![in_query(
        "ate",
        "último mês da tabela (padrão: o mês passado)",
        false,
        json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}),
        json!("2026-06"),
    )];
    for g in atalaia_core::selection::GROUPS {
        let example = defaults.rates.get(&g).copied().unwrap_or(0.0);
        out.push(weight(weight_name(g), g.label_pt(), example));
    }
    out.push(weight("peso_tendencia".into(), "tendência", defaults.trend));
    out.push(weight(
        "peso_concentracao".into(),
        "concentração",
        defaults.concentration,
    ));
    Value::Array(out)
}

/// The operation of the API route `path`: its id, summary, parameters, body and answers.
fn operation(path: &str, s: &mut Schemas) -> Value {
    match path {
        "/api/v1/openapi.json" => json!({
            "operationId": "getOpenApi", "summary": "Este documento",
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }),
        "/api/v1/me" => json!({
            "operationId": "getMe",
            "summary": "Quem está chamando (usuário ou chave, instituição, papéis)",
            "responses": s.ok::<Me>(),
        }),
        "/api/v1/territories" => json!({
            "operationId": "listTerritories",
            "summary": "Territórios e suas versões (sem geometria); filtro ?kind=aisp",
            "parameters": [in_query("kind", "tipo de território", false,
                json!({"type": "string"}), json!("aisp"))],
            "responses": s.ok::<Vec<TerritoryOut>>(),
        }),
        "/api/v1/audit" => json!({
            "operationId": "listAudit",
            "summary": "Entradas do registro de auditoria, da mais recente para a mais antiga",
            "parameters": [
                in_query("actor", "quem agiu", false, json!({"type": "string"}), json!("admin")),
                in_query("action", "começo do código da ação", false, json!({"type": "string"}), json!("auth")),
                in_query("before_id", "só entradas anteriores a esta", false, json!({"type": "integer"}), json!(1000)),
                in_query("limit", "quantas no máximo", false, json!({"type": "integer", "minimum": 1, "maximum": 1000}), json!(50))
            ],
            "responses": s.ok::<Vec<atalaia_store::audit::AuditEntry>>(),
        }),
        "/api/v1/imports/{kind}" => json!({
            "operationId": "pushImport",
            "summary": "Envia um arquivo (CSV ou XLSX) ou um array JSON de linhas para importação; responde com o trabalho",
            "parameters": [
                in_path("kind", "tipo de importação", json!({"type": "string", "enum": Kind::ALL.map(|k| k.as_str())}), json!("occurrences")),
                in_query("profile", "perfil de importação da fonte", false, json!({"type": "string"}), json!("sp-ssp-roubo-veiculos")),
                {"name": "Idempotency-Key", "in": "header", "required": false, "description": "o mesmo valor de novo devolve o primeiro trabalho", "schema": {"type": "string", "maxLength": 200}}
            ],
            "requestBody": {"required": true, "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}},
                    "example": [{"id": "BO-1", "occurred_at": "2026-07-01T10:00:00", "crime": "roubo_veiculo", "territory_code": "5208707"}]}
            }},
            "responses": {"202": {"description": "na fila", "content": {"application/json": {"schema": s.of::<Accepted>()}}}},
        }),
        "/api/v1/jobs/{id}" => json!({
            "operationId": "getJob",
            "summary": "Um trabalho de importação: situação, contagens e, ao fim, o resumo e as linhas rejeitadas",
            "parameters": [in_path("id", "número do trabalho", json!({"type": "integer"}), json!(1))],
            "responses": s.ok::<JobOut>(),
        }),
        "/api/v1/recap/{quarter}" => json!({
            "operationId": "getRecap",
            "summary": "Resultado do RECAP de um trimestre com os dados de hoje (níveis só com o trimestre encerrado)",
            "parameters": [in_path("quarter", "trimestre AAAA-Qn", json!({"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"}), json!("2026-Q2"))],
            "responses": s.ok::<atalaia_core::recap::Report>(),
        }),
        "/api/v1/meetings" => json!({
            "operationId": "listMeetings",
            "summary": "Reuniões do Igesp que quem pede vê (parceiros: as da sua instituição), da mais recente",
            "responses": s.ok::<Vec<MeetingOut>>(),
        }),
        "/api/v1/actions" => json!({
            "operationId": "listActions",
            "summary": "Ações dos planos do Igesp que quem pede vê, com o atraso de hoje",
            "responses": s.ok::<Vec<ActionOut>>(),
        }),
        "/api/v1/actions/{id}/updates" => json!({
            "operationId": "updateAction",
            "summary": "Registra o andamento de uma ação da instituição ou do município de quem envia",
            "parameters": [in_path("id", "número da ação", json!({"type": "integer"}), json!(1))],
            "requestBody": {"required": true, "content": {"application/json": {"schema": s.of::<UpdateIn>(),
                "example": {"note": "Patrulhamento reforçado na praça", "status": "in_progress"}}}},
            "responses": {"201": {"description": "registrado", "content": {"application/json": {"schema": s.of::<UpdateOut>()}}}},
        }),
        "/api/v1/indicators" => json!({
            "operationId": "getIndicators",
            "summary": "Ocorrências e vítimas de cada crime numa área (um estado: seus municípios) num período",
            "parameters": [
                in_query("area", "código da área", true, json!({"type": "string"}), json!("5208707")),
                in_query("from", "primeiro dia", true, json!({"type": "string", "format": "date"}), json!("2026-01-01")),
                in_query("to", "último dia", true, json!({"type": "string", "format": "date"}), json!("2026-03-31"))
            ],
            "responses": s.ok::<Indicators>(),
        }),
        "/api/v1/ipei/{month}" => json!({
            "operationId": "getIpei",
            "summary": "Resultado do IPEI de um mês com os dados de hoje (pagamentos só com o mês encerrado), com a memória de cálculo",
            "parameters": [in_path("month", "mês AAAA-MM", json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}), json!("2026-05"))],
            "responses": s.ok::<atalaia_core::ipei::IpeiReport>(),
        }),
        "/api/v1/recap/runs" | "/api/v1/ipei/runs" => json!({
            "operationId": if path.contains("recap") { "listRecapRuns" } else { "listIpeiRuns" },
            "summary": "Execuções salvas do programa, da mais recente (quem lê execuções inteiras)",
            "responses": s.ok::<Vec<RunSummary>>(),
        }),
        "/api/v1/recap/runs/{id}" | "/api/v1/ipei/runs/{id}" => json!({
            "operationId": if path.contains("recap") { "getRecapRun" } else { "getIpeiRun" },
            "summary": "Uma execução salva: o resultado selado (bytes e SHA-256), se o recálculo o reproduz, a configuração e a memória de cálculo",
            "parameters": [in_path("id", "número da execução", json!({"type": "integer"}), json!(1))],
            "responses": s.ok::<RunOut>(),
        }),
        "/api/v1/territories/{code}" => json!({
            "operationId": "getTerritory",
            "summary": "Um território com seu contorno (GeoJSON), na versão vigente na data",
            "parameters": [
                in_path("code", "código do território", json!({"type": "string"}), json!("5208707")),
                in_query("date", "data da versão (padrão: hoje)", false, json!({"type": "string", "format": "date"}), json!("2026-06-30"))
            ],
            "responses": s.ok::<TerritoryShape>(),
        }),
        "/api/v1/hotspots" => json!({
            "operationId": "getHotspots",
            "summary": "Zonas quentes (Gi*) de uma área, com os mesmos parâmetros e limites da página",
            "parameters": [
                in_query("area", "código da área (padrão: o município do escopo com mais ocorrências)", false, json!({"type": "string"}), json!("5208707")),
                in_query("de", "primeiro mês", false, json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}), json!("2026-01")),
                in_query("ate", "último mês", false, json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}), json!("2026-06")),
                in_query("crime", "crime do catálogo (repita para vários)", false, json!({"type": "string"}), json!("roubo_transeunte")),
                in_query("celula", "lado da célula, metros", false, json!({"type": "number"}), json!(500)),
                in_query("forma", "forma da célula", false, json!({"enum": ["quadrado", "hexagono"]}), json!("quadrado")),
                in_query("vizinhanca", "vizinhança", false, json!({"enum": ["rainha", "distancia"]}), json!("rainha")),
                in_query("distancia", "raio da vizinhança por distância, metros", false, json!({"type": "number"}), json!(1000)),
                in_query("inferencia", "inferência", false, json!({"enum": ["analitica", "permutacao"]}), json!("analitica")),
                in_query("fdr", "corrigir p por FDR", false, json!({"enum": ["sim", "nao"]}), json!("sim")),
                in_query("raio", "raio do KDE, metros", false, json!({"type": "number"}), json!(800))
            ],
            "responses": s.ok::<Hotspots>(),
        }),
        "/api/v1/selection" => json!({
            "operationId": "getSelection",
            "summary": "Seleção de municípios: a tabela ordenada e explicável, com os pesos dados",
            "parameters": selection_parameters(),
            "responses": s.ok::<Selection>(),
        }),
        "/api/v1/occurrences" => json!({
            "operationId": "listOccurrences",
            "summary": "Ocorrências do escopo de quem pede, da mais recente, por cursor",
            "parameters": [
                in_query("de", "primeiro dia", false, json!({"type": "string", "format": "date"}), json!("2026-01-01")),
                in_query("ate", "último dia", false, json!({"type": "string", "format": "date"}), json!("2026-06-30")),
                in_query("crime", "crime do catálogo", false, json!({"type": "string"}), json!("roubo_veiculo")),
                in_query("area", "código da área", false, json!({"type": "string"}), json!("5208707")),
                in_query("limit", "quantas no máximo", false, json!({"type": "integer", "minimum": 1, "maximum": OCCURRENCES_MAX}), json!(100)),
                in_query("cursor", "o `next_cursor` da página anterior", false, json!({"type": "string"}), json!("1000000"))
            ],
            "responses": s.ok::<Page<atalaia_store::occurrences::OccurrenceRow>>(),
        }),
        _ => json!({"summary": "", "responses": {"200": {"description": "OK"}}}),
    }
}
