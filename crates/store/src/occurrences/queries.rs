//! Reading occurrences back: the explorer's filters and pages, the change log, the daily aggregate,
//! and the occurrences a territory's new version moves.

use super::*;
use crate::{Db, Result, Tx, execute, on_db, on_tx};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

/// An occurrence with coordinates, for re-assigning areas after territories change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Located {
    /// Row id.
    pub id: i64,
    /// BO/REDS number.
    pub source_id: String,
    /// Date and time of the fact.
    pub occurred_at: NaiveDateTime,
    pub crime: String,
    pub victims: i64,
    pub lat: f64,
    pub lon: f64,
    /// Current areas (`|`-separated).
    pub areas: String,
}

impl Located {
    /// The day of the fact.
    pub fn day(&self) -> NaiveDate {
        self.occurred_at.date()
    }
}

impl Tx {
    /// Occurrences with coordinates inside `bbox` (`[min_lon, min_lat, max_lon, max_lat]`) and id above
    /// `after`, in id order, at most `limit` of them (for paging through a re-assignment).
    pub async fn located_in(
        &mut self,
        bbox: [f64; 4],
        after: i64,
        limit: i64,
    ) -> Result<Vec<Located>> {
        on_tx!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, source_id, occurred_at, crime, victims, lat, lon, areas FROM occurrences
                 WHERE id > $1 AND lat IS NOT NULL AND lon >= $2 AND lat >= $3 AND lon <= $4 AND lat <= $5
                 ORDER BY id LIMIT $6",
            )
            .bind(after)
            .bind(bbox[0])
            .bind(bbox[1])
            .bind(bbox[2])
            .bind(bbox[3])
            .bind(limit)
            .fetch_all(c).await?)
        })
    }

    /// Moves occurrences to new areas (after territories were added or redrawn) and their counts with
    /// them. `moves` holds (occurrence, its new `|`-joined areas).
    pub async fn reassign(&mut self, moves: &[(&Located, String)]) -> Result<()> {
        let mut w = OccurrenceWriter::new(0, false, NaiveDateTime::MIN);
        for (o, new_areas) in moves {
            w.tally
                .moved(&o.areas, new_areas, &o.crime, o.day(), o.victims);
            execute!(
                on_tx,
                self,
                "UPDATE occurrences SET areas = $1 WHERE id = $2 AND occurred_at = $3",
                new_areas,
                o.id,
                o.occurred_at
            );
            if let Tx::Pg(c) = self {
                // The key's digest described the old areas: unknown now, the next import reads the row.
                sqlx::query("UPDATE occurrence_keys SET digest = NULL WHERE source_id = $1")
                    .bind(&o.source_id)
                    .execute(&mut **c)
                    .await?;
            }
        }
        w.finish(self).await
    }
}

/// One recorded reclassification.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ChangeRecord {
    /// BO/REDS number.
    pub source_id: String,
    /// Import that changed it.
    pub import_id: i64,
    /// When (UTC).
    pub changed_at: NaiveDateTime,
    /// Which fields changed (`crime`, `occurred_at`, `location`, `areas`, `victims`, `unit_code`).
    pub changed_fields: String,
    /// Crime before.
    pub old_crime: String,
    /// Crime after.
    pub new_crime: String,
    /// Date before.
    pub old_occurred_at: NaiveDateTime,
    /// Date after.
    pub new_occurred_at: NaiveDateTime,
    /// Areas before.
    pub old_areas: String,
    /// Areas after.
    pub new_areas: String,
}

/// A cell of the daily aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DailyCount {
    pub territory_code: String,
    pub crime: String,
    pub day: NaiveDate,
    pub occurrences: i64,
    pub victims: i64,
}

impl Db {
    /// Reclassifications of one occurrence (or of all, newest first, when `source_id` is `None`).
    pub async fn occurrence_changes(
        &self,
        source_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ChangeRecord>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT source_id, import_id, changed_at, changed_fields, old_crime, new_crime,
                        old_occurred_at, new_occurred_at, old_areas, new_areas
                 FROM occurrence_changes WHERE ($1 IS NULL OR source_id = $1)
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(source_id)
            .bind(limit)
            .fetch_all(c)
            .await?)
        })
    }

    /// Every non-zero cell of the daily aggregate, ordered (for tests and exports).
    pub async fn daily_counts(&self) -> Result<Vec<DailyCount>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT territory_code, crime, day, occurrences, victims FROM daily_counts
                 WHERE occurrences <> 0 OR victims <> 0 ORDER BY territory_code, crime, day",
            )
            .fetch_all(c)
            .await?)
        })
    }

    /// The daily aggregate recomputed from the stored occurrences (what `daily_counts` must equal).
    pub async fn daily_counts_recomputed(&self) -> Result<Vec<DailyCount>> {
        let mut cells: std::collections::BTreeMap<(String, String, NaiveDate), (i64, i64)> =
            Default::default();
        on_db!(self, |c| {
            let rows = sqlx::query("SELECT occurred_at, crime, victims, areas FROM occurrences")
                .fetch_all(c)
                .await?;
            for r in rows {
                let day = r.try_get::<NaiveDateTime, _>("occurred_at")?.date();
                let crime: String = r.try_get("crime")?;
                let victims: i64 = r.try_get("victims")?;
                let areas: String = r.try_get("areas")?;
                for a in split_areas(&areas) {
                    let e = cells
                        .entry((a.to_string(), crime.clone(), day))
                        .or_insert((0, 0));
                    e.0 += 1;
                    e.1 += victims;
                }
            }
        });
        Ok(cells
            .into_iter()
            .map(|((t, c, d), (n, v))| DailyCount {
                territory_code: t,
                crime: c,
                day: d,
                occurrences: n,
                victims: v,
            })
            .collect())
    }
}

/// Filters of the occurrence explorer.
#[derive(Debug, Clone, Default)]
pub struct OccurrenceFilter {
    /// Catalog crime.
    pub crime: Option<String>,
    /// First day (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day (inclusive).
    pub to: Option<NaiveDate>,
    /// Area the occurrence was assigned to.
    pub area: Option<String>,
    /// The requester's scope: only occurrences in one of these areas (`None` = no restriction;
    /// an empty list shows nothing).
    pub allowed_areas: Option<Vec<String>>,
    /// Only rows with an id below this one (keyset paging, newest first).
    pub before_id: Option<i64>,
    /// At most this many rows.
    pub limit: i64,
}

/// An occurrence as the explorer lists it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct OccurrenceRow {
    /// Row id (paging key).
    pub id: i64,
    /// BO/REDS number.
    pub source_id: String,
    /// Date and time of the fact (local).
    pub occurred_at: NaiveDateTime,
    /// Catalog crime.
    pub crime: String,
    /// Source crime code, when the crime map translated it.
    pub source_crime: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Territory code given in the file.
    pub territory_code: Option<String>,
    pub victims: i64,
    /// Registering unit.
    pub unit_code: Option<String>,
    /// Assigned areas, `|`-separated.
    pub areas: String,
    /// Synthetic (demo).
    pub synthetic: bool,
}

/// The first id range an explorer page reads, in rows; each further range is twice the one before.
const FIRST_WINDOW: i64 = 1024;

impl Db {
    /// Occurrences matching `f`, newest import first (by id: keyset paging stays fast on millions of
    /// rows without an extra index that every import would have to maintain).
    ///
    /// Read in id ranges from the newest down, each twice the one before, until the page is full: a
    /// filter that matches few rows (a unit's AISP, a small municipality) would otherwise make
    /// PostgreSQL's merge of the monthly partitions look for a first match in every partition before
    /// returning anything — 2 s for a page of 50 at 2M occurrences. The rows read stay at most about
    /// twice those between the newest and the page's last match.
    pub async fn occurrences_page(&self, f: &OccurrenceFilter) -> Result<Vec<OccurrenceRow>> {
        if f.allowed_areas.as_ref().is_some_and(|a| a.is_empty()) {
            return Ok(Vec::new());
        }
        let Some((min_id, max_id)) = self.occurrence_id_range().await? else {
            return Ok(Vec::new());
        };
        let mut hi = match f.before_id {
            Some(b) => b.saturating_sub(1).min(max_id),
            None => max_id,
        };
        let mut width = FIRST_WINDOW.max(f.limit);
        let mut rows = Vec::new();
        while hi >= min_id && (rows.len() as i64) < f.limit {
            let lo = hi.saturating_sub(width - 1).max(min_id);
            rows.extend(
                self.occurrences_in_ids(f, lo, hi, f.limit - rows.len() as i64)
                    .await?,
            );
            hi = lo.saturating_sub(1);
            width = width.saturating_mul(2);
        }
        Ok(rows)
    }

    /// The smallest and largest occurrence id, `None` when there is none. Two subqueries: SQLite
    /// reads `MIN` or `MAX` from the key's ends only when the query has just one of them, and scans
    /// the table for both at once (0.3 s at 2M, paid on every page of an export).
    async fn occurrence_id_range(&self) -> Result<Option<(i64, i64)>> {
        on_db!(self, |c| {
            let (lo, hi): (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT (SELECT MIN(id) FROM occurrences), (SELECT MAX(id) FROM occurrences)",
            )
            .fetch_one(c)
            .await?;
            Ok(lo.zip(hi))
        })
    }

    /// Up to `limit` occurrences matching `f` with ids in `lo..=hi`, newest first.
    async fn occurrences_in_ids(
        &self,
        f: &OccurrenceFilter,
        lo: i64,
        hi: i64,
        limit: i64,
    ) -> Result<Vec<OccurrenceRow>> {
        // Bounds as date-times: the last day runs to its end.
        let from = f.from.map(|d| d.and_time(chrono::NaiveTime::MIN));
        let to =
            f.to.and_then(|d| d.succ_opt())
                .map(|d| d.and_time(chrono::NaiveTime::MIN));
        let area = f.area.as_ref().map(|a| format!("%|{a}|%"));
        let scope = match &f.allowed_areas {
            None => String::new(),
            Some(list) => format!(
                " AND (1 = 0{})",
                (0..list.len())
                    .map(|i| format!(" OR ('|' || areas || '|') LIKE {}", pn(8 + i)))
                    .collect::<String>()
            ),
        };
        let sql = format!(
            "SELECT id, source_id, occurred_at, crime, source_crime, lat, lon, territory_code,
                    victims, unit_code, areas, synthetic
             FROM occurrences
             WHERE id >= {p5} AND id <= {p6}
               AND (CAST({p1} AS TEXT) IS NULL OR crime = {p1})
               AND (CAST({p2} AS TIMESTAMP) IS NULL OR occurred_at >= {p2})
               AND (CAST({p3} AS TIMESTAMP) IS NULL OR occurred_at < {p3})
               AND (CAST({p4} AS TEXT) IS NULL OR ('|' || areas || '|') LIKE {p4}){scope}
             ORDER BY id DESC LIMIT {p7}",
            p1 = pn(1),
            p2 = pn(2),
            p3 = pn(3),
            p4 = pn(4),
            p5 = pn(5),
            p6 = pn(6),
            p7 = pn(7),
        );
        on_db!(self, |c| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql))
                .bind(&f.crime)
                .bind(from)
                .bind(to)
                .bind(&area)
                .bind(lo)
                .bind(hi)
                .bind(limit);
            for a in f.allowed_areas.iter().flatten() {
                q = q.bind(format!("%|{a}|%"));
            }
            Ok(q.fetch_all(c).await?)
        })
    }
}

/// `$n` on both backends here: SQLite reuses a numbered parameter where it appears twice, and these
/// statements have a handful of them (the quadratic cost of `$n` on SQLite is for thousands).
fn pn(n: usize) -> String {
    format!("${n}")
}

impl Db {
    /// Areas of a unit's circunscrição in force on `day`.
    pub async fn unit_areas_on(&self, unit_code: &str, day: NaiveDate) -> Result<Vec<String>> {
        on_db!(self, |c| {
            Ok(sqlx::query_scalar(
                "SELECT a.territory_code FROM unit_areas a JOIN units u ON u.id = a.unit_id
                 WHERE u.code = $1 AND u.valid_from <= $2 AND (u.valid_to IS NULL OR u.valid_to >= $2)
                 ORDER BY a.territory_code",
            )
            .bind(unit_code)
            .bind(day)
            .fetch_all(c)
            .await?)
        })
    }
}
