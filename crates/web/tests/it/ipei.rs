//! A whole IPEI month through the pages (issue #5): the committee opens October 2026's cycle; two units
//! enter seizures by form and spreadsheet, attach BO copies and send (one late, Art. 15 I); the partial
//! result excludes the late unit and caps one operator (R$ 1.000, no carry-over); an appeal corrects a
//! field of a delivered seizure and another that would add a seizure is refused (Art. 14); the late unit's
//! appeal is granted and reinstates it (Arts. 13, 14); the final result and payment authorization close
//! the cycle; the audit chain holds.
//!
//! Deadlines worked out by hand on the GO + Goiânia calendar for November 2026 (Mon 2 Finados, Fri 20
//! Consciência Negra): business days 3, 4, 5, 6, 9 (5th: sending), 10, 11, 12, 13, 16 (10th: partial
//! result), 17, 18 (12th: appeals), 19, 23 (14th: validation), 24 (15th: final result and payment).
//!
//! Amounts by hand (decree defaults: R$ 300,00 per weapon split equally among the entitled operators named,
//! cap R$ 1.000,00 per operator per month). PM-1BPM: S1 (P100037, P100074) 150 + 150; S2 (P100074) not in
//! flagrante, 0; S3 (P100037) 300; S4 (P100037, P100111) 150 + 150; S6 and S7 (P100037) 300 each.
//! PM-7BPM's S5 (P100925) is lost with its late unit. Partial: P100037 earns 1.200 and gets 1.000 (capped),
//! P100074 150, P100111 150 — R$ 1.300,00 for the seizures. The appeal makes S2 in flagrante: P100074
//! 150 + 300 = 450; R$ 1.600,00 for the seizures. The SPTC expert who signed S1's laudo in time gets
//! R$ 300,00 more in both (Art. 10 §ú): R$ 1.600,00 partial, R$ 1.900,00 final — and R$ 2.200,00 once the
//! committee reinstates PM-7BPM, whose S5 pays P100925 R$ 300,00.

use atalaia_core::Month;
use atalaia_core::cycle::CycleKind;
use atalaia_store::audit::ChainCheck;
use atalaia_store::testing::TestDb;
use atalaia_web::Clock;

use super::*;

/// 10h in Goiânia on a day of November 2026, as the UTC instant the clock keeps.
fn nov(day: u32, hour: u32) -> chrono::NaiveDateTime {
    ymd(2026, 11, day).and_hms_opt(hour + 3, 0, 0).unwrap()
}

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

#[tokio::test]
async fn a_whole_ipei_month_through_the_pages() {
    let t = TestDb::sqlite().await.unwrap();
    // The demo data of 1 October (its IPEI seizures are of September: this month starts empty).
    let demo_today = ymd(2026, 10, 1);
    load_demo(&t.db, demo_today, 0.01).await;
    let clock = Clock::fixed(nov(3, 10));
    let config = WebConfig {
        clock: clock.clone(),
        ..test_config()
    };
    let evidence = config.evidence_dir();
    let app = App::new(t.db.clone(), config).await;
    let month = Month::parse("2026-10").unwrap();
    let cycle_of = || async { app.db.cycle(month).await.unwrap() };

    // A second unit head, for PM-7BPM, made by the administrator.
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let csrf = app.csrf(&admin).await;
    let inst = app.db.institutions().await.unwrap()[0].id;
    app.post_ok("/admin/usuarios", &admin, &format!(
                "csrf_token={csrf}&login=chefe7bpm&nome=Ten.-Cel.+Elisa&email=&instituicao={inst}&senha=uma-senha-longa-7&papel=unit_head&escopo_unit_head=unidade:PM-7BPM"
            )).await;

    // And one for the forensic institute (SPTC-IC), whose experts sign the laudos (Art. 10 §ú).
    app.post_ok("/admin/usuarios", &admin, &format!(
                "csrf_token={csrf}&login=peritos&nome=Dra.+Helena&email=&instituicao={inst}&senha=uma-senha-longa-9&papel=unit_head&escopo_unit_head=unidade:SPTC-IC"
            )).await;
    let expert = app
        .db
        .operators(ymd(2026, 10, 31), Some(&["SPTC-IC".to_string()]))
        .await
        .unwrap()[0]
        .registration
        .clone();

    // Nov 3: the committee opens the month's cycle with the Anexo Único's deadlines.
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let cc = app.csrf(&committee).await;
    app.post_ok(
        "/ipei/ciclo",
        &committee,
        &format!("csrf_token={cc}&mes=2026-10"),
    )
    .await;
    let cycle_id = cycle_of().await.unwrap().id;

    // Nov 4: PM-1BPM's head sees three business days left and enters five seizures by the form.
    clock.set(nov(4, 10));
    let chief1 = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let c1 = app.csrf(&chief1).await;
    let page = app.get_ok("/ipei/unidade?mes=2026-10", &chief1).await;
    page.assert_has("faltam 3 dias úteis — prazo 09/11/2026");
    // The seizure sheet's columns in the words its template heads them with, not the file's codes.
    page.assert_has("com as colunas BO, Data da apreensão, Unidade, Matrículas, Flagrante; opcionais: Tipo de arma, Calibre, Número de série, Marca, Item");
    assert!(
        page.body
            .contains("faltam 10 dias úteis — prazo 18/11/2026"),
        "appeals: 5, 6, 9, 10, 11, 12, 13, 16, 17 and 18; {}",
        page.body
    );
    // The home page reminds the head of the deadline they own.
    let home = app.get("/", Some(&chief1)).await;
    home.assert_has("IPEI de outubro de 2026: faltam 3 dias úteis — Envio das informações (planilha e BOs) — prazo 09/11/2026." );
    assert!(
        !app.get("/", Some(&committee))
            .await
            .body
            .contains("Prazos próximos"),
        "the sending is the units'"
    );
    let seizures = [
        ("1001/2026", "AA111", "2026-10-05", "sim", "P100037;P100074"),
        ("1002/2026", "AA222", "2026-10-12", "nao", "P100074"),
        ("1003/2026", "AA333", "2026-10-20", "sim", "P100037"),
        ("1005/2026", "AA555", "2026-10-26", "sim", "P100037"),
        ("1006/2026", "AA666", "2026-10-30", "sim", "P100037"),
    ];
    for (bo, serial, day, flagrante, regs) in seizures {
        let r = app
            .post_form(
                "/ipei/unidade/apreensoes",
                Some(&chief1),
                &format!(
                    "csrf_token={c1}&mes=2026-10&unidade=PM-1BPM&bo={bo}&item=&serie={serial}&data={day}&flagrante={flagrante}&matriculas={regs}&tipo=pistola&calibre=.40&marca=Taurus"
                ),
            )
            .await;
        assert_eq!(r.status, 303, "{bo}: {}", r.body);
    }
    // Before its deadline the unit is waiting, not excluded.
    let page = app.get("/ipei/unidade?mes=2026-10", Some(&chief1)).await;
    page.assert_has("Situação com os dados de hoje: aguardando o envio (o prazo não venceu) — 5 apreensão(ões) registrada(s)" );
    page.assert_lacks("EXCLUÍDA");
    // A unit head cannot enter a seizure for another unit: it answers as one that does not exist.
    let r = app
        .post_form(
            "/ipei/unidade/apreensoes",
            Some(&chief1),
            &format!(
                "csrf_token={c1}&mes=2026-10&unidade=PM-7BPM&bo=9/2026&serie=X&data=2026-10-05&flagrante=sim&matriculas=P100925"
            ),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // The spreadsheet: its PM-1BPM row goes in, the PM-7BPM row is rejected (out of scope).
    let sheet = "bo_number,seized_on,unit_code,registrations,flagrante,serial\n\
                 1004/2026,2026-10-25,PM-1BPM,P100037;P100111,sim,AA444\n\
                 2999/2026,2026-10-25,PM-7BPM,P100925,sim,ZZ999\n";
    let r = app
        .post_multipart(
            "/ipei/unidade/planilha",
            Some(&chief1),
            &[("csrf_token", c1.as_str()), ("mes", "2026-10")],
            Some(("apreensoes.csv", sheet.as_bytes())),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_has("2 linha(s) lida(s), 1 nova(s), 0 atualizada(s), 1 rejeitada(s)");
    let import_id: i64 = {
        let at = r.body.find("/ipei/unidade/planilha/").unwrap() + "/ipei/unidade/planilha/".len();
        r.body[at..].split('/').next().unwrap().parse().unwrap()
    };
    let rejects = app
        .get_ok(
            &format!("/ipei/unidade/planilha/{import_id}/rejeitadas"),
            &chief1,
        )
        .await;
    rejects.assert_has("unidade fora do seu escopo: envie só apreensões das suas unidades");
    let mine = app.db.seizures(month, Some("PM-1BPM")).await.unwrap();
    assert_eq!(mine.len(), 6);
    let id_of = |bo: &str| {
        mine.iter()
            .find(|s| s.record.bo_number.as_str() == bo)
            .unwrap_or_else(|| panic!("{bo}"))
            .id
    };
    let s2 = id_of("1002/2026");
    // BO copies: a file that is not PDF, JPEG or PNG is refused by its content; PNGs go in.
    let r = app
        .post_multipart(
            "/ipei/unidade/bo",
            Some(&chief1),
            &[
                ("csrf_token", c1.as_str()),
                ("mes", "2026-10"),
                ("apreensao", &s2.to_string()),
            ],
            Some(("bo.png", b"MZ\x90\x00 not an image")),
        )
        .await;
    r.assert_has("não é PDF, JPEG nem PNG");
    for s in &mine {
        let r = app
            .post_multipart(
                "/ipei/unidade/bo",
                Some(&chief1),
                &[
                    ("csrf_token", c1.as_str()),
                    ("mes", "2026-10"),
                    ("apreensao", &s.id.to_string()),
                ],
                Some(("bo.png", PNG)),
            )
            .await;
        r.assert_has(&format!(
            "Cópia do BO {} anexada à apreensão nº {}",
            s.record.bo_number, s.id
        ));
    }
    let sha = app
        .db
        .seizure(s2)
        .await
        .unwrap()
        .unwrap()
        .bo_sha256
        .unwrap();
    assert_eq!(
        std::fs::read(atalaia_store::ipei::evidence_path(&evidence, &sha)).unwrap(),
        PNG
    );
    let copy = app
        .get(&format!("/ipei/apreensoes/{s2}/bo"), Some(&committee))
        .await;
    assert_eq!((copy.status, copy.bytes.as_slice()), (200, PNG));

    // Nov 5: PM-7BPM's head enters one seizure with its BO copy; PM-1BPM's head cannot read it.
    clock.set(nov(5, 10));
    let chief7 = app.login("chefe7bpm", "uma-senha-longa-7").await.unwrap();
    let c7 = app.csrf(&chief7).await;
    app.post_ok("/ipei/unidade/apreensoes", &chief7, &format!(
                "csrf_token={c7}&mes=2026-10&unidade=PM-7BPM&bo=2001/2026&item=&serie=BB111&data=2026-10-08&flagrante=sim&matriculas=P100925"
            )).await;
    let s5 = app.db.seizures(month, Some("PM-7BPM")).await.unwrap()[0].id;
    let r = app
        .post_multipart(
            "/ipei/unidade/bo",
            Some(&chief7),
            &[
                ("csrf_token", c7.as_str()),
                ("mes", "2026-10"),
                ("apreensao", &s5.to_string()),
            ],
            Some(("bo.png", PNG)),
        )
        .await;
    r.assert_has("anexada");
    // Another unit's copy answers like one that does not exist.
    assert_eq!(
        app.get(&format!("/ipei/apreensoes/{s5}/bo"), Some(&chief1))
            .await
            .status,
        404
    );

    // The SPTC's head records the laudo of S1's weapon, signed in time; a PM head may not.
    let experts = app.login("peritos", "uma-senha-longa-9").await.unwrap();
    let ce = app.csrf(&experts).await;
    let laudo = |who: &'static str, token: &str| {
        format!(
            "csrf_token={token}&mes=2026-10&unidade={who}&bo=1001/2026&serie=AA111&perito={expert}&assinado_em=2026-11-05"
        )
    };
    app.post_ok("/ipei/unidade/laudos", &experts, &laudo("SPTC-IC", &ce))
        .await;
    let r = app
        .post_form(
            "/ipei/unidade/laudos",
            Some(&chief7),
            &laudo("PM-7BPM", &c7),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let page = app.get("/ipei/unidade?mes=2026-10", Some(&experts)).await;
    page.assert_has("Laudos de caracterização");

    // Nov 6: PM-1BPM sends on time; afterwards no seizure can be added (Art. 14).
    clock.set(nov(6, 10));
    app.post_ok(
        "/ipei/unidade/envio",
        &chief1,
        &format!("csrf_token={c1}&mes=2026-10&unidade=PM-1BPM&justificativa="),
    )
    .await;
    let r = app
        .post_form(
            "/ipei/unidade/apreensoes",
            Some(&chief1),
            &format!(
                "csrf_token={c1}&mes=2026-10&unidade=PM-1BPM&bo=1007/2026&serie=AA777&data=2026-10-28&flagrante=sim&matriculas=P100037"
            ),
        )
        .await;
    r.assert_has("a unidade PM-1BPM já enviou o mês 2026-10: depois do envio, só um recurso corrige o que foi entregue, e nenhum acrescenta apreensão (Art. 14)");

    assert!(
        !app.get("/", Some(&chief1))
            .await
            .body
            .contains("Prazos próximos"),
        "PM-1BPM has sent"
    );

    // The sending deadline is the 5th business day of November, the 9th (Anexo Único): nothing is
    // overdue on the 6th; on the 10th the sending step is, while PM-7BPM has not sent.
    let overdue = r#"atalaia_cycle_steps_overdue{program="ipei"}"#;
    let metrics = crate::ops::local_metrics(&app).await;
    assert_eq!(crate::ops::sample(&metrics, overdue), 0.0);
    // Nov 10: PM-7BPM sends a day late: refused without a justification, recorded late with one.
    clock.set(nov(10, 10));
    let metrics = crate::ops::local_metrics(&app).await;
    assert_eq!(crate::ops::sample(&metrics, overdue), 1.0);
    let page = app.get("/ipei/unidade?mes=2026-10", Some(&chief7)).await;
    page.assert_has("prazo vencido em 09/11/2026");
    let r = app
        .post_form(
            "/ipei/unidade/envio",
            Some(&chief7),
            &format!("csrf_token={c7}&mes=2026-10&unidade=PM-7BPM&justificativa="),
        )
        .await;
    r.assert_has("Não registrado");
    app.post_ok("/ipei/unidade/envio", &chief7, &format!(
                "csrf_token={c7}&mes=2026-10&unidade=PM-7BPM&justificativa=sistema+da+unidade+fora+do+ar"
            )).await;
    let close = |step: &'static str, run: Option<i64>, why: &'static str| {
        let body = format!(
            "csrf_token={cc}&acao=close&etapa={step}&execucao={}&justificativa={why}",
            run.map(|r| r.to_string()).unwrap_or_default()
        );
        let committee = committee.clone();
        let app = &app;
        async move {
            let r = app
                .post_form(&format!("/ipei/ciclo/{cycle_id}"), Some(&committee), &body)
                .await;
            assert_eq!(r.status, 303, "{step}: {}", r.body);
        }
    };
    close("submissions", None, "aguardado+o+envio+atrasado+do+7BPM").await;

    // Nov 16: the partial result, from a saved run (its deadline is today, as the committee's home
    // page says).
    clock.set(nov(16, 10));
    assert!(
        app.get("/", Some(&committee)).await.body.contains(
            "IPEI de outubro de 2026: último dia — Resultado parcial — prazo 16/11/2026."
        ),
        "the partial result is the committee's"
    );
    app.post_ok(
        "/ipei/execucoes",
        &committee,
        &format!("csrf_token={cc}&mes=2026-10"),
    )
    .await;
    let partial = app
        .db
        .saved_runs(CycleKind::Ipei, Some(&month.to_string()))
        .await
        .unwrap()[0]
        .clone();
    close("partial_result", Some(partial.id), "").await;
    let report = partial
        .replay::<atalaia_core::pipeline::Ipei>()
        .unwrap()
        .report;
    let pay = |r: &atalaia_core::ipei::IpeiReport, reg: &str| {
        r.payments
            .iter()
            .find(|p| p.registration == reg)
            .map(|p| (p.earned_cents, p.amount_cents, p.capped))
    };
    // The expert's laudo of S1 (paid) adds R$ 300,00.
    assert_eq!(report.total_cents, 160_000);
    assert_eq!(pay(&report, &expert), Some((30_000, 30_000, false)));
    assert_eq!(pay(&report, "P100037"), Some((120_000, 100_000, true)));
    assert_eq!(pay(&report, "P100074"), Some((15_000, 15_000, false)));
    assert_eq!(pay(&report, "P100111"), Some((15_000, 15_000, false)));
    assert_eq!(pay(&report, "P100925"), None);
    let page = app.get("/ipei/unidade?mes=2026-10", Some(&chief7)).await;
    page.assert_has(&format!( "Resultado parcial (execução nº {}): EXCLUÍDA do mês (Art. 15): enviou depois do prazo (Art. 15, I)", partial.id ));

    // Nov 17: an appeal corrects S2 (it was in flagrante); another that would add a seizure is refused
    // and leaves nothing behind.
    clock.set(nov(17, 10));
    app.post_ok("/ipei/unidade/recurso", &chief1, &format!(
                "csrf_token={c1}&mes=2026-10&unidade=PM-1BPM&texto=O+BO+1002/2026+registra+a+prisão+em+flagrante&apreensao={s2}&bo=&item=&serie=&data=&flagrante=sim&matriculas=&justificativa="
            )).await;
    let acts = cycle_of().await.unwrap().acts.len();
    let r = app
        .post_form(
            "/ipei/unidade/recurso",
            Some(&chief1),
            &format!(
                "csrf_token={c1}&mes=2026-10&unidade=PM-1BPM&texto=Faltou+a+arma+do+BO+1007/2026&apreensao=nova&bo=1007/2026&item=&serie=AA777&data=2026-10-28&flagrante=sim&matriculas=P100037&justificativa="
            ),
        )
        .await;
    r.assert_has("o BO 1007/2026 não consta do envio da unidade PM-1BPM em 2026-10: um recurso só corrige material já entregue e não acrescenta apreensão (Art. 14)");
    assert_eq!(cycle_of().await.unwrap().acts.len(), acts);
    // PM-7BPM appeals its exclusion: it sent late because the system was down.
    app.post_ok("/ipei/unidade/recurso", &chief7, &format!(
                "csrf_token={c7}&mes=2026-10&unidade=PM-7BPM&texto=O+envio+atrasou+por+falha+do+sistema&apreensao=&justificativa="
            )).await;
    let appeal7 = cycle_of()
        .await
        .unwrap()
        .acts
        .iter()
        .find(|a| a.act == "appeal" && a.unit.as_deref() == Some("PM-7BPM"))
        .unwrap()
        .id;
    let appeal = cycle_of()
        .await
        .unwrap()
        .acts
        .iter()
        .find(|a| a.act == "appeal")
        .unwrap()
        .id;
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    page.assert_has(&format!(
        "Correção da apreensão nº {s2} (BO 1002/2026): flagrante: não → sim — aguarda a decisão"
    ));

    // Nov 18: the committee grants it (the correction applies) and closes the appeals on time.
    clock.set(nov(18, 10));
    app.post_ok(&format!("/ipei/ciclo/{cycle_id}"), &committee, &format!(
                "csrf_token={cc}&acao=decide&recurso={appeal}&deferido=sim&texto=Provido:+o+BO+registra+o+flagrante"
            )).await;
    assert!(app.db.seizure(s2).await.unwrap().unwrap().record.flagrante);
    // It grants PM-7BPM's appeal and reinstates the unit (Arts. 13, 14): its S5 is paid in the final
    // result, the decision cited. A decision cannot reach a unit other than the appellant's.
    let grant7 = |effect: &str| {
        format!(
            "csrf_token={cc}&acao=decide&recurso={appeal7}&deferido=sim&texto=Provido:+o+atraso+foi+do+sistema&efeito=reintegrar_unidade&alvo={effect}"
        )
    };
    let r = app
        .post_form(
            &format!("/ipei/ciclo/{cycle_id}"),
            Some(&committee),
            &grant7("PM-1BPM"),
        )
        .await;
    r.assert_has("o recurso é da unidade PM-7BPM: a decisão não pode alcançar a unidade PM-1BPM");
    app.post_ok(
        &format!("/ipei/ciclo/{cycle_id}"),
        &committee,
        &grant7("PM-7BPM"),
    )
    .await;
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    page.assert_has("Provido: o atraso foi do sistema — efeito: reintegra a unidade PM-7BPM");
    close("appeals", None, "").await;
    clock.set(nov(23, 10));
    close("validation", None, "").await;

    // Nov 24: the final result and the payment authorization.
    clock.set(nov(24, 10));
    app.post_ok(
        "/ipei/execucoes",
        &committee,
        &format!("csrf_token={cc}&mes=2026-10"),
    )
    .await;
    let runs = app
        .db
        .saved_runs(CycleKind::Ipei, Some(&month.to_string()))
        .await
        .unwrap();
    let last = runs.iter().max_by_key(|r| r.id).unwrap().clone();
    assert_ne!(last.id, partial.id);
    close("final_result", Some(last.id), "").await;
    close("payment_authorization", None, "").await;
    // The payment step: the committee records the authorized run's payment with its payroll file's
    // SHA-256 (the form is offered once authorized, then replaced by the record); once only.
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    page.assert_has("Registrar o pagamento");
    let sha = "5e".repeat(32);
    let payment = format!(
        "csrf_token={cc}&acao=payment&execucao={}&sha256={sha}&pago_em=24/11/2026",
        last.id
    );
    app.post_ok(&format!("/ipei/ciclo/{cycle_id}"), &committee, &payment)
        .await;
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    page.assert_has(&format!(
        "Pago em 24/11/2026: execução nº {}, folha com SHA-256 {sha}.",
        last.id
    ));
    assert!(!page.body.contains("Registrar o pagamento"));
    let r = app
        .post_form(
            &format!("/ipei/ciclo/{cycle_id}"),
            Some(&committee),
            &payment,
        )
        .await;
    r.assert_has("o pagamento já foi registrado");
    // Both runs have a page, like RECAP's: the paid run reproduces and today's data are its inputs;
    // the partial run, from before the appeals, would pay P100074 R$ 150,00 instead of R$ 450,00 (S2
    // became a flagrante: 3 × R$ 150,00) and P100925 nothing instead of R$ 300,00 (PM-7BPM reinstated).
    let list = app.get_ok("/ipei/execucoes", &committee).await;
    for run in [partial.id, last.id] {
        list.assert_has(&format!("href=\"/ipei/execucoes/{run}\""));
    }
    let paid_page = app
        .get_ok(&format!("/ipei/execucoes/{}", last.id), &committee)
        .await;
    for text in [
        "bytes idênticos ao resultado salvo",
        "iguais às entradas desta execução",
        "Etapa do mês quando a execução foi salva: resultado parcial.",
    ] {
        assert!(paid_page.body.contains(text), "{text}: {}", paid_page.body);
    }
    assert!(!paid_page.body.contains("Diferenças em relação"));
    let partial_page = app
        .get_ok(&format!("/ipei/execucoes/{}", partial.id), &committee)
        .await;
    for text in [
        format!("Diferenças em relação à execução paga (nº {})", last.id),
        "esta execução pagaria diferente a 2 servidor(es)".to_string(),
        "<td>P100074</td><td>Otávio Almeida Carvalho</td><td class=\"num\">R$ 450,00</td><td class=\"num\">R$ 150,00</td>".to_string(),
        "<td>P100925</td><td>Otávio Rodrigues Alves</td><td class=\"num\">R$ 300,00</td><td class=\"num\">—</td>".to_string(),
        "os dados de hoje diferem das entradas desta execução".to_string(),
    ] {
        assert!(partial_page.body.contains(&text), "{text}: {}", partial_page.body);
    }
    let report = last
        .replay::<atalaia_core::pipeline::Ipei>()
        .unwrap()
        .report;
    // R$ 1.900,00 and PM-7BPM's S5 (P100925, R$ 300,00), reinstated: R$ 2.200,00.
    assert_eq!(report.total_cents, 220_000);
    assert_eq!(pay(&report, "P100037"), Some((120_000, 100_000, true)));
    assert_eq!(pay(&report, "P100074"), Some((45_000, 45_000, false)));
    assert_eq!(pay(&report, &expert), Some((30_000, 30_000, false)));
    assert_eq!(pay(&report, "P100111"), Some((15_000, 15_000, false)));
    assert_eq!(pay(&report, "P100925"), Some((30_000, 30_000, false)));
    let unit7 = report.units.iter().find(|u| u.code == "PM-7BPM").unwrap();
    assert!(
        unit7
            .decision
            .as_deref()
            .is_some_and(|d| d.starts_with("decisão do Comitê Gestor, ato nº")
                && d.ends_with("de 18/11/2026: Provido: o atraso foi do sistema")),
        "{:?}",
        unit7.decision
    );
    assert!(
        report
            .memoria
            .iter()
            .any(|l| l.starts_with("Unidade PM-7BPM: incluída por decisão do Comitê Gestor")),
        "{:#?}",
        report.memoria
    );
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    for text in [
        "Ciclo encerrado: pagamento autorizado.",
        "R$ 2.200,00",
        "limitado ao teto",
        "aplicada",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let page = app.get("/ipei/unidade?mes=2026-10", Some(&chief1)).await;
    page.assert_has(&format!(
        "Resultado final (execução nº {}): incluída no mês — 6 apreensão(ões), 6 paga(s)",
        last.id
    ));

    // The official documents of the final run: the PDF (its title in the PDF/A metadata), the unit's
    // statement, and the payroll workbook only for the committee and auditors, audited.
    let pdf = app
        .get_ok(
            &format!("/ipei/execucoes/{}/resultado.pdf", last.id),
            &committee,
        )
        .await;
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert!(
        pdf.body
            .contains("Resultado final do IPEI — outubro de 2026"),
        "the title names the final stage"
    );
    std::fs::write(
        std::env::temp_dir().join("atalaia-ipei-final.pdf"),
        &pdf.bytes,
    )
    .unwrap();
    let statement = app
        .get_ok(
            "/ipei/unidade/extrato.pdf?mes=2026-10&unidade=PM-1BPM",
            &chief1,
        )
        .await;
    assert!(
        statement
            .body
            .contains("Extrato da unidade PM-1BPM — IPEI de outubro de 2026 (resultado final)")
    );
    assert_eq!(
        app.get(
            "/ipei/unidade/extrato.pdf?mes=2026-10&unidade=PM-7BPM",
            Some(&chief1)
        )
        .await
        .status,
        404
    );
    let xlsx_url = format!("/ipei/execucoes/{}/folha.xlsx", last.id);
    assert_eq!(app.get(&xlsx_url, Some(&chief1)).await.status, 403);
    let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let x = app.get_ok(&xlsx_url, &auditor).await;
    {
        use calamine::{Data, Reader};
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
        let sheet = wb.worksheet_range("Folha de pagamento").unwrap();
        let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        let line = |reg: &str| {
            rows.iter()
                .find(|r| r[0] == Data::String(reg.into()))
                .map(|r| (r[3].clone(), r[4].clone(), r[5].clone()))
        };
        assert_eq!(
            line("P100037"),
            Some((
                Data::Float(1200.0),
                Data::String("sim".into()),
                Data::Float(1000.0)
            ))
        );
        assert_eq!(
            line("P100074"),
            Some((
                Data::Float(450.0),
                Data::String("não".into()),
                Data::Float(450.0)
            ))
        );
        let total = rows.last().unwrap();
        assert_eq!(
            (total[0].clone(), total[5].clone()),
            (Data::String("Total".into()), Data::Float(2200.0))
        );
    }

    // Every act is in the audit log, and the chain holds.
    let log: Vec<String> = audit_actions(&app.db)
        .await
        .into_iter()
        .map(|(_, action, _)| action)
        .collect();
    let count = |a: &str| log.iter().filter(|x| *x == a).count();
    assert_eq!(
        (
            count("cycle.opened"),
            count("cycle.submission"),
            count("cycle.close"),
            count("cycle.appeal"),
            count("cycle.appeal_decision"),
        ),
        (1, 2, 6, 2, 2)
    );
    assert_eq!(
        (
            count("ipei.seizure_saved"),
            count("ipei.bo_attached"),
            count("ipei.correction_proposed"),
            count("ipei.run_saved"),
            count("ipei.payroll_exported"),
            count("ipei.laudo_saved"),
        ),
        (6, 7, 1, 2, 1, 1)
    );
    assert!(matches!(
        app.db.verify_audit_chain().await.unwrap(),
        ChainCheck::Intact { .. }
    ));

    // The month is paid: today's data pay the same, and the page says so against the run paid. A laudo
    // of S3 recorded after the payment would pay the expert R$ 300,00 more: the page names the change.
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    assert!(page.body.contains(&format!(
        "O mês foi pago com a execução nº {}; os dados de hoje pagariam o mesmo a cada servidor.",
        last.id
    )));
    let mut tx = app.db.begin().await.unwrap();
    tx.put_forensic_report(
        &atalaia_store::ipei::ForensicRecord {
            bo_number: "1003/2026".into(),
            serial: "AA333".into(),
            expert_registration: expert.clone(),
            signed_on: ymd(2026, 11, 5),
        },
        None,
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = app.get("/ipei?mes=2026-10", Some(&committee)).await;
    page.assert_has(&format!( "O mês já foi pago com a execução nº {}; os dados de hoje pagariam diferente a 1 servidor(es):", last.id ));
    assert!(
        page.body.contains(&format!("<td>{expert}</td>"))
            && page
                .body
                .contains("<td class=\"num\">R$ 300,00</td><td class=\"num\">R$ 600,00</td>"),
        "{}",
        page.body
    );
    let _ = std::fs::remove_dir_all(app_data_dir(&evidence));
}

/// The test's data folder (the evidence folder's parent).
fn app_data_dir(evidence: &std::path::Path) -> std::path::PathBuf {
    evidence.parent().unwrap_or(evidence).to_path_buf()
}
