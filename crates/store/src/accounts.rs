//! People and access: institutions, users and their (scoped) roles, sessions, sign-in attempts, API keys.
//!
//! Secrets never reach this crate in the clear: passwords arrive as Argon2id PHC strings, session tokens
//! and API keys as SHA-256 digests (the web layer hashes them).

use atalaia_core::access::Role;
use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::Row;

use crate::{Db, Result, StoreError, Tx, on_db, on_tx};

/// An institution as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstitutionRecord {
    pub id: i64,
    /// Short code (`PMGO`, `MPGO`, `SEJUSP`…), unique.
    pub code: String,
    pub name: String,
    /// Kind: an `atalaia_core::Institution` code (`PM`, `MP`, `SSP`…).
    pub kind: String,
    pub active: bool,
    /// Synthetic (demo data).
    pub synthetic: bool,
}

pub use atalaia_core::scope::Scope;

/// `(scope_kind, scope_code)` as stored.
fn scope_parts(scope: &Scope) -> (&'static str, &str) {
    match scope {
        Scope::All => ("", ""),
        Scope::Unit(c) => ("unit", c),
        Scope::Municipality(c) => ("municipality", c),
    }
}

fn scope_from_parts(kind: &str, code: String) -> Result<Scope> {
    match kind {
        "" => Ok(Scope::All),
        "unit" => Ok(Scope::Unit(code)),
        "municipality" => Ok(Scope::Municipality(code)),
        other => Err(StoreError::Corrupt(format!("escopo `{other}`"))),
    }
}

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

/// A role held by a user, with its scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Its scope.
    pub scope: Scope,
}

/// A user as stored (the password hash is kept out of `Debug` and of serialization).
#[derive(Clone, PartialEq, Serialize)]
pub struct UserRecord {
    pub id: i64,
    /// Login (unique, lower-case).
    pub login: String,
    /// Full name.
    pub name: String,
    pub email: Option<String>,
    /// Institution id.
    pub institution_id: i64,
    /// Institution code.
    pub institution_code: String,
    /// Institution name.
    pub institution_name: String,
    /// May sign in.
    pub active: bool,
    /// A demo user (its password is public: refused off loopback).
    pub demo: bool,
    pub grants: Vec<Grant>,
    /// Argon2id PHC string, if the user has a password.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// OpenID Connect subject, if linked.
    pub oidc_subject: Option<String>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("active", &self.active)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    /// The roles, without scopes, sorted and without repeats.
    pub fn roles(&self) -> Vec<Role> {
        let mut r: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        r.sort();
        r.dedup();
        r
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub login: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    /// Institution id.
    pub institution_id: i64,
    /// Argon2id PHC string.
    pub password_hash: Option<&'a str>,
    /// Demo user.
    pub demo: bool,
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
}

/// An API key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The role it acts with.
    pub role: Role,
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

fn parse_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("papel `{s}`")))
}

const USER_COLUMNS: &str =
    "u.id, u.login, u.name, u.email, u.institution_id, i.code AS institution_code,
     i.name AS institution_name, u.active, u.demo, u.password_hash, u.oidc_subject";

macro_rules! user_from_row {
    ($r:expr) => {
        UserRecord {
            id: $r.try_get("id")?,
            login: $r.try_get("login")?,
            name: $r.try_get("name")?,
            email: $r.try_get("email")?,
            institution_id: $r.try_get("institution_id")?,
            institution_code: $r.try_get("institution_code")?,
            institution_name: $r.try_get("institution_name")?,
            active: $r.try_get("active")?,
            demo: $r.try_get("demo")?,
            grants: Vec::new(),
            password_hash: $r.try_get("password_hash")?,
            oidc_subject: $r.try_get("oidc_subject")?,
        }
    };
}

impl Tx {
    /// Creates an institution; returns its id. A repeated code is refused by the database.
    pub async fn create_institution(
        &mut self,
        code: &str,
        name: &str,
        kind: &str,
        synthetic: bool,
        now: NaiveDateTime,
    ) -> Result<i64> {
        on_tx!(self, |c| {
            Ok(sqlx::query_scalar(
                "INSERT INTO institutions (code, name, kind, synthetic, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(code)
            .bind(name)
            .bind(kind)
            .bind(synthetic)
            .bind(now)
            .fetch_one(c)
            .await?)
        })
    }

    /// Renames an institution or (de)activates it.
    pub async fn update_institution(&mut self, id: i64, name: &str, active: bool) -> Result<bool> {
        on_tx!(self, |c| {
            let r = sqlx::query("UPDATE institutions SET name = $1, active = $2 WHERE id = $3")
                .bind(name)
                .bind(active)
                .bind(id)
                .execute(c)
                .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Creates a user without roles; returns its id. A repeated login is refused by the database.
    pub async fn create_user(&mut self, u: &NewUser<'_>, now: NaiveDateTime) -> Result<i64> {
        on_tx!(self, |c| {
            Ok(sqlx::query_scalar(
                "INSERT INTO users (login, name, email, institution_id, password_hash, demo, created_at,
                     updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(u.login)
            .bind(u.name)
            .bind(u.email)
            .bind(u.institution_id)
            .bind(u.password_hash)
            .bind(u.demo)
            .bind(now)
            .fetch_one(c)
            .await?)
        })
    }

    /// Changes a user's name, e-mail, institution and whether they may sign in.
    pub async fn update_user(
        &mut self,
        id: i64,
        name: &str,
        email: Option<&str>,
        institution_id: i64,
        active: bool,
        now: NaiveDateTime,
    ) -> Result<bool> {
        on_tx!(self, |c| {
            let r = sqlx::query(
                "UPDATE users SET name = $1, email = $2, institution_id = $3, active = $4, updated_at = $5
                 WHERE id = $6",
            )
            .bind(name)
            .bind(email)
            .bind(institution_id)
            .bind(active)
            .bind(now)
            .bind(id)
            .execute(c)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Sets a user's password hash.
    pub async fn set_password_hash(
        &mut self,
        id: i64,
        hash: &str,
        now: NaiveDateTime,
    ) -> Result<bool> {
        on_tx!(self, |c| {
            let r =
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now)
                    .bind(id)
                    .execute(c)
                    .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Links a user to an OpenID Connect subject (`None` unlinks).
    pub async fn set_oidc_subject(&mut self, id: i64, subject: Option<&str>) -> Result<bool> {
        on_tx!(self, |c| {
            let r = sqlx::query("UPDATE users SET oidc_subject = $1 WHERE id = $2")
                .bind(subject)
                .bind(id)
                .execute(c)
                .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Replaces a user's roles.
    pub async fn set_grants(&mut self, user_id: i64, grants: &[Grant]) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *c)
                .await?;
            for g in grants {
                let (kind, code) = scope_parts(&g.scope);
                sqlx::query(
                    "INSERT INTO user_roles (user_id, role, scope_kind, scope_code) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (user_id, role, scope_kind, scope_code) DO NOTHING",
                )
                .bind(user_id)
                .bind(g.role.as_str())
                .bind(kind)
                .bind(code)
                .execute(&mut *c)
                .await?;
            }
        });
        Ok(())
    }

    /// Ends every session of a user (after a deactivation, a password or role change).
    pub async fn delete_user_sessions(&mut self, user_id: i64) -> Result<u64> {
        on_tx!(self, |c| {
            Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(c)
                .await?
                .rows_affected())
        })
    }

    /// Stores an API key (its SHA-256 only); returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_api_key(
        &mut self,
        institution_id: i64,
        name: &str,
        prefix: &str,
        key_hash: &str,
        role: Role,
        created_by: Option<i64>,
        expires_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Result<i64> {
        on_tx!(self, |c| {
            Ok(sqlx::query_scalar(
                "INSERT INTO api_keys (institution_id, name, prefix, key_hash, role, created_by, created_at,
                     expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(institution_id)
            .bind(name)
            .bind(prefix)
            .bind(key_hash)
            .bind(role.as_str())
            .bind(created_by)
            .bind(now)
            .bind(expires_at)
            .fetch_one(c)
            .await?)
        })
    }

    /// Revokes an API key; false when it was unknown or already revoked.
    pub async fn revoke_api_key(&mut self, id: i64, now: NaiveDateTime) -> Result<bool> {
        on_tx!(self, |c| {
            let r = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(c)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }
}

impl Db {
    /// Every institution, by code.
    pub async fn institutions(&self) -> Result<Vec<InstitutionRecord>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT id, code, name, kind, active, synthetic FROM institutions ORDER BY code",
            )
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<InstitutionRecord> {
                    Ok(InstitutionRecord {
                        id: r.try_get("id")?,
                        code: r.try_get("code")?,
                        name: r.try_get("name")?,
                        kind: r.try_get("kind")?,
                        active: r.try_get("active")?,
                        synthetic: r.try_get("synthetic")?,
                    })
                })
                .collect()
        })
    }

    async fn grants_of(&self, users: &mut [UserRecord]) -> Result<()> {
        if users.is_empty() {
            return Ok(());
        }
        let rows: Vec<(i64, String, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT user_id, role, scope_kind, scope_code FROM user_roles
                 ORDER BY user_id, role, scope_kind, scope_code",
            )
            .fetch_all(c)
            .await?
        });
        let index: std::collections::HashMap<i64, usize> =
            users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        for (uid, role, kind, code) in rows {
            if let Some(&i) = index.get(&uid) {
                users[i].grants.push(Grant {
                    role: parse_role(&role)?,
                    scope: scope_from_parts(&kind, code)?,
                });
            }
        }
        Ok(())
    }

    /// Every user, by login, with their roles.
    pub async fn users(&self) -> Result<Vec<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u JOIN institutions i ON i.id = u.institution_id
             ORDER BY u.login"
        );
        let mut users: Vec<UserRecord> = on_db!(self, |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(c).await?;
            rows.iter()
                .map(|r| -> Result<UserRecord> { Ok(user_from_row!(r)) })
                .collect::<Result<Vec<_>>>()?
        });
        self.grants_of(&mut users).await?;
        Ok(users)
    }

    async fn user_where(
        &self,
        column: &'static str,
        value: UserKey<'_>,
    ) -> Result<Option<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u JOIN institutions i ON i.id = u.institution_id
             WHERE u.{column} = $1"
        );
        let user: Option<UserRecord> = on_db!(self, |c| {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql));
            let q = match value {
                UserKey::Id(id) => q.bind(id),
                UserKey::Text(s) => q.bind(s),
            };
            match q.fetch_optional(c).await? {
                Some(r) => Some(user_from_row!(r)),
                None => None,
            }
        });
        let Some(user) = user else {
            return Ok(None);
        };
        let mut user = user;
        self.grants_of_one(&mut user).await?;
        Ok(Some(user))
    }

    async fn grants_of_one(&self, user: &mut UserRecord) -> Result<()> {
        let rows: Vec<(String, String, String)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT role, scope_kind, scope_code FROM user_roles WHERE user_id = $1
                 ORDER BY role, scope_kind, scope_code",
            )
            .bind(user.id)
            .fetch_all(c)
            .await?
        });
        user.grants = rows
            .into_iter()
            .map(|(role, kind, code)| {
                Ok(Grant {
                    role: parse_role(&role)?,
                    scope: scope_from_parts(&kind, code)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(())
    }

    /// The user with this login (case-insensitive: logins are stored lower-case).
    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        self.user_where("login", UserKey::Text(&login.trim().to_lowercase()))
            .await
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        self.user_where("id", UserKey::Id(id)).await
    }

    /// The user linked to this OpenID Connect subject.
    pub async fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<UserRecord>> {
        self.user_where("oidc_subject", UserKey::Text(subject))
            .await
    }

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
        on_db!(self, |c| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip)
                 VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .bind(ip)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// The live session with this token hash (not expired, its user active), with its user.
    pub async fn session(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
    ) -> Result<Option<SessionRecord>> {
        let row: Option<(i64, String, NaiveDateTime, NaiveDateTime)> = on_db!(self, |c| {
            sqlx::query_as(
                "SELECT s.user_id, s.csrf_token, s.created_at, s.expires_at FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(c)
            .await?
        });
        let Some((user_id, csrf_token, created_at, expires_at)) = row else {
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
        }))
    }

    /// Moves a session's idle expiry.
    pub async fn touch_session(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> Result<()> {
        on_db!(self, |c| {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
            )
            .bind(now)
            .bind(expires_at)
            .bind(token_hash)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_db!(self, |c| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(c)
                .await?;
        });
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
        on_db!(self, |c| {
            sqlx::query("UPDATE login_attempts SET success = TRUE WHERE id = $1")
                .bind(id)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Drops the attempt `id` (refused before any password check: a blocked attempt does not extend the
    /// block, and a flood of them does not grow the table).
    pub async fn forget_login_attempt(&self, id: i64) -> Result<()> {
        on_db!(self, |c| {
            sqlx::query("DELETE FROM login_attempts WHERE id = $1")
                .bind(id)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Drops attempts older than `before` (they no longer count for anything).
    pub async fn prune_login_attempts(&self, before: NaiveDateTime) -> Result<u64> {
        Ok(on_db!(self, |c| {
            sqlx::query("DELETE FROM login_attempts WHERE at < $1")
                .bind(before)
                .execute(c)
                .await?
                .rows_affected()
        }))
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
        on_db!(self, |c| {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(key.id)
                .execute(c)
                .await?;
        });
        Ok(Some(key))
    }

    async fn api_keys_where(&self, key_hash: Option<&str>) -> Result<Vec<ApiKeyRecord>> {
        on_db!(self, |c| {
            let rows = sqlx::query(
                "SELECT k.id, k.institution_id, i.code AS institution_code, k.name, k.prefix, k.role,
                        k.created_at, k.last_used_at, k.revoked_at, k.expires_at,
                        i.active AS institution_active
                 FROM api_keys k JOIN institutions i ON i.id = k.institution_id
                 WHERE ($1 IS NULL OR k.key_hash = $1) ORDER BY k.id DESC",
            )
            .bind(key_hash)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| -> Result<ApiKeyRecord> {
                    Ok(ApiKeyRecord {
                        id: r.try_get("id")?,
                        institution_id: r.try_get("institution_id")?,
                        institution_code: r.try_get("institution_code")?,
                        name: r.try_get("name")?,
                        prefix: r.try_get("prefix")?,
                        role: parse_role(&r.try_get::<String, _>("role")?)?,
                        created_at: r.try_get("created_at")?,
                        last_used_at: r.try_get("last_used_at")?,
                        revoked_at: r.try_get("revoked_at")?,
                        expires_at: r.try_get("expires_at")?,
                        institution_active: r.try_get("institution_active")?,
                    })
                })
                .collect()
        })
    }
}

#[derive(Clone, Copy)]
enum UserKey<'a> {
    Id(i64),
    Text(&'a str),
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
        on_db!(self, |c| {
            sqlx::query(
                "INSERT INTO oidc_pending (state, verifier, nonce, next, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(state)
            .bind(&p.verifier)
            .bind(&p.nonce)
            .bind(&p.next)
            .bind(now)
            .execute(c)
            .await?;
        });
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
