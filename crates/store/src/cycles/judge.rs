//! Whether an act may be recorded: the cycle rules' verdict (`atalaia_core::cycle`) plus what only the
//! database knows — the run exists and is of the period, the unit and the operators exist, the appeal
//! is undecided, the period is not paid yet.

use super::*;
use crate::{Db, Refusal, Result, StoreError, on_db};
use atalaia_core::cycle::{self, CycleKind, CyclePeriod, CycleState, Deadline, StepKey, Timing};
use atalaia_core::dates::BrDate;
use chrono::NaiveDate;

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

impl Db {
    pub(super) async fn cycle_key(&self, id: i64) -> Result<Option<(CycleKind, CyclePeriod)>> {
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
        let period = CyclePeriod::parse(kind, &period)
            .ok_or_else(|| StoreError::Corrupt(format!("período de ciclo `{period}`")))?;
        Ok(Some((kind, period)))
    }

    /// The rules' verdict on a request, plus the checks that need the database (the run exists and is
    /// of the period; the unit exists; the appeal is an undecided appeal of this cycle).
    pub(super) async fn judge(
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
                    other_unit(s.record.unit_code.as_str()).map_or(Ok(()), Err)
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
