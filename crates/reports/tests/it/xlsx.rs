//! The workbook, read back with calamine: numbers are numbers, labels are pt-BR.

use std::io::Cursor;

use atalaia_reports::recap_xlsx;
use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};

use crate::fixture::{NASTY, sample_document, sample_report};

fn workbook() -> Xlsx<Cursor<Vec<u8>>> {
    let report = sample_report();
    let bytes = recap_xlsx(&sample_document(&report)).expect("xlsx");
    open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook calamine reads")
}

fn sheet(wb: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
    wb.worksheet_range(name).expect(name)
}

fn cell(range: &Range<Data>, row: usize, col: usize) -> Data {
    range.get((row, col)).cloned().unwrap_or(Data::Empty)
}

fn num(range: &Range<Data>, row: usize, col: usize) -> f64 {
    match cell(range, row, col) {
        Data::Float(v) => v,
        Data::Int(v) => v as f64,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

fn text(range: &Range<Data>, row: usize, col: usize) -> String {
    match cell(range, row, col) {
        Data::String(s) => s,
        other => panic!("({row}, {col}) is not text: {other:?}"),
    }
}

#[test]
fn the_sheets() {
    let wb = workbook();
    assert_eq!(
        wb.sheet_names(),
        [
            "Áreas",
            "Unidades",
            "Servidores",
            "Folha nominal",
            "Memória",
            "Execução"
        ]
    );
}

#[test]
fn areas_are_numbers() {
    let mut wb = workbook();
    let s = sheet(&mut wb, "Áreas");
    let header: Vec<String> = (0..17).map(|c| text(&s, 0, c)).collect();
    assert_eq!(
        header,
        [
            "Código",
            "Área",
            "Tipo",
            "População (período)",
            "População (base)",
            "Homicídio doloso — base",
            "Homicídio doloso — período",
            "Roubo de veículo — base",
            "Roubo de veículo — período",
            "Furto de veículo — base",
            "Furto de veículo — período",
            "Índice base",
            "Índice",
            "Redução (%)",
            "Nível",
            "Motivo",
            "Aviso",
        ]
    );
    // AISP1, the worked example.
    assert_eq!(text(&s, 1, 0), "AISP1");
    assert_eq!(text(&s, 1, 2), "AISP");
    assert_eq!(num(&s, 1, 3), 200_000.0);
    let counts: Vec<f64> = (5..11).map(|c| num(&s, 1, c)).collect();
    assert_eq!(counts, [10.0, 8.0, 60.0, 50.0, 40.0, 40.0]);
    assert!((num(&s, 1, 11) - 55.0 / 3.0).abs() < 1e-12);
    assert!((num(&s, 1, 12) - 49.0 / 3.0).abs() < 1e-12);
    assert!((num(&s, 1, 13) - 10.909_090_909).abs() < 1e-9);
    assert_eq!(text(&s, 1, 14), "RECAP2");
    assert_eq!(
        cell(&s, 1, 15),
        Data::Empty,
        "no reason: an empty string is no cell"
    );
    // AISP2: RECAP1 with its population carried forward.
    assert_eq!(text(&s, 2, 14), "RECAP1");
    assert!((num(&s, 2, 13) - 5400.0 / 152.0).abs() < 1e-9);
    assert!(text(&s, 2, 16).starts_with("população do ano do período não cadastrada"));
    // AIS3: RECAP2, as an AIS may not reach RECAP1.
    assert_eq!(
        (text(&s, 3, 14), text(&s, 3, 15)),
        ("RECAP2".into(), "RECAP1 não previsto para o tipo".into())
    );
    // AIS12: zero baseline — index 0 is a number, the reduction is no cell.
    assert_eq!(num(&s, 4, 11), 0.0);
    assert!((num(&s, 4, 12) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(cell(&s, 4, 13), Data::Empty);
    assert_eq!(
        (text(&s, 4, 14), text(&s, 4, 15)),
        ("—".into(), "base zero".into())
    );
    // AISP7: no population for the period.
    assert_eq!(cell(&s, 5, 3), Data::Empty);
    assert_eq!(num(&s, 5, 4), 180_000.0);
    assert_eq!(cell(&s, 5, 12), Data::Empty);
    assert_eq!(text(&s, 5, 15), "sem população");
    assert_eq!(s.height(), 6);
}

#[test]
fn units_roster_and_payroll() {
    let mut wb = workbook();
    let u = sheet(&mut wb, "Unidades");
    assert_eq!(text(&u, 1, 2), "AISP1, AISP2");
    assert!((num(&u, 1, 3) - 19.3).abs() < 1e-9);
    assert!((num(&u, 1, 4) - 14.7).abs() < 1e-9);
    assert!((num(&u, 1, 5) - 460.0 / 19.3).abs() < 1e-9);
    assert_eq!(text(&u, 1, 6), "RECAP1");
    assert_eq!(text(&u, 2, 7), "base zero");
    assert_eq!(text(&u, 3, 1), NASTY);
    assert_eq!(text(&u, 3, 7), "área sem índice");

    let r = sheet(&mut wb, "Servidores");
    assert_eq!(text(&r, 1, 0), "1BPM");
    assert_eq!(text(&r, 1, 3), "RECAP1");
    assert_eq!(num(&r, 1, 4), 312.0);
    assert_eq!(num(&r, 1, 7), 1.0);
    assert_eq!(num(&r, 1, 8), 1234.56);
    assert_eq!(num(&r, 1, 9), 385_182.72);
    assert_eq!(text(&r, 4, 0), "Total");
    assert_eq!(
        (num(&r, 4, 4), num(&r, 4, 5), num(&r, 4, 6), num(&r, 4, 7)),
        (312.0, 10.0, 2.0, 1.0)
    );
    assert_eq!(num(&r, 4, 9), 385_182.72);

    let p = sheet(&mut wb, "Folha nominal");
    let header: Vec<String> = (0..10).map(|c| text(&p, 0, c)).collect();
    assert_eq!(
        header,
        [
            "Matrícula",
            "Nome",
            "Instituição",
            "Código da unidade",
            "Unidade",
            "Áreas",
            "Nível",
            "Valor (R$)",
            "Situação",
            "Motivo da exclusão"
        ]
    );
    assert_eq!(text(&p, 1, 0), "2701234-5");
    assert_eq!(text(&p, 2, 1), "João D'Ávila Gonçalves");
    assert_eq!(text(&p, 1, 6), "RECAP1");
    assert_eq!(num(&p, 1, 7), 1234.56);
    assert_eq!(text(&p, 1, 8), "pago");
    // Nobody dropped: the excluded are on the payroll with the reason.
    assert_eq!(
        (
            text(&p, 3, 0),
            num(&p, 3, 7),
            text(&p, 3, 8),
            text(&p, 3, 9)
        ),
        (
            "GCM-0042".into(),
            0.0,
            "excluído".into(),
            "decisão do Comitê Gestor, ato nº 12 de 15/04/2024: guarda municipal cedido".into()
        )
    );
    assert_eq!(p.height(), 4);
}

#[test]
fn memoria_and_run() {
    let report = sample_report();
    let mut wb = workbook();
    let m = sheet(&mut wb, "Memória");
    let lines: usize = report.areas.iter().map(|a| a.memoria.len()).sum();
    assert_eq!(m.height(), lines + 1);
    assert_eq!((text(&m, 1, 0), num(&m, 1, 1)), ("AISP1".into(), 1.0));
    assert_eq!(text(&m, 1, 2), report.areas[0].memoria[0]);
    let all: Vec<String> = (1..m.height()).map(|r| text(&m, r, 2)).collect();
    assert!(all.iter().any(|l| l.contains("= 10,909091%")));

    let e = sheet(&mut wb, "Execução");
    assert_eq!(text(&e, 1, 1), "Resultado parcial");
    assert_eq!(text(&e, 2, 1), "1º trimestre de 2024");
    assert_eq!(num(&e, 5, 1), 10.0);
    assert_eq!(num(&e, 6, 1), 20.0);
    assert_eq!(text(&e, 8, 1), "42");
}

#[test]
fn always_the_same_bytes() {
    let report = sample_report();
    let doc = sample_document(&report);
    assert!(recap_xlsx(&doc).expect("xlsx") == recap_xlsx(&doc).expect("xlsx"));
}
