//! The year table of decrees (calendar.md, "each year's decrees"): the days a state or municipality
//! closed or opened beyond the rules, added and revoked by administrators with their audit entries.

use crate::audit::AuditEvent;
use crate::{Db, Result, execute, on_db, on_tx};
use atalaia_core::calendar::{Calendar, Decree};
use atalaia_core::{IbgeCode, Uf};
use chrono::{NaiveDate, NaiveDateTime};

/// A row of the year table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecreeRow {
    pub id: i64,
    pub uf: String,
    /// Municipality (IBGE), or state-wide.
    pub municipality: Option<String>,
    /// The decree as the calendar applies it.
    pub decree: Decree,
    /// Who recorded it.
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// Revoked: by whom, when, why.
    pub revoked: Option<(String, NaiveDateTime, String)>,
}

type DecreeTuple = (
    i64,
    String,
    Option<String>,
    NaiveDate,
    bool,
    String,
    String,
    String,
    NaiveDateTime,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
);

impl Db {
    /// Every row of the year table of `uf` (revoked ones too), by day.
    pub async fn calendar_decrees(&self, uf: &str) -> Result<Vec<DecreeRow>> {
        let rows: Vec<DecreeTuple> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, uf, municipality, day, closed, name, act, created_by, created_at,
                        revoked_by, revoked_at, revoke_reason
                 FROM calendar_decrees WHERE uf = $1 ORDER BY day, id",
            )
            .bind(uf)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, uf, municipality, day, closed, name, act, by, at, rby, rat, rwhy)| {
                    DecreeRow {
                        id,
                        uf,
                        municipality,
                        decree: Decree {
                            date: day,
                            closed,
                            name,
                            act,
                        },
                        created_by: by,
                        created_at: at,
                        revoked: match (rby, rat) {
                            (Some(b), Some(a)) => Some((b, a, rwhy.unwrap_or_default())),
                            _ => None,
                        },
                    }
                },
            )
            .collect())
    }

    /// The calendar of an office: the rules plus the year table's rows in force for the state and, when
    /// given, the municipality (a municipal decree does not bind the state's other offices).
    pub async fn calendar(&self, uf: Uf, municipality: Option<IbgeCode>) -> Result<Calendar> {
        let muni = municipality.map(|m| m.to_string());
        let decrees = self
            .calendar_decrees(uf.as_str())
            .await?
            .into_iter()
            .filter(|r| r.revoked.is_none())
            .filter(|r| r.municipality.is_none() || r.municipality == muni)
            .map(|r| r.decree)
            .collect();
        Ok(Calendar::new(uf, municipality).with_decrees(decrees))
    }

    /// Adds a row to the year table, audited (`calendar.decree_added`).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_calendar_decree(
        &self,
        uf: Uf,
        municipality: Option<IbgeCode>,
        decree: &Decree,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let muni = municipality.map(|m| m.to_string());
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO calendar_decrees (uf, municipality, day, closed, name, act, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(uf.as_str())
            .bind(&muni)
            .bind(decree.date)
            .bind(decree.closed)
            .bind(&decree.name)
            .bind(&decree.act)
            .bind(actor)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        tx.audit(
            &AuditEvent::new(actor, "calendar.decree_added")
                .object(format!("calendar_decree:{id}"))
                .details(serde_json::json!({"uf": uf.as_str(), "municipality": muni,
                    "day": decree.date, "closed": decree.closed, "name": decree.name, "act": decree.act})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Revokes a row of the year table (kept, marked), audited (`calendar.decree_revoked`). `false` when
    /// there is no such row in force.
    pub async fn revoke_calendar_decree(
        &self,
        id: i64,
        reason: &str,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let changed = execute!(
            on_tx,
            &mut tx,
            "UPDATE calendar_decrees SET revoked_by = $2, revoked_at = $3, revoke_reason = $4
                 WHERE id = $1 AND revoked_at IS NULL",
            id,
            actor,
            now,
            reason
        );
        if changed == 0 {
            return Ok(false);
        }
        tx.audit(
            &AuditEvent::new(actor, "calendar.decree_revoked")
                .object(format!("calendar_decree:{id}"))
                .details(serde_json::json!({"reason": reason})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
