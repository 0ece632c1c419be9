//! Sign-in, CSRF, rate limiting, sessions, administration and API keys, with the audit entries each act
//! must leave.

use atalaia_store::audit::{AuditFilter, ChainCheck};
use atalaia_store::per_backend;
use atalaia_store::testing::TestDb;
use atalaia_web::security::token_hash;

use super::*;

async fn actions(db: &Db) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = db
        .audit_entries(&AuditFilter {
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
    let r = app
        .post_form(
            "/admin/instituicoes",
            Some(&admin),
            &format!("csrf_token={csrf}&{form}"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(app.db.institutions().await.unwrap().len(), before + 1);
    let last = actions(&app.db).await.pop().unwrap();
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
    assert!(r.body.contains("Muitas tentativas"), "{}", r.body);
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
    let acts: Vec<(String, String)> = actions(&app.db)
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
            entries: actions(&app.db).await.len() as u64
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
    assert!(r.body.contains("demonstração"), "{}", r.body);
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn sessions_expire_and_pages_carry_security_headers() {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), test_config()).await;
    let s = app.login("comite", "demo-comite-7872").await.unwrap();
    let r = app.get("/", Some(&s)).await;
    assert_eq!(r.status, 200);
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
    let past = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
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
        let r = app.post_form("/admin/usuarios", Some(&admin), &form).await;
        assert_eq!(r.status, 303, "{}", r.body);
        // A bad login is refused with a message naming the value and what was expected.
        let bad = form.replace("joana.lima", "Joana Lima");
        let r = app.post_form("/admin/usuarios", Some(&admin), &bad).await;
        assert!(r.body.contains("login `joana lima` inválido"), "{}", r.body);
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
        let r = app
            .post_form(
                &format!("/admin/usuarios/{uid}"),
                Some(&admin),
                &format!(
                    "csrf_token={csrf}&nome=Joana+Lima&email=&instituicao={inst}&ativo=sim&papel=auditor&escopo_auditor="
                ),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
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
        assert!(r.body.contains("CPF `123` inválido"), "{}", r.body);
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
        let acts: Vec<String> = actions(&app.db)
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
    let acts: Vec<String> = actions(&app.db)
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
    assert_eq!(paths, ["/audit", "/me", "/openapi.json", "/territories"]);
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn occurrence_explorer_scopes_exports_and_logs_views() {
    let t = TestDb::sqlite().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
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
    let r = app.get("/ocorrencias", Some(&analyst)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.matches("<tr><td>DEMO-").count(), 50, "a page of 50");
    assert!(r.body.contains("Próxima página"));
    // The CSV export of one crime holds exactly that crime's occurrences, with the import's columns.
    let robberies = all.iter().filter(|o| o.crime == "roubo_veiculo").count();
    assert!(robberies > 0);
    let csv = app
        .get(
            "/ocorrencias/exportar.csv?crime=roubo_veiculo",
            Some(&analyst),
        )
        .await;
    assert_eq!(csv.status, 200);
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
        .get(
            "/ocorrencias/exportar.xlsx?crime=roubo_veiculo",
            Some(&analyst),
        )
        .await;
    assert_eq!(xlsx.status, 200);
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
    let r = app.get("/ocorrencias?de=31/12/2024", Some(&analyst)).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("data inicial `31/12/2024` inválida: esperado AAAA-MM-DD")
    );
    // Partners never see occurrence details.
    let partner = app.login("parceiro", "demo-parceiro-7872").await.unwrap();
    assert_eq!(app.get("/ocorrencias", Some(&partner)).await.status, 403);
    let acts: Vec<(String, String)> = actions(&app.db)
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
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
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
    let acts: Vec<(String, String)> = actions(&app.db)
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

/// RECAP acts from the web: a schedule the rules refuse, a configuration that breaks Art. 5, a unit head
/// acting for a unit outside their scope — each refused with a Portuguese reason and nothing written;
/// a valid configuration and a committee-set schedule go in, audited.
#[tokio::test]
async fn recap_acts_are_checked_and_audited() {
    let t = TestDb::sqlite().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    load_demo(&t.db, today, 0.01).await;
    let app = App::new(t.db.clone(), test_config()).await;
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let csrf = app.csrf(&committee).await;
    let q =
        atalaia_core::cycle::CyclePeriod::Quarter(atalaia_core::Quarter::parse("2026-Q3").unwrap());
    let kind = atalaia_core::cycle::CycleKind::Recap;
    // Validation before the partial result: refused, no cycle.
    let r = app
        .post_form(
            "/recap/ciclo",
            Some(&committee),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&prazo_1=5&prazo_2=10&prazo_3=12&prazo_4=9&prazo_5=15&prazo_6=15"),
        )
        .await;
    assert!(r.body.contains("antes do da etapa anterior"), "{}", r.body);
    assert!(app.db.cycle(kind, q).await.unwrap().is_none());
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
    assert!(
        r.body
            .contains("seria o 20º dia útil de novembro de 2026, que tem só 19 dias úteis"),
        "{}",
        r.body
    );
    let ipei = atalaia_core::cycle::CycleKind::Ipei;
    assert!(app.db.cycle(ipei, october).await.unwrap().is_none());
    let r = app
        .post_form(
            "/recap/ciclo",
            Some(&committee),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&prazo_1=3&prazo_2=8&prazo_3=10&prazo_4=12&prazo_5=13&prazo_6=13"),
        )
        .await;
    assert_eq!(r.status, 303);
    let c = app.db.cycle(kind, q).await.unwrap().unwrap();
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
    assert!(r.body.contains("deve ser maior"), "{}", r.body);
    assert_eq!(app.db.program_configs().await.unwrap().len(), before);
    doc.recap1_min_pct = 25.0;
    let r = app
        .post_form(
            "/recap/configuracao",
            Some(&committee),
            &body(&doc, "01/01/2027"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
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
    assert!(
        r.body.contains("a unidade `PM-7BPM` entre as suas"),
        "{}",
        r.body
    );
    // Their own unit, before the partial result: the window is closed.
    let r = app
        .post_form(
            "/recap/unidade/recurso",
            Some(&chief),
            &format!("csrf_token={csrf}&trimestre=2026-Q3&unidade=PM-1BPM&texto=x"),
        )
        .await;
    assert!(
        r.body.contains("recursos só depois do resultado parcial"),
        "{}",
        r.body
    );
    assert_eq!(app.db.cycle(kind, q).await.unwrap().unwrap().acts.len(), 0);
    let acts: Vec<String> = actions(&app.db)
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

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    assert!(
        html.body.contains("Carla do Comitê Gestor (comite)"),
        "{}",
        html.body
    );
    let pdf = app
        .get(&format!("{page}/resultado.pdf"), Some(&committee))
        .await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
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
        .get(
            &format!("{page}/ocorrencias?area={area}&crime=roubo_veiculo&periodo=atual"),
            Some(&committee),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(&format!(
            "<dt>Contagem da execução</dt><dd>{}</dd>",
            trace.count
        )),
        "{}",
        r.body
    );
    assert!(r.body.contains(&format!("{} origens", trace.sources.len())));
    assert!(r.body.contains("Roubo de veículo"), "the crime by its name");
    assert!(
        actions(&app.db)
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
        !actions(&app.db)
            .await
            .iter()
            .any(|(_, a, _)| a == "recap.payroll_exported")
    );

    // The auditor downloads the workbook: one payroll row per line of the frozen roster.
    let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let x = app
        .get(&format!("{page}/resultado.xlsx"), Some(&auditor))
        .await;
    assert_eq!(x.status, 200, "{}", x.body);
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
    let exported: Vec<(String, String)> = actions(&app.db)
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
    let late = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let cycle = app
        .db
        .open_cycle(
            CycleKind::Recap,
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
        .get(&format!("{page}/resultado.pdf"), Some(&committee))
        .await;
    assert_eq!(fin.status, 200);
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
