//! Security findings of issue 17, each as the request that showed it: unbounded analyses, reads outside
//! the requester's scope, and the rest of the list.

use super::*;
use atalaia_store::testing::TestDb;

/// A demo database (5 % scale) with the clock on 2026-10-01, and its state (to reach the analysis slots).
async fn demo_app() -> (TestDb, App, AppState) {
    let t = TestDb::sqlite().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    atalaia_demo::load_scaled(&t.db, 7872, today, 0.05)
        .await
        .unwrap();
    let config = WebConfig {
        clock: atalaia_web::Clock::fixed(today.and_hms_opt(15, 0, 0).unwrap()),
        analysis_wait: std::time::Duration::from_millis(200),
        ..test_config()
    };
    atalaia_web::demo_users::ensure(&t.db, PasswordCost::TEST)
        .await
        .unwrap();
    let state = AppState::new(t.db.clone(), config);
    let app = App {
        router: atalaia_web::router(state.clone()),
        db: t.db.clone(),
    };
    (t, app, state)
}

/// The GET that took the server past 10 GB (a 10,000 km distance band) and its siblings: each number a
/// user can send is refused with a 400 naming its bound, before the analysis is laid. (The kernel's
/// bound depends on the number of occurrences: `atalaia_spatial::budget`'s tests hold it.)
#[tokio::test]
async fn every_analysis_number_is_bounded() {
    let (t, app, _) = demo_app().await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let base = "area=5208707&de=2025-10&ate=2026-09";
    let cases = [
        (
            "vizinhanca=distancia&distancia=10000000",
            "distância de vizinhança de 10000000 m fora do intervalo aceito: até 5000 m",
        ),
        (
            "celula=1",
            "tamanho de célula de 1 m fora do intervalo aceito: de 25 m a 50000 m",
        ),
        (
            "celula=30",
            "acima do limite de 200000; use células maiores",
        ),
        (
            "celula=300&vizinhanca=distancia&distancia=5000",
            "acima do limite de 4000000; use uma distância menor ou células maiores",
        ),
        (
            "raio=1000000",
            "raio da densidade de 1000000 m fora do intervalo aceito: até 10000 m",
        ),
        (
            "celula=300&vizinhanca=distancia&distancia=1200&inferencia=permutacao",
            "999 permutações sobre",
        ),
    ];
    for (extra, message) in cases {
        for path in [
            "/zonas-quentes",
            "/zonas-quentes/celulas.csv",
            "/zonas-quentes/celulas.geojson",
        ] {
            let r = app
                .get(&format!("{path}?{base}&{extra}"), Some(&cookie))
                .await;
            assert_eq!(r.status, 400, "{path}?{extra}: {}", r.body);
            let text = r.body.replace("&#x27;", "'");
            assert!(text.contains(message), "{path}?{extra}: {text}");
        }
    }
    // The months of the series: 120 months of 100 m cells are 165,924 × 120 values.
    let r = app
        .get(
            "/zonas-quentes/celulas.csv?area=5208707&de=2016-10&ate=2026-09&celula=100",
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("meses passam do limite de 3000000 valores"));
    // Within the bounds the analysis answers.
    let r = app
        .get(
            &format!("/zonas-quentes/celulas.csv?{base}&celula=500"),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.cleanup().await.unwrap();
}

/// Analyses queue for a few slots: while every slot is taken, another analysis waits, then gets a 503
/// with `Retry-After`, and the rest of the application keeps answering.
#[tokio::test]
async fn analyses_wait_for_a_slot_and_the_rest_answers() {
    let (t, app, state) = demo_app().await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let held = state
        .analyses
        .clone()
        .acquire_many_owned(atalaia_web::ANALYSES_AT_ONCE as u32)
        .await
        .unwrap();
    for path in [
        "/zonas-quentes/celulas.csv?area=5208707&celula=500",
        "/zonas-quentes?area=5208707&celula=500",
        "/avaliacao?area=5208707&inicio=2025-01-01",
        "/municipios/selecao",
    ] {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, 503, "{path}: {}", r.body);
        assert_eq!(r.headers["retry-after"], "10", "{path}");
        assert!(r.body.contains("Servidor ocupado"), "{path}");
    }
    assert_eq!(app.get("/health", None).await.status, 200);
    assert_eq!(app.get("/", Some(&cookie)).await.status, 200);
    drop(held);
    let r = app
        .get(
            "/zonas-quentes/celulas.csv?area=5208707&celula=500",
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.cleanup().await.unwrap();
}
