//! Monthly counts, populations and the crime catalog.

use super::*;

async fn counts_story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "counts").await;
    assert_eq!(
        tx.put_population("AISP1", 2022, 200_000, imp, false)
            .await
            .unwrap(),
        Upsert::Inserted
    );
    assert_eq!(
        tx.put_population("AISP1", 2022, 200_000, imp, false)
            .await
            .unwrap(),
        Upsert::Unchanged
    );
    assert_eq!(
        tx.put_population("AISP1", 2022, 201_000, imp, false)
            .await
            .unwrap(),
        Upsert::Updated
    );
    for (m, n) in [(1, 3), (2, 4), (3, 5), (4, 100)] {
        let month = d(2024, m, 1);
        assert_eq!(
            tx.put_monthly_count("AISP1", "roubo_veiculo", month, n, imp, false)
                .await
                .unwrap(),
            Upsert::Inserted
        );
    }
    assert_eq!(
        tx.put_monthly_count("AISP1", "roubo_veiculo", d(2024, 3, 1), 5, imp, false)
            .await
            .unwrap(),
        Upsert::Unchanged
    );
    let mut w = OccurrenceWriter::new(imp, false, dt(2024, 5, 1, 0));
    w.write(
        &mut tx,
        &[occ(
            "X-1",
            dt(2024, 2, 10, 3),
            "roubo_veiculo",
            &["AISP1"],
            3,
            2,
        )],
    )
    .await
    .unwrap();
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    use atalaia_store::counts::CountBy;
    // Q1 = monthly 3 + 4 + 5 plus one occurrence (three victims).
    let q1 = |by| db.count_in_period("AISP1", "roubo_veiculo", d(2024, 1, 1), d(2024, 3, 31), by);
    assert_eq!(q1(CountBy::Occurrences).await.unwrap(), 13);
    assert_eq!(q1(CountBy::Victims).await.unwrap(), 15);
    // Population: the year's, else the latest earlier one; none before the first.
    assert_eq!(
        db.population_for("AISP1", 2024).await.unwrap(),
        Some((2022, 201_000))
    );
    assert_eq!(
        db.population_for("AISP1", 2022).await.unwrap(),
        Some((2022, 201_000))
    );
    assert_eq!(db.population_for("AISP1", 2021).await.unwrap(), None);
}

per_backend! {
    async fn monthly_counts_and_populations(t) {
        counts_story(&t.db).await;
        println!("backend {}: counts and populations ok", t.label);
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    async fn crime_catalog_matches_the_core_catalog(t) {
        let stored = t.db.crimes().await.unwrap();
        let mut stored: Vec<(String, String)> =
            stored.into_iter().map(|c| (c.code, c.name)).collect();
        stored.sort();
        let mut core: Vec<(String, String)> = atalaia_core::crime::CATALOG
            .iter()
            .map(|e| (e.code().as_str().to_string(), e.name_pt().to_string()))
            .collect();
        core.sort();
        assert_eq!(stored, core, "backend {}", t.label);
        println!("backend {}: crime catalog ok", t.label);
        t.cleanup().await.unwrap();
    }
}
