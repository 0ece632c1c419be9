//! A whole IPEI month in a real browser: seizures by form and spreadsheet, BO copies, the delivery,
//! the partial result, an appeal with its correction, the final result and the payment.

use super::super::*;
use super::*;
use atalaia_store::testing::TestDb;
use fantoccini::{Client, Locator};

/// Moves the program clock to 10h in Goiânia on a day of November 2026.
fn at_nov(clock: &atalaia_web::Clock, day: u32) {
    clock.set(ymd(2026, 11, day).and_hms_opt(13, 0, 0).unwrap());
}

/// Fills a seizure form of the unit page (`/ipei/unidade`) and sends it.
async fn seizure_form(
    c: &Client,
    unit: &str,
    bo: &str,
    serial: &str,
    day: &str,
    fl: &str,
    regs: &str,
) {
    let f = "form[action='/ipei/unidade/apreensoes']";
    let open = c
        .find(Locator::Css(&format!("#u-{unit} details:first-of-type")))
        .await
        .unwrap();
    if open.attr("open").await.unwrap().is_none() {
        click(
            c,
            Locator::Css(&format!("#u-{unit} details:first-of-type summary")),
        )
        .await;
    }
    fill(c, &format!("{f} input[name=bo]"), bo).await;
    fill(c, &format!("{f} input[name=serie]"), serial).await;
    // A date input takes the browser's locale; set its value as the form sends it.
    c.execute(
        &format!("document.querySelector(\"{f} input[name=data]\").value = arguments[0]"),
        vec![serde_json::json!(day)],
    )
    .await
    .unwrap();
    click(
        c,
        Locator::Css(&format!("{f} select[name=flagrante] option[value={fl}]")),
    )
    .await;
    fill(c, &format!("{f} input[name=matriculas]"), regs).await;
    submit(c, Locator::Css(&format!("{f} button"))).await;
}

/// Attaches `file` as the BO copy of every seizure on the page still without one.
async fn attach_all(c: &Client, file: &std::path::Path) {
    loop {
        let missing = c
            .find_all(Locator::XPath(
                "//td[strong[text()='falta']]//form[contains(@action,'/ipei/unidade/bo')]",
            ))
            .await
            .unwrap();
        let Some(form) = missing.first() else { return };
        form.find(Locator::Css("input[type=file]"))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        c.execute("document.body.setAttribute('data-old', '1')", vec![])
            .await
            .unwrap();
        form.find(Locator::Css("button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for(c, "body:not([data-old])").await;
        let ok = wait_for(c, ".br-message.success[role=status]")
            .await
            .text()
            .await
            .unwrap();
        assert!(ok.starts_with("Cópia do BO"), "{ok}");
    }
}

/// Closes the cycle's open step on the committee's page, naming a run when given.
async fn close_step(c: &Client, run: Option<i64>, why: &str) {
    if let Some(run) = run {
        click(
            c,
            Locator::Css(&format!(
                "#ciclo tr.current select[name=execucao] option[value='{run}']"
            )),
        )
        .await;
    }
    fill(c, "#ciclo tr.current input[name=justificativa]", why).await;
    submit(c, Locator::Css("#ciclo tr.current form button")).await;
}

/// A whole IPEI month in the browser (issue #5): October 2026, two units (PM-7BPM late), the partial
/// result excluding the late one and capping P100037, an appeal that fixes a field and one that would add
/// a seizure (refused), the final result and the payroll by hand, the audit chain intact.
///
/// By hand (R$ 300,00 per weapon, split equally; cap R$ 1.000,00): S1 names P100037 and P100074 (150
/// each); S2 names P100074 but says "not in flagrante" (nothing until the appeal corrects it: 300); the
/// spreadsheet's four weapons name P100037 alone (4 × 300). P100037 earns 1.350 and gets 1.000 both times;
/// P100074 gets 150 (partial) then 450 (final). PM-7BPM's weapon pays nothing (sent late, Art. 15 I).
/// Partial total R$ 1.150,00; final R$ 1.450,00.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_ipei_month_in_the_browser() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    use atalaia_core::cycle::{CycleKind, CyclePeriod};
    let t = TestDb::sqlite().await.unwrap();
    atalaia_demo::load_scaled(&t.db, 7872, ymd(2026, 10, 1), 0.01)
        .await
        .unwrap();
    // PM-7BPM's head.
    {
        atalaia_web::demo_users::ensure(&t.db, PasswordCost::TEST)
            .await
            .unwrap();
        let inst = t.db.institutions().await.unwrap()[0].id;
        let mut tx = t.db.begin().await.unwrap();
        let hash = atalaia_web::security::hash_password("uma-senha-longa-7", PasswordCost::TEST);
        let id = tx
            .create_user(
                &atalaia_store::accounts::NewUser {
                    login: "chefe7bpm",
                    name: "Ten.-Cel. Elisa, 7º BPM",
                    email: None,
                    institution_id: inst,
                    password_hash: Some(&hash),
                    demo: false,
                },
                atalaia_web::now_utc(),
            )
            .await
            .unwrap();
        tx.set_grants(
            id,
            &[atalaia_store::accounts::Grant {
                role: atalaia_core::access::Role::UnitHead,
                scope: atalaia_store::accounts::Scope::Unit("PM-7BPM".into()),
            }],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let clock = atalaia_web::Clock::fixed(chrono::NaiveDateTime::default());
    at_nov(&clock, 3);
    let config = WebConfig {
        clock: clock.clone(),
        ..test_config()
    };
    let data_dir = config.data_dir.clone();
    std::fs::create_dir_all(&data_dir).unwrap();
    let png = data_dir.join("bo.png");
    std::fs::write(
        &png,
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13],
    )
    .unwrap();
    let sheet = data_dir.join("apreensoes.csv");
    std::fs::write(
        &sheet,
        "bo_number,seized_on,unit_code,registrations,flagrante,serial\n\
         3001/2026,2026-10-14,PM-1BPM,P100037,sim,CC301\n\
         3002/2026,2026-10-15,PM-1BPM,P100037,sim,CC302\n\
         3003/2026,2026-10-16,PM-1BPM,P100037,sim,CC303\n\
         3004/2026,2026-10-19,PM-1BPM,P100037,sim,CC304\n",
    )
    .unwrap();
    let addr = serve(t.db.clone(), config).await;
    let base = format!("http://{addr}");
    let month = atalaia_core::Month::parse("2026-10").unwrap();
    let period = CyclePeriod::Month(month);
    let ipei = format!("{base}/ipei?mes=2026-10");
    let unit_page = format!("{base}/ipei/unidade?mes=2026-10");

    // Nov 3: the committee opens October's cycle from the IPEI page.
    sign_in(&c, &base, "comite", "demo-comite-7872").await;
    c.goto(&ipei).await.unwrap();
    submit(&c, Locator::Css("form[action='/ipei/ciclo'] button")).await;
    let first = text_at(&c, "#ciclo tbody tr:first-child").await;
    assert!(first.contains("5º dia útil — 09/11/2026"), "{first}");
    sign_out(&c).await;

    // Nov 4: PM-1BPM's head sees the countdown, enters two seizures and the spreadsheet, attaches the BOs.
    at_nov(&clock, 4);
    sign_in(&c, &base, "chefe1bpm", "demo-chefe-7872").await;
    c.goto(&unit_page).await.unwrap();
    let deadlines = text_at(&c, "ul.deadlines").await;
    assert!(
        deadlines.contains("faltam 3 dias úteis — prazo 09/11/2026"),
        "{deadlines}"
    );
    seizure_form(
        &c,
        "PM-1BPM",
        "1001/2026",
        "AA111",
        "2026-10-05",
        "sim",
        "P100037;P100074",
    )
    .await;
    seizure_form(
        &c,
        "PM-1BPM",
        "1002/2026",
        "AA222",
        "2026-10-12",
        "nao",
        "P100074",
    )
    .await;
    click(
        &c,
        Locator::Css("#u-PM-1BPM details:nth-of-type(2) summary"),
    )
    .await;
    c.find(Locator::Css(
        "form[action^='/ipei/unidade/planilha'] input[type=file]",
    ))
    .await
    .unwrap()
    .send_keys(&sheet.display().to_string())
    .await
    .unwrap();
    submit(
        &c,
        Locator::Css("form[action^='/ipei/unidade/planilha'] button"),
    )
    .await;
    let ok = text_at(&c, ".br-message.success[role=status]").await;
    assert!(ok.contains("4 linha(s) lida(s), 4 nova(s)"), "{ok}");
    attach_all(&c, &png).await;
    shot_full(&c, "20-ipei-unidade").await;
    let s2 =
        t.db.seizures(month, Some("PM-1BPM"))
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.record.bo_number.as_str() == "1002/2026")
            .unwrap()
            .id;
    assert_eq!(
        t.db.seizures(month, Some("PM-1BPM")).await.unwrap().len(),
        6
    );

    // Nov 6: PM-1BPM sends on time.
    at_nov(&clock, 6);
    c.goto(&unit_page).await.unwrap();
    submit(
        &c,
        Locator::Css("form[action='/ipei/unidade/envio'] button"),
    )
    .await;
    let sent = text_at(&c, "#u-PM-1BPM p.ok-text").await;
    assert!(sent.starts_with("Mês enviado em 06/11/2026"), "{sent}");
    sign_out(&c).await;

    // Nov 5 and 10: PM-7BPM enters its seizure, then sends a day late (refused without a justification).
    at_nov(&clock, 5);
    sign_in(&c, &base, "chefe7bpm", "uma-senha-longa-7").await;
    c.goto(&unit_page).await.unwrap();
    seizure_form(
        &c,
        "PM-7BPM",
        "2001/2026",
        "BB111",
        "2026-10-08",
        "sim",
        "P100925",
    )
    .await;
    attach_all(&c, &png).await;
    at_nov(&clock, 10);
    c.goto(&unit_page).await.unwrap();
    submit(
        &c,
        Locator::Css("form[action='/ipei/unidade/envio'] button"),
    )
    .await;
    assert!(
        alert_text(&c).await.contains("justificativa"),
        "late without a reason"
    );
    fill(
        &c,
        "form[action='/ipei/unidade/envio'] input[name=justificativa]",
        "Sistema da unidade fora do ar",
    )
    .await;
    submit(
        &c,
        Locator::Css("form[action='/ipei/unidade/envio'] button"),
    )
    .await;
    let sent = text_at(&c, "#u-PM-7BPM p.ok-text").await;
    assert!(
        sent.contains("FORA DO PRAZO (Sistema da unidade fora do ar)"),
        "{sent}"
    );
    sign_out(&c).await;

    // The committee closes the sending (late, justified); Nov 16 it saves a run and publishes it.
    sign_in(&c, &base, "comite", "demo-comite-7872").await;
    c.goto(&ipei).await.unwrap();
    close_step(&c, None, "Aguardado o envio atrasado do 7º BPM").await;
    at_nov(&clock, 16);
    c.goto(&ipei).await.unwrap();
    submit(&c, Locator::Css("form[action='/ipei/execucoes'] button")).await;
    let partial =
        t.db.saved_runs(CycleKind::Ipei, Some(&month.to_string()))
            .await
            .unwrap()[0]
            .id;
    close_step(&c, Some(partial), "").await;
    let rows = text_at(&c, "#ciclo tbody").await;
    assert!(rows.contains(&format!("(execução nº {partial})")), "{rows}");
    let units = c
        .find(Locator::Css("#ipei-unidades"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        units.contains("EXCLUÍDA do mês (Art. 15): enviou depois do prazo (Art. 15, I)"),
        "{units}"
    );
    let replay =
        t.db.saved_run(CycleKind::Ipei, partial)
            .await
            .unwrap()
            .unwrap()
            .replay::<atalaia_core::pipeline::Ipei>()
            .unwrap();
    assert_eq!(replay.report.total_cents, 115_000);
    shot_full(&c, "21-ipei-comite-parcial").await;
    sign_out(&c).await;

    // Nov 17: PM-1BPM appeals: S2 was in flagrante. Then an appeal that would add a seizure is refused.
    at_nov(&clock, 17);
    sign_in(&c, &base, "chefe1bpm", "demo-chefe-7872").await;
    c.goto(&unit_page).await.unwrap();
    let published = text_at(&c, "#u-PM-1BPM p strong").await;
    assert!(
        published.starts_with(&format!("Resultado parcial (execução nº {partial})")),
        "{published}"
    );
    let form = "form[action='/ipei/unidade/recurso']";
    fill(
        &c,
        &format!("{form} textarea"),
        "O BO 1002/2026 registra a prisão em flagrante.",
    )
    .await;
    click(
        &c,
        Locator::Css(&format!(
            "{form} select[name=apreensao] option[value='{s2}']"
        )),
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("{form} select[name=flagrante] option[value=sim]")),
    )
    .await;
    submit(&c, Locator::Css(&format!("{form} button"))).await;
    let acts = text_at(&c, "#u-PM-1BPM ul").await;
    assert!(
        acts.contains(&format!(
            "correção da apreensão nº {s2}: flagrante: não → sim"
        )),
        "{acts}"
    );
    let before = t.db.cycle(period).await.unwrap().unwrap().acts.len();
    fill(
        &c,
        &format!("{form} textarea"),
        "Faltou a arma do BO 1007/2026.",
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("{form} select[name=apreensao] option[value=nova]")),
    )
    .await;
    fill(&c, &format!("{form} input[name=bo]"), "1007/2026").await;
    fill(&c, &format!("{form} input[name=serie]"), "AA777").await;
    c.execute(
        &format!("document.querySelector(\"{form} input[name=data]\").value = '2026-10-28'"),
        vec![],
    )
    .await
    .unwrap();
    click(
        &c,
        Locator::Css(&format!("{form} select[name=flagrante] option[value=sim]")),
    )
    .await;
    fill(&c, &format!("{form} input[name=matriculas]"), "P100037").await;
    submit(&c, Locator::Css(&format!("{form} button"))).await;
    assert!(
        alert_text(&c)
            .await
            .contains("não acrescenta apreensão (Art. 14)")
    );
    assert_eq!(
        t.db.cycle(period).await.unwrap().unwrap().acts.len(),
        before
    );
    sign_out(&c).await;

    // Nov 18–24: the committee grants the appeal, closes appeals and validation, publishes the final
    // result and authorizes payment.
    at_nov(&clock, 18);
    sign_in(&c, &base, "comite", "demo-comite-7872").await;
    c.goto(&ipei).await.unwrap();
    let appeal = "#ciclo form input[name=acao][value=decide]";
    wait_for(&c, appeal).await;
    click(
        &c,
        Locator::Css("#ciclo ul.acts select[name=deferido] option[value=sim]"),
    )
    .await;
    fill(
        &c,
        "#ciclo ul.acts textarea[name=texto]",
        "Provido: o BO registra o flagrante.",
    )
    .await;
    submit(&c, Locator::Css("#ciclo ul.acts form button")).await;
    let acts = text_at(&c, "#ciclo ul.acts").await;
    assert!(acts.contains("— aplicada"), "{acts}");
    close_step(&c, None, "").await;
    at_nov(&clock, 23);
    c.goto(&ipei).await.unwrap();
    close_step(&c, None, "").await;
    at_nov(&clock, 24);
    c.goto(&ipei).await.unwrap();
    submit(&c, Locator::Css("form[action='/ipei/execucoes'] button")).await;
    let last =
        t.db.saved_runs(CycleKind::Ipei, Some(&month.to_string()))
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .max()
            .unwrap();
    close_step(&c, Some(last), "").await;
    close_step(&c, None, "").await;
    wait_for(&c, "#ciclo .br-message.success").await;
    let page = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for text in [
        "Ciclo encerrado: pagamento autorizado.",
        "R$ 1.450,00",
        "limitado ao teto",
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    shot_full(&c, "22-ipei-comite-final").await;
    let report =
        t.db.saved_run(CycleKind::Ipei, last)
            .await
            .unwrap()
            .unwrap()
            .replay::<atalaia_core::pipeline::Ipei>()
            .unwrap()
            .report;
    let pay = |reg: &str| {
        report
            .payments
            .iter()
            .find(|p| p.registration == reg)
            .map(|p| (p.earned_cents, p.amount_cents, p.capped))
    };
    assert_eq!(report.total_cents, 145_000);
    assert_eq!(pay("P100037"), Some((135_000, 100_000, true)));
    assert_eq!(pay("P100074"), Some((45_000, 45_000, false)));
    assert_eq!(pay("P100925"), None);
    assert!(matches!(
        t.db.verify_audit_chain().await.unwrap(),
        atalaia_store::audit::ChainCheck::Intact { .. }
    ));
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    t.cleanup().await.unwrap();
    println!("browser: a whole IPEI month, final total R$ 1.450,00");
}
