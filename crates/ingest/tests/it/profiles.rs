//! Import profiles on files of public sources exactly as published (`fixtures/profiles`): SSP-SP's vehicle
//! robbery reports and SEJUSP-MG's monthly violent crimes, each row's expected fate worked out here from
//! the file itself and an independent list of IBGE codes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use atalaia_ingest::Kind;
use atalaia_ingest::profile::find;
use atalaia_store::per_backend;

use crate::{import, opts, rejects};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");

/// A copy of the fixture `name` in `dir` (the rejects file is written beside it).
fn copy(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(Path::new(name).file_name().unwrap());
    std::fs::copy(format!("{FIXTURES}/{name}"), &path).unwrap();
    path
}

/// Imports `path` of `kind` through the shipped profile `profile`.
async fn import_with(
    db: &atalaia_store::Db,
    kind: Kind,
    path: &Path,
    profile: &str,
) -> atalaia_ingest::ImportSummary {
    let mut o = opts(None);
    o.profile = Some(find(profile).unwrap());
    atalaia_ingest::import_file(
        db,
        kind,
        path,
        &o,
        Arc::new(atalaia_ingest::load::NoProgress),
    )
    .await
    .unwrap()
}

/// A GeoJSON of municipalities without outlines.
fn towns(codes: &[&str]) -> String {
    let features: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| {
            serde_json::json!({"type": "Feature", "geometry": null,
                "properties": {"code": c, "name": format!("Município {c}"), "kind": "municipality", "ibge": c}})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Every stored monthly count: (territory, `AAAA-MM`, crime, count).
async fn stored_counts(db: &atalaia_store::Db) -> BTreeSet<(String, String, String, i64)> {
    let rows: Vec<(String, String, String, i64)> = match db {
        atalaia_store::Db::Sqlite(p) => sqlx::query_as(
            "SELECT territory_code, substr(month, 1, 7), crime, count FROM monthly_counts",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        atalaia_store::Db::Pg(p) => sqlx::query_as(
            "SELECT territory_code, to_char(month, 'YYYY-MM'), crime, CAST(count AS BIGINT) FROM monthly_counts",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    rows.into_iter().collect()
}

fn source_rows(path: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(format!("{FIXTURES}/{path}"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

per_backend! {
    async fn mg_sejusp_monthly_counts_import_as_published(t) {
        let dir = tempfile::tempdir().unwrap();
        // Minas Gerais' municipalities, their 7-digit codes from IBGE's own list.
        let ibge = std::fs::read_to_string(format!("{FIXTURES}/ibge/municipios.csv")).unwrap();
        let mg: Vec<&str> = ibge
            .lines()
            .filter_map(|l| l.strip_prefix("MG,31,"))
            .collect();
        assert_eq!(mg.len(), 853);
        let geo = dir.path().join("mg.geojson");
        std::fs::write(&geo, towns(&mg)).unwrap();
        assert_eq!(import(&t.db, Kind::Territories, &geo).await.rejected, 0);
        let by_six: BTreeMap<&str, &str> = mg.iter().map(|c| (&c[..6], *c)).collect();

        let name = "profiles/crimes_violentos_mg_2022-primeiras-2600.csv";
        let mapped = BTreeMap::from([
            ("Homicídio Consumado (Registros)", "homicidio_doloso"),
            ("Homicídio Tentado", "tentativa_homicidio"),
            ("Estupro Consumado", "estupro"),
        ]);
        let mut expected = BTreeSet::new();
        let mut refused = 0;
        for r in source_rows(name) {
            match mapped.get(&r[1]) {
                Some(crime) => {
                    let month = format!("{}-{:02}", &r[5], r[4].parse::<u32>().unwrap());
                    let count: i64 = r[0].parse().unwrap();
                    expected.insert((by_six[&r[3]].to_string(), month, crime.to_string(), count));
                }
                None => refused += 1,
            }
        }
        assert_eq!(expected.len(), 600);
        let path = copy(dir.path(), name);
        let s = import_with(&t.db, Kind::Counts, &path, "mg-sejusp-crimes-violentos").await;
        assert_eq!((s.read, s.inserted, s.rejected), (2600, 600, refused), "{s:?}");
        let stored = stored_counts(&t.db).await;
        assert_eq!(stored, expected);
        // A natureza the profile does not translate is rejected by its name, its row kept as published.
        let lines = rejects(&s.rejects_file);
        assert_eq!(lines.len(), refused as usize);
        assert!(lines[0].1.contains("Estupro Tentado"), "{:?}", lines[0]);
        let text = std::fs::read_to_string(&s.rejects_file).unwrap();
        assert!(text.contains(",0,Estupro Tentado,ABADIA DOS DOURADOS,310010,1,2022,10,NÃO"), "{text}");
        // Again: the same counts, nothing new.
        let again = import_with(&t.db, Kind::Counts, &path, "mg-sejusp-crimes-violentos").await;
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 600));
    }
}

per_backend! {
    async fn sp_ssp_vehicle_robberies_import_as_published(t) {
        let dir = tempfile::tempdir().unwrap();
        let geo = dir.path().join("sp.geojson");
        std::fs::write(&geo, towns(&["3550308"])).unwrap();
        assert_eq!(import(&t.db, Kind::Territories, &geo).await.rejected, 0);

        let name = "profiles/sp_capital_roubo_veiculos_2021-primeiras-300.csv";
        let crimes = BTreeMap::from([
            ("Roubo (art. 157) - VEICULO", "roubo_veiculo"),
            ("A.I.-Roubo (art. 157) - VEICULO", "roubo_veiculo"),
            ("Roubo (art. 157) - CARGA", "roubo_carga"),
            ("A.I.-Roubo (art. 157) - CARGA", "roubo_carga"),
            ("Roubo (art. 157) - TRANSEUNTE", "roubo_transeunte"),
            ("Homicídio simples (art. 121)", "homicidio_doloso"),
        ]);
        // Each kept row: (day and time as the source writes them, crime); identical rows are one record.
        let mut expected = BTreeSet::new();
        let mut kept = 0;
        for r in source_rows(name) {
            if let Some(crime) = crimes.get(&r[20]) {
                kept += 1;
                let (d, m, y) = (&r[3][..2], &r[3][3..5], &r[3][6..]);
                // A report without its hour is read at the start of its day.
                let time = if r[4].is_empty() { "00:00:00" } else { &r[4] };
                let row = r.iter().collect::<Vec<_>>().join("\u{1f}");
                expected.insert((format!("{y}-{m}-{d} {time}"), crime.to_string(), row));
            }
        }
        let path = copy(dir.path(), name);
        let s = import_with(&t.db, Kind::Occurrences, &path, "sp-ssp-roubo-veiculos").await;
        assert_eq!(s.read, 300);
        assert_eq!(s.rejected, 300 - kept, "{s:?}");
        assert_eq!(s.inserted + s.unchanged, kept, "{s:?}");
        assert_eq!(s.inserted, expected.len() as u64, "identical rows are one record");
        let stored: BTreeSet<(String, String)> = match &t.db {
            atalaia_store::Db::Sqlite(p) => sqlx::query_as(
                "SELECT replace(substr(occurred_at, 1, 19), 'T', ' '), crime FROM occurrences",
            )
            .fetch_all(p)
            .await
            .unwrap(),
            atalaia_store::Db::Pg(p) => sqlx::query_as(
                "SELECT to_char(occurred_at, 'YYYY-MM-DD HH24:MI:SS'), crime FROM occurrences",
            )
            .fetch_all(p)
            .await
            .unwrap(),
        }
        .into_iter()
        .collect();
        let want: BTreeSet<(String, String)> =
            expected.iter().map(|(at, c, _)| (at.clone(), c.clone())).collect();
        assert_eq!(stored, want);
        // Another natureza of the same reports is rejected naming it; no row is lost.
        let text = std::fs::read_to_string(&s.rejects_file).unwrap();
        assert!(text.contains("Localização/Apreensão e Entrega de veículo"), "{text}");
        assert_eq!(rejects(&s.rejects_file).len() as u64, s.rejected);
        // A source without ids re-imports as the same records.
        let again = import_with(&t.db, Kind::Occurrences, &path, "sp-ssp-roubo-veiculos").await;
        assert_eq!((again.inserted, again.updated), (0, 0), "{again:?}");
    }
}

#[test]
fn a_profile_refuses_a_file_that_lacks_its_columns() {
    let p = find("sp-ssp-roubo-veiculos").unwrap();
    let e = p
        .adapter(&["id".to_string(), "occurred_at".to_string()])
        .unwrap_err();
    assert!(
        e.ends_with("lê: rubrica, latitude, longitude, dataocorrencia, horaocorrencia"),
        "{e}"
    );
}

per_backend! {
    async fn isp_rj_wide_monthly_series_imports_one_count_per_crime(t) {
        let dir = tempfile::tempdir().unwrap();
        let name = "profiles/BaseDPEvolucaoMensalCisp-primeiras-150.csv";
        // ISP publishes Latin-1, `;`-separated, one column per crime; read here on its own.
        let bytes = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let crimes = [
            ("hom_doloso", "homicidio_doloso"),
            ("latrocinio", "latrocinio"),
            ("lesao_corp_morte", "lesao_corporal_seguida_de_morte"),
            ("tentat_hom", "tentativa_homicidio"),
            ("estupro", "estupro"),
            ("roubo_veiculo", "roubo_veiculo"),
            ("roubo_carga", "roubo_carga"),
            ("roubo_transeunte", "roubo_transeunte"),
            ("roubo_celular", "roubo_celular"),
            ("roubo_comercio", "roubo_comercio"),
            ("roubo_residencia", "roubo_residencia"),
            ("roubo_banco", "roubo_instituicao_financeira"),
            ("furto_veiculos", "furto_veiculo"),
        ];
        let mut expected = BTreeSet::new();
        let mut cisps = BTreeSet::new();
        let (mut rows, mut empty) = (0, 0);
        for r in reader.records() {
            let r = r.unwrap();
            rows += 1;
            let code = format!("CISP{}", &r[col("CISP")]);
            let month = format!("{}-{:02}", &r[col("vano")], r[col("mes")].parse::<u32>().unwrap());
            for (source, crime) in crimes {
                match r[col(source)].trim() {
                    "" => empty += 1,
                    v => {
                        expected.insert((code.clone(), month.clone(), crime.to_string(), v.parse::<i64>().unwrap()));
                    }
                }
            }
            cisps.insert(code);
        }
        assert_eq!(rows, 150);
        let codes: Vec<&str> = cisps.iter().map(String::as_str).collect();
        let features: Vec<serde_json::Value> = codes
            .iter()
            .map(|c| serde_json::json!({"type": "Feature", "geometry": null,
                "properties": {"code": c, "name": format!("Delegacia {c}"), "kind": "cisp"}}))
            .collect();
        let geo = dir.path().join("cisp.geojson");
        std::fs::write(&geo, serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()).unwrap();
        assert_eq!(import(&t.db, Kind::Territories, &geo).await.rejected, 0);

        let path = copy(dir.path(), name);
        let s = import_with(&t.db, Kind::Counts, &path, "rj-isp-cisp-mensal").await;
        // One row per crime column of each line; a crime the source left empty is rejected, not zero.
        assert_eq!(s.read, 150 * crimes.len() as u64, "{s:?}");
        assert_eq!((s.inserted, s.rejected), (expected.len() as u64, empty), "{s:?}");
        let stored = stored_counts(&t.db).await;
        assert_eq!(stored, expected);
    }
}

per_backend! {
    async fn a_preview_shows_what_the_import_would_do_and_writes_nothing(t) {
        let dir = tempfile::tempdir().unwrap();
        let ibge = std::fs::read_to_string(format!("{FIXTURES}/ibge/municipios.csv")).unwrap();
        let mg: Vec<&str> = ibge
            .lines()
            .filter_map(|l| l.strip_prefix("MG,31,"))
            .collect();
        let geo = dir.path().join("mg.geojson");
        std::fs::write(&geo, towns(&mg)).unwrap();
        assert_eq!(import(&t.db, Kind::Territories, &geo).await.rejected, 0);
        let path = copy(dir.path(), "profiles/crimes_violentos_mg_2022-primeiras-2600.csv");
        let mut o = opts(None);
        o.profile = Some(find("mg-sejusp-crimes-violentos").unwrap());
        let p = atalaia_ingest::preview::preview(&t.db, Kind::Counts, &path, &o, 1_000_000)
            .await
            .unwrap();
        // 200 municipalities × 13 naturezas of January; 3 naturezas translated.
        assert_eq!((p.read, p.accepted, p.rejected, p.truncated), (2600, 600, 2000, false));
        assert_eq!(p.header, ["count", "crime", "month", "territory_code"]);
        // Line 2: "0,Estupro Consumado,ABADIA DOS DOURADOS,310010,1,2022,10,NÃO".
        assert_eq!(
            p.sample[0],
            (2, vec!["0".to_string(), "estupro".into(), "2022-01".into(), "3100104".into()])
        );
        assert_eq!(p.sample.len(), atalaia_ingest::preview::SAMPLE);
        let (line, reason, row) = &p.rejects[0];
        assert_eq!(*line, 3);
        assert!(reason.contains("Estupro Tentado"), "{reason}");
        assert_eq!(row[1], "Estupro Tentado");
        assert_eq!(p.source_header[3], "COD_MUNICIPIO");
        assert_eq!(p.unknown_crimes.len(), 10);
        assert!(p.unknown_crimes.iter().all(|(_, n)| *n == 200), "{:?}", p.unknown_crimes);
        assert_eq!(p.unknown_crimes[0].0, "Estupro Tentado");
        // Nothing was written.
        let again = atalaia_ingest::import_file(
            &t.db,
            Kind::Counts,
            &path,
            &o,
            Arc::new(atalaia_ingest::load::NoProgress),
        )
        .await
        .unwrap();
        assert_eq!(again.inserted, 600, "the preview stored nothing");
        // A limit stops it early and says so.
        let short = atalaia_ingest::preview::preview(&t.db, Kind::Counts, &path, &o, 100)
            .await
            .unwrap();
        assert_eq!((short.read, short.truncated), (100, true));
    }
}
