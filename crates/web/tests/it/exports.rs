//! Every table page's CSV and XLSX: the rows the page shows the requester (its filter, its scope,
//! all its pages), the page's columns, and cells that a spreadsheet will not run.

use super::*;

/// A CSV download's rows under its header, after checking it is for a Brazilian spreadsheet: a UTF-8
/// byte-order mark and `;` between cells.
fn csv_rows<S: AsRef<str>>(r: &Reply, header: &[S]) -> Vec<Vec<String>> {
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let text = r.body.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let header: Vec<&str> = header.iter().map(AsRef::as_ref).collect();
    assert_eq!(rows.remove(0), header, "the header");
    rows
}

/// The column titles of the first table header after `marker` in the page: what a download of that
/// table must be headed with.
fn page_columns(page: &Reply, marker: &str) -> Vec<String> {
    let at = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker}"));
    let head = &page.body[at..];
    let head = &head[head.find("<thead>").unwrap()..head.find("</thead>").unwrap()];
    head.split("<th")
        .filter(|cell| cell.starts_with([' ', '>']))
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..cell.find("</th>").unwrap()];
            text.trim().to_string()
        })
        .collect()
}

/// The meetings download's columns: the page's two tables' together.
const MEETING_COLUMNS: [&str; 8] = [
    "Quando",
    "Tipo",
    "Reunião",
    "Município",
    "Situação",
    "Instituições",
    "Ações em aberto",
    "Em atraso",
];

/// How many times `needle` stands in the page's body.
fn count(page: &Reply, needle: &str) -> usize {
    page.body.matches(needle).count()
}

#[tokio::test]
async fn operators_export_every_page_of_the_search_with_the_cpfs_the_page_shows() {
    let (t, app) = demo_app(ymd(2026, 11, 20), 0.02).await;
    let header = ["Matrícula", "Nome", "Instituição", "CPF", "Unidades"];
    let page = app
        .get_ok(
            "/operadores",
            &app.login("comite", "demo-comite-7872").await.unwrap(),
        )
        .await;
    assert_eq!(page_columns(&page, "<caption>Operadores"), header);
    // The committee sees full CPFs: the download carries them and is audited like the page.
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let page = app.get_ok("/operadores", &committee).await;
    let showing = page.body.split("Mostrando ").nth(1).unwrap();
    let total: usize = showing
        .split(" de ")
        .nth(1)
        .and_then(|s| s.split(" operadores").next())
        .map(|n| n.replace('.', "").parse().unwrap())
        .unwrap();
    assert!(total > 100, "more than one page: {total}");
    let rows = csv_rows(
        &app.get_ok("/operadores/exportar?formato=csv", &committee)
            .await,
        &header,
    );
    assert_eq!(rows.len(), total);
    assert!(rows.iter().all(|r| r[3].len() == 14 && !r[3].contains('*')));
    let audit = audit_actions(&t.db).await;
    let last = audit.last().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str()),
        ("user:comite", "operators.view_cpf")
    );
    // The search narrows the file as it narrows the page.
    let first = &rows[0];
    let found = csv_rows(
        &app.get_ok(
            &format!(
                "/operadores/exportar?formato=csv&busca={}",
                urlencode(&first[0])
            ),
            &committee,
        )
        .await,
        &header,
    );
    assert_eq!(found, vec![first.clone()]);
    // The workbook holds the same cells.
    let x = app
        .get_ok("/operadores/exportar?formato=xlsx", &committee)
        .await;
    {
        use calamine::{Data, Reader};
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
        let sheet = wb.worksheet_range("Operadores").unwrap();
        let cells: Vec<Vec<String>> = sheet
            .rows()
            .skip(1)
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => panic!("a cell that is not text: {other:?}"),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(cells, rows);
    }
    // A unit head: his unit's operators only, CPFs masked as on his page.
    let chief = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let rows = csv_rows(
        &app.get_ok("/operadores/exportar?formato=csv", &chief).await,
        &header,
    );
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[4].contains("PM-1BPM")), "{rows:?}");
    assert!(rows.iter().all(|r| r[3].starts_with("***.")), "{rows:?}");
    let page = app.get_ok("/operadores", &chief).await;
    assert_eq!(count(&page, "<code>***."), rows.len().min(100));
    // A missing or unknown format is a 400 that says what to choose.
    let r = app.get("/operadores/exportar", Some(&chief)).await;
    assert_eq!(r.status, 400);
    r.assert_has("escolha o formato do arquivo: csv ou xlsx");
    let r = app
        .get("/operadores/exportar?formato=ods", Some(&chief))
        .await;
    assert_eq!(r.status, 400);
    r.assert_has("formato `ods` inválido: esperado csv ou xlsx");
}

#[tokio::test]
async fn territories_meetings_actions_imports_and_audit_export_what_their_pages_list() {
    let (t, app) = demo_app(ymd(2026, 11, 20), 0.02).await;
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();

    let page = app
        .get_ok("/territorios?tipos=municipality", &analyst)
        .await;
    let rows = csv_rows(
        &app.get_ok(
            "/territorios/exportar?formato=csv&tipos=municipality",
            &analyst,
        )
        .await,
        &page_columns(&page, "<table data-busca=\"Buscar território\">"),
    );
    assert_eq!(rows.len(), count(&page, "<tr><td><a href=\"/territorios/"));
    assert!(rows.iter().any(|r| r[1] == "Goiânia"), "{rows:?}");

    // A partner sees the meetings and actions of his institution: the files hold those alone.
    let partner = app.login("parceiro", "demo-parceiro-7872").await.unwrap();
    let page = app.get_ok("/reunioes", &partner).await;
    let rows = csv_rows(
        &app.get_ok("/reunioes/exportar?formato=csv", &partner).await,
        &MEETING_COLUMNS,
    );
    assert!(!rows.is_empty());
    assert_eq!(rows.len(), count(&page, "<td><a href=\"/reunioes/"));
    let all = csv_rows(
        &app.get_ok("/reunioes/exportar?formato=csv", &analyst).await,
        &MEETING_COLUMNS,
    );
    assert!(all.len() > rows.len(), "{} > {}", all.len(), rows.len());
    let action_header = [
        "#",
        "Ação",
        "Operação conjunta",
        "Município",
        "Responsável",
        "Parceiras",
        "Prazo",
        "Em atraso",
        "Situação",
        "Origem",
    ];
    for situation in ["abertas", "atrasadas", "todas"] {
        let page = app
            .get_ok(&format!("/acoes?situacao={situation}"), &partner)
            .await;
        let rows = csv_rows(
            &app.get_ok(
                &format!("/acoes/exportar?formato=csv&situacao={situation}"),
                &partner,
            )
            .await,
            &action_header,
        );
        assert_eq!(
            rows.len(),
            count(&page, "<td><a href=\"/acoes/"),
            "{situation}"
        );
        for r in &rows {
            page.assert_has(&format!("<a href=\"/acoes/{}\">", r[0]));
        }
    }

    // A title that a spreadsheet would run arrives as text.
    let coordinator = app
        .login("coordenador", "demo-coordenador-7872")
        .await
        .unwrap();
    let csrf = app.csrf(&coordinator).await;
    let ssp = institution_id(&t.db, "SSP-GO").await;
    app.post_ok(
        "/reunioes",
        &coordinator,
        &format!(
            "csrf_token={csrf}&tipo=articulation&titulo={}&municipio=5208707&data=01/12/2026&inicio=09:00&fim=10:00&local=SSP&instituicao={ssp}",
            urlencode("=HYPERLINK(\"http://exemplo.invalid\";\"abrir\")")
        ),
    )
    .await;
    let r = app
        .get_ok("/reunioes/exportar?formato=csv", &coordinator)
        .await;
    r.assert_has("\"'=HYPERLINK(\"\"http://exemplo.invalid\"\";\"\"abrir\"\")\"");

    // Every import, with its counts as numbers in the workbook.
    let imports = t.db.recent_imports(1000).await.unwrap();
    let page = app.get_ok("/importacoes", &analyst).await;
    let rows = csv_rows(
        &app.get_ok("/importacoes/exportar?formato=csv", &analyst)
            .await,
        &page_columns(&page, "<caption>Importações recentes</caption>"),
    );
    assert_eq!(rows.len(), imports.len());
    assert_eq!(rows[0][0], imports[0].id.to_string());
    assert_eq!(rows[0][5], imports[0].counts.read.to_string());

    // The audit log filtered by who: every entry of that person, whatever the page's paging.
    let auditor = app.login("auditor", "demo-auditor-7872").await.unwrap();
    let rows = csv_rows(
        &app.get_ok("/auditoria/exportar?formato=csv&ator=coordenador", &auditor)
            .await,
        &page_columns(
            &app.get_ok("/auditoria", &auditor).await,
            "<table class=\"audit\"",
        ),
    );
    let expected = audit_actions(&t.db)
        .await
        .iter()
        .filter(|(actor, _, _)| actor == "user:coordenador")
        .count();
    assert_eq!(rows.len(), expected);
    assert!(
        rows.iter().all(|r| r[7].len() == 64),
        "the whole link of the chain"
    );
}

#[tokio::test]
async fn recap_exports_its_areas_and_the_units_the_requester_may_see() {
    let (_t, app) = demo_app(ymd(2026, 11, 20), 0.02).await;
    let committee = app.login("comite", "demo-comite-7872").await.unwrap();
    let page = app.get_ok("/recap?trimestre=2026-Q3", &committee).await;
    let areas = csv_rows(
        &app.get_ok(
            "/recap/exportar?formato=csv&trimestre=2026-Q3&tabela=areas",
            &committee,
        )
        .await,
        &[
            "Área",
            "Nome",
            "Tipo",
            "População",
            "Crimes (base → trimestre)",
            "Índice base",
            "Índice",
            "Redução",
            "Nível",
            "Motivos",
            "O que faltou",
            "p",
            "Razão de taxas IC95%",
            "Redução dentro do acaso",
            "Base foi um pico",
            "Avisos",
        ],
    );
    assert!(!areas.is_empty());
    for a in &areas {
        page.assert_has(&format!(
            "<tr><th scope=\"row\">{}<br><small>{}</small>",
            a[0], a[1]
        ));
        page.assert_has(&format!(
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            a[5], a[6], a[7]
        ));
    }
    let unit_header = [
        "Unidade",
        "Nome",
        "Áreas",
        "Índice base",
        "Índice",
        "Redução (%)",
        "Nível",
        "Motivos",
        "O que faltou",
    ];
    let url = "/recap/exportar?formato=csv&trimestre=2026-Q3&tabela=unidades";
    let all = csv_rows(&app.get_ok(url, &committee).await, &unit_header);
    assert!(all.len() > 1);
    let chief = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let mine = csv_rows(&app.get_ok(url, &chief).await, &unit_header);
    let expected: Vec<Vec<String>> = all.into_iter().filter(|u| u[0] == "PM-1BPM").collect();
    assert_eq!(mine, expected);
    let r = app
        .get(
            "/recap/exportar?formato=csv&trimestre=2026-Q3&tabela=pessoas",
            Some(&chief),
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_has("tabela `pessoas` inválida: esperado areas ou unidades");
}
