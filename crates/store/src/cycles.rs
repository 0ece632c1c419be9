//! The year table of calendar decrees and the program cycles (migration 0007): the store reads a cycle
//! into the core's [`CycleState`], asks `atalaia_core::cycle` whether an act is allowed and whether it is
//! late, and writes the act with its audit entry in one transaction. Concurrent acts on one cycle are
//! serialised: the transaction first takes the cycle row's write lock, then checks that no act was
//! recorded since the state it judged.

mod calendar;
mod judge;
mod payment;
pub use calendar::*;
pub use payment::*;

use crate::audit::AuditEvent;
use crate::{Db, Refusal, Result, StoreError, execute, on_db, on_tx};
use atalaia_core::cycle::{self, CycleKind, CyclePeriod, CycleState, Deadline, Schedule, StepKey};
use atalaia_core::payroll::Amendment;
use atalaia_core::{IbgeCode, Uf};
use chrono::{NaiveDate, NaiveDateTime};

/// The committee's calendar: Goiás and Goiânia, where it sits (calendar.md).
pub fn committee_office() -> (Uf, Option<IbgeCode>) {
    (
        Uf::parse("GO").unwrap_or_else(|_| unreachable!("GO is a state")),
        atalaia_core::calendar::GOIANIA.parse().ok(),
    )
}

/// One recorded act of a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActRow {
    pub id: i64,
    /// `close`, `submission`, `appeal`, `appeal_decision` or `decision`.
    pub act: String,
    /// The step closed.
    pub step: Option<StepKey>,
    /// The unit that acted (submissions, appeals).
    pub unit: Option<String>,
    /// The run a result step published.
    pub run_id: Option<i64>,
    /// The appeal decided.
    pub appeal_id: Option<i64>,
    /// The decision.
    pub accepted: Option<bool>,
    /// Text (appeal, decision).
    pub text: String,
    /// Justification of a late act.
    pub justification: String,
    /// After its deadline.
    pub late: bool,
    /// The deadline it was measured against.
    pub deadline: Option<NaiveDate>,
    /// JSON (a submission's amendments).
    pub payload: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// A cycle with its acts, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRecord {
    pub id: i64,
    pub kind: CycleKind,
    pub period: CyclePeriod,
    /// Its schedule.
    pub schedule: Schedule,
    /// Who opened it.
    pub opened_by: String,
    pub opened_at: NaiveDateTime,
    /// Acts, oldest first.
    pub acts: Vec<ActRow>,
}

impl CycleRecord {
    /// What the rules need.
    pub fn state(&self) -> CycleState {
        let closed = self
            .acts
            .iter()
            .filter(|a| a.act == "close")
            .filter_map(|a| a.step)
            .collect();
        let appeals = self.acts.iter().filter(|a| a.act == "appeal").count();
        let decided = self
            .acts
            .iter()
            .filter(|a| a.act == "appeal_decision")
            .count();
        CycleState {
            kind: self.kind,
            closed,
            pending_appeals: appeals.saturating_sub(decided) as u32,
        }
    }

    /// Each unit's latest submitted amendments (RECAP: its exclusion list).
    pub fn amendments_by_unit(&self) -> std::collections::BTreeMap<String, Vec<Amendment>> {
        let mut out = std::collections::BTreeMap::new();
        for a in self.acts.iter().filter(|a| a.act == "submission") {
            if let (Some(unit), Some(p)) = (&a.unit, &a.payload) {
                let list: Vec<Amendment> = serde_json::from_str::<Vec<AmendmentJson>>(p)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|j| Amendment {
                        registration: j.registration,
                        excluded: j.excluded,
                        reason: j.reason,
                    })
                    .collect();
                out.insert(unit.clone(), list);
            }
        }
        out
    }

    /// The decisions of the cycle that take effect, oldest first (`atalaia_core::decision`): Art. 13
    /// decisions and granted appeals that carry an effect.
    pub fn decisions(&self) -> Vec<atalaia_core::decision::Decision> {
        self.acts
            .iter()
            .filter(|a| {
                a.act == "decision" || (a.act == "appeal_decision" && a.accepted == Some(true))
            })
            .filter_map(|a| {
                let effect = serde_json::from_str(a.payload.as_deref()?).ok()?;
                Some(atalaia_core::decision::Decision {
                    act_id: a.id,
                    decided_on: a.at.date(),
                    text: a.text.clone(),
                    effect,
                })
            })
            .collect()
    }

    /// The run the latest close of `step` published.
    pub fn run_of(&self, step: StepKey) -> Option<i64> {
        self.acts
            .iter()
            .rev()
            .find(|a| a.act == "close" && a.step == Some(step))
            .and_then(|a| a.run_id)
    }
}

/// A decision's effect as stored in its act's `payload`.
fn effect_payload(effect: Option<&atalaia_core::decision::Effect>) -> Option<String> {
    effect.and_then(|e| serde_json::to_string(e).ok())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct AmendmentJson {
    registration: String,
    excluded: bool,
    reason: String,
}

/// An act someone asks to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActRequest {
    /// The committee closes the open step (result steps name the run they publish).
    Close {
        /// The step.
        step: StepKey,
        /// Why late, if late.
        justification: String,
        /// The saved run.
        run_id: Option<i64>,
    },
    /// A unit head sends the unit's list (the amendments to the system's proposal).
    Submit {
        /// The unit.
        unit: String,
        /// Amendments (each with a reason).
        amendments: Vec<Amendment>,
        /// Why late, if late.
        justification: String,
    },
    /// A unit head sends the month's IPEI (Art. 12): the delivery is the unit's seizures of the month as
    /// stored at that moment, frozen in the act (Art. 14: appeals only correct these).
    Deliver {
        /// The unit.
        unit: String,
        /// Why late, if late (a late delivery is recorded, and excludes the unit: Art. 15, I).
        justification: String,
    },
    /// A unit head appeals (Art. 14).
    Appeal {
        /// The unit.
        unit: String,
        /// What is contested and why.
        text: String,
        /// Why late, if late.
        justification: String,
        /// IPEI: the corrections of delivered seizures the appeal asks for, stored `proposed` with it
        /// in one transaction and applied when the committee grants it. An appeal with a correction
        /// that is refused (it would add a seizure, change its unit or BO…) is not recorded at all.
        corrections: Vec<crate::ipei::Correction>,
    },
    /// The committee decides an appeal.
    DecideAppeal {
        /// The appeal's act id.
        appeal_id: i64,
        /// Granted or not.
        accepted: bool,
        /// The grounds.
        text: String,
        /// What a granted appeal changes (`atalaia_core::decision`), if anything.
        effect: Option<atalaia_core::decision::Effect>,
    },
    /// The committee records the payment of the authorized run (Anexo Único: paid in the month after
    /// the final result): the payroll file's SHA-256 and the day it was paid. Once paid, the period's
    /// result steps are never closed again.
    Payment {
        /// The run the final result published and the committee authorized.
        run_id: i64,
        /// SHA-256 (hex) of the payroll file sent for payment.
        payroll_sha256: String,
        /// The day it was paid.
        paid_on: NaiveDate,
    },
    /// A committee decision on a case the decree leaves open (Art. 13).
    Decision {
        /// The decision.
        text: String,
        /// What it changes (`atalaia_core::decision`), if anything.
        effect: Option<atalaia_core::decision::Effect>,
    },
}

impl ActRequest {
    /// The committee closes `step` on time, publishing `run_id` when it is a result step.
    pub fn close(step: StepKey, run_id: Option<i64>) -> ActRequest {
        ActRequest::Close {
            step,
            justification: String::new(),
            run_id,
        }
    }
}

type ActTuple = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<bool>,
    String,
    String,
    bool,
    Option<NaiveDate>,
    Option<String>,
    String,
    NaiveDateTime,
);

impl Db {
    /// The cycle of `period` (RECAP's for a quarter, IPEI's for a month), if opened.
    pub async fn cycle(&self, period: impl Into<CyclePeriod>) -> Result<Option<CycleRecord>> {
        let period = period.into();
        let kind = period.kind();
        let row: Option<(i64, String, String, NaiveDateTime)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, schedule, opened_by, opened_at FROM cycles WHERE kind = $1 AND period = $2",
            )
            .bind(kind.as_str())
            .bind(period.code())
            .fetch_optional(c)
            .await?
        });
        let Some((id, schedule, opened_by, opened_at)) = row else {
            return Ok(None);
        };
        let nth: [u32; 6] = serde_json::from_str(&schedule)
            .map_err(|_| StoreError::Corrupt(format!("cronograma do ciclo {id}: {schedule}")))?;
        let schedule = Schedule::new(nth)
            .map_err(|e| StoreError::Corrupt(format!("cronograma do ciclo {id}: {e}")))?;
        let rows: Vec<ActTuple> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, act, step, unit_code, COALESCE(run_id, ipei_run_id), appeal_id, accepted, text,
                        justification, late, deadline, payload, actor, at
                 FROM cycle_acts WHERE cycle_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(c)
            .await?
        });
        let acts = rows
            .into_iter()
            .map(
                |(
                    id,
                    act,
                    step,
                    unit,
                    run_id,
                    appeal_id,
                    accepted,
                    text,
                    justification,
                    late,
                    deadline,
                    payload,
                    actor,
                    at,
                )| {
                    ActRow {
                        id,
                        act,
                        step: step.as_deref().and_then(StepKey::parse),
                        unit,
                        run_id,
                        appeal_id,
                        accepted,
                        text,
                        justification,
                        late,
                        deadline,
                        payload,
                        actor,
                        at,
                    }
                },
            )
            .collect();
        Ok(Some(CycleRecord {
            id,
            kind,
            period,
            schedule,
            opened_by,
            opened_at,
            acts,
        }))
    }

    /// Every cycle of `kind`, newest period first: (period code, id).
    pub async fn cycles(&self, kind: CycleKind) -> Result<Vec<(String, i64)>> {
        Ok(on_db!(self, |c| {
            sqlx::query_as("SELECT period, id FROM cycles WHERE kind = $1 ORDER BY period DESC")
                .bind(kind.as_str())
                .fetch_all(c)
                .await?
        }))
    }

    /// Opens the cycle of a period (audited `cycle.opened`); the existing one if already open. Refused
    /// for a period that may not pay yet on `today` (`atalaia_core::closing`) and for a schedule whose
    /// deadlines the counting month does not have.
    pub async fn open_cycle(
        &self,
        period: impl Into<CyclePeriod>,
        schedule: &Schedule,
        actor: &str,
        now: NaiveDateTime,
        today: NaiveDate,
    ) -> Result<CycleRecord> {
        use atalaia_core::closing::Period;
        let period = period.into();
        let kind = period.kind();
        if let Some(c) = self.cycle(period).await? {
            return Ok(c);
        }
        period.require_closed(self.data_cutoff_on(period.last()).await?, today)?;
        // Every deadline must exist on the committee's calendar before the cycle does.
        let (uf, muni) = committee_office();
        cycle::deadlines(period, schedule, &self.calendar(uf, muni).await?)?;
        let sched = serde_json::to_string(&schedule.nth).unwrap_or_default();
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO cycles (kind, period, schedule, opened_by, opened_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(kind.as_str())
            .bind(period.code())
            .bind(&sched)
            .bind(actor)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        tx.audit(
            &AuditEvent::new(actor, "cycle.opened")
                .object(format!("cycle:{id}"))
                .details(
                    serde_json::json!({"kind": kind.as_str(), "period": period.code(),
                    "schedule": schedule.nth}),
                ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.cycle(period)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("ciclo {id} recém-criado")))
    }

    /// The deadlines of a cycle on the committee's calendar with today's year table.
    pub async fn cycle_deadlines(&self, c: &CycleRecord) -> Result<Vec<Deadline>> {
        let (uf, muni) = committee_office();
        let cal = self.calendar(uf, muni).await?;
        cycle::deadlines(c.period, &c.schedule, &cal)
            .map_err(|e| StoreError::Corrupt(format!("prazos do ciclo {}: {e}", c.id)))
    }

    /// Records an act on a cycle if the rules allow it today, with its audit entry
    /// (`cycle.<act>`), in one transaction. The inner error says why not (pt-BR).
    pub async fn cycle_act(
        &self,
        cycle_id: i64,
        request: &ActRequest,
        actor: &str,
        today: NaiveDate,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let Some((kind, period)) = self.cycle_key(cycle_id).await? else {
            return Refusal::invalid(format!("ciclo {cycle_id} inexistente"));
        };
        let Some(record) = self.cycle(period).await? else {
            return Refusal::invalid(format!("ciclo {cycle_id} inexistente"));
        };
        let state = record.state();
        let deadlines = self.cycle_deadlines(&record).await?;
        let judged = self
            .judge(&record, &state, &deadlines, request, today)
            .await?;
        // An IPEI appeal's corrections are checked against the record read (the act count below
        // proves nothing changed since: delivered seizures change only by acts on this cycle).
        let mut checked_corrections = Vec::new();
        if let ActRequest::Appeal {
            unit, corrections, ..
        } = request
        {
            for c in corrections {
                checked_corrections.push(self.check_correction(&record, unit, c).await?);
            }
        }
        let mut tx = self.begin().await?;
        // Take the cycle's write lock, then check nobody acted since `record` was read.
        execute!(
            on_tx,
            &mut tx,
            "UPDATE cycles SET schedule = schedule WHERE id = $1",
            cycle_id
        );
        let count: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM cycle_acts WHERE cycle_id = $1")
                .bind(cycle_id)
                .fetch_one(c)
                .await?
        });
        if count != record.acts.len() as i64 {
            return Err(Refusal::Conflict.into());
        }
        let (act, step, unit, run_id, appeal_id, accepted, text, justification, payload) =
            match request {
                ActRequest::Close {
                    step,
                    justification,
                    run_id,
                } => (
                    "close",
                    Some(step.as_str()),
                    None,
                    *run_id,
                    None,
                    None,
                    String::new(),
                    justification.clone(),
                    None,
                ),
                ActRequest::Submit {
                    unit,
                    amendments,
                    justification,
                } => (
                    "submission",
                    None,
                    Some(unit.clone()),
                    None,
                    None,
                    None,
                    String::new(),
                    justification.clone(),
                    Some(
                        serde_json::to_string(
                            &amendments
                                .iter()
                                .map(|a| AmendmentJson {
                                    registration: a.registration.clone(),
                                    excluded: a.excluded,
                                    reason: a.reason.clone(),
                                })
                                .collect::<Vec<_>>(),
                        )
                        .unwrap_or_default(),
                    ),
                ),
                ActRequest::Deliver {
                    unit,
                    justification,
                } => {
                    let month = record.period.code();
                    let ids: Vec<i64> = on_tx!(&mut tx, |c| {
                        sqlx::query_scalar(
                            "SELECT id FROM seizures WHERE month = $1 AND unit_code = $2 ORDER BY id",
                        )
                        .bind(&month)
                        .bind(unit)
                        .fetch_all(c)
                        .await?
                    });
                    (
                        "submission",
                        None,
                        Some(unit.clone()),
                        None,
                        None,
                        None,
                        String::new(),
                        justification.clone(),
                        Some(
                            serde_json::to_string(&crate::ipei::DeliveryPayload { seizures: ids })
                                .unwrap_or_default(),
                        ),
                    )
                }
                ActRequest::Appeal {
                    unit,
                    text,
                    justification,
                    ..
                } => (
                    "appeal",
                    None,
                    Some(unit.clone()),
                    None,
                    None,
                    None,
                    text.clone(),
                    justification.clone(),
                    None,
                ),
                ActRequest::DecideAppeal {
                    appeal_id,
                    accepted,
                    text,
                    effect,
                } => (
                    "appeal_decision",
                    None,
                    None,
                    None,
                    Some(*appeal_id),
                    Some(*accepted),
                    text.clone(),
                    String::new(),
                    effect_payload(effect.as_ref().filter(|_| *accepted)),
                ),
                ActRequest::Payment {
                    run_id,
                    payroll_sha256,
                    paid_on,
                } => (
                    "payment",
                    None,
                    None,
                    Some(*run_id),
                    None,
                    None,
                    String::new(),
                    String::new(),
                    serde_json::to_string(&PaymentJson {
                        payroll_sha256: payroll_sha256.trim().to_ascii_lowercase(),
                        paid_on: *paid_on,
                    })
                    .ok(),
                ),
                ActRequest::Decision { text, effect } => (
                    "decision",
                    None,
                    None,
                    None,
                    None,
                    None,
                    text.clone(),
                    String::new(),
                    effect_payload(effect.as_ref()),
                ),
            };
        // Deciding an IPEI appeal applies (granted) or refuses the seizure corrections it proposed (Art. 14).
        let mut corrections = 0;
        if let (
            ActRequest::DecideAppeal {
                appeal_id,
                accepted,
                ..
            },
            CycleKind::Ipei,
        ) = (request, kind)
        {
            corrections = tx.decide_corrections(*appeal_id, *accepted).await?;
        }
        let (late, deadline) = judged.map_or((false, None), |t| (t.late, Some(t.deadline)));
        let justification = if late {
            justification.trim().to_string()
        } else {
            String::new()
        };
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO cycle_acts (cycle_id, act, step, unit_code, run_id, appeal_id, accepted,
                     text, justification, late, deadline, payload, actor, at, ipei_run_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            )
            .bind(cycle_id)
            .bind(act)
            .bind(step)
            .bind(&unit)
            .bind(run_id.filter(|_| kind == CycleKind::Recap))
            .bind(appeal_id)
            .bind(accepted)
            .bind(text.trim())
            .bind(&justification)
            .bind(late)
            .bind(deadline)
            .bind(&payload)
            .bind(actor)
            .bind(now)
            .bind(run_id.filter(|_| kind == CycleKind::Ipei))
            .fetch_one(c)
            .await?
        });
        // An IPEI appeal's corrections, proposed under the appeal just recorded.
        let mut proposed = Vec::new();
        for checked in &checked_corrections {
            proposed.push(tx.insert_correction(checked, id, actor, now).await?);
        }
        let mut details = serde_json::json!({"kind": kind.as_str(), "period": period.code(),
            "step": step, "unit": unit, "run_id": run_id, "appeal_id": appeal_id,
            "accepted": accepted, "text": text.trim(), "late": late, "deadline": deadline,
            "justification": justification});
        if corrections > 0 {
            details["corrections"] = serde_json::json!(corrections);
        }
        if !proposed.is_empty() {
            details["proposed_corrections"] = serde_json::json!(proposed);
        }
        if let Some(p) = &payload {
            // Every decision is audited with what it changes.
            let key = match act {
                "decision" | "appeal_decision" => "effect",
                "payment" => "payment",
                _ if kind == CycleKind::Ipei => "delivery",
                _ => "amendments",
            };
            details[key] = serde_json::from_str(p).unwrap_or_default();
        }
        tx.audit(
            &AuditEvent::new(actor, format!("cycle.{act}"))
                .object(format!("cycle:{cycle_id}"))
                .details(details),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}
