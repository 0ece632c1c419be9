//! Municipality selection (igesp.md §2): the facts `core::selection` ranks — per municipality in force,
//! crimes per group in the twelve months up to a month and the twelve before (from the aggregates),
//! populations, and the concentration of its geocoded crimes on a grid — and the team's decisions, each
//! stored with its weights, period and table row, and audited in the same transaction.

use std::collections::{BTreeMap, HashMap};

use atalaia_core::Month;
use atalaia_core::crime::CrimeGroup;
use atalaia_core::selection::{Facts, GROUPS, Row as Ranked, Weights};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use sqlx::Row;

use crate::audit::AuditEvent;
use crate::{Db, Result, StoreError, on_db, on_tx};

/// The two twelve-month windows ending with `end`: `[current_start, end_next)` and
/// `[previous_start, current_start)`.
pub fn windows(end: Month) -> (NaiveDate, NaiveDate, NaiveDate) {
    let end_next = end.last_day().succ_opt().unwrap_or(NaiveDate::MAX);
    let current_start = end_next
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    let previous_start = current_start
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    (previous_start, current_start, end_next)
}

/// The group of the `crimes.crime_group` word (the catalog migration's Portuguese words, or the
/// `CrimeGroup` code); anything else is "other".
pub fn group_of(word: &str) -> CrimeGroup {
    match word {
        "cvli" => CrimeGroup::ViolentLethal,
        "violento" => CrimeGroup::ViolentOther,
        "roubo" => CrimeGroup::Robbery,
        "furto" => CrimeGroup::Theft,
        "drogas_armas" => CrimeGroup::DrugsWeapons,
        other => GROUPS
            .into_iter()
            .find(|g| g.as_str() == other)
            .unwrap_or(CrimeGroup::Other),
    }
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Decision {
    /// Row id.
    pub id: i64,
    pub territory_code: String,
    /// `enter` or `not_yet`.
    pub decision: String,
    /// The team's text.
    pub reason: String,
    /// The table's last month.
    pub period_end: String,
    /// The weights, JSON.
    pub weights: String,
    /// The municipality's row of the table, JSON.
    pub row_snapshot: String,
    /// Who (`user:<login>`).
    pub decided_by: String,
    /// When (UTC).
    pub decided_at: NaiveDateTime,
}

/// A decision to record.
#[derive(Debug, Clone, Copy)]
pub struct NewDecision<'a> {
    /// The municipality's row of the table, as the team saw it.
    pub row: &'a Ranked,
    /// `enter` or `not_yet`.
    pub decision: &'a str,
    /// The team's text.
    pub reason: &'a str,
    /// The table's last month.
    pub end: Month,
    /// The weights the table was ranked with.
    pub weights: &'a Weights,
}

/// Geocoded, assigned occurrences dated in `[$1, $2)`, as the municipality selection reads them. Public
/// for the test that `EXPLAIN`s it against PostgreSQL's partitions.
pub const LOCATED_IN_PERIOD: &str = "SELECT lon, lat, areas FROM occurrences
    WHERE lat IS NOT NULL AND areas <> '' AND occurred_at >= $1 AND occurred_at < $2";

impl Db {
    /// The facts of every municipality in force on `end`'s last day.
    pub async fn selection_facts(&self, end: Month) -> Result<Vec<Facts>> {
        let (previous_start, current_start, end_next) = windows(end);
        let municipalities: Vec<_> = self
            .territories_on(&["municipality"], end.last_day())
            .await?;
        let groups: HashMap<String, CrimeGroup> = self
            .crimes()
            .await?
            .into_iter()
            .map(|c| (c.code, group_of(&c.group)))
            .collect();
        let codes: Vec<String> = municipalities.iter().map(|t| t.code.clone()).collect();
        let code_set: std::collections::HashSet<&str> = codes.iter().map(String::as_str).collect();
        let mut current: HashMap<String, BTreeMap<CrimeGroup, u64>> = HashMap::new();
        let mut previous: HashMap<String, BTreeMap<CrimeGroup, u64>> = HashMap::new();
        let totals = self.monthly_totals(previous_start, end_next).await?;
        let current_month = current_start.format("%Y-%m").to_string();
        for t in &totals {
            if !code_set.contains(t.territory_code.as_str()) {
                continue;
            }
            let g = groups.get(&t.crime).copied().unwrap_or(CrimeGroup::Other);
            let map = if t.month >= current_month {
                &mut current
            } else {
                &mut previous
            };
            *map.entry(t.territory_code.clone())
                .or_default()
                .entry(g)
                .or_default() += t.occurrences.max(0) as u64;
        }
        let year = end.year();
        let pops = self.populations_upto(&codes, year).await?;
        let pop_in = |code: &str, y: i32| -> Option<u64> {
            pops.get(code)?
                .iter()
                .filter(|(py, _)| *py <= y)
                .max_by_key(|(py, _)| *py)
                .map(|&(_, p)| p.max(0) as u64)
        };
        // Concentration: every geocoded occurrence of the current window, with its areas, read once.
        let points = self.located_with_areas(current_start, end_next).await?;
        let mut by_code: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
        for (lon, lat, areas) in &points {
            for a in areas.split('|') {
                if let Some(code) = code_set.get(a) {
                    by_code.entry(code).or_default().push((*lon, *lat));
                }
            }
        }
        let mut out = Vec::with_capacity(municipalities.len());
        for t in &municipalities {
            let concentration = match (&t.geometry, by_code.get(t.code.as_str())) {
                (Some(text), Some(pts)) => {
                    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                        StoreError::Corrupt(format!("geometria de {}: {e}", t.code))
                    })?;
                    let mp = atalaia_spatial::shapes::to_multipolygon(&value).map_err(|e| {
                        StoreError::Corrupt(format!("geometria de {}: {e}", t.code))
                    })?;
                    atalaia_spatial::hotspot::concentration_in(&mp, pts)
                }
                _ => None,
            };
            out.push(Facts {
                code: t.code.clone(),
                name: t.name.clone(),
                population: pop_in(&t.code, year),
                previous_population: pop_in(&t.code, year - 1),
                current: current.remove(&t.code).unwrap_or_default(),
                previous: previous.remove(&t.code).unwrap_or_default(),
                top5_share: concentration.map(|c| c.0),
                gini: concentration.map(|c| c.1),
            });
        }
        Ok(out)
    }

    /// Geocoded occurrences dated in `[from, to)`: `(lon, lat, areas)`.
    pub async fn located_with_areas(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(f64, f64, String)>> {
        on_db!(self, |c| {
            let rows = sqlx::query(LOCATED_IN_PERIOD)
                .bind(from.and_time(NaiveTime::MIN))
                .bind(to.and_time(NaiveTime::MIN))
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| -> Result<(f64, f64, String)> {
                    Ok((r.try_get("lon")?, r.try_get("lat")?, r.try_get("areas")?))
                })
                .collect()
        })
    }

    /// Records the team's decision about a municipality (igesp.md §2: "the decision (enter / not yet,
    /// with text) is recorded"), with the weights, period and table row, and its audit entry, in one
    /// transaction.
    pub async fn record_selection_decision(
        &self,
        d: &NewDecision<'_>,
        actor: &str,
        ip: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let NewDecision {
            row,
            decision,
            reason,
            end,
            weights,
        } = *d;
        let weights_json = serde_json::to_string(weights)
            .map_err(|e| StoreError::Corrupt(format!("pesos: {e}")))?;
        let row_json =
            serde_json::to_string(row).map_err(|e| StoreError::Corrupt(format!("linha: {e}")))?;
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO selection_decisions (territory_code, decision, reason, period_end,
                     weights, row_snapshot, decided_by, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(&row.facts.code)
            .bind(decision)
            .bind(reason)
            .bind(end.to_string())
            .bind(&weights_json)
            .bind(&row_json)
            .bind(actor)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        tx.audit(
            &AuditEvent {
                actor: actor.to_string(),
                action: "selection.decision_recorded".into(),
                object: format!("territory:{}", row.facts.code),
                details: serde_json::json!({
                    "decision_id": id, "decision": decision, "reason": reason,
                    "period_end": end.to_string(), "weights": weights,
                    "rank": row.rank, "score": row.score,
                }),
                ip: ip.to_string(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every recorded decision, newest first.
    pub async fn selection_decisions(&self) -> Result<Vec<Decision>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, territory_code, decision, reason, period_end, weights, row_snapshot,
                        decided_by, decided_at
                 FROM selection_decisions ORDER BY id DESC",
            )
            .fetch_all(c)
            .await?)
        })
    }
}
