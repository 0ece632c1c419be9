//! atalaia-reports: the official outputs of a RECAP or IPEI calculation run (goias-cidadao-seguro.md §3–§7).
//!
//! - [`recap_pdf`]: the document the Comitê do Programa signs — letterhead, parameters, results per area
//!   and per unit (Art. 7), the roster of eligible operators (Art. 9), the signature block and, as an
//!   annex, every area's memória de cálculo. Laid out by typst (used as a library, no downloads: the
//!   fonts are typst-assets' embedded Libertinus Serif and DejaVu Sans Mono).
//! - [`recap_xlsx`]: the same numbers as a workbook, numbers as numbers, plus the named payroll.
//! - [`ipei_pdf`], [`ipei_xlsx`]: a month's IPEI result (or, with [`IpeiDocument::unit`], one unit's
//!   statement) and the named payroll for the Secretary's office.
//!
//! Both are deterministic: the same [`RecapDocument`] gives the same bytes (the PDF's identifier and
//! date come from the run, never from the clock), so a frozen run can be re-rendered and compared.
//!
//! The user-visible text is pt-BR; numbers are printed the Brazilian way by [`format`](mod@format). Data reaches the
//! typst template only as a JSON file the template reads with `json(...)`, so names are never parsed
//! as markup whatever characters they hold.

mod ata;
mod brief;
pub mod format;
mod ipei;
mod pdf;
mod xlsx;

use atalaia_core::recap::{Level, Report};

pub use ata::{AtaDocument, ata_pdf, ata_pdf_text};
pub use brief::{BriefDocument, brief_pdf, brief_pdf_text};
pub use ipei::{IpeiDocument, ipei_pdf, ipei_pdf_text, ipei_xlsx};
pub use pdf::{recap_pdf, recap_pdf_text};
pub use xlsx::recap_xlsx;

/// The stage of the quarterly cycle a document belongs to (goias-cidadao-seguro.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// "Resultado parcial": sent to the units, open to appeal.
    Partial,
    /// "Resultado final": after the appeals.
    Final,
}

impl Stage {
    /// The label printed in titles: "Resultado parcial" or "Resultado final".
    pub fn label_pt(self) -> &'static str {
        match self {
            Stage::Partial => "Resultado parcial",
            Stage::Final => "Resultado final",
        }
    }
}

/// Who computed the run, when, and the hashes that identify it (goias-cidadao-seguro.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMeta {
    /// The run's number.
    pub run_id: i64,
    /// Who ran it (a name or login).
    pub created_by: String,
    /// When, as printed: `22/11/2026 10:15` (Brasília time). Also the PDF's creation date when it has
    /// that form.
    pub created_at: String,
    /// SHA-256 (hex) of the frozen inputs.
    pub inputs_sha256: String,
    /// SHA-256 (hex) of the result.
    pub result_sha256: String,
    /// First day of the program configuration used, `dd/mm/yyyy`.
    pub config_valid_from: String,
}

/// One unit's line of the roster summary (Art. 9): the payroll's own per-unit summary.
pub use atalaia_core::payroll::UnitSummary as RosterSummaryRow;

/// One line of the named payroll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayrollLine {
    /// Registration (matrícula).
    pub registration: String,
    /// Operator's name.
    pub name: String,
    /// Institution (PM, PC, BM, SPTC, polícia penal).
    pub institution: String,
    /// Unit code.
    pub unit_code: String,
    /// Unit name.
    pub unit_name: String,
    /// Codes of the unit's areas.
    pub areas: Vec<String>,
    /// Level paid.
    pub level: Option<Level>,
    /// Amount, in centavos.
    pub amount_cents: i64,
    /// Why not paid; `None` for a paid line (the payroll lists everyone assigned in the quarter).
    pub reason: Option<atalaia_core::payroll::PayrollReason>,
    /// The committee's decision that included or excluded the operator, cited.
    pub decision: Option<String>,
}

/// Someone who signs the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatory {
    /// Name, as printed under the line.
    pub name: String,
    /// Role ("Presidente do Comitê do Programa").
    pub role: String,
}

/// Everything one RECAP document shows.
#[derive(Debug, Clone)]
pub struct RecapDocument<'a> {
    /// Partial or final.
    pub stage: Stage,
    /// The quarter's result (areas, units, parameters), with the memória de cálculo.
    pub report: &'a Report,
    /// The run that produced it.
    pub run: RunMeta,
    /// One line per unit.
    pub roster: Vec<RosterSummaryRow>,
    /// The named payroll (in the XLSX; the PDF gives its count and total).
    pub payroll: Vec<PayrollLine>,
    /// Who signs, in order.
    pub signatories: Vec<Signatory>,
}

/// Why a document could not be produced (pt-BR messages, for logs and operators).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The typst template did not compile (a bug of this crate, with typst's diagnostics).
    #[error("erro ao compor o PDF: {0}")]
    Layout(String),
    /// The laid-out document could not be written as PDF.
    #[error("erro ao gravar o PDF: {0}")]
    Pdf(String),
    /// The workbook could not be written (e.g. a text longer than a cell holds).
    #[error("erro ao gerar a planilha: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The data handed to the template could not be serialised.
    #[error("erro ao preparar os dados do relatório: {0}")]
    Data(#[from] serde_json::Error),
}

/// The run's `created_at` (`22/11/2026 10:15`, Brasília time; seconds and a missing time allowed) as a
/// date and time, for the documents' metadata; `None` when it does not read so.
pub(crate) fn run_datetime(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%d/%m/%Y")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}
