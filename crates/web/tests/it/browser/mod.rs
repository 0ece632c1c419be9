//! End-to-end tests in headless Chromium over WebDriver (fantoccini + chromedriver), against the real
//! server on a local port with the demo data set. CI installs `chromium` and `chromium-driver` and sets
//! `ATALAIA_TEST_REQUIRE_BROWSER=1`, which turns a missing driver into a failure; elsewhere the test says
//! it did not run. `ATALAIA_SCREENSHOTS=DIR` keeps screenshots of the pages visited.

mod crawl;
mod hotspots;
mod igesp;
mod imports;
mod ipei;
mod keyboard;
mod recap;
mod tables;

use super::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// The 1 % demo of 20 Nov 2026 on SQLite, served on a local port: its database and the base URL.
async fn demo_site() -> (atalaia_store::testing::TestDb, String) {
    let t = atalaia_store::testing::TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    let config = demo_config(&t.db, today, 0.01).await;
    let base = format!("http://{}", serve(t.db.clone(), config).await);
    (t, base)
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
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match c.wait().at_most(left).for_element(Locator::Css(css)).await {
            Ok(e) => return e,
            // ChromeDriver answers a look-up that races the page's load this way: look again.
            Err(e) if !left.is_zero() && e.to_string().contains("aborted by navigation") => {}
            Err(e) => panic!("{css}: {e}"),
        }
    }
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
    text_at(c, ".br-message[role=alert]").await
}

/// Chooses the import kind and the file on the imports page and sends it.
async fn upload(c: &Client, kind: &str, file: &std::path::Path) {
    click(c, Locator::Css(&format!("#tipo option[value={kind}]"))).await;
    c.find(Locator::Id("arquivo"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(c, Locator::Css("#envio button[type=submit]")).await;
}

/// The text of the element `css`, once it is there.
async fn text_at(c: &Client, css: &str) -> String {
    wait_for(c, css).await.text().await.unwrap()
}

/// The strings a script returns (an array; none for anything else).
async fn strings_of(c: &Client, script: &str) -> Vec<String> {
    let v = c.execute(script, vec![]).await.unwrap();
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The text of the element with `id`.
async fn text_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}
