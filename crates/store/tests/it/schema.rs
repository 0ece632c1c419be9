//! Both backends' migrations give the same tables and columns.

use super::*;

/// Both migrations produce the same tables, columns and primary keys.
#[tokio::test]
async fn both_backends_have_the_same_logical_schema() {
    let Some(pg) = TestDb::postgres().await.unwrap() else {
        assert!(
            std::env::var("ATALAIA_TEST_REQUIRE_POSTGRES").is_err(),
            "PostgreSQL required but not configured"
        );
        return;
    };
    let lite = TestDb::sqlite().await.unwrap();
    let Db::Sqlite(sp) = &lite.db else {
        unreachable!()
    };
    let Db::Pg(pp) = &pg.db else { unreachable!() };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(sp)
    .await
    .unwrap();
    // PostgreSQL's monthly partitions (`occurrences_2024_04`…) are the same table, split; the ids of
    // occurrences are unique through `occurrence_keys`, which SQLite's single table does not need.
    let pg_tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT LIKE '_sqlx%' AND c.relname <> 'occurrence_keys' ORDER BY 1",
    )
    .fetch_all(pp)
    .await
    .unwrap();
    assert_eq!(tables, pg_tables);
    for t in &tables {
        let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
        )))
        .fetch_all(sp)
        .await
        .unwrap();
        let pg_cols: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
        )
        .bind(t)
        .fetch_all(pp)
        .await
        .unwrap();
        assert_eq!(cols, pg_cols, "columns of {t}");
    }
    println!(
        "backend sqlite+postgres: same logical schema ({} tables)",
        tables.len()
    );
    lite.cleanup().await.unwrap();
    pg.cleanup().await.unwrap();
}
