//! RECAP in a real browser: two roles navigate, see the map, upload and are protected from forgery;
//! the committee runs a quarter's cycle from the run to the payment.

use super::super::*;
use super::*;
use atalaia_store::testing::TestDb;
use fantoccini::{Client, Locator};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_roles_navigate_see_the_map_upload_and_are_protected_from_forgery() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let t = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    atalaia_demo::load(&t.db, 7872, today).await.unwrap();
    let config = test_config();
    let data_dir = config.data_dir.clone();
    let addr = serve(t.db.clone(), config).await;
    let base = format!("http://{addr}");

    // The analyst: home, then the territories page through the menu, with the map's features drawn.
    sign_in(&c, &base, "analista", "demo-analista-7872").await;
    shot(&c, "01-inicio-analista").await;
    let items = menu(&c).await;
    assert_eq!(
        items,
        [
            "Início",
            "Boletim CompStat",
            "Territórios",
            "Ocorrências",
            "Zonas quentes",
            "Seleção de municípios",
            "Reuniões",
            "Ações",
            "Avaliação",
            "Operadores",
            "Importações"
        ]
    );
    click(&c, Locator::LinkText("Territórios")).await;
    let map = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#mapa[data-features]"))
        .await
        .unwrap();
    let features: usize = map
        .attr("data-features")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    // The demo's program areas: Goiânia's seven AISPs and three AIS.
    assert_eq!(features, 10);
    let drawn = c
        .find_all(Locator::Css("#mapa path.leaflet-interactive"))
        .await
        .unwrap()
        .len();
    assert_eq!(drawn, 10, "one SVG path per area");
    // Maps that orient: a metric scale bar and each area's name on the map.
    let labels = strings_of(
        &c,
        "return Array.from(document.querySelectorAll('#mapa .map-label')).map(x => x.textContent)",
    )
    .await;
    assert_eq!(labels.len(), 10, "{labels:?}");
    assert!(
        labels.contains(&"AISP 1 — Região Central".to_string()),
        "{labels:?}"
    );
    let scale = text_at(&c, "#mapa .leaflet-control-scale-line").await;
    assert!(scale.ends_with(" km") || scale.ends_with(" m"), "{scale}");
    shot(&c, "02-territorios-mapa").await;
    // A territory's page: its map and the Chart.js series drawn.
    c.goto(&format!("{base}/territorios/AISP1")).await.unwrap();
    wait_for(&c, "#mapa[data-features]").await;
    let charts = c
        .execute(
            "return Array.from(document.querySelectorAll('canvas.chart')).filter(x => Chart.getChart(x)).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        charts,
        serde_json::json!(2),
        "monthly occurrences and population"
    );
    shot(&c, "03-territorio-aisp1").await;

    // An upload goes through: a population file with one bad row.
    let file = data_dir.join("populacao-teste.csv");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::write(
        &file,
        "territory_code;year;population\nAISP1;2031;150000\nAISP1;2032;cento e cinquenta mil\n",
    )
    .unwrap();
    click(&c, Locator::LinkText("Importações")).await;
    wait_for(&c, "#arquivo").await;
    // A file of another kind: queued, then its page says why nothing was imported, naming the file as
    // sent, and the next try starts with the same kind chosen.
    let wrong = data_dir.join("outra-coisa.csv");
    std::fs::write(&wrong, "x;y\n1;2\n").unwrap();
    upload(&c, "population", &wrong).await;
    let refused = alert_text(&c).await;
    assert!(
        refused.starts_with(
            "Importação não realizada; nada foi gravado. outra-coisa.csv, linha 1: faltam as colunas"
        ),
        "{refused}"
    );
    click(&c, Locator::LinkText("Enviar outro arquivo")).await;
    wait_for(&c, "#tipo option[value=population][selected]").await;
    upload(&c, "population", &file).await;
    wait_for(&c, "table.rejects").await;
    let cards = c.find(Locator::Css("section.cards")).await.unwrap();
    let text = cards.text().await.unwrap();
    assert!(text.contains("2\nlinhas lidas"), "{text}");
    assert!(text.contains("1\nincluídas"), "{text}");
    assert!(text.contains("1\nrejeitadas"), "{text}");
    let rejects = c
        .find(Locator::Css("table.rejects"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rejects.contains("cento e cinquenta mil"), "{rejects}");
    shot(&c, "04-importacao").await;
    assert_eq!(
        t.db.population_series("AISP1").await.unwrap().last(),
        Some(&(2031, 150_000))
    );
    sign_out(&c).await;

    // The administrator: a different menu; a form forged on another page is refused.
    sign_in(&c, &base, "admin", "demo-admin-7872").await;
    let items = menu(&c).await;
    assert_eq!(
        items,
        [
            "Início",
            "Territórios",
            "Usuários",
            "Instituições",
            "Chaves de API",
            "Calendário",
            "Crimes",
            "Auditoria"
        ]
    );
    click(&c, Locator::LinkText("Auditoria")).await;
    let chain = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".br-message.success[role=status]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chain.starts_with("Cadeia íntegra"), "{chain}");
    shot(&c, "05-auditoria").await;
    let before = t.db.institutions().await.unwrap().len();
    // A form without the session's token, posted by the browser (cookies included) as a forged page
    // would do it.
    c.execute(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/admin/instituicoes';
         for (const [k, v] of [['codigo', 'FORJADA'], ['nome', 'Forjada'], ['tipo', 'OUTRA']]) {
           const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
         document.body.appendChild(f); f.submit();",
        vec![],
    )
    .await
    .unwrap();
    let h1 = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("main.box h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Formulário recusado");
    shot(&c, "06-formulario-forjado").await;
    assert_eq!(t.db.institutions().await.unwrap().len(), before);

    // The year table: the administrator closes Friday 2 Oct 2026 by decree.
    c.goto(&format!("{base}/admin/calendario?ano=2026"))
        .await
        .unwrap();
    fill(&c, "#data", "02/10/2026").await;
    fill(&c, "#nome", "Ponto facultativo — ponte").await;
    fill(&c, "#ato", "Decreto nº 999/2026").await;
    click(&c, Locator::Css("form[action='/admin/calendario'] button")).await;
    let table = text_at(&c, "#decretos").await;
    assert!(table.contains("Decreto nº 999/2026"), "{table}");
    shot_full(&c, "07-calendario").await;
    sign_out(&c).await;

    recap_cycle(&c, &base, &t.db).await;
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    t.cleanup().await.unwrap();
    println!("browser: two roles, map with {features} areas, upload, forged form refused");
}

/// The quarterly RECAP cycle of 2026-Q3 across the committee and a unit head: deadlines in October 2026
/// (moved by the decree above: business days 1, 5, 6, 7, 8 make the 5th Oct 8 instead of Oct 7), acts
/// after them only with a justification, the unit head's list and appeal, the committee's decision.
async fn recap_cycle(c: &Client, base: &str, db: &atalaia_store::Db) {
    use atalaia_core::cycle::{CycleKind, CyclePeriod};
    let q = CyclePeriod::Quarter(atalaia_core::Quarter::parse("2026-Q3").unwrap());
    sign_in(c, base, "comite", "demo-comite-7872").await;
    assert_eq!(
        menu(c).await,
        [
            "Início",
            "Territórios",
            "Operadores",
            "RECAP",
            "Execuções do RECAP",
            "IPEI",
            "Execuções do IPEI"
        ]
    );
    c.goto(&format!("{base}/recap?trimestre=2026-Q3"))
        .await
        .unwrap();
    let map = wait_for(c, "#mapa[data-features]").await;
    assert_eq!(
        map.attr("data-features").await.unwrap().as_deref(),
        Some("10")
    );
    // The choropleth's legend is drawn on the map, in the colours colour-blind readers tell apart.
    let legend = text_at(c, "#mapa .map-key").await;
    for entry in ["RECAP1", "RECAP2", "redução abaixo do RECAP2", "aumento"] {
        assert!(legend.contains(entry), "{legend}");
    }
    let series = c
        .execute(
            "return Chart.getChart(document.querySelector('canvas.chart')).data.datasets.length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(series, serde_json::json!(10), "one line per RECAP area");
    shot_full(c, "08-recap-comite").await;
    submit(c, Locator::Css("form[action='/recap/ciclo'] button")).await;
    let first = wait_for(c, "#ciclo tbody tr:first-child")
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("5º dia útil — 08/10/2026"), "{first}");
    assert!(first.contains("Decreto nº 999/2026"), "{first}");
    submit(c, Locator::Css("form[action='/recap/execucoes'] button")).await;
    let facts = wait_for(c, "dl.facts").await.text().await.unwrap();
    assert!(facts.contains("bytes idênticos"), "{facts}");
    assert!(facts.contains("iguais às entradas"), "{facts}");
    shot_full(c, "09-execucao").await;
    let run = db
        .saved_runs(CycleKind::Recap, Some("2026-Q3"))
        .await
        .unwrap()[0]
        .id;
    sign_out(c).await;

    // The unit head amends the proposal (excludes someone the system keeps), late, with reasons.
    sign_in(c, base, "chefe1bpm", "demo-chefe-7872").await;
    c.goto(&format!("{base}/recap/unidade?trimestre=2026-Q3"))
        .await
        .unwrap();
    let form = "form[action='/recap/unidade/lista']";
    let boxes = c
        .find_all(Locator::Css(&format!(
            "{form} input[type=checkbox]:not(:checked)"
        )))
        .await
        .unwrap();
    assert!(!boxes.is_empty(), "someone to exclude");
    let reg = boxes[0]
        .attr("name")
        .await
        .unwrap()
        .unwrap()
        .replace("excluir_", "");
    boxes[0].click().await.unwrap();
    submit(c, Locator::Css(&format!("{form} button"))).await;
    assert!(alert_text(c).await.contains("precisa de um motivo"));
    let boxes = c
        .find_all(Locator::Css(&format!("{form} input[name='excluir_{reg}']")))
        .await
        .unwrap();
    boxes[0].click().await.unwrap();
    fill(
        c,
        &format!("{form} input[name='motivo_{reg}']"),
        "Suspensão disciplinar",
    )
    .await;
    submit(c, Locator::Css(&format!("{form} button"))).await;
    assert!(alert_text(c).await.contains("exige justificativa"));
    c.find_all(Locator::Css(&format!("{form} input[name='excluir_{reg}']")))
        .await
        .unwrap()[0]
        .click()
        .await
        .unwrap();
    fill(
        c,
        &format!("{form} input[name='motivo_{reg}']"),
        "Suspensão disciplinar",
    )
    .await;
    fill(
        c,
        &format!("{form} input[name=justificativa]"),
        "Escala de operação",
    )
    .await;
    submit(c, Locator::Css(&format!("{form} button"))).await;
    let acts = wait_for(c, "section ul:last-of-type")
        .await
        .text()
        .await
        .unwrap();
    assert!(acts.contains("Lista enviada"), "{acts}");
    shot_full(c, "10-unidade-lista").await;
    let cycle = db.cycle(q).await.unwrap().unwrap();
    let amendments = cycle.amendments_by_unit();
    assert_eq!(amendments["PM-1BPM"].len(), 1);
    assert_eq!(amendments["PM-1BPM"][0].registration, reg);
    assert!(amendments["PM-1BPM"][0].excluded);
    sign_out(c).await;

    // The committee closes the lists (late: refused without a reason) and publishes the partial result.
    sign_in(c, base, "comite", "demo-comite-7872").await;
    c.goto(&format!("{base}/recap?trimestre=2026-Q3"))
        .await
        .unwrap();
    submit(c, Locator::Css("#ciclo form.stack button")).await;
    assert!(alert_text(c).await.contains("prazo vencido em 08/10/2026"));
    fill(
        c,
        "#ciclo tr.current input[name=justificativa]",
        "Reunião do Comitê adiada",
    )
    .await;
    submit(c, Locator::Css("#ciclo tr.current form button")).await;
    wait_for(c, "#ciclo tr.current").await;
    click(
        c,
        Locator::Css(&format!(
            "#ciclo tr.current select[name=execucao] option[value='{run}']"
        )),
    )
    .await;
    fill(
        c,
        "#ciclo tr.current input[name=justificativa]",
        "Reunião do Comitê adiada",
    )
    .await;
    submit(c, Locator::Css("#ciclo tr.current form button")).await;
    let rows = wait_for(c, "#ciclo tbody").await.text().await.unwrap();
    assert!(rows.contains(&format!("(execução nº {run})")), "{rows}");
    assert!(
        rows.contains("fora do prazo — Reunião do Comitê adiada"),
        "{rows}"
    );
    sign_out(c).await;

    // The unit head sees the partial result and appeals; the committee decides.
    sign_in(c, base, "chefe1bpm", "demo-chefe-7872").await;
    c.goto(&format!("{base}/recap/unidade?trimestre=2026-Q3"))
        .await
        .unwrap();
    let result = wait_for(c, "section p").await.text().await.unwrap();
    assert!(
        result.starts_with(&format!("Resultado parcial (execução nº {run})")),
        "{result}"
    );
    fill(
        c,
        "form[action='/recap/unidade/recurso'] textarea",
        "O roubo de veículo BO 123/2026 ocorreu fora da AISP1.",
    )
    .await;
    fill(
        c,
        "form[action='/recap/unidade/recurso'] input[name=justificativa]",
        "Ciência tardia do resultado",
    )
    .await;
    submit(
        c,
        Locator::Css("form[action='/recap/unidade/recurso'] button"),
    )
    .await;
    wait_for(c, "section ul").await;
    shot(c, "11-unidade-recurso").await;
    sign_out(c).await;
    sign_in(c, base, "comite", "demo-comite-7872").await;
    c.goto(&format!("{base}/recap?trimestre=2026-Q3"))
        .await
        .unwrap();
    fill(
        c,
        "ul.acts textarea[name=texto]",
        "Georreferenciamento confirma a AISP1.",
    )
    .await;
    submit(c, Locator::Css("ul.acts form button")).await;
    let appeals = wait_for(c, "ul.acts").await.text().await.unwrap();
    assert!(appeals.contains("Indeferido"), "{appeals}");
    assert!(
        appeals.contains("Georreferenciamento confirma a AISP1."),
        "{appeals}"
    );
    shot_full(c, "12-recap-ciclo").await;
    // A new run freezes the roster with the head's amendment: their unit (AISP1, 18,31 % → RECAP2 at
    // R$ 750,00 in the demo configuration) pays everyone on its roster but the one excluded.
    submit(c, Locator::Css("form[action='/recap/execucoes'] button")).await;
    let summary = wait_for(c, "details").await;
    summary.click().await.unwrap();
    shot_full(c, "13-execucao-folha").await;
    sign_out(c).await;
    let latest = db
        .saved_runs(CycleKind::Recap, Some("2026-Q3"))
        .await
        .unwrap()
        .remove(0);
    let replayed = latest.replay::<atalaia_core::pipeline::Recap>().unwrap();
    assert!(replayed.reproduces);
    let roster = replayed.frozen.unwrap();
    let on_unit = roster
        .lines
        .iter()
        .filter(|l| l.entry.unit.as_deref() == Some("PM-1BPM"))
        .count() as u32;
    let absent = roster
        .lines
        .iter()
        .filter(|l| l.entry.unit.as_deref() == Some("PM-1BPM") && l.entry.excluded.is_some())
        .count() as u32;
    let (_, summaries) = roster.payroll(
        &replayed.report,
        atalaia_core::payroll::Amounts::from_reais(1500.0, 750.0),
    );
    let mine = summaries.iter().find(|x| x.unit == "PM-1BPM").unwrap();
    assert_eq!(mine.level, Some(atalaia_core::recap::Level::Recap2));
    assert_eq!(
        (mine.excluded_by_head, mine.excluded_absence, mine.eligible),
        (1, absent, on_unit - absent - 1)
    );
    assert_eq!(mine.total_cents, i64::from(mine.eligible) * 75_000);
    let cycle = db.cycle(q).await.unwrap().unwrap();
    let acts: Vec<&str> = cycle.acts.iter().map(|a| a.act.as_str()).collect();
    assert_eq!(
        acts,
        ["submission", "close", "close", "appeal", "appeal_decision"]
    );
    assert!(
        cycle
            .acts
            .iter()
            .filter(|a| a.act != "appeal_decision")
            .all(|a| a.late)
    );
}
