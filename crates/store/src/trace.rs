//! What each count of a saved RECAP run rested on (goias-cidadao-seguro.md §7: every number of a result
//! traceable to its inputs). When a run is saved, the occurrences behind each area × crime × period count
//! — and, for count-only data, the monthly rows — are frozen with it in `recap_run_sources`, with a
//! SHA-256 over them in the run (`recap_runs.sources_sha256`). Later re-imports change `occurrences`,
//! never these; `atalaia recap trace` and the run's page read them back.
//!
//! The sources are read when the run is saved and checked against the counts it froze: if an import
//! landed between the calculation and the save, the sums differ and the save is refused, so a trace's
//! count is always the run's.

use std::collections::{BTreeMap, HashMap, HashSet};

use atalaia_core::cycle::CycleKind;
use atalaia_core::recap::{CountBy, RecapParams, RunInputs};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Db, Result, StoreError, Tx, on_db, on_tx};

/// Which period of a run a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TracePeriod {
    /// The quarter computed.
    Current,
    /// Its baseline quarter.
    Base,
}

impl TracePeriod {
    /// `current` or `base`, as stored and as the CLI takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TracePeriod::Current => "current",
            TracePeriod::Base => "base",
        }
    }

    /// From `current` or `base`.
    pub fn parse(s: &str) -> Option<TracePeriod> {
        match s {
            "current" => Some(TracePeriod::Current),
            "base" => Some(TracePeriod::Base),
            _ => None,
        }
    }
}

/// One thing a count rested on: an occurrence, or a monthly row of count-only data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Source {
    /// Area code.
    pub area: String,
    /// Crime code.
    pub crime: String,
    pub period: TracePeriod,
    /// The occurrence's source id; `None` for a monthly count row.
    pub source_id: Option<String>,
    /// When it occurred (a monthly row: its month's first day).
    pub occurred_at: NaiveDateTime,
    /// The import that last set it.
    pub import_id: Option<i64>,
    /// What it adds to the count: 1, its victims when the crime is counted by victim, or the month's count.
    pub weight: i64,
}

/// One count of a saved run and what it rested on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// The run.
    pub run: i64,
    /// Area code.
    pub area: String,
    /// Crime code.
    pub crime: String,
    pub period: TracePeriod,
    /// The run's count for the cell (the sum of the sources' weights).
    pub count: i64,
    /// The run's SHA-256 over all its sources.
    pub sha256: Option<String>,
    /// The sources, by date then source id.
    pub sources: Vec<Source>,
}

/// Rows per multi-row `INSERT` (8 parameters each, well under both backends' limits).
const INSERT_CHUNK: usize = 500;

/// The SHA-256 of sources in their canonical order: one tab-separated line each.
pub(crate) fn sources_sha256(sources: &[Source]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for s in sources {
        h.update(
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                s.area,
                s.crime,
                s.period.as_str(),
                s.source_id.as_deref().unwrap_or(""),
                s.occurred_at.format("%Y-%m-%d %H:%M:%S"),
                s.import_id.map(|i| i.to_string()).unwrap_or_default(),
                s.weight
            )
            .as_bytes(),
        );
    }
    hex::encode(h.finalize())
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN)
}

impl Db {
    /// Everything the counts of `inputs` rest on, as stored now, in canonical order; refused when the
    /// sums are not the counts `inputs` froze (the data changed since they were read).
    pub(crate) async fn count_sources(
        &self,
        params: &RecapParams,
        inputs: &RunInputs,
    ) -> Result<Vec<Source>> {
        let codes: HashSet<&str> = inputs.areas.iter().map(|a| a.code.as_str()).collect();
        let by: HashMap<&str, CountBy> = params
            .crimes
            .iter()
            .map(|(c, by)| (c.as_str(), *by))
            .collect();
        let crimes: Vec<String> = params.crimes.iter().map(|(c, _)| c.to_string()).collect();
        let mut out = Vec::new();
        for (period, q) in [
            (TracePeriod::Current, inputs.quarter),
            (TracePeriod::Base, inputs.baseline_quarter),
        ] {
            let (from, to) = (q.first_day(), q.last_day());
            for (source_id, occurred_at, crime, areas, import_id, victims) in
                self.occurrences_between(&crimes, from, to).await?
            {
                let weight = match by.get(crime.as_str()) {
                    Some(CountBy::Victims) => victims,
                    _ => 1,
                };
                for area in areas.split('|').filter(|a| codes.contains(a)) {
                    out.push(Source {
                        area: area.to_string(),
                        crime: crime.clone(),
                        period,
                        source_id: Some(source_id.clone()),
                        occurred_at,
                        import_id: Some(import_id),
                        weight,
                    });
                }
            }
            for (area, crime, month, count, import_id) in
                self.monthly_rows_between(&crimes, from, to).await?
            {
                if codes.contains(area.as_str()) {
                    out.push(Source {
                        area,
                        crime,
                        period,
                        source_id: None,
                        occurred_at: midnight(month),
                        import_id,
                        weight: count,
                    });
                }
            }
        }
        out.sort();
        check_sums(params, inputs, &out)?;
        Ok(out)
    }

    async fn occurrences_between(
        &self,
        crimes: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, NaiveDateTime, String, String, i64, i64)>> {
        let filter = crate::hotspots::crime_filter(crimes, 3);
        let sql = format!(
            "SELECT source_id, occurred_at, crime, areas, import_id, victims FROM occurrences
             WHERE areas <> '' AND occurred_at >= $1 AND occurred_at < $2{filter}"
        );
        let end = to.succ_opt().unwrap_or(to);
        Ok(on_db!(self, |c| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql))
                .bind(midnight(from))
                .bind(midnight(end));
            for crime in crimes {
                q = q.bind(crime);
            }
            q.fetch_all(c).await?
        }))
    }

    async fn monthly_rows_between(
        &self,
        crimes: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, String, NaiveDate, i64, Option<i64>)>> {
        let filter = crate::hotspots::crime_filter(crimes, 3);
        let sql = format!(
            "SELECT territory_code, crime, month, count, import_id FROM monthly_counts
             WHERE month >= $1 AND month <= $2{filter}"
        );
        Ok(on_db!(self, |c| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(from).bind(to);
            for crime in crimes {
                q = q.bind(crime);
            }
            q.fetch_all(c).await?
        }))
    }

    /// The trace of one count of saved run `run_id`: `None` when the run does not exist or froze no
    /// sources (saved before this existed).
    pub async fn recap_trace(
        &self,
        run_id: i64,
        area: &str,
        crime: &str,
        period: TracePeriod,
    ) -> Result<Option<Trace>> {
        let Some(run) = self.saved_run(CycleKind::Recap, run_id).await? else {
            return Ok(None);
        };
        let Some(sha256) = self.run_sources_sha256(run_id).await? else {
            return Ok(None);
        };
        let rows: Vec<(Option<String>, NaiveDateTime, Option<i64>, i64)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT source_id, occurred_at, import_id, weight FROM recap_run_sources
                 WHERE run_id = $1 AND area = $2 AND crime = $3 AND period = $4",
            )
            .bind(run_id)
            .bind(area)
            .bind(crime)
            .bind(period.as_str())
            .fetch_all(c)
            .await?
        });
        let mut sources: Vec<Source> = rows
            .into_iter()
            .map(|(source_id, occurred_at, import_id, weight)| Source {
                area: area.to_string(),
                crime: crime.to_string(),
                period,
                source_id,
                occurred_at,
                import_id,
                weight,
            })
            .collect();
        sources.sort();
        let inputs: RunInputs = serde_json::from_str(&run.inputs)
            .map_err(|e| StoreError::Corrupt(format!("entradas da execução {run_id}: {e}")))?;
        let config = atalaia_core::program::ProgramDocument::from_json(&run.config)
            .and_then(|d| d.validate())
            .map_err(|e| StoreError::Corrupt(format!("configuração da execução {run_id}: {e}")))?;
        let count = frozen_counts(&config.recap, &inputs)
            .get(&(area.to_string(), crime.to_string(), period))
            .copied();
        let Some(count) = count else {
            return Ok(None);
        };
        Ok(Some(Trace {
            run: run_id,
            area: area.to_string(),
            crime: crime.to_string(),
            period,
            count,
            sha256: Some(sha256),
            sources,
        }))
    }

    async fn run_sources_sha256(&self, run_id: i64) -> Result<Option<String>> {
        let sha: Option<Option<String>> = on_db!(self, |c| {
            sqlx::query_scalar("SELECT sources_sha256 FROM recap_runs WHERE id = $1")
                .bind(run_id)
                .fetch_optional(c)
                .await?
        });
        Ok(sha.flatten())
    }
}

/// The counts a run froze, by (area, crime, period).
fn frozen_counts(
    params: &RecapParams,
    inputs: &RunInputs,
) -> BTreeMap<(String, String, TracePeriod), i64> {
    let mut out = BTreeMap::new();
    for a in &inputs.areas {
        for (i, (crime, _)) in params.crimes.iter().enumerate() {
            for (period, counts) in [
                (TracePeriod::Current, &a.counts),
                (TracePeriod::Base, &a.baseline_counts),
            ] {
                let n = counts.get(i).copied().unwrap_or(0);
                out.insert(
                    (a.code.clone(), crime.to_string(), period),
                    i64::try_from(n).unwrap_or(i64::MAX),
                );
            }
        }
    }
    out
}

/// Refuses sources whose sums are not the counts `inputs` froze.
fn check_sums(params: &RecapParams, inputs: &RunInputs, sources: &[Source]) -> Result<()> {
    let mut sums: BTreeMap<(String, String, TracePeriod), i64> = BTreeMap::new();
    for s in sources {
        *sums
            .entry((s.area.clone(), s.crime.clone(), s.period))
            .or_default() += s.weight;
    }
    for (key, count) in frozen_counts(params, inputs) {
        let found = sums.get(&key).copied().unwrap_or(0);
        if found != count {
            return Err(StoreError::Refused(crate::Refusal::DataChanged(format!(
                "a contagem de {} em {} ({}) era {count} no cálculo e é {found} agora: os dados mudaram; calcule de novo antes de salvar",
                key.1,
                key.0,
                match key.2 {
                    TracePeriod::Current => "trimestre",
                    TracePeriod::Base => "base",
                }
            ))));
        }
    }
    Ok(())
}

impl Tx {
    /// Writes a run's sources (in chunks of [`INSERT_CHUNK`] rows).
    pub(crate) async fn put_run_sources(&mut self, run_id: i64, sources: &[Source]) -> Result<()> {
        for chunk in sources.chunks(INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 8;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO recap_run_sources (run_id, area, crime, period, source_id, occurred_at,
                     import_id, weight) VALUES {}",
                values.join(", ")
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
                for s in chunk {
                    q = q
                        .bind(run_id)
                        .bind(&s.area)
                        .bind(&s.crime)
                        .bind(s.period.as_str())
                        .bind(&s.source_id)
                        .bind(s.occurred_at)
                        .bind(s.import_id)
                        .bind(s.weight);
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }
}
