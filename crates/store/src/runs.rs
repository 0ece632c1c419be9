//! Saved runs of any program (`atalaia_core::pipeline::Program`): one type that freezes a result with
//! everything it was computed from, reads it back, and replays it byte for byte.
//!
//! A run is what the committee publishes and what is paid (goias-cidadao-seguro.md §7): the
//! configuration document, the inputs and the result, each result and input sealed by its SHA-256, and
//! the program's [`Program::Frozen`] part. Nothing trusts the stored result blindly: [`SavedRun::replay`]
//! recomputes it with the program's pure rule and says whether the bytes agree. Each program keeps its
//! runs in its own table (`recap_runs`, `ipei_runs`: other columns hang off them, such as RECAP's traced
//! sources); this module is the only code that reads or writes either.

use atalaia_core::cycle::CycleKind;
use atalaia_core::pipeline::Program;
use atalaia_core::program::{ProgramConfig, ProgramDocument};
use chrono::NaiveDateTime;
// Every SQL text here is put together from the fixed names of [`table`], never from input.
use sqlx::AssertSqlSafe;

use crate::{Db, Result, StoreError, on_db, on_tx};

/// A saved run, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRun {
    /// Whose run.
    pub program: CycleKind,
    /// The run's number (per program).
    pub id: i64,
    /// The period's code: `2024-Q1` (RECAP) or `2024-03` (IPEI).
    pub period: String,
    /// The configuration version used (none: the decree's defaults).
    pub config_id: Option<i64>,
    /// The configuration document used.
    pub config: String,
    /// The inputs as read (JSON of [`Program::Inputs`]).
    pub inputs: String,
    /// SHA-256 of `inputs`.
    pub inputs_sha256: String,
    /// The result's exact bytes (contracts.md's JSON).
    pub result: String,
    /// SHA-256 of `result`.
    pub result_sha256: String,
    /// Who saved it.
    pub created_by: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
    /// The program's [`Program::Frozen`] part as stored (RECAP: the roster snapshot; IPEI: the stage).
    pub frozen: Option<String>,
}

/// A saved run as lists show it: its number, period, author and hashes, without the inputs and result
/// that may run to megabytes (a state's roster).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunListing {
    pub id: i64,
    /// The period's code: `2024-Q1` (RECAP) or `2024-03` (IPEI).
    pub period: String,
    pub inputs_sha256: String,
    pub result_sha256: String,
    pub created_by: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// A run to save: the program's computed parts, serialized by the caller.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// The period's code.
    pub period: &'a str,
    /// The configuration version.
    pub config_id: Option<i64>,
    /// The configuration document.
    pub config: &'a str,
    /// The inputs' JSON.
    pub inputs: &'a str,
    /// The result's JSON.
    pub result: &'a str,
    /// [`Program::freeze`]'s text.
    pub frozen: Option<&'a str>,
    /// What each count rested on (`crate::trace`), kept beside the run (RECAP's).
    pub sources: Option<&'a [crate::trace::Source]>,
    /// The program's own columns of its runs table and their values (RECAP: its baseline quarter and
    /// the hashes of its roster and sources).
    pub columns: Vec<(&'static str, Option<String>)>,
    /// The program's own fields of the audit entry (`<program>.run_saved`), beside the hashes.
    pub audit: serde_json::Value,
}

/// A saved run recomputed from what it froze.
#[derive(Debug, Clone)]
pub struct Replay<P: Program> {
    /// The result recomputed by the program's rule.
    pub report: P::Report,
    /// The frozen inputs.
    pub inputs: P::Inputs,
    /// The frozen configuration.
    pub config: ProgramConfig,
    /// The frozen rest ([`Program::Frozen`]).
    pub frozen: P::Frozen,
    /// Whether the recomputed result's bytes are the saved result's.
    pub reproduces: bool,
}

impl SavedRun {
    /// Recomputes the run from its frozen inputs, configuration and program part.
    pub fn replay<P: Program>(&self) -> Result<Replay<P>> {
        let corrupt = |what: &str, e: String| {
            StoreError::Corrupt(format!("{what} da execução {}: {e}", self.id))
        };
        if self.program != P::KIND {
            return Err(corrupt("programa", self.program.as_str().into()));
        }
        let inputs: P::Inputs =
            serde_json::from_str(&self.inputs).map_err(|e| corrupt("entradas", e.to_string()))?;
        let config = ProgramDocument::from_json(&self.config)
            .and_then(|d| d.validate())
            .map_err(|e| corrupt("configuração", e.to_string()))?;
        let frozen = P::thaw(self.frozen.as_deref()).map_err(|e| corrupt("congelado", e))?;
        let report = P::compute(&config, &inputs, &frozen);
        let reproduces = serde_json::to_string(&report).is_ok_and(|s| s == self.result);
        Ok(Replay {
            report,
            inputs,
            config,
            frozen,
            reproduces,
        })
    }
}

/// Lower-case hex SHA-256 of a text (runs, rosters).
pub(crate) fn sha256(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Each program's table and the names of its period and frozen columns.
fn table(program: CycleKind) -> (&'static str, &'static str, &'static str) {
    match program {
        CycleKind::Recap => ("recap_runs", "quarter", "roster"),
        CycleKind::Ipei => ("ipei_runs", "month", "stage"),
    }
}

type RunRow = (
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<String>,
);

fn select(program: CycleKind, filter: &str) -> String {
    let (table, period, frozen) = table(program);
    format!(
        "SELECT id, {period}, config_id, config, inputs, inputs_sha256, result, result_sha256,
                created_by, created_at, {frozen} FROM {table} {filter} ORDER BY id DESC"
    )
}

fn run_of(program: CycleKind, r: RunRow) -> SavedRun {
    SavedRun {
        program,
        id: r.0,
        period: r.1,
        config_id: r.2,
        config: r.3,
        inputs: r.4,
        inputs_sha256: r.5,
        result: r.6,
        result_sha256: r.7,
        created_by: r.8,
        created_at: r.9,
        frozen: r.10,
    }
}

impl Db {
    /// Saves a run with its audit entry (`<program>.run_saved`) in one transaction; returns its id.
    /// The caller has refused periods that may not pay yet (`atalaia_core::closing`).
    pub async fn save_run(
        &self,
        program: CycleKind,
        run: &NewRun<'_>,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let (inputs_sha, result_sha) = (sha256(run.inputs), sha256(run.result));
        let (table, period_column, frozen_column) = table(program);
        let extra_columns: String = run.columns.iter().map(|(c, _)| format!(", {c}")).collect();
        let extra_values: String = (0..run.columns.len())
            .map(|i| format!(", ${}", 11 + i))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({period_column}, config_id, config, inputs, inputs_sha256, result,
                 result_sha256, created_by, created_at, {frozen_column}{extra_columns})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10{extra_values}) RETURNING id"
        );
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            let q = sqlx::query_scalar(AssertSqlSafe(sql.clone()))
                .bind(run.period)
                .bind(run.config_id)
                .bind(run.config)
                .bind(run.inputs)
                .bind(&inputs_sha)
                .bind(run.result)
                .bind(&result_sha)
                .bind(actor)
                .bind(now)
                .bind(run.frozen);
            let q = run.columns.iter().fold(q, |q, (_, v)| q.bind(v));
            q.fetch_one(c).await?
        });
        if let Some(sources) = run.sources {
            tx.put_run_sources(id, sources).await?;
        }
        let mut details = run.audit.clone();
        details["config_id"] = serde_json::json!(run.config_id);
        details["inputs_sha256"] = serde_json::json!(inputs_sha);
        details["result_sha256"] = serde_json::json!(result_sha);
        tx.audit(
            &crate::audit::AuditEvent::new(actor, format!("{}.run_saved", program.as_str()))
                .object(format!("{}_run:{id}", program.as_str()))
                .details(details),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A saved run of `program`.
    pub async fn saved_run(&self, program: CycleKind, id: i64) -> Result<Option<SavedRun>> {
        let sql = select(program, "WHERE id = $1");
        let row: Option<RunRow> = on_db!(self, |c| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(c)
                .await?
        });
        Ok(row.map(|r| run_of(program, r)))
    }

    /// The latest `limit` saved runs of `program` for a period's code (every period when `None`),
    /// newest first, as lists show them.
    pub async fn run_listing(
        &self,
        program: CycleKind,
        period: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RunListing>> {
        let (table, period_column, _) = table(program);
        let sql = format!(
            "SELECT id, {period_column} AS period, inputs_sha256, result_sha256, created_by, created_at
             FROM {table} WHERE ($1 = '' OR {period_column} = $1) ORDER BY id DESC LIMIT $2"
        );
        Ok(on_db!(self, |c| sqlx::query_as(AssertSqlSafe(sql.clone()))
            .bind(period.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?))
    }

    /// The saved runs of `program` for a period's code (every period when `None`), newest first.
    pub async fn saved_runs(
        &self,
        program: CycleKind,
        period: Option<&str>,
    ) -> Result<Vec<SavedRun>> {
        let (_, period_column, _) = table(program);
        let rows: Vec<RunRow> = match period {
            Some(p) => {
                let sql = select(program, &format!("WHERE {period_column} = $1"));
                on_db!(self, |c| sqlx::query_as(AssertSqlSafe(sql.clone()))
                    .bind(p)
                    .fetch_all(c)
                    .await?)
            }
            None => {
                let sql = select(program, "");
                on_db!(self, |c| sqlx::query_as(AssertSqlSafe(sql.clone()))
                    .fetch_all(c)
                    .await?)
            }
        };
        Ok(rows.into_iter().map(|r| run_of(program, r)).collect())
    }
}
