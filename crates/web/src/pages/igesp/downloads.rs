//! The meetings and actions lists as downloads (`pages::export`): the rows the lists show the
//! requester, with their columns.

use axum::extract::Query;
use axum::response::Response;

use super::actions::{action_lines, situation};
use super::meetings::{MeetingRow, meeting_rows};
use super::viewer;
use crate::AppError;
use crate::guard::Ctx;
use crate::pages::export::{self, Cell, Format, Table};
use crate::pages::{Fields, field};

fn meeting_cells(m: MeetingRow) -> Vec<Cell> {
    vec![
        m.when.into(),
        m.kind.into(),
        m.title.into(),
        m.municipality.into(),
        m.status.into(),
        m.institutions.into(),
        (m.open_actions as i64).into(),
        (m.overdue_actions as i64).into(),
    ]
}

/// `GET /reunioes/exportar?formato=csv|xlsx`: the meetings the requester sees, those to come first
/// (soonest first), then the others (latest first), as the page's two tables.
pub async fn meetings(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let format = Format::parse(field(&f, "formato"))?;
    let (upcoming, past) = meeting_rows(&st, &id).await?;
    let rows = upcoming
        .into_iter()
        .chain(past)
        .map(meeting_cells)
        .collect();
    let table = Table {
        name: "reunioes".into(),
        sheet: "Reuniões",
        header: vec![
            "Quando",
            "Tipo",
            "Reunião",
            "Município",
            "Situação",
            "Instituições",
            "Ações em aberto",
            "Em atraso",
        ],
        rows,
    };
    export::send(table, format).await
}

/// `GET /acoes/exportar?formato=csv|xlsx&situacao=…`: the actions the list shows for the same
/// `situacao`, overdue first.
pub async fn actions(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let format = Format::parse(field(&f, "formato"))?;
    let filter = situation(&f)?;
    let (lines, _, _) = action_lines(&st, &viewer(&id), &filter).await?;
    let yes_no = |b: bool| if b { "sim" } else { "não" };
    let rows = lines
        .into_iter()
        .map(|a| {
            vec![
                a.id.into(),
                a.title.into(),
                yes_no(a.joint).into(),
                a.municipality.into(),
                a.responsible.into(),
                a.partners.into(),
                a.due.into(),
                yes_no(a.overdue).into(),
                a.status.into(),
                a.meeting_id
                    .map(|m| format!("reunião nº {m}"))
                    .unwrap_or_default()
                    .into(),
            ]
        })
        .collect();
    let table = Table {
        name: format!("acoes-{filter}"),
        sheet: "Ações",
        header: vec![
            "#",
            "Ação",
            "Operação conjunta",
            "Município",
            "Responsável",
            "Parceiras",
            "Prazo",
            "Em atraso",
            "Situação",
            "Origem",
        ],
        rows,
    };
    export::send(table, format).await
}
