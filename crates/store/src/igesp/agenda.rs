//! What a meeting discusses (igesp.md §4): the agenda generated from the data since the last meeting,
//! the follow-up notices of meetings and actions, and the per-user key of the calendar feed.

use super::*;
use crate::audit::AuditEvent;
use crate::{Db, Result, on_db, on_tx};
use atalaia_core::igesp::{ActionStatus, MeetingStatus};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

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
