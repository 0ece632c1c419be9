//! Read models for pages: monthly totals per area from the aggregates (never from raw occurrences),
//! population series, area geometries in force on a day, and the data version pages cache by.

use std::collections::BTreeMap;

use atalaia_core::Month;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::territories::TerritoryVersion;
use crate::{Db, Result, StoreError, on_db};

/// The territories whose counts make up territory `param`'s (an SQL condition on `territory_code`
/// over the bound parameter `param`): a territory with municipalities under it (a state) is their
/// sum, any other territory itself. Every occurrence falls in exactly one municipality, with or
/// without coordinates, while a state holds only those with coordinates (when it has a polygon), so
/// only the municipalities' sum is whole — the home page's rule. An aggregate imported for the state
/// itself is not added: it would count twice what its municipalities hold.
pub(crate) fn counted_in(param: &str) -> String {
    format!("territory_code IN ({})", members(param))
}

fn members(param: &str) -> String {
    format!(
        "SELECT code FROM territories WHERE kind = 'municipality' AND parent_code = {param} \
         UNION SELECT CAST({param} AS TEXT) WHERE NOT EXISTS \
         (SELECT 1 FROM territories WHERE kind = 'municipality' AND parent_code = {param})"
    )
}

/// Occurrences of one area in one month, all crimes or one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MonthlyTotal {
    pub territory_code: String,
    /// `YYYY-MM`.
    pub month: String,
    pub crime: String,
    /// Occurrences (counts imported as monthly totals included).
    #[sqlx(rename = "n")]
    pub occurrences: i64,
}

/// Monthly totals per area and crime of the days in `[$1, $2)`, as the home page and the indicators
/// read them. Public for the test that `EXPLAIN`s it against PostgreSQL's partitions.
pub const MONTHLY_TOTALS: &str =
    "SELECT territory_code, month, crime, CAST(SUM(n) AS BIGINT) AS n FROM (
        SELECT territory_code, substr(CAST(day AS TEXT), 1, 7) AS month, crime, occurrences AS n
        FROM daily_counts WHERE day >= $1 AND day < $2
        UNION ALL
        SELECT territory_code, substr(CAST(month AS TEXT), 1, 7) AS month, crime, count AS n
        FROM monthly_counts WHERE month >= $1 AND month < $2
    ) t GROUP BY territory_code, month, crime ORDER BY territory_code, month, crime";

impl Db {
    /// A number that changes whenever data that pages show may have changed (the last import run):
    /// pages cache their read models by it.
    pub async fn data_version(&self) -> Result<i64> {
        on_db!(self, |c| {
            Ok(sqlx::query_scalar(
                "SELECT COALESCE(MAX(id), 0) FROM imports WHERE finished_at IS NOT NULL",
            )
            .fetch_one(c)
            .await?)
        })
    }

    /// Monthly totals per area and crime for days in `[from, to)`, from `daily_counts` plus the
    /// `monthly_counts` of sources that publish only aggregates (contracts.md §2: counted like
    /// occurrences in every indicator).
    pub async fn monthly_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<MonthlyTotal>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(MONTHLY_TOTALS)
                .bind(from)
                .bind(to)
                .fetch_all(c)
                .await?)
        })
    }

    /// The codes [`counted_in`] a territory: a state's municipalities, or the territory itself.
    pub async fn counted_codes(&self, code: &str) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT DISTINCT code FROM ({}) t ORDER BY code",
            members("$1")
        );
        on_db!(self, |c| Ok(sqlx::query_scalar(AssertSqlSafe(sql.clone()))
            .bind(code)
            .fetch_all(c)
            .await?))
    }

    /// Occurrences of territory `code` ([`counted_in`] it) per month over `[from, to]` (whole
    /// months), from `daily_counts` plus `monthly_counts`, only of `crimes` when not empty; every month
    /// of `window` present (zeros included).
    pub async fn area_months(
        &self,
        code: &str,
        from: NaiveDate,
        to: NaiveDate,
        crimes: &[String],
        window: &[Month],
    ) -> Result<BTreeMap<Month, i64>> {
        let only = crate::hotspots::crime_filter(crimes, 4);
        let area = counted_in("$1");
        let sql = format!(
            "SELECT month, CAST(SUM(n) AS BIGINT) AS n FROM (
                 SELECT substr(CAST(day AS TEXT), 1, 7) AS month, occurrences AS n
                 FROM daily_counts WHERE {area} AND day >= $2 AND day <= $3{only}
                 UNION ALL
                 SELECT substr(CAST(month AS TEXT), 1, 7) AS month, count AS n
                 FROM monthly_counts WHERE {area} AND month >= $2 AND month <= $3{only}
             ) t GROUP BY month ORDER BY month"
        );
        let rows: Vec<(String, i64)> = on_db!(self, |c| {
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(code)
                .bind(from)
                .bind(to);
            for c in crimes {
                q = q.bind(c);
            }
            q.fetch_all(c)
                .await?
                .iter()
                .map(|r| -> Result<(String, i64)> { Ok((r.try_get("month")?, r.try_get("n")?)) })
                .collect::<Result<Vec<_>>>()?
        });
        let mut out: BTreeMap<Month, i64> = window.iter().map(|m| (*m, 0)).collect();
        for (m, n) in rows {
            let m = Month::parse(&m)
                .map_err(|e| StoreError::Corrupt(format!("mês `{m}` das contagens: {e}")))?;
            *out.entry(m).or_default() += n;
        }
        Ok(out)
    }

    /// Occurrences per crime of territory `code` ([`counted_in`] it) over the days `[from, to]`, from the
    /// daily aggregate only: a source that publishes monthly totals has no days to put in a window of
    /// days (the CompStat brief's).
    pub async fn crimes_between(
        &self,
        code: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<String, i64>> {
        let sql = format!(
            "SELECT crime, CAST(SUM(occurrences) AS BIGINT) AS n FROM daily_counts
             WHERE {} AND day >= $2 AND day <= $3 GROUP BY crime",
            counted_in("$1")
        );
        on_db!(self, |c| {
            let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(code)
                .bind(from)
                .bind(to)
                .fetch_all(c)
                .await?;
            Ok(rows.into_iter().collect())
        })
    }

    /// The population series of a territory: (year, population), by year. A state without a
    /// population of its own has its municipalities' sum, for the years every one of them has.
    pub async fn population_series(&self, code: &str) -> Result<Vec<(i32, i64)>> {
        const MUNICIPALITIES: &str = "SELECT DISTINCT code FROM territories WHERE kind = 'municipality' AND parent_code = $1";
        let own: Vec<(i64, i64)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT CAST(year AS BIGINT), population FROM populations WHERE territory_code = $1 ORDER BY year",
            )
            .bind(code)
            .fetch_all(c)
            .await?
        });
        let rows = if own.is_empty() {
            let sql = format!(
                "SELECT CAST(year AS BIGINT), CAST(SUM(population) AS BIGINT) FROM populations
                 WHERE territory_code IN ({MUNICIPALITIES}) GROUP BY year
                 HAVING COUNT(*) = (SELECT COUNT(*) FROM ({MUNICIPALITIES}) m) ORDER BY 1"
            );
            on_db!(self, |c| sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(code)
                .fetch_all(c)
                .await?)
        } else {
            own
        };
        Ok(rows.into_iter().map(|(y, p)| (y as i32, p)).collect())
    }

    /// Territory versions of the given kinds in force on `day`, with their geometry (for maps).
    pub async fn territories_on(
        &self,
        kinds: &[&str],
        day: NaiveDate,
    ) -> Result<Vec<TerritoryVersion>> {
        let mut out = Vec::new();
        for kind in kinds {
            let mut versions: Vec<TerritoryVersion> = on_db!(self, |c| {
                let rows = sqlx::query(
                    "SELECT id, code, name, kind, parent_code, ibge, valid_from, valid_to, geometry,
                            min_lon, min_lat, max_lon, max_lat, synthetic FROM territories
                     WHERE kind = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2)
                     ORDER BY code",
                )
                .bind(*kind)
                .bind(day)
                .fetch_all(c)
                .await?;
                rows.iter()
                    .map(crate::territories::version_from_row)
                    .collect::<Result<Vec<_>>>()?
            });
            out.append(&mut versions);
        }
        Ok(out)
    }
}
