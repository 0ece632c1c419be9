//! What the RECAP calculation reads (goias-cidadao-seguro.md §3): the areas of the computed kinds in
//! force at the period's end, their counts per CAP crime in the period and the baseline (from the
//! aggregates), their populations (carried forward when the year is missing), and the units with their
//! circunscrição. The rules themselves are in `atalaia_core::recap`.

use atalaia_core::cycle::CycleKind;
use atalaia_core::dates::BrDate;
use atalaia_core::payroll::{RosterLine, RosterSnapshot};
use atalaia_core::pipeline::{Program, Recap};
use atalaia_core::recap::{AreaInput, CountBy as RecapCountBy, Population, RecapParams};
use atalaia_core::{Quarter, TerritoryKind};
use chrono::NaiveDate;

use crate::runs::NewRun;
use crate::{Db, Refusal, Result, StoreError, on_db};

/// A unit and the areas it acts in on a day (Art. 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitAreas {
    pub code: String,
    pub name: String,
    /// Areas of its circunscrição, sorted.
    pub areas: Vec<String>,
}

impl Db {
    /// Units in force on `day` with their areas.
    pub async fn units_on(&self, day: NaiveDate) -> Result<Vec<UnitAreas>> {
        let rows: Vec<(String, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT u.code, u.name, a.territory_code FROM units u
                 JOIN unit_areas a ON a.unit_id = u.id
                 WHERE u.valid_from <= $1 AND (u.valid_to IS NULL OR u.valid_to >= $1)
                 ORDER BY u.code, a.territory_code",
            )
            .bind(day)
            .fetch_all(c)
            .await?
        });
        let mut out: Vec<UnitAreas> = Vec::new();
        for (code, name, area) in rows {
            match out.last_mut() {
                Some(u) if u.code == code => u.areas.push(area),
                _ => out.push(UnitAreas {
                    code,
                    name,
                    areas: vec![area],
                }),
            }
        }
        Ok(out)
    }

    /// The inputs of one area for `quarter` against `baseline`.
    pub async fn recap_area_input(
        &self,
        params: &RecapParams,
        code: &str,
        name: &str,
        kind: TerritoryKind,
        quarter: Quarter,
        baseline: Quarter,
    ) -> Result<AreaInput> {
        let mut v = self
            .area_inputs(params, &[(code, name, kind)], quarter, baseline)
            .await?;
        v.pop()
            .ok_or_else(|| StoreError::Corrupt(format!("área {code} sem entrada")))
    }

    /// The inputs of many areas at once: one population query and two count queries per period
    /// (`period_sums`), whatever the number of areas — a round trip per area and crime made a quarter
    /// take a second on PostgreSQL.
    async fn area_inputs(
        &self,
        params: &RecapParams,
        areas: &[(&str, &str, TerritoryKind)],
        quarter: Quarter,
        baseline: Quarter,
    ) -> Result<Vec<AreaInput>> {
        let codes: Vec<String> = areas.iter().map(|(c, _, _)| c.to_string()).collect();
        let crimes: Vec<&str> = params.crimes.iter().map(|(c, _)| c.as_str()).collect();
        let pops = self
            .populations_upto(&codes, quarter.year().max(baseline.year()))
            .await?;
        let now = self
            .period_sums(&codes, &crimes, quarter.first_day(), quarter.last_day())
            .await?;
        let base = self
            .period_sums(&codes, &crimes, baseline.first_day(), baseline.last_day())
            .await?;
        let population = |code: &str, year: i32| -> Population {
            // Newest first: the period's year, or the latest earlier one carried forward.
            match pops
                .get(code)
                .and_then(|v| v.iter().find(|(y, _)| *y <= year))
            {
                Some((y, p)) if *y == year => Population::Exact((*p).max(0) as u64),
                Some((y, p)) => Population::CarriedForward {
                    population: (*p).max(0) as u64,
                    year: *y,
                },
                None => Population::Missing,
            }
        };
        let counts =
            |sums: &std::collections::HashMap<(String, String), crate::counts::PeriodSums>,
             code: &str|
             -> Vec<u64> {
                params
                    .crimes
                    .iter()
                    .map(|(crime, by)| {
                        let s = sums
                            .get(&(code.to_string(), crime.as_str().to_string()))
                            .copied()
                            .unwrap_or_default();
                        let n = match by {
                            RecapCountBy::Occurrences => s.occurrences,
                            RecapCountBy::Victims => s.victims,
                        };
                        n.max(0) as u64
                    })
                    .collect()
            };
        Ok(areas
            .iter()
            .map(|(code, name, kind)| AreaInput {
                code: code.to_string(),
                name: name.to_string(),
                kind: kind.clone(),
                population: population(code, quarter.year()),
                baseline_population: population(code, baseline.year()),
                counts: counts(&now, code),
                baseline_counts: counts(&base, code),
            })
            .collect())
    }

    /// The inputs of every area of `params.area_kinds` in force at the end of `quarter`, by code.
    pub async fn recap_inputs(
        &self,
        params: &RecapParams,
        quarter: Quarter,
        baseline: Quarter,
    ) -> Result<Vec<AreaInput>> {
        let kinds: Vec<&str> = params.area_kinds.iter().map(|k| k.as_str()).collect();
        let mut areas = self.territories_on(&kinds, quarter.last_day()).await?;
        areas.sort_by(|a, b| a.code.cmp(&b.code));
        let mut list = Vec::with_capacity(areas.len());
        for a in &areas {
            let kind: TerritoryKind = a
                .kind
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("tipo de território `{}`", a.kind)))?;
            list.push((a.code.as_str(), a.name.as_str(), kind));
        }
        self.area_inputs(params, &list, quarter, baseline).await
    }
}

/// A stored version of the program configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramVersion {
    /// Row id.
    pub id: i64,
    /// First day it applies.
    pub valid_from: NaiveDate,
    /// The JSON document.
    pub document: String,
    /// Why (act, meeting).
    pub note: String,
    /// Who saved it.
    pub created_by: String,
}

/// A `program_configs` row as both reads select it.
type VersionRow = (i64, NaiveDate, String, String, String);

impl From<VersionRow> for ProgramVersion {
    fn from((id, valid_from, document, note, created_by): VersionRow) -> Self {
        ProgramVersion {
            id,
            valid_from,
            document,
            note,
            created_by,
        }
    }
}

impl crate::Tx {
    /// Saves a new version of the program configuration from `valid_from`, audited in the same
    /// transaction. A version never overwrites another: the date must be later than every stored one
    /// (the past stays as it was computed).
    pub async fn put_program_config(
        &mut self,
        valid_from: NaiveDate,
        document: &str,
        note: &str,
        actor: &str,
        now: chrono::NaiveDateTime,
    ) -> Result<i64> {
        let latest: Option<NaiveDate> = crate::on_tx!(self, |c| {
            sqlx::query_scalar("SELECT MAX(valid_from) FROM program_configs")
                .fetch_one(c)
                .await?
        });
        if let Some(l) = latest
            && valid_from <= l
        {
            return Refusal::invalid(format!(
                "a nova versão deve começar depois de {}, início da versão vigente mais recente",
                l.br_date()
            ));
        }
        let id: i64 = crate::on_tx!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO program_configs (valid_from, document, note, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(valid_from)
            .bind(document)
            .bind(note)
            .bind(actor)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        self.audit(
            &crate::audit::AuditEvent::new(actor, "config.program")
                .object(format!("program_config:{id}"))
                .details(serde_json::json!({"valid_from": valid_from, "note": note,
                    "document": serde_json::from_str::<serde_json::Value>(document).unwrap_or_default()})),
            now,
        )
        .await?;
        Ok(id)
    }
}

impl Db {
    /// The version in force on `day`, if any was saved.
    pub async fn program_config_on(&self, day: NaiveDate) -> Result<Option<ProgramVersion>> {
        let row: Option<VersionRow> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, valid_from, document, note, created_by FROM program_configs
                 WHERE valid_from <= $1 ORDER BY valid_from DESC LIMIT 1",
            )
            .bind(day)
            .fetch_optional(c)
            .await?
        });
        Ok(row.map(ProgramVersion::from))
    }
}

/// A replayed RECAP run.
pub type Replay = crate::runs::Replay<atalaia_core::pipeline::Recap>;

impl crate::runs::Replay<atalaia_core::pipeline::Recap> {
    /// The run's named payroll and per-unit summary at the configuration's amounts (empty for a run
    /// saved without a roster).
    pub fn payroll(
        &self,
    ) -> (
        Vec<atalaia_core::payroll::PayLine>,
        Vec<atalaia_core::payroll::UnitSummary>,
    ) {
        let amounts = atalaia_core::payroll::Amounts::from_reais(
            self.config.payment_recap1,
            self.config.payment_recap2,
        );
        self.frozen
            .as_ref()
            .map(|r| r.payroll(&self.report, amounts))
            .unwrap_or_default()
    }
}

impl Db {
    /// Reads every input of `quarter` against `baseline`: the RECAP areas, the units in force at the
    /// quarter's end, and the areas of those units outside the RECAP kinds (named in the unit's memória,
    /// never averaged: `atalaia_core::recap::report`).
    pub async fn recap_run_inputs(
        &self,
        params: &RecapParams,
        quarter: Quarter,
        baseline: Quarter,
    ) -> Result<atalaia_core::recap::RunInputs> {
        let areas = self.recap_inputs(params, quarter, baseline).await?;
        let units: Vec<atalaia_core::recap::UnitInput> = self
            .units_on(quarter.last_day())
            .await?
            .into_iter()
            .map(|u| atalaia_core::recap::UnitInput {
                code: u.code,
                name: u.name,
                areas: u.areas,
            })
            .collect();
        let mut unit_areas: Vec<AreaInput> = Vec::new();
        for code in units.iter().flat_map(|u| u.areas.iter()) {
            if areas
                .iter()
                .chain(unit_areas.iter())
                .any(|a| &a.code == code)
            {
                continue;
            }
            let Some(v) = self
                .territory(code)
                .await?
                .into_iter()
                .find(|v| v.valid_on(quarter.last_day()))
            else {
                continue;
            };
            let kind: TerritoryKind = v
                .kind
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("tipo de território `{}`", v.kind)))?;
            unit_areas.push(
                self.recap_area_input(params, code, &v.name, kind, quarter, baseline)
                    .await?,
            );
        }
        Ok(atalaia_core::recap::RunInputs {
            quarter,
            baseline_quarter: baseline,
            areas,
            unit_areas,
            units,
        })
    }

    /// Every version of the program configuration, oldest first.
    pub async fn program_configs(&self) -> Result<Vec<ProgramVersion>> {
        let rows: Vec<VersionRow> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, valid_from, document, note, created_by FROM program_configs ORDER BY valid_from",
            )
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(ProgramVersion::from).collect())
    }
}

impl Db {
    /// The roster of `quarter` under `config` (its absence share and eligible institutions): every
    /// operator with their assignments and absences in it, through the core rule of Art. 9
    /// (`atalaia_core::roster`), by registration.
    pub async fn roster(
        &self,
        quarter: Quarter,
        config: &atalaia_core::program::ProgramConfig,
    ) -> Result<Vec<RosterLine>> {
        use atalaia_core::roster::{Absence, Assignment, AssignmentKind, roster_entry};
        let (q0, q1) = (quarter.first_day(), quarter.last_day());
        let operators: Vec<(String, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT registration, name, institution FROM operators ORDER BY registration",
            )
            .fetch_all(c)
            .await?
        });
        let assignments: Vec<(String, String, NaiveDate, Option<NaiveDate>, String)> =
            on_db!(self, |c| {
                sqlx::query_as(
                    "SELECT registration, unit_code, date_from, date_to, kind FROM assignments
                     WHERE date_from <= $2 AND (date_to IS NULL OR date_to >= $1)
                     ORDER BY registration, date_from",
                )
                .bind(q0)
                .bind(q1)
                .fetch_all(c)
                .await?
            });
        let absences: Vec<(String, NaiveDate, NaiveDate)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT registration, date_from, date_to FROM absences
                 WHERE date_from <= $2 AND date_to >= $1 ORDER BY registration, date_from",
            )
            .bind(q0)
            .bind(q1)
            .fetch_all(c)
            .await?
        });
        let mut by_reg: std::collections::HashMap<&str, (Vec<Assignment>, Vec<Absence>)> =
            Default::default();
        for (reg, unit, from, to, kind) in &assignments {
            let kind = match kind.as_str() {
                "disposicao" => AssignmentKind::Disposicao,
                _ => AssignmentKind::Lotacao,
            };
            by_reg.entry(reg).or_default().0.push(Assignment {
                unit: unit.clone(),
                from: *from,
                to: *to,
                kind,
            });
        }
        for (reg, from, to) in &absences {
            by_reg.entry(reg).or_default().1.push(Absence {
                from: *from,
                to: *to,
            });
        }
        Ok(operators
            .into_iter()
            .map(|(registration, name, institution)| {
                let (a, b) = by_reg
                    .get(registration.as_str())
                    .cloned()
                    .unwrap_or_default();
                RosterLine {
                    entry: roster_entry(
                        quarter,
                        config.pays_institution(&institution),
                        &a,
                        &b,
                        config.absence_max_pct,
                    ),
                    registration,
                    name,
                    institution,
                }
            })
            .collect())
    }
}

impl Db {
    /// The roster of `quarter` and the heads' amendments as they stand: what a run freezes.
    pub async fn roster_snapshot(
        &self,
        quarter: Quarter,
        config: &atalaia_core::program::ProgramConfig,
    ) -> Result<RosterSnapshot> {
        let lines = self.roster(quarter, config).await?;
        let cycle = self.cycle(quarter).await?;
        let amendments = cycle
            .as_ref()
            .map(|cy| cy.amendments_by_unit())
            .unwrap_or_default();
        let decisions = cycle.map(|cy| cy.decisions()).unwrap_or_default();
        Ok(RosterSnapshot {
            lines,
            amendments,
            decisions,
        })
    }

    /// Today's named payroll of `quarter` (`atalaia recap payroll` without a run): the roster and the
    /// heads' amendments as they stand, paid at today's result. Refused for a quarter that may not pay.
    pub async fn recap_payroll(
        &self,
        quarter: Quarter,
        today: NaiveDate,
    ) -> Result<Vec<atalaia_core::payroll::PayLine>> {
        let c = self.compute_quarter(quarter, None, today).await?;
        if let Some(why) = c.not_closed {
            return Err(why.into());
        }
        let amounts = atalaia_core::payroll::Amounts::from_reais(
            c.config.payment_recap1,
            c.config.payment_recap2,
        );
        let snapshot = self.roster_snapshot(quarter, &c.config).await?;
        Ok(snapshot.payroll(&c.report, amounts).0)
    }
}

/// A quarter computed with the configuration in force at its end: what `recap compute`, the committee's
/// page and a saved run all show.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The stored version used (`None`: the decree's defaults, nothing saved yet).
    pub version: Option<ProgramVersion>,
    /// The configuration document's exact text.
    pub document: String,
    /// The configuration, validated.
    pub config: atalaia_core::program::ProgramConfig,
    /// The inputs as read.
    pub inputs: atalaia_core::recap::RunInputs,
    /// The result; without levels while the quarter may not pay (`not_closed`).
    pub report: atalaia_core::recap::Report,
    /// Why the quarter may not pay yet (`atalaia_core::closing`), or `None` when it may.
    pub not_closed: Option<atalaia_core::closing::NotClosed>,
}

impl Db {
    /// Computes `quarter` with the configuration in force at its last day (the decree's defaults when
    /// none was saved), optionally with another baseline rule, as it stands on `today`: a quarter not
    /// begun is refused, one not over (or before its data cut-off) has its figures so far and no level.
    pub async fn compute_quarter(
        &self,
        quarter: Quarter,
        baseline: Option<atalaia_core::recap::Baseline>,
        today: NaiveDate,
    ) -> Result<Computed> {
        use atalaia_core::closing::{NotClosed, Period};
        use atalaia_core::program::ProgramDocument;
        use atalaia_core::recap::Baseline;
        let version = self.program_config_on(quarter.last_day()).await?;
        let document = match &version {
            Some(v) => v.document.clone(),
            None => serde_json::to_string(&ProgramDocument::decree_default())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        let config = ProgramDocument::from_json(&document)
            .and_then(|d| d.validate())
            .map_err(|error| {
                let since = version
                    .as_ref()
                    .map(|v| v.valid_from.br_date())
                    .unwrap_or_default();
                Refusal::Invalid(format!(
                    "configuração do programa em vigor desde {since} inválida: {error}"
                ))
            })?;
        let mut params = config.recap.clone();
        if let Some(b) = baseline {
            params.baseline = b;
        }
        let base = match params.baseline {
            Baseline::SameQuarterPreviousYear => quarter.same_quarter_previous_year(),
            Baseline::PreviousQuarter => quarter.previous(),
        }
        .ok_or_else(|| {
            Refusal::Invalid(format!("o trimestre {quarter} não tem base de comparação"))
        })?;
        let not_closed = match quarter.require_closed(config.data_cutoff_days, today) {
            Ok(()) => None,
            Err(future @ NotClosed::Future(_)) => return Err(future.into()),
            Err(partial) => Some(partial),
        };
        let inputs = self.recap_run_inputs(&params, quarter, base).await?;
        let mut report = atalaia_core::recap::report(&params, &inputs);
        if not_closed.is_some() {
            report.withhold_levels();
        }
        Ok(Computed {
            version,
            document,
            config,
            inputs,
            report,
            not_closed,
        })
    }

    /// The data cut-off (days after a period ends) of the configuration in force on `day`; 0 when none
    /// was saved or it does not validate (a later refusal says why).
    pub async fn data_cutoff_on(&self, day: NaiveDate) -> Result<u32> {
        Ok(self
            .program_config_on(day)
            .await?
            .and_then(|v| atalaia_core::program::ProgramDocument::from_json(&v.document).ok())
            .map_or(0, |d| d.data_cutoff_days))
    }

    /// Saves a computed quarter as a run; returns its id.
    pub async fn save_computed(
        &self,
        c: &Computed,
        actor: &str,
        now: chrono::NaiveDateTime,
    ) -> Result<i64> {
        if let Some(why) = &c.not_closed {
            return Err(why.clone().into());
        }
        let inputs =
            serde_json::to_string(&c.inputs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let result =
            serde_json::to_string(&c.report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let roster = Some(self.roster_snapshot(c.inputs.quarter, &c.config).await?);
        let frozen = <Recap as Program>::freeze(&roster);
        // What each count rested on, checked against the counts just computed (`crate::trace`).
        let sources = self.count_sources(&c.config.recap, &c.inputs).await?;
        // Beside the run: its baseline (Art. 5) and the hashes of its roster and traced sources.
        let roster_sha = frozen.as_deref().map(crate::runs::sha256);
        let sources_sha = crate::trace::sources_sha256(&sources);
        let run = NewRun {
            period: &c.report.quarter,
            config_id: c.version.as_ref().map(|v| v.id),
            config: &c.document,
            inputs: &inputs,
            result: &result,
            frozen: frozen.as_deref(),
            sources: Some(&sources),
            columns: vec![
                ("baseline", Some(c.report.baseline_quarter.clone())),
                ("roster_sha256", roster_sha.clone()),
                ("sources_sha256", Some(sources_sha.clone())),
            ],
            audit: serde_json::json!({"quarter": c.report.quarter,
                "baseline": c.report.baseline_quarter, "roster_sha256": roster_sha,
                "sources_sha256": sources_sha, "sources": sources.len()}),
        };
        self.save_run(CycleKind::Recap, &run, actor, now).await
    }
}
