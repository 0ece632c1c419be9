//! `atalaia evaluate` gives the hand-worked example.

use super::*;

/// `evaluate` (igesp.md §6, contracts.md §3) on the hand-made fixture `fixtures/evaluation` (made by
/// `scripts/fixtures/evaluation_fixture.py`), imported through the real importers: MUN1, a 10 km square;
/// INT1, a 1 km square inside it (its child); CTRL1 outside; occurrences at known distances from INT1.
///
/// Counted by hand from the script's lists, robberies (`roubo_transeunte`) only, start 2024-03-01, N = 2
/// (before = Jan–Feb 2024, after = Mar–Apr 2024):
/// - T (INT1, aggregate): before 8 geocoded + 1 given by `territory_code` = 9; after 3. The December
///   one is outside the window; the two thefts are not robberies.
/// - D (the 500 m ring, geocoded): before 2 (100 m east, 300 m south); after 5 (400 m west, 499 m north,
///   400 m off the NE corner on the diagonal, 250 m east, 70.7 m off the SW corner). Not in D: 520 m east
///   and 565.7 m off the NE corner (inside a square buffer, outside the round one), the one of May.
/// - C (CTRL1): before 5 + 5 = 10; after 6 + 6 = 12. C′ = C.
///
/// WDQ = (5/12 − 2/10) / (3/12 − 9/10) = (13/60) / (−13/20) = −1/3.
/// WDD = (3 − 9) − (12 − 10) + (5 − 2) − (12 − 10) = −6 − 2 + 3 − 2 = −7;
/// SE = √(9 + 3 + 10 + 12 + 2 + 5 + 10 + 12) = √63 = 7.937253933193772; z = −7/√63 = −0.8819171036881969.
/// Exact two-sided p of "no change" (x_a ~ Binomial(x_b + x_a, 1/2)), by hand and equal to SciPy 1.17.1's
/// `binomtest(after, before + after, 0.5).pvalue`:
/// T: 2·(1 + 12 + 66 + 220)/4096 = 598/4096 = 0.14599609375; D: 2·(21 + 7 + 1)/128 = 0.453125;
/// C: binomtest(12, 22) = 0.8318119049072266.
#[test]
fn evaluate_gives_the_hand_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evaluation");
    for f in ["territorios.geojson", "ocorrencias.csv"] {
        std::fs::copy(fixtures.join(f), dir.path().join(f)).unwrap();
    }
    for (kind, file) in [
        ("territories", "territorios.geojson"),
        ("occurrences", "ocorrencias.csv"),
    ] {
        succeeds(dir.path(), &["import", kind, file]);
    }
    let evaluate = |args: &[&str], format: &str| {
        let mut all = vec!["--format", format, "evaluate"];
        all.extend_from_slice(args);
        atalaia(dir.path()).args(all).output().unwrap()
    };
    let json = |args: &[&str]| -> serde_json::Value {
        let out = evaluate(args, "json");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let close = |v: &serde_json::Value, x: f64| {
        let got = v.as_f64().unwrap_or(f64::NAN);
        assert!((got - x).abs() < 1e-12, "{got} vs {x}");
    };
    let v = json(&words(
        "--area INT1 --start 2024-03-01 --months 2 --control CTRL1 --crimes roubo_transeunte",
    ));
    assert_eq!(v["area"], "INT1");
    assert_eq!(
        (
            v["before"].clone(),
            v["after"].clone(),
            v["transition"].clone()
        ),
        (
            serde_json::json!({"from": "2024-01-01", "to": "2024-02-29"}),
            serde_json::json!({"from": "2024-03-01", "to": "2024-04-30"}),
            serde_json::Value::Null
        )
    );
    for (key, before, after, p) in [
        ("target", 9, 3, 0.14599609375),
        ("buffer", 2, 5, 0.453125),
        ("control", 10, 12, 0.831_811_904_907_226_6),
    ] {
        assert_eq!(
            (v[key]["before"].as_u64(), v[key]["after"].as_u64()),
            (Some(before), Some(after)),
            "{key}"
        );
        close(&v[key]["p_value"], p);
        close(
            &v[key]["change_pct"],
            (after as f64 - before as f64) / before as f64 * 100.0,
        );
    }
    close(&v["wdq"], -1.0 / 3.0);
    close(&v["wdd"], -7.0);
    close(&v["wdd_se"], 7.937_253_933_193_772);
    close(&v["wdd_z"], -0.881_917_103_688_196_9);
    assert_eq!(v["buffer_m"], 500.0);
    assert_eq!(v["control_area"]["code"], "CTRL1");
    assert_eq!(v["control_area"]["rule"], "chosen");
    assert!(v["control_buffer"].is_null());
    assert_eq!(v["crimes"], serde_json::json!(["roubo_transeunte"]));
    assert!(
        v["verdict"]
            .as_str()
            .unwrap()
            .starts_with("Nem a área nem o saldo com o entorno e o controle mudaram além do acaso: nenhum efeito demonstrado. \
                Na área de intervenção a variação foi de -66,7 % (p = 0,1460): dentro do que o acaso explica."),
        "{}",
        v["verdict"]
    );
    // Month by month (the chart): T, D and C.
    let monthly: Vec<(String, i64, i64, i64)> = v["monthly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["target"].as_i64().unwrap(),
                m["buffer"].as_i64().unwrap(),
                m["control"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        monthly,
        [
            ("2024-01".to_string(), 4, 1, 5),
            ("2024-02".to_string(), 5, 1, 5),
            ("2024-03".to_string(), 2, 2, 6),
            ("2024-04".to_string(), 1, 3, 6),
        ]
    );

    // The buffer's control apart: C′ = MUN1's whole aggregate of robberies, before 8 (T, geocoded) +
    // 1 (AV-013, given as INT1 and so in INT1's municipality too) + 2 (ring) + 1 (520 m) +
    // 6 (elsewhere) + 1 (AV-039, given as MUN1) = 19, after 3 + 5 + 1 + 7 = 16.
    // WDD = −6 − 2 + 3 − (16 − 19) = −2; SE = √(9 + 3 + 10 + 12 + 2 + 5 + 19 + 16) = √76; z = −2/√76.
    let v = json(&words(
        "--area INT1 --start 2024-03-01 --months 2 --control CTRL1 --control-buffer MUN1 --crimes roubo_transeunte",
    ));
    assert_eq!(
        v["control_buffer"],
        serde_json::json!({"code": "MUN1", "name": "Município de teste", "before": 19, "after": 16})
    );
    close(&v["wdd"], -2.0);
    close(&v["wdd_se"], 8.717_797_887_081_348);
    close(&v["wdd_z"], -0.229_415_733_870_561_74);
    close(&v["wdq"], -1.0 / 3.0);

    // Every crime, no control given: C is the rest of INT1's parent MUN1 — its aggregate minus its
    // occurrences in INT1 or in the ring. Before: 18 − 8 − 2 = 8 (the 520 m one, six elsewhere, the one
    // without coordinates); after: (3 + 2 thefts + 5 + 1 + 7) − 5 − 5 = 8. T = (9, 5), D = (2, 5).
    // WDQ = (5/8 − 2/8) / (5/8 − 9/8) = −0.75; WDD = (5 − 9) − 0 + (5 − 2) − 0 = −1;
    // SE = √(9 + 5 + 8 + 8 + 2 + 5 + 8 + 8) = √53 = 7.280109889280518; z = −0.13736056394868904.
    // p: T = binomtest(5, 14) = 0.4239501953125 (2·(1 + 14 + 91 + 364 + 1001 + 2002)/16384), C = 1.
    let v = json(&words("--area INT1 --start 2024-03-01 --months 2"));
    assert_eq!(v["control_area"]["code"], "MUN1");
    assert_eq!(v["control_area"]["rule"], "rest_of_parent");
    assert_eq!(
        (
            v["target"]["before"].as_u64(),
            v["target"]["after"].as_u64()
        ),
        (Some(9), Some(5))
    );
    assert_eq!(
        (
            v["buffer"]["before"].as_u64(),
            v["buffer"]["after"].as_u64()
        ),
        (Some(2), Some(5))
    );
    assert_eq!(
        (
            v["control"]["before"].as_u64(),
            v["control"]["after"].as_u64()
        ),
        (Some(8), Some(8))
    );
    close(&v["target"]["p_value"], 0.423_950_195_312_5);
    close(&v["control"]["p_value"], 1.0);
    close(&v["control"]["change_pct"], 0.0);
    close(&v["wdq"], -0.75);
    close(&v["wdd"], -1.0);
    close(&v["wdd_se"], 7.280_109_889_280_518);
    close(&v["wdd_z"], -0.137_360_563_948_689_04);
    assert_eq!(v["crimes"], serde_json::json!([]));

    // A start in mid-month: March is left out of both; before = February, after = April.
    // T = (4 + 1, 1), D = (1, 3), C = (5, 6).
    let v = json(&words(
        "--area INT1 --start 2024-03-15 --months 1 --control CTRL1 --crimes roubo_transeunte",
    ));
    assert_eq!(
        v["before"],
        serde_json::json!({"from": "2024-02-01", "to": "2024-02-29"})
    );
    assert_eq!(
        v["after"],
        serde_json::json!({"from": "2024-04-01", "to": "2024-04-30"})
    );
    assert_eq!(
        v["transition"],
        serde_json::json!({"from": "2024-03-01", "to": "2024-03-31"})
    );
    for (key, before, after) in [("target", 5, 1), ("buffer", 1, 3), ("control", 5, 6)] {
        assert_eq!(
            (v[key]["before"].as_u64(), v[key]["after"].as_u64()),
            (Some(before), Some(after)),
            "{key}"
        );
    }
    // binomtest(1, 6) = 0.21875 = 2·(1 + 6)/64.
    close(&v["target"]["p_value"], 0.21875);

    // CSV and the table.
    let out = evaluate(
        &words(
            "--area INT1 --start 2024-03-01 --months 2 --control CTRL1 --crimes roubo_transeunte",
        ),
        "csv",
    );
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8(out.stdout).unwrap();
    // Field by field: text equal, numbers within 1e-12 (the p-values are SciPy's; ours come from a
    // log-space sum that agrees to ~1e-15, and the CSV writes them unrounded).
    same_csv(
        &csv,
        "row,code,before,after,change_pct,p_value,value\n\
         target,INT1,9,3,-66.66666666666666,0.14599609375,\n\
         buffer,,2,5,150,0.453125,\n\
         control,CTRL1,10,12,20,0.8318119049072266,\n\
         wdq,,,,,,-0.3333333333333333\n\
         wdd,,,,,,-7\n\
         wdd_se,,,,,,7.937253933193772\n\
         wdd_z,,,,,,-0.8819171036881969\n",
    );
    let out = evaluate(
        &words("--area INT1 --start 2024-03-01 --months 2 --control CTRL1"),
        "table",
    );
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("antes:  01/01/2024 a 29/02/2024"), "{table}");
    assert!(table.contains("WDQ: "), "{table}");

    // Bad input: exit 2 and one line saying what was expected.
    for (args, message) in [
        (
            vec!["--area", "INT1", "--start", "2024-03-01", "--months", "0"],
            "erro: --months `0` inválido: esperado um número inteiro de 1 a 36",
        ),
        (
            vec!["--area", "INT1", "--start", "2024-13-01", "--months", "2"],
            "erro: --start `2024-13-01` inválido:",
        ),
        (
            vec![
                "--area",
                "INT1",
                "--start",
                "2024-03-01",
                "--months",
                "2",
                "--buffer-m",
                "-10",
            ],
            "erro: --buffer-m `-10` inválido: esperado um número de metros maior que 0 e até 10000",
        ),
        (
            vec!["--area", "NADA", "--start", "2024-03-01", "--months", "2"],
            "erro: área desconhecida: `NADA`",
        ),
        (
            vec![
                "--area",
                "INT1",
                "--start",
                "2024-03-01",
                "--months",
                "2",
                "--control",
                "INT1",
            ],
            "erro: a área de controle `INT1` é a própria área avaliada: escolha outra",
        ),
        (
            vec!["--area", "CTRL1", "--start", "2024-03-01", "--months", "2"],
            "erro: a área `CTRL1` não tem área-mãe para servir de controle: indique uma área de controle",
        ),
        (
            vec![
                "--area",
                "SEMGEO",
                "--start",
                "2024-03-01",
                "--months",
                "2",
                "--control",
                "CTRL1",
            ],
            "erro: a área `SEMGEO` não tem polígono: o entorno (anel em volta da área) precisa dos limites da área",
        ),
        (
            vec![
                "--area",
                "INT1",
                "--start",
                "2024-03-01",
                "--months",
                "2",
                "--crimes",
                "arrastao",
            ],
            "erro: crime desconhecido: `arrastao` (esperado um código do catálogo, como roubo_transeunte)",
        ),
        (
            vec!["--area", "INT1", "--start", "2199-01-01", "--months", "2"],
            "erro: o período depois termina em 2199-02-28, depois de hoje",
        ),
    ] {
        let out = evaluate(&args, "json");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(message), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}
