//! The IPEI's reasons, statuses and shares in words (pt-BR): the one home of these labels for pages,
//! documents and the CLI.

use super::*;
use crate::dates::BrDate;

pub(super) fn share_words(sh: &[PersonShare]) -> String {
    sh.iter()
        .map(|x| {
            if x.reasons.is_empty() {
                format!("{} recebe {}", x.registration, brl(x.amount_cents))
            } else {
                format!(
                    "{} não recebe ({})",
                    x.registration,
                    person_reasons_pt(&x.reasons)
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn seizure_line(
    s: &SeizureInput,
    key: &str,
    status: SeizureStatus,
    reasons: &[SeizureReason],
    sh: &[PersonShare],
    duplicate_of: Option<&str>,
) -> String {
    let head = format!(
        "Apreensão BO {} item {} ({}, {}, unidade {})",
        s.bo_number,
        s.item,
        key,
        s.seized_on.br_date(),
        s.unit
    );
    match status {
        SeizureStatus::Paid => format!("{head}: paga — {}.", share_words(sh)),
        _ => {
            let why: Vec<String> = reasons
                .iter()
                .map(|r| match (r, duplicate_of) {
                    (SeizureReason::Duplicate, Some(d)) => {
                        format!("{} — {d}", seizure_reason_pt(r))
                    }
                    _ => seizure_reason_pt(r).to_string(),
                })
                .collect();
            let people = if sh.iter().any(|x| !x.reasons.is_empty()) {
                format!(" Servidores: {}.", share_words(sh))
            } else {
                String::new()
            };
            format!("{head}: não paga — {}.{people}", why.join("; "))
        }
    }
}

/// The pt-BR word of a seizure's status: "paga", "não paga", "DUPLICATE".
pub fn seizure_status_pt(s: SeizureStatus) -> &'static str {
    match s {
        SeizureStatus::Paid => "paga",
        SeizureStatus::Rejected => "não paga",
        SeizureStatus::Duplicate => "DUPLICATE",
    }
}

/// One named person's share as pages and documents print it: "PM1 R$ 150,00", or "PM1: sem lotação no
/// mês" when refused.
pub fn share_pt(p: &PersonShare) -> String {
    if p.reasons.is_empty() {
        format!("{} {}", p.registration, brl(p.amount_cents))
    } else {
        format!("{}: {}", p.registration, person_reasons_pt(&p.reasons))
    }
}

/// A person's reasons for not being paid, separated by `, `.
pub(super) fn person_reasons_pt(reasons: &[PersonReason]) -> String {
    reasons
        .iter()
        .map(person_reason_pt)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every named person's share, separated by `; `.
pub fn shares_pt(shares: &[PersonShare]) -> String {
    shares.iter().map(share_pt).collect::<Vec<_>>().join("; ")
}

/// A unit's exclusion reasons, separated by `; ` (Art. 15).
pub fn unit_reasons_pt(reasons: &[UnitReason]) -> String {
    reasons
        .iter()
        .map(unit_reason_pt)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The pt-BR words of a unit's exclusion reason.
pub fn unit_reason_pt(r: &UnitReason) -> &'static str {
    match r {
        UnitReason::AwaitingSubmission => "aguardando o envio (o prazo não venceu)",
        UnitReason::NotSubmitted => "não enviou no prazo (Art. 15, I)",
        UnitReason::LateSubmission => "enviou depois do prazo (Art. 15, I)",
        UnitReason::MissingBo => "apreensão sem cópia do BO (Art. 15, II)",
    }
}

/// The pt-BR words of a seizure's reason.
pub fn seizure_reason_pt(r: &SeizureReason) -> &'static str {
    match r {
        SeizureReason::NotFlagrante => "não foi em flagrante (Art. 10)",
        SeizureReason::NoOperators => "o BO não nomeia servidor (Art. 11)",
        SeizureReason::NoBo => "sem cópia do BO (Art. 11)",
        SeizureReason::Duplicate => "DUPLICATE: a mesma arma já foi apresentada",
        SeizureReason::NoEntitledOperator => "nenhum servidor nomeado tem direito (Art. 10)",
        SeizureReason::UnitExcluded => "unidade excluída no mês (Art. 15)",
        SeizureReason::NotDelivered => "não constava do envio da unidade (Art. 14)",
    }
}

/// The pt-BR words of a person's reason.
pub fn person_reason_pt(r: &PersonReason) -> &'static str {
    match r {
        PersonReason::Unknown => "matrícula não cadastrada",
        PersonReason::Institution => "instituição sem direito nesta modalidade (Art. 10)",
        PersonReason::NotServing => "sem lotação no mês",
        PersonReason::LateLaudo => "laudo assinado depois do prazo (Art. 10, parágrafo único)",
        PersonReason::SeizureNotPaid => "a apreensão do laudo não é paga no mês",
        PersonReason::Repeated => "nomeado mais de uma vez",
    }
}
