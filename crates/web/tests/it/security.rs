//! Security findings of issue 17, each as the request that showed it: unbounded analyses, a scope that
//! does not fit its role, the reverse proxy, sign-in abuse and the rest of the list. Reads outside the
//! requester's scope have their own matrix in `scopes.rs`.

use super::*;
use atalaia_store::testing::TestDb;

/// A demo database (5 % scale) with the clock on 2026-10-01, and its state (to reach the analysis slots).
async fn demo_app_with_state() -> (TestDb, App, AppState) {
    let t = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 10, 1);
    let config = WebConfig {
        analysis_wait: std::time::Duration::from_millis(200),
        ..demo_config(&t.db, today, 0.05).await
    };
    atalaia_web::demo_users::ensure(&t.db, PasswordCost::TEST)
        .await
        .unwrap();
    let state = AppState::new(t.db.clone(), config);
    let app = App::of_state(state.clone());
    (t, app, state)
}

/// The GET that took the server past 10 GB (a 10,000 km distance band) and its siblings: each number a
/// user can send is refused with a 400 naming its bound, before the analysis is laid. (The kernel's
/// bound depends on the number of occurrences: `atalaia_spatial::budget`'s tests hold it.)
#[tokio::test]
async fn every_analysis_number_is_bounded() {
    let (t, app, _) = demo_app_with_state().await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let base = "area=5208707&de=2025-10&ate=2026-09";
    let cases = [
        (
            "vizinhanca=distancia&distancia=10000000",
            "distância de vizinhança de 10.000.000 m fora do intervalo aceito: até 5.000 m",
        ),
        (
            "celula=1",
            "tamanho de célula de 1 m fora do intervalo aceito: de 25 m a 50.000 m",
        ),
        (
            "celula=30",
            "acima do limite de 200.000; use células maiores",
        ),
        (
            "celula=300&vizinhanca=distancia&distancia=5000",
            "acima do limite de 4.000.000; use uma distância menor ou células maiores",
        ),
        (
            "raio=1000000",
            "raio da densidade de 1.000.000 m fora do intervalo aceito: até 10.000 m",
        ),
        (
            "celula=300&vizinhanca=distancia&distancia=1200&inferencia=permutacao",
            "999 permutações sobre",
        ),
    ];
    for (extra, message) in cases {
        for path in [
            "/zonas-quentes",
            "/zonas-quentes/celulas.csv",
            "/zonas-quentes/celulas.geojson",
        ] {
            let r = app
                .get(&format!("{path}?{base}&{extra}"), Some(&cookie))
                .await;
            assert_eq!(r.status, 400, "{path}?{extra}: {}", r.body);
            let text = r.body.replace("&#x27;", "'");
            assert!(text.contains(message), "{path}?{extra}: {text}");
        }
    }
    // The months of the series: 120 months of 100 m cells are 165,924 × 120 values.
    let r = app
        .get(
            "/zonas-quentes/celulas.csv?area=5208707&de=2016-10&ate=2026-09&celula=100",
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body
            .contains("meses passam do limite de 3.000.000 valores")
    );
    // Within the bounds the analysis answers.
    app.get_ok(
        &format!("/zonas-quentes/celulas.csv?{base}&celula=500"),
        &cookie,
    )
    .await;
    t.cleanup().await.unwrap();
}

/// Analyses queue for a few slots: while every slot is taken, another analysis waits, then gets a 503
/// with `Retry-After`, and the rest of the application keeps answering.
#[tokio::test]
async fn analyses_wait_for_a_slot_and_the_rest_answers() {
    let (t, app, state) = demo_app_with_state().await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let held = state
        .analyses
        .clone()
        .acquire_many_owned(atalaia_web::ANALYSES_AT_ONCE as u32)
        .await
        .unwrap();
    for path in [
        "/zonas-quentes/celulas.csv?area=5208707&celula=500",
        "/zonas-quentes?area=5208707&celula=500",
        "/avaliacao?area=5208707&inicio=2025-01-01",
        "/municipios/selecao",
    ] {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, 503, "{path}: {}", r.body);
        assert_eq!(r.headers["retry-after"], "10", "{path}");
        assert!(r.body.contains("Servidor ocupado"), "{path}");
    }
    assert_eq!(app.get("/health", None).await.status, 200);
    assert_eq!(app.get("/", Some(&cookie)).await.status, 200);
    drop(held);
    app.get_ok(
        "/zonas-quentes/celulas.csv?area=5208707&celula=500",
        &cookie,
    )
    .await;
    t.cleanup().await.unwrap();
}

/// The first `href="/reunioes/N"` of a page.
/// The administration form refuses a scope that does not fit the role.
#[tokio::test]
async fn a_scope_that_does_not_fit_its_role_is_refused() {
    let (t, app, _) = demo_app_with_state().await;
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let csrf = app.csrf(&admin).await;
    let inst =
        t.db.institutions()
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.code == "SSP-GO")
            .unwrap()
            .id;
    let r = app
        .post_form(
            "/admin/usuarios",
            Some(&admin),
            &format!("csrf_token={csrf}&login=coord.unidade&nome=Coord&email=&instituicao={inst}&senha=uma-senha-longa-1&papel=coordinator&escopo_coordinator=unidade:PM-1BPM"),
        )
        .await;
    // The form comes back with the message, as for every refused field of this form.
    r.assert_has("não se aplica ao papel Coordenação Igesp");
    assert!(t.db.user_by_login("coord.unidade").await.unwrap().is_none());
    t.cleanup().await.unwrap();
}

/// A request as a reverse proxy on `peer` would send it, with extra headers.
async fn via(
    app: &App,
    mut req: Request<Body>,
    peer: &str,
    extra: &[(&'static str, &str)],
) -> Reply {
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo::<std::net::SocketAddr>(
            peer.parse().unwrap(),
        ));
    for (k, v) in extra {
        req.headers_mut().append(*k, v.parse().unwrap());
    }
    app.send(req).await
}

/// The sign-in form as `peer` gets it: its reply, CSRF token and form cookie.
async fn sign_in_form(
    app: &App,
    peer: &str,
    extra: &[(&'static str, &str)],
) -> (Reply, String, String) {
    let get = Request::get("/login").body(Body::empty()).unwrap();
    let form = via(app, get, peer, extra).await;
    let csrf = hidden(&form.body, "csrf_token");
    let cookie = cookie_pair(&form.set_cookies, "atalaia_entrada");
    (form, csrf, cookie)
}

/// Posts `login` and `password` with a form's `csrf` and `cookie`, from `peer`.
async fn post_sign_in(
    app: &App,
    (csrf, cookie): (&str, &str),
    login: &str,
    password: &str,
    peer: &str,
    extra: &[(&'static str, &str)],
) -> Reply {
    let post = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(format!(
            "csrf_token={csrf}&login={login}&senha={password}"
        )))
        .unwrap();
    via(app, post, peer, extra).await
}

/// Signs in as `login` through `peer` with `extra` headers: the sign-in form, then the post.
async fn sign_in_via(
    app: &App,
    login: &str,
    password: &str,
    peer: &str,
    extra: &[(&'static str, &str)],
) -> (Reply, Reply) {
    let (form, csrf, cookie) = sign_in_form(app, peer, extra).await;
    let reply = post_sign_in(app, (&csrf, &cookie), login, password, peer, extra).await;
    (form, reply)
}

/// Behind a reverse proxy on the same host: only the trusted proxy's `X-Forwarded-For` and
/// `X-Forwarded-Proto` count. A forwarded stranger cannot use a demo password, failures count per
/// forwarded address, the audit log names it, and HTTPS makes cookies `Secure` with HSTS.
#[tokio::test]
async fn a_trusted_proxy_forwards_the_client_and_its_scheme() {
    let t = TestDb::sqlite().await.unwrap();
    let config = WebConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..test_config()
    };
    let app = App::new(t.db.clone(), config).await;
    let stranger = [("x-forwarded-for", "203.0.113.7")];

    // The proxy forwards a stranger: the demo password is refused.
    let (_, r) = sign_in_via(
        &app,
        "analista",
        "demo-analista-7872",
        "127.0.0.1:40000",
        &stranger,
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    r.assert_has("Usuários de demonstração só entram");
    // A local client through the proxy (no forwarded address beyond the proxy) signs in.
    let (_, r) = sign_in_via(
        &app,
        "analista",
        "demo-analista-7872",
        "127.0.0.1:40000",
        &[("x-forwarded-for", "127.0.0.1")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Over plain HTTP, no Secure and no HSTS.
    assert!(
        r.set_cookies.iter().all(|c| !c.contains("Secure")),
        "{:?}",
        r.set_cookies
    );
    assert!(r.headers.get("strict-transport-security").is_none());

    // An untrusted peer cannot claim to be local, nor to have come over HTTPS.
    let (form, r) = sign_in_via(
        &app,
        "analista",
        "demo-analista-7872",
        "198.51.100.20:50000",
        &[
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(form.set_cookies.iter().all(|c| !c.contains("Secure")));
    assert!(form.headers.get("strict-transport-security").is_none());

    // HTTPS through the proxy: Secure cookies and HSTS.
    let https = [
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-proto", "https"),
    ];
    let (form, r) = sign_in_via(
        &app,
        "analista",
        "demo-analista-7872",
        "127.0.0.1:40000",
        &https,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        form.set_cookies.iter().all(|c| c.contains("; Secure")),
        "{:?}",
        form.set_cookies
    );
    assert!(
        r.set_cookies.iter().all(|c| c.contains("; Secure")),
        "{:?}",
        r.set_cookies
    );
    assert_eq!(r.headers["strict-transport-security"], "max-age=31536000");

    // The audit log records the forwarded address of the refused attempt.
    let entries =
        t.db.audit_entries(&atalaia_store::audit::AuditFilter {
            actor: None,
            action_prefix: Some("auth.login_failed".into()),
            before_id: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.ip == "203.0.113.7"), "{entries:?}");
    t.cleanup().await.unwrap();
}

/// Audit entries of `action`.
async fn audited(db: &atalaia_store::Db, action: &str) -> Vec<atalaia_store::audit::AuditEntry> {
    db.audit_entries(&atalaia_store::audit::AuditFilter {
        actor: None,
        action_prefix: Some(action.into()),
        before_id: None,
        limit: 1000,
    })
    .await
    .unwrap()
}

/// Sign-in abuse: a burst of 50 parallel wrong passwords from one address gets at most the limit of
/// password checks, is summarised by one audit entry, and does not lock the owner out from another
/// address; a login over 254 bytes and a form over 64 KiB are refused before anything is stored.
#[tokio::test]
async fn sign_in_abuse_is_bounded() {
    let t = TestDb::sqlite().await.unwrap();
    let app = std::sync::Arc::new(App::new(t.db.clone(), test_config()).await);
    let attacker = "198.51.100.66:40000";
    let (_, csrf, cookie) = sign_in_form(&app, attacker, &[]).await;
    let mut burst = Vec::new();
    for i in 0..50 {
        let app = app.clone();
        let (csrf, cookie) = (csrf.clone(), cookie.clone());
        burst.push(tokio::spawn(async move {
            let wrong = format!("errada-{i}");
            post_sign_in(&app, (&csrf, &cookie), "analista", &wrong, attacker, &[])
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for b in burst {
        statuses.push(b.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let blocked = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + blocked, 50, "{statuses:?}");
    assert!(
        checked <= 5,
        "{checked} passwords checked in the burst: {statuses:?}"
    );
    assert_eq!(audited(&t.db, "auth.login_failed").await.len(), checked);
    assert_eq!(audited(&t.db, "auth.login_blocked").await.len(), 1);

    // The owner, from another address, is not locked out.
    let (_, r) = sign_in_via(
        &app,
        "analista",
        "demo-analista-7872",
        "127.0.0.1:40001",
        &[],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // A login over 254 bytes: refused, not counted, not audited.
    let long = "a".repeat(255);
    let before = audited(&t.db, "auth.").await.len();
    let (_, r) = sign_in_via(&app, &long, "x", "192.0.2.1:1", &[]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("até 254 caracteres"));
    assert_eq!(audited(&t.db, "auth.").await.len(), before);

    // A sign-in form over 64 KiB is refused before it is read whole.
    let post = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "login={}&senha=x",
            "a".repeat(70 * 1024)
        )))
        .unwrap();
    assert_eq!(via(&app, post, "192.0.2.2:1", &[]).await.status, 413);
    t.cleanup().await.unwrap();
}

/// Nothing a signed-in user reads is kept by a browser or proxy cache, and downloads of police point
/// data are audited.
#[tokio::test]
async fn pages_and_downloads_are_not_stored_and_exports_are_audited() {
    let (t, app, _) = demo_app_with_state().await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    for path in [
        "/",
        "/ocorrencias/exportar.csv",
        "/zonas-quentes/celulas.csv?area=5208707&celula=1000",
        "/zonas-quentes/celulas.geojson?area=5208707&celula=1000",
    ] {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers["referrer-policy"], "same-origin", "{path}");
    }
    let css = app.get("/static/app.css", None).await;
    assert_ne!(css.headers["cache-control"], "no-store");
    let downloads = audited(&t.db, "igesp.hotspot_cells_downloaded").await;
    assert_eq!(downloads.len(), 2);
    assert!(downloads.iter().all(|e| e.object == "territory:5208707"));
    t.cleanup().await.unwrap();
}

/// CSRF tokens travel in a header or the form's body, never in the query string (which reaches logs
/// and `Referer`s): an upload that carries it only in the URL is refused; as the first field of the
/// multipart body, it goes through.
#[tokio::test]
async fn csrf_tokens_are_not_read_from_query_strings() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let csrf = app.csrf(&cookie).await;
    let file = Some((
        "populacao.csv",
        "territory_code,year,population\n".as_bytes(),
    ));
    let r = app
        .post_multipart(
            &format!("/importacoes?csrf_token={csrf}"),
            Some(&cookie),
            &[("tipo", "population")],
            file,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .post_form(
            &format!("/reunioes/agenda/chave?csrf_token={csrf}"),
            Some(&cookie),
            "",
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .post_multipart(
            "/importacoes",
            Some(&cookie),
            &[("csrf_token", csrf.as_str()), ("tipo", "population")],
            file,
        )
        .await;
    assert_ne!(r.status, 403, "{}", r.body);
    t.cleanup().await.unwrap();
}

/// Many addresses guessing one login (found trying it as a user: 200 addresses of one IPv6 /64 had every
/// guess checked): an IPv6 network counts as one address, and past 20 failures of a login its password
/// is checked at most once per gap, whatever the addresses; the owner gets in after one gap.
#[tokio::test]
async fn many_addresses_share_the_limits_of_one_login() {
    let t = TestDb::sqlite().await.unwrap();
    let app = std::sync::Arc::new(App::new(t.db.clone(), test_config()).await);
    let (_, csrf, cookie) = sign_in_form(&app, "127.0.0.1:1", &[]).await;
    let guess = |app: std::sync::Arc<App>, login: &'static str, peer: String, i: usize| {
        let (csrf, cookie) = (csrf.clone(), cookie.clone());
        async move {
            let wrong = format!("errada-{i}");
            post_sign_in(&app, (&csrf, &cookie), login, &wrong, &peer, &[])
                .await
                .status
        }
    };
    // One IPv6 /64: its hosts share the per-address and per-pair limits.
    let mut statuses = Vec::new();
    for i in 0..10 {
        statuses.push(
            guess(
                app.clone(),
                "comite",
                format!("[2001:db8:1:2::{i:x}]:443"),
                i,
            )
            .await,
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    // Sixty IPv4 addresses at once against one login: at most 20 checks before the throttle, and at
    // most one more per gap.
    let mut burst = Vec::new();
    for i in 0..60 {
        burst.push(tokio::spawn(guess(
            app.clone(),
            "analista",
            format!("198.51.100.{}:1000", i + 1),
            i,
        )));
    }
    let mut checked = 0;
    for b in burst {
        let s = b.await.unwrap();
        assert!(s == 401 || s == 429, "{s}");
        checked += usize::from(s == 401);
    }
    assert!(checked <= 21, "{checked} of 60 guesses checked");
    // The owner, from an address of his own, after the gap (a second here).
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let (_, r) = sign_in_via(&app, "analista", "demo-analista-7872", "127.0.0.1:2", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    t.cleanup().await.unwrap();
}
