//! Igesp meetings (igesp.md §4): the schedule, a meeting's page with its agenda generated from the
//! data, attendance, minutes and decisions that become actions, and cancelling.

use crate::done::{self, Done};
use crate::guard::{Ctx, Identity};
use crate::pages::Declined;
use crate::pages::igesp::ActionLine;
use crate::pages::igesp::actions::form_choices;
use crate::pages::igesp::actor;
use crate::pages::igesp::agenda_of;
use crate::pages::igesp::br_date;
use crate::pages::igesp::br_datetime;
use crate::pages::igesp::coordinates;
use crate::pages::igesp::decisions_of;
use crate::pages::igesp::name_of;
use crate::pages::igesp::names;
use crate::pages::igesp::sees;
use crate::pages::igesp::sees_action;
use crate::pages::igesp::viewer;
use crate::pages::kept::{FieldError, Kept};
use crate::pages::{Chrome, Fields, FormOption, OptionGroup, field, render};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::access::Permission;
use atalaia_core::igesp::{MeetingKind, MeetingStatus, Viewer, police_side};
use atalaia_store::accounts::InstitutionRecord;
use atalaia_store::igesp::{
    ActionRecord, Agenda, Attendee, IgespError, MeetingInstitution, MeetingRecord, NewAction,
    NewAttendee, NewMeeting,
};
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use std::collections::HashMap;

/// One row of a meeting list.
pub(crate) struct MeetingRow {
    id: i64,
    pub(crate) when: String,
    pub(crate) kind: &'static str,
    pub(crate) title: String,
    pub(crate) municipality: String,
    pub(crate) status: &'static str,
    pub(crate) institutions: String,
    pub(crate) open_actions: usize,
    pub(crate) overdue_actions: usize,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    upcoming: Vec<MeetingRow>,
    past: Vec<MeetingRow>,
    manages: bool,
    kinds: Vec<FormOption>,
    municipalities: Vec<FormOption>,
    areas: Vec<OptionGroup>,
    institutions: Vec<(i64, String, bool)>,
    error: Option<String>,
    /// What was typed into the scheduling form, kept when it was refused.
    draft: Kept,
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
    meetings_page_with(st, id, error, None, None).await
}

/// The meetings `id` may see as the page lists them: the scheduled ones to come, soonest first, and
/// the rest (held, cancelled, past), latest first.
pub(crate) async fn meeting_rows(
    st: &AppState,
    id: &Identity,
) -> Result<(Vec<MeetingRow>, Vec<MeetingRow>), AppError> {
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
    Ok((upcoming, past))
}

async fn meetings_page_with(
    st: &AppState,
    id: &Identity,
    error: Option<String>,
    feed_url: Option<String>,
    refused: Option<(&Fields, &'static str)>,
) -> Result<Response, AppError> {
    let v = viewer(id);
    let today = st.config.clock.today();
    let (upcoming, past) = meeting_rows(st, id).await?;
    let manages = id.may(Permission::ManageMeetings) && v.manages;
    let (mut municipalities, mut areas) = form_choices(st, &v, today).await?;
    let mut kinds: Vec<FormOption> = MeetingKind::ALL
        .iter()
        .map(|k| FormOption::new(k.as_str(), k.label_pt()))
        .collect();
    // A refusal gives the form back whole, with the reason beside its input, never empty.
    let draft = refused
        .map(|(f, field)| {
            let why = error.clone().unwrap_or_default();
            Kept::refused(f, FieldError::at(field)(why))
        })
        .unwrap_or_default();
    if let Some((f, _)) = refused {
        let choose = |options: &mut [FormOption], key: &str| {
            let chosen = field(f, key).unwrap_or("");
            for o in options {
                o.chosen = o.value == chosen;
            }
        };
        choose(&mut kinds, "tipo");
        choose(&mut municipalities, "municipio");
        for g in &mut areas {
            choose(&mut g.options, "area");
        }
    }
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
        kinds,
        municipalities,
        areas,
        institutions,
        error,
        draft,
        feed_url,
    })
}

/// `POST /reunioes/agenda/chave`: a new calendar subscription key for the signed-in user (replacing the
/// old one); its address is shown once, the database keeps only its hash.
pub async fn calendar_key(
    Ctx { st, id }: Ctx,
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
    let url = format!(
        "{}{}?chave={key}",
        crate::pages::origin(&st, &headers),
        crate::guard::CALENDAR_FEED
    );
    meetings_page_with(&st, &id, None, Some(url), None).await
}

/// `GET /reunioes`: the meetings the user may see, upcoming first; the schedule form for coordinators.
pub async fn list(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
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

impl From<FieldError> for Declined {
    fn from(e: FieldError) -> Self {
        Declined::Refused(e.why)
    }
}

/// The scheduling form as a meeting, or the first input to mend.
pub(crate) fn new_meeting(f: &Fields, synthetic: bool) -> Result<NewMeeting, FieldError> {
    let at = FieldError::at;
    let kind: MeetingKind = field(f, "tipo")
        .unwrap_or("")
        .parse()
        .map_err(|e: atalaia_core::igesp::MeetingKindError| at("tipo")(e.to_string()))?;
    let day = parse_date(f, "data", "a data").map_err(at("data"))?;
    let start = parse_time(f, "inicio", "o horário de início").map_err(at("inicio"))?;
    let end = parse_time(f, "fim", "o horário de término").map_err(at("fim"))?;
    Ok(NewMeeting {
        kind,
        title: field(f, "titulo").unwrap_or("").to_string(),
        municipality_code: field(f, "municipio")
            .ok_or_else(|| at("municipio")("escolha o município".into()))?
            .to_string(),
        area_code: field(f, "area").map(str::to_string),
        starts_at: day.and_time(start),
        ends_at: day.and_time(end),
        place: field(f, "local").unwrap_or("").to_string(),
        institutions: ids(f, "instituicao").map_err(at("instituicao"))?,
        attendees: vec![],
        synthetic,
    })
}

/// The input of the scheduling form an Igesp refusal is about.
fn field_of(e: &IgespError) -> &'static str {
    match e {
        IgespError::Missing("local") | IgespError::TooLong { field: "local", .. } => "local",
        IgespError::Missing(_) | IgespError::TooLong { .. } => "titulo",
        IgespError::EndsBeforeStart { .. } => "fim",
        IgespError::NoArea => "area",
        _ => "instituicao",
    }
}

/// `POST /reunioes`: schedules a meeting in a municipality the coordinator answers for.
pub async fn create(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let v = viewer(&id);
    let name = id.actor();
    let m = match new_meeting(&f, false) {
        Ok(m) => m,
        Err(e) => {
            return meetings_page_with(&st, &id, Some(e.why), None, Some((&f, e.field))).await;
        }
    };
    coordinates(&v, &m.municipality_code)?;
    let who = actor(&id, &name, &id.ip, &v);
    let now = st.config.clock.now_utc();
    match st.db.create_meeting(&m, who, now).await {
        Ok(mid) => Ok(done::redirect(
            &format!("/reunioes/{mid}"),
            Done::MeetingCreated,
        )),
        Err(e) => {
            let field = field_of(&e);
            let why = Declined::from(e).reason()?;
            meetings_page_with(&st, &id, Some(why), None, Some((&f, field))).await
        }
    }
}

/// A meeting or 404 if the user may not see it.
pub(crate) async fn visible_meeting(
    st: &AppState,
    v: &Viewer,
    mid: i64,
) -> Result<MeetingRecord, AppError> {
    st.db
        .meeting(mid)
        .await?
        .filter(|m| sees(v, m))
        .ok_or_else(|| AppError::NotFound(format!("a reunião {mid}")))
}

pub(crate) struct IndicatorRow {
    pub(crate) label: String,
    pub(crate) current: i64,
    pub(crate) previous: i64,
    pub(crate) change: String,
    pub(crate) class: &'static str,
}

pub(crate) struct ActionRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) responsible: String,
    pub(crate) due: String,
    pub(crate) status: &'static str,
}

pub(crate) struct AgendaView {
    pub(crate) area: String,
    pub(crate) window: String,
    pub(crate) previous_window: String,
    pub(crate) indicators: Vec<IndicatorRow>,
    pub(crate) overdue: Vec<ActionRow>,
    pub(crate) open: Vec<ActionRow>,
    pub(crate) hidden_actions: usize,
    pub(crate) hotspots_link: Option<String>,
    pub(crate) frozen: bool,
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
    (atalaia_core::numbers::change_percent(pct, 1), class)
}

pub(crate) fn agenda_view(
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
    institutions: Vec<MeetingInstitution>,
    people: Vec<Attendee>,
    agenda: AgendaView,
    decisions: Vec<ActionLine>,
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
        .map(|a| ActionLine::of(a, today, &names))
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
        institutions: m.institutions.clone(),
        people: m.attendees.clone(),
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
pub async fn detail(Ctx { st, id }: Ctx, Path(mid): Path<i64>) -> Result<Response, AppError> {
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
    Ctx { st, id }: Ctx,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, _) = managed_meeting(&st, &id, mid).await?;
    let name = id.actor();
    let added = async {
        let [institution_id] = ids(&f, "instituicao")?[..] else {
            return Err("escolha a instituição".into());
        };
        let a = NewAttendee {
            name: field(&f, "nome").unwrap_or("").to_string(),
            position: field(&f, "cargo").unwrap_or("").to_string(),
            institution_id,
            user_id: None,
        };
        let who = actor(&id, &name, &id.ip, &v);
        st.db
            .add_attendee(mid, &a, who, st.config.clock.now_utc())
            .await?;
        Ok(())
    };
    back_to_meeting(&st, &id, mid, "participantes", added.await).await
}

/// Back to the meeting's section `anchor` once an act went through; its page with the reason otherwise.
async fn back_to_meeting(
    st: &AppState,
    id: &Identity,
    mid: i64,
    anchor: &str,
    outcome: Result<(), Declined>,
) -> Result<Response, AppError> {
    match outcome {
        Ok(()) => {
            let what = match anchor {
                "participantes" => Done::AttendeeAdded,
                "ata" => Done::MinutesSaved,
                _ => Done::DecisionRecorded,
            };
            Ok(done::redirect(&format!("/reunioes/{mid}#{anchor}"), what))
        }
        Err(e) => meeting_page(st, id, mid, Some(e.reason()?), None).await,
    }
}

/// `POST /reunioes/{id}/ata`: the minutes and who was present; the agenda as it stands is frozen with
/// them.
pub async fn minutes(
    Ctx { st, id }: Ctx,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, m) = managed_meeting(&st, &id, mid).await?;
    let name = id.actor();
    let recorded = async {
        let present_inst = ids(&f, "presente_instituicao")?;
        let present_people = ids(&f, "presente_pessoa")?;
        let today = st.config.clock.today();
        // A correction keeps the agenda frozen the first time.
        let agenda = match &m.agenda {
            Some(a) => a.clone(),
            None => serde_json::to_string(&st.db.agenda(&m, today).await?)
                .map_err(|e| AppError::Internal(format!("pauta: {e}")))?,
        };
        st.db
            .record_minutes(
                mid,
                field(&f, "ata").unwrap_or(""),
                &present_inst,
                &present_people,
                &agenda,
                actor(&id, &name, &id.ip, &v),
                st.config.clock.now_utc(),
            )
            .await?;
        Ok(())
    };
    back_to_meeting(&st, &id, mid, "ata", recorded.await).await
}

/// An action's form as a new action, or the first input to mend.
pub(crate) fn new_action(f: &Fields) -> Result<NewAction, FieldError> {
    let at = FieldError::at;
    let responsible = match ids(f, "responsavel").map_err(at("responsavel"))?.as_slice() {
        [x] => *x,
        _ => {
            return Err(at("responsavel")(
                "escolha a instituição responsável".into(),
            ));
        }
    };
    let joint = field(f, "operacao_conjunta").is_some();
    let operation_on = match field(f, "data_operacao") {
        Some(_) => Some(
            parse_date(f, "data_operacao", "a data da operação").map_err(at("data_operacao"))?,
        ),
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
        partners: ids(f, "parceiro").map_err(at("parceiro"))?,
        starts_on: parse_date(f, "inicio", "a data de início").map_err(at("inicio"))?,
        due_on: parse_date(f, "prazo", "o prazo").map_err(at("prazo"))?,
        indicator: field(f, "indicador").unwrap_or("").to_string(),
        joint_operation: joint,
        operation_on,
        synthetic: false,
    })
}

/// `POST /reunioes/{id}/decisoes`: a decision of the meeting, which becomes an action of the
/// municipality's plan (igesp.md §4: "decisions become actions").
pub async fn decide(
    Ctx { st, id }: Ctx,
    Path(mid): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let (v, _) = managed_meeting(&st, &id, mid).await?;
    let name = id.actor();
    let decided = async {
        let a = NewAction {
            meeting_id: Some(mid),
            ..new_action(&f)?
        };
        let who = actor(&id, &name, &id.ip, &v);
        st.db
            .create_action(&a, who, st.config.clock.now_utc())
            .await?;
        Ok(())
    };
    back_to_meeting(&st, &id, mid, "decisoes", decided.await).await
}

/// `POST /reunioes/{id}/cancelar`: cancels a scheduled meeting, with the reason.
pub async fn cancel(
    Ctx { st, id }: Ctx,
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
        Err(e) => meeting_page(&st, &id, mid, Some(Declined::from(e).reason()?), None).await,
    }
}
