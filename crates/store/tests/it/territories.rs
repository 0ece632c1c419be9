//! Territories are versioned, never overwritten (Decreto 7.872/2013, Art. 2 §ú).

use super::*;

pub(crate) fn territory(
    code: &str,
    from: NaiveDate,
    to: Option<NaiveDate>,
    name: &str,
) -> TerritoryInput {
    TerritoryInput {
        code: code.into(),
        name: name.into(),
        kind: "aisp".into(),
        parent_code: None,
        ibge: None,
        valid_from: from,
        valid_to: to,
        geometry: None,
        bbox: None,
    }
}

async fn territory_story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "territories").await;
    let v1 = territory("AISP1", SINCE_ALWAYS, None, "Central");
    assert_eq!(
        tx.put_territory(&v1, imp, false).await.unwrap(),
        Ok(Upsert::Inserted)
    );
    assert_eq!(
        tx.put_territory(&v1, imp, false).await.unwrap(),
        Ok(Upsert::Unchanged)
    );
    // Same version, other content: refused (Art. 2 §ú, never overwrite).
    let changed = territory("AISP1", SINCE_ALWAYS, None, "Centro expandido");
    let reason = tx
        .put_territory(&changed, imp, false)
        .await
        .unwrap()
        .unwrap_err();
    assert!(reason.contains("nova versão"), "{reason}");
    // A redraw from 2024-01-01 closes the open version on 2023-12-31.
    let v2 = territory("AISP1", d(2024, 1, 1), None, "Central (redesenhada)");
    assert_eq!(
        tx.put_territory(&v2, imp, false).await.unwrap(),
        Ok(Upsert::Inserted)
    );
    let versions = tx.territory_versions("AISP1").await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].valid_to, Some(d(2023, 12, 31)));
    assert_eq!(
        versions[0].name, "Central",
        "the old version keeps its content"
    );
    assert_eq!(versions[1].valid_to, None);
    // A version inside the closed one overlaps: refused.
    let overlap = territory("AISP1", d(2020, 1, 1), Some(d(2020, 12, 31)), "x");
    let reason = tx
        .put_territory(&overlap, imp, false)
        .await
        .unwrap()
        .unwrap_err();
    assert!(reason.contains("sobrepõe"), "{reason}");
    // Closing the open version is an update.
    let closed = territory(
        "AISP1",
        d(2024, 1, 1),
        Some(d(2025, 6, 30)),
        "Central (redesenhada)",
    );
    assert_eq!(
        tx.put_territory(&closed, imp, false).await.unwrap(),
        Ok(Upsert::Updated)
    );
    tx.commit().await.unwrap();
    let all = db.territory("AISP1").await.unwrap();
    assert_eq!(
        all.iter()
            .map(|v| (v.valid_from, v.valid_to))
            .collect::<Vec<_>>(),
        vec![
            (SINCE_ALWAYS, Some(d(2023, 12, 31))),
            (d(2024, 1, 1), Some(d(2025, 6, 30)))
        ]
    );
    assert!(all[0].valid_on(d(2023, 12, 31)) && !all[0].valid_on(d(2024, 1, 1)));
}

per_backend! {
    async fn territories_are_versioned_never_overwritten(t) {
        territory_story(&t.db).await;
        println!("backend {}: territory versions ok", t.label);
        t.cleanup().await.unwrap();
    }
}
