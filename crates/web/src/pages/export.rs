//! Table downloads: a table page offers the rows it shows — the same filter, the same scope, every page
//! of them — as CSV and as XLSX. The page builds a [`Table`] from its own rows and [`send`] writes it.
//!
//! The CSV is for people opening it in a Brazilian spreadsheet: `;` between cells, a UTF-8 byte-order
//! mark, each cell as the page writes it and neutralised against formulas (`spreadsheet::safe_cell`).
//! The XLSX keeps numbers as numbers and text as text (a workbook string is never run as a formula).

use axum::response::Response;
use rust_xlsxwriter::{Format as XlsxFormat, Workbook, XlsxError};

use super::{XLSX, download, on_blocking_pool};
use crate::AppError;

/// The most rows a workbook download carries; a larger table is refused with a pointer to its CSV,
/// which streams any size a page can hold.
pub(crate) const XLSX_MAX_ROWS: usize = 100_000;

/// One cell: the words the page shows, or a count that a workbook keeps as a number.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(String),
    Count(i64),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Count(n)
    }
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
        }
    }
}

/// A table as its page shows it.
pub(crate) struct Table {
    /// The file's name without its extension (`operadores`, `auditoria-2026-11-20`).
    pub(crate) name: String,
    /// The worksheet's name (at most 31 characters).
    pub(crate) sheet: &'static str,
    /// The column titles, as the page's header.
    pub(crate) header: Vec<&'static str>,
    pub(crate) rows: Vec<Vec<Cell>>,
}

/// A name as a download writes it: marked when it is the demo's, as the page's tag marks it.
pub(crate) fn marked_name(name: String, synthetic: bool) -> String {
    if synthetic {
        format!("{name} (sintético)")
    } else {
        name
    }
}

/// Which file: `?formato=csv` or `?formato=xlsx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The `formato` field of a page's query; anything else is a 400 naming what was expected.
    pub(crate) fn parse(value: Option<&str>) -> Result<Format, AppError> {
        match value.map(str::trim) {
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(other) => Err(AppError::BadRequest(format!(
                "formato `{other}` inválido: esperado csv ou xlsx"
            ))),
            None => Err(AppError::BadRequest(
                "escolha o formato do arquivo: csv ou xlsx".into(),
            )),
        }
    }
}

/// `table` as the download `format` asks for.
pub(crate) async fn send(table: Table, format: Format) -> Result<Response, AppError> {
    match format {
        Format::Csv => {
            let name = format!("{}.csv", table.name);
            Ok(download(
                csv_bytes(&table)?,
                "text/csv; charset=utf-8",
                name,
            ))
        }
        Format::Xlsx => {
            if table.rows.len() > XLSX_MAX_ROWS {
                return Err(AppError::BadRequest(format!(
                    "a planilha XLSX leva até {} linhas e esta tabela tem {}: baixe o CSV",
                    super::thousands(XLSX_MAX_ROWS as u64),
                    super::thousands(table.rows.len() as u64)
                )));
            }
            let name = format!("{}.xlsx", table.name);
            let bytes = on_blocking_pool("xlsx", move || xlsx_bytes(&table)).await?;
            Ok(download(bytes, XLSX, name))
        }
    }
}

fn csv_bytes(table: &Table) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer("\u{feff}".as_bytes().to_vec());
    super::write_safe(&mut w, &table.header).map_err(fail)?;
    for row in &table.rows {
        super::write_safe(&mut w, row.iter().map(Cell::text)).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

fn xlsx_bytes(table: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = XlsxFormat::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(table.sheet)?;
    for (c, h) in table.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => ws.write_string(r, c as u16, s)?,
                Cell::Count(n) => ws.write_number(r, c as u16, *n as f64)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofit();
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            name: "teste".into(),
            sheet: "Teste",
            header: vec!["Nome", "Quantidade"],
            rows: vec![
                vec!["=HYPERLINK(\"x\")".into(), Cell::Count(3)],
                vec!["Ação; com ponto e vírgula".into(), Cell::Count(-2)],
            ],
        }
    }

    #[test]
    fn the_csv_is_for_a_brazilian_spreadsheet_and_runs_no_formula() {
        let text = String::from_utf8(csv_bytes(&table()).unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}Nome;Quantidade\n\"'=HYPERLINK(\"\"x\"\")\";3\n\"Ação; com ponto e vírgula\";-2\n"
        );
    }

    #[test]
    fn the_format_is_csv_or_xlsx_and_says_so_otherwise() {
        assert_eq!(Format::parse(Some("csv")).unwrap(), Format::Csv);
        assert_eq!(Format::parse(Some("xlsx")).unwrap(), Format::Xlsx);
        let e = Format::parse(Some("pdf")).unwrap_err().to_string();
        assert!(
            e.contains("formato `pdf` inválido: esperado csv ou xlsx"),
            "{e}"
        );
        assert!(Format::parse(None).is_err());
    }
}
