//! What the fuzz targets share: a parsing context that knows a few territories, crimes, units,
//! operators and areas (so that rows get past the "unknown code" checks into the deeper parsing), and
//! the row parsing of every tabular kind over records already read.

use std::sync::OnceLock;

use atalaia_ingest::Kind;
use atalaia_ingest::fields::Columns;
use atalaia_ingest::kinds::{self, Context};
use atalaia_ingest::read::RawRecord;
use atalaia_spatial::{AreaIndex, AreaVersion};
use chrono::NaiveDate;
use geo::{LineString, MultiPolygon, Polygon};

/// Every kind read from a table (all but `territories`, which is GeoJSON).
pub const TABULAR: [Kind; 10] = [
    Kind::Population,
    Kind::Units,
    Kind::Operators,
    Kind::Assignments,
    Kind::Absences,
    Kind::CrimeMap,
    Kind::Occurrences,
    Kind::Counts,
    Kind::Seizures,
    Kind::ForensicReports,
];

/// The units a unit head may send rows for in [`head_context`] (the others are known but out of scope).
pub const MY_UNITS: [&str; 1] = ["PM-1BPM"];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
    let ring = vec![
        (x0, y0),
        (x0 + side, y0),
        (x0 + side, y0 + side),
        (x0, y0 + side),
        (x0, y0),
    ];
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

fn build(units_allowed: Option<&[&str]>) -> Context {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    let areas = AreaIndex::new(vec![
        AreaVersion {
            code: "X".into(),
            valid_from: date(1900, 1, 1),
            valid_to: None,
            geometry: square(0.0, 0.0, 1.0),
        },
        AreaVersion {
            code: "Y".into(),
            valid_from: date(2024, 1, 1),
            valid_to: Some(date(2024, 12, 31)),
            geometry: square(0.5, 0.5, 1.0),
        },
        AreaVersion {
            code: "MUN1".into(),
            valid_from: date(1900, 1, 1),
            valid_to: None,
            geometry: square(-49.32, -16.73, 0.1),
        },
    ]);
    Context {
        crimes: set(&[
            "roubo_veiculo",
            "furto_veiculo",
            "homicidio_doloso",
            "roubo_transeunte",
        ]),
        crime_map: [("C01157V".to_string(), "roubo_veiculo".to_string())]
            .into_iter()
            .collect(),
        territories: set(&["X", "Y", "MUN1", "RJ-AISP02"]),
        units: set(&["PM-1BPM", "PM-2BPM", "PM-7BPM"]),
        registrations: set(&["123456", "654321", "P100037", "P100111"]),
        areas,
        today: date(2026, 11, 4),
        units_allowed: units_allowed.map(set),
    }
}

/// The context of an analyst's import (any known unit).
pub fn context() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| build(None))
}

/// The context of a unit head's IPEI spreadsheet (rows of [`MY_UNITS`] only).
pub fn head_context() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| build(Some(&MY_UNITS)))
}

/// Matches `header` against `kind`'s columns and parses every record as the importer does (a header
/// without the kind's required columns stops there, as it stops an import).
pub fn parse_rows(
    kind: Kind,
    header: &[String],
    records: &[RawRecord],
    decimal_comma: bool,
    ctx: &Context,
) {
    let (required, optional) = kinds::columns(kind);
    let Ok(cols) = Columns::new("fuzz", header, required, optional, decimal_comma) else {
        return;
    };
    for rec in records {
        if let Ok(row) = cols.row(rec) {
            let _ = kinds::parse(kind, &row, ctx);
        }
    }
}
