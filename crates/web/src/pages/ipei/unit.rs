//! The unit head's IPEI month (Arts. 11–14): the deadline countdown in business days, seizures by form
//! or spreadsheet, BO copies, the delivery, appeals that correct what was delivered; SPTC units enter
//! laudos. Every form acts only on a unit of the head's scope (else 404).

use crate::done::{self, Done};
use crate::pages::ipei::LaudoLine;
use crate::pages::ipei::MonthQuery;
use crate::pages::ipei::SeizureLine;
use crate::pages::ipei::calendar;
use crate::pages::ipei::countdown_pt;
use crate::pages::ipei::laudo_lines;
use crate::pages::ipei::month_deadlines;
use crate::pages::ipei::month_of;
use crate::pages::ipei::seizure_lines;
use crate::pages::ipei::unit_result_pt;
use crate::pages::program::cycle;
use askama::Template;
use atalaia_core::Month;
use atalaia_core::cycle::{CyclePeriod, StepKey};
use atalaia_core::dates::BrDate;
use atalaia_core::ids::{BoNumber, Registration, UnitCode};
use atalaia_store::StoreError;
use atalaia_store::cycles::ActRequest;
use atalaia_store::ipei::{Correction, ForensicRecord, SeizureRecord, UnitBrief};
use atalaia_store::territories::Upsert;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use std::collections::BTreeMap;

use crate::guard::{Ctx, Identity};
use crate::pages::kept::{FieldError, Kept};
use crate::pages::{Chrome, Declined, Fields, local_time, render};
use crate::{AppError, AppState};

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
    /// The seizure sheet's columns as its template names them ("BO, Data da apreensão, …").
    sheet_columns: String,
    /// The seizure form that was refused, as typed (`unidade` names whose).
    kept: Kept,
}

/// The columns of a seizure sheet in the words the importer reads: required ones, then the optional.
fn sheet_columns() -> String {
    let help = atalaia_ingest::help::column_help(atalaia_ingest::Kind::Seizures);
    let names = |required: bool| {
        help.iter()
            .filter(|c| c.required == required)
            .map(|c| c.header)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{}; opcionais: {}", names(true), names(false))
}

async fn unit_page(
    st: &AppState,
    id: &Identity,
    month: Month,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    unit_page_with(st, id, month, error, notice, Kept::default()).await
}

/// The unit page; after a refused seizure form, with that form open and as typed (`kept`).
async fn unit_page_with(
    st: &AppState,
    id: &Identity,
    month: Month,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let cycle = st.db.cycle(month).await?;
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
    let published =
        crate::pages::program::runs::published::<atalaia_core::pipeline::Ipei>(st, cycle.as_ref())
            .await?;
    let corrections = match &cycle {
        Some(c) => st.db.appeal_corrections(c.id).await?,
        None => Vec::new(),
    };
    let actors = crate::pages::Actors::load(st).await?;
    let mut units = Vec::new();
    let mut has_sptc = false;
    for u in my_units(st, id, month.last_day()).await? {
        let sptc = u.institution.eq_ignore_ascii_case("SPTC");
        has_sptc |= sptc;
        let seizures = seizure_lines(&computed.inputs, &computed.report, Some(&u.code));
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
                    actors.name(&a.actor),
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
        sheet_columns: sheet_columns(),
        kept,
    })
}

/// `GET /ipei/unidade`.
pub async fn unit(Ctx { st, id }: Ctx, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    let month = month_of(q.mes.as_deref(), st.config.clock.today())?;
    unit_page(&st, &id, month, None, None).await
}

fn field<'a>(f: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(|v| v.trim()).unwrap_or("")
}

/// The form's unit, checked against the head's scope in `month`.
/// The month (`mes`) and the requester's unit (`unidade`) a unit form is about.
async fn form_unit(
    st: &AppState,
    id: &Identity,
    f: &BTreeMap<String, String>,
) -> Result<(Month, UnitBrief), AppError> {
    let month = month_of(Some(field(f, "mes")), st.config.clock.today())?;
    Ok((
        month,
        scoped_unit(st, id, month, field(f, "unidade")).await?,
    ))
}

pub(crate) async fn scoped_unit(
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
) -> Result<SeizureRecord, FieldError> {
    let at = FieldError::at;
    let text = |name: &str, old: Option<&String>| -> String {
        match (field(f, name), old) {
            ("", Some(o)) => o.clone(),
            (v, _) => v.to_string(),
        }
    };
    let bo = match (field(f, "bo"), keep) {
        ("", Some(k)) => k.bo_number.clone(),
        (v, _) => BoNumber::parse(v).map_err(|e| at("bo")(format!("BO `{v}`: {e}")))?,
    };
    let seized_on = match (field(f, "data"), keep) {
        ("", Some(k)) => k.seized_on,
        (v, _) => atalaia_core::parse_date(v)
            .map_err(|e| at("data")(format!("data da apreensão `{v}`: {e}")))?,
    };
    if seized_on > today {
        return Err(at("data")(format!(
            "data da apreensão {}: é depois de hoje",
            seized_on.br_date()
        )));
    }
    let flagrante = match (field(f, "flagrante"), keep) {
        ("", Some(k)) => k.flagrante,
        ("sim", _) => true,
        ("nao", _) => false,
        (v, _) => {
            return Err(at("flagrante")(format!(
                "flagrante `{v}`: esperado sim ou não"
            )));
        }
    };
    let registrations = match (field(f, "matriculas"), keep) {
        ("", Some(k)) => k.registrations.clone(),
        (v, _) => {
            let mut out = Vec::new();
            for r in v.split([';', ',', '|', ' ']).filter(|r| !r.is_empty()) {
                out.push(
                    Registration::parse(r)
                        .map_err(|e| at("matriculas")(format!("matrícula `{r}`: {e}")))?,
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
                .ok_or_else(|| {
                    at("item")(format!("item `{v}`: esperado um número de 1 a 10000"))
                })?,
        ),
    };
    let serial = text("serie", keep.map(|k| &k.serial));
    if item.is_none() && atalaia_core::ipei::norm_serial(&serial).is_empty() {
        return Err(at("item")(
            "sem número de série, informe o item da arma no BO (1, 2, …) para identificá-la".into(),
        ));
    }
    let unit_code =
        UnitCode::parse(unit).map_err(|e| at("unidade")(format!("unidade `{unit}`: {e}")))?;
    Ok(SeizureRecord {
        unit_code,
        bo_number: bo,
        item,
        serial,
        seized_on,
        flagrante,
        registrations,
        weapon_kind: text("tipo", keep.map(|k| &k.weapon_kind)),
        caliber: text("calibre", keep.map(|k| &k.caliber)),
        brand: text("marca", keep.map(|k| &k.brand)),
    })
}

/// `POST /ipei/unidade/apreensoes`: one seizure by the form (before the delivery; audited
/// `ipei.seizure_saved`); a refused form comes back open, as typed, the reason beside its input.
pub async fn add_seizure(
    Ctx { st, id }: Ctx,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let (month, unit) = form_unit(&st, &id, &f).await?;
    let typed: Fields = f.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let refused = |e: FieldError| Kept::refused(&typed, e);
    let record = match seizure_of_form(&f, &unit.code, None, st.config.clock.today()) {
        Ok(r) => r,
        Err(e) => return unit_page_with(&st, &id, month, None, None, refused(e)).await,
    };
    let now = st.config.clock.now_utc();
    let mut tx = st.db.begin().await?;
    match tx.put_seizure(&record, None, false, &id.actor(), now).await {
        Ok((upsert, seizure_id)) => {
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
            let what = match upsert {
                Upsert::Updated => Done::SeizureUpdated,
                Upsert::Inserted | Upsert::Unchanged => Done::SeizureSaved,
            };
            Ok(done::redirect(
                &format!("/ipei/unidade?mes={m}#u-{}", unit.code),
                what,
            ))
        }
        Err(StoreError::Refused(e)) => {
            let e = FieldError::at("registrar")(e.to_string());
            unit_page_with(&st, &id, month, None, None, refused(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /ipei/unidade/bo` (multipart: `mes`, `apreensao`, optional `recurso`, `arquivo`): a BO copy,
/// checked by content (PDF, JPEG, PNG) and size, stored by SHA-256. After the delivery only through one
/// of the unit's appeals (Art. 14).
pub async fn upload_bo(Ctx { st, id }: Ctx, multipart: Multipart) -> Result<Response, AppError> {
    let fallback = month_of(None, st.config.clock.today())?;
    let (f, file) = match crate::pages::read_form(multipart, st.config.max_evidence_bytes).await {
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
    scoped_unit(&st, &id, month, s.record.unit_code.as_str())
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
    Ctx { st, id }: Ctx,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let fallback = month_of(None, st.config.clock.today())?;
    let dir = crate::pages::imports::new_upload_dir(&st.config.data_dir);
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
            match crate::pages::imports::save_upload(fl, &dir).await {
                Ok(p) => saved = Some(p),
                Err(e) => return unit_page(&st, &id, fallback, Some(e.reason()?), None).await,
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
    match crate::pages::imports::import_saved(
        &st,
        &id,
        atalaia_ingest::Kind::Seizures,
        &dir,
        &path,
        Some(units),
    )
    .await
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
                Some(format!("planilha não importada: {}", e.reason()?)),
                None,
            )
            .await
        }
    }
}

/// `GET /ipei/unidade/planilha/{id}/rejeitadas`: the rejected rows of the head's own upload.
pub async fn sheet_rejects(
    Ctx { st, id }: Ctx,
    Path(import_id): Path<i64>,
) -> Result<Response, AppError> {
    let rec = st
        .db
        .import_record(import_id)
        .await?
        .filter(|r| r.actor == id.actor() && r.kind == "seizures")
        .ok_or_else(|| AppError::NotFound(format!("a sua planilha nº {import_id}")))?;
    crate::pages::imports::rejects(State(st), Path(rec.id)).await
}

/// Records a unit's act on the month's cycle: back to the unit's section; the unit page with the reason
/// when the committee has not opened the cycle, the form was refused or the cycle's rules refuse it.
async fn unit_act(
    st: &AppState,
    id: &Identity,
    month: Month,
    unit: &str,
    request: Result<ActRequest, Declined>,
) -> Result<Response, AppError> {
    let period = CyclePeriod::Month(month);
    let Some(cycle) = st.db.cycle(period).await? else {
        let msg = format!("o Comitê ainda não abriu o ciclo de {}", month.label_pt());
        return unit_page(st, id, month, Some(msg), None).await;
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return unit_page(st, id, month, Some(e.reason()?), None).await,
    };
    let done = cycle::act(st, id, cycle.id, &request).await;
    cycle::answer(
        done,
        (
            format!("/ipei/unidade?mes={month}#u-{unit}"),
            Done::ListSent,
        ),
        |why| unit_page(st, id, month, Some(why), None),
    )
    .await
}

/// `POST /ipei/unidade/envio`: the unit sends the month (Art. 12): its seizures as stored now are the
/// delivery (Art. 14: appeals only correct them).
pub async fn deliver(
    Ctx { st, id }: Ctx,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let (month, unit) = form_unit(&st, &id, &f).await?;
    let request = ActRequest::Deliver {
        unit: unit.code.clone(),
        justification: field(&f, "justificativa").to_string(),
    };
    unit_act(&st, &id, month, &unit.code, Ok(request)).await
}

/// `POST /ipei/unidade/recurso`: an appeal (Art. 14), optionally with the correction of one delivered
/// seizure (`apreensao` = its number, or `nova` for one that was not delivered, which is refused);
/// blank correction fields keep the delivered value.
pub async fn appeal(
    Ctx { st, id }: Ctx,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let (month, unit) = form_unit(&st, &id, &f).await?;
    let request = appeal_request(&st, &f, &unit.code).await;
    unit_act(&st, &id, month, &unit.code, request).await
}

/// The appeal the form asks for, with its correction, if any.
async fn appeal_request(
    st: &AppState,
    f: &BTreeMap<String, String>,
    unit: &str,
) -> Result<ActRequest, Declined> {
    let today = st.config.clock.today();
    let corrections = match field(f, "apreensao") {
        "" => Vec::new(),
        "nova" => vec![Correction {
            seizure_id: None,
            record: seizure_of_form(f, unit, None, today)?,
        }],
        v => {
            let sid: i64 = v
                .parse()
                .map_err(|_| AppError::BadRequest(format!("apreensão `{v}` inválida")))?;
            let old = st
                .db
                .seizure(sid)
                .await?
                .filter(|s| s.record.unit_code.as_str() == unit)
                .ok_or_else(|| AppError::NotFound(format!("a apreensão {sid} da unidade")))?;
            vec![Correction {
                seizure_id: Some(sid),
                record: seizure_of_form(f, unit, Some(&old.record), today)?,
            }]
        }
    };
    Ok(ActRequest::Appeal {
        unit: unit.to_string(),
        text: field(f, "texto").to_string(),
        justification: field(f, "justificativa").to_string(),
        corrections,
    })
}

/// `POST /ipei/unidade/laudos`: an SPTC unit records a laudo signature (Art. 10 §ú; audited
/// `ipei.laudo_saved`).
pub async fn add_laudo(
    Ctx { st, id }: Ctx,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let (month, unit) = form_unit(&st, &id, &f).await?;
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
    Ok(done::redirect(
        &format!("/ipei/unidade?mes={month}#laudos"),
        Done::ReportSaved,
    ))
}
