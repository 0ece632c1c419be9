//! IPEI, modalidade apreensão de armas (Decreto 7.872/2013, Arts. 10–12, 14 and 15;
//! goias-cidadao-seguro.md §5–6): which seizures of a reference month are paid, to whom, how much, and
//! which units are excluded — with the reasons a person can read and the memória de cálculo.
//!
//! [`result`] is pure: the store gathers the month's deliveries, seizures, laudos, the operators they name
//! and the weapons claimed in earlier months; the same inputs always give the same bytes.

use crate::dates::BrDate;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Effect};

use crate::{Institution, Month};

/// How the amount of one weapon is shared among the operators the BO names (a parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Share {
    /// The amount is divided among the entitled operators (the default).
    SplitEqually,
    /// Every entitled operator receives the whole amount.
    EachFull,
}

impl Share {
    /// The parameter's value as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Share::SplitEqually => "split_equally",
            Share::EachFull => "each_full",
        }
    }
}

/// The IPEI parameters of the program configuration, in centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IpeiParams {
    /// Per weapon seized (R$ 300 after Lei 19.984/2018).
    pub amount_per_weapon_cents: i64,
    /// Per weapon whose laudo an SPTC expert signs in time (Art. 10 §ú).
    pub forensic_amount_cents: i64,
    /// How a weapon's amount is shared.
    pub share: Share,
    /// The most one operator receives in a month; the excess is not carried into the next month.
    pub monthly_cap_cents: i64,
}

impl IpeiParams {
    /// The decree's reading: R$ 300 per weapon and per laudo, split equally, R$ 1 000 a month at most.
    pub fn decree_default() -> IpeiParams {
        IpeiParams {
            amount_per_weapon_cents: 30_000,
            forensic_amount_cents: 30_000,
            share: Share::SplitEqually,
            monthly_cap_cents: 100_000,
        }
    }
}

/// What the store knows of an operator a BO or a laudo names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorFacts {
    pub name: String,
    /// Institution code (`PM`, `PC`, `PP`, `SPTC`, …).
    pub institution: String,
    /// Whether an assignment (lotação or disposição) covers at least one day of the month.
    pub served_in_month: bool,
}

/// One seizure of the month as delivered (and, after appeals, as corrected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeizureInput {
    /// Store id (stable order and links).
    pub id: i64,
    /// The BO of the judicial police (Art. 11).
    pub bo_number: String,
    /// The weapon's position in the BO (identifies it when it has no serial).
    pub item: u32,
    /// Serial number as written (empty when none).
    pub serial: String,
    /// The unit that claims it.
    pub unit: String,
    /// Date of the seizure.
    pub seized_on: NaiveDate,
    /// In flagrante (Art. 10).
    pub flagrante: bool,
    /// The operators the BO names, in the BO's order.
    pub registrations: Vec<String>,
    /// SHA-256 of the BO copy, when attached (Art. 12).
    pub bo_sha256: Option<String>,
    /// The weapon's brand as written (empty when unknown): with the serial, its identity
    /// ([`same_weapon`]). Absent from runs saved before it: empty, the serial alone.
    #[serde(default)]
    pub brand: String,
}

/// One laudo signature (Art. 10 §ú): several experts sign the same laudo in several rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForensicInput {
    /// Store id.
    pub id: i64,
    /// The BO of the seizure.
    pub bo_number: String,
    /// The weapon's serial (empty for a weapon without one).
    pub serial: String,
    /// The expert.
    pub expert_registration: String,
    /// When the expert signed.
    pub signed_on: NaiveDate,
}

/// A unit's delivery of the month (Art. 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDelivery {
    /// Unit code.
    pub unit: String,
    /// Unit name.
    pub name: String,
    /// When the head sent the month (none: not sent).
    pub submitted_on: Option<NaiveDate>,
    /// The seizures in the delivery as sent (Art. 14: appeals only correct these).
    pub delivered: Vec<i64>,
}

/// A weapon claimed in an earlier month that blocks a later claim ([`same_weapon`]): paid in its month's
/// published result, or in a month with no result published yet (it may still be paid). A claim that
/// month rejected is not one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierClaim {
    /// The weapon's identity ([`weapon_key`]).
    pub key: String,
    /// The month of that claim.
    pub month: Month,
    /// Its BO.
    pub bo_number: String,
    /// Its brand as written (empty when unknown).
    #[serde(default)]
    pub brand: String,
    /// Its month has no published result yet.
    #[serde(default)]
    pub pending: bool,
}

/// Everything a month's result depends on (frozen with a saved run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthInputs {
    /// The reference month.
    pub month: Month,
    /// The day the result is read ("as it stands").
    pub as_of: NaiveDate,
    /// The units' submission deadline (5th business day of the next month, or as the cycle set it).
    pub submission_deadline: NaiveDate,
    /// The laudos' deadline (Art. 10 §ú; see [`result`]).
    pub forensic_deadline: NaiveDate,
    /// Units that delivered or have seizures in the month.
    pub units: Vec<UnitDelivery>,
    /// The month's seizures.
    pub seizures: Vec<SeizureInput>,
    /// The laudos of the month's seizures.
    pub forensic: Vec<ForensicInput>,
    /// Every operator named above, by registration.
    pub operators: BTreeMap<String, OperatorFacts>,
    /// Weapons claimed in earlier months.
    pub earlier: Vec<EarlierClaim>,
    /// The committee's decisions on the month that take effect (`crate::decision`). Absent from runs
    /// saved before them, and from the JSON when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
}

/// Why a unit is excluded from the month (Art. 15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnitReason {
    /// The deadline to send has not passed and the unit has not sent yet.
    AwaitingSubmission,
    /// The deadline passed and the unit did not send (Art. 15 I).
    NotSubmitted,
    /// Sent after the deadline (Art. 15 I).
    LateSubmission,
    /// A delivered seizure has no BO copy (Art. 15 II with Art. 11).
    MissingBo,
}

/// Why a seizure is not paid (or not wholly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeizureReason {
    /// Not in flagrante (Art. 10).
    NotFlagrante,
    /// The BO names no operator (Art. 11).
    NoOperators,
    /// No BO copy attached (Art. 11).
    NoBo,
    /// The same weapon was already claimed (by serial, or BO + item).
    Duplicate,
    /// None of the named operators is entitled.
    NoEntitledOperator,
    /// The unit is excluded from the month (Art. 15).
    UnitExcluded,
    /// Not in the unit's delivery: added after it was sent (Art. 14).
    NotDelivered,
}

/// Why one named person is not paid for a seizure or laudo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PersonReason {
    /// No operator with this registration.
    Unknown,
    /// An institution the modality does not entitle (Art. 10: PM, PC, prison system; §ú: SPTC experts).
    Institution,
    /// No assignment in the month ("no exercício de suas atividades").
    NotServing,
    /// The laudo was signed after its deadline (Art. 10 §ú).
    LateLaudo,
    /// The laudo's weapon is not a paid seizure of the month.
    SeizureNotPaid,
    /// The same person named twice on the same weapon.
    Repeated,
}

/// A person named on a seizure or laudo and what they get from it (before the monthly cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonShare {
    pub registration: String,
    /// Centavos from this weapon (zero when refused).
    pub amount_cents: i64,
    /// Why nothing (empty when paid).
    pub reasons: Vec<PersonReason>,
}

/// Status of a seizure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeizureStatus {
    /// Paid to at least one operator.
    Paid,
    /// Not paid.
    Rejected,
    /// The weapon was claimed before.
    Duplicate,
}

/// Status of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// In the month's payment.
    Included,
    /// Excluded (Art. 15).
    Excluded,
}

/// A unit's line of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitResult {
    /// Unit code.
    pub code: String,
    /// Unit name.
    pub name: String,
    /// Included or excluded.
    pub status: UnitStatus,
    /// Why excluded.
    pub reasons: Vec<UnitReason>,
    /// When the head sent the month.
    pub submitted_on: Option<NaiveDate>,
    /// Seizures claimed.
    pub seizures: usize,
    /// Seizures paid.
    pub paid: usize,
    /// The committee's decision that reinstated it, cited (`crate::decision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// A seizure's line of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeizureResult {
    /// Store id.
    pub id: i64,
    pub bo_number: String,
    /// Item in the BO.
    pub item: u32,
    pub serial: String,
    pub unit: String,
    pub seized_on: NaiveDate,
    /// Paid, rejected or duplicate.
    pub status: SeizureStatus,
    /// Why not paid.
    pub reasons: Vec<SeizureReason>,
    /// The operators paid for it (registrations).
    pub operators: Vec<String>,
    /// Every named operator with their share or why none.
    pub shares: Vec<PersonShare>,
    /// For a duplicate: the claim it repeats (`BO`, month).
    pub duplicate_of: Option<String>,
    /// The committee's decision that had it paid, cited (`crate::decision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// A laudo's line of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaudoResult {
    pub bo_number: String,
    pub serial: String,
    /// The seizure it characterises, if found.
    pub seizure_id: Option<i64>,
    /// Every signing expert with their share or why none.
    pub shares: Vec<PersonShare>,
}

/// One person's payment of the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payment {
    pub registration: String,
    /// Name (empty when unknown).
    pub name: String,
    /// Institution code.
    pub institution: String,
    /// Reais paid (after the cap).
    pub amount: f64,
    /// Centavos paid (after the cap).
    pub amount_cents: i64,
    /// Centavos earned before the cap.
    pub earned_cents: i64,
    /// Whether the monthly cap cut it.
    pub capped: bool,
}

/// Where a month's IPEI stands, from the date and its cycle (the `stage` of contracts.md's JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonthStage {
    /// The month is not over: figures so far, no payment (`crate::closing`).
    Running,
    /// Units still sending; no result published.
    Open,
    /// The partial result is published (open to appeal, Art. 14).
    Partial,
    /// The final result is published.
    Final,
}

impl MonthStage {
    /// The code stored and printed in JSON: `running`, `open`, `partial`, `final`.
    pub fn as_str(self) -> &'static str {
        match self {
            MonthStage::Running => "running",
            MonthStage::Open => "open",
            MonthStage::Partial => "partial",
            MonthStage::Final => "final",
        }
    }

    /// The code read back.
    pub fn parse(code: &str) -> Option<MonthStage> {
        [
            MonthStage::Running,
            MonthStage::Open,
            MonthStage::Partial,
            MonthStage::Final,
        ]
        .into_iter()
        .find(|s| s.as_str() == code)
    }

    /// In a sentence: "em andamento", "em aberto", "resultado parcial", "resultado final".
    pub fn label_pt(self) -> &'static str {
        match self {
            MonthStage::Running => "em andamento",
            MonthStage::Open => "em aberto",
            MonthStage::Partial => "resultado parcial",
            MonthStage::Final => "resultado final",
        }
    }
}

/// The month's result (`atalaia ipei result`, contracts.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpeiReport {
    /// Reference month.
    pub month: Month,
    /// Where the month stands — set by the caller from the date and the cycle.
    pub stage: MonthStage,
    /// Parameters used.
    pub parameters: IpeiParams,
    pub units: Vec<UnitResult>,
    pub seizures: Vec<SeizureResult>,
    pub laudos: Vec<LaudoResult>,
    /// Payments, by registration.
    pub payments: Vec<Payment>,
    /// Total paid, reais.
    pub total: f64,
    /// Total paid, centavos.
    pub total_cents: i64,
    /// The memória de cálculo (pt-BR), in the order the rules were applied.
    pub memoria: Vec<String>,
}

impl IpeiReport {
    /// The figures so far of a month that may not pay yet (`crate::closing`): no payment, and the
    /// memória says why.
    pub fn withhold_payments(&mut self, why: &str) {
        self.stage = MonthStage::Running;
        self.payments.clear();
        self.total = 0.0;
        self.total_cents = 0;
        self.memoria.push(format!("Sem pagamentos: {why}."));
    }
}

/// One line of a month's named payroll (`atalaia ipei payroll`): what a person receives and for which
/// weapons and laudos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayrollLine {
    pub registration: String,
    pub name: String,
    pub institution: String,
    /// Centavos received (after the monthly cap).
    pub amount_centavos: i64,
    /// Whether the monthly cap cut it.
    pub capped: bool,
    /// The weapons it pays for, `BO/item`, seizures then laudos, in the result's order.
    pub seizures: Vec<String>,
}

/// The month's named payroll: one line per payment, with the seizures and laudos behind it.
pub fn payroll(report: &IpeiReport) -> Vec<PayrollLine> {
    let item_of = |seizure_id: Option<i64>| {
        report
            .seizures
            .iter()
            .find(|s| Some(s.id) == seizure_id)
            .map(|s| s.item)
    };
    report
        .payments
        .iter()
        .map(|p| {
            let earns = |shares: &[PersonShare]| {
                shares
                    .iter()
                    .any(|x| x.registration == p.registration && x.amount_cents > 0)
            };
            let seizures = report
                .seizures
                .iter()
                .filter(|s| earns(&s.shares))
                .map(|s| format!("{}/{}", s.bo_number, s.item));
            let laudos = report.laudos.iter().filter(|l| earns(&l.shares)).map(|l| {
                match item_of(l.seizure_id) {
                    Some(item) => format!("{}/{item}", l.bo_number),
                    None => l.bo_number.clone(),
                }
            });
            PayrollLine {
                registration: p.registration.clone(),
                name: p.name.clone(),
                institution: p.institution.clone(),
                amount_centavos: p.amount_cents,
                capped: p.capped,
                seizures: seizures.chain(laudos).collect(),
            }
        })
        .collect()
}

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

fn share_words(sh: &[PersonShare]) -> String {
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

fn seizure_line(
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
fn person_reasons_pt(reasons: &[PersonReason]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_for_pages_and_documents() {
        let paid = PersonShare {
            registration: "PM1".into(),
            amount_cents: 15_000,
            reasons: Vec::new(),
        };
        let refused = PersonShare {
            registration: "BM1".into(),
            amount_cents: 0,
            reasons: vec![PersonReason::Institution, PersonReason::NotServing],
        };
        assert_eq!(share_pt(&paid), "PM1 R$ 150,00");
        assert_eq!(
            shares_pt(&[paid, refused]),
            "PM1 R$ 150,00; BM1: instituição sem direito nesta modalidade (Art. 10), sem lotação no mês"
        );
        assert_eq!(
            unit_reasons_pt(&[UnitReason::LateSubmission, UnitReason::MissingBo]),
            "enviou depois do prazo (Art. 15, I); apreensão sem cópia do BO (Art. 15, II)"
        );
        assert_eq!(seizure_status_pt(SeizureStatus::Duplicate), "DUPLICATE");
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, day).unwrap()
    }

    fn op(inst: &str, serving: bool) -> OperatorFacts {
        OperatorFacts {
            name: format!("Servidor {inst}"),
            institution: inst.into(),
            served_in_month: serving,
        }
    }

    fn seizure(
        id: i64,
        unit: &str,
        bo: &str,
        serial: &str,
        day: u32,
        regs: &[&str],
    ) -> SeizureInput {
        SeizureInput {
            id,
            bo_number: bo.into(),
            item: 1,
            serial: serial.into(),
            unit: unit.into(),
            seized_on: d(3, day),
            flagrante: true,
            registrations: regs.iter().map(|r| r.to_string()).collect(),
            bo_sha256: Some(format!("sha-{id}")),
            brand: String::new(),
        }
    }

    fn laudo(id: i64, bo: &str, serial: &str, expert: &str, signed: NaiveDate) -> ForensicInput {
        ForensicInput {
            id,
            bo_number: bo.into(),
            serial: serial.into(),
            expert_registration: expert.into(),
            signed_on: signed,
        }
    }

    /// A month worked out by hand: every rule of Arts. 10–15 once, amounts in centavos.
    fn month() -> MonthInputs {
        let mut s3 = seizure(3, "U1", "C", "", 4, &["PM1"]);
        s3.flagrante = false;
        let mut s8 = seizure(8, "U3", "I", "Z2", 9, &["PM3"]);
        s8.bo_sha256 = None;
        MonthInputs {
            month: Month::parse("2024-03").unwrap(),
            as_of: d(4, 20),
            submission_deadline: d(4, 5),
            forensic_deadline: d(4, 5),
            units: vec![
                UnitDelivery {
                    unit: "U1".into(),
                    name: "1º BPM".into(),
                    submitted_on: Some(d(4, 3)),
                    delivered: vec![1, 2, 3, 4, 5, 6, 10, 11, 12, 14],
                },
                UnitDelivery {
                    unit: "U2".into(),
                    name: "2º BPM".into(),
                    submitted_on: Some(d(4, 8)),
                    delivered: vec![7],
                },
                UnitDelivery {
                    unit: "U3".into(),
                    name: "3ª DRP".into(),
                    submitted_on: Some(d(4, 2)),
                    delivered: vec![8],
                },
            ],
            seizures: vec![
                seizure(1, "U1", "A", "ab-12", 2, &["PM1", "PM2", "BM1"]),
                seizure(2, "U1", "B", "AB12", 5, &["PM2"]),
                s3,
                seizure(4, "U1", "D", "X1", 6, &["PM1", "PM2", "PM3"]),
                seizure(5, "U1", "E", "X2", 7, &["PC1"]),
                seizure(6, "U1", "F", "X3", 8, &["PM1", "PP1", "PM1"]),
                seizure(7, "U2", "H", "Z1", 9, &["PM3"]),
                s8,
                seizure(10, "U1", "G1", "Y1", 10, &["PM1"]),
                seizure(11, "U1", "G2", "Y2", 11, &["PM1"]),
                seizure(12, "U1", "G3", "Y3", 12, &["PM1"]),
                seizure(13, "U1", "J", "Z3", 13, &["PM2"]),
                seizure(14, "U1", "K", "q-9", 14, &["PM2"]),
            ],
            forensic: vec![
                laudo(1, "A", "AB-12", "SP1", d(4, 4)),
                laudo(2, "A", "AB-12", "SP2", d(4, 5)),
                laudo(3, "D", "X1", "SP1", d(4, 10)),
                laudo(4, "C", "", "SP2", d(4, 1)),
            ],
            operators: BTreeMap::from([
                ("PM1".into(), op("PM", true)),
                ("PM2".into(), op("PM", true)),
                ("PM3".into(), op("PM", true)),
                ("BM1".into(), op("BM", true)),
                ("PC1".into(), op("PC", false)),
                ("PP1".into(), op("PP", true)),
                ("SP1".into(), op("SPTC", true)),
                ("SP2".into(), op("SPTC", true)),
            ]),
            earlier: vec![EarlierClaim {
                key: "SERIE:Q9".into(),
                month: Month::parse("2024-02").unwrap(),
                bo_number: "OLD".into(),
                brand: String::new(),
                pending: false,
            }],
            decisions: Vec::new(),
        }
    }

    fn status_of(
        r: &IpeiReport,
        id: i64,
    ) -> (SeizureStatus, Vec<SeizureReason>, Vec<(String, i64)>) {
        let s = r.seizures.iter().find(|s| s.id == id).unwrap();
        (
            s.status,
            s.reasons.clone(),
            s.shares
                .iter()
                .map(|x| (x.registration.clone(), x.amount_cents))
                .collect(),
        )
    }

    fn owned(v: &[(&str, i64)]) -> Vec<(String, i64)> {
        v.iter().map(|(r, c)| (r.to_string(), *c)).collect()
    }

    #[test]
    fn a_month_worked_out_by_hand() {
        use SeizureReason as R;
        use SeizureStatus as S;
        let r = result(&IpeiParams::decree_default(), &month());
        // Units (Art. 15): U2 sent on 08/04 after the 05/04 deadline; U3 delivered a seizure without its BO.
        let units: Vec<(&str, UnitStatus, Vec<UnitReason>, usize, usize)> = r
            .units
            .iter()
            .map(|u| {
                (
                    u.code.as_str(),
                    u.status,
                    u.reasons.clone(),
                    u.seizures,
                    u.paid,
                )
            })
            .collect();
        assert_eq!(
            units,
            [
                ("U1", UnitStatus::Included, vec![], 11, 6),
                (
                    "U2",
                    UnitStatus::Excluded,
                    vec![UnitReason::LateSubmission],
                    1,
                    0
                ),
                (
                    "U3",
                    UnitStatus::Excluded,
                    vec![UnitReason::MissingBo],
                    1,
                    0
                ),
            ]
        );
        // BM1 is not entitled (Art. 10): R$ 300 split between PM1 and PM2.
        assert_eq!(
            status_of(&r, 1),
            (
                S::Paid,
                vec![],
                owned(&[("PM1", 15_000), ("PM2", 15_000), ("BM1", 0)])
            )
        );
        assert_eq!(r.seizures[0].shares[2].reasons, [PersonReason::Institution]);
        // The same weapon (serial ab-12 = AB12) claimed again.
        assert_eq!(status_of(&r, 2).0, S::Duplicate);
        assert_eq!(
            r.seizures
                .iter()
                .find(|s| s.id == 2)
                .unwrap()
                .duplicate_of
                .as_deref(),
            Some("BO A (2024-03)")
        );
        assert_eq!(status_of(&r, 3).1, [R::NotFlagrante]);
        assert_eq!(
            status_of(&r, 4).2,
            owned(&[("PM1", 10_000), ("PM2", 10_000), ("PM3", 10_000)])
        );
        assert_eq!(status_of(&r, 5).1, [R::NoEntitledOperator]);
        // PM1 named twice: paid once, the amount split with PP1 (prison system, entitled).
        assert_eq!(
            status_of(&r, 6).2,
            owned(&[("PM1", 15_000), ("PP1", 15_000), ("PM1", 0)])
        );
        assert_eq!(status_of(&r, 7).1, [R::UnitExcluded]);
        assert_eq!(status_of(&r, 8).1, [R::NoBo, R::UnitExcluded]);
        assert_eq!(status_of(&r, 13).1, [R::NotDelivered]);
        assert_eq!(status_of(&r, 14).0, S::Duplicate);
        assert_eq!(
            r.seizures
                .iter()
                .find(|s| s.id == 14)
                .unwrap()
                .duplicate_of
                .as_deref(),
            Some("BO OLD (2024-02)")
        );
        // Laudos: weapon A by two experts in time; D signed late; C's weapon is not paid.
        let laudos: Vec<(String, Vec<(String, i64)>)> = r
            .laudos
            .iter()
            .map(|l| {
                (
                    l.bo_number.clone(),
                    l.shares
                        .iter()
                        .map(|x| (x.registration.clone(), x.amount_cents))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            laudos,
            [
                ("A".to_string(), owned(&[("SP1", 15_000), ("SP2", 15_000)])),
                ("C".to_string(), owned(&[("SP2", 0)])),
                ("D".to_string(), owned(&[("SP1", 0)])),
            ]
        );
        assert_eq!(
            r.laudos[1].shares[0].reasons,
            [PersonReason::SeizureNotPaid]
        );
        assert_eq!(r.laudos[2].shares[0].reasons, [PersonReason::LateLaudo]);
        // PM1: 150 + 100 + 150 + 3 × 300 = R$ 1 300, capped at R$ 1 000.
        let pay: Vec<(&str, i64, i64, bool)> = r
            .payments
            .iter()
            .map(|p| {
                (
                    p.registration.as_str(),
                    p.amount_cents,
                    p.earned_cents,
                    p.capped,
                )
            })
            .collect();
        assert_eq!(
            pay,
            [
                ("PM1", 100_000, 130_000, true),
                ("PM2", 25_000, 25_000, false),
                ("PM3", 10_000, 10_000, false),
                ("PP1", 15_000, 15_000, false),
                ("SP1", 15_000, 15_000, false),
                ("SP2", 15_000, 15_000, false),
            ]
        );
        assert_eq!(r.total_cents, 180_000);
        assert_eq!(r.total, 1800.0);
        assert!(
            r.memoria.iter().any(|l| l
                == "Servidor PM1: R$ 1.300,00 no mês, limitado ao teto de R$ 1.000,00 (o excedente de R$ 300,00 não passa ao mês seguinte)."),
            "{:#?}",
            r.memoria
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["payments"][0]["amount"], 1000.0);
        assert_eq!(json["seizures"][2]["id"], 2);
        assert_eq!(json["seizures"][2]["status"], "duplicate");
        assert_eq!(json["seizures"][2]["reasons"][0], "DUPLICATE");
        assert_eq!(json["units"][1]["status"], "excluded");
    }

    /// The named payroll of the month worked by hand: each payment with the weapons behind it (PM1's six
    /// seizures, capped; the experts' laudo of weapon A).
    #[test]
    fn the_named_payroll_lists_what_each_payment_is_for() {
        let r = result(&IpeiParams::decree_default(), &month());
        let lines = payroll(&r);
        let got: Vec<(&str, i64, bool, Vec<&str>)> = lines
            .iter()
            .map(|l| {
                (
                    l.registration.as_str(),
                    l.amount_centavos,
                    l.capped,
                    l.seizures.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "PM1",
                    100_000,
                    true,
                    vec!["A/1", "D/1", "F/1", "G1/1", "G2/1", "G3/1"]
                ),
                ("PM2", 25_000, false, vec!["A/1", "D/1"]),
                ("PM3", 10_000, false, vec!["D/1"]),
                ("PP1", 15_000, false, vec!["F/1"]),
                ("SP1", 15_000, false, vec!["A/1"]),
                ("SP2", 15_000, false, vec!["A/1"]),
            ]
        );
    }

    /// Arts. 13 and 14: decisions take effect in the next result, cited. U2 sent late (08/04, after the
    /// 05/04 deadline: excluded, Art. 15 I); the committee grants its appeal and reinstates it, so H pays
    /// PM3 R$ 300 (PM3: 100 + 300). It also has B, a duplicate of A, paid (PM2: 250 + 300). It cannot
    /// have J paid: U1 never delivered it (Art. 14). And U3 reinstated still has I unpaid: I has no BO
    /// copy (Art. 12), which reinstating the unit does not supply.
    #[test]
    fn arts_13_14_decisions_reinstate_a_late_unit_and_pay_a_seizure() {
        let decided = |act_id, effect| Decision {
            act_id,
            decided_on: d(4, 12),
            text: "Provido".into(),
            effect,
        };
        let mut m = month();
        m.decisions = vec![
            decided(31, Effect::ReinstateUnit { unit: "U2".into() }),
            decided(32, Effect::PaySeizure { seizure_id: 2 }),
            decided(33, Effect::PaySeizure { seizure_id: 13 }),
            decided(34, Effect::ReinstateUnit { unit: "U3".into() }),
        ];
        let r = result(&IpeiParams::decree_default(), &m);
        let u2 = r.units.iter().find(|u| u.code == "U2").unwrap();
        assert_eq!((u2.status, u2.reasons.len()), (UnitStatus::Included, 0));
        assert_eq!(
            u2.decision.as_deref(),
            Some("decisão do Comitê Gestor, ato nº 31 de 12/04/2024: Provido")
        );
        assert_eq!(
            status_of(&r, 7),
            (SeizureStatus::Paid, vec![], owned(&[("PM3", 30_000)]))
        );
        assert_eq!(status_of(&r, 2).0, SeizureStatus::Paid);
        assert_eq!(status_of(&r, 13).1, [SeizureReason::NotDelivered]);
        assert_eq!(status_of(&r, 8).1, [SeizureReason::NoBo]);
        let pay = |reg: &str| {
            r.payments
                .iter()
                .find(|p| p.registration == reg)
                .unwrap()
                .amount_cents
        };
        assert_eq!((pay("PM3"), pay("PM2")), (40_000, 55_000));
        assert!(r.memoria.iter().any(|l| l
            == "Unidade U2: incluída por decisão do Comitê Gestor, ato nº 31 de 12/04/2024: Provido (excluída por: enviou depois do prazo (Art. 15, I))."));
        assert!(r.memoria.iter().any(|l| l.starts_with(
            "Apreensão nº 2 (BO B): paga por decisão do Comitê Gestor, ato nº 32 de 12/04/2024: Provido (antes: DUPLICATE"
        )), "{:#?}", r.memoria);
        // Without decisions the JSON has no trace of them (results saved before replay unchanged).
        let plain =
            serde_json::to_string(&result(&IpeiParams::decree_default(), &month())).unwrap();
        assert!(!plain.contains("decision"));
    }

    #[test]
    fn each_full_pays_the_whole_amount_to_each() {
        let mut p = IpeiParams::decree_default();
        p.share = Share::EachFull;
        let r = result(&p, &month());
        assert_eq!(
            status_of(&r, 4).2,
            owned(&[("PM1", 30_000), ("PM2", 30_000), ("PM3", 30_000)])
        );
        let pm2 = r.payments.iter().find(|p| p.registration == "PM2").unwrap();
        assert_eq!((pm2.amount_cents, pm2.capped), (60_000, false));
    }

    #[test]
    fn a_unit_that_has_not_sent_is_awaited_then_excluded() {
        let mut m = month();
        m.units[0].submitted_on = None;
        m.as_of = d(4, 5);
        let r = result(&IpeiParams::decree_default(), &m);
        assert_eq!(r.units[0].reasons, [UnitReason::AwaitingSubmission]);
        assert_eq!(r.units[0].paid, 0);
        m.as_of = d(4, 6);
        let r = result(&IpeiParams::decree_default(), &m);
        assert_eq!(r.units[0].reasons, [UnitReason::NotSubmitted]);
        // Nobody in U1 is paid; the excluded unit's seizures are not "not delivered", they are the unit's.
        assert_eq!(status_of(&r, 1).1, [SeizureReason::UnitExcluded]);
    }

    #[test]
    fn an_appeal_attaching_the_missing_bo_lifts_the_exclusion() {
        let mut m = month();
        m.seizures[7].bo_sha256 = Some("sha-8".into());
        let r = result(&IpeiParams::decree_default(), &m);
        assert_eq!(r.units[2].status, UnitStatus::Included);
        assert_eq!(status_of(&r, 8).2, owned(&[("PM3", 30_000)]));
    }

    #[test]
    fn centavos_that_do_not_divide_go_to_the_first_named() {
        assert_eq!(split(30_000, 7), [4286, 4286, 4286, 4286, 4286, 4285, 4285]);
        assert_eq!(split(30_000, 7).iter().sum::<i64>(), 30_000);
        assert_eq!(split(100, 3), [34, 33, 33]);
        assert!(split(100, 0).is_empty());
    }

    /// A month of one unit that delivered everything on time, one entitled operator, and `seizures`.
    fn one_unit(seizures: Vec<SeizureInput>, earlier: Vec<EarlierClaim>) -> MonthInputs {
        MonthInputs {
            month: Month::parse("2024-03").unwrap(),
            as_of: d(4, 20),
            submission_deadline: d(4, 5),
            forensic_deadline: d(4, 5),
            units: vec![UnitDelivery {
                unit: "U1".into(),
                name: "1º BPM".into(),
                submitted_on: Some(d(4, 3)),
                delivered: seizures.iter().map(|s| s.id).collect(),
            }],
            seizures,
            forensic: Vec::new(),
            operators: BTreeMap::from([("PM1".into(), op("PM", true))]),
            earlier,
            decisions: Vec::new(),
        }
    }

    fn branded(id: i64, serial: &str, brand: &str, day: u32) -> SeizureInput {
        SeizureInput {
            brand: brand.into(),
            ..seizure(id, "U1", &format!("{id}/2024"), serial, day, &["PM1"])
        }
    }

    /// Art. 10 pays per weapon delivered, once: a rejected claim blocks nobody, so the next claim of the
    /// same weapon (its serial written another way) is paid; only a paid claim makes later ones
    /// duplicates.
    #[test]
    fn art_10_a_rejected_claim_does_not_block_the_next() {
        let mut first = branded(1, "TX-1001", "Taurus", 2);
        first.flagrante = false;
        let m = one_unit(
            vec![
                first,
                branded(2, "tx 1001", "Taurus", 3),
                branded(3, "TX1001", "", 4),
            ],
            Vec::new(),
        );
        let r = result(&IpeiParams::decree_default(), &m);
        assert_eq!(status_of(&r, 1).0, SeizureStatus::Rejected);
        assert_eq!(status_of(&r, 2).0, SeizureStatus::Paid);
        assert_eq!(status_of(&r, 3).0, SeizureStatus::Duplicate);
        let third = r.seizures.iter().find(|s| s.id == 3).unwrap();
        assert_eq!(third.duplicate_of.as_deref(), Some("BO 2/2024 (2024-03)"));
        assert_eq!(r.total_cents, 30_000);
    }

    /// Two makers may stamp the same serial: when both claims give a brand and they differ, they are two
    /// weapons; the same brand written another way, or a claim without one, is the same weapon.
    #[test]
    fn art_10_the_same_serial_of_two_makers_is_two_weapons() {
        let m = one_unit(
            vec![
                branded(1, "123", "Taurus", 2),
                branded(2, "123", "Glock", 3),
                branded(3, "1-2-3", "TAURUS", 4),
                branded(4, "123", "", 5),
            ],
            Vec::new(),
        );
        let r = result(&IpeiParams::decree_default(), &m);
        let statuses: Vec<SeizureStatus> = (1..=4).map(|id| status_of(&r, id).0).collect();
        use SeizureStatus::{Duplicate, Paid};
        assert_eq!(statuses, [Paid, Paid, Duplicate, Duplicate]);
        assert_eq!(r.total_cents, 60_000);
        assert!(same_weapon("SERIE:123", "Smith & Wesson", "smith-wesson"));
        assert!(!same_weapon("SERIE:123", "Taurus", "Glock"));
        assert!(same_weapon("BO:1/2024#1", "Taurus", "Glock"));
    }

    /// A weapon paid in an earlier month (or claimed in one not yet published) is a duplicate, unless the
    /// two claims name different makers.
    #[test]
    fn art_10_a_weapon_paid_in_an_earlier_month_is_not_paid_again() {
        let claim = |brand: &str, pending: bool| EarlierClaim {
            key: "SERIE:TX1001".into(),
            month: Month::parse("2024-02").unwrap(),
            bo_number: "OLD".into(),
            brand: brand.into(),
            pending,
        };
        let m = one_unit(
            vec![
                branded(1, "tx-1001", "Taurus", 2),
                branded(2, "TX 1001", "Glock", 3),
            ],
            vec![claim("taurus", false)],
        );
        let r = result(&IpeiParams::decree_default(), &m);
        assert_eq!(status_of(&r, 1).0, SeizureStatus::Duplicate);
        let first = r.seizures.iter().find(|s| s.id == 1).unwrap();
        assert_eq!(first.duplicate_of.as_deref(), Some("BO OLD (2024-02)"));
        assert_eq!(status_of(&r, 2).0, SeizureStatus::Paid);
        let m = one_unit(vec![branded(1, "tx-1001", "", 2)], vec![claim("", true)]);
        let r = result(&IpeiParams::decree_default(), &m);
        let first = r.seizures.iter().find(|s| s.id == 1).unwrap();
        assert_eq!(
            first.duplicate_of.as_deref(),
            Some("BO OLD (2024-02, resultado ainda não publicado)")
        );
    }

    #[test]
    fn weapon_identity() {
        assert_eq!(weapon_key("1/2024", 3, " ab-12 3"), "SERIE:AB123");
        assert_eq!(weapon_key(" 1/2024 ", 3, "--"), "BO:1/2024#3");
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes() {
        let a = serde_json::to_string(&result(&IpeiParams::decree_default(), &month())).unwrap();
        let b = serde_json::to_string(&result(&IpeiParams::decree_default(), &month())).unwrap();
        assert_eq!(a, b);
    }
}
