//! A SQLite pilot's whole database into PostgreSQL (`atalaia copy-database`): every table, with its ids,
//! the audit chain and the identity sequences as they were.
//!
//! The target is an empty PostgreSQL database; the copy migrates it to this program's schema (the source
//! must be at the same one), empties what the migrations seeded, and copies table by table, parents
//! before children (the foreign keys read from PostgreSQL's catalog), each table with `COPY` in a
//! transaction of its own that also records it in `_atalaia_copy`. Interrupted, it resumes: a table is
//! either copied and recorded or not there at all. At the end every table's rows are counted on both
//! sides, the sequences set past the largest ids, and the bookkeeping table dropped.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{AssertSqlSafe, Row, TypeInfo, ValueRef};

use crate::{Db, Result, StoreError};

/// The bookkeeping of a copy in progress, in the target.
const BOOK: &str = "_atalaia_copy";

/// Rows sent to PostgreSQL at a time.
const CHUNK_BYTES: usize = 1 << 20;

/// Tables PostgreSQL alone keeps, filled from a copied table in the same transaction as its copy:
/// (copied table, what fills the derived one).
const DERIVED: [(&str, &str); 1] = [(
    "occurrences",
    "INSERT INTO occurrence_keys (source_id, id, occurred_at, import_id, line)
     SELECT source_id, id, occurred_at, import_id, line FROM occurrences",
)];

/// What a copy reports as it goes; it may also stop it between tables.
pub trait CopyProgress: Send + Sync {
    /// The rows to copy in all, once counted.
    fn start(&self, _total_rows: u64) {}
    /// Rows copied so far (tables skipped on a resume count as copied).
    fn rows(&self, _copied: u64) {}
    /// Whether to stop before the next table; the copy ends with [`StoreError::Backup`], resumable.
    fn stop(&self) -> bool {
        false
    }
}

/// A progress that shows nothing.
pub struct Quiet;

impl CopyProgress for Quiet {}

/// What a finished copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Each table and its rows, in the order copied.
    pub tables: Vec<(String, u64)>,
    /// Tables an earlier, interrupted run had already copied.
    pub resumed: usize,
}

/// `name` as a quoted SQL identifier (the names come from the catalog, but are never trusted as SQL).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn fail(why: String) -> StoreError {
    StoreError::Backup(why)
}

/// Copies `source` (SQLite) into the PostgreSQL database at `target_url`.
pub async fn copy_database(
    source: &Db,
    target_url: &str,
    progress: &dyn CopyProgress,
) -> Result<CopyReport> {
    let Db::Sqlite(src) = source else {
        return Err(fail(
            "a origem da cópia é um banco SQLite (--database sqlite://ARQUIVO)".into(),
        ));
    };
    if !source.schema_state().await?.current() {
        return Err(fail(
            "o banco de origem não está na versão deste programa: abra-o antes com esta versão"
                .into(),
        ));
    }
    let target = Db::connect_unmigrated(target_url).await?;
    let result = copy_into(src, &target, progress).await;
    target.close().await;
    result
}

async fn copy_into(
    src: &SqlitePool,
    target: &Db,
    progress: &dyn CopyProgress,
) -> Result<CopyReport> {
    let Db::Pg(dst) = target else {
        return Err(fail(
            "o destino da cópia é um banco PostgreSQL (postgres://…)".into(),
        ));
    };
    let book_exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = $1)",
    )
    .bind(BOOK)
    .fetch_one(dst)
    .await?;
    if !book_exists {
        if !target.is_empty().await? {
            return Err(fail(
                "o banco de destino já tem tabelas: copie para um banco PostgreSQL vazio (CREATE DATABASE)"
                    .into(),
            ));
        }
        // The bookkeeping first: from here on the target is a copy in progress, resumable.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE TABLE {BOOK} (table_name TEXT PRIMARY KEY, rows BIGINT NOT NULL)"
        )))
        .execute(dst)
        .await?;
    }
    target.migrate().await?;
    if !target.schema_state().await?.current() {
        return Err(fail(
            "o banco de destino está numa versão diferente deste programa".into(),
        ));
    }
    let tables = tables_in_order(dst).await?;
    let done: BTreeMap<String, i64> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT table_name, rows FROM {BOOK}"
    )))
    .fetch_all(dst)
    .await?
    .into_iter()
    .collect();
    if done.is_empty() {
        // What the migrations seeded (the crime catalog…) comes from the source instead; children first.
        for t in tables.iter().rev() {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", quoted(t))))
                .execute(dst)
                .await?;
        }
    }
    let mut counts = Vec::new();
    for t in &tables {
        let n: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", quoted(t))))
                .fetch_one(src)
                .await?;
        counts.push(n.unsigned_abs());
    }
    progress.start(counts.iter().sum());
    // The months' partitions first, so the rows go straight to them rather than through the DEFAULT
    // partitions.
    target.partition_months(&months_of(src).await?).await?;
    let mut copied = 0u64;
    let mut report = CopyReport {
        tables: Vec::new(),
        resumed: 0,
    };
    for (t, n) in tables.iter().zip(&counts) {
        if done.contains_key(t) {
            report.resumed += 1;
        } else {
            if progress.stop() {
                return Err(fail(format!(
                    "cópia interrompida antes da tabela {t}; rode o mesmo comando para continuar"
                )));
            }
            copy_table(src, dst, t, *n, &|k| progress.rows(copied + k)).await?;
        }
        copied += n;
        progress.rows(copied);
        report.tables.push((t.clone(), *n));
    }
    finish(src, dst, &report).await?;
    Ok(report)
}

/// The application's tables, parents before children.
async fn tables_in_order(dst: &PgPool) -> Result<Vec<String>> {
    // Partitions are filled through their parent; `occurrence_keys` is derived (see `DERIVED`).
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT IN ('_sqlx_migrations', '_atalaia_copy', 'occurrence_keys')
         ORDER BY c.relname",
    )
    .fetch_all(dst)
    .await?;
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT child.relname::text, parent.relname::text FROM pg_constraint c
         JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class parent ON parent.oid = c.confrelid
         WHERE c.contype = 'f' AND c.conrelid <> c.confrelid",
    )
    .fetch_all(dst)
    .await?;
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> = names
        .iter()
        .map(|n| (n.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in &edges {
        if let Some(parents) = waiting.get_mut(child.as_str()) {
            parents.insert(parent.as_str());
        }
    }
    let mut order: Vec<String> = Vec::new();
    while !waiting.is_empty() {
        let ready: Vec<&str> = waiting
            .iter()
            .filter(|(_, parents)| parents.iter().all(|p| !waiting.contains_key(p)))
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            return Err(fail(format!(
                "chaves estrangeiras em ciclo entre {:?}",
                waiting.keys().collect::<Vec<_>>()
            )));
        }
        for t in ready {
            waiting.remove(t);
            order.push(t.to_string());
        }
    }
    Ok(order)
}

/// The months of the source's occurrences and aggregate cells.
async fn months_of(src: &SqlitePool) -> Result<BTreeSet<atalaia_core::Month>> {
    let months: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT substr(occurred_at, 1, 7) FROM occurrences
         UNION SELECT DISTINCT substr(day, 1, 7) FROM daily_counts",
    )
    .fetch_all(src)
    .await?;
    months
        .iter()
        .map(|m| {
            atalaia_core::Month::parse(m)
                .map_err(|_| fail(format!("mês ilegível no banco de origem: `{m}`")))
        })
        .collect()
}

/// Copies one table in one transaction that also records it as done.
async fn copy_table(
    src: &SqlitePool,
    dst: &PgPool,
    table: &str,
    rows: u64,
    progress: &dyn Fn(u64),
) -> Result<()> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(dst)
    .await?;
    let list = columns
        .iter()
        .map(|(c, _)| quoted(c))
        .collect::<Vec<_>>()
        .join(", ");
    let table_q = quoted(table);
    let mut tx = dst.begin().await?;
    let mut copy = tx
        .copy_in_raw(&format!("COPY {table_q} ({list}) FROM STDIN"))
        .await?;
    // In the order rows were stored, where SQLite keeps one (a table `WITHOUT ROWID` is ordered by its key).
    let without_rowid: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = $1 AND sql LIKE '%WITHOUT ROWID%'",
    )
    .bind(table)
    .fetch_one(src)
    .await?;
    let order = if without_rowid { "" } else { " ORDER BY rowid" };
    let select = format!("SELECT {list} FROM {table_q}{order}");
    let mut stream = sqlx::query(AssertSqlSafe(select)).fetch(src);
    let mut text = String::with_capacity(CHUNK_BYTES + 4096);
    let mut sent = 0u64;
    let outcome: Result<()> = async {
        while let Some(row) = stream.try_next().await? {
            for (i, (column, kind)) in columns.iter().enumerate() {
                if i > 0 {
                    text.push('\t');
                }
                cell(&row, i, kind, &mut text)
                    .map_err(|why| fail(format!("{table}.{column}, linha {}: {why}", sent + 1)))?;
            }
            text.push('\n');
            sent += 1;
            if text.len() >= CHUNK_BYTES {
                copy.send(text.as_bytes()).await?;
                text.clear();
                progress(sent);
            }
        }
        if !text.is_empty() {
            copy.send(text.as_bytes()).await?;
        }
        Ok(())
    }
    .await;
    drop(stream);
    if let Err(e) = outcome {
        let _ = copy.abort("cópia interrompida").await;
        return Err(e);
    }
    copy.finish().await?;
    for (_, fill) in DERIVED.iter().filter(|(from, _)| *from == table) {
        sqlx::query(AssertSqlSafe(*fill)).execute(&mut *tx).await?;
    }
    if sent != rows {
        return Err(fail(format!(
            "{table}: {sent} linhas lidas, {rows} contadas antes"
        )));
    }
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {BOOK} (table_name, rows) VALUES ($1, $2)"
    )))
    .bind(table)
    .bind(i64::try_from(rows).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One value of a SQLite row in COPY's text format, as the PostgreSQL column of type `kind` reads it.
fn cell(
    row: &sqlx::sqlite::SqliteRow,
    i: usize,
    kind: &str,
    out: &mut String,
) -> std::result::Result<(), String> {
    let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
    if raw.is_null() {
        out.push_str("\\N");
        return Ok(());
    }
    let stored = raw.type_info().name().to_string();
    match (stored.as_str(), kind) {
        ("INTEGER", "boolean") => {
            let v: i64 = row.try_get(i).map_err(|e| e.to_string())?;
            out.push(if v != 0 { 't' } else { 'f' });
        }
        ("INTEGER", _) => {
            let v: i64 = row.try_get(i).map_err(|e| e.to_string())?;
            out.push_str(&v.to_string());
        }
        ("REAL", _) => {
            let v: f64 = row.try_get(i).map_err(|e| e.to_string())?;
            // Rust prints the shortest decimal that reads back as the same double.
            out.push_str(&v.to_string());
        }
        ("BLOB", _) => {
            let v: Vec<u8> = row.try_get(i).map_err(|e| e.to_string())?;
            out.push_str("\\\\x");
            out.push_str(&hex::encode(v));
        }
        _ => {
            let v: String = row.try_get(i).map_err(|e| e.to_string())?;
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
        }
    }
    Ok(())
}

/// Counts every table on both sides, moves the identity sequences past the largest ids, and drops the
/// bookkeeping.
async fn finish(src: &SqlitePool, dst: &PgPool, report: &CopyReport) -> Result<()> {
    for (t, n) in &report.tables {
        let count = format!("SELECT COUNT(*) FROM {}", quoted(t));
        let there: i64 = sqlx::query_scalar(AssertSqlSafe(count.clone()))
            .fetch_one(dst)
            .await?;
        let here: i64 = sqlx::query_scalar(AssertSqlSafe(count))
            .fetch_one(src)
            .await?;
        if there.unsigned_abs() != *n || here.unsigned_abs() != *n {
            return Err(fail(format!(
                "{t}: {here} linhas na origem, {there} no destino (esperadas {n}); a origem mudou durante a cópia?"
            )));
        }
    }
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
    )
    .fetch_all(dst)
    .await?;
    for (t, c) in identities {
        let (tq, cq) = (quoted(&t), quoted(&c));
        sqlx::query(AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({cq}), 1), MAX({cq}) IS NOT NULL) FROM {tq}"
        )))
        .bind(&tq)
        .bind(&c)
        .execute(dst)
        .await?;
    }
    sqlx::query(AssertSqlSafe(format!("DROP TABLE {BOOK}")))
        .execute(dst)
        .await?;
    Ok(())
}
