//! Read models for pages: monthly totals per area from the aggregates (never from raw occurrences),
//! population series, area geometries in force on a day, and the data version pages cache by.

use chrono::NaiveDate;
use serde::Serialize;

use crate::territories::TerritoryVersion;
use crate::{Db, Result, on_db};

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
            Ok(sqlx::query_as(
                "SELECT territory_code, month, crime, CAST(SUM(n) AS BIGINT) AS n FROM (
                     SELECT territory_code, substr(CAST(day AS TEXT), 1, 7) AS month, crime, occurrences AS n
                     FROM daily_counts WHERE day >= $1 AND day < $2
                     UNION ALL
                     SELECT territory_code, substr(CAST(month AS TEXT), 1, 7) AS month, crime, count AS n
                     FROM monthly_counts WHERE month >= $1 AND month < $2
                 ) t GROUP BY territory_code, month, crime ORDER BY territory_code, month, crime",
            )
            .bind(from)
            .bind(to)
.fetch_all(c).await?)
        })
    }

    /// The population series of a territory: (year, population), by year.
    pub async fn population_series(&self, code: &str) -> Result<Vec<(i32, i64)>> {
        on_db!(self, |c| {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT CAST(year AS BIGINT), population FROM populations WHERE territory_code = $1 ORDER BY year",
            )
            .bind(code)
            .fetch_all(c)
            .await?;
            Ok(rows.into_iter().map(|(y, p)| (y as i32, p)).collect())
        })
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
