//! What a month's IPEI gives: each unit, seizure and laudo with its status and reasons, the payments,
//! the stage, the memória, and the named payroll drawn from it.

use super::*;
use crate::Month;
use chrono::NaiveDate;
use serde::Serialize;

/// Why a unit is excluded from the month (Art. 15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PersonShare {
    pub registration: String,
    /// Centavos from this weapon (zero when refused).
    pub amount_cents: i64,
    /// Why nothing (empty when paid).
    pub reasons: Vec<PersonReason>,
}

/// Status of a seizure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// In the month's payment.
    Included,
    /// Excluded (Art. 15).
    Excluded,
}

/// A unit's line of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "IpeiUnit")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "IpeiSeizure")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "IpeiLaudo")]
pub struct LaudoResult {
    pub bo_number: String,
    pub serial: String,
    /// The seizure it characterises, if found.
    pub seizure_id: Option<i64>,
    /// Every signing expert with their share or why none.
    pub shares: Vec<PersonShare>,
}

/// One person's payment of the month.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "IpeiPayment")]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
