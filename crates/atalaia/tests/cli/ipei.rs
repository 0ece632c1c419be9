//! `atalaia ipei`: the month's imports and its result.

use super::*;

/// `import seizures` and `import forensic-reports` (contracts.md §2) and `ipei result` (contracts.md's
/// JSON): bad rows to the rejects file with their line and reason; a month nobody delivered pays nothing
/// and says why.
#[test]
fn ipei_imports_and_the_month_result() {
    let dir = dir_with(&[
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
    ]);
    for (kind, file) in [
        ("territories", "t.geojson"),
        ("units", "units.csv"),
        ("operators", "operators.csv"),
        ("assignments", "assignments.csv"),
        ("forensic-reports", "laudos.csv"),
    ] {
        succeeds(dir.path(), &["import", kind, file]);
    }
    let out = atalaia(dir.path())
        .args(words("--format json import seizures seizures.csv"))
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
        let out = succeeds(
            dir.path(),
            &[
                "--format", "json", "ipei", "result", "--month", "2024-03", "--as-of", as_of,
            ],
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
    exits(dir.path(), "ipei result --month 2024-13", 2);
    // Its named payroll: nobody paid, said as contracts.md §3 writes it.
    let out = succeeds(
        dir.path(),
        &words("--format json ipei payroll --month 2024-03"),
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
