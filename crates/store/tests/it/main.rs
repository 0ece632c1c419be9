//! The store's test story, run on every backend available (SQLite always; PostgreSQL when
//! `ATALAIA_TEST_POSTGRES_URL` is set, as in CI).

use atalaia_store::imports::NewImport;
use atalaia_store::occurrences::{
    OccurrenceFilter, OccurrenceRecord, OccurrenceWriter, RowOutcome, Tally,
};
use atalaia_store::per_backend;
use atalaia_store::territories::{SINCE_ALWAYS, TerritoryInput, Upsert};
use atalaia_store::testing::TestDb;
use atalaia_store::{Db, Refusal, StoreError, Tx};
use chrono::{NaiveDate, NaiveDateTime};

use occurrences::{occ, put};
use territories::territory;

mod counts;
mod cycles;
mod evaluation;
mod explorer;
mod igesp;
mod ipei;
mod jobs;
mod occurrences;
mod partitions;
mod platform;
mod program_config;
mod roster;
mod schema;
mod territories;
mod trace;

/// A RECAP run of empty documents for `quarter` against `baseline`: what cycle tests publish.
fn bare_run<'a>(quarter: &'a str, baseline: &'a str) -> atalaia_store::runs::NewRun<'a> {
    atalaia_store::runs::NewRun {
        period: quarter,
        config_id: None,
        config: "{}",
        inputs: "{}",
        result: "{}",
        frozen: None,
        sources: None,
        columns: vec![("baseline", Some(baseline.to_string()))],
        audit: serde_json::json!({"quarter": quarter, "baseline": baseline}),
    }
}

/// A unit whose circunscrição is AISP1, in force since 2020.
fn unit_in_aisp1(code: &str, name: &str, institution: &str) -> atalaia_store::reference::UnitInput {
    atalaia_store::reference::UnitInput {
        code: code.parse().unwrap(),
        name: name.into(),
        institution: institution.parse().unwrap(),
        territory_codes: vec!["AISP1".into()],
        valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        valid_to: None,
    }
}

/// The refusal a store call answered with; any other error fails the test.
fn refusal(e: StoreError) -> Refusal {
    match e {
        StoreError::Refused(r) => r,
        e => panic!("expected a refusal, got {e}"),
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn dt(y: i32, m: u32, day: u32, h: u32) -> NaiveDateTime {
    d(y, m, day).and_hms_opt(h, 0, 0).unwrap()
}

async fn new_import(tx: &mut Tx, kind: &str) -> i64 {
    tx.create_import(&NewImport {
        kind,
        file_name: "test.csv",
        file_sha256: "",
        actor: "test",
        synthetic: false,
        started_at: dt(2024, 5, 1, 12),
    })
    .await
    .unwrap()
}
