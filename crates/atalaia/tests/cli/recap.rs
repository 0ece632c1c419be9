//! `atalaia recap`: the worked example, no level for a quarter not over, and a payroll that accounts
//! for everyone (Arts. 5–9).

use super::*;

/// goias-cidadao-seguro.md §3's worked example, end to end: files imported through the public kinds,
/// `recap compute` answering contracts.md §3's JSON.
#[test]
fn recap_compute_gives_the_worked_example() {
    let dir = dir_with(&[
        (
            "t.geojson",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"AISPX","name":"AISP X","kind":"aisp"},"geometry":null}]}"#,
        ),
        (
            "p.csv",
            "territory_code,year,population\nAISPX,2023,200000\nAISPX,2024,200000\n",
        ),
        (
            "c.csv",
            "territory_code,month,crime,count\n\
         AISPX,2023-01,homicidio_doloso,10\nAISPX,2023-02,roubo_veiculo,60\nAISPX,2023-03,furto_veiculo,40\n\
         AISPX,2024-01,homicidio_doloso,8\nAISPX,2024-02,roubo_veiculo,50\nAISPX,2024-03,furto_veiculo,40\n\
         AISPX,2024-04,homicidio_doloso,99\n",
        ),
    ]);
    for (kind, file) in [
        ("territories", "t.geojson"),
        ("population", "p.csv"),
        ("counts", "c.csv"),
    ] {
        succeeds(dir.path(), &["import", kind, file]);
    }
    let out = recap_2024q1(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["quarter"], "2024-Q1");
    assert_eq!(v["baseline_quarter"], "2023-Q1");
    assert_eq!(
        v["parameters"],
        serde_json::json!({"crimes": ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"],
                           "recap2_min_pct": 10.0, "recap1_min_pct": 20.0,
                           "baseline": "same_quarter_previous_year"})
    );
    let a = &v["areas"][0];
    assert_eq!(
        (a["code"].as_str(), a["kind"].as_str()),
        (Some("AISPX"), Some("aisp"))
    );
    assert_eq!(
        (a["population"].as_u64(), a["baseline_population"].as_u64()),
        (Some(200_000), Some(200_000))
    );
    assert_eq!(
        a["crimes"][0],
        serde_json::json!({"crime": "homicidio_doloso", "count": 8, "baseline_count": 10, "rate": 4.0, "baseline_rate": 5.0})
    );
    let f = |k: &str| a[k].as_f64().unwrap();
    assert!((f("index") - 49.0 / 3.0).abs() < 1e-12);
    assert!((f("baseline_index") - 55.0 / 3.0).abs() < 1e-12);
    assert!((f("reduction_pct") - 600.0 / 55.0).abs() < 1e-9);
    assert_eq!(a["level"], "RECAP2");
    assert_eq!(
        (a["reasons"].clone(), a["warnings"].clone()),
        (serde_json::json!([]), serde_json::json!([]))
    );
    assert_eq!(v["units"], serde_json::json!([]));
    // The committee raised RECAP2's threshold to 11 % from 2024: the configuration in force at the
    // quarter's end decides, so 10.9 % no longer reaches a level.
    let mut doc = serde_json::to_value(atalaia_core_default()).unwrap();
    doc["recap2_min_pct"] = serde_json::json!(11.0);
    let conn = rusqlite::Connection::open(dir.path().join("atalaia.db")).unwrap();
    conn.execute(
        "INSERT INTO program_configs (valid_from, document, note, created_by, created_at)
         VALUES ('2024-01-01', ?1, 'teste', 'user:comite', '2024-01-01 00:00:00')",
        [doc.to_string()],
    )
    .unwrap();
    drop(conn);
    let out = recap_2024q1(dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["parameters"]["recap2_min_pct"], 11.0);
    assert_eq!(v["areas"][0]["level"], serde_json::Value::Null);
    // `--save` freezes the run: its stored result is the printed JSON, and recomputing from the stored
    // inputs and configuration gives the same bytes.
    let out = exits(
        dir.path(),
        "--format json recap compute --quarter 2024-Q1 --save",
        0,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("execução #1 salva"));
    let printed = String::from_utf8(out.stdout).unwrap();
    let run = |conn: &rusqlite::Connection| -> (String, String, String) {
        conn.query_row(
            "SELECT config, inputs, result FROM recap_runs WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let conn = rusqlite::Connection::open(dir.path().join("atalaia.db")).unwrap();
    let (config, inputs, result) = run(&conn);
    assert_eq!(printed.trim_end(), result);
    let params = atalaia_core::program::ProgramDocument::from_json(&config)
        .unwrap()
        .validate()
        .unwrap()
        .recap;
    let inputs: atalaia_core::recap::RunInputs = serde_json::from_str(&inputs).unwrap();
    let again = serde_json::to_string(&atalaia_core::recap::report(&params, &inputs)).unwrap();
    assert_eq!(again, result, "a saved run reproduces byte for byte");
    drop(conn);
    // A later import changes today's answer, never the saved run.
    std::fs::write(
        dir.path().join("c2.csv"),
        "territory_code,month,crime,count\nAISPX,2024-02,homicidio_doloso,5\n",
    )
    .unwrap();
    let out = atalaia(dir.path())
        .args(["import", "counts", "c2.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let conn = rusqlite::Connection::open(dir.path().join("atalaia.db")).unwrap();
    assert_eq!(run(&conn).2, result);
    let out = recap_2024q1(dir.path());
    let now: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(now["areas"][0]["crimes"][0]["count"], 13);
    // `recap trace`: the run's 8 homicides rest on January's row of count-only data, as saved — not on
    // February's 5 imported since.
    let trace = |period: &str| {
        let out = atalaia(dir.path())
            .args(words("--format json recap trace --run 1 --area AISPX"))
            .args(["--crime", "homicidio_doloso", "--period", period])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let t = trace("current");
    assert_eq!(
        (
            &t["run"],
            &t["area"],
            &t["crime"],
            &t["period"],
            &t["count"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!("AISPX"),
            &serde_json::json!("homicidio_doloso"),
            &serde_json::json!("current"),
            &serde_json::json!(8)
        )
    );
    assert_eq!(t["occurrences"], serde_json::json!([]));
    assert_eq!(t["counts"][0]["month"], "2024-01");
    assert_eq!(t["counts"][0]["count"], 8);
    assert_eq!(t["counts"].as_array().unwrap().len(), 1);
    assert_eq!(t["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(trace("base")["count"], 10);
    let out = atalaia(dir.path())
        .args(words(
            "recap trace --run 1 --area AISPX --crime homicidio_doloso",
        ))
        .args(["--period", "ontem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    exits(
        dir.path(),
        "recap trace --run 9 --area AISPX --crime homicidio_doloso",
        1,
    );
    // A quarter that is not one is bad usage.
    exits(dir.path(), "recap compute --quarter 2024-5", 2);
    arts_5_6_a_quarter_not_over_has_no_level(dir.path());
}

/// Arts. 5 and 6 compare the crimes *of the quarter* with its baseline: the quarter running today (by
/// Brasília's date) and the next one yield no level and no run — exit 1, the reason, nothing on stdout,
/// nothing saved.
fn arts_5_6_a_quarter_not_over_has_no_level(dir: &std::path::Path) {
    let today = (chrono::Utc::now() - chrono::Duration::hours(3)).date_naive();
    let running = atalaia_core::Quarter::of(today).unwrap();
    let next = running.next().unwrap();
    for (q, says) in [(running, "termina em"), (next, "ainda não começou")] {
        let out = atalaia(dir)
            .args(words("--format json recap compute --save --quarter"))
            .arg(q.to_string())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{q}: {err}");
        assert!(err.contains(says), "{q}: {err}");
        assert!(out.stdout.is_empty(), "{q}: a result was printed");
    }
    let conn = rusqlite::Connection::open(dir.join("atalaia.db")).unwrap();
    let runs: i64 = conn
        .query_row("SELECT COUNT(*) FROM recap_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 1, "only the run of 2024-Q1");
}

/// `recap payroll` (contracts.md §3): everyone assigned to a unit of the program in 2024-Q1 (91 days) is
/// on it, paid at their unit's level or excluded with the reason — worked by hand from Arts. 7 and 9:
/// - AISPX falls 10.909 % (the worked example above): PM-1BPM, its only area, is RECAP2 = R$ 600,50;
/// - A1 (PM, the whole quarter) is paid; F6 (PM) joined on 22/03: 10 days served, 81 not in service, out
///   (ABSENCE); G1 is a municipal guard (INSTITUTION_NOT_ELIGIBLE);
/// - N1 serves PM-2BPM, whose area AISPY has no population: no index (UNIT_WITHOUT_INDEX);
/// - X1 served PM-9BPM until 28/02 (59 days; 32 not in service, under 55), a unit not in force on 31/03
///   (UNIT_NOT_IN_FORCE).
#[test]
fn recap_payroll_accounts_for_everyone_arts_7_9() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "t.geojson",
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"code":"AISPX","name":"AISP X","kind":"aisp"},"geometry":null},
              {"type":"Feature","properties":{"code":"AISPY","name":"AISP Y","kind":"aisp"},"geometry":null}]}"#,
        ),
        (
            "p.csv",
            "territory_code,year,population\nAISPX,2023,200000\nAISPX,2024,200000\n",
        ),
        (
            "c.csv",
            "territory_code,month,crime,count\n\
             AISPX,2023-01,homicidio_doloso,10\nAISPX,2023-02,roubo_veiculo,60\nAISPX,2023-03,furto_veiculo,40\n\
             AISPX,2024-01,homicidio_doloso,8\nAISPX,2024-02,roubo_veiculo,50\nAISPX,2024-03,furto_veiculo,40\n",
        ),
        (
            "u.csv",
            "code,name,institution,territory_codes,valid_from,valid_to\n\
             PM-1BPM,1º BPM,PM,AISPX,01/01/2020,\n\
             PM-2BPM,2º BPM,PM,AISPY,01/01/2020,\n\
             PM-9BPM,9º BPM,PM,AISPX,01/01/2020,28/02/2024\n",
        ),
        (
            "o.csv",
            "registration,name,institution\nA1,Ana,PM\nF6,Fábio,PM\nG1,Gil,GCM\nN1,Nina,PM\nX1,Xavier,PM\n",
        ),
        (
            "a.csv",
            "registration,unit_code,from,to\n\
             A1,PM-1BPM,01/01/2020,\nF6,PM-1BPM,22/03/2024,\nG1,PM-1BPM,01/01/2020,\n\
             N1,PM-2BPM,01/01/2020,\nX1,PM-9BPM,01/01/2020,28/02/2024\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for (kind, file) in [
        ("territories", "t.geojson"),
        ("population", "p.csv"),
        ("counts", "c.csv"),
        ("units", "u.csv"),
        ("operators", "o.csv"),
        ("assignments", "a.csv"),
    ] {
        succeeds(dir.path(), &["import", kind, file]);
    }
    let mut doc = atalaia_core_default();
    doc["payment"] = serde_json::json!({"RECAP1": 1200.0, "RECAP2": 600.5});
    let conn = rusqlite::Connection::open(dir.path().join("atalaia.db")).unwrap();
    conn.execute(
        "INSERT INTO program_configs (valid_from, document, note, created_by, created_at)
         VALUES ('2024-01-01', ?1, 'teste', 'user:comite', '2024-01-01 00:00:00')",
        [doc.to_string()],
    )
    .unwrap();
    drop(conn);
    let payroll = |extra: &[&str]| {
        let out = atalaia(dir.path())
            .args(words("--format json recap payroll --quarter 2024-Q1"))
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let line = |reg: &str,
                unit: &str,
                served: u64,
                out: u64,
                level: Option<&str>,
                cents: i64,
                reason: Option<&str>| {
        serde_json::json!({"registration": reg, "name": serde_json::Value::Null, "institution": serde_json::Value::Null,
            "unit": unit, "days_in_quarter": 91, "days_served": served, "absent_days": 0,
            "not_in_service_days": out, "level": level, "amount_centavos": cents,
            "excluded": reason.is_some(), "reason": reason})
    };
    let expected = [
        line("A1", "PM-1BPM", 91, 0, Some("RECAP2"), 60_050, None),
        line("F6", "PM-1BPM", 10, 81, None, 0, Some("ABSENCE")),
        line(
            "G1",
            "PM-1BPM",
            91,
            0,
            None,
            0,
            Some("INSTITUTION_NOT_ELIGIBLE"),
        ),
        line("N1", "PM-2BPM", 91, 0, None, 0, Some("UNIT_WITHOUT_INDEX")),
        line("X1", "PM-9BPM", 59, 32, None, 0, Some("UNIT_NOT_IN_FORCE")),
    ];
    let check = |v: &serde_json::Value, run: serde_json::Value| {
        assert_eq!(
            (&v["quarter"], &v["run"]),
            (&serde_json::json!("2024-Q1"), &run)
        );
        let lines = v["lines"].as_array().unwrap();
        assert_eq!(lines.len(), expected.len(), "{v}");
        for (got, want) in lines.iter().zip(&expected) {
            let mut got = got.clone();
            assert!(
                got["name"].is_string() && got["institution"].is_string(),
                "{got}"
            );
            got["name"] = serde_json::Value::Null;
            got["institution"] = serde_json::Value::Null;
            assert_eq!(&got, want);
        }
    };
    check(&payroll(&[]), serde_json::Value::Null);
    // A saved run gives the same payroll, from what it froze.
    exits(dir.path(), "recap compute --quarter 2024-Q1 --save", 0);
    check(&payroll(&["--run", "1"]), serde_json::json!(1));
    // CSV: the same columns, one row per line.
    let out = atalaia(dir.path())
        .args(words("--format csv recap payroll --quarter 2024-Q1"))
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some(
            "registration,name,institution,unit,days_in_quarter,days_served,absent_days,not_in_service_days,level,amount_centavos,excluded,reason"
        )
    );
    assert_eq!(
        rows.next(),
        Some("A1,Ana,PM,PM-1BPM,91,91,0,0,RECAP2,60050,false,")
    );
    assert_eq!(rows.count(), 4);
    // Another quarter's run, and the quarter running today, are refused.
    let out = exits(dir.path(), "recap payroll --quarter 2024-Q2 --run 1", 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("é do trimestre 2024-Q1"));
    let today = (chrono::Utc::now() - chrono::Duration::hours(3)).date_naive();
    let out = atalaia(dir.path())
        .args(["recap", "payroll", "--quarter"])
        .arg(atalaia_core::Quarter::of(today).unwrap().to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("termina em"));
}

fn atalaia_core_default() -> serde_json::Value {
    // The decree's default document, as `atalaia_core::program::ProgramDocument::decree_default()`
    // writes it (spelled out: the CLI tests use only the binary).
    serde_json::json!({
        "crimes": ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"],
        "count_by": {},
        "baseline": "same_quarter_previous_year",
        "recap2_min_pct": 10.0,
        "recap1_min_pct": 20.0,
        "recap1_kinds": ["aisp"],
        "area_kinds": ["ais", "aisp", "aise"],
        "low_index_floor": null,
        "absence_max_pct": 60.0,
        "payment": {"RECAP1": 0.0, "RECAP2": 0.0}
    })
}

/// `atalaia --format json recap compute --quarter 2024-Q1` in `dir`.
fn recap_2024q1(dir: &std::path::Path) -> std::process::Output {
    atalaia(dir)
        .args(words("--format json recap compute --quarter 2024-Q1"))
        .output()
        .unwrap()
}
