//! The command line as scripts use it (contracts.md §1): exit statuses, JSON summary on stdout,
//! messages on stderr, and `serve` answering `/health`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn atalaia(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atalaia"));
    c.current_dir(dir).env_remove("ATALAIA_DATABASE_URL");
    c
}

#[test]
fn import_exit_statuses_and_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X","name":"X","kind":"aisp"},"geometry":null}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ok.csv"),
        "territory_code,year,population\nX,2024,1000\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "territory_code,year,population\nX,2025,mil\nX,2026,1100\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("wrong.csv"), "a,b\n1,2\n").unwrap();

    let out = atalaia(dir.path())
        .args(["import", "territories", "t.geojson"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("atalaia.db").exists(),
        "default database is ./atalaia.db"
    );

    let out = atalaia(dir.path())
        .args(["--format", "json", "import", "population", "ok.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["kind"].as_str(),
            v["read"].as_u64(),
            v["inserted"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some("population"), Some(1), Some(1), Some(0))
    );
    assert_eq!(v["rejects_file"], "ok.csv.rejects.csv");

    // Some rows rejected: exit 3, the good one is in.
    let out = atalaia(dir.path())
        .args([
            "--format",
            "json",
            "import",
            "population",
            "bad.csv",
            "--rejects",
            "r.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["inserted"].as_u64(), v["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let rejects = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    assert_eq!(
        rejects.lines().next(),
        Some("line,reason,territory_code,year,population")
    );
    assert!(
        rejects.contains("2,coluna `population`: valor `mil` inválido"),
        "{rejects}"
    );

    // Wrong kind of file: exit 1 with a one-line message naming file, line and what was expected.
    let out = atalaia(dir.path())
        .args(["import", "population", "wrong.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wrong.csv, linha 1") && err.contains("territory_code"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // Bad usage: exit 2.
    let out = atalaia(dir.path())
        .args(["import", "planetas", "ok.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = atalaia(dir.path()).args(["import"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn serve_answers_health_and_home() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = atalaia(dir.path())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The server says where it listens once the socket is bound: wait for that line, no sleeping.
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("Atalaia em http://"));
    assert!(ready, "the server did not announce its address");
    let get = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        Some(body)
    };
    let health = get("/health");
    let home = get("/");
    let login = get("/login");
    let _ = child.kill();
    let _ = child.wait();
    let health = health.expect("server did not answer");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""status":"ok""#), "{health}");
    let home = home.unwrap();
    assert!(home.starts_with("HTTP/1.1 303"), "{home}");
    assert!(home.contains("location: /login?proximo=/"), "{home}");
    let login = login.unwrap();
    assert!(
        login.starts_with("HTTP/1.1 200")
            && login.contains("Atalaia")
            && login.contains("lang=\"pt-BR\""),
        "{login}"
    );
}

#[test]
fn audit_verify_catches_an_entry_edited_behind_the_programs_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X","name":"X","kind":"aisp"},"geometry":null}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "territory_code,year,population\nX,2024,1000\n",
    )
    .unwrap();
    for args in [
        ["import", "territories", "t.geojson"],
        ["import", "population", "p.csv"],
    ] {
        assert_eq!(
            atalaia(dir.path()).args(args).status().unwrap().code(),
            Some(0)
        );
    }
    let out = atalaia(dir.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "cadeia de auditoria íntegra: 2 entradas conferidas"
    );
    // Someone with the file opens it and lowers the population import's rejected count.
    let conn = rusqlite::Connection::open(dir.path().join("atalaia.db")).unwrap();
    let details: String = conn
        .query_row("SELECT details FROM audit_log WHERE id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(details.contains(r#""file_name":"p.csv""#), "{details}");
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET details = '{}' WHERE id = 2;",
        details.replace("\"inserted\":1", "\"inserted\":7")
    ))
    .unwrap();
    drop(conn);
    let out = atalaia(dir.path())
        .args(["--format", "json", "audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["first_broken"], 2);
}

#[test]
fn calendar_commands_answer_as_contracts_md_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = atalaia(dir.path())
        .args([
            "--format",
            "json",
            "calendar",
            "business-day",
            "--state",
            "GO",
            "--municipality",
            "5208707",
            "--month",
            "2024-03",
            "--nth",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"month": "2024-03", "nth": 5, "date": "2024-03-07"})
    );
    let out = atalaia(dir.path())
        .args([
            "--format", "json", "calendar", "holidays", "--state", "GO", "--from", "2024", "--to",
            "2024",
        ])
        .output()
        .unwrap();
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ash = days
        .iter()
        .find(|d| d["date"] == "2024-02-14")
        .expect("Ash Wednesday listed");
    assert_eq!(ash["business_day"], true);
    assert_eq!(ash["scope"], "national");
    assert!(
        days.iter().all(|d| d["date"] != "2024-10-24"),
        "Goiânia's day needs --municipality"
    );
    // Bad usage exits 2 naming the value; a month without that many business days exits 1.
    let out = atalaia(dir.path())
        .args([
            "calendar",
            "business-day",
            "--state",
            "XX",
            "--month",
            "2024-03",
            "--nth",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state `XX` inválido"));
    let out = atalaia(dir.path())
        .args([
            "calendar",
            "business-day",
            "--state",
            "GO",
            "--month",
            "2024-02",
            "--nth",
            "25",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Read-only commands do not create a database where there was none.
    assert!(!dir.path().join("atalaia.db").exists());
}

/// The year table of decrees in the database joins the rule-based calendar (calendar.md): a state decree
/// closing 2024-03-05 moves March's 5th business day in Goiás from the 7th to the 8th; a revoked row and
/// another municipality's row do not count.
#[test]
fn calendar_commands_read_the_year_table_of_decrees() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        atalaia(dir.path())
            .args(["audit", "verify"])
            .status()
            .unwrap()
            .code(),
        Some(0)
    );
    let conn = rusqlite::Connection::open(dir.path().join("atalaia.db")).unwrap();
    conn.execute_batch(
        "INSERT INTO calendar_decrees (uf, municipality, day, closed, name, act, created_by, created_at)
         VALUES ('GO', NULL, '2024-03-05', 1, 'Ponto facultativo', 'Decreto 10.400/2024', 'user:admin', '2024-03-01 09:00:00'),
                ('GO', '5201108', '2024-03-04', 1, 'Aniversário', 'Decreto municipal 1/2024', 'user:admin', '2024-03-01 09:00:00');
         INSERT INTO calendar_decrees (uf, municipality, day, closed, name, act, created_by, created_at, revoked_by, revoked_at, revoke_reason)
         VALUES ('GO', NULL, '2024-03-06', 1, 'Engano', 'Decreto 0/2024', 'user:admin', '2024-03-01 09:00:00', 'user:admin', '2024-03-01 10:00:00', 'engano');",
    )
    .unwrap();
    drop(conn);
    let out = atalaia(dir.path())
        .args([
            "--format",
            "json",
            "calendar",
            "business-day",
            "--state",
            "GO",
            "--municipality",
            "5208707",
            "--month",
            "2024-03",
            "--nth",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["date"], "2024-03-08");
    let out = atalaia(dir.path())
        .args([
            "--format", "json", "calendar", "holidays", "--state", "GO", "--from", "2024", "--to",
            "2024",
        ])
        .output()
        .unwrap();
    let days: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let decreed: Vec<&serde_json::Value> =
        days.iter().filter(|d| d["date"] == "2024-03-05").collect();
    assert_eq!(decreed.len(), 1);
    assert_eq!(decreed[0]["business_day"], false);
    assert!(
        days.iter()
            .all(|d| d["date"] != "2024-03-06" && d["date"] != "2024-03-04")
    );
}

/// goias-cidadao-seguro.md §3's worked example, end to end: files imported through the public kinds,
/// `recap compute` answering contracts.md §3's JSON.
#[test]
fn recap_compute_gives_the_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"AISPX","name":"AISP X","kind":"aisp"},"geometry":null}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "territory_code,year,population\nAISPX,2023,200000\nAISPX,2024,200000\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c.csv"),
        "territory_code,month,crime,count\n\
         AISPX,2023-01,homicidio_doloso,10\nAISPX,2023-02,roubo_veiculo,60\nAISPX,2023-03,furto_veiculo,40\n\
         AISPX,2024-01,homicidio_doloso,8\nAISPX,2024-02,roubo_veiculo,50\nAISPX,2024-03,furto_veiculo,40\n\
         AISPX,2024-04,homicidio_doloso,99\n",
    )
    .unwrap();
    for (kind, file) in [
        ("territories", "t.geojson"),
        ("population", "p.csv"),
        ("counts", "c.csv"),
    ] {
        let out = atalaia(dir.path())
            .args(["import", kind, file])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
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
    let out = atalaia(dir.path())
        .args([
            "--format",
            "json",
            "recap",
            "compute",
            "--quarter",
            "2024-Q1",
            "--save",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
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
            .args([
                "--format", "json", "recap", "trace", "--run", "1", "--area", "AISPX",
            ])
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
        .args([
            "recap",
            "trace",
            "--run",
            "1",
            "--area",
            "AISPX",
            "--crime",
            "homicidio_doloso",
        ])
        .args(["--period", "ontem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = atalaia(dir.path())
        .args([
            "recap",
            "trace",
            "--run",
            "9",
            "--area",
            "AISPX",
            "--crime",
            "homicidio_doloso",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // A quarter that is not one is bad usage.
    let out = atalaia(dir.path())
        .args(["recap", "compute", "--quarter", "2024-5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
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
            .args([
                "--format",
                "json",
                "recap",
                "compute",
                "--save",
                "--quarter",
            ])
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
        let out = atalaia(dir.path())
            .args(["import", kind, file])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
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
            .args([
                "--format",
                "json",
                "recap",
                "payroll",
                "--quarter",
                "2024-Q1",
            ])
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
    let out = atalaia(dir.path())
        .args(["recap", "compute", "--quarter", "2024-Q1", "--save"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    check(&payroll(&["--run", "1"]), serde_json::json!(1));
    // CSV: the same columns, one row per line.
    let out = atalaia(dir.path())
        .args([
            "--format",
            "csv",
            "recap",
            "payroll",
            "--quarter",
            "2024-Q1",
        ])
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
    let out = atalaia(dir.path())
        .args(["recap", "payroll", "--quarter", "2024-Q2", "--run", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
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
        .args([
            "--format",
            "json",
            "recap",
            "compute",
            "--quarter",
            "2024-Q1",
        ])
        .output()
        .unwrap()
}

/// `import seizures` and `import forensic-reports` (contracts.md §2) and `ipei result` (contracts.md's
/// JSON): bad rows to the rejects file with their line and reason; a month nobody delivered pays nothing
/// and says why.
#[test]
fn ipei_imports_and_the_month_result() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "t.geojson",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"AISP1","name":"AISP 1","kind":"aisp"},"geometry":null}]}"#,
        ),
        (
            "units.csv",
            "code,name,institution,territory_codes\nPM-1BPM,1º BPM,PM,AISP1\nSPTC-IC,Instituto de Criminalística,SPTC,AISP1\n",
        ),
        (
            "operators.csv",
            "registration,name,institution\nA1,Ana,PM\nB2,Bruno,PM\nS1,Sílvia,SPTC\n",
        ),
        (
            "assignments.csv",
            "registration,unit_code,from\nA1,PM-1BPM,01/01/2020\nB2,PM-1BPM,01/01/2020\nS1,SPTC-IC,01/01/2020\n",
        ),
        (
            "seizures.csv",
            "bo_number,seized_on,unit_code,registrations,flagrante,serial,caliber,item\n\
             100/2024,10/03/2024,PM-1BPM,A1;B2,sim,AB-1,.38,\n\
             101/2024,11/03/2024,PM-1BPM,A1,não,,,1\n\
             102/2024,12/03/2024,PM-9BPM,A1,sim,X,,\n\
             103/2024,12/03/2024,PM-1BPM,A1,talvez,Y,,\n\
             104/2024,12/03/2024,PM-1BPM,A1,sim,,,\n",
        ),
        (
            "laudos.csv",
            "bo_number,serial,expert_registration,signed_on\n100/2024,AB1,S1,02/04/2024\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for (kind, file) in [
        ("territories", "t.geojson"),
        ("units", "units.csv"),
        ("operators", "operators.csv"),
        ("assignments", "assignments.csv"),
        ("forensic-reports", "laudos.csv"),
    ] {
        let out = atalaia(dir.path())
            .args(["import", kind, file])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = atalaia(dir.path())
        .args(["--format", "json", "import", "seizures", "seizures.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "done with rejected rows");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["read"].as_u64(),
            v["inserted"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
    let rejects = std::fs::read_to_string(dir.path().join("seizures.csv.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines.len(), 4, "{rejects}");
    assert!(
        lines[1]
            .starts_with("4,coluna `unit_code`: valor `PM-9BPM` inválido: unidade desconhecida"),
        "{rejects}"
    );
    assert!(
        lines[2].starts_with("5,coluna `flagrante`: valor `talvez` inválido: esperado sim/não"),
        "{rejects}"
    );
    assert!(
        lines[3].starts_with("6,\"coluna `item`: valor vazio; sem número de série"),
        "{rejects}"
    );

    let result = |as_of: &str| -> serde_json::Value {
        let out = atalaia(dir.path())
            .args([
                "--format", "json", "ipei", "result", "--month", "2024-03", "--as-of", as_of,
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Friday 05/04/2024 is the 5th business day of April in Goiânia: until then the unit is awaited.
    let v = result("2024-04-05");
    assert_eq!(v["month"], "2024-03");
    assert_eq!(v["stage"], "open");
    assert_eq!(v["units"][0]["status"], "excluded");
    assert_eq!(
        v["units"][0]["reasons"],
        serde_json::json!(["AWAITING_SUBMISSION"])
    );
    let v = result("2024-04-08");
    assert_eq!(
        v["units"],
        serde_json::json!([{"code": "PM-1BPM", "name": "1º BPM", "status": "excluded",
            "reasons": ["NOT_SUBMITTED"], "submitted_on": null, "seizures": 2, "paid": 0}])
    );
    let seizures: Vec<(String, String, serde_json::Value)> = v["seizures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["bo_number"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["reasons"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seizures,
        [
            (
                "100/2024".to_string(),
                "rejected".to_string(),
                serde_json::json!(["NO_BO", "UNIT_EXCLUDED"])
            ),
            (
                "101/2024".to_string(),
                "rejected".to_string(),
                serde_json::json!(["NOT_FLAGRANTE", "NO_BO", "UNIT_EXCLUDED"])
            ),
        ]
    );
    assert_eq!(v["payments"], serde_json::json!([]));
    assert_eq!(v["total"], 0.0);
    assert_eq!(
        v["laudos"][0]["shares"][0]["reasons"],
        serde_json::json!(["SEIZURE_NOT_PAID"])
    );
    let out = atalaia(dir.path())
        .args(["ipei", "result", "--month", "2024-13"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Its named payroll: nobody paid, said as contracts.md §3 writes it.
    let out = atalaia(dir.path())
        .args(["--format", "json", "ipei", "payroll", "--month", "2024-03"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        serde_json::json!({"month": "2024-03", "run": null, "lines": []})
    );
    // The Anexo Único pays a month from what is delivered after it: the month running today pays
    // nothing yet, and a later month is refused.
    let today = (chrono::Utc::now() - chrono::Duration::hours(3)).date_naive();
    let running = atalaia_core::Month::of(today).unwrap();
    for (m, says) in [
        (running, "termina em"),
        (running.succ().unwrap(), "ainda não começou"),
    ] {
        for command in ["result", "payroll"] {
            let out = atalaia(dir.path())
                .args(["--format", "json", "ipei", command, "--month"])
                .arg(m.to_string())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command} {m}: {err}");
            assert!(err.contains(says), "{command} {m}: {err}");
            assert!(out.stdout.is_empty(), "{command} {m}: a result was printed");
        }
    }
}

/// The esda fixture of a queen grid: rows of `i, j, count, z, p, p_fdr` (scripts/fixtures/spatial_fixtures.py).
fn esda_queen_fixture() -> Vec<Vec<f64>> {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spatial/tests/fixtures/gistar_queen.csv"
    ))
    .unwrap()
    .lines()
    .skip(1)
    .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
    .collect()
}

/// `hotspots gistar` on the points of esda's queen fixture (each cell's count as that many points at its
/// centre, one cell given by weight): the same grid and z to 1e-9, the classes from the BH-adjusted p,
/// and a bad row rejected with exit 3.
#[test]
fn hotspots_gistar_matches_esda() {
    let dir = tempfile::tempdir().unwrap();
    let rows = esda_queen_fixture();
    let mut points = String::from("x;y;weight\n");
    for (k, r) in rows.iter().enumerate() {
        let (i, j, c) = (r[0], r[1], r[2] as u32);
        let (x, y) = (i * 100.0 + 50.0, j * 100.0 + 50.0);
        if k == 5 && c > 0 {
            // One weighted point instead of c points, in `;`-separated decimal-comma form.
            points.push_str(&format!(
                "{};{};{c},0\n",
                x.to_string().replace('.', ","),
                y
            ));
        } else {
            for _ in 0..c {
                points.push_str(&format!("{x};{y};\n"));
            }
        }
    }
    points.push_str("abc;10;\n");
    let file = dir.path().join("pontos.csv");
    std::fs::write(&file, points).unwrap();
    let out = atalaia(dir.path())
        .args(["--format", "json", "hotspots", "gistar", "--points"])
        .arg(&file)
        .args(["--cell", "100"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cells: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cells.len(), rows.len());
    for (c, r) in cells.iter().zip(&rows) {
        assert_eq!(c["i"].as_u64().unwrap() as f64, r[0]);
        assert_eq!(c["j"].as_u64().unwrap() as f64, r[1]);
        let z = c["z"].as_f64().unwrap();
        let want = r[3];
        assert!(
            (z - want).abs() < 1e-9,
            "({}, {}): {z} vs esda {want}",
            r[0],
            r[1]
        );
        let p_fdr = r[5];
        let class = c["class"].as_str().unwrap();
        let expected = if p_fdr >= 0.10 {
            "not_significant".to_string()
        } else {
            let level = if p_fdr < 0.01 {
                "99"
            } else if p_fdr < 0.05 {
                "95"
            } else {
                "90"
            };
            format!("{}_{level}", if want > 0.0 { "hot" } else { "cold" })
        };
        assert_eq!(class, expected, "({}, {})", r[0], r[1]);
    }
    assert_eq!(
        (cells[0]["x_min"].as_f64(), cells[0]["y_min"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    let rejects = std::fs::read_to_string(dir.path().join("pontos.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("coluna `x`"), "{rejects}");
}

/// `hotspots area` reads a stored area and its occurrences: the esda fixture's counts, planted as
/// geocoded occurrences at the cell centres of a grid laid in UTM 22S and imported through the real
/// importers, come back with esda's z-scores — the database path changes nothing in the statistic.
#[test]
fn hotspots_area_from_the_database_matches_esda() {
    use atalaia_spatial::utm::{Zone, from_utm};
    let dir = tempfile::tempdir().unwrap();
    let rows = esda_queen_fixture();
    let nx = rows.iter().map(|r| r[0] as usize).max().unwrap() + 1;
    let ny = rows.iter().map(|r| r[1] as usize).max().unwrap() + 1;
    let zone = Zone {
        number: 22,
        south: true,
    };
    let (x0, y0) = (680_000.0, 8_150_000.0);
    // The area: the grid's extent, half a metre in (so the grid's origin is (x0, y0) exactly).
    let corners = [
        (x0 + 0.5, y0 + 0.5),
        (x0 + nx as f64 * 100.0 - 0.5, y0 + 0.5),
        (x0 + nx as f64 * 100.0 - 0.5, y0 + ny as f64 * 100.0 - 0.5),
        (x0 + 0.5, y0 + ny as f64 * 100.0 - 0.5),
        (x0 + 0.5, y0 + 0.5),
    ];
    let ring: Vec<[f64; 2]> = corners
        .iter()
        .map(|&(x, y)| {
            let (lon, lat) = from_utm(x, y, zone);
            [lon, lat]
        })
        .collect();
    let territory = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"code": "GRADE", "name": "Grade de teste", "kind": "intervention"}}]});
    std::fs::write(dir.path().join("t.geojson"), territory.to_string()).unwrap();
    let mut occ = String::from("id,occurred_at,crime,lat,lon\n");
    let mut n = 0;
    for r in &rows {
        let (lon, lat) = from_utm(x0 + r[0] * 100.0 + 50.0, y0 + r[1] * 100.0 + 50.0, zone);
        for _ in 0..r[2] as usize {
            n += 1;
            occ.push_str(&format!(
                "BO-{n},2026-01-15T10:00,roubo_transeunte,{lat:.9},{lon:.9}\n"
            ));
        }
    }
    std::fs::write(dir.path().join("o.csv"), occ).unwrap();
    for (kind, file) in [("territories", "t.geojson"), ("occurrences", "o.csv")] {
        let out = atalaia(dir.path())
            .args(["import", kind, file])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = atalaia(dir.path())
        .args([
            "--format", "json", "hotspots", "area", "--area", "GRADE", "--from", "2026-01", "--to",
            "2026-01", "--cell", "100",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["points_in"], n);
    assert_eq!(v["points_edge"], 0);
    assert_eq!(v["utm_zone"], "22S");
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), rows.len());
    for (c, r) in cells.iter().zip(&rows) {
        assert_eq!(c["id"], format!("{},{}", r[0], r[1]));
        assert_eq!(c["count"].as_f64().unwrap(), r[2]);
        let z = c["z"].as_f64().unwrap();
        assert!((z - r[3]).abs() < 1e-9, "{}: {z} vs esda {}", c["id"], r[3]);
        assert!((c["p_fdr"].as_f64().unwrap() - r[5]).abs() < 1e-9);
        // One month: no emerging class.
        assert!(c["emerging"].is_null());
    }
    // GeoJSON: one polygon per cell; CSV: a header and one row per cell.
    let out = atalaia(dir.path())
        .args([
            "--format", "geojson", "hotspots", "area", "--area", "GRADE", "--from", "2026-01",
            "--to", "2026-01", "--cell", "100",
        ])
        .output()
        .unwrap();
    let fc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), rows.len());
    assert_eq!(fc["properties"]["area"], "GRADE");
    // Errors say what was expected, with exit 2.
    let out = atalaia(dir.path())
        .args([
            "hotspots", "area", "--area", "NADA", "--from", "2026-01", "--to", "2026-01",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "erro: área desconhecida: `NADA`"
    );
    let out = atalaia(dir.path())
        .args([
            "hotspots", "area", "--area", "GRADE", "--from", "2026-13", "--to", "2026-01",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from `2026-13` inválido"));
}

/// Two CSV texts with the same rows and fields: numbers within 1e-12, other text equal.
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
        let out = atalaia(dir.path())
            .args(["import", kind, file])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
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
    let v = json(&[
        "--area",
        "INT1",
        "--start",
        "2024-03-01",
        "--months",
        "2",
        "--control",
        "CTRL1",
        "--crimes",
        "roubo_transeunte",
    ]);
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
            .starts_with("Na área de intervenção a variação foi de -66,7 % (p = 0,1460): dentro do que o acaso explica."),
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

    // The buffer's control apart: C′ = MUN1's whole aggregate of robberies, before 8 (T) + 2 (ring) +
    // 1 (520 m) + 6 (elsewhere) + 1 (no coordinates) = 18, after 3 + 5 + 1 + 7 = 16.
    // WDD = −6 − 2 + 3 − (16 − 18) = −3; SE = √(9 + 3 + 10 + 12 + 2 + 5 + 18 + 16) = √75; z = −3/√75.
    let v = json(&[
        "--area",
        "INT1",
        "--start",
        "2024-03-01",
        "--months",
        "2",
        "--control",
        "CTRL1",
        "--control-buffer",
        "MUN1",
        "--crimes",
        "roubo_transeunte",
    ]);
    assert_eq!(
        v["control_buffer"],
        serde_json::json!({"code": "MUN1", "name": "Município de teste", "before": 18, "after": 16})
    );
    close(&v["wdd"], -3.0);
    close(&v["wdd_se"], 8.660_254_037_844_387);
    close(&v["wdd_z"], -0.346_410_161_513_775_4);
    close(&v["wdq"], -1.0 / 3.0);

    // Every crime, no control given: C is the rest of INT1's parent MUN1 — its aggregate minus its
    // occurrences in INT1 or in the ring. Before: 18 − 8 − 2 = 8 (the 520 m one, six elsewhere, the one
    // without coordinates); after: (3 + 2 thefts + 5 + 1 + 7) − 5 − 5 = 8. T = (9, 5), D = (2, 5).
    // WDQ = (5/8 − 2/8) / (5/8 − 9/8) = −0.75; WDD = (5 − 9) − 0 + (5 − 2) − 0 = −1;
    // SE = √(9 + 5 + 8 + 8 + 2 + 5 + 8 + 8) = √53 = 7.280109889280518; z = −0.13736056394868904.
    // p: T = binomtest(5, 14) = 0.4239501953125 (2·(1 + 14 + 91 + 364 + 1001 + 2002)/16384), C = 1.
    let v = json(&["--area", "INT1", "--start", "2024-03-01", "--months", "2"]);
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
    let v = json(&[
        "--area",
        "INT1",
        "--start",
        "2024-03-15",
        "--months",
        "1",
        "--control",
        "CTRL1",
        "--crimes",
        "roubo_transeunte",
    ]);
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
        &[
            "--area",
            "INT1",
            "--start",
            "2024-03-01",
            "--months",
            "2",
            "--control",
            "CTRL1",
            "--crimes",
            "roubo_transeunte",
        ],
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
        &[
            "--area",
            "INT1",
            "--start",
            "2024-03-01",
            "--months",
            "2",
            "--control",
            "CTRL1",
        ],
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

/// `--help` names the environment variables but never prints their values: the database URL and the
/// SMTP and OIDC secrets may carry passwords (issue 17).
#[test]
fn help_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["--help"], vec!["serve", "--help"]] {
        let out = atalaia(dir.path())
            .args(&args)
            .env(
                "ATALAIA_DATABASE_URL",
                "postgres://atalaia:senha-secreta-1@db.interno/atalaia",
            )
            .env("ATALAIA_SMTP_URL", "smtp://u:senha-secreta-2@mail.interno")
            .env("ATALAIA_OIDC_CLIENT_SECRET", "senha-secreta-3")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("ATALAIA_DATABASE_URL"), "{args:?}: {text}");
        assert!(!text.contains("senha-secreta"), "{args:?}: {text}");
    }
}
