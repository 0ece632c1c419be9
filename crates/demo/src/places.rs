//! The places of the data set: the state, its municipalities (real IBGE boundaries and estimates),
//! Goiânia's AISPs and three AIS (synthetic), and every area's population over the years.

use crate::*;
use atalaia_ingest::Kind;
use atalaia_spatial::PreparedArea;
use chrono::Datelike;
use geo::MultiPolygon;
use std::fmt::Write as _;

/// A territory's population in `year`: IBGE's estimate up to 2021, then 1.2 % a year more.
pub(crate) fn population_of(pops: &[(String, i32, i64)], code: &str, year: i32) -> f64 {
    let last = pops
        .iter()
        .filter(|(c, y, _)| c == code && *y <= year.min(2021))
        .max_by_key(|(_, y, _)| *y)
        .map(|(_, _, p)| *p as f64)
        .unwrap_or(0.0);
    last * 1.012f64.powi((year - 2021).max(0))
}

/// Territories: the state, 246 real municipalities, synthetic AISPs and AIS.
pub(crate) async fn territories(d: &mut Demo<'_>) -> Result<Vec<Area>, DemoError> {
    let db = d.db;
    let today = d.today;
    let files = &d.files;
    let report = &mut d.report;
    let municipalities = embedded_municipalities()?;
    let mut features = vec![feature(
        "GO",
        "Goiás",
        "state",
        None,
        None,
        serde_json::Value::Null,
        false,
    )];
    let mut by_code = std::collections::HashMap::new();
    for (id, name, poly) in &municipalities {
        let mp = MultiPolygon(vec![poly.clone()]);
        features.push(feature(
            id,
            name,
            "municipality",
            Some("GO"),
            Some(id),
            geometry_json(&mp),
            false,
        ));
        by_code.insert(id.clone(), (name.clone(), poly.clone()));
    }
    let goiania = by_code
        .get(GOIANIA)
        .ok_or_else(|| DemoError::Embedded("Goiânia ausente".into()))?
        .1
        .clone();
    let aisps = goiania::goiania_aisps(&goiania);
    if aisps.len() != 7 {
        return Err(DemoError::Embedded(
            "não foi possível derivar as 7 AISPs de Goiânia".into(),
        ));
    }
    // Trends chosen so that some AISPs reach RECAP1 or RECAP2 and others do not.
    let shares = [0.10, 0.17, 0.14, 0.16, 0.14, 0.15, 0.14];
    let trends = [0.84, 0.90, 1.04, 0.88, 1.00, 1.06, 0.78];
    let mut areas = Vec::new();
    for (i, a) in aisps.iter().enumerate() {
        features.push(feature(
            a.code,
            &format!("AISP {} — {}", i + 1, a.name),
            "aisp",
            Some(GOIANIA),
            None,
            geometry_json(&a.polygon),
            true,
        ));
        areas.push((
            a.code.to_string(),
            shares[i],
            GOIANIA,
            trends[i],
            a.polygon.clone(),
        ));
    }
    for (code, name, ibge, trend) in [
        ("AIS8", "AIS 8 — Aparecida de Goiânia", APARECIDA, 0.87),
        ("AIS9", "AIS 9 — Anápolis", ANAPOLIS, 1.03),
        ("AIS10", "AIS 10 — Rio Verde", RIO_VERDE, 0.95),
    ] {
        let poly = by_code
            .get(ibge)
            .ok_or_else(|| DemoError::Embedded(format!("{ibge} ausente")))?
            .1
            .clone();
        let mp = MultiPolygon(vec![poly]);
        features.push(feature(
            code,
            name,
            "ais",
            Some(ibge),
            None,
            geometry_json(&mp),
            true,
        ));
        areas.push((code.to_string(), 1.0, ibge, trend, mp));
    }
    let areas: Vec<Area> = areas
        .into_iter()
        .filter_map(
            |(code, share, municipality, trend, polygon): (
                String,
                f64,
                &'static str,
                f64,
                MultiPolygon<f64>,
            )| {
                let prepared = PreparedArea::new(&polygon)?;
                Some(Area {
                    code,
                    share,
                    municipality,
                    trend,
                    prepared,
                    hot_spots: Vec::new(),
                })
            },
        )
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    let path = files.write("territorios.geojson", &fc.to_string())?;
    import(db, Kind::Territories, &path, Origin::Real, today, report).await?;
    Ok(areas)
}

/// Populations: real IBGE estimates to 2021, then a synthetic 1.2 % a year; areas by share.
pub(crate) async fn population_files(d: &mut Demo<'_>, areas: &[Area]) -> Result<(), DemoError> {
    let db = d.db;
    let today = d.today;
    let files = &d.files;
    let report = &mut d.report;
    let pops = populations();
    let mut real = String::from("territory_code,year,population\n");
    for (code, year, p) in &pops {
        let _ = writeln!(real, "{code},{year},{p}");
    }
    import(
        db,
        Kind::Population,
        &files.write("populacao_ibge.csv", &real)?,
        Origin::Real,
        today,
        report,
    )
    .await?;
    let pop_of = |code: &str, year: i32| population_of(&pops, code, year);
    let mut synth = String::from("territory_code,year,population\n");
    for year in 2022..=today.year() {
        for (code, _, _) in pops.iter().filter(|(_, y, _)| *y == 2021) {
            let _ = writeln!(synth, "{code},{year},{}", pop_of(code, year).round());
        }
    }
    for a in areas {
        for year in 2012..=today.year() {
            let _ = writeln!(
                synth,
                "{},{year},{}",
                a.code,
                (pop_of(a.municipality, year) * a.share).round()
            );
        }
    }
    import(
        db,
        Kind::Population,
        &files.write("populacao_projetada.csv", &synth)?,
        Origin::Synthetic,
        today,
        report,
    )
    .await?;
    Ok(())
}
