//! IPEI pages (Decreto 7.872/2013 Arts. 10–15 and the Anexo Único): the committee's month (the cycle
//! and its steps, today's calculation as a review queue with every reason, saved runs, appeal decisions
//! with the corrections they carry, payment authorization). The unit head's month is in [`unit`](mod@unit), the
//! official documents in [`documents`]; what RECAP shares in `pages::program`.
//!
//! Every act goes through `atalaia_store` functions that write it with its audit entry in one
//! transaction; the rules are `atalaia_core::ipei`'s and `atalaia_core::cycle`'s.

pub mod documents;
pub mod unit;

use crate::done::{self, Done};
use crate::pages::program::PaidChangeRow;
use crate::pages::program::cycle::{self, CycleFrame, CycleView, RunChoice, cycle_view};
use crate::pages::program::runs::{self, RunPages, changes_against_paid};
use askama::Template;
use atalaia_core::Month;
use atalaia_core::access::Permission;
use atalaia_core::calendar::Calendar;
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule};
use atalaia_core::dates::BrDate;
use atalaia_core::ipei::MonthInputs;
use atalaia_core::ipei::{
    IpeiReport, SeizureReason, SeizureResult, SeizureStatus, UnitReason, UnitStatus, brl,
    seizure_reason_pt, seizure_status_pt, share_pt, shares_pt, unit_reasons_pt,
};
use atalaia_core::pipeline::Ipei;
use atalaia_store::cycles::{CycleRecord, committee_office};
use atalaia_store::runs::{Replay, SavedRun};
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::kept::Kept;
use super::{Chrome, Fields, field, local_time, render};
use crate::guard::{Ctx, Identity};
use crate::{AppError, AppState};

/// The month asked for (`AAAA-MM`), or the month before `today`'s: the one whose cycle runs now.
pub(crate) fn month_of(s: Option<&str>, today: NaiveDate) -> Result<Month, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            Month::parse(s).map_err(|e| AppError::BadRequest(format!("mês `{s}` inválido: {e}")))
        }
        None => Month::of(today)
            .ok()
            .and_then(Month::pred)
            .ok_or_else(|| AppError::BadRequest("informe o mês".into())),
    }
}

/// How a deadline reads on `today`, counted in business days of Goiânia's calendar.
pub(crate) fn countdown_pt(cal: &Calendar, today: NaiveDate, deadline: NaiveDate) -> String {
    let date = deadline.br_date();
    if today > deadline {
        return format!("prazo vencido em {date}");
    }
    if today == deadline {
        return format!("último dia: hoje, {date}");
    }
    match cal.business_days_after(today, deadline) {
        1 => format!("falta 1 dia útil — prazo {date}"),
        n => format!("faltam {n} dias úteis — prazo {date}"),
    }
}

/// Whether a unit's only reason is that its deadline to send has not come: it is not excluded yet, and
/// its seizures wait for it rather than being refused.
fn awaiting(report: &IpeiReport, unit: &str) -> bool {
    report
        .units
        .iter()
        .any(|u| u.code == unit && u.reasons == [UnitReason::AwaitingSubmission])
}

/// Everything a person reads about one seizure's result: its reasons and each named person's.
fn seizure_why(s: &SeizureResult, waiting: bool) -> String {
    let mut why: Vec<String> = s
        .reasons
        .iter()
        .map(|r| match r {
            SeizureReason::UnitExcluded if waiting => "aguarda o envio da unidade".to_string(),
            r => seizure_reason_pt(r).to_string(),
        })
        .collect();
    if let Some(d) = &s.duplicate_of {
        why.push(format!("já apresentada em {d}"));
    }
    why.extend(
        s.shares
            .iter()
            .filter(|p| !p.reasons.is_empty())
            .map(share_pt),
    );
    why.join("; ")
}

/// What the paid people of a seizure got (the refused ones are among its reasons).
fn paid_shares_pt(s: &SeizureResult) -> String {
    s.shares
        .iter()
        .filter(|p| p.reasons.is_empty() && p.amount_cents > 0)
        .map(share_pt)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One seizure as the pages show it.
struct SeizureLine {
    id: i64,
    unit: String,
    bo: String,
    item: u32,
    serial: String,
    date: String,
    flagrante: bool,
    operators: String,
    has_bo: bool,
    status: &'static str,
    why: String,
    shares: String,
    /// Paid in full: nothing for the committee to look at.
    clean: bool,
}

/// The lines of the month's seizures (of `unit`, or all), from what the calculation read and its result.
fn seizure_lines(
    inputs: &MonthInputs,
    report: &IpeiReport,
    unit: Option<&str>,
) -> Vec<SeizureLine> {
    let by_id: BTreeMap<i64, &SeizureResult> = report.seizures.iter().map(|s| (s.id, s)).collect();
    inputs
        .seizures
        .iter()
        .filter(|r| unit.is_none_or(|u| r.unit == u))
        .map(|r| {
            let res = by_id.get(&r.id);
            let waiting = awaiting(report, &r.unit);
            SeizureLine {
                id: r.id,
                unit: r.unit.clone(),
                bo: r.bo_number.clone(),
                item: r.item,
                serial: r.serial.clone(),
                date: r.seized_on.br_date(),
                flagrante: r.flagrante,
                operators: r.registrations.join(", "),
                has_bo: r.bo_sha256.is_some(),
                status: match res {
                    Some(s) if waiting && s.status == SeizureStatus::Rejected => "aguarda o envio",
                    Some(s) => seizure_status_pt(s.status),
                    None => "—",
                },
                why: res.map(|s| seizure_why(s, waiting)).unwrap_or_default(),
                shares: res.map(|s| paid_shares_pt(s)).unwrap_or_default(),
                clean: res.is_some_and(|s| {
                    s.status == SeizureStatus::Paid
                        && s.reasons.is_empty()
                        && s.shares.iter().all(|p| p.reasons.is_empty())
                }),
            }
        })
        .collect()
}

/// A unit's line of a result, in words.
fn unit_result_pt(report: &IpeiReport, code: &str) -> Option<String> {
    report.units.iter().find(|u| u.code == code).map(|u| {
        if awaiting(report, code) {
            return format!(
                "aguardando o envio (o prazo não venceu) — {} apreensão(ões) registrada(s)",
                u.seizures
            );
        }
        let head = match u.status {
            UnitStatus::Included => "incluída no mês".to_string(),
            UnitStatus::Excluded => "EXCLUÍDA do mês (Art. 15)".to_string(),
        };
        let reasons = if u.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", unit_reasons_pt(&u.reasons))
        };
        format!(
            "{head}{reasons} — {} apreensão(ões), {} paga(s)",
            u.seizures, u.paid
        )
    })
}

async fn calendar(st: &AppState) -> Result<Calendar, AppError> {
    let (uf, muni) = committee_office();
    Ok(st.db.calendar(uf, muni).await?)
}

/// The deadlines of a month's cycle: the cycle's schedule, or the Anexo Único's before it is opened.
async fn month_deadlines(
    st: &AppState,
    month: Month,
    cycle: Option<&CycleRecord>,
) -> Result<Vec<atalaia_core::cycle::Deadline>, AppError> {
    match cycle {
        Some(c) => Ok(st.db.cycle_deadlines(c).await?),
        None => {
            let cal = calendar(st).await?;
            atalaia_core::cycle::deadlines(CyclePeriod::Month(month), &Schedule::ANEXO_UNICO, &cal)
                .map_err(|e| AppError::Internal(format!("prazos de {month}: {e}")))
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The committee's month.

struct UnitLine {
    code: String,
    name: String,
    excluded: bool,
    text: String,
}

/// The month's laudos, each with its experts' shares.
fn laudo_lines(report: &IpeiReport) -> Vec<LaudoLine> {
    report
        .laudos
        .iter()
        .map(|l| LaudoLine {
            bo: l.bo_number.clone(),
            serial: l.serial.clone(),
            people: shares_pt(&l.shares),
        })
        .collect()
}

struct LaudoLine {
    bo: String,
    serial: String,
    people: String,
}

struct PayLine {
    registration: String,
    name: String,
    institution: String,
    earned: String,
    amount: String,
    capped: bool,
}

/// A month's result as the committee's page and a saved run's page show it: the units, the seizures
/// (those with something to look at first), the laudos and who is paid.
pub(crate) struct MonthResult {
    units: Vec<UnitLine>,
    queue: Vec<SeizureLine>,
    paid: Vec<SeizureLine>,
    laudos: Vec<LaudoLine>,
    payments: Vec<PayLine>,
    total: String,
}

impl MonthResult {
    pub(crate) fn of(inputs: &MonthInputs, report: &IpeiReport) -> MonthResult {
        let (queue, paid): (Vec<_>, Vec<_>) = seizure_lines(inputs, report, None)
            .into_iter()
            .partition(|s| !s.clean);
        MonthResult {
            units: report
                .units
                .iter()
                .map(|u| UnitLine {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    excluded: u.status == UnitStatus::Excluded && !awaiting(report, &u.code),
                    text: unit_result_pt(report, &u.code).unwrap_or_default(),
                })
                .collect(),
            queue,
            paid,
            laudos: laudo_lines(report),
            payments: report
                .payments
                .iter()
                .map(|p| PayLine {
                    registration: p.registration.clone(),
                    name: p.name.clone(),
                    institution: p.institution.clone(),
                    earned: brl(p.earned_cents),
                    amount: brl(p.amount_cents),
                    capped: p.capped,
                })
                .collect(),
            total: brl(report.total_cents),
        }
    }
}

struct IpeiRunRow {
    id: i64,
    created_by: String,
    created_at: String,
    result_sha: String,
    total: String,
}

/// Someone today's data would pay differently from the run paid.
#[derive(Template)]
#[template(path = "ipei.html")]
struct IpeiPage {
    /// The run paid for the month and who today's data would pay differently (Anexo Único: paid once).
    paid_changes: Option<(i64, Vec<PaidChangeRow>)>,
    chrome: Chrome,
    month: String,
    month_label: String,
    params: String,
    result: MonthResult,
    runs: Vec<IpeiRunRow>,
    cycle: Option<CycleView>,
    cf: CycleFrame,
    manage: bool,
    /// Why the month may not pay yet: figures so far, no payment.
    partial: Option<String>,
}

/// The month's parameters in a sentence (Arts. 10–13 as the committee configured them).
fn params_pt(p: &atalaia_core::ipei::IpeiParams) -> String {
    format!(
        "{} por arma, {} por laudo, divisão {}, teto de {} por servidor no mês (sem acúmulo)",
        brl(p.amount_per_weapon_cents),
        brl(p.forensic_amount_cents),
        match p.share {
            atalaia_core::ipei::Share::SplitEqually => "em partes iguais entre os nomeados",
            atalaia_core::ipei::Share::EachFull => "valor integral a cada nomeado",
        },
        brl(p.monthly_cap_cents)
    )
}

/// Who a result pays, as a change against the paid run compares it.
fn pay_side(report: &IpeiReport) -> Vec<runs::PayLine> {
    report
        .payments
        .iter()
        .map(|x| (x.registration.clone(), x.name.clone(), x.amount_cents))
        .collect()
}

/// IPEI's part of a run's page: the parameters and the month's result as it froze them.
#[derive(Template)]
#[template(path = "ipei_run.html")]
struct RunBody {
    params: String,
    stage: &'static str,
    result: MonthResult,
}

impl RunPages for Ipei {
    const NAME: &'static str = "IPEI";
    const PERIOD_PARAM: &'static str = "mes";
    const WORKBOOK: &'static str = "folha.xlsx";

    fn pay_side(replay: &Replay<Self>) -> Vec<runs::PayLine> {
        pay_side(&replay.report)
    }

    fn memoria(report: &IpeiReport) -> Vec<(String, Vec<String>)> {
        vec![(String::new(), report.memoria.clone())]
    }

    async fn inputs_today(st: &AppState, inputs: &MonthInputs) -> Result<Option<String>, AppError> {
        let computed = st
            .db
            .ipei_compute(inputs.month, st.config.clock.today())
            .await?;
        Ok(serde_json::to_string(&computed.inputs).ok())
    }

    async fn body(_: &AppState, _: &SavedRun, replayed: &Replay<Self>) -> Result<String, AppError> {
        Ok(RunBody {
            params: params_pt(&replayed.report.parameters),
            stage: replayed.report.stage.label_pt(),
            result: MonthResult::of(&replayed.inputs, &replayed.report),
        }
        .render()?)
    }
}

async fn ipei_page(
    st: &AppState,
    id: &Identity,
    month: Month,
    kept: Kept,
) -> Result<Response, AppError> {
    let computed = st.db.ipei_compute(month, st.config.clock.today()).await?;
    let report = &computed.report;
    let actors = crate::pages::Actors::load(st).await?;
    let runs: Vec<IpeiRunRow> = st
        .db
        .saved_runs(CycleKind::Ipei, Some(&month.to_string()))
        .await?
        .into_iter()
        .map(|r| {
            let created_by = actors.name(&r.created_by);
            let total = serde_json::from_str::<serde_json::Value>(&r.result)
                .ok()
                .and_then(|v| v["total_cents"].as_i64())
                .map(brl)
                .unwrap_or_default();
            IpeiRunRow {
                id: r.id,
                created_by,
                created_at: local_time(r.created_at),
                result_sha: r.result_sha256[..16].to_string(),
                total,
            }
        })
        .collect();
    let cycle_record = st.db.cycle(month).await?;
    let cycle = match &cycle_record {
        Some(c) => Some(cycle_view(st, c).await?),
        None => None,
    };
    let params = params_pt(&report.parameters);
    let paid_changes =
        changes_against_paid::<Ipei>(st, month.into(), None, &pay_side(report)).await?;
    // A month that may not pay yet offers no run and no cycle (`atalaia_core::closing`).
    let manage = id.may(Permission::ManageRecap) && computed.not_closed.is_none();
    render(&IpeiPage {
        paid_changes,
        partial: computed.not_closed.as_ref().map(|w| w.to_string()),
        chrome: Chrome::new(st, id, "IPEI — apreensões de armas", "/ipei").await,
        month: month.to_string(),
        month_label: month.label_pt(),
        params,
        result: MonthResult::of(&computed.inputs, report),
        cf: CycleFrame::new(
            CycleKind::Ipei,
            month.to_string(),
            CyclePeriod::Month(month).of_pt(),
            manage,
            runs.iter()
                .map(|r| RunChoice {
                    id: r.id,
                    created_at: r.created_at.clone(),
                })
                .collect(),
            kept,
        ),
        runs,
        cycle,
        manage,
    })
}

/// `?mes=AAAA-MM`.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    mes: Option<String>,
}

/// `GET /ipei`.
pub async fn page(Ctx { st, id }: Ctx, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    let month = month_of(q.mes.as_deref(), st.config.clock.today())?;
    ipei_page(&st, &id, month, Kept::default()).await
}

/// `mes` of a form.
#[derive(Debug, Deserialize)]
pub struct MonthForm {
    mes: String,
}

/// `POST /ipei/execucoes`: freezes today's calculation of the month as a run (audited).
pub async fn save_run(Ctx { st, id }: Ctx, Form(f): Form<MonthForm>) -> Result<Response, AppError> {
    let month = month_of(Some(&f.mes), st.config.clock.today())?;
    let computed = st.db.ipei_compute(month, st.config.clock.today()).await?;
    st.db
        .save_ipei_run(&computed, &id.actor(), st.config.clock.now_utc())
        .await?;
    Ok(done::redirect(
        &format!("/ipei?mes={month}#execucoes"),
        Done::RunSaved,
    ))
}

/// `POST /ipei/ciclo`: opens the month's cycle (`mes`) with the Anexo Único's deadlines or the
/// committee's (`prazo_1` … `prazo_6`).
pub async fn open_cycle(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let month = month_of(field(&f, "mes"), st.config.clock.today())?;
    cycle::committee_form(
        &st,
        &id,
        cycle::CommitteeForm::Open(CyclePeriod::Month(month)),
        &f,
        (format!("/ipei?mes={month}#ciclo"), Done::CycleOpened),
        |kept| ipei_page(&st, &id, month, kept),
    )
    .await
}

/// `POST /ipei/ciclo/{id}`: closes the open step (result steps publish a saved run; the last one is
/// the payment authorization), decides an appeal (granting applies its corrections), or records a
/// decision (Art. 13).
pub async fn cycle_act(
    Ctx { st, id }: Ctx,
    Path(cycle_id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let month = st
        .db
        .cycles(CycleKind::Ipei)
        .await?
        .into_iter()
        .find(|(_, c)| *c == cycle_id)
        .and_then(|(p, _)| Month::parse(&p).ok())
        .ok_or_else(|| AppError::NotFound(format!("o ciclo {cycle_id}")))?;
    cycle::committee_form(
        &st,
        &id,
        cycle::CommitteeForm::Act(cycle_id),
        &f,
        (format!("/ipei?mes={month}#ciclo"), Done::CycleStep),
        |kept| ipei_page(&st, &id, month, kept),
    )
    .await
}

/// `GET /ipei/apreensoes/{id}/bo`: the BO copy of a seizure (committee, auditors; a unit head for
/// their own units only).
pub async fn bo_copy(
    Ctx { st, id }: Ctx,
    Path(seizure_id): Path<i64>,
) -> Result<Response, AppError> {
    let s = st
        .db
        .seizure(seizure_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a apreensão {seizure_id}")))?;
    // The committee and auditors read every unit's copies; a unit head only his units' (a copy of
    // another unit answers like one that does not exist).
    if !id.reads_whole_runs() && !id.heads_unit(s.record.unit_code.as_str()) {
        return Err(AppError::NotFound(format!("a apreensão {seizure_id}")));
    }
    let sha = s
        .bo_sha256
        .ok_or_else(|| AppError::NotFound(format!("a cópia do BO da apreensão {seizure_id}")))?;
    super::evidence_file(
        &st,
        &sha,
        format!("inline; filename=\"bo-apreensao-{seizure_id}\""),
        atalaia_store::audit::AuditEvent::new(id.actor(), "ipei.bo_copy_opened")
            .object(format!("seizure:{seizure_id}"))
            .ip(&id.ip),
    )
    .await
}
