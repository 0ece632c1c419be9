//! The year table of calendar decrees and the program cycles (migration 0007): the store reads a cycle
//! into the core's [`CycleState`], asks `atalaia_core::cycle` whether an act is allowed and whether it is
//! late, and writes the act with its audit entry in one transaction. Concurrent acts on one cycle are
//! serialised: the transaction first takes the cycle row's write lock, then checks that no act was
//! recorded since the state it judged.

use atalaia_core::dates::BrDate;
use chrono::{NaiveDate, NaiveDateTime};

use atalaia_core::calendar::{Calendar, Decree};
use atalaia_core::cycle::{
    self, CycleKind, CyclePeriod, CycleState, Deadline, Schedule, StepKey, Timing,
};
use atalaia_core::payroll::Amendment;
use atalaia_core::{IbgeCode, Uf};

use crate::audit::AuditEvent;
use crate::{Db, Refusal, Result, StoreError, on_db, on_tx};

/// A row of the year table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecreeRow {
    pub id: i64,
    pub uf: String,
    /// Municipality (IBGE), or state-wide.
    pub municipality: Option<String>,
    /// The decree as the calendar applies it.
    pub decree: Decree,
    /// Who recorded it.
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// Revoked: by whom, when, why.
    pub revoked: Option<(String, NaiveDateTime, String)>,
}

/// The committee's calendar: Goiás and Goiânia, where it sits (calendar.md).
pub fn committee_office() -> (Uf, Option<IbgeCode>) {
    (
        Uf::parse("GO").unwrap_or_else(|_| unreachable!("GO is a state")),
        atalaia_core::calendar::GOIANIA.parse().ok(),
    )
}

type DecreeTuple = (
    i64,
    String,
    Option<String>,
    NaiveDate,
    bool,
    String,
    String,
    String,
    NaiveDateTime,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
);

impl Db {
    /// Every row of the year table of `uf` (revoked ones too), by day.
    pub async fn calendar_decrees(&self, uf: &str) -> Result<Vec<DecreeRow>> {
        let rows: Vec<DecreeTuple> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, uf, municipality, day, closed, name, act, created_by, created_at,
                        revoked_by, revoked_at, revoke_reason
                 FROM calendar_decrees WHERE uf = $1 ORDER BY day, id",
            )
            .bind(uf)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, uf, municipality, day, closed, name, act, by, at, rby, rat, rwhy)| {
                    DecreeRow {
                        id,
                        uf,
                        municipality,
                        decree: Decree {
                            date: day,
                            closed,
                            name,
                            act,
                        },
                        created_by: by,
                        created_at: at,
                        revoked: match (rby, rat) {
                            (Some(b), Some(a)) => Some((b, a, rwhy.unwrap_or_default())),
                            _ => None,
                        },
                    }
                },
            )
            .collect())
    }

    /// The calendar of an office: the rules plus the year table's rows in force for the state and, when
    /// given, the municipality (a municipal decree does not bind the state's other offices).
    pub async fn calendar(&self, uf: Uf, municipality: Option<IbgeCode>) -> Result<Calendar> {
        let muni = municipality.map(|m| m.to_string());
        let decrees = self
            .calendar_decrees(uf.as_str())
            .await?
            .into_iter()
            .filter(|r| r.revoked.is_none())
            .filter(|r| r.municipality.is_none() || r.municipality == muni)
            .map(|r| r.decree)
            .collect();
        Ok(Calendar::new(uf, municipality).with_decrees(decrees))
    }

    /// Adds a row to the year table, audited (`calendar.decree_added`).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_calendar_decree(
        &self,
        uf: Uf,
        municipality: Option<IbgeCode>,
        decree: &Decree,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let muni = municipality.map(|m| m.to_string());
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO calendar_decrees (uf, municipality, day, closed, name, act, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(uf.as_str())
            .bind(&muni)
            .bind(decree.date)
            .bind(decree.closed)
            .bind(&decree.name)
            .bind(&decree.act)
            .bind(actor)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        tx.audit(
            &AuditEvent::new(actor, "calendar.decree_added")
                .object(format!("calendar_decree:{id}"))
                .details(serde_json::json!({"uf": uf.as_str(), "municipality": muni,
                    "day": decree.date, "closed": decree.closed, "name": decree.name, "act": decree.act})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Revokes a row of the year table (kept, marked), audited (`calendar.decree_revoked`). `false` when
    /// there is no such row in force.
    pub async fn revoke_calendar_decree(
        &self,
        id: i64,
        reason: &str,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let changed = on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE calendar_decrees SET revoked_by = $2, revoked_at = $3, revoke_reason = $4
                 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(actor)
            .bind(now)
            .bind(reason)
            .execute(c)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Ok(false);
        }
        tx.audit(
            &AuditEvent::new(actor, "calendar.decree_revoked")
                .object(format!("calendar_decree:{id}"))
                .details(serde_json::json!({"reason": reason})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
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

/// A recorded payment (`ActRequest::Payment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// The act.
    pub act_id: i64,
    /// The run paid.
    pub run_id: i64,
    /// SHA-256 of the payroll file paid.
    pub payroll_sha256: String,
    pub paid_on: NaiveDate,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PaymentJson {
    payroll_sha256: String,
    paid_on: NaiveDate,
}

impl CycleRecord {
    /// The period's payment, if recorded.
    pub fn payment(&self) -> Option<PaymentRecord> {
        self.acts.iter().find(|a| a.act == "payment").and_then(|a| {
            let p: PaymentJson = serde_json::from_str(a.payload.as_deref()?).ok()?;
            Some(PaymentRecord {
                act_id: a.id,
                run_id: a.run_id?,
                payroll_sha256: p.payroll_sha256,
                paid_on: p.paid_on,
            })
        })
    }
}

/// Why a payment cannot be recorded (pt-BR), or `None` when it can: only once, only after the payment
/// authorization, only of the run the final result published, with the payroll file's SHA-256, on a day
/// not before the authorization nor after today.
fn payment_refusal(
    record: &CycleRecord,
    state: &CycleState,
    run_id: i64,
    sha: &str,
    paid_on: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    if let Some(p) = record.payment() {
        return Some(format!(
            "o pagamento já foi registrado (execução nº {}, em {})",
            p.run_id,
            p.paid_on.br_date()
        ));
    }
    if !state.closed.contains(&StepKey::PaymentAuthorization) {
        return Some("o pagamento só se registra depois da autorização do pagamento".into());
    }
    let authorized = record.run_of(StepKey::FinalResult);
    if authorized != Some(run_id) {
        return Some(format!(
            "a execução nº {run_id} não é a do resultado final autorizado{}",
            authorized.map(|r| format!(" (nº {r})")).unwrap_or_default()
        ));
    }
    let sha = sha.trim();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(format!(
            "SHA-256 `{sha}` inválido: esperados 64 caracteres hexadecimais (o resumo do arquivo da folha paga)"
        ));
    }
    let authorized_on = record
        .acts
        .iter()
        .rev()
        .find(|a| a.act == "close" && a.step == Some(StepKey::PaymentAuthorization))
        .map(|a| a.at.date());
    if authorized_on.is_some_and(|d| paid_on < d) || paid_on > today {
        return Some(format!(
            "data do pagamento {} fora do intervalo: entre a autorização e hoje",
            paid_on.br_date()
        ));
    }
    None
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

fn parse_period(kind: CycleKind, s: &str) -> Option<CyclePeriod> {
    match kind {
        CycleKind::Recap => atalaia_core::Quarter::parse(s)
            .ok()
            .map(CyclePeriod::Quarter),
        CycleKind::Ipei => atalaia_core::Month::parse(s).ok().map(CyclePeriod::Month),
    }
}

impl Db {
    /// The cycle of `kind` for `period`, if opened.
    pub async fn cycle(&self, kind: CycleKind, period: CyclePeriod) -> Result<Option<CycleRecord>> {
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
        kind: CycleKind,
        period: CyclePeriod,
        schedule: &Schedule,
        actor: &str,
        now: NaiveDateTime,
        today: NaiveDate,
    ) -> Result<CycleRecord> {
        use atalaia_core::closing::Period;
        if let Some(c) = self.cycle(kind, period).await? {
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
        self.cycle(kind, period)
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
        let Some(record) = self.cycle(kind, period).await? else {
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
        on_tx!(&mut tx, |c| {
            sqlx::query("UPDATE cycles SET schedule = schedule WHERE id = $1")
                .bind(cycle_id)
                .execute(c)
                .await?
                .rows_affected()
        });
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

    async fn cycle_key(&self, id: i64) -> Result<Option<(CycleKind, CyclePeriod)>> {
        let row: Option<(String, String)> = on_db!(self, |c| {
            sqlx::query_as("SELECT kind, period FROM cycles WHERE id = $1")
                .bind(id)
                .fetch_optional(c)
                .await?
        });
        let Some((kind, period)) = row else {
            return Ok(None);
        };
        let kind = match kind.as_str() {
            "recap" => CycleKind::Recap,
            "ipei" => CycleKind::Ipei,
            other => return Err(StoreError::Corrupt(format!("tipo de ciclo `{other}`"))),
        };
        let period = parse_period(kind, &period)
            .ok_or_else(|| StoreError::Corrupt(format!("período de ciclo `{period}`")))?;
        Ok(Some((kind, period)))
    }

    /// The rules' verdict on a request, plus the checks that need the database (the run exists and is
    /// of the period; the unit exists; the appeal is an undecided appeal of this cycle).
    async fn judge(
        &self,
        record: &CycleRecord,
        state: &CycleState,
        deadlines: &[Deadline],
        request: &ActRequest,
        today: NaiveDate,
    ) -> Result<Option<Timing>> {
        let verdict: std::result::Result<Option<Timing>, Refusal> = match request {
            ActRequest::Close {
                step,
                justification,
                run_id,
            } => {
                if let Some(id) = run_id {
                    // The period of the run named: an IPEI month or a RECAP quarter, by the cycle's kind.
                    let period = self.saved_run(record.kind, *id).await?.map(|r| r.period);
                    match period {
                        Some(p) if p == record.period.code() => {}
                        Some(p) => {
                            return Refusal::invalid(format!(
                                "a execução {id} é de {p}, não de {}",
                                record.period.code()
                            ));
                        }
                        None => {
                            return Refusal::invalid(format!("execução {id} inexistente"));
                        }
                    }
                }
                if let Some(p) = record.payment() {
                    return Refusal::invalid(format!(
                        "o período já foi pago (execução nº {}, em {}): nenhuma etapa se fecha de novo",
                        p.run_id,
                        p.paid_on.br_date()
                    ));
                }
                let run = run_id
                    .filter(|_| matches!(step, StepKey::PartialResult | StepKey::FinalResult));
                cycle::check_close(state, deadlines, *step, today, justification, run)
                    .map(Some)
                    .map_err(Into::into)
            }
            ActRequest::Submit {
                unit,
                amendments,
                justification,
            } => {
                if !self.unit_exists(unit).await? {
                    return Refusal::invalid(format!("unidade `{unit}` inexistente"));
                }
                if record.kind != CycleKind::Recap {
                    return Refusal::invalid("a lista de exclusões é do ciclo trimestral do RECAP");
                }
                if let Some(a) = amendments.iter().find(|a| a.reason.trim().is_empty()) {
                    return Refusal::invalid(format!(
                        "a alteração da matrícula {} precisa de um motivo",
                        a.registration
                    ));
                }
                cycle::check_submission(state, deadlines, today, justification)
                    .map(Some)
                    .map_err(Into::into)
            }
            ActRequest::Deliver {
                unit,
                justification,
            } => {
                if record.kind != CycleKind::Ipei {
                    return Refusal::invalid("o envio de apreensões é do ciclo mensal do IPEI");
                }
                if !self.unit_exists(unit).await? {
                    return Refusal::invalid(format!("unidade `{unit}` inexistente"));
                }
                if let Some(a) = record
                    .acts
                    .iter()
                    .find(|a| a.act == "submission" && a.unit.as_deref() == Some(unit.as_str()))
                {
                    return Refusal::invalid(format!(
                        "a unidade {unit} já enviou o mês em {}; depois do envio, só um recurso corrige o que foi entregue (Art. 14)",
                        a.at.br_date()
                    ));
                }
                cycle::check_submission(state, deadlines, today, justification)
                    .map(Some)
                    .map_err(Into::into)
            }
            ActRequest::Appeal {
                unit,
                text,
                justification,
                corrections,
            } => {
                if !self.unit_exists(unit).await? {
                    return Refusal::invalid(format!("unidade `{unit}` inexistente"));
                }
                if !corrections.is_empty() && record.kind != CycleKind::Ipei {
                    return Refusal::invalid("correções de apreensões são do ciclo mensal do IPEI");
                }
                cycle::check_appeal(state, deadlines, today, text, justification)
                    .map(Some)
                    .map_err(Into::into)
            }
            ActRequest::DecideAppeal {
                appeal_id,
                text,
                accepted,
                effect,
            } => {
                let Some(appeal) = record
                    .acts
                    .iter()
                    .find(|a| a.id == *appeal_id && a.act == "appeal")
                else {
                    return Refusal::invalid(format!(
                        "recurso {appeal_id} inexistente neste ciclo"
                    ));
                };
                if let Some(e) = effect.as_ref().filter(|_| *accepted) {
                    self.check_effect(record, e, appeal.unit.as_deref()).await?;
                }
                if record
                    .acts
                    .iter()
                    .any(|a| a.act == "appeal_decision" && a.appeal_id == Some(*appeal_id))
                {
                    return Refusal::invalid(format!("o recurso {appeal_id} já foi decidido"));
                }
                cycle::check_appeal_decision(state, text)
                    .map(|_| None)
                    .map_err(Into::into)
            }
            ActRequest::Payment {
                run_id,
                payroll_sha256,
                paid_on,
            } => match payment_refusal(record, state, *run_id, payroll_sha256, *paid_on, today) {
                Some(why) => Err(Refusal::Invalid(why)),
                None => Ok(None),
            },
            ActRequest::Decision { text, effect } => {
                if let Some(e) = effect {
                    self.check_effect(record, e, None).await?;
                }
                if text.trim().is_empty() {
                    Err(Refusal::Cycle(cycle::CycleError::TextRequired("a decisão")))
                } else {
                    Ok(None)
                }
            }
        };
        Ok(verdict?)
    }

    /// Whether a decision's effect fits the cycle (the program, the period's seizures, existing units
    /// and operators) and, for an appeal, the appealing unit; refused in pt-BR otherwise.
    async fn check_effect(
        &self,
        record: &CycleRecord,
        effect: &atalaia_core::decision::Effect,
        appealing: Option<&str>,
    ) -> Result<()> {
        use atalaia_core::decision::Effect;
        let ipei = record.kind == CycleKind::Ipei;
        let other_unit = |unit: &str| {
            appealing.filter(|a| *a != unit).map(|a| {
                format!("o recurso é da unidade {a}: a decisão não pode alcançar a unidade {unit}")
            })
        };
        let verdict: std::result::Result<(), String> = match effect {
            Effect::ReinstateUnit { .. } | Effect::PaySeizure { .. } if !ipei => {
                Err("reintegrar unidade e pagar apreensão são decisões do ciclo do IPEI".into())
            }
            Effect::IncludeOperator { .. } | Effect::ExcludeOperator { .. } if ipei => {
                Err("incluir ou excluir servidor é decisão do ciclo do RECAP".into())
            }
            Effect::ReinstateUnit { unit } => {
                if !self.unit_exists(unit).await? {
                    Err(format!("unidade `{unit}` inexistente"))
                } else {
                    other_unit(unit).map_or(Ok(()), Err)
                }
            }
            Effect::PaySeizure { seizure_id } => match self.seizure(*seizure_id).await? {
                Some(s) if s.month == record.period.code() => {
                    other_unit(&s.record.unit_code).map_or(Ok(()), Err)
                }
                Some(s) => Err(format!(
                    "a apreensão nº {seizure_id} é do mês {}, não deste ciclo",
                    s.month
                )),
                None => Err(format!("apreensão nº {seizure_id} inexistente")),
            },
            Effect::IncludeOperator { registration } | Effect::ExcludeOperator { registration } => {
                let n: i64 = on_db!(self, |c| {
                    sqlx::query_scalar("SELECT COUNT(*) FROM operators WHERE registration = $1")
                        .bind(registration)
                        .fetch_one(c)
                        .await?
                });
                if n == 0 {
                    Err(format!(
                        "servidor de matrícula `{registration}` inexistente"
                    ))
                } else {
                    Ok(())
                }
            }
        };
        verdict.or_else(Refusal::invalid)
    }

    async fn unit_exists(&self, code: &str) -> Result<bool> {
        let n: i64 = on_db!(self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM units WHERE code = $1")
                .bind(code)
                .fetch_one(c)
                .await?
        });
        Ok(n > 0)
    }
}
