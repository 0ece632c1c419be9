//! The programs through the API: a period's RECAP or IPEI with today's data, and the saved runs an
//! auditor checks — what each froze, its sealed result, whether it replays to the same bytes, and its
//! memória. The same rules as the pages: levels and payments only for a period that is over, a unit
//! head reads his units only, saved runs only by those who read whole runs.

use axum::Json;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppError;
use crate::api::jobs::answer;
use crate::guard::Ctx;
use crate::pages::program::runs::{RunPages, saved_run};

/// `GET /api/v1/recap/{quarter}`: the quarter's RECAP result with today's data, as `recap compute`
/// writes it (contracts.md §3): levels only once the quarter is over; a unit head gets his units only.
pub async fn recap(
    Ctx { st, id }: crate::guard::Ctx,
    Path(quarter): axum::extract::Path<String>,
) -> Response {
    answer(
        async {
            let q = atalaia_core::Quarter::parse(&quarter).map_err(|e| {
                AppError::BadRequest(format!("trimestre `{quarter}` inválido: {e}"))
            })?;
            let c = st
                .db
                .compute_quarter(q, None, st.config.clock.today())
                .await?;
            let mut report = c.report;
            if !id.reads_whole_runs() {
                report.units.retain(|u| id.heads_unit(&u.code));
            }
            Ok(Json(report).into_response())
        }
        .await,
    )
}

/// `GET /api/v1/ipei/{month}`: the month's IPEI with today's data (`ipei result`'s JSON, with its
/// memória): payments only once the month is over.
pub async fn ipei(
    Ctx { st, id: _ }: crate::guard::Ctx,
    Path(month): axum::extract::Path<String>,
) -> Response {
    answer(
        async {
            let m = atalaia_core::Month::parse(&month)
                .map_err(|e| AppError::BadRequest(format!("mês `{month}` inválido: {e}")))?;
            let report = st.db.ipei_result(m, st.config.clock.today()).await?;
            Ok(Json(report).into_response())
        }
        .await,
    )
}

/// A saved run as the API lists it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunSummary {
    pub id: i64,
    /// The period's code: `2026-Q2` (RECAP) or `2026-05` (IPEI).
    pub period: String,
    pub inputs_sha256: String,
    pub result_sha256: String,
    pub created_by: String,
    /// When, UTC.
    pub created_at: chrono::NaiveDateTime,
}

/// `GET /api/v1/{recap,ipei}/runs`: every saved run of the program, newest first.
pub(crate) async fn runs<P: RunPages>(Ctx { st, id }: Ctx) -> Response {
    answer(
        async {
            if !id.reads_whole_runs() {
                return Err(AppError::NotFound("as execuções salvas".into()));
            }
            let out: Vec<RunSummary> = st
                .db
                .run_listing(P::KIND, None, u32::MAX)
                .await?
                .into_iter()
                .map(|r| RunSummary {
                    id: r.id,
                    period: r.period,
                    inputs_sha256: r.inputs_sha256,
                    result_sha256: r.result_sha256,
                    created_by: r.created_by,
                    created_at: r.created_at,
                })
                .collect();
            Ok(Json(out).into_response())
        }
        .await,
    )
}

/// A section of a run's memória de cálculo.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MemoriaSection {
    pub title: String,
    pub lines: Vec<String>,
}

/// The result a run sealed: a RECAP or an IPEI report (the program is in the path).
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // only its schema is used: the answer carries the stored JSON itself
enum RunResult {
    Recap(atalaia_core::recap::Report),
    Ipei(atalaia_core::ipei::IpeiReport),
}

/// A saved run: what it sealed and whether it still reproduces.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunOut {
    pub id: i64,
    pub period: String,
    pub created_by: String,
    pub created_at: chrono::NaiveDateTime,
    /// SHA-256 of the frozen inputs.
    pub inputs_sha256: String,
    /// SHA-256 of `result_json`'s bytes.
    pub result_sha256: String,
    /// Whether recomputing from the frozen inputs gives the sealed bytes again.
    pub reproduces: bool,
    /// The configuration the run used.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub config: serde_json::Value,
    /// The sealed result, byte for byte as its SHA-256 was taken.
    pub result_json: String,
    /// The same result, parsed.
    #[schemars(with = "RunResult")]
    pub result: serde_json::Value,
    pub memoria: Vec<MemoriaSection>,
}

/// `GET /api/v1/{recap,ipei}/runs/{id}`: one saved run with its memória.
pub(crate) async fn run<P: RunPages>(Ctx { st, id }: Ctx, Path(run_id): Path<i64>) -> Response {
    answer(
        async {
            crate::pages::require_whole_run(&id, run_id)?;
            let run = saved_run::<P>(&st, run_id).await?;
            let replayed = run.replay::<P>()?;
            let parse = |text: &str| {
                serde_json::from_str(text)
                    .map_err(|e| AppError::Internal(format!("execução {run_id} ilegível: {e}")))
            };
            Ok(Json(RunOut {
                id: run.id,
                created_at: run.created_at,
                reproduces: replayed.reproduces,
                config: parse(&run.config)?,
                result: parse(&run.result)?,
                memoria: P::memoria(&replayed.report)
                    .into_iter()
                    .map(|(title, lines)| MemoriaSection { title, lines })
                    .collect(),
                period: run.period,
                created_by: run.created_by,
                inputs_sha256: run.inputs_sha256,
                result_sha256: run.result_sha256,
                result_json: run.result,
            })
            .into_response())
        }
        .await,
    )
}
