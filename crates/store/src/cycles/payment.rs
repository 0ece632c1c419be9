//! The payment step of a cycle: what was paid, from which run, and the payroll's SHA-256 it was paid on.

use super::*;
use chrono::NaiveDate;

/// A recorded payment (`ActRequest::Payment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// The act.
    pub act_id: i64,
    /// The run paid.
    pub run_id: i64,
    /// SHA-256 of the payroll file paid.
    pub payroll_sha256: String,
    pub paid_on: NaiveDate,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct PaymentJson {
    pub(super) payroll_sha256: String,
    pub(super) paid_on: NaiveDate,
}

impl CycleRecord {
    /// The period's payment, if recorded.
    pub fn payment(&self) -> Option<PaymentRecord> {
        self.acts.iter().find(|a| a.act == "payment").and_then(|a| {
            let p: PaymentJson = serde_json::from_str(a.payload.as_deref()?).ok()?;
            Some(PaymentRecord {
                act_id: a.id,
                run_id: a.run_id?,
                payroll_sha256: p.payroll_sha256,
                paid_on: p.paid_on,
            })
        })
    }
}
