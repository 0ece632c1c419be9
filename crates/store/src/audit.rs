//! The audit log (platform.md §2): append-only, every entry chained to the one before by a hash.
//!
//! `hash = SHA-256(prev_hash ‖ "\n" ‖ canonical)`, where `canonical` is the entry's JSON with its fields
//! in a fixed order (id, at, actor, action, object, details, ip) and `prev_hash` of the first entry is 64
//! zeros. Changing, removing or reordering any stored entry breaks the chain from that entry on, and
//! [`Db::verify_audit_chain`] names the first entry that no longer matches. Appends are serialized (SQLite
//! has one writer; on PostgreSQL a transaction-scoped advisory lock), so two appends never claim the
//! same predecessor. The database refuses UPDATE and DELETE on the table (triggers in the migration).

use chrono::{NaiveDateTime, SubsecRound};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Db, Result, Tx, on_db, on_tx};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Key of the PostgreSQL advisory lock that serializes appends ("ATALAIA" in ASCII, as a number).
const PG_AUDIT_LOCK: i64 = 0x41_54_41_4c_41_49_41;

/// An act to record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Who: `user:<login>`, `apikey:<prefix>`, `cli:<os user>`, `system`.
    pub actor: String,
    /// What, as a dotted code (`auth.login`, `user.create`, `import.finish`, …).
    pub action: String,
    /// On what (`user:ana`, `import:12`, …), or empty.
    pub object: String,
    /// Details as a JSON object (never secrets).
    pub details: serde_json::Value,
    /// Client address, or empty.
    pub ip: String,
}

impl AuditEvent {
    /// An event with no object, details or address.
    pub fn new(actor: impl Into<String>, action: impl Into<String>) -> AuditEvent {
        AuditEvent {
            actor: actor.into(),
            action: action.into(),
            object: String::new(),
            details: serde_json::json!({}),
            ip: String::new(),
        }
    }

    /// Sets the object.
    pub fn object(mut self, object: impl Into<String>) -> AuditEvent {
        self.object = object.into();
        self
    }

    /// Sets the details.
    pub fn details(mut self, details: serde_json::Value) -> AuditEvent {
        self.details = details;
        self
    }

    /// Sets the client address.
    pub fn ip(mut self, ip: impl Into<String>) -> AuditEvent {
        self.ip = ip.into();
        self
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct AuditEntry {
    /// Position in the chain (1, 2, …).
    pub id: i64,
    /// When (UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`).
    pub at: String,
    pub actor: String,
    pub action: String,
    /// On what.
    pub object: String,
    /// Details (JSON text, as hashed).
    pub details: String,
    /// Client address.
    pub ip: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The canonical content that is hashed: the entry's fields in a fixed order, JSON-escaped.
fn canonical(
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    object: &str,
    details: &str,
    ip: &str,
) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        id: i64,
        at: &'a str,
        actor: &'a str,
        action: &'a str,
        object: &'a str,
        details: &'a str,
        ip: &'a str,
    }
    serde_json::to_string(&Canonical {
        id,
        at,
        actor,
        action,
        object,
        details,
        ip,
    })
    .unwrap_or_default()
}

fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

impl AuditEntry {
    /// The hash this entry must carry, given its predecessor's hash.
    pub fn expected_hash(&self, prev_hash: &str) -> String {
        chain_hash(
            prev_hash,
            &canonical(
                self.id,
                &self.at,
                &self.actor,
                &self.action,
                &self.object,
                &self.details,
                &self.ip,
            ),
        )
    }
}

/// A position of the chain verified up to: the last entry checked, its hash, and how many entries up
/// to it (`Db::verify_audit_chain_from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Last entry verified.
    pub id: i64,
    /// Its hash.
    pub hash: String,
    /// Entries verified up to it.
    pub entries: u64,
}

/// What [`Db::verify_audit_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ChainCheck {
    /// Every entry matches; `entries` were checked.
    Intact {
        /// Entries checked.
        entries: u64,
    },
    /// The first entry that does not match, and why (pt-BR).
    Broken {
        /// Its id.
        id: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Filters of the audit page.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actor equals.
    pub actor: Option<String>,
    /// Action starts with.
    pub action_prefix: Option<String>,
    /// Entries with id below this one (paging backwards).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

impl Tx {
    /// Appends an entry inside this transaction (it is kept only if the transaction commits, so an act
    /// and its record stand or fall together). Returns the new entry's id.
    pub async fn audit(&mut self, event: &AuditEvent, now: NaiveDateTime) -> Result<i64> {
        let at = now
            .trunc_subsecs(6)
            .format("%Y-%m-%dT%H:%M:%S%.6f")
            .to_string();
        let details = serde_json::to_string(&event.details).unwrap_or_else(|_| "{}".into());
        if let Tx::Pg(t) = self {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_AUDIT_LOCK)
                .execute(&mut **t)
                .await?;
        }
        on_tx!(self, |c| {
            let last = sqlx::query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *c)
                .await?;
            let (id, prev) = match last {
                Some(r) => (
                    r.try_get::<i64, _>("id")? + 1,
                    r.try_get::<String, _>("hash")?,
                ),
                None => (1, GENESIS.to_string()),
            };
            let hash = chain_hash(
                &prev,
                &canonical(
                    id,
                    &at,
                    &event.actor,
                    &event.action,
                    &event.object,
                    &details,
                    &event.ip,
                ),
            );
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor, action, object, details, ip, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(&at)
            .bind(&event.actor)
            .bind(&event.action)
            .bind(&event.object)
            .bind(&details)
            .bind(&event.ip)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *c)
            .await?;
            Ok(id)
        })
    }
}

impl Db {
    /// Appends an entry in a transaction of its own.
    pub async fn audit(&self, event: &AuditEvent, now: NaiveDateTime) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = tx.audit(event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Appends `event` unless an entry of the same action from the same address was recorded at or
    /// after `since`; says whether it appended. Check and append hold the chain's lock together, so a
    /// burst appends once: sign-in refusals are summarised as one entry per address and window.
    pub async fn audit_once_since(
        &self,
        event: &AuditEvent,
        since: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let since = since.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        let mut tx = self.begin().await?;
        if let Tx::Pg(t) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_AUDIT_LOCK)
                .execute(&mut **t)
                .await?;
        }
        let seen: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND ip = $2 AND at >= $3",
            )
            .bind(&event.action)
            .bind(&event.ip)
            .bind(&since)
            .fetch_one(&mut *c)
            .await?
        });
        if seen > 0 {
            return Ok(false);
        }
        tx.audit(event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Entries, newest first, filtered.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, at, actor, action, object, details, ip, prev_hash, hash FROM audit_log
                 WHERE (CAST($1 AS TEXT) IS NULL OR actor = $1)
                   AND (CAST($2 AS TEXT) IS NULL OR action LIKE CAST($2 AS TEXT) || '%')
                   AND (CAST($3 AS BIGINT) IS NULL OR id < $3)
                 ORDER BY id DESC LIMIT $4",
            )
            .bind(&f.actor)
            .bind(&f.action_prefix)
            .bind(f.before_id)
            .bind(f.limit)
            .fetch_all(c)
            .await?)
        })
    }

    /// Recomputes the whole chain in id order, a page at a time, and reports the first entry whose
    /// link or content does not match.
    pub async fn verify_audit_chain(&self) -> Result<ChainCheck> {
        Ok(self.verify_audit_chain_from(None).await?.0)
    }

    /// Verifies the chain from `from`, an entry verified before, to the end, and returns the new last
    /// verified position. The entry of `from` is read again: if its hash or content changed since, the
    /// chain is broken there. Entries before it are not re-read — a page that verifies on every load
    /// would otherwise re-hash the whole log each time; `atalaia audit verify` checks it all.
    pub async fn verify_audit_chain_from(
        &self,
        from: Option<&Checkpoint>,
    ) -> Result<(ChainCheck, Option<Checkpoint>)> {
        let (mut prev, mut expected_id, mut checked) = match from {
            None => (GENESIS.to_string(), 1, 0),
            Some(c) => {
                let again = self.audit_entry(c.id).await?;
                let intact = again
                    .as_ref()
                    .is_some_and(|e| e.hash == c.hash && e.expected_hash(&e.prev_hash) == e.hash);
                if !intact {
                    let broken = ChainCheck::Broken {
                        id: c.id,
                        reason: "uma entrada já conferida mudou ou sumiu".into(),
                    };
                    return Ok((broken, None));
                }
                (c.hash.clone(), c.id + 1, c.entries)
            }
        };
        let mut last = from.cloned();
        // Whether the page was read again after the chain's end seemed to move (see below).
        let mut reread = false;
        loop {
            let page: Vec<AuditEntry> = on_db!(self, |c| {
                sqlx::query_as(
                    "SELECT id, at, actor, action, object, details, ip, prev_hash, hash FROM audit_log
                     WHERE id >= $1 ORDER BY id LIMIT 5000",
                )
                .bind(expected_id)
                .fetch_all(c)
                .await?
            });
            if page.is_empty() {
                // Entries removed from the end cannot be seen from inside the chain; the id sequence
                // can: a gap or a missing tail shows as the next id absent while a higher one exists.
                let higher: Option<i64> = on_db!(self, |c| {
                    sqlx::query_scalar("SELECT MAX(id) FROM audit_log")
                        .fetch_one(c)
                        .await?
                });
                if let Some(max) = higher
                    && max >= expected_id
                {
                    // A writer may have appended between the two reads, the chain being verified
                    // while the server runs: read the page again. Now that entry was there before
                    // the read, so an empty page means it is gone.
                    if !reread {
                        reread = true;
                        continue;
                    }
                    let broken = ChainCheck::Broken {
                        id: expected_id,
                        reason: format!("entrada {expected_id} ausente"),
                    };
                    return Ok((broken, None));
                }
                return Ok((ChainCheck::Intact { entries: checked }, last));
            }
            reread = false;
            for e in page {
                let broken = |id, reason: String| Ok((ChainCheck::Broken { id, reason }, None));
                if e.id != expected_id {
                    return broken(
                        expected_id,
                        format!("entrada {expected_id} ausente (a seguinte é a {})", e.id),
                    );
                }
                if e.prev_hash != prev {
                    return broken(
                        e.id,
                        "o elo com a entrada anterior não confere (prev_hash)".into(),
                    );
                }
                if e.expected_hash(&prev) != e.hash {
                    return broken(e.id, "o conteúdo não confere com o hash registrado".into());
                }
                expected_id += 1;
                checked += 1;
                last = Some(Checkpoint {
                    id: e.id,
                    hash: e.hash.clone(),
                    entries: checked,
                });
                prev = e.hash;
            }
        }
    }

    /// One entry by id.
    async fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT id, at, actor, action, object, details, ip, prev_hash, hash FROM audit_log
                 WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash of a known entry, computed independently with
    /// `printf '%s\n%s' $GENESIS '{"id":1,...}' | sha256sum`.
    #[test]
    fn hash_of_a_known_entry() {
        let e = AuditEntry {
            id: 1,
            at: "2026-11-22T03:00:00.000000".into(),
            actor: "user:ana".into(),
            action: "auth.login".into(),
            object: String::new(),
            details: "{}".into(),
            ip: "127.0.0.1".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        assert_eq!(
            canonical(1, &e.at, &e.actor, &e.action, &e.object, &e.details, &e.ip),
            r#"{"id":1,"at":"2026-11-22T03:00:00.000000","actor":"user:ana","action":"auth.login","object":"","details":"{}","ip":"127.0.0.1"}"#
        );
        assert_eq!(e.expected_hash(GENESIS), EXPECTED_FIRST_HASH);
    }

    const EXPECTED_FIRST_HASH: &str =
        "a2641b78ee2211a907f2cbdc45737c2150438e5e7ad5ea23230b7d78742163ee";
}
