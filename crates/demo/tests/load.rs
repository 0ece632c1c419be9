//! The demo data set loads without a single rejected row, is deterministic for a seed and a date, covers
//! three years, and marks what is synthetic.

use atalaia_store::testing::TestDb;
use chrono::NaiveDate;

#[tokio::test]
async fn demo_is_deterministic_complete_and_marked_synthetic() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut previous: Option<Vec<atalaia_store::occurrences::DailyCount>> = None;
    for t in TestDb::all().await.unwrap() {
        // `load_scaled` fails if any import rejects a row.
        let report = atalaia_demo::load_scaled(&t.db, 7872, today, 0.05)
            .await
            .unwrap();
        assert_eq!(
            report.first_day,
            NaiveDate::from_ymd_opt(2023, 11, 1).unwrap()
        );
        let kinds: Vec<&str> = report.imports.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                "territories",
                "population",
                "population",
                "units",
                "operators",
                "assignments",
                "absences",
                "crime-map",
                "occurrences",
                "occurrences",
                "seizures",
                "forensic-reports"
            ]
        );
        // The second occurrences file only re-classifies: every row an update, and each one logged.
        let re = &report.imports[9];
        assert!(re.read > 0 && re.updated == re.read, "{re:?}");
        let changes = t.db.occurrence_changes(None, 1000).await.unwrap();
        assert_eq!(changes.len() as u64, re.updated);
        assert!(
            changes
                .iter()
                .all(|c| c.old_crime == "roubo_veiculo" && c.new_crime == "furto_transeunte")
        );

        // IPEI: October's seizures (the month whose cycle runs on 22 November) with their reasons.
        let october = atalaia_core::Month::parse("2026-10").unwrap();
        let seizures = t.db.seizures(october, None).await.unwrap();
        assert_eq!(seizures.len(), 7);
        assert!(
            seizures
                .iter()
                .all(|s| s.synthetic && s.bo_sha256.is_none())
        );
        let r = t.db.ipei_result(october, today).await.unwrap();
        let reasons = |bo: &str| {
            r.seizures
                .iter()
                .find(|s| s.bo_number == bo)
                .map(|s| s.reasons.clone())
                .unwrap()
        };
        use atalaia_core::ipei::SeizureReason as R;
        assert!(reasons("DEMO-IPEI-003").contains(&R::NotFlagrante));
        // Nobody has sent by 9 November: every unit is excluded (Art. 15, I), so no weapon is payable and
        // TX1001's second claim is not yet a duplicate (the first payable claim is paid).
        assert!(
            r.units
                .iter()
                .all(|u| u.reasons == [atalaia_core::ipei::UnitReason::NotSubmitted])
        );
        assert_eq!(r.units.len(), 3);
        assert!(!reasons("DEMO-IPEI-102").contains(&R::Duplicate));
        assert_eq!(r.laudos.len(), 2);

        let overview = t.db.overview().await.unwrap();
        assert!(overview.synthetic);
        assert_eq!(
            overview.unassigned, 12,
            "the twelve occurrences placed outside Goiás"
        );
        let territories = t.db.territories().await.unwrap();
        let aisps: Vec<_> = territories.iter().filter(|v| v.kind == "aisp").collect();
        assert_eq!(aisps.len(), 7);
        assert!(
            aisps
                .iter()
                .all(|v| v.synthetic && v.parent_code.as_deref() == Some("5208707"))
        );
        let municipalities = territories
            .iter()
            .filter(|v| v.kind == "municipality")
            .count();
        assert_eq!(municipalities, 246);
        assert!(
            territories
                .iter()
                .filter(|v| v.kind == "municipality")
                .all(|v| !v.synthetic)
        );

        // Igesp: every meeting and action is synthetic; the partner (MPGO) has an action in progress,
        // the Prefeitura's is overdue, the Anápolis meeting is internal.
        let meetings = t.db.meetings().await.unwrap();
        assert_eq!(meetings.len(), 4);
        assert!(meetings.iter().all(|m| m.synthetic));
        assert_eq!(
            meetings
                .iter()
                .filter(|m| m.status.as_str() == "held")
                .count(),
            2
        );
        let actions = t.db.actions().await.unwrap();
        assert_eq!(actions.len(), 4);
        assert!(actions.iter().all(|a| a.synthetic));
        let overdue: Vec<&str> = actions
            .iter()
            .filter(|a| a.overdue(today))
            .map(|a| a.responsible.code.as_str())
            .collect();
        assert_eq!(overdue, ["PREF-GYN"]);
        assert!(
            actions
                .iter()
                .any(|a| a.responsible.code == "MPGO" && a.status.as_str() == "in_progress")
        );
        assert!(
            actions
                .iter()
                .any(|a| a.joint_operation && a.partners.len() == 2 && a.status.as_str() == "done")
        );

        let cells = t.db.daily_counts().await.unwrap();
        assert_eq!(cells, t.db.daily_counts_recomputed().await.unwrap());
        // Same seed and date, another database (and backend): the same data.
        if let Some(prev) = &previous {
            assert_eq!(prev, &cells, "demo differs between runs");
        }
        previous = Some(cells);
        // A second load is refused and changes nothing.
        assert!(matches!(
            atalaia_demo::load_scaled(&t.db, 7872, today, 0.05).await,
            Err(atalaia_demo::DemoError::NotEmpty)
        ));
        assert_eq!(
            t.db.occurrence_changes(None, 1000).await.unwrap().len() as u64,
            re.updated
        );
        println!("backend {}: demo ok", t.label);
        t.cleanup().await.unwrap();
    }
    // With SQLite only, load twice to check determinism anyway.
    if std::env::var("ATALAIA_TEST_POSTGRES_URL").is_err() {
        let t = TestDb::sqlite().await.unwrap();
        atalaia_demo::load_scaled(&t.db, 7872, today, 0.05)
            .await
            .unwrap();
        assert_eq!(previous.as_ref(), Some(&t.db.daily_counts().await.unwrap()));
        t.cleanup().await.unwrap();
    }
}
