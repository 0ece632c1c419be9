//! Numbers that agree (issue 20): a state's occurrences are counted in its municipalities, so every
//! page that shows a state shows their sum — the territory page's chart and population, and an
//! evaluation that takes the state as its control or the rest of it — and the home page.
//!
//! The data set is written here and worked by hand: state XX with municipalities M1 (west) and M2
//! (east), the AISP A1 inside M1 and the intervention area I1 inside M2, drawn in the state (its
//! parent is XX).
//! - Occurrences given by municipality (no coordinates): M1 3 in Sep 2026; M2 2 in Sep and 1 in Oct.
//! - Occurrences with coordinates in I1 (so in M2): 1 in Aug, 2 in Sep.
//! - Aggregated counts: M2 4 in Aug 2026.
//! - Population: M1 900 (2025), 1 000 (2026); M2 2 400 (2025), 2 500 (2026).
//!
//! So XX has 5 occurrences in Aug, 7 in Sep, 1 in Oct 2026, and 3 300 and 3 500 inhabitants; the rest
//! of XX without I1 has 4 in Aug and 5 in Sep.

use super::*;
use atalaia_ingest::Kind;
use atalaia_store::per_backend;

fn square(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{min_lon},{min_lat}],[{max_lon},{min_lat}],[{max_lon},{max_lat}],[{min_lon},{max_lat}],[{min_lon},{min_lat}]]]}}"#
    )
}

fn feature(code: &str, name: &str, kind: &str, parent: &str, geometry: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"code":"{code}","name":"{name}","kind":"{kind}","parent":"{parent}"}},"geometry":{geometry}}}"#
    )
}

async fn import_state(db: &atalaia_store::Db, today: chrono::NaiveDate) {
    let features = [
        feature(
            "XX",
            "Estado de teste",
            "state",
            "",
            &square(-50.0, -17.0, -48.0, -15.0),
        ),
        feature(
            "M1",
            "Oeste",
            "municipality",
            "XX",
            &square(-50.0, -17.0, -49.0, -15.0),
        ),
        feature(
            "M2",
            "Leste",
            "municipality",
            "XX",
            &square(-49.0, -17.0, -48.0, -15.0),
        ),
        feature(
            "A1",
            "AISP de teste",
            "aisp",
            "M1",
            &square(-49.8, -16.2, -49.6, -16.0),
        ),
        feature(
            "I1",
            "Intervenção",
            "intervention",
            "XX",
            &square(-48.8, -16.2, -48.6, -16.0),
        ),
    ];
    let territories = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    import_text(
        db,
        Kind::Territories,
        "territorios.geojson",
        &territories,
        today,
    )
    .await;
    let population =
        "territory_code,year,population\nM1,2025,900\nM1,2026,1000\nM2,2025,2400\nM2,2026,2500\n";
    import_text(db, Kind::Population, "populacao.csv", population, today).await;
    let occurrences = "id,occurred_at,crime,territory_code\n\
        E-1,2026-09-02T10:00,roubo_veiculo,M1\n\
        E-2,2026-09-03T10:00,roubo_veiculo,M1\n\
        E-3,2026-09-04T10:00,furto_veiculo,M1\n\
        E-4,2026-09-05T10:00,roubo_veiculo,M2\n\
        E-5,2026-09-06T10:00,roubo_veiculo,M2\n\
        E-6,2026-10-07T10:00,roubo_veiculo,M2\n";
    let located = "id,occurred_at,crime,lat,lon\n\
        G-1,2026-08-10T10:00,roubo_veiculo,-16.1,-48.7\n\
        G-2,2026-09-10T10:00,roubo_veiculo,-16.1,-48.7\n\
        G-3,2026-09-11T10:00,furto_veiculo,-16.1,-48.7\n";
    import_text(
        db,
        Kind::Occurrences,
        "georreferenciadas.csv",
        located,
        today,
    )
    .await;
    import_text(db, Kind::Occurrences, "ocorrencias.csv", occurrences, today).await;
    let counts = "territory_code,month,crime,count\nM2,2026-08,roubo_veiculo,4\n";
    import_text(db, Kind::Counts, "contagens.csv", counts, today).await;
}

per_backend! {
    async fn a_state_counts_what_its_municipalities_count(t) {
        let today = ymd(2026, 11, 15);
        import_state(&t.db, today).await;
        let config = WebConfig {
            clock: atalaia_web::Clock::fixed(today.and_hms_opt(15, 0, 0).unwrap()),
            ..test_config()
        };
        let app = App::new(t.db.clone(), config).await;
        let cookie = app.login("analista", "demo-analista-7872").await.unwrap();

        // The territory page's 24 months end with Oct 2026: Aug 5, Sep 7, Oct 1, the rest nothing.
        let page = app.get_ok("/territorios/XX", &cookie).await;
        let months = format!("[{}5,7,1]", "0,".repeat(21));
        assert!(page.body.contains(&format!("data-values=\"{months}\"")), "{}: {}", t.label, page.body);
        for row in ["<tr><td>2025</td><td class=\"num\">3.300</td></tr>", "<tr><td>2026</td><td class=\"num\">3.500</td></tr>"] {
            assert!(page.body.contains(row), "{}: {row}", t.label);
        }
        assert!(!page.body.contains("Sem população cadastrada"));
        // The home page's line for XX says the same, month by month from Oct 2025.
        let home = app.get_ok("/", &cookie).await;
        let series = format!("de out/2025 a out/2026: {}5, 7, 1", "0, ".repeat(10));
        assert!(home.body.contains(&series), "{}: {series}: {}", t.label, home.body);

        // An evaluation of A1 with the state as its control: C counts Aug (5) before and Sep (7) after.
        let page = app
            .get_ok("/avaliacao?area=A1&inicio=2026-09-01&meses=1&controle=XX", &cookie)
            .await;
        let control = |name: &str, before: u32, after: u32| {
            format!("{name}</td><td class=\"num\">{before}</td><td class=\"num\">{after}</td>")
        };
        let chosen = control("XX — Estado de teste", 5, 7);
        assert!(page.body.contains(&chosen), "{}: {chosen}: {}", t.label, page.body);
        // I1 against the rest of the state it was drawn in: T 1 → 2, C 4 → 5 (I1's own taken out).
        let page = app
            .get_ok("/avaliacao?area=I1&inicio=2026-09-01&meses=1", &cookie)
            .await;
        let rest = control("restante de XX — Estado de teste", 4, 5);
        assert!(page.body.contains(&rest), "{}: {rest}: {}", t.label, page.body);
    }
}

/// Every area of the RECAP page left without a level says, beside the "—", how far it fell short of
/// RECAP2's 10 %: its own reduction, and 10 minus it in percentage points.
#[tokio::test]
async fn an_area_without_a_level_says_how_far_it_fell_short() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let cookie = app.login("comite", "demo-comite-7872").await.unwrap();
    let page = app.get_ok("/recap?trimestre=2026-Q3", &cookie).await;
    // The quarter in words in text, short in the form and charts, never as its code.
    for words in [
        "value=\"3T2026\"",
        "Base de comparação: 3º trimestre de 2025",
        "Abrir o ciclo do 3º trimestre de 2026",
    ] {
        assert!(page.body.contains(words), "{words}");
    }
    let table = page.body.split("<caption>Áreas:").nth(1).unwrap();
    let table = table.split("</table>").next().unwrap();
    assert!(shortfalls_checked(table, 4) > 0, "{table}");
    // So does every unit without a level (Art. 7: its areas' mean), in the units' table.
    let units = page
        .body
        .split("<caption>Unidades (Art. 7)")
        .nth(1)
        .unwrap();
    let units = units.split("</table>").next().unwrap();
    assert!(shortfalls_checked(units, 3) > 0, "{units}");
    // The chart begins with the first quarter the data cover whole: the demo's records begin within
    // a quarter, after its first month, and that quarter's one or two months are not a fall.
    let months: std::collections::BTreeSet<String> =
        t.db.monthly_totals(ymd(2015, 1, 1), today)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.occurrences > 0)
            .map(|m| m.month)
            .collect();
    let first_month = months.iter().next().unwrap().clone();
    let (year, month): (i32, u32) = (
        first_month[..4].parse().unwrap(),
        first_month[5..7].parse().unwrap(),
    );
    let (qy, qn) = match (month - 1) % 3 {
        0 => (year, (month - 1) / 3 + 1),
        _ if month >= 10 => (year + 1, 1),
        _ => (year, (month - 1) / 3 + 2),
    };
    let labels = page.body.split("data-labels=\"").nth(1).unwrap();
    assert!(
        labels.starts_with(&format!("[&#34;{qn}T{qy}&#34;")),
        "data from {first_month}: {}",
        &labels[..40]
    );
    // The quarter as charts and people write it opens the same quarter.
    for form in [
        "3T2026",
        "3%C2%BA%20tri%2F2026",
        "3%C2%BA%20trimestre%20de%202026",
    ] {
        let other = app
            .get_ok(&format!("/recap?trimestre={form}"), &cookie)
            .await;
        let other = other.body.split("<caption>Áreas:").nth(1).unwrap();
        assert_eq!(other.split("</table>").next().unwrap(), table, "{form}");
    }
    t.cleanup().await.unwrap();
}

/// Checks every row of a RECAP table without a level (and with a reduction) against RECAP2's 10 %:
/// beside the "—", 10 minus the reduction read in its `column`-th number cell ("6,53%", "-11,12").
/// Returns how many rows it checked.
fn shortfalls_checked(table: &str, column: usize) -> usize {
    let mut checked = 0;
    for row in table.split("<tr>").skip(2) {
        if !row.contains("<strong>—</strong>") || row.contains("indefinida") {
            continue;
        }
        checked += 1;
        let cells: Vec<&str> = row.split("<td class=\"num\">").collect();
        let reduction: f64 = cells[column]
            .split(['%', '<'])
            .next()
            .unwrap()
            .replace(',', ".")
            .parse()
            .unwrap();
        let gap = format!("{:.2}", 10.0 - reduction).replace('.', ",");
        assert!(
            row.contains(&format!("faltaram {gap} p.p. para o RECAP2 (Art. 6)")),
            "{reduction}: {row}"
        );
    }
    checked
}

/// The unit head's home page says where his unit stands in the RECAP of the last whole quarter (3rd
/// of 2026 on 20 Nov 2026), with the level and reduction the store's own calculation gives it.
#[tokio::test]
async fn a_unit_head_finds_his_units_standing_on_the_home_page() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.1).await;
    let q = atalaia_core::Quarter::parse("2026-Q3").unwrap();
    let computed = t.db.compute_quarter(q, None, today).await.unwrap();
    let unit = computed
        .report
        .units
        .iter()
        .find(|u| u.code == "PM-1BPM")
        .unwrap();
    let level = match unit.level {
        Some(atalaia_core::recap::Level::Recap1) => "RECAP1",
        Some(atalaia_core::recap::Level::Recap2) => "RECAP2",
        None => "sem nível",
    };
    // At a tenth of the demo the 1st BPM's crimes rose: no level, and how far RECAP2 was.
    assert_eq!(unit.level, None, "the case this test is about");
    let reduction = match (unit.reduction_pct, unit.level) {
        (Some(r), None) => format!(
            "{} — faltaram {} p.p. para o RECAP2 (Art. 6)",
            if r < 0.0 {
                format!("aumento de {:.2} %", -r)
            } else {
                format!("redução de {:.2} %", r)
            }
            .replace('.', ","),
            format!("{:.2}", 10.0 - r).replace('.', ",")
        ),
        (Some(r), Some(_)) => format!("redução {:.2} %", r).replace('.', ","),
        (None, _) => "redução indefinida, base zero".into(),
    };
    let cookie = app.login("chefe1bpm", "demo-chefe-7872").await.unwrap();
    let home = app.get_ok("/", &cookie).await;
    let line = format!(
        "(PM-1BPM) no 3º trimestre de 2026: {level} — {reduction} (cálculo com os dados de hoje, ainda não publicado)."
    );
    assert!(home.body.contains(&line), "{line}: {}", home.body);
    // Before the committee opens the quarter's cycle his exclusion list cannot be sent: it says so
    // above the list, and its boxes and reasons are disabled rather than editable for nothing.
    let page = app.get_ok("/recap/unidade", &cookie).await;
    let section = page
        .body
        .split("id=\"recap-lista-fechada-PM-1BPM\"")
        .nth(1)
        .unwrap();
    assert!(
        section.starts_with(">O Comitê ainda não abriu o ciclo"),
        "{section}"
    );
    let list = section.split("</table>").next().unwrap();
    assert!(
        list.contains("value=\"sim\" aria-label=\"Excluir "),
        "{list}"
    );
    assert_eq!(
        list.matches("type=\"checkbox\"").count(),
        list.matches(" disabled>").count() / 2,
        "every box and every reason disabled: {list}"
    );
    // Nobody else gets the section.
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    assert!(!app.get_ok("/", &analyst).await.body.contains("Sua unidade"));
    t.cleanup().await.unwrap();
}

per_backend! {
    /// The CompStat brief of state XX on 15 Nov 2026, worked by hand: the year to date holds the
    /// nine occurrences of Aug–Oct 2026 (the monthly total of M2 has no days and stays out) against
    /// three of 2025 (two vehicle robberies on 10 Nov, a vehicle theft on 1 Oct); the last 7 days hold
    /// none against the two of 8–14 Nov 2025. p-values from the binomial at ½: 2·299/4096 = 0,146 for
    /// 9 against 3, 2·46/512 = 0,180 for 7 against 2, 1 for 2 against 1, ½ for 0 against 2.
    async fn the_compstat_brief_reads_each_change_against_chance(t) {
        let today = ymd(2026, 11, 15);
        import_state(&t.db, today).await;
        let earlier = "id,occurred_at,crime,territory_code\n\
            A-1,2025-11-10T10:00,roubo_veiculo,M1\n\
            A-2,2025-11-10T11:00,roubo_veiculo,M1\n\
            A-3,2025-10-01T10:00,furto_veiculo,M2\n";
        import_text(&t.db, Kind::Occurrences, "anteriores.csv", earlier, today).await;
        let config = WebConfig {
            clock: atalaia_web::Clock::fixed(today.and_hms_opt(15, 0, 0).unwrap()),
            ..test_config()
        };
        let app = App::new(t.db.clone(), config).await;
        let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
        let page = app.get_ok("/compstat?area=XX", &cookie).await.body;
        let windows: Vec<&str> = page.split("<h3>").skip(1).collect();
        assert_eq!(windows.len(), 4, "{}: {page}", t.label);
        let row = |name: &str, now: &str, before: &str, change: &str, reading: &str| {
            format!("{name}</td><td class=\"num\">{now}</td><td class=\"num\">{before}</td><td class=\"num\">{change}</td><td class=\"reading\">{reading}</td>")
        };
        assert!(windows[0].starts_with("Últimos 7 dias"));
        assert!(windows[0].contains("08/11/2026 a 14/11/2026, contra 08/11/2025 a 14/11/2025"));
        assert!(windows[0].contains(&row("Roubo de veículo", "0", "2", "-100,0 %", "queda de 100,0 % — dentro do que o acaso explica (p = 0,500)")), "{}: {}", t.label, windows[0]);
        assert!(windows[2].starts_with("Ano até ontem"));
        for expected in [
            row("Furto de veículo", "2", "1", "+100,0 %", "aumento de 100,0 % — dentro do que o acaso explica (p = 1,000)"),
            row("Roubo de veículo", "7", "2", "+250,0 %", "aumento de 250,0 % — dentro do que o acaso explica (p = 0,180)"),
            "Total</th><td class=\"num\"><strong>9</strong></td><td class=\"num\">3</td><td class=\"num\">+200,0 %</td><td class=\"reading\">aumento de 200,0 % — dentro do que o acaso explica (p = 0,146)</td>".to_string(),
        ] {
            assert!(windows[2].contains(&expected), "{}: {expected}: {}", t.label, windows[2]);
        }
        let pdf = app.get_ok("/compstat.pdf?area=XX", &cookie).await;
        assert!(pdf.bytes.starts_with(b"%PDF-"), "{}", t.label);
        let missing = app.get("/compstat?area=NADA", Some(&cookie)).await;
        assert_eq!(missing.status, 404, "{}", t.label);
    }
}

/// The territory list gives each area's population with its year: "638.832 (2026)", the number in
/// thousands and the year it is of, as the store holds them.
#[tokio::test]
async fn the_territory_list_reads_population_then_year() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let (year, population) = t.db.population_for("AIS8", 2026).await.unwrap().unwrap();
    let cookie = app.login("analista", "demo-analista-7872").await.unwrap();
    let page = app.get_ok("/territorios", &cookie).await;
    let row = page
        .body
        .split("href=\"/territorios/AIS8\"")
        .nth(1)
        .unwrap();
    let row = row.split("</tr>").next().unwrap();
    // Digits in threes from the right, joined by dots (pt-BR).
    let digits = population.to_string();
    let grouped: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let expected = format!("<td class=\"num\">{} ({year})</td>", grouped.join("."));
    assert!(row.contains(&expected), "{expected}: {row}");
    t.cleanup().await.unwrap();
}
