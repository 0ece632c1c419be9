//! Sign-in, CSRF, rate limiting, sessions, administration and API keys, with the audit entries each act
//! must leave.

use atalaia_store::audit::ChainCheck;
use atalaia_store::per_backend;
use atalaia_store::testing::TestDb;
use atalaia_web::security::token_hash;

use super::*;

#[tokio::test]
async fn forged_posts_are_refused_and_change_nothing() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let csrf = app.csrf(&admin).await;
    let before = app.db.institutions().await.unwrap().len();
    let form = "codigo=TCE-GO&nome=Tribunal+de+Contas&tipo=OUTRA";
    // No token, a wrong token, a token from another session.
    let other = app.login("admin", "demo-admin-7872").await.unwrap();
    let other_csrf = app.csrf(&other).await;
    assert_ne!(csrf, other_csrf);
    for body in [
        form.to_string(),
        format!("csrf_token={}&{form}", "0".repeat(64)),
        format!("csrf_token={other_csrf}&{form}"),
    ] {
        let r = app
            .post_form("/admin/instituicoes", Some(&admin), &body)
            .await;
        assert_eq!(r.status, 403, "{body}");
        assert!(r.body.contains("Formulário recusado"));
    }
    // A cross-site request is refused even with the right token.
    let r = app
        .send(
            Request::post("/admin/instituicoes")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &admin)
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(format!("csrf_token={csrf}&{form}")))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.db.institutions().await.unwrap().len(), before);
    // The real form goes through, and is audited.
    app.post_ok(
        "/admin/instituicoes",
        &admin,
        &format!("csrf_token={csrf}&{form}"),
    )
    .await;
    assert_eq!(app.db.institutions().await.unwrap().len(), before + 1);
    let last = audit_actions(&app.db).await.pop().unwrap();
    assert_eq!(
        last,
        (
            "user:admin".into(),
            "institution.create".into(),
            "institution:TCE-GO".into()
        )
    );
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_audited() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    for _ in 0..5 {
        let r = app.login("analista", "senha-errada").await.unwrap_err();
        assert_eq!(r.status, 401);
        assert!(r.body.contains("Usuário ou senha incorretos"));
    }
    // The sixth try is refused before the password is even checked, the right one included.
    let r = app
        .login("analista", "demo-analista-7872")
        .await
        .unwrap_err();
    assert_eq!(r.status, 429);
    r.assert_has("Muitas tentativas");
    // Another login still works; an unknown login fails like a wrong password.
    let r = app.login("ninguem", "x").await.unwrap_err();
    assert_eq!(r.status, 401);
    let s = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let csrf = app.csrf(&s).await;
    let r = app
        .post_form("/logout", Some(&s), &format!("csrf_token={csrf}"))
        .await;
    assert_eq!(r.location.as_deref(), Some("/login?saiu=1"));
    assert_eq!(app.get("/", Some(&s)).await.status, 303, "session ended");
    let acts: Vec<(String, String)> = audit_actions(&app.db)
        .await
        .into_iter()
        .filter(|(_, a, _)| a.starts_with("auth."))
        .map(|(actor, a, _)| (actor, a))
        .collect();
    let mut expected: Vec<(String, String)> = vec![("anon:".into(), "auth.login_failed".into()); 5];
    expected.push(("anon:".into(), "auth.login_blocked".into()));
    expected.push(("anon:".into(), "auth.login_failed".into()));
    expected.push(("user:auditor".into(), "auth.login".into()));
    expected.push(("user:auditor".into(), "auth.logout".into()));
    assert_eq!(acts, expected);
    assert_eq!(
        app.db.verify_audit_chain().await.unwrap(),
        ChainCheck::Intact {
            entries: audit_actions(&app.db).await.len() as u64
        }
    );
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn demo_passwords_are_refused_off_loopback() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(
        t.db.clone(),
        WebConfig {
            loopback: false,
            ..test_config()
        },
    )
    .await;
    let r = app.login("admin", "demo-admin-7872").await.unwrap_err();
    assert_eq!(r.status, 401);
    r.assert_has("demonstração");
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn sessions_expire_and_pages_carry_security_headers() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let s = app.login("comite", "demo-comite-7872").await.unwrap();
    let r = app.get_ok("/", &s).await;
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(!r.body.contains("<script>"), "no inline script");
    // The session cookie is HttpOnly and SameSite.
    let login_form = app.get("/login", None).await;
    assert!(login_form.set_cookies[0].contains("HttpOnly"));
    // Expire the session behind the user's back: the next page asks to sign in again.
    let hash = token_hash(s.split_once('=').unwrap().1);
    let past = ymd(2020, 1, 1).and_hms_opt(0, 0, 0).unwrap();
    app.db.touch_session(&hash, past, past).await.unwrap();
    let r = app.get("/", Some(&s)).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/login?proximo=/"));
    t.cleanup().await.unwrap();
}

per_backend! {
    async fn admin_creates_a_user_whose_role_change_ends_their_sessions(t) {
        let app = App::new(t.db.clone(), test_config()).await;
        let admin = app.login("admin", "demo-admin-7872").await.unwrap();
        let csrf = app.csrf(&admin).await;
        let inst = app.db.institutions().await.unwrap()[0].id;
        let form = format!(
            "csrf_token={csrf}&login=joana.lima&nome=Joana+Lima&email=&instituicao={inst}&senha=uma-senha-longa-1&papel=partner&escopo_partner="
        );
        app.post_ok("/admin/usuarios", &admin, &form).await;
        // A bad login is refused with a message naming the value and what was expected.
        let bad = form.replace("joana.lima", "Joana Lima");
        let r = app.post_form("/admin/usuarios", Some(&admin), &bad).await;
        r.assert_has("login `joana lima` inválido");
        // The form comes back as typed, the password aside, the reason beside the login.
        r.assert_has("<p class=\"field-error\" id=\"login-erro\">login `joana lima`");
        r.assert_has("value=\"Joana Lima\" aria-invalid=\"true\"");
        assert!(r.body.contains(&format!("<option value=\"{inst}\" selected>")));
        assert!(!r.body.contains("uma-senha-longa-1"));
        let joana = app.login("joana.lima", "uma-senha-longa-1").await.unwrap();
        assert_eq!(app.get("/admin/usuarios", Some(&joana)).await.status, 403);
        // Make her an auditor: her session ends, and the new role takes effect on the next sign-in.
        let uid = app
            .db
            .user_by_login("joana.lima")
            .await
            .unwrap()
            .unwrap()
            .id;
        app.post_ok(&format!("/admin/usuarios/{uid}"), &admin, &format!(
                    "csrf_token={csrf}&nome=Joana+Lima&email=&instituicao={inst}&ativo=sim&papel=auditor&escopo_auditor="
                )).await;
        assert_eq!(app.get("/", Some(&joana)).await.status, 303);
        // Linking her gov.br identity: the CPF is checked and stored as digits.
        let link = |cpf: &str| {
            format!(
                "csrf_token={csrf}&nome=Joana+Lima&email=&instituicao={inst}&ativo=sim&papel=auditor&escopo_auditor=&oidc_subject={cpf}"
            )
        };
        let r = app
            .post_form(
                &format!("/admin/usuarios/{uid}"),
                Some(&admin),
                &link("123"),
            )
            .await;
        r.assert_has("CPF `123` inválido");
        // The edit form shows what was typed, the reason beside the CPF.
        r.assert_has("value=\"123\" inputmode=\"numeric\" aria-invalid=\"true\"");
        r.assert_has("<p class=\"field-error\" id=\"oidc_subject-erro\">CPF `123`");
        assert!(r.body.contains("value=\"Joana Lima\""));
        let r = app
            .post_form(
                &format!("/admin/usuarios/{uid}"),
                Some(&admin),
                &link("529.982.247-25"),
            )
            .await;
        assert_eq!(r.status, 303);
        let linked = app.db.user_by_login("joana.lima").await.unwrap().unwrap();
        assert_eq!(linked.oidc_subject.as_deref(), Some("52998224725"));
        let joana = app.login("joana.lima", "uma-senha-longa-1").await.unwrap();
        assert_eq!(app.get("/auditoria", Some(&joana)).await.status, 200);
        // A password reset ends her sessions; the old password no longer works.
        let r = app
            .post_form(
                &format!("/admin/usuarios/{uid}/senha"),
                Some(&admin),
                &format!("csrf_token={csrf}&senha=outra-senha-bem-longa"),
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(app.get("/auditoria", Some(&joana)).await.status, 303);
        assert_eq!(
            app.login("joana.lima", "uma-senha-longa-1")
                .await
                .unwrap_err()
                .status,
            401
        );
        app.login("joana.lima", "outra-senha-bem-longa")
            .await
            .unwrap();
        let acts: Vec<String> = audit_actions(&app.db)
            .await
            .into_iter()
            .filter(|(_, a, _)| a.starts_with("user."))
            .map(|(_, a, o)| format!("{a} {o}"))
            .collect();
        assert_eq!(
            acts,
            [
                "user.create_demo ",
                "user.create user:joana.lima",
                "user.update user:joana.lima",
                "user.update user:joana.lima",
                "user.password_reset user:joana.lima"
            ]
        );
        println!("backend {}: user administration ok", t.label);
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn api_keys_authenticate_machine_clients_until_revoked() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let csrf = app.csrf(&admin).await;
    let inst = app
        .db
        .institutions()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.code == "MPGO")
        .unwrap()
        .id;
    let r = app
        .post_form(
            "/admin/chaves-api",
            Some(&admin),
            &format!("csrf_token={csrf}&nome=Sistema+do+MP&instituicao={inst}&papel=partner"),
        )
        .await;
    assert_eq!(r.status, 200);
    let at = r.body.find("atk_").unwrap();
    let key: String = r.body[at..].chars().take(4 + 64).collect();
    let bearer = |path: &str, key: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    let me = app.send(bearer("/api/v1/me", &key)).await;
    assert_eq!(me.status, 200);
    let me: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(me["roles"], serde_json::json!(["partner"]));
    assert_eq!(me["institution"], "MPGO");
    assert_eq!(
        app.send(bearer("/api/v1/territories", &key)).await.status,
        200
    );
    assert_eq!(app.send(bearer("/api/v1/audit", &key)).await.status, 403);
    assert_eq!(
        app.send(bearer("/api/v1/me", "atk_wrong")).await.status,
        401
    );
    // Keys only open the API, not the pages.
    assert_eq!(app.send(bearer("/", &key)).await.status, 303);
    let id = app.db.api_keys().await.unwrap()[0].id;
    let r = app
        .post_form(
            &format!("/admin/chaves-api/{id}/revogar"),
            Some(&admin),
            &format!("csrf_token={csrf}"),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.send(bearer("/api/v1/me", &key)).await.status, 401);
    let acts: Vec<String> = audit_actions(&app.db)
        .await
        .into_iter()
        .filter(|(_, a, _)| a.starts_with("apikey."))
        .map(|(_, a, _)| a)
        .collect();
    assert_eq!(acts, ["apikey.create", "apikey.revoke"]);
    // The key is stored only as a hash.
    assert!(!format!("{:?}", app.db.api_keys().await.unwrap()).contains(&key[4..]));
    // The OpenAPI document lists every API route.
    let doc: serde_json::Value =
        serde_json::from_str(&app.get("/api/v1/openapi.json", None).await.body).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        [
            "/actions",
            "/actions/{id}/updates",
            "/audit",
            "/hotspots",
            "/imports/{kind}",
            "/indicators",
            "/ipei/runs",
            "/ipei/runs/{id}",
            "/ipei/{month}",
            "/jobs/{id}",
            "/me",
            "/meetings",
            "/occurrences",
            "/openapi.json",
            "/recap/runs",
            "/recap/runs/{id}",
            "/recap/{quarter}",
            "/selection",
            "/territories",
            "/territories/{code}"
        ]
    );
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn occurrence_explorer_scopes_exports_and_logs_views() {
    let t = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    load_demo(&t.db, today, 0.05).await;
    let app = App::new(t.db.clone(), test_config()).await;
    let all = app
        .db
        .occurrences_page(&atalaia_store::occurrences::OccurrenceFilter {
            limit: i64::MAX,
            ..Default::default()
        })
        .await
        .unwrap();
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let r = app.get_ok("/ocorrencias", &analyst).await;
    assert_eq!(r.body.matches("<tr><td>DEMO-").count(), 50, "a page of 50");
    assert!(r.body.contains("Próxima página"));
    // The CSV export of one crime holds exactly that crime's occurrences, with the import's columns.
    let robberies = all.iter().filter(|o| o.crime == "roubo_veiculo").count();
    assert!(robberies > 0);
    let csv = app
        .get_ok("/ocorrencias/exportar.csv?crime=roubo_veiculo", &analyst)
        .await;
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "id,occurred_at,crime,source_crime,lat,lon,territory_code,victims,unit_code,areas,synthetic"
    );
    assert_eq!(lines.len() - 1, robberies);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.split(',').nth(2) == Some("roubo_veiculo"))
    );
    let xlsx = app
        .get_ok("/ocorrencias/exportar.xlsx?crime=roubo_veiculo", &analyst)
        .await;
    assert!(xlsx.body.starts_with("PK"), "a zip (xlsx) file");
    // The coordinator scoped to Goiânia sees only occurrences assigned to Goiânia.
    let coordinator = app
        .login("coordenador", "demo-coordenador-7872")
        .await
        .unwrap();
    let csv = app
        .get("/ocorrencias/exportar.csv", Some(&coordinator))
        .await;
    let in_goiania = all
        .iter()
        .filter(|o| o.areas.split('|').any(|a| a == "5208707"))
        .count();
    assert!(in_goiania > 0 && in_goiania < all.len());
    assert_eq!(csv.body.lines().count() - 1, in_goiania);
    // A bad date is a message, not an error page.
    let r = app.get_ok("/ocorrencias?de=31/12/2024", &analyst).await;
    assert!(
        r.body
            .contains("data inicial `31/12/2024` inválida: esperado AAAA-MM-DD")
    );
    // Partners never see occurrence details.
    let partner = app.login("parceiro", "demo-parceiro-7872").await.unwrap();
    assert_eq!(app.get("/ocorrencias", Some(&partner)).await.status, 403);
    let acts: Vec<(String, String)> = audit_actions(&app.db)
        .await
        .into_iter()
        .filter(|(_, a, _)| a.starts_with("occurrences."))
        .map(|(who, a, _)| (who, a))
        .collect();
    assert_eq!(
        acts,
        [
            ("user:analista".to_string(), "occurrences.view".to_string()),
            ("user:analista".into(), "occurrences.export".into()),
            ("user:analista".into(), "occurrences.export".into()),
            ("user:coordenador".into(), "occurrences.export".into()),
        ]
    );
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn cpfs_are_masked_except_for_the_committee_and_auditors() {
    let t = TestDb::sqlite().await.unwrap();
    let today = ymd(2026, 11, 20);
    load_demo(&t.db, today, 0.01).await;
    let app = App::new(t.db.clone(), test_config()).await;
    let ops = app.db.operators(today, None).await.unwrap();
    let first = ops.iter().find(|o| o.cpf.is_some()).unwrap();
    let cpf: atalaia_core::Cpf = first.cpf.as_deref().unwrap().parse().unwrap();
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let page = app.get("/operadores", Some(&analyst)).await.body;
    assert!(page.contains(&cpf.masked()));
    assert!(!page.contains(&cpf.formatted()));
    assert!(!page.contains(cpf.digits()));
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let page = app.get("/operadores", Some(&committee)).await.body;
    assert!(page.contains(&cpf.formatted()));
    // The unit head scoped to PM-1BPM sees only its operators.
    let chief = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let page = app.get("/operadores", Some(&chief)).await.body;
    let in_unit = app
        .db
        .operators(today, Some(&["PM-1BPM".to_string()]))
        .await
        .unwrap();
    assert!(!in_unit.is_empty() && in_unit.len() < ops.len());
    assert_eq!(page.matches("<tr><td>").count(), in_unit.len());
    let acts: Vec<(String, String)> = audit_actions(&app.db)
        .await
        .into_iter()
        .filter(|(_, a, _)| a.starts_with("operators."))
        .map(|(who, a, _)| (who, a))
        .collect();
    assert_eq!(
        acts,
        [("user:comite".to_string(), "operators.view_cpf".to_string())]
    );
    t.cleanup().await.unwrap();
}

/// Browsers ask every site for `/favicon.ico`: it is an icon, to anyone, signed in or not.
#[tokio::test]
async fn the_favicon_is_an_icon_for_anyone() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let r = app.get("/favicon.ico", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers[axum::http::header::CONTENT_TYPE], "image/x-icon");
    assert_eq!(&r.bytes[..4], [0, 0, 1, 0], "an ICO header");
    t.cleanup().await.unwrap();
}

/// A refused upload names the file as the analyst knows it, never where the server kept it.
#[tokio::test]
async fn a_refused_upload_names_the_file_not_the_servers_path() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let csrf = app.csrf(&cookie).await;
    let r = app
        .post_multipart(
            "/importacoes",
            Some(&cookie),
            &[("csrf_token", csrf.as_str()), ("tipo", "population")],
            Some(("contagem.csv", b"x,y\n1,2\n")),
        )
        .await;
    // Queued at once; the worker finds out.
    assert_eq!(r.status, 303, "{}", r.body);
    let r = app.job_end(r.location.as_deref().unwrap(), &cookie).await;
    r.assert_has(
        "contagem.csv, linha 1: faltam as colunas obrigatórias Território (ou territory_code",
    );
    r.assert_lacks("envios");
    // The next try starts with the kind chosen.
    r.assert_has("href=\"/importacoes?tipo=population\">Enviar outro arquivo");
    let form = app.get_ok("/importacoes?tipo=population", &cookie).await;
    form.assert_has("<option value=\"population\" selected>");
    t.cleanup().await.unwrap();
}

/// The help page explains the pages' terms, and the pages that use them link to it.
#[tokio::test]
async fn the_terms_pages_use_are_explained_and_linked() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let help = app.get_ok("/ajuda", &analyst).await;
    for section in [
        "recap",
        "pp",
        "acaso",
        "zonas-quentes",
        "fdr",
        "wdq",
        "wdd",
        "selecao",
    ] {
        assert!(
            help.body.contains(&format!("id=\"{section}\"")),
            "{section}"
        );
    }
    for (page, anchor) in [
        ("/avaliacao", "/ajuda#avaliacao"),
        ("/zonas-quentes?area=5208707", "/ajuda#zonas-quentes"),
        ("/municipios/selecao", "/ajuda#selecao"),
    ] {
        let r = app.get_ok(page, &analyst).await;
        assert!(r.body.contains(&format!("href=\"{anchor}\"")), "{page}");
    }
    // Each term carries its explanation where it appears, on hover and for screen readers.
    for (page, term) in [
        ("/zonas-quentes?area=5208707", "FDR"),
        ("/zonas-quentes?area=5208707", "Gini"),
        ("/zonas-quentes?area=5208707", "Vizinhança"),
        ("/zonas-quentes?area=5208707", "Raio da densidade"),
        ("/municipios/selecao", "p"),
        ("/municipios/selecao", "Gini"),
        ("/avaliacao", "WDD"),
        ("/", "CAP"),
        ("/importacoes/1", "SHA-256"),
    ] {
        let r = app.get_ok(page, &analyst).await;
        let at = r
            .body
            .find(&format!("\">{term}</abbr>"))
            .unwrap_or_else(|| panic!("{page}: {term} without its explanation"));
        let open = r.body[..at].rfind("<abbr title=\"").unwrap();
        assert!(at - open > 40, "{page}: {term}: a real explanation");
    }
    t.cleanup().await.unwrap();
}

/// The roster is paged by 100 and searched without regard to case or accents: "otavio" finds every
/// "Otávio", as many as the store's own list holds.
#[tokio::test]
async fn the_roster_is_paged_and_searched() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let ops = app.db.operators(today, None).await.unwrap();
    assert!(ops.len() > 100, "{}", ops.len());
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let rows = |body: &str| body.matches("<tr><td>").count();
    let first = app.get_ok("/operadores", &analyst).await;
    assert_eq!(rows(&first.body), 100);
    assert!(
        first
            .body
            .contains(&format!("Mostrando 1–100 de {} operadores.", ops.len()))
    );
    let last_page = ops.len().div_ceil(100);
    let last = app
        .get_ok(&format!("/operadores?pagina={last_page}"), &analyst)
        .await;
    assert_eq!(rows(&last.body), ops.len() - (last_page - 1) * 100);
    let otavios = ops
        .iter()
        .filter(|o| o.name.to_lowercase().contains("otávio"))
        .count();
    assert!(otavios > 0);
    let found = app.get_ok("/operadores?busca=OTAVIO", &analyst).await;
    assert_eq!(rows(&found.body), otavios, "{}", found.body);
    t.cleanup().await.unwrap();
}

/// The area select is grouped by kind with names, each group in the order of a Brazilian index (CLDR
/// collation, numbers by value), and offers a search box: "AIS 8" before "AIS 10", "Água Limpa" among
/// the A's, "Anápolis" before "Anicuns".
#[tokio::test]
async fn area_selects_are_grouped_by_kind_in_index_order() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    for page in ["/zonas-quentes", "/avaliacao"] {
        let body = app.get_ok(page, &analyst).await.body;
        let select = &body[body.find("<select name=\"area\"").unwrap()..];
        let select = &select[..select.find("</select>").unwrap()];
        assert!(select.contains("data-filtro=\"Buscar área\""), "{page}");
        let groups: Vec<(&str, Vec<&str>)> = select
            .split("<optgroup label=\"")
            .skip(1)
            .map(|g| {
                let (label, rest) = g.split_once('"').unwrap();
                let options = rest
                    .split("</option>")
                    .filter_map(|o| o.rsplit_once('>').map(|(_, text)| text))
                    .filter(|text| !text.is_empty())
                    .collect();
                (label, options)
            })
            .collect();
        let labels: Vec<&str> = groups.iter().map(|g| g.0).collect();
        assert_eq!(labels.last(), Some(&"Municípios"), "{page}: {labels:?}");
        let ais = &groups.iter().find(|g| g.0 == "AIS").unwrap().1;
        assert_eq!(
            ais,
            &[
                "AIS 8 — Aparecida de Goiânia",
                "AIS 9 — Anápolis",
                "AIS 10 — Rio Verde"
            ],
            "{page}"
        );
        let towns = &groups.last().unwrap().1;
        let at = |name: &str| towns.iter().position(|t| *t == name).unwrap();
        assert!(at("Abadia de Goiás") < at("Água Limpa"), "{page}");
        assert!(at("Água Limpa") < at("Alexânia"), "{page}");
        assert!(at("Anápolis") < at("Anicuns"), "{page}");
        assert_eq!(towns.last(), Some(&"Vila Propício"), "{page}");
    }
    t.cleanup().await.unwrap();
}

/// The import page lists each kind's columns and offers templates; a template filled in imports as it
/// is (its header is in Portuguese words the importer matches), and an unknown template is a 404.
#[tokio::test]
async fn a_filled_in_template_imports_as_it_is() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let page = app.get_ok("/importacoes", &cookie).await;
    page.assert_has("href=\"/importacoes/modelos/occurrences.xlsx\"");
    assert!(page.body.contains("<td>Data e hora</td><td>sim</td>"));
    let csv = app
        .get_ok("/importacoes/modelos/population.csv", &cookie)
        .await;
    assert_eq!(
        csv.headers[axum::http::header::CONTENT_DISPOSITION],
        "attachment; filename=\"modelo-populacao.csv\""
    );
    assert_eq!(csv.bytes, "\u{feff}Território;Ano;População\r\n".as_bytes());
    let mut file = csv.bytes.to_vec();
    file.extend_from_slice(b"5208707;2031;1500000\r\n5208707;31;10\r\n");
    let csrf = app.csrf(&cookie).await;
    let sent = app
        .post_multipart(
            "/importacoes",
            Some(&cookie),
            &[("csrf_token", csrf.as_str()), ("tipo", "population")],
            Some(("populacao.csv", &file)),
        )
        .await;
    let done = app
        .job_end(sent.location.as_deref().unwrap(), &cookie)
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let last = &app.db.recent_imports(1).await.unwrap()[0];
    assert_eq!(
        (
            last.file_name.as_str(),
            last.counts.read,
            last.counts.inserted,
            last.counts.rejected
        ),
        ("populacao.csv", 2, 1, 1)
    );
    // The rejected row is shown under Portuguese headings; the file keeps contracts.md's `line`,
    // `reason` for programs.
    let detail = app
        .get_ok(&format!("/importacoes/{}", last.id), &cookie)
        .await;
    detail.assert_has("<th scope=\"col\">Linha</th><th scope=\"col\">Motivo</th><th scope=\"col\">Território</th>" );
    let rejects = app
        .get_ok(&format!("/importacoes/{}/rejeitadas", last.id), &cookie)
        .await;
    assert!(rejects.body.starts_with("line,reason,"), "{}", rejects.body);
    let xlsx = app
        .get_ok("/importacoes/modelos/seizures.xlsx", &cookie)
        .await;
    assert_eq!(&xlsx.bytes[..2], b"PK", "a zip container");
    for missing in [
        "territories.csv",
        "occurrences.pdf",
        "nada.csv",
        "occurrences",
    ] {
        let r = app
            .get(&format!("/importacoes/modelos/{missing}"), Some(&cookie))
            .await;
        assert_eq!(r.status, 404, "{missing}");
    }
    t.cleanup().await.unwrap();
}

/// Each role finds its own work on the home page: the committee its week (open cycle steps and
/// whether the last quarter has a run), the auditor the runs to check, a partner its institution's
/// actions; the data's health (counts, imports) only for those who import.
#[tokio::test]
async fn each_role_finds_its_own_work_on_the_home_page() {
    let t = TestDb::sqlite().await.unwrap();
    // The demo's day, 20 Nov 2026, on the application's clock too.
    let config = WebConfig {
        clock: atalaia_web::Clock::fixed(ymd(2026, 11, 20).and_hms_opt(15, 0, 0).unwrap()),
        ..test_config()
    };
    let (app, committee, _, run_id) = demo_with_a_recap_run(&t.db, config).await;
    let home = app.get_ok("/", &committee).await.body;
    assert!(home.contains("A semana do Comitê"), "{home}");
    let saved = format!(
        "<a href=\"/recap/execucoes/{run_id}\">RECAP do 3º trimestre de 2026: execução nº {run_id} salva em"
    );
    assert!(home.contains(&saved), "{saved}: {home}");
    // October's IPEI cycle was never opened, and its units' sending was due on the 5th business day
    // of November 2026 (the 2nd is Finados): the 9th, past on the 20th.
    assert!(
        home.contains("IPEI de outubro de 2026: ciclo ainda não aberto — as unidades só enviam depois que o Comitê o abre; o envio das unidades venceu em 09/11/2026 (Anexo Único)."),
        "{home}"
    );
    assert!(!home.contains("Saúde dos dados"));
    assert!(!home.contains("Execuções a conferir"));

    let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let home = app.get_ok("/", &auditor).await.body;
    let listed = format!(
        "<a href=\"/recap/execucoes/{run_id}\">RECAP — 3º trimestre de 2026: execução nº {run_id}, por "
    );
    assert!(home.contains(&listed), "{listed}: {home}");
    assert!(!home.contains("A semana do Comitê"));
    assert!(!home.contains("versões de territórios"));

    let partner = app.login("parceiro", "demo-parceiro-7872").await.unwrap();
    let home = app.get_ok("/", &partner).await.body;
    let section = home
        .split("id=\"acoes-home\"")
        .nth(1)
        .expect("the partner's actions");
    assert!(section.contains("<li><a href=\"/acoes/"), "{section}");
    assert!(!home.contains("Saúde dos dados"));
    assert!(!home.contains("versões de territórios"));
    assert!(
        !home.contains("Boletim CompStat"),
        "partners do not read occurrences"
    );

    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let home = app.get_ok("/", &analyst).await.body;
    assert!(home.contains("Saúde dos dados") && home.contains("versões de territórios"));
    assert!(home.contains("Boletim CompStat — "));
    assert!(home.contains(
        "último trimestre completo (<strong>3º trimestre de 2026</strong>) contra o 3º trimestre de 2025"
    ));
    assert!(home.contains(">CAP</abbr> 3T2026</th>"), "{home}");
    t.cleanup().await.unwrap();
}

/// The user list names a coordinator's municipality, not its IBGE code.
#[tokio::test]
async fn the_user_list_names_a_municipal_scope() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let page = app.get_ok("/admin/usuarios", &admin).await;
    page.assert_has("Coordenação Igesp (Goiânia)");
    page.assert_lacks("município 5208707");
    t.cleanup().await.unwrap();
}

/// The audit log finds a person's entries by the name the table shows, and says when it finds none.
#[tokio::test]
async fn the_audit_log_finds_a_person_by_name() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    app.login("analista", "demo-analista-7872").await.unwrap();
    let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let page = app.get_ok("/auditoria?ator=Bruno", &auditor).await;
    page.assert_has("Bruno Analista (analista)");
    page.assert_lacks("(auditor)</td>");
    let none = app.get_ok("/auditoria?ator=ninguem", &auditor).await;
    none.assert_has("Nenhuma entrada encontrada de «ninguem».");
    t.cleanup().await.unwrap();
}
