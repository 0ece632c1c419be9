//! Forms that forgive (issue 20): a refused administrative form comes back as typed, with the reason
//! beside the input it is about and the input marked invalid.

use super::*;
use atalaia_store::testing::TestDb;

/// A fresh app and `login`'s session on it, with the session's form token.
async fn signed_in(
    login: &str,
    password: &str,
    config: WebConfig,
) -> (TestDb, App, String, String) {
    let t = TestDb::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), config).await;
    let cookie = app.login(login, password).await.unwrap();
    let csrf = app.csrf(&cookie).await;
    (t, app, cookie, csrf)
}

/// Whether `body` shows `why` beside input `name`, marked invalid and tied to it.
fn refused_at(body: &str, name: &str, why: &str) -> bool {
    body.contains(&format!(
        "<p class=\"field-error\" id=\"{name}-erro\">{why}"
    )) && body.contains(&format!(
        "aria-invalid=\"true\" aria-describedby=\"{name}-erro"
    ))
}

#[tokio::test]
async fn a_refused_calendar_row_keeps_what_was_typed() {
    let (t, app, admin, csrf) = signed_in("admin", "demo-admin-7872", test_config()).await;
    let row = |municipality: &str, name: &str| {
        format!(
            "csrf_token={csrf}&data=20%2F02%2F2026&tipo=aberto&nome={name}&ato=Decreto+n%C2%BA+1%2F2026&municipio={municipality}"
        )
    };
    // A municipality of another state: refused beside the municipality, the rest as typed.
    let r = app
        .post_form("/admin/calendario", Some(&admin), &row("3550308", "Ponte"))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        refused_at(&r.body, "municipio", "o município `3550308` não é de GO"),
        "{}",
        r.body
    );
    r.assert_has("value=\"20/02/2026\"");
    r.assert_has("value=\"Decreto nº 1/2026\"");
    r.assert_has("<option value=\"aberto\" selected>");
    // Nothing said of what the day is: refused beside that input.
    let r = app
        .post_form("/admin/calendario", Some(&admin), &row("", ""))
        .await;
    assert!(
        refused_at(&r.body, "nome", "diga o que é o dia"),
        "{}",
        r.body
    );
    assert!(t.db.calendar_decrees("GO").await.unwrap().is_empty());
    // Mended, it is recorded.
    let r = app
        .post_form("/admin/calendario", Some(&admin), &row("5208707", "Ponte"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(t.db.calendar_decrees("GO").await.unwrap().len(), 1);
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_refused_api_key_keeps_what_was_typed() {
    let (t, app, admin, csrf) = signed_in("admin", "demo-admin-7872", test_config()).await;
    let inst = app.db.institutions().await.unwrap()[1].id;
    let key = |role: &str, until: &str| {
        format!("csrf_token={csrf}&nome=Painel+BI&instituicao={inst}&papel={role}&validade={until}")
    };
    // An administrator's key is refused beside the role, the rest as typed.
    let r = app
        .post_form("/admin/chaves-api", Some(&admin), &key("admin", ""))
        .await;
    assert!(
        refused_at(
            &r.body,
            "papel",
            "uma chave de API não pode ter o papel de administração"
        ),
        "{}",
        r.body
    );
    r.assert_has("value=\"Painel BI\"");
    assert!(
        r.body
            .contains(&format!("<option value=\"{inst}\" selected>"))
    );
    // A last day already past: refused beside it, the role kept.
    let r = app
        .post_form(
            "/admin/chaves-api",
            Some(&admin),
            &key("analyst", "2020-01-31"),
        )
        .await;
    assert!(
        refused_at(&r.body, "validade", "validade `2020-01-31` inválida"),
        "{}",
        r.body
    );
    r.assert_has("<option value=\"analyst\" selected>");
    assert!(app.db.api_keys().await.unwrap().is_empty());
    let r = app
        .post_form("/admin/chaves-api", Some(&admin), &key("analyst", ""))
        .await;
    r.assert_has("Chave criada.");
    assert_eq!(app.db.api_keys().await.unwrap().len(), 1);
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_refused_program_version_keeps_what_was_typed() {
    let (t, app, committee, csrf) = signed_in("comite", "demo-comite-7872", test_config()).await;
    let mut doc = atalaia_core::program::ProgramDocument::decree_default();
    let body = |doc: &atalaia_core::program::ProgramDocument, day: &str| {
        format!(
            "csrf_token={csrf}&vigencia={day}&nota=Resolu%C3%A7%C3%A3o+7&documento={}",
            urlencode(&serde_json::to_string(doc).unwrap())
        )
    };
    let send = |form: String| {
        let (app, committee) = (&app, &committee);
        async move {
            app.post_form("/recap/configuracao", Some(committee), &form)
                .await
        }
    };
    // A day that is not a date: beside the start, the act and the document as typed.
    doc.recap1_min_pct = 25.0;
    let r = send(body(&doc, "31/02/2027")).await;
    assert!(
        refused_at(&r.body, "vigencia", "vigência `31/02/2027` inválida"),
        "{}",
        r.body
    );
    r.assert_has("value=\"Resolução 7\"");
    r.assert_has("recap1_min_pct&#34;:25.0");
    // RECAP1's threshold not above RECAP2's (Art. 5): beside the document.
    doc.recap1_min_pct = 10.0;
    let r = send(body(&doc, "01/01/2027")).await;
    r.assert_has("<p class=\"field-error\" id=\"documento-erro\">");
    r.assert_has("deve ser maior");
    // Saved once; a second version on the same day is refused beside its start.
    doc.recap1_min_pct = 25.0;
    app.post_ok("/recap/configuracao", &committee, &body(&doc, "01/01/2027"))
        .await;
    let r = send(body(&doc, "01/01/2027")).await;
    assert!(
        refused_at(
            &r.body,
            "vigencia",
            "a nova versão deve começar depois de 01/01/2027"
        ),
        "{}",
        r.body
    );
    assert_eq!(app.db.program_configs().await.unwrap().len(), 1);
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_refused_cycle_act_comes_back_beside_its_form() {
    let at = ymd(2026, 10, 20).and_hms_opt(13, 0, 0).unwrap();
    let config = WebConfig {
        clock: atalaia_web::Clock::fixed(at),
        ..test_config()
    };
    let (t, app, committee, csrf) = signed_in("comite", "demo-comite-7872", config).await;
    // A deadline that is not a number: the open form again with what was typed.
    let r = app
        .post_form(
            "/recap/ciclo",
            Some(&committee),
            &format!("csrf_token={csrf}&acao=open&trimestre=2026-Q3&prazo_1=3&prazo_2=oito"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_has("Ato não registrado: prazo de «Resultado parcial» `oito` inválido");
    r.assert_has("id=\"ato-recusado\"");
    r.assert_has(
        "<p class=\"field-error\" id=\"acao-erro\">prazo de «Resultado parcial» `oito` inválido",
    );
    r.assert_has("name=\"prazo_2\" value=\"oito\"");
    app.post_ok(
        "/recap/ciclo",
        &committee,
        &format!("csrf_token={csrf}&acao=open&trimestre=2026-Q3"),
    )
    .await;
    let quarter = atalaia_core::cycle::CyclePeriod::Quarter("2026-Q3".parse().unwrap());
    let cycle = t.db.cycle(quarter).await.unwrap().unwrap();
    let url = format!("/recap/ciclo/{}", cycle.id);
    // A decision that includes an operator without saying whom: beside the target, its text kept.
    let r = app
        .post_form(
            &url,
            Some(&committee),
            &format!("csrf_token={csrf}&acao=decision&texto=Incluir+o+soldado&efeito=incluir_servidor&alvo="),
        )
        .await;
    assert!(
        refused_at(
            &r.body,
            "alvo",
            "informe a unidade, a apreensão ou a matrícula do efeito"
        ),
        "{}",
        r.body
    );
    r.assert_has(">Incluir o soldado</textarea>");
    r.assert_has("<option value=\"incluir_servidor\" selected>");
    // Late on 20 October without a justification: the cycle's rule, beside the step's form.
    let r = app
        .post_form(
            &url,
            Some(&committee),
            &format!("csrf_token={csrf}&acao=close&etapa=submissions&justificativa="),
        )
        .await;
    r.assert_has("<p class=\"field-error\" id=\"acao-erro\">");
    let cycle = t.db.cycle(quarter).await.unwrap().unwrap();
    assert!(
        cycle
            .acts
            .iter()
            .all(|a| a.act != "close" && a.act != "decision")
    );
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_refused_user_keeps_the_roles_ticked() {
    let (t, app, admin, csrf) = signed_in("admin", "demo-admin-7872", test_config()).await;
    let inst = app.db.institutions().await.unwrap()[0].id;
    let form = format!(
        "csrf_token={csrf}&login=Ana+Souza&nome=Ana+Souza&email=&instituicao={inst}&senha=uma-senha-longa-1&papel=analyst&escopo_analyst=municipio%3A5208707&papel=auditor&escopo_auditor="
    );
    let r = app.post_form("/admin/usuarios", Some(&admin), &form).await;
    assert!(
        refused_at(&r.body, "login", "login `ana souza` inválido"),
        "{}",
        r.body
    );
    // The roles come back ticked, with the scope typed; the others stay unticked.
    r.assert_has("value=\"analyst\" checked>");
    r.assert_has("value=\"auditor\" checked>");
    r.assert_lacks("value=\"partner\" checked>");
    r.assert_has("name=\"escopo_analyst\" value=\"municipio:5208707\"");
    // An edit refused for its CPF shows the roles as typed, not as stored.
    let uid = app.db.user_by_login("analista").await.unwrap().unwrap().id;
    let edit = format!(
        "csrf_token={csrf}&nome=Ana&email=&instituicao={inst}&ativo=sim&papel=auditor&escopo_auditor=&oidc_subject=123"
    );
    let r = app
        .post_form(&format!("/admin/usuarios/{uid}"), Some(&admin), &edit)
        .await;
    assert!(
        refused_at(&r.body, "oidc_subject", "CPF `123` inválido"),
        "{}",
        r.body
    );
    r.assert_has("value=\"auditor\" checked>");
    r.assert_lacks("value=\"analyst\" checked>");
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_refused_seizure_comes_back_open_and_a_second_one_says_updated() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let chief = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let csrf = app.csrf(&chief).await;
    let seizure = |item: &str, caliber: &str| {
        format!(
            "csrf_token={csrf}&mes=2026-11&unidade=PM-1BPM&bo=7001%2F2026&item={item}&serie=&data=2026-11-10&flagrante=nao&matriculas=P100074&tipo=rev%C3%B3lver&calibre={caliber}&marca=Taurus"
        )
    };
    // No serial and no item: refused beside the item, the form open with what was typed.
    let r = app
        .post_form(
            "/ipei/unidade/apreensoes",
            Some(&chief),
            &seizure("", ".38"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        refused_at(&r.body, "item", "sem número de série, informe o item"),
        "{}",
        r.body
    );
    r.assert_has("id=\"apreensao-recusada\"");
    r.assert_has("value=\"7001/2026\"");
    r.assert_has("<option value=\"nao\" selected>");
    // With its item it is registered; the same BO and item again is said to be a correction.
    let r = app
        .post_form(
            "/ipei/unidade/apreensoes",
            Some(&chief),
            &seizure("1", ".38"),
        )
        .await;
    assert!(
        r.location.unwrap().contains("feito=apreensao#"),
        "registered"
    );
    let r = app
        .post_form(
            "/ipei/unidade/apreensoes",
            Some(&chief),
            &seizure("1", ".32"),
        )
        .await;
    assert!(
        r.location.unwrap().contains("feito=apreensao-atualizada"),
        "corrected"
    );
    t.cleanup().await.unwrap();
}
