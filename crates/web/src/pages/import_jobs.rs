//! The page of an import job: where the file is in the queue, a live progress bar (`job.js` asks
//! [`state`] twice a second; without script the page refreshes itself), cancelling, and on the end the
//! import's summary or why nothing was imported.

use askama::Template;
use atalaia_ingest::Kind;
use atalaia_store::jobs::{JobRecord, JobState};
use axum::Json;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Chrome, local_time, render, thousands};
use crate::guard::Ctx;
use crate::{AppError, AppState};

/// A job as the pages show it.
pub(crate) struct JobRow {
    pub(crate) id: i64,
    pub(crate) kind: &'static str,
    /// The kind's code (the form's value).
    pub(crate) kind_code: String,
    pub(crate) file_name: String,
    pub(crate) actor: String,
    pub(crate) when: String,
    pub(crate) state: JobState,
    pub(crate) label: &'static str,
    /// 0–100, `None` while unknown (queued, or a file read whole at once).
    pub(crate) percent: Option<u8>,
    /// "12,4 de 80,0 MB lidos — 120.000 linhas lidas, 119.870 gravadas, 130 rejeitadas".
    pub(crate) progress: String,
    pub(crate) import_id: Option<i64>,
    pub(crate) error: Option<String>,
}

fn mb(bytes: i64) -> String {
    atalaia_core::numbers::decimal(bytes.max(0) as f64 / 1_000_000.0, 1)
}

/// The row of `job`, with this server's live progress when it runs here.
pub(crate) fn row(st: &AppState, job: JobRecord, actors: &crate::pages::Actors) -> JobRow {
    let mut p = atalaia_store::jobs::JobProgress {
        bytes_read: job.bytes_read,
        rows_read: job.rows_read,
        rows_written: job.rows_written,
        rows_rejected: job.rows_rejected,
    };
    if job.state == JobState::Running
        && let Some(live) = st.jobs.get(job.id)
    {
        p = live.progress();
    }
    let percent = match job.state {
        JobState::Done => Some(100),
        JobState::Running if job.bytes_total > 0 && p.bytes_read > 0 => {
            Some((100 * p.bytes_read / job.bytes_total).clamp(0, 99) as u8)
        }
        _ => None,
    };
    let count = |n: i64| thousands(n.max(0) as u64);
    let progress = match job.state {
        JobState::Queued => "Aguardando a vez: uma importação por vez.".to_string(),
        _ => format!(
            "{} de {} MB lidos — {} linhas lidas, {} gravadas, {} rejeitadas",
            mb(p.bytes_read.min(job.bytes_total)),
            mb(job.bytes_total),
            count(p.rows_read),
            count(p.rows_written),
            count(p.rows_rejected)
        ),
    };
    JobRow {
        id: job.id,
        kind: Kind::parse(&job.kind).map(Kind::label_pt).unwrap_or("?"),
        kind_code: job.kind.clone(),
        actor: actors.name(&job.actor),
        when: local_time(job.created_at),
        label: job.state.label_pt(),
        state: job.state,
        percent,
        progress,
        import_id: job.import_id,
        error: job.error,
        file_name: job.file_name,
    }
}

/// The jobs not ended, for the imports page.
pub(crate) async fn open_rows(
    st: &AppState,
    actors: &crate::pages::Actors,
) -> Result<Vec<JobRow>, AppError> {
    Ok(st
        .db
        .open_jobs()
        .await?
        .into_iter()
        .map(|j| row(st, j, actors))
        .collect())
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    chrome: Chrome,
    job: JobRow,
}

async fn job_of(st: &AppState, job_id: i64) -> Result<JobRecord, AppError> {
    st.db
        .job(job_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a importação na fila {job_id}")))
}

/// `GET /importacoes/tarefas/{id}`: a job that ended well goes on to its import's summary.
pub async fn page(Ctx { st, id }: Ctx, Path(job_id): Path<i64>) -> Result<Response, AppError> {
    let job = job_of(&st, job_id).await?;
    if let (JobState::Done, Some(import)) = (job.state, job.import_id) {
        return Ok(Redirect::to(&format!("/importacoes/{import}")).into_response());
    }
    let actors = crate::pages::Actors::load(&st).await?;
    let job = row(&st, job, &actors);
    let title = format!("Importação de {}", job.file_name);
    render(&JobPage {
        chrome: Chrome::new(&st, &id, &title, "/importacoes").await,
        job,
    })
}

/// `GET /importacoes/tarefas/{id}/estado`: what the page's script shows.
pub async fn state(Ctx { st, .. }: Ctx, Path(job_id): Path<i64>) -> Result<Response, AppError> {
    let job = job_of(&st, job_id).await?;
    let actors = crate::pages::Actors::load(&st).await?;
    let j = row(&st, job, &actors);
    Ok(Json(serde_json::json!({
        "state": j.state.as_str(),
        "label": j.label,
        "percent": j.percent,
        "progress": j.progress,
        "ended": j.state.ended(),
        "location": j.import_id.map(|i| format!("/importacoes/{i}")),
        "error": j.error,
    }))
    .into_response())
}

/// `POST /importacoes/tarefas/{id}/cancelar`: a queued job is cancelled at once; a running one stops
/// at its next batch and nothing of it is kept.
pub async fn cancel(Ctx { st, id }: Ctx, Path(job_id): Path<i64>) -> Result<Response, AppError> {
    let job = job_of(&st, job_id).await?;
    match (job.state, st.jobs.get(job_id)) {
        // Running here: the worker stops it and records who asked (on SQLite nothing else may write
        // while an import runs).
        (JobState::Running, Some(live)) => live.cancel(id.actor(), id.ip.clone()),
        (JobState::Queued | JobState::Running, _) => {
            let now = st.config.clock.now_utc();
            let state = st.db.cancel_job(job_id, &id.actor(), &id.ip, now).await?;
            // No worker will take it: its upload goes now.
            if state == Some(JobState::Cancelled)
                && let Some(dir) = std::path::Path::new(&job.path).parent()
            {
                let _ = tokio::fs::remove_dir_all(dir).await;
            }
        }
        _ => {}
    }
    Ok(Redirect::to(&format!("/importacoes/tarefas/{job_id}")).into_response())
}
