//! The ata (minutes) of an Igesp meeting as PDF (igesp.md §4): the meeting's facts, institutions invited
//! and present, the attendance list with signature lines, the agenda as discussed, the minutes and the
//! decisions. The caller decides what the reader may see (a partner's copy leaves out actions of other
//! institutions); this module only lays out what it is given. Deterministic: the date printed and
//! stamped is the meeting's, never the clock's.

use serde::Serialize;

use crate::ReportError;
use crate::pdf::{compile_template, pages_text, write_pdf};

const TEMPLATE: &str = include_str!("../templates/ata.typ");
const MAIN_PATH: &str = "/ata.typ";

/// Everything the ata shows, already in its printed form (pt-BR).
#[derive(Debug, Clone, Serialize)]
pub struct AtaDocument {
    /// Meeting number.
    pub id: i64,
    pub title: String,
    /// Kind, for people ("Reunião de articulação").
    pub kind: String,
    /// An internal meeting (marked reserved).
    pub internal: bool,
    /// Date and time, `dd/mm/yyyy HH:MM` (also the PDF's date).
    pub when: String,
    /// (label, value) facts: municipality, area, place, time.
    pub facts: Vec<[String; 2]>,
    /// Institutions: code, name, invited, present.
    pub institutions: Vec<[String; 4]>,
    /// People: name, position, institution, signature (empty for the present; "ausente" otherwise).
    pub people: Vec<[String; 4]>,
    /// Overdue actions on the agenda: title, responsible, due, status.
    pub overdue: Vec<[String; 4]>,
    /// Open actions on the agenda.
    pub open: Vec<[String; 4]>,
    /// What the indicators' window is.
    pub indicators_caption: String,
    /// Indicators: group, period, previous, change.
    pub indicators: Vec<[String; 4]>,
    /// The minutes, paragraph by paragraph.
    pub minutes: Vec<String>,
    /// Decisions: title, responsible, partners, due, status.
    pub decisions: Vec<[String; 5]>,
}

/// The ata as PDF (A4; PDF/A-2b dated with the meeting).
pub fn ata_pdf(doc: &AtaDocument) -> Result<Vec<u8>, ReportError> {
    let document = compile(doc)?;
    write_pdf(&document, format!("atalaia-ata-{}", doc.id), &doc.when)
}

/// The text of each page of [`ata_pdf`]'s document as laid out.
pub fn ata_pdf_text(doc: &AtaDocument) -> Result<Vec<String>, ReportError> {
    Ok(pages_text(&compile(doc)?))
}

fn compile(doc: &AtaDocument) -> Result<typst_layout::PagedDocument, ReportError> {
    compile_template(TEMPLATE, MAIN_PATH, serde_json::to_vec(doc)?, &doc.when)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AtaDocument {
        let s = |x: &str| x.to_string();
        AtaDocument {
            id: 12,
            title: s("Articulação — roubos no centro"),
            kind: s("Reunião de articulação"),
            internal: false,
            when: s("08/10/2026 09:00"),
            facts: vec![
                [s("Município"), s("Goiânia")],
                [s("Local"), s("Ministério Público, sala 3")],
            ],
            institutions: vec![
                [s("MPGO"), s("Ministério Público"), s("sim"), s("sim")],
                [s("SSP-GO"), s("Secretaria"), s("sim"), s("sim")],
            ],
            people: vec![[
                s("Dra. Fernanda Lima"),
                s("Promotora de Justiça"),
                s("MPGO"),
                String::new(),
            ]],
            overdue: vec![[
                s("Audiências de custódia em 24 h"),
                s("MPGO"),
                s("28/09/2026"),
                s("planejada"),
            ]],
            open: vec![],
            indicators_caption: s("Ocorrências de 01/09/2026 a 30/09/2026"),
            indicators: vec![[s("Roubos"), s("23"), s("28"), s("-17,9 %")]],
            minutes: vec![
                s("Aberta a reunião às 9h."),
                s("#strong[isto não é markup] $x$"),
            ],
            decisions: vec![[
                s("Audiências de custódia em 24 h"),
                s("MPGO"),
                s("TJ"),
                s("28/09/2026"),
                s("em andamento"),
            ]],
        }
    }

    #[test]
    fn the_ata_lays_out_its_facts_attendance_and_decisions() {
        let doc = sample();
        let text = ata_pdf_text(&doc).unwrap().join("\n");
        for needle in [
            "Ata — Articulação — roubos no centro",
            "Dra. Fernanda Lima",
            "Promotora de Justiça",
            "Assinatura",
            "Audiências de custódia em 24 h",
            "-17,9 %",
            "Aberta a reunião às 9h.",
            // User text is text, never markup.
            "#strong[isto não é markup] $x$",
            "Reunião nº 12",
        ] {
            assert!(text.contains(needle), "{needle} not in {text}");
        }
        let pdf = ata_pdf(&doc).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf, ata_pdf(&doc).unwrap(), "deterministic");
    }
}
