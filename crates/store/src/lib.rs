//! Persistence for Atalaia on SQLite (the embedded default) and PostgreSQL (the multi-user deployment).
//!
//! One schema, one migrations folder per backend (`migrations/sqlite`, `migrations/postgres`), and the same
//! hand-written SQL on both wherever the dialects agree (`$n` placeholders, `ON CONFLICT … DO UPDATE`,
//! `UPDATE … FROM (VALUES …)`). The two pools live behind [`Db`]; a transaction behind [`Tx`]. Functions
//! are written once and expanded for each backend by the `on_db!`/`on_tx!` macros.
//!
//! Invariants this crate keeps:
//! - `daily_counts` (area × crime × day) always equals what the stored occurrences and their assigned
//!   areas imply: every write of an occurrence moves its contribution in the same transaction.
//! - Territory and unit versions are never overwritten: a redraw is a new version (Decreto 7.872/2013,
//!   Art. 2 §ú); only an open version may be closed by a later one.
//! - Every change a re-import makes to an occurrence is kept in `occurrence_changes`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod copy;
pub mod counts;
pub mod cycles;
mod direct;
pub mod evaluation;
pub mod hotspots;
pub mod igesp;
pub mod imports;
pub mod indicators;
pub mod ipei;
pub mod jobs;
pub mod occurrences;
pub mod partitions;
pub mod profiles;
mod read;
pub mod recap;
pub mod reference;
mod refusal;
pub use refusal::Refusal;
pub mod reminders;
pub mod runs;
pub mod selection;
pub mod territories;
pub mod testing;
pub mod trace;

/// Expands `$body` once per backend with `$c` bound to the pool (`&SqlitePool` or `&PgPool`).
macro_rules! on_db {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite(p) => {
                let $c = p;
                $body
            }
            $crate::Db::Pg(p) => {
                let $c = p;
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// Expands `$body` once per backend with `$c` bound to the transaction's connection.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// Runs one statement with its parameters and yields the number of rows it affected:
/// `execute!(on_tx, tx, "UPDATE …", a, b)` on a [`Tx`], `execute!(on_db, db, …)` on a [`Db`].
macro_rules! execute {
    ($on:ident, $x:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::$on!($x, |c| sqlx::query($sql)$(.bind($arg))*.execute(c).await?.rows_affected())
    };
}
pub(crate) use execute;

/// Errors of the store. Messages are Portuguese: they reach users through the CLI and the web.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error(
        "endereço de banco de dados inválido `{0}`: esperado sqlite://ARQUIVO ou postgres://USUÁRIO@HOST/BANCO"
    )]
    BadUrl(String),
    /// An error reported by the database driver.
    #[error("erro do banco de dados: {0}")]
    Db(#[from] sqlx::Error),
    /// An error reported by SQLite on the direct (bulk) path.
    #[error("erro do banco de dados: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Migrations could not be applied.
    #[error("falha ao aplicar as migrações do banco: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back into its domain type.
    #[error("valor inválido no banco ({0})")]
    Corrupt(String),
    /// A file of the evidence storage could not be written or read.
    #[error("armazenamento de arquivos: {0}")]
    Io(String),
    /// A copy of the database could not be made or restored; the message says why.
    #[error("{0}")]
    Backup(String),
    /// The program's rules refuse the write ([`Refusal`]): the user's to fix, nothing changed.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// sqlx reports how long each connection took to acquire as a `sqlx::pool::acquire` event at this level;
/// the web server turns them into the pool-wait histogram of `/metrics` (logs filter them out).
const ACQUIRE_EVENTS: log::LevelFilter = log::LevelFilter::Debug;

/// A pool's connections at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (idle or in use).
    pub open: u32,
    /// Connections open and idle.
    pub idle: usize,
    /// The most the pool opens.
    pub max: u32,
}

/// The schema against this program's migrations, by version: what it lacks, what it has that this
/// program does not know (a newer program migrated it), and what failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaState {
    /// Migrations of this program not applied.
    pub missing: Vec<i64>,
    /// Migrations applied that this program does not have.
    pub unknown: Vec<i64>,
    /// Migrations whose application failed.
    pub failed: Vec<i64>,
}

impl SchemaState {
    /// Exactly this program's migrations, all applied.
    pub fn current(&self) -> bool {
        self.missing.is_empty() && self.unknown.is_empty() && self.failed.is_empty()
    }
}

/// A connection pool to one of the two supported backends.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite (embedded default).
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// An open transaction on either backend. Dropping it without [`Tx::commit`] rolls it back.
pub enum Tx {
    /// SQLite transaction.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL transaction.
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    /// Opens (creating and migrating when needed) the database at `url`: `sqlite://FILE`,
    /// `sqlite::memory:` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = Db::connect_unmigrated(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the database at `url` without touching its schema.
    pub async fn connect_unmigrated(url: &str) -> Result<Db> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::BadUrl(redact(url)))?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                // 64 MiB of page cache: imports update large B-trees in random order.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            let in_memory = url.contains(":memory:");
            let pool = SqlitePoolOptions::new()
                // An in-memory database exists once per connection: keep exactly one.
                .max_connections(if in_memory { 1 } else { 4 })
                .acquire_time_level(ACQUIRE_EVENTS)
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts =
                PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(redact(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_time_level(ACQUIRE_EVENTS)
                .connect_with(opts)
                .await?;
            Db::Pg(pool)
        } else {
            return Err(StoreError::BadUrl(redact(url)));
        };
        Ok(db)
    }

    /// This backend's embedded migrations.
    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self {
            Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
            Db::Pg(_) => sqlx::migrate!("./migrations/postgres"),
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = self.migrator();
        on_db!(self, |p| migrator.run(p).await?);
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads
    /// (the audit chain's last hash) and then writes fails at once with `SQLITE_BUSY` when another
    /// connection wrote in between, whatever the busy timeout — a burst of parallel sign-ins answered
    /// 500. Every caller of `begin` writes, so nothing is serialised that was not already.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// Checks that the database answers (for `/health`).
    pub async fn ping(&self) -> Result<()> {
        execute!(on_db, self, "SELECT 1");
        Ok(())
    }

    /// The pool's connections now: open, idle and the most it may open (`/metrics`).
    pub fn pool_stats(&self) -> PoolStats {
        on_db!(self, |p| PoolStats {
            open: p.size(),
            idle: p.num_idle(),
            max: p.options().get_max_connections(),
        })
    }

    /// How the database's schema stands against this program's migrations (`/ready`): a server must
    /// not answer over a schema it does not know, nor one a migration failed on.
    pub async fn schema_state(&self) -> Result<SchemaState> {
        let migrator = self.migrator();
        let applied: Vec<(i64, bool)> = on_db!(self, |c| {
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                .fetch_all(c)
                .await?
        });
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        Ok(SchemaState {
            missing: known
                .iter()
                .copied()
                .filter(|v| !applied.iter().any(|(a, _)| a == v))
                .collect(),
            unknown: applied
                .iter()
                .map(|(v, _)| *v)
                .filter(|v| !known.contains(v))
                .collect(),
            failed: applied
                .iter()
                .filter(|(_, ok)| !ok)
                .map(|(v, _)| *v)
                .collect(),
        })
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Pg(p) => p.close().await,
        }
    }
}

impl Tx {
    /// The backend of this transaction.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Removes a password from a database URL before it is shown or logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_password_only() {
        assert_eq!(
            redact("postgres://atalaia:s3cret@localhost:5432/atalaia"),
            "postgres://atalaia:***@localhost:5432/atalaia"
        );
        assert_eq!(redact("sqlite://atalaia.db"), "sqlite://atalaia.db");
        assert_eq!(
            redact("postgres://u@h/db"),
            "postgres://u@h/db",
            "no password, nothing to hide"
        );
    }
}
