//! The calendar's year table of decrees (calendar.md, "each year's decrees"): administrators add a day
//! off, cancel one, or move one (a cancel and an add under the same act), with the act's number and
//! date; a mistaken row is revoked with a reason, never deleted. Every change is audited; the cycle
//! pages show which decrees moved each deadline.

use crate::done::{self, Done};
use askama::Template;
use atalaia_core::calendar::{Calendar, Decree};
use atalaia_core::dates::BrDate;
use atalaia_core::{IbgeCode, Uf, parse_date};
use atalaia_store::cycles::committee_office;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;

use super::kept::{FieldError, Kept};
use super::{Chrome, Fields, field, local_time, render};
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
    /// The new-row form, as typed when it was refused.
    kept: Kept,
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
    kept: Kept,
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
        kept,
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
    calendar_page(&st, &id, year, None, Kept::default()).await
}

/// `POST /admin/calendario`: adds a row (audited `calendar.decree_added`); a refused row comes back
/// as typed, the reason beside its input.
pub async fn add(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let (uf, _) = committee_office();
    let (decree, municipality) = match decree_of(&f, uf) {
        Ok(d) => d,
        Err(e) => {
            let year = st.config.clock.today().year();
            return calendar_page(&st, &id, year, None, Kept::refused(&f, e)).await;
        }
    };
    let year = decree.date.year();
    st.db
        .add_calendar_decree(
            uf,
            municipality,
            &decree,
            &id.actor(),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(done::redirect(
        &format!("/admin/calendario?ano={year}"),
        Done::CalendarSaved,
    ))
}

/// The new-row form as a decree of `uf` (and its municipality), or the first input to mend.
fn decree_of(f: &Fields, uf: Uf) -> Result<(Decree, Option<IbgeCode>), FieldError> {
    let at = FieldError::at;
    let text = |name| field(f, name).unwrap_or("");
    let date = parse_date(text("data"))
        .map_err(|e| at("data")(format!("data `{}` inválida: {e}", text("data"))))?;
    let closed = match text("tipo") {
        "fechado" => true,
        "aberto" => false,
        other => {
            return Err(at("tipo")(format!(
                "tipo `{other}` inválido: esperado sem expediente ou com expediente"
            )));
        }
    };
    if text("nome").is_empty() {
        return Err(at("nome")("diga o que é o dia".into()));
    }
    if text("ato").is_empty() {
        return Err(at("ato")("informe o ato (número e data)".into()));
    }
    let municipality = match text("municipio") {
        "" => None,
        m => match m.parse::<IbgeCode>() {
            Ok(c) if c.uf() == uf => Some(c),
            Ok(_) => {
                return Err(at("municipio")(format!(
                    "o município `{m}` não é de {}",
                    uf.as_str()
                )));
            }
            Err(e) => return Err(at("municipio")(format!("município `{m}` inválido: {e}"))),
        },
    };
    let decree = Decree {
        date,
        closed,
        name: text("nome").to_string(),
        act: text("ato").to_string(),
    };
    Ok((decree, municipality))
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
            Kept::default(),
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
