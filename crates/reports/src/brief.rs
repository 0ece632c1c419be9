//! The CompStat brief of an area as a one-page PDF for the meeting (issue 20): the four windows'
//! totals, each with its reading in words, and a table of crimes × windows. The caller computes and
//! formats every value (`atalaia_core::compstat`); this module only lays them out. Deterministic: the
//! date printed and stamped is the brief's day, never the clock's.

use serde::Serialize;

use crate::ReportError;
use crate::pdf::{compile_template, pages_text, write_pdf};

const TEMPLATE: &str = include_str!("../templates/brief.typ");
const MAIN_PATH: &str = "/brief.typ";

/// Everything the brief shows, already in its printed form (pt-BR).
#[derive(Debug, Clone, Serialize)]
pub struct BriefDocument {
    /// The area's name.
    pub area: String,
    /// The brief's day, `dd/mm/yyyy` (also the PDF's date).
    pub date: String,
    /// Per window: its name and dates, and the total's reading ("412 contra 530 — queda de 22,3 %…").
    pub totals: Vec<[String; 2]>,
    /// The windows' short names, the table's column groups.
    pub windows: Vec<String>,
    /// Per crime: its name, then per window the count now, the count a year before and the change,
    /// the change marked `*` when chance hardly explains it.
    pub rows: Vec<Vec<String>>,
}

/// The brief as PDF (A4 landscape; PDF/A-2b dated with the brief's day).
pub fn brief_pdf(doc: &BriefDocument) -> Result<Vec<u8>, ReportError> {
    let document = compile(doc)?;
    write_pdf(&document, "atalaia-compstat".to_string(), &doc.date)
}

/// The text of each page of [`brief_pdf`]'s document as laid out.
pub fn brief_pdf_text(doc: &BriefDocument) -> Result<Vec<String>, ReportError> {
    Ok(pages_text(&compile(doc)?))
}

fn compile(doc: &BriefDocument) -> Result<typst_layout::PagedDocument, ReportError> {
    compile_template(TEMPLATE, MAIN_PATH, serde_json::to_vec(doc)?, &doc.date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brief_fits_one_page_with_every_crime() {
        let s = |x: &str| x.to_string();
        let doc = BriefDocument {
            area: s("Goiânia"),
            date: s("07/12/2026"),
            totals: vec![[
                s("Últimos 7 dias (30/11 a 06/12/2026)"),
                s("20 contra 10 — aumento de 100,0 % — dentro do que o acaso explica (p = 0,099)"),
            ]],
            windows: vec![s("7 dias"), s("28 dias"), s("Ano"), s("365 dias")],
            rows: (0..22)
                .map(|i| {
                    let mut r = vec![format!("Crime {i}")];
                    r.extend((0..12).map(|j| format!("{}", i * j)));
                    r
                })
                .collect(),
        };
        let pages = brief_pdf_text(&doc).unwrap();
        assert_eq!(pages.len(), 1, "{pages:?}");
        for needle in ["Goiânia", "Crime 21", "p = 0,099", "07/12/2026"] {
            assert!(pages[0].contains(needle), "{needle} not in {}", pages[0]);
        }
        let pdf = brief_pdf(&doc).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf, brief_pdf(&doc).unwrap(), "deterministic");
    }
}
