//! Igesp meetings and actions over HTTP on both backends (igesp.md §4, §5, §7): the coordinator
//! schedules and decides, the partner sees what its institution takes part in and nothing else, and a
//! table written by hand says who gets what on each meeting and action.

use atalaia_store::per_backend;

use super::*;

fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() - chrono::Duration::hours(3)).date_naive()
}

/// The id at the end of a redirect to `/reunioes/{id}…`.
fn id_from(location: &str) -> i64 {
    location
        .trim_start_matches("/reunioes/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn story(db: &atalaia_store::Db) {
    load_demo(db, today(), 0.02).await;
    let app = App::new(db.clone(), test_config()).await;
    let inst = |code: &'static str| institution_id(db, code);
    let (ssp, pm, mp) = (inst("SSP-GO").await, inst("PMGO").await, inst("MPGO").await);
    let coord = app
        .login("coordenador", "demo-coordenador-7872")
        .await
        .unwrap();
    let cc = app.csrf(&coord).await;
    let day = (today() + chrono::Duration::days(7)).to_string();
    let schedule = |kind: &str, title: &str, municipality: &str, institutions: &[i64]| {
        let mut f = format!(
            "csrf_token={cc}&tipo={kind}&titulo={}&municipio={municipality}&data={day}&inicio=09:00&fim=11:00&local={}",
            urlencode(title),
            urlencode("Sala de situação")
        );
        for i in institutions {
            f.push_str(&format!("&instituicao={i}"));
        }
        f
    };
    // Internal: police and the Secretariat only.
    let r = app
        .post_ok(
            "/reunioes",
            &coord,
            &schedule("internal", "Diagnóstico interno", "5208707", &[ssp, pm]),
        )
        .await;
    let internal = id_from(r.location.as_deref().unwrap());
    // Inviting the MP to an internal meeting is refused, with the reason, and creates nothing.
    let before = db.meetings().await.unwrap().len();
    let r = app
        .post_form(
            "/reunioes",
            Some(&coord),
            &schedule("internal", "Interna errada", "5208707", &[ssp, mp]),
        )
        .await;
    assert_eq!(r.status, 200);
    r.assert_has(
        "MPGO não é força de segurança nem a Secretaria: reuniões internas são só das polícias",
    );
    assert_eq!(db.meetings().await.unwrap().len(), before);
    // The refused form comes back as it was typed: title, kind, municipality, invited institutions.
    for kept in [
        "name=\"titulo\" required maxlength=\"200\" value=\"Interna errada\"".to_string(),
        "<option value=\"internal\" selected>".to_string(),
        "<option value=\"5208707\" selected>".to_string(),
        format!("name=\"instituicao\" value=\"{ssp}\" checked>"),
        format!("name=\"instituicao\" value=\"{mp}\" checked>"),
    ] {
        assert!(r.body.contains(&kept), "{kept}: {}", r.body);
    }
    // The reason stands beside what to mend: the invited institutions.
    r.assert_has("<p class=\"field-error\" id=\"instituicao-erro\">MPGO não é força");
    // A municipality outside the coordinator's scope (Anápolis) is refused.
    let r = app
        .post_form(
            "/reunioes",
            Some(&coord),
            &schedule("articulation", "Fora do escopo", "5201108", &[ssp]),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Bad input names the value.
    let r = app
        .post_form(
            "/reunioes",
            Some(&coord),
            &schedule("articulation", "x", "5208707", &[ssp]).replace(&day, "31/02/2026"),
        )
        .await;
    r.assert_has("a data `31/02/2026` inválida");
    assert!(
        r.body
            .contains(" aria-invalid=\"true\" aria-describedby=\"data-erro\">")
            && r.body
                .contains("<p class=\"field-error\" id=\"data-erro\">a data `31/02/2026`"),
        "{}",
        r.body
    );
    let r = app
        .post_ok(
            "/reunioes",
            &coord,
            &schedule(
                "articulation",
                "Articulação — centro",
                "5208707",
                &[ssp, mp],
            ),
        )
        .await;
    let articulation = id_from(r.location.as_deref().unwrap());

    // Two decisions: the MP's (overdue: due two days ago) and the PM's.
    let decide = |title: &str, resp: i64, due: chrono::NaiveDate| {
        format!(
            "csrf_token={cc}&o_que={}&por_que={}&responsavel={resp}&pessoa=&inicio={}&prazo={due}&indicador=roubo_transeunte",
            urlencode(title),
            urlencode("Roubos no centro"),
            today() - chrono::Duration::days(20),
        )
    };
    app.post_ok(
        &format!("/reunioes/{articulation}/decisoes"),
        &coord,
        &decide(
            "Audiências de custódia em 24 h",
            mp,
            today() - chrono::Duration::days(2),
        ),
    )
    .await;
    app.post_ok(
        &format!("/reunioes/{articulation}/decisoes"),
        &coord,
        &decide(
            "Policiamento a pé na Praça Cívica",
            pm,
            today() + chrono::Duration::days(30),
        ),
    )
    .await;
    let actions = db.actions().await.unwrap();
    let of = |t: &str| actions.iter().find(|a| a.title == t).unwrap().id;
    let mp_action = of("Audiências de custódia em 24 h");
    let pm_action = of("Policiamento a pé na Praça Cívica");

    // Who sees what: 200 = sees, 404 = as if it did not exist.
    let users = [
        ("analista", "demo-analista-7872"),
        ("coordenador", "demo-coordenador-7872"),
        ("chefe1bpm", "demo-chefe-7872"),
        ("parceiro", "demo-parceiro-7872"),
    ];
    let table: [(String, [u16; 4]); 4] = [
        // internal meeting: police only (the unit head's PMGO is invited)
        (format!("/reunioes/{internal}"), [200, 200, 200, 404]),
        // articulation: the MP is invited; the PM has an action decided there
        (format!("/reunioes/{articulation}"), [200, 200, 200, 200]),
        (format!("/acoes/{mp_action}"), [200, 200, 404, 200]),
        (format!("/acoes/{pm_action}"), [200, 200, 200, 404]),
    ];
    let mut sessions = Vec::new();
    for (login, pw) in users {
        sessions.push(app.login(login, pw).await.unwrap());
    }
    for (url, expected) in &table {
        for ((login, _), (s, e)) in users.iter().zip(sessions.iter().zip(expected)) {
            let r = app.get(url, Some(s)).await;
            assert_eq!(r.status, *e, "{url} as {login}");
        }
    }
    let partner = &sessions[3];
    let pc = app.csrf(partner).await;
    // The partner's calendar has the articulation (its institution is invited), not the internal one.
    let ics = app.get_ok("/reunioes/agenda.ics", partner).await;
    assert!(
        ics.body
            .contains(&format!("UID:reuniao-{articulation}@atalaia"))
    );
    assert!(
        !ics.body
            .contains(&format!("UID:reuniao-{internal}@atalaia"))
    );
    // 09:00 in Brasília on `day` is 12:00 UTC.
    assert!(
        ics.body
            .contains(&format!("DTSTART:{}T120000Z", day.replace('-', "")))
    );
    // A calendar application subscribes with a key instead of a session: the key opens the calendar
    // (GET only), nothing else, and a new key replaces the old one.
    let r = app
        .post_form(
            "/reunioes/agenda/chave",
            Some(partner),
            &format!("csrf_token={}", app.csrf(partner).await),
        )
        .await;
    assert_eq!(r.status, 200);
    let url = r
        .body
        .split("<code class=\"key\" id=\"endereco-agenda\">")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_string();
    let path = &url[url.find("/reunioes/agenda.ics?chave=").unwrap()..];
    let feed = app.get(path, None).await;
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.body,
        ics.body.replace(
            ics.body
                .split("DTSTAMP:")
                .nth(1)
                .unwrap()
                .split("\r\n")
                .next()
                .unwrap(),
            feed.body
                .split("DTSTAMP:")
                .nth(1)
                .unwrap()
                .split("\r\n")
                .next()
                .unwrap(),
        )
    );
    let key = path.split("chave=").nth(1).unwrap();
    for other in ["/reunioes", "/acoes", "/"] {
        let r = app.get(&format!("{other}?chave={key}"), None).await;
        assert_eq!(r.status, 303, "{other} must ask for a sign-in");
    }
    assert_eq!(
        app.get("/reunioes/agenda.ics?chave=0000", None)
            .await
            .status,
        303
    );
    app.post_form(
        "/reunioes/agenda/chave",
        Some(partner),
        &format!("csrf_token={}", app.csrf(partner).await),
    )
    .await;
    assert_eq!(app.get(path, None).await.status, 303, "the old key is gone");
    // The partner's meeting list has the articulation, not the internal meeting.
    let list = app.get("/reunioes", Some(partner)).await;
    assert!(list.body.contains("Articulação — centro"));
    assert!(!list.body.contains("Diagnóstico interno"));
    // Its agenda: its own overdue action, flagged; the PM's counted as not its own.
    let page = app
        .get(&format!("/reunioes/{articulation}"), Some(partner))
        .await;
    let overdue_section = page
        .body
        .split("<table class=\"agenda-overdue\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        overdue_section.contains("Audiências de custódia em 24 h")
            && overdue_section.contains("em atraso"),
        "{overdue_section}"
    );
    assert!(!page.body.contains("Policiamento a pé na Praça Cívica"));
    // The demo's own Goiânia actions are on the agenda too: count, independently, the open ones
    // that do not involve the MP.
    let others = db
        .actions()
        .await
        .unwrap()
        .iter()
        .filter(|a| {
            a.plan.municipality_code == "5208707"
                && matches!(a.status.as_str(), "planned" | "in_progress")
                && a.responsible.id != mp
                && !a.partners.iter().any(|p| p.id == mp)
        })
        .count();
    assert!(others >= 1);
    assert!(
        page.body.contains(&format!(
            "{others} outra(s) ação(ões) do município não envolvem a sua instituição."
        )),
        "{others}"
    );
    assert!(
        !page.body.contains("/zonas-quentes"),
        "the hot-spot map is police material"
    );
    // The coordinator's agenda lists both.
    let page = app
        .get(&format!("/reunioes/{articulation}"), Some(&coord))
        .await;
    assert!(page.body.contains("Policiamento a pé na Praça Cívica"));
    assert!(page.body.contains("/zonas-quentes?area=5208707"));
    // The partner updates its action: a status change needs text; with text it is recorded.
    let url = format!("/acoes/{mp_action}/andamento");
    let r = app
        .post_multipart(
            &url,
            Some(partner),
            &[("csrf_token", pc.as_str()), ("situacao", "in_progress")],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    r.assert_has("mudança de situação para «em andamento» sem texto");
    // The status chosen stays chosen, the reason beside the note.
    r.assert_has("<option value=\"in_progress\" selected>");
    assert!(
        r.body
            .contains("<p class=\"field-error\" id=\"nota-erro\">")
    );
    // The same progress with a file: one that is not a PDF, JPEG or PNG brings the note typed back,
    // the reason beside the file; a PDF records it.
    let with_file = |bytes: &'static [u8]| {
        let (app, url, pc) = (&app, &url, &pc);
        async move {
            app.post_multipart(
                url,
                Some(partner),
                &[
                    ("csrf_token", pc.as_str()),
                    ("situacao", "in_progress"),
                    ("nota", "Plantão organizado com o TJ"),
                ],
                Some(("escala.pdf", bytes)),
            )
            .await
        }
    };
    let r = with_file(b"isto n\xc3\xa3o \xc3\xa9 um PDF").await;
    r.assert_has(">Plantão organizado com o TJ</textarea>");
    r.assert_has("<p class=\"field-error\" id=\"arquivo-erro\">escala.pdf: o conteúdo não é PDF, JPEG nem PNG (parece texto)");
    let r = with_file(b"%PDF-1.4\n%%EOF\n").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = app.get(&r.location.unwrap(), Some(partner)).await;
    r.assert_has("Andamento registrado.");
    assert!(r.body.contains("planejada → em andamento"));
    let a = db.action(mp_action).await.unwrap().unwrap();
    assert_eq!(a.status.as_str(), "in_progress");
    let h = db.action_updates(mp_action).await.unwrap();
    let file = app
        .get(
            &format!("/acoes/{mp_action}/evidencias/{}", h[0].id),
            Some(partner),
        )
        .await;
    assert_eq!(file.bytes, b"%PDF-1.4\n%%EOF\n");
    // Not on the PM's action, nor on the meeting's minutes.
    let r = app
        .post_multipart(
            &format!("/acoes/{pm_action}/andamento"),
            Some(partner),
            &[("csrf_token", pc.as_str()), ("nota", "x")],
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .post_form(
            &format!("/reunioes/{articulation}/ata"),
            Some(partner),
            &format!("csrf_token={pc}&ata=x"),
        )
        .await;
    assert_eq!(r.status, 403);
    // The unit head (PMGO) may report on the PM's action.
    let chief = &sessions[2];
    let hc = app.csrf(chief).await;
    let r = app
        .post_multipart(
            &format!("/acoes/{pm_action}/andamento"),
            Some(chief),
            &[("csrf_token", hc.as_str()), ("nota", "Escala montada")],
            None,
        )
        .await;
    assert!(
        r.location
            .as_deref()
            .is_some_and(|l| l.contains("feito=andamento")),
        "{}",
        r.body
    );
    // An action outside a meeting: a joint operation needs its date; with it, it is created in the plan.
    let joint = format!(
        "csrf_token={cc}&municipio=5208707&o_que={}&responsavel={pm}&parceiro={mp}&inicio={}&prazo={}&operacao_conjunta=sim",
        urlencode("Operação conjunta no terminal"),
        today(),
        today() + chrono::Duration::days(5)
    );
    let r = app.post_form("/acoes", Some(&coord), &joint).await;
    assert_eq!(r.status, 200);
    r.assert_has("operação conjunta: informe a data da operação");
    // The refused form comes back as typed, the reason beside the missing date.
    for kept in [
        "value=\"Operação conjunta no terminal\"".to_string(),
        format!("name=\"parceiro\" value=\"{mp}\" checked>"),
        format!("<option value=\"{pm}\" selected>"),
        "value=\"sim\" checked>".to_string(),
        "<p class=\"field-error\" id=\"data_operacao-erro\">operação conjunta".to_string(),
        // At the top of the page too, where a phone opens it, leading to the form.
        "role=\"alert\"><div class=\"content\">A ação não foi criada: <a href=\"#acao-form\">"
            .to_string(),
    ] {
        assert!(r.body.contains(&kept), "{kept}: {}", r.body);
    }
    let r = app
        .post_ok(
            "/acoes",
            &coord,
            &format!(
                "{joint}&data_operacao={}",
                today() + chrono::Duration::days(3)
            ),
        )
        .await;
    let created = db
        .actions()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.title == "Operação conjunta no terminal")
        .unwrap();
    assert!(created.joint_operation && created.meeting_id.is_none());
    assert_eq!(
        created.partners.iter().map(|p| p.id).collect::<Vec<_>>(),
        [mp]
    );
    let at = r.location.unwrap();
    assert_eq!(at, format!("/acoes/{}?feito=acao", created.id));
    // The action's page confirms the act, in words.
    let page = app.get(&at, Some(partner)).await;
    page.assert_has("<div class=\"content\">Ação criada.</div>");
    let plain = app
        .get(&format!("/acoes/{}", created.id), Some(partner))
        .await;
    assert!(!plain.body.contains("success done"));
    let r = app
        .post_form("/acoes", Some(partner), &format!("csrf_token={pc}"))
        .await;
    assert_eq!(r.status, 403);
    // Minutes: presence recorded, the agenda frozen.
    app.post_ok(
        &format!("/reunioes/{articulation}/ata"),
        &coord,
        &format!(
            "csrf_token={cc}&ata={}&presente_instituicao={ssp}&presente_instituicao={mp}",
            urlencode("Discutidos os roubos no centro.")
        ),
    )
    .await;
    let m = db.meeting(articulation).await.unwrap().unwrap();
    assert_eq!(m.status.as_str(), "held");
    let frozen: atalaia_store::igesp::Agenda =
        serde_json::from_str(m.agenda.as_deref().unwrap()).unwrap();
    assert!(
        frozen
            .actions
            .iter()
            .any(|a| a.id == mp_action && a.overdue)
    );
    let page = app
        .get(&format!("/reunioes/{articulation}"), Some(partner))
        .await;
    assert!(page.body.contains("Discutidos os roubos no centro."));
    assert!(page.body.contains("(como discutida na reunião)"));
    // The ata as PDF: the partner's copy has its action, not the PM's.
    let pdf = app
        .get_ok(&format!("/reunioes/{articulation}/ata.pdf"), partner)
        .await;
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    if let Ok(dir) = std::env::var("ATALAIA_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            std::path::Path::new(&dir).join("ata-parceiro.pdf"),
            &pdf.bytes,
        )
        .unwrap();
    }
    let internal_pdf = app
        .get(&format!("/reunioes/{internal}/ata.pdf"), Some(partner))
        .await;
    assert_eq!(internal_pdf.status, 404);
    // The home page flags the partner's overdue action... now in progress but still past due.
    let mine: Vec<_> = db
        .actions()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| {
            matches!(a.status.as_str(), "planned" | "in_progress")
                && (a.responsible.id == mp || a.partners.iter().any(|p| p.id == mp))
        })
        .collect();
    let late = mine.iter().filter(|a| a.due_on < today()).count();
    assert_eq!(late, 1);
    let home = app.get("/", Some(partner)).await;
    assert!(
        home.body
            .contains(&format!("{} ações em aberto", mine.len()))
            && home.body.contains("1 em atraso"),
        "{}",
        home.body
    );
}

per_backend! {
    async fn meetings_and_actions_are_shared_by_institution(t) {
        story(&t.db).await;
        println!("backend {}: Igesp sharing ok", t.label);
        t.cleanup().await.unwrap();
    }
}
