//! `atalaia import` and `serve`: exit statuses, the JSON summary, and a server that answers.

use super::*;

#[test]
fn import_exit_statuses_and_json_summary() {
    let dir = dir_with(&[
        ("t.geojson", AREA_X),
        ("ok.csv", "territory_code,year,population\nX,2024,1000\n"),
        (
            "bad.csv",
            "territory_code,year,population\nX,2025,mil\nX,2026,1100\n",
        ),
        ("wrong.csv", "a,b\n1,2\n"),
    ]);

    succeeds(dir.path(), &["import", "territories", "t.geojson"]);
    assert!(
        dir.path().join("atalaia.db").exists(),
        "default database is ./atalaia.db"
    );

    let out = exits(dir.path(), "--format json import population ok.csv", 0);
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
    let out = exits(
        dir.path(),
        "--format json import population bad.csv --rejects r.csv",
        3,
    );
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
    let server = Server::start(dir.path());
    let health = server.get("/health");
    let home = server.get("/");
    let login = server.get("/login");
    drop(server);
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

/// `import --background` copies the file into the server's uploads folder and queues it, then exits;
/// a `serve` started later on the same database and folder imports it.
#[test]
fn a_background_import_waits_in_the_queue_for_the_server() {
    let dir = dir_with(&[
        ("t.geojson", AREA_X),
        (
            "pop.csv",
            "territory_code,year,population\nX,2024,1000\nX,2025,mil\n",
        ),
    ]);
    succeeds(dir.path(), &["import", "territories", "t.geojson"]);
    let out = exits(
        dir.path(),
        "--format json import population pop.csv --background",
        0,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = v["job"].as_i64().expect("the job's number");
    assert_eq!(v["location"], format!("/importacoes/tarefas/{job}"));
    let uploads = dir.path().join("atalaia-arquivos").join("envios");
    let kept: Vec<_> = std::fs::read_dir(&uploads)
        .unwrap()
        .map(|d| d.unwrap().path().join("pop.csv"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        std::fs::read(dir.path().join("pop.csv")).unwrap()
    );
    // Its rejects are the server's to keep: naming a rejects file is refused.
    exits(
        dir.path(),
        "import population pop.csv --background --rejects r.csv",
        2,
    );

    let server = Server::start(dir.path());
    let metrics = || server.get("/metrics").expect("the server answers");
    let finished = r#"atalaia_imports_total{kind="population",state="finished"} 1"#;
    let mut body = String::new();
    for _ in 0..300 {
        body = metrics();
        if body.contains(finished) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(server);
    assert!(body.contains(finished), "{body}");
    for (fate, n) in [("read", 2), ("inserted", 1), ("rejected", 1)] {
        let line = format!(r#"atalaia_import_rows_total{{kind="population",fate="{fate}"}} {n}"#);
        assert!(body.contains(&line), "{line}\n{body}");
    }
    assert!(
        !kept[0].exists(),
        "the server removes the upload once imported"
    );
}

/// `--profile`: a source's file imports as published; an unknown profile or one of another kind is a
/// usage error naming what there is.
#[test]
fn import_with_a_profile_reads_the_source_s_own_columns() {
    let published = concat!(
        "REGISTROS,NATUREZA,MUNICIPIO,COD_MUNICIPIO,MES,ANO,RISP,RMBH\n",
        "3,Homicídio Consumado (Registros),ABADIA DOS DOURADOS,310010,1,2022,10,NÃO\n",
        "1,Roubo Consumado,ABADIA DOS DOURADOS,310010,1,2022,10,NÃO\n",
    );
    let town = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"3100104","name":"Abadia dos Dourados","kind":"municipality"},"geometry":null}]}"#;
    let dir = dir_with(&[("t.geojson", town), ("mg.csv", published)]);
    succeeds(dir.path(), &["import", "territories", "t.geojson"]);
    // The natureza the profile does not translate is rejected (exit 3); the homicides are in.
    let out = exits(
        dir.path(),
        "--format json import counts mg.csv --profile mg-sejusp-crimes-violentos",
        3,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["read"].as_u64(),
            v["inserted"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let out = exits(dir.path(), "import counts mg.csv --profile nenhum", 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("perfil de importação `nenhum` desconhecido; os perfis são: sp-ssp-roubo-veiculos, mg-sejusp-crimes-violentos, rj-isp-cisp-mensal"),
        "{err}"
    );
    let out = exits(
        dir.path(),
        "import occurrences mg.csv --profile mg-sejusp-crimes-violentos",
        2,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "o perfil `mg-sejusp-crimes-violentos` lê arquivos de contagens mensais, não de ocorrências"
        ),
        "{err}"
    );
}
