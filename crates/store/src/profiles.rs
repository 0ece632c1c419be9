//! Import profiles saved by analysts (`import_profiles`): each a profile's JSON document under its
//! name, in the form of the shipped ones (`atalaia_ingest::profile`), which this crate does not parse.

use chrono::NaiveDateTime;

use crate::{Db, Result, Tx, on_tx};

/// A saved profile as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SavedProfile {
    pub name: String,
    /// The import kind it feeds.
    pub kind: String,
    /// The profile's JSON.
    pub document: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl Db {
    /// Every saved profile, by name.
    pub async fn import_profiles(&self) -> Result<Vec<SavedProfile>> {
        let sql = "SELECT name, kind, document, created_by, created_at FROM import_profiles ORDER BY name";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await?,
            Db::Pg(p) => sqlx::query_as(sql).fetch_all(p).await?,
        })
    }

    /// The saved profile `name`, if there is one.
    pub async fn import_profile(&self, name: &str) -> Result<Option<SavedProfile>> {
        let sql = "SELECT name, kind, document, created_by, created_at FROM import_profiles WHERE name = $1";
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_as(sql).bind(name).fetch_optional(p).await?,
            Db::Pg(p) => sqlx::query_as(sql).bind(name).fetch_optional(p).await?,
        })
    }
}

impl Tx {
    /// Saves `document` as the profile `name` of `kind`; `false` (nothing written) when a profile of
    /// that name was saved before.
    pub async fn save_import_profile(
        &mut self,
        name: &str,
        kind: &str,
        document: &str,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let sql = "INSERT INTO import_profiles (name, kind, document, created_by, created_at)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING";
        on_tx!(self, |c| {
            let done = sqlx::query(sql)
                .bind(name)
                .bind(kind)
                .bind(document)
                .bind(actor)
                .bind(now)
                .execute(c)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }
}
