//! Uploads become jobs: queued at once, cancellable while they wait, run by a worker when one starts —
//! also a job left running by a server that died.

use crate::ymd;
use atalaia_store::jobs::JobState;
use atalaia_store::testing::TestDb;
use atalaia_web::AppState;

use crate::{App, audit_actions};

const POPULATION: &[u8] =
    b"territory_code,year,population\n5208707,2025,1500000\n5208707,2026,1510000\n";

#[tokio::test]
async fn an_upload_waits_in_the_queue_until_a_worker_runs_it() {
    for t in TestDb::all().await.unwrap() {
        let today = ymd(2026, 11, 20);
        let config = crate::demo_config(&t.db, today, 0.01).await;
        atalaia_web::demo_users::ensure(&t.db, atalaia_web::PasswordCost::TEST)
            .await
            .unwrap();
        let state = AppState::new(t.db.clone(), config);
        let app = App::without_worker(state.clone());
        let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
        let csrf = app.csrf(&analyst).await;
        let send = |name: &'static str| {
            let (app, analyst, csrf) = (&app, analyst.clone(), csrf.clone());
            async move {
                let r = app
                    .post_multipart(
                        "/importacoes",
                        Some(&analyst),
                        &[("csrf_token", csrf.as_str()), ("tipo", "population")],
                        Some((name, POPULATION)),
                    )
                    .await;
                assert_eq!(r.status, 303, "{}", r.body);
                r.location.unwrap()
            }
        };
        let id_of = |loc: &str| loc.rsplit('/').next().unwrap().parse::<i64>().unwrap();
        // The request ends as soon as the file is queued; the imports page lists it.
        let first = send("primeiro.csv").await;
        assert!(first.starts_with("/importacoes/tarefas/"), "{first}");
        let page = app.get_ok(&first, &analyst).await;
        page.assert_has("Na fila");
        page.assert_has("Aguardando a vez");
        let metrics = crate::ops::local_metrics(&app).await;
        assert_eq!(
            crate::ops::sample(&metrics, r#"atalaia_import_jobs{state="queued"}"#),
            1.0
        );
        let list = app.get_ok("/importacoes", &analyst).await;
        list.assert_has(&format!("href=\"{first}\">primeiro.csv</a>"));

        // Cancelled while it waits: at once, audited, and its page says nothing was kept.
        let r = app
            .post_form(
                &format!("{first}/cancelar"),
                Some(&analyst),
                &format!("csrf_token={csrf}"),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = app.get_ok(&first, &analyst).await;
        page.assert_has("Importação cancelada; nada foi gravado.");
        // Its upload is gone from the server.
        let upload = t.db.job(id_of(&first)).await.unwrap().unwrap().path;
        assert!(!std::path::Path::new(&upload).exists(), "{upload}");
        page.assert_lacks("Cancelar a importação");
        assert!(
            audit_actions(&t.db).await.iter().any(|(actor, action, _)| {
                actor == "user:analista" && action == "import.cancel"
            })
        );

        // A job a dead server left running, and one still queued: the worker of a server that starts
        // runs both, oldest first.
        let second = send("segundo.csv").await;
        let third = send("terceiro.csv").await;
        let now = state.config.clock.now_utc();
        let claimed =
            t.db.claim_job("morto", now, now - chrono::Duration::hours(1))
                .await
                .unwrap();
        assert_eq!(claimed.map(|j| j.id), Some(id_of(&second)));
        let imports_before = t.db.recent_imports(1000).await.unwrap().len();
        atalaia_web::jobs::spawn_worker(&state);
        if t.db.backend() == atalaia_store::Backend::Postgres {
            // On PostgreSQL a running job is someone else's until its heartbeat is a minute old.
            let later = now + chrono::Duration::minutes(2);
            state.config.clock.set(later);
            state.jobs.queued();
        }
        let done = app.job_end(&third, &analyst).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let second_done = app.job_end(&second, &analyst).await;
        assert_eq!(second_done.status, 303, "{}", second_done.body);
        let imports = t.db.recent_imports(1000).await.unwrap();
        assert_eq!(imports.len(), imports_before + 2);
        // Oldest first: the second file's import comes before the third's.
        let ids: Vec<&str> = imports
            .iter()
            .take(2)
            .map(|i| i.file_name.as_str())
            .collect();
        assert_eq!(ids, ["terceiro.csv", "segundo.csv"]);
        let summary = app
            .get_ok(done.location.as_deref().unwrap(), &analyst)
            .await;
        summary.assert_has("terceiro.csv");
        assert_eq!(
            t.db.job(id_of(&third)).await.unwrap().unwrap().state,
            JobState::Done
        );
        println!("backend {}: import jobs through the pages ok", t.label);
        t.cleanup().await.unwrap();
    }
}

/// The demo with two municipalities of Minas Gerais (Abadia dos Dourados and Abaeté, by their IBGE
/// codes), and the analyst's session and its CSRF token.
async fn mg_site() -> (TestDb, App, String, String) {
    let (t, app) = crate::demo_app(ymd(2026, 11, 20), 0.01).await;
    let towns = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":null,"properties":{"code":"3100104","name":"Abadia dos Dourados","kind":"municipality"}},
        {"type":"Feature","geometry":null,"properties":{"code":"3100203","name":"Abaeté","kind":"municipality"}}]}"#;
    crate::import_text(
        &t.db,
        atalaia_ingest::Kind::Territories,
        "mg.geojson",
        towns,
        ymd(2026, 11, 20),
    )
    .await;
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let csrf = app.csrf(&analyst).await;
    (t, app, analyst, csrf)
}

/// A file as a source publishes it goes up with its profile; the worker reads it through the profile,
/// and a profile of another kind is refused by name before anything is queued.
#[tokio::test]
async fn an_upload_names_its_source_s_profile() {
    let (_t, app, analyst, csrf) = mg_site().await;
    let published = concat!(
        "REGISTROS,NATUREZA,MUNICIPIO,COD_MUNICIPIO,MES,ANO,RISP,RMBH\n",
        "2,Homicídio Consumado (Registros),ABADIA DOS DOURADOS,310010,1,2022,10,NÃO\n",
        "5,Homicídio Tentado,ABAETE,310020,1,2022,7,NÃO\n",
        "9,Roubo Consumado,ABAETE,310020,1,2022,7,NÃO\n",
    );
    let send = |kind: &'static str| {
        let (app, analyst, csrf) = (&app, analyst.clone(), csrf.clone());
        async move {
            app.post_multipart(
                "/importacoes",
                Some(&analyst),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("tipo", kind),
                    ("perfil", "mg-sejusp-crimes-violentos"),
                ],
                Some(("crimes_violentos.csv", published.as_bytes())),
            )
            .await
        }
    };
    let refused = send("occurrences").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    refused.assert_has(
        "o perfil `mg-sejusp-crimes-violentos` lê arquivos de contagens mensais, não de ocorrências",
    );
    let sent = send("counts").await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let done = app
        .job_end(sent.location.as_deref().unwrap(), &analyst)
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let last = &app.db.recent_imports(1).await.unwrap()[0];
    assert_eq!(
        (last.counts.read, last.counts.inserted, last.counts.rejected),
        (3, 2, 1)
    );
    // The robbery the profile does not translate waits in the rejects, as the file wrote it.
    let rejects = app
        .get_ok(&format!("/importacoes/{}/rejeitadas", last.id), &analyst)
        .await;
    rejects.assert_has("9,Roubo Consumado,ABAETE,310020,1,2022,7,NÃO");
}

/// The preview reads the file as its import would and writes nothing; "Importar este arquivo" queues
/// the very file seen. A token that is not a preview's finds nothing.
#[tokio::test]
async fn a_preview_shows_the_rows_then_imports_the_file_seen() {
    let (t, app, analyst, csrf) = mg_site().await;
    let published = concat!(
        "REGISTROS,NATUREZA,MUNICIPIO,COD_MUNICIPIO,MES,ANO,RISP,RMBH\n",
        "2,Homicídio Consumado (Registros),ABADIA DOS DOURADOS,310010,1,2022,10,NÃO\n",
        "4,Roubo Consumado,ABADIA DOS DOURADOS,310010,1,2022,10,NÃO\n",
        "1,Roubo Consumado,ABADIA DOS DOURADOS,310010,2,2022,10,NÃO\n",
    );
    let imports_before = t.db.recent_imports(100).await.unwrap().len();
    let page = app
        .post_multipart(
            "/importacoes/previa",
            Some(&analyst),
            &[
                ("csrf_token", csrf.as_str()),
                ("tipo", "counts"),
                ("perfil", "mg-sejusp-crimes-violentos"),
            ],
            Some(("crimes_violentos.csv", published.as_bytes())),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_has("3 linha(s) lida(s): 1 seria(m) incluída(s) e 2 rejeitada(s).");
    page.assert_has("<td>Roubo Consumado</td><td class=\"num\">2</td>");
    page.assert_has("<th scope=\"col\">Quantidade</th><th scope=\"col\">Natureza</th>");
    page.assert_has("<td>2</td><td>Homicídio doloso</td><td>2022-01</td><td>3100104</td>");
    // The reason names the file's own column.
    page.assert_has("coluna `NATUREZA`: valor `Roubo Consumado`");
    page.assert_has("4 · Roubo Consumado · ABADIA DOS DOURADOS · 310010 · 1 · 2022 · 10 · NÃO");
    assert_eq!(
        t.db.recent_imports(100).await.unwrap().len(),
        imports_before,
        "a preview writes nothing"
    );
    let token = crate::hidden(&page.body, "previa");
    // The untranslated name is mapped on the same screen: it enters the crime map, audited as an
    // import, and the preview is read again with it.
    assert_eq!(crate::hidden(&page.body, "nome_1"), "Roubo Consumado");
    let again = app
        .post_form(
            "/importacoes/previa/traducoes",
            Some(&analyst),
            &format!(
                "csrf_token={csrf}&tipo=counts&perfil=mg-sejusp-crimes-violentos&previa={token}&nome_1={}&crime_1=outros",
                crate::urlencode("Roubo Consumado")
            ),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    again.assert_has("3 linha(s) lida(s): 3 seria(m) incluída(s) e 0 rejeitada(s).");
    again.assert_lacks("Crimes sem tradução");
    let mapped = &t.db.recent_imports(1).await.unwrap()[0];
    assert_eq!(
        (
            mapped.kind.as_str(),
            mapped.file_name.as_str(),
            mapped.counts.inserted
        ),
        ("crime-map", "traducoes-da-previa.csv", 1)
    );
    let sent = app
        .post_multipart(
            "/importacoes",
            Some(&analyst),
            &[
                ("csrf_token", csrf.as_str()),
                ("tipo", "counts"),
                ("perfil", "mg-sejusp-crimes-violentos"),
                ("previa", token.as_str()),
            ],
            None,
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let done = app
        .job_end(sent.location.as_deref().unwrap(), &analyst)
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let last = &app.db.recent_imports(1).await.unwrap()[0];
    assert_eq!(
        (
            last.file_name.as_str(),
            last.counts.inserted,
            last.counts.rejected
        ),
        ("crimes_violentos.csv", 3, 0)
    );
    for forged in [token.as_str(), "../../etc", "0123456789abcdef"] {
        let r = app
            .post_multipart(
                "/importacoes",
                Some(&analyst),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("tipo", "counts"),
                    ("previa", forged),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{forged}");
        r.assert_has("a prévia não existe mais: envie o arquivo de novo");
    }
}

/// An analyst maps a records system's columns onto the occurrences' once, from the preview of its
/// file, and saves the mapping as a named profile (audited): the same file previews through it at
/// once, imports, and imports again unchanged. The name of a shipped profile, a name taken, and a
/// required column left unmapped are refused, each saying why.
#[tokio::test]
async fn an_analyst_saves_a_source_s_column_mapping_and_imports_its_files_unchanged() {
    let (t, app, analyst, csrf) = mg_site().await;
    let export = concat!(
        "NUM_REDS;DATA_FATO;HORA_FATO;NATUREZA;MUNICIPIO_IBGE\n",
        "2022-000001;05/01/2022;14:30;roubo_veiculo;3100104\n",
        "2022-000002;06/01/2022;08:05;roubo_veiculo;3100104\n",
        "2022-000003;31/02/2022;09:00;roubo_veiculo;3100104\n",
    );
    // Its preview without a profile asks where each column comes from, keeping the file.
    let form = app
        .post_multipart(
            "/importacoes/previa",
            Some(&analyst),
            &[("csrf_token", csrf.as_str()), ("tipo", "occurrences")],
            Some(("reds.csv", export.as_bytes())),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    form.assert_has("O arquivo não tem as colunas do Atalaia para ocorrências");
    form.assert_has("<option value=\"DATA_FATO\">DATA_FATO</option>");
    let token = crate::hidden(&form.body, "previa");
    let again = app
        .get_ok(
            &format!("/importacoes/perfis/novo?previa={token}&tipo=occurrences"),
            &analyst,
        )
        .await;
    again.assert_has("<option value=\"HORA_FATO\">HORA_FATO</option>");
    let mapping = |name: &str, crime: &str| {
        format!(
            "csrf_token={csrf}&previa={token}&tipo=occurrences&nome={name}&titulo=REDS+de+teste\
             &coluna_id=NUM_REDS&coluna_occurred_at=DATA_FATO&formato_occurred_at=%25d%2F%25m%2F%25Y\
             &hora_occurred_at=HORA_FATO&coluna_crime={crime}&coluna_territory_code=MUNICIPIO_IBGE\
             &coluna_lat=&valor_lat=&coluna_victims=&valor_victims="
        )
    };
    for (name, crime, why) in [
        (
            "sp-ssp-roubo-veiculos",
            "NATUREZA",
            "é de um perfil que vem com o Atalaia",
        ),
        ("reds-teste", "", "a coluna «Natureza» é obrigatória"),
        ("Reds Teste", "NATUREZA", "nome `Reds Teste` inválido"),
    ] {
        let r = app
            .post_form("/importacoes/perfis", Some(&analyst), &mapping(name, crime))
            .await;
        assert_eq!(r.status, 400, "{name}");
        r.assert_has(why);
    }
    let saved = app
        .post_form(
            "/importacoes/perfis",
            Some(&analyst),
            &mapping("reds-teste", "NATUREZA"),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    saved.assert_has("pelo perfil «REDS de teste»");
    saved.assert_has("3 linha(s) lida(s): 2 seria(m) incluída(s) e 1 rejeitada(s).");
    saved.assert_has("<td>2022-000001</td><td>2022-01-05T14:30:00</td>");
    let again = app
        .post_form(
            "/importacoes/perfis",
            Some(&analyst),
            &mapping("reds-teste", "NATUREZA"),
        )
        .await;
    assert_eq!(again.status, 400);
    again.assert_has("já existe um perfil chamado `reds-teste`");
    let audited = audit_actions(&t.db).await;
    assert_eq!(
        audited
            .iter()
            .filter(|(_, a, _)| a == "import.profile_saved")
            .count(),
        1
    );
    // The upload page offers it; the file imports through it, then again without a change.
    app.get_ok("/importacoes", &analyst)
        .await
        .assert_has("<option value=\"reds-teste\">REDS de teste (ocorrências)</option>");
    // A name that is neither is refused, listing both kinds of profile.
    let unknown = app
        .post_multipart(
            "/importacoes",
            Some(&analyst),
            &[
                ("csrf_token", csrf.as_str()),
                ("tipo", "occurrences"),
                ("perfil", "reds"),
            ],
            Some(("reds.csv", export.as_bytes())),
        )
        .await;
    unknown.assert_has("os perfis são: sp-ssp-roubo-veiculos, mg-sejusp-crimes-violentos, rj-isp-cisp-mensal, reds-teste");
    // First the very file previewed (by its token), then the same file sent again.
    let mut counts = Vec::new();
    for previa in [token.as_str(), ""] {
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("tipo", "occurrences"),
            ("perfil", "reds-teste"),
        ];
        let file = if previa.is_empty() {
            Some(("reds.csv", export.as_bytes()))
        } else {
            fields.push(("previa", previa));
            None
        };
        let sent = app
            .post_multipart("/importacoes", Some(&analyst), &fields, file)
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let done = app
            .job_end(sent.location.as_deref().unwrap(), &analyst)
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let c = app.db.recent_imports(1).await.unwrap()[0].counts;
        counts.push((c.inserted, c.unchanged, c.rejected));
    }
    assert_eq!(counts, [(2, 0, 1), (0, 2, 1)]);
}
