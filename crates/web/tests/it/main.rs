//! Web tests: the real router over a fresh database (SQLite, and PostgreSQL when configured), requests
//! sent in process (`tower::ServiceExt::oneshot`).

mod access;
mod api;
mod backup;
mod browser;
mod clock;
mod copy;
mod crimes;
mod diagnostics;
mod evaluation;
mod exports;
mod flows;
mod forms;
mod ipei;
mod jobs;
mod labels;
mod meetings;
mod numbers;
#[cfg(feature = "oidc")]
mod ogc;
mod oidc;
mod ops;
mod recap;
mod replica;
mod scopes;
mod security;
mod transparency;
mod unfinished;
mod upgrade;

use atalaia_store::Db;
use atalaia_web::{AppState, PasswordCost, WebConfig};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use tower::ServiceExt;

/// A test application: the router, its database, and helpers to sign in and send requests.
pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) db: Db,
    _data_dir: DataDir,
}

/// The data directory (uploads, frozen outputs) a test's configuration named, removed with its app so
/// that test runs do not pile up directories in the system's temporary folder.
pub(crate) struct DataDir(pub(crate) std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a request returned.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) body: String,
    /// The body as sent (downloads).
    pub(crate) bytes: Vec<u8>,
    pub(crate) headers: axum::http::HeaderMap,
}

impl Reply {
    /// Asserts the body holds `needle`, showing the body when it does not.
    #[track_caller]
    pub(crate) fn assert_has(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "{needle:?} not in: {}",
            self.body
        );
    }

    /// Asserts the body does not hold `needle`, showing the body when it does.
    #[track_caller]
    pub(crate) fn assert_lacks(&self, needle: &str) {
        assert!(!self.body.contains(needle), "{needle:?} in: {}", self.body);
    }
}

pub(crate) fn test_config() -> WebConfig {
    WebConfig {
        password_cost: PasswordCost::TEST,
        data_dir: std::env::temp_dir().join(format!(
            "atalaia-web-test-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )),
        // Only the cache test warms: the others would share their cores with it.
        warm_analyses: false,
        ..WebConfig::default()
    }
}

/// Loads the demo data set (seed 7872) at `scale` as it stands on `today`.
pub(crate) async fn load_demo(db: &Db, today: chrono::NaiveDate, scale: f64) {
    atalaia_demo::load_scaled(db, 7872, today, scale)
        .await
        .unwrap();
}

/// Imports `text` as a file named `name` of `kind` through the real importer, as of `today`; every
/// row must be accepted.
pub(crate) async fn import_text(
    db: &Db,
    kind: atalaia_ingest::Kind,
    name: &str,
    text: &str,
    today: chrono::NaiveDate,
) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    std::fs::write(&path, text).unwrap();
    let opts = atalaia_ingest::ImportOptions {
        actor: "teste".into(),
        synthetic: false,
        rejects: None,
        today,
        now: today.and_hms_opt(12, 0, 0).unwrap(),
        ip: String::new(),
        units_allowed: None,
        job: None,
        rejects_kept_in: None,
        profile: None,
    };
    let s = atalaia_ingest::import_file(
        db,
        kind,
        &path,
        &opts,
        std::sync::Arc::new(atalaia_ingest::load::NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(s.rejected, 0, "{name}");
}

/// Loads the demo as on `today` and returns the test configuration with the clock at 15:00 that day.
pub(crate) async fn demo_config(db: &Db, today: chrono::NaiveDate, scale: f64) -> WebConfig {
    load_demo(db, today, scale).await;
    WebConfig {
        clock: atalaia_web::Clock::fixed(today.and_hms_opt(15, 0, 0).unwrap()),
        ..test_config()
    }
}

/// Serves the app over `db` with `config` on a local port (the worker running), as a deployment does.
pub(crate) async fn serve(db: atalaia_store::Db, config: WebConfig) -> std::net::SocketAddr {
    atalaia_web::demo_users::ensure(&db, PasswordCost::TEST)
        .await
        .unwrap();
    // The server task owns the data directory: the test's runtime drops both when the test ends.
    let data_dir = DataDir(config.data_dir.clone());
    let state = AppState::new(db, config);
    atalaia_web::jobs::spawn_worker(&state);
    let app = atalaia_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _data_dir = data_dir;
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// A day of the tests' calendar.
pub(crate) fn ymd(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The app over a new SQLite database holding the demo at `scale` as it stands on `today`, its clock
/// at 15:00 that day.
pub(crate) async fn demo_app(
    today: chrono::NaiveDate,
    scale: f64,
) -> (atalaia_store::testing::TestDb, App) {
    let t = atalaia_store::testing::TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), demo_config(&t.db, today, scale).await).await;
    (t, app)
}

/// The id of the institution `code`.
pub(crate) async fn institution_id(db: &Db, code: &str) -> i64 {
    db.institutions()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("no institution {code}"))
        .id
}

/// The audit trail as (actor, action, object), oldest first.
pub(crate) async fn audit_actions(db: &Db) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = db
        .audit_entries(&atalaia_store::audit::AuditFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.object))
        .collect();
    v.reverse();
    v
}

static DIRS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl App {
    pub(crate) async fn new(db: Db, config: WebConfig) -> App {
        atalaia_web::demo_users::ensure(&db, PasswordCost::TEST)
            .await
            .unwrap();
        App::of_state(AppState::new(db.clone(), config))
    }

    /// The app over `t` with `config`, reading its pages from `t`'s streaming replica when the tests have
    /// one (`TestDb::replica`), caught up with what was loaded so far.
    pub(crate) async fn reading_replica(
        t: &atalaia_store::testing::TestDb,
        config: WebConfig,
    ) -> App {
        atalaia_web::demo_users::ensure(&t.db, PasswordCost::TEST)
            .await
            .unwrap();
        let mut state = AppState::new(t.db.clone(), config);
        if let Some(replica) = t.replica().await.unwrap() {
            replica::caught_up(&t.db, &replica).await;
            state = state.with_replica(replica);
        }
        App::of_state(state)
    }

    /// The app that serves `state` (already made, e.g. with an identity provider), with its worker.
    pub(crate) fn of_state(state: AppState) -> App {
        atalaia_web::jobs::spawn_worker(&state);
        App::without_worker(state)
    }

    /// The app of `state` with no import worker yet: jobs wait in the queue.
    pub(crate) fn without_worker(state: AppState) -> App {
        App {
            _data_dir: DataDir(state.config.data_dir.clone()),
            db: state.db.clone(),
            router: atalaia_web::router(state),
        }
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Reply {
        let resp: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let set_cookies = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            location,
            set_cookies,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
            headers,
        }
    }

    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// Gets a page that must answer 200.
    pub(crate) async fn get_ok(&self, path: &str, cookie: &str) -> Reply {
        let r = self.get(path, Some(cookie)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r
    }

    /// Posts a form that must go through (a 303 to the next page).
    pub(crate) async fn post_ok(&self, path: &str, cookie: &str, form: &str) -> Reply {
        let r = self.post_form(path, Some(cookie), form).await;
        assert_eq!(r.status, 303, "{path}: {}", r.body);
        r
    }

    pub(crate) async fn post_form(&self, path: &str, cookie: Option<&str>, form: &str) -> Reply {
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(form.to_string())).unwrap())
            .await
    }

    /// Posts a multipart form (the file, if any, as the `arquivo` field).
    pub(crate) async fn post_multipart(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Reply {
        let boundary = "atalaia-teste-7872";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"arquivo\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut b = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Signs in through the login form; returns the session cookie (`name=value`).
    pub(crate) async fn login(&self, login: &str, password: &str) -> Result<String, Reply> {
        let form = self.get("/login", None).await;
        let csrf = hidden(&form.body, "csrf_token");
        let login_cookie = cookie_pair(&form.set_cookies, "atalaia_entrada");
        let r = self
            .post_form(
                "/login",
                Some(&login_cookie),
                &format!("csrf_token={csrf}&login={login}&senha={password}"),
            )
            .await;
        if r.status != 303 {
            return Err(r);
        }
        Ok(cookie_pair(&r.set_cookies, "atalaia_sessao"))
    }

    /// Waits for the import job whose page is `location` to end (the worker runs it); returns that page
    /// then: a redirect to the import's summary when it went through.
    pub(crate) async fn job_end(&self, location: &str, cookie: &str) -> Reply {
        for _ in 0..1200 {
            let state = self.get(&format!("{location}/estado"), Some(cookie)).await;
            assert_eq!(state.status, 200, "{location}: {}", state.body);
            let state: serde_json::Value = serde_json::from_str(&state.body).unwrap();
            if state["ended"] == true {
                return self.get(location, Some(cookie)).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the import job at {location} did not end in a minute");
    }

    /// The session's CSRF token, read from a page's logout form.
    pub(crate) async fn csrf(&self, cookie: &str) -> String {
        hidden(&self.get("/", Some(cookie)).await.body, "csrf_token")
    }
}

/// The value of a hidden input.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in page: {html}"));
    let rest = &html[at + key.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// `name=value` of a Set-Cookie.
pub(crate) fn cookie_pair(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no cookie {name} in {set_cookies:?}"))
}

/// The demo (1 % scale, on 2026-11-20) with the committee's saved run of 2026-Q3: the app, the
/// committee's cookie, the run's page and its number.
pub(crate) async fn demo_with_a_recap_run(
    db: &Db,
    config: WebConfig,
) -> (App, String, String, i64) {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    atalaia_demo::load_scaled(db, 7872, today, 0.01)
        .await
        .unwrap();
    let app = App::new(db.clone(), config).await;
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let csrf = app.csrf(&committee).await;
    let r = app
        .post_form(
            "/recap/execucoes",
            Some(&committee),
            &format!("csrf_token={csrf}&trimestre=2026-Q3"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = r.location.unwrap();
    // The redirect confirms the act: `/recap/execucoes/N?feito=execucao`.
    let (page, done) = page.split_once('?').unwrap();
    assert_eq!(done, "feito=execucao");
    let run_id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    (app, committee, page.to_string(), run_id)
}

/// `s` percent-encoded for a form body (every byte but the unreserved ones).
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
