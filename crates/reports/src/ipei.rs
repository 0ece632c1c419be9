//! The IPEI documents of a saved run (Decreto 7.872/2013 Arts. 10–15, Anexo Único): the month's partial
//! or final result as PDF (units, every seizure with its reasons and shares, laudos, the amounts per
//! registration with the monthly cap, signatures, the memória), the same as a workbook with the named
//! payroll for the Secretary's office, and a unit's statement (its seizures and what each named person
//! got from them). Deterministic like the RECAP documents: dates come from the run, never the clock.

use atalaia_core::dates::BrDate;
use atalaia_core::ipei::{
    IpeiReport, SeizureResult, UnitStatus, seizure_reason_pt, seizure_status_pt, shares_pt,
    unit_reasons_pt,
};
use rust_xlsxwriter::{DocProperties, Workbook, Worksheet};
use serde::Serialize;

use crate::format::brl;
use crate::pdf::{RunData, capitalized, compile_template, pages_text, stage_word, write_pdf};
use crate::xlsx::{Formats, col, money, row, start};
use crate::{ReportError, RunMeta, Signatory, Stage};

const TEMPLATE: &str = include_str!("../templates/ipei.typ");
const MAIN_PATH: &str = "/ipei.typ";

/// Everything one IPEI document shows.
#[derive(Debug, Clone)]
pub struct IpeiDocument<'a> {
    /// Partial or final.
    pub stage: Stage,
    /// The month's result, with its memória.
    pub report: &'a IpeiReport,
    /// The run that produced it.
    pub run: RunMeta,
    /// A unit's statement (its part of the result) instead of the whole month.
    pub unit: Option<String>,
    /// Who signs, in order (the whole month's document).
    pub signatories: Vec<Signatory>,
}

impl IpeiDocument<'_> {
    /// "Resultado final do IPEI — outubro de 2026", or the unit's statement title.
    pub fn title(&self) -> String {
        let month = self.report.month.label_pt();
        match &self.unit {
            Some(u) => format!(
                "Extrato da unidade {u} — IPEI de {month} ({})",
                self.stage.label_pt().to_lowercase()
            ),
            None => format!("{} do IPEI — {month}", self.stage.label_pt()),
        }
    }

    fn seizures(&self) -> impl Iterator<Item = &SeizureResult> {
        self.report
            .seizures
            .iter()
            .filter(|s| self.unit.as_ref().is_none_or(|u| &s.unit == u))
    }
}

/// The IPEI document as PDF (A4, pt-BR; PDF/A-2b with the run's date).
pub fn ipei_pdf(doc: &IpeiDocument) -> Result<Vec<u8>, ReportError> {
    let document = compile(doc)?;
    write_pdf(
        &document,
        format!(
            "atalaia-ipei-{}-{}-{}-{}",
            doc.run.run_id,
            stage_word(doc.stage),
            doc.unit.as_deref().unwrap_or("mes"),
            doc.run.result_sha256
        ),
        &doc.run.created_at,
    )
}

/// The text of each page of [`ipei_pdf`]'s document as laid out.
pub fn ipei_pdf_text(doc: &IpeiDocument) -> Result<Vec<String>, ReportError> {
    Ok(pages_text(&compile(doc)?))
}

fn compile(doc: &IpeiDocument) -> Result<typst_layout::PagedDocument, ReportError> {
    let data = serde_json::to_vec(&TemplateData::new(doc))?;
    compile_template(TEMPLATE, MAIN_PATH, data, &doc.run.created_at)
}

fn seizure_reasons(s: &SeizureResult) -> String {
    let mut why: Vec<String> = s
        .reasons
        .iter()
        .map(|r| seizure_reason_pt(r).to_string())
        .collect();
    if let Some(d) = &s.duplicate_of {
        why.push(format!("já apresentada em {d}"));
    }
    if let Some(d) = &s.decision {
        why.push(format!("paga por {d}"));
    }
    why.join("; ")
}

fn unit_situation(u: &atalaia_core::ipei::UnitResult) -> String {
    let head = match u.status {
        UnitStatus::Included => "incluída",
        UnitStatus::Excluded => "excluída (Art. 15)",
    };
    match (&u.decision, u.reasons.is_empty()) {
        (Some(d), _) => format!("{head} por {d}"),
        (None, true) => head.to_string(),
        (None, false) => format!("{head}: {}", unit_reasons_pt(&u.reasons)),
    }
}

// ---------------------------------------------------------------------------------------------------
// The data the template reads: every value already a string in its printed form.

#[derive(Serialize)]
struct TemplateData {
    title: String,
    stage_note: String,
    statement: bool,
    parameters: Vec<[String; 2]>,
    run: RunData,
    units: Vec<[String; 5]>,
    seizures: Vec<[String; 7]>,
    laudos: Vec<[String; 3]>,
    payments: Vec<[String; 4]>,
    payments_note: String,
    total: String,
    signatories: Vec<[String; 2]>,
    memoria: Vec<String>,
}

impl TemplateData {
    fn new(doc: &IpeiDocument) -> TemplateData {
        let r = doc.report;
        let p = &r.parameters;
        let parameters = vec![
            ["Mês de referência".into(), capitalized(&r.month.label_pt())],
            [
                "Valor por arma (Art. 10)".into(),
                brl(p.amount_per_weapon_cents),
            ],
            [
                "Valor por laudo (Art. 10, parágrafo único)".into(),
                brl(p.forensic_amount_cents),
            ],
            [
                "Divisão entre os nomeados".into(),
                match p.share {
                    atalaia_core::ipei::Share::SplitEqually => {
                        "em partes iguais (centavos restantes ao primeiro nomeado)".into()
                    }
                    atalaia_core::ipei::Share::EachFull => "valor integral a cada nomeado".into(),
                },
            ],
            [
                "Teto mensal por servidor".into(),
                format!(
                    "{} (sem acúmulo para o mês seguinte)",
                    brl(p.monthly_cap_cents)
                ),
            ],
            [
                "Configuração vigente desde".into(),
                doc.run.config_valid_from.clone(),
            ],
            [
                "Execução".into(),
                format!(
                    "nº {}, por {}, em {}",
                    doc.run.run_id, doc.run.created_by, doc.run.created_at
                ),
            ],
        ];
        let units = r
            .units
            .iter()
            .filter(|u| doc.unit.as_ref().is_none_or(|c| &u.code == c))
            .map(|u| {
                [
                    u.code.clone(),
                    u.name.clone(),
                    u.submitted_on
                        .map(|d| d.br_date())
                        .unwrap_or_else(|| "não enviou".into()),
                    format!("{} / {}", u.seizures, u.paid),
                    unit_situation(u),
                ]
            })
            .collect();
        let seizures: Vec<[String; 7]> = doc
            .seizures()
            .map(|s| {
                [
                    s.id.to_string(),
                    s.unit.clone(),
                    format!("{} / {}", s.bo_number, s.item),
                    if s.serial.is_empty() {
                        "—".into()
                    } else {
                        s.serial.clone()
                    },
                    s.seized_on.br_date(),
                    format!("{} {}", seizure_status_pt(s.status), seizure_reasons(s))
                        .trim()
                        .to_string(),
                    shares_pt(&s.shares),
                ]
            })
            .collect();
        let ids: Vec<i64> = doc.seizures().map(|s| s.id).collect();
        let laudos = r
            .laudos
            .iter()
            .filter(|l| doc.unit.is_none() || l.seizure_id.is_some_and(|i| ids.contains(&i)))
            .map(|l| {
                [
                    l.bo_number.clone(),
                    if l.serial.is_empty() {
                        "—".into()
                    } else {
                        l.serial.clone()
                    },
                    shares_pt(&l.shares),
                ]
            })
            .collect();
        // A statement shows the people its seizures name; the month, everyone paid.
        let named: Vec<&str> = doc
            .seizures()
            .flat_map(|s| s.shares.iter().map(|p| p.registration.as_str()))
            .collect();
        let payments: Vec<[String; 4]> = r
            .payments
            .iter()
            .filter(|p| doc.unit.is_none() || named.contains(&p.registration.as_str()))
            .map(|p| {
                [
                    p.registration.clone(),
                    p.institution.clone(),
                    brl(p.earned_cents),
                    if p.capped {
                        format!("{} (teto)", brl(p.amount_cents))
                    } else {
                        brl(p.amount_cents)
                    },
                ]
            })
            .collect();
        let total = if doc.unit.is_some() {
            String::new()
        } else {
            brl(r.total_cents)
        };
        TemplateData {
            title: doc.title(),
            stage_note: match doc.stage {
                Stage::Partial => "Resultado parcial: as unidades podem recorrer até o prazo do Anexo Único; o recurso só corrige material já entregue (Art. 14).".into(),
                Stage::Final => "Resultado final, depois dos recursos: base da autorização de pagamento, que é feito no mês seguinte.".into(),
            },
            statement: doc.unit.is_some(),
            parameters,
            run: RunData::new(&doc.run),
            units,
            seizures,
            laudos,
            payments,
            payments_note: if doc.unit.is_some() {
                "Apurado e a pagar no mês somam todas as unidades: o teto mensal vale para o servidor, não para a unidade.".into()
            } else {
                "Apurado: a soma das partes do servidor no mês; a pagar: limitada ao teto mensal. Os nomes estão na folha (planilha) do Comitê.".into()
            },
            total,
            signatories: doc
                .signatories
                .iter()
                .map(|s| [s.name.clone(), s.role.clone()])
                .collect(),
            memoria: if doc.unit.is_some() {
                Vec::new()
            } else {
                r.memoria.clone()
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The workbook.

/// The IPEI workbook for the Secretary's office: sheets "Folha de pagamento" (the named payroll, numbers
/// as numbers), "Apreensões", "Laudos", "Unidades", "Memória" and "Execução". Deterministic.
pub fn ipei_xlsx(doc: &IpeiDocument) -> Result<Vec<u8>, ReportError> {
    let mut wb = Workbook::new();
    let props = DocProperties::new()
        .set_title(doc.title())
        .set_author("Comitê do Programa Goiás Cidadão Seguro")
        .set_company("Secretaria de Estado da Segurança Pública de Goiás")
        .set_creation_datetime(&crate::xlsx::run_datetime(&doc.run.created_at));
    wb.set_properties(&props);
    let f = Formats::new();
    payroll(wb.add_worksheet(), doc, &f)?;
    seizures(wb.add_worksheet(), doc, &f)?;
    laudos(wb.add_worksheet(), doc, &f)?;
    units(wb.add_worksheet(), doc, &f)?;
    memoria(wb.add_worksheet(), doc, &f)?;
    run(wb.add_worksheet(), doc, &f)?;
    Ok(wb.save_to_buffer()?)
}

fn payroll(ws: &mut Worksheet, doc: &IpeiDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Folha de pagamento",
        &[
            ("Matrícula", 14.0),
            ("Nome", 34.0),
            ("Instituição", 11.0),
            ("Apurado (R$)", 14.0),
            ("Teto aplicado", 10.0),
            ("A pagar (R$)", 14.0),
        ],
        f,
    )?;
    let pays = &doc.report.payments;
    for (i, p) in pays.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &p.registration)?;
        ws.write_string(r, 1, &p.name)?;
        ws.write_string(r, 2, &p.institution)?;
        ws.write_number_with_format(r, 3, money(p.earned_cents), &f.brl)?;
        ws.write_string(r, 4, if p.capped { "sim" } else { "não" })?;
        ws.write_number_with_format(r, 5, money(p.amount_cents), &f.brl)?;
    }
    let r = row(pays.len());
    ws.write_string_with_format(r, 0, "Total", &f.total_label)?;
    ws.write_number_with_format(r, 5, money(doc.report.total_cents), &f.total_brl)?;
    Ok(())
}

fn seizures(ws: &mut Worksheet, doc: &IpeiDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Apreensões",
        &[
            ("Nº", 7.0),
            ("Unidade", 12.0),
            ("BO", 16.0),
            ("Item", 6.0),
            ("Série", 14.0),
            ("Data", 11.0),
            ("Situação", 11.0),
            ("Motivos", 40.0),
            ("Nomeados e valores", 50.0),
        ],
        f,
    )?;
    for (i, s) in doc.seizures().enumerate() {
        let r = row(i);
        ws.write_number(r, 0, s.id as f64)?;
        ws.write_string(r, 1, &s.unit)?;
        ws.write_string(r, 2, &s.bo_number)?;
        ws.write_number(r, 3, f64::from(s.item))?;
        ws.write_string(r, 4, &s.serial)?;
        ws.write_string(r, 5, s.seized_on.br_date())?;
        ws.write_string(r, 6, seizure_status_pt(s.status))?;
        ws.write_string_with_format(r, 7, seizure_reasons(s), &f.wrap)?;
        ws.write_string_with_format(r, 8, shares_pt(&s.shares), &f.wrap)?;
    }
    Ok(())
}

fn laudos(ws: &mut Worksheet, doc: &IpeiDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Laudos",
        &[
            ("BO", 16.0),
            ("Série", 14.0),
            ("Apreensão nº", 12.0),
            ("Peritos e valores", 50.0),
        ],
        f,
    )?;
    for (i, l) in doc.report.laudos.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &l.bo_number)?;
        ws.write_string(r, 1, &l.serial)?;
        if let Some(id) = l.seizure_id {
            ws.write_number(r, 2, id as f64)?;
        }
        ws.write_string_with_format(r, 3, shares_pt(&l.shares), &f.wrap)?;
    }
    Ok(())
}

fn units(ws: &mut Worksheet, doc: &IpeiDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Unidades",
        &[
            ("Código", 14.0),
            ("Unidade", 32.0),
            ("Enviou em", 11.0),
            ("Apreensões", 11.0),
            ("Pagas", 8.0),
            ("Situação", 50.0),
        ],
        f,
    )?;
    for (i, u) in doc.report.units.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &u.code)?;
        ws.write_string(r, 1, &u.name)?;
        if let Some(d) = u.submitted_on {
            ws.write_string(r, 2, d.br_date())?;
        }
        ws.write_number(r, 3, u.seizures as f64)?;
        ws.write_number(r, 4, u.paid as f64)?;
        ws.write_string_with_format(r, 5, unit_situation(u), &f.wrap)?;
    }
    Ok(())
}

fn memoria(ws: &mut Worksheet, doc: &IpeiDocument, f: &Formats) -> Result<(), ReportError> {
    start(ws, "Memória", &[("Passo", 120.0)], f)?;
    for (i, line) in doc.report.memoria.iter().enumerate() {
        ws.write_string(row(i), 0, line)?;
    }
    Ok(())
}

fn run(ws: &mut Worksheet, doc: &IpeiDocument, f: &Formats) -> Result<(), ReportError> {
    start(ws, "Execução", &[("Campo", 28.0), ("Valor", 70.0)], f)?;
    let rows = [
        ("Documento", doc.title()),
        ("Execução nº", doc.run.run_id.to_string()),
        ("Executada por", doc.run.created_by.clone()),
        ("Executada em", doc.run.created_at.clone()),
        (
            "Configuração vigente desde",
            doc.run.config_valid_from.clone(),
        ),
        ("SHA-256 das entradas", doc.run.inputs_sha256.clone()),
        ("SHA-256 do resultado", doc.run.result_sha256.clone()),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string(row(i), col(0), *k)?;
        ws.write_string(row(i), col(1), v)?;
    }
    Ok(())
}
