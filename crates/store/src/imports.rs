//! Import runs: who imported which file (by content hash), when, and what it did.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::{Db, Result, Tx, execute, on_db, on_tx};

/// What an import run is about, recorded before any row is written.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    /// Import kind (`occurrences`, `territories`, …).
    pub kind: &'a str,
    /// The file's name as given by the user.
    pub file_name: &'a str,
    /// SHA-256 of the file's bytes, hex.
    pub file_sha256: &'a str,
    /// Who ran it (a user name, or `cli:<os user>`).
    pub actor: &'a str,
    /// Whether the records are synthetic (the demo data set).
    pub synthetic: bool,
    /// When it started (UTC).
    pub started_at: NaiveDateTime,
}

/// Row counts of an import (contracts.md §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ImportCounts {
    /// Data rows read.
    #[sqlx(rename = "read_rows", try_from = "i64")]
    pub read: u64,
    /// Rows that created a record.
    #[sqlx(try_from = "i64")]
    pub inserted: u64,
    /// Rows that changed a record.
    #[sqlx(try_from = "i64")]
    pub updated: u64,
    /// Rows equal to what was stored.
    #[sqlx(try_from = "i64")]
    pub unchanged: u64,
    /// Rows rejected (written to the rejects file).
    #[sqlx(try_from = "i64")]
    pub rejected: u64,
    /// Occurrences with valid coordinates outside every known area.
    #[sqlx(try_from = "i64")]
    pub unassigned: u64,
}

/// A recorded import run.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportRecord {
    pub id: i64,
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// SHA-256 of the file.
    pub file_sha256: String,
    /// Who ran it.
    pub actor: String,
    /// Synthetic data.
    pub synthetic: bool,
    /// Start (UTC).
    pub started_at: NaiveDateTime,
    /// End (UTC).
    pub finished_at: Option<NaiveDateTime>,
    #[sqlx(flatten)]
    pub counts: ImportCounts,
}

impl Tx {
    /// Records the start of an import and returns its id.
    pub async fn create_import(&mut self, new: &NewImport<'_>) -> Result<i64> {
        let id: i64 = on_tx!(self, |c| {
            sqlx::query_scalar(
                "INSERT INTO imports (kind, file_name, file_sha256, actor, synthetic, started_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(new.kind)
            .bind(new.file_name)
            .bind(new.file_sha256)
            .bind(new.actor)
            .bind(new.synthetic)
            .bind(new.started_at)
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }

    /// Records the SHA-256 of the imported file (computed while the file was read).
    pub async fn set_import_hash(&mut self, id: i64, sha256: &str) -> Result<()> {
        execute!(
            on_tx,
            self,
            "UPDATE imports SET file_sha256 = $1 WHERE id = $2",
            sha256,
            id
        );
        Ok(())
    }

    /// Records the end of an import with its counts.
    pub async fn finish_import(
        &mut self,
        id: i64,
        counts: &ImportCounts,
        finished_at: NaiveDateTime,
    ) -> Result<()> {
        execute!(
            on_tx,
            self,
            "UPDATE imports SET finished_at = $1, read_rows = $2, inserted = $3, updated = $4,
                        unchanged = $5, rejected = $6, unassigned = $7 WHERE id = $8",
            finished_at,
            counts.read as i64,
            counts.inserted as i64,
            counts.updated as i64,
            counts.unchanged as i64,
            counts.rejected as i64,
            counts.unassigned as i64,
            id
        );
        Ok(())
    }
}

/// The imports of one kind, finished or not, with their rows summed (`/metrics`). Counted from the table,
/// so imports made by the command line and by other servers count too.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportTotals {
    /// The import kind (`occurrences`, `territories`…).
    pub kind: String,
    /// Whether these imports finished (an unfinished one is running, or died with its process).
    pub finished: bool,
    /// How many imports.
    pub imports: i64,
    /// Rows read.
    pub read: i64,
    /// Rows inserted.
    pub inserted: i64,
    /// Rows changed.
    pub updated: i64,
    /// Rows already stored as they are.
    pub unchanged: i64,
    /// Rows rejected.
    pub rejected: i64,
}

impl Db {
    /// The most recent import runs, newest first.
    pub async fn recent_imports(&self, limit: i64) -> Result<Vec<ImportRecord>> {
        self.imports_where(None, limit).await
    }

    /// Every import kind's totals, by whether finished (`/metrics`).
    pub async fn import_totals(&self) -> Result<Vec<ImportTotals>> {
        Ok(on_db!(self, |c| {
            sqlx::query_as(
                "SELECT kind, finished_at IS NOT NULL AS finished, COUNT(*) AS imports,
                        CAST(COALESCE(SUM(read_rows), 0) AS BIGINT) AS read,
                        CAST(COALESCE(SUM(inserted), 0) AS BIGINT) AS inserted,
                        CAST(COALESCE(SUM(updated), 0) AS BIGINT) AS updated,
                        CAST(COALESCE(SUM(unchanged), 0) AS BIGINT) AS unchanged,
                        CAST(COALESCE(SUM(rejected), 0) AS BIGINT) AS rejected
                 FROM imports GROUP BY kind, finished_at IS NOT NULL ORDER BY 1, 2",
            )
            .fetch_all(c)
            .await?
        }))
    }

    /// One import run.
    pub async fn import_record(&self, id: i64) -> Result<Option<ImportRecord>> {
        Ok(self.imports_where(Some(id), 1).await?.pop())
    }

    async fn imports_where(&self, id: Option<i64>, limit: i64) -> Result<Vec<ImportRecord>> {
        Ok(on_db!(self, |c| {
            sqlx::query_as(
                "SELECT id, kind, file_name, file_sha256, actor, synthetic, started_at, finished_at,
                        read_rows, inserted, updated, unchanged, rejected, unassigned
                 FROM imports WHERE (CAST($1 AS BIGINT) IS NULL OR id = $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(c)
            .await?
        }))
    }
}
