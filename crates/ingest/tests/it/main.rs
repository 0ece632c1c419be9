//! Import tests on every backend available (SQLite always; PostgreSQL in CI): real files written in
//! real formats (CSV UTF-8 and Windows-1252, XLSX, GeoJSON), every expected number worked out by hand.

mod jobs;
mod occurrences;
mod profiles;
mod real_data;
mod reference;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atalaia_ingest::{ImportOptions, ImportSummary, Kind};
use atalaia_store::Db;
use chrono::NaiveDate;

/// Options of a test import (today = 2025-06-30).
pub fn opts(rejects: Option<PathBuf>) -> ImportOptions {
    ImportOptions {
        actor: "test".into(),
        synthetic: false,
        rejects,
        today: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        now: NaiveDate::from_ymd_opt(2025, 6, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap(),
        ip: String::new(),
        units_allowed: None,
        job: None,
        rejects_kept_in: None,
        profile: None,
    }
}

/// Imports `path`, panicking on a whole-file failure.
pub async fn import(db: &Db, kind: Kind, path: &Path) -> ImportSummary {
    atalaia_ingest::import_file(
        db,
        kind,
        path,
        &opts(None),
        Arc::new(atalaia_ingest::load::NoProgress),
    )
    .await
    .unwrap_or_else(|e| panic!("import {} failed: {e}", path.display()))
}

/// Rejects file rows as (line, reason).
pub fn rejects(path: &str) -> Vec<(u64, String)> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].parse().unwrap(), rec[1].to_string())
        })
        .collect()
}

/// Two nested squares near Goiânia: municipality `M` and area `X` inside it.
pub fn squares_geojson() -> String {
    let sq = |x0: f64, y0: f64, x1: f64, y1: f64| {
        format!("[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]")
    };
    format!(
        r#"{{"type":"FeatureCollection","features":[
  {{"type":"Feature","properties":{{"code":"M","name":"Município M","kind":"municipality"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
  {{"type":"Feature","properties":{{"code":"X","name":"AISP X","kind":"aisp","parent":"M"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
  {{"type":"Feature","properties":{{"code":"Y","name":"AIS Y sem polígono","kind":"ais"}},"geometry":null}}
]}}"#,
        sq(-49.4, -16.8, -49.1, -16.5),
        sq(-49.3, -16.7, -49.2, -16.6)
    )
}
