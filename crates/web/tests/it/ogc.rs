//! OGC API – Features as GIS reads it: GDAL's OAPIF driver (`ogrinfo`, Debian's gdal-bin) and OWSLib
//! (PyPI) against a served demo, with an API key in a header as QGIS and ArcGIS Pro send it; and the
//! paging, filters and scope checked request by request. Without the clients here the test says so,
//! and fails instead under CI (`ATALAIA_TEST_REQUIRE_GIS_CLIENTS`).

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, header};

use super::*;

const TODAY: (i32, u32, u32) = (2026, 11, 20);

async fn get(app: &App, path: &str, key: &str) -> (u16, serde_json::Value) {
    let r = app
        .send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::HOST, "sig.exemplo:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let body = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{path}: {}", r.body));
    (r.status, body)
}

/// The codes of the territories of `kind` in force on `day`, worked out from the stored versions.
async fn in_force(db: &atalaia_store::Db, kind: &str, day: chrono::NaiveDate) -> BTreeSet<String> {
    db.territories()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == kind && t.valid_on(day))
        .map(|t| t.code)
        .collect()
}

/// Imports an intervention area drawn as the box of the AISP with the most occurrences (the demo has
/// none of its own), so that the hot-spot collection has cells; its code.
async fn plant_intervention(db: &atalaia_store::Db, today: chrono::NaiveDate) -> String {
    let atalaia_store::Db::Sqlite(pool) = db else {
        unreachable!("the demo app is on SQLite")
    };
    let mut busiest = None;
    for v in db.territories().await.unwrap() {
        let (Some(b), true) = (v.bbox, v.kind == "aisp" && v.valid_on(today)) else {
            continue;
        };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM occurrences WHERE '|' || areas || '|' LIKE '%|' || $1 || '|%'",
        )
        .bind(&v.code)
        .fetch_one(pool)
        .await
        .unwrap();
        if busiest.as_ref().is_none_or(|(m, _, _)| n > *m) {
            busiest = Some((n, b, v.parent_code.clone()));
        }
    }
    let (_, [w, s, e, n], parent) = busiest.unwrap();
    let geojson = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"code": "INT-OGC", "name": "Área de intervenção do teste", "kind": "intervention",
                       "parent": parent, "valid_from": "2020-01-01"},
        "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
    }]});
    import_text(
        db,
        atalaia_ingest::Kind::Territories,
        "intervencao.geojson",
        &geojson.to_string(),
        today,
    )
    .await;
    "INT-OGC".into()
}

fn codes(fc: &serde_json::Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["codigo"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_ogc_api_pages_filters_and_scopes_its_collections() {
    let today = ymd(TODAY.0, TODAY.1, TODAY.2);
    let (t, app) = demo_app(today, 0.02).await;
    let area = plant_intervention(&t.db, today).await;
    let analyst = crate::api::api_key(&app, "analyst").await;
    let partner = crate::api::api_key(&app, "partner").await;

    let (status, landing) = get(&app, "/ogc", &analyst).await;
    assert_eq!(status, 200);
    let rels: Vec<(&str, &str)> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["rel"].as_str().unwrap(), l["href"].as_str().unwrap()))
        .collect();
    assert!(
        rels.contains(&("data", "http://sig.exemplo:8080/ogc/collections")),
        "{rels:?}"
    );
    assert!(rels.contains(&("conformance", "http://sig.exemplo:8080/ogc/conformance")));
    let (_, conf) = get(&app, "/ogc/conformance", &analyst).await;
    assert!(
        conf["conformsTo"]
            .as_array()
            .unwrap()
            .contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core".into())
    );

    // Police roles see the hot spots; a partner's key does not, and its items are a 404.
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = get(&app, "/ogc/collections", &analyst).await;
    assert_eq!(
        ids(&all),
        [
            "municipios",
            "ais",
            "aisp",
            "aise",
            "areas-de-intervencao",
            "zonas-quentes"
        ]
    );
    let (_, some) = get(&app, "/ogc/collections", &partner).await;
    assert!(!ids(&some).contains(&"zonas-quentes".to_string()));
    let (status, refused) = get(&app, "/ogc/collections/zonas-quentes/items", &partner).await;
    assert_eq!(status, 404);
    assert_eq!(refused["code"], "NotFound");

    // Every AISP in force, two at a time through the `next` links.
    let expected = in_force(&t.db, "aisp", today).await;
    assert!(expected.len() > 2);
    let mut seen = Vec::new();
    let mut next = Some("/ogc/collections/aisp/items?limit=2".to_string());
    while let Some(path) = next.take() {
        let (status, page) = get(&app, &path, &analyst).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["numberMatched"], expected.len());
        assert!(page["numberReturned"].as_u64().unwrap() <= 2);
        seen.extend(codes(&page));
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| {
                l["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("http://sig.exemplo:8080")
                    .to_string()
            });
    }
    assert_eq!(seen.len(), expected.len());
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);

    // One AISP's box finds it and not one far from it; its feature carries its outline and numbers.
    let versions = t.db.territories().await.unwrap();
    let aisp = versions
        .iter()
        .find(|v| v.kind == "aisp" && v.valid_on(today) && v.bbox.is_some())
        .unwrap();
    let [w, s, e, n] = aisp.bbox.unwrap();
    let (_, hit) = get(
        &app,
        &format!("/ogc/collections/aisp/items?bbox={w},{s},{e},{n}"),
        &analyst,
    )
    .await;
    assert!(codes(&hit).contains(&aisp.code), "{hit}");
    let (_, far) = get(
        &app,
        "/ogc/collections/aisp/items?bbox=10,10,11,11",
        &analyst,
    )
    .await;
    assert_eq!(far["numberMatched"], 0);
    let (status, one) = get(
        &app,
        &format!("/ogc/collections/aisp/items/{}", aisp.id),
        &analyst,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(one["properties"]["codigo"], aisp.code.as_str());
    assert!(one["geometry"]["coordinates"].is_array(), "{one}");
    let p = &one["properties"];
    let groups: u64 = [
        "cvli",
        "outros_violentos",
        "roubos",
        "furtos",
        "drogas_e_armas",
        "outros_crimes",
    ]
    .iter()
    .map(|k| p[*k].as_u64().unwrap())
    .sum();
    assert_eq!(p["ocorrencias_12_meses"].as_u64().unwrap(), groups);
    assert_eq!(p["periodo_inicio"], "2025-11-01");
    assert_eq!(p["periodo_fim"], "2026-10-31");

    // Each municipality's twelve months, counted here from the occurrences themselves (`areas` holds
    // the `|`-joined codes of the areas each one falls in).
    let (_, towns) = get(
        &app,
        "/ogc/collections/municipios/items?limit=1000",
        &analyst,
    )
    .await;
    let atalaia_store::Db::Sqlite(pool) = &t.db else {
        unreachable!("the demo app is on SQLite")
    };
    let mut checked = 0;
    for f in towns["features"].as_array().unwrap() {
        let code = f["properties"]["codigo"].as_str().unwrap();
        let counted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM occurrences WHERE occurred_at >= '2025-11-01' AND occurred_at < '2026-11-01'
             AND '|' || areas || '|' LIKE '%|' || $1 || '|%'",
        )
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(
            f["properties"]["ocorrencias_12_meses"].as_i64().unwrap(),
            counted,
            "{code}"
        );
        checked += usize::from(counted > 0);
    }
    assert!(checked > 1, "towns with occurrences: {checked}");

    // Versions by time: none of today's AISPs was in force in 1899.
    let (_, old) = get(
        &app,
        "/ogc/collections/aisp/items?datetime=../1899-12-31",
        &analyst,
    )
    .await;
    assert_eq!(old["numberMatched"], 0);

    // Hot-spot cells of the intervention areas, read and recorded like a download.
    let (status, hot) = get(
        &app,
        "/ogc/collections/zonas-quentes/items?limit=5",
        &analyst,
    )
    .await;
    assert_eq!(status, 200, "{hot}");
    assert!(hot["numberMatched"].as_u64().unwrap() > 0, "{hot}");
    let cell = &hot["features"][0];
    assert_eq!(cell["properties"]["area"], area.as_str());
    assert_eq!(cell["geometry"]["type"], "Polygon");
    assert!(cell["properties"]["classe"].is_string());
    assert!(
        audit_actions(&t.db)
            .await
            .iter()
            .any(|(_, action, _)| action == "igesp.hotspot_cells_downloaded")
    );

    // Bad parameters are named; nothing is read for them.
    for (path, says) in [
        ("/ogc/collections/aisp/items?limit=0", "limit `0` inválido"),
        (
            "/ogc/collections/aisp/items?bbox=1,2,3",
            "bbox `1,2,3` inválido",
        ),
        (
            "/ogc/collections/aisp/items?datetime=ontem",
            "datetime `ontem` inválido",
        ),
        ("/ogc/collections/ruas/items", "a coleção `ruas`"),
    ] {
        let (status, e) = get(&app, path, &analyst).await;
        assert!(status == 400 || status == 404, "{path}: {status}");
        assert!(
            e["description"].as_str().unwrap().contains(says),
            "{path}: {e}"
        );
    }
    // Without a key: a 401 in JSON, never the sign-in page.
    let r = app.get("/ogc/collections", None).await;
    assert_eq!(r.status, 401);
}

/// Whether the outside client `what` may be missing here (it may not under CI).
fn missing(what: &str, why: &str) -> bool {
    if std::env::var_os("ATALAIA_TEST_REQUIRE_GIS_CLIENTS").is_some() {
        panic!("{what} is required (ATALAIA_TEST_REQUIRE_GIS_CLIENTS) but {why}");
    }
    println!("{what}: not run ({why})");
    true
}

/// `ogrinfo` with the key in GDAL's header option; its standard output.
fn ogrinfo(base: &str, key: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("ogrinfo")
        .args(["--config", "GDAL_HTTP_HEADERS"])
        .arg(format!("Authorization: Bearer {key}"))
        .args(["-ro", &format!("OAPIF:{base}/ogc")])
        .args(args)
        .output();
    match out {
        Err(e) => {
            missing("GDAL's ogrinfo", &format!("{e}; apt-get install gdal-bin"));
            None
        }
        Ok(o) => {
            let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
            assert!(
                o.status.success(),
                "ogrinfo {args:?}: {}\n{stdout}",
                String::from_utf8_lossy(&o.stderr)
            );
            Some(stdout)
        }
    }
}

const OWSLIB: &str = r#"
import json, sys
from owslib.ogcapi.features import Features
api = Features(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
out = {
    "conformance": api.conformance()["conformsTo"],
    "collections": [c["id"] for c in api.collections()["collections"]],
}
towns = api.collection_items("municipios", limit=1000)
out["towns"] = [f["properties"]["codigo"] for f in towns["features"]]
hot = api.collection_items("zonas-quentes", limit=3)
out["hot"] = [f["id"] for f in hot["features"]]
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_and_owslib_read_the_collections_with_a_key() {
    let today = ymd(TODAY.0, TODAY.1, TODAY.2);
    let t = atalaia_store::testing::TestDb::sqlite().await.unwrap();
    let config = demo_config(&t.db, today, 0.01).await;
    plant_intervention(&t.db, today).await;
    let app = App::new(t.db.clone(), config.clone()).await;
    let analyst = crate::api::api_key(&app, "analyst").await;
    let base = format!("http://{}", serve(t.db.clone(), config).await);
    let towns = in_force(&t.db, "municipality", today).await;
    let aisps = in_force(&t.db, "aisp", today).await;

    // GDAL: the layers, then each layer's count and a feature's fields.
    if let Some(layers) = tokio::task::spawn_blocking({
        let (base, key) = (base.clone(), analyst.clone());
        move || ogrinfo(&base, &key, &[])
    })
    .await
    .unwrap()
    {
        for id in [
            "municipios",
            "ais",
            "aisp",
            "aise",
            "areas-de-intervencao",
            "zonas-quentes",
        ] {
            assert!(layers.contains(&format!(": {id} ")), "{id}: {layers}");
        }
        let (b, k) = (base.clone(), analyst.clone());
        let summary =
            tokio::task::spawn_blocking(move || ogrinfo(&b, &k, &["-so", "-al"]).unwrap())
                .await
                .unwrap();
        let block = |layer: &str| {
            summary
                .split("Layer name: ")
                .find(|b| b.starts_with(&format!("{layer}\n")))
                .unwrap_or_else(|| panic!("no layer {layer}: {summary}"))
                .to_string()
        };
        let towns_block = block("municipios");
        assert!(
            towns_block.contains(&format!("Feature Count: {}\n", towns.len())),
            "{towns_block}"
        );
        assert!(
            towns_block.contains("ocorrencias_12_meses: Integer"),
            "{towns_block}"
        );
        let aisp_block = block("aisp");
        assert!(
            aisp_block.contains(&format!("Feature Count: {}\n", aisps.len())),
            "{aisp_block}"
        );
        let (b, k) = (base.clone(), analyst.clone());
        let listing = tokio::task::spawn_blocking(move || {
            ogrinfo(&b, &k, &["-q", "aisp", "-fields=YES", "-geom=NO"]).unwrap()
        })
        .await
        .unwrap();
        let read: BTreeSet<String> = listing
            .lines()
            .filter_map(|l| l.trim().strip_prefix("codigo (String) = "))
            .map(str::to_string)
            .collect();
        assert_eq!(read, aisps);
    }

    // OWSLib, the Python client QGIS' plugins and notebooks use.
    let (b, k) = (base.clone(), analyst.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", OWSLIB, &format!("{b}/ogc"), &k])
            .output()
    })
    .await
    .unwrap();
    let out = match out {
        Err(e) => {
            missing("OWSLib", &format!("python3: {e}"));
            return;
        }
        Ok(o) => o,
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'owslib'") && missing("OWSLib", "pip install owslib") {
        return;
    }
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["conformance"]
            .as_array()
            .unwrap()
            .contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson".into())
    );
    assert_eq!(
        v["collections"],
        serde_json::json!([
            "municipios",
            "ais",
            "aisp",
            "aise",
            "areas-de-intervencao",
            "zonas-quentes"
        ])
    );
    let read: BTreeSet<String> = v["towns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(read, towns);
    assert_eq!(v["hot"].as_array().unwrap().len(), 3, "{v}");
}
