//! Signing in and staying signed in: sessions (stored hashed, ended at once when a user changes),
//! sign-in attempts and their limits, API keys, and the gov.br sign-ins in progress.

use super::*;
use crate::{Db, Result, execute, on_db, on_tx};
use atalaia_core::access::KeyAccess;
use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::Row;

/// A sign-in attempt recorded before its password check, with the failures counted with it
/// ([`Db::begin_login_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempt {
    /// The attempt's row.
    pub id: i64,
    /// Failures of this login from this address, this attempt included.
    pub pair: i64,
    /// Failures from this address, this attempt included.
    pub by_ip: i64,
    /// Failures of this login from every address, this attempt included.
    pub by_login: i64,
}

/// A stored session joined with its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The user.
    pub user: UserRecord,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When it was created.
    pub created_at: NaiveDateTime,
    /// When it expires (idle limit, moved on use).
    pub expires_at: NaiveDateTime,
    /// The primary's WAL position after the session's last write (PostgreSQL; see [`Db::replayed_past`]).
    pub wrote_lsn: Option<String>,
}

/// An API key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: i64,
    /// Institution id.
    pub institution_id: i64,
    /// Institution code.
    pub institution_code: String,
    /// A name for people.
    pub name: String,
    /// The key's public prefix (shown in lists and logs).
    pub prefix: String,
    /// What it opens: the API as a role, or the metrics only.
    #[sqlx(rename = "role", try_from = "String")]
    pub access: KeyAccess,
    pub created_at: NaiveDateTime,
    /// Last used.
    pub last_used_at: Option<NaiveDateTime>,
    /// Revoked (unusable from then on).
    pub revoked_at: Option<NaiveDateTime>,
    /// From when the key is refused, if it expires.
    pub expires_at: Option<NaiveDateTime>,
    /// Its institution is active (a deactivated institution's keys are refused).
    pub institution_active: bool,
}

impl Db {
    /// Stores a new session.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
        ip: &str,
    ) -> Result<()> {
        execute!(
            on_db,
            self,
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip)
                 VALUES ($1, $2, $3, $4, $4, $5, $6)",
            token_hash,
            user_id,
            csrf_token,
            now,
            expires_at,
            ip
        );
        Ok(())
    }

    /// The live session with this token hash (not expired, its user active), with its user.
    pub async fn session(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
    ) -> Result<Option<SessionRecord>> {
        type Row = (i64, String, NaiveDateTime, NaiveDateTime, Option<String>);
        let row: Option<Row> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT s.user_id, s.csrf_token, s.created_at, s.expires_at, s.wrote_lsn FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(c)
            .await?
        });
        let Some((user_id, csrf_token, created_at, expires_at, wrote_lsn)) = row else {
            return Ok(None);
        };
        let Some(user) = self.user_by_id(user_id).await? else {
            return Ok(None);
        };
        Ok(Some(SessionRecord {
            user,
            csrf_token,
            created_at,
            expires_at,
            wrote_lsn,
        }))
    }

    /// Records that the session just wrote: the primary's WAL insert position now (past its commit
    /// record whatever `synchronous_commit` says), which its next pages wait for on a replica. Nothing
    /// to record on SQLite.
    pub async fn mark_session_wrote(&self, token_hash: &str) -> Result<()> {
        if let Db::Pg(p) = self {
            sqlx::query(
                "UPDATE sessions SET wrote_lsn = pg_current_wal_insert_lsn()::text WHERE token_hash = $1",
            )
            .bind(token_hash)
            .execute(p)
            .await?;
        }
        Ok(())
    }

    /// The primary's WAL position now: what a replica must replay to have everything written so far
    /// (`None` on SQLite).
    pub async fn wal_position(&self) -> Result<Option<String>> {
        match self {
            Db::Pg(p) => Ok(Some(
                sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
                    .fetch_one(p)
                    .await?,
            )),
            Db::Sqlite(_) => Ok(None),
        }
    }

    /// Whether this database is a standby replaying a primary's WAL (a read replica).
    pub async fn is_standby(&self) -> Result<bool> {
        match self {
            Db::Pg(p) => Ok(sqlx::query_scalar("SELECT pg_is_in_recovery()")
                .fetch_one(p)
                .await?),
            Db::Sqlite(_) => Ok(false),
        }
    }

    /// Whether this database (a replica) has replayed the primary's WAL up to `lsn`. A database that
    /// is not replaying (a primary, SQLite) has everything it has.
    pub async fn replayed_past(&self, lsn: &str) -> Result<bool> {
        match self {
            Db::Pg(p) => Ok(sqlx::query_scalar(
                "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, TRUE)",
            )
            .bind(lsn)
            .fetch_one(p)
            .await?),
            Db::Sqlite(_) => Ok(true),
        }
    }

    /// Moves a session's idle expiry.
    pub async fn touch_session(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> Result<()> {
        execute!(
            on_db,
            self,
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
            now,
            expires_at,
            token_hash
        );
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        execute!(
            on_db,
            self,
            "DELETE FROM sessions WHERE token_hash = $1",
            token_hash
        );
        Ok(())
    }

    /// Removes expired sessions and sign-in attempts older than `attempts_before`.
    pub async fn purge_sessions(
        &self,
        now: NaiveDateTime,
        attempts_before: NaiveDateTime,
    ) -> Result<()> {
        on_db!(self, |c| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(c)
                .await?;
            sqlx::query("DELETE FROM login_attempts WHERE at < $1")
                .bind(attempts_before)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Records a sign-in attempt as failed *before* its password is checked, then counts the failures
    /// since `since`, this one included: of the pair (login, address), of the address, and of the login
    /// from every address.
    ///
    /// Recording first makes the limit hold under a burst: each attempt commits its row before it
    /// counts, so of N parallel attempts the k-th to commit counts at least k, and no more than the limit
    /// get to the password check. [`Db::login_attempt_succeeded`] turns the row into a success;
    /// [`Db::forget_login_attempt`] drops the row of an attempt refused without a password check.
    pub async fn begin_login_attempt(
        &self,
        login: &str,
        ip: &str,
        at: NaiveDateTime,
        since: NaiveDateTime,
    ) -> Result<LoginAttempt> {
        let id: i64 = on_db!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO login_attempts (login, ip, at, success) VALUES ($1, $2, $3, FALSE)
                 RETURNING id",
            )
            .bind(login)
            .bind(ip)
            .bind(at)
            .fetch_one(c)
            .await?
        });
        on_db!(self, |c| {
            let row = sqlx::query(
                "SELECT
                    COALESCE(SUM(CASE WHEN login = $1 AND ip = $2 THEN 1 ELSE 0 END), 0) AS pair,
                    COALESCE(SUM(CASE WHEN ip = $2 THEN 1 ELSE 0 END), 0) AS by_ip,
                    COALESCE(SUM(CASE WHEN login = $1 THEN 1 ELSE 0 END), 0) AS by_login
                 FROM login_attempts
                 WHERE (login = $1 OR ip = $2) AND at >= $3 AND NOT success",
            )
            .bind(login)
            .bind(ip)
            .bind(since)
            .fetch_one(c)
            .await?;
            Ok(LoginAttempt {
                id,
                pair: row.try_get("pair")?,
                by_ip: row.try_get("by_ip")?,
                by_login: row.try_get("by_login")?,
            })
        })
    }

    /// Failed sign-ins of `login` from every address since `since` (a pending attempt counts as failed).
    pub async fn login_failures_of(&self, login: &str, since: NaiveDateTime) -> Result<i64> {
        on_db!(self, |c| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE login = $1 AND at >= $2 AND NOT success",
            )
            .bind(login)
            .bind(since)
            .fetch_one(c)
            .await?)
        })
    }

    /// Marks the attempt `id` as a success.
    pub async fn login_attempt_succeeded(&self, id: i64) -> Result<()> {
        execute!(
            on_db,
            self,
            "UPDATE login_attempts SET success = TRUE WHERE id = $1",
            id
        );
        Ok(())
    }

    /// Drops the attempt `id` (refused before any password check: a blocked attempt does not extend the
    /// block, and a flood of them does not grow the table).
    pub async fn forget_login_attempt(&self, id: i64) -> Result<()> {
        execute!(on_db, self, "DELETE FROM login_attempts WHERE id = $1", id);
        Ok(())
    }

    /// Drops attempts older than `before` (they no longer count for anything).
    pub async fn prune_login_attempts(&self, before: NaiveDateTime) -> Result<u64> {
        Ok(execute!(
            on_db,
            self,
            "DELETE FROM login_attempts WHERE at < $1",
            before
        ))
    }

    /// Every API key, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        self.api_keys_where(None).await
    }

    /// The usable (not revoked) key with this SHA-256; marks it used.
    pub async fn api_key_by_hash(
        &self,
        key_hash: &str,
        now: NaiveDateTime,
    ) -> Result<Option<ApiKeyRecord>> {
        let mut keys = self.api_keys_where(Some(key_hash)).await?;
        let Some(key) = keys.pop() else {
            return Ok(None);
        };
        // A revoked or expired key, or one of an institution no longer active, opens nothing.
        if key.revoked_at.is_some()
            || key.expires_at.is_some_and(|e| e <= now)
            || !key.institution_active
        {
            return Ok(None);
        }
        execute!(
            on_db,
            self,
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
            now,
            key.id
        );
        Ok(Some(key))
    }

    async fn api_keys_where(&self, key_hash: Option<&str>) -> Result<Vec<ApiKeyRecord>> {
        on_db!(self, |c| {
            Ok(sqlx::query_as(
                "SELECT k.id, k.institution_id, i.code AS institution_code, k.name, k.prefix, k.role,
                        k.created_at, k.last_used_at, k.revoked_at, k.expires_at,
                        i.active AS institution_active
                 FROM api_keys k JOIN institutions i ON i.id = k.institution_id
                 WHERE ($1 IS NULL OR k.key_hash = $1) ORDER BY k.id DESC",
            )
            .bind(key_hash)
            .fetch_all(c)
            .await?)
        })
    }
}

/// An OpenID Connect sign-in waiting for the provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcPending {
    /// PKCE verifier.
    pub verifier: String,
    /// Nonce the ID token must carry.
    pub nonce: String,
    /// Where to go after signing in.
    pub next: String,
}

impl Db {
    /// Records a sign-in sent to the provider under `state`.
    pub async fn put_oidc_pending(
        &self,
        state: &str,
        p: &OidcPending,
        now: NaiveDateTime,
    ) -> Result<()> {
        execute!(
            on_db,
            self,
            "INSERT INTO oidc_pending (state, verifier, nonce, next, created_at) VALUES ($1, $2, $3, $4, $5)",
            state,
            &p.verifier,
            &p.nonce,
            &p.next,
            now
        );
        Ok(())
    }

    /// Takes (removes) the sign-in recorded under `state` if it started after `not_before`; also drops
    /// every expired one. A state can be used once.
    pub async fn take_oidc_pending(
        &self,
        state: &str,
        not_before: NaiveDateTime,
    ) -> Result<Option<OidcPending>> {
        let mut tx = self.begin().await?;
        let row: Option<(String, String, String, NaiveDateTime)> = on_tx!(&mut tx, |c| {
            let row = sqlx::query_as(
                "SELECT verifier, nonce, next, created_at FROM oidc_pending WHERE state = $1",
            )
            .bind(state)
            .fetch_optional(&mut *c)
            .await?;
            sqlx::query("DELETE FROM oidc_pending WHERE state = $1 OR created_at < $2")
                .bind(state)
                .bind(not_before)
                .execute(&mut *c)
                .await?;
            row
        });
        tx.commit().await?;
        Ok(row
            .filter(|(_, _, _, at)| *at >= not_before)
            .map(|(verifier, nonce, next, _)| OidcPending {
                verifier,
                nonce,
                next,
            }))
    }
}
