use super::*;
use atalaia_core::recap::Pct;
use atalaia_core::roster::RosterReason;
use atalaia_store::reference::{AbsenceInput, AssignmentInput, OperatorInput};

async fn story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "operators").await;
    // E5 is a municipal guard assigned to a battalion; F6 joined it for the last 10 days (Art. 9).
    for (reg, institution) in [
        ("A1", "PM"),
        ("B2", "PM"),
        ("C3", "PM"),
        ("D4", "PM"),
        ("E5", "GCM"),
        ("F6", "PM"),
    ] {
        tx.put_operator(
            &OperatorInput {
                registration: reg.parse().unwrap(),
                name: format!("Operador {reg}"),
                institution: institution.parse().unwrap(),
                cpf: None,
            },
            imp,
            false,
        )
        .await
        .unwrap();
    }
    let assign = |reg: &str, unit: &str, from: NaiveDate, to: Option<NaiveDate>, kind: &str| {
        AssignmentInput {
            registration: reg.parse().unwrap(),
            unit_code: unit.parse().unwrap(),
            from,
            to,
            kind: kind.into(),
        }
    };
    for a in [
        assign("A1", "PM-1BPM", d(2020, 1, 1), None, "lotacao"),
        assign("B2", "PM-1BPM", d(2020, 1, 1), None, "lotacao"),
        assign("C3", "PM-13BPM", d(2020, 1, 1), None, "lotacao"),
        assign(
            "C3",
            "PM-7BPM",
            d(2024, 4, 1),
            Some(d(2024, 5, 31)),
            "disposicao",
        ),
        assign("E5", "PM-1BPM", d(2020, 1, 1), None, "lotacao"),
        assign("F6", "PM-1BPM", d(2024, 6, 21), None, "lotacao"),
    ] {
        tx.put_assignment(&a, imp, false).await.unwrap();
    }
    for (reg, from, to) in [
        ("A1", d(2024, 4, 1), d(2024, 5, 24)),
        ("B2", d(2024, 3, 20), d(2024, 4, 30)),
        ("B2", d(2024, 4, 15), d(2024, 5, 25)),
    ] {
        tx.put_absence(
            &AbsenceInput {
                registration: reg.parse().unwrap(),
                from,
                to,
                reason: "férias".into(),
            },
            imp,
            false,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let q = atalaia_core::Quarter::parse("2024-Q2").unwrap();
    let config = atalaia_core::program::ProgramDocument::decree_default()
        .validate()
        .unwrap();
    assert_eq!(config.absence_max_pct, Pct::new(60.0).unwrap());
    let lines = db.roster(q, &config).await.unwrap();
    // (registration, unit, absent days, days not in service, exclusion)
    type Line<'a> = (&'a str, Option<&'a str>, u32, u32, Option<RosterReason>);
    let got: Vec<Line> = lines
        .iter()
        .map(|l| {
            (
                l.registration.as_str(),
                l.entry.unit.as_deref(),
                l.entry.absent_days,
                l.entry.not_in_service_days,
                l.entry.excluded.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("A1", Some("PM-1BPM"), 54, 0, None),
            ("B2", Some("PM-1BPM"), 55, 0, Some(RosterReason::Absence)),
            ("C3", Some("PM-7BPM"), 0, 0, None),
            ("D4", None, 0, 91, Some(RosterReason::NoAssignment)),
            (
                "E5",
                Some("PM-1BPM"),
                0,
                0,
                Some(RosterReason::InstitutionNotEligible)
            ),
            ("F6", Some("PM-1BPM"), 0, 81, Some(RosterReason::Absence)),
        ]
    );
    assert_eq!(lines[2].entry.days_by_unit["PM-7BPM"], 61);
}

per_backend! {
    async fn the_roster_of_a_quarter_from_assignments_and_absences(t) {
        story(&t.db).await;
        println!("backend {}: roster (Art. 9) ok", t.label);
        t.cleanup().await.unwrap();
    }
}
