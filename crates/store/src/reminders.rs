//! Reminders of the cycles' deadlines (`core::reminders`): the facts of the open cycles, the people each
//! reminder is for, and the record of e-mails sent (migration 0010), so none is sent twice.

use std::collections::BTreeSet;

use atalaia_core::access::Role;
use atalaia_core::calendar::Calendar;
use atalaia_core::cycle::{CycleKind, CyclePeriod};
use atalaia_core::reminders::{Audience, CycleFacts, Reminder, due};
use chrono::{NaiveDate, NaiveDateTime};

use crate::accounts::{Scope, UserRecord};
use crate::cycles::committee_office;
use crate::{Db, Result, execute, on_db};

/// Whether `user` is among a reminder's audience.
pub fn is_for(user: &UserRecord, audience: &Audience) -> bool {
    if !user.active {
        return false;
    }
    let heads = || {
        user.grants
            .iter()
            .filter(|g| g.role == Role::UnitHead)
            .map(|g| &g.scope)
    };
    match audience {
        Audience::Committee => user.grants.iter().any(|g| g.role == Role::Committee),
        Audience::AllUnits => heads().next().is_some(),
        Audience::UnitsExcept(sent) => heads().any(|s| match s {
            Scope::Unit(u) => !sent.contains(u),
            // An unscoped head answers for every unit: remind them while any may still send.
            _ => true,
        }),
    }
}

impl Db {
    /// The facts of every cycle not yet finished, and the committee's calendar.
    pub async fn reminder_facts(&self) -> Result<(Vec<CycleFacts>, Calendar)> {
        let (uf, muni) = committee_office();
        let calendar = self.calendar(uf, muni).await?;
        let mut out = Vec::new();
        for kind in [CycleKind::Recap, CycleKind::Ipei] {
            for (period, _) in self.cycles(kind).await? {
                let period = match kind {
                    CycleKind::Recap => atalaia_core::Quarter::parse(&period)
                        .ok()
                        .map(CyclePeriod::Quarter),
                    CycleKind::Ipei => atalaia_core::Month::parse(&period)
                        .ok()
                        .map(CyclePeriod::Month),
                };
                let Some(period) = period else { continue };
                let Some(c) = self.cycle(period).await? else {
                    continue;
                };
                let state = c.state();
                if state.current().is_none() {
                    continue;
                }
                let submitted: BTreeSet<String> = c
                    .acts
                    .iter()
                    .filter(|a| a.act == "submission")
                    .filter_map(|a| a.unit.clone())
                    .collect();
                out.push(CycleFacts {
                    kind,
                    period,
                    deadlines: self.cycle_deadlines(&c).await?,
                    state,
                    submitted,
                });
            }
        }
        Ok((out, calendar))
    }

    /// The reminders due on `today`.
    pub async fn reminders_due(&self, today: NaiveDate) -> Result<Vec<Reminder>> {
        let (facts, calendar) = self.reminder_facts().await?;
        Ok(due(&facts, &calendar, today))
    }

    /// The reminders due on `today` that are for `user` (the page's "prazos próximos").
    pub async fn reminders_for(
        &self,
        user: &UserRecord,
        today: NaiveDate,
    ) -> Result<Vec<Reminder>> {
        Ok(self
            .reminders_due(today)
            .await?
            .into_iter()
            .filter(|r| is_for(user, &r.audience))
            .collect())
    }

    /// Records that `user` was sent the reminder `key`; `false` (and nothing written) if already sent.
    pub async fn record_reminder(
        &self,
        user_id: i64,
        key: &str,
        email: &str,
        subject: &str,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let n = execute!(
            on_db,
            self,
            "INSERT INTO reminders_sent (user_id, reminder_key, email, subject, sent_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, reminder_key) DO NOTHING",
            user_id,
            key,
            email,
            subject,
            now
        );
        Ok(n > 0)
    }

    /// Whether `user` was already sent the reminder `key`.
    pub async fn reminder_sent(&self, user_id: i64, key: &str) -> Result<bool> {
        let n: i64 = on_db!(self, |c| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM reminders_sent WHERE user_id = $1 AND reminder_key = $2",
            )
            .bind(user_id)
            .bind(key)
            .fetch_one(c)
            .await?
        });
        Ok(n > 0)
    }

    /// Forgets a reminder recorded for `user` (the e-mail could not be sent after all).
    pub async fn unrecord_reminder(&self, user_id: i64, key: &str) -> Result<()> {
        execute!(
            on_db,
            self,
            "DELETE FROM reminders_sent WHERE user_id = $1 AND reminder_key = $2",
            user_id,
            key
        );
        Ok(())
    }
}
