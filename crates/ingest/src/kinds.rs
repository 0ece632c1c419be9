//! Row parsers of the tabular kinds (contracts.md §2): each turns a record into a typed value ready
//! for the store, or a reason to reject it.

use atalaia_core::dates::BrDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use atalaia_core::{
    BoNumber, CrimeCode, Institution, Month, Registration, TerritoryCode, UnitCode, Wgs84,
};
use atalaia_spatial::AreaIndex;
use atalaia_store::ipei::{ForensicRecord, SeizureRecord};
use atalaia_store::occurrences::OccurrenceRecord;
use atalaia_store::reference::{AbsenceInput, AssignmentInput, OperatorInput, UnitInput};
use chrono::NaiveDate;

use crate::Kind;
use crate::fields::{Row, bad};
use crate::territories::SINCE_ALWAYS;

/// What the parsers need to know from the database, loaded once before the file is read.
#[derive(Debug, Default)]
pub struct Context {
    /// Catalog crime codes.
    pub crimes: HashSet<String>,
    /// Crime map: source code → catalog code.
    pub crime_map: HashMap<String, String>,
    /// Known territory codes.
    pub territories: HashSet<String>,
    /// Known unit codes.
    pub units: HashSet<String>,
    /// Known operator registrations.
    pub registrations: HashSet<String>,
    /// Areas with geometry, for occurrences with coordinates.
    pub areas: AreaIndex,
    /// Today (facts cannot happen after it).
    pub today: NaiveDate,
    /// The units rows may name (`None`: any known unit).
    pub units_allowed: Option<HashSet<String>>,
}

/// A parsed row of any tabular kind.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// `population`.
    Population {
        code: String,
        year: i32,
        population: i64,
    },
    /// `units`.
    Unit(UnitInput),
    /// `operators`.
    Operator(OperatorInput),
    /// `assignments`.
    Assignment(AssignmentInput),
    /// `absences`.
    Absence(AbsenceInput),
    /// `occurrences`.
    Occurrence(OccurrenceRecord),
    /// `counts`.
    Count {
        code: String,
        crime: String,
        /// First day of the month.
        month: NaiveDate,
        count: i64,
    },
    /// `seizures`.
    Seizure(SeizureRecord),
    /// `forensic-reports`.
    Forensic(ForensicRecord),
    /// `crime-map`.
    CrimeMap {
        /// Source code.
        source: String,
        /// Catalog code.
        crime: String,
    },
}

/// Required and optional columns of a tabular kind.
pub fn columns(kind: Kind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        Kind::Territories => (&[], &[]),
        Kind::Population => (&["territory_code", "year", "population"], &[]),
        Kind::Units => (
            &["code", "name", "institution", "territory_codes"],
            &["valid_from", "valid_to"],
        ),
        Kind::Operators => (&["registration", "name", "institution"], &["cpf"]),
        Kind::Assignments => (&["registration", "unit_code", "from"], &["to", "kind"]),
        Kind::Absences => (&["registration", "from", "to"], &["reason"]),
        Kind::Occurrences => (
            &["id", "occurred_at", "crime"],
            &["lat", "lon", "territory_code", "victims", "unit_code"],
        ),
        Kind::Counts => (&["territory_code", "month", "crime", "count"], &[]),
        Kind::CrimeMap => (&["source_code", "crime"], &[]),
        Kind::Seizures => (
            &[
                "bo_number",
                "seized_on",
                "unit_code",
                "registrations",
                "flagrante",
            ],
            &["weapon_kind", "caliber", "serial", "brand", "item"],
        ),
        Kind::ForensicReports => (
            &["bo_number", "serial", "expert_registration", "signed_on"],
            &[],
        ),
    }
}

fn known_territory(ctx: &Context, column: &str, code: &str) -> Result<String, String> {
    let code = TerritoryCode::parse(code).map_err(|e| bad(column, code, e))?;
    if !ctx.territories.contains(code.as_str()) {
        return Err(bad(
            column,
            code.as_str(),
            "território desconhecido; importe-o antes (tipo `territories`)",
        ));
    }
    Ok(code.as_str().to_string())
}

fn catalog_crime(ctx: &Context, column: &str, v: &str) -> Result<(String, Option<String>), String> {
    if let Some(c) = ctx.crime_map.get(v) {
        return Ok((c.clone(), Some(v.to_string())));
    }
    match CrimeCode::parse(v) {
        Ok(c) if ctx.crimes.contains(c.as_str()) => Ok((c.as_str().to_string(), None)),
        _ => Err(bad(
            column,
            v,
            "crime fora do catálogo e sem tradução no mapa de crimes (tipo `crime-map`)",
        )),
    }
}

fn registration(ctx: &Context, row: &Row<'_>, must_exist: bool) -> Result<Registration, String> {
    let r = row.parse("registration", Registration::parse)?;
    if must_exist && !ctx.registrations.contains(r.as_str()) {
        return Err(bad(
            "registration",
            r.as_str(),
            "operador desconhecido; importe-o antes (tipo `operators`)",
        ));
    }
    Ok(r)
}

fn check_range(from: NaiveDate, to: Option<NaiveDate>, to_col: &str) -> Result<(), String> {
    match to {
        Some(t) if t < from => Err(bad(
            to_col,
            &t.br_date(),
            format!("a data final é anterior à inicial ({})", from.br_date()),
        )),
        _ => Ok(()),
    }
}

/// Parses one row of `kind`.
pub fn parse(kind: Kind, row: &Row<'_>, ctx: &Context) -> Result<Parsed, String> {
    match kind {
        Kind::Population => Ok(Parsed::Population {
            code: known_territory(ctx, "territory_code", row.req("territory_code")?)?,
            year: row.int("year", 1900, 2200)? as i32,
            population: row.int("population", 0, 2_000_000_000)?,
        }),
        Kind::Units => {
            let code = row.parse("code", UnitCode::parse)?;
            let institution = row.parse("institution", Institution::parse)?;
            let raw = row.req("territory_codes")?;
            let mut codes = Vec::new();
            for c in raw
                .split([';', '|'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                codes.push(known_territory(ctx, "territory_codes", c)?);
            }
            codes.sort();
            codes.dedup();
            if codes.is_empty() {
                return Err(bad(
                    "territory_codes",
                    raw,
                    "esperado ao menos um código de território",
                ));
            }
            let valid_from = row.date_opt("valid_from")?.unwrap_or(SINCE_ALWAYS);
            let valid_to = row.date_opt("valid_to")?;
            check_range(valid_from, valid_to, "valid_to")?;
            Ok(Parsed::Unit(UnitInput {
                code,
                name: row.req("name")?.to_string(),
                institution,
                territory_codes: codes,
                valid_from,
                valid_to,
            }))
        }
        Kind::Operators => {
            let cpf = row.parse_opt("cpf", atalaia_core::Cpf::parse)?;
            Ok(Parsed::Operator(OperatorInput {
                registration: registration(ctx, row, false)?,
                name: row.req("name")?.to_string(),
                institution: row.parse("institution", Institution::parse)?,
                cpf,
            }))
        }
        Kind::Assignments => {
            let registration = registration(ctx, row, true)?;
            let unit = known_unit(row, ctx)?;
            let from = row.date("from")?;
            let to = row.date_opt("to")?;
            check_range(from, to, "to")?;
            let kind = match row.opt("kind").map(|k| k.to_lowercase()) {
                None => "lotacao".to_string(),
                Some(k) if k == "lotacao" || k == "lotação" => "lotacao".to_string(),
                Some(k) if k == "disposicao" || k == "disposição" => "disposicao".to_string(),
                Some(k) => return Err(bad("kind", &k, "esperado `lotacao` ou `disposicao`")),
            };
            Ok(Parsed::Assignment(AssignmentInput {
                registration,
                unit_code: unit,
                from,
                to,
                kind,
            }))
        }
        Kind::Absences => {
            let registration = registration(ctx, row, true)?;
            let from = row.date("from")?;
            let to = row.date("to")?;
            check_range(from, Some(to), "to")?;
            Ok(Parsed::Absence(AbsenceInput {
                registration,
                from,
                to,
                reason: row.opt("reason").unwrap_or("").to_string(),
            }))
        }
        Kind::Occurrences => occurrence(row, ctx).map(Parsed::Occurrence),
        Kind::Counts => {
            let code = known_territory(ctx, "territory_code", row.req("territory_code")?)?;
            let month = row.parse("month", Month::parse)?;
            let (crime, _) = catalog_crime(ctx, "crime", row.req("crime")?)?;
            Ok(Parsed::Count {
                code,
                crime,
                month: month.first_day(),
                count: row.int("count", 0, 1_000_000_000)?,
            })
        }
        Kind::CrimeMap => {
            let source = row.req("source_code")?.to_string();
            if source.chars().count() > 128 || source.chars().any(char::is_control) {
                return Err(bad(
                    "source_code",
                    &source,
                    "esperado código de até 128 caracteres",
                ));
            }
            let crime = row.parse("crime", CrimeCode::parse)?;
            if !ctx.crimes.contains(crime.as_str()) {
                return Err(bad("crime", crime.as_str(), "crime fora do catálogo"));
            }
            Ok(Parsed::CrimeMap {
                source,
                crime: crime.as_str().to_string(),
            })
        }
        Kind::Seizures => seizure(row, ctx).map(Parsed::Seizure),
        Kind::ForensicReports => {
            let bo = row.parse("bo_number", BoNumber::parse)?;
            let expert = row.parse("expert_registration", Registration::parse)?;
            let signed_on = not_future(ctx, row, "signed_on", row.date("signed_on")?)?;
            Ok(Parsed::Forensic(ForensicRecord {
                bo_number: bo.as_str().to_string(),
                serial: short_text(row, "serial")?,
                expert_registration: expert.as_str().to_string(),
                signed_on,
            }))
        }
        Kind::Territories => Err("territórios são importados de GeoJSON".into()),
    }
}

fn not_future(
    ctx: &Context,
    row: &Row<'_>,
    column: &str,
    day: NaiveDate,
) -> Result<NaiveDate, String> {
    if day > ctx.today {
        return Err(bad(
            column,
            row.opt(column).unwrap_or(""),
            format!("data no futuro (hoje é {})", ctx.today.br_date()),
        ));
    }
    Ok(day)
}

/// An optional free-text cell of at most 64 characters without control characters.
fn short_text(row: &Row<'_>, column: &str) -> Result<String, String> {
    let v = row.opt(column).unwrap_or("").trim();
    if v.chars().count() > 64 || v.chars().any(char::is_control) {
        return Err(bad(column, v, "esperado texto de até 64 caracteres"));
    }
    Ok(v.to_string())
}

/// The row's `unit_code`, a unit already imported.
fn known_unit(row: &Row<'_>, ctx: &Context) -> Result<UnitCode, String> {
    let unit = row.parse("unit_code", UnitCode::parse)?;
    if !ctx.units.contains(unit.as_str()) {
        return Err(bad(
            "unit_code",
            unit.as_str(),
            "unidade desconhecida; importe-a antes (tipo `units`)",
        ));
    }
    Ok(unit)
}

/// A seizure row (contracts.md §2, `seizures`): the unit must exist; the named operators are kept as
/// written (an unknown one is shown in the result, never dropped); without a serial, `item` tells
/// the weapon apart within its BO.
fn seizure(row: &Row<'_>, ctx: &Context) -> Result<SeizureRecord, String> {
    let bo = row.parse("bo_number", BoNumber::parse)?;
    let seized_on = not_future(ctx, row, "seized_on", row.date("seized_on")?)?;
    let unit = known_unit(row, ctx)?;
    if ctx
        .units_allowed
        .as_ref()
        .is_some_and(|a| !a.contains(unit.as_str()))
    {
        return Err(bad(
            "unit_code",
            unit.as_str(),
            "unidade fora do seu escopo: envie só apreensões das suas unidades",
        ));
    }
    let mut registrations: Vec<Registration> = Vec::new();
    for r in row
        .opt("registrations")
        .unwrap_or("")
        .split([';', '|', ','])
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        let reg = Registration::parse(r).map_err(|e| bad("registrations", r, e))?;
        registrations.push(reg);
    }
    let flagrante = row.parse("flagrante", crate::fields::parse_bool)?;
    let item = row
        .int_opt("item", 1, 10_000)?
        .map(|i| u32::try_from(i).unwrap_or(1));
    Ok(SeizureRecord {
        unit_code: unit,
        bo_number: bo,
        item,
        serial: short_text(row, "serial")?,
        seized_on,
        flagrante,
        registrations,
        weapon_kind: short_text(row, "weapon_kind")?,
        caliber: short_text(row, "caliber")?,
        brand: short_text(row, "brand")?,
    })
}

/// An occurrence row (contracts.md §2): coordinates give every area containing the point on the date
/// of the fact; without coordinates, the row's `territory_code`. A present but invalid value rejects
/// the row even when another column could have served.
fn occurrence(row: &Row<'_>, ctx: &Context) -> Result<OccurrenceRecord, String> {
    let id = row.parse("id", BoNumber::parse)?;
    let occurred_at = row.datetime("occurred_at")?;
    if occurred_at.date() > ctx.today {
        return Err(bad(
            "occurred_at",
            row.req("occurred_at")?,
            format!("data no futuro (hoje é {})", ctx.today.br_date()),
        ));
    }
    let (crime, source_crime) = catalog_crime(ctx, "crime", row.req("crime")?)?;
    let lat = row.f64_opt("lat")?;
    let lon = row.f64_opt("lon")?;
    let territory = row.parse_opt("territory_code", TerritoryCode::parse)?;
    let victims = row.int_opt("victims", 1, 10_000)?.unwrap_or(1);
    let unit_code = row.parse_opt("unit_code", UnitCode::parse)?;
    let point = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(Wgs84::new(lat, lon).map_err(|e| {
            format!(
                "colunas `lat`/`lon`: valor `{}, {}` inválido: {e}",
                row.opt("lat").unwrap_or(""),
                row.opt("lon").unwrap_or("")
            )
        })?),
        (None, None) => None,
        (Some(_), None) => {
            return Err("coluna `lon`: valor vazio; com `lat` é obrigatório informar `lon`".into());
        }
        (None, Some(_)) => {
            return Err("coluna `lat`: valor vazio; com `lon` é obrigatório informar `lat`".into());
        }
    };
    let areas = match (&point, &territory) {
        (Some(p), _) => ctx.areas.areas_at(p.lon(), p.lat(), occurred_at.date()),
        (None, Some(t)) => vec![known_territory(ctx, "territory_code", t.as_str())?],
        (None, None) => {
            return Err(
                "colunas `lat`, `lon` e `territory_code` vazias: informe as coordenadas ou o território".into(),
            );
        }
    };
    Ok(OccurrenceRecord {
        line: 0,
        source_id: id.as_str().to_string(),
        occurred_at,
        crime,
        source_crime,
        lat: point.map(|p| p.lat()),
        lon: point.map(|p| p.lon()),
        territory_code: territory.map(|t| t.as_str().to_string()),
        victims,
        unit_code: unit_code.map(|u| u.as_str().to_string()),
        areas,
    })
}
