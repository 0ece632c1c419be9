//! A SQLite pilot copied into PostgreSQL (`atalaia copy-database`): the same audit chain, the same RECAP
//! and the same pages on both — also when the copy was interrupted and run again.

use crate::ymd;
use std::sync::atomic::{AtomicUsize, Ordering};

use atalaia_core::cycle::CycleKind;
use atalaia_core::pipeline::Recap;
use atalaia_store::audit::ChainCheck;
use atalaia_store::copy::{CopyProgress, copy_database};
use atalaia_store::testing::TestDb;

use crate::{App, demo_config};

/// Stops the copy before its `after`-th table.
struct StopAfter {
    after: usize,
    asked: AtomicUsize,
}

impl CopyProgress for StopAfter {
    fn stop(&self) -> bool {
        self.asked.fetch_add(1, Ordering::SeqCst) >= self.after
    }
}

/// A page's text without what differs between two sign-ins: the session's tokens (64 hex digits).
fn page(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut run = String::new();
    for c in body.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "TOKEN" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

#[tokio::test]
async fn a_sqlite_pilot_copied_into_postgresql_reads_the_same() {
    let Some(pg) = TestDb::postgres_or_skip().await.unwrap() else {
        return;
    };
    let target = pg.empty_sibling().await.unwrap();
    pg.cleanup().await.unwrap();
    target.db.close().await;

    let pilot = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    let config = demo_config(&pilot.db, today, 0.01).await;
    let quarter = atalaia_core::Quarter::parse("2026-Q3").unwrap();
    let computed = pilot
        .db
        .compute_quarter(quarter, None, today)
        .await
        .unwrap();
    let run = pilot
        .db
        .save_computed(
            &computed,
            "user:comite",
            today.and_hms_opt(15, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    let pilot_app = App::new(pilot.db.clone(), config.clone()).await;

    // Stopped before its fifth table, then run again: it goes on from there.
    let stop = StopAfter {
        after: 4,
        asked: AtomicUsize::new(0),
    };
    let err = copy_database(&pilot.db, &target.url, &stop)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("rode o mesmo comando para continuar"),
        "{err}"
    );
    let report = copy_database(&pilot.db, &target.url, &atalaia_store::copy::Quiet)
        .await
        .unwrap();
    assert_eq!(report.resumed, 4);
    let copy = atalaia_store::Db::connect(&target.url).await.unwrap();
    assert!(copy.is_empty().await.is_ok_and(|e| !e));

    // The audit chain, entry for entry.
    let entries = |c: ChainCheck| match c {
        ChainCheck::Intact { entries } => entries,
        broken => panic!("{broken:?}"),
    };
    assert_eq!(
        entries(copy.verify_audit_chain().await.unwrap()),
        entries(pilot.db.verify_audit_chain().await.unwrap())
    );
    // The same RECAP, computed today and as saved.
    let there = copy.compute_quarter(quarter, None, today).await.unwrap();
    assert_eq!(
        serde_json::to_string(&there.report).unwrap(),
        serde_json::to_string(&computed.report).unwrap()
    );
    let saved = copy
        .saved_run(CycleKind::Recap, run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        saved.result,
        pilot
            .db
            .saved_run(CycleKind::Recap, run)
            .await
            .unwrap()
            .unwrap()
            .result
    );
    assert!(saved.replay::<Recap>().unwrap().reproduces);
    // New rows get new ids after the copied ones (the sequences were moved past them).
    let new_institution = |db: atalaia_store::Db| async move {
        let mut tx = db.begin().await.unwrap();
        let id = tx
            .create_institution(
                "NOVA",
                "Instituição nova",
                "SSP",
                false,
                today.and_hms_opt(16, 0, 0).unwrap(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    assert_eq!(
        new_institution(copy.clone()).await,
        new_institution(pilot.db.clone()).await
    );

    // The same pages, for the same people.
    let copy_app = App::new(copy.clone(), config).await;
    for (login, password, path) in [
        (
            "analista",
            "demo-analista-7872",
            "/territorios/AISP1".to_string(),
        ),
        ("analista", "demo-analista-7872", "/reunioes".to_string()),
        (
            "comite",
            "demo-comite-7872",
            "/recap?trimestre=2026-Q3".to_string(),
        ),
        (
            "comite",
            "demo-comite-7872",
            format!("/recap/execucoes/{run}"),
        ),
        ("auditor", "demo-auditor-7872", "/operadores".to_string()),
    ] {
        let a = pilot_app.login(login, password).await.unwrap();
        let b = copy_app.login(login, password).await.unwrap();
        let here = pilot_app.get_ok(&path, &a).await;
        let there = copy_app.get_ok(&path, &b).await;
        assert_eq!(page(&here.body), page(&there.body), "{path} as {login}");
    }
    copy.close().await;
    println!(
        "backend postgres: {} tables copied from SQLite ({} rows), resumed after 4",
        report.tables.len(),
        report.tables.iter().map(|(_, n)| n).sum::<u64>()
    );
    target.cleanup().await.unwrap();
    pilot.cleanup().await.unwrap();
}
