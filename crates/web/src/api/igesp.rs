//! The API's Igesp reads (issue 22 §1): the meetings and actions a requester sees — the same rule as
//! the pages (`Viewer`): a partner institution's key reads the meetings and actions its institution
//! takes part in, never internal meetings.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::api::jobs::answer;
use crate::guard::Ctx;
use crate::pages::igesp::{key_viewer, sees, sees_action};

/// `GET /api/v1/meetings`: every meeting the requester sees, latest first.
pub async fn meetings(Ctx { st, id }: Ctx) -> Response {
    answer(
        async {
            let v = key_viewer(&st, &id).await?;
            let mut out: Vec<MeetingOut> = st
                .db
                .meetings()
                .await?
                .iter()
                .filter(|m| sees(&v, m))
                .map(|m| MeetingOut {
                    id: m.id,
                    kind: m.kind.as_str(),
                    title: m.title.clone(),
                    municipality_code: m.municipality_code.clone(),
                    area_code: m.area_code.clone(),
                    starts_at: m.starts_at,
                    ends_at: m.ends_at,
                    place: m.place.clone(),
                    status: m.status.as_str(),
                    institutions: m.institutions.iter().map(|i| i.code.clone()).collect(),
                })
                .collect();
            out.reverse();
            Ok(Json(out).into_response())
        }
        .await,
    )
}

/// `GET /api/v1/actions`: every action the requester sees, with whether it is overdue today.
pub async fn actions(Ctx { st, id }: Ctx) -> Response {
    answer(
        async {
            let v = key_viewer(&st, &id).await?;
            let today = st.config.clock.today();
            let out: Vec<ActionOut> = st
                .db
                .actions()
                .await?
                .iter()
                .filter(|a| sees_action(&v, a))
                .map(|a| ActionOut {
                    id: a.id,
                    title: a.title.clone(),
                    municipality_code: a.plan.municipality_code.clone(),
                    meeting_id: a.meeting_id,
                    responsible: a.responsible.code.clone(),
                    partners: a.partners.iter().map(|p| p.code.clone()).collect(),
                    starts_on: a.starts_on,
                    due_on: a.due_on,
                    status: a.status.as_str(),
                    overdue: a.overdue(today),
                    joint_operation: a.joint_operation,
                })
                .collect();
            Ok(Json(out).into_response())
        }
        .await,
    )
}

/// A partner's progress note: `note` and, optionally, the new `status` (`planned`, `in_progress`,
/// `done`, `cancelled`).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ActionUpdate")]
#[serde(deny_unknown_fields)]
pub struct UpdateIn {
    note: String,
    #[serde(default)]
    #[schemars(with = "Option<atalaia_core::igesp::ActionStatus>")]
    status: Option<String>,
}

/// `POST /api/v1/actions/{id}/updates`: a progress note (and status) on an action of the requester's
/// institution or municipality, recorded as from the page (audited, the action's history); 201 with
/// the update's number. An action it may not see is a 404; one it may see but not update, a 403.
pub async fn update(
    Ctx { st, id }: Ctx,
    axum::extract::Path(aid): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    use crate::AppError;
    answer(
        async {
            let input: UpdateIn = serde_json::from_slice(&body).map_err(|e| {
                AppError::BadRequest(format!(
                    "JSON inválido: esperado {{\"note\": \"…\", \"status\": \"…\"}} ({e})"
                ))
            })?;
            let v = key_viewer(&st, &id).await?;
            let a = st
                .primary
                .action(aid)
                .await?
                .filter(|a| sees_action(&v, a))
                .ok_or_else(|| AppError::NotFound(format!("a ação {aid}")))?;
            if !v.updates_action(&a.plan.municipality_code, &a.institution_ids()) {
                return Ok(crate::api::jobs::problem(
                    axum::http::StatusCode::FORBIDDEN,
                    "Acesso negado",
                    &format!("a ação {aid} não é da sua instituição nem do seu município"),
                ));
            }
            let status = match input.status.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => Some(
                    s.parse::<atalaia_core::igesp::ActionStatus>()
                        .map_err(|e| AppError::BadRequest(format!("status `{s}` inválido: {e}")))?,
                ),
            };
            let p = atalaia_store::igesp::ActionProgress {
                status,
                note: input.note.trim(),
                evidence: None,
            };
            let name = id.actor();
            let who = crate::pages::igesp::actor(&id, &name, &id.ip, &v);
            let dir = st.config.evidence_dir();
            match st
                .primary
                .update_action(aid, &p, &dir, who, st.config.clock.now_utc())
                .await
            {
                Ok(update) => Ok((
                    axum::http::StatusCode::CREATED,
                    Json(UpdateOut {
                        action: aid,
                        update,
                    }),
                )
                    .into_response()),
                Err(e) => Err(AppError::BadRequest(
                    crate::pages::Declined::from(e).reason()?,
                )),
            }
        }
        .await,
    )
}

/// `?area=CODE&from=AAAA-MM-DD&to=AAAA-MM-DD`.
#[derive(Debug, serde::Deserialize)]
pub struct IndicatorQuery {
    area: String,
    from: String,
    to: String,
}

/// The longest period one indicators call reads, in days (ten years).
const INDICATOR_DAYS_MAX: i64 = 3660;

/// `GET /api/v1/indicators?area=&from=&to=`: occurrences and victims of every crime in an area (a
/// state: its municipalities) over the days `from`–`to`, both included, as the pages count them.
pub async fn indicators(
    Ctx { st, id: _ }: Ctx,
    axum::extract::Query(q): axum::extract::Query<IndicatorQuery>,
) -> Response {
    use crate::AppError;
    answer(
        async {
            let day = |name: &str, v: &str| {
                atalaia_core::parse_date(v).map_err(|_| {
                    AppError::BadRequest(format!("{name} `{v}` inválido: esperado AAAA-MM-DD"))
                })
            };
            let (from, to) = (day("from", &q.from)?, day("to", &q.to)?);
            if to < from || (to - from).num_days() > INDICATOR_DAYS_MAX {
                return Err(AppError::BadRequest(format!(
                    "período de {from} a {to} inválido: esperado `from` até `to`, no máximo {INDICATOR_DAYS_MAX} dias"
                )));
            }
            let area = st
                .territories()
                .await?
                .iter()
                .find(|t| t.code == q.area)
                .map(|t| t.name.clone())
                .ok_or_else(|| AppError::NotFound(format!("a área `{}`", q.area)))?;
            let codes = st.db.counted_codes(&q.area).await?;
            let catalog = st.db.crimes().await?;
            let crimes: Vec<&str> = catalog.iter().map(|c| c.code.as_str()).collect();
            let sums = st.db.period_sums(&codes, &crimes, from, to).await?;
            let mut rows: Vec<CrimeIndicator> = Vec::new();
            let (mut occurrences, mut victims) = (0i64, 0i64);
            for c in &catalog {
                let (o, v) = sums
                    .iter()
                    .filter(|((_, crime), _)| crime == &c.code)
                    .fold((0, 0), |(o, v), (_, s)| (o + s.occurrences, v + s.victims));
                occurrences += o;
                victims += v;
                rows.push(CrimeIndicator {
                    crime: c.code.clone(),
                    name: c.name.clone(),
                    occurrences: o,
                    victims: v,
                });
            }
            Ok(Json(Indicators {
                area: q.area,
                name: area,
                from,
                to,
                occurrences,
                victims,
                crimes: rows,
            })
            .into_response())
        }
        .await,
    )
}

/// A meeting as the API lists it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Meeting")]
pub struct MeetingOut {
    pub id: i64,
    /// `internal`, `articulation` or `intervention`.
    pub kind: &'static str,
    pub title: String,
    pub municipality_code: String,
    pub area_code: Option<String>,
    pub starts_at: chrono::NaiveDateTime,
    pub ends_at: chrono::NaiveDateTime,
    pub place: String,
    pub status: &'static str,
    /// The codes of the institutions taking part.
    pub institutions: Vec<String>,
}

/// An action of a plan as the API lists it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Action")]
pub struct ActionOut {
    pub id: i64,
    pub title: String,
    pub municipality_code: String,
    pub meeting_id: Option<i64>,
    /// The code of the institution responsible.
    pub responsible: String,
    pub partners: Vec<String>,
    pub starts_on: chrono::NaiveDate,
    pub due_on: chrono::NaiveDate,
    pub status: &'static str,
    /// Past its deadline today and not done.
    pub overdue: bool,
    pub joint_operation: bool,
}

/// A recorded progress note.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ActionUpdated")]
pub struct UpdateOut {
    pub action: i64,
    pub update: i64,
}

/// An area's indicators over a period.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Indicators {
    pub area: String,
    pub name: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub occurrences: i64,
    pub victims: i64,
    pub crimes: Vec<CrimeIndicator>,
}

/// One crime's counts in [`Indicators`].
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct CrimeIndicator {
    pub crime: String,
    pub name: String,
    pub occurrences: i64,
    pub victims: i64,
}
