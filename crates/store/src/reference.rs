//! Reference data: populations, units and their circunscrição, operators, assignments, absences, and the
//! crime catalog with its map from source codes.

use atalaia_core::dates::BrDate;
use atalaia_core::{Cpf, Institution, Registration, UnitCode};
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::territories::{Upsert, VersionedOutcome};
use crate::{Db, Result, Tx, execute, on_db, on_tx};

/// A unit version as imported (`units` kind).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitInput {
    pub code: UnitCode,
    pub name: String,
    pub institution: Institution,
    /// Area codes of the circunscrição (sorted, no repeats).
    pub territory_codes: Vec<String>,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day (inclusive), `None` = open.
    pub valid_to: Option<NaiveDate>,
}

/// An operator (`operators` kind).
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorInput {
    pub registration: Registration,
    pub name: String,
    pub institution: Institution,
    pub cpf: Option<Cpf>,
}

/// An assignment (`assignments` kind): lotação or à disposição (Decreto 7.872/2013 Art. 9 §ú).
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentInput {
    pub registration: Registration,
    pub unit_code: UnitCode,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive), `None` = still there.
    pub to: Option<NaiveDate>,
    /// `lotacao` or `disposicao`.
    pub kind: String,
}

/// An absence (`absences` kind), inclusive dates.
#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceInput {
    pub registration: Registration,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    pub reason: String,
}

/// A catalog crime.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct CrimeRow {
    pub code: String,
    /// Name (pt-BR).
    pub name: String,
    #[sqlx(rename = "crime_group")]
    pub group: String,
    /// Part of the built-in catalog.
    pub builtin: bool,
}

/// Counts of reference records, for the home page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overview {
    /// Territory versions.
    pub territories: i64,
    /// Unit versions.
    pub units: i64,
    pub operators: i64,
    pub occurrences: i64,
    /// Occurrences with coordinates outside every area.
    pub unassigned: i64,
    /// Monthly count rows.
    pub monthly_counts: i64,
    /// Reclassifications recorded.
    pub changes: i64,
    /// Whether any synthetic (demo) record is stored.
    pub synthetic: bool,
    /// First and last day with occurrences.
    pub first_day: Option<String>,
    /// Last day with occurrences.
    pub last_day: Option<String>,
}

impl Tx {
    /// Upserts the population of a territory for a year (IBGE revises estimates: a new value updates).
    pub async fn put_population(
        &mut self,
        code: &str,
        year: i32,
        population: i64,
        import_id: i64,
        synthetic: bool,
    ) -> Result<Upsert> {
        let current: Option<i64> = on_tx!(self, |c| {
            sqlx::query_scalar(
                "SELECT population FROM populations WHERE territory_code = $1 AND year = $2",
            )
            .bind(code)
            .bind(i64::from(year))
            .fetch_optional(&mut *c)
            .await?
        });
        match current {
            Some(p) if p == population => Ok(Upsert::Unchanged),
            Some(_) => {
                execute!(
                    on_tx,
                    self,
                    "UPDATE populations SET population = $1, import_id = $2
                         WHERE territory_code = $3 AND year = $4",
                    population,
                    import_id,
                    code,
                    i64::from(year)
                );
                Ok(Upsert::Updated)
            }
            None => {
                execute!(
                    on_tx,
                    self,
                    "INSERT INTO populations (territory_code, year, population, synthetic, import_id)
                         VALUES ($1, $2, $3, $4, $5)",
                    code,
                    i64::from(year),
                    population,
                    synthetic,
                    import_id
                );
                Ok(Upsert::Inserted)
            }
        }
    }

    /// Stores a unit version with its circunscrição, with the same versioning rules as territories
    /// (Art. 2 §ú: "fixação da circunscrição de cada Unidade Operacional" by act of the Secretary).
    pub async fn put_unit(
        &mut self,
        u: &UnitInput,
        import_id: i64,
        synthetic: bool,
    ) -> Result<VersionedOutcome> {
        let versions: Vec<(i64, String, String, NaiveDate, Option<NaiveDate>, String)> =
            on_tx!(self, |c| {
                sqlx::query_as(
                    "SELECT u.id, u.name, u.institution, u.valid_from, u.valid_to,
                        COALESCE((SELECT string_agg(territory_code, '|' ORDER BY territory_code)
                                  FROM unit_areas a WHERE a.unit_id = u.id), '') AS areas
                 FROM units u WHERE u.code = $1 ORDER BY u.valid_from",
                )
                .bind(u.code.as_str())
                .fetch_all(&mut *c)
                .await?
            });
        let areas = u.territory_codes.join("|");
        if let Some(v) = versions.iter().find(|v| v.3 == u.valid_from) {
            if v.1 != u.name || v.2 != u.institution.code() || v.5 != areas {
                return Ok(Err(format!(
                    "unidade `{}` já tem uma versão desde {} com outro conteúdo; uma nova circunscrição deve vir \
                     como nova versão, com outra data em `valid_from` (Decreto 7.872/2013, art. 2º, parágrafo único)",
                    u.code,
                    u.valid_from.br_date()
                )));
            }
            if v.4 == u.valid_to {
                return Ok(Ok(Upsert::Unchanged));
            }
            if v.4.is_some() && u.valid_to.is_some() {
                return Ok(Err(format!(
                    "unidade `{}` (versão desde {}) já foi encerrada; uma versão encerrada não é reescrita",
                    u.code,
                    u.valid_from.br_date()
                )));
            }
            self.set_unit_end(v.0, u.valid_to).await?;
            return Ok(Ok(Upsert::Updated));
        }
        let new_end = u.valid_to.unwrap_or(NaiveDate::MAX);
        let mut to_close = None;
        for v in &versions {
            let v_end = v.4.unwrap_or(NaiveDate::MAX);
            if !(v.3 <= new_end && u.valid_from <= v_end) {
                continue;
            }
            if v.4.is_none() && v.3 < u.valid_from {
                to_close = Some(v.0);
            } else {
                return Ok(Err(format!(
                    "a vigência da unidade `{}` desde {} sobrepõe a versão vigente desde {}",
                    u.code,
                    u.valid_from.br_date(),
                    v.3.br_date()
                )));
            }
        }
        if let Some(id) = to_close {
            self.set_unit_end(id, u.valid_from.checked_sub_days(Days::new(1)))
                .await?;
        }
        on_tx!(self, |c| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO units (code, name, institution, valid_from, valid_to, synthetic, import_id)
                 VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
            )
            .bind(u.code.as_str())
            .bind(&u.name)
            .bind(u.institution.code())
            .bind(u.valid_from)
            .bind(u.valid_to)
            .bind(synthetic)
            .bind(import_id)
            .fetch_one(&mut *c)
            .await?;
            for t in &u.territory_codes {
                sqlx::query("INSERT INTO unit_areas (unit_id, territory_code) VALUES ($1, $2)")
                    .bind(id)
                    .bind(t)
                    .execute(&mut *c)
                    .await?;
            }
        });
        Ok(Ok(Upsert::Inserted))
    }

    async fn set_unit_end(&mut self, id: i64, end: Option<NaiveDate>) -> Result<()> {
        execute!(
            on_tx,
            self,
            "UPDATE units SET valid_to = $1 WHERE id = $2",
            end,
            id
        );
        Ok(())
    }

    /// Codes of every unit ever stored.
    pub async fn unit_codes(&mut self) -> Result<std::collections::HashSet<String>> {
        self.text_set("SELECT DISTINCT code FROM units").await
    }

    /// The texts `sql` selects, as a set (the keys an import checks its rows against).
    async fn text_set(&mut self, sql: &'static str) -> Result<std::collections::HashSet<String>> {
        on_tx!(self, |c| {
            let v: Vec<String> = sqlx::query_scalar(sql).fetch_all(c).await?;
            Ok(v.into_iter().collect())
        })
    }

    /// Upserts an operator by registration.
    pub async fn put_operator(
        &mut self,
        o: &OperatorInput,
        import_id: i64,
        synthetic: bool,
    ) -> Result<Upsert> {
        let current: Option<(String, String, Option<String>)> = on_tx!(self, |c| {
            sqlx::query_as("SELECT name, institution, cpf FROM operators WHERE registration = $1")
                .bind(o.registration.as_str())
                .fetch_optional(&mut *c)
                .await?
        });
        match current {
            Some((n, i, cpf))
                if n == o.name
                    && i == o.institution.code()
                    && cpf.as_deref() == o.cpf.as_ref().map(Cpf::digits) =>
            {
                Ok(Upsert::Unchanged)
            }
            Some(_) => {
                execute!(
                    on_tx,
                    self,
                    "UPDATE operators SET name = $1, institution = $2, cpf = $3, import_id = $4
                         WHERE registration = $5",
                    &o.name,
                    o.institution.code(),
                    o.cpf.as_ref().map(Cpf::digits),
                    import_id,
                    o.registration.as_str()
                );
                Ok(Upsert::Updated)
            }
            None => {
                execute!(
                    on_tx,
                    self,
                    "INSERT INTO operators (registration, name, institution, cpf, synthetic, import_id)
                         VALUES ($1,$2,$3,$4,$5,$6)",
                    o.registration.as_str(),
                    &o.name,
                    o.institution.code(),
                    o.cpf.as_ref().map(Cpf::digits),
                    synthetic,
                    import_id
                );
                Ok(Upsert::Inserted)
            }
        }
    }

    /// Every operator registration.
    pub async fn operator_registrations(&mut self) -> Result<std::collections::HashSet<String>> {
        self.text_set("SELECT registration FROM operators").await
    }

    /// Upserts an assignment keyed by (registration, unit, start, kind); a new end date updates it.
    pub async fn put_assignment(
        &mut self,
        a: &AssignmentInput,
        import_id: i64,
        synthetic: bool,
    ) -> Result<Upsert> {
        let current: Option<(i64, Option<NaiveDate>)> = on_tx!(self, |c| {
            sqlx::query_as(
                "SELECT id, date_to FROM assignments
                 WHERE registration = $1 AND unit_code = $2 AND date_from = $3 AND kind = $4",
            )
            .bind(a.registration.as_str())
            .bind(a.unit_code.as_str())
            .bind(a.from)
            .bind(&a.kind)
            .fetch_optional(&mut *c)
            .await?
        });
        match current {
            Some((_, to)) if to == a.to => Ok(Upsert::Unchanged),
            Some((id, _)) => {
                execute!(
                    on_tx,
                    self,
                    "UPDATE assignments SET date_to = $1, import_id = $2 WHERE id = $3",
                    a.to,
                    import_id,
                    id
                );
                Ok(Upsert::Updated)
            }
            None => {
                execute!(
                    on_tx,
                    self,
                    "INSERT INTO assignments (registration, unit_code, date_from, date_to, kind, synthetic, import_id)
                         VALUES ($1,$2,$3,$4,$5,$6,$7)",
                    a.registration.as_str(),
                    a.unit_code.as_str(),
                    a.from,
                    a.to,
                    &a.kind,
                    synthetic,
                    import_id
                );
                Ok(Upsert::Inserted)
            }
        }
    }

    /// Upserts an absence keyed by (registration, from, to); a new reason updates it.
    pub async fn put_absence(
        &mut self,
        a: &AbsenceInput,
        import_id: i64,
        synthetic: bool,
    ) -> Result<Upsert> {
        let current: Option<(i64, String)> = on_tx!(self, |c| {
            sqlx::query_as(
                "SELECT id, reason FROM absences WHERE registration = $1 AND date_from = $2 AND date_to = $3",
            )
            .bind(a.registration.as_str())
            .bind(a.from)
            .bind(a.to)
            .fetch_optional(&mut *c).await?
        });
        match current {
            Some((_, reason)) if reason == a.reason => Ok(Upsert::Unchanged),
            Some((id, _)) => {
                execute!(
                    on_tx,
                    self,
                    "UPDATE absences SET reason = $1, import_id = $2 WHERE id = $3",
                    &a.reason,
                    import_id,
                    id
                );
                Ok(Upsert::Updated)
            }
            None => {
                execute!(
                    on_tx,
                    self,
                    "INSERT INTO absences (registration, date_from, date_to, reason, synthetic, import_id)
                         VALUES ($1,$2,$3,$4,$5,$6)",
                    a.registration.as_str(),
                    a.from,
                    a.to,
                    &a.reason,
                    synthetic,
                    import_id
                );
                Ok(Upsert::Inserted)
            }
        }
    }

    /// Upserts a crime-map entry (source code → catalog code).
    pub async fn put_crime_map(
        &mut self,
        source_code: &str,
        crime: &str,
        import_id: i64,
    ) -> Result<Upsert> {
        let current: Option<String> = on_tx!(self, |c| {
            sqlx::query_scalar("SELECT crime FROM crime_map WHERE source_code = $1")
                .bind(source_code)
                .fetch_optional(&mut *c)
                .await?
        });
        let sql = match current {
            Some(c) if c == crime => return Ok(Upsert::Unchanged),
            Some(_) => "UPDATE crime_map SET crime = $2, import_id = $3 WHERE source_code = $1",
            None => "INSERT INTO crime_map (source_code, crime, import_id) VALUES ($1, $2, $3)",
        };
        execute!(on_tx, self, sql, source_code, crime, import_id);
        Ok(if current.is_some() {
            Upsert::Updated
        } else {
            Upsert::Inserted
        })
    }

    /// The crime catalog (codes → rows).
    pub async fn crimes(&mut self) -> Result<Vec<CrimeRow>> {
        on_tx!(self, |c| crimes_query(c).await)
    }

    /// Adds `code` to the catalog as an administrator's crime (not built in); false when the code is
    /// taken, built-in or added before (nothing changes then: catalog crimes are never rewritten).
    pub async fn add_crime(
        &mut self,
        code: &atalaia_core::crime::CrimeCode,
        name: &str,
        group: atalaia_core::crime::CrimeGroup,
    ) -> Result<bool> {
        let added = crate::execute!(
            on_tx,
            self,
            "INSERT INTO crimes (code, name, crime_group, builtin) VALUES ($1, $2, $3, FALSE)
             ON CONFLICT (code) DO NOTHING",
            code.as_str(),
            name,
            group.as_str()
        );
        Ok(added > 0)
    }

    /// The crime map (source code → catalog code).
    pub async fn crime_map(&mut self) -> Result<HashMap<String, String>> {
        on_tx!(self, |c| {
            Ok(
                sqlx::query_as::<_, (String, String)>("SELECT source_code, crime FROM crime_map")
                    .fetch_all(c)
                    .await?
                    .into_iter()
                    .collect(),
            )
        })
    }
}

async fn crimes_query<'c, E>(c: E) -> Result<Vec<CrimeRow>>
where
    E: sqlx::Executor<'c>,
    for<'a> &'a str: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
    for<'a> String: sqlx::Decode<'a, E::Database> + sqlx::Type<E::Database>,
    for<'a> bool: sqlx::Decode<'a, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments: sqlx::IntoArguments<E::Database>,
{
    Ok(sqlx::query_as::<E::Database, CrimeRow>(
        "SELECT code, name, crime_group, builtin FROM crimes ORDER BY builtin DESC, code",
    )
    .fetch_all(c)
    .await?)
}

impl Db {
    /// The crime catalog.
    pub async fn crimes(&self) -> Result<Vec<CrimeRow>> {
        on_db!(self, |c| crimes_query(c).await)
    }

    /// Whether any synthetic (demo) data was loaded: every demo record comes through an import marked
    /// synthetic, and the imports table is small.
    pub async fn has_synthetic_data(&self) -> Result<bool> {
        on_db!(self, |c| {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM imports WHERE synthetic")
                .fetch_one(c)
                .await?;
            Ok(n > 0)
        })
    }

    /// Counts for the home page, and the first and last day of the occurrences (on PostgreSQL from
    /// the ends of the monthly partitions: `partitions::occurrence_span`).
    pub async fn overview(&self) -> Result<Overview> {
        let r: Counts = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM territories) AS territories,
                        (SELECT COUNT(*) FROM units) AS units,
                        (SELECT COUNT(*) FROM operators) AS operators,
                        (SELECT COUNT(*) FROM occurrences) AS occurrences,
                        (SELECT COUNT(*) FROM occurrences WHERE areas = '' AND lat IS NOT NULL) AS unassigned,
                        (SELECT COUNT(*) FROM monthly_counts) AS monthly_counts,
                        (SELECT COUNT(*) FROM occurrence_changes) AS changes,
                        (SELECT COUNT(*) FROM imports WHERE synthetic) AS synthetic",
            )
            .fetch_one(c)
            .await?
        });
        let (first_day, last_day) = match self {
            Db::Pg(pool) => crate::partitions::occurrence_span(pool).await?,
            Db::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT (SELECT MIN(occurred_at) FROM occurrences),
                            (SELECT MAX(occurred_at) FROM occurrences)",
                )
                .fetch_one(pool)
                .await?
            }
        };
        let day = |v: Option<chrono::NaiveDateTime>| v.map(|d| d.br_date());
        Ok(Overview {
            territories: r.territories,
            units: r.units,
            operators: r.operators,
            occurrences: r.occurrences,
            unassigned: r.unassigned,
            monthly_counts: r.monthly_counts,
            changes: r.changes,
            synthetic: r.synthetic > 0,
            first_day: day(first_day),
            last_day: day(last_day),
        })
    }
}

/// The overview's counts, as the database reads them.
#[derive(sqlx::FromRow)]
struct Counts {
    territories: i64,
    units: i64,
    operators: i64,
    occurrences: i64,
    unassigned: i64,
    monthly_counts: i64,
    changes: i64,
    synthetic: i64,
}

/// An operator as listed.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OperatorRecord {
    pub registration: String,
    pub name: String,
    /// Institution code.
    pub institution: String,
    /// CPF digits as stored (callers mask them for roles that may not see them).
    #[serde(skip)]
    pub cpf: Option<String>,
    /// Units of the operator's current assignments (lotação or disposição), `,`-separated.
    #[sqlx(skip)]
    pub units: String,
    /// Synthetic (demo).
    pub synthetic: bool,
}

impl Db {
    /// Operators by name, with their units on `day`; only those assigned to one of `units` when given.
    pub async fn operators(
        &self,
        day: chrono::NaiveDate,
        units: Option<&[String]>,
    ) -> Result<Vec<OperatorRecord>> {
        let rows: Vec<OperatorRecord> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT registration, name, institution, cpf, synthetic FROM operators
                 ORDER BY name, registration",
            )
            .fetch_all(c)
            .await?
        });
        let assignments: Vec<(String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT registration, unit_code FROM assignments
                 WHERE date_from <= $1 AND (date_to IS NULL OR date_to >= $1)
                 ORDER BY registration, unit_code",
            )
            .bind(day)
            .fetch_all(c)
            .await?
        });
        let mut by_reg: HashMap<String, Vec<String>> = HashMap::new();
        for (reg, unit) in assignments {
            by_reg.entry(reg).or_default().push(unit);
        }
        Ok(rows
            .into_iter()
            .filter_map(|mut o| {
                let mine = by_reg
                    .get(o.registration.as_str())
                    .cloned()
                    .unwrap_or_default();
                if let Some(units) = units
                    && !mine.iter().any(|u| units.contains(u))
                {
                    return None;
                }
                o.units = mine.join(", ");
                Some(o)
            })
            .collect())
    }
}
