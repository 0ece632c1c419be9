//! The import worker: each server runs one ([`spawn_worker`]), which claims queued jobs from the
//! database (`atalaia_store::jobs`: one at a time per database, whichever server claims it), runs them
//! with the command line's importer, and, idle, keeps the analyses of the latest data computed
//! (`crate::cache::warm`, unless `WebConfig::warm_analyses` is off). What a running job has done so far lives in [`Live`], which the
//! job page reads; on PostgreSQL the worker also writes it to the job's row every [`HEARTBEAT`], so
//! the other servers see it and can tell a dead worker from a slow import. SQLite has one writer: while
//! an import holds it nothing else may write, so there the row is written only at the start and the end
//! (a SQLite database has one server, and a job found running when it starts died with the last one).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atalaia_ingest::{ImportError, Kind, Progress};
use atalaia_store::Backend;
use atalaia_store::jobs::{Heartbeat, JobClaim, JobEnd, JobProgress, JobRecord};

use crate::AppState;

/// How often a running job's row is brought up to date (PostgreSQL).
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// A running job whose row was not brought up to date for this long died with its server.
const STALE: chrono::Duration = chrono::Duration::seconds(60);

/// How often an idle worker looks for queued jobs sent to other servers (an upload to this one wakes
/// it at once).
const POLL: Duration = Duration::from_secs(2);

/// What a job running on this server has done so far; the importer reports into it.
#[derive(Debug, Default)]
pub struct LiveJob {
    bytes_total: AtomicU64,
    bytes_read: AtomicU64,
    rows_read: AtomicU64,
    rows_written: AtomicU64,
    rows_rejected: AtomicU64,
    cancel: AtomicBool,
    cancelled_by: Mutex<Option<(String, String)>>,
    /// The job was given up for dead and queued again: its upload is the next run's.
    lost: AtomicBool,
}

impl LiveJob {
    /// How far it went.
    pub fn progress(&self) -> JobProgress {
        let n = |a: &AtomicU64| i64::try_from(a.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        JobProgress {
            bytes_read: n(&self.bytes_read),
            rows_read: n(&self.rows_read),
            rows_written: n(&self.rows_written),
            rows_rejected: n(&self.rows_rejected),
        }
    }

    /// Asks the import to stop at its next batch, on `by`'s behalf.
    pub fn cancel(&self, by: String, ip: String) {
        if let Ok(mut who) = self.cancelled_by.lock() {
            who.get_or_insert((by, ip));
        }
        self.cancel.store(true, Ordering::SeqCst);
    }

    fn canceller(&self) -> (String, String) {
        self.cancelled_by
            .lock()
            .ok()
            .and_then(|w| w.clone())
            .unwrap_or_else(|| ("desconhecido".into(), String::new()))
    }
}

impl Progress for LiveJob {
    fn start(&self, total_bytes: u64) {
        self.bytes_total.store(total_bytes, Ordering::Relaxed);
    }
    fn position(&self, bytes: u64) {
        self.bytes_read.store(bytes, Ordering::Relaxed);
    }
    fn finish(&self) {}
    fn rows(&self, read: u64, written: u64, rejected: u64) {
        self.rows_read.store(read, Ordering::Relaxed);
        self.rows_written.store(written, Ordering::Relaxed);
        self.rows_rejected.store(rejected, Ordering::Relaxed);
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// The jobs running on this server, and the bell that wakes its worker.
#[derive(Debug, Default)]
pub struct Live {
    running: Mutex<HashMap<i64, Arc<LiveJob>>>,
    wake: tokio::sync::Notify,
    /// The data version whose analyses the worker last computed again, plus one (0: none yet).
    warmed: AtomicU64,
}

impl Live {
    /// The data version whose analyses (`crate::cache::warm`) are computed, `None` before the first
    /// warm-up: until it equals the data version, a first page may still compute its own.
    pub fn warmed_version(&self) -> Option<i64> {
        let v = self.warmed.load(Ordering::Relaxed);
        v.checked_sub(1).and_then(|v| i64::try_from(v).ok())
    }

    /// The job `id`, if it runs here.
    pub fn get(&self, id: i64) -> Option<Arc<LiveJob>> {
        self.running.lock().ok()?.get(&id).cloned()
    }

    /// Wakes the worker: a job was queued here.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    fn enter(&self, id: i64) -> Arc<LiveJob> {
        let job = Arc::new(LiveJob::default());
        if let Ok(mut m) = self.running.lock() {
            m.insert(id, job.clone());
        }
        job
    }

    fn leave(&self, id: i64) {
        if let Ok(mut m) = self.running.lock() {
            m.remove(&id);
        }
    }
}

/// Starts this server's worker; it runs until the process ends.
pub fn spawn_worker(st: &AppState) -> tokio::task::JoinHandle<()> {
    let st = st.clone();
    let worker = format!(
        "{}-{}",
        std::process::id(),
        &crate::security::random_token()[..8]
    );
    tokio::spawn(async move {
        loop {
            let now = st.config.clock.now_utc();
            // A SQLite database has one server: whatever is running now was left by a dead one.
            let stale_before = match st.db.backend() {
                Backend::Sqlite => now + chrono::Duration::seconds(1),
                Backend::Postgres => now - STALE,
            };
            match st.db.claim_job(&worker, now, stale_before).await {
                Ok(Some(job)) => run(&st, &worker, job).await,
                Ok(None) => {
                    // Idle: if anyone imported (here, another server, the command line), the
                    // analyses the first pages ask for are computed now, not by those pages.
                    if st.config.warm_analyses
                        && let Ok(version) = st.db.data_version().await
                        && st.jobs.warmed_version() != Some(version)
                    {
                        crate::cache::warm(&st).await;
                        let plus_one = u64::try_from(version).unwrap_or(0).saturating_add(1);
                        st.jobs.warmed.store(plus_one, Ordering::Relaxed);
                    }
                    let _ = tokio::time::timeout(POLL, st.jobs.wake.notified()).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "import worker: claiming a job");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    })
}

/// Runs one claimed job to its end and records it.
async fn run(st: &AppState, worker: &str, job: JobRecord) {
    let live = st.jobs.enter(job.id);
    let heartbeat = (st.db.backend() == Backend::Postgres).then(|| {
        let (st, live, id, worker) = (st.clone(), live.clone(), job.id, worker.to_string());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                let now = st.config.clock.now_utc();
                match st.db.job_heartbeat(id, &worker, live.progress(), now).await {
                    Ok(Heartbeat::Go) => {}
                    Ok(Heartbeat::Cancel(by)) => live.cancel(by, String::new()),
                    // Given up for dead and queued again: another worker runs it; this import stops
                    // and rolls back.
                    Ok(Heartbeat::Lost) => {
                        tracing::warn!(job = id, "import worker: job taken over, stopping");
                        live.lost.store(true, Ordering::SeqCst);
                        live.cancel("desconhecido".into(), String::new());
                    }
                    Err(e) => tracing::error!(error = %e, job = id, "import worker: heartbeat"),
                }
            }
        })
    });
    let end = import(st, &job, worker, live.clone()).await;
    if let Some(h) = heartbeat {
        h.abort();
    }
    // A finished import recorded its job done in its own transaction.
    if let JobEnd::Done { .. } = end {
        st.jobs.leave(job.id);
        return;
    }
    let now = st.config.clock.now_utc();
    match st
        .db
        .finish_job(job.id, worker, &end, live.progress(), now)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!(job = job.id, "import worker: the job was no longer ours"),
        Err(e) => {
            tracing::error!(error = %e, job = job.id, "import worker: recording the end of a job")
        }
    }
    st.jobs.leave(job.id);
}

/// The import of a job's file, as the command line does it; the upload's folder is removed after.
async fn import(st: &AppState, job: &JobRecord, worker: &str, live: Arc<LiveJob>) -> JobEnd {
    let path = PathBuf::from(&job.path);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let Some(kind) = Kind::parse(&job.kind) else {
        return JobEnd::Failed(format!("tipo de importação `{}` desconhecido", job.kind));
    };
    let profile = match job.profile.as_deref() {
        None => None,
        Some(name) => match crate::pages::imports::profile_for(st, name, kind).await {
            Ok(p) => Some(p),
            Err(crate::AppError::BadRequest(why)) => return JobEnd::Failed(why),
            Err(e) => return JobEnd::Failed(e.to_string()),
        },
    };
    let rejects_tmp = dir.join("rejeitadas.csv");
    let result = crate::pages::imports::run_importer(
        st,
        kind,
        &path,
        &rejects_tmp,
        crate::pages::imports::RunFor {
            actor: job.actor.clone(),
            ip: job.ip.clone(),
            units_allowed: None,
            job: Some(JobClaim {
                id: job.id,
                worker: worker.to_string(),
            }),
            profile,
        },
        live.clone(),
    )
    .await;
    // A job given up for dead and queued again keeps its upload for the run that now holds it.
    let taken_over =
        matches!(result, Ok(Err(ImportError::TakenOver))) || live.lost.load(Ordering::SeqCst);
    let end = match result {
        Ok(Ok(summary)) => JobEnd::Done {
            import_id: summary.import_id,
        },
        Ok(Err(ImportError::Cancelled)) => {
            let (by, ip) = live.canceller();
            JobEnd::Cancelled { by, ip }
        }
        // The importer names the file by its path on the server; the user knows it by its name.
        Ok(Err(e)) => JobEnd::Failed(
            e.to_string()
                .replace(&path.display().to_string(), &job.file_name),
        ),
        Err(e) => {
            tracing::error!(error = %e, job = job.id, "import worker: the import task failed");
            JobEnd::Failed(
                "a importação parou inesperadamente; nada foi gravado. Tente de novo.".into(),
            )
        }
    };
    if !dir.as_os_str().is_empty() && !taken_over {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    end
}
