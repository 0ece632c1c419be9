//! `atalaia calendar`: holidays and business days as contracts.md says, with the year table of decrees.

use super::*;

#[test]
fn calendar_commands_answer_as_contracts_md_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = exits(
        dir.path(),
        "--format json calendar business-day --state GO --municipality 5208707 --month 2024-03 --nth 5",
        0,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"month": "2024-03", "nth": 5, "date": "2024-03-07"})
    );
    let out = atalaia(dir.path())
        .args(words(
            "--format json calendar holidays --state GO --from 2024 --to 2024",
        ))
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
    let out = exits(
        dir.path(),
        "calendar business-day --state XX --month 2024-03 --nth 1",
        2,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state `XX` inválido"));
    exits(
        dir.path(),
        "calendar business-day --state GO --month 2024-02 --nth 25",
        1,
    );
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
    let out = succeeds(
        dir.path(),
        &words(
            "--format json calendar business-day --state GO --municipality 5208707 --month 2024-03 --nth 5",
        ),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["date"], "2024-03-08");
    let out = atalaia(dir.path())
        .args(words(
            "--format json calendar holidays --state GO --from 2024 --to 2024",
        ))
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
