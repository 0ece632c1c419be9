//! `atalaia backup` and `atalaia restore` as an operator's cron and hands use them.

use super::*;

#[test]
fn backup_then_restore_into_a_new_file_and_nothing_else() {
    let dir = dir_with(&[
        ("t.geojson", AREA_X),
        ("p.csv", "territory_code,year,population\nX,2024,1000\n"),
    ]);
    succeeds(dir.path(), &["import", "territories", "t.geojson"]);
    succeeds(dir.path(), &["import", "population", "p.csv"]);

    let out = succeeds(
        dir.path(),
        &["--format", "json", "backup", "--to", "copia.db"],
    );
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(said["format"], "sqlite");
    assert_eq!(
        said["bytes"].as_u64().unwrap(),
        std::fs::metadata(dir.path().join("copia.db"))
            .unwrap()
            .len()
    );
    // A copy never overwrites another.
    let out = exits(dir.path(), "backup --to copia.db", 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("copia.db já existe"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Into a new file: the audit chain is checked and said.
    let out = succeeds(
        dir.path(),
        &[
            "--database",
            "sqlite://restaurado.db",
            "restore",
            "--from",
            "copia.db",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "banco restaurado de copia.db; cadeia de auditoria íntegra: 2 entradas conferidas"
        ),
        "{text}"
    );
    let out = succeeds(
        dir.path(),
        &["--database", "sqlite://restaurado.db", "audit", "verify"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 entradas conferidas"));
    // Not into a database that has tables, and not from a file that is no copy.
    let out = exits(
        dir.path(),
        "--database sqlite://restaurado.db restore --from copia.db",
        1,
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("já tem tabelas"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = exits(
        dir.path(),
        "--database sqlite://outro.db restore --from p.csv",
        1,
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "p.csv não é uma cópia do Atalaia: esperado um banco SQLite ou um arquivo do pg_dump (formato custom)"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
