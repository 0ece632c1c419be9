//! A database made by the first release (v0.1.0, `fixtures/upgrade/README.md`) with its data opens in this
//! version: migrated forward, nothing lost — on both backends.

use std::io::Read;

use atalaia_core::cycle::CycleKind;
use atalaia_core::pipeline::Recap;
use atalaia_store::Db;
use atalaia_store::audit::ChainCheck;
use atalaia_store::testing::TestDb;
use sqlx::Connection;

use crate::{App, test_config};

fn dump(backend: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../fixtures/upgrade/v0.1.0-{backend}.sql.gz"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Rows of `table` the dump inserts, counted in its text.
fn inserted(dump: &str, table: &str) -> i64 {
    let (sqlite, pg) = (
        format!("INSERT INTO {table} VALUES"),
        format!("INSERT INTO public.{table} VALUES"),
    );
    dump.lines()
        .filter(|l| l.starts_with(&sqlite) || l.starts_with(&pg))
        .count() as i64
}

async fn count(db: &Db, sql: String) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql);
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

#[tokio::test]
async fn a_database_of_the_first_release_upgrades_with_its_data() {
    for made in TestDb::all().await.unwrap() {
        let t = made.empty_sibling().await.unwrap();
        made.cleanup().await.unwrap();
        t.db.close().await;
        let text = dump(t.label);
        // The dump is the old database whole, its migrations' table included; run on a connection of
        // its own (pg_dump's output empties that connection's search_path).
        match t.label {
            "sqlite" => {
                let mut c = sqlx::SqliteConnection::connect(&t.url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(text.clone()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
            _ => {
                let mut c = sqlx::PgConnection::connect(&t.url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(text.clone()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
        }
        let old = Db::connect_unmigrated(&t.url).await.unwrap();
        let before = old.schema_state().await.unwrap();
        assert_eq!(before.missing.first(), Some(&14), "{before:?}");
        assert!(before.unknown.is_empty() && before.failed.is_empty());
        old.close().await;

        // Opening it migrates it forward.
        let db = Db::connect(&t.url).await.unwrap();
        assert!(db.schema_state().await.unwrap().current());
        // Every table the dump fills, counted in the dump's own text.
        let tables: std::collections::BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("INSERT INTO "))
            .map(|l| l.trim_start_matches("public."))
            .filter_map(|l| l.split([' ', '(']).next())
            .filter(|t| !t.starts_with("_sqlx"))
            .collect();
        assert!(tables.len() >= 25, "{tables:?}");
        for table in tables {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            assert_eq!(
                count(&db, sql).await,
                inserted(&text, table),
                "{}: {table}",
                t.label
            );
        }
        assert_eq!(inserted(&text, "occurrences"), 294);
        match db.verify_audit_chain().await.unwrap() {
            ChainCheck::Intact { entries } => {
                assert_eq!(entries as i64, inserted(&text, "audit_log"), "{}", t.label)
            }
            broken => panic!("{}: {broken:?}", t.label),
        }
        // The run v0.1.0 saved replays from what it froze, to the bytes it saved.
        let run = db.saved_run(CycleKind::Recap, 1).await.unwrap().unwrap();
        assert_eq!(run.period, "2026-Q3");
        assert!(run.replay::<Recap>().unwrap().reproduces, "{}", t.label);

        // And the pages work over it: the committee's run and the analyst's home.
        let app = App::new(db.clone(), test_config()).await;
        let committee = app.login("comite", "demo-comite-7872").await.unwrap();
        app.get_ok("/recap/execucoes/1", &committee).await;
        let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
        app.get_ok("/", &analyst).await;
        println!("backend {}: the first release's database upgraded", t.label);
        t.cleanup().await.unwrap();
    }
}
