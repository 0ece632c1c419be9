//! A RECAP document built from the spec's worked example (goias-cidadao-seguro.md §3) and a few areas
//! that exercise every presentation rule. Shared by the tests and by `examples/sample.rs`.

use atalaia_core::recap::{
    AreaInput, Level, Population, RecapParams, Report, RunInputs, UnitInput, report,
};
use atalaia_core::{Quarter, TerritoryKind};
use atalaia_reports::{PayrollLine, RecapDocument, RosterSummaryRow, RunMeta, Signatory, Stage};

/// A unit name with every character typst markup gives a meaning to.
pub const NASTY: &str =
    r#"Cia. #1 *Especial* _Rotam_ $x^2$ @ref <rótulo> [a] \ // não é comentário ~ `cód` = "aspas""#;

fn area(
    code: &str,
    name: &str,
    kind: TerritoryKind,
    population: Population,
    baseline_population: Population,
    baseline_counts: [u64; 3],
    counts: [u64; 3],
) -> AreaInput {
    AreaInput {
        code: code.into(),
        name: name.into(),
        kind,
        population,
        baseline_population,
        counts: counts.to_vec(),
        baseline_counts: baseline_counts.to_vec(),
    }
}

/// The quarter 2024-Q1 against 2023-Q1:
/// - AISP1: the worked example (200 000 inhabitants; 10/60/40 → 8/50/40): 18,33 → 16,33, 10,91 %, RECAP2;
/// - AISP2: 250 000 carried forward from 2023; 12/80/60 → 8/50/40: 20,27 → 13,07, 35,53 %, RECAP1;
/// - AIS3: 120 000; 6/40/30 → 4/25/20: 21,11 → 13,61, 35,53 %, RECAP2 (RECAP1 not for an AIS);
/// - AIS12: zero baseline; AISP7: no population for 2024.
pub fn sample_report() -> Report {
    use Population::{CarriedForward, Exact, Missing};
    let params = RecapParams::decree_default();
    let quarter = |s| Quarter::parse(s).expect("a quarter");
    let inputs = RunInputs {
        quarter: quarter("2024-Q1"),
        baseline_quarter: quarter("2023-Q1"),
        areas: vec![
            area(
                "AISP1",
                "Região Central",
                TerritoryKind::Aisp,
                Exact(200_000),
                Exact(200_000),
                [10, 60, 40],
                [8, 50, 40],
            ),
            area(
                "AISP2",
                "Noroeste",
                TerritoryKind::Aisp,
                CarriedForward {
                    population: 250_000,
                    year: 2023,
                },
                Exact(250_000),
                [12, 80, 60],
                [8, 50, 40],
            ),
            area(
                "AIS3",
                "Trindade",
                TerritoryKind::Ais,
                Exact(120_000),
                Exact(120_000),
                [6, 40, 30],
                [4, 25, 20],
            ),
            area(
                "AIS12",
                "Senador Canedo",
                TerritoryKind::Ais,
                Exact(150_000),
                Exact(150_000),
                [0, 0, 0],
                [1, 2, 0],
            ),
            area(
                "AISP7",
                "Leste",
                TerritoryKind::Aisp,
                Missing,
                Exact(180_000),
                [5, 20, 10],
                [4, 18, 9],
            ),
        ],
        unit_areas: vec![],
        units: vec![
            UnitInput {
                code: "1BPM".into(),
                name: "1º Batalhão de Polícia Militar".into(),
                areas: vec!["AISP1".into(), "AISP2".into()],
            },
            UnitInput {
                code: "8DP".into(),
                name: "8ª Delegacia Distrital de Polícia".into(),
                areas: vec!["AIS12".into()],
            },
            UnitInput {
                code: "CPE".into(),
                name: NASTY.into(),
                areas: vec!["AISP7".into()],
            },
        ],
    };
    report(&params, &inputs)
}

/// R$ 1.234,56 per operator.
pub const AMOUNT: i64 = 123_456;

/// The document of run nº 42 over [`sample_report`].
pub fn sample_document(report: &Report) -> RecapDocument<'_> {
    RecapDocument {
        stage: Stage::Partial,
        report,
        run: RunMeta {
            run_id: 42,
            created_by: "ana.souza".into(),
            created_at: "22/11/2026 10:15".into(),
            inputs_sha256: "9b74c9897bac770ffc029102a200c5de6cbb0e2f0c9e4f1f4b7b6c7d8e9f0a1b"
                .into(),
            result_sha256: "3f5a9c0e7b1d2468ace013579bdf24680123456789abcdef0123456789abcdef"
                .into(),
            config_valid_from: "01/01/2024".into(),
        },
        roster: vec![
            RosterSummaryRow {
                unit: "1BPM".into(),
                name: "1º Batalhão de Polícia Militar".into(),
                areas: vec!["AISP1".into(), "AISP2".into()],
                level: Some(Level::Recap1),
                eligible: 312,
                excluded_absence: 9,
                excluded_by_head: 2,
                excluded_other: 1,
                amount_cents: AMOUNT,
                total_cents: 312 * AMOUNT,
            },
            RosterSummaryRow {
                unit: "8DP".into(),
                name: "8ª Delegacia Distrital de Polícia".into(),
                areas: vec!["AIS12".into()],
                level: None,
                eligible: 0,
                excluded_absence: 1,
                excluded_by_head: 0,
                excluded_other: 0,
                amount_cents: 0,
                total_cents: 0,
            },
            RosterSummaryRow {
                unit: "CPE".into(),
                name: NASTY.into(),
                areas: vec!["AISP7".into()],
                level: None,
                eligible: 0,
                excluded_absence: 0,
                excluded_by_head: 0,
                excluded_other: 0,
                amount_cents: 0,
                total_cents: 0,
            },
        ],
        payroll: vec![
            PayrollLine {
                registration: "2701234-5".into(),
                name: "Maria Aparecida dos Santos".into(),
                institution: "PM".into(),
                unit_code: "1BPM".into(),
                unit_name: "1º Batalhão de Polícia Militar".into(),
                areas: vec!["AISP1".into(), "AISP2".into()],
                level: Some(Level::Recap1),
                amount_cents: AMOUNT,
                reason: None,
                decision: None,
            },
            PayrollLine {
                registration: "2709876-0".into(),
                name: "João D'Ávila Gonçalves".into(),
                institution: "PM".into(),
                unit_code: "1BPM".into(),
                unit_name: "1º Batalhão de Polícia Militar".into(),
                areas: vec!["AISP1".into(), "AISP2".into()],
                level: Some(Level::Recap1),
                amount_cents: AMOUNT,
                reason: None,
                decision: None,
            },
            PayrollLine {
                registration: "GCM-0042".into(),
                name: "Guarda Municipal Assis".into(),
                institution: "GCM".into(),
                unit_code: "1BPM".into(),
                unit_name: "1º Batalhão de Polícia Militar".into(),
                areas: vec!["AISP1".into(), "AISP2".into()],
                level: None,
                amount_cents: 0,
                reason: Some(atalaia_core::payroll::PayrollReason::CommitteeDecision),
                decision: Some(
                    "decisão do Comitê Gestor, ato nº 12 de 15/04/2024: guarda municipal cedido"
                        .into(),
                ),
            },
        ],
        signatories: vec![
            Signatory {
                name: "Ana Beatriz Souza".into(),
                role: "Presidente do Comitê do Programa".into(),
            },
            Signatory {
                name: "Carlos Eduardo Lima".into(),
                role: "Membro do Comitê — Polícia Civil".into(),
            },
            Signatory {
                name: "Helena Martins #2 *".into(),
                role: "Membro do Comitê — Polícia Militar".into(),
            },
        ],
    }
}
