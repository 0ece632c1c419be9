//! `atalaia audit verify` catches an entry edited behind the program's back.

use super::*;

#[test]
fn audit_verify_catches_an_entry_edited_behind_the_programs_back() {
    let dir = dir_with(&[
        ("t.geojson", AREA_X),
        ("p.csv", "territory_code,year,population\nX,2024,1000\n"),
    ]);
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
    let out = exits(dir.path(), "--format json audit verify", 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["first_broken"], 2);
}
