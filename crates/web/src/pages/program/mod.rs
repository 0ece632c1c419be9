//! What the pages of RECAP and IPEI share: the Anexo Único's cycle and the official documents of a
//! saved run. A third program of the decree would use these as they are and write only its own pages.

pub mod cycle;
pub mod documents;
pub mod runs;

/// A person paid differently by another run than by the run paid for the same period (Anexo Único:
/// a period pays once), as the run and program pages list them.
pub(crate) struct PaidChangeRow {
    pub(crate) registration: String,
    pub(crate) name: String,
    /// In the run paid; "—" when not on it.
    pub(crate) paid: String,
    /// In the other run; "—" when not on it.
    pub(crate) now: String,
}

impl From<atalaia_core::payroll::PayChange> for PaidChangeRow {
    fn from(c: atalaia_core::payroll::PayChange) -> Self {
        let amount = |cents: Option<i64>| cents.map_or_else(|| "—".into(), atalaia_core::brl);
        PaidChangeRow {
            paid: amount(c.paid_cents),
            now: amount(c.now_cents),
            registration: c.registration,
            name: c.name,
        }
    }
}
