//! The IPEI documents of a month worked out by hand (decree defaults: R$ 300,00 per weapon split equally,
//! cap R$ 1.000,00). U1 sends on time: S1 names PM1 and PM2 (150 + 150), S2–S4 name PM1 alone (300
//! each), S5 was not in flagrante (nothing). U2 sends late (Art. 15, I): its S6 pays nobody. PM1 earns
//! 1.050 and gets 1.000 (the cap); PM2 gets 150; total R$ 1.150,00.

use std::collections::BTreeMap;
use std::io::Cursor;

use atalaia_core::Month;
use atalaia_core::ipei::{
    IpeiParams, IpeiReport, MonthInputs, OperatorFacts, SeizureInput, UnitDelivery, result,
};
use atalaia_reports::{
    IpeiDocument, RunMeta, Signatory, Stage, ipei_pdf, ipei_pdf_text, ipei_xlsx,
};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, day).unwrap()
}

fn seizure(id: i64, unit: &str, serial: &str, regs: &[&str], flagrante: bool) -> SeizureInput {
    SeizureInput {
        id,
        bo_number: format!("BO-{id}/2024"),
        item: 1,
        serial: serial.into(),
        unit: unit.into(),
        seized_on: d(3, u32::try_from(id).unwrap() + 1),
        flagrante,
        registrations: regs.iter().map(|r| r.to_string()).collect(),
        bo_sha256: Some(format!("sha-{id}")),
        brand: String::new(),
    }
}

fn report() -> IpeiReport {
    report_with(Vec::new())
}

fn report_with(decisions: Vec<atalaia_core::decision::Decision>) -> IpeiReport {
    let op = |inst: &str| OperatorFacts {
        name: format!("Servidor {inst}"),
        institution: "PM".into(),
        served_in_month: true,
    };
    let inputs = MonthInputs {
        month: Month::parse("2024-03").unwrap(),
        as_of: d(4, 20),
        submission_deadline: d(4, 5),
        forensic_deadline: d(4, 5),
        units: vec![
            UnitDelivery {
                unit: "U1".into(),
                name: "1º BPM".into(),
                submitted_on: Some(d(4, 3)),
                delivered: vec![1, 2, 3, 4, 5],
            },
            UnitDelivery {
                unit: "U2".into(),
                name: "2º BPM".into(),
                submitted_on: Some(d(4, 8)),
                delivered: vec![6],
            },
        ],
        seizures: vec![
            seizure(1, "U1", "A1", &["PM1", "PM2"], true),
            seizure(2, "U1", "A2", &["PM1"], true),
            seizure(3, "U1", "A3", &["PM1"], true),
            seizure(4, "U1", "A4", &["PM1"], true),
            seizure(5, "U1", "A5", &["PM1"], false),
            seizure(6, "U2", "B1", &["PM3"], true),
        ],
        forensic: Vec::new(),
        operators: BTreeMap::from([
            ("PM1".into(), op("1")),
            ("PM2".into(), op("2")),
            ("PM3".into(), op("3")),
        ]),
        earlier: Vec::new(),
        decisions,
    };
    let mut r = result(&IpeiParams::decree_default(), &inputs);
    r.stage = atalaia_core::ipei::MonthStage::Final;
    r
}

fn document<'a>(report: &'a IpeiReport, unit: Option<&str>) -> IpeiDocument<'a> {
    IpeiDocument {
        stage: Stage::Final,
        report,
        run: RunMeta {
            run_id: 7,
            created_by: "Carla do Comitê Gestor (comite)".into(),
            created_at: "15/04/2024 10:00".into(),
            inputs_sha256: "a".repeat(64),
            result_sha256: "b".repeat(64),
            config_valid_from: "01/01/2024".into(),
        },
        unit: unit.map(str::to_string),
        signatories: vec![Signatory {
            name: "Carla do Comitê Gestor".into(),
            role: "Comitê do Programa".into(),
        }],
    }
}

fn squashed(pages: &[String]) -> String {
    pages
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_month_as_pdf() {
    let r = report();
    let doc = document(&r, None);
    let a = ipei_pdf(&doc).unwrap();
    assert!(a.starts_with(b"%PDF-"));
    assert!(a == ipei_pdf(&doc).unwrap(), "same document, same bytes");
    let text = squashed(&ipei_pdf_text(&doc).unwrap());
    for expected in [
        "Resultado final do IPEI — março de 2024",
        "R$ 300,00",
        "U2 2º BPM 08/04/2024 1 / 0 excluída (Art. 15): enviou depois do prazo (Art. 15, I)",
        "não paga não foi em flagrante (Art. 10)",
        "PM1 PM R$ 1.050,00 R$ 1.000,00 (teto)",
        "PM2 PM R$ 150,00 R$ 150,00",
        "Total R$ 1.150,00",
        "Carla do Comitê Gestor",
        "Anexo — Memória de cálculo",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
}

#[test]
fn a_units_statement() {
    let r = report();
    let doc = document(&r, Some("U2"));
    let text = squashed(&ipei_pdf_text(&doc).unwrap());
    assert!(
        text.contains("Extrato da unidade U2 — IPEI de março de 2024 (resultado final)"),
        "{text}"
    );
    assert!(text.contains("B1"), "{text}");
    assert!(!text.contains("A1"), "another unit's seizure: {text}");
    assert!(!text.contains("Total R$"), "{text}");
    assert!(!text.contains("Memória de cálculo"), "{text}");
    assert!(ipei_pdf(&doc).unwrap() != ipei_pdf(&document(&r, None)).unwrap());
}

#[test]
fn the_payroll_workbook() {
    let r = report();
    let bytes = ipei_xlsx(&document(&r, None)).unwrap();
    assert!(bytes == ipei_xlsx(&document(&r, None)).unwrap());
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Folha de pagamento",
            "Apreensões",
            "Laudos",
            "Unidades",
            "Memória",
            "Execução"
        ]
    );
    let s = wb.worksheet_range("Folha de pagamento").unwrap();
    let rows: Vec<Vec<Data>> = s.rows().map(|r| r.to_vec()).collect();
    assert_eq!(
        rows[1],
        [
            Data::String("PM1".into()),
            Data::String("Servidor 1".into()),
            Data::String("PM".into()),
            Data::Float(1050.0),
            Data::String("sim".into()),
            Data::Float(1000.0),
        ]
    );
    assert_eq!(rows[2][5], Data::Float(150.0));
    assert_eq!(rows[3][0], Data::String("Total".into()));
    assert_eq!(rows[3][5], Data::Float(1150.0));
}

/// A granted appeal that reinstates the late unit (Arts. 13, 14) is cited where the unit is, and in the
/// memória: the PDF says on what decision U2's seizure is paid.
#[test]
fn a_decision_is_cited_in_the_pdf() {
    let r = report_with(vec![atalaia_core::decision::Decision {
        act_id: 41,
        decided_on: d(4, 12),
        text: "Recurso provido: o atraso foi do sistema".into(),
        effect: atalaia_core::decision::Effect::ReinstateUnit { unit: "U2".into() },
    }]);
    let doc = document(&r, None);
    let text = squashed(&ipei_pdf_text(&doc).unwrap());
    for expected in [
        "U2 2º BPM 08/04/2024 1 / 1 incluída por decisão do Comitê Gestor, ato nº 41 de 12/04/2024: Recurso provido: o atraso foi do sistema",
        "Unidade U2: incluída por decisão do Comitê Gestor, ato nº 41 de 12/04/2024",
        "PM3 PM R$ 300,00 R$ 300,00",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
}
