//! Territories (states, municipalities, AIS/AISP/AISE, intervention areas…), versioned by validity dates.
//!
//! Decreto 7.872/2013, Art. 2 §ú: areas are formed and redrawn by act of the Secretary. A redraw is a new
//! version with its own `valid_from`; the previous open version is closed the day before. A stored
//! version is never rewritten, so a result computed for a past quarter can always be explained with the
//! boundaries in force at the time.

use atalaia_core::dates::BrDate;
use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::{Db, Result, Tx, execute, on_db, on_tx};

/// "Since always": the `valid_from` of a version whose start was not given.
pub const SINCE_ALWAYS: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid constant date"),
};

/// A territory version as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryInput {
    /// Code (stable across versions).
    pub code: String,
    pub name: String,
    /// Kind (`state`, `municipality`, `ais`, `aisp`, `aise`, `intervention` or another word).
    pub kind: String,
    /// Parent territory code.
    pub parent_code: Option<String>,
    /// 7-digit IBGE code of the municipality, when it is one.
    pub ibge: Option<String>,
    /// First day of validity ([`SINCE_ALWAYS`] when not given).
    pub valid_from: NaiveDate,
    /// Last day of validity (inclusive); `None` = still valid.
    pub valid_to: Option<NaiveDate>,
    /// GeoJSON geometry (WGS84), as text.
    pub geometry: Option<String>,
    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]` of the geometry.
    pub bbox: Option<[f64; 4]>,
}

/// A stored territory version.
#[derive(Debug, Clone, Serialize)]
pub struct TerritoryVersion {
    /// Row id.
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// Parent code.
    pub parent_code: Option<String>,
    /// IBGE code.
    pub ibge: Option<String>,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity; `None` = open.
    pub valid_to: Option<NaiveDate>,
    /// GeoJSON geometry.
    #[serde(skip)]
    pub geometry: Option<String>,
    /// Bounding box.
    pub bbox: Option<[f64; 4]>,
    /// Synthetic (demo) record.
    pub synthetic: bool,
}

impl TerritoryVersion {
    /// Whether this version is in force on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// What writing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// A new record.
    Inserted,
    /// An existing record changed.
    Updated,
    /// The record was already stored exactly so.
    Unchanged,
}

/// Result of writing a versioned record: the outcome, or a reason (Portuguese) to reject the row.
pub type VersionedOutcome = std::result::Result<Upsert, String>;

const SELECT_VERSION: &str =
    "SELECT id, code, name, kind, parent_code, ibge, valid_from, valid_to, geometry,
        min_lon, min_lat, max_lon, max_lat, synthetic FROM territories";

pub(crate) fn version_from_row<R>(r: &R) -> Result<TerritoryVersion>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> f64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> NaiveDate: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let bbox = match (
        r.try_get::<Option<f64>, _>("min_lon")?,
        r.try_get::<Option<f64>, _>("min_lat")?,
        r.try_get::<Option<f64>, _>("max_lon")?,
        r.try_get::<Option<f64>, _>("max_lat")?,
    ) {
        (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
        _ => None,
    };
    Ok(TerritoryVersion {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        parent_code: r.try_get("parent_code")?,
        ibge: r.try_get("ibge")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        geometry: r.try_get("geometry")?,
        bbox,
        synthetic: r.try_get("synthetic")?,
    })
}

fn same_content(v: &TerritoryVersion, t: &TerritoryInput) -> bool {
    v.name == t.name
        && v.kind == t.kind
        && v.parent_code == t.parent_code
        && v.ibge == t.ibge
        && v.geometry == t.geometry
}

fn fmt_date(d: NaiveDate) -> String {
    d.br_date()
}

impl Tx {
    /// Every version of the territory `code`, oldest first.
    pub async fn territory_versions(&mut self, code: &str) -> Result<Vec<TerritoryVersion>> {
        on_tx!(self, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT_VERSION} WHERE code = $1 ORDER BY valid_from"
            )))
            .bind(code)
            .fetch_all(c)
            .await?;
            rows.iter().map(version_from_row).collect()
        })
    }

    /// Stores a territory version (Art. 2 §ú: never overwrite).
    ///
    /// - the same version again → `Unchanged`;
    /// - an open version closed by giving it a `valid_to` → `Updated`;
    /// - a new `valid_from` after the open version → `Inserted`, and the open version is closed on the
    ///   previous day;
    /// - any other change of a stored version, or an overlap with a closed one → the row is rejected
    ///   with the reason.
    pub async fn put_territory(
        &mut self,
        t: &TerritoryInput,
        import_id: i64,
        synthetic: bool,
    ) -> Result<VersionedOutcome> {
        let versions = self.territory_versions(&t.code).await?;
        if let Some(v) = versions.iter().find(|v| v.valid_from == t.valid_from) {
            if !same_content(v, t) {
                return Ok(Err(format!(
                    "território `{}` já tem uma versão vigente desde {} com outro conteúdo; uma redelimitação \
                     deve vir como nova versão, com outra data em `valid_from` (Decreto 7.872/2013, art. 2º, parágrafo único)",
                    t.code,
                    fmt_date(t.valid_from)
                )));
            }
            if v.valid_to == t.valid_to {
                return Ok(Ok(Upsert::Unchanged));
            }
            if v.valid_to.is_none() || t.valid_to.is_none() {
                // Closing an open version (or reopening one closed by mistake) only moves its end.
                let end = t.valid_to;
                if let Some(next) = versions.iter().find(|n| n.valid_from > v.valid_from)
                    && end.is_none_or(|e| e >= next.valid_from)
                {
                    return Ok(Err(format!(
                        "a vigência informada para `{}` sobrepõe a versão seguinte, vigente desde {}",
                        t.code,
                        fmt_date(next.valid_from)
                    )));
                }
                self.set_territory_end(v.id, end).await?;
                return Ok(Ok(Upsert::Updated));
            }
            return Ok(Err(format!(
                "território `{}` (versão desde {}) já foi encerrado em {}; uma versão encerrada não é reescrita",
                t.code,
                fmt_date(t.valid_from),
                v.valid_to.map(fmt_date).unwrap_or_default()
            )));
        }
        // A new version: it must not overlap any stored one, except an open version that started earlier,
        // which it closes.
        let new_end = t.valid_to.unwrap_or(NaiveDate::MAX);
        let mut to_close = None;
        for v in &versions {
            let v_end = v.valid_to.unwrap_or(NaiveDate::MAX);
            let overlaps = v.valid_from <= new_end && t.valid_from <= v_end;
            if !overlaps {
                continue;
            }
            if v.valid_to.is_none() && v.valid_from < t.valid_from {
                to_close = Some(v.id);
            } else {
                return Ok(Err(format!(
                    "a vigência de `{}` ({} a {}) sobrepõe a versão vigente de {} a {}",
                    t.code,
                    fmt_date(t.valid_from),
                    t.valid_to.map(fmt_date).unwrap_or_else(|| "hoje".into()),
                    fmt_date(v.valid_from),
                    v.valid_to.map(fmt_date).unwrap_or_else(|| "hoje".into())
                )));
            }
        }
        if let Some(id) = to_close {
            let end = t.valid_from.checked_sub_days(Days::new(1));
            self.set_territory_end(id, end).await?;
        }
        let [min_lon, min_lat, max_lon, max_lat] = match t.bbox {
            Some(b) => b.map(Some),
            None => [None; 4],
        };
        execute!(
            on_tx,
            self,
            "INSERT INTO territories (code, name, kind, parent_code, ibge, valid_from, valid_to, geometry,
                     min_lon, min_lat, max_lon, max_lat, synthetic, import_id)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
            &t.code,
            &t.name,
            &t.kind,
            &t.parent_code,
            &t.ibge,
            t.valid_from,
            t.valid_to,
            &t.geometry,
            min_lon,
            min_lat,
            max_lon,
            max_lat,
            synthetic,
            import_id
        );
        Ok(Ok(Upsert::Inserted))
    }

    async fn set_territory_end(&mut self, id: i64, end: Option<NaiveDate>) -> Result<()> {
        execute!(
            on_tx,
            self,
            "UPDATE territories SET valid_to = $1 WHERE id = $2",
            end,
            id
        );
        Ok(())
    }

    /// Every territory version that has a geometry (for the point-in-polygon index).
    pub async fn territories_with_geometry(&mut self) -> Result<Vec<TerritoryVersion>> {
        on_tx!(self, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT_VERSION} WHERE geometry IS NOT NULL ORDER BY code, valid_from"
            )))
            .fetch_all(c)
            .await?;
            rows.iter().map(version_from_row).collect()
        })
    }

    /// The set of known territory codes.
    pub async fn territory_codes(&mut self) -> Result<HashSet<String>> {
        on_tx!(self, |c| {
            let codes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT code FROM territories")
                .fetch_all(c)
                .await?;
            Ok(codes.into_iter().collect())
        })
    }

    /// Each territory's parent (a municipality's state, an AISP's municipality), as its latest
    /// version says.
    pub async fn territory_parents(&mut self) -> Result<HashMap<String, String>> {
        on_tx!(self, |c| {
            let pairs: Vec<(String, String)> = sqlx::query_as(
                "SELECT t.code, t.parent_code FROM territories t
                 WHERE t.parent_code IS NOT NULL
                   AND t.valid_from = (SELECT MAX(v.valid_from) FROM territories v WHERE v.code = t.code)",
            )
            .fetch_all(c)
            .await?;
            Ok(pairs.into_iter().collect())
        })
    }
}

impl Db {
    /// Every territory version, ordered by kind, code and start (geometry not loaded).
    pub async fn territories(&self) -> Result<Vec<TerritoryVersion>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT id, code, name, kind, parent_code, ibge, valid_from, valid_to, NULL AS geometry,
                        min_lon, min_lat, max_lon, max_lat, synthetic
                 FROM territories ORDER BY kind, code, valid_from",
            )
            .fetch_all(c)
            .await?;
            rows.iter().map(version_from_row).collect()
        })
    }

    /// The GeoJSON geometry of each version in `ids` that has one (a page of a map layer: the list is
    /// read without geometry, the page's outlines in one query).
    pub async fn geometries(&self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        let rows: Vec<(i64, String)> = match self {
            Db::Pg(p) => sqlx::query_as(
                "SELECT id, geometry FROM territories WHERE id = ANY($1) AND geometry IS NOT NULL",
            )
            .bind(ids)
            .fetch_all(p)
            .await?,
            Db::Sqlite(p) => {
                // The list goes in as a JSON array: SQLite seeks the primary key for each value.
                let ids = serde_json::to_string(ids)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
                sqlx::query_as(
                    "SELECT id, geometry FROM territories
                     WHERE id IN (SELECT value FROM json_each($1)) AND geometry IS NOT NULL",
                )
                .bind(ids)
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows.into_iter().collect())
    }

    /// Every version of one territory, with geometry.
    pub async fn territory(&self, code: &str) -> Result<Vec<TerritoryVersion>> {
        on_db!(self, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT_VERSION} WHERE code = $1 ORDER BY valid_from"
            )))
            .bind(code)
            .fetch_all(c)
            .await?;
            rows.iter().map(version_from_row).collect()
        })
    }
}
