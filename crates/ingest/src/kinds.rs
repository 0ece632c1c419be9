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
    /// Catalog crimes by name as people write it ("Roubo a transeunte"), accents and case folded.
    pub crime_names: HashMap<String, String>,
    /// Known territory codes.
    pub territories: HashSet<String>,
    /// Each territory's parent (an AISP's municipality, a municipality's state).
    pub parents: HashMap<String, String>,
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

/// A territory named by an occurrence without coordinates, and the territories it lies in: an
/// occurrence known to be in AISP 1 is in Goiânia and in Goiás too, so the municipality's and the
/// state's counts hold it as a located one would be held.
fn with_ancestors(ctx: &Context, code: String) -> Vec<String> {
    let mut areas = vec![code];
    // Bounded: a loop in the stored parents must not hang an import.
    while areas.len() < 8 {
        let Some(parent) = areas.last().and_then(|c| ctx.parents.get(c)) else {
            break;
        };
        if areas.contains(parent) {
            break;
        }
        areas.push(parent.clone());
    }
    areas
}

pub(crate) fn catalog_crime(
    ctx: &Context,
    column: &str,
    v: &str,
) -> Result<(String, Option<String>), String> {
    if let Some(c) = ctx.crime_map.get(v) {
        return Ok((c.clone(), Some(v.to_string())));
    }
    match CrimeCode::parse(v) {
        Ok(c) if ctx.crimes.contains(c.as_str()) => Ok((c.as_str().to_string(), None)),
        // A spreadsheet typed by people names the crime as the pages do.
        _ => match ctx.crime_names.get(&atalaia_core::text::folded(v)) {
            Some(c) => Ok((c.clone(), None)),
            None => Err(bad(
                column,
                v,
                "crime fora do catálogo e sem tradução no mapa de crimes (tipo `crime-map`)",
            )),
        },
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

/// Every reason a row is refused, gathered as its cells are read so that the person fixing the
/// spreadsheet sees all of a row's faults at once, not one per attempt (issue 20).
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    /// The value, or `None` with its reason kept.
    fn check<T>(&mut self, r: Result<T, String>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// The reasons in one text, as the rejects file's `reason` column holds them.
    fn refusal(self) -> String {
        self.0.join("; ")
    }
}

/// Parses one row of `kind`; a refused row's reason names every fault found in it.
pub fn parse(kind: Kind, row: &Row<'_>, ctx: &Context) -> Result<Parsed, String> {
    let mut p = Problems::default();
    let parsed = match kind {
        Kind::Population => {
            let code = p.check(
                row.req("territory_code")
                    .and_then(|c| known_territory(ctx, "territory_code", c)),
            );
            let year = p.check(row.int("year", 1900, 2200));
            let population = p.check(row.int("population", 0, 2_000_000_000));
            (|| {
                Some(Parsed::Population {
                    code: code?,
                    year: year? as i32,
                    population: population?,
                })
            })()
        }
        Kind::Units => unit(row, ctx, &mut p).map(Parsed::Unit),
        Kind::Operators => {
            let cpf = p.check(row.parse_opt("cpf", atalaia_core::Cpf::parse));
            let registration = p.check(registration(ctx, row, false));
            let name = p.check(row.req("name"));
            let institution = p.check(row.parse("institution", Institution::parse));
            (|| {
                Some(Parsed::Operator(OperatorInput {
                    registration: registration?,
                    name: name?.to_string(),
                    institution: institution?,
                    cpf: cpf?,
                }))
            })()
        }
        Kind::Assignments => {
            let registration = p.check(registration(ctx, row, true));
            let unit = p.check(known_unit(row, ctx));
            let (from, to) = dates(row, &mut p, "from", "to", false);
            let kind = p.check(match row.opt("kind").map(|k| k.to_lowercase()) {
                None => Ok("lotacao".to_string()),
                Some(k) if k == "lotacao" || k == "lotação" => Ok("lotacao".to_string()),
                Some(k) if k == "disposicao" || k == "disposição" => Ok("disposicao".to_string()),
                Some(k) => Err(bad("kind", &k, "esperado `lotacao` ou `disposicao`")),
            });
            (|| {
                Some(Parsed::Assignment(AssignmentInput {
                    registration: registration?,
                    unit_code: unit?,
                    from: from?,
                    to: to?,
                    kind: kind?,
                }))
            })()
        }
        Kind::Absences => {
            let registration = p.check(registration(ctx, row, true));
            let (from, to) = dates(row, &mut p, "from", "to", true);
            (|| {
                Some(Parsed::Absence(AbsenceInput {
                    registration: registration?,
                    from: from?,
                    to: to??,
                    reason: row.opt("reason").unwrap_or("").to_string(),
                }))
            })()
        }
        Kind::Occurrences => occurrence(row, ctx, &mut p).map(Parsed::Occurrence),
        Kind::Counts => {
            let code = p.check(
                row.req("territory_code")
                    .and_then(|c| known_territory(ctx, "territory_code", c)),
            );
            let month = p.check(row.parse("month", Month::parse));
            let crime = p.check(
                row.req("crime")
                    .and_then(|c| catalog_crime(ctx, "crime", c)),
            );
            let count = p.check(row.int("count", 0, 1_000_000_000));
            (|| {
                Some(Parsed::Count {
                    code: code?,
                    crime: crime?.0,
                    month: month?.first_day(),
                    count: count?,
                })
            })()
        }
        Kind::CrimeMap => {
            let source = p.check(row.req("source_code").and_then(|source| {
                if source.chars().count() > 128 || source.chars().any(char::is_control) {
                    return Err(bad(
                        "source_code",
                        source,
                        "esperado código de até 128 caracteres",
                    ));
                }
                Ok(source.to_string())
            }));
            let crime = p.check(row.parse("crime", CrimeCode::parse).and_then(|crime| {
                if !ctx.crimes.contains(crime.as_str()) {
                    return Err(bad("crime", crime.as_str(), "crime fora do catálogo"));
                }
                Ok(crime.as_str().to_string())
            }));
            (|| {
                Some(Parsed::CrimeMap {
                    source: source?,
                    crime: crime?,
                })
            })()
        }
        Kind::Seizures => seizure(row, ctx, &mut p).map(Parsed::Seizure),
        Kind::ForensicReports => {
            let bo = p.check(row.parse("bo_number", BoNumber::parse));
            let expert = p.check(row.parse("expert_registration", Registration::parse));
            let signed_on = p.check(
                row.date("signed_on")
                    .and_then(|d| not_future(ctx, row, "signed_on", d)),
            );
            let serial = p.check(short_text(row, "serial"));
            (|| {
                Some(Parsed::Forensic(ForensicRecord {
                    bo_number: bo?.as_str().to_string(),
                    serial: serial?,
                    expert_registration: expert?.as_str().to_string(),
                    signed_on: signed_on?,
                }))
            })()
        }
        Kind::Territories => {
            p.0.push("territórios são importados de GeoJSON".into());
            None
        }
    };
    match parsed {
        Some(parsed) if p.0.is_empty() => Ok(parsed),
        _ => Err(p.refusal()),
    }
}

/// A period's first and last day: `from` required, `to` required or not; a last day before the first
/// is a fault of `to`. `None` where a fault was recorded.
fn dates(
    row: &Row<'_>,
    p: &mut Problems,
    from_col: &str,
    to_col: &str,
    to_required: bool,
) -> (Option<NaiveDate>, Option<Option<NaiveDate>>) {
    let from = p.check(row.date(from_col));
    let to = p.check(if to_required {
        row.date(to_col).map(Some)
    } else {
        row.date_opt(to_col)
    });
    if let (Some(from), Some(to)) = (from, to)
        && p.check(check_range(from, to, to_col)).is_none()
    {
        return (Some(from), None);
    }
    (from, to)
}

/// A unit row: its territories must be known, at least one.
fn unit(row: &Row<'_>, ctx: &Context, p: &mut Problems) -> Option<UnitInput> {
    let code = p.check(row.parse("code", UnitCode::parse));
    let institution = p.check(row.parse("institution", Institution::parse));
    let name = p.check(row.req("name"));
    let codes = p.check(row.req("territory_codes").and_then(|raw| {
        let mut codes = Vec::new();
        let mut faults = Vec::new();
        for c in raw
            .split([';', '|'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            match known_territory(ctx, "territory_codes", c) {
                Ok(c) => codes.push(c),
                Err(e) => faults.push(e),
            }
        }
        if !faults.is_empty() {
            return Err(faults.join("; "));
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
        Ok(codes)
    }));
    let valid_from = p.check(row.date_opt("valid_from"));
    let valid_to = p.check(row.date_opt("valid_to"));
    let valid_from = valid_from.map(|d| d.unwrap_or(SINCE_ALWAYS));
    if let (Some(from), Some(to)) = (valid_from, valid_to) {
        p.check(check_range(from, to, "valid_to"))?;
    }
    Some(UnitInput {
        code: code?,
        name: name?.to_string(),
        institution: institution?,
        territory_codes: codes?,
        valid_from: valid_from?,
        valid_to: valid_to?,
    })
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
fn seizure(row: &Row<'_>, ctx: &Context, p: &mut Problems) -> Option<SeizureRecord> {
    let bo = p.check(row.parse("bo_number", BoNumber::parse));
    let seized_on = p.check(
        row.date("seized_on")
            .and_then(|d| not_future(ctx, row, "seized_on", d)),
    );
    let unit = p.check(known_unit(row, ctx).and_then(|unit| {
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
        Ok(unit)
    }));
    let mut registrations: Vec<Registration> = Vec::new();
    let mut registrations_ok = true;
    for r in row
        .opt("registrations")
        .unwrap_or("")
        .split([';', '|', ','])
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        match p.check(Registration::parse(r).map_err(|e| bad("registrations", r, e))) {
            Some(reg) => registrations.push(reg),
            None => registrations_ok = false,
        }
    }
    let flagrante = p.check(row.parse("flagrante", crate::fields::parse_bool));
    let item = p.check(row.int_opt("item", 1, 10_000));
    let serial = p.check(short_text(row, "serial"));
    let weapon_kind = p.check(short_text(row, "weapon_kind"));
    let caliber = p.check(short_text(row, "caliber"));
    let brand = p.check(short_text(row, "brand"));
    registrations_ok.then_some(())?;
    Some(SeizureRecord {
        unit_code: unit?,
        bo_number: bo?,
        item: item?.map(|i| u32::try_from(i).unwrap_or(1)),
        serial: serial?,
        seized_on: seized_on?,
        flagrante: flagrante?,
        registrations,
        weapon_kind: weapon_kind?,
        caliber: caliber?,
        brand: brand?,
    })
}

/// An occurrence row (contracts.md §2): coordinates give every area containing the point on the date
/// of the fact; without coordinates, the row's `territory_code`. A present but invalid value rejects
/// the row even when another column could have served.
fn occurrence(row: &Row<'_>, ctx: &Context, p: &mut Problems) -> Option<OccurrenceRecord> {
    let id = p.check(row.parse("id", BoNumber::parse));
    let occurred_at = p.check(row.datetime("occurred_at").and_then(|at| {
        if at.date() > ctx.today {
            return Err(bad(
                "occurred_at",
                row.opt("occurred_at").unwrap_or(""),
                format!("data no futuro (hoje é {})", ctx.today.br_date()),
            ));
        }
        Ok(at)
    }));
    let crime = p.check(
        row.req("crime")
            .and_then(|c| catalog_crime(ctx, "crime", c)),
    );
    let lat = p.check(row.f64_opt("lat"));
    let lon = p.check(row.f64_opt("lon"));
    let territory = p.check(row.parse_opt("territory_code", TerritoryCode::parse));
    let victims = p.check(row.int_opt("victims", 1, 10_000));
    let unit_code = p.check(row.parse_opt("unit_code", UnitCode::parse));
    let point = p.check(point_of(row, lat?, lon?))?;
    let territory = territory?;
    let areas = match (&point, &territory) {
        (Some(pt), _) => ctx.areas.areas_at(pt.lon(), pt.lat(), occurred_at?.date()),
        (None, Some(t)) => {
            let code = p.check(known_territory(ctx, "territory_code", t.as_str()))?;
            with_ancestors(ctx, code)
        }
        (None, None) => {
            p.0.push(
                "colunas `lat`, `lon` e `territory_code` vazias: informe as coordenadas ou o território"
                    .into(),
            );
            return None;
        }
    };
    let (crime, source_crime) = crime?;
    Some(OccurrenceRecord {
        line: 0,
        source_id: id?.as_str().to_string(),
        occurred_at: occurred_at?,
        crime,
        source_crime,
        lat: point.map(|p| p.lat()),
        lon: point.map(|p| p.lon()),
        territory_code: territory.map(|t| t.as_str().to_string()),
        victims: victims?.unwrap_or(1),
        unit_code: unit_code?.map(|u| u.as_str().to_string()),
        areas,
    })
}

/// The occurrence's point: both coordinates or neither.
fn point_of(row: &Row<'_>, lat: Option<f64>, lon: Option<f64>) -> Result<Option<Wgs84>, String> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Wgs84::new(lat, lon).map(Some).map_err(|e| {
            format!(
                "colunas `lat`/`lon`: valor `{}, {}` inválido: {e}",
                row.opt("lat").unwrap_or(""),
                row.opt("lon").unwrap_or("")
            )
        }),
        (None, None) => Ok(None),
        (Some(_), None) => {
            Err("coluna `lon`: valor vazio; com `lat` é obrigatório informar `lon`".into())
        }
        (None, Some(_)) => {
            Err("coluna `lat`: valor vazio; com `lon` é obrigatório informar `lat`".into())
        }
    }
}
