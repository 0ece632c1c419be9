//! The demo data set (`atalaia demo`, `atalaia serve --demo`): deterministic for a seed and a date,
//! loaded through the public import path (the same files and code a user's data would go through).
//!
//! Real: the IBGE boundaries and population estimates (2012–2021) of Goiás' 246 municipalities.
//! Synthetic, and marked so in the data and the UI: the seven AISPs of Goiânia of Decreto 7.872/2013
//! Art. 2 (derived from Goiânia's polygon, see [`goiania`]), the AIS of Aparecida de Goiânia, Anápolis
//! and Rio Verde, populations after 2021, units and their circunscrições, operators with assignments,
//! loans and absences, and three years of occurrences with seasonality, trends and hot spots.

mod events;
pub mod goiania;
mod igesp;
mod people;
mod places;

use events::{crime_map, occurrences, program_config, seizures};
use igesp::igesp;
use people::{Registrations, operators, units};
use places::{population_files, population_of, territories};

use atalaia_core::dates::BrDate;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use atalaia_ingest::{ImportOptions, ImportSummary, Kind};
use atalaia_spatial::PreparedArea;
use atalaia_store::Db;
use chrono::{Datelike, NaiveDate, NaiveTime};
use geo::{MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

const MUNICIPALITIES: &str = include_str!("../data/geojs-52-mun.json");

const POPULATION: &str = include_str!("../data/go_populacao_2012_2021.csv");

const GOIANIA: &str = "5208707";

const APARECIDA: &str = "5201405";

const ANAPOLIS: &str = "5201108";

const RIO_VERDE: &str = "5218805";

/// Errors of the demo loader.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already holds data: loading again would replay the demo's re-export (and log its
    /// reclassifications twice), so the demo only goes into an empty database.
    #[error(
        "o banco já tem dados; os dados de demonstração só são carregados num banco vazio (use outro --database)"
    )]
    NotEmpty,
    /// Reading the database failed.
    #[error(transparent)]
    Store(#[from] atalaia_store::StoreError),
    /// The embedded reference data could not be read (a build problem).
    #[error("dados de referência embutidos inválidos: {0}")]
    Embedded(String),
    /// Writing the temporary files failed.
    #[error("não foi possível preparar os arquivos da demonstração: {0}")]
    Io(#[from] std::io::Error),
    /// An import failed.
    #[error("importação de demonstração `{0}` falhou: {1}")]
    Import(&'static str, atalaia_ingest::ImportError),
    /// An import rejected rows (a bug in the generator).
    #[error("a importação de demonstração `{0}` rejeitou {1} linha(s); veja {2}")]
    Rejected(&'static str, u64, String),
}

/// What the demo loaded.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub seed: u64,
    /// Last day covered.
    pub today: NaiveDate,
    /// First day with occurrences.
    pub first_day: NaiveDate,
    /// One summary per import, in order.
    pub imports: Vec<ImportSummary>,
    /// The planted hot spots: (area code, longitude, latitude); 40 % of an area's geocoded occurrences
    /// fall within ~400 m of one of them, so a hot-spot map must show them.
    pub hot_spots: Vec<(String, f64, f64)>,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "dados de demonstração (sintéticos, semente {}) de {} a {}:",
            self.seed,
            self.first_day.br_date(),
            self.today.br_date()
        )?;
        for s in &self.imports {
            writeln!(
                f,
                "  {:<12} {:>8} lidas, {:>8} incluídas, {:>6} alteradas, {:>8} sem mudança",
                s.kind, s.read, s.inserted, s.updated, s.unchanged
            )?;
        }
        Ok(())
    }
}

/// A demo area where occurrences happen.
struct Area {
    code: String,
    /// Share of the municipality's population.
    share: f64,
    municipality: &'static str,
    /// Yearly multiplicative trend of crime (0.85 = −15 % a year).
    trend: f64,
    prepared: PreparedArea,
    hot_spots: Vec<(f64, f64)>,
}

/// Monthly base rate per 100 000 inhabitants of each catalog crime (synthetic but plausible orders of
/// magnitude for a Brazilian capital).
const RATES: [(&str, f64); 22] = [
    ("homicidio_doloso", 2.2),
    ("feminicidio", 0.12),
    ("latrocinio", 0.15),
    ("lesao_corporal_seguida_de_morte", 0.08),
    ("tentativa_homicidio", 2.5),
    ("roubo_veiculo", 14.0),
    ("furto_veiculo", 22.0),
    ("roubo_carga", 1.2),
    ("roubo_transeunte", 38.0),
    ("roubo_celular", 20.0),
    ("roubo_comercio", 8.0),
    ("roubo_residencia", 3.5),
    ("roubo_instituicao_financeira", 0.05),
    ("furto_transeunte", 45.0),
    ("furto_celular", 25.0),
    ("furto_comercio", 12.0),
    ("furto_residencia", 14.0),
    ("estupro", 3.0),
    ("trafico_drogas", 8.0),
    ("porte_ilegal_arma", 4.0),
    ("violencia_domestica", 22.0),
    ("outros", 10.0),
];

/// REDS-like source codes translated by the crime map (a few occurrences use them).
const SOURCE_CODES: [(&str, &str); 5] = [
    ("B01121", "homicidio_doloso"),
    ("C01157V", "roubo_veiculo"),
    ("C01155V", "furto_veiculo"),
    ("C01157", "roubo_transeunte"),
    ("C01155", "furto_transeunte"),
];

fn embedded_municipalities() -> Result<Vec<(String, String, Polygon<f64>)>, DemoError> {
    let fc: geojson::FeatureCollection = MUNICIPALITIES
        .parse()
        .map_err(|e| DemoError::Embedded(format!("{e}")))?;
    let mut out = Vec::new();
    for f in fc.features {
        let id = f
            .property("id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| DemoError::Embedded("município sem id".into()))?
            .to_string();
        let name = f
            .property("name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let g = f
            .geometry
            .ok_or_else(|| DemoError::Embedded(format!("município {id} sem geometria")))?;
        let geom: geo::Geometry<f64> = g
            .try_into()
            .map_err(|e| DemoError::Embedded(format!("{e}")))?;
        let poly = match geom {
            geo::Geometry::Polygon(p) => p,
            geo::Geometry::MultiPolygon(mut mp) if !mp.0.is_empty() => mp.0.remove(0),
            _ => {
                return Err(DemoError::Embedded(format!(
                    "município {id}: geometria inesperada"
                )));
            }
        };
        // RFC 7946 orientation (the IBGE copy winds rings clockwise).
        use geo::Orient;
        let poly = poly.orient(geo::orient::Direction::Default);
        out.push((id, name, poly));
    }
    Ok(out)
}

fn populations() -> Vec<(String, i32, i64)> {
    POPULATION
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            Some((
                it.next()?.to_string(),
                it.next()?.parse().ok()?,
                it.next()?.parse().ok()?,
            ))
        })
        .collect()
}

fn geometry_json(mp: &MultiPolygon<f64>) -> serde_json::Value {
    let g = geojson::Geometry::from(&geo::Geometry::MultiPolygon(mp.clone()));
    serde_json::to_value(g).unwrap_or(serde_json::Value::Null)
}

fn feature(
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<&str>,
    ibge: Option<&str>,
    geometry: serde_json::Value,
    synthetic: bool,
) -> serde_json::Value {
    let mut props = serde_json::json!({"code": code, "name": name, "kind": kind});
    if let Some(p) = parent {
        props["parent"] = p.into();
    }
    if let Some(i) = ibge {
        props["ibge"] = i.into();
    }
    if synthetic {
        // The AISPs of Goiânia exist since Decreto 7.872 of 30 April 2013 (Art. 2).
        props["valid_from"] = "2013-04-30".into();
        props["synthetic"] = true.into();
        props["note"] = "Área sintética de demonstração; não é a delimitação oficial".into();
    }
    serde_json::json!({"type": "Feature", "properties": props, "geometry": geometry})
}

/// Poisson draw (Knuth for small means, normal approximation above 30).
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let l = (-lambda).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= rng.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (lambda + z * lambda.sqrt()).round().max(0.0) as u64
}

fn point_in(rng: &mut ChaCha8Rng, prepared: &PreparedArea) -> (f64, f64) {
    let [x0, y0, x1, y1] = prepared.bbox();
    for _ in 0..10_000 {
        let (x, y) = (rng.random_range(x0..=x1), rng.random_range(y0..=y1));
        if prepared.contains(x, y) {
            return (x, y);
        }
    }
    ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn write(&self, name: &str, text: &str) -> Result<std::path::PathBuf, DemoError> {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text)?;
        Ok(p)
    }
}

/// Whether an import's records are synthetic (the real IBGE boundaries and estimates are not; synthetic
/// territories carry their own `synthetic` property).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Real,
    Synthetic,
}

async fn import(
    db: &Db,
    kind: Kind,
    path: &Path,
    origin: Origin,
    today: NaiveDate,
    report: &mut DemoReport,
) -> Result<(), DemoError> {
    let opts = ImportOptions {
        actor: "demo".into(),
        synthetic: origin == Origin::Synthetic,
        rejects: None,
        today,
        now: today.and_time(NaiveTime::MIN),
        ip: String::new(),
        units_allowed: None,
        job: None,
        rejects_kept_in: None,
        profile: None,
    };
    let s = atalaia_ingest::import_file(
        db,
        kind,
        path,
        &opts,
        Arc::new(atalaia_ingest::load::NoProgress),
    )
    .await
    .map_err(|e| DemoError::Import(kind.as_str(), e))?;
    if s.rejected > 0 {
        return Err(DemoError::Rejected(
            kind.as_str(),
            s.rejected,
            s.rejects_file,
        ));
    }
    report.imports.push(s);
    Ok(())
}

/// Loads the demo data set covering the three years up to `today`.
pub async fn load(db: &Db, seed: u64, today: NaiveDate) -> Result<DemoReport, DemoError> {
    load_scaled(db, seed, today, 1.0).await
}

/// [`load`] with the volume of occurrences multiplied by `scale` (tests use a small fraction).
pub async fn load_scaled(
    db: &Db,
    seed: u64,
    today: NaiveDate,
    scale: f64,
) -> Result<DemoReport, DemoError> {
    if db.overview().await?.territories > 0 {
        return Err(DemoError::NotEmpty);
    }
    let rng = ChaCha8Rng::seed_from_u64(seed);
    let files = Files {
        dir: tempfile::tempdir()?,
    };
    let first_day = NaiveDate::from_ymd_opt(today.year() - 3, today.month(), 1)
        .unwrap_or(today)
        .max(NaiveDate::from_ymd_opt(1901, 1, 1).unwrap_or(today));
    let report = DemoReport {
        seed,
        today,
        first_day,
        imports: Vec::new(),
        hot_spots: Vec::new(),
    };
    let mut d = Demo {
        db,
        today,
        first_day,
        scale,
        files,
        rng,
        report,
    };
    let areas = territories(&mut d).await?;
    population_files(&mut d, &areas).await?;
    let units = units(&mut d).await?;
    let regs_of = operators(&mut d, &units).await?;
    crime_map(&mut d).await?;
    // PostgreSQL: the three years' monthly partitions first, so the records go straight to them
    // (`store::partitions`); nothing on SQLite.
    if let Ok(first) = atalaia_core::Month::of(first_day) {
        let months = (today.year() - first_day.year()) * 12 + today.month() as i32
            - first_day.month() as i32;
        db.maintain_partitions(first, months.max(0) as u32).await?;
    }
    occurrences(&mut d, areas).await?;
    seizures(&mut d, &regs_of).await?;
    program_config(&mut d).await?;
    // 10. Igesp in Goiânia (igesp.md §4–5): an internal and an articulation meeting already held, with
    //     their minutes and decisions (one overdue, one in progress, a joint operation done), the next
    //     articulation meeting scheduled, and an internal meeting in Anápolis.
    igesp(db, today).await?;
    Ok(d.report)
}

/// What every part of the data set is written with: the database, the dates, the one random stream
/// (drawn in the parts' order, so a seed always gives the same data) and the report being filled.
struct Demo<'a> {
    db: &'a Db,
    today: NaiveDate,
    first_day: NaiveDate,
    scale: f64,
    files: Files,
    rng: ChaCha8Rng,
    report: DemoReport,
}
