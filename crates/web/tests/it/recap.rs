//! RECAP over HTTP: the committee's and unit heads' acts, checked and audited, and the official
//! documents of a saved run, downloaded by who may.

use atalaia_store::testing::TestDb;

use super::*;

/// RECAP acts from the web: a schedule the rules refuse, a configuration that breaks Art. 5, a unit head
/// acting for a unit outside their scope — each refused with a Portuguese reason and nothing written;
/// a valid configuration and a committee-set schedule go in, audited.
#[tokio::test]
async fn recap_acts_are_checked_and_audited() {
    let t = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    load_demo(&t.db, today, 0.01).await;
    let app = App::new(t.db.clone(), test_config()).await;
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let csrf = app.csrf(&committee).await;
    let q =
        atalaia_core::cycle::CyclePeriod::Quarter(atalaia_core::Quarter::parse("2026-Q3").unwrap());
    // Validation before the partial result: refused, no cycle.
    let r = app
        .post_form(
            "/recap/ciclo",
            Some(&committee),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&prazo_1=5&prazo_2=10&prazo_3=12&prazo_4=9&prazo_5=15&prazo_6=15"),
        )
        .await;
    r.assert_has("antes do da etapa anterior");
    assert!(app.db.cycle(q).await.unwrap().is_none());
    // November 2026 has 19 business days in Goiânia (Finados and the Consciência Negra fall on
    // weekdays): an IPEI schedule asking for the 20th used to open a cycle whose pages then failed with
    // a 500. Refused beside the form, nothing opened.
    let october =
        atalaia_core::cycle::CyclePeriod::Month(atalaia_core::Month::new(2026, 10).unwrap());
    let r = app
        .post_form(
            "/ipei/ciclo",
            Some(&committee),
            &format!("csrf_token={csrf}&mes=2026-10&prazo_1=15&prazo_2=16&prazo_3=17&prazo_4=18&prazo_5=19&prazo_6=20"),
        )
        .await;
    assert_eq!(r.status, 200);
    r.assert_has("seria o 20º dia útil de novembro de 2026, que tem só 19 dias úteis");
    assert!(app.db.cycle(october).await.unwrap().is_none());
    let r = app
        .post_form(
            "/recap/ciclo",
            Some(&committee),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&prazo_1=3&prazo_2=8&prazo_3=10&prazo_4=12&prazo_5=13&prazo_6=13"),
        )
        .await;
    assert_eq!(r.status, 303);
    let c = app.db.cycle(q).await.unwrap().unwrap();
    assert_eq!(c.schedule.nth, [3, 8, 10, 12, 13, 13]);
    // A configuration whose RECAP1 threshold is not above RECAP2's (Art. 5).
    let mut doc = atalaia_core::program::ProgramDocument::decree_default();
    doc.recap1_min_pct = 10.0;
    let body = |doc: &atalaia_core::program::ProgramDocument, day: &str| {
        format!(
            "csrf_token={csrf}&vigencia={day}&nota=Resolu%C3%A7%C3%A3o+1&documento={}",
            urlencode(&serde_json::to_string(doc).unwrap())
        )
    };
    let before = app.db.program_configs().await.unwrap().len();
    let r = app
        .post_form(
            "/recap/configuracao",
            Some(&committee),
            &body(&doc, "01/01/2027"),
        )
        .await;
    r.assert_has("deve ser maior");
    assert_eq!(app.db.program_configs().await.unwrap().len(), before);
    doc.recap1_min_pct = 25.0;
    app.post_ok("/recap/configuracao", &committee, &body(&doc, "01/01/2027"))
        .await;
    let versions = app.db.program_configs().await.unwrap();
    assert_eq!(versions.len(), before + 1);
    assert!(
        versions
            .last()
            .unwrap()
            .document
            .contains("\"recap1_min_pct\":25.0")
    );
    // The head of PM-1BPM appeals for another unit: not found among his, nothing recorded.
    let chief = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let csrf = app.csrf(&chief).await;
    let r = app
        .post_form(
            "/recap/unidade/recurso",
            Some(&chief),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&unidade=PM-7BPM&texto=x"),
        )
        .await;
    assert_eq!(r.status, 404);
    r.assert_has("a unidade `PM-7BPM` entre as suas");
    // Their own unit, before the partial result: the window is closed.
    let r = app
        .post_form(
            "/recap/unidade/recurso",
            Some(&chief),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&unidade=PM-1BPM&texto=x"),
        )
        .await;
    r.assert_has("recursos só depois do resultado parcial");
    assert_eq!(app.db.cycle(q).await.unwrap().unwrap().acts.len(), 0);
    let acts: Vec<String> = audit_actions(&app.db)
        .await
        .into_iter()
        .filter(|(_, a, _)| a.starts_with("cycle.") || a.starts_with("config."))
        .map(|(who, a, _)| format!("{who} {a}"))
        .collect();
    assert_eq!(
        acts,
        [
            "demo config.program",
            "user:comite cycle.opened",
            "user:comite config.program"
        ]
    );
    t.cleanup().await.unwrap();
}

/// The official outputs of a saved run: the PDF for everyone who reads RECAP results, the workbook with
/// the named payroll only for the committee and auditors, its download audited; partial until the cycle
/// publishes the run as the final result.
#[tokio::test]
async fn recap_documents_are_downloaded_by_who_may() {
    use calamine::Reader;
    let t = TestDb::sqlite().await.unwrap();
    let (app, committee, page, run_id) = demo_with_a_recap_run(&t.db, test_config()).await;

    // The run page names who ran it as people know them.
    let html = app.get(&page, Some(&committee)).await;
    html.assert_has("Carla do Comitê Gestor (comite)");
    let pdf = app
        .get_ok(&format!("{page}/resultado.pdf"), &committee)
        .await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers["content-disposition"],
        format!("attachment; filename=\"recap-2026-Q3-execucao-{run_id}.pdf\"")
    );
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert!(pdf.body.trim_end().ends_with("%%EOF"));
    // The title in the document's (uncompressed, PDF/A) XMP metadata names the stage: no final result
    // has been published.
    assert!(
        pdf.body
            .contains("Resultado parcial do RECAP — 3º trimestre de 2026"),
        "the PDF's title should name the partial stage"
    );
    // Same run, same bytes.
    let again = app
        .get(&format!("{page}/resultado.pdf"), Some(&committee))
        .await;
    assert_eq!(again.bytes, pdf.bytes);

    // What a count rested on, from the run's page (goias-cidadao-seguro.md §7), audited.
    let run = app
        .db
        .saved_run(CycleKind::Recap, run_id)
        .await
        .unwrap()
        .unwrap();
    let area = run
        .replay::<atalaia_core::pipeline::Recap>()
        .unwrap()
        .inputs
        .areas[0]
        .code
        .clone();
    let trace = app
        .db
        .recap_trace(
            run_id,
            &area,
            "roubo_veiculo",
            atalaia_store::trace::TracePeriod::Current,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        html.body
            .contains(&format!("action=\"{page}/ocorrencias\""))
    );
    let r = app
        .get_ok(
            &format!("{page}/ocorrencias?area={area}&crime=roubo_veiculo&periodo=atual"),
            &committee,
        )
        .await;
    r.assert_has(&format!(
        "<dt>Contagem da execução</dt><dd>{}</dd>",
        trace.count
    ));
    assert!(r.body.contains(&format!("{} origens", trace.sources.len())));
    assert!(r.body.contains("Roubo de veículo"), "the crime by its name");
    assert!(
        audit_actions(&app.db)
            .await
            .iter()
            .any(|(_, a, _)| a == "recap.trace_viewed")
    );

    // The unit head reads neither the whole run's PDF (every unit's people and amounts) nor the named
    // payroll: his unit's part is on his unit's pages (issue 17).
    let chief = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    assert_eq!(
        app.get(&format!("{page}/resultado.pdf"), Some(&chief))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get(&format!("{page}/resultado.xlsx"), Some(&chief))
            .await
            .status,
        403
    );
    assert!(
        !audit_actions(&app.db)
            .await
            .iter()
            .any(|(_, a, _)| a == "recap.payroll_exported")
    );

    // The auditor downloads the workbook: one payroll row per line of the frozen roster.
    let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let x = app
        .get_ok(&format!("{page}/resultado.xlsx"), &auditor)
        .await;
    assert_eq!(
        x.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
    let sheet = wb.worksheet_range("Folha nominal").unwrap();
    let run = app
        .db
        .saved_run(CycleKind::Recap, run_id)
        .await
        .unwrap()
        .unwrap();
    let replay = run.replay::<atalaia_core::pipeline::Recap>().unwrap();
    assert!(replay.frozen.is_some(), "a saved run freezes its roster");
    let (lines, _) = replay.payroll();
    assert!(!lines.is_empty(), "the demo quarter should pay someone");
    assert_eq!(sheet.height(), lines.len() + 1);
    let names: Vec<String> = (1..sheet.height())
        .map(|r| sheet.get((r, 1)).unwrap().to_string())
        .collect();
    let mut expected: Vec<String> = lines.iter().map(|l| l.name.clone()).collect();
    let mut got = names.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let exported: Vec<(String, String)> = audit_actions(&app.db)
        .await
        .into_iter()
        .filter(|(_, a, _)| a == "recap.payroll_exported")
        .map(|(who, _, obj)| (who, obj))
        .collect();
    assert_eq!(
        exported,
        [("user:auditor".to_string(), format!("recap_run:{run_id}"))]
    );

    // The cycle publishes the run as the final result (late acts, justified): the same run's PDF is now
    // the final one.
    use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
    use atalaia_store::cycles::ActRequest;
    let late = ymd(2026, 11, 20);
    let cycle = app
        .db
        .open_cycle(
            CyclePeriod::Quarter(atalaia_core::Quarter::parse("2026-Q3").unwrap()),
            &Schedule::ANEXO_UNICO,
            "user:comite",
            late.and_hms_opt(9, 0, 0).unwrap(),
            late,
        )
        .await
        .unwrap();
    for step in StepKey::ALL {
        if step == StepKey::PaymentAuthorization {
            break;
        }
        let run = matches!(step, StepKey::PartialResult | StepKey::FinalResult).then_some(run_id);
        app.db
            .cycle_act(
                cycle.id,
                &ActRequest::Close {
                    step,
                    justification: "teste: ciclo fechado depois dos prazos".into(),
                    run_id: run,
                },
                "user:comite",
                late,
                late.and_hms_opt(10, 0, 0).unwrap(),
            )
            .await
            .unwrap();
    }
    let fin = app
        .get_ok(&format!("{page}/resultado.pdf"), &committee)
        .await;
    assert!(
        fin.body
            .contains("Resultado final do RECAP — 3º trimestre de 2026")
    );
    assert!(!fin.body.contains("Resultado parcial do RECAP"));

    // A run that does not exist.
    assert_eq!(
        app.get("/recap/execucoes/999999/resultado.pdf", Some(&committee))
            .await
            .status,
        404
    );
    t.cleanup().await.unwrap();
}
