//! IPEI, modalidade apreensão de armas (Decreto 7.872/2013, Arts. 10–12, 14 and 15;
//! goias-cidadao-seguro.md §5–6): which seizures of a reference month are paid, to whom, how much, and
//! which units are excluded — with the reasons a person can read and the memória de cálculo.
//!
//! [`result`] is pure: the store gathers the month's deliveries, seizures, laudos, the operators they name
//! and the weapons claimed in earlier months; the same inputs always give the same bytes.

mod inputs;
mod report;
#[cfg(test)]
mod tests;
mod words;

pub use inputs::*;
pub use report::*;
pub use words::*;

use crate::Institution;
use crate::dates::BrDate;
use crate::decision::{Decision, Effect};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// The weapon's identity for "paid once": its serial (upper-case, letters and digits only) when it has
/// one, else its BO and item.
pub fn weapon_key(bo_number: &str, item: u32, serial: &str) -> String {
    let s = norm_serial(serial);
    if s.is_empty() {
        format!("BO:{}#{item}", bo_number.trim().to_uppercase())
    } else {
        format!("SERIE:{s}")
    }
}

/// One payment per weapon (Art. 10 pays per "arma de fogo" delivered; goias-cidadao-seguro.md §5: the same
/// weapon is paid once): whether two claims of the same [`weapon_key`] are the same weapon. A serial is
/// compared folded ([`norm_serial`]: `TX-1001`, `tx 1001` and `TX1001` are one), and two makers may use
/// the same serial, so the brands must agree too — folded the same way — when **both** claims give one
/// (`Taurus`/`TAURUS` agree, `Taurus`/`Glock` are two weapons, `Taurus`/blank is one). A weapon without a
/// serial is its BO and item, whatever the brand says.
///
/// Which claim blocks which is [`result`]'s: only a claim *paid* earlier in the month, or in an earlier
/// month (or pending there, [`EarlierClaim`]); a rejected claim never blocks.
pub fn same_weapon(key: &str, brand_a: &str, brand_b: &str) -> bool {
    if !key.starts_with("SERIE:") {
        return true;
    }
    let (a, b) = (norm_serial(brand_a), norm_serial(brand_b));
    a.is_empty() || b.is_empty() || a == b
}

/// A serial as compared: upper-case letters and digits only (`ab-12 3` and `AB123` are the same weapon).
pub fn norm_serial(serial: &str) -> String {
    serial
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Splits `total` centavos among `n` people: equal parts, the remaining centavos one each to the first in
/// the BO's order, so the weapon's amount is paid whole and no more.
fn split(total: i64, n: usize) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    let n64 = n as i64;
    let (q, r) = (total / n64, total % n64);
    (0..n64).map(|i| q + i64::from(i < r)).collect()
}

fn reais(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// Centavos as Brazilian reais: `R$ 1.234,56`.
pub fn brl(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let int = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{sign}R$ {grouped},{:02}", c % 100)
}

fn entitled_for_seizure(institution: &str) -> bool {
    matches!(
        institution.parse::<Institution>(),
        Ok(Institution::Pm | Institution::Pc | Institution::Pp)
    )
}

fn entitled_for_laudo(institution: &str) -> bool {
    matches!(institution.parse::<Institution>(), Ok(Institution::Sptc))
}

/// Pays each named person who passes `check`, sharing `amount` by `share`; refused people get reasons.
fn shares(
    names: &[String],
    amount: i64,
    share: Share,
    check: impl Fn(&str) -> Vec<PersonReason>,
) -> Vec<PersonShare> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<PersonShare> = names
        .iter()
        .map(|r| {
            let reasons = if seen.insert(r.as_str()) {
                check(r)
            } else {
                vec![PersonReason::Repeated]
            };
            PersonShare {
                registration: r.clone(),
                amount_cents: 0,
                reasons,
            }
        })
        .collect();
    let paid: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].reasons.is_empty())
        .collect();
    let parts = match share {
        Share::SplitEqually => split(amount, paid.len()),
        Share::EachFull => vec![amount; paid.len()],
    };
    for (i, part) in paid.into_iter().zip(parts) {
        out[i].amount_cents = part;
    }
    out
}

/// The month's IPEI as it stands on `inputs.as_of`.
///
/// Readings of the decree (each also in the memória when it applies):
/// - A unit is excluded (Art. 15) when it has not sent by the deadline (before the deadline it is shown as
///   awaiting), sent after it, or a seizure it delivered has no BO copy; an appeal that attaches the copy
///   lifts the last exclusion (Art. 14: correcting material already delivered).
/// - Only the operators of PM, PC and the prison system (PP) are entitled (Art. 10); an operator named in
///   the BO who is of another institution, unknown, or without an assignment in the month gets nothing and
///   the weapon's amount is shared among the entitled ones.
/// - Split equally, centavos that do not divide go one each to the first entitled operators in the BO's order.
/// - A weapon is paid once ([`same_weapon`]: its folded serial and, when both claims give one, its brand;
///   BO + item without a serial). Within the month the first claim in the order (date, BO, item, id) that
///   is payable is paid and later ones are duplicates; a weapon paid in an earlier month (or claimed in a
///   month not yet published) is a duplicate (a real re-seizure is a case for the committee, Art. 13); a
///   claim rejected for any other reason blocks nobody.
/// - Art. 10 §ú pays the SPTC expert(s) who sign the laudo "no prazo definido no Anexo Único", which names no
///   step for laudos: we read it as the units' submission deadline of the seizure's month (the laudo is
///   part of the information sent), and pay a laudo only when its weapon is a paid seizure of the month.
/// - The monthly cap applies to everything one person receives in the month; the excess is lost.
pub fn result(params: &IpeiParams, inputs: &MonthInputs) -> IpeiReport {
    let mut memoria = vec![format!(
        "Mês de referência {}; situação em {}; prazo de envio das unidades {}; prazo dos laudos {}.",
        inputs.month,
        inputs.as_of.br_date(),
        inputs.submission_deadline.br_date(),
        inputs.forensic_deadline.br_date(),
    )];
    memoria.push(format!(
        "Parâmetros: {} por arma, {} por laudo, divisão {}, teto mensal por servidor {}.",
        brl(params.amount_per_weapon_cents),
        brl(params.forensic_amount_cents),
        match params.share {
            Share::SplitEqually => "em partes iguais",
            Share::EachFull => "valor integral a cada servidor",
        },
        brl(params.monthly_cap_cents)
    ));

    // Units (Art. 15).
    let mut seizures: Vec<&SeizureInput> = inputs.seizures.iter().collect();
    seizures.sort_by(|a, b| {
        (a.seized_on, &a.bo_number, a.item, a.id).cmp(&(b.seized_on, &b.bo_number, b.item, b.id))
    });
    let mut deliveries: BTreeMap<&str, &UnitDelivery> =
        inputs.units.iter().map(|u| (u.unit.as_str(), u)).collect();
    let mut units: BTreeMap<String, UnitResult> = BTreeMap::new();
    let unit_codes: BTreeSet<&str> = inputs
        .units
        .iter()
        .map(|u| u.unit.as_str())
        .chain(inputs.seizures.iter().map(|s| s.unit.as_str()))
        .collect();
    for code in unit_codes {
        let d = deliveries.remove(code);
        let delivered: BTreeSet<i64> = d
            .map(|d| d.delivered.iter().copied().collect())
            .unwrap_or_default();
        let mut reasons = Vec::new();
        match d.and_then(|d| d.submitted_on) {
            None if inputs.as_of <= inputs.submission_deadline => {
                reasons.push(UnitReason::AwaitingSubmission)
            }
            None => reasons.push(UnitReason::NotSubmitted),
            Some(on) if on > inputs.submission_deadline => reasons.push(UnitReason::LateSubmission),
            Some(_) => {}
        }
        let missing: Vec<&str> = seizures
            .iter()
            .filter(|s| s.unit == code && delivered.contains(&s.id) && s.bo_sha256.is_none())
            .map(|s| s.bo_number.as_str())
            .collect();
        if !missing.is_empty() {
            reasons.push(UnitReason::MissingBo);
        }
        // Art. 13/14: the committee reinstates a unit excluded for its deadline or a missing BO copy;
        // one that sent nothing has nothing to reinstate (Art. 14: no material not delivered).
        let reinstated = crate::decision::latest(
            &inputs.decisions,
            |e| matches!(e, Effect::ReinstateUnit { unit } if unit == code),
        )
        .filter(|_| {
            !reasons.is_empty()
                && reasons
                    .iter()
                    .all(|r| matches!(r, UnitReason::LateSubmission | UnitReason::MissingBo))
        });
        let reinstated_line = reinstated.map(|decision| {
            format!(
                "Unidade {code}: incluída por {} (excluída por: {}).",
                decision.cite_pt(),
                unit_reasons_pt(&reasons)
            )
        });
        if reinstated.is_some() {
            reasons.clear();
        }
        let name = d.map(|d| d.name.clone()).unwrap_or_default();
        let line = match reasons.first() {
            None => format!("Unidade {code}: incluída (enviou no prazo, documentação completa)."),
            Some(_) => {
                let mut why = Vec::new();
                for r in &reasons {
                    why.push(match r {
                        UnitReason::AwaitingSubmission => {
                            "ainda não enviou (o prazo não venceu)".to_string()
                        }
                        UnitReason::NotSubmitted => "não enviou no prazo (Art. 15, I)".to_string(),
                        UnitReason::LateSubmission => format!(
                            "enviou em {}, depois do prazo (Art. 15, I)",
                            d.and_then(|d| d.submitted_on)
                                .map(|x| x.br_date())
                                .unwrap_or_default()
                        ),
                        UnitReason::MissingBo => format!(
                            "apreensão sem cópia do BO: {} (Art. 15, II)",
                            missing.join(", ")
                        ),
                    });
                }
                format!("Unidade {code}: excluída — {}.", why.join("; "))
            }
        };
        memoria.push(reinstated_line.unwrap_or(line));
        units.insert(
            code.to_string(),
            UnitResult {
                code: code.to_string(),
                name,
                status: if reasons.is_empty() {
                    UnitStatus::Included
                } else {
                    UnitStatus::Excluded
                },
                reasons,
                submitted_on: d.and_then(|d| d.submitted_on),
                seizures: 0,
                paid: 0,
                decision: reinstated.map(Decision::cite_pt),
            },
        );
    }
    let delivered: BTreeSet<i64> = inputs
        .units
        .iter()
        .flat_map(|u| u.delivered.iter().copied())
        .collect();

    // Seizures (Arts. 10, 11, 14; paid once, `same_weapon`).
    let mut earlier: BTreeMap<&str, Vec<&EarlierClaim>> = BTreeMap::new();
    for c in &inputs.earlier {
        earlier.entry(c.key.as_str()).or_default().push(c);
    }
    // Paid so far this month, by key: (brand, BO).
    let mut claimed: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut results = Vec::new();
    let operator_check = |r: &str| -> Vec<PersonReason> {
        match inputs.operators.get(r) {
            None => vec![PersonReason::Unknown],
            Some(o) if !entitled_for_seizure(&o.institution) => vec![PersonReason::Institution],
            Some(o) if !o.served_in_month => vec![PersonReason::NotServing],
            Some(_) => Vec::new(),
        }
    };
    for s in &seizures {
        let key = weapon_key(&s.bo_number, s.item, &s.serial);
        let mut reasons = Vec::new();
        let mut duplicate_of = None;
        let before = earlier
            .get(key.as_str())
            .into_iter()
            .flatten()
            .find(|c| same_weapon(&key, &c.brand, &s.brand));
        let this_month = claimed
            .get(&key)
            .into_iter()
            .flatten()
            .find(|(brand, _)| same_weapon(&key, brand, &s.brand));
        if let Some(c) = before {
            reasons.push(SeizureReason::Duplicate);
            let pending = if c.pending {
                ", resultado ainda não publicado"
            } else {
                ""
            };
            duplicate_of = Some(format!("BO {} ({}{pending})", c.bo_number, c.month));
        } else if let Some((_, bo)) = this_month {
            reasons.push(SeizureReason::Duplicate);
            duplicate_of = Some(format!("BO {bo} ({})", inputs.month));
        }
        if !delivered.contains(&s.id)
            && units.get(&s.unit).is_some_and(|u| u.submitted_on.is_some())
        {
            reasons.push(SeizureReason::NotDelivered);
        }
        if !s.flagrante {
            reasons.push(SeizureReason::NotFlagrante);
        }
        if s.registrations.is_empty() {
            reasons.push(SeizureReason::NoOperators);
        }
        if s.bo_sha256.is_none() {
            reasons.push(SeizureReason::NoBo);
        }
        let mut sh = shares(
            &s.registrations,
            params.amount_per_weapon_cents,
            params.share,
            operator_check,
        );
        if !s.registrations.is_empty() && sh.iter().all(|x| !x.reasons.is_empty()) {
            reasons.push(SeizureReason::NoEntitledOperator);
        }
        if units
            .get(&s.unit)
            .is_some_and(|u| u.status == UnitStatus::Excluded)
        {
            reasons.push(SeizureReason::UnitExcluded);
        }
        // Art. 13/14: the committee has a rejected or duplicate seizure paid — never one the unit did
        // not deliver, nor one with nobody entitled to the amount.
        let overturned = crate::decision::latest(
            &inputs.decisions,
            |e| matches!(e, Effect::PaySeizure { seizure_id } if *seizure_id == s.id),
        )
        .filter(|_| {
            !reasons.is_empty()
                && !reasons.iter().any(|r| {
                    matches!(
                        r,
                        SeizureReason::NotDelivered
                            | SeizureReason::NoOperators
                            | SeizureReason::NoEntitledOperator
                    )
                })
        });
        if let Some(decision) = overturned {
            memoria.push(format!(
                "Apreensão nº {} (BO {}): paga por {} (antes: {}).",
                s.id,
                s.bo_number,
                decision.cite_pt(),
                reasons
                    .iter()
                    .map(seizure_reason_pt)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            reasons.clear();
            duplicate_of = None;
        }
        let status = if reasons.is_empty() {
            claimed
                .entry(key.clone())
                .or_default()
                .push((s.brand.clone(), s.bo_number.clone()));
            SeizureStatus::Paid
        } else if reasons.contains(&SeizureReason::Duplicate) {
            SeizureStatus::Duplicate
        } else {
            SeizureStatus::Rejected
        };
        if status != SeizureStatus::Paid {
            for x in &mut sh {
                x.amount_cents = 0;
            }
        }
        let operators: Vec<String> = sh
            .iter()
            .filter(|x| x.amount_cents > 0)
            .map(|x| x.registration.clone())
            .collect();
        if let Some(u) = units.get_mut(&s.unit) {
            u.seizures += 1;
            u.paid += usize::from(status == SeizureStatus::Paid);
        }
        memoria.push(seizure_line(
            s,
            &key,
            status,
            &reasons,
            &sh,
            duplicate_of.as_deref(),
        ));
        results.push(SeizureResult {
            id: s.id,
            bo_number: s.bo_number.clone(),
            item: s.item,
            serial: s.serial.clone(),
            unit: s.unit.clone(),
            seized_on: s.seized_on,
            status,
            reasons,
            operators,
            shares: sh,
            duplicate_of,
            decision: overturned.map(Decision::cite_pt),
        });
    }

    // Laudos (Art. 10 §ú): one per weapon, every signing expert a row.
    let mut laudos: BTreeMap<(String, String), Vec<&ForensicInput>> = BTreeMap::new();
    for f in &inputs.forensic {
        let serial = norm_serial(&f.serial);
        laudos
            .entry((f.bo_number.trim().to_uppercase(), serial))
            .or_default()
            .push(f);
    }
    let mut laudo_results = Vec::new();
    for ((bo, serial), mut rows) in laudos {
        rows.sort_by_key(|f| f.id);
        let seizure = results
            .iter()
            .find(|s| s.bo_number.trim().to_uppercase() == bo && norm_serial(&s.serial) == serial);
        let seizure_paid = seizure.is_some_and(|s| s.status == SeizureStatus::Paid);
        let names: Vec<String> = rows.iter().map(|f| f.expert_registration.clone()).collect();
        let signed: BTreeMap<&str, NaiveDate> = rows
            .iter()
            .map(|f| (f.expert_registration.as_str(), f.signed_on))
            .collect();
        let sh = shares(&names, params.forensic_amount_cents, params.share, |r| {
            let mut why = match inputs.operators.get(r) {
                None => vec![PersonReason::Unknown],
                Some(o) if !entitled_for_laudo(&o.institution) => vec![PersonReason::Institution],
                Some(o) if !o.served_in_month => vec![PersonReason::NotServing],
                Some(_) => Vec::new(),
            };
            if signed.get(r).is_some_and(|d| *d > inputs.forensic_deadline) {
                why.push(PersonReason::LateLaudo);
            }
            if !seizure_paid {
                why.push(PersonReason::SeizureNotPaid);
            }
            why
        });
        memoria.push(format!(
            "Laudo da arma {} do BO {}: {}.",
            if serial.is_empty() {
                "sem série".to_string()
            } else {
                format!("série {serial}")
            },
            bo,
            share_words(&sh)
        ));
        laudo_results.push(LaudoResult {
            bo_number: bo,
            serial,
            seizure_id: seizure.map(|s| s.id),
            shares: sh,
        });
    }

    // Payments and the monthly cap.
    let mut earned: BTreeMap<&str, i64> = BTreeMap::new();
    for x in results
        .iter()
        .flat_map(|s| s.shares.iter())
        .chain(laudo_results.iter().flat_map(|l| l.shares.iter()))
    {
        if x.amount_cents > 0 {
            *earned.entry(x.registration.as_str()).or_default() += x.amount_cents;
        }
    }
    let mut payments = Vec::new();
    for (reg, cents) in earned {
        let paid = cents.min(params.monthly_cap_cents);
        let o = inputs.operators.get(reg);
        if paid < cents {
            memoria.push(format!(
                "Servidor {reg}: {} no mês, limitado ao teto de {} (o excedente de {} não passa ao mês seguinte).",
                brl(cents),
                brl(params.monthly_cap_cents),
                brl(cents - paid)
            ));
        }
        payments.push(Payment {
            registration: reg.to_string(),
            name: o.map(|o| o.name.clone()).unwrap_or_default(),
            institution: o.map(|o| o.institution.clone()).unwrap_or_default(),
            amount: reais(paid),
            amount_cents: paid,
            earned_cents: cents,
            capped: paid < cents,
        });
    }
    let total_cents: i64 = payments.iter().map(|p| p.amount_cents).sum();
    memoria.push(format!(
        "Total do mês: {} a {} servidor(es).",
        brl(total_cents),
        payments.len()
    ));
    IpeiReport {
        month: inputs.month,
        stage: MonthStage::Open,
        parameters: *params,
        units: units.into_values().collect(),
        seizures: results,
        laudos: laudo_results,
        payments,
        total: reais(total_cents),
        total_cents,
        memoria,
    }
}
