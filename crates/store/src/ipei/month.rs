//! A month's IPEI from the database: its parameters, everything the rule reads (`MonthInputs`), the
//! result as it stands with the stage of its cycle, and its saved runs (Arts. 10–15).

use super::*;
use crate::cycles::committee_office;
use crate::runs::NewRun;
use crate::{Db, Result, StoreError, on_db};
use atalaia_core::Month;
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::ipei::MonthStage;
use atalaia_core::ipei::{
    EarlierClaim, ForensicInput, IpeiParams, IpeiReport, MonthInputs, OperatorFacts, SeizureInput,
    UnitDelivery, weapon_key,
};
use atalaia_core::pipeline::{Ipei, Program};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, BTreeSet};

impl Db {
    /// The IPEI parameters in force for a month (the configuration valid on its last day; the decree's
    /// defaults without one), with the configuration's id and document.
    pub async fn ipei_params(&self, month: Month) -> Result<(IpeiParams, Option<i64>, String)> {
        match self.program_config_on(month.last_day()).await? {
            Some(v) => {
                let doc = atalaia_core::program::ProgramDocument::from_json(&v.document)
                    .and_then(|d| d.validate())
                    .map_err(|e| StoreError::Corrupt(format!("configuração {}: {e}", v.id)))?;
                Ok((doc.ipei, Some(v.id), v.document))
            }
            None => Ok((
                IpeiParams::decree_default(),
                None,
                serde_json::to_string(&atalaia_core::program::ProgramDocument::decree_default())
                    .unwrap_or_default(),
            )),
        }
    }

    /// Everything a month's IPEI depends on, as it stands on `as_of` (deadlines from the month's cycle,
    /// or the Anexo Único's on the committee's calendar when no cycle is open yet).
    pub async fn ipei_inputs(&self, month: Month, as_of: NaiveDate) -> Result<MonthInputs> {
        let period = CyclePeriod::Month(month);
        let cycle = self.cycle(period).await?;
        let schedule = cycle
            .as_ref()
            .map(|c| c.schedule.clone())
            .unwrap_or(Schedule::ANEXO_UNICO);
        let (uf, muni) = committee_office();
        let cal = self.calendar(uf, muni).await?;
        let deadlines = atalaia_core::cycle::deadlines(period, &schedule, &cal)
            .map_err(|e| StoreError::Corrupt(format!("prazos do IPEI de {month}: {e}")))?;
        let submission_deadline = deadlines
            .iter()
            .find(|d| d.step == StepKey::Submissions)
            .map(|d| d.date)
            .ok_or_else(|| StoreError::Corrupt(format!("prazo de envio de {month}")))?;

        let rows = self.seizures(month, None).await?;
        let mut units: BTreeMap<String, UnitDelivery> = BTreeMap::new();
        if let Some(c) = &cycle {
            for a in c.acts.iter().filter(|a| a.act == "submission") {
                let Some(unit) = &a.unit else { continue };
                let payload: DeliveryPayload = a
                    .payload
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("envio {}: {e}", a.id)))?
                    .unwrap_or_default();
                units.entry(unit.clone()).or_insert(UnitDelivery {
                    unit: unit.clone(),
                    name: String::new(),
                    // Acts are stamped in UTC; the deadline is a day in Goiânia (UTC−3, no daylight
                    // saving since 2019), so a delivery at 22h on the last day is on time.
                    submitted_on: Some(atalaia_core::dates::sao_paulo_local(a.at).date()),
                    delivered: payload.seizures,
                });
            }
        }
        for r in &rows {
            units
                .entry(r.record.unit_code.to_string())
                .or_insert_with(|| UnitDelivery {
                    unit: r.record.unit_code.to_string(),
                    name: String::new(),
                    submitted_on: None,
                    delivered: Vec::new(),
                });
        }
        for u in units.values_mut() {
            u.name = self.unit_name_on(&u.unit, month.last_day()).await?;
        }

        let seizures: Vec<SeizureInput> = rows
            .iter()
            .map(|r| SeizureInput {
                id: r.id,
                bo_number: r.record.bo_number.to_string(),
                item: r.item,
                serial: r.record.serial.clone(),
                unit: r.record.unit_code.to_string(),
                seized_on: r.record.seized_on,
                flagrante: r.record.flagrante,
                registrations: r
                    .record
                    .registrations
                    .iter()
                    .map(|g| g.to_string())
                    .collect(),
                bo_sha256: r.bo_sha256.clone(),
                brand: r.record.brand.clone(),
            })
            .collect();

        // The laudos of the month's BOs and the facts of everyone named: one query each (the order of
        // the inputs is fixed here, by BO then id, whatever the database's collation).
        let found: Vec<(i64, String, String, String, NaiveDate)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, bo_number, serial, expert_registration, signed_on FROM forensic_reports
                 WHERE bo_number IN (SELECT bo_number FROM seizures WHERE month = $1) ORDER BY id",
            )
            .bind(month.to_string())
            .fetch_all(c)
            .await?
        });
        let mut forensic: Vec<ForensicInput> = found
            .into_iter()
            .map(|(id, bo_number, serial, expert, signed_on)| ForensicInput {
                id,
                bo_number,
                serial,
                expert_registration: expert,
                signed_on,
            })
            .collect();
        forensic.sort_by(|a, b| (&a.bo_number, a.id).cmp(&(&b.bo_number, b.id)));

        let named: Vec<String> = seizures
            .iter()
            .flat_map(|s| s.registrations.iter().cloned())
            .chain(forensic.iter().map(|f| f.expert_registration.clone()))
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        macro_rules! facts {
            () => {
                "SELECT o.registration, o.name, o.institution,
                   (SELECT COUNT(*) FROM assignments a WHERE a.registration = o.registration
                      AND a.date_from <= $2 AND (a.date_to IS NULL OR a.date_to >= $3)) AS n
                 FROM operators o WHERE "
            };
        }
        let facts: Vec<(String, String, String, i64)> = match self {
            Db::Pg(p) => {
                sqlx::query_as(concat!(facts!(), "o.registration = ANY($1)"))
                    .bind(&named)
                    .bind(month.last_day())
                    .bind(month.first_day())
                    .fetch_all(p)
                    .await?
            }
            Db::Sqlite(p) => {
                // The list goes in as a JSON array: SQLite seeks the primary key for each value.
                let list = serde_json::to_string(&named)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query_as(concat!(
                    facts!(),
                    "o.registration IN (SELECT value FROM json_each($1))"
                ))
                .bind(list)
                .bind(month.last_day())
                .bind(month.first_day())
                .fetch_all(p)
                .await?
            }
        };
        let operators: BTreeMap<String, OperatorFacts> = facts
            .into_iter()
            .map(|(reg, name, institution, n)| {
                (
                    reg,
                    OperatorFacts {
                        name,
                        institution,
                        served_in_month: n > 0,
                    },
                )
            })
            .collect();

        // Weapons claimed in earlier months with the same identity as this month's that block it
        // (`atalaia_core::ipei::same_weapon`): paid in their month's published result, or in a month not
        // yet published. A claim its month rejected blocks nobody.
        let keys: BTreeSet<String> = seizures
            .iter()
            .map(|s| weapon_key(&s.bo_number, s.item, &s.serial))
            .collect();
        let earlier_rows: Vec<(i64, String, String, i64, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, month, bo_number, item, serial, brand FROM seizures
                 WHERE month < $1 ORDER BY month, id",
            )
            .bind(month.to_string())
            .fetch_all(c)
            .await?
        });
        let mut published: BTreeMap<String, Option<BTreeMap<i64, String>>> = BTreeMap::new();
        let mut earlier = Vec::new();
        for (id, m, bo, item, serial, brand) in earlier_rows {
            let key = weapon_key(&bo, u32::try_from(item).unwrap_or(0), &serial);
            if !keys.contains(&key) {
                continue;
            }
            let claim_month =
                Month::parse(&m).map_err(|e| StoreError::Corrupt(format!("mês `{m}`: {e}")))?;
            if !published.contains_key(&m) {
                published.insert(m.clone(), self.published_statuses(claim_month).await?);
            }
            let status = published[&m].as_ref().map(|st| st.get(&id).cloned());
            let pending = match status {
                None => true,
                Some(Some(s)) if s == "paid" => false,
                // Rejected, a duplicate, or not in the published result: it was not paid.
                Some(_) => continue,
            };
            earlier.push(EarlierClaim {
                key,
                month: claim_month,
                bo_number: bo,
                brand,
                pending,
            });
        }

        Ok(MonthInputs {
            month,
            as_of,
            submission_deadline,
            forensic_deadline: submission_deadline,
            units: units.into_values().collect(),
            seizures,
            forensic,
            operators,
            earlier,
            decisions: cycle.as_ref().map(|c| c.decisions()).unwrap_or_default(),
        })
    }

    /// The month's IPEI as it stands on `as_of`, its stage read from the month's cycle: `open` until
    /// the partial result, then `partial`, then `final`.
    pub async fn ipei_result(&self, month: Month, as_of: NaiveDate) -> Result<IpeiReport> {
        Ok(self.ipei_compute(month, as_of).await?.report)
    }

    /// The month's result with what it was computed from (what a saved run freezes).
    /// A month not begun on `as_of` is refused; one not over (or before its data cut-off) has its
    /// figures so far and no payment (`atalaia_core::closing`).
    pub async fn ipei_compute(&self, month: Month, as_of: NaiveDate) -> Result<IpeiComputed> {
        use atalaia_core::closing::{NotClosed, Period};
        let not_closed =
            match month.require_closed(self.data_cutoff_on(month.last_day()).await?, as_of) {
                Ok(()) => None,
                Err(future @ NotClosed::Future(_)) => return Err(future.into()),
                Err(partial) => Some(partial),
            };
        let inputs = self.ipei_inputs(month, as_of).await?;
        let (params, config_id, config) = self.ipei_params(month).await?;
        let mut report = atalaia_core::ipei::result(&params, &inputs);
        let closed: Vec<StepKey> = self
            .cycle(month)
            .await?
            .map(|c| c.state().closed)
            .unwrap_or_default();
        report.stage = if closed.contains(&StepKey::FinalResult) {
            MonthStage::Final
        } else if closed.contains(&StepKey::PartialResult) {
            MonthStage::Partial
        } else {
            MonthStage::Open
        };
        if let Some(why) = &not_closed {
            report.withhold_payments(&why.to_string());
        }
        Ok(IpeiComputed {
            config_id,
            config,
            inputs,
            report,
            not_closed,
        })
    }

    /// The status of each seizure (by id) in `month`'s published result — the final one, else the partial
    /// one — or `None` when the month has published none.
    async fn published_statuses(&self, month: Month) -> Result<Option<BTreeMap<i64, String>>> {
        let Some(run_id) = self.cycle(month).await?.and_then(|c| {
            c.run_of(StepKey::FinalResult)
                .or_else(|| c.run_of(StepKey::PartialResult))
        }) else {
            return Ok(None);
        };
        let run = self
            .saved_run(CycleKind::Ipei, run_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("execução do IPEI {run_id}")))?;
        let result: serde_json::Value = serde_json::from_str(&run.result)
            .map_err(|e| StoreError::Corrupt(format!("resultado da execução {run_id}: {e}")))?;
        Ok(Some(
            result["seizures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| Some((s["id"].as_i64()?, s["status"].as_str()?.to_string())))
                .collect(),
        ))
    }

    /// Freezes a computed month as a saved run (inputs, configuration, result and their SHA-256),
    /// audited (`ipei.run_saved`).
    pub async fn save_ipei_run(
        &self,
        c: &IpeiComputed,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        if let Some(why) = &c.not_closed {
            return Err(why.clone().into());
        }
        let inputs = serde_json::to_string(&c.inputs)
            .map_err(|e| StoreError::Corrupt(format!("entradas do IPEI: {e}")))?;
        let result = serde_json::to_string(&c.report)
            .map_err(|e| StoreError::Corrupt(format!("resultado do IPEI: {e}")))?;
        let month = c.report.month.to_string();
        let frozen = <Ipei as Program>::freeze(&c.report.stage);
        let run = NewRun {
            period: &month,
            config_id: c.config_id,
            config: &c.config,
            inputs: &inputs,
            result: &result,
            frozen: frozen.as_deref(),
            sources: None,
            columns: Vec::new(),
            audit: serde_json::json!({"month": month, "stage": c.report.stage,
                "total_cents": c.report.total_cents}),
        };
        self.save_run(CycleKind::Ipei, &run, actor, now).await
    }
}

/// A month computed with what it was computed from.
#[derive(Debug, Clone)]
pub struct IpeiComputed {
    /// The configuration version (none: the decree's defaults).
    pub config_id: Option<i64>,
    /// The configuration document.
    pub config: String,
    /// The inputs.
    pub inputs: MonthInputs,
    /// The result; without payments while the month may not pay (`not_closed`).
    pub report: IpeiReport,
    /// Why the month may not pay yet (`atalaia_core::closing`), or `None` when it may.
    pub not_closed: Option<atalaia_core::closing::NotClosed>,
}

/// A replayed IPEI run.
pub type IpeiReplay = crate::runs::Replay<Ipei>;
