//! Igesp pages, in the method's order: the municipalities' selection ([`selection`], igesp.md §2), hot
//! spots ([`hotspots`], §3), meetings ([`meetings`], [`ata`], [`ical`], §4), action plans ([`actions`],
//! §5) and the evaluation of an intervention ([`evaluation`], §6).
//!
//! The route's permission is checked by the guard; which meeting or action a user sees, runs or updates
//! is decided here, in this module's helpers, by `core::igesp::Viewer` — and only there. A meeting or action the user may not see
//! answers 404, as if it did not exist (its existence is itself police material for internal meetings).

pub mod actions;
pub mod ata;
pub mod compstat;
pub mod downloads;
pub mod evaluation;
pub mod hotspots;
pub mod ical;
pub mod meetings;
pub mod selection;

use crate::guard::Identity;
use crate::{AppError, AppState};
use atalaia_core::access::Role;
use atalaia_core::dates::BrDate;
use atalaia_core::igesp::Viewer;
use atalaia_store::igesp::{ActionRecord, Actor, Agenda, MeetingRecord};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

/// The viewer of the signed-in user (an API key has no institution: it sees by its role only).
/// The Igesp viewer of a machine client: its key's institution, found by code (a key's identity carries
/// the code only), and its role everywhere.
pub(crate) async fn key_viewer(st: &AppState, id: &Identity) -> Result<Viewer, AppError> {
    if id.user.is_some() {
        return Ok(viewer(id));
    }
    let institution = st
        .db
        .institutions()
        .await?
        .into_iter()
        .find(|i| i.code == id.institution)
        .map_or(-1, |i| i.id);
    let roles: Vec<(Role, atalaia_store::accounts::Scope)> = id
        .roles
        .iter()
        .map(|r| (*r, atalaia_store::accounts::Scope::All))
        .collect();
    Ok(Viewer::of(institution, &roles))
}

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

pub(crate) fn actor<'a>(id: &'a Identity, name: &'a str, ip: &'a str, v: &Viewer) -> Actor<'a> {
    Actor {
        actor: name,
        name: &id.name,
        institution_id: v.institution,
        ip,
    }
}

pub(crate) fn sees(v: &Viewer, m: &MeetingRecord) -> bool {
    v.sees_meeting(m.kind, &m.municipality_code, &m.institution_ids())
}

pub(crate) fn sees_action(v: &Viewer, a: &ActionRecord) -> bool {
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
/// An action as the lists show it: the actions page, a meeting's decisions, its ata.
pub(crate) struct ActionLine {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) municipality: String,
    /// The responsible institution's code.
    pub(crate) responsible: String,
    pub(crate) partners: String,
    pub(crate) due: String,
    pub(crate) status: &'static str,
    pub(crate) overdue: bool,
    pub(crate) joint: bool,
    pub(crate) meeting_id: Option<i64>,
}

impl ActionLine {
    /// The line of `a` on `today`, municipalities by their names.
    pub(crate) fn of(a: ActionRecord, today: NaiveDate, names: &HashMap<String, String>) -> Self {
        ActionLine {
            id: a.id,
            overdue: a.overdue(today),
            municipality: name_of(names, &a.plan.municipality_code),
            partners: partner_codes(&a),
            due: br_date(a.due_on),
            status: a.status.label_pt(),
            joint: a.joint_operation,
            meeting_id: a.meeting_id,
            responsible: a.responsible.code,
            title: a.title,
        }
    }
}

/// Only a municipality the user coordinates takes new meetings and actions.
fn coordinates(v: &Viewer, municipality: &str) -> Result<(), AppError> {
    if v.manages_in(municipality) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "o município `{municipality}` não está no seu escopo de coordenação"
        )))
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
