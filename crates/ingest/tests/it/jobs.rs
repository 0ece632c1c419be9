//! An import run for a web job records the job done in its own transaction: a server stopped between
//! the two can neither leave a finished import with its job still running (queued again, it would
//! import the file a second time) nor finish an import whose job another server has taken over.

use std::sync::Arc;

use atalaia_ingest::{ImportError, Kind};
use atalaia_store::Db;
use atalaia_store::jobs::{JobClaim, JobState, NewJob};
use atalaia_store::per_backend;

const FILE: &str = "id,occurred_at,crime,lat,lon,territory_code,victims,unit_code
BO-1,2025-03-01T10:00:00,roubo_veiculo,-16.65,-49.25,,1,
BO-2,2025-03-02T11:00:00,roubo_veiculo,-16.66,-49.26,,1,
BO-3,2025-03-02T12:00:00,nao_existe,-16.66,-49.26,,1,
";

/// A queued job claimed by `worker`; its id.
async fn claimed(db: &Db, worker: &str) -> i64 {
    let now = crate::opts(None).now;
    let id = db
        .queue_job(
            &NewJob {
                kind: "occurrences",
                file_name: "ocorrencias.csv",
                path: "/tmp/envios/ocorrencias.csv",
                actor: "user:analista",
                ip: "10.0.0.1",
                bytes_total: FILE.len() as i64,
                profile: None,
                idempotency_key: None,
            },
            now,
        )
        .await
        .unwrap();
    let job = db.claim_job(worker, now, now).await.unwrap().unwrap();
    assert_eq!(job.id, id);
    id
}

/// The server's rejects folder beside the file.
fn kept_in(file: &std::path::Path) -> std::path::PathBuf {
    file.parent().unwrap().join("rejeitadas")
}

async fn import_for(
    db: &Db,
    file: &std::path::Path,
    job: JobClaim,
) -> Result<atalaia_ingest::ImportSummary, ImportError> {
    let opts = atalaia_ingest::ImportOptions {
        job: Some(job),
        rejects_kept_in: Some(kept_in(file)),
        profile: None,
        ..crate::opts(Some(file.with_extension("rejects.csv")))
    };
    let progress = Arc::new(atalaia_ingest::load::NoProgress);
    atalaia_ingest::import_file(db, Kind::Occurrences, file, &opts, progress).await
}

per_backend! {
    async fn an_import_records_its_job_done_or_rolls_back_when_the_job_is_not_its_own(t) {
        let db = &t.db;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ocorrencias.csv");
        std::fs::write(&file, FILE).unwrap();

        // Done with the import, in the import's transaction: the counts are the import's.
        let id = claimed(db, "W1").await;
        let claim = JobClaim { id, worker: "W1".into() };
        let summary = import_for(db, &file, claim).await.unwrap();
        assert_eq!((summary.read, summary.inserted, summary.rejected), (3, 2, 1));
        let job = db.job(id).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Done);
        assert_eq!(job.import_id, Some(summary.import_id));
        assert_eq!((job.rows_read, job.rows_written, job.rows_rejected), (3, 2, 1));
        assert_eq!(job.bytes_read, FILE.len() as i64);
        // Its rejects already where the server's pages look for them when the job shows done.
        let kept = atalaia_ingest::load::kept_rejects_path(&kept_in(&file), summary.import_id);
        assert_eq!(summary.rejects_file, kept.display().to_string());
        let rejected = std::fs::read_to_string(&kept).unwrap();
        assert!(rejected.contains("BO-3") && rejected.contains("nao_existe"), "{rejected}");
        assert!(!file.with_extension("rejects.csv").exists());

        // A job this worker no longer holds: the import rolls back, nothing is written.
        let version = db.data_version().await.unwrap();
        let other = claimed(db, "W2").await;
        std::fs::write(&file, FILE.replace("BO-1,", "BO-9,")).unwrap();
        let lost = JobClaim { id: other, worker: "W1".into() };
        let err = import_for(db, &file, lost).await.unwrap_err();
        assert!(matches!(err, ImportError::TakenOver), "{err}");
        assert_eq!(
            err.to_string(),
            "importação desfeita; nada foi alterado: o trabalho passou a outro servidor"
        );
        assert_eq!(db.data_version().await.unwrap(), version);
        let files = std::fs::read_dir(kept_in(&file)).unwrap().count();
        assert_eq!(files, 1, "no rejects kept for the import rolled back");
        assert_eq!(db.job(other).await.unwrap().unwrap().state, JobState::Running);
        let stored = db
            .occurrences_page(&atalaia_store::occurrences::OccurrenceFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = stored.iter().map(|r| r.source_id.as_str()).collect();
        assert_eq!(ids, ["BO-2", "BO-1"]);
        t.cleanup().await.unwrap();
    }
}
