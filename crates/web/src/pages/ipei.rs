//! IPEI pages (issue #5; Decreto 7.872/2013 Arts. 10–15 and the Anexo Único): the committee's month
//! (the cycle and its steps, today's calculation as a review queue with every reason, saved runs, appeal
//! decisions with the corrections they carry, payment authorization), and the unit head's month (the
//! deadline countdown in business days, seizures by form or spreadsheet, BO copies, the delivery, appeals
//! that correct what was delivered; SPTC units enter laudos).
//!
//! Every act goes through `atalaia_store` functions that write it with its audit entry in one
//! transaction; the rules are `atalaia_core::ipei`'s and `atalaia_core::cycle`'s.

use atalaia_core::dates::BrDate;
use std::collections::BTreeMap;

use askama::Template;
use atalaia_core::Month;
use atalaia_core::access::Permission;
use atalaia_core::calendar::Calendar;
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::ids::{BoNumber, Registration};
use atalaia_core::ipei::{
    IpeiReport, SeizureReason, SeizureResult, SeizureStatus, UnitReason, UnitStatus, brl,
    seizure_reason_pt, seizure_status_pt, share_pt, shares_pt, unit_reasons_pt,
};
use atalaia_store::cycles::{ActRequest, CycleRecord, committee_office};
use atalaia_store::ipei::{Correction, ForensicRecord, IpeiComputed, SeizureRecord, UnitBrief};
use atalaia_store::{Refusal, StoreError};
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::NaiveDate;
use serde::Deserialize;

use super::recap::{CycleFrame, CycleView, RunChoice, cycle_view};
use super::{Chrome, local_time, render};
use crate::guard::Identity;
use crate::security::random_token;
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
fn seizure_lines(c: &IpeiComputed, unit: Option<&str>) -> Vec<SeizureLine> {
    let report = &c.report;
    let by_id: BTreeMap<i64, &SeizureResult> = report.seizures.iter().map(|s| (s.id, s)).collect();
    c.inputs
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

/// The published result of a month's cycle: the final run if published, else the partial one.
async fn published(
    st: &AppState,
    cycle: Option<&CycleRecord>,
) -> Result<Option<(IpeiReport, &'static str, i64)>, AppError> {
    let Some(c) = cycle else { return Ok(None) };
    let Some((run_id, stage)) = c
        .run_of(StepKey::FinalResult)
        .map(|r| (r, "final"))
        .or_else(|| c.run_of(StepKey::PartialResult).map(|r| (r, "parcial")))
    else {
        return Ok(None);
    };
    let Some(run) = st.db.saved_run(CycleKind::Ipei, run_id).await? else {
        return Ok(None);
    };
    let replay = run.replay::<atalaia_core::pipeline::Ipei>()?;
    Ok(Some((replay.report, stage, run_id)))
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

struct IpeiRunRow {
    id: i64,
    created_by: String,
    created_at: String,
    result_sha: String,
    total: String,
}

/// Someone today's data would pay differently from the run paid.
struct PaidChange {
    registration: String,
    name: String,
    paid: String,
    now: String,
}

#[derive(Template)]
#[template(path = "ipei.html")]
struct IpeiPage {
    /// The run paid for the month and who today's data would pay differently (Anexo Único: paid once).
    paid_changes: Option<(i64, Vec<PaidChange>)>,
    chrome: Chrome,
    month: String,
    month_label: String,
    error: Option<String>,
    params: String,
    units: Vec<UnitLine>,
    queue: Vec<SeizureLine>,
    paid: Vec<SeizureLine>,
    laudos: Vec<LaudoLine>,
    payments: Vec<PayLine>,
    total: String,
    runs: Vec<IpeiRunRow>,
    cycle: Option<CycleView>,
    cf: CycleFrame,
    manage: bool,
    /// Why the month may not pay yet: figures so far, no payment.
    partial: Option<String>,
}

async fn ipei_page(
    st: &AppState,
    id: &Identity,
    month: Month,
    error: Option<String>,
) -> Result<Response, AppError> {
    let computed = st.db.ipei_compute(month, st.config.clock.today()).await?;
    let report = &computed.report;
    let (queue, paid): (Vec<_>, Vec<_>) = seizure_lines(&computed, None)
        .into_iter()
        .partition(|s| !s.clean);
    let units = report
        .units
        .iter()
        .map(|u| UnitLine {
            code: u.code.clone(),
            name: u.name.clone(),
            excluded: u.status == UnitStatus::Excluded && !awaiting(report, &u.code),
            text: unit_result_pt(report, &u.code).unwrap_or_default(),
        })
        .collect();
    let laudos = laudo_lines(report);
    let payments = report
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
        .collect();
    let runs: Vec<IpeiRunRow> = st
        .db
        .saved_runs(CycleKind::Ipei, Some(&month.to_string()))
        .await?
        .into_iter()
        .map(|r| {
            let total = serde_json::from_str::<serde_json::Value>(&r.result)
                .ok()
                .and_then(|v| v["total_cents"].as_i64())
                .map(brl)
                .unwrap_or_default();
            IpeiRunRow {
                id: r.id,
                created_by: r.created_by,
                created_at: local_time(r.created_at),
                result_sha: r.result_sha256[..16].to_string(),
                total,
            }
        })
        .collect();
    let cycle_record = st
        .db
        .cycle(CycleKind::Ipei, CyclePeriod::Month(month))
        .await?;
    let cycle = match &cycle_record {
        Some(c) => Some(cycle_view(st, c).await?),
        None => None,
    };
    let p = &report.parameters;
    let params = format!(
        "{} por arma, {} por laudo, divisão {}, teto de {} por servidor no mês (sem acúmulo)",
        brl(p.amount_per_weapon_cents),
        brl(p.forensic_amount_cents),
        match p.share {
            atalaia_core::ipei::Share::SplitEqually => "em partes iguais entre os nomeados",
            atalaia_core::ipei::Share::EachFull => "valor integral a cada nomeado",
        },
        brl(p.monthly_cap_cents)
    );
    let paid_changes = match cycle_record.as_ref().and_then(|c| c.payment()) {
        Some(p) => match st.db.saved_run(CycleKind::Ipei, p.run_id).await? {
            Some(run) => {
                let side = |r: &atalaia_core::ipei::IpeiReport| -> Vec<(String, String, i64)> {
                    r.payments
                        .iter()
                        .map(|x| (x.registration.clone(), x.name.clone(), x.amount_cents))
                        .collect()
                };
                let changes = atalaia_core::payroll::changes_since_paid(
                    &side(&run.replay::<atalaia_core::pipeline::Ipei>()?.report),
                    &side(report),
                )
                .into_iter()
                .map(|c| PaidChange {
                    registration: c.registration,
                    name: c.name,
                    paid: c.paid_cents.map(brl).unwrap_or_else(|| "—".into()),
                    now: c.now_cents.map(brl).unwrap_or_else(|| "—".into()),
                })
                .collect();
                Some((p.run_id, changes))
            }
            None => None,
        },
        None => None,
    };
    // A month that may not pay yet offers no run and no cycle (`atalaia_core::closing`).
    let manage = id.may(Permission::ManageRecap) && computed.not_closed.is_none();
    render(&IpeiPage {
        paid_changes,
        partial: computed.not_closed.as_ref().map(|w| w.to_string()),
        chrome: Chrome::new(st, id, "IPEI — apreensões de armas", "/ipei").await,
        month: month.to_string(),
        month_label: month.label_pt(),
        error,
        params,
        units,
        queue,
        paid,
        laudos,
        payments,
        total: brl(report.total_cents),
        cf: CycleFrame::new(
            CycleKind::Ipei,
            month.to_string(),
            month.label_pt(),
            manage,
            runs.iter()
                .map(|r| RunChoice {
                    id: r.id,
                    created_at: r.created_at.clone(),
                })
                .collect(),
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
pub async fn page(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let month = month_of(q.mes.as_deref(), st.config.clock.today())?;
    ipei_page(&st, &id, month, None).await
}

/// `mes` of a form.
#[derive(Debug, Deserialize)]
pub struct MonthForm {
    mes: String,
}

/// `POST /ipei/execucoes`: freezes today's calculation of the month as a run (audited).
pub async fn save_run(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<MonthForm>,
) -> Result<Response, AppError> {
    let month = month_of(Some(&f.mes), st.config.clock.today())?;
    let computed = st.db.ipei_compute(month, st.config.clock.today()).await?;
    st.db
        .save_ipei_run(&computed, &id.actor(), st.config.clock.now_utc())
        .await?;
    Ok(Redirect::to(&format!("/ipei?mes={month}#execucoes")).into_response())
}

/// `POST /ipei/ciclo`: opens the month's cycle with the Anexo Único's deadlines or the committee's.
pub async fn open_cycle(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let month = month_of(f.get("mes").map(String::as_str), st.config.clock.today())?;
    let opened = match super::recap::schedule_of(&f) {
        Ok(schedule) => {
            st.db
                .open_cycle(
                    CycleKind::Ipei,
                    CyclePeriod::Month(month),
                    &schedule,
                    &id.actor(),
                    st.config.clock.now_utc(),
                    st.config.clock.today(),
                )
                .await
        }
        Err(why) => Err(why.into()),
    };
    match opened {
        Ok(_) => Ok(Redirect::to(&format!("/ipei?mes={month}#ciclo")).into_response()),
        // A period not over is refused outright (400), whatever the schedule; the schedule's own
        // faults are shown beside the form.
        Err(StoreError::Refused(why)) if !matches!(why, Refusal::NotClosed(_)) => {
            ipei_page(&st, &id, month, Some(why.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /ipei/ciclo/{id}`: closes the open step (result steps publish a saved run; the last one is
/// the payment authorization), decides an appeal (granting applies its corrections), or records a
/// decision (Art. 13).
pub async fn cycle_act(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cycle_id): Path<i64>,
    Form(f): Form<super::recap::CycleForm>,
) -> Result<Response, AppError> {
    let month = st
        .db
        .cycles(CycleKind::Ipei)
        .await?
        .into_iter()
        .find(|(_, c)| *c == cycle_id)
        .and_then(|(p, _)| Month::parse(&p).ok())
        .ok_or_else(|| AppError::NotFound(format!("o ciclo {cycle_id}")))?;
    let request = f.request()?;
    match st
        .db
        .cycle_act(
            cycle_id,
            &request,
            &id.actor(),
            st.config.clock.today(),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/ipei?mes={month}#ciclo")).into_response()),
        Err(StoreError::Refused(refused)) => {
            ipei_page(&st, &id, month, Some(refused.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /ipei/apreensoes/{id}/bo`: the BO copy of a seizure (committee, auditors; a unit head for
/// their own units only).
pub async fn bo_copy(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(seizure_id): Path<i64>,
) -> Result<Response, AppError> {
    let s = st
        .db
        .seizure(seizure_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a apreensão {seizure_id}")))?;
    // The committee and auditors read every unit's copies; a unit head only his units' (a copy of
    // another unit answers like one that does not exist).
    if !id.reads_whole_runs() && !id.heads_unit(&s.record.unit_code) {
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

// ---------------------------------------------------------------------------------------------------
// The unit head's month.

/// The units a unit head answers for on `day`: their scoped grants, or every unit for an unscoped one.
async fn my_units(
    st: &AppState,
    id: &Identity,
    day: NaiveDate,
) -> Result<Vec<UnitBrief>, AppError> {
    Ok(st
        .db
        .units_brief_on(day)
        .await?
        .into_iter()
        .filter(|u| id.heads_unit(&u.code))
        .collect())
}

struct DeadlineLine {
    label: &'static str,
    countdown: String,
    passed: bool,
}

struct AppealChoice {
    id: i64,
    label: String,
}

struct UnitSection {
    code: String,
    name: String,
    institution: String,
    sptc: bool,
    delivered: Option<String>,
    today: String,
    published: Option<String>,
    seizures: Vec<SeizureLine>,
    missing_bo: usize,
    pending_appeals: Vec<AppealChoice>,
    acts: Vec<String>,
}

#[derive(Template)]
#[template(path = "ipei_unit.html")]
struct UnitPage {
    chrome: Chrome,
    month: String,
    month_label: String,
    error: Option<String>,
    notice: Option<String>,
    cycle_open: bool,
    deadlines: Vec<DeadlineLine>,
    units: Vec<UnitSection>,
    laudos: Vec<LaudoLine>,
    max_mb: usize,
}

async fn unit_page(
    st: &AppState,
    id: &Identity,
    month: Month,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let cycle = st
        .db
        .cycle(CycleKind::Ipei, CyclePeriod::Month(month))
        .await?;
    let cal = calendar(st).await?;
    let deadlines = month_deadlines(st, month, cycle.as_ref())
        .await?
        .into_iter()
        .filter(|d| matches!(d.step, StepKey::Submissions | StepKey::Appeals))
        .map(|d| DeadlineLine {
            label: match d.step {
                StepKey::Submissions => "Envio das apreensões e cópias dos BOs (Art. 12)",
                _ => "Recursos (Art. 14)",
            },
            countdown: countdown_pt(&cal, today, d.date),
            passed: today > d.date,
        })
        .collect();
    let computed = st.db.ipei_compute(month, today).await?;
    let report = &computed.report;
    let published = published(st, cycle.as_ref()).await?;
    let corrections = match &cycle {
        Some(c) => st.db.appeal_corrections(c.id).await?,
        None => Vec::new(),
    };
    let mut units = Vec::new();
    let mut has_sptc = false;
    for u in my_units(st, id, month.last_day()).await? {
        let sptc = u.institution.eq_ignore_ascii_case("SPTC");
        has_sptc |= sptc;
        let seizures = seizure_lines(&computed, Some(&u.code));
        let delivery = cycle.as_ref().and_then(|c| {
            c.acts
                .iter()
                .find(|a| a.act == "submission" && a.unit.as_deref() == Some(u.code.as_str()))
        });
        let mut acts = Vec::new();
        let mut pending_appeals = Vec::new();
        if let Some(c) = &cycle {
            for a in c
                .acts
                .iter()
                .filter(|a| a.act == "appeal" && a.unit.as_deref() == Some(u.code.as_str()))
            {
                let decision = c
                    .acts
                    .iter()
                    .find(|d| d.act == "appeal_decision" && d.appeal_id == Some(a.id));
                let fixes: Vec<String> = corrections
                    .iter()
                    .filter(|k| k.appeal_id == a.id)
                    .map(|k| format!("correção da apreensão nº {}: {}", k.seizure_id, k.changes))
                    .collect();
                acts.push(format!(
                    "Recurso nº {} em {}: {}{}{}",
                    a.id,
                    local_time(a.at),
                    a.text,
                    if fixes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", fixes.join("; "))
                    },
                    match decision {
                        Some(d) => format!(
                            " — {} em {}: {}",
                            if d.accepted == Some(true) {
                                "deferido"
                            } else {
                                "indeferido"
                            },
                            local_time(d.at),
                            d.text
                        ),
                        None => " — aguarda a decisão do Comitê".into(),
                    }
                ));
                if decision.is_none() {
                    pending_appeals.push(AppealChoice {
                        id: a.id,
                        label: format!("nº {} ({})", a.id, local_time(a.at)),
                    });
                }
            }
        }
        units.push(UnitSection {
            delivered: delivery.map(|a| {
                format!(
                    "Mês enviado em {} por {}{}",
                    local_time(a.at),
                    a.actor,
                    if a.late {
                        format!(" — FORA DO PRAZO ({})", a.justification)
                    } else {
                        String::new()
                    }
                )
            }),
            today: unit_result_pt(report, &u.code)
                .unwrap_or_else(|| "nenhuma apreensão registrada no mês".into()),
            published: published
                .as_ref()
                .map(|(r, stage, run)| match unit_result_pt(r, &u.code) {
                    Some(t) => format!("Resultado {stage} (execução nº {run}): {t}"),
                    None => {
                        format!("A unidade não consta do resultado {stage} (execução nº {run}).")
                    }
                }),
            missing_bo: seizures.iter().filter(|s| !s.has_bo).count(),
            seizures,
            pending_appeals,
            acts,
            code: u.code,
            name: u.name,
            institution: u.institution,
            sptc,
        });
    }
    let laudos = if has_sptc {
        laudo_lines(&computed.report)
    } else {
        Vec::new()
    };
    render(&UnitPage {
        chrome: Chrome::new(st, id, "IPEI — minha unidade", "/ipei/unidade").await,
        month: month.to_string(),
        month_label: month.label_pt(),
        error,
        notice,
        cycle_open: cycle.is_some(),
        deadlines,
        units,
        laudos,
        max_mb: st.config.max_evidence_bytes / (1024 * 1024),
    })
}

/// `GET /ipei/unidade`.
pub async fn unit(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let month = month_of(q.mes.as_deref(), st.config.clock.today())?;
    unit_page(&st, &id, month, None, None).await
}

fn field<'a>(f: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(|v| v.trim()).unwrap_or("")
}

/// The form's unit, checked against the head's scope in `month`.
async fn scoped_unit(
    st: &AppState,
    id: &Identity,
    month: Month,
    unit: &str,
) -> Result<UnitBrief, AppError> {
    if unit.is_empty() {
        return Err(AppError::BadRequest("informe a unidade".into()));
    }
    my_units(st, id, month.last_day())
        .await?
        .into_iter()
        .find(|u| u.code == unit)
        // Another unit answers as if it did not exist (a 404, like every hidden object).
        .ok_or_else(|| AppError::NotFound(format!("a unidade `{unit}` entre as suas")))
}

/// A seizure from the form's fields; `keep` fills what was left blank (an appeal's correction).
pub(crate) fn seizure_of_form(
    f: &BTreeMap<String, String>,
    unit: &str,
    keep: Option<&SeizureRecord>,
    today: NaiveDate,
) -> Result<SeizureRecord, String> {
    let text = |name: &str, old: Option<&String>| -> String {
        match (field(f, name), old) {
            ("", Some(o)) => o.clone(),
            (v, _) => v.to_string(),
        }
    };
    let bo = match (field(f, "bo"), keep) {
        ("", Some(k)) => k.bo_number.clone(),
        (v, _) => BoNumber::parse(v)
            .map_err(|e| format!("BO `{v}`: {e}"))?
            .as_str()
            .to_string(),
    };
    let seized_on = match (field(f, "data"), keep) {
        ("", Some(k)) => k.seized_on,
        (v, _) => {
            atalaia_core::parse_date(v).map_err(|e| format!("data da apreensão `{v}`: {e}"))?
        }
    };
    if seized_on > today {
        return Err(format!(
            "data da apreensão {}: é depois de hoje",
            seized_on.br_date()
        ));
    }
    let flagrante = match (field(f, "flagrante"), keep) {
        ("", Some(k)) => k.flagrante,
        ("sim", _) => true,
        ("nao", _) => false,
        (v, _) => return Err(format!("flagrante `{v}`: esperado sim ou não")),
    };
    let registrations = match (field(f, "matriculas"), keep) {
        ("", Some(k)) => k.registrations.clone(),
        (v, _) => {
            let mut out = Vec::new();
            for r in v.split([';', ',', '|', ' ']).filter(|r| !r.is_empty()) {
                out.push(
                    Registration::parse(r)
                        .map_err(|e| format!("matrícula `{r}`: {e}"))?
                        .as_str()
                        .to_string(),
                );
            }
            out
        }
    };
    let item = match field(f, "item") {
        "" => keep.and_then(|k| k.item),
        v => Some(
            v.parse::<u32>()
                .ok()
                .filter(|i| (1..=10_000).contains(i))
                .ok_or_else(|| format!("item `{v}`: esperado um número de 1 a 10000"))?,
        ),
    };
    Ok(SeizureRecord {
        unit_code: unit.to_string(),
        bo_number: bo,
        item,
        serial: text("serie", keep.map(|k| &k.serial)),
        seized_on,
        flagrante,
        registrations,
        weapon_kind: text("tipo", keep.map(|k| &k.weapon_kind)),
        caliber: text("calibre", keep.map(|k| &k.caliber)),
        brand: text("marca", keep.map(|k| &k.brand)),
    })
}

/// `POST /ipei/unidade/apreensoes`: one seizure by the form (before the delivery; audited
/// `ipei.seizure_saved`).
pub async fn add_seizure(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let month = month_of(Some(field(&f, "mes")), st.config.clock.today())?;
    let unit = scoped_unit(&st, &id, month, field(&f, "unidade")).await?;
    let record = match seizure_of_form(&f, &unit.code, None, st.config.clock.today()) {
        Ok(r) => r,
        Err(e) => return unit_page(&st, &id, month, Some(e), None).await,
    };
    let now = st.config.clock.now_utc();
    let mut tx = st.db.begin().await?;
    match tx.put_seizure(&record, None, false, &id.actor(), now).await {
        Ok((_, seizure_id)) => {
            tx.audit(
                &atalaia_store::audit::AuditEvent::new(id.actor(), "ipei.seizure_saved")
                    .object(format!("seizure:{seizure_id}"))
                    .details(serde_json::to_value(&record).unwrap_or_default())
                    .ip(&id.ip),
                now,
            )
            .await?;
            tx.commit().await?;
            let m = Month::of(record.seized_on).unwrap_or(month);
            Ok(Redirect::to(&format!("/ipei/unidade?mes={m}#u-{}", unit.code)).into_response())
        }
        Err(StoreError::Refused(e)) => unit_page(&st, &id, month, Some(e.to_string()), None).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /ipei/unidade/bo` (multipart: `mes`, `apreensao`, optional `recurso`, `arquivo`): a BO copy,
/// checked by content (PDF, JPEG, PNG) and size, stored by SHA-256. After the delivery only through one
/// of the unit's appeals (Art. 14).
pub async fn upload_bo(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let fallback = month_of(None, st.config.clock.today())?;
    let (f, file) = match super::read_form(multipart, st.config.max_evidence_bytes).await {
        Ok(x) => x,
        Err(e) => return unit_page(&st, &id, fallback, Some(e), None).await,
    };
    let month = month_of(Some(field(&f, "mes")), st.config.clock.today())?;
    let seizure_id: i64 = field(&f, "apreensao").parse().map_err(|_| {
        AppError::BadRequest(format!("apreensão `{}` inválida", field(&f, "apreensao")))
    })?;
    let s = st
        .db
        .seizure(seizure_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a apreensão {seizure_id}")))?;
    // Another unit's seizure answers as one that does not exist (its unit is not named).
    scoped_unit(&st, &id, month, &s.record.unit_code)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound(format!("a apreensão {seizure_id}")),
            other => other,
        })?;
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return unit_page(
            &st,
            &id,
            month,
            Some("escolha o arquivo da cópia do BO (PDF, JPEG ou PNG)".into()),
            None,
        )
        .await;
    };
    let appeal = match field(&f, "recurso") {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| AppError::BadRequest(format!("recurso `{v}` inválido")))?,
        ),
    };
    let dir = st.config.evidence_dir();
    match st
        .db
        .attach_bo_file(
            seizure_id,
            &dir,
            &file_name,
            &bytes,
            st.config.max_evidence_bytes,
            appeal,
            &id.actor(),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(sha) => {
            unit_page(
                &st,
                &id,
                month,
                None,
                Some(format!(
                    "Cópia do BO {} anexada à apreensão nº {seizure_id} (SHA-256 {}…).",
                    s.record.bo_number,
                    &sha[..16]
                )),
            )
            .await
        }
        Err(StoreError::Refused(e)) => unit_page(&st, &id, month, Some(e.to_string()), None).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /ipei/unidade/planilha` (multipart: `mes`, `unidade`, `arquivo`): the decree's spreadsheet,
/// imported with the `seizures` importer, rows of other units rejected.
pub async fn upload_sheet(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let fallback = month_of(None, st.config.clock.today())?;
    let dir = st
        .config
        .data_dir
        .join("envios")
        .join(&random_token()[..16]);
    let mut fields = BTreeMap::new();
    let mut saved = None;
    loop {
        let fl = match multipart.next_field().await {
            Ok(Some(fl)) => fl,
            Ok(None) => break,
            Err(e) => {
                let _ = tokio::fs::remove_dir_all(&dir).await;
                return unit_page(
                    &st,
                    &id,
                    fallback,
                    Some(format!("envio interrompido ou grande demais: {e}")),
                    None,
                )
                .await;
            }
        };
        if fl.name() == Some("arquivo") {
            match super::imports::save_upload(fl, &dir).await? {
                Ok(p) => saved = Some(p),
                Err(e) => return unit_page(&st, &id, fallback, Some(e), None).await,
            }
        } else {
            let name = fl.name().unwrap_or("").to_string();
            fields.insert(name, fl.text().await.unwrap_or_default());
        }
    }
    let month = month_of(Some(field(&fields, "mes")), st.config.clock.today())?;
    let units: Vec<String> = my_units(&st, &id, month.last_day())
        .await?
        .into_iter()
        .map(|u| u.code)
        .collect();
    let Some(path) = saved else {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return unit_page(&st, &id, month, Some("escolha a planilha".into()), None).await;
    };
    match super::imports::import_saved(
        &st,
        &id,
        atalaia_ingest::Kind::Seizures,
        &dir,
        &path,
        Some(units),
    )
    .await?
    {
        Ok(import_id) => {
            let rec = st.db.import_record(import_id).await?;
            let notice = rec.map(|r| {
                format!(
                    "Planilha importada (importação nº {import_id}): {} linha(s) lida(s), {} nova(s), {} atualizada(s), {} rejeitada(s){}.",
                    r.counts.read,
                    r.counts.inserted,
                    r.counts.updated,
                    r.counts.rejected,
                    if r.counts.rejected > 0 {
                        format!(" — baixe as rejeitadas em /ipei/unidade/planilha/{import_id}/rejeitadas")
                    } else {
                        String::new()
                    }
                )
            });
            unit_page(&st, &id, month, None, notice).await
        }
        Err(e) => {
            unit_page(
                &st,
                &id,
                month,
                Some(format!("planilha não importada: {e}")),
                None,
            )
            .await
        }
    }
}

/// `GET /ipei/unidade/planilha/{id}/rejeitadas`: the rejected rows of the head's own upload.
pub async fn sheet_rejects(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(import_id): Path<i64>,
) -> Result<Response, AppError> {
    let rec = st
        .db
        .import_record(import_id)
        .await?
        .filter(|r| r.actor == id.actor() && r.kind == "seizures")
        .ok_or_else(|| AppError::NotFound(format!("a sua planilha nº {import_id}")))?;
    super::imports::rejects(State(st), Path(rec.id)).await
}

/// The month's cycle, or the unit page saying the committee has not opened it.
async fn month_cycle(
    st: &AppState,
    id: &Identity,
    month: Month,
) -> Result<Result<i64, Response>, AppError> {
    match st
        .db
        .cycle(CycleKind::Ipei, CyclePeriod::Month(month))
        .await?
    {
        Some(c) => Ok(Ok(c.id)),
        None => {
            let msg = format!("o Comitê ainda não abriu o ciclo de {}", month.label_pt());
            Ok(Err(unit_page(st, id, month, Some(msg), None).await?))
        }
    }
}

/// Records a unit's act on the month's cycle: back to the unit's section, or the page with the refusal.
async fn unit_act(
    st: &AppState,
    id: &Identity,
    month: Month,
    cycle_id: i64,
    unit: &str,
    request: &ActRequest,
) -> Result<Response, AppError> {
    match st
        .db
        .cycle_act(
            cycle_id,
            request,
            &id.actor(),
            st.config.clock.today(),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/ipei/unidade?mes={month}#u-{unit}")).into_response()),
        Err(StoreError::Refused(e)) => unit_page(st, id, month, Some(e.to_string()), None).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /ipei/unidade/envio`: the unit sends the month (Art. 12): its seizures as stored now are the
/// delivery (Art. 14: appeals only correct them).
pub async fn deliver(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let month = month_of(Some(field(&f, "mes")), st.config.clock.today())?;
    let unit = scoped_unit(&st, &id, month, field(&f, "unidade")).await?;
    let cycle_id = match month_cycle(&st, &id, month).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let request = ActRequest::Deliver {
        unit: unit.code.clone(),
        justification: field(&f, "justificativa").to_string(),
    };
    unit_act(&st, &id, month, cycle_id, &unit.code, &request).await
}

/// `POST /ipei/unidade/recurso`: an appeal (Art. 14), optionally with the correction of one delivered
/// seizure (`apreensao` = its number, or `nova` for one that was not delivered, which is refused);
/// blank correction fields keep the delivered value.
pub async fn appeal(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let month = month_of(Some(field(&f, "mes")), st.config.clock.today())?;
    let unit = scoped_unit(&st, &id, month, field(&f, "unidade")).await?;
    let cycle_id = match month_cycle(&st, &id, month).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let corrections = match field(&f, "apreensao") {
        "" => Vec::new(),
        "nova" => match seizure_of_form(&f, &unit.code, None, st.config.clock.today()) {
            Ok(record) => vec![Correction {
                seizure_id: None,
                record,
            }],
            Err(e) => return unit_page(&st, &id, month, Some(e), None).await,
        },
        v => {
            let sid: i64 = v
                .parse()
                .map_err(|_| AppError::BadRequest(format!("apreensão `{v}` inválida")))?;
            let old = st
                .db
                .seizure(sid)
                .await?
                .filter(|s| s.record.unit_code == unit.code)
                .ok_or_else(|| AppError::NotFound(format!("a apreensão {sid} da unidade")))?;
            match seizure_of_form(&f, &unit.code, Some(&old.record), st.config.clock.today()) {
                Ok(record) => vec![Correction {
                    seizure_id: Some(sid),
                    record,
                }],
                Err(e) => return unit_page(&st, &id, month, Some(e), None).await,
            }
        }
    };
    let request = ActRequest::Appeal {
        unit: unit.code.clone(),
        text: field(&f, "texto").to_string(),
        justification: field(&f, "justificativa").to_string(),
        corrections,
    };
    unit_act(&st, &id, month, cycle_id, &unit.code, &request).await
}

/// `POST /ipei/unidade/laudos`: an SPTC unit records a laudo signature (Art. 10 §ú; audited
/// `ipei.laudo_saved`).
pub async fn add_laudo(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let month = month_of(Some(field(&f, "mes")), st.config.clock.today())?;
    let unit = scoped_unit(&st, &id, month, field(&f, "unidade")).await?;
    if !unit.institution.eq_ignore_ascii_case("SPTC") {
        return Err(AppError::Forbidden(format!(
            "laudos são registrados pela Superintendência de Polícia Técnico-Científica; a unidade {} é {}",
            unit.code, unit.institution
        )));
    }
    let record = (|| -> Result<ForensicRecord, String> {
        let bo = field(&f, "bo");
        let expert = field(&f, "perito");
        let signed = field(&f, "assinado_em");
        Ok(ForensicRecord {
            bo_number: BoNumber::parse(bo)
                .map_err(|e| format!("BO `{bo}`: {e}"))?
                .as_str()
                .to_string(),
            serial: field(&f, "serie").to_string(),
            expert_registration: Registration::parse(expert)
                .map_err(|e| format!("matrícula do perito `{expert}`: {e}"))?
                .as_str()
                .to_string(),
            signed_on: atalaia_core::parse_date(signed)
                .map_err(|e| format!("data da assinatura `{signed}`: {e}"))?,
        })
    })();
    let record = match record {
        Ok(r) => r,
        Err(e) => return unit_page(&st, &id, month, Some(e), None).await,
    };
    let now = st.config.clock.now_utc();
    let mut tx = st.db.begin().await?;
    tx.put_forensic_report(&record, None, false).await?;
    tx.audit(
        &atalaia_store::audit::AuditEvent::new(id.actor(), "ipei.laudo_saved")
            .object(format!("bo:{}", record.bo_number))
            .details(serde_json::to_value(&record).unwrap_or_default())
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/ipei/unidade?mes={month}#laudos")).into_response())
}

// ---------------------------------------------------------------------------------------------------
// Official documents of a saved run.

/// A saved run as an official document: replayed (refused if it no longer reproduces its bytes), its
/// stage (final once the month's cycle published it as the final result), who ran it and who signs.
async fn official(
    st: &AppState,
    run_id: i64,
) -> Result<(IpeiReport, atalaia_reports::Stage, atalaia_reports::RunMeta), AppError> {
    let run = st
        .db
        .saved_run(CycleKind::Ipei, run_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a execução do IPEI {run_id}")))?;
    let replayed = run.replay::<atalaia_core::pipeline::Ipei>()?;
    if !replayed.reproduces {
        return Err(AppError::Internal(format!(
            "a execução do IPEI {run_id} não se reproduz a partir das entradas congeladas"
        )));
    }
    let month = replayed.inputs.month;
    let (stage, meta) = super::recap::official_meta(
        st,
        CycleKind::Ipei,
        CyclePeriod::Month(month),
        month.last_day(),
        super::recap::SavedRun {
            id: run_id,
            config: &run.config,
            created_by: &run.created_by,
            created_at: run.created_at,
            inputs_sha256: &run.inputs_sha256,
            result_sha256: &run.result_sha256,
        },
    )
    .await?;
    Ok((replayed.report, stage, meta))
}

async fn pdf_of(
    st: &AppState,
    run_id: i64,
    unit: Option<String>,
) -> Result<(Vec<u8>, String), AppError> {
    let (report, stage, run) = official(st, run_id).await?;
    let signatories = super::recap::committee_signatories(st).await?;
    let name = match &unit {
        Some(u) => format!("ipei-{}-extrato-{u}-execucao-{run_id}.pdf", report.month),
        None => format!("ipei-{}-execucao-{run_id}.pdf", report.month),
    };
    // typst lays out on the blocking pool.
    let bytes = tokio::task::spawn_blocking(move || {
        atalaia_reports::ipei_pdf(&atalaia_reports::IpeiDocument {
            stage,
            report: &report,
            run,
            unit,
            signatories,
        })
        .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    Ok((bytes, name))
}

/// `GET /ipei/execucoes/{id}/resultado.pdf`: the month's partial or final result, signed by the
/// committee (registrations, no names: the names are in the payroll workbook).
pub async fn run_pdf(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    super::require_whole_run(&id, run_id)?;
    let (bytes, name) = pdf_of(&st, run_id, None).await?;
    Ok(super::download(bytes, "application/pdf", name))
}

/// `GET /ipei/execucoes/{id}/folha.xlsx`: the named payroll for the Secretary's office (committee and
/// auditors; every download audited `ipei.payroll_exported`).
pub async fn run_xlsx(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    super::require_whole_run(&id, run_id)?;
    let (report, stage, run) = official(&st, run_id).await?;
    let bytes = atalaia_reports::ipei_xlsx(&atalaia_reports::IpeiDocument {
        stage,
        report: &report,
        run,
        unit: None,
        signatories: Vec::new(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    st.db
        .audit(
            &atalaia_store::audit::AuditEvent::new(id.actor(), "ipei.payroll_exported")
                .object(format!("ipei_run:{run_id}"))
                .details(serde_json::json!({"lines": report.payments.len(),
                    "total_cents": report.total_cents}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(super::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("ipei-{}-folha-execucao-{run_id}.xlsx", report.month),
    ))
}

/// `?mes=&unidade=`.
#[derive(Debug, Deserialize)]
pub struct StatementQuery {
    mes: Option<String>,
    unidade: String,
}

/// `GET /ipei/unidade/extrato.pdf?mes=&unidade=`: the unit's statement of the published result (final
/// if published, else partial), for its head.
pub async fn statement(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, AppError> {
    let month = month_of(q.mes.as_deref(), st.config.clock.today())?;
    let unit = scoped_unit(&st, &id, month, q.unidade.trim()).await?;
    let cycle = st
        .db
        .cycle(CycleKind::Ipei, CyclePeriod::Month(month))
        .await?;
    let run_id = cycle
        .as_ref()
        .and_then(|c| {
            c.run_of(StepKey::FinalResult)
                .or_else(|| c.run_of(StepKey::PartialResult))
        })
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "um resultado publicado de {} (o Comitê ainda não publicou)",
                month.label_pt()
            ))
        })?;
    let (bytes, name) = pdf_of(&st, run_id, Some(unit.code)).await?;
    Ok(super::download(bytes, "application/pdf", name))
}
