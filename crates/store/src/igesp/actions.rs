//! Igesp action plans (igesp.md §5): plans per municipality, actions with their institutions, the
//! status history with its text, progress notes with evidence.

use super::*;
use crate::read::by_parent;
use crate::{Db, Result, StoreError, execute, on_db, on_tx};
use atalaia_core::igesp::{ActionStatus, MeetingStatus};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sqlx::Row;

/// An action plan.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PlanRecord {
    pub id: i64,
    pub municipality_code: String,
    /// Intervention area, if any.
    pub area_code: Option<String>,
    pub title: String,
}

/// A partner institution of an action (or its responsible one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
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

fn parse_status(s: &str) -> Result<ActionStatus> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("situação de ação `{s}`")))
}

impl Db {
    /// Every plan.
    pub async fn plans(&self) -> Result<Vec<PlanRecord>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, municipality_code, area_code, title FROM action_plans ORDER BY id",
            )
            .fetch_all(c)
            .await?)
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
            execute!(
                on_tx,
                &mut tx,
                "INSERT INTO action_partners (action_id, institution_id) VALUES ($1, $2)",
                id,
                p
            );
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
            let mut by_action = by_parent::<_, InstitutionRef>(&partners, "action_id")?;
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
        execute!(
            on_tx,
            &mut tx,
            "UPDATE actions SET status = $2, updated_at = $3 WHERE id = $1",
            action_id,
            change.unwrap_or(action.status).as_str(),
            now
        );
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
