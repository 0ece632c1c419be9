//! The cycle of the Anexo Único as RECAP's and IPEI's pages show and act on it: each step with its
//! deadline and acts, the committee's forms (open a cycle with its schedule, close a step, decide an
//! appeal, record a decision or the payment) read into `atalaia_store::cycles::ActRequest`.

use crate::guard::Identity;
use crate::pages::Actors;
use crate::pages::kept::{FieldError, Kept};
use crate::pages::local_time;
use crate::pages::{Fields, field};
use crate::{AppError, AppState};
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::dates::BrDate;
use atalaia_core::decision::Effect;
use atalaia_store::cycles::{ActRequest, CycleRecord};
use atalaia_store::{Refusal, StoreError};
use axum::response::Response;

pub(crate) struct StepRow {
    pub(crate) label: &'static str,
    pub(crate) flow: &'static str,
    pub(crate) deadline: String,
    pub(crate) changed_by: String,
    pub(crate) closed: Option<String>,
    pub(crate) late: Option<String>,
    pub(crate) current: bool,
    pub(crate) needs_run: bool,
    pub(crate) key: &'static str,
}

pub(crate) struct ActView {
    pub(crate) id: i64,
    pub(crate) what: String,
    pub(crate) unit: String,
    pub(crate) text: String,
    pub(crate) by: String,
    pub(crate) at: String,
    pub(crate) late: Option<String>,
    pub(crate) decided: Option<String>,
    /// IPEI: the corrections the appeal proposed, as people read them.
    pub(crate) corrections: Vec<String>,
}

pub(crate) struct CycleView {
    pub(crate) id: i64,
    pub(crate) steps: Vec<StepRow>,
    pub(crate) appeals: Vec<ActView>,
    pub(crate) decisions: Vec<ActView>,
    pub(crate) submissions: Vec<ActView>,
    pub(crate) finished: bool,
    /// The recorded payment, in words.
    pub(crate) paid: Option<String>,
    /// The authorized run whose payment can be recorded now.
    pub(crate) pay_run: Option<i64>,
}

/// " — efeito: reintegra a unidade PM-7BPM" for a decision that carries an effect, else nothing.
fn effect_pt(payload: Option<&str>) -> String {
    payload
        .and_then(|p| serde_json::from_str::<Effect>(p).ok())
        .map(|e| format!(" — efeito: {}", e.label_pt()))
        .unwrap_or_default()
}

pub(crate) fn act_views(c: &CycleRecord, which: &str, actors: &Actors) -> Vec<ActView> {
    c.acts
        .iter()
        .filter(|a| a.act == which)
        .map(|a| {
            let decision = c
                .acts
                .iter()
                .find(|d| d.act == "appeal_decision" && d.appeal_id == Some(a.id));
            ActView {
                id: a.id,
                what: a.act.clone(),
                unit: a.unit.clone().unwrap_or_default(),
                text: match &a.payload {
                    Some(p) if which == "submission" && c.kind == CycleKind::Ipei => {
                        let n = serde_json::from_str::<atalaia_store::ipei::DeliveryPayload>(p)
                            .map(|d| d.seizures.len())
                            .unwrap_or(0);
                        format!("{n} apreensão(ões) entregue(s)")
                    }
                    Some(p) if which == "submission" => {
                        let n = serde_json::from_str::<Vec<serde_json::Value>>(p)
                            .map(|v| v.len())
                            .unwrap_or(0);
                        format!("{n} alteração(ões) à proposta do sistema")
                    }
                    _ => format!("{}{}", a.text, effect_pt(a.payload.as_deref())),
                },
                by: actors.name(&a.actor),
                at: local_time(a.at),
                late: a.late.then(|| a.justification.clone()),
                decided: decision.map(|d| {
                    format!(
                        "{} em {} por {}: {}{}",
                        if d.accepted == Some(true) {
                            "Deferido"
                        } else {
                            "Indeferido"
                        },
                        local_time(d.at),
                        actors.name(&d.actor),
                        d.text,
                        effect_pt(d.payload.as_deref())
                    )
                }),
                corrections: Vec::new(),
            }
        })
        .collect()
}

pub(crate) async fn cycle_view(st: &AppState, c: &CycleRecord) -> Result<CycleView, AppError> {
    let actors = Actors::load(st).await?;
    let deadlines = st.db.cycle_deadlines(c).await?;
    let state = c.state();
    let current = state.current();
    let steps = deadlines
        .iter()
        .map(|d| {
            let close = c
                .acts
                .iter()
                .find(|a| a.act == "close" && a.step == Some(d.step));
            StepRow {
                label: d.step.label_pt(c.kind),
                flow: d.step.flow_pt(),
                deadline: format!("{}º dia útil — {}", d.nth, d.date.br_date()),
                changed_by: d
                    .changed_by
                    .iter()
                    .map(|x| {
                        format!(
                            "{} {} ({})",
                            x.date.format("%d/%m"),
                            if x.closed {
                                "sem expediente"
                            } else {
                                "com expediente"
                            },
                            x.act
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                closed: close.map(|a| {
                    format!(
                        "encerrada em {} por {}{}",
                        local_time(a.at),
                        actors.name(&a.actor),
                        a.run_id
                            .map(|r| format!(" (execução nº {r})"))
                            .unwrap_or_default()
                    )
                }),
                late: close.filter(|a| a.late).map(|a| a.justification.clone()),
                current: current == Some(d.step),
                needs_run: matches!(d.step, StepKey::PartialResult | StepKey::FinalResult),
                key: d.step.as_str(),
            }
        })
        .collect();
    let mut appeals = act_views(c, "appeal", &actors);
    if c.kind == CycleKind::Ipei {
        let corrections = st.db.appeal_corrections(c.id).await?;
        for a in &mut appeals {
            a.corrections = corrections
                .iter()
                .filter(|k| k.appeal_id == a.id)
                .map(|k| {
                    format!(
                        "Correção da apreensão nº {} (BO {}): {} — {}",
                        k.seizure_id,
                        k.bo_number,
                        k.changes,
                        match k.status.as_str() {
                            "applied" => "aplicada",
                            "refused" => "não aplicada",
                            _ => "aguarda a decisão",
                        }
                    )
                })
                .collect();
        }
    }
    let payment = c.payment();
    Ok(CycleView {
        id: c.id,
        steps,
        appeals,
        decisions: act_views(c, "decision", &actors),
        submissions: act_views(c, "submission", &actors),
        finished: current.is_none(),
        paid: payment.as_ref().map(|p| {
            format!(
                "Pago em {}: execução nº {}, folha com SHA-256 {}.",
                p.paid_on.br_date(),
                p.run_id,
                p.payroll_sha256
            )
        }),
        // The payment step follows the authorization, for the run the final result published.
        pay_run: payment
            .is_none()
            .then(|| c.run_of(StepKey::FinalResult))
            .flatten()
            .filter(|_| current.is_none()),
    })
}

/// A saved run offered when a result step is closed.
pub(crate) struct RunChoice {
    pub(crate) id: i64,
    pub(crate) created_at: String,
}

/// What `cycle_section.html` needs besides the cycle: where its forms go and its words, per program.
pub(crate) struct CycleFrame {
    pub(crate) url: &'static str,
    pub(crate) title: &'static str,
    pub(crate) caption: &'static str,
    pub(crate) submissions_title: &'static str,
    pub(crate) period_field: &'static str,
    pub(crate) period: String,
    /// The period with its preposition, as a sentence reads it: "do 3º trimestre de 2026", "de
    /// outubro de 2026".
    pub(crate) period_label: String,
    pub(crate) manage: bool,
    pub(crate) runs: Vec<RunChoice>,
    pub(crate) default_schedule: Vec<(usize, &'static str, u32)>,
    /// The committee's form that was refused, as typed (`acao` names which; its reason beside it).
    pub(crate) kept: Kept,
}

impl CycleFrame {
    /// The frame of `kind`'s cycle of `period` (`label` as people read it).
    pub(crate) fn new(
        kind: CycleKind,
        period: String,
        label: String,
        manage: bool,
        runs: Vec<RunChoice>,
        kept: Kept,
    ) -> CycleFrame {
        let (url, title, caption, submissions_title, period_field) = match kind {
            CycleKind::Recap => (
                "/recap/ciclo",
                "Ciclo do trimestre (Anexo Único)",
                "Etapas e prazos em dias úteis do mês seguinte ao trimestre (calendário de Goiânia)",
                "Listas de exclusão recebidas (Art. 9)",
                "trimestre",
            ),
            CycleKind::Ipei => (
                "/ipei/ciclo",
                "Ciclo do mês (Anexo Único)",
                "Etapas e prazos em dias úteis do mês seguinte ao de referência (calendário de Goiânia)",
                "Envios das unidades (Art. 12)",
                "mes",
            ),
        };
        CycleFrame {
            url,
            title,
            caption,
            submissions_title,
            period_field,
            period,
            period_label: label,
            manage,
            runs,
            default_schedule: StepKey::ALL
                .iter()
                .zip(Schedule::ANEXO_UNICO.nth)
                .enumerate()
                .map(|(i, (k, n))| (i + 1, k.label_pt(kind), n))
                .collect(),
            kept,
        }
    }
}

/// The schedule of an open-cycle form: each step's business day from `prazo_1` … `prazo_6`, the Anexo
/// Único's where absent; refused for a field that is not a number or a schedule the cycle rules do not
/// allow.
pub(crate) fn schedule_of(f: &Fields, kind: CycleKind) -> Result<Schedule, FieldError> {
    let mut nth = Schedule::ANEXO_UNICO.nth;
    for (i, n) in nth.iter_mut().enumerate() {
        if let Some(v) = field(f, &format!("prazo_{}", i + 1)) {
            *n = v.parse().map_err(|_| {
                FieldError::at("acao")(format!(
                    "prazo de «{}» `{v}` inválido: esperado o número do dia útil",
                    StepKey::ALL[i].label_pt(kind)
                ))
            })?;
        }
    }
    Schedule::new(nth).map_err(|e| FieldError::at("acao")(e.to_string()))
}

/// The effect a decision form names (`efeito`, applied to `alvo`; `atalaia_core::decision`), if any.
fn effect_of(f: &Fields) -> Result<Option<Effect>, FieldError> {
    let efeito = field(f, "efeito").unwrap_or("");
    let target = field(f, "alvo").unwrap_or("").to_string();
    if !efeito.is_empty() && target.is_empty() {
        return Err(FieldError::at("alvo")(
            "informe a unidade, a apreensão ou a matrícula do efeito".into(),
        ));
    }
    Ok(match efeito {
        "" => None,
        "reintegrar_unidade" => Some(Effect::ReinstateUnit { unit: target }),
        "pagar_apreensao" => Some(Effect::PaySeizure {
            seizure_id: target
                .trim_start_matches("nº")
                .trim()
                .parse()
                .map_err(|_| {
                    FieldError::at("alvo")(format!(
                        "apreensão `{target}` inválida: esperado o número da apreensão"
                    ))
                })?,
        }),
        "incluir_servidor" => Some(Effect::IncludeOperator {
            registration: target,
        }),
        "excluir_servidor" => Some(Effect::ExcludeOperator {
            registration: target,
        }),
        other => {
            return Err(FieldError::at("efeito")(format!(
                "efeito `{other}` desconhecido"
            )));
        }
    })
}

/// The act a committee's cycle form asks for (`acao`: `close`, `decide`, `decision` or `payment`; RECAP's
/// and IPEI's pages post the same forms), or the input to mend.
fn request_of(f: &Fields) -> Result<ActRequest, FieldError> {
    let at = FieldError::at;
    let text = |name| field(f, name).unwrap_or("");
    let run = |why: &str| {
        let v = text("execucao");
        v.parse::<i64>()
            .map_err(|_| at("execucao")(format!("execução `{v}` inválida: {why}")))
    };
    Ok(match text("acao") {
        "close" => ActRequest::Close {
            step: StepKey::parse(text("etapa"))
                .ok_or_else(|| at("acao")(format!("etapa `{}` inválida", text("etapa"))))?,
            justification: text("justificativa").to_string(),
            run_id: match text("execucao") {
                "" => None,
                _ => Some(run("esperado o número")?),
            },
        },
        "decide" => ActRequest::DecideAppeal {
            appeal_id: text("recurso")
                .parse()
                .map_err(|_| at("acao")(format!("recurso `{}` inválido", text("recurso"))))?,
            accepted: text("deferido") == "sim",
            effect: effect_of(f)?,
            text: text("texto").to_string(),
        },
        "decision" => ActRequest::Decision {
            effect: effect_of(f)?,
            text: text("texto").to_string(),
        },
        "payment" => ActRequest::Payment {
            run_id: run("esperado o número")?,
            paid_on: atalaia_core::parse_date(text("pago_em")).map_err(|e| {
                at("pago_em")(format!("data do pagamento `{}`: {e}", text("pago_em")))
            })?,
            payroll_sha256: text("sha256").to_string(),
        },
        other => return Err(at("acao")(format!("ação `{other}` desconhecida"))),
    })
}

/// Which of the committee's cycle forms was sent: the one that opens `period`'s cycle (its schedule
/// from `prazo_1` … `prazo_6`, the Anexo Único's where blank), or one that acts on cycle `id`.
pub(crate) enum CommitteeForm {
    Open(CyclePeriod),
    Act(i64),
}

/// Records what a committee's cycle form asks for, as `who`: back to `done`, or `page` with the form
/// as typed and the reason beside it (its input, or the form as a whole for the cycle's rules).
pub(crate) async fn committee_form<F, Fut>(
    st: &AppState,
    who: &Identity,
    form: CommitteeForm,
    f: &Fields,
    done: (String, crate::done::Done),
    page: F,
) -> Result<Response, AppError>
where
    F: FnOnce(Kept) -> Fut,
    Fut: std::future::Future<Output = Result<Response, AppError>>,
{
    // What the form asks for, once its inputs are read.
    enum Asked {
        Open(CyclePeriod, Schedule),
        Act(i64, ActRequest),
    }
    let asked = match form {
        CommitteeForm::Open(period) => {
            schedule_of(f, period.kind()).map(|s| Asked::Open(period, s))
        }
        CommitteeForm::Act(id) => request_of(f).map(|r| Asked::Act(id, r)),
    };
    let outcome = match asked {
        Err(e) => return page(Kept::refused(f, e)).await,
        Ok(Asked::Open(period, schedule)) => st
            .db
            .open_cycle(
                period,
                &schedule,
                &who.actor(),
                st.config.clock.now_utc(),
                st.config.clock.today(),
            )
            .await
            .map(|_| ()),
        Ok(Asked::Act(id, request)) => act(st, who, id, &request).await.map(|_| ()),
    };
    answer(outcome, done, |why| {
        page(Kept::refused(f, FieldError::at("acao")(why)))
    })
    .await
}

/// Records an act on a cycle as `who`, today by the application's clock.
pub(crate) async fn act(
    st: &AppState,
    who: &Identity,
    cycle_id: i64,
    request: &ActRequest,
) -> Result<i64, StoreError> {
    st.db
        .cycle_act(
            cycle_id,
            request,
            &who.actor(),
            st.config.clock.today(),
            st.config.clock.now_utc(),
        )
        .await
}

/// The answer to a cycle form: on success, back to `done`; refused by the cycle's rules, the form's
/// page again with the reason (`page`); a period not over, the 400 page whatever the form said; a
/// failure, the 500.
pub(crate) async fn answer<T, F, Fut>(
    outcome: Result<T, StoreError>,
    (done, what): (String, crate::done::Done),
    page: F,
) -> Result<Response, AppError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Response, AppError>>,
{
    match outcome {
        Ok(_) => Ok(crate::done::redirect(&done, what)),
        Err(StoreError::Refused(why)) if !matches!(why, Refusal::NotClosed(_)) => {
            page(why.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}
