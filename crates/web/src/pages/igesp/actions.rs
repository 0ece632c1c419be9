//! Igesp action plans (igesp.md §5): actions with their owners and institutions, the status history,
//! progress notes with evidence files, overdue flags.

use crate::done::{self, Done};
use crate::guard::{Ctx, Identity};
use crate::pages::Declined;
use crate::pages::igesp::ActionLine;
use crate::pages::igesp::actor;
use crate::pages::igesp::br_date;
use crate::pages::igesp::coordinates;
use crate::pages::igesp::meetings::new_action;
use crate::pages::igesp::name_of;
use crate::pages::igesp::names;
use crate::pages::igesp::sees_action;
use crate::pages::igesp::viewer;
use crate::pages::kept::{FieldError, Kept};
use crate::pages::{Chrome, Fields, FormOption, OptionGroup, area_groups, field, render};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::access::Permission;
use atalaia_core::igesp::{ActionStatus, Viewer};
use atalaia_store::igesp::{ActionProgress, ActionRecord, IgespError};
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::response::Response;
use chrono::NaiveDate;

/// One row of the actions list.
#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage {
    chrome: Chrome,
    rows: Vec<ActionLine>,
    filter: String,
    overdue_count: usize,
    open_count: usize,
    manages: bool,
    municipalities: Vec<FormOption>,
    areas: Vec<OptionGroup>,
    institutions: Vec<(i64, String)>,
    today: String,
    error: Option<String>,
    /// The new-action form as it was typed, when it was refused.
    kept: Kept,
}

/// The municipalities a viewer answers for and the areas (by kind, intervention areas first) of the
/// forms.
pub(crate) async fn form_choices(
    st: &AppState,
    v: &Viewer,
    today: NaiveDate,
) -> Result<(Vec<FormOption>, Vec<OptionGroup>), AppError> {
    let territories = st.territories().await?;
    let mut municipalities: Vec<FormOption> = territories
        .iter()
        .filter(|t| t.kind == "municipality" && t.valid_on(today) && v.covers(&t.code))
        .map(|t| FormOption::new(t.code.clone(), t.name.clone()))
        .collect();
    atalaia_core::text::sort_pt(&mut municipalities, |o| &o.label);
    let areas = area_groups(
        territories.iter().filter(|t| {
            matches!(t.kind.as_str(), "intervention" | "aisp" | "ais" | "aise") && t.valid_on(today)
        }),
        "",
    );
    Ok((municipalities, areas))
}

/// `GET /acoes?situacao=abertas|atrasadas|todas`: the actions the user may see, overdue flagged.
pub async fn actions(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let filter = situation(&f)?;
    actions_page(&st, &id, filter, None, Kept::default()).await
}

/// The list's `situacao`: `abertas` (the default), `atrasadas` or `todas`.
pub(crate) fn situation(f: &Fields) -> Result<String, AppError> {
    let filter = field(f, "situacao").unwrap_or("abertas").to_string();
    if !matches!(filter.as_str(), "abertas" | "atrasadas" | "todas") {
        return Err(AppError::BadRequest(format!(
            "situação `{filter}` inválida: esperado abertas, atrasadas ou todas"
        )));
    }
    Ok(filter)
}

/// The actions `v` may see: every one, and the lines of those `filter` keeps (overdue first), with
/// how many are open and overdue.
pub(crate) async fn action_lines(
    st: &AppState,
    v: &Viewer,
    filter: &str,
) -> Result<(Vec<ActionLine>, usize, usize), AppError> {
    let today = st.config.clock.today();
    let names = names(st).await?;
    let visible: Vec<ActionRecord> = st
        .db
        .actions()
        .await?
        .into_iter()
        .filter(|a| sees_action(v, a))
        .collect();
    let open_count = visible.iter().filter(|a| a.status.is_open()).count();
    let overdue_count = visible.iter().filter(|a| a.overdue(today)).count();
    let mut rows: Vec<ActionLine> = visible
        .into_iter()
        .filter(|a| match filter {
            "abertas" => a.status.is_open(),
            "atrasadas" => a.overdue(today),
            _ => true,
        })
        .map(|a| ActionLine::of(a, today, &names))
        .collect();
    rows.sort_by_key(|r| !r.overdue);
    Ok((rows, open_count, overdue_count))
}

async fn actions_page(
    st: &AppState,
    id: &Identity,
    filter: String,
    error: Option<String>,
    kept: Kept,
) -> Result<Response, AppError> {
    let v = viewer(id);
    let today = st.config.clock.today();
    let (rows, open_count, overdue_count) = action_lines(st, &v, &filter).await?;
    let manages = id.may(Permission::ManageMeetings) && v.manages;
    let (municipalities, areas) = if manages {
        form_choices(st, &v, today).await?
    } else {
        (vec![], vec![])
    };
    let institutions = if manages {
        st.db
            .institutions()
            .await?
            .into_iter()
            .filter(|i| i.active)
            .map(|i| (i.id, format!("{} — {}", i.code, i.name)))
            .collect()
    } else {
        vec![]
    };
    render(&ActionsPage {
        chrome: Chrome::new(st, id, "Planos de ação", "/acoes").await,
        rows,
        filter,
        overdue_count,
        open_count,
        manages,
        municipalities,
        areas,
        institutions,
        today: today.to_string(),
        error,
        kept,
    })
}

/// The input of the new-action form an Igesp refusal is about.
fn action_field_of(e: &IgespError) -> &'static str {
    let named = |field: &str| match field {
        "o quê" => "o_que",
        "por quê" => "por_que",
        "responsável" => "pessoa",
        "indicador" => "indicador",
        _ => "o_que",
    };
    match e {
        IgespError::Missing(f) | IgespError::TooLong { field: f, .. } => named(f),
        IgespError::DueBeforeStart { .. } => "prazo",
        IgespError::JointOperation(_) => "data_operacao",
        _ => "responsavel",
    }
}

/// `POST /acoes`: an action of a municipality's plan decided outside a meeting (or a joint operation).
pub async fn create_action(
    Ctx { st, id }: Ctx,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    let name = id.actor();
    let refused = |why: String, field: &'static str| {
        actions_page(
            &st,
            &id,
            "abertas".into(),
            Some(why.clone()),
            Kept::refused(&f, FieldError::at(field)(why)),
        )
    };
    let a = match new_action(&f) {
        Ok(a) if a.municipality_code.is_empty() => {
            return refused("escolha o município".into(), "municipio").await;
        }
        Ok(a) => a,
        Err(e) => return refused(e.why, e.field).await,
    };
    coordinates(&v, &a.municipality_code)?;
    let who = actor(&id, &name, &id.ip, &v);
    let now = st.config.clock.now_utc();
    match st.db.create_action(&a, who, now).await {
        Ok(aid) => Ok(done::redirect(
            &format!("/acoes/{aid}"),
            Done::ActionCreated,
        )),
        Err(e) => {
            let field = action_field_of(&e);
            refused(Declined::from(e).reason()?, field).await
        }
    }
}

struct HistoryRow {
    id: i64,
    when: String,
    who: String,
    change: String,
    note: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    chrome: Chrome,
    a: ActionRecord,
    municipality: String,
    area: String,
    /// The crime the action aims at, by name.
    indicator: String,
    partners: String,
    starts: String,
    due: String,
    operation: String,
    status: &'static str,
    overdue: bool,
    history: Vec<HistoryRow>,
    may_update: bool,
    statuses: Vec<(&'static str, &'static str, bool)>,
    /// The progress form, as typed when it was refused.
    kept: Kept,
}

async fn visible_action(st: &AppState, v: &Viewer, aid: i64) -> Result<ActionRecord, AppError> {
    st.db
        .action(aid)
        .await?
        .filter(|a| sees_action(v, a))
        .ok_or_else(|| AppError::NotFound(format!("a ação {aid}")))
}

async fn action_page(
    st: &AppState,
    id: &Identity,
    aid: i64,
    kept: Kept,
) -> Result<Response, AppError> {
    let v = viewer(id);
    let a = visible_action(st, &v, aid).await?;
    let today = st.config.clock.today();
    let names = names(st).await?;
    let history = st
        .db
        .action_updates(aid)
        .await?
        .into_iter()
        .map(|u| HistoryRow {
            id: u.id,
            when: crate::pages::local_time(u.at),
            who: format!("{} ({})", u.author_name, u.institution_code),
            change: match (u.status_from, u.status_to) {
                (Some(f), Some(t)) => format!("{} → {}", f.label_pt(), t.label_pt()),
                _ => String::new(),
            },
            note: u.note,
            evidence: u.evidence_name,
        })
        .collect();
    let may_update = id.may(Permission::UpdateActions)
        && v.updates_action(&a.plan.municipality_code, &a.institution_ids());
    render(&ActionPage {
        chrome: Chrome::new(st, id, &format!("Ação nº {aid}"), "/acoes").await,
        municipality: name_of(&names, &a.plan.municipality_code),
        indicator: atalaia_core::crime::name_pt(&a.indicator),
        area: a
            .plan
            .area_code
            .as_deref()
            .map(|c| name_of(&names, c))
            .unwrap_or_default(),
        partners: a
            .partners
            .iter()
            .map(|p| format!("{} — {}", p.code, p.name))
            .collect::<Vec<_>>()
            .join("; "),
        starts: br_date(a.starts_on),
        due: br_date(a.due_on),
        operation: a.operation_on.map(br_date).unwrap_or_default(),
        status: a.status.label_pt(),
        overdue: a.overdue(today),
        history,
        may_update,
        statuses: ActionStatus::ALL
            .iter()
            .map(|s| {
                let chosen = if kept.is_refused() {
                    kept.has("situacao", s.as_str())
                } else {
                    *s == a.status
                };
                (s.as_str(), s.label_pt(), chosen)
            })
            .collect(),
        a,
        kept,
    })
}

/// `GET /acoes/{id}`: the action, its history and, for those who answer for it, the progress form.
pub async fn action(Ctx { st, id }: Ctx, Path(aid): Path<i64>) -> Result<Response, AppError> {
    action_page(&st, &id, aid, Kept::default()).await
}

/// `POST /acoes/{id}/andamento` (multipart: `situacao`, `nota`, `arquivo`): progress on an action by its
/// coordination or its responsible or partner institution; refused, the form comes back with the
/// status chosen and the note typed (a file must be chosen again), the reason beside its input.
pub async fn progress(
    Ctx { st, id }: Ctx,
    Path(aid): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    let a = visible_action(&st, &v, aid).await?;
    if !v.updates_action(&a.plan.municipality_code, &a.institution_ids()) {
        return Err(AppError::Forbidden(format!(
            "a ação {aid} não é da sua instituição nem do seu município"
        )));
    }
    let (f, file) = match crate::pages::read_form(multipart, st.config.max_evidence_bytes).await {
        Ok(read) => read,
        Err(why) => {
            let kept = Kept::refused(&Vec::new(), FieldError::at("arquivo")(why));
            return action_page(&st, &id, aid, kept).await;
        }
    };
    let typed: Fields = f.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or("");
    let status = match get("situacao") {
        "" => None,
        s => match s.parse::<ActionStatus>() {
            Ok(s) => Some(s),
            Err(e) => {
                let kept = Kept::refused(&typed, FieldError::at("situacao")(e.to_string()));
                return action_page(&st, &id, aid, kept).await;
            }
        },
    };
    let file = file.filter(|(_, b)| !b.is_empty());
    let p = ActionProgress {
        status,
        note: get("nota"),
        evidence: file.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())),
    };
    let name = id.actor();
    let who = actor(&id, &name, &id.ip, &v);
    let dir = st.config.evidence_dir();
    match st
        .db
        .update_action(aid, &p, &dir, who, st.config.clock.now_utc())
        .await
    {
        Ok(_) => Ok(done::redirect(
            &format!("/acoes/{aid}"),
            Done::ProgressRecorded,
        )),
        Err(e) => {
            let field = match &e {
                IgespError::Evidence(_) => "arquivo",
                _ => "nota",
            };
            let why = Declined::from(e).reason()?;
            let kept = Kept::refused(&typed, FieldError::at(field)(why));
            action_page(&st, &id, aid, kept).await
        }
    }
}

/// `GET /acoes/{id}/evidencias/{update}`: an evidence file of a visible action.
pub async fn evidence(
    Ctx { st, id }: Ctx,
    Path((aid, uid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    visible_action(&st, &v, aid).await?;
    let u = st
        .db
        .action_updates(aid)
        .await?
        .into_iter()
        .find(|u| u.id == uid)
        .and_then(|u| u.evidence_sha256.map(|s| (s, u.evidence_name)))
        .ok_or_else(|| AppError::NotFound(format!("o arquivo {uid} da ação {aid}")))?;
    // The name as sent, reduced to characters safe in a header.
    let safe: String =
        u.1.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
    crate::pages::evidence_file(
        &st,
        &u.0,
        format!("attachment; filename=\"{safe}\""),
        atalaia_store::audit::AuditEvent::new(id.actor(), "igesp.evidence_opened")
            .object(format!("action_update:{uid}"))
            .ip(&id.ip),
    )
    .await
}

/// The open actions the user follows, soonest due first (the home page's list).
pub(crate) async fn my_open(st: &AppState, id: &Identity) -> Result<Vec<ActionRecord>, AppError> {
    let v = viewer(id);
    let mut mine: Vec<ActionRecord> = st
        .db
        .actions()
        .await?
        .into_iter()
        .filter(|a| a.status.is_open() && sees_action(&v, a))
        .collect();
    mine.sort_by_key(|a| a.due_on);
    Ok(mine)
}
