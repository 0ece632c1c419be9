//! The queue of import jobs: one running at a time per database, oldest first, cancellable, and a job
//! whose worker died queued again.

use super::*;
use atalaia_store::jobs::{Heartbeat, JobEnd, JobProgress, JobState, NewJob};

fn at(minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 7)
        .unwrap()
        .and_hms_opt(12, minute, 0)
        .unwrap()
}

async fn queue(db: &Db, name: &str, minute: u32) -> i64 {
    db.queue_job(
        &NewJob {
            kind: "occurrences",
            file_name: name,
            path: &format!("/tmp/envios/{name}"),
            actor: "user:analista",
            ip: "10.0.0.1",
            bytes_total: 1000,
            profile: None,
            idempotency_key: None,
        },
        at(minute),
    )
    .await
    .unwrap()
}

per_backend! {
    async fn jobs_run_one_at_a_time_oldest_first_and_survive_their_worker(t) {
        let db = &t.db;
        let first = queue(db, "a.csv", 0).await;
        let second = queue(db, "b.csv", 1).await;
        let third = queue(db, "c.csv", 2).await;
        // Worker A takes the oldest; B finds one running and waits.
        let a = db.claim_job("A", at(3), at(0)).await.unwrap().unwrap();
        assert_eq!((a.id, a.state, a.started_at), (first, JobState::Running, Some(at(3))));
        assert_eq!(db.claim_job("B", at(3), at(0)).await.unwrap(), None);

        // The second is cancelled while queued: at once, audited.
        let state = db.cancel_job(second, "user:analista", "10.0.0.1", at(4)).await.unwrap();
        assert_eq!(state, Some(JobState::Cancelled));
        // A running one is only flagged: its worker hears it with its next heartbeat.
        let p = JobProgress { bytes_read: 500, rows_read: 40, rows_written: 38, rows_rejected: 2 };
        assert_eq!(db.job_heartbeat(first, "A", p, at(5)).await.unwrap(), Heartbeat::Go);
        assert_eq!(
            db.cancel_job(first, "user:coord", "", at(5)).await.unwrap(),
            Some(JobState::Running)
        );
        assert_eq!(
            db.job_heartbeat(first, "A", p, at(6)).await.unwrap(),
            Heartbeat::Cancel("user:coord".into())
        );
        let stored = db.job(first).await.unwrap().unwrap();
        assert_eq!((stored.bytes_read, stored.rows_read, stored.rows_rejected), (500, 40, 2));

        // A dies: with its heartbeat older than the limit, B queues the job again (its import was
        // one transaction: nothing of it stayed) and takes it, progress back to nothing.
        assert_eq!(db.claim_job("B", at(7), at(6)).await.unwrap(), None, "heartbeat at 6 is fresh");
        let b = db.claim_job("B", at(8), at(7)).await.unwrap().unwrap();
        assert_eq!((b.id, b.state, b.bytes_read, b.started_at), (first, JobState::Running, 0, Some(at(8))));
        // A, alive after all, hears it lost the job and can no longer end it.
        assert_eq!(db.job_heartbeat(first, "A", p, at(8)).await.unwrap(), Heartbeat::Lost);
        let failed = JobEnd::Failed("de A".into());
        assert!(!db.finish_job(first, "A", &failed, p, at(8)).await.unwrap());
        assert!(db.finish_job(
            first,
            "B",
            &JobEnd::Cancelled { by: "user:coord".into(), ip: String::new() },
            JobProgress::default(),
            at(9),
        )
        .await
        .unwrap());
        let c = db.claim_job("B", at(10), at(9)).await.unwrap().unwrap();
        assert_eq!(c.id, third);
        db.finish_job(third, "B", &JobEnd::Failed("sem a coluna crime".into()), p, at(11))
            .await
            .unwrap();
        let third = db.job(third).await.unwrap().unwrap();
        assert_eq!(
            (third.state, third.error.as_deref(), third.finished_at, third.rows_written),
            (JobState::Failed, Some("sem a coluna crime"), Some(at(11)), 38)
        );
        assert!(db.open_jobs().await.unwrap().is_empty());
        assert_eq!(db.claim_job("B", at(12), at(11)).await.unwrap(), None);
        // Both cancellations audited, with who asked and where the job was.
        let cancels: Vec<(String, String)> = db
            .audit_entries(&atalaia_store::audit::AuditFilter { limit: 100, ..Default::default() })
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "import.cancel")
            .map(|e| (e.actor, e.object))
            .collect();
        assert_eq!(
            cancels,
            [
                ("user:coord".to_string(), format!("import_job:{first}")),
                ("user:analista".to_string(), format!("import_job:{second}")),
            ]
        );
        println!("backend {}: import jobs ok", t.label);
        t.cleanup().await.unwrap();
    }
}
