//! The demo data set (`atalaia demo`, `atalaia serve --demo`): deterministic for a seed and a date,
//! loaded through the public import path (the same files and code a user's data would go through).
//!
//! Real: the IBGE boundaries and population estimates (2012–2021) of Goiás' 246 municipalities.
//! Synthetic, and marked so in the data and the UI: the seven AISPs of Goiânia of Decreto 7.872/2013
//! Art. 2 (derived from Goiânia's polygon, see [`goiania`]), the AIS of Aparecida de Goiânia, Anápolis
//! and Rio Verde, populations after 2021, units and their circunscrições, operators with assignments,
//! loans and absences, and three years of occurrences with seasonality, trends and hot spots.

pub mod goiania;

use atalaia_core::dates::BrDate;
use std::fmt;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use atalaia_core::{Cpf, Month, Quarter};
use atalaia_ingest::{ImportOptions, ImportSummary, Kind};
use atalaia_spatial::PreparedArea;
use atalaia_store::Db;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};
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
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let files = Files {
        dir: tempfile::tempdir()?,
    };
    let first_day = NaiveDate::from_ymd_opt(today.year() - 3, today.month(), 1)
        .unwrap_or(today)
        .max(NaiveDate::from_ymd_opt(1901, 1, 1).unwrap_or(today));
    let mut report = DemoReport {
        seed,
        today,
        first_day,
        imports: Vec::new(),
        hot_spots: Vec::new(),
    };

    // 1. Territories: the state, 246 real municipalities, synthetic AISPs and AIS.
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
    import(
        db,
        Kind::Territories,
        &path,
        Origin::Real,
        today,
        &mut report,
    )
    .await?;

    // 2. Populations: real IBGE estimates to 2021, then a synthetic 1.2 % a year; areas by share.
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
        &mut report,
    )
    .await?;
    let pop_of = |code: &str, year: i32| -> f64 {
        let last = pops
            .iter()
            .filter(|(c, y, _)| c == code && *y <= year.min(2021))
            .max_by_key(|(_, y, _)| *y)
            .map(|(_, _, p)| *p as f64)
            .unwrap_or(0.0);
        last * 1.012f64.powi((year - 2021).max(0))
    };
    let mut synth = String::from("territory_code,year,population\n");
    for year in 2022..=today.year() {
        for (code, _, _) in pops.iter().filter(|(_, y, _)| *y == 2021) {
            let _ = writeln!(synth, "{code},{year},{}", pop_of(code, year).round());
        }
    }
    for a in &areas {
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
        &mut report,
    )
    .await?;

    // 3. Units with their circunscrição (some over several areas, Art. 7).
    let units: Vec<(&str, &str, &str, Vec<&str>)> = vec![
        (
            "PM-1BPM",
            "1º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP1"],
        ),
        (
            "PM-7BPM",
            "7º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP2"],
        ),
        (
            "PM-9BPM",
            "9º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP3"],
        ),
        (
            "PM-13BPM",
            "13º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP4"],
        ),
        (
            "PM-28BPM",
            "28º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP5"],
        ),
        (
            "PM-37BPM",
            "37º Batalhão de Polícia Militar",
            "PM",
            vec!["AISP6", "AISP7"],
        ),
        (
            "PM-8BPM",
            "8º Batalhão de Polícia Militar (Aparecida)",
            "PM",
            vec!["AIS8"],
        ),
        (
            "PM-4BPM",
            "4º Batalhão de Polícia Militar (Anápolis)",
            "PM",
            vec!["AIS9"],
        ),
        (
            "PC-1DRP",
            "1ª Delegacia Regional de Polícia de Goiânia",
            "PC",
            vec!["AISP1", "AISP2", "AISP3"],
        ),
        (
            "PC-2DRP",
            "2ª Delegacia Regional de Polícia de Goiânia",
            "PC",
            vec!["AISP4", "AISP5", "AISP6", "AISP7"],
        ),
        (
            "PC-DRP-APA",
            "Delegacia Regional de Aparecida de Goiânia",
            "PC",
            vec!["AIS8"],
        ),
        (
            "BM-1BBM",
            "1º Batalhão Bombeiro Militar",
            "BM",
            vec!["AISP1", "AISP2", "AISP3", "AISP4"],
        ),
        (
            "BM-2BBM",
            "2º Batalhão Bombeiro Militar",
            "BM",
            vec!["AISP5", "AISP6", "AISP7"],
        ),
        (
            "SPTC-IC",
            "Instituto de Criminalística Leonardo Rodrigues",
            "SPTC",
            vec![
                "AISP1", "AISP2", "AISP3", "AISP4", "AISP5", "AISP6", "AISP7",
            ],
        ),
        (
            "PP-POG",
            "Penitenciária Odenir Guimarães",
            "PP",
            vec!["AIS8"],
        ),
    ];
    let mut csv = String::from("code,name,institution,territory_codes,valid_from\n");
    for (code, name, inst, t) in &units {
        let _ = writeln!(csv, "{code},{name},{inst},{},2013-04-30", t.join(";"));
    }
    import(
        db,
        Kind::Units,
        &files.write("unidades.csv", &csv)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;

    // 4. Operators, assignments, loans and absences (some right at the 60 % line of Art. 9).
    const FIRST: [&str; 20] = [
        "Ana",
        "Bruno",
        "Carla",
        "Diego",
        "Elaine",
        "Fábio",
        "Gabriela",
        "Henrique",
        "Isabela",
        "João",
        "Karina",
        "Lucas",
        "Mariana",
        "Nelson",
        "Otávio",
        "Patrícia",
        "Rafael",
        "Simone",
        "Thiago",
        "Vanessa",
    ];
    const LAST: [&str; 16] = [
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Rodrigues",
        "Ferreira",
        "Alves",
        "Pereira",
        "Lima",
        "Gomes",
        "Costa",
        "Ribeiro",
        "Martins",
        "Carvalho",
        "Almeida",
        "Barbosa",
    ];
    let mut ops = String::from("registration,name,institution,cpf\n");
    let mut asg = String::from("registration,unit_code,from,to,kind\n");
    let mut abs = String::from("registration,from,to,reason\n");
    let start = NaiveDate::from_ymd_opt(today.year() - 4, 1, 1).unwrap_or(first_day);
    let last_quarter = Quarter::of(today)
        .ok()
        .and_then(|q| q.previous())
        .ok_or_else(|| DemoError::Embedded(format!("data fora do intervalo aceito: {today}")))?;
    let mut n = 0u32;
    let mut regs_of: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (code, _, inst, _) in &units {
        let size = match *inst {
            "PM" => 24,
            "PC" => 10,
            "BM" => 8,
            "SPTC" => 6,
            _ => 10,
        };
        for _ in 0..size {
            n += 1;
            let reg = format!("{}{:06}", &inst[..1], 100_000 + n * 37);
            let name = format!(
                "{} {} {}",
                FIRST[rng.random_range(0..FIRST.len())],
                LAST[rng.random_range(0..LAST.len())],
                LAST[rng.random_range(0..LAST.len())]
            );
            let nine: String = (0..9)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect();
            let cpf = Cpf::complete(&nine)
                .map(|c| c.digits().to_string())
                .unwrap_or_default();
            let _ = writeln!(ops, "{reg},{name},{inst},{cpf}");
            regs_of.entry(code).or_default().push(reg.clone());
            let _ = writeln!(asg, "{reg},{code},{start},,lotacao");
            // Thirty days of vacation a year.
            for y in (today.year() - 3)..=today.year() {
                let from =
                    NaiveDate::from_ymd_opt(y, rng.random_range(1..=11), rng.random_range(1..=28));
                if let Some(from) = from.filter(|f| *f < today) {
                    let to = from + Days::new(29);
                    let _ = writeln!(abs, "{reg},{from},{to},férias");
                }
            }
            // A few long sick leaves straddling the 60 % line in the last complete quarter.
            if n.is_multiple_of(23) {
                let limit = (last_quarter.days() as f64 * 0.6).ceil() as u64;
                let days = if n.is_multiple_of(46) {
                    limit
                } else {
                    limit - 1
                };
                let from = last_quarter.first_day() + Days::new(3);
                let _ = writeln!(
                    abs,
                    "{reg},{from},{},licença para tratamento de saúde",
                    from + Days::new(days - 1)
                );
            }
            // Some loans (à disposição, Art. 9 §ú) for the last complete quarter.
            if n.is_multiple_of(17) && *code != "PM-1BPM" {
                let _ = writeln!(
                    asg,
                    "{reg},PM-1BPM,{},{},disposicao",
                    last_quarter.first_day(),
                    last_quarter.last_day()
                );
            }
        }
    }
    import(
        db,
        Kind::Operators,
        &files.write("operadores.csv", &ops)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;
    import(
        db,
        Kind::Assignments,
        &files.write("lotacoes.csv", &asg)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;
    import(
        db,
        Kind::Absences,
        &files.write("afastamentos.csv", &abs)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;

    // 5. Crime map.
    let mut map = String::from("source_code,crime\n");
    for (s, c) in SOURCE_CODES {
        let _ = writeln!(map, "{s},{c}");
    }
    import(
        db,
        Kind::CrimeMap,
        &files.write("mapa_crimes.csv", &map)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;

    // 6. Occurrences: monthly Poisson counts × seasonality × trend; 40 % around hot spots.
    let mut areas = areas;
    for a in &mut areas {
        let k = if a.share < 1.0 { 2 } else { 3 };
        a.hot_spots = (0..k).map(|_| point_in(&mut rng, &a.prepared)).collect();
        report
            .hot_spots
            .extend(a.hot_spots.iter().map(|&(x, y)| (a.code.clone(), x, y)));
    }
    let mut occ = String::from("id,occurred_at,crime,lat,lon,territory_code,victims,unit_code\n");
    let mut month = Month::of(first_day)
        .map_err(|e| DemoError::Embedded(format!("data fora do intervalo aceito: {e}")))?;
    let last_month = Month::of(today).unwrap_or(month);
    let mut seq = 0u64;
    let mut reclass = Vec::new();
    loop {
        let years_from_start = (month.first_day() - first_day).num_days() as f64 / 365.25;
        let season =
            1.0 + 0.12 * (2.0 * std::f64::consts::PI * (month.month() as f64 - 12.0) / 12.0).cos();
        let days_in = if month == last_month {
            today.day()
        } else {
            month.days()
        };
        for a in &areas {
            let pop = pop_of(a.municipality, month.year()) * a.share;
            let factor =
                season * a.trend.powf(years_from_start) * days_in as f64 / month.days() as f64;
            for (crime, rate) in RATES {
                let n = poisson(&mut rng, rate * pop / 100_000.0 * factor * 0.6 * scale);
                for _ in 0..n {
                    seq += 1;
                    let day = month.first_day() + Days::new(rng.random_range(0..days_in) as u64);
                    let hour = [0, 1, 2, 7, 9, 12, 14, 17, 18, 19, 20, 21, 22, 23]
                        [rng.random_range(0..14)];
                    let at = NaiveDateTime::new(
                        day,
                        NaiveTime::from_hms_opt(hour, rng.random_range(0..60), 0)
                            .unwrap_or(NaiveTime::MIN),
                    );
                    let id = format!("DEMO-{}-{seq:07}", day.year());
                    let victims = if crime == "homicidio_doloso" && rng.random::<f64>() < 0.1 {
                        2
                    } else {
                        1
                    };
                    let code = if rng.random::<f64>() < 0.05 {
                        SOURCE_CODES
                            .iter()
                            .find(|(_, c)| *c == crime)
                            .map(|(s, _)| *s)
                            .unwrap_or(crime)
                    } else {
                        crime
                    };
                    if rng.random::<f64>() < 0.08 {
                        // No coordinates: the BO only names the area.
                        let _ = writeln!(
                            occ,
                            "{id},{},{code},,,{},{victims},",
                            at.format("%Y-%m-%dT%H:%M:%S"),
                            a.code
                        );
                        continue;
                    }
                    let (lon, lat) = if rng.random::<f64>() < 0.4 {
                        let (hx, hy) = a.hot_spots[rng.random_range(0..a.hot_spots.len())];
                        // ~400 m around the hot spot; fall back inside the area if it drifts out.
                        let (x, y) = (hx + normal(&mut rng) * 0.004, hy + normal(&mut rng) * 0.004);
                        if a.prepared.contains(x, y) {
                            (x, y)
                        } else {
                            point_in(&mut rng, &a.prepared)
                        }
                    } else {
                        point_in(&mut rng, &a.prepared)
                    };
                    let _ = writeln!(
                        occ,
                        "{id},{},{code},{lat:.6},{lon:.6},,{victims},",
                        at.format("%Y-%m-%dT%H:%M:%S")
                    );
                    if a.code == "AISP3"
                        && crime == "roubo_veiculo"
                        && last_quarter.contains(day)
                        && reclass.len() < 25
                    {
                        reclass.push(format!(
                            "{id},{},furto_transeunte,{lat:.6},{lon:.6},,{victims},",
                            at.format("%Y-%m-%dT%H:%M:%S")
                        ));
                    }
                }
            }
        }
        if month >= last_month {
            break;
        }
        match month.succ() {
            Some(m) => month = m,
            None => break,
        }
    }
    // A handful of occurrences just outside Goiás' areas (kept, listed as unassigned).
    for i in 0..12 {
        let _ = writeln!(
            occ,
            "DEMO-FORA-{i:03},{}T10:00:00,roubo_transeunte,{:.6},{:.6},,1,",
            today - Days::new(i * 17 + 3),
            -12.9 - i as f64 * 0.01,
            -38.5
        );
    }
    import(
        db,
        Kind::Occurrences,
        &files.write("ocorrencias.csv", &occ)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;
    // 7. A later re-export that quietly downgrades some vehicle robberies of AISP3 to street theft:
    //    the store keeps every such reclassification visible.
    let mut re = String::from("id,occurred_at,crime,lat,lon,territory_code,victims,unit_code\n");
    for l in &reclass {
        re.push_str(l);
        re.push('\n');
    }
    import(
        db,
        Kind::Occurrences,
        &files.write("ocorrencias_reexportadas.csv", &re)?,
        Origin::Synthetic,
        today,
        &mut report,
    )
    .await?;

    // 8. IPEI: firearm seizures of the month whose cycle runs now (the month before today's), as the
    //    units' spreadsheets would bring them — without BO copies, which the unit heads attach in the
    //    application — and two SPTC laudos. One seizure was not in flagrante, one has no serial (its item
    //    tells it apart), one repeats another's serial (DUPLICATE), one names a prison officer and a PM.
    if let Some(month) = atalaia_core::Month::of(today).ok().and_then(|m| m.pred()) {
        let reg = |unit: &str, i: usize| {
            regs_of
                .get(unit)
                .and_then(|v| v.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let day = |d: u32| month.first_day() + Days::new(u64::from(d.min(month.days()) - 1));
        let rows = [
            (
                "PM-1BPM",
                "DEMO-IPEI-001",
                3,
                "sim",
                vec![reg("PM-1BPM", 0), reg("PM-1BPM", 1)],
                "TX1001",
                "",
                "pistola",
                ".40",
                "Taurus",
            ),
            (
                "PM-1BPM",
                "DEMO-IPEI-002",
                7,
                "sim",
                vec![reg("PM-1BPM", 0)],
                "TX1002",
                "",
                "revólver",
                ".38",
                "Rossi",
            ),
            (
                "PM-1BPM",
                "DEMO-IPEI-003",
                12,
                "nao",
                vec![reg("PM-1BPM", 2)],
                "TX1003",
                "",
                "pistola",
                "9mm",
                "Glock",
            ),
            (
                "PM-1BPM",
                "DEMO-IPEI-004",
                15,
                "sim",
                vec![reg("PM-1BPM", 0), reg("PM-1BPM", 3)],
                "",
                "1",
                "espingarda",
                "12",
                "",
            ),
            (
                "PM-7BPM",
                "DEMO-IPEI-101",
                5,
                "sim",
                vec![reg("PM-7BPM", 0)],
                "TX2001",
                "",
                "pistola",
                ".380",
                "Imbel",
            ),
            (
                "PM-7BPM",
                "DEMO-IPEI-102",
                20,
                "sim",
                vec![reg("PM-7BPM", 1)],
                "TX1001",
                "",
                "pistola",
                ".40",
                "Taurus",
            ),
            (
                "PC-1DRP",
                "DEMO-IPEI-201",
                9,
                "sim",
                vec![reg("PC-1DRP", 0), reg("PP-POG", 0)],
                "TX3001",
                "",
                "submetralhadora",
                "9mm",
                "Taurus",
            ),
        ];
        let mut sz = String::from(
            "bo_number,seized_on,unit_code,registrations,flagrante,serial,item,weapon_kind,caliber,brand\n",
        );
        for (unit, bo, d, fl, regs, serial, item, kind, cal, brand) in rows {
            let _ = writeln!(
                sz,
                "{bo},{},{unit},{},{fl},{serial},{item},{kind},{cal},{brand}",
                day(d),
                regs.join(";")
            );
        }
        import(
            db,
            Kind::Seizures,
            &files.write("apreensoes.csv", &sz)?,
            Origin::Synthetic,
            today,
            &mut report,
        )
        .await?;
        let mut laudos = String::from("bo_number,serial,expert_registration,signed_on\n");
        for (bo, serial, d) in [
            ("DEMO-IPEI-001", "TX1001", 6),
            ("DEMO-IPEI-201", "TX3001", 14),
        ] {
            let signed = day(d).min(today);
            let _ = writeln!(laudos, "{bo},{serial},{},{signed}", reg("SPTC-IC", 0));
        }
        import(
            db,
            Kind::ForensicReports,
            &files.write("laudos.csv", &laudos)?,
            Origin::Synthetic,
            today,
            &mut report,
        )
        .await?;
    }

    // 9. A program configuration: the decree's rules with illustrative amounts (the decree leaves them to
    //    the committee), in force from the first day of the demo's data.
    let mut doc = atalaia_core::program::ProgramDocument::decree_default();
    doc.payment =
        std::collections::BTreeMap::from([("RECAP1".into(), 1500.0), ("RECAP2".into(), 750.0)]);
    let text = serde_json::to_string(&doc).map_err(|e| DemoError::Embedded(e.to_string()))?;
    let mut tx = db.begin().await?;
    tx.put_program_config(
        first_day,
        &text,
        "Configuração de demonstração (valores ilustrativos)",
        "demo",
        today.and_time(NaiveTime::MIN),
    )
    .await?;
    tx.commit().await?;

    // 10. Igesp in Goiânia (igesp.md §4–5): an internal and an articulation meeting already held, with
    //     their minutes and decisions (one overdue, one in progress, a joint operation done), the next
    //     articulation meeting scheduled, and an internal meeting in Anápolis.
    igesp(db, today).await?;
    Ok(report)
}

/// The demo's institutions at the Igesp table: (code, name, kind).
const DEMO_INSTITUTIONS: [(&str, &str, &str); 8] = [
    (
        "SSP-GO",
        "Secretaria de Segurança Pública de Goiás (demonstração)",
        "SSP",
    ),
    ("PMGO", "Polícia Militar de Goiás (demonstração)", "PM"),
    ("PCGO", "Polícia Civil de Goiás (demonstração)", "PC"),
    ("MPGO", "Ministério Público de Goiás (demonstração)", "MP"),
    ("TJGO", "Tribunal de Justiça de Goiás (demonstração)", "TJ"),
    ("PREF-GYN", "Prefeitura de Goiânia (demonstração)", "PREF"),
    (
        "CONSEP-GYN",
        "Conselho Comunitário de Segurança de Goiânia (demonstração)",
        "CONSEP",
    ),
    ("CDL-GYN", "CDL Goiânia (demonstração)", "CDL"),
];

async fn igesp(db: &Db, today: NaiveDate) -> Result<(), DemoError> {
    use atalaia_core::igesp::{ActionStatus, MeetingKind};
    use atalaia_store::igesp::{ActionProgress, Actor, NewAction, NewAttendee, NewMeeting};
    let fail = |e: atalaia_store::igesp::IgespError| DemoError::Embedded(format!("Igesp: {e}"));
    let now = today.and_hms_opt(12, 0, 0).unwrap_or_default();
    let existing = db.institutions().await?;
    let mut ids = std::collections::HashMap::new();
    let mut tx = db.begin().await?;
    for (code, name, kind) in DEMO_INSTITUTIONS {
        let id = match existing.iter().find(|i| i.code == code) {
            Some(i) => i.id,
            None => tx.create_institution(code, name, kind, true, now).await?,
        };
        ids.insert(code, id);
    }
    tx.commit().await?;
    let id = |c: &str| ids.get(c).copied().unwrap_or_default();
    let who = Actor {
        actor: "demo",
        name: "Demonstração",
        institution_id: id("SSP-GO"),
        ip: "",
    };
    let day = |n: i64| today + chrono::Duration::days(n);
    let at = |n: i64, h: u32| day(n).and_hms_opt(h, 0, 0).unwrap_or_default();
    let meeting =
        |kind: MeetingKind, title: &str, municipality: &str, n: i64, inst: &[&str]| NewMeeting {
            kind,
            title: title.into(),
            municipality_code: municipality.into(),
            area_code: None,
            starts_at: at(n, 9),
            ends_at: at(n, 11),
            place: "Sala de situação da SSP (demonstração)".into(),
            institutions: inst.iter().map(|c| id(c)).collect(),
            attendees: vec![],
            synthetic: true,
        };
    let person = |name: &str, position: &str, inst: &str| NewAttendee {
        name: name.into(),
        position: position.into(),
        institution_id: id(inst),
        user_id: None,
    };
    // The internal meeting, held three weeks ago.
    let mut internal = meeting(
        MeetingKind::Internal,
        "Diagnóstico dos roubos no centro",
        GOIANIA,
        -21,
        &["SSP-GO", "PMGO", "PCGO"],
    );
    internal.attendees = vec![
        person("Cel. Dario Souza", "Comandante do 1º BPM", "PMGO"),
        person("Dra. Helena Castro", "Delegada regional", "PCGO"),
    ];
    let internal_id = db.create_meeting(&internal, who, now).await.map_err(fail)?;
    // The articulation meeting, held two weeks ago, and its decisions.
    let mut articulation = meeting(
        MeetingKind::Articulation,
        "Articulação — roubos a transeunte no centro",
        GOIANIA,
        -14,
        &[
            "SSP-GO",
            "PMGO",
            "MPGO",
            "PREF-GYN",
            "CONSEP-GYN",
            "CDL-GYN",
        ],
    );
    articulation.attendees = vec![
        person("Cel. Dario Souza", "Comandante do 1º BPM", "PMGO"),
        person("Dra. Fernanda Lima", "Promotora de Justiça", "MPGO"),
        person(
            "Marcos Prado",
            "Secretário municipal de Ordem Pública",
            "PREF-GYN",
        ),
        person("Lúcia Ramos", "Presidente do Consep Centro", "CONSEP-GYN"),
    ];
    let articulation_id = db
        .create_meeting(&articulation, who, now)
        .await
        .map_err(fail)?;
    let action = |title: &str, reason: &str, resp: &str, partners: &[&str], due: i64| NewAction {
        plan_id: None,
        municipality_code: String::new(),
        area_code: None,
        meeting_id: Some(articulation_id),
        title: title.into(),
        reason: reason.into(),
        responsible_institution_id: id(resp),
        responsible_person: String::new(),
        partners: partners.iter().map(|c| id(c)).collect(),
        starts_on: day(-14),
        due_on: day(due),
        indicator: "roubo_transeunte".into(),
        joint_operation: false,
        operation_on: None,
        synthetic: true,
    };
    db.create_action(
        &action(
            "Iluminação e poda na Praça do Trabalhador",
            "Roubos à noite nos pontos escuros da praça (zona quente do centro)",
            "PREF-GYN",
            &[],
            -3,
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    let hearings = db
        .create_action(
            &action(
                "Audiências de custódia em 24 h para presos por roubo no centro",
                "Reincidência: os mesmos autores voltam ao centro em dias",
                "MPGO",
                &["TJGO"],
                20,
            ),
            who,
            now,
        )
        .await
        .map_err(fail)?;
    let mut joint = action(
        "Operação conjunta de fiscalização de ferros-velhos e receptação de celulares",
        "Celulares roubados no centro revendidos na região",
        "PMGO",
        &["PCGO", "PREF-GYN"],
        -2,
    );
    joint.joint_operation = true;
    joint.operation_on = Some(day(-5));
    let joint_id = db.create_action(&joint, who, now).await.map_err(fail)?;
    db.create_action(
        &action(
            "Reunião do Consep com os comerciantes do centro",
            "Subnotificação de furtos no comércio",
            "CONSEP-GYN",
            &["CDL-GYN"],
            10,
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    let dir = tempfile::tempdir()?;
    for (aid, status, note) in [
        (
            hearings,
            ActionStatus::InProgress,
            "Plantão judicial combinado com o TJ; primeira semana com 31 audiências",
        ),
        (
            joint_id,
            ActionStatus::Done,
            "Operação realizada: 12 estabelecimentos fiscalizados, 47 celulares apreendidos",
        ),
    ] {
        db.update_action(
            aid,
            &ActionProgress {
                status: Some(status),
                note,
                evidence: None,
            },
            dir.path(),
            who,
            now,
        )
        .await
        .map_err(fail)?;
    }
    // Minutes of both held meetings, their agendas frozen as of their days.
    for (mid, text) in [
        (
            internal_id,
            "Apresentado o mapa de zonas quentes do centro. PM e PC concordam em levar à articulação a iluminação da praça e a receptação de celulares.",
        ),
        (
            articulation_id,
            "Discutidos os roubos a transeunte no centro. A Prefeitura assume a iluminação da praça; o MP, com o TJ, as audiências de custódia; PM, PC e Prefeitura uma operação conjunta contra a receptação.",
        ),
    ] {
        let Some(m) = db.meeting(mid).await? else {
            continue;
        };
        let agenda = db.agenda(&m, m.starts_at.date()).await?;
        let json =
            serde_json::to_string(&agenda).map_err(|e| DemoError::Embedded(e.to_string()))?;
        let present: Vec<i64> = m.institutions.iter().map(|i| i.id).collect();
        let people: Vec<i64> = m.attendees.iter().map(|a| a.id).collect();
        db.record_minutes(mid, text, &present, &people, &json, who, now)
            .await
            .map_err(fail)?;
    }
    // The next articulation meeting, and an internal meeting in Anápolis.
    db.create_meeting(
        &meeting(
            MeetingKind::Articulation,
            "Articulação — acompanhamento do plano do centro",
            GOIANIA,
            7,
            &["SSP-GO", "PMGO", "MPGO", "PREF-GYN", "CONSEP-GYN"],
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    db.create_meeting(
        &meeting(
            MeetingKind::Internal,
            "Diagnóstico de Anápolis",
            ANAPOLIS,
            3,
            &["SSP-GO", "PMGO", "PCGO"],
        ),
        who,
        now,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
