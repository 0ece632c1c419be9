//! The API as an outside program uses it: a Python client that knows only the OpenAPI document (its
//! operation ids, servers, parameters and schemas) validates the document with a standard validator
//! (`openapi-spec-validator`), signs in with an API key, pushes an occurrence file, polls the job and
//! reads the quarter's RECAP, checking every answer against its schema (`jsonschema`). Then the pushes'
//! idempotency and problems, request by request.

use axum::body::Body;
use axum::http::{Request, header};

use super::*;

/// An API key of `role` for SSP-GO, made through the administrator's page.
pub(crate) async fn api_key(app: &App, role: &str) -> String {
    api_key_of(app, role, "SSP-GO").await
}

/// An API key of `role` for the institution `code`, made through the administrator's page.
pub(crate) async fn api_key_of(app: &App, role: &str, code: &str) -> String {
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let csrf = app.csrf(&admin).await;
    let inst = institution_id(&app.db, code).await;
    let r = app
        .post_form(
            "/admin/chaves-api",
            Some(&admin),
            &format!("csrf_token={csrf}&nome=Sistema+{role}&instituicao={inst}&papel={role}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let at = r.body.find("atk_").unwrap();
    r.body[at..].chars().take(4 + 64).collect()
}

/// Three occurrences of July 2026 in Goiânia, new to the demo.
const OCCURRENCES: &str = "id,occurred_at,crime,territory_code\nAPI-1,2026-07-01T10:00:00,roubo_veiculo,5208707\nAPI-2,2026-07-02T11:00:00,roubo_veiculo,5208707\nAPI-3,2026-07-03T12:00:00,furto_veiculo,5208707\n";

const CLIENT: &str = r##"
import json, sys, time
import requests
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

# The records system's key pushes; the committee's BI key reads the RECAP.
base, key, reader = sys.argv[1], sys.argv[2], sys.argv[4]
doc = requests.get(base + "/api/v1/openapi.json").json()
validate(doc)
api = base + doc["servers"][0]["url"]
ops = {}
for path, methods in doc["paths"].items():
    for method, op in methods.items():
        ops[op["operationId"]] = (method.upper(), path, op)

def schema_of(op, status):
    content = op["responses"][str(status)]["content"]
    schema = next(iter(content.values()))["schema"]
    # The document's own components beside the schema, so its `#/components/schemas/…` refs resolve.
    return {"components": doc["components"], **schema}

def call(op_id, params, body=None, headers=None, expect=200, as_key=None):
    method, path, op = ops[op_id]
    r = requests.request(method, api + path.format(**params), data=body,
                         headers={"Authorization": "Bearer " + (as_key or key), **(headers or {})})
    assert r.status_code == expect, (op_id, r.status_code, r.text)
    value = r.json()
    Draft202012Validator(schema_of(op, expect)).validate(value)
    return value

me = call("getMe", {})
pushed = call("pushImport", {"kind": "occurrences"}, body=open(sys.argv[3], "rb").read(),
              headers={"Content-Type": "text/csv", "Idempotency-Key": "lote-2026-07"}, expect=202)
for _ in range(600):
    job = call("getJob", {"id": pushed["job"]})
    if job["ended"]:
        break
    time.sleep(0.1)
again = call("pushImport", {"kind": "occurrences"}, body=open(sys.argv[3], "rb").read(),
             headers={"Content-Type": "text/csv", "Idempotency-Key": "lote-2026-07"}, expect=202)
refused = call("getRecap", {"quarter": "2026-Q3"}, expect=403)
recap = call("getRecap", {"quarter": "2026-Q3"}, as_key=reader)
print(json.dumps({"roles": me["roles"], "job": job, "again": again, "refused": refused, "recap": recap}))
"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_written_from_the_openapi_document_pushes_polls_and_reads_recap() {
    let today = ymd(2026, 11, 20);
    let t = atalaia_store::testing::TestDb::sqlite().await.unwrap();
    let config = demo_config(&t.db, today, 0.01).await;
    let app = App::new(t.db.clone(), config.clone()).await;
    let analyst = api_key(&app, "analyst").await;
    let committee = api_key(&app, "committee").await;
    let base = format!("http://{}", serve(t.db.clone(), config).await);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ocorrencias.csv");
    std::fs::write(&file, OCCURRENCES).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", CLIENT, &base, &analyst])
            .arg(&file)
            .arg(&committee)
            .output()
    })
    .await
    .unwrap();
    let Some(out) = python_output(out) else {
        return;
    };
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["roles"], serde_json::json!(["analyst"]));
    assert_eq!(v["job"]["state"], "done", "{}", v["job"]);
    assert_eq!(v["job"]["summary"]["inserted"], 3);
    assert_eq!(v["job"]["summary"]["rejected"], 0);
    // The retry with the same key found the first job.
    assert_eq!(v["again"]["job"], v["job"]["id"]);
    assert_eq!(v["again"]["replayed"], true);
    // The pushing key may not read RECAP: a problem, as the document says.
    assert_eq!(v["refused"]["status"], 403);
    // The RECAP read is the one the program computes, the pushed robberies counted.
    let expected =
        t.db.compute_quarter(
            atalaia_core::Quarter::parse("2026-Q3").unwrap(),
            None,
            today,
        )
        .await
        .unwrap()
        .report;
    assert_eq!(
        rounded(&v["recap"]),
        rounded(&serde_json::to_value(&expected).unwrap())
    );
}

/// Every route of the API in the route table, called by a key of each role through the OpenAPI
/// document alone (`api_walk.py`): each answer's status is one the document lists for the operation
/// and its body is valid under that status's schema; every route answers 2xx to some role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_answers_as_its_schema_says() {
    let today = ymd(2026, 11, 20);
    let t = atalaia_store::testing::TestDb::sqlite().await.unwrap();
    let config = demo_config(&t.db, today, 0.01).await;
    let app = App::new(t.db.clone(), config.clone()).await;
    let mut keys = serde_json::Map::new();
    for role in ["analyst", "committee", "coordinator", "auditor"] {
        keys.insert(role.into(), api_key(&app, role).await.into());
    }
    keys.insert(
        "partner".into(),
        api_key_of(&app, "partner", "MPGO").await.into(),
    );
    // What the ids of the document's examples must name: a saved run of each program, a job and an
    // action the partner's institution takes part in.
    let (committee, csrf) = recap_run_saved(&app).await;
    app.post_ok(
        "/ipei/execucoes",
        &committee,
        &format!("csrf_token={csrf}&mes=2026-10"),
    )
    .await;
    let run = |kind| {
        let db = t.db.clone();
        async move { db.saved_runs(kind, None).await.unwrap()[0].id }
    };
    let recap_run = run(atalaia_core::cycle::CycleKind::Recap).await;
    let ipei_run = run(atalaia_core::cycle::CycleKind::Ipei).await;
    let mpgo = institution_id(&t.db, "MPGO").await;
    let action =
        t.db.actions()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.institution_ids().contains(&mpgo))
            .expect("the demo has an action with MPGO")
            .id;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ocorrencias.csv");
    std::fs::write(&file, OCCURRENCES).unwrap();
    // A job to read: the analyst's push of the same file.
    let analyst = keys["analyst"].as_str().unwrap().to_string();
    let pushed = app
        .send(
            Request::post("/api/v1/imports/occurrences")
                .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(OCCURRENCES))
                .unwrap(),
        )
        .await;
    assert_eq!(pushed.status, 202, "{}", pushed.body);
    let job: serde_json::Value = serde_json::from_str(&pushed.body).unwrap();
    let overrides = serde_json::json!({
        "getJob": {"id": job["job"]},
        "getRecapRun": {"id": recap_run},
        "getIpeiRun": {"id": ipei_run},
        "updateAction": {"id": action},
    });
    let base = format!("http://{}", serve(t.db.clone(), config).await);
    let keys = serde_json::Value::Object(keys).to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", include_str!("api_walk.py"), &base, &keys])
            .arg(overrides.to_string())
            .arg(&file)
            .output()
    })
    .await
    .unwrap();
    let Some(out) = python_output(out) else {
        return;
    };
    let seen: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u16>> =
        serde_json::from_slice(&out).unwrap();
    let table: Vec<String> = atalaia_web::routes::routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| format!("{} {}", r.method.as_str(), r.path))
        .collect();
    assert_eq!(
        seen.keys().cloned().collect::<Vec<_>>(),
        {
            let mut t = table.clone();
            t.sort();
            t
        },
        "the document has every route of the table, and no other"
    );
    for (route, statuses) in &seen {
        assert!(
            statuses.values().any(|s| (200..300).contains(s)),
            "{route}: no role was answered: {statuses:?}"
        );
    }
    // The scope of reads, as the pages have it: a partner reads no RECAP run, nor occurrences.
    assert_eq!(seen["GET /api/v1/recap/runs/{id}"]["partner"], 403);
    assert_eq!(seen["GET /api/v1/recap/runs/{id}"]["auditor"], 200);
    assert_eq!(seen["GET /api/v1/occurrences"]["partner"], 403);
    assert_eq!(seen["POST /api/v1/actions/{id}/updates"]["partner"], 201);
}

/// The standard output of a Python client that succeeded; `None` (the test not run) when Python or
/// its packages are missing and the environment does not require them.
fn python_output(out: std::io::Result<std::process::Output>) -> Option<Vec<u8>> {
    let required = std::env::var_os("ATALAIA_TEST_REQUIRE_PYTHON_CLIENTS").is_some();
    let out = match out {
        Err(e) if !required => {
            println!("API client: not run (python3: {e})");
            return None;
        }
        Err(e) => panic!("python3: {e}"),
        Ok(o) => o,
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named") && !required {
        println!("API client: not run (pip install requests jsonschema openapi-spec-validator)");
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    Some(out.stdout)
}

/// `v` with every fractional number to 9 decimals: serde_json's default parser may read a float one
/// unit in the last place from the text Python wrote.
fn rounded(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            serde_json::json!((n.as_f64().unwrap() * 1e9).round() / 1e9)
        }
        serde_json::Value::Array(a) => a.iter().map(rounded).collect(),
        serde_json::Value::Object(o) => o.iter().map(|(k, x)| (k.clone(), rounded(x))).collect(),
        other => other.clone(),
    }
}

async fn send(app: &App, req: Request<Body>) -> (u16, String, serde_json::Value) {
    let r = app.send(req).await;
    let kind = r
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        r.status,
        kind,
        serde_json::from_str(&r.body).unwrap_or_default(),
    )
}

#[tokio::test]
async fn pushes_answer_problems_and_json_rows_import_like_a_file() {
    let (t, app) = demo_app(ymd(2026, 11, 20), 0.01).await;
    let key = api_key(&app, "analyst").await;
    let post = |path: &str, kind: &str, body: &str| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, kind)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, kind, p) =
        send(&app, post("/api/v1/imports/boletins", "text/csv", "a\n1\n")).await;
    assert_eq!((status, kind.as_str()), (400, "application/problem+json"));
    assert_eq!(p["status"], 400);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("tipo de importação `boletins` desconhecido")
    );
    let (status, _, p) = send(
        &app,
        post(
            "/api/v1/imports/occurrences",
            "application/json",
            "{\"a\":1}",
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON inválido: esperado um array de linhas"),
        "{p}"
    );
    // Rows as JSON: the same import as a file of their columns.
    let rows = r#"[{"territory_code": "5208707", "year": 2027, "population": 1600000}]"#;
    let (status, _, accepted) = send(
        &app,
        post("/api/v1/imports/population", "application/json", rows),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let job = accepted["job"].as_i64().unwrap();
    let get = || {
        Request::get(format!("/api/v1/jobs/{job}"))
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    let mut state = serde_json::Value::Null;
    for _ in 0..600 {
        let (_, _, s) = send(&app, get()).await;
        state = s;
        if state["ended"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state["summary"]["inserted"], 1, "{state}");
    let (_, pop) = t.db.population_for("5208707", 2027).await.unwrap().unwrap();
    assert_eq!(pop, 1_600_000);
    let missing = Request::get("/api/v1/jobs/999999")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap();
    let (status, kind, _) = send(&app, missing).await;
    assert_eq!((status, kind.as_str()), (404, "application/problem+json"));
}

/// Reads carry an ETag; a client that has that version gets 304 and no body, until the data change.
#[tokio::test]
async fn reads_answer_304_while_nothing_changed() {
    let (t, app) = demo_app(ymd(2026, 11, 20), 0.01).await;
    let key = api_key(&app, "analyst").await;
    let get = |path: &str, tag: Option<&str>| {
        let mut b = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {key}"));
        if let Some(t) = tag {
            b = b.header(header::IF_NONE_MATCH, t);
        }
        b.body(Body::empty()).unwrap()
    };
    for path in ["/api/v1/territories", "/ogc/collections/aisp/items?limit=5"] {
        let first = app.send(get(path, None)).await;
        assert_eq!(first.status, 200, "{path}");
        let tag = first
            .headers
            .get(header::ETAG)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let again = app.send(get(path, Some(&tag))).await;
        assert_eq!((again.status, again.body.as_str()), (304, ""), "{path}");
        let other = app.send(get(path, Some("\"outra\""))).await;
        assert_eq!(other.status, 200, "{path}");
    }
    // A new territory changes the list: the old tag no longer matches.
    let first = app.send(get("/api/v1/territories", None)).await;
    let tag = first
        .headers
        .get(header::ETAG)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    import_text(
        &t.db,
        atalaia_ingest::Kind::Territories,
        "nova.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"code":"NOVA","name":"Nova","kind":"aisp"}}]}"#,
        ymd(2026, 11, 20),
    )
    .await;
    assert_eq!(
        app.send(get("/api/v1/territories", Some(&tag)))
            .await
            .status,
        200
    );
}

/// A partner institution's key reads the meetings and actions its institution takes part in — what its
/// people see on the pages — and never an internal meeting.
#[tokio::test]
async fn a_partner_key_reads_its_institution_s_meetings_and_actions() {
    let (_t, app) = demo_app(ymd(2026, 11, 20), 0.02).await;
    let partner = api_key_of(&app, "partner", "MPGO").await;
    let partner_key = partner.clone();
    let analyst = api_key(&app, "analyst").await;
    let read = |path: &'static str, key: String| {
        let app = &app;
        async move {
            let r = app
                .send(
                    Request::get(path)
                        .header(header::AUTHORIZATION, format!("Bearer {key}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            serde_json::from_str::<Vec<serde_json::Value>>(&r.body).unwrap()
        }
    };
    let ids = |v: &[serde_json::Value]| -> std::collections::BTreeSet<i64> {
        v.iter().map(|x| x["id"].as_i64().unwrap()).collect()
    };
    // The partner's people (parceiro, MPGO) on the pages.
    let person = app.login("parceiro", "demo-parceiro-7872").await.unwrap();
    let page = app.get_ok("/reunioes", &person).await;
    let meetings = read("/api/v1/meetings", partner.clone()).await;
    assert!(!meetings.is_empty());
    for m in &meetings {
        assert_ne!(m["kind"], "internal", "{m}");
        page.assert_has(&format!("<a href=\"/reunioes/{}\">", m["id"]));
    }
    assert_eq!(
        meetings.len(),
        page.body.matches("<td><a href=\"/reunioes/").count()
    );
    let page = app.get_ok("/acoes?situacao=todas", &person).await;
    let actions = read("/api/v1/actions", partner).await;
    assert_eq!(
        actions.len(),
        page.body.matches("<td><a href=\"/acoes/").count()
    );
    for a in &actions {
        page.assert_has(&format!("<a href=\"/acoes/{}\">", a["id"]));
    }
    // The partner records progress on one of its actions, as on the page; another's is a 404.
    let post = |path: String, body: &'static str| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {partner_key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let mine = actions[0]["id"].as_i64().unwrap();
    let (status, _, made) = send(
        &app,
        post(
            format!("/api/v1/actions/{mine}/updates"),
            r#"{"note": "Audiência de custódia marcada pelo sistema do MP", "status": "in_progress"}"#,
        ),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["action"], mine);
    let action_page = app.get_ok(&format!("/acoes/{mine}"), &person).await;
    action_page.assert_has("Audiência de custódia marcada pelo sistema do MP");
    let hidden = all_ids_minus(&app, &analyst, &actions).await;
    let (status, kind, _) = send(
        &app,
        post(
            format!("/api/v1/actions/{hidden}/updates"),
            r#"{"note": "x"}"#,
        ),
    )
    .await;
    assert_eq!((status, kind.as_str()), (404, "application/problem+json"));
    let (status, _, p) = send(
        &app,
        post(
            format!("/api/v1/actions/{mine}/updates"),
            r#"{"note": "x", "status": "talvez"}"#,
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("status `talvez` inválido"),
        "{p}"
    );
    // Who sees every municipality's reads more.
    let all = read("/api/v1/actions", analyst.clone()).await;
    assert!(ids(&all).is_superset(&ids(&actions)) && all.len() > actions.len());
    assert!(
        read("/api/v1/meetings", analyst)
            .await
            .iter()
            .any(|m| m["kind"] == "internal")
    );
}

/// An action the analyst's key reads and that is not among `seen`.
async fn all_ids_minus(app: &App, key: &str, seen: &[serde_json::Value]) -> i64 {
    let r = app
        .send(
            Request::get("/api/v1/actions")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let all: Vec<serde_json::Value> = serde_json::from_str(&r.body).unwrap();
    all.iter()
        .map(|a| a["id"].as_i64().unwrap())
        .find(|id| !seen.iter().any(|s| s["id"] == *id))
        .unwrap()
}

/// Indicators of an area and period, counted here from the occurrences themselves; IPEI as the
/// program computes it; bad periods and unknown areas named.
#[tokio::test]
async fn indicators_and_ipei_read_what_the_program_counts() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.02).await;
    let analyst = api_key(&app, "analyst").await;
    let committee = api_key(&app, "committee").await;
    let get = |path: &str, key: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, v) = send(
        &app,
        get(
            "/api/v1/indicators?area=5208707&from=2026-07-01&to=2026-09-30",
            &analyst,
        ),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let atalaia_store::Db::Sqlite(pool) = &t.db else {
        unreachable!("the demo app is on SQLite")
    };
    let counted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM occurrences WHERE occurred_at >= '2026-07-01' AND occurred_at < '2026-10-01'
         AND '|' || areas || '|' LIKE '%|5208707|%'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(counted > 0);
    assert_eq!(v["occurrences"], counted);
    let by_crime: i64 = v["crimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["occurrences"].as_i64().unwrap())
        .sum();
    assert_eq!(by_crime, counted);
    for (path, status, says) in [
        (
            "/api/v1/indicators?area=5208707&from=2026-09-30&to=2026-07-01",
            400,
            "período de 2026-09-30 a 2026-07-01 inválido",
        ),
        (
            "/api/v1/indicators?area=NENHUMA&from=2026-07-01&to=2026-09-30",
            404,
            "a área `NENHUMA`",
        ),
        ("/api/v1/ipei/2026-13", 400, "mês `2026-13` inválido"),
        // A period not begun: the program's own refusal, as the pages give it.
        ("/api/v1/recap/2027-Q2", 400, "2027"),
    ] {
        let key = if path.contains("ipei") || path.contains("recap") {
            &committee
        } else {
            &analyst
        };
        let (got, kind, p) = send(&app, get(path, key)).await;
        assert_eq!(
            (got, kind.as_str()),
            (status, "application/problem+json"),
            "{path}"
        );
        assert!(p["detail"].as_str().unwrap().contains(says), "{path}: {p}");
    }
    let (status, _, ipei) = send(&app, get("/api/v1/ipei/2026-10", &committee)).await;
    assert_eq!(status, 200, "{ipei}");
    let expected =
        t.db.ipei_result(atalaia_core::Month::parse("2026-10").unwrap(), today)
            .await
            .unwrap();
    assert_eq!(ipei["total_cents"], expected.total_cents);
    assert_eq!(ipei["memoria"], serde_json::json!(expected.memoria));
    assert_eq!(
        send(&app, get("/api/v1/ipei/2026-10", &analyst)).await.0,
        403
    );
}

/// A GET with an API key, its status and JSON body.
async fn read(app: &App, key: &str, path: &str) -> (u16, serde_json::Value) {
    let (status, _, v) = send(
        app,
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    (status, v)
}

#[tokio::test]
async fn occurrences_page_by_cursor_and_runs_and_hot_spots_read_as_the_pages() {
    let (t, app) = demo_app(ymd(2026, 11, 20), 0.01).await;
    let analyst = api_key(&app, "analyst").await;
    // Every occurrence of Goiânia's first half-year, 37 at a time: each once, as many as the store has.
    let filter = "area=5208707&de=2026-01-01&ate=2026-06-30";
    let (mut ids, mut cursor, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let (status, page) = read(
            &app,
            &analyst,
            &format!("/api/v1/occurrences?{filter}&limit=37{cursor}"),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 37);
        ids.extend(items.iter().map(|o| o["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let expected =
        t.db.occurrences_page(&atalaia_store::occurrences::OccurrenceFilter {
            crime: None,
            from: Some(ymd(2026, 1, 1)),
            to: Some(ymd(2026, 6, 30)),
            area: Some("5208707".into()),
            allowed_areas: None,
            before_id: None,
            limit: i64::MAX,
        })
        .await
        .unwrap();
    assert!(
        expected.len() > 37,
        "more than one page: {}",
        expected.len()
    );
    assert_eq!(pages, expected.len() / 37 + 1);
    assert_eq!(ids, expected.iter().map(|o| o.id).collect::<Vec<_>>());
    // A size beyond the bound is refused before anything is read.
    let (status, p) = read(&app, &analyst, "/api/v1/occurrences?limit=1001").await;
    assert_eq!(status, 400);
    assert!(p["detail"].as_str().unwrap().contains("de 1 a 1000"), "{p}");

    // A territory comes with the outline the store keeps for its version in force.
    let (status, goiania) = read(&app, &analyst, "/api/v1/territories/5208707").await;
    assert_eq!(status, 200, "{goiania}");
    let stored = t.db.territory("5208707").await.unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(stored.last().unwrap().geometry.as_deref().unwrap()).unwrap();
    assert_eq!(goiania["geometry"], stored);
    assert_eq!(goiania["name"], "Goiânia");
    let (status, p) = read(
        &app,
        &analyst,
        "/api/v1/territories/5208707?date=31-12-2026",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("esperado AAAA-MM-DD"),
        "{p}"
    );

    // The hot spots are the page's cells for the same parameters.
    let q = "area=5208707&de=2026-01&ate=2026-06&celula=500";
    let (status, api) = read(&app, &analyst, &format!("/api/v1/hotspots?{q}")).await;
    assert_eq!(status, 200, "{api}");
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let page: serde_json::Value = serde_json::from_str(
        &app.get_ok(&format!("/zonas-quentes/celulas.geojson?{q}"), &cookie)
            .await
            .body,
    )
    .unwrap();
    let features = page["features"].as_array().unwrap();
    let cells = api["cells"].as_array().unwrap();
    assert_eq!(cells.len(), features.len());
    assert!(!cells.is_empty());
    for (c, f) in cells.iter().zip(features) {
        assert_eq!(c["id"], f["properties"]["id"]);
        assert_eq!(c["count"], f["properties"]["count"]);
    }
    assert_eq!(api["cell_m"], 500.0);

    // A saved run: its sealed bytes hash to its SHA-256, it reproduces, and its memória is there.
    recap_run_saved(&app).await;
    let auditor = api_key(&app, "auditor").await;
    let (status, runs) = read(&app, &auditor, "/api/v1/recap/runs").await;
    assert_eq!(status, 200, "{runs}");
    let run_id = runs[0]["id"].as_i64().unwrap();
    assert_eq!(runs[0]["period"], "2026-Q3");
    let (status, run) = read(&app, &auditor, &format!("/api/v1/recap/runs/{run_id}")).await;
    assert_eq!(status, 200, "{run}");
    use sha2::Digest;
    let bytes = run["result_json"].as_str().unwrap();
    assert_eq!(
        run["result_sha256"],
        hex::encode(sha2::Sha256::digest(bytes.as_bytes()))
    );
    assert_eq!(run["reproduces"], true);
    assert_eq!(run["result"]["quarter"], "2026-Q3");
    assert!(!run["memoria"].as_array().unwrap().is_empty());
    // A run that does not exist is a problem 404, as the document lists.
    let (status, _) = read(&app, &auditor, "/api/v1/ipei/runs/999").await;
    assert_eq!(status, 404);
    t.cleanup().await.unwrap();
}

/// The committee saves a RECAP run of 2026-Q3 through its page; its session and form token.
async fn recap_run_saved(app: &App) -> (String, String) {
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let csrf = app.csrf(&committee).await;
    app.post_ok(
        "/recap/execucoes",
        &committee,
        &format!("csrf_token={csrf}&trimestre=2026-Q3"),
    )
    .await;
    (committee, csrf)
}
