//! Igesp integrated management (igesp.md §4, §5): meetings, their institutions and attendance, minutes
//! with the agenda frozen as it was discussed, action plans, actions (a meeting's decisions become
//! actions), partners, and every status change or progress note with its evidence file.
//!
//! Who sees what is decided by `core::igesp::Viewer` over the facts these functions return
//! ([`MeetingRecord::institution_ids`], [`ActionRecord::institution_ids`]); nothing here filters by
//! user. Every act is written with its audit entry in one transaction: follow-up is the method, so who
//! changed an action and when must be on the record.

use std::collections::HashMap;

use atalaia_core::igesp::{ActionStatus, MeetingKind, MeetingStatus, police_side};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sqlx::Row;

use crate::audit::AuditEvent;
use crate::{Db, Result, StoreError, Tx, on_db, on_tx};

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
    #[error("a reunião termina ({end}) antes de começar ({start})")]
    EndsBeforeStart {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
    /// Due before it starts.
    #[error("o prazo ({due}) é anterior ao início ({start})")]
    DueBeforeStart { start: NaiveDate, due: NaiveDate },
    /// No institution invited.
    #[error("convide ao menos uma instituição")]
    NoInstitution,
    /// An unknown institution id.
    #[error("instituição {0} inexistente")]
    UnknownInstitution(i64),
    /// A partner institution invited to an internal meeting.
    #[error(
        "{0} não é força de segurança nem a Secretaria: reuniões internas são só das polícias (igesp.md §4); use uma reunião de articulação"
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attendee {
    /// Row id.
    pub id: i64,
    pub name: String,
    /// Position (cargo).
    pub position: String,
    /// Institution id.
    pub institution_id: i64,
    /// Institution code.
    pub institution_code: String,
    /// A user of the platform (for their calendar), if linked.
    pub user_id: Option<i64>,
    pub present: bool,
}

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingRecord {
    pub id: i64,
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
    pub status: MeetingStatus,
    /// Minutes (ata), once recorded.
    pub minutes: String,
    /// The agenda as discussed (JSON), frozen when the minutes are recorded.
    pub agenda: Option<String>,
    /// Who scheduled it.
    pub created_by: String,
    /// Synthetic (demo).
    pub synthetic: bool,
    pub institutions: Vec<MeetingInstitution>,
    pub attendees: Vec<Attendee>,
    /// Institutions responsible for or partners in the actions decided at it.
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

/// An action plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanRecord {
    pub id: i64,
    pub municipality_code: String,
    /// Intervention area, if any.
    pub area_code: Option<String>,
    pub title: String,
}

/// A partner institution of an action (or its responsible one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstitutionRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRecord {
    pub id: i64,
    pub plan: PlanRecord,
    /// The meeting whose decision it is, if any.
    pub meeting_id: Option<i64>,
    pub title: String,
    /// Why: the diagnosis it answers.
    pub reason: String,
    /// Responsible institution.
    pub responsible: InstitutionRef,
    /// Responsible person.
    pub responsible_person: String,
    /// Partner institutions.
    pub partners: Vec<InstitutionRef>,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// The indicator it should move (a crime code or group, in words).
    pub indicator: String,
    /// A joint operation (several institutions and a date).
    pub joint_operation: bool,
    /// The operation's date.
    pub operation_on: Option<NaiveDate>,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
    /// Synthetic (demo).
    pub synthetic: bool,
}

impl ActionRecord {
    /// The responsible institution and the partners: what `Viewer::sees_action` needs.
    pub fn institution_ids(&self) -> Vec<i64> {
        let mut v = vec![self.responsible.id];
        v.extend(self.partners.iter().map(|p| p.id));
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Open and past its due date on `today` (igesp.md §5).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        atalaia_core::igesp::is_overdue(self.status, self.due_on, today)
    }
}

/// An action to create.
#[derive(Debug, Clone)]
pub struct NewAction {
    /// The plan; `None` finds or creates the plan of `municipality_code` and `area_code`.
    pub plan_id: Option<i64>,
    /// Municipality (when no plan is given).
    pub municipality_code: String,
    /// Area (when no plan is given).
    pub area_code: Option<String>,
    /// The meeting whose decision it is.
    pub meeting_id: Option<i64>,
    pub title: String,
    pub reason: String,
    /// Responsible institution.
    pub responsible_institution_id: i64,
    /// Responsible person.
    pub responsible_person: String,
    pub partners: Vec<i64>,
    pub starts_on: NaiveDate,
    pub due_on: NaiveDate,
    pub indicator: String,
    /// Joint operation.
    pub joint_operation: bool,
    /// Its date.
    pub operation_on: Option<NaiveDate>,
    /// Demo data.
    pub synthetic: bool,
}

/// One entry of an action's history: a status change, a progress note, an evidence file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionUpdate {
    pub id: i64,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// Who (`user:<login>`).
    pub author: String,
    /// Their name.
    pub author_name: String,
    /// Their institution's code.
    pub institution_code: String,
    /// Status before, when it changed.
    pub status_from: Option<ActionStatus>,
    /// Status after, when it changed.
    pub status_to: Option<ActionStatus>,
    /// The note.
    pub note: String,
    /// Evidence file (SHA-256), if any.
    pub evidence_sha256: Option<String>,
    /// Its name as sent.
    pub evidence_name: String,
}

/// Progress to record on an action.
#[derive(Debug, Clone, Default)]
pub struct ActionProgress<'a> {
    /// New status, if it changes.
    pub status: Option<ActionStatus>,
    /// The note.
    pub note: &'a str,
    /// An evidence file: (name, bytes).
    pub evidence: Option<(&'a str, &'a [u8])>,
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

fn parse_kind(s: &str) -> Result<MeetingKind> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("tipo de reunião `{s}`")))
}

fn parse_meeting_status(s: &str) -> Result<MeetingStatus> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("situação de reunião `{s}`")))
}

fn parse_status(s: &str) -> Result<ActionStatus> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("situação de ação `{s}`")))
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
            on_tx!(&mut tx, |c| {
                sqlx::query(
                    "INSERT INTO meeting_institutions (meeting_id, institution_id, invited, present)
                     VALUES ($1, $2, TRUE, FALSE)",
                )
                .bind(id)
                .bind(inst)
                .execute(c)
                .await?;
            });
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
            let rows = sqlx::query(
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
                "SELECT a.meeting_id, a.responsible_institution_id AS inst FROM actions a
                 WHERE a.meeting_id IS NOT NULL AND (CAST($1 AS BIGINT) IS NULL OR a.meeting_id = $1)
                 UNION
                 SELECT a.meeting_id, p.institution_id AS inst FROM actions a
                 JOIN action_partners p ON p.action_id = a.id
                 WHERE a.meeting_id IS NOT NULL AND (CAST($1 AS BIGINT) IS NULL OR a.meeting_id = $1)",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let mut by_inst: HashMap<i64, Vec<MeetingInstitution>> = HashMap::new();
            for r in &insts {
                by_inst
                    .entry(r.try_get("meeting_id")?)
                    .or_default()
                    .push(MeetingInstitution {
                        id: r.try_get("id")?,
                        code: r.try_get("code")?,
                        name: r.try_get("name")?,
                        invited: r.try_get("invited")?,
                        present: r.try_get("present")?,
                    });
            }
            let mut by_person: HashMap<i64, Vec<Attendee>> = HashMap::new();
            for r in &people {
                by_person
                    .entry(r.try_get("meeting_id")?)
                    .or_default()
                    .push(Attendee {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        position: r.try_get("position")?,
                        institution_id: r.try_get("institution_id")?,
                        institution_code: r.try_get("code")?,
                        user_id: r.try_get("user_id")?,
                        present: r.try_get("present")?,
                    });
            }
            let mut by_act: HashMap<i64, Vec<i64>> = HashMap::new();
            for r in &acts {
                by_act
                    .entry(r.try_get("meeting_id")?)
                    .or_default()
                    .push(r.try_get("inst")?);
            }
            rows.iter()
                .map(|r| -> Result<MeetingRecord> {
                    let id: i64 = r.try_get("id")?;
                    let kind: String = r.try_get("kind")?;
                    let mut action_institutions = by_act.remove(&id).unwrap_or_default();
                    action_institutions.sort_unstable();
                    action_institutions.dedup();
                    Ok(MeetingRecord {
                        id,
                        kind: parse_kind(&kind)?,
                        title: r.try_get("title")?,
                        municipality_code: r.try_get("municipality_code")?,
                        area_code: r.try_get("area_code")?,
                        starts_at: r.try_get("starts_at")?,
                        ends_at: r.try_get("ends_at")?,
                        place: r.try_get("place")?,
                        status: parse_meeting_status(&r.try_get::<String, _>("status")?)?,
                        minutes: r.try_get("minutes")?,
                        agenda: r.try_get("agenda")?,
                        created_by: r.try_get("created_by")?,
                        synthetic: r.try_get("synthetic")?,
                        institutions: by_inst.remove(&id).unwrap_or_default(),
                        attendees: by_person.remove(&id).unwrap_or_default(),
                        action_institutions,
                    })
                })
                .collect()
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
            let updated = on_tx!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE meeting_institutions SET present = TRUE
                     WHERE meeting_id = $1 AND institution_id = $2",
                )
                .bind(meeting_id)
                .bind(inst)
                .execute(c)
                .await?
                .rows_affected()
            });
            if updated == 0 {
                on_tx!(&mut tx, |c| {
                    sqlx::query(
                        "INSERT INTO meeting_institutions (meeting_id, institution_id, invited, present)
                         VALUES ($1, $2, FALSE, TRUE)",
                    )
                    .bind(meeting_id)
                    .bind(inst)
                    .execute(c)
                    .await?;
                });
            }
        }
        for person in present_people {
            on_tx!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE meeting_attendees SET present = TRUE WHERE meeting_id = $1 AND id = $2",
                )
                .bind(meeting_id)
                .bind(person)
                .execute(c)
                .await?;
            });
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
            on_tx!(&mut tx, |c| {
                sqlx::query(
                    "INSERT INTO meeting_institutions (meeting_id, institution_id, invited, present)
                     VALUES ($1, $2, TRUE, FALSE)",
                )
                .bind(meeting_id)
                .bind(a.institution_id)
                .execute(c)
                .await?;
            });
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
        let n = on_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE meetings SET status = 'cancelled', updated_at = $2
                 WHERE id = $1 AND status = 'scheduled'",
            )
            .bind(meeting_id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        });
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

    /// Every plan.
    pub async fn plans(&self) -> Result<Vec<PlanRecord>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT id, municipality_code, area_code, title FROM action_plans ORDER BY id",
            )
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<PlanRecord> {
                    Ok(PlanRecord {
                        id: r.try_get("id")?,
                        municipality_code: r.try_get("municipality_code")?,
                        area_code: r.try_get("area_code")?,
                        title: r.try_get("title")?,
                    })
                })
                .collect()
        })
    }

    /// Creates an action (igesp.md §5) — a meeting's decision when `meeting_id` is given — in its plan
    /// (found or created for the municipality and area), audited (`action.created`).
    pub async fn create_action(
        &self,
        a: &NewAction,
        who: Actor<'_>,
        now: NaiveDateTime,
    ) -> Result<i64, IgespError> {
        let title = text("o quê", &a.title, TITLE_MAX, true)?;
        let reason = text("por quê", &a.reason, TEXT_MAX, false)?;
        let person = text("responsável", &a.responsible_person, TITLE_MAX, false)?;
        let indicator = text("indicador", &a.indicator, TITLE_MAX, false)?;
        if a.due_on < a.starts_on {
            return Err(IgespError::DueBeforeStart {
                start: a.starts_on,
                due: a.due_on,
            });
        }
        let mut partners: Vec<i64> = a
            .partners
            .iter()
            .copied()
            .filter(|p| *p != a.responsible_institution_id)
            .collect();
        partners.sort_unstable();
        partners.dedup();
        if a.joint_operation {
            if a.operation_on.is_none() {
                return Err(IgespError::JointOperation("informe a data da operação"));
            }
            if partners.is_empty() {
                return Err(IgespError::JointOperation(
                    "informe ao menos uma instituição parceira além da responsável",
                ));
            }
        }
        let kinds = self.institution_kinds().await?;
        for id in std::iter::once(&a.responsible_institution_id).chain(&partners) {
            if !kinds.contains_key(id) {
                return Err(IgespError::UnknownInstitution(*id));
            }
        }
        let (municipality, area) = match a.meeting_id {
            Some(mid) => {
                let m = self.meeting(mid).await?.ok_or(IgespError::NoMeeting(mid))?;
                if m.status == MeetingStatus::Cancelled {
                    return Err(IgespError::Cancelled(mid));
                }
                (m.municipality_code, m.area_code)
            }
            None => (a.municipality_code.clone(), a.area_code.clone()),
        };
        let plans = self.plans().await?;
        // A new plan is named after its area (else the municipality) as people know it.
        let code = area.as_deref().unwrap_or(&municipality);
        let plan_name = self
            .territory(code)
            .await?
            .into_iter()
            .max_by_key(|v| v.valid_from)
            .map(|v| v.name)
            .unwrap_or_else(|| code.to_string());
        let mut tx = self.begin().await?;
        let plan_id = match a.plan_id {
            Some(p) => {
                if !plans.iter().any(|x| x.id == p) {
                    return Err(IgespError::NoPlan(p));
                }
                p
            }
            None => match plans
                .iter()
                .find(|p| p.municipality_code == municipality && p.area_code == area)
            {
                Some(p) => p.id,
                None => {
                    let title = format!("Plano de ação — {plan_name}");
                    on_tx!(&mut tx, |c| {
                        sqlx::query_scalar(
                            "INSERT INTO action_plans (municipality_code, area_code, title, created_by,
                                 created_at, synthetic)
                             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(&municipality)
                        .bind(&area)
                        .bind(title)
                        .bind(who.actor)
                        .bind(now)
                        .bind(a.synthetic)
                        .fetch_one(c)
                        .await?
                    })
                }
            },
        };
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO actions (plan_id, meeting_id, title, reason, responsible_institution_id,
                     responsible_person, starts_on, due_on, status, indicator, joint_operation,
                     operation_on, created_by, created_at, updated_at, synthetic)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'planned', $9, $10, $11, $12, $13, $13, $14)
                 RETURNING id",
            )
            .bind(plan_id)
            .bind(a.meeting_id)
            .bind(title)
            .bind(reason)
            .bind(a.responsible_institution_id)
            .bind(person)
            .bind(a.starts_on)
            .bind(a.due_on)
            .bind(indicator)
            .bind(a.joint_operation)
            .bind(a.operation_on)
            .bind(who.actor)
            .bind(now)
            .bind(a.synthetic)
            .fetch_one(c)
            .await?
        });
        for p in &partners {
            on_tx!(&mut tx, |c| {
                sqlx::query(
                    "INSERT INTO action_partners (action_id, institution_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(p)
                .execute(c)
                .await?;
            });
        }
        tx.audit(
            &who.event(
                "action.created",
                format!("action:{id}"),
                serde_json::json!({
                    "plan_id": plan_id, "meeting_id": a.meeting_id, "title": title,
                    "responsible_institution_id": a.responsible_institution_id,
                    "partners": partners, "starts_on": a.starts_on.to_string(),
                    "due_on": a.due_on.to_string(), "joint_operation": a.joint_operation,
                }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every action, by due date, with its plan, institutions and partners. Callers filter with
    /// `core::igesp::Viewer` (see [`Db::meetings`]).
    pub async fn actions(&self) -> Result<Vec<ActionRecord>> {
        self.actions_where(None).await
    }

    /// One action.
    pub async fn action(&self, id: i64) -> Result<Option<ActionRecord>> {
        Ok(self.actions_where(Some(id)).await?.into_iter().next())
    }

    async fn actions_where(&self, only: Option<i64>) -> Result<Vec<ActionRecord>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT a.id, a.meeting_id, a.title, a.reason, a.responsible_person, a.starts_on,
                        a.due_on, a.status, a.indicator, a.joint_operation, a.operation_on,
                        a.updated_at, a.synthetic,
                        p.id AS plan_id, p.municipality_code, p.area_code, p.title AS plan_title,
                        i.id AS inst_id, i.code AS inst_code, i.name AS inst_name
                 FROM actions a
                 JOIN action_plans p ON p.id = a.plan_id
                 JOIN institutions i ON i.id = a.responsible_institution_id
                 WHERE (CAST($1 AS BIGINT) IS NULL OR a.id = $1)
                 ORDER BY a.due_on, a.id",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let partners = sqlx::query(
                "SELECT p.action_id, i.id, i.code, i.name FROM action_partners p
                 JOIN institutions i ON i.id = p.institution_id
                 WHERE (CAST($1 AS BIGINT) IS NULL OR p.action_id = $1)
                 ORDER BY i.code",
            )
            .bind(only)
            .fetch_all(&mut *c.acquire().await?)
            .await?;
            let mut by_action: HashMap<i64, Vec<InstitutionRef>> = HashMap::new();
            for r in &partners {
                by_action
                    .entry(r.try_get("action_id")?)
                    .or_default()
                    .push(InstitutionRef {
                        id: r.try_get("id")?,
                        code: r.try_get("code")?,
                        name: r.try_get("name")?,
                    });
            }
            rows.iter()
                .map(|r| -> Result<ActionRecord> {
                    let id: i64 = r.try_get("id")?;
                    let status: String = r.try_get("status")?;
                    Ok(ActionRecord {
                        id,
                        plan: PlanRecord {
                            id: r.try_get("plan_id")?,
                            municipality_code: r.try_get("municipality_code")?,
                            area_code: r.try_get("area_code")?,
                            title: r.try_get("plan_title")?,
                        },
                        meeting_id: r.try_get("meeting_id")?,
                        title: r.try_get("title")?,
                        reason: r.try_get("reason")?,
                        responsible: InstitutionRef {
                            id: r.try_get("inst_id")?,
                            code: r.try_get("inst_code")?,
                            name: r.try_get("inst_name")?,
                        },
                        responsible_person: r.try_get("responsible_person")?,
                        partners: by_action.remove(&id).unwrap_or_default(),
                        starts_on: r.try_get("starts_on")?,
                        due_on: r.try_get("due_on")?,
                        status: parse_status(&status)?,
                        indicator: r.try_get("indicator")?,
                        joint_operation: r.try_get("joint_operation")?,
                        operation_on: r.try_get("operation_on")?,
                        updated_at: r.try_get("updated_at")?,
                        synthetic: r.try_get("synthetic")?,
                    })
                })
                .collect()
        })
    }

    /// An action's history, oldest first.
    pub async fn action_updates(&self, action_id: i64) -> Result<Vec<ActionUpdate>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT u.id, u.at, u.author, u.author_name, COALESCE(i.code, '') AS inst,
                        u.status_from, u.status_to, u.note, u.evidence_sha256, u.evidence_name
                 FROM action_updates u LEFT JOIN institutions i ON i.id = u.institution_id
                 WHERE u.action_id = $1 ORDER BY u.id",
            )
            .bind(action_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<ActionUpdate> {
                    let from: Option<String> = r.try_get("status_from")?;
                    let to: Option<String> = r.try_get("status_to")?;
                    Ok(ActionUpdate {
                        id: r.try_get("id")?,
                        at: r.try_get("at")?,
                        author: r.try_get("author")?,
                        author_name: r.try_get("author_name")?,
                        institution_code: r.try_get("inst")?,
                        status_from: from.as_deref().map(parse_status).transpose()?,
                        status_to: to.as_deref().map(parse_status).transpose()?,
                        note: r.try_get("note")?,
                        evidence_sha256: r.try_get("evidence_sha256")?,
                        evidence_name: r.try_get("evidence_name")?,
                    })
                })
                .collect()
        })
    }

    /// Records progress on an action: a status change (with its text, igesp.md §5), a note, an evidence
    /// file (checked by content, written under `dir` by its SHA-256), audited (`action.updated`). The
    /// file is written before the transaction: a refused or failed update leaves at most an unreferenced
    /// file, never a row pointing at nothing.
    pub async fn update_action(
        &self,
        action_id: i64,
        p: &ActionProgress<'_>,
        dir: &std::path::Path,
        who: Actor<'_>,
        now: NaiveDateTime,
    ) -> Result<i64, IgespError> {
        let note = text("nota", p.note, TEXT_MAX, false)?;
        let action = self
            .action(action_id)
            .await?
            .ok_or(IgespError::NoAction(action_id))?;
        let change = p.status.filter(|s| *s != action.status);
        if let Some(s) = change
            && note.is_empty()
        {
            return Err(IgespError::StatusWithoutNote(s.label_pt()));
        }
        if change.is_none() && note.is_empty() && p.evidence.is_none() {
            return Err(IgespError::Empty);
        }
        let evidence = match p.evidence {
            Some((name, bytes)) => {
                let kind = atalaia_core::evidence::check(
                    name,
                    bytes,
                    atalaia_core::evidence::DEFAULT_MAX_BYTES,
                )?;
                let sha = crate::ipei::write_evidence(dir, bytes)?;
                Some((sha, name, kind.mime(), bytes.len()))
            }
            None => None,
        };
        let mut tx = self.begin().await?;
        if let Some((sha, name, mime, size)) = &evidence {
            tx.put_evidence_file(sha, mime, *size as i64, name, who.actor, now)
                .await?;
        }
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO action_updates (action_id, at, author, author_name, institution_id,
                     status_from, status_to, note, evidence_sha256, evidence_name)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(action_id)
            .bind(now)
            .bind(who.actor)
            .bind(who.name)
            .bind(who.institution_id)
            .bind(change.map(|_| action.status.as_str()))
            .bind(change.map(|s| s.as_str()))
            .bind(note)
            .bind(evidence.as_ref().map(|e| e.0.clone()))
            .bind(evidence.as_ref().map(|e| e.1).unwrap_or(""))
            .fetch_one(c)
            .await?
        });
        on_tx!(&mut tx, |c| {
            sqlx::query("UPDATE actions SET status = $2, updated_at = $3 WHERE id = $1")
                .bind(action_id)
                .bind(change.unwrap_or(action.status).as_str())
                .bind(now)
                .execute(c)
                .await?;
        });
        tx.audit(
            &who.event(
                "action.updated",
                format!("action:{action_id}"),
                serde_json::json!({
                    "update_id": id,
                    "status_from": change.map(|_| action.status.as_str()),
                    "status_to": change.map(|s| s.as_str()),
                    "note_chars": note.chars().count(),
                    "evidence_sha256": evidence.as_ref().map(|e| e.0.clone()),
                }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
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

/// A crime group's counts on an agenda: the window since the last meeting and the window of the same
/// length just before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AgendaIndicator {
    /// Group code (`core::crime::CrimeGroup::as_str`).
    pub group: String,
    /// Its name (pt-BR).
    pub label: String,
    /// Since the last meeting.
    pub current: i64,
    /// The same number of days before.
    pub previous: i64,
}

/// An action on an agenda (open, perhaps overdue), with the institutions that decide who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AgendaAction {
    /// Action id.
    pub id: i64,
    pub title: String,
    /// Responsible institution's code.
    pub responsible: String,
    /// Responsible and partner institutions (ids).
    pub institutions: Vec<i64>,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// Overdue on the agenda's day.
    pub overdue: bool,
}

/// A meeting's agenda, generated from the data (igesp.md §4): the area's indicators since the last
/// meeting of the municipality, and every open action of the municipality, overdue ones first (§5: "the
/// next meeting of that municipality opens with them"). The hot-spot map is linked by the page (police
/// material). Frozen as JSON with the minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Agenda {
    /// The area the indicators are of (the meeting's area, else its municipality).
    pub area_code: String,
    /// First day of the window (the last meeting's day, or 30 days before).
    pub since: NaiveDate,
    /// Day after the window's last (the meeting's day, or today if it is later).
    pub until: NaiveDate,
    /// Whether `since` is a previous meeting's day (else the 30-day default).
    pub since_last_meeting: bool,
    /// The day overdue was judged on.
    pub as_of: NaiveDate,
    /// Counts per crime group.
    pub indicators: Vec<AgendaIndicator>,
    /// Open actions of the municipality.
    pub actions: Vec<AgendaAction>,
}

impl Db {
    /// The agenda of `m` as the data stand on `today` (see [`Agenda`]).
    pub async fn agenda(&self, m: &MeetingRecord, today: NaiveDate) -> Result<Agenda> {
        let area = m
            .area_code
            .clone()
            .unwrap_or_else(|| m.municipality_code.clone());
        let until = m.starts_at.date().min(today);
        let last = self
            .previous_meeting(&m.municipality_code, m.starts_at)
            .await?
            .map(|t| t.date())
            .filter(|d| *d < until);
        let since = last.unwrap_or(until - chrono::Duration::days(30));
        let len = until - since;
        let previous_from = since - len;
        let crimes = self.crimes().await?;
        let codes: Vec<&str> = crimes.iter().map(|c| c.code.as_str()).collect();
        let day = chrono::Duration::days(1);
        let current = self
            .period_sums(std::slice::from_ref(&area), &codes, since, until - day)
            .await?;
        let previous = self
            .period_sums(
                std::slice::from_ref(&area),
                &codes,
                previous_from,
                since - day,
            )
            .await?;
        let mut indicators: Vec<AgendaIndicator> = atalaia_core::selection::GROUPS
            .iter()
            .map(|g| AgendaIndicator {
                group: g.as_str().into(),
                label: g.label_pt().into(),
                current: 0,
                previous: 0,
            })
            .collect();
        for c in &crimes {
            let g = crate::selection::group_of(&c.group);
            let key = (area.clone(), c.code.clone());
            if let Some(row) = indicators.iter_mut().find(|r| r.group == g.as_str()) {
                row.current += current.get(&key).map_or(0, |s| s.occurrences);
                row.previous += previous.get(&key).map_or(0, |s| s.occurrences);
            }
        }
        let mut actions: Vec<AgendaAction> = self
            .actions()
            .await?
            .into_iter()
            .filter(|a| a.plan.municipality_code == m.municipality_code && a.status.is_open())
            .map(|a| AgendaAction {
                overdue: a.overdue(today),
                institutions: a.institution_ids(),
                id: a.id,
                title: a.title,
                responsible: a.responsible.code,
                due_on: a.due_on,
                status: a.status,
            })
            .collect();
        actions.sort_by_key(|a| (!a.overdue, a.due_on, a.id));
        Ok(Agenda {
            area_code: area,
            since,
            until,
            since_last_meeting: last.is_some(),
            as_of: today,
            indicators,
            actions,
        })
    }
}

impl crate::accounts::UserRecord {
    /// The user as `core::igesp` sees them (their institution, roles and municipality scopes): the one
    /// mapping from stored grants to the sharing rules.
    pub fn igesp_viewer(&self) -> atalaia_core::igesp::Viewer {
        let grants: Vec<(atalaia_core::access::Role, crate::accounts::Scope)> = self
            .grants
            .iter()
            .map(|g| (g.role, g.scope.clone()))
            .collect();
        atalaia_core::igesp::Viewer::of(self.institution_id, &grants)
    }
}

impl Db {
    /// The Igesp reminders due on `today` (`core::igesp::meeting_notice`, `action_notice`).
    pub async fn igesp_notices(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<atalaia_core::igesp::Notice>> {
        use atalaia_core::igesp::{action_notice, meeting_notice};
        let mut out: Vec<_> = self
            .meetings()
            .await?
            .iter()
            .filter_map(|m| {
                let invited: Vec<i64> = m.institutions.iter().map(|i| i.id).collect();
                meeting_notice(
                    m.id,
                    &m.title,
                    m.kind,
                    &m.municipality_code,
                    m.starts_at,
                    m.status == MeetingStatus::Scheduled,
                    &invited,
                    today,
                )
            })
            .collect();
        out.extend(self.actions().await?.iter().filter_map(|a| {
            action_notice(
                a.id,
                &a.title,
                &a.plan.municipality_code,
                a.status,
                a.due_on,
                &a.institution_ids(),
                today,
            )
        }));
        Ok(out)
    }
}

impl Db {
    /// Gives `user_id` a new calendar subscription key (its SHA-256 `key_hash`), replacing any earlier
    /// one, audited (`calendar.key_created`; the key itself is never stored nor logged).
    pub async fn set_calendar_key(
        &self,
        user_id: i64,
        key_hash: &str,
        actor: &str,
        ip: &str,
        now: NaiveDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| {
            sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "INSERT INTO calendar_feeds (user_id, key_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(key_hash)
            .bind(now)
            .execute(&mut *c)
            .await?;
        });
        tx.audit(
            &AuditEvent::new(actor, "calendar.key_created")
                .object(format!("user:{user_id}"))
                .ip(ip),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active user whose calendar key hashes to `key_hash`.
    pub async fn user_by_calendar_key(
        &self,
        key_hash: &str,
    ) -> Result<Option<crate::accounts::UserRecord>> {
        let id: Option<i64> = on_db!(self, |c| {
            sqlx::query_scalar("SELECT user_id FROM calendar_feeds WHERE key_hash = $1")
                .bind(key_hash)
                .fetch_optional(c)
                .await?
        });
        match id {
            Some(id) => Ok(self.user_by_id(id).await?.filter(|u| u.active)),
            None => Ok(None),
        }
    }
}
