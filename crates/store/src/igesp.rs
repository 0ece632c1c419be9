//! Igesp integrated management (igesp.md §4, §5): meetings, their institutions and attendance, minutes
//! with the agenda frozen as it was discussed, action plans, actions (a meeting's decisions become
//! actions), partners, and every status change or progress note with its evidence file.
//!
//! Who sees what is decided by `core::igesp::Viewer` over the facts these functions return
//! ([`MeetingRecord::institution_ids`], [`ActionRecord::institution_ids`]); nothing here filters by
//! user. Every act is written with its audit entry in one transaction: follow-up is the method, so who
//! changed an action and when must be on the record.

mod actions;
mod agenda;
pub use actions::*;
pub use agenda::*;

use crate::audit::AuditEvent;
use crate::read::by_parent;
use crate::{Db, Result, StoreError, Tx, execute, on_db, on_tx};
use atalaia_core::igesp::{MeetingKind, MeetingStatus, police_side};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::HashMap;

/// Why an Igesp act was refused (pt-BR, naming the value and what was expected). A refused act changes
/// nothing.
#[derive(Debug, thiserror::Error)]
pub enum IgespError {
    /// Empty title or text where one is required.
    #[error("{0}: campo obrigatório vazio")]
    Missing(&'static str),
    /// A text over its limit.
    #[error("{field}: {len} caracteres, acima do limite de {max}")]
    TooLong {
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Ends before it starts.
    #[error(
        "a reunião termina às {} antes de começar, às {}",
        end.format("%H:%M"),
        start.format("%H:%M")
    )]
    EndsBeforeStart {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
    /// Due before it starts.
    #[error(
        "o prazo ({}) é anterior ao início ({})",
        atalaia_core::dates::BrDate::br_date(due),
        atalaia_core::dates::BrDate::br_date(start)
    )]
    DueBeforeStart { start: NaiveDate, due: NaiveDate },
    /// No institution invited.
    #[error("convide ao menos uma instituição")]
    NoInstitution,
    /// An unknown institution id.
    #[error("instituição {0} inexistente")]
    UnknownInstitution(i64),
    /// A partner institution invited to an internal meeting.
    #[error(
        "{0} não é força de segurança nem a Secretaria: reuniões internas são só das polícias e da Secretaria; use uma reunião de articulação"
    )]
    NotPoliceSide(String),
    /// An intervention meeting without its area.
    #[error("reunião de intervenção sem a área de intervenção")]
    NoArea,
    /// No such meeting.
    #[error("reunião {0} inexistente")]
    NoMeeting(i64),
    /// No such action.
    #[error("ação {0} inexistente")]
    NoAction(i64),
    /// No such plan.
    #[error("plano {0} inexistente")]
    NoPlan(i64),
    /// The meeting is cancelled (nothing more is recorded on it).
    #[error("a reunião {0} foi cancelada")]
    Cancelled(i64),
    /// A status change without its text (igesp.md §5: "with text").
    #[error("mudança de situação para «{0}» sem texto: diga o que foi feito ou por quê")]
    StatusWithoutNote(&'static str),
    /// Nothing to record.
    #[error("nada a registrar: escreva uma nota, mude a situação ou anexe um arquivo")]
    Empty,
    /// A joint operation without its date or with fewer than two institutions.
    #[error("operação conjunta: {0}")]
    JointOperation(&'static str),
    /// The evidence file.
    #[error(transparent)]
    Evidence(#[from] atalaia_core::evidence::EvidenceError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IgespError {
    fn from(e: sqlx::Error) -> Self {
        IgespError::Store(StoreError::Db(e))
    }
}

/// Limits of free text (a page of minutes is far below; a paste of a whole book is refused).
const TITLE_MAX: usize = 200;

const TEXT_MAX: usize = 100_000;

fn text<'a>(
    field: &'static str,
    value: &'a str,
    max: usize,
    required: bool,
) -> Result<&'a str, IgespError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(IgespError::Missing(field));
    }
    let len = v.chars().count();
    if len > max {
        return Err(IgespError::TooLong { field, len, max });
    }
    Ok(v)
}

/// An institution taking part in a meeting.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct MeetingInstitution {
    pub id: i64,
    /// Code (`MPGO`).
    pub code: String,
    pub name: String,
    pub invited: bool,
    /// Present (recorded with the minutes).
    pub present: bool,
}

/// A person on a meeting's attendance list.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Attendee {
    /// Row id.
    pub id: i64,
    pub name: String,
    /// Position (cargo).
    pub position: String,
    /// Institution id.
    pub institution_id: i64,
    /// Institution code.
    #[sqlx(rename = "code")]
    pub institution_code: String,
    /// A user of the platform (for their calendar), if linked.
    pub user_id: Option<i64>,
    pub present: bool,
}

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct MeetingRecord {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: MeetingKind,
    pub title: String,
    /// Municipality (territory code).
    pub municipality_code: String,
    /// The area it is about (an intervention area, usually), if any.
    pub area_code: Option<String>,
    /// Start (local time, America/Sao_Paulo).
    pub starts_at: NaiveDateTime,
    /// End (local time).
    pub ends_at: NaiveDateTime,
    pub place: String,
    /// Scheduled, held or cancelled.
    #[sqlx(try_from = "String")]
    pub status: MeetingStatus,
    /// Minutes (ata), once recorded.
    pub minutes: String,
    /// The agenda as discussed (JSON), frozen when the minutes are recorded.
    pub agenda: Option<String>,
    /// Who scheduled it.
    pub created_by: String,
    /// Synthetic (demo).
    pub synthetic: bool,
    #[sqlx(skip)]
    pub institutions: Vec<MeetingInstitution>,
    #[sqlx(skip)]
    pub attendees: Vec<Attendee>,
    /// Institutions responsible for or partners in the actions decided at it.
    #[sqlx(skip)]
    pub action_institutions: Vec<i64>,
}

impl MeetingRecord {
    /// Every institution taking part (invited, present, or in one of its decisions): what
    /// `Viewer::sees_meeting` needs.
    pub fn institution_ids(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self.institutions.iter().map(|i| i.id).collect();
        v.extend(&self.action_institutions);
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// A person to put on the attendance list.
#[derive(Debug, Clone)]
pub struct NewAttendee {
    pub name: String,
    pub position: String,
    pub institution_id: i64,
    /// User, if linked.
    pub user_id: Option<i64>,
}

/// A meeting to schedule.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub kind: MeetingKind,
    pub title: String,
    pub municipality_code: String,
    /// The area it is about (required for intervention meetings).
    pub area_code: Option<String>,
    /// Start (local).
    pub starts_at: NaiveDateTime,
    /// End (local).
    pub ends_at: NaiveDateTime,
    pub place: String,
    /// Invited institutions.
    pub institutions: Vec<i64>,
    /// Invited people.
    pub attendees: Vec<NewAttendee>,
    /// Demo data.
    pub synthetic: bool,
}

/// Who acts, for the record.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// `user:<login>`.
    pub actor: &'a str,
    pub name: &'a str,
    /// Institution id.
    pub institution_id: i64,
    /// Client address.
    pub ip: &'a str,
}

impl Actor<'_> {
    /// The audit entry of an act by this actor.
    fn event(&self, action: &str, object: String, details: serde_json::Value) -> AuditEvent {
        AuditEvent::new(self.actor, action)
            .object(object)
            .details(details)
            .ip(self.ip)
    }
}

impl Db {
    async fn institution_kinds(&self) -> Result<HashMap<i64, (String, String, String)>> {
        Ok(self
            .institutions()
            .await?
            .into_iter()
            .map(|i| (i.id, (i.code, i.name, i.kind)))
            .collect())
    }

    /// Schedules a meeting (igesp.md §4) with its invited institutions and people, audited
    /// (`meeting.scheduled`).
    pub async fn create_meeting(
        &self,
        m: &NewMeeting,
        who: Actor<'_>,
        now: NaiveDateTime,
    ) -> Result<i64, IgespError> {
        let title = text("título", &m.title, TITLE_MAX, true)?;
        let place = text("local", &m.place, TITLE_MAX, false)?;
        if m.ends_at < m.starts_at {
            return Err(IgespError::EndsBeforeStart {
                start: m.starts_at,
                end: m.ends_at,
            });
        }
        if m.kind == MeetingKind::Intervention && m.area_code.is_none() {
            return Err(IgespError::NoArea);
        }
        let mut invited = m.institutions.clone();
        invited.extend(m.attendees.iter().map(|a| a.institution_id));
        invited.sort_unstable();
        invited.dedup();
        if invited.is_empty() {
            return Err(IgespError::NoInstitution);
        }
        let kinds = self.institution_kinds().await?;
        for id in &invited {
            let (code, _, kind) = kinds.get(id).ok_or(IgespError::UnknownInstitution(*id))?;
            if m.kind == MeetingKind::Internal && !police_side(kind) {
                return Err(IgespError::NotPoliceSide(code.clone()));
            }
        }
        for a in &m.attendees {
            text("nome do participante", &a.name, TITLE_MAX, true)?;
        }
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO meetings (kind, title, municipality_code, area_code, starts_at, ends_at,
                     place, created_by, created_at, updated_at, synthetic)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id",
            )
            .bind(m.kind.as_str())
            .bind(title)
            .bind(&m.municipality_code)
            .bind(&m.area_code)
            .bind(m.starts_at)
            .bind(m.ends_at)
            .bind(place)
            .bind(who.actor)
            .bind(now)
            .bind(m.synthetic)
            .fetch_one(c)
            .await?
        });
        for inst in &invited {
            execute!(
                on_tx,
                &mut tx,
                "INSERT INTO meeting_institutions (meeting_id, institution_id, invited, present)
                     VALUES ($1, $2, TRUE, FALSE)",
                id,
                inst
            );
        }
        for a in &m.attendees {
            insert_attendee(&mut tx, id, a).await?;
        }
        tx.audit(
            &who.event(
                "meeting.scheduled",
                format!("meeting:{id}"),
                serde_json::json!({
                    "kind": m.kind.as_str(), "title": title, "municipality": m.municipality_code,
                    "area": m.area_code, "starts_at": m.starts_at.to_string(),
                    "institutions": invited,
                }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every meeting, newest first, with institutions, attendance and the institutions of its
    /// decisions. Meetings are few (tens a month in a state), so callers filter them with
    /// `core::igesp::Viewer` in memory: the sharing rule lives in one place.
    pub async fn meetings(&self) -> Result<Vec<MeetingRecord>> {
        self.meetings_where(None).await
    }

    /// One meeting.
    pub async fn meeting(&self, id: i64) -> Result<Option<MeetingRecord>> {
        Ok(self.meetings_where(Some(id)).await?.into_iter().next())
    }

    async fn meetings_where(&self, only: Option<i64>) -> Result<Vec<MeetingRecord>> {
        on_db!(self, |c| {
            let mut meetings: Vec<MeetingRecord> = sqlx::query_as(
                "SELECT id, kind, title, municipality_code, area_code, starts_at, ends_at, place,
                        status, minutes, agenda, created_by, synthetic
                 FROM meetings WHERE (CAST($1 AS BIGINT) IS NULL OR id = $1)
                 ORDER BY starts_at DESC, id DESC",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let insts = sqlx::query(
                "SELECT mi.meeting_id, i.id, i.code, i.name, mi.invited, mi.present
                 FROM meeting_institutions mi JOIN institutions i ON i.id = mi.institution_id
                 WHERE (CAST($1 AS BIGINT) IS NULL OR mi.meeting_id = $1)
                 ORDER BY i.code",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let people = sqlx::query(
                "SELECT a.id, a.meeting_id, a.name, a.position, a.institution_id, i.code, a.user_id,
                        a.present
                 FROM meeting_attendees a JOIN institutions i ON i.id = a.institution_id
                 WHERE (CAST($1 AS BIGINT) IS NULL OR a.meeting_id = $1)
                 ORDER BY a.id",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let acts = sqlx::query(
                "SELECT a.responsible_institution_id AS inst, a.meeting_id FROM actions a
                 WHERE a.meeting_id IS NOT NULL AND (CAST($1 AS BIGINT) IS NULL OR a.meeting_id = $1)
                 UNION
                 SELECT p.institution_id AS inst, a.meeting_id FROM actions a
                 JOIN action_partners p ON p.action_id = a.id
                 WHERE a.meeting_id IS NOT NULL AND (CAST($1 AS BIGINT) IS NULL OR a.meeting_id = $1)",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let mut by_inst = by_parent::<_, MeetingInstitution>(&insts, "meeting_id")?;
            let mut by_person = by_parent::<_, Attendee>(&people, "meeting_id")?;
            // `(inst,)` reads the first column.
            let mut by_act = by_parent::<_, (i64,)>(&acts, "meeting_id")?;
            for m in &mut meetings {
                m.institutions = by_inst.remove(&m.id).unwrap_or_default();
                m.attendees = by_person.remove(&m.id).unwrap_or_default();
                let mut insts: Vec<i64> = by_act
                    .remove(&m.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(i,)| i)
                    .collect();
                insts.sort_unstable();
                insts.dedup();
                m.action_institutions = insts;
            }
            Ok(meetings)
        })
    }

    /// The last meeting of `municipality` that started before `before` and was not cancelled: the
    /// agenda's "since the last meeting".
    pub async fn previous_meeting(
        &self,
        municipality: &str,
        before: NaiveDateTime,
    ) -> Result<Option<NaiveDateTime>> {
        on_db!(self, |c| {
            Ok(sqlx::query_scalar(
                "SELECT MAX(starts_at) FROM meetings
                 WHERE municipality_code = $1 AND starts_at < $2 AND status <> 'cancelled'",
            )
            .bind(municipality)
            .bind(before)
            .fetch_one(c)
            .await?)
        })
    }

    /// Records a meeting as held: the minutes, who was present (institutions and people) and the agenda
    /// as discussed (frozen: later data must not rewrite what the meeting saw). May be recorded again
    /// (a correction), each time audited (`meeting.minutes_recorded`) with the previous minutes' length.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_minutes(
        &self,
        meeting_id: i64,
        minutes: &str,
        present_institutions: &[i64],
        present_people: &[i64],
        agenda_json: &str,
        who: Actor<'_>,
        now: NaiveDateTime,
    ) -> Result<(), IgespError> {
        let minutes = text("ata", minutes, TEXT_MAX, true)?;
        let m = self
            .meeting(meeting_id)
            .await?
            .ok_or(IgespError::NoMeeting(meeting_id))?;
        if m.status == MeetingStatus::Cancelled {
            return Err(IgespError::Cancelled(meeting_id));
        }
        let kinds = self.institution_kinds().await?;
        for id in present_institutions {
            let (code, _, kind) = kinds.get(id).ok_or(IgespError::UnknownInstitution(*id))?;
            if m.kind == MeetingKind::Internal && !police_side(kind) {
                return Err(IgespError::NotPoliceSide(code.clone()));
            }
        }
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE meetings SET status = 'held', minutes = $2, agenda = $3, updated_at = $4
                 WHERE id = $1",
            )
            .bind(meeting_id)
            .bind(minutes)
            .bind(agenda_json)
            .bind(now)
            .execute(&mut *c)
            .await?;
            sqlx::query("UPDATE meeting_institutions SET present = FALSE WHERE meeting_id = $1")
                .bind(meeting_id)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE meeting_attendees SET present = FALSE WHERE meeting_id = $1")
                .bind(meeting_id)
                .execute(&mut *c)
                .await?;
        });
        for inst in present_institutions {
            // A present institution that was not invited is added (someone came uninvited).
            let updated = execute!(
                on_tx,
                &mut tx,
                "UPDATE meeting_institutions SET present = TRUE
                     WHERE meeting_id = $1 AND institution_id = $2",
                meeting_id,
                inst
            );
            if updated == 0 {
                execute!(
                    on_tx,
                    &mut tx,
                    "INSERT INTO meeting_institutions (meeting_id, institution_id, invited, present)
                         VALUES ($1, $2, FALSE, TRUE)",
                    meeting_id,
                    inst
                );
            }
        }
        for person in present_people {
            execute!(
                on_tx,
                &mut tx,
                "UPDATE meeting_attendees SET present = TRUE WHERE meeting_id = $1 AND id = $2",
                meeting_id,
                person
            );
        }
        tx.audit(
            &who.event(
                "meeting.minutes_recorded",
                format!("meeting:{meeting_id}"),
                serde_json::json!({
                    "present_institutions": present_institutions,
                    "present_people": present_people,
                    "minutes_chars": minutes.chars().count(),
                    "previous_minutes_chars": m.minutes.chars().count(),
                    "correction": m.status == MeetingStatus::Held,
                }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a person to a meeting's list (invited; marked present with the minutes).
    pub async fn add_attendee(
        &self,
        meeting_id: i64,
        a: &NewAttendee,
        who: Actor<'_>,
        now: NaiveDateTime,
    ) -> Result<i64, IgespError> {
        text("nome do participante", &a.name, TITLE_MAX, true)?;
        text("cargo", &a.position, TITLE_MAX, false)?;
        let m = self
            .meeting(meeting_id)
            .await?
            .ok_or(IgespError::NoMeeting(meeting_id))?;
        let kinds = self.institution_kinds().await?;
        let (code, _, kind) = kinds
            .get(&a.institution_id)
            .ok_or(IgespError::UnknownInstitution(a.institution_id))?;
        if m.kind == MeetingKind::Internal && !police_side(kind) {
            return Err(IgespError::NotPoliceSide(code.clone()));
        }
        let mut tx = self.begin().await?;
        let id = insert_attendee(&mut tx, meeting_id, a).await?;
        if !m.institutions.iter().any(|i| i.id == a.institution_id) {
            execute!(
                on_tx,
                &mut tx,
                "INSERT INTO meeting_institutions (meeting_id, institution_id, invited, present)
                     VALUES ($1, $2, TRUE, FALSE)",
                meeting_id,
                a.institution_id
            );
        }
        tx.audit(
            &who.event(
                "meeting.attendee_added",
                format!("meeting:{meeting_id}"),
                serde_json::json!({"attendee_id": id, "institution": code}),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Cancels a meeting (kept, marked cancelled), audited with the reason.
    pub async fn cancel_meeting(
        &self,
        meeting_id: i64,
        reason: &str,
        who: Actor<'_>,
        now: NaiveDateTime,
    ) -> Result<(), IgespError> {
        let reason = text("motivo", reason, TITLE_MAX * 5, true)?;
        let mut tx = self.begin().await?;
        let n = execute!(
            on_tx,
            &mut tx,
            "UPDATE meetings SET status = 'cancelled', updated_at = $2
                 WHERE id = $1 AND status = 'scheduled'",
            meeting_id,
            now
        );
        if n == 0 {
            return Err(IgespError::NoMeeting(meeting_id));
        }
        tx.audit(
            &who.event(
                "meeting.cancelled",
                format!("meeting:{meeting_id}"),
                serde_json::json!({"reason": reason}),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_attendee(tx: &mut Tx, meeting_id: i64, a: &NewAttendee) -> Result<i64> {
    Ok(on_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO meeting_attendees (meeting_id, name, position, institution_id, user_id, present)
             VALUES ($1, $2, $3, $4, $5, FALSE) RETURNING id",
        )
        .bind(meeting_id)
        .bind(a.name.trim())
        .bind(a.position.trim())
        .bind(a.institution_id)
        .bind(a.user_id)
        .fetch_one(c)
        .await?
    }))
}
