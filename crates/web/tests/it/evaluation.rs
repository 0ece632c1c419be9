//! The evaluation page (igesp.md §6) over HTTP on both backends: the hand-made fixture
//! `fixtures/evaluation`, imported through the real importers, gives on the page and in its CSV the
//! numbers `atalaia evaluate` gives (worked by hand in `crates/atalaia/tests/cli.rs`), and bad input is
//! a 400 that says what was expected.

use super::*;
use atalaia_store::per_backend;

/// Two CSV texts with the same rows and fields: numbers within 1e-12 (SciPy's p-values against our
/// log-space sums, which agree to ~1e-15), other text equal.
fn same_csv(got: &str, expected: &str) {
    let (g, e): (Vec<&str>, Vec<&str>) = (got.lines().collect(), expected.lines().collect());
    assert_eq!(g.len(), e.len(), "{got}");
    for (gl, el) in g.iter().zip(&e) {
        let (gf, ef): (Vec<&str>, Vec<&str>) = (gl.split(',').collect(), el.split(',').collect());
        assert_eq!(gf.len(), ef.len(), "{gl} vs {el}");
        for (a, b) in gf.iter().zip(&ef) {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!((x - y).abs() < 1e-12, "{gl} vs {el}"),
                _ => assert_eq!(a, b, "{gl} vs {el}"),
            }
        }
    }
}

/// The CSV `atalaia evaluate --format csv --area INT1 --start 2024-03-01 --months 2 --control CTRL1
/// --crimes roubo_transeunte` prints (crates/atalaia/tests/cli.rs): T 9 → 3 (p = 598/4096), D 2 → 5
/// (p = 58/128), C 10 → 12 (SciPy `binomtest(12, 22)`), WDQ = −1/3, WDD = −7, SE = √63, z = −7/√63.
const CLI_CSV: &str = "row,code,before,after,change_pct,p_value,value\n\
    target,INT1,9,3,-66.66666666666666,0.14599609375,\n\
    buffer,,2,5,150,0.453125,\n\
    control,CTRL1,10,12,20,0.8318119049072266,\n\
    wdq,,,,,,-0.3333333333333333\n\
    wdd,,,,,,-7\n\
    wdd_se,,,,,,7.937253933193772\n\
    wdd_z,,,,,,-0.8819171036881969\n";

async fn import_fixture(db: &atalaia_store::Db) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evaluation");
    for (kind, file) in [
        (atalaia_ingest::Kind::Territories, "territorios.geojson"),
        (atalaia_ingest::Kind::Occurrences, "ocorrencias.csv"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let today = ymd(2024, 6, 1);
        import_text(db, kind, file, &text, today).await;
    }
}

per_backend! {
    async fn evaluation_page_gives_the_cli_numbers(t) {
        import_fixture(&t.db).await;
        let config = WebConfig {
            clock: atalaia_web::Clock::fixed(
                ymd(2024, 6, 1)
                    .and_hms_opt(15, 0, 0)
                    .unwrap(),
            ),
            ..test_config()
        };
        let app = App::new(t.db.clone(), config).await;
        let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
        let qs = "area=INT1&inicio=2024-03-01&meses=2&controle=CTRL1&crime=roubo_transeunte";

        // The CSV is the CLI's (its test checks the same expected text the same way).
        let r = app
            .get(&format!("/avaliacao/resultado.csv?{qs}"), Some(&cookie))
            .await;
        assert_eq!(r.status, 200, "{}: {}", t.label, r.body);
        same_csv(&r.body, CLI_CSV);
        assert!(
            r.headers[axum::http::header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("avaliacao-INT1-2024-03-01-2m.csv")
        );

        // The page shows the same numbers, in pt-BR.
        let r = app.get(&format!("/avaliacao?{qs}"), Some(&cookie)).await;
        assert_eq!(r.status, 200, "{}: {}", t.label, r.body);
        let body = &r.body;
        for expected in [
            "<td class=\"num\">9</td><td class=\"num\">3</td><td class=\"num\">-66,7 %</td><td class=\"num\">0,1460</td>",
            "<td class=\"num\">2</td><td class=\"num\">5</td><td class=\"num\">+150,0 %</td><td class=\"num\">0,4531</td>",
            "<td class=\"num\">10</td><td class=\"num\">12</td><td class=\"num\">+20,0 %</td><td class=\"num\">0,8318</td>",
            "<tr><th scope=\"row\">WDQ</th><td class=\"num\">-0,333</td></tr>",
            "<td class=\"num\">-7 ± 7,94</td>",
            "<tr><th scope=\"row\">z do WDD</th><td class=\"num\">-0,88</td></tr>",
            "Antes: 01/01/2024 a 29/02/2024",
            "Depois: 01/03/2024 a 30/04/2024",
            "Na área de intervenção a variação foi de -66,7 % (p = 0,1460): dentro do que o acaso explica.",
            "data-start=\"2\"",
            "<script src=\"/static/evaluation.js\"></script>",
        ] {
            assert!(body.contains(expected), "{}: missing {expected}", t.label);
        }
        // The download link carries the same choices (`&` HTML-escaped in the attribute).
        assert!(
            body.replace("&#38;", "&").replace("&amp;", "&").contains(
                "href=\"/avaliacao/resultado.csv?area=INT1&inicio=2024-03-01&meses=2&controle=CTRL1&crime=roubo_transeunte\""
            ),
            "{}",
            t.label
        );
        // The chart's series: T, D, C month by month (Jan–Apr 2024), as the CLI's `monthly`.
        assert!(
            body.contains("[4,5,2,1]") && body.contains("[1,1,2,3]") && body.contains("[5,5,6,6]"),
            "{}",
            t.label
        );

        // Without a control: the rest of MUN1 (8 → 8), every crime (T 9 → 5), as the CLI.
        let r = app.get_ok("/avaliacao?area=INT1&inicio=2024-03-01&meses=2", &cookie).await;
        assert!(r.body.contains("restante de MUN1 — Município de teste"));
        assert!(
            r.body
                .contains("<tr><th scope=\"row\">WDQ</th><td class=\"num\">-0,750</td></tr>")
        );
        assert!(r.body.contains("<td class=\"num\">-1 ± 7,28</td>"));

        // A link with only the area opens the form with the area chosen, no error.
        let r = app.get_ok("/avaliacao?area=INT1", &cookie).await;
        assert!(r.body.contains("<option value=\"INT1\" selected>"));
        assert!(!r.body.contains("role=\"alert\""));
        // The intervention area's page links to it.
        let r = app.get("/territorios/INT1", Some(&cookie)).await;
        r.assert_has("href=\"/avaliacao?area=INT1\"");

        // Bad input: 400 and a message that names the value and what was expected.
        for (query, message) in [
            ("inicio=2024-03-01&meses=2", "escolha a área a avaliar"),
            (
                "area=INT1&inicio=2024-03-01&meses=0",
                "número de meses `0` inválido: esperado um número inteiro de 1 a 36",
            ),
            (
                "area=INT1&inicio=01/13/2024&meses=2",
                "data de início `01/13/2024` inválida:",
            ),
            (
                "area=INT1&inicio=2024-03-01&entorno=-5",
                "largura do entorno `-5` inválida: esperado um número de metros maior que 0 e até 10000",
            ),
            (
                "area=INT1&inicio=2024-03-01&meses=2&controle=INT1",
                "a área de controle `INT1` é a própria área avaliada: escolha outra",
            ),
            (
                "area=INT1&inicio=2024-03-01&meses=2&crime=arrastao",
                "crime desconhecido: `arrastao`",
            ),
            (
                "area=INT1&inicio=2024-05-01&meses=2",
                "o período depois termina em 2024-06-30, depois de hoje (2024-06-01)",
            ),
            (
                "area=SEMGEO&inicio=2024-03-01&meses=2&controle=CTRL1",
                "a área `SEMGEO` não tem polígono",
            ),
        ] {
            let r = app.get(&format!("/avaliacao?{query}"), Some(&cookie)).await;
            assert_eq!(r.status, 400, "{}: {query}: {}", t.label, r.body);
            assert!(
                r.body.contains(message),
                "{}: {query}: missing {message}",
                t.label
            );
            let r = app
                .get(&format!("/avaliacao/resultado.csv?{query}"), Some(&cookie))
                .await;
            assert_eq!(r.status, 400, "{}: csv {query}", t.label);
        }
        // A partner may not evaluate.
        let partner = app.login("parceiro", "demo-parceiro-7872").await.unwrap();
        assert_eq!(
            app.get(&format!("/avaliacao?{qs}"), Some(&partner))
                .await
                .status,
            403
        );
        t.cleanup().await.unwrap();
    }
}
