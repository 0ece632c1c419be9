//! Igesp integrated management (igesp.md §4, §5, §7): meetings (schedule, agenda generated from the data,
//! attendance, minutes, decisions that become actions, the ata as PDF, an iCalendar feed) and action
//! plans (actions with their institutions, status history, progress notes with evidence, overdue flags).
//!
//! The route's permission is checked by the guard; which meeting or action a user sees, runs or updates
//! is decided here by `core::igesp::Viewer` — and only there. A meeting or action the user may not see
//! answers 404, as if it did not exist (its existence is itself police material for internal meetings).

use atalaia_core::dates::BrDate;
use std::collections::HashMap;

use askama::Template;
use atalaia_core::access::{Permission, Role};
use atalaia_core::igesp::{ActionStatus, MeetingKind, MeetingStatus, Viewer, police_side};
use atalaia_store::accounts::InstitutionRecord;
use atalaia_store::igesp::{
    ActionProgress, ActionRecord, Actor, Agenda, IgespError, MeetingRecord, NewAction, NewAttendee,
    NewMeeting,
};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{Chrome, Fields, field, render};
use crate::guard::Identity;
use crate::{AppError, AppState};

/// The viewer of the signed-in user (an API key has no institution: it sees by its role only).
pub(crate) fn viewer(id: &Identity) -> Viewer {
    match &id.user {
        Some(u) => u.igesp_viewer(),
        None => {
            let roles: Vec<(Role, atalaia_store::accounts::Scope)> = id
                .roles
                .iter()
                .map(|r| (*r, atalaia_store::accounts::Scope::All))
                .collect();
            Viewer::of(-1, &roles)
        }
    }
}

fn actor<'a>(id: &'a Identity, name: &'a str, ip: &'a str, v: &Viewer) -> Actor<'a> {
    Actor {
        actor: name,
        name: &id.name,
        institution_id: v.institution,
        ip,
    }
}

fn sees(v: &Viewer, m: &MeetingRecord) -> bool {
    v.sees_meeting(m.kind, &m.municipality_code, &m.institution_ids())
}

fn sees_action(v: &Viewer, a: &ActionRecord) -> bool {
    v.sees_action(&a.plan.municipality_code, &a.institution_ids())
}

/// An action's partner institutions, by code.
fn partner_codes(a: &ActionRecord) -> String {
    a.partners
        .iter()
        .map(|p| p.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The agenda of `m` as discussed (frozen with the minutes; `true`), or as the data stand `today`.
async fn agenda_of(
    st: &AppState,
    m: &MeetingRecord,
    today: NaiveDate,
) -> Result<(Agenda, bool), AppError> {
    match m.agenda.as_deref() {
        Some(text) => serde_json::from_str(text).map(|a| (a, true)).map_err(|e| {
            AppError::Store(atalaia_store::StoreError::Corrupt(format!(
                "pauta da reunião {}: {e}",
                m.id
            )))
        }),
        None => Ok((st.db.agenda(m, today).await?, false)),
    }
}

/// The decisions (actions) of meeting `mid` that `v` may see.
async fn decisions_of(st: &AppState, v: &Viewer, mid: i64) -> Result<Vec<ActionRecord>, AppError> {
    Ok(st
        .db
        .actions()
        .await?
        .into_iter()
        .filter(|a| a.meeting_id == Some(mid) && sees_action(v, a))
        .collect())
}

/// A refused act as the user reads it: the store's message, or a generic one for a failure.
fn refusal(e: IgespError) -> Result<String, AppError> {
    match e {
        IgespError::Store(s) => Err(AppError::Store(s)),
        other => Ok(other.to_string()),
    }
}

fn br_date(d: NaiveDate) -> String {
    d.br_date()
}

fn br_datetime(t: NaiveDateTime) -> String {
    t.format("%d/%m/%Y %H:%M").to_string()
}

/// Municipality and area names by code, from the cached territory list.
async fn names(st: &AppState) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for t in st.territories().await?.iter() {
        out.insert(t.code.clone(), t.name.clone());
    }
    Ok(out)
}

fn name_of(names: &HashMap<String, String>, code: &str) -> String {
    names.get(code).cloned().unwrap_or_else(|| code.to_string())
}

/// One row of a meeting list.
struct MeetingRow {
    id: i64,
    when: String,
    kind: &'static str,
    title: String,
    municipality: String,
    status: &'static str,
    institutions: String,
    open_actions: usize,
    overdue_actions: usize,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    upcoming: Vec<MeetingRow>,
    past: Vec<MeetingRow>,
    manages: bool,
    kinds: Vec<Choice>,
    municipalities: Vec<Choice>,
    areas: Vec<Choice>,
    institutions: Vec<(i64, String, bool)>,
    error: Option<String>,
    /// A new calendar subscription address, shown once.
    feed_url: Option<String>,
}

fn meeting_row(
    m: &MeetingRecord,
    names: &HashMap<String, String>,
    actions: &[ActionRecord],
    v: &Viewer,
    today: NaiveDate,
) -> MeetingRow {
    let open: Vec<&ActionRecord> = actions
        .iter()
        .filter(|a| {
            a.plan.municipality_code == m.municipality_code
                && a.status.is_open()
                && sees_action(v, a)
        })
        .collect();
    MeetingRow {
        id: m.id,
        when: br_datetime(m.starts_at),
        kind: m.kind.label_pt(),
        title: m.title.clone(),
        municipality: name_of(names, &m.municipality_code),
        status: m.status.label_pt(),
        institutions: m
            .institutions
            .iter()
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        open_actions: open.len(),
        overdue_actions: open.iter().filter(|a| a.overdue(today)).count(),
    }
}

async fn meetings_page(
    st: &AppState,
    id: &Identity,
    error: Option<String>,
) -> Result<Response, AppError> {
    meetings_page_with(st, id, error, None).await
}

async fn meetings_page_with(
    st: &AppState,
    id: &Identity,
    error: Option<String>,
    feed_url: Option<String>,
) -> Result<Response, AppError> {
    let v = viewer(id);
    let today = st.config.clock.today();
    let names = names(st).await?;
    let actions = st.db.actions().await?;
    let mut upcoming = Vec::new();
    let mut past = Vec::new();
    for m in st.db.meetings().await?.iter().filter(|m| sees(&v, m)) {
        let row = meeting_row(m, &names, &actions, &v, today);
        if m.starts_at.date() >= today && m.status == MeetingStatus::Scheduled {
            upcoming.push(row);
        } else {
            past.push(row);
        }
    }
    upcoming.reverse();
    let manages = id.may(Permission::ManageMeetings) && v.manages;
    let (municipalities, areas) = form_choices(st, &v, today).await?;
    let institutions = st
        .db
        .institutions()
        .await?
        .into_iter()
        .filter(|i| i.active)
        .map(|i| {
            let police = police_side(&i.kind);
            (i.id, format!("{} — {}", i.code, i.name), police)
        })
        .collect();
    render(&MeetingsPage {
        chrome: Chrome::new(st, id, "Reuniões Igesp", "/reunioes").await,
        upcoming,
        past,
        manages,
        kinds: MeetingKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label_pt().into(),
            })
            .collect(),
        municipalities,
        areas,
        institutions,
        error,
        feed_url,
    })
}

/// `POST /reunioes/agenda/chave`: a new calendar subscription key for the signed-in user (replacing the
/// old one); its address is shown once, the database keeps only its hash.
pub async fn calendar_key(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Some(user) = &id.user else {
        return Err(AppError::Forbidden(
            "só uma pessoa com sessão pode criar o endereço da sua agenda".into(),
        ));
    };
    let key = crate::security::random_token();
    st.db
        .set_calendar_key(
            user.id,
            &crate::security::token_hash(&key),
            &id.actor(),
            &id.ip,
            st.config.clock.now_utc(),
        )
        .await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = if st.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let url = format!(
        "{scheme}://{host}{}?chave={key}",
        crate::guard::CALENDAR_FEED
    );
    meetings_page_with(&st, &id, None, Some(url)).await
}

/// `GET /reunioes`: the meetings the user may see, upcoming first; the schedule form for coordinators.
pub async fn list(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    meetings_page(&st, &id, None).await
}

fn parse_date(f: &Fields, name: &str, label: &str) -> Result<NaiveDate, String> {
    let v = field(f, name).ok_or_else(|| format!("informe {label}"))?;
    atalaia_core::parse_date(v)
        .map_err(|_| format!("{label} `{v}` inválida: esperado AAAA-MM-DD ou DD/MM/AAAA"))
}

fn parse_time(f: &Fields, name: &str, label: &str) -> Result<NaiveTime, String> {
    let v = field(f, name).ok_or_else(|| format!("informe {label}"))?;
    NaiveTime::parse_from_str(v, "%H:%M")
        .map_err(|_| format!("{label} `{v}` inválido: esperado HH:MM"))
}

fn ids(f: &Fields, name: &str) -> Result<Vec<i64>, String> {
    f.iter()
        .filter(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| format!("instituição `{v}` inválida"))
        })
        .collect()
}

pub(crate) fn new_meeting(f: &Fields, synthetic: bool) -> Result<NewMeeting, String> {
    let kind: MeetingKind = field(f, "tipo")
        .unwrap_or("")
        .parse()
        .map_err(|e: atalaia_core::igesp::MeetingKindError| e.to_string())?;
    let day = parse_date(f, "data", "a data")?;
    let start = parse_time(f, "inicio", "o horário de início")?;
    let end = parse_time(f, "fim", "o horário de término")?;
    Ok(NewMeeting {
        kind,
        title: field(f, "titulo").unwrap_or("").to_string(),
        municipality_code: field(f, "municipio")
            .ok_or("escolha o município")?
            .to_string(),
        area_code: field(f, "area").map(str::to_string),
        starts_at: day.and_time(start),
        ends_at: day.and_time(end),
        place: field(f, "local").unwrap_or("").to_string(),
        institutions: ids(f, "instituicao")?,
        attendees: vec![],
        synthetic,
    })
}

/// `POST /reunioes`: schedules a meeting in a municipality the coordinator answers for.
pub async fn create(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    let m = match new_meeting(&f, false) {
        Ok(m) => m,
        Err(e) => return meetings_page(&st, &id, Some(e)).await,
    };
    if !v.manages_in(&m.municipality_code) {
        return Err(AppError::Forbidden(format!(
            "o município `{}` não está no seu escopo de coordenação",
            m.municipality_code
        )));
    }
    let name = id.actor();
    match st
        .db
        .create_meeting(&m, actor(&id, &name, &id.ip, &v), st.config.clock.now_utc())
        .await
    {
        Ok(mid) => Ok(Redirect::to(&format!("/reunioes/{mid}")).into_response()),
        Err(e) => meetings_page(&st, &id, Some(refusal(e)?)).await,
    }
}

/// A meeting or 404 if the user may not see it.
async fn visible_meeting(st: &AppState, v: &Viewer, mid: i64) -> Result<MeetingRecord, AppError> {
    st.db
        .meeting(mid)
        .await?
        .filter(|m| sees(v, m))
        .ok_or_else(|| AppError::NotFound(format!("a reunião {mid}")))
}

struct IndicatorRow {
    label: String,
    current: i64,
    previous: i64,
    change: String,
    class: &'static str,
}

struct ActionRow {
    id: i64,
    title: String,
    responsible: String,
    due: String,
    status: &'static str,
}

struct AgendaView {
    area: String,
    window: String,
    previous_window: String,
    indicators: Vec<IndicatorRow>,
    overdue: Vec<ActionRow>,
    open: Vec<ActionRow>,
    hidden_actions: usize,
    hotspots_link: Option<String>,
    frozen: bool,
}

fn change_text(current: i64, previous: i64) -> (String, &'static str) {
    if previous == 0 {
        return (
            if current == 0 {
                "—".into()
            } else {
                "sem base".into()
            },
            "flat",
        );
    }
    let pct = (current - previous) as f64 / previous as f64 * 100.0;
    let class = if pct > 0.0 {
        "up"
    } else if pct < 0.0 {
        "down"
    } else {
        "flat"
    };
    (
        format!("{}{:.1} %", if pct > 0.0 { "+" } else { "" }, pct).replace('.', ","),
        class,
    )
}

fn agenda_view(
    a: &Agenda,
    municipality: &str,
    v: &Viewer,
    names: &HashMap<String, String>,
    police: bool,
    frozen: bool,
) -> AgendaView {
    let len = a.until - a.since;
    let previous_from = a.since - len;
    let day = chrono::Duration::days(1);
    let mut overdue = Vec::new();
    let mut open = Vec::new();
    let mut hidden = 0;
    for x in &a.actions {
        if !v.sees_action(municipality, &x.institutions) {
            hidden += 1;
            continue;
        }
        let row = ActionRow {
            id: x.id,
            title: x.title.clone(),
            responsible: x.responsible.clone(),
            due: br_date(x.due_on),
            status: x.status.label_pt(),
        };
        if x.overdue {
            overdue.push(row);
        } else {
            open.push(row);
        }
    }
    AgendaView {
        area: name_of(names, &a.area_code),
        window: format!(
            "{} a {}{}",
            br_date(a.since),
            br_date(a.until - day),
            if a.since_last_meeting {
                " (desde a última reunião)"
            } else {
                " (últimos 30 dias: nenhuma reunião anterior do município neste intervalo)"
            }
        ),
        previous_window: format!("{} a {}", br_date(previous_from), br_date(a.since - day)),
        indicators: a
            .indicators
            .iter()
            .map(|i| {
                let (change, class) = change_text(i.current, i.previous);
                IndicatorRow {
                    label: i.label.clone(),
                    current: i.current,
                    previous: i.previous,
                    change,
                    class,
                }
            })
            .collect(),
        overdue,
        open,
        hidden_actions: hidden,
        hotspots_link: police.then(|| {
            format!(
                "/zonas-quentes?area={}&de={}&ate={}",
                a.area_code,
                previous_from.format("%Y-%m"),
                (a.until - day).format("%Y-%m")
            )
        }),
        frozen,
    }
}

struct Person {
    id: i64,
    name: String,
    position: String,
    institution: String,
    present: bool,
}

struct InstitutionRow {
    id: i64,
    code: String,
    name: String,
    invited: bool,
    present: bool,
}

struct DecisionRow {
    id: i64,
    title: String,
    responsible: String,
    partners: String,
    due: String,
    status: &'static str,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    id: i64,
    kind: &'static str,
    internal: bool,
    municipality: String,
    area: String,
    when: String,
    place: String,
    status: &'static str,
    scheduled: bool,
    held: bool,
    cancelled: bool,
    minutes: String,
    institutions: Vec<InstitutionRow>,
    people: Vec<Person>,
    agenda: AgendaView,
    decisions: Vec<DecisionRow>,
    manages: bool,
    all_institutions: Vec<(i64, String)>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn meeting_page(
    st: &AppState,
    id: &Identity,
    mid: i64,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let v = viewer(id);
    let m = visible_meeting(st, &v, mid).await?;
    let today = st.config.clock.today();
    let names = names(st).await?;
    let (agenda, frozen) = agenda_of(st, &m, today).await?;
    let police = id.may(Permission::ViewOccurrences);
    let decisions = decisions_of(st, &v, mid)
        .await?
        .into_iter()
        .map(|a| DecisionRow {
            id: a.id,
            overdue: a.overdue(today),
            partners: partner_codes(&a),
            title: a.title,
            responsible: a.responsible.code,
            due: br_date(a.due_on),
            status: a.status.label_pt(),
        })
        .collect();
    let manages = id.may(Permission::ManageMeetings) && v.manages_in(&m.municipality_code);
    let all_institutions = if manages {
        st.db
            .institutions()
            .await?
            .into_iter()
            .filter(|i: &InstitutionRecord| {
                i.active && (m.kind != MeetingKind::Internal || police_side(&i.kind))
            })
            .map(|i| (i.id, format!("{} — {}", i.code, i.name)))
            .collect()
    } else {
        vec![]
    };
    render(&MeetingPage {
        chrome: Chrome::new(st, id, &m.title, "/reunioes").await,
        id: m.id,
        kind: m.kind.label_pt(),
        internal: m.kind == MeetingKind::Internal,
        municipality: name_of(&names, &m.municipality_code),
        area: m
            .area_code
            .as_deref()
            .map(|c| name_of(&names, c))
            .unwrap_or_default(),
        when: format!(
            "{} – {}",
            br_datetime(m.starts_at),
            m.ends_at.format("%H:%M")
        ),
        place: m.place.clone(),
        status: m.status.label_pt(),
        scheduled: m.status == MeetingStatus::Scheduled,
        held: m.status == MeetingStatus::Held,
        cancelled: m.status == MeetingStatus::Cancelled,
        minutes: m.minutes.clone(),
        institutions: m
            .institutions
            .iter()
            .map(|i| InstitutionRow {
                id: i.id,
                code: i.code.clone(),
                name: i.name.clone(),
                invited: i.invited,
                present: i.present,
            })
            .collect(),
        people: m
            .attendees
            .iter()
            .map(|a| Person {
                id: a.id,
                name: a.name.clone(),
                position: a.position.clone(),
                institution: a.institution_code.clone(),
                present: a.present,
            })
            .collect(),
        agenda: agenda_view(&agenda, &m.municipality_code, &v, &names, police, frozen),
        decisions,
        manages,
        all_institutions,
        today: today.to_string(),
        error,
        notice,
    })
}

/// `GET /reunioes/{id}`: the meeting, its agenda (generated from the data until the minutes freeze it),
/// attendance, minutes and decisions; the coordinator's forms.
pub async fn detail(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<i64>,
) -> Result<Response, AppError> {
    meeting_page(&st, &id, mid, None, None).await
}

/// The meeting, visible and run by the user, or the answer to give.
async fn managed_meeting(
    st: &AppState,
    id: &Identity,
    mid: i64,
) -> Result<(Viewer, MeetingRecord), AppError> {
    let v = viewer(id);
    let m = visible_meeting(st, &v, mid).await?;
    if !v.manages_in(&m.municipality_code) {
        return Err(AppError::Forbidden(format!(
            "a reunião {mid} é de um município fora do seu escopo de coordenação"
        )));
    }
    Ok((v, m))
}

/// `POST /reunioes/{id}/participantes`: a person on the attendance list.
pub async fn add_person(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, _) = managed_meeting(&st, &id, mid).await?;
    let inst = match ids(&f, "instituicao") {
        Ok(x) if x.len() == 1 => x[0],
        Ok(_) => {
            return meeting_page(&st, &id, mid, Some("escolha a instituição".into()), None).await;
        }
        Err(e) => return meeting_page(&st, &id, mid, Some(e), None).await,
    };
    let a = NewAttendee {
        name: field(&f, "nome").unwrap_or("").to_string(),
        position: field(&f, "cargo").unwrap_or("").to_string(),
        institution_id: inst,
        user_id: None,
    };
    let name = id.actor();
    match st
        .db
        .add_attendee(
            mid,
            &a,
            actor(&id, &name, &id.ip, &v),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/reunioes/{mid}#participantes")).into_response()),
        Err(e) => meeting_page(&st, &id, mid, Some(refusal(e)?), None).await,
    }
}

/// `POST /reunioes/{id}/ata`: the minutes and who was present; the agenda as it stands is frozen with
/// them.
pub async fn minutes(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, m) = managed_meeting(&st, &id, mid).await?;
    let present_inst = match ids(&f, "presente_instituicao") {
        Ok(x) => x,
        Err(e) => return meeting_page(&st, &id, mid, Some(e), None).await,
    };
    let present_people = match ids(&f, "presente_pessoa") {
        Ok(x) => x,
        Err(e) => return meeting_page(&st, &id, mid, Some(e), None).await,
    };
    let today = st.config.clock.today();
    // A correction keeps the agenda frozen the first time.
    let agenda = match &m.agenda {
        Some(a) => a.clone(),
        None => serde_json::to_string(&st.db.agenda(&m, today).await?)
            .map_err(|e| AppError::Internal(format!("pauta: {e}")))?,
    };
    let name = id.actor();
    match st
        .db
        .record_minutes(
            mid,
            field(&f, "ata").unwrap_or(""),
            &present_inst,
            &present_people,
            &agenda,
            actor(&id, &name, &id.ip, &v),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/reunioes/{mid}#ata")).into_response()),
        Err(e) => meeting_page(&st, &id, mid, Some(refusal(e)?), None).await,
    }
}

pub(crate) fn new_action(f: &Fields) -> Result<NewAction, String> {
    let responsible = match ids(f, "responsavel")?.as_slice() {
        [x] => *x,
        _ => return Err("escolha a instituição responsável".into()),
    };
    let joint = field(f, "operacao_conjunta").is_some();
    let operation_on = match field(f, "data_operacao") {
        Some(_) => Some(parse_date(f, "data_operacao", "a data da operação")?),
        None => None,
    };
    Ok(NewAction {
        plan_id: None,
        municipality_code: field(f, "municipio").unwrap_or("").to_string(),
        area_code: field(f, "area").map(str::to_string),
        meeting_id: None,
        title: field(f, "o_que").unwrap_or("").to_string(),
        reason: field(f, "por_que").unwrap_or("").to_string(),
        responsible_institution_id: responsible,
        responsible_person: field(f, "pessoa").unwrap_or("").to_string(),
        partners: ids(f, "parceiro")?,
        starts_on: parse_date(f, "inicio", "a data de início")?,
        due_on: parse_date(f, "prazo", "o prazo")?,
        indicator: field(f, "indicador").unwrap_or("").to_string(),
        joint_operation: joint,
        operation_on,
        synthetic: false,
    })
}

/// `POST /reunioes/{id}/decisoes`: a decision of the meeting, which becomes an action of the
/// municipality's plan (igesp.md §4: "decisions become actions").
pub async fn decide(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, _) = managed_meeting(&st, &id, mid).await?;
    let mut a = match new_action(&f) {
        Ok(a) => a,
        Err(e) => return meeting_page(&st, &id, mid, Some(e), None).await,
    };
    a.meeting_id = Some(mid);
    let name = id.actor();
    match st
        .db
        .create_action(&a, actor(&id, &name, &id.ip, &v), st.config.clock.now_utc())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/reunioes/{mid}#decisoes")).into_response()),
        Err(e) => meeting_page(&st, &id, mid, Some(refusal(e)?), None).await,
    }
}

/// `POST /reunioes/{id}/cancelar`: cancels a scheduled meeting, with the reason.
pub async fn cancel(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, _) = managed_meeting(&st, &id, mid).await?;
    let name = id.actor();
    match st
        .db
        .cancel_meeting(
            mid,
            field(&f, "motivo").unwrap_or(""),
            actor(&id, &name, &id.ip, &v),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(()) => meeting_page(&st, &id, mid, None, Some("Reunião cancelada.".into())).await,
        Err(e) => meeting_page(&st, &id, mid, Some(refusal(e)?), None).await,
    }
}

/// One row of the actions list.
struct ActionListRow {
    id: i64,
    title: String,
    municipality: String,
    responsible: String,
    partners: String,
    due: String,
    status: &'static str,
    overdue: bool,
    joint: bool,
    meeting_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage {
    chrome: Chrome,
    rows: Vec<ActionListRow>,
    filter: String,
    overdue_count: usize,
    open_count: usize,
    manages: bool,
    municipalities: Vec<Choice>,
    areas: Vec<Choice>,
    institutions: Vec<(i64, String)>,
    today: String,
    error: Option<String>,
}

/// The municipalities a viewer answers for and the areas (intervention areas first) of the forms.
async fn form_choices(
    st: &AppState,
    v: &Viewer,
    today: NaiveDate,
) -> Result<(Vec<Choice>, Vec<Choice>), AppError> {
    let territories = st.territories().await?;
    let mut municipalities: Vec<Choice> = territories
        .iter()
        .filter(|t| t.kind == "municipality" && t.valid_on(today) && v.covers(&t.code))
        .map(|t| Choice {
            value: t.code.clone(),
            label: t.name.clone(),
        })
        .collect();
    municipalities.sort_by(|a, b| a.label.cmp(&b.label));
    let mut areas: Vec<(bool, Choice)> = territories
        .iter()
        .filter(|t| {
            matches!(t.kind.as_str(), "intervention" | "aisp" | "ais" | "aise") && t.valid_on(today)
        })
        .map(|t| {
            let intervention = t.kind == "intervention";
            (
                !intervention,
                Choice {
                    value: t.code.clone(),
                    label: format!(
                        "{} ({})",
                        t.name,
                        if intervention {
                            "área de intervenção".to_string()
                        } else {
                            t.kind.to_uppercase()
                        }
                    ),
                },
            )
        })
        .collect();
    areas.sort_by(|a, b| (a.0, &a.1.label).cmp(&(b.0, &b.1.label)));
    Ok((municipalities, areas.into_iter().map(|(_, c)| c).collect()))
}

/// `GET /acoes?situacao=abertas|atrasadas|todas`: the actions the user may see, overdue flagged.
pub async fn actions(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<Fields>,
) -> Result<Response, AppError> {
    let filter = field(&f, "situacao").unwrap_or("abertas").to_string();
    if !matches!(filter.as_str(), "abertas" | "atrasadas" | "todas") {
        return Err(AppError::BadRequest(format!(
            "situação `{filter}` inválida: esperado abertas, atrasadas ou todas"
        )));
    }
    actions_page(&st, &id, filter, None).await
}

async fn actions_page(
    st: &AppState,
    id: &Identity,
    filter: String,
    error: Option<String>,
) -> Result<Response, AppError> {
    let v = viewer(id);
    let today = st.config.clock.today();
    let names = names(st).await?;
    let visible: Vec<ActionRecord> = st
        .db
        .actions()
        .await?
        .into_iter()
        .filter(|a| sees_action(&v, a))
        .collect();
    let open_count = visible.iter().filter(|a| a.status.is_open()).count();
    let overdue_count = visible.iter().filter(|a| a.overdue(today)).count();
    let mut rows: Vec<ActionListRow> = visible
        .into_iter()
        .filter(|a| match filter.as_str() {
            "abertas" => a.status.is_open(),
            "atrasadas" => a.overdue(today),
            _ => true,
        })
        .map(|a| ActionListRow {
            id: a.id,
            overdue: a.overdue(today),
            municipality: name_of(&names, &a.plan.municipality_code),
            responsible: a.responsible.code.clone(),
            partners: partner_codes(&a),
            due: br_date(a.due_on),
            status: a.status.label_pt(),
            joint: a.joint_operation,
            meeting_id: a.meeting_id,
            title: a.title,
        })
        .collect();
    rows.sort_by_key(|r| !r.overdue);
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
    })
}

/// `POST /acoes`: an action of a municipality's plan decided outside a meeting (or a joint operation).
pub async fn create_action(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    let a = match new_action(&f) {
        Ok(a) => a,
        Err(e) => return actions_page(&st, &id, "abertas".into(), Some(e)).await,
    };
    if a.municipality_code.is_empty() {
        return actions_page(
            &st,
            &id,
            "abertas".into(),
            Some("escolha o município".into()),
        )
        .await;
    }
    if !v.manages_in(&a.municipality_code) {
        return Err(AppError::Forbidden(format!(
            "o município `{}` não está no seu escopo de coordenação",
            a.municipality_code
        )));
    }
    let name = id.actor();
    match st
        .db
        .create_action(&a, actor(&id, &name, &id.ip, &v), st.config.clock.now_utc())
        .await
    {
        Ok(aid) => Ok(Redirect::to(&format!("/acoes/{aid}")).into_response()),
        Err(e) => actions_page(&st, &id, "abertas".into(), Some(refusal(e)?)).await,
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
    partners: String,
    starts: String,
    due: String,
    operation: String,
    status: &'static str,
    overdue: bool,
    history: Vec<HistoryRow>,
    may_update: bool,
    statuses: Vec<(&'static str, &'static str, bool)>,
    error: Option<String>,
    notice: Option<String>,
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
    error: Option<String>,
    notice: Option<String>,
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
            when: super::local_time(u.at),
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
            .map(|s| (s.as_str(), s.label_pt(), *s == a.status))
            .collect(),
        a,
        error,
        notice,
    })
}

/// `GET /acoes/{id}`: the action, its history and, for those who answer for it, the progress form.
pub async fn action(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<i64>,
) -> Result<Response, AppError> {
    action_page(&st, &id, aid, None, None).await
}

/// `POST /acoes/{id}/andamento` (multipart: `situacao`, `nota`, `arquivo`): progress on an action by its
/// coordination or its responsible or partner institution.
pub async fn progress(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
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
    let (f, file) = match super::read_form(multipart, st.config.max_evidence_bytes).await {
        Ok(x) => x,
        Err(e) => return action_page(&st, &id, aid, Some(e), None).await,
    };
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or("");
    let status = match get("situacao") {
        "" => None,
        s => match s.parse::<ActionStatus>() {
            Ok(x) => Some(x),
            Err(e) => return action_page(&st, &id, aid, Some(e.to_string()), None).await,
        },
    };
    let file = file.filter(|(_, b)| !b.is_empty());
    let p = ActionProgress {
        status,
        note: get("nota"),
        evidence: file.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())),
    };
    let name = id.actor();
    match st
        .db
        .update_action(
            aid,
            &p,
            &st.config.evidence_dir(),
            actor(&id, &name, &id.ip, &v),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => action_page(&st, &id, aid, None, Some("Andamento registrado.".into())).await,
        Err(e) => action_page(&st, &id, aid, Some(refusal(e)?), None).await,
    }
}

/// `GET /acoes/{id}/evidencias/{update}`: an evidence file of a visible action.
pub async fn evidence(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
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
    super::evidence_file(
        &st,
        &u.0,
        format!("attachment; filename=\"{safe}\""),
        atalaia_store::audit::AuditEvent::new(id.actor(), "igesp.evidence_opened")
            .object(format!("action_update:{uid}"))
            .ip(&id.ip),
    )
    .await
}

/// Open and overdue actions of the user, for the home page's flags.
pub(crate) async fn my_overdue(st: &AppState, id: &Identity) -> Result<(usize, usize), AppError> {
    let v = viewer(id);
    let today = st.config.clock.today();
    let mine: Vec<ActionRecord> = st
        .db
        .actions()
        .await?
        .into_iter()
        .filter(|a| a.status.is_open() && sees_action(&v, a))
        .collect();
    Ok((mine.len(), mine.iter().filter(|a| a.overdue(today)).count()))
}

/// `GET /reunioes/{id}/ata.pdf`: the ata of a held meeting as PDF, with what this reader may see.
pub async fn ata_pdf(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<i64>,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    let m = visible_meeting(&st, &v, mid).await?;
    if m.status != MeetingStatus::Held {
        return Err(AppError::NotFound(format!(
            "a ata da reunião {mid} (ainda não registrada)"
        )));
    }
    let today = st.config.clock.today();
    let names = names(&st).await?;
    let (agenda, _) = agenda_of(&st, &m, today).await?;
    let view = agenda_view(&agenda, &m.municipality_code, &v, &names, false, true);
    let yes = |b: bool| if b { "sim" } else { "não" }.to_string();
    let action_row = |a: &ActionRow| {
        [
            a.title.clone(),
            a.responsible.clone(),
            a.due.clone(),
            a.status.to_string(),
        ]
    };
    let decisions = decisions_of(&st, &v, mid)
        .await?
        .into_iter()
        .map(|a| {
            [
                a.title.clone(),
                a.responsible.code.clone(),
                partner_codes(&a),
                br_date(a.due_on),
                a.status.label_pt().to_string(),
            ]
        })
        .collect();
    let mut facts = vec![[
        "Município".to_string(),
        name_of(&names, &m.municipality_code),
    ]];
    if let Some(a) = &m.area_code {
        facts.push(["Área".into(), name_of(&names, a)]);
    }
    facts.push([
        "Quando".into(),
        format!(
            "{} – {}",
            br_datetime(m.starts_at),
            m.ends_at.format("%H:%M")
        ),
    ]);
    facts.push(["Local".into(), m.place.clone()]);
    let doc = atalaia_reports::AtaDocument {
        id: m.id,
        title: m.title.clone(),
        kind: m.kind.label_pt().into(),
        internal: m.kind == MeetingKind::Internal,
        when: br_datetime(m.starts_at),
        facts,
        institutions: m
            .institutions
            .iter()
            .map(|i| {
                [
                    i.code.clone(),
                    i.name.clone(),
                    yes(i.invited),
                    yes(i.present),
                ]
            })
            .collect(),
        people: m
            .attendees
            .iter()
            .map(|p| {
                [
                    p.name.clone(),
                    p.position.clone(),
                    p.institution_code.clone(),
                    if p.present {
                        String::new()
                    } else {
                        "ausente".into()
                    },
                ]
            })
            .collect(),
        overdue: view.overdue.iter().map(action_row).collect(),
        open: view.open.iter().map(action_row).collect(),
        indicators_caption: format!(
            "{} — ocorrências de {}, contra {}",
            view.area, view.window, view.previous_window
        ),
        indicators: view
            .indicators
            .iter()
            .map(|i| {
                [
                    i.label.clone(),
                    i.current.to_string(),
                    i.previous.to_string(),
                    i.change.clone(),
                ]
            })
            .collect(),
        minutes: m
            .minutes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        decisions,
    };
    let bytes = tokio::task::spawn_blocking(move || atalaia_reports::ata_pdf(&doc))
        .await
        .map_err(|e| AppError::Internal(format!("ata: {e}")))?
        .map_err(|e| AppError::Internal(format!("ata: {e}")))?;
    Ok(super::download(
        bytes,
        "application/pdf",
        format!("ata-reuniao-{mid}.pdf"),
    ))
}

/// One event of an iCalendar feed.
pub(crate) struct Event {
    pub uid: String,
    /// Local (America/Sao_Paulo) start and end.
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub cancelled: bool,
}

/// RFC 5545 TEXT escaping: backslash, semicolon, comma and newlines.
fn ical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character, CRLF-ended.
fn ical_line(out: &mut String, line: &str) {
    let mut len = 0;
    for c in line.chars() {
        if len + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The events as an iCalendar document. Times are written in UTC (`Z`): Brasília is UTC−3 all year
/// since 2019, and UTC needs no VTIMEZONE block that every client reads differently.
pub(crate) fn ical(events: &[Event], stamp: NaiveDateTime) -> String {
    let utc = |t: NaiveDateTime| atalaia_core::dates::sao_paulo_to_utc(t).format("%Y%m%dT%H%M%SZ");
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Atalaia//Igesp//PT-BR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Reuniões Igesp",
    ] {
        ical_line(&mut out, l);
    }
    for e in events {
        ical_line(&mut out, "BEGIN:VEVENT");
        ical_line(&mut out, &format!("UID:{}", e.uid));
        ical_line(
            &mut out,
            &format!("DTSTAMP:{}", stamp.format("%Y%m%dT%H%M%SZ")),
        );
        ical_line(&mut out, &format!("DTSTART:{}", utc(e.starts_at)));
        ical_line(&mut out, &format!("DTEND:{}", utc(e.ends_at)));
        ical_line(&mut out, &format!("SUMMARY:{}", ical_text(&e.summary)));
        if !e.location.is_empty() {
            ical_line(&mut out, &format!("LOCATION:{}", ical_text(&e.location)));
        }
        ical_line(
            &mut out,
            &format!("DESCRIPTION:{}", ical_text(&e.description)),
        );
        ical_line(
            &mut out,
            if e.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
        );
        ical_line(&mut out, "END:VEVENT");
    }
    ical_line(&mut out, "END:VCALENDAR");
    out
}

/// `GET /reunioes/agenda.ics`: the user's meetings as iCalendar — those of the municipalities they
/// coordinate and those their institution is invited to or attends (visible ones only).
pub async fn calendar(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    let v = viewer(&id);
    let names = names(&st).await?;
    let user_id = id.user.as_ref().map(|u| u.id);
    let events: Vec<Event> = st
        .db
        .meetings()
        .await?
        .into_iter()
        .filter(|m| {
            sees(&v, m)
                && (v.manages_in(&m.municipality_code)
                    || m.institutions.iter().any(|i| i.id == v.institution)
                    || m.attendees
                        .iter()
                        .any(|a| a.user_id.is_some() && a.user_id == user_id))
        })
        .map(|m| Event {
            uid: format!("reuniao-{}@atalaia", m.id),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            summary: m.title.clone(),
            location: m.place.clone(),
            description: format!(
                "{} — {} ({})",
                m.kind.label_pt(),
                name_of(&names, &m.municipality_code),
                m.institutions
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            cancelled: m.status == MeetingStatus::Cancelled,
        })
        .collect();
    let body = ical(&events, st.config.clock.now_utc());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"reunioes-igesp.ics\"".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icalendar_escapes_folds_and_writes_utc() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let e = Event {
            uid: "reuniao-7@atalaia".into(),
            starts_at: t("2026-10-08 09:00"),
            ends_at: t("2026-10-08 11:00"),
            summary: "Articulação; roubos, centro".into(),
            location: "MP\\sala 3".into(),
            description: "Reunião de articulação — Goiânia (MPGO, PMGO, SSP-GO, PREF-GYN, CONSEP-GYN, CDL-GYN, TJGO)\nlinha 2".into(),
            cancelled: false,
        };
        let doc = ical(&[e], t("2026-10-01 18:00"));
        assert!(doc.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(doc.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        // 09:00 in Brasília is 12:00 UTC.
        assert!(doc.contains("\r\nDTSTART:20261008T120000Z\r\n"));
        assert!(doc.contains("\r\nDTEND:20261008T140000Z\r\n"));
        assert!(doc.contains("\r\nSUMMARY:Articulação\\; roubos\\, centro\r\n"));
        assert!(doc.contains("\r\nLOCATION:MP\\\\sala 3\r\n"));
        // Every physical line is at most 75 octets; the long description is folded and unfolds back.
        for l in doc.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = doc.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Reunião de articulação — Goiânia (MPGO\\, PMGO\\, SSP-GO\\, PREF-GYN\\, CONSEP-GYN\\, CDL-GYN\\, TJGO)\\nlinha 2\r\n"
        ));
    }
}
