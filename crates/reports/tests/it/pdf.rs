//! The PDF: bytes, determinism and the laid-out text.

use atalaia_reports::{Stage, recap_pdf, recap_pdf_text};

use crate::fixture::{NASTY, sample_document, sample_report};

/// All text of the document, with every run of whitespace (line breaks between runs included) made
/// one space, so a phrase can be searched whatever the layout's line breaks.
fn squashed(pages: &[String]) -> String {
    pages
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_pdf_and_always_the_same_bytes() {
    let report = sample_report();
    let doc = sample_document(&report);
    let a = recap_pdf(&doc).expect("pdf");
    assert!(a.starts_with(b"%PDF-"), "{:?}", &a[..8.min(a.len())]);
    assert!(a.len() > 10_000);
    let b = recap_pdf(&doc).expect("pdf");
    assert!(a == b, "two renders of the same document differ");
    // The run is part of the identity: another run, other bytes.
    let mut other = sample_document(&report);
    other.run.run_id = 43;
    assert!(recap_pdf(&other).expect("pdf") != a);
}

#[test]
fn the_text_has_the_results_in_brazilian_format() {
    let report = sample_report();
    let doc = sample_document(&report);
    let pages = recap_pdf_text(&doc).expect("text");
    let text = squashed(&pages);
    for expected in [
        // Letterhead and title.
        "ESTADO DE GOIÁS",
        "SECRETARIA DE ESTADO DA SEGURANÇA PÚBLICA",
        "Programa Goiás Cidadão Seguro — Decreto nº 7.872/2013",
        "Comitê do Programa",
        "Resultado parcial do RECAP — 1º trimestre de 2024",
        "Base de comparação: 1º trimestre de 2023",
        // Parameters.
        "Homicídio doloso, Roubo de veículo, Furto de veículo",
        "redução ≥ 10,00%",
        "redução ≥ 20,00%",
        "mesmo trimestre do ano anterior",
        "vigente desde 01/01/2024",
        // Summary: areas and units by level; the roster's totals.
        "Áreas 1 2 2 5",
        "Unidades 1 0 2 3",
        "Servidores elegíveis (Art. 9) 312",
        "Valor total R$ 385.182,72",
        // AISP1, the worked example: population, counts base → period, indexes, reduction, level.
        "AISP1",
        "200.000",
        "10 → 8",
        "60 → 50",
        "40 → 40",
        "18,33",
        "16,33",
        "10,91%",
        // AISP2 (population carried forward, RECAP1) and AIS3 (RECAP1 not for an AIS).
        "250.000¹",
        "20,27",
        "13,07",
        "35,53%",
        "RECAP1 não previsto para o tipo",
        "População do ano do período não cadastrada",
        // AIS12 (zero baseline) and AISP7 (no population).
        "base zero",
        "0,67",
        "sem população",
        "6,48",
        // Units (Art. 7): 1BPM's mean indexes 19,30 → 14,70, a 23,83 % reduction.
        "19,30",
        "14,70",
        "23,83%",
        "área sem índice",
        // Roster (Art. 9) and its totals; the payroll's count and total.
        "R$ 1.234,56",
        "R$ 385.182,72",
        "312",
        "2 servidores na folha, total de R$ 2.469,12; 1 excluído com o motivo",
        "Decisões do Comitê sobre servidores (Arts. 13 e 14):",
        "GCM-0042 (1BPM): excluído por decisão do Comitê Gestor, ato nº 12 de 15/04/2024: guarda municipal cedido.",
        // Signatures.
        "Goiânia, ____ de __________ de ____.",
        "Ana Beatriz Souza",
        "Presidente do Comitê do Programa",
        // Annex.
        "Anexo — Memória de cálculo",
        "Redução = (base − período) / base × 100 = 10,909091%.",
        "Sem população: índice indefinido, sem nível.",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF's text:\n{text}"
        );
    }
}

#[test]
fn every_page_has_the_footer() {
    let report = sample_report();
    let doc = sample_document(&report);
    let pages = recap_pdf_text(&doc).expect("text");
    let n = pages.len();
    assert!(n >= 4, "{n} pages");
    for (i, page) in pages.iter().enumerate() {
        let page = squashed(std::slice::from_ref(page));
        let footer = format!(
            "Execução nº 42 · resultado SHA-256 3f5a9c0e7b1d2468… · página {} de {n}",
            i + 1
        );
        assert!(
            page.contains(&footer),
            "page {}: {footer:?} not in {page}",
            i + 1
        );
    }
}

#[test]
fn user_text_is_never_markup() {
    let report = sample_report();
    let doc = sample_document(&report);
    let text = squashed(&recap_pdf_text(&doc).expect("text"));
    let nasty = NASTY.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&nasty),
        "{nasty:?} not in the PDF's text:\n{text}"
    );
    assert!(text.contains("Helena Martins #2 *"));
}

#[test]
fn the_final_result_says_so() {
    let report = sample_report();
    let mut doc = sample_document(&report);
    doc.stage = Stage::Final;
    let text = squashed(&recap_pdf_text(&doc).expect("text"));
    assert!(text.contains("Resultado final do RECAP — 1º trimestre de 2024"));
    assert!(!text.contains("Resultado parcial"));
}

#[test]
fn empty_inputs_still_make_a_document() {
    let report = atalaia_core::recap::report(
        &atalaia_core::recap::RecapParams::decree_default(),
        &atalaia_core::recap::RunInputs {
            quarter: atalaia_core::Quarter::parse("2024-Q2").expect("quarter"),
            baseline_quarter: atalaia_core::Quarter::parse("2023-Q2").expect("quarter"),
            areas: vec![],
            unit_areas: vec![],
            units: vec![],
        },
    );
    let mut doc = sample_document(&report);
    doc.roster.clear();
    doc.payroll.clear();
    doc.signatories.clear();
    doc.run.created_at = "não é data".into();
    doc.run.result_sha256 = "é".into();
    let pdf = recap_pdf(&doc).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = squashed(&recap_pdf_text(&doc).expect("text"));
    assert!(text.contains("2º trimestre de 2024"));
    assert!(text.contains("0 servidores na folha, total de R$ 0,00; 0 excluídos com o motivo"));
}
