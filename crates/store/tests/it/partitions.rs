//! PostgreSQL's monthly partitions: rows of a month without a partition wait in the DEFAULT one and
//! move into their own; a period's queries read only its partitions; a re-import that moves an
//! occurrence to another month moves its row and its key.

use super::*;
use atalaia_store::partitions::PartitionReport;
use sqlx::postgres::PgPool;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn count(p: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(p)
        .await
        .unwrap()
}

/// The tables a statement's plan reads: every "Relation Name" of `EXPLAIN (FORMAT JSON)`.
fn relations(plan: &serde_json::Value, out: &mut Vec<String>) {
    match plan {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::String(r)) = m.get("Relation Name") {
                out.push(r.clone());
            }
            m.values().for_each(|v| relations(v, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| relations(v, out)),
        _ => {}
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// The tables `sql`'s plan reads with the values `bind` gives it.
async fn explain(
    p: &PgPool,
    sql: &str,
    bind: impl for<'q> FnOnce(PgQuery<'q>) -> PgQuery<'q>,
) -> Vec<String> {
    use sqlx::Row;
    let text = format!("EXPLAIN (FORMAT JSON) {sql}");
    let row = bind(sqlx::query(sqlx::AssertSqlSafe(text)))
        .fetch_one(p)
        .await
        .unwrap();
    // `json`, sent as its text.
    let plan: String = row.try_get_unchecked(0).unwrap();
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let mut names = Vec::new();
    relations(&plan, &mut names);
    names.sort();
    names.dedup();
    names
}

#[tokio::test]
async fn months_get_partitions_and_periods_read_only_theirs() {
    let Some(t) = TestDb::postgres_or_skip().await.unwrap() else {
        return;
    };
    let Db::Pg(p) = &t.db else { unreachable!() };

    // March, April and May 2024, none with a partition yet: everything waits in DEFAULT.
    let mut tx = t.db.begin().await.unwrap();
    let imp = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp, false, dt(2024, 6, 1, 12));
    let batch = vec![
        occ("BO-1", dt(2024, 3, 5, 10), "roubo_veiculo", &["A"], 1, 2),
        occ(
            "BO-2",
            dt(2024, 4, 1, 0),
            "roubo_veiculo",
            &["A", "B"],
            1,
            3,
        ),
        occ(
            "BO-3",
            dt(2024, 4, 30, 23),
            "homicidio_doloso",
            &["B"],
            2,
            4,
        ),
        occ("BO-4", dt(2024, 5, 2, 8), "roubo_veiculo", &["A"], 1, 5),
    ];
    put(&mut w, &mut tx, &batch, true).await;
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(p, "occurrences_default").await, 4);
    // Cells: March A; April A, B (BO-2), B homicide (BO-3); May A.
    assert_eq!(count(p, "daily_counts_default").await, 5);
    assert_eq!(count(p, "occurrence_keys").await, 4);

    // Made ahead from April, one month more (April, May), and March because it has rows.
    let report =
        t.db.maintain_partitions(atalaia_core::Month::new(2024, 4).unwrap(), 1)
            .await
            .unwrap();
    assert_eq!(
        report,
        PartitionReport {
            created: [
                "occurrences_2024_03",
                "occurrences_2024_04",
                "occurrences_2024_05",
                "daily_counts_2024_03",
                "daily_counts_2024_04",
                "daily_counts_2024_05",
            ]
            .map(String::from)
            .to_vec(),
            moved_rows: 4 + 5,
            postponed: vec![],
        }
    );
    assert_eq!(count(p, "occurrences_default").await, 0);
    assert_eq!(count(p, "daily_counts_default").await, 0);
    assert_eq!(count(p, "occurrences_2024_04").await, 2);
    assert_eq!(count(p, "daily_counts_2024_04").await, 3);
    assert_eq!(
        t.db.daily_counts().await.unwrap(),
        t.db.daily_counts_recomputed().await.unwrap()
    );
    // Run again: nothing left to do.
    let again =
        t.db.maintain_partitions(atalaia_core::Month::new(2024, 4).unwrap(), 1)
            .await
            .unwrap();
    assert_eq!(again, PartitionReport::default());

    // April's queries read April's partitions (and the monthly sources), nothing else.
    let (from, to) = (day(2024, 4, 1), day(2024, 5, 1));
    let areas = vec!["A".to_string(), "B".to_string()];
    let crimes = vec!["roubo_veiculo".to_string(), "homicidio_doloso".to_string()];
    let recap = explain(p, atalaia_store::counts::PERIOD_SUMS_PG, |q| {
        q.bind(areas.clone())
            .bind(crimes.clone())
            .bind(from)
            .bind(day(2024, 4, 30))
    })
    .await;
    assert_eq!(recap, ["daily_counts_2024_04"]);
    let home = explain(p, atalaia_store::indicators::MONTHLY_TOTALS, |q| {
        q.bind(from).bind(to)
    })
    .await;
    assert_eq!(home, ["daily_counts_2024_04", "monthly_counts"]);
    let points = explain(p, atalaia_store::selection::LOCATED_IN_PERIOD, |q| {
        q.bind(from.and_hms_opt(0, 0, 0).unwrap())
            .bind(to.and_hms_opt(0, 0, 0).unwrap())
    })
    .await;
    assert_eq!(points, ["occurrences_2024_04"]);

    // A re-import moves BO-3 from April to May: its row changes partition, its key follows, and a
    // third import finds it there (unchanged).
    let mut tx = t.db.begin().await.unwrap();
    let imp2 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp2, false, dt(2024, 6, 2, 12));
    let moved = occ("BO-3", dt(2024, 5, 1, 1), "homicidio_doloso", &["B"], 2, 2);
    let out = put(&mut w, &mut tx, std::slice::from_ref(&moved), true).await;
    assert_eq!(out, [RowOutcome::Updated]);
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(p, "occurrences_2024_04").await, 1);
    assert_eq!(count(p, "occurrences_2024_05").await, 2);
    let key_at: NaiveDateTime =
        sqlx::query_scalar("SELECT occurred_at FROM occurrence_keys WHERE source_id = 'BO-3'")
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(key_at, dt(2024, 5, 1, 1));
    let mut tx = t.db.begin().await.unwrap();
    let imp3 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp3, false, dt(2024, 6, 3, 12));
    let out = put(&mut w, &mut tx, std::slice::from_ref(&moved), true).await;
    assert_eq!(out, [RowOutcome::Unchanged]);
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        t.db.daily_counts().await.unwrap(),
        t.db.daily_counts_recomputed().await.unwrap()
    );

    // The overview's first and last day: from the ends of the partitions that hold rows, the empty
    // months made ahead skipped, and from DEFAULT, where a month without a partition waits.
    let span = |o: atalaia_store::reference::Overview| (o.first_day, o.last_day);
    let months =
        [(2024, 6), (2024, 7), (2024, 8)].map(|(y, m)| atalaia_core::Month::new(y, m).unwrap());
    t.db.partition_months(&months.into_iter().collect())
        .await
        .unwrap();
    let days = |a: &str, b: &str| (Some(a.to_string()), Some(b.to_string()));
    assert_eq!(
        span(t.db.overview().await.unwrap()),
        days("05/03/2024", "02/05/2024")
    );
    let mut tx = t.db.begin().await.unwrap();
    let imp4 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp4, false, dt(2024, 12, 1, 12));
    let late = occ("BO-5", dt(2024, 11, 20, 9), "roubo_veiculo", &["A"], 1, 2);
    let early = occ("BO-6", dt(2023, 1, 2, 9), "roubo_veiculo", &["A"], 1, 3);
    put(&mut w, &mut tx, &[late, early], true).await;
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(p, "occurrences_default").await, 2);
    assert_eq!(
        span(t.db.overview().await.unwrap()),
        days("02/01/2023", "20/11/2024")
    );
    t.cleanup().await.unwrap();
}

per_backend! {
    /// SQLite has no partitions: the maintenance does nothing there, and says so by its empty report.
    async fn maintenance_is_idle_without_partitions(t) {
        let report = t.db.maintain_partitions(atalaia_core::Month::new(2024, 4).unwrap(), 2).await.unwrap();
        match t.db.backend() {
            atalaia_store::Backend::Sqlite => assert_eq!(report, PartitionReport::default()),
            atalaia_store::Backend::Postgres => assert_eq!(report.created.len(), 6),
        }
        t.cleanup().await.unwrap();
    }
}
