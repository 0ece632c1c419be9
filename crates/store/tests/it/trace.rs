//! What a saved RECAP run counted, on both backends (goias-cidadao-seguro.md §7): the occurrences behind
//! each count are frozen with the run, and a later re-import that reclassifies one of them — or a
//! deletion behind the program's back — changes today's counts, never the run's trace.

use atalaia_store::per_backend;
use atalaia_store::trace::TracePeriod;

use super::*;

/// The source ids of a trace, in order.
async fn traced(db: &Db, run: i64, crime: &str, period: TracePeriod) -> (i64, Vec<String>) {
    let t = db
        .recap_trace(run, "AISP1", crime, period)
        .await
        .unwrap()
        .expect("a trace");
    let ids = t
        .sources
        .iter()
        .map(|s| s.source_id.clone().unwrap_or_else(|| "mensal".into()))
        .collect();
    (t.count, ids)
}

async fn story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "territories").await;
    tx.put_territory(
        &territory("AISP1", SINCE_ALWAYS, None, "Central"),
        imp,
        false,
    )
    .await
    .unwrap()
    .unwrap();
    // 2024-Q1 against 2023-Q1: two robberies, a theft and one elsewhere; one robbery in the base; and
    // homicides of count-only data (3 in January 2024).
    let imp1 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp1, false, dt(2024, 5, 1, 12));
    let first = [
        occ(
            "BO-1",
            dt(2024, 1, 5, 10),
            "roubo_veiculo",
            &["AISP1"],
            1,
            2,
        ),
        occ(
            "BO-2",
            dt(2024, 2, 3, 22),
            "roubo_veiculo",
            &["AISP1"],
            1,
            3,
        ),
        occ("BO-3", dt(2024, 3, 9, 8), "furto_veiculo", &["AISP1"], 1, 4),
        occ("BO-4", dt(2024, 3, 9, 9), "roubo_veiculo", &["AISP9"], 1, 5),
        occ(
            "BO-0",
            dt(2023, 2, 1, 12),
            "roubo_veiculo",
            &["AISP1"],
            1,
            6,
        ),
    ];
    put(&mut w, &mut tx, &first, false).await;
    w.finish(&mut tx).await.unwrap();
    tx.put_monthly_count("AISP1", "homicidio_doloso", d(2024, 1, 1), 3, imp1, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let today = d(2026, 12, 6);
    let q = atalaia_core::Quarter::parse("2024-Q1").unwrap();
    let c = db.compute_quarter(q, None, today).await.unwrap();
    let run = db
        .save_computed(&c, "user:comite", dt(2026, 12, 6, 15))
        .await
        .unwrap();
    let roubo = (2, vec!["BO-1".to_string(), "BO-2".to_string()]);
    assert_eq!(
        traced(db, run, "roubo_veiculo", TracePeriod::Current).await,
        roubo
    );
    assert_eq!(
        traced(db, run, "roubo_veiculo", TracePeriod::Base).await,
        (1, vec!["BO-0".to_string()])
    );
    assert_eq!(
        traced(db, run, "homicidio_doloso", TracePeriod::Current).await,
        (3, vec!["mensal".to_string()])
    );
    let before = db
        .recap_trace(run, "AISP1", "roubo_veiculo", TracePeriod::Current)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.sources[0].import_id, Some(imp1));
    assert_eq!(before.sha256.as_ref().map(String::len), Some(64));

    // A re-import reclassifies BO-1 as a theft: today's robbery count falls to 1.
    let mut tx = db.begin().await.unwrap();
    let imp2 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp2, false, dt(2026, 12, 6, 16));
    let reclassified = [occ(
        "BO-1",
        dt(2024, 1, 5, 10),
        "furto_veiculo",
        &["AISP1"],
        1,
        2,
    )];
    put(&mut w, &mut tx, &reclassified, false).await;
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let now = db.compute_quarter(q, None, today).await.unwrap();
    assert_eq!(now.inputs.areas[0].counts[1], 1, "today: one robbery");
    // And BO-2 is deleted behind the program's back.
    match db {
        Db::Sqlite(p) => {
            sqlx::query("DELETE FROM occurrences WHERE source_id = 'BO-2'")
                .execute(p)
                .await
                .unwrap();
        }
        Db::Pg(p) => {
            sqlx::query("DELETE FROM occurrences WHERE source_id = 'BO-2'")
                .execute(p)
                .await
                .unwrap();
        }
    }
    // The run still lists exactly what it counted, with the same hash.
    assert_eq!(
        traced(db, run, "roubo_veiculo", TracePeriod::Current).await,
        roubo
    );
    let after = db
        .recap_trace(run, "AISP1", "roubo_veiculo", TracePeriod::Current)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before);
    // Saving now is refused: the aggregate still counts BO-2, the occurrences do not.
    let refused = db
        .save_computed(&now, "user:comite", dt(2026, 12, 6, 17))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("os dados mudaram"),
        "{refused}"
    );
    // Nothing to trace for a cell the run has not, nor for a run that does not exist.
    assert!(
        db.recap_trace(run, "AISP9", "roubo_veiculo", TracePeriod::Current)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.recap_trace(run + 1, "AISP1", "roubo_veiculo", TracePeriod::Current)
            .await
            .unwrap()
            .is_none()
    );
}

per_backend! {
    async fn a_runs_trace_outlives_reimports_and_deletions(t) {
        story(&t.db).await;
        println!("backend {}: run trace ok", t.label);
        t.cleanup().await.unwrap();
    }
}
