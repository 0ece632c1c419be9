//! Igesp diagnostics over HTTP on both backends (igesp.md §2–3): the hot-spot data of a municipality
//! adds up to its geocoded occurrences, and the municipality selection table, its exports and its
//! recorded, audited decisions.

use super::*;
use atalaia_store::per_backend;
use geo::Contains;

per_backend! {
    async fn hot_spots_add_up_and_the_selection_is_recorded(t) {
        let today = ymd(2026, 10, 1);
        let config = demo_config(&t.db, today, 0.05).await;
        let app = App::new(t.db.clone(), config).await;
        let cookie = app.login("analista", "demo-analista-7872").await.unwrap();

        // Hot spots: every geocoded occurrence of the period inside Goiânia's polygon is either counted
        // in a study cell or reported as in an edge cell; the cells' counts add up.
        let r = app.get_ok("/zonas-quentes/celulas.geojson?area=5208707&de=2026-01&ate=2026-09&celula=1000&crime=roubo_transeunte&crime=furto_transeunte", &cookie).await;
        let fc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let features = fc["features"].as_array().unwrap();
        assert_eq!(fc["properties"]["months"].as_array().unwrap().len(), 9);
        let counted: f64 = features
            .iter()
            .map(|f| f["properties"]["count"].as_f64().unwrap())
            .sum();
        let series_sum: f64 = features
            .iter()
            .flat_map(|f| f["properties"]["series"].as_array().unwrap().clone())
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert_eq!(counted, series_sum);
        let goiania = t.db.territory("5208707").await.unwrap().pop().unwrap();
        let value: serde_json::Value =
            serde_json::from_str(goiania.geometry.as_deref().unwrap()).unwrap();
        let polygon = atalaia_spatial::shapes::to_multipolygon(&value).unwrap();
        let inside =
            t.db.located(
                goiania.bbox.unwrap(),
                ymd(2026, 1, 1),
                ymd(2026, 10, 1),
                &["furto_transeunte".into(), "roubo_transeunte".into()],
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|&(lon, lat, _)| polygon.contains(&geo::Point::new(lon, lat)))
            .count();
        let run =
            t.db.hotspots(&atalaia_store::hotspots::HotspotQuery {
                area: "5208707".into(),
                from: atalaia_core::Month::parse("2026-01").unwrap(),
                to: atalaia_core::Month::parse("2026-09").unwrap(),
                crimes: vec!["furto_transeunte".into(), "roubo_transeunte".into()],
                params: atalaia_spatial::hotspot::Params {
                    cell: Some(1000.0),
                    ..Default::default()
                },
            })
            .await
            .unwrap();
        assert!(inside > 100, "{inside}");
        assert_eq!(counted as usize, run.analysis.points_in);
        assert_eq!(run.analysis.points_in + run.analysis.points_edge, inside);
        // The CSV has one row per cell.
        let r = app.get_ok("/zonas-quentes/celulas.csv?area=5208707&de=2026-01&ate=2026-09&celula=1000&crime=roubo_transeunte&crime=furto_transeunte", &cookie).await;
        assert_eq!(r.body.lines().count(), features.len() + 1);
        assert!(
            r.body
                .starts_with("id,lon,lat,count,z,p,p_fdr,class,emerging,density\n")
        );
        // Bad input is a page that says what was expected.
        let r = app
            .get("/zonas-quentes?area=5208707&celula=-3", Some(&cookie))
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains(
            "tamanho da célula `-3` inválido: esperado um número de metros maior que zero"
        ));
        let r = app
            .get("/zonas-quentes?area=5208707&crime=arrastao", Some(&cookie))
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("crime desconhecido: `arrastao`"));

        // Municipality selection: the table's totals are the aggregates' (Oct 2025 – Sep 2026).
        let r = app.get_ok("/municipios/selecao.csv?ate=2026-09", &cookie).await;
        let mut csv = ::csv::Reader::from_reader(r.body.as_bytes());
        let header = csv.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let rows: Vec<::csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 246);
        let totals =
            t.db.monthly_totals(
                ymd(2025, 10, 1),
                ymd(2026, 10, 1),
            )
            .await
            .unwrap();
        let goiania_total: i64 = totals
            .iter()
            .filter(|m| m.territory_code == "5208707")
            .map(|m| m.occurrences)
            .sum();
        let g = rows
            .iter()
            .find(|r| &r[col("codigo")] == "5208707")
            .unwrap();
        assert_eq!(
            g[col("crimes_12_meses")].parse::<i64>().unwrap(),
            goiania_total
        );
        // Ranks run 1, 2, … down the scores.
        let scores: Vec<f64> = rows
            .iter()
            .filter(|r| !r[col("escore")].is_empty())
            .map(|r| r[col("escore")].parse().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(&rows[0][col("posicao")], "1");
        // A municipality the demo gives no occurrence in 24 months has no data: no rank, no score.
        let totals_24 =
            t.db.monthly_totals(
                ymd(2024, 10, 1),
                ymd(2026, 10, 1),
            )
            .await
            .unwrap();
        let empty: Vec<&::csv::StringRecord> = rows
            .iter()
            .filter(|r| !totals_24.iter().any(|m| m.territory_code == r[col("codigo")]))
            .collect();
        assert!(!empty.is_empty());
        for r in &empty {
            assert_eq!((&r[col("posicao")], &r[col("escore")]), ("", ""), "{r:?}");
        }
        assert_eq!(scores.len(), 246 - empty.len());
        // The page and the workbook.
        let page = app.get_ok("/municipios/selecao?ate=2026-09&peso_cvli=5", &cookie).await;
        assert!(
            page.body
                .contains("Municípios por escore — até setembro de 2026")
        );
        let x = app.get_ok("/municipios/selecao.xlsx?ate=2026-09", &cookie).await;
        assert!(x.bytes.starts_with(b"PK"));
        // A weight out of range.
        let bad = app
            .get("/municipios/selecao?peso_roubos=500", Some(&cookie))
            .await;
        assert_eq!(bad.status, 400);
        bad.assert_has("esperado um número de 0 a 100");

        // Decisions: recorded with the weights and the row, audited; a bad one changes nothing.
        let csrf = hidden(&page.body, "csrf_token");
        let r = app
            .post_form(
                "/municipios/selecao/decisoes",
                Some(&cookie),
                &format!(
                    "csrf_token={csrf}&ate=2026-09&peso_cvli=5&municipio=5208707&decisao=talvez&justificativa=x"
                ),
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(t.db.selection_decisions().await.unwrap().is_empty());
        app.post_ok("/municipios/selecao/decisoes", &cookie, &format!(
                    "csrf_token={csrf}&ate=2026-09&peso_cvli=5&municipio=5208707&decisao=entrar&justificativa=Maior+escore+e+CVLI+em+alta"
                )).await;
        let d = t.db.selection_decisions().await.unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].decision, "enter");
        assert_eq!(d[0].reason, "Maior escore e CVLI em alta");
        assert_eq!(d[0].period_end, "2026-09");
        let w: serde_json::Value = serde_json::from_str(&d[0].weights).unwrap();
        assert_eq!(w["rates"]["violent_lethal"], 5.0);
        let snap: serde_json::Value = serde_json::from_str(&d[0].row_snapshot).unwrap();
        assert_eq!(snap["facts"]["code"], "5208707");
        assert_eq!(snap["total"].as_i64().unwrap(), goiania_total);
        let audit =
            t.db.audit_entries(&atalaia_store::audit::AuditFilter {
                action_prefix: Some("selection.".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].object, "territory:5208707");
        let page = app
            .get("/municipios/selecao?ate=2026-09", Some(&cookie))
            .await;
        assert!(page.body.contains("Maior escore e CVLI em alta"));
        assert!(matches!(
            t.db.verify_audit_chain().await.unwrap(),
            atalaia_store::audit::ChainCheck::Intact { .. }
        ));
    }
}

/// After an import the worker computes the selection's default table itself, and the page reads it;
/// a hot-spot analysis asked twice on the same data runs once; the analysis `/zonas-quentes` opens on
/// and the ones asked last are computed again by the worker after an import.
#[tokio::test]
async fn the_first_pages_after_an_import_find_their_analyses_ready() {
    let t = atalaia_store::testing::TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    let config = atalaia_web::WebConfig {
        warm_analyses: true,
        ..demo_config(&t.db, today, 0.01).await
    };
    atalaia_web::demo_users::ensure(&t.db, atalaia_web::PasswordCost::TEST)
        .await
        .unwrap();
    let state = atalaia_web::AppState::new(t.db.clone(), config);
    let app = App::of_state(state.clone());
    let version = t.db.data_version().await.unwrap();
    let october = atalaia_core::Month::parse("2026-10").unwrap();
    let mut ready = None;
    for _ in 0..600 {
        ready = state.selection_cache.get(version, &october);
        if ready.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ready = ready.expect("the worker did not compute the selection table");
    assert_eq!(*ready, t.db.selection_facts(october).await.unwrap());
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let page = app.get_ok("/municipios/selecao", &analyst).await;
    page.assert_has("Goiânia");

    // The CompStat brief of the home page was computed by the worker: the home page and the bulletin
    // of the same area read it.
    assert_eq!(state.brief_cache.len(), 1);
    let home = app.get_ok("/", &analyst).await;
    assert_eq!(state.brief_cache.len(), 1);
    let bulletin = app.get_ok("/compstat", &analyst).await;
    assert_eq!(
        state.brief_cache.len(),
        1,
        "the bulletin's brief is the home page's"
    );
    assert!(home.body.contains("Goiânia") && bulletin.body.contains("Goiânia"));

    // The analysis `/zonas-quentes` opens on (the busiest municipality's last twelve months) is
    // computed by the worker too: the page and its twin with the area named add nothing.
    for _ in 0..600 {
        if !state.hotspot_cache.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        state.hotspot_cache.len(),
        1,
        "the worker ran the default analysis"
    );
    let opened = app.get_ok("/zonas-quentes", &analyst).await;
    opened.assert_has("Goiânia (5208707)");
    let first = app.get_ok("/zonas-quentes?area=5208707", &analyst).await;
    assert_eq!(state.hotspot_cache.len(), 1);
    let second = app.get_ok("/zonas-quentes?area=5208707", &analyst).await;
    assert_eq!(state.hotspot_cache.len(), 1);
    assert_eq!(first.body, second.body);

    // Another period asked, then a new data version: the worker runs both again on the new data.
    let asked = "area=5208707&de=2026-08&ate=2026-10";
    app.get_ok(&format!("/zonas-quentes?{asked}"), &analyst)
        .await;
    assert_eq!(state.hotspot_cache.len(), 2);
    let population = "territory_code,year,population\n5208707,2025,1500000\n";
    crate::import_text(
        &t.db,
        atalaia_ingest::Kind::Population,
        "pop.csv",
        population,
        today,
    )
    .await;
    let new_version = t.db.data_version().await.unwrap();
    assert!(new_version > version);
    let default = state
        .hotspot_cache
        .recent_keys(2)
        .into_iter()
        .find(|k| k != asked);
    let default = default.expect("the default analysis is kept");
    // The worker says when it is done (`/metrics`' atalaia_cache_warmed_data_version).
    for _ in 0..600 {
        if state.jobs.warmed_version() == Some(new_version) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state.jobs.warmed_version(), Some(new_version));
    // The home page's model too (its overview counts every occurrence).
    let november = ymd(2026, 11, 1);
    assert!(state.home_cache.get(new_version, &november).is_some());
    assert!(
        state
            .hotspot_cache
            .get(new_version, &asked.to_string())
            .is_some()
    );
    assert!(state.hotspot_cache.get(new_version, &default).is_some());
    t.cleanup().await.unwrap();
}
