//! Occurrences: the aggregate follows every reclassification, batches sort new, known, repeated and
//! changed rows, and texts round-trip whatever their characters.

use super::*;

pub(crate) fn occ(
    id: &str,
    at: NaiveDateTime,
    crime: &str,
    areas: &[&str],
    victims: i64,
    line: u64,
) -> OccurrenceRecord {
    OccurrenceRecord {
        line,
        source_id: id.into(),
        occurred_at: at,
        crime: crime.into(),
        source_crime: None,
        lat: Some(-16.68),
        lon: Some(-49.25),
        territory_code: None,
        victims,
        unit_code: None,
        areas: areas.iter().map(|s| s.to_string()).collect(),
    }
}

async fn cells(db: &Db) -> Vec<(String, String, NaiveDate, i64, i64)> {
    db.daily_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.territory_code, c.crime, c.day, c.occurrences, c.victims))
        .collect()
}

fn cell(t: &str, c: &str, day: NaiveDate, n: i64, v: i64) -> (String, String, NaiveDate, i64, i64) {
    (t.into(), c.into(), day, n, v)
}

/// Writes `batch` plainly, or (`counted`) the way an import does: every record counted as new in a
/// tally beforehand, the writer taking back what was not new, then the tally applied.
pub(crate) async fn put(
    w: &mut OccurrenceWriter,
    tx: &mut Tx,
    batch: &[OccurrenceRecord],
    counted: bool,
) -> Vec<RowOutcome> {
    if !counted {
        return w.write(tx, batch).await.unwrap();
    }
    let mut tally = Tally::default();
    for r in batch {
        tally.count(r);
    }
    let out = w.write_counted(tx, batch).await.unwrap();
    w.apply(tx, tally).await.unwrap();
    out
}

async fn occurrence_story(db: &Db, counted: bool) {
    // Import 1: three occurrences, one of them in two areas, one with two victims.
    let mut tx = db.begin().await.unwrap();
    let imp1 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp1, false, dt(2024, 5, 1, 12));
    let batch = vec![
        occ(
            "BO-1",
            dt(2024, 3, 1, 10),
            "roubo_veiculo",
            &["5208707", "AISP1"],
            1,
            2,
        ),
        occ(
            "BO-2",
            dt(2024, 3, 1, 22),
            "roubo_veiculo",
            &["5208707", "AISP1"],
            1,
            3,
        ),
        occ(
            "BO-3",
            dt(2024, 3, 2, 8),
            "homicidio_doloso",
            &["5208707", "AISP2"],
            2,
            4,
        ),
        occ(
            "BO-1",
            dt(2024, 3, 1, 10),
            "roubo_veiculo",
            &["5208707", "AISP1"],
            1,
            5,
        ),
    ];
    let out = put(&mut w, &mut tx, &batch, counted).await;
    assert_eq!(
        out,
        vec![
            RowOutcome::Inserted,
            RowOutcome::Inserted,
            RowOutcome::Inserted,
            RowOutcome::DuplicateInFile { first_line: 2 }
        ]
    );
    // The same id in a later batch of the same import is still a duplicate.
    let again = put(
        &mut w,
        &mut tx,
        &[occ(
            "BO-2",
            dt(2024, 3, 1, 22),
            "roubo_veiculo",
            &["AISP1"],
            1,
            9,
        )],
        counted,
    )
    .await;
    assert_eq!(again, vec![RowOutcome::DuplicateInFile { first_line: 3 }]);
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let (mar1, mar2) = (d(2024, 3, 1), d(2024, 3, 2));
    assert_eq!(
        cells(db).await,
        vec![
            cell("5208707", "homicidio_doloso", mar2, 1, 2),
            cell("5208707", "roubo_veiculo", mar1, 2, 2),
            cell("AISP1", "roubo_veiculo", mar1, 2, 2),
            cell("AISP2", "homicidio_doloso", mar2, 1, 2),
        ]
    );

    // Import 2: BO-1 unchanged; BO-2 quietly downgraded to theft and moved a day; BO-3 moved to AISP1.
    let mut tx = db.begin().await.unwrap();
    let imp2 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp2, false, dt(2024, 6, 1, 9));
    let out = put(
        &mut w,
        &mut tx,
        &[
            occ(
                "BO-1",
                dt(2024, 3, 1, 10),
                "roubo_veiculo",
                &["5208707", "AISP1"],
                1,
                2,
            ),
            occ(
                "BO-2",
                dt(2024, 3, 2, 1),
                "furto_transeunte",
                &["5208707", "AISP1"],
                1,
                3,
            ),
            occ(
                "BO-3",
                dt(2024, 3, 2, 8),
                "homicidio_doloso",
                &["5208707", "AISP1"],
                2,
                4,
            ),
        ],
        counted,
    )
    .await;
    assert_eq!(
        out,
        vec![
            RowOutcome::Unchanged,
            RowOutcome::Updated,
            RowOutcome::Updated
        ]
    );
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        cells(db).await,
        vec![
            cell("5208707", "furto_transeunte", mar2, 1, 1),
            cell("5208707", "homicidio_doloso", mar2, 1, 2),
            cell("5208707", "roubo_veiculo", mar1, 1, 1),
            cell("AISP1", "furto_transeunte", mar2, 1, 1),
            cell("AISP1", "homicidio_doloso", mar2, 1, 2),
            cell("AISP1", "roubo_veiculo", mar1, 1, 1),
        ],
        "counts moved with the reclassification; AISP2 lost its homicide"
    );
    let recomputed: Vec<_> = db
        .daily_counts_recomputed()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.territory_code, c.crime, c.day, c.occurrences, c.victims))
        .collect();
    assert_eq!(
        cells(db).await,
        recomputed,
        "the aggregate equals what the occurrences imply"
    );
    let changes = db.occurrence_changes(None, 10).await.unwrap();
    assert_eq!(changes.len(), 2);
    let bo2 = changes.iter().find(|c| c.source_id == "BO-2").unwrap();
    assert_eq!(bo2.import_id, imp2);
    assert_eq!(
        (bo2.old_crime.as_str(), bo2.new_crime.as_str()),
        ("roubo_veiculo", "furto_transeunte")
    );
    assert_eq!(bo2.changed_fields, "crime,occurred_at");
    assert_eq!(bo2.changed_at, dt(2024, 6, 1, 9));
    let bo3 = changes.iter().find(|c| c.source_id == "BO-3").unwrap();
    assert_eq!(
        (bo3.old_areas.as_str(), bo3.new_areas.as_str()),
        ("5208707|AISP2", "5208707|AISP1")
    );
    assert_eq!(bo3.changed_fields, "areas");
}

per_backend! {
    async fn aggregate_follows_every_reclassification_and_keeps_the_log(t) {
        occurrence_story(&t.db, false).await;
        println!(
            "backend {}: occurrence aggregate and reclassification log ok",
            t.label
        );
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// The same story written the way imports write: counted beforehand (on the reader thread), the
    /// writer taking back repeats, unchanged rows and the old side of changes.
    async fn a_tally_counted_beforehand_gives_the_same_aggregate(t) {
        occurrence_story(&t.db, true).await;
        println!("backend {}: pre-counted aggregate ok", t.label);
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// An occurrence of a crime outside the catalog is never stored: SQLite's foreign key refuses it,
    /// PostgreSQL's writer checks the batch's crimes (its per-row foreign keys are gone, migration
    /// 0017). Nothing of the batch is kept.
    async fn an_occurrence_outside_the_crime_catalog_is_refused(t) {
        let db = &t.db;
        let mut tx = db.begin().await.unwrap();
        let imp = new_import(&mut tx, "occurrences").await;
        let mut w = OccurrenceWriter::new(imp, false, dt(2024, 5, 1, 12));
        let known = occ("BO-1", dt(2024, 1, 1, 0), "roubo_veiculo", &[], 1, 2);
        let unknown = occ("BO-2", dt(2024, 1, 1, 0), "abigeato", &[], 1, 3);
        let written = w.write(&mut tx, &[known, unknown]).await;
        assert!(written.is_err(), "{written:?}");
        drop(tx);
        let rows = db
            .occurrences_page(&OccurrenceFilter {
                limit: 10,
                ..OccurrenceFilter::default()
            })
            .await
            .unwrap();
        assert!(rows.is_empty(), "{rows:?}");
        t.cleanup().await.unwrap();
    }
}

per_backend! {
    /// Texts with the characters PostgreSQL's COPY format escapes (and SQLite binds in place) come back
    /// exactly as written.
    async fn occurrence_texts_round_trip_whatever_their_characters(t) {
        let db = &t.db;
        let mut tx = db.begin().await.unwrap();
        let imp = new_import(&mut tx, "occurrences").await;
        let mut w = OccurrenceWriter::new(imp, true, dt(2024, 5, 1, 12));
        let mut odd = occ(
            "BO\\2024\tá",
            dt(2024, 2, 29, 23),
            "roubo_veiculo",
            &["52\\N", "AISP\t1"],
            3,
            2,
        );
        odd.source_crime = Some("linha1\nlinha2\r\\N".into());
        odd.territory_code = Some("\\N".into());
        odd.unit_code = Some(String::new());
        odd.lat = Some(-16.686_891_234_567_8);
        odd.lon = Some(-49.264_794_1);
        let mut plain = occ("BO-9", dt(2024, 1, 1, 0), "furto_transeunte", &[], 1, 3);
        plain.lat = None;
        plain.lon = None;
        let out = w
            .write(&mut tx, &[odd.clone(), plain.clone()])
            .await
            .unwrap();
        assert_eq!(out, vec![RowOutcome::Inserted, RowOutcome::Inserted]);
        w.finish(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        let rows = db
            .occurrences_page(&OccurrenceFilter {
                limit: 10,
                ..OccurrenceFilter::default()
            })
            .await
            .unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.source_id.clone(),
                    r.occurred_at,
                    r.crime.clone(),
                    r.source_crime.clone(),
                    r.lat,
                    r.lon,
                    r.territory_code.clone(),
                    r.victims,
                    r.unit_code.clone(),
                    r.areas.clone(),
                    r.synthetic,
                )
            })
            .collect();
        let want: Vec<_> = [&plain, &odd]
            .iter()
            .map(|o| {
                (
                    o.source_id.clone(),
                    o.occurred_at,
                    o.crime.clone(),
                    o.source_crime.clone(),
                    o.lat,
                    o.lon,
                    o.territory_code.clone(),
                    o.victims,
                    o.unit_code.clone(),
                    o.areas.join("|"),
                    true,
                )
            })
            .collect();
        assert_eq!(got, want, "backend {}", t.label);
        t.cleanup().await.unwrap();
    }
}

/// Large batches mixing new ids, repeats inside one batch, repeats across batches, unchanged and
/// changed rows: the SQLite path inserts 64 rows per statement and falls back to row by row when a
/// statement skips known ids, so the mixes below cross its chunk boundaries both ways.
async fn batch_story(db: &Db) {
    let day = dt(2024, 3, 10, 8);
    let bo = |i: usize| format!("BO-{i:04}");
    // Import 1, batch 1: lines 2..=201 hold ids 0..200, except that line 102 (id 100's place)
    // repeats id 3 of line 5, an earlier chunk (the second 64-row chunk spans lines 66..=129), and
    // line 150 (id 148's place) repeats id 147 of line 149, inside the same chunk.
    let mut tx = db.begin().await.unwrap();
    let imp1 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp1, false, dt(2024, 5, 1, 12));
    let mut batch: Vec<OccurrenceRecord> = (0..200)
        .map(|i| occ(&bo(i), day, "furto_transeunte", &["AISP1"], 1, i as u64 + 2))
        .collect();
    batch[100].source_id = bo(3);
    batch[148].source_id = bo(147);
    let out = w.write(&mut tx, &batch).await.unwrap();
    let dups: Vec<(usize, RowOutcome)> = out
        .iter()
        .enumerate()
        .filter(|(_, o)| **o != RowOutcome::Inserted)
        .map(|(i, o)| (i, *o))
        .collect();
    assert_eq!(
        dups,
        vec![
            (100, RowOutcome::DuplicateInFile { first_line: 5 }),
            (148, RowOutcome::DuplicateInFile { first_line: 149 }),
        ]
    );
    // Batch 2 of the same import: id 10 again (line 5 of batch 1 was id 3; id 10 was line 12).
    let again = vec![occ(&bo(10), day, "furto_transeunte", &["AISP1"], 1, 300)];
    assert_eq!(
        w.write(&mut tx, &again).await.unwrap(),
        vec![RowOutcome::DuplicateInFile { first_line: 12 }]
    );
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        cells(db).await,
        vec![cell("AISP1", "furto_transeunte", d(2024, 3, 10), 198, 198)]
    );

    // Import 2: the 198 stored ids (0..200 but 100 and 148, whose lines repeated others) unchanged
    // but for id 150, downgraded to another crime; 100 new ids 1000..1100 come between ids 129 and
    // 130, so the batch goes from mostly known to mostly new and back.
    let mut tx = db.begin().await.unwrap();
    let imp2 = new_import(&mut tx, "occurrences").await;
    let mut w = OccurrenceWriter::new(imp2, false, dt(2024, 6, 1, 12));
    let mut batch: Vec<OccurrenceRecord> = Vec::new();
    let mut line = 2;
    let mut push = |id: String, crime: &str, batch: &mut Vec<OccurrenceRecord>| {
        batch.push(occ(&id, day, crime, &["AISP1"], 1, line));
        line += 1;
    };
    for i in (0..130).filter(|i| *i != 100) {
        push(bo(i), "furto_transeunte", &mut batch);
    }
    for i in 1000..1100 {
        push(bo(i), "furto_transeunte", &mut batch);
    }
    for i in (130..200).filter(|i| *i != 148) {
        let crime = if i == 150 {
            "furto_celular"
        } else {
            "furto_transeunte"
        };
        push(bo(i), crime, &mut batch);
    }
    let out = w.write(&mut tx, &batch).await.unwrap();
    let count = |o: RowOutcome| out.iter().filter(|x| **x == o).count();
    assert_eq!(count(RowOutcome::Unchanged), 129 + 68);
    assert_eq!(count(RowOutcome::Inserted), 100);
    assert_eq!(count(RowOutcome::Updated), 1);
    assert_eq!(out.len(), 298);
    assert!(out[129..229].iter().all(|o| *o == RowOutcome::Inserted));
    // Batch 2 of import 2: the id found unchanged at line 7 and the one changed at line 250 (after
    // 129 known and 100 new lines, ids 130..=150 but 148) come again.
    let again = vec![
        occ(&bo(5), day, "furto_transeunte", &["AISP1"], 1, 400),
        occ(&bo(150), day, "furto_celular", &["AISP1"], 1, 401),
    ];
    assert_eq!(
        w.write(&mut tx, &again).await.unwrap(),
        vec![
            RowOutcome::DuplicateInFile { first_line: 7 },
            RowOutcome::DuplicateInFile { first_line: 250 },
        ]
    );
    w.finish(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        cells(db).await,
        vec![
            cell("AISP1", "furto_celular", d(2024, 3, 10), 1, 1),
            cell("AISP1", "furto_transeunte", d(2024, 3, 10), 297, 297),
        ]
    );
    assert_eq!(
        db.daily_counts().await.unwrap(),
        db.daily_counts_recomputed().await.unwrap()
    );
    let log = db.occurrence_changes(None, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].source_id.as_str(),
            log[0].old_crime.as_str(),
            log[0].new_crime.as_str()
        ),
        ("BO-0150", "furto_transeunte", "furto_celular")
    );
}

per_backend! {
    async fn large_batches_sort_new_known_repeated_and_changed_rows(t) {
        batch_story(&t.db).await;
        println!("backend {}: large mixed batches ok", t.label);
        t.cleanup().await.unwrap();
    }
}
