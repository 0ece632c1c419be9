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
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    t.cleanup().await.unwrap();
    println!("browser: two roles, map with {features} areas, upload, forged form refused");
}
