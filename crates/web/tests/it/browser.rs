//! End-to-end tests in headless Chromium over WebDriver (fantoccini + chromedriver), against the real
//! server on a local port with the demo data set. CI installs `chromium` and `chromium-driver` and sets
//! `ATALAIA_TEST_REQUIRE_BROWSER=1`, which turns a missing driver into a failure; elsewhere the test says
//! it did not run. `ATALAIA_SCREENSHOTS=DIR` keeps screenshots of the pages visited.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use atalaia_store::testing::TestDb;
use atalaia_web::AppState;
use fantoccini::{Client, ClientBuilder, Locator};

use super::*;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find_driver() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_string)
}

/// Starts chromedriver and a headless Chromium session.
async fn browser() -> Option<(Driver, Client, tempfile::TempDir)> {
    let Some(driver) = find_driver() else {
        if std::env::var("ATALAIA_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("ATALAIA_TEST_REQUIRE_BROWSER=1 but chromedriver is not installed");
        }
        println!(
            "browser tests did not run: chromedriver not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1366,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    // chromedriver takes a moment to listen: retry the session for up to 20 s.
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..80 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return Some((driver, c, profile)),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    panic!("could not start a Chromium session: {last:?}");
}

async fn serve(db: atalaia_store::Db, config: WebConfig) -> SocketAddr {
    atalaia_web::demo_users::ensure(&db, PasswordCost::TEST)
        .await
        .unwrap();
    let app = atalaia_web::router(AppState::new(db, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

async fn shot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("ATALAIA_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// A screenshot of the whole page: the window grows to the document's height for the shot.
async fn shot_full(c: &Client, name: &str) {
    if std::env::var("ATALAIA_SCREENSHOTS").is_err() {
        return;
    }
    let h = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(1000)
        .min(8000) as u32;
    c.set_window_size(1366, h + 140).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(c, name).await;
    c.set_window_size(1366, 1000).await.unwrap();
}

async fn click(c: &Client, l: Locator<'_>) {
    c.find(l).await.unwrap().click().await.unwrap();
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
}

async fn sign_in(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    c.find(Locator::Id("senha"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    click(c, Locator::Css("form.stack button[type=submit]")).await;
    wait_for(c, "header.top .user").await;
}

async fn sign_out(c: &Client) {
    click(c, Locator::Css("header.top form button")).await;
    wait_for(c, "#login").await;
}

async fn menu(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for a in c.find_all(Locator::Css("nav.menu a")).await.unwrap() {
        out.push(a.text().await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_roles_navigate_see_the_map_upload_and_are_protected_from_forgery() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let t = TestDb::sqlite().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
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
    click(&c, Locator::Css("#tipo option[value=population]")).await;
    c.find(Locator::Id("arquivo"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(&c, Locator::Css("#envio button[type=submit]")).await;
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
            "Auditoria"
        ]
    );
    click(&c, Locator::LinkText("Auditoria")).await;
    let chain = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("p.ok[role=status]"))
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
    let table = wait_for(&c, "table:nth-of-type(2)")
        .await
        .text()
        .await
        .unwrap();
    assert!(table.contains("Decreto nº 999/2026"), "{table}");
    shot_full(&c, "07-calendario").await;
    sign_out(&c).await;

    recap_cycle(&c, &base, &t.db).await;
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    t.cleanup().await.unwrap();
    println!("browser: two roles, map with {features} areas, upload, forged form refused");
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Clicks a submit button and waits for the next page (the old one is marked first, so no element of it
/// is mistaken for the new page's).
async fn submit(c: &Client, l: Locator<'_>) {
    c.execute("document.body.setAttribute('data-old', '1')", vec![])
        .await
        .unwrap();
    click(c, l).await;
    wait_for(c, "body:not([data-old])").await;
}

async fn alert_text(c: &Client) -> String {
    wait_for(c, "p.error[role=alert]")
        .await
        .text()
        .await
        .unwrap()
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
            "Execuções",
            "IPEI"
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
    let cycle = db.cycle(CycleKind::Recap, q).await.unwrap().unwrap();
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
    let cycle = db.cycle(CycleKind::Recap, q).await.unwrap().unwrap();
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

/// Moves the program clock to 10h in Goiânia on a day of November 2026.
fn at_nov(clock: &atalaia_web::Clock, day: u32) {
    clock.set(
        chrono::NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(13, 0, 0)
            .unwrap(),
    );
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
        let ok = wait_for(c, "p.ok[role=status]").await.text().await.unwrap();
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
    atalaia_demo::load_scaled(
        &t.db,
        7872,
        chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        0.01,
    )
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
    let first = wait_for(&c, "#ciclo tbody tr:first-child")
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("5º dia útil — 09/11/2026"), "{first}");
    sign_out(&c).await;

    // Nov 4: PM-1BPM's head sees the countdown, enters two seizures and the spreadsheet, attaches the BOs.
    at_nov(&clock, 4);
    sign_in(&c, &base, "chefe1bpm", "demo-chefe-7872").await;
    c.goto(&unit_page).await.unwrap();
    let deadlines = wait_for(&c, "ul.deadlines").await.text().await.unwrap();
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
    let ok = wait_for(&c, "p.ok[role=status]")
        .await
        .text()
        .await
        .unwrap();
    assert!(ok.contains("4 linha(s) lida(s), 4 nova(s)"), "{ok}");
    attach_all(&c, &png).await;
    shot_full(&c, "20-ipei-unidade").await;
    let s2 =
        t.db.seizures(month, Some("PM-1BPM"))
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.record.bo_number == "1002/2026")
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
    let sent = wait_for(&c, "#u-PM-1BPM p.ok-text")
        .await
        .text()
        .await
        .unwrap();
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
    let sent = wait_for(&c, "#u-PM-7BPM p.ok-text")
        .await
        .text()
        .await
        .unwrap();
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
    let rows = wait_for(&c, "#ciclo tbody").await.text().await.unwrap();
    assert!(rows.contains(&format!("(execução nº {partial})")), "{rows}");
    let units = c
        .find(Locator::Css("#res-h + p + table"))
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
    let published = wait_for(&c, "#u-PM-1BPM p strong")
        .await
        .text()
        .await
        .unwrap();
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
    let acts = wait_for(&c, "#u-PM-1BPM ul").await.text().await.unwrap();
    assert!(
        acts.contains(&format!(
            "correção da apreensão nº {s2}: flagrante: não → sim"
        )),
        "{acts}"
    );
    let before =
        t.db.cycle(CycleKind::Ipei, period)
            .await
            .unwrap()
            .unwrap()
            .acts
            .len();
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
        t.db.cycle(CycleKind::Ipei, period)
            .await
            .unwrap()
            .unwrap()
            .acts
            .len(),
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
    let acts = wait_for(&c, "#ciclo ul.acts").await.text().await.unwrap();
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
    wait_for(&c, "#ciclo p.ok").await;
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

/// The text of the element with `id`.
async fn text_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}

/// Chooses the hot-spot map's layer; returns the legend it draws.
async fn layer(c: &Client, value: &str) -> String {
    c.find(Locator::Id("camada"))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
    text_of(c, "legenda").await
}

/// igesp.md §3 in the browser: the analyst opens Goiânia's hot-spot map over the demo (whose hot spots
/// are planted at known places), sees the planted places in hot cells, switches layers and months, picks
/// two cells and turns them into an intervention area, which is then an area like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_spot_map_finds_the_planted_hot_spots_and_makes_an_intervention_area() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    use geo::Contains;
    let t = TestDb::sqlite().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let report = atalaia_demo::load_scaled(&t.db, 7872, today, 1.0)
        .await
        .unwrap();
    let config = WebConfig {
        clock: atalaia_web::Clock::fixed(today.and_hms_opt(15, 0, 0).unwrap()),
        ..test_config()
    };
    let addr = serve(t.db.clone(), config).await;
    let base = format!("http://{addr}");
    sign_in(&c, &base, "analista", "demo-analista-7872").await;
    assert!(menu(&c).await.contains(&"Zonas quentes".to_string()));
    c.goto(&format!("{base}/zonas-quentes?area=5208707&celula=500"))
        .await
        .unwrap();
    let map = wait_for(&c, ".hotmap[data-ready]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot_full(&c, "hotspots-goiania").await;
    c.execute("document.getElementById('mapa').scrollIntoView()", vec![])
        .await
        .unwrap();

    // The same analysis the page ran (the last twelve whole months before the clock's day).
    use atalaia_spatial::gistar::HotClass;
    use atalaia_spatial::hotspot::Params;
    let run =
        t.db.hotspots(&atalaia_store::hotspots::HotspotQuery {
            area: "5208707".into(),
            from: atalaia_core::Month::parse("2025-10").unwrap(),
            to: atalaia_core::Month::parse("2026-09").unwrap(),
            crimes: vec![],
            params: Params {
                cell: Some(500.0),
                ..Params::default()
            },
        })
        .await
        .unwrap();
    let a = &run.analysis;
    let hot: Vec<_> = a
        .cells
        .iter()
        .filter(|x| matches!(x.class, HotClass::Hot99 | HotClass::Hot95 | HotClass::Hot90))
        .collect();
    assert_eq!(
        map.attr("data-features").await.unwrap(),
        Some(a.cells.len().to_string())
    );
    assert_eq!(
        map.attr("data-hot").await.unwrap(),
        Some(hot.len().to_string())
    );
    let method = text_of(&c, "metodo").await;
    assert!(method.contains("Getis-Ord Gi*"), "{method}");
    assert!(method.contains("células quadradas de 500 m"), "{method}");

    // Every planted hot spot of Goiânia's AISPs lies in a hot cell at 99 %.
    let polygon = |ring: &[(f64, f64)]| {
        geo::Polygon::new(
            geo::LineString::from(ring.iter().map(|&(x, y)| (x, y)).collect::<Vec<_>>()),
            vec![],
        )
    };
    #[allow(clippy::type_complexity)]
    let planted: Vec<_> = report
        .hot_spots
        .iter()
        .filter(|(code, _, _)| code.starts_with("AISP"))
        .collect();
    assert_eq!(planted.len(), 14);
    let found: Vec<String> = planted
        .iter()
        .map(|(code, lon, lat)| {
            let Some(cell) = a
                .cells
                .iter()
                .find(|x| polygon(&x.ring).contains(&geo::Point::new(*lon, *lat)))
            else {
                return format!("{code} none");
            };
            format!(
                "{code} {} {:?} {} {:.2}",
                cell.id, cell.class, cell.count, cell.z
            )
        })
        .collect();
    // A planted place within a cell's reach of the border can fall in an edge cell whose centre is
    // outside the municipality (not part of the statistic, igesp.md §3); all the others are in hot
    // cells — at 99 % but for one in the dense centre (AISP1), where the background is high.
    let in_cells: Vec<&String> = found.iter().filter(|f| !f.ends_with(" none")).collect();
    assert!(in_cells.len() >= 13, "{found:#?}");
    assert!(in_cells.iter().all(|f| f.contains(" Hot")), "{found:#?}");
    let at_99 = in_cells.iter().filter(|f| f.contains(" Hot99 ")).count();
    assert!(at_99 + 1 >= in_cells.len(), "{found:#?}");

    // Layers and the month slider.
    let legend = layer(&c, "emergente").await;
    assert!(legend.contains("zona quente"), "{legend}");
    shot(&c, "hotspots-emergente").await;
    let legend = layer(&c, "densidade").await;
    assert!(legend.contains("densidade kernel"), "{legend}");
    shot(&c, "hotspots-kde").await;
    layer(&c, "classe").await;
    c.execute(
        "var s = document.getElementById('mes'); s.value = s.max; s.dispatchEvent(new Event('input'));",
        vec![],
    )
    .await
    .unwrap();
    let label = text_of(&c, "mes-rotulo").await;
    assert_eq!(label, "setembro de 2026");

    // Pick the two hottest cells by clicking them, then create the area.
    let picked: Vec<String> = {
        let mut h = hot.clone();
        h.sort_by(|x, y| y.z.total_cmp(&x.z));
        h.iter().take(2).map(|x| x.id.clone()).collect()
    };
    for id in &picked {
        let css = format!("path.cell-{}", id.replace(',', "-"));
        c.find(Locator::Css(&css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let button = wait_for(&c, ".cell-popup button").await;
        // Leaflet fades the popup in; its text reads empty until it is visible.
        let mut text = String::new();
        for _ in 0..40 {
            text = c
                .find(Locator::Css(".cell-popup"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if !text.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(text.contains(&format!("Célula {id}")), "{id}: {text}");
        button.click().await.unwrap();
        // The popup closes (with Leaflet's fade) before the next click.
        for _ in 0..40 {
            if c.find_all(Locator::Css(".cell-popup"))
                .await
                .unwrap()
                .is_empty()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let chosen = text_of(&c, "escolhidas").await;
    assert!(chosen.starts_with("2 célula(s) escolhida(s)"), "{chosen}");
    shot(&c, "hotspots-escolhidas").await;
    fill(&c, "#criar-area input[name=codigo]", "INT-GYN-01").await;
    fill(&c, "#criar-area input[name=nome]", "Zona quente do centro").await;
    submit(&c, Locator::Css("#criar-area button[type=submit]")).await;
    wait_for(&c, "main h1").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/territorios/INT-GYN-01"
    );
    shot_full(&c, "hotspots-area-criada").await;

    // An area like any other: its version, its parent, its occurrences assigned and counted.
    let v = t.db.territory("INT-GYN-01").await.unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, "intervention");
    assert_eq!(v[0].parent_code.as_deref(), Some("5208707"));
    // In force from the analysed period's first day, so the period is its history.
    let born = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    assert_eq!(v[0].valid_from, born);
    let merged = atalaia_spatial::hotspot::merge_cells(
        &a.cells
            .iter()
            .filter(|x| picked.contains(&x.id))
            .map(|x| x.ring.clone())
            .collect::<Vec<_>>(),
    );
    // Occurrences on or after the area's first day that fall inside it, by geo's own test.
    let bbox = v[0].bbox.unwrap();
    let inside =
        t.db.located(
            bbox,
            born,
            chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|&(lon, lat, _)| merged.contains(&geo::Point::new(lon, lat)))
        .count() as i64;
    let counted: i64 =
        t.db.monthly_totals(born, chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap())
            .await
            .unwrap()
            .iter()
            .filter(|m| m.territory_code == "INT-GYN-01")
            .map(|m| m.occurrences)
            .sum();
    assert_eq!(counted, inside);
    // The two hottest cells hold at least their own counts of the period.
    let own: f64 = a
        .cells
        .iter()
        .filter(|x| picked.contains(&x.id))
        .map(|x| x.count)
        .sum();
    assert!(inside as f64 >= own && own > 10.0, "{inside} vs {own}");
    let audit =
        t.db.audit_entries(&atalaia_store::audit::AuditFilter {
            action_prefix: Some("territory.intervention".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    let e = audit
        .iter()
        .find(|e| e.action == "territory.intervention_created")
        .expect("audited");
    assert_eq!(e.object, "territory:INT-GYN-01");
    assert_eq!(e.actor, "user:analista");

    // The municipality selection, and a decision recorded from it (igesp.md §2).
    c.goto(&format!("{base}/municipios/selecao")).await.unwrap();
    wait_for(&c, "table.selection tbody tr").await;
    let first = c
        .find(Locator::Css("table.selection tbody tr td:nth-child(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    shot_full(&c, "selecao-municipios").await;
    fill(
        &c,
        "#decidir textarea[name=justificativa]",
        "Primeiro do escore",
    )
    .await;
    submit(&c, Locator::Css("#decidir button[type=submit]")).await;
    wait_for(&c, "#decisoes").await;
    let d = t.db.selection_decisions().await.unwrap();
    assert_eq!(d.len(), 1);
    let chosen = t.db.territory(&d[0].territory_code).await.unwrap();
    assert_eq!(chosen[0].name, first);
    assert_eq!(d[0].decision, "enter");
    let _ = std::fs::remove_dir_all(test_config().data_dir);
}

/// Sets a form field's value by script (date inputs take typed text in the browser's locale).
async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1]",
        vec![id.into(), value.into()],
    )
    .await
    .unwrap();
}

/// igesp.md §4–5, §7 in the browser: the coordinator schedules an articulation meeting with the
/// Ministério Público and records its decision; the MP's user signs in, sees the agenda with its open
/// (overdue) action, updates it; it cannot open the internal meeting; the public page needs no sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_igesp_cycle_from_the_coordinator_to_the_partner() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let t = TestDb::sqlite().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    atalaia_demo::load_scaled(&t.db, 7872, today, 0.05)
        .await
        .unwrap();
    let config = WebConfig {
        clock: atalaia_web::Clock::fixed(today.and_hms_opt(15, 0, 0).unwrap()),
        ..test_config()
    };
    let addr = serve(t.db.clone(), config).await;
    let base = format!("http://{addr}");
    let inst = |code: &'static str| {
        let db = t.db.clone();
        async move {
            db.institutions()
                .await
                .unwrap()
                .into_iter()
                .find(|i| i.code == code)
                .unwrap()
                .id
        }
    };
    let (ssp, pm, mp) = (inst("SSP-GO").await, inst("PMGO").await, inst("MPGO").await);

    sign_in(&c, &base, "coordenador", "demo-coordenador-7872").await;
    let m = menu(&c).await;
    assert!(m.contains(&"Reuniões".to_string()) && m.contains(&"Ações".to_string()));
    // An internal meeting, police only.
    c.goto(&format!("{base}/reunioes")).await.unwrap();
    c.find(Locator::Id("tipo"))
        .await
        .unwrap()
        .select_by_value("internal")
        .await
        .unwrap();
    fill(&c, "#titulo", "Diagnóstico interno de outubro").await;
    set_value(&c, "data", "2026-10-06").await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{ssp}']")),
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{pm}']")),
    )
    .await;
    submit(&c, Locator::Css("#agendar-form button[type=submit]")).await;
    let internal_url = c.current_url().await.unwrap().to_string();
    assert!(internal_url.contains("/reunioes/"), "{internal_url}");
    // The articulation meeting with the MP.
    c.goto(&format!("{base}/reunioes")).await.unwrap();
    c.find(Locator::Id("tipo"))
        .await
        .unwrap()
        .select_by_value("articulation")
        .await
        .unwrap();
    fill(&c, "#titulo", "Articulação — roubos no centro").await;
    set_value(&c, "data", "2026-10-08").await;
    fill(&c, "#local", "Ministério Público, sala 3").await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{ssp}']")),
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("input[name=instituicao][value='{mp}']")),
    )
    .await;
    shot_full(&c, "igesp-schedule").await;
    submit(&c, Locator::Css("#agendar-form button[type=submit]")).await;
    let meeting_url = c.current_url().await.unwrap().to_string();
    // Its decision: the MP's action, already past due (due 28 September).
    fill(&c, "#o_que", "Audiências de custódia em 24 h").await;
    fill(
        &c,
        "#por_que",
        "Reincidência dos presos por roubo no centro",
    )
    .await;
    c.find(Locator::Id("responsavel"))
        .await
        .unwrap()
        .select_by_value(&mp.to_string())
        .await
        .unwrap();
    set_value(&c, "inicio", "2026-09-01").await;
    set_value(&c, "prazo", "2026-09-28").await;
    fill(&c, "#indicador", "roubo_transeunte").await;
    submit(&c, Locator::Css("#decisao-form button[type=submit]")).await;
    let decisions = wait_for(&c, "table.decisions").await.text().await.unwrap();
    assert!(
        decisions.contains("Audiências de custódia em 24 h") && decisions.contains("MPGO"),
        "{decisions}"
    );
    shot_full(&c, "igesp-meeting-coordinator").await;
    // Did it work? The evaluation of AISP 1 (igesp.md §6): the page draws its chart and a verdict.
    c.goto(&format!(
        "{base}/avaliacao?area=AISP1&inicio=2026-04-01&meses=3"
    ))
    .await
    .unwrap();
    wait_for(&c, "canvas#grafico-avaliacao").await;
    let verdict = wait_for(&c, ".verdict").await.text().await.unwrap();
    assert!(!verdict.is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot_full(&c, "evaluation-aisp1").await;
    sign_out(&c).await;

    // The partner.
    sign_in(&c, &base, "parceiro", "demo-parceiro-7872").await;
    let m = menu(&c).await;
    assert!(m.contains(&"Reuniões".to_string()), "{m:?}");
    assert!(!m.contains(&"Zonas quentes".to_string()), "{m:?}");
    c.goto(&format!("{base}/reunioes")).await.unwrap();
    let list = wait_for(&c, "main").await.text().await.unwrap();
    assert!(list.contains("Articulação — roubos no centro"), "{list}");
    assert!(!list.contains("Diagnóstico interno"), "{list}");
    click(&c, Locator::LinkText("Articulação — roubos no centro")).await;
    let overdue = wait_for(&c, "table.agenda-overdue")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        overdue.contains("Audiências de custódia em 24 h")
            && overdue.contains("28/09/2026 — em atraso"),
        "{overdue}"
    );
    shot_full(&c, "igesp-meeting-partner").await;
    click(&c, Locator::LinkText("Audiências de custódia em 24 h")).await;
    wait_for(&c, "#andamento-form").await;
    c.find(Locator::Id("nova-situacao"))
        .await
        .unwrap()
        .select_by_value("in_progress")
        .await
        .unwrap();
    fill(
        &c,
        "#nota",
        "Plantão judicial combinado com o TJ a partir de 5/10",
    )
    .await;
    submit(&c, Locator::Css("#andamento-form button[type=submit]")).await;
    let notice = wait_for(&c, "p.ok[role=status]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "Andamento registrado.");
    assert_eq!(text_of(&c, "situacao").await, "em andamento");
    let history = wait_for(&c, "table.history").await.text().await.unwrap();
    assert!(history.contains("planejada → em andamento"), "{history}");
    shot_full(&c, "igesp-action-partner").await;
    // The internal meeting does not exist for the partner.
    c.goto(&internal_url).await.unwrap();
    let body = wait_for(&c, "main").await.text().await.unwrap();
    assert!(body.contains("Não encontramos a reunião"), "{body}");
    assert!(!body.contains("Diagnóstico interno"), "{body}");
    let _ = meeting_url;
    c.goto(&format!("{base}/")).await.unwrap();
    sign_out(&c).await;

    // The public page, signed out.
    c.goto(&format!("{base}/transparencia")).await.unwrap();
    let h1 = wait_for(&c, "main h1").await.text().await.unwrap();
    assert!(h1.starts_with("Indicadores de criminalidade"), "{h1}");
    shot_full(&c, "public-transparency").await;
    c.close().await.unwrap();
    t.cleanup().await.unwrap();
    println!("browser: Igesp cycle coordinator → partner, public page");
}
