//! The RECAP workbook: the PDF's numbers as numbers (unrounded, with number formats), the named
//! payroll and the memória de cálculo, one sheet each.

use atalaia_core::payroll::PayrollReason;
use atalaia_core::recap::Level;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::format::{crime_label, kind_label, level_label, quarter_label, reasons_label};
use crate::{RecapDocument, ReportError};

/// Number formats (Excel codes; a pt-BR Excel shows them with comma decimals).
const NUM_2: &str = "#,##0.00";
const NUM_0: &str = "#,##0";
const BRL: &str = "\"R$\" #,##0.00;-\"R$\" #,##0.00";

/// The RECAP workbook: sheets "Áreas", "Unidades", "Servidores", "Folha nominal", "Memória" and
/// "Execução". Deterministic: the workbook's creation date is the run's.
pub fn recap_xlsx(doc: &RecapDocument) -> Result<Vec<u8>, ReportError> {
    let mut wb = Workbook::new();
    let mut props = DocProperties::new()
        .set_title(format!(
            "{} do RECAP — {}",
            doc.stage.label_pt(),
            quarter_label(&doc.report.quarter)
        ))
        .set_author("Comitê do Programa Goiás Cidadão Seguro")
        .set_company("Secretaria de Estado da Segurança Pública de Goiás");
    props = props.set_creation_datetime(&run_datetime(&doc.run.created_at));
    wb.set_properties(&props);

    let f = Formats::new();
    areas(wb.add_worksheet(), doc, &f)?;
    units(wb.add_worksheet(), doc, &f)?;
    roster(wb.add_worksheet(), doc, &f)?;
    payroll(wb.add_worksheet(), doc, &f)?;
    memoria(wb.add_worksheet(), doc, &f)?;
    run(wb.add_worksheet(), doc, &f)?;
    Ok(wb.save_to_buffer()?)
}

/// The run's date and time, converted from Brasília time (UTC−3) to UTC, as the workbook's creation
/// date; 1 Jan 2000 when it does not read as a date, so the bytes never depend on the clock.
pub(crate) fn run_datetime(text: &str) -> ExcelDateTime {
    use chrono::{Datelike, Timelike};
    let utc = crate::run_datetime(text).map(atalaia_core::dates::sao_paulo_to_utc);
    utc.and_then(|t| {
        ExcelDateTime::from_ymd(
            u16::try_from(t.year()).ok()?,
            u8::try_from(t.month()).ok()?,
            u8::try_from(t.day()).ok()?,
        )
        .ok()?
        .and_hms(
            u16::try_from(t.hour()).ok()?,
            u8::try_from(t.minute()).ok()?,
            u8::try_from(t.second()).ok()?,
        )
        .ok()
    })
    .or_else(|| ExcelDateTime::from_ymd(2000, 1, 1).ok())
    .unwrap_or_default()
}

pub(crate) struct Formats {
    pub(crate) header: Format,
    pub(crate) num2: Format,
    pub(crate) num0: Format,
    pub(crate) brl: Format,
    pub(crate) total_label: Format,
    pub(crate) total_num0: Format,
    pub(crate) total_brl: Format,
    pub(crate) wrap: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        let bold = Format::new().set_bold();
        Formats {
            header: bold
                .clone()
                .set_background_color(0xE4E4E4)
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            num2: Format::new().set_num_format(NUM_2),
            num0: Format::new().set_num_format(NUM_0),
            brl: Format::new().set_num_format(BRL),
            total_label: bold.clone(),
            total_num0: bold.clone().set_num_format(NUM_0),
            total_brl: bold.set_num_format(BRL),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

/// Names the sheet, writes its bold header row, freezes it and sets the column widths.
pub(crate) fn start(
    ws: &mut Worksheet,
    name: &str,
    columns: &[(&str, f64)],
    f: &Formats,
) -> Result<(), ReportError> {
    ws.set_name(name)?;
    for (c, (title, width)) in columns.iter().enumerate() {
        let c = col(c);
        ws.write_string_with_format(0, c, *title, &f.header)?;
        ws.set_column_width(c, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A column index; sheets here have far fewer than 16 384 columns, and more is refused by the writer.
pub(crate) fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// A row index below the header.
pub(crate) fn row(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

fn opt_num(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    v: Option<f64>,
    fmt: &Format,
) -> Result<(), ReportError> {
    match v {
        Some(v) if v.is_finite() => {
            ws.write_number_with_format(r, c, v, fmt)?;
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn level_text(level: Option<Level>) -> &'static str {
    level_label(level)
}

fn areas(ws: &mut Worksheet, doc: &RecapDocument, f: &Formats) -> Result<(), ReportError> {
    let crimes: Vec<String> = doc
        .report
        .parameters
        .crimes
        .iter()
        .map(|c| crime_label(c))
        .collect();
    let mut columns: Vec<(String, f64)> = vec![
        ("Código".into(), 12.0),
        ("Área".into(), 30.0),
        ("Tipo".into(), 8.0),
        ("População (período)".into(), 13.0),
        ("População (base)".into(), 13.0),
    ];
    for c in &crimes {
        columns.push((format!("{c} — base"), 12.0));
        columns.push((format!("{c} — período"), 12.0));
    }
    for (t, w) in [
        ("Índice base", 11.0),
        ("Índice", 11.0),
        ("Redução (%)", 11.0),
        ("Nível", 9.0),
        ("Motivo", 28.0),
        ("Aviso", 28.0),
    ] {
        columns.push((t.into(), w));
    }
    let cols: Vec<(&str, f64)> = columns.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    start(ws, "Áreas", &cols, f)?;
    let n = crimes.len();
    for (i, a) in doc.report.areas.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &a.code)?;
        ws.write_string(r, 1, &a.name)?;
        ws.write_string(r, 2, kind_label(&a.kind))?;
        opt_num(ws, r, 3, a.population.map(|p| p as f64), &f.num0)?;
        opt_num(ws, r, 4, a.baseline_population.map(|p| p as f64), &f.num0)?;
        for k in 0..n {
            if let Some(c) = a.crimes.get(k) {
                ws.write_number_with_format(r, col(5 + 2 * k), c.baseline_count as f64, &f.num0)?;
                ws.write_number_with_format(r, col(6 + 2 * k), c.count as f64, &f.num0)?;
            }
        }
        let c = 5 + 2 * n;
        opt_num(ws, r, col(c), a.baseline_index, &f.num2)?;
        opt_num(ws, r, col(c + 1), a.index, &f.num2)?;
        opt_num(ws, r, col(c + 2), a.reduction_pct, &f.num2)?;
        ws.write_string(r, col(c + 3), level_text(a.level))?;
        ws.write_string(r, col(c + 4), reasons_label(&a.reasons))?;
        let warnings: Vec<&str> = a
            .warnings
            .iter()
            .map(crate::format::warning_label)
            .collect();
        ws.write_string(r, col(c + 5), warnings.join("; "))?;
    }
    Ok(())
}

fn units(ws: &mut Worksheet, doc: &RecapDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Unidades",
        &[
            ("Código", 14.0),
            ("Unidade", 32.0),
            ("Áreas", 22.0),
            ("Índice base", 11.0),
            ("Índice", 11.0),
            ("Redução (%)", 11.0),
            ("Nível", 9.0),
            ("Motivo", 28.0),
        ],
        f,
    )?;
    for (i, u) in doc.report.units.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &u.code)?;
        ws.write_string(r, 1, &u.name)?;
        ws.write_string(r, 2, u.areas.join(", "))?;
        opt_num(ws, r, 3, u.baseline_index, &f.num2)?;
        opt_num(ws, r, 4, u.index, &f.num2)?;
        opt_num(ws, r, 5, u.reduction_pct, &f.num2)?;
        ws.write_string(r, 6, level_text(u.level))?;
        ws.write_string(r, 7, reasons_label(&u.reasons))?;
    }
    Ok(())
}

fn roster(ws: &mut Worksheet, doc: &RecapDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Servidores",
        &[
            ("Código da unidade", 14.0),
            ("Unidade", 32.0),
            ("Áreas", 22.0),
            ("Nível", 9.0),
            ("Elegíveis", 10.0),
            ("Excluídos (afastamento)", 13.0),
            ("Excluídos (chefia)", 11.0),
            ("Excluídos (outros motivos)", 13.0),
            ("Valor por servidor (R$)", 15.0),
            ("Total (R$)", 17.0),
        ],
        f,
    )?;
    let (mut eligible, mut absence, mut head, mut other, mut total) =
        (0u64, 0u64, 0u64, 0u64, 0i128);
    for (i, l) in doc.roster.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &l.unit)?;
        ws.write_string(r, 1, &l.name)?;
        ws.write_string(r, 2, l.areas.join(", "))?;
        ws.write_string(r, 3, level_text(l.level))?;
        ws.write_number_with_format(r, 4, l.eligible, &f.num0)?;
        ws.write_number_with_format(r, 5, l.excluded_absence, &f.num0)?;
        ws.write_number_with_format(r, 6, l.excluded_by_head, &f.num0)?;
        ws.write_number_with_format(r, 7, l.excluded_other, &f.num0)?;
        ws.write_number_with_format(r, 8, money(l.amount_cents), &f.brl)?;
        ws.write_number_with_format(r, 9, money(l.total_cents), &f.brl)?;
        eligible += u64::from(l.eligible);
        absence += u64::from(l.excluded_absence);
        head += u64::from(l.excluded_by_head);
        other += u64::from(l.excluded_other);
        total += i128::from(l.total_cents);
    }
    let r = row(doc.roster.len());
    ws.write_string_with_format(r, 0, "Total", &f.total_label)?;
    ws.write_number_with_format(r, 4, eligible as f64, &f.total_num0)?;
    ws.write_number_with_format(r, 5, absence as f64, &f.total_num0)?;
    ws.write_number_with_format(r, 6, head as f64, &f.total_num0)?;
    ws.write_number_with_format(r, 7, other as f64, &f.total_num0)?;
    ws.write_number_with_format(r, 9, total as f64 / 100.0, &f.total_brl)?;
    Ok(())
}

fn payroll(ws: &mut Worksheet, doc: &RecapDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Folha nominal",
        &[
            ("Matrícula", 12.0),
            ("Nome", 34.0),
            ("Instituição", 12.0),
            ("Código da unidade", 14.0),
            ("Unidade", 30.0),
            ("Áreas", 20.0),
            ("Nível", 9.0),
            ("Valor (R$)", 14.0),
            ("Situação", 10.0),
            ("Motivo da exclusão", 40.0),
        ],
        f,
    )?;
    for (i, l) in doc.payroll.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, &l.registration)?;
        ws.write_string(r, 1, &l.name)?;
        ws.write_string(r, 2, &l.institution)?;
        ws.write_string(r, 3, &l.unit_code)?;
        ws.write_string(r, 4, &l.unit_name)?;
        ws.write_string(r, 5, l.areas.join(", "))?;
        ws.write_string(r, 6, level_text(l.level))?;
        ws.write_number_with_format(r, 7, money(l.amount_cents), &f.brl)?;
        ws.write_string(
            r,
            8,
            if l.reason.is_some() {
                "excluído"
            } else {
                "pago"
            },
        )?;
        let why = match (l.reason, &l.decision) {
            (Some(PayrollReason::CommitteeDecision), Some(d)) => Some(d.clone()),
            (Some(reason), Some(d)) => Some(format!("{}: {d}", reason.label_pt())),
            (Some(reason), None) => Some(reason.label_pt().to_string()),
            (None, Some(d)) => Some(format!("incluído por {d}")),
            (None, None) => None,
        };
        if let Some(why) = why {
            ws.write_string(r, 9, why)?;
        }
    }
    if !doc.payroll.is_empty() {
        ws.autofilter(0, 0, row(doc.payroll.len() - 1), 9)?;
    }
    Ok(())
}

fn memoria(ws: &mut Worksheet, doc: &RecapDocument, f: &Formats) -> Result<(), ReportError> {
    start(
        ws,
        "Memória",
        &[("Código da área", 14.0), ("Nº", 5.0), ("Linha", 120.0)],
        f,
    )?;
    let mut i = 0;
    for a in &doc.report.areas {
        for (n, line) in a.memoria.iter().enumerate() {
            let r = row(i);
            ws.write_string(r, 0, &a.code)?;
            ws.write_number(r, 1, (n + 1) as f64)?;
            ws.write_string_with_format(r, 2, line, &f.wrap)?;
            i += 1;
        }
    }
    Ok(())
}

/// A value of the "Execução" sheet.
enum Value {
    Text(String),
    Percent(f64),
}

fn run(ws: &mut Worksheet, doc: &RecapDocument, f: &Formats) -> Result<(), ReportError> {
    start(ws, "Execução", &[("Campo", 28.0), ("Valor", 70.0)], f)?;
    let p = &doc.report.parameters;
    let crimes: Vec<String> = p.crimes.iter().map(|c| crime_label(c)).collect();
    let rows = [
        ("Documento", Value::Text(doc.stage.label_pt().into())),
        ("Trimestre", Value::Text(quarter_label(&doc.report.quarter))),
        (
            "Base de comparação",
            Value::Text(quarter_label(&doc.report.baseline_quarter)),
        ),
        ("Crimes de Alta Prioridade", Value::Text(crimes.join(", "))),
        (
            "RECAP2: redução mínima (%)",
            Value::Percent(p.recap2_min_pct),
        ),
        (
            "RECAP1: redução mínima (%)",
            Value::Percent(p.recap1_min_pct),
        ),
        (
            "Configuração vigente desde",
            Value::Text(doc.run.config_valid_from.clone()),
        ),
        ("Execução nº", Value::Text(doc.run.run_id.to_string())),
        ("Executada por", Value::Text(doc.run.created_by.clone())),
        ("Executada em", Value::Text(doc.run.created_at.clone())),
        (
            "SHA-256 das entradas",
            Value::Text(doc.run.inputs_sha256.clone()),
        ),
        (
            "SHA-256 do resultado",
            Value::Text(doc.run.result_sha256.clone()),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let r = row(i);
        ws.write_string(r, 0, *k)?;
        match v {
            Value::Text(t) => {
                ws.write_string(r, 1, t)?;
            }
            Value::Percent(x) => {
                ws.write_number_with_format(r, 1, *x, &f.num2)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_creation_date_is_the_runs_in_utc() {
        let at = |y, m, d, h, min| {
            ExcelDateTime::from_ymd(y, m, d)
                .and_then(|t| t.and_hms(h, min, 0))
                .map(|t| t.to_excel())
                .ok()
        };
        assert_eq!(
            Some(run_datetime("22/11/2026 10:15").to_excel()),
            at(2026, 11, 22, 13, 15)
        );
        assert_eq!(
            Some(run_datetime("31/12/2026 22:00").to_excel()),
            at(2027, 1, 1, 1, 0)
        );
        assert_eq!(
            Some(run_datetime("amanhã").to_excel()),
            at(2000, 1, 1, 0, 0)
        );
    }
}
