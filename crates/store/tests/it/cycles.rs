use super::*;
use atalaia_core::calendar::Decree;
use atalaia_core::cycle::{CycleError, CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::payroll::Amendment;
use atalaia_store::audit::AuditFilter;
use atalaia_store::cycles::{ActRequest, committee_office};

/// Decrees join the calendar, a municipal one only for its municipality, a revoked one no more.
async fn decrees(db: &Db) {
    let (go, goiania) = committee_office();
    let anapolis: atalaia_core::IbgeCode = "5201108".parse().unwrap();
    let closed = |day, act: &str| Decree {
        date: day,
        closed: true,
        name: "Ponto facultativo".into(),
        act: act.into(),
    };
    let state = db
        .add_calendar_decree(
            go,
            None,
            &closed(d(2024, 4, 3), "Decreto 1/2024"),
            "user:admin",
            dt(2024, 3, 1, 9),
        )
        .await
        .unwrap();
    db.add_calendar_decree(
        go,
        goiania,
        &closed(d(2024, 4, 4), "Decreto municipal 9/2024"),
        "user:admin",
        dt(2024, 3, 1, 9),
    )
    .await
    .unwrap();
    let april = atalaia_core::Month::new(2024, 4).unwrap();
    // Rule-based April 2024: 5th business day Apr 5. State decree: Apr 8. Plus Goiânia's: Apr 9.
    let cal = db.calendar(go, goiania).await.unwrap();
    assert_eq!(cal.nth_business_day(april, 5), Some(d(2024, 4, 9)));
    let cal = db.calendar(go, Some(anapolis)).await.unwrap();
    assert_eq!(cal.nth_business_day(april, 5), Some(d(2024, 4, 8)));
    assert!(
        db.revoke_calendar_decree(
            state,
            "publicado por engano",
            "user:admin",
            dt(2024, 3, 2, 9)
        )
        .await
        .unwrap()
    );
    assert!(
        !db.revoke_calendar_decree(state, "de novo", "user:admin", dt(2024, 3, 2, 9))
            .await
            .unwrap()
    );
    let cal = db.calendar(go, Some(anapolis)).await.unwrap();
    assert_eq!(cal.nth_business_day(april, 5), Some(d(2024, 4, 5)));
    let rows = db.calendar_decrees("GO").await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].revoked.as_ref().map(|r| r.2.as_str()),
        Some("publicado por engano")
    );
    let audit = db
        .audit_entries(&AuditFilter {
            action_prefix: Some("calendar.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "calendar.decree_revoked",
            "calendar.decree_added",
            "calendar.decree_added"
        ]
    );
}

async fn cycle_story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let imp = new_import(&mut tx, "units").await;
    let _ = tx
        .put_unit(&unit_in_aisp1("PM-1BPM", "1º BPM", "PM"), imp, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let q = CyclePeriod::Quarter(atalaia_core::Quarter::parse("2024-Q1").unwrap());
    let c = db
        .open_cycle(
            q,
            &Schedule::ANEXO_UNICO,
            "user:comite",
            dt(2024, 4, 1, 8),
            dt(2024, 4, 1, 8).date(),
        )
        .await
        .unwrap();
    // Opening again returns the same cycle.
    let again = db
        .open_cycle(
            q,
            &Schedule::ANEXO_UNICO,
            "user:comite",
            dt(2024, 4, 1, 8),
            dt(2024, 4, 1, 8).date(),
        )
        .await
        .unwrap();
    assert_eq!(again.id, c.id);
    // Goiânia's decree closing Apr 4 (from `decrees`) moves every deadline and is named beside it:
    // business days 1, 2, 3, 5, 8 → the 5th is Apr 8; …; the 15th is Apr 22.
    let deadlines = db.cycle_deadlines(&c).await.unwrap();
    assert_eq!(
        deadlines.iter().map(|x| x.date).collect::<Vec<_>>(),
        vec![
            d(2024, 4, 8),
            d(2024, 4, 15),
            d(2024, 4, 17),
            d(2024, 4, 19),
            d(2024, 4, 22),
            d(2024, 4, 22)
        ]
    );
    assert_eq!(
        deadlines[0]
            .changed_by
            .iter()
            .map(|x| x.act.as_str())
            .collect::<Vec<_>>(),
        ["Decreto municipal 9/2024"]
    );
    let municipal = db
        .calendar_decrees("GO")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.revoked.is_none())
        .unwrap();
    assert!(
        db.revoke_calendar_decree(municipal.id, "revogado", "user:admin", dt(2024, 4, 1, 8))
            .await
            .unwrap()
    );
    let deadlines = db.cycle_deadlines(&c).await.unwrap();
    // April 2024 in Goiânia, no decrees (worked out by hand in core::cycle's tests).
    assert_eq!(
        deadlines.iter().map(|x| x.date).collect::<Vec<_>>(),
        vec![
            d(2024, 4, 5),
            d(2024, 4, 12),
            d(2024, 4, 16),
            d(2024, 4, 18),
            d(2024, 4, 19),
            d(2024, 4, 19)
        ]
    );
    let act = |req: ActRequest, who: &'static str, today: NaiveDate| {
        let id = c.id;
        async move {
            db.cycle_act(id, &req, who, today, today.and_hms_opt(10, 0, 0).unwrap())
                .await
                .map_err(refusal)
        }
    };
    // The committee closes a step on time.
    let close = |step: StepKey, run: Option<i64>, today: NaiveDate| {
        act(ActRequest::close(step, run), "user:comite", today)
    };
    // The head sends the list on time, with an amendment.
    let amend = vec![Amendment {
        registration: "A1".into(),
        excluded: true,
        reason: "suspensão".into(),
    }];
    act(
        ActRequest::Submit {
            unit: "PM-1BPM".into(),
            amendments: amend.clone(),
            justification: String::new(),
        },
        "user:chefe",
        d(2024, 4, 5),
    )
    .await
    .unwrap();
    // An amendment without a reason, an unknown unit: refused.
    let bad = vec![Amendment {
        registration: "B2".into(),
        excluded: true,
        reason: " ".into(),
    }];
    assert!(matches!(
        act(
            ActRequest::Submit {
                unit: "PM-1BPM".into(),
                amendments: bad,
                justification: String::new()
            },
            "user:chefe",
            d(2024, 4, 5)
        )
        .await,
        Err(Refusal::Invalid(_))
    ));
    assert!(matches!(
        act(
            ActRequest::Appeal {
                unit: "XX".into(),
                text: "x".into(),
                justification: String::new(),
                corrections: Vec::new(),
            },
            "user:chefe",
            d(2024, 4, 5)
        )
        .await,
        Err(Refusal::Invalid(_))
    ));
    // Closing submissions late without a reason is refused, with one is recorded as late.
    assert_eq!(
        close(StepKey::Submissions, None, d(2024, 4, 8)).await,
        Err(Refusal::Cycle(CycleError::LateWithoutJustification(d(
            2024, 4, 5
        ))))
    );
    act(
        ActRequest::Close {
            step: StepKey::Submissions,
            justification: "reunião adiada".into(),
            run_id: None,
        },
        "user:comite",
        d(2024, 4, 8),
    )
    .await
    .unwrap();
    // The partial result needs a saved run of this quarter.
    assert_eq!(
        close(StepKey::PartialResult, None, d(2024, 4, 10)).await,
        Err(Refusal::Cycle(CycleError::RunRequired))
    );
    let other = db
        .save_run(
            CycleKind::Recap,
            &bare_run("2023-Q4", "2022-Q4"),
            "user:comite",
            dt(2024, 4, 9, 9),
        )
        .await
        .unwrap();
    assert!(matches!(
        close(StepKey::PartialResult, Some(other), d(2024, 4, 10)).await,
        Err(Refusal::Invalid(_))
    ));
    let run = db
        .save_run(
            CycleKind::Recap,
            &bare_run("2024-Q1", "2023-Q1"),
            "user:comite",
            dt(2024, 4, 9, 9),
        )
        .await
        .unwrap();
    close(StepKey::PartialResult, Some(run), d(2024, 4, 10))
        .await
        .unwrap();
    // Submissions are closed now.
    assert!(matches!(
        act(
            ActRequest::Submit {
                unit: "PM-1BPM".into(),
                amendments: vec![],
                justification: "x".into()
            },
            "user:chefe",
            d(2024, 4, 10)
        )
        .await,
        Err(Refusal::Cycle(CycleError::WindowClosed(_)))
    ));
    let appeal = act(
        ActRequest::Appeal {
            unit: "PM-1BPM".into(),
            text: "Ocorrência 123 fora da AISP1".into(),
            justification: String::new(),
            corrections: Vec::new(),
        },
        "user:chefe",
        d(2024, 4, 15),
    )
    .await
    .unwrap();
    close(StepKey::Appeals, None, d(2024, 4, 16)).await.unwrap();
    assert_eq!(
        close(StepKey::Validation, None, d(2024, 4, 17)).await,
        Err(Refusal::Cycle(CycleError::AppealsPending(1)))
    );
    act(
        ActRequest::DecideAppeal {
            appeal_id: appeal,
            accepted: false,
            text: "A ocorrência está na AISP1 pelo georreferenciamento.".into(),
            effect: None,
        },
        "user:comite",
        d(2024, 4, 17),
    )
    .await
    .unwrap();
    assert!(matches!(
        act(
            ActRequest::DecideAppeal {
                appeal_id: appeal,
                accepted: true,
                text: "x".into(),
                effect: None,
            },
            "user:comite",
            d(2024, 4, 17)
        )
        .await,
        Err(Refusal::Invalid(_))
    ));
    act(
        ActRequest::Decision {
            text: "Caso omisso: AISE sem população segue sem nível (Art. 13).".into(),
            effect: None,
        },
        "user:comite",
        d(2024, 4, 17),
    )
    .await
    .unwrap();
    // An effect must fit the cycle: no IPEI effect on a RECAP cycle, no operator that does not exist.
    for (effect, says) in [
        (
            atalaia_core::decision::Effect::PaySeizure { seizure_id: 1 },
            "são decisões do ciclo do IPEI",
        ),
        (
            atalaia_core::decision::Effect::IncludeOperator {
                registration: "Z9".into(),
            },
            "servidor de matrícula `Z9` inexistente",
        ),
    ] {
        let refused = act(
            ActRequest::Decision {
                text: "x".into(),
                effect: Some(effect),
            },
            "user:comite",
            d(2024, 4, 17),
        )
        .await
        .unwrap_err();
        assert!(refused.to_string().contains(says), "{refused}");
    }
    assert!(
        db.cycle(q).await.unwrap().unwrap().decisions().is_empty(),
        "a decision without an effect changes nothing"
    );
    close(StepKey::Validation, None, d(2024, 4, 18))
        .await
        .unwrap();
    close(StepKey::FinalResult, Some(run), d(2024, 4, 19))
        .await
        .unwrap();
    close(StepKey::PaymentAuthorization, None, d(2024, 4, 19))
        .await
        .unwrap();
    assert_eq!(
        act(
            ActRequest::Decision {
                text: " ".into(),
                effect: None,
            },
            "user:comite",
            d(2024, 4, 19)
        )
        .await,
        Err(Refusal::Cycle(CycleError::TextRequired("a decisão")))
    );
    let c = db.cycle(q).await.unwrap().unwrap();
    let s = c.state();
    assert_eq!(s.closed, StepKey::ALL.to_vec());
    assert_eq!(s.current(), None);
    assert_eq!(c.run_of(StepKey::FinalResult), Some(run));
    assert_eq!(c.amendments_by_unit()["PM-1BPM"], amend);
    let late: Vec<(&str, bool, &str)> = c
        .acts
        .iter()
        .map(|a| (a.act.as_str(), a.late, a.justification.as_str()))
        .collect();
    assert_eq!(late[1], ("close", true, "reunião adiada"));
    assert_eq!(c.acts.len(), 10);
    // Every act is in the audit log, in order.
    let audit = db
        .audit_entries(&AuditFilter {
            action_prefix: Some("cycle.".into()),
            limit: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "cycle.opened",
            "cycle.submission",
            "cycle.close",
            "cycle.close",
            "cycle.appeal",
            "cycle.close",
            "cycle.appeal_decision",
            "cycle.decision",
            "cycle.close",
            "cycle.close",
            "cycle.close"
        ]
    );
    assert!(
        audit[8].details.contains("\"late\":true"),
        "{}",
        audit[8].details
    );

    // The payment step: only the authorized run, with its payroll file's SHA-256, once; after it no
    // step closes again (a paid run is never re-authorized).
    let sha = "ab".repeat(32);
    let pay = |run_id: i64, sha: &str, on: NaiveDate| ActRequest::Payment {
        run_id,
        payroll_sha256: sha.to_string(),
        paid_on: on,
    };
    for (request, says) in [
        (
            pay(other, &sha, d(2024, 5, 6)),
            "não é a do resultado final autorizado",
        ),
        (pay(run, "abc", d(2024, 5, 6)), "SHA-256 `abc` inválido"),
        (pay(run, &sha, d(2024, 5, 9)), "fora do intervalo"),
    ] {
        let refused = act(request, "user:comite", d(2024, 5, 8))
            .await
            .unwrap_err();
        assert!(refused.to_string().contains(says), "{refused}");
    }
    act(
        pay(run, &sha.to_uppercase(), d(2024, 5, 6)),
        "user:comite",
        d(2024, 5, 8),
    )
    .await
    .unwrap();
    let paid = db.cycle(q).await.unwrap().unwrap().payment().unwrap();
    assert_eq!(
        (paid.run_id, paid.payroll_sha256.as_str(), paid.paid_on),
        (run, sha.as_str(), d(2024, 5, 6))
    );
    let again = act(pay(run, &sha, d(2024, 5, 7)), "user:comite", d(2024, 5, 8))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("já foi registrado"), "{again}");
    let reclose = act(
        ActRequest::Close {
            step: StepKey::PaymentAuthorization,
            justification: "de novo".into(),
            run_id: None,
        },
        "user:comite",
        d(2024, 5, 8),
    )
    .await
    .unwrap_err();
    assert!(
        reclose.to_string().contains("o período já foi pago"),
        "{reclose}"
    );
}

/// Two people acting on one state of the cycle: the second gets a conflict, nothing is written twice.
async fn conflict(db: &Db) {
    let q = CyclePeriod::Quarter(atalaia_core::Quarter::parse("2024-Q2").unwrap());
    let c = db
        .open_cycle(
            q,
            &Schedule::ANEXO_UNICO,
            "user:comite",
            dt(2024, 7, 1, 8),
            dt(2024, 7, 1, 8).date(),
        )
        .await
        .unwrap();
    let close = ActRequest::close(StepKey::Submissions, None);
    let (a, b) = tokio::join!(
        db.cycle_act(c.id, &close, "user:a", d(2024, 7, 1), dt(2024, 7, 1, 9)),
        db.cycle_act(c.id, &close, "user:b", d(2024, 7, 1), dt(2024, 7, 1, 9)),
    );
    let (a, b) = (a.map_err(refusal), b.map_err(refusal));
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert!(
        matches!(
            loser,
            Err(Refusal::Conflict) | Err(Refusal::Cycle(CycleError::OutOfOrder { .. }))
        ),
        "{loser:?}"
    );
    let c = db.cycle(q).await.unwrap().unwrap();
    assert_eq!(c.acts.len(), 1);
}

per_backend! {
    async fn calendar_decrees_and_the_recap_cycle(t) {
        decrees(&t.db).await;
        cycle_story(&t.db).await;
        conflict(&t.db).await;
        println!("backend {}: decrees and cycle ok", t.label);
        t.cleanup().await.unwrap();
    }
}
