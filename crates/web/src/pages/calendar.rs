//! The calendar's year table of decrees (calendar.md, "each year's decrees"): administrators add a day
//! off, cancel one, or move one (a cancel and an add under the same act), with the act's number and
//! date; a mistaken row is revoked with a reason, never deleted. Every change is audited; the cycle
//! pages show which decrees moved each deadline.

use crate::done::{self, Done};
use askama::Template;
use atalaia_core::calendar::{Calendar, Decree};
use atalaia_core::dates::BrDate;
use atalaia_core::{IbgeCode, parse_date};
use atalaia_store::cycles::committee_office;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;

use super::{Chrome, local_time, render};
use crate::guard::{Ctx, Identity};
use crate::{AppError, AppState};

struct DayRow {
    date: String,
    weekday: &'static str,
    name: String,
    business_day: bool,
}

struct DecreeView {
    id: i64,
    date: String,
    closed: bool,
    name: String,
    act: String,
    municipality: String,
    by: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    error: Option<String>,
    year: i32,
    prev: i32,
    next: i32,
    days: Vec<DayRow>,
    decrees: Vec<DecreeView>,
}

fn weekday_pt(d: chrono::NaiveDate) -> &'static str {
    [
        "segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo",
    ][d.weekday().num_days_from_monday() as usize]
}

async fn calendar_page(
    st: &AppState,
    id: &Identity,
    year: i32,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (uf, goiania) = committee_office();
    let cal: Calendar = st.db.calendar(uf, goiania).await?;
    let days = cal
        .holidays(year)
        .into_iter()
        .map(|h| DayRow {
            date: h.date.br_date(),
            weekday: weekday_pt(h.date),
            name: h.name,
            business_day: h.business_day,
        })
        .collect();
    let actors = crate::pages::Actors::load(st).await?;
    let decrees = st
        .db
        .calendar_decrees(uf.as_str())
        .await?
        .into_iter()
        .rev()
        .map(|r| DecreeView {
            id: r.id,
            date: r.decree.date.br_date(),
            closed: r.decree.closed,
            name: r.decree.name,
            act: r.decree.act,
            municipality: r.municipality.unwrap_or_else(|| "todo o estado".into()),
            by: format!(
                "{}, {}",
                actors.name(&r.created_by),
                local_time(r.created_at)
            ),
            revoked: r.revoked.map(|(by, at, why)| {
                format!(
                    "revogado por {} em {}: {why}",
                    actors.name(&by),
                    local_time(at)
                )
            }),
        })
        .collect();
    render(&CalendarPage {
        chrome: Chrome::new(st, id, "Calendário de dias úteis", "/admin/calendario").await,
        error,
        year,
        prev: year - 1,
        next: year + 1,
        days,
        decrees,
    })
}

/// `?ano=`.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    ano: Option<i32>,
}

/// `GET /admin/calendario`.
pub async fn page(Ctx { st, id }: Ctx, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    let year = q
        .ano
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or_else(|| st.config.clock.today().year());
    calendar_page(&st, &id, year, None).await
}

/// The new-row form.
#[derive(Debug, Deserialize)]
pub struct DecreeForm {
    data: String,
    tipo: String,
    nome: String,
    ato: String,
    #[serde(default)]
    municipio: String,
}

/// `POST /admin/calendario`: adds a row (audited `calendar.decree_added`).
pub async fn add(Ctx { st, id }: Ctx, Form(f): Form<DecreeForm>) -> Result<Response, AppError> {
    let (uf, _) = committee_office();
    let year = st.config.clock.today().year();
    let date = match parse_date(f.data.trim()) {
        Ok(d) => d,
        Err(e) => {
            return calendar_page(
                &st,
                &id,
                year,
                Some(format!("data `{}` inválida: {e}", f.data.trim())),
            )
            .await;
        }
    };
    let closed = match f.tipo.as_str() {
        "fechado" => true,
        "aberto" => false,
        other => {
            return calendar_page(
                &st,
                &id,
                date.year(),
                Some(format!(
                    "tipo `{other}` inválido: esperado sem expediente ou com expediente"
                )),
            )
            .await;
        }
    };
    if f.nome.trim().is_empty() || f.ato.trim().is_empty() {
        return calendar_page(
            &st,
            &id,
            date.year(),
            Some("informe o que é o dia e o ato (número e data)".into()),
        )
        .await;
    }
    let municipality: Option<IbgeCode> = match f.municipio.trim() {
        "" => None,
        m => match m.parse::<IbgeCode>() {
            Ok(c) if c.uf() == uf => Some(c),
            Ok(_) => {
                return calendar_page(
                    &st,
                    &id,
                    date.year(),
                    Some(format!("o município `{m}` não é de {}", uf.as_str())),
                )
                .await;
            }
            Err(e) => {
                return calendar_page(
                    &st,
                    &id,
                    date.year(),
                    Some(format!("município `{m}` inválido: {e}")),
                )
                .await;
            }
        },
    };
    st.db
        .add_calendar_decree(
            uf,
            municipality,
            &Decree {
                date,
                closed,
                name: f.nome.trim().to_string(),
                act: f.ato.trim().to_string(),
            },
            &id.actor(),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(done::redirect(
        &format!("/admin/calendario?ano={}", date.year()),
        Done::CalendarSaved,
    ))
}

/// The revocation form.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    motivo: String,
}

/// `POST /admin/calendario/{id}/revogar` (audited `calendar.decree_revoked`).
pub async fn revoke(
    Ctx { st, id }: Ctx,
    Path(row): Path<i64>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, AppError> {
    let year = st.config.clock.today().year();
    if f.motivo.trim().is_empty() {
        return calendar_page(
            &st,
            &id,
            year,
            Some("diga por que o registro é revogado".into()),
        )
        .await;
    }
    if !st
        .db
        .revoke_calendar_decree(row, f.motivo.trim(), &id.actor(), st.config.clock.now_utc())
        .await?
    {
        return Err(AppError::NotFound(format!("o registro {row} em vigor")));
    }
    Ok(done::redirect("/admin/calendario", Done::CalendarSaved))
}
