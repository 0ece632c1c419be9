//! The queue of import jobs (migration 0019): files sent through the web wait here for a worker.
//!
//! One job runs at a time per database, whichever server's worker claims it: the claim checks that none
//! is running and takes the oldest queued one in one write transaction (SQLite: `BEGIN IMMEDIATE`;
//! PostgreSQL: the table locked for the claim). A running job whose heartbeat stopped — its server died —
//! is queued again: its import was one transaction, so nothing of it was kept and it starts over.

use chrono::NaiveDateTime;

use crate::audit::AuditEvent;
use crate::{Db, Result, Tx, execute, on_tx};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for the worker.
    Queued,
    /// Being imported.
    Running,
    /// Imported (`import_id` names the import).
    Done,
    /// Not imported (`error` says why); nothing changed.
    Failed,
    /// Cancelled before or while it ran; nothing changed.
    Cancelled,
}

impl JobState {
    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// For people (pt-BR).
    pub fn label_pt(self) -> &'static str {
        match self {
            JobState::Queued => "Na fila",
            JobState::Running => "Importando",
            JobState::Done => "Concluída",
            JobState::Failed => "Não realizada",
            JobState::Cancelled => "Cancelada",
        }
    }

    /// Whether the job has ended (nothing more will happen to it).
    pub fn ended(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

impl TryFrom<String> for JobState {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
            JobState::Cancelled,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
        .ok_or(s)
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRecord {
    pub id: i64,
    /// The import kind's code.
    pub kind: String,
    /// The file's name as sent.
    pub file_name: String,
    /// Where the upload waits on the server.
    pub path: String,
    /// Who sent it (`user:<login>`).
    pub actor: String,
    /// From where.
    pub ip: String,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    /// The file's size.
    pub bytes_total: i64,
    /// How far the reader went.
    pub bytes_read: i64,
    /// Rows read so far.
    pub rows_read: i64,
    /// Rows inserted or changed so far.
    pub rows_written: i64,
    /// Rows rejected so far.
    pub rows_rejected: i64,
    /// The import, once done.
    pub import_id: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Who asked to cancel it while it ran.
    pub cancelled_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    /// The import profile the file is read through, by name.
    pub profile: Option<String>,
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub path: &'a str,
    pub actor: &'a str,
    pub ip: &'a str,
    pub bytes_total: i64,
    /// The import profile the file is read through (`atalaia_ingest::profile`), if any.
    pub profile: Option<&'a str>,
    /// The client's name for this push (the API's `Idempotency-Key`), unique per actor.
    pub idempotency_key: Option<&'a str>,
}

/// How far a running job went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobProgress {
    pub bytes_read: i64,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_rejected: i64,
}

/// What a worker hears back from its heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heartbeat {
    /// Go on.
    Go,
    /// Someone asked to cancel it.
    Cancel(String),
    /// The job is no longer this worker's.
    Lost,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// Imported as import `import_id`.
    Done { import_id: i64 },
    /// Not imported, for this reason (pt-BR).
    Failed(String),
    /// Cancelled at `by`'s request.
    Cancelled {
        /// Who asked (`user:<login>`).
        by: String,
        /// From where.
        ip: String,
    },
}

const COLUMNS: &str = "id, kind, file_name, path, actor, ip, state, bytes_total, bytes_read, rows_read,
    rows_written, rows_rejected, import_id, error, cancelled_by, created_at, started_at, finished_at,
    profile";

impl Db {
    /// Queues a job; returns its id.
    pub async fn queue_job(&self, job: &NewJob<'_>, now: NaiveDateTime) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO import_jobs (kind, file_name, path, actor, ip, state, bytes_total, created_at, profile,
                                          idempotency_key)
                 VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9) RETURNING id",
            )
            .bind(job.kind)
            .bind(job.file_name)
            .bind(job.path)
            .bind(job.actor)
            .bind(job.ip)
            .bind(job.bytes_total)
            .bind(now)
            .bind(job.profile)
            .bind(job.idempotency_key)
            .fetch_one(c)
            .await?
        });
        tx.commit().await?;
        Ok(id)
    }

    /// The job `actor` queued under the idempotency key `key`, if any.
    pub async fn job_by_key(&self, actor: &str, key: &str) -> Result<Option<JobRecord>> {
        let sql =
            format!("SELECT {COLUMNS} FROM import_jobs WHERE actor = $1 AND idempotency_key = $2");
        Ok(crate::on_db!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(actor)
                .bind(key)
                .fetch_optional(c)
                .await?
        }))
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM import_jobs WHERE id = $1");
        Ok(crate::on_db!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(c)
                .await?
        }))
    }

    /// The jobs not ended, oldest first (the imports page lists them).
    pub async fn open_jobs(&self) -> Result<Vec<JobRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM import_jobs WHERE state IN ('queued', 'running') ORDER BY id"
        );
        Ok(crate::on_db!(self, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(c)
                .await?
        }))
    }

    /// Claims the oldest queued job for `worker` if none is running; first queues again the running jobs
    /// whose heartbeat is older than `stale_before` (their server died mid-import).
    pub async fn claim_job(
        &self,
        worker: &str,
        now: NaiveDateTime,
        stale_before: NaiveDateTime,
    ) -> Result<Option<JobRecord>> {
        let mut tx = self.begin().await?;
        if let Tx::Pg(t) = &mut tx {
            // Two servers claiming at once must not both see "none running".
            sqlx::query("LOCK TABLE import_jobs IN EXCLUSIVE MODE")
                .execute(&mut **t)
                .await?;
        }
        execute!(
            on_tx,
            &mut tx,
            "UPDATE import_jobs SET state = 'queued', worker = NULL, started_at = NULL, bytes_read = 0,
                    rows_read = 0, rows_written = 0, rows_rejected = 0
             WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1)",
            stale_before
        );
        let running: i64 = on_tx!(&mut tx, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM import_jobs WHERE state = 'running'")
                .fetch_one(c)
                .await?
        });
        if running > 0 {
            tx.commit().await?;
            return Ok(None);
        }
        let next: Option<i64> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "SELECT id FROM import_jobs WHERE state = 'queued' ORDER BY id LIMIT 1",
            )
            .fetch_optional(c)
            .await?
        });
        let Some(id) = next else {
            tx.commit().await?;
            return Ok(None);
        };
        execute!(
            on_tx,
            &mut tx,
            "UPDATE import_jobs SET state = 'running', worker = $1, started_at = $2, heartbeat_at = $2
             WHERE id = $3",
            worker,
            now,
            id
        );
        tx.commit().await?;
        self.job(id).await
    }

    /// Records how far `worker`'s running job went and that the worker lives. Returns who asked to
    /// cancel it ([`Heartbeat::Cancel`]), or that the job is no longer this worker's
    /// ([`Heartbeat::Lost`]: it was given up for dead and queued again), which must stop its import.
    pub async fn job_heartbeat(
        &self,
        id: i64,
        worker: &str,
        p: JobProgress,
        now: NaiveDateTime,
    ) -> Result<Heartbeat> {
        let row: Option<Option<String>> = crate::on_db!(self, |c| {
            sqlx::query_scalar(
                "UPDATE import_jobs SET bytes_read = $1, rows_read = $2, rows_written = $3,
                        rows_rejected = $4, heartbeat_at = $5
                 WHERE id = $6 AND worker = $7 AND state = 'running' RETURNING cancelled_by",
            )
            .bind(p.bytes_read)
            .bind(p.rows_read)
            .bind(p.rows_written)
            .bind(p.rows_rejected)
            .bind(now)
            .bind(id)
            .bind(worker)
            .fetch_optional(c)
            .await?
        });
        Ok(match row {
            None => Heartbeat::Lost,
            Some(Some(by)) => Heartbeat::Cancel(by),
            Some(None) => Heartbeat::Go,
        })
    }

    /// Records how `worker`'s job ended, with its last progress; nothing when the job is no longer its
    /// (false then). A job done is recorded by its import's own transaction ([`Tx::complete_job`]).
    pub async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        end: &JobEnd,
        p: JobProgress,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let job = JobClaim {
            id,
            worker: worker.to_string(),
        };
        if !tx.record_job_end(&job, end, p, now).await? {
            return Ok(false);
        }
        if let JobEnd::Cancelled { by, ip } = end {
            tx.audit(&cancelled(by, ip, id, "running"), now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Cancels a queued job at `by`'s request, audited (`import.cancel`); a running one is only flagged
    /// for its worker, which audits the cancellation when its import has rolled back. Returns the job's
    /// state after the request, `None` when there is no such job.
    pub async fn cancel_job(
        &self,
        id: i64,
        by: &str,
        ip: &str,
        now: NaiveDateTime,
    ) -> Result<Option<JobState>> {
        let mut tx = self.begin().await?;
        let queued = execute!(
            on_tx,
            &mut tx,
            "UPDATE import_jobs SET state = 'cancelled', finished_at = $1 WHERE id = $2 AND state = 'queued'",
            now,
            id
        );
        if queued > 0 {
            tx.audit(&cancelled(by, ip, id, "queued"), now).await?;
        }
        execute!(
            on_tx,
            &mut tx,
            "UPDATE import_jobs SET cancelled_by = $1 WHERE id = $2 AND state = 'running'",
            by,
            id
        );
        tx.commit().await?;
        Ok(self.job(id).await?.map(|j| j.state))
    }
}

/// The audit entry of a cancelled job.
fn cancelled(by: &str, ip: &str, id: i64, was: &str) -> AuditEvent {
    AuditEvent::new(by.to_string(), "import.cancel")
        .object(format!("import_job:{id}"))
        .details(serde_json::json!({"state": was}))
        .ip(ip)
}

/// The worker and job an import runs for: the import's transaction records the job done with it, so
/// that a server stopped between the two can neither lose the end of a finished import nor import
/// the file twice (the job, queued again, would re-import it as "unchanged").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobClaim {
    pub id: i64,
    pub worker: String,
}

impl Tx {
    /// Records, in this transaction, that `job` is done with `import_id`; false when the job is no
    /// longer its worker's (given up for dead and queued again): the import must then roll back.
    pub async fn complete_job(
        &mut self,
        job: &JobClaim,
        import_id: i64,
        p: JobProgress,
        now: NaiveDateTime,
    ) -> Result<bool> {
        self.record_job_end(job, &JobEnd::Done { import_id }, p, now)
            .await
    }

    async fn record_job_end(
        &mut self,
        job: &JobClaim,
        end: &JobEnd,
        p: JobProgress,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let (state, import_id, error) = match end {
            JobEnd::Done { import_id } => (JobState::Done, Some(*import_id), None),
            JobEnd::Failed(why) => (JobState::Failed, None, Some(why.as_str())),
            JobEnd::Cancelled { .. } => (JobState::Cancelled, None, None),
        };
        let held = execute!(
            on_tx,
            self,
            "UPDATE import_jobs SET state = $1, import_id = $2, error = $3, finished_at = $4,
                    bytes_read = $5, rows_read = $6, rows_written = $7, rows_rejected = $8
             WHERE id = $9 AND worker = $10 AND state = 'running'",
            state.as_str(),
            import_id,
            error,
            now,
            p.bytes_read,
            p.rows_read,
            p.rows_written,
            p.rows_rejected,
            job.id,
            job.worker.as_str()
        );
        Ok(held > 0)
    }
}
