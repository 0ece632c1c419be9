//! The API's writes and their jobs (issue 22 §1): a file — or a JSON array of rows — pushed to
//! `POST /api/v1/imports/{kind}` is queued as a web upload is (the same importer, the same audit);
//! `GET /api/v1/jobs/{id}` follows it to its summary and rejected rows. An `Idempotency-Key` names a
//! push: a retry with the same key finds the first job instead of importing twice. Errors are RFC 9457
//! problem details with the reason in Portuguese.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::guard::Ctx;
use crate::pages::imports::{new_upload_dir, profile_for, rejects_path};
use crate::{AppError, AppState};
use atalaia_ingest::Kind;
use atalaia_store::jobs::{JobRecord, NewJob};

/// Rejected rows a job's answer carries at the most (the rest stay in its rejects file).
pub const REJECTS_SHOWN: usize = 1000;

/// The longest idempotency key taken.
const KEY_MAX: usize = 200;

/// An RFC 9457 problem, as every API refusal answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Why, in Portuguese, naming the value refused.
    pub detail: String,
}

/// An RFC 9457 problem: `type`, `title`, `status`, `detail`.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = Problem {
        kind: "about:blank".into(),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

/// A handler's failure as a problem; a server failure as every other (logged, with the request's code).
pub(crate) fn answer(result: Result<Response, AppError>) -> Response {
    match result {
        Ok(r) => r,
        Err(AppError::BadRequest(why)) => problem(StatusCode::BAD_REQUEST, "Pedido inválido", &why),
        // The program's rules refuse it (a period not begun…): the reason, as the pages give it.
        Err(AppError::Store(atalaia_store::StoreError::Refused(why))) => {
            problem(StatusCode::BAD_REQUEST, "Pedido inválido", &why.to_string())
        }
        Err(AppError::NotFound(what)) => problem(
            StatusCode::NOT_FOUND,
            "Não encontrado",
            &format!("não encontrado: {what}"),
        ),
        Err(e) => e.into_response(),
    }
}

/// `?profile=NAME`: the source's import profile.
#[derive(Debug, Deserialize, Default)]
pub struct PushQuery {
    profile: Option<String>,
}

/// What a push answers: the job and where to follow it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Accepted {
    pub job: i64,
    pub status: String,
    /// Whether this push found an earlier job by its idempotency key.
    pub replayed: bool,
}

/// A JSON array of row objects as a CSV of their keys (first seen first); values as text.
fn rows_to_csv(rows: &[serde_json::Value]) -> Result<Vec<u8>, String> {
    let mut header: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let obj = row
            .as_object()
            .ok_or_else(|| format!("linha {}: esperado um objeto com as colunas", i + 1))?;
        for k in obj.keys() {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("csv: {e}");
    w.write_record(&header).map_err(fail)?;
    for row in rows {
        let cells = header.iter().map(|k| match &row[k] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        w.write_record(cells).map_err(fail)?;
    }
    w.into_inner().map_err(|e| format!("csv: {e}"))
}

/// `POST /api/v1/imports/{kind}[?profile=NAME]`: the body is the file (CSV or XLSX, any type but
/// JSON) or, as `application/json`, an array of row objects; answers 202 with the job.
pub async fn push(
    Ctx { st, id }: Ctx,
    Path(kind): Path<String>,
    Query(q): Query<PushQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        async {
            let Some(kind) = Kind::parse(&kind) else {
                return Err(AppError::BadRequest(format!(
                    "tipo de importação `{kind}` desconhecido; esperado um de: {}",
                    Kind::ALL.map(|k| k.as_str()).join(", ")
                )));
            };
            let profile = q.profile.as_deref().filter(|p| !p.is_empty());
            if let Some(name) = profile {
                profile_for(&st, name, kind).await?;
            }
            let key = idempotency_key(&headers)?;
            let actor = id.actor();
            if let Some(k) = &key
                && let Some(job) = st.primary.job_by_key(&actor, k).await?
            {
                return Ok(accepted(job.id, true));
            }
            let (bytes, name) = pushed_file(kind, &headers, &body)?;
            let dir = new_upload_dir(&st.config.data_dir);
            let path = dir.join(&name);
            let kept = async {
                tokio::fs::create_dir_all(&dir).await?;
                tokio::fs::write(&path, &bytes).await
            };
            kept.await
                .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
            let queued = st
                .primary
                .queue_job(
                    &NewJob {
                        kind: kind.as_str(),
                        file_name: &name,
                        path: &path.to_string_lossy(),
                        actor: &actor,
                        ip: &id.ip,
                        bytes_total: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                        profile,
                        idempotency_key: key.as_deref(),
                    },
                    st.config.clock.now_utc(),
                )
                .await;
            match queued {
                Ok(job) => {
                    st.jobs.queued();
                    Ok(accepted(job, false))
                }
                Err(e) => {
                    let _ = tokio::fs::remove_dir_all(&dir).await;
                    // Two pushes with one key at once: the second finds the first's job.
                    let first = match key.as_deref() {
                        Some(k) => st.primary.job_by_key(&actor, k).await?,
                        None => None,
                    };
                    first.map(|job| accepted(job.id, true)).ok_or(e.into())
                }
            }
        }
        .await,
    )
}

/// The push's `Idempotency-Key`, if it sent one: 1 to [`KEY_MAX`] characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or_default().trim().to_string());
    match key {
        Some(k) if k.is_empty() || k.len() > KEY_MAX => Err(AppError::BadRequest(format!(
            "Idempotency-Key inválida: esperado um texto de 1 a {KEY_MAX} caracteres"
        ))),
        key => Ok(key),
    }
}

/// The pushed body as the file to import and its name: the bytes as sent (CSV or XLSX), or a JSON
/// array of rows written as a CSV of their keys.
fn pushed_file(
    kind: Kind,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Vec<u8>, String), AppError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        let rows: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|e| {
            AppError::BadRequest(format!("JSON inválido: esperado um array de linhas ({e})"))
        })?;
        let csv = rows_to_csv(&rows).map_err(AppError::BadRequest)?;
        return Ok((csv, format!("{}.csv", kind.as_str())));
    }
    if body.is_empty() {
        return Err(AppError::BadRequest(
            "corpo vazio: envie o arquivo ou um array JSON de linhas".into(),
        ));
    }
    let ext = if body.starts_with(b"PK\x03\x04") {
        "xlsx"
    } else {
        "csv"
    };
    Ok((body.to_vec(), format!("{}.{ext}", kind.as_str())))
}

fn accepted(job: i64, replayed: bool) -> Response {
    let status = format!("/api/v1/jobs/{job}");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, status.clone())],
        axum::Json(Accepted {
            job,
            status,
            replayed,
        }),
    )
        .into_response()
}

/// `GET /api/v1/jobs/{id}`: a job's state and counts; once done, the import's summary and its rejected
/// rows (line and reason, at most [`REJECTS_SHOWN`]).
pub async fn job(Ctx { st, id: _ }: Ctx, Path(job_id): Path<i64>) -> Response {
    answer(
        async {
            let job: JobRecord = st
                .primary
                .job(job_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("o trabalho {job_id}")))?;
            let mut out = JobOut {
                id: job.id,
                ended: matches!(job.state.as_str(), "done" | "failed" | "cancelled"),
                state: job.state.as_str(),
                kind: job.kind,
                file_name: job.file_name,
                rows_read: job.rows_read,
                rows_written: job.rows_written,
                rows_rejected: job.rows_rejected,
                error: job.error,
                import_id: job.import_id,
                summary: None,
                rejects: Vec::new(),
            };
            if let Some(import_id) = job.import_id
                && let Some(rec) = st.primary.import_record(import_id).await?
            {
                let c = rec.counts;
                out.summary = Some(JobSummary {
                    read: c.read,
                    inserted: c.inserted,
                    updated: c.updated,
                    unchanged: c.unchanged,
                    rejected: c.rejected,
                });
                out.rejects = rejected_rows(&st, import_id);
            }
            Ok(axum::Json(out).into_response())
        }
        .await,
    )
}

/// A job as `GET /api/v1/jobs/{id}` answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Job")]
pub struct JobOut {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: &'static str,
    /// Whether it will change no more.
    pub ended: bool,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_rejected: i64,
    pub error: Option<String>,
    pub import_id: Option<i64>,
    /// The import's counts, once it ran.
    pub summary: Option<JobSummary>,
    /// The first rejected rows, at most [`REJECTS_SHOWN`].
    pub rejects: Vec<RejectOut>,
}

/// An import's counts.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct JobSummary {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// A rejected row: its line in the file (none for a file-level reason) and why.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RejectedRow")]
pub struct RejectOut {
    pub line: Option<u64>,
    pub reason: String,
}

/// The first rejected rows of an import, from its kept rejects file.
fn rejected_rows(st: &AppState, import_id: i64) -> Vec<RejectOut> {
    let path = rejects_path(&st.config.data_dir, import_id);
    let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(&path) else {
        return Vec::new();
    };
    reader
        .records()
        .filter_map(Result::ok)
        .take(REJECTS_SHOWN)
        .map(|r| RejectOut {
            line: r.get(0).and_then(|l| l.parse::<u64>().ok()),
            reason: r.get(1).unwrap_or_default().to_string(),
        })
        .collect()
}

/// The most bytes of an answer the ETag is computed over; a larger one goes without it.
const ETAG_BODY_MAX: usize = 256 << 20;

/// A machine read's answer with an `ETag` (the first 16 bytes of its body's SHA-256, hex): a client
/// that sends it back in `If-None-Match` gets 304 and no body while nothing changed.
pub async fn etag(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use sha2::{Digest, Sha256};
    let wanted = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ETAG_BODY_MAX).await else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erro interno",
            "a resposta passou do tamanho que o servidor envia",
        );
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!("\"{}\"", hex::encode(&digest[..16]));
    if let Ok(v) = axum::http::HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    let matches = wanted.is_some_and(|w| w.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
