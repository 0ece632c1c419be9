//! The hot-spot analysis of a stored area (igesp.md §3), the one computation `atalaia hotspots` and the
//! map page share: the area's polygon in force at the period's end, its geocoded occurrences of the period
//! and crimes (each one a point of weight 1, in the month it happened), then `spatial::hotspot::analyse`.

use atalaia_core::Month;
use atalaia_spatial::hotspot::{self, Analysis, Params, Point};
use chrono::{Datelike, NaiveDate, NaiveTime};
use sqlx::AssertSqlSafe;

use crate::territories::TerritoryVersion;
use crate::{Db, StoreError, on_db};

/// What to analyse.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotQuery {
    /// Territory code (a municipality, an AISP, an intervention area…).
    pub area: String,
    /// First month.
    pub from: Month,
    /// Last month (inclusive).
    pub to: Month,
    /// Catalog crimes; empty = every crime.
    pub crimes: Vec<String>,
    /// The analysis' parameters.
    pub params: Params,
}

/// The most months an analysis spans (ten years).
pub const MAX_MONTHS: usize = 120;

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum HotspotError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such territory.
    #[error("área desconhecida: `{0}`")]
    UnknownArea(String),
    /// The territory has no polygon (its occurrences come only as counts).
    #[error("a área `{0}` não tem polígono; o mapa de zonas quentes precisa dos limites da área")]
    NoGeometry(String),
    /// The period is reversed or too long.
    #[error("período inválido: {0}")]
    BadPeriod(String),
    /// A crime outside the catalog.
    #[error("crime desconhecido: `{0}` (esperado um código do catálogo, como roubo_transeunte)")]
    UnknownCrime(String),
    /// The analysis refused its parameters.
    #[error(transparent)]
    Analysis(#[from] hotspot::Error),
}

/// An analysis with what it was run on.
#[derive(Debug, Clone)]
pub struct HotspotRun {
    /// The area's version used (in force on the period's last day, or its latest).
    pub territory: TerritoryVersion,
    /// The months, in order (the analysis' time steps).
    pub months: Vec<Month>,
    /// The crimes (empty = all).
    pub crimes: Vec<String>,
    /// Geocoded occurrences of the period read from the store.
    pub occurrences: usize,
    /// Occurrences of the area's box in the period without coordinates are not here: the map shows only
    /// geocoded ones, and says how many of the area's were not (from the aggregate).
    pub without_coordinates: i64,
    /// The analysis.
    pub analysis: Analysis,
}

impl Db {
    /// Runs the hot-spot analysis `q` (see the module's docs).
    pub async fn hotspots(&self, q: &HotspotQuery) -> Result<HotspotRun, HotspotError> {
        if q.to < q.from {
            return Err(HotspotError::BadPeriod(format!(
                "{} vem depois de {}",
                q.from, q.to
            )));
        }
        let mut months = vec![q.from];
        while let Some(&last) = months.last() {
            if last >= q.to {
                break;
            }
            match last.succ() {
                Some(m) => months.push(m),
                None => break,
            }
            if months.len() > MAX_MONTHS {
                return Err(HotspotError::BadPeriod(format!(
                    "mais de {MAX_MONTHS} meses"
                )));
            }
        }
        let known: std::collections::HashSet<String> =
            self.crimes().await?.into_iter().map(|c| c.code).collect();
        if let Some(c) = q.crimes.iter().find(|c| !known.contains(*c)) {
            return Err(HotspotError::UnknownCrime(c.clone()));
        }
        let versions = self.territory(&q.area).await?;
        let end = q.to.last_day();
        let territory = versions
            .iter()
            .rev()
            .find(|v| v.valid_on(end))
            .or(versions.last())
            .cloned()
            .ok_or_else(|| HotspotError::UnknownArea(q.area.clone()))?;
        let (Some(text), Some(bbox)) = (&territory.geometry, territory.bbox) else {
            return Err(HotspotError::NoGeometry(q.area.clone()));
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("geometria de {}: {e}", territory.code)))?;
        let polygon = atalaia_spatial::shapes::to_multipolygon(&value)
            .map_err(|e| StoreError::Corrupt(format!("geometria de {}: {e}", territory.code)))?;

        let from = q.from.first_day();
        let to = q.to.last_day().succ_opt().unwrap_or(NaiveDate::MAX);
        let rows = self.located(bbox, from, to, &q.crimes).await?;
        let occurrences = rows.len();
        let points: Vec<Point> = rows
            .into_iter()
            .map(|(lon, lat, day)| Point {
                lon,
                lat,
                // Months since the first (the query keeps days inside the period).
                step: ((day.year() - q.from.year()) * 12 + day.month() as i32
                    - q.from.month() as i32)
                    .max(0) as usize,
                weight: 1.0,
            })
            .collect();
        let without_coordinates = self
            .without_coordinates(&territory.code, from, to, &q.crimes)
            .await?;
        // The analysis is CPU-bound (up to the bounds of `atalaia_spatial::budget`): it runs on the
        // blocking pool, so that the runtime's workers keep answering other requests meanwhile.
        let (steps, params) = (months.len(), q.params);
        let analysis =
            tokio::task::spawn_blocking(move || hotspot::analyse(&polygon, &points, steps, params))
                .await
                // A panic of the analysis is a bug: re-raised here as it would have been inline.
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        Ok(HotspotRun {
            territory,
            months,
            crimes: q.crimes.clone(),
            occurrences,
            without_coordinates,
            analysis,
        })
    }

    /// Geocoded occurrences in `bbox` (`[min_lon, min_lat, max_lon, max_lat]`) with a date in `[from, to)`
    /// and one of `crimes` (all when empty): `(lon, lat, day)`.
    pub async fn located(
        &self,
        bbox: [f64; 4],
        from: NaiveDate,
        to: NaiveDate,
        crimes: &[String],
    ) -> Result<Vec<(f64, f64, NaiveDate)>, StoreError> {
        Ok(self
            .located_in_box_with_areas(bbox, from, to, crimes)
            .await?
            .into_iter()
            .map(|(lon, lat, day, _)| (lon, lat, day))
            .collect())
    }

    /// Occurrences assigned to the area `code` in `[from, to)` (and `crimes`) that have no coordinates.
    async fn without_coordinates(
        &self,
        code: &str,
        from: NaiveDate,
        to: NaiveDate,
        crimes: &[String],
    ) -> Result<i64, StoreError> {
        let filter = crime_filter(crimes, 4);
        let sql = format!(
            "SELECT COUNT(*) FROM occurrences
             WHERE lat IS NULL AND ('|' || areas || '|') LIKE $1
               AND occurred_at >= $2 AND occurred_at < $3{filter}"
        );
        on_db!(self, |c| {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql))
                .bind(format!("%|{code}|%"))
                .bind(from.and_time(NaiveTime::MIN))
                .bind(to.and_time(NaiveTime::MIN));
            for c in crimes {
                q = q.bind(c);
            }
            Ok(q.fetch_one(c).await?)
        })
    }
}

/// ` AND crime IN ($first, …)` for a non-empty list.
pub(crate) fn crime_filter(crimes: &[String], first: usize) -> String {
    if crimes.is_empty() {
        return String::new();
    }
    let list: Vec<String> = (0..crimes.len())
        .map(|i| format!("${}", first + i))
        .collect();
    format!(" AND crime IN ({})", list.join(", "))
}
