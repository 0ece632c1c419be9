//! What a month's IPEI reads (frozen with a saved run): the parameters, the units' deliveries, the
//! seizures and laudos, the operators they name, and the weapons claimed in earlier months.

use crate::Month;
use crate::decision::Decision;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the amount of one weapon is shared among the operators the BO names (a parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "IpeiParameters")]
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
