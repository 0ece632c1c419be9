//! The unit head's RECAP page (Art. 9, Art. 14): their units' published result, the exclusion list the
//! system proposes from the absence records (confirmed or amended, each amendment with a reason), and
//! appeals. Scoped: a head sees and acts for the units of their grants only.

use crate::done::Done;
use crate::pages::program::cycle;
use askama::Template;
use atalaia_core::Quarter;
use atalaia_core::payroll::{Amendment, Person, RosterLine, exclusion_list};
use atalaia_store::cycles::ActRequest;
use axum::Form;
use axum::extract::Query;
use axum::response::Response;

use crate::guard::{Ctx, Identity};
use crate::pages::program::cycle::act_views;
use crate::pages::program::runs::published;
use crate::pages::recap::{level_pt, reason_pt};
use crate::pages::{Chrome, render};
use crate::{AppError, AppState};
use atalaia_core::pipeline::Recap;

/// The units a unit head answers for on `day`: their scoped grants, or every unit for an unscoped one.
async fn my_units(
    st: &AppState,
    id: &Identity,
    q: Quarter,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(st
        .db
        .units_on(q.last_day())
        .await?
        .into_iter()
        .filter(|u| id.heads_unit(&u.code))
        .map(|u| (u.code, u.name))
        .collect())
}

struct ListRow {
    registration: String,
    name: String,
    absence: String,
    proposed: bool,
    excluded: bool,
    amendment: String,
}

struct UnitView {
    code: String,
    name: String,
    result: Option<String>,
    list: Vec<ListRow>,
    acts: Vec<String>,
}

#[derive(Template)]
#[template(path = "recap_unit.html")]
struct UnitPage {
    chrome: Chrome,
    quarter: String,
    /// "3º trimestre de 2026".
    quarter_label: String,
    error: Option<String>,
    cycle_open: bool,
    units: Vec<UnitView>,
}

/// The home page's line for each unit `id` heads: its RECAP level in the quarter the unit pages show,
/// from the published result, or from today's data until one is published.
pub(crate) async fn standing(st: &AppState, id: &Identity) -> Result<Vec<String>, AppError> {
    let q = crate::pages::recap::quarter_of(None, st.config.clock.today())?;
    let units = my_units(st, id, q).await?;
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let (report, whence) = match published::<Recap>(st, st.db.cycle(q).await?.as_ref()).await? {
        Some((report, stage, run_id)) => {
            (report, format!("resultado {stage}, execução nº {run_id}"))
        }
        None => {
            let c = st
                .db
                .compute_quarter(q, None, st.config.clock.today())
                .await?;
            (
                c.report,
                "cálculo com os dados de hoje, ainda não publicado".to_string(),
            )
        }
    };
    Ok(units
        .iter()
        .map(
            |(code, name)| match report.units.iter().find(|u| u.code == *code) {
                Some(u) => {
                    let level = match u.level {
                        Some(_) => level_pt(u.level),
                        None => "sem nível",
                    };
                    // Without a level, how far RECAP2 was (the RECAP page's sentence).
                    let reduction = match (u.shortfall_pt(&report.parameters), u.reduction_pct) {
                        (Some(short), _) => short,
                        (None, Some(r)) => {
                            format!("redução {}", atalaia_core::numbers::percent(r, 2))
                        }
                        (None, None) => "redução indefinida".into(),
                    };
                    let reasons: String = u
                        .reasons
                        .iter()
                        .map(|r| format!(", {}", reason_pt(r)))
                        .collect();
                    format!(
                        "{name} ({code}) no {}: {level} — {reduction}{reasons} ({whence}).",
                        q.label_pt()
                    )
                }
                None => format!(
                    "{name} ({code}) não consta do RECAP do {} ({whence}).",
                    q.label_pt()
                ),
            },
        )
        .collect())
}

/// The quarter's roster under the configuration its result as of today applies.
async fn quarter_roster(st: &AppState, q: Quarter) -> Result<Vec<RosterLine>, AppError> {
    let computed = st
        .db
        .compute_quarter(q, None, st.config.clock.today())
        .await?;
    Ok(st.db.roster(q, &computed.config).await?)
}

async fn unit_page(
    st: &AppState,
    id: &Identity,
    q: Quarter,
    error: Option<String>,
) -> Result<Response, AppError> {
    let cycle = st.db.cycle(q).await?;
    let roster = quarter_roster(st, q).await?;
    let people: Vec<Person> = roster.iter().map(RosterLine::person).collect();
    let published = published::<Recap>(st, cycle.as_ref()).await?;
    let amendments = cycle
        .as_ref()
        .map(|c| c.amendments_by_unit())
        .unwrap_or_default();
    let none = Vec::new();
    let mut units = Vec::new();
    let actors = crate::pages::Actors::load(st).await?;
    for (code, name) in my_units(st, id, q).await? {
        let result = published.as_ref().map(|(report, stage, run_id)| {
            match report.units.iter().find(|u| u.code == code) {
                Some(u) => format!(
                    "Resultado {stage} (execução nº {run_id}): índice {} → {}, redução {}, nível {}{}",
                    crate::pages::recap::br2(u.baseline_index),
                    crate::pages::recap::br2(u.index),
                    u.reduction_pct
                        .map(|r| format!("{}%", crate::pages::recap::br2(Some(r))))
                        .unwrap_or_else(|| "indefinida".into()),
                    level_pt(u.level),
                    if u.reasons.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            u.reasons.iter().map(reason_pt).collect::<Vec<_>>().join("; ")
                        )
                    }
                ),
                None => format!("A unidade não consta do resultado {stage} (execução nº {run_id})."),
            }
        });
        let list = exclusion_list(&code, &people, amendments.get(&code).unwrap_or(&none))
            .into_iter()
            .map(|l| ListRow {
                // Art. 9: days not in service count as absence (`atalaia_core::roster`).
                absence: match l.not_in_service_days {
                    0 => format!("{} de {} dias", l.absent_days, l.quarter_days),
                    n => format!(
                        "{} de {} dias ({} ausente, {n} fora de serviço)",
                        l.absent_days + n,
                        l.quarter_days,
                        l.absent_days
                    ),
                },
                registration: l.registration,
                name: l.name,
                proposed: l.proposed,
                excluded: l.excluded,
                amendment: l.amendment.unwrap_or_default(),
            })
            .collect();
        let acts = match &cycle {
            Some(c) => act_views(c, "submission", &actors)
                .into_iter()
                .chain(act_views(c, "appeal", &actors))
                .filter(|a| a.unit == code)
                .map(|a| {
                    format!(
                        "{} em {} por {}: {}{}",
                        if a.what == "appeal" {
                            "Recurso"
                        } else {
                            "Lista enviada"
                        },
                        a.at,
                        a.by,
                        a.text,
                        a.decided.map(|d| format!(" — {d}")).unwrap_or_default()
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        units.push(UnitView {
            code,
            name,
            result,
            list,
            acts,
        });
    }
    render(&UnitPage {
        chrome: Chrome::new(st, id, "RECAP — minha unidade", "/recap/unidade").await,
        quarter: q.short_pt(),
        quarter_label: q.label_pt(),
        error,
        cycle_open: cycle.is_some(),
        units,
    })
}

/// `?trimestre=`.
#[derive(Debug, serde::Deserialize)]
pub struct QuarterQuery {
    trimestre: Option<String>,
}

/// `GET /recap/unidade`.
pub async fn page(
    Ctx { st, id }: Ctx,
    Query(qq): Query<QuarterQuery>,
) -> Result<Response, AppError> {
    let q = crate::pages::recap::quarter_of(qq.trimestre.as_deref(), st.config.clock.today())?;
    unit_page(&st, &id, q, None).await
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The cycle of the form's quarter and the unit, checked against the head's scope.
async fn target(
    st: &AppState,
    id: &Identity,
    f: &[(String, String)],
) -> Result<(Quarter, i64, String), AppError> {
    let q = crate::pages::recap::quarter_of(Some(field(f, "trimestre")), st.config.clock.today())?;
    let unit = field(f, "unidade").trim().to_string();
    if unit.is_empty() {
        return Err(AppError::BadRequest("informe a unidade".into()));
    }
    if !my_units(st, id, q).await?.iter().any(|(c, _)| *c == unit) {
        // Another unit answers as if it did not exist (a 404, like every hidden object).
        return Err(AppError::NotFound(format!(
            "a unidade `{unit}` entre as suas"
        )));
    }
    let cycle =
        st.db.cycle(q).await?.ok_or_else(|| {
            AppError::BadRequest(format!("o Comitê ainda não abriu o ciclo de {q}"))
        })?;
    Ok((q, cycle.id, unit))
}

/// `POST /recap/unidade/lista`: the head's exclusion list — for each operator, a checkbox `excluir_<reg>`
/// and a reason `motivo_<reg>`; what differs from the system's proposal is an amendment and needs its
/// reason.
pub async fn submit_list(
    Ctx { st, id }: Ctx,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (q, cycle_id, unit) = target(&st, &id, &f).await?;
    let roster = quarter_roster(&st, q).await?;
    let people: Vec<Person> = roster.iter().map(RosterLine::person).collect();
    let mut amendments = Vec::new();
    for line in exclusion_list(&unit, &people, &[]) {
        let wanted = field(&f, &format!("excluir_{}", line.registration)) == "sim";
        if wanted != line.proposed {
            amendments.push(Amendment {
                registration: line.registration.clone(),
                excluded: wanted,
                reason: field(&f, &format!("motivo_{}", line.registration))
                    .trim()
                    .to_string(),
            });
        }
    }
    let request = ActRequest::Submit {
        unit,
        amendments,
        justification: field(&f, "justificativa").to_string(),
    };
    act_and_answer(&st, &id, q, cycle_id, &request).await
}

/// `POST /recap/unidade/recurso`: an appeal (Art. 14: it corrects material already delivered).
pub async fn appeal(
    Ctx { st, id }: Ctx,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (q, cycle_id, unit) = target(&st, &id, &f).await?;
    let request = ActRequest::Appeal {
        unit,
        text: field(&f, "texto").to_string(),
        justification: field(&f, "justificativa").to_string(),
        corrections: Vec::new(),
    };
    act_and_answer(&st, &id, q, cycle_id, &request).await
}

/// Records a head's act on the quarter's cycle: back to the unit page, or the page with the refusal.
async fn act_and_answer(
    st: &AppState,
    id: &Identity,
    q: Quarter,
    cycle_id: i64,
    request: &ActRequest,
) -> Result<Response, AppError> {
    let done = cycle::act(st, id, cycle_id, request).await;
    cycle::answer(
        done,
        (format!("/recap/unidade?trimestre={q}"), Done::ListSent),
        |why| unit_page(st, id, q, Some(why)),
    )
    .await
}
