//! The occurrence explorer's pages: read in growing id ranges from the newest down, they list exactly
//! the matching rows, newest first, however sparse the matches and wherever a page starts.

use super::*;

const ROWS: usize = 5_000;

/// Row `i` (file order, so id order): every 613th in a small municipality, the rest elsewhere;
/// crimes alternate; one day per row from 2024-01-01.
fn record(i: usize) -> OccurrenceRecord {
    let areas: &[&str] = if i.is_multiple_of(613) {
        &["5200050", "AISP9"]
    } else {
        &["5208707", "AISP1"]
    };
    let crime = if i.is_multiple_of(2) {
        "roubo_veiculo"
    } else {
        "furto_transeunte"
    };
    let day = d(2024, 1, 1) + chrono::Days::new((i / 40) as u64);
    occ(
        &format!("BO-{i:05}"),
        day.and_hms_opt(10, 0, 0).unwrap(),
        crime,
        areas,
        1,
        i as u64 + 2,
    )
}

/// Every page of `f` (page size `f.limit`), following each page's last id, as source ids.
async fn walk(db: &Db, mut f: OccurrenceFilter) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        let page = db.occurrences_page(&f).await.unwrap();
        assert!(page.len() as i64 <= f.limit, "{} > {}", page.len(), f.limit);
        let ids: Vec<i64> = page.iter().map(|r| r.id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] > w[1]),
            "not newest first: {ids:?}"
        );
        all.extend(page.iter().map(|r| r.source_id.clone()));
        match page.last() {
            Some(last) if page.len() as i64 == f.limit => f.before_id = Some(last.id),
            _ => return all,
        }
    }
}

/// The rows `keep` selects, newest first: what every walk must list.
fn expected(keep: impl Fn(usize, &OccurrenceRecord) -> bool) -> Vec<String> {
    (0..ROWS)
        .rev()
        .map(|i| (i, record(i)))
        .filter(|(i, r)| keep(*i, r))
        .map(|(_, r)| r.source_id)
        .collect()
}

per_backend! {
    async fn explorer_pages_list_every_match_newest_first(t) {
        let db = &t.db;
        let mut tx = db.begin().await.unwrap();
        let imp = new_import(&mut tx, "occurrences").await;
        let mut w = OccurrenceWriter::new(imp, false, dt(2024, 12, 1, 12));
        let batch: Vec<_> = (0..ROWS).map(record).collect();
        w.write(&mut tx, &batch).await.unwrap();
        w.finish(&mut tx).await.unwrap();
        tx.commit().await.unwrap();

        // A scope matching 9 rows in 5,000, three per page: the pages cross several id ranges.
        let sparse = OccurrenceFilter {
            allowed_areas: Some(vec!["5200050".into()]),
            limit: 3,
            ..OccurrenceFilter::default()
        };
        let want = expected(|i, _| i.is_multiple_of(613));
        assert_eq!(want.len(), 9);
        assert_eq!(walk(db, sparse.clone()).await, want);

        // Two areas of the scope, a crime, a period and an area asked for, 7 per page.
        let narrowed = OccurrenceFilter {
            allowed_areas: Some(vec!["AISP9".into(), "AISP1".into()]),
            crime: Some("roubo_veiculo".into()),
            from: Some(d(2024, 2, 1)),
            to: Some(d(2024, 3, 31)),
            area: Some("5208707".into()),
            limit: 7,
            ..OccurrenceFilter::default()
        };
        let (feb, mar_end) = (d(2024, 2, 1), d(2024, 3, 31));
        let want = expected(|i, r| {
            let day = r.occurred_at.date();
            !i.is_multiple_of(613) && i.is_multiple_of(2) && day >= feb && day <= mar_end
        });
        assert_eq!(want.len(), 1_199);
        assert_eq!(walk(db, narrowed).await, want);

        // Half the rows, 700 per page: each page spans two id ranges, whose edges hold matches.
        let half = OccurrenceFilter {
            crime: Some("furto_transeunte".into()),
            limit: 700,
            ..OccurrenceFilter::default()
        };
        assert_eq!(walk(db, half).await, expected(|i, _| !i.is_multiple_of(2)));

        // Everything at an export's page size; a page starting past the newest id; an empty scope.
        let all = OccurrenceFilter { limit: 5_000, ..OccurrenceFilter::default() };
        assert_eq!(walk(db, all.clone()).await, expected(|_, _| true));
        let past = OccurrenceFilter { before_id: Some(i64::MAX), limit: 2, ..sparse.clone() };
        assert_eq!(walk(db, past).await, expected(|i, _| i.is_multiple_of(613)));
        let none = OccurrenceFilter { allowed_areas: Some(Vec::new()), ..all };
        assert!(db.occurrences_page(&none).await.unwrap().is_empty());
        t.cleanup().await.unwrap();
    }
}
