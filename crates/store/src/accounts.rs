//! People and access: institutions, users and their (scoped) roles, sessions, sign-in attempts, API keys.
//!
//! Secrets never reach this crate in the clear: passwords arrive as Argon2id PHC strings, session tokens
//! and API keys as SHA-256 digests (the web layer hashes them).

mod sessions;
pub use sessions::*;

use crate::{Db, Result, StoreError, Tx, on_db, on_tx};
use atalaia_core::access::{KeyAccess, Role};
use chrono::NaiveDateTime;
use serde::Serialize;

/// An institution as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
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

/// A role held by a user, with its scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Its scope.
    pub scope: Scope,
}

/// A user as stored (the password hash is kept out of `Debug` and of serialization).
#[derive(Clone, PartialEq, Serialize, sqlx::FromRow)]
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
    #[sqlx(skip)]
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

fn parse_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("papel `{s}`")))
}

const USER_COLUMNS: &str =
    "u.id, u.login, u.name, u.email, u.institution_id, i.code AS institution_code,
     i.name AS institution_name, u.active, u.demo, u.password_hash, u.oidc_subject";

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
        access: KeyAccess,
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
            .bind(access.as_str())
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
            Ok(sqlx::query_as(
                "SELECT id, code, name, kind, active, synthetic FROM institutions ORDER BY code",
            )
            .fetch_all(c)
            .await?)
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
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(c)
                .await?
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
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            let q = match value {
                UserKey::Id(id) => q.bind(id),
                UserKey::Text(s) => q.bind(s),
            };
            q.fetch_optional(c).await?
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
}

#[derive(Clone, Copy)]
enum UserKey<'a> {
    Id(i64),
    Text(&'a str),
}
