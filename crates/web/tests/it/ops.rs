//! `/health`, `/ready` and `/metrics`: who may read the metrics, and that they count what happened.

use crate::{demo_app, ymd};
use std::net::SocketAddr;

use atalaia_store::testing::TestDb;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};

use crate::{App, Reply, test_config};

/// A request to `/metrics` from `peer`, with an API key when given.
fn scrape(peer: &str, key: Option<&str>) -> Request<Body> {
    let mut b = Request::get("/metrics");
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let mut req = b.body(Body::empty()).unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

/// Scrapes `/metrics` as Prometheus beside the server would (from loopback).
pub(crate) async fn local_metrics(app: &App) -> String {
    let r = app.send(scrape("127.0.0.1:40000", None)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The value of the sample `series` (name and labels exactly as printed) in a scrape.
pub(crate) fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
        .parse()
        .unwrap()
}

/// An API key of `role` for the MP, made through the page as an administrator would.
async fn key_of(app: &App, admin: &str, role: &str) -> String {
    let csrf = app.csrf(admin).await;
    let inst = crate::institution_id(&app.db, "MPGO").await;
    let r = app
        .post_form(
            "/admin/chaves-api",
            Some(admin),
            &format!("csrf_token={csrf}&nome=Prometheus+{role}&instituicao={inst}&papel={role}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let at = r.body.find("atk_").unwrap_or_else(|| panic!("{}", r.body));
    r.body[at..].chars().take(4 + 64).collect()
}

#[tokio::test]
async fn metrics_open_to_loopback_and_to_keys_that_grant_them() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let metrics_key = key_of(&app, &admin, "metrics").await;
    let analyst_key = key_of(&app, &admin, "analyst").await;

    let status = |r: Reply| (r.status, r.headers.get(header::CONTENT_TYPE).cloned());
    // From another machine: a key is needed, and only one whose role grants `metrics`; machine
    // clients get JSON answers (RFC 9457 problem details), never the sign-in page.
    let (code, kind) = status(app.send(scrape("10.1.2.3:5000", None)).await);
    assert_eq!(code, 401);
    assert_eq!(kind.unwrap(), "application/problem+json");
    assert_eq!(
        app.send(scrape("10.1.2.3:5000", Some(&analyst_key)))
            .await
            .status,
        403
    );
    assert_eq!(
        app.send(scrape("10.1.2.3:5000", Some("atk_wrong")))
            .await
            .status,
        401
    );
    let (code, kind) = status(app.send(scrape("10.1.2.3:5000", Some(&metrics_key))).await);
    assert_eq!(code, 200);
    assert_eq!(kind.unwrap(), "text/plain; version=0.0.4; charset=utf-8");
    // A metrics key opens nothing else, not even the API's "who am I".
    let me = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {metrics_key}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(me).await.status, 401);
    // The key list says what it is for.
    assert!(
        app.get_ok("/admin/chaves-api", &admin)
            .await
            .body
            .contains("Monitoramento (só métricas do servidor)")
    );
    // From the machine itself, no key; an administrator's session also reads them.
    assert_eq!(app.send(scrape("[::1]:5000", None)).await.status, 200);
    // But not what a proxy on this machine forwards: it connects from loopback for everyone.
    let mut forwarded = scrape("127.0.0.1:5000", None);
    forwarded
        .headers_mut()
        .insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
    assert_eq!(app.send(forwarded).await.status, 401);
    assert_eq!(app.get("/metrics", Some(&admin)).await.status, 200);
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    assert_eq!(app.get("/metrics", Some(&analyst)).await.status, 403);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_imports_from_the_database() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    for path in [
        "/territorios/5208707",
        "/territorios/AISP1",
        "/territorios/AISP1",
    ] {
        app.get_ok(path, &analyst).await;
    }
    app.get("/territorios/NADA", Some(&analyst)).await;
    app.get("/nao-existe", None).await;
    app.get("/outra-que-nao-existe", None).await;
    let text = local_metrics(&app).await;

    // Three pages of one template are one series; a missing territory is its own status; unknown
    // paths are one series whatever was asked.
    let route = |status: u16| {
        format!(
            r#"atalaia_http_requests_total{{method="GET",route="/territorios/{{code}}",status="{status}"}}"#
        )
    };
    assert_eq!(sample(&text, &route(200)), 3.0);
    assert_eq!(sample(&text, &route(404)), 1.0);
    assert_eq!(
        sample(
            &text,
            r#"atalaia_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"atalaia_http_request_duration_seconds_count{method="GET",route="/territorios/{code}"}"#
        ),
        4.0
    );
    assert!(!text.contains("NADA") && !text.contains("nao-existe"));

    // The occurrences the demo imported, counted from the rows the database holds.
    let stored: i64 = sqlx_count(&t.db, "SELECT COUNT(*) FROM occurrences").await;
    assert_eq!(
        sample(
            &text,
            r#"atalaia_import_rows_total{kind="occurrences",fate="inserted"}"#
        ),
        stored as f64
    );
    assert_eq!(
        sample(
            &text,
            r#"atalaia_imports_total{kind="occurrences",state="finished"}"#
        ),
        sqlx_count(
            &t.db,
            "SELECT COUNT(*) FROM imports WHERE kind = 'occurrences'"
        )
        .await as f64
    );
    // The pool's size is reported (its waits are counted by the binary's log layer: the CLI test).
    assert!(sample(&text, "atalaia_db_pool_max_connections") >= 1.0);
    assert_eq!(sample(&text, "atalaia_analysis_slots_free"), 2.0);
    // The data version (the last finished import) and, with the warm-up off here, none warmed.
    let version = sqlx_count(
        &t.db,
        "SELECT MAX(id) FROM imports WHERE finished_at IS NOT NULL",
    )
    .await;
    assert_eq!(sample(&text, "atalaia_data_version"), version as f64);
    assert_eq!(sample(&text, "atalaia_cache_warmed_data_version"), -1.0);
    t.cleanup().await.unwrap();
}

async fn sqlx_count(db: &atalaia_store::Db, sql: &'static str) -> i64 {
    match db {
        atalaia_store::Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        atalaia_store::Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

#[tokio::test]
async fn ready_refuses_a_schema_this_program_does_not_know() {
    for t in TestDb::all().await.unwrap() {
        let app = App::new(t.db.clone(), test_config()).await;
        let r = app.get("/ready", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap(),
            serde_json::json!({"status": "ok", "database": "ok", "migrations": "ok"})
        );
        // A newer Atalaia migrated this database: this server must not take requests over it.
        match &t.db {
            atalaia_store::Db::Sqlite(p) => {
                sqlx::query(
                    "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                     VALUES (99990001, 'de uma versão futura', TRUE, X'00', 1)",
                )
                .execute(p)
                .await
                .unwrap();
            }
            atalaia_store::Db::Pg(p) => {
                sqlx::query(
                    "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                     VALUES (99990001, 'de uma versão futura', TRUE, '\\x00'::bytea, 1)",
                )
                .execute(p)
                .await
                .unwrap();
            }
        }
        let r = app.get("/ready", None).await;
        assert_eq!(r.status, 503, "{}", r.body);
        r.assert_has("migrações de uma versão mais nova do Atalaia: [99990001]");
        // Alive all the same.
        assert_eq!(app.get("/health", None).await.status, 200);
        println!("backend {}: readiness ok", t.label);
        t.cleanup().await.unwrap();
    }
}
