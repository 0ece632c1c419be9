//! Inputs no real run makes, built by hand: the outputs are still produced, never a panic.

use atalaia_core::recap::{
    AreaResult, Baseline, CrimeLine, Level, Reason, Report, ReportParameters, UnitResult, Warning,
};
use atalaia_reports::{recap_pdf, recap_pdf_text, recap_xlsx};

use crate::fixture::sample_document;

fn odd_report() -> Report {
    let long = "x".repeat(3000);
    let area = |code: &str, name: &str, v: f64| AreaResult {
        code: code.into(),
        name: name.into(),
        kind: "outra_coisa".into(),
        population: Some(u64::MAX),
        baseline_population: None,
        crimes: vec![CrimeLine {
            crime: "crime_sem_catalogo".into(),
            count: u64::MAX,
            baseline_count: 0,
            rate: Some(v),
            baseline_rate: None,
        }],
        index: Some(v),
        baseline_index: Some(-v),
        reduction_pct: Some(v),
        level: Some(Level::Recap1),
        reasons: vec![Reason::LowIndexFloor, Reason::AreaWithoutIndex],
        warnings: vec![Warning::PopulationCarriedForward],
        memoria: vec![String::new(), "\u{0}\t\r\n#{}".into(), long.clone()],
        recap1_allowed: false,
    };
    Report {
        quarter: "não é trimestre".into(),
        baseline_quarter: String::new(),
        parameters: ReportParameters {
            // More crimes than the areas have lines for, and one the catalog does not know.
            crimes: vec!["crime_sem_catalogo".into(), "homicidio_doloso".into()],
            recap2_min_pct: f64::NAN,
            recap1_min_pct: f64::INFINITY,
            baseline: Baseline::PreviousQuarter,
        },
        areas: vec![
            area("", "", f64::NAN),
            area("#x", &long, f64::INFINITY),
            area("y", "\u{0}", -1e300),
        ],
        units: vec![UnitResult {
            code: "]".into(),
            name: "\"".into(),
            areas: vec![],
            index: Some(f64::NEG_INFINITY),
            baseline_index: None,
            reduction_pct: Some(f64::NAN),
            level: None,
            reasons: vec![],
            memoria: vec![],
        }],
    }
}

#[test]
fn odd_values_do_not_panic() {
    let report = odd_report();
    let mut doc = sample_document(&report);
    doc.run.run_id = i64::MIN;
    doc.run.created_at = "31/02/2026 25:61".into();
    doc.run.result_sha256 = String::new();
    doc.roster[0].amount_cents = i64::MIN;
    doc.roster[0].total_cents = i64::MIN;
    doc.roster[1].total_cents = i64::MIN;
    doc.roster[2].eligible = u32::MAX;
    doc.payroll[0].amount_cents = i64::MAX;
    doc.signatories[0].name = "\u{0}".into();
    assert!(recap_pdf(&doc).expect("pdf").starts_with(b"%PDF-"));
    let text = recap_pdf_text(&doc).expect("text").join("\n");
    assert!(
        text.contains("-R$ 184.467.440.737.095.516,16"),
        "the sum of two i64::MIN is printed, not overflowed"
    );
    assert!(recap_xlsx(&doc).is_ok());
}
