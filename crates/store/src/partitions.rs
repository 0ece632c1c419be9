//! PostgreSQL's monthly partitions of `occurrences` and `daily_counts` (migration 0021).
//!
//! Each month has a partition in both tables, `occurrences_YYYY_MM` and `daily_counts_YYYY_MM`; a row
//! of a month without one lands in the table's DEFAULT partition. [`Db::maintain_partitions`] makes
//! the months ahead and moves what sits in a DEFAULT partition into partitions of its own. It runs
//! before and after every occurrence import and as `atalaia partitions`; never inside an import's
//! transaction, because attaching a partition locks the whole table, and an import holds its
//! transaction for minutes while the pages keep reading.
//!
//! Each partition is made in a transaction of its own that waits at most [`LOCK_WAIT`] for its locks:
//! one that cannot be made now (a long import is writing) is reported and left for the next run; its
//! rows stay readable in the DEFAULT partition meanwhile. SQLite has no partitions: nothing to do.

use atalaia_core::Month;
use chrono::{NaiveDate, NaiveDateTime};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPool;
use std::collections::BTreeSet;

use crate::{Db, Result};

/// The partitioned tables and their partition key.
const TABLES: [(&str, &str); 2] = [("occurrences", "occurred_at"), ("daily_counts", "day")];

/// How long making one partition waits for its locks before it gives up for this run.
const LOCK_WAIT: &str = "5s";

/// What a run of [`Db::maintain_partitions`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PartitionReport {
    /// Partitions made, by name, in the order made.
    pub created: Vec<String>,
    /// Rows moved out of the DEFAULT partitions into them.
    pub moved_rows: u64,
    /// Partitions that could not be made in this run, each with the database's reason.
    pub postponed: Vec<(String, String)>,
}

fn partition_name(table: &str, month: Month) -> String {
    format!("{table}_{:04}_{:02}", month.year(), month.month())
}

impl Db {
    /// Makes the partitions of `first` and the `ahead` months after it, and of every month with rows
    /// in a DEFAULT partition, moving those rows in. Returns what it did.
    pub async fn maintain_partitions(&self, first: Month, ahead: u32) -> Result<PartitionReport> {
        let Db::Pg(pool) = self else {
            return Ok(PartitionReport::default());
        };
        let mut months: BTreeSet<Month> = std::iter::successors(Some(first), |m| m.succ())
            .take(ahead as usize + 1)
            .collect();
        for (table, column) in TABLES {
            let stray: Vec<NaiveDate> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT DISTINCT CAST(date_trunc('month', {column}) AS DATE) FROM {table}_default"
            )))
            .fetch_all(pool)
            .await?;
            for day in stray {
                months
                    .insert(Month::of(day).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?);
            }
        }
        self.partition_months(&months).await
    }

    /// Makes the partitions of each of `months` that is missing, in both tables.
    pub async fn partition_months(&self, months: &BTreeSet<Month>) -> Result<PartitionReport> {
        let Db::Pg(pool) = self else {
            return Ok(PartitionReport::default());
        };
        let mut report = PartitionReport::default();
        for (table, column) in TABLES {
            let existing = partitions_of(pool, table).await?;
            for &month in months {
                let name = partition_name(table, month);
                if existing.contains(&name) {
                    continue;
                }
                match make_partition(pool, table, column, month, &name).await {
                    Ok(moved) => {
                        report.moved_rows += moved;
                        report.created.push(name);
                    }
                    Err(crate::StoreError::Db(e)) if is_lock_timeout(&e) => {
                        report.postponed.push((name, e.to_string()));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(report)
    }
}

/// The first and last date-time of the occurrences: read from the first and last monthly partitions
/// that hold any (and the DEFAULT one), not by a scan of every partition — the partition key has no
/// index of its own, and `MIN`/`MAX` over the parent read all of them (seconds at tens of millions).
pub(crate) async fn occurrence_span(
    pool: &PgPool,
) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>)> {
    // Names sort as their months do: occurrences_YYYY_MM.
    let months: Vec<String> = partitions_of(pool, "occurrences")
        .await?
        .into_iter()
        .filter(|n| n != "occurrences_default")
        .collect();
    let ends = |name: &str| format!("SELECT MIN(occurred_at), MAX(occurred_at) FROM {name}");
    let read = |sql: String| async move {
        sqlx::query_as::<_, (Option<NaiveDateTime>, Option<NaiveDateTime>)>(AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
    };
    let (mut first, mut last) = read(ends("occurrences_default")).await?;
    for name in &months {
        if let (Some(f), _) = read(ends(name)).await? {
            first = Some(first.map_or(f, |d| d.min(f)));
            break;
        }
    }
    for name in months.iter().rev() {
        if let (_, Some(l)) = read(ends(name)).await? {
            last = Some(last.map_or(l, |d| d.max(l)));
            break;
        }
    }
    Ok((first, last))
}

async fn partitions_of(pool: &PgPool, table: &str) -> Result<BTreeSet<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT child.relname::text FROM pg_inherits i
         JOIN pg_class child ON child.oid = i.inhrelid
         JOIN pg_class parent ON parent.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = parent.relnamespace
         WHERE parent.relname = $1 AND n.nspname = current_schema()",
    )
    .bind(table)
    .fetch_all(pool)
    .await?;
    Ok(names.into_iter().collect())
}

/// Makes `name`, `table`'s partition of `month`, moving the month's rows out of the DEFAULT partition
/// into it first (a partition cannot be attached while its rows sit in the DEFAULT one). One
/// transaction: readers see the rows in one place or the other, never both or neither.
async fn make_partition(
    pool: &PgPool,
    table: &str,
    column: &str,
    month: Month,
    name: &str,
) -> Result<u64> {
    let from = month.first_day();
    let next = month.succ().map_or(NaiveDate::MAX, Month::first_day);
    let mut tx = pool.begin().await?;
    sqlx::query(AssertSqlSafe(format!(
        "SET LOCAL lock_timeout = '{LOCK_WAIT}'"
    )))
    .execute(&mut *tx)
    .await?;
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )))
    .execute(&mut *tx)
    .await?;
    let moved = sqlx::query(AssertSqlSafe(format!(
        "WITH moved AS (DELETE FROM {table}_default WHERE {column} >= $1 AND {column} < $2 RETURNING *)
         INSERT INTO {name} SELECT * FROM moved"
    )))
    .bind(from)
    .bind(next)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(AssertSqlSafe(format!(
        "ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{next}')"
    )))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(moved)
}

/// PostgreSQL's `lock_not_available` (55P03): `lock_timeout` ran out.
fn is_lock_timeout(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "55P03")
}
