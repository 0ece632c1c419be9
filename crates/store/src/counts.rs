//! Monthly totals (`counts` kind) and the indicator read that joins them with the daily aggregate.

use chrono::NaiveDate;
use sqlx::Row;

use crate::territories::Upsert;
use crate::{Db, Result, Tx, execute, on_db, on_tx};

/// How a crime is counted (goias-cidadao-seguro.md §2, parameter `count_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBy {
    /// One per occurrence (default).
    Occurrences,
    /// One per victim.
    Victims,
}

impl Tx {
    /// Upserts a monthly total; `month` is the month's first day.
    pub async fn put_monthly_count(
        &mut self,
        territory_code: &str,
        crime: &str,
        month: NaiveDate,
        count: i64,
        import_id: i64,
        synthetic: bool,
    ) -> Result<Upsert> {
        let current: Option<i64> = on_tx!(self, |c| {
            sqlx::query_scalar(
                "SELECT count FROM monthly_counts WHERE territory_code = $1 AND crime = $2 AND month = $3",
            )
            .bind(territory_code)
            .bind(crime)
            .bind(month)
            .fetch_optional(&mut *c)
            .await?
        });
        match current {
            Some(n) if n == count => Ok(Upsert::Unchanged),
            Some(_) => {
                execute!(
                    on_tx,
                    self,
                    "UPDATE monthly_counts SET count = $4, import_id = $5
                         WHERE territory_code = $1 AND crime = $2 AND month = $3",
                    territory_code,
                    crime,
                    month,
                    count,
                    import_id
                );
                Ok(Upsert::Updated)
            }
            None => {
                execute!(
                    on_tx,
                    self,
                    "INSERT INTO monthly_counts (territory_code, crime, month, count, import_id, synthetic)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    territory_code,
                    crime,
                    month,
                    count,
                    import_id,
                    synthetic
                );
                Ok(Upsert::Inserted)
            }
        }
    }
}

/// PostgreSQL: the aggregate's sums of a period per (area, crime), as RECAP reads them; `$1` areas,
/// `$2` crimes, `$3..=$4` the days. Public for the test that `EXPLAIN`s it against the partitions.
pub const PERIOD_SUMS_PG: &str = "SELECT territory_code, crime, CAST(SUM(occurrences) AS BIGINT),
        CAST(SUM(victims) AS BIGINT)
    FROM daily_counts
    WHERE territory_code = ANY($1) AND crime = ANY($2) AND day >= $3 AND day <= $4
    GROUP BY territory_code, crime";

impl Db {
    /// Count of `crime` in area `territory_code` over the days `from..=to`: occurrences (or victims)
    /// from the daily aggregate plus the monthly totals of months that lie wholly inside the range.
    /// Monthly totals carry no victims column: they are counted as given whatever `count_by` says
    /// (the source decides what it counts; ISP-RJ counts homicide victims).
    pub async fn count_in_period(
        &self,
        territory_code: &str,
        crime: &str,
        from: NaiveDate,
        to: NaiveDate,
        count_by: CountBy,
    ) -> Result<i64> {
        let sql = match count_by {
            CountBy::Occurrences => {
                "SELECT CAST(COALESCE((SELECT SUM(occurrences) FROM daily_counts
                         WHERE territory_code = $1 AND crime = $2 AND day >= $3 AND day <= $4), 0)
                      + COALESCE((SELECT SUM(count) FROM monthly_counts
                         WHERE territory_code = $1 AND crime = $2 AND month >= $3 AND month <= $4), 0)
                      AS BIGINT) AS n"
            }
            CountBy::Victims => {
                "SELECT CAST(COALESCE((SELECT SUM(victims) FROM daily_counts
                         WHERE territory_code = $1 AND crime = $2 AND day >= $3 AND day <= $4), 0)
                      + COALESCE((SELECT SUM(count) FROM monthly_counts
                         WHERE territory_code = $1 AND crime = $2 AND month >= $3 AND month <= $4), 0)
                      AS BIGINT) AS n"
            }
        };
        // A month counts when its first day is inside the range: callers pass whole months.
        on_db!(self, |c| {
            let r = sqlx::query(sql)
                .bind(territory_code)
                .bind(crime)
                .bind(from)
                .bind(to)
                .fetch_one(c)
                .await?;
            // SUM over BIGINT is NUMERIC on PostgreSQL, hence the CAST in the SQL.
            Ok(r.try_get::<i64, _>("n")?)
        })
    }

    /// The population of an area for `year`, or the latest earlier year's (with that year), if any.
    pub async fn population_for(
        &self,
        territory_code: &str,
        year: i32,
    ) -> Result<Option<(i32, i64)>> {
        on_db!(self, |c| {
            let r = sqlx::query(
                "SELECT year, population FROM populations WHERE territory_code = $1 AND year <= $2
                 ORDER BY year DESC LIMIT 1",
            )
            .bind(territory_code)
            .bind(i64::from(year))
            .fetch_optional(c)
            .await?;
            match r {
                Some(r) => Ok(Some((
                    r.try_get::<i64, _>("year")? as i32,
                    r.try_get("population")?,
                ))),
                None => Ok(None),
            }
        })
    }
}

/// Sums of one area and crime over a period: occurrences and victims from the daily aggregate, each plus
/// the monthly totals of whole months in the period (see [`Db::count_in_period`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodSums {
    /// Occurrences (plus monthly totals).
    pub occurrences: i64,
    /// Victims (plus monthly totals).
    pub victims: i64,
}

impl Db {
    /// [`Db::count_in_period`] for many areas and crimes at once: two grouped queries (daily and
    /// monthly) that seek the aggregates' primary keys, instead of one round trip per area and crime.
    pub async fn period_sums(
        &self,
        codes: &[String],
        crimes: &[&str],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<std::collections::HashMap<(String, String), PeriodSums>> {
        let mut out: std::collections::HashMap<(String, String), PeriodSums> = Default::default();
        type Daily = Vec<(String, String, i64, i64)>;
        type Monthly = Vec<(String, String, i64)>;
        let (daily, monthly): (Daily, Monthly) = match self {
            Db::Pg(p) => {
                let crimes: Vec<String> = crimes.iter().map(|c| c.to_string()).collect();
                let daily = sqlx::query_as(PERIOD_SUMS_PG)
                    .bind(codes)
                    .bind(&crimes)
                    .bind(from)
                    .bind(to)
                    .fetch_all(p)
                    .await?;
                let monthly = sqlx::query_as(
                        "SELECT territory_code, crime, CAST(SUM(count) AS BIGINT) FROM monthly_counts
                         WHERE territory_code = ANY($1) AND crime = ANY($2) AND month >= $3 AND month <= $4
                         GROUP BY territory_code, crime",
                    )
                    .bind(codes)
                    .bind(&crimes)
                    .bind(from)
                    .bind(to)
                    .fetch_all(p)
                    .await?;
                (daily, monthly)
            }
            Db::Sqlite(p) => {
                // The lists go in as JSON arrays: SQLite seeks the primary key for each value.
                let codes = serde_json::to_string(codes)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
                let crimes = serde_json::to_string(crimes)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
                let daily = sqlx::query_as(
                        "SELECT territory_code, crime, SUM(occurrences), SUM(victims) FROM daily_counts
                         WHERE territory_code IN (SELECT value FROM json_each($1))
                           AND crime IN (SELECT value FROM json_each($2)) AND day >= $3 AND day <= $4
                         GROUP BY territory_code, crime",
                    )
                    .bind(&codes)
                    .bind(&crimes)
                    .bind(from)
                    .bind(to)
                    .fetch_all(p)
                    .await?;
                let monthly = sqlx::query_as(
                        "SELECT territory_code, crime, SUM(count) FROM monthly_counts
                         WHERE territory_code IN (SELECT value FROM json_each($1))
                           AND crime IN (SELECT value FROM json_each($2)) AND month >= $3 AND month <= $4
                         GROUP BY territory_code, crime",
                    )
                    .bind(&codes)
                    .bind(&crimes)
                    .bind(from)
                    .bind(to)
                    .fetch_all(p)
                    .await?;
                (daily, monthly)
            }
        };
        for (t, c, occ, vic) in daily {
            let e = out.entry((t, c)).or_default();
            e.occurrences += occ;
            e.victims += vic;
        }
        for (t, c, n) in monthly {
            let e = out.entry((t, c)).or_default();
            e.occurrences += n;
            e.victims += n;
        }
        Ok(out)
    }

    /// Every population of `codes` up to `year`, per code, newest first (for carry-forward).
    pub async fn populations_upto(
        &self,
        codes: &[String],
        year: i32,
    ) -> Result<std::collections::HashMap<String, Vec<(i32, i64)>>> {
        let rows: Vec<(String, i64, i64)> = match self {
            Db::Pg(p) => {
                sqlx::query_as(
                    "SELECT territory_code, CAST(year AS BIGINT), CAST(population AS BIGINT) FROM populations
                     WHERE territory_code = ANY($1) AND year <= $2 ORDER BY territory_code, year DESC",
                )
                .bind(codes)
                .bind(i64::from(year))
                .fetch_all(p)
                .await?
            }
            Db::Sqlite(p) => {
                let codes = serde_json::to_string(codes)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
                sqlx::query_as(
                    "SELECT territory_code, year, population FROM populations
                     WHERE territory_code IN (SELECT value FROM json_each($1)) AND year <= $2
                     ORDER BY territory_code, year DESC",
                )
                .bind(codes)
                .bind(i64::from(year))
                .fetch_all(p)
                .await?
            }
        };
        let mut out: std::collections::HashMap<String, Vec<(i32, i64)>> = Default::default();
        for (t, y, p) in rows {
            out.entry(t).or_default().push((y as i32, p));
        }
        Ok(out)
    }
}
