use super::*;
use atalaia_core::cycle::{CycleKind, Schedule};
use atalaia_core::ipei::{PersonReason, SeizureReason, SeizureStatus, UnitReason, UnitStatus};
use atalaia_store::cycles::ActRequest;
use atalaia_store::ipei::{ForensicRecord, SeizureRecord};
use atalaia_store::reference::{AssignmentInput, OperatorInput};
use atalaia_store::territories::Upsert;

fn seizure(unit: &str, bo: &str, serial: &str, day: NaiveDate, regs: &[&str]) -> SeizureRecord {
    SeizureRecord {
        unit_code: unit.parse().unwrap(),
        bo_number: bo.parse().unwrap(),
        item: None,
        serial: serial.into(),
        seized_on: day,
        flagrante: true,
        registrations: regs.iter().map(|r| r.parse().unwrap()).collect(),
        weapon_kind: "revólver".into(),
        caliber: ".38".into(),
        brand: "Taurus".into(),
    }
}

/// March 2024: the units' deadline is the 5th business day of April in Goiânia, Friday 05/04 (no
/// decrees). PM-1BPM delivers on 03/04, PM-2BPM on 08/04 (late: excluded, Art. 15 I).
async fn story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "units").await;
    for (code, inst) in [("PM-1BPM", "PM"), ("PM-2BPM", "PM"), ("SPTC-IC", "SPTC")] {
        let _ = tx
            .put_unit(
                &unit_in_aisp1(code, &format!("Unidade {code}"), inst),
                imp,
                false,
            )
            .await
            .unwrap();
    }
    for (reg, inst, unit) in [
        ("A1", "PM", Some("PM-1BPM")),
        ("B2", "PM", Some("PM-1BPM")),
        ("S1", "SPTC", Some("SPTC-IC")),
        ("F1", "BM", None),
    ] {
        tx.put_operator(
            &OperatorInput {
                registration: reg.parse().unwrap(),
                name: format!("Operador {reg}"),
                institution: inst.parse().unwrap(),
                cpf: None,
            },
            imp,
            false,
        )
        .await
        .unwrap();
        if let Some(unit) = unit {
            tx.put_assignment(
                &AssignmentInput {
                    registration: reg.parse().unwrap(),
                    unit_code: unit.parse().unwrap(),
                    from: d(2020, 1, 1),
                    to: None,
                    kind: "lotacao".into(),
                },
                imp,
                false,
            )
            .await
            .unwrap();
        }
    }
    let now = dt(2024, 3, 20, 10);
    let s1 = seizure(
        "PM-1BPM",
        "100/2024",
        "AB-1",
        d(2024, 3, 10),
        &["A1", "B2", "F1"],
    );
    let (u, id1) = tx
        .put_seizure(&s1, None, false, "user:chefe1", now)
        .await
        .unwrap();
    assert_eq!(u, Upsert::Inserted);
    // No serial and no item: the weapon cannot be told apart.
    let mut s2 = seizure("PM-1BPM", "100/2024", "", d(2024, 3, 10), &["A1"]);
    let refused = tx
        .put_seizure(&s2, None, false, "user:chefe1", now)
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(refused.to_string().contains("coluna `item`"), "{refused}");
    s2.item = Some(2);
    s2.flagrante = false;
    let (_, id2) = tx
        .put_seizure(&s2, None, false, "user:chefe1", now)
        .await
        .unwrap();
    let s3 = seizure("PM-2BPM", "200/2024", "ZZ9", d(2024, 3, 12), &["B2"]);
    let (_, id3) = tx
        .put_seizure(&s3, None, false, "user:chefe2", now)
        .await
        .unwrap();
    // The same row again changes nothing; a corrected caliber is kept as a revision.
    assert_eq!(
        tx.put_seizure(&s1, None, false, "user:chefe1", now)
            .await
            .unwrap(),
        (Upsert::Unchanged, id1)
    );
    let mut s1b = s1.clone();
    s1b.caliber = "9mm".into();
    assert_eq!(
        tx.put_seizure(&s1b, None, false, "user:chefe1", now)
            .await
            .unwrap(),
        (Upsert::Updated, id1)
    );
    tx.put_evidence_file(
        "ab".repeat(32).as_str(),
        "application/pdf",
        1234,
        "bo.pdf",
        "user:chefe1",
        now,
    )
    .await
    .unwrap();
    for id in [id1, id2, id3] {
        tx.attach_bo(id, &"ab".repeat(32)).await.unwrap();
    }
    tx.put_forensic_report(
        &ForensicRecord {
            bo_number: "100/2024".into(),
            serial: "ab1".into(),
            expert_registration: "S1".into(),
            signed_on: d(2024, 4, 2),
        },
        None,
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let revisions = db.seizure_revisions(id1).await.unwrap();
    assert_eq!(revisions.len(), 1);
    assert!(revisions[0].before.contains("\".38\"") && revisions[0].after.contains("\"9mm\""));

    let march = atalaia_core::Month::parse("2024-03").unwrap();
    let r = db.ipei_result(march, d(2024, 4, 1)).await.unwrap();
    assert_eq!(r.stage.as_str(), "open");
    assert!(
        r.units
            .iter()
            .all(|u| u.reasons == [UnitReason::AwaitingSubmission])
    );

    let c = db
        .open_cycle(
            march,
            &Schedule::ANEXO_UNICO,
            "user:comite",
            dt(2024, 4, 1, 8),
            dt(2024, 4, 1, 8).date(),
        )
        .await
        .unwrap();
    let deliver = |unit: &str, why: &str| ActRequest::Deliver {
        unit: unit.into(),
        justification: why.into(),
    };
    db.cycle_act(
        c.id,
        &deliver("PM-1BPM", ""),
        "user:chefe1",
        d(2024, 4, 3),
        dt(2024, 4, 3, 9),
    )
    .await
    .unwrap();
    // Once delivered, no new seizure and no second delivery (Art. 14).
    let mut tx = db.begin().await.unwrap();
    let late_add = seizure("PM-1BPM", "101/2024", "QQ1", d(2024, 3, 30), &["A1"]);
    let refused = tx
        .put_seizure(&late_add, None, false, "user:chefe1", dt(2024, 4, 4, 9))
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(refused.to_string().contains("Art. 14"), "{refused}");
    // Nor can a delivered seizure leave its month: BO 100/2024's weapon AB-1 registered again with
    // an April date would take it out of what March delivered.
    let mut moved = s1.clone();
    moved.seized_on = d(2024, 4, 2);
    let refused = tx
        .put_seizure(&moved, None, false, "user:chefe1", dt(2024, 4, 4, 9))
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(refused.to_string().contains("Art. 14"), "{refused}");
    tx.commit().await.unwrap();
    assert_eq!(
        db.seizure(id1).await.unwrap().unwrap().record.seized_on,
        d(2024, 3, 10)
    );
    let again = db
        .cycle_act(
            c.id,
            &deliver("PM-1BPM", ""),
            "user:chefe1",
            d(2024, 4, 4),
            dt(2024, 4, 4, 9),
        )
        .await
        .map_err(refusal);
    assert!(
        matches!(&again, Err(Refusal::Invalid(m)) if m.contains("já enviou o mês em 03/04/2024")),
        "{again:?}"
    );
    // Late without a justification: refused; with one: recorded as late.
    assert!(
        db.cycle_act(
            c.id,
            &deliver("PM-2BPM", ""),
            "user:chefe2",
            d(2024, 4, 8),
            dt(2024, 4, 8, 9)
        )
        .await
        .map_err(refusal)
        .is_err()
    );
    db.cycle_act(
        c.id,
        &deliver("PM-2BPM", "sistema fora do ar"),
        "user:chefe2",
        d(2024, 4, 8),
        dt(2024, 4, 8, 9),
    )
    .await
    .unwrap();

    let r = db.ipei_result(march, d(2024, 4, 20)).await.unwrap();
    let units: Vec<(&str, UnitStatus, Vec<UnitReason>)> = r
        .units
        .iter()
        .map(|u| (u.code.as_str(), u.status, u.reasons.clone()))
        .collect();
    assert_eq!(
        units,
        [
            ("PM-1BPM", UnitStatus::Included, vec![]),
            (
                "PM-2BPM",
                UnitStatus::Excluded,
                vec![UnitReason::LateSubmission]
            ),
        ]
    );
    assert_eq!(r.units[0].name, "Unidade PM-1BPM");
    let s: Vec<(i64, SeizureStatus, Vec<SeizureReason>, Vec<String>)> = r
        .seizures
        .iter()
        .map(|s| (s.id, s.status, s.reasons.clone(), s.operators.clone()))
        .collect();
    assert_eq!(
        s,
        [
            (
                id1,
                SeizureStatus::Paid,
                vec![],
                vec!["A1".to_string(), "B2".to_string()]
            ),
            (
                id2,
                SeizureStatus::Rejected,
                vec![SeizureReason::NotFlagrante],
                vec![]
            ),
            (
                id3,
                SeizureStatus::Rejected,
                vec![SeizureReason::UnitExcluded],
                vec![]
            ),
        ]
    );
    assert_eq!(r.seizures[0].shares[2].reasons, [PersonReason::Institution]);
    let pay: Vec<(&str, i64)> = r
        .payments
        .iter()
        .map(|p| (p.registration.as_str(), p.amount_cents))
        .collect();
    assert_eq!(pay, [("A1", 15_000), ("B2", 15_000), ("S1", 30_000)]);
    assert_eq!(r.total_cents, 60_000);
    assert_eq!(r.stage.as_str(), "open");

    // The partial result publishes a saved run; the run replays byte for byte and a later laudo
    // changes today's reading, never the run.
    let computed = db.ipei_compute(march, d(2024, 4, 10)).await.unwrap();
    let run = db
        .save_ipei_run(&computed, "user:comite", dt(2024, 4, 10, 9))
        .await
        .unwrap();
    for (step, run_id) in [
        (atalaia_core::cycle::StepKey::Submissions, None),
        (atalaia_core::cycle::StepKey::PartialResult, Some(run)),
    ] {
        db.cycle_act(
            c.id,
            &ActRequest::Close {
                step,
                // Closing the units' step after its deadline (05/04) is late too.
                justification: "aguardou os envios atrasados".into(),
                run_id,
            },
            "user:comite",
            d(2024, 4, 10),
            dt(2024, 4, 10, 10),
        )
        .await
        .unwrap();
    }
    let cycle = db.cycle(march).await.unwrap().unwrap();
    assert_eq!(
        cycle.run_of(atalaia_core::cycle::StepKey::PartialResult),
        Some(run)
    );
    assert_eq!(
        db.ipei_result(march, d(2024, 4, 10))
            .await
            .unwrap()
            .stage
            .as_str(),
        "partial"
    );
    let mut tx = db.begin().await.unwrap();
    tx.put_forensic_report(
        &ForensicRecord {
            bo_number: "100/2024".into(),
            serial: "AB1".into(),
            expert_registration: "S9".into(),
            signed_on: d(2024, 4, 3),
        },
        None,
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let saved = db.saved_run(CycleKind::Ipei, run).await.unwrap().unwrap();
    assert_eq!(saved.period, "2024-03");
    let replay = saved.replay::<atalaia_core::pipeline::Ipei>().unwrap();
    assert!(replay.reproduces);
    assert_eq!(replay.report.total_cents, 60_000);
    let today = db.ipei_result(march, d(2024, 4, 10)).await.unwrap();
    assert_eq!(
        today.laudos[0].shares.len(),
        2,
        "the new signature is read today"
    );
    assert_ne!(serde_json::to_string(&today).unwrap(), saved.result);
    assert_eq!(
        db.saved_runs(CycleKind::Ipei, Some("2024-03"))
            .await
            .unwrap()
            .len(),
        1
    );
    // Lists read the run without its inputs and result: the same number, period, author and hashes.
    let listed = db
        .run_listing(CycleKind::Ipei, Some("2024-03"), 5)
        .await
        .unwrap();
    assert_eq!(
        listed,
        [atalaia_store::runs::RunListing {
            id: saved.id,
            period: saved.period.clone(),
            inputs_sha256: saved.inputs_sha256.clone(),
            result_sha256: saved.result_sha256.clone(),
            created_by: saved.created_by.clone(),
            created_at: saved.created_at,
        }]
    );
    assert!(
        db.run_listing(CycleKind::Ipei, Some("2024-04"), 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.run_listing(CycleKind::Ipei, None, 0).await.unwrap(), []);

    // BO copies: checked by content; after the delivery only through the unit's appeal (Art. 14).
    let files = tempfile::tempdir().unwrap();
    let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    let attach = |appeal: Option<i64>, name: &'static str, bytes: Vec<u8>| {
        let dir = files.path().to_path_buf();
        async move {
            db.attach_bo_file(
                id2,
                &dir,
                name,
                &bytes,
                1000,
                appeal,
                "user:chefe1",
                dt(2024, 4, 11, 9),
            )
            .await
            .map_err(refusal)
        }
    };
    let refused = attach(None, "bo.png", png.to_vec()).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "a unidade PM-1BPM já enviou o mês 2024-03: a cópia do BO de uma apreensão entregue só se anexa por recurso (Art. 14)"
    );
    let appeal = db
        .cycle_act(
            c.id,
            &ActRequest::Appeal {
                unit: "PM-1BPM".into(),
                text: "a cópia do BO 100/2024 item 2 estava ilegível; segue nova cópia".into(),
                justification: String::new(),
                corrections: Vec::new(),
            },
            "user:chefe1",
            d(2024, 4, 11),
            dt(2024, 4, 11, 8),
        )
        .await
        .unwrap();
    let refused = attach(Some(appeal), "bo.pdf", b"MZ\x90\x00".to_vec())
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("não é PDF, JPEG nem PNG"),
        "{refused}"
    );
    let sha = attach(Some(appeal), "bo.png", png.to_vec()).await.unwrap();
    assert_eq!(
        std::fs::read(atalaia_store::ipei::evidence_path(files.path(), &sha)).unwrap(),
        png
    );
    let s2 = db
        .seizures(march, Some("PM-1BPM"))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == id2)
        .unwrap();
    assert_eq!(s2.bo_sha256.as_deref(), Some(sha.as_str()));
    let attached = db
        .audit_entries(&atalaia_store::audit::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "ipei.bo_attached")
        .count();
    assert_eq!(attached, 1, "refusals are not audited as attachments");

    // The same appeal corrects a field of a delivered seizure (it was in flagrante after all); the
    // correction waits for the committee and applies when the appeal is granted (Art. 14).
    let mut fixed = s2.record.clone();
    fixed.flagrante = true;
    let mut other_bo = fixed.clone();
    other_bo.bo_number = "999/2024".parse().unwrap();
    let refused = db
        .propose_correction(id2, appeal, &other_bo, "user:chefe1", dt(2024, 4, 11, 10))
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(
        refused.to_string().contains("o BO identificam a apreensão"),
        "{refused}"
    );
    db.propose_correction(id2, appeal, &fixed, "user:chefe1", dt(2024, 4, 11, 10))
        .await
        .unwrap();
    // An appeal that would add a seizure is refused whole: no act, no revision (Art. 14).
    let acts_before = db.cycle(march).await.unwrap().unwrap().acts.len();
    let mut forgotten = fixed.clone();
    forgotten.bo_number = "300/2024".parse().unwrap();
    let refused = db
        .cycle_act(
            c.id,
            &ActRequest::Appeal {
                unit: "PM-1BPM".into(),
                text: "esquecemos a arma do BO 300/2024".into(),
                justification: String::new(),
                corrections: vec![atalaia_store::ipei::Correction {
                    seizure_id: None,
                    record: forgotten,
                }],
            },
            "user:chefe1",
            d(2024, 4, 11),
            dt(2024, 4, 11, 11),
        )
        .await
        .map_err(refusal)
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "o BO 300/2024 não consta do envio da unidade PM-1BPM em 2024-03: um recurso só corrige material já entregue e não acrescenta apreensão (Art. 14)"
    );
    assert_eq!(
        db.cycle(march).await.unwrap().unwrap().acts.len(),
        acts_before
    );
    assert_eq!(
        db.seizure_revisions(id2).await.unwrap().len(),
        1,
        "the proposal only"
    );
    let pending = db.ipei_result(march, d(2024, 4, 11)).await.unwrap();
    assert_eq!(
        pending
            .seizures
            .iter()
            .find(|s| s.id == id2)
            .unwrap()
            .reasons,
        [SeizureReason::NotFlagrante],
        "a proposed correction changes nothing yet"
    );
    db.cycle_act(
        c.id,
        &ActRequest::DecideAppeal {
            appeal_id: appeal,
            accepted: true,
            text: "Provido: o BO registra o flagrante.".into(),
            effect: None,
        },
        "user:comite",
        d(2024, 4, 12),
        dt(2024, 4, 12, 9),
    )
    .await
    .unwrap();
    let after = db.ipei_result(march, d(2024, 4, 12)).await.unwrap();
    let s2r = after.seizures.iter().find(|s| s.id == id2).unwrap();
    assert_eq!(
        (s2r.status, s2r.operators.clone()),
        (SeizureStatus::Paid, vec!["A1".to_string()])
    );
    let a1 = after
        .payments
        .iter()
        .find(|p| p.registration == "A1")
        .unwrap();
    assert_eq!(a1.amount_cents, 15_000 + 30_000);
    let statuses: Vec<String> = db
        .seizure_revisions(id2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, ["applied"]);
    // A decided appeal takes no more corrections.
    let late = db
        .propose_correction(id2, appeal, &s2.record, "user:chefe1", dt(2024, 4, 12, 10))
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(
        late.to_string().contains("não é um recurso pendente"),
        "{late}"
    );

    // April: the same weapon (serial "ab 1" = "AB-1") claimed by another unit is a duplicate.
    let mut tx = db.begin().await.unwrap();
    let dup = seizure("PM-2BPM", "300/2024", "ab 1", d(2024, 4, 2), &["B2"]);
    tx.put_seizure(&dup, None, false, "user:chefe2", dt(2024, 4, 2, 9))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let april = atalaia_core::Month::parse("2024-04").unwrap();
    let r = db.ipei_result(april, d(2024, 5, 20)).await.unwrap();
    assert_eq!(r.seizures[0].status, SeizureStatus::Duplicate);
    assert_eq!(
        r.seizures[0].duplicate_of.as_deref(),
        Some("BO 100/2024 (2024-03)")
    );
    // Art. 10, one payment per weapon: March's ZZ9 was rejected in March's published result, so
    // April's "zz-9" is no duplicate; AB1 of another maker is another weapon.
    let mut tx = db.begin().await.unwrap();
    let rejected_before = seizure("PM-1BPM", "301/2024", "zz-9", d(2024, 4, 3), &["A1"]);
    let (_, again) = tx
        .put_seizure(
            &rejected_before,
            None,
            false,
            "user:chefe1",
            dt(2024, 4, 3, 9),
        )
        .await
        .unwrap();
    let glock = SeizureRecord {
        brand: "GLOCK".into(),
        ..seizure("PM-1BPM", "302/2024", "AB1", d(2024, 4, 4), &["A1"])
    };
    let (_, other_maker) = tx
        .put_seizure(&glock, None, false, "user:chefe1", dt(2024, 4, 4, 9))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = db.ipei_result(april, d(2024, 5, 20)).await.unwrap();
    for id in [again, other_maker] {
        let s = r.seizures.iter().find(|s| s.id == id).unwrap();
        assert!(
            !s.reasons.contains(&SeizureReason::Duplicate) && s.duplicate_of.is_none(),
            "{id}: {:?} {:?}",
            s.reasons,
            s.duplicate_of
        );
    }
    // The deliveries are in the audit log with the seizures they froze.
    let entries = db
        .audit_entries(&atalaia_store::audit::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let delivery = entries
        .iter()
        .find(|e| e.action == "cycle.submission" && e.actor == "user:chefe1")
        .unwrap();
    assert!(
        delivery
            .details
            .contains(&format!("\"delivery\":{{\"seizures\":[{id1},{id2}]}}")),
        "{}",
        delivery.details
    );
}

per_backend! {
    async fn seizures_deliveries_and_the_month_result(t) {
        story(&t.db).await;
        println!("backend {}: IPEI month ok", t.label);
        t.cleanup().await.unwrap();
    }
}
