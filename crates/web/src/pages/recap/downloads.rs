//! The RECAP page's two tables — areas and units with today's data — as downloads
//! (`pages::export`), with the page's scope: a unit head gets his units' rows only.

use axum::extract::Query;
use axum::response::Response;

use super::unit_rows;
use super::{AreaRow, CHART_QUARTERS, UnitRow, area_rows, peak_history, quarter_of, series};
use crate::AppError;
use crate::guard::Ctx;
use crate::pages::export::{self, Cell, Format, Table};
use crate::pages::{Fields, field};

fn yes_no(b: bool) -> Cell {
    if b { "sim" } else { "não" }.into()
}

fn area_cells(a: AreaRow) -> Vec<Cell> {
    let crimes: Vec<String> = a
        .crimes
        .iter()
        .map(|(c, b, n)| format!("{c}: {b} → {n}"))
        .collect();
    vec![
        a.code.into(),
        a.name.into(),
        a.kind.into(),
        a.population.into(),
        crimes.join("; ").into(),
        a.baseline_index.into(),
        a.index.into(),
        a.reduction.into(),
        a.level.into(),
        a.reasons.into(),
        a.why.into(),
        a.p_value.into(),
        a.ratio_ci.into(),
        yes_no(a.within_chance),
        yes_no(a.peak),
        a.warnings.into(),
    ]
}

const AREA_HEADER: [&str; 16] = [
    "Área",
    "Nome",
    "Tipo",
    "População",
    "Crimes (base → trimestre)",
    "Índice base",
    "Índice",
    "Redução",
    "Nível",
    "Motivos",
    "O que faltou",
    "p",
    "Razão de taxas IC95%",
    "Redução dentro do acaso",
    "Base foi um pico",
    "Avisos",
];

fn unit_cells(u: UnitRow) -> Vec<Cell> {
    vec![
        u.code.into(),
        u.name.into(),
        u.areas.into(),
        u.baseline_index.into(),
        u.index.into(),
        u.reduction.into(),
        u.level.into(),
        u.reasons.into(),
        u.why.into(),
    ]
}

const UNIT_HEADER: [&str; 9] = [
    "Unidade",
    "Nome",
    "Áreas",
    "Índice base",
    "Índice",
    "Redução (%)",
    "Nível",
    "Motivos",
    "O que faltou",
];

/// `GET /recap/exportar?formato=csv|xlsx&trimestre=…&tabela=areas|unidades`: the page's table of
/// areas (the default) or of units, computed with today's data as the page computes it. A quarter
/// not over has no levels, as on the page, and its file is named `…-parcial`.
pub async fn export(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let format = Format::parse(field(&f, "formato"))?;
    let q = quarter_of(field(&f, "trimestre"), st.config.clock.today())?;
    let c = st
        .db
        .compute_quarter(q, None, st.config.clock.today())
        .await?;
    let partial = if c.not_closed.is_some() {
        "-parcial"
    } else {
        ""
    };
    let table = match field(&f, "tabela").unwrap_or("areas") {
        "areas" => {
            let (quarters, series) = series(&st, &c, q, CHART_QUARTERS).await?;
            let history = peak_history(&c, &quarters, &series);
            Table {
                name: format!("recap-areas-{q}{partial}"),
                sheet: "Áreas",
                header: AREA_HEADER.to_vec(),
                rows: area_rows(&c, &history)
                    .into_iter()
                    .map(area_cells)
                    .collect(),
            }
        }
        "unidades" => Table {
            name: format!("recap-unidades-{q}{partial}"),
            sheet: "Unidades",
            header: UNIT_HEADER.to_vec(),
            rows: unit_rows(&c.report.units, &c.report.parameters)
                .into_iter()
                .filter(|u| id.reads_whole_runs() || id.heads_unit(&u.code))
                .map(unit_cells)
                .collect(),
        },
        other => {
            return Err(AppError::BadRequest(format!(
                "tabela `{other}` inválida: esperado areas ou unidades"
            )));
        }
    };
    export::send(table, format).await
}
