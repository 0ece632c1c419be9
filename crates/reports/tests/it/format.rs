//! Brazilian number formatting and the pt-BR labels.

use atalaia_core::recap::{Baseline, Level, Reason};
use atalaia_reports::format::*;

#[test]
fn decimals_round_to_two_with_comma_and_thousands_dots() {
    assert_eq!(decimal(600.0 / 55.0, 2), "10,91"); // the worked example's reduction, 10,909090…
    assert_eq!(decimal(55.0 / 3.0, 2), "18,33");
    assert_eq!(decimal(49.0 / 3.0, 2), "16,33");
    assert_eq!(decimal(1234.5, 2), "1.234,50");
    assert_eq!(decimal(1_234_567.891, 2), "1.234.567,89");
    assert_eq!(
        decimal(999.999, 2),
        "1.000,00",
        "rounding carries into the thousands"
    );
    assert_eq!(decimal(0.0, 2), "0,00");
    assert_eq!(decimal(7.0, 0), "7");
    assert_eq!(decimal(10.909090909, 6), "10,909091");
}

#[test]
fn negative_numbers() {
    assert_eq!(decimal(-1234.567, 2), "-1.234,57");
    assert_eq!(
        decimal(-0.004, 2),
        "0,00",
        "no sign on a value that prints as zero"
    );
    assert_eq!(decimal(-0.0, 2), "0,00");
    assert_eq!(percent(-35.0 / 3.0), "-11,67%");
    assert_eq!(integer(-1_000), "-1.000");
    assert_eq!(brl(-123_456), "-R$ 1.234,56");
    assert_eq!(brl(-5), "-R$ 0,05");
}

#[test]
fn percentages_money_and_integers() {
    assert_eq!(percent(600.0 / 55.0), "10,91%");
    assert_eq!(percent_or_dash(None), "—");
    assert_eq!(percent(f64::NAN), "—");
    assert_eq!(decimal_or_dash(None), "—");
    assert_eq!(brl(123_456), "R$ 1.234,56");
    assert_eq!(brl(0), "R$ 0,00");
    assert_eq!(brl(7), "R$ 0,07");
    assert_eq!(brl(100_000_000), "R$ 1.000.000,00");
    assert_eq!(integer(200_000), "200.000");
    assert_eq!(integer(999), "999");
    assert_eq!(integer(0), "0");
}

#[test]
fn labels() {
    assert_eq!(quarter_label("2024-Q1"), "1º trimestre de 2024");
    assert_eq!(quarter_label("2023-Q4"), "4º trimestre de 2023");
    assert_eq!(quarter_label("não é trimestre"), "não é trimestre");
    assert_eq!(level_label(Some(Level::Recap1)), "RECAP1");
    assert_eq!(level_label(Some(Level::Recap2)), "RECAP2");
    assert_eq!(level_label(None), "—");
    let all = [
        (Reason::NoPopulation, "sem população"),
        (Reason::ZeroBaseline, "base zero"),
        (Reason::LowIndexFloor, "piso de índice baixo"),
        (Reason::Recap1NotForKind, "RECAP1 não previsto para o tipo"),
        (Reason::AreaWithoutIndex, "área sem índice"),
        (
            Reason::PeriodNotClosed,
            "trimestre não encerrado: sem nível",
        ),
        (Reason::AreaNotInForce, "área fora de vigência"),
    ];
    for (reason, text) in &all {
        assert_eq!(reason_label(reason), *text);
    }
    assert_eq!(
        reasons_label(&[Reason::ZeroBaseline, Reason::LowIndexFloor]),
        "base zero; piso de índice baixo"
    );
    assert_eq!(reasons_label(&[]), "");
    assert_eq!(
        baseline_label(Baseline::SameQuarterPreviousYear),
        "mesmo trimestre do ano anterior"
    );
    assert_eq!(crime_label("roubo_veiculo"), "Roubo de veículo");
    assert_eq!(crime_label("crime_novo"), "crime_novo");
    assert_eq!(kind_label("aisp"), "AISP");
}
