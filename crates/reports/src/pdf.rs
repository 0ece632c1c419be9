//! The RECAP document as PDF, laid out by typst used as a library.
//!
//! The template (`templates/recap.typ`) is fixed text compiled into the crate; the document's data is
//! a JSON file (`/data.json`) in a virtual file system of two files, which the template loads with
//! `json(...)`. Every value arrives in typst as a string and is shown as text, so no name, role or
//! memória line is ever read as markup. Fonts are typst-assets' embedded ones (Libertinus Serif for
//! text, DejaVu Sans Mono for hashes); nothing is read from disk or the network; `today` is fixed.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::layout::{Frame, FrameItem};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::format::{
    self, DASH, baseline_label, brl, brl_wide, crime_label, decimal, decimal_or_dash, integer,
    kind_label, level_label, percent_or_dash, quarter_label, reasons_label,
};
use crate::{RecapDocument, ReportError, Stage};

/// The template, compiled into the crate.
const TEMPLATE: &str = include_str!("../templates/recap.typ");
/// Where the template finds its data.
const DATA_PATH: &str = "/data.json";
/// The template's own path.
const MAIN_PATH: &str = "/recap.typ";

/// The RECAP document as PDF (A4, pt-BR; PDF/A-2b when the run's date reads as `dd/mm/yyyy HH:MM`),
/// deterministic for the same input.
pub fn recap_pdf(doc: &RecapDocument) -> Result<Vec<u8>, ReportError> {
    let document = compile(doc)?;
    write_pdf(
        &document,
        format!(
            "atalaia-recap-{}-{}-{}",
            doc.run.run_id,
            stage_word(doc.stage),
            doc.run.result_sha256
        ),
        &doc.run.created_at,
    )
}

/// Writes a laid-out document as PDF: PDF/A-2b (for archiving) with the run's date, in Brasília time
/// (UTC−3). A run whose date does not read as `dd/mm/yyyy HH:MM` gets a plain PDF without a date
/// rather than a date taken from the clock.
pub(crate) fn write_pdf(
    document: &PagedDocument,
    ident: String,
    created_at: &str,
) -> Result<Vec<u8>, ReportError> {
    let timestamp = run_datetime(created_at).and_then(|d| Timestamp::new_local(d, -180));
    let standards = if timestamp.is_some() {
        PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|e| ReportError::Pdf(e.message().to_string()))?
    } else {
        PdfStandards::default()
    };
    let options = PdfOptions {
        ident: Smart::Custom(ident),
        creator: Smart::Custom(Some("Atalaia".into())),
        timestamp,
        standards,
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(document, &options).map_err(|e| ReportError::Pdf(diagnostics(&e)));
    typst::comemo::evict(10);
    pdf
}

/// The text of each page of [`recap_pdf`]'s document as laid out, runs of text separated by newlines
/// (for checks and for search indexes; the PDF itself stores glyphs).
pub fn recap_pdf_text(doc: &RecapDocument) -> Result<Vec<String>, ReportError> {
    Ok(pages_text(&compile(doc)?))
}

/// The text of each page, runs of text separated by newlines.
pub(crate) fn pages_text(document: &PagedDocument) -> Vec<String> {
    document
        .pages()
        .iter()
        .map(|page| {
            let mut out = String::new();
            frame_text(&page.frame, &mut out);
            out
        })
        .collect()
}

fn frame_text(frame: &Frame, out: &mut String) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => frame_text(&group.frame, out),
            FrameItem::Text(text) => {
                out.push_str(&text.text);
                out.push('\n');
            }
            _ => {}
        }
    }
}

pub(crate) fn stage_word(stage: Stage) -> &'static str {
    match stage {
        Stage::Partial => "parcial",
        Stage::Final => "final",
    }
}

/// The run's date and time (Brasília) as a typst datetime.
fn run_datetime(text: &str) -> Option<Datetime> {
    use chrono::{Datelike, Timelike};
    let t = crate::run_datetime(text)?;
    Datetime::from_ymd_hms(
        t.year(),
        u8::try_from(t.month()).ok()?,
        u8::try_from(t.day()).ok()?,
        u8::try_from(t.hour()).ok()?,
        u8::try_from(t.minute()).ok()?,
        u8::try_from(t.second()).ok()?,
    )
}

fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn compile(doc: &RecapDocument) -> Result<PagedDocument, ReportError> {
    let data = serde_json::to_vec(&TemplateData::new(doc))?;
    compile_template(TEMPLATE, MAIN_PATH, data, &doc.run.created_at)
}

/// Lays out `template` (fixed text of this crate) with `data` as its `/data.json`; `created_at` (the
/// run's date) is typst's "today".
pub(crate) fn compile_template(
    template: &str,
    main_path: &str,
    data: Vec<u8>,
    created_at: &str,
) -> Result<PagedDocument, ReportError> {
    let world = ReportWorld::new(template, main_path, data, run_datetime(created_at))?;
    let document = typst::compile::<PagedDocument>(&world).output;
    // typst memoises across compilations in process-wide caches: keep them bounded in a server.
    typst::comemo::evict(10);
    document.map_err(|e| ReportError::Layout(diagnostics(&e)))
}

// ---------------------------------------------------------------------------------------------------
// The data the template reads: every value already a string in its printed form.

#[derive(Serialize)]
struct TemplateData {
    title: String,
    stage: &'static str,
    stage_note: &'static str,
    quarter: String,
    baseline_quarter: String,
    parameters: Vec<[String; 2]>,
    run: RunData,
    summary: Vec<[String; 5]>,
    crimes: Vec<String>,
    areas: Vec<AreaRow>,
    any_carried_forward: bool,
    carried_forward_note: String,
    units: Vec<UnitRow>,
    roster: Vec<RosterRow>,
    roster_total: RosterRow,
    payroll_note: String,
    /// The committee's decisions about operators, cited (Arts. 13, 14).
    decisions: Vec<String>,
    signatories: Vec<[String; 2]>,
    memoria: Vec<MemoriaBlock>,
}

/// The run as the templates print it (header, footer, parameters).
#[derive(Serialize)]
pub(crate) struct RunData {
    id: String,
    created_by: String,
    created_at: String,
    inputs_sha256: String,
    result_sha256: String,
    result_short: String,
}

impl RunData {
    pub(crate) fn new(run: &crate::RunMeta) -> RunData {
        RunData {
            id: run.run_id.to_string(),
            created_by: run.created_by.clone(),
            created_at: run.created_at.clone(),
            inputs_sha256: run.inputs_sha256.clone(),
            result_sha256: run.result_sha256.clone(),
            result_short: run.result_sha256.chars().take(16).collect(),
        }
    }
}

#[derive(Serialize)]
struct AreaRow {
    code: String,
    name: String,
    kind: String,
    population: String,
    carried_forward: bool,
    counts: Vec<String>,
    baseline_index: String,
    index: String,
    reduction: String,
    level: String,
    note: String,
}

#[derive(Serialize)]
struct UnitRow {
    code: String,
    name: String,
    areas: String,
    baseline_index: String,
    index: String,
    reduction: String,
    level: String,
    note: String,
}

#[derive(Serialize)]
struct RosterRow {
    unit: String,
    areas: String,
    level: String,
    eligible: String,
    excluded_absence: String,
    excluded_by_head: String,
    excluded_other: String,
    amount: String,
    total: String,
}

#[derive(Serialize)]
struct MemoriaBlock {
    title: String,
    lines: Vec<String>,
}

impl TemplateData {
    fn new(doc: &RecapDocument) -> TemplateData {
        let report = doc.report;
        let p = &report.parameters;
        let quarter = quarter_label(&report.quarter);
        let crimes: Vec<String> = p.crimes.iter().map(|c| crime_label(c)).collect();
        let parameters = vec![
            [
                "Crimes de Alta Prioridade (Art. 4)".into(),
                crimes.join(", "),
            ],
            [
                "Índice CAP (Art. 8)".into(),
                "média das taxas dos crimes por 100.000 habitantes".into(),
            ],
            [
                "Redução".into(),
                "(índice da base − índice do período) ÷ índice da base × 100".into(),
            ],
            [
                "RECAP2 (Art. 6)".into(),
                format!("redução ≥ {}%", decimal(p.recap2_min_pct, 2)),
            ],
            [
                "RECAP1 (Art. 5)".into(),
                format!("redução ≥ {}%", decimal(p.recap1_min_pct, 2)),
            ],
            [
                "Base de comparação".into(),
                format!(
                    "{} ({})",
                    baseline_label(p.baseline),
                    quarter_label(&report.baseline_quarter)
                ),
            ],
            [
                "Configuração".into(),
                format!("vigente desde {}", doc.run.config_valid_from),
            ],
            [
                "Execução".into(),
                format!(
                    "nº {}, por {}, em {}",
                    doc.run.run_id, doc.run.created_by, doc.run.created_at
                ),
            ],
        ];

        let areas: Vec<AreaRow> = report
            .areas
            .iter()
            .map(|a| AreaRow {
                code: a.code.clone(),
                name: a.name.clone(),
                kind: kind_label(&a.kind),
                population: a
                    .population
                    .map_or_else(|| DASH.to_string(), |p| integer(i128::from(p))),
                carried_forward: !a.warnings.is_empty(),
                counts: (0..crimes.len())
                    .map(|i| match a.crimes.get(i) {
                        Some(c) => format!("{} → {}", c.baseline_count, c.count),
                        None => DASH.to_string(),
                    })
                    .collect(),
                baseline_index: decimal_or_dash(a.baseline_index),
                index: decimal_or_dash(a.index),
                reduction: percent_or_dash(a.reduction_pct),
                level: level_label(a.level).to_string(),
                note: reasons_label(&a.reasons),
            })
            .collect();
        let summary = {
            use atalaia_core::recap::Level::{Recap1, Recap2};
            let by_level = |levels: Vec<Option<atalaia_core::recap::Level>>, label: &str| {
                let count = |l| integer(levels.iter().filter(|x| **x == l).count() as i128);
                [
                    label.to_string(),
                    count(Some(Recap1)),
                    count(Some(Recap2)),
                    count(None),
                    integer(levels.len() as i128),
                ]
            };
            vec![
                by_level(report.areas.iter().map(|a| a.level).collect(), "Áreas"),
                by_level(report.units.iter().map(|u| u.level).collect(), "Unidades"),
            ]
        };

        let units = report
            .units
            .iter()
            .map(|u| UnitRow {
                code: u.code.clone(),
                name: u.name.clone(),
                areas: u.areas.join(", "),
                baseline_index: decimal_or_dash(u.baseline_index),
                index: decimal_or_dash(u.index),
                reduction: percent_or_dash(u.reduction_pct),
                level: level_label(u.level).to_string(),
                note: reasons_label(&u.reasons),
            })
            .collect();

        let roster = doc
            .roster
            .iter()
            .map(|r| RosterRow {
                unit: if r.name.is_empty() {
                    r.unit.clone()
                } else {
                    format!("{} — {}", r.unit, r.name)
                },
                areas: r.areas.join(", "),
                level: level_label(r.level).to_string(),
                eligible: integer(i128::from(r.eligible)),
                excluded_absence: integer(i128::from(r.excluded_absence)),
                excluded_by_head: integer(i128::from(r.excluded_by_head)),
                excluded_other: integer(i128::from(r.excluded_other)),
                amount: if r.level.is_some() || r.amount_cents != 0 {
                    brl(r.amount_cents)
                } else {
                    DASH.to_string()
                },
                total: brl(r.total_cents),
            })
            .collect();
        let sum = |f: &dyn Fn(&crate::RosterSummaryRow) -> i128| -> i128 {
            doc.roster.iter().map(f).sum()
        };
        let roster_total = RosterRow {
            unit: "Total".into(),
            areas: String::new(),
            level: String::new(),
            eligible: integer(sum(&|r| i128::from(r.eligible))),
            excluded_absence: integer(sum(&|r| i128::from(r.excluded_absence))),
            excluded_by_head: integer(sum(&|r| i128::from(r.excluded_by_head))),
            excluded_other: integer(sum(&|r| i128::from(r.excluded_other))),
            amount: String::new(),
            total: brl_wide(sum(&|r| i128::from(r.total_cents))),
        };
        let payroll_total: i128 = doc.payroll.iter().map(|l| i128::from(l.amount_cents)).sum();
        let paid = doc.payroll.iter().filter(|l| l.reason.is_none()).count();
        let excluded = doc.payroll.len() - paid;
        let payroll_note = format!(
            "A folha nominal desta execução ({} {} na folha, total de {}; {} {} com o motivo) acompanha este documento em planilha (XLSX, aba “Folha nominal”).",
            integer(paid as i128),
            if paid == 1 { "servidor" } else { "servidores" },
            brl_wide(payroll_total),
            integer(excluded as i128),
            if excluded == 1 {
                "excluído"
            } else {
                "excluídos"
            },
        );

        // Areas, then units (Art. 7: the areas averaged and those left out, and why).
        let memoria = report
            .areas
            .iter()
            .map(|a| MemoriaBlock {
                title: format!("{} — {}", a.code, a.name),
                lines: a.memoria.clone(),
            })
            .chain(
                report
                    .units
                    .iter()
                    .filter(|u| !u.memoria.is_empty())
                    .map(|u| MemoriaBlock {
                        title: format!("Unidade {} — {}", u.code, u.name),
                        lines: u.memoria.clone(),
                    }),
            )
            .collect();

        TemplateData {
            title: format!("{} do RECAP — {}", doc.stage.label_pt(), quarter.clone()),
            stage: doc.stage.label_pt(),
            stage_note: match doc.stage {
                Stage::Partial => {
                    "Resultado parcial, sujeito a recurso das unidades no prazo do Anexo Único; o recurso só corrige material já entregue (Art. 14)."
                }
                Stage::Final => {
                    "Resultado final, após o prazo de recurso das unidades (Anexo Único)."
                }
            },
            quarter,
            baseline_quarter: quarter_label(&report.baseline_quarter),
            parameters,
            run: RunData::new(&doc.run),
            summary,
            crimes,
            any_carried_forward: areas.iter().any(|a| a.carried_forward),
            carried_forward_note: format!(
                "{} (aviso POPULATION_CARRIED_FORWARD).",
                capitalized(format::warning_label(
                    &atalaia_core::recap::Warning::PopulationCarriedForward
                ))
            ),
            areas,
            units,
            roster,
            roster_total,
            payroll_note,
            decisions: doc
                .payroll
                .iter()
                .filter_map(|l| {
                    let d = l.decision.as_ref()?;
                    Some(format!(
                        "{} ({}): {} por {d}.",
                        l.registration,
                        l.unit_code,
                        if l.reason.is_some() {
                            "excluído"
                        } else {
                            "incluído"
                        }
                    ))
                })
                .collect(),
            signatories: doc
                .signatories
                .iter()
                .map(|s| [s.name.clone(), s.role.clone()])
                .collect(),
            memoria,
        }
    }
}

pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------
// The typst world: two virtual files, embedded fonts, a fixed date.

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

struct ReportWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Option<Datetime>,
}

fn file_id(path: &str) -> Result<FileId, ReportError> {
    let vpath = VirtualPath::new(path)
        .map_err(|e| ReportError::Layout(format!("caminho virtual {path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl ReportWorld {
    fn new(
        template: &str,
        main_path: &str,
        data: Vec<u8>,
        today: Option<Datetime>,
    ) -> Result<ReportWorld, ReportError> {
        let main_id = file_id(main_path)?;
        Ok(ReportWorld {
            main: Source::new(main_id, template.to_string()),
            data_id: file_id(DATA_PATH)?,
            data: Bytes::new(data),
            today,
        })
    }

    fn not_found(id: FileId) -> FileError {
        FileError::NotFound(PathBuf::from(id.vpath().get_with_slash()))
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(Self::not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(Self::not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today.or_else(|| Datetime::from_ymd(2000, 1, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dates() {
        assert_eq!(
            run_datetime("22/11/2026 10:15"),
            Datetime::from_ymd_hms(2026, 11, 22, 10, 15, 0)
        );
        assert_eq!(
            run_datetime("22/11/2026"),
            Datetime::from_ymd_hms(2026, 11, 22, 0, 0, 0)
        );
        assert_eq!(run_datetime("ontem"), None);
        assert_eq!(run_datetime("32/13/2026 99:99"), None);
        assert_eq!(run_datetime(""), None);
    }
}
