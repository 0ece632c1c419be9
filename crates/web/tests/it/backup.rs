//! A copy taken while the server takes writes restores whole: its audit chain verifies and every saved
//! RECAP and IPEI run replays to the bytes it saved, on both backends.

use crate::ymd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use atalaia_core::cycle::CycleKind;
use atalaia_core::pipeline::{Ipei, Recap};
use atalaia_store::audit::ChainCheck;
use atalaia_store::backup;
use atalaia_store::testing::TestDb;

use crate::{App, demo_config};

async fn audit_entries(db: &atalaia_store::Db) -> u64 {
    match db.verify_audit_chain().await.unwrap() {
        ChainCheck::Intact { entries } => entries,
        broken => panic!("{broken:?}"),
    }
}

#[tokio::test]
async fn a_copy_taken_while_the_server_writes_restores_whole() {
    for t in TestDb::all().await.unwrap() {
        let today = ymd(2026, 11, 20);
        let now = today.and_hms_opt(15, 0, 0).unwrap();
        let app = App::new(t.db.clone(), demo_config(&t.db, today, 0.01).await).await;
        // The committee's runs: the third quarter and September, both over on November 20th.
        let quarter =
            t.db.compute_quarter(
                atalaia_core::Quarter::parse("2026-Q3").unwrap(),
                None,
                today,
            )
            .await
            .unwrap();
        let recap_run =
            t.db.save_computed(&quarter, "user:comite", now)
                .await
                .unwrap();
        let month =
            t.db.ipei_compute(atalaia_core::Month::parse("2026-09").unwrap(), today)
                .await
                .unwrap();
        let ipei_run =
            t.db.save_ipei_run(&month, "user:comite", now)
                .await
                .unwrap();

        // An administrator creates API keys without pause (each a row and an audit entry) while the
        // copy is taken.
        let admin = app.login("admin", "demo-admin-7872").await.unwrap();
        let csrf = app.csrf(&admin).await;
        let inst = crate::institution_id(&app.db, "MPGO").await;
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let writes = async {
            while !stop.load(Ordering::SeqCst) {
                let n = written.load(Ordering::SeqCst);
                let r = app
                    .post_form(
                        "/admin/chaves-api",
                        Some(&admin),
                        &format!(
                            "csrf_token={csrf}&nome=Sistema+{n}&instituicao={inst}&papel=partner"
                        ),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                written.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("copia");
        let copy = async {
            // Once the writer is going.
            while written.load(Ordering::SeqCst) == 0 {
                tokio::task::yield_now().await;
            }
            let before = (written.load(Ordering::SeqCst), audit_entries(&t.db).await);
            let format = backup::backup(&t.db, &t.url, &file).await;
            let during = written.load(Ordering::SeqCst) - before.0;
            stop.store(true, Ordering::SeqCst);
            (format, before.1, during)
        };
        let ((format, entries_before, during), ()) = tokio::join!(copy, writes);
        let format = format.unwrap();
        let entries_after = audit_entries(&t.db).await;
        println!(
            "backend {}: {} keys created while the copy ({}) was taken",
            t.label,
            during,
            format.label_pt()
        );

        // A copy never overwrites another, and nothing goes into a database that has tables.
        let again = backup::backup(&t.db, &t.url, &file).await.unwrap_err();
        assert!(again.to_string().contains("já existe"), "{again}");
        let into_full = backup::restore(&t.url, &file).await.unwrap_err();
        assert!(
            into_full.to_string().contains("já tem tabelas"),
            "{into_full}"
        );

        let target = t.empty_sibling().await.unwrap();
        target.db.close().await;
        let restored = backup::restore(&target.url, &file).await.unwrap();
        let entries = audit_entries(&restored).await;
        assert!(
            (entries_before..=entries_after).contains(&entries),
            "{entries_before} ≤ {entries} ≤ {entries_after}"
        );
        assert!(restored.schema_state().await.unwrap().current());
        for (kind, id) in [(CycleKind::Recap, recap_run), (CycleKind::Ipei, ipei_run)] {
            let saved = t.db.saved_run(kind, id).await.unwrap().unwrap();
            let copy = restored.saved_run(kind, id).await.unwrap().unwrap();
            assert_eq!(
                (&copy.inputs, &copy.config, &copy.result),
                (&saved.inputs, &saved.config, &saved.result)
            );
            let reproduces = match kind {
                CycleKind::Recap => copy.replay::<Recap>().unwrap().reproduces,
                CycleKind::Ipei => copy.replay::<Ipei>().unwrap().reproduces,
            };
            assert!(reproduces, "backend {}: run {id} of {kind:?}", t.label);
        }
        restored.close().await;
        target.cleanup().await.unwrap();
        t.cleanup().await.unwrap();
    }
}
