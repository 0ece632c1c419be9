//! The RECAP calculation on examples worked out by hand from the decree (Arts. 4–8).

use super::*;

fn area(kind: TerritoryKind, pop: u64, base: &[u64], now: &[u64]) -> AreaInput {
    AreaInput {
        code: "X".into(),
        name: "AISP X".into(),
        kind,
        population: Population::Exact(pop),
        baseline_population: Population::Exact(pop),
        counts: now.to_vec(),
        baseline_counts: base.to_vec(),
    }
}

/// goias-cidadao-seguro.md §3, the worked example: 55/3 → 49/3, 10.909…% → RECAP2.
#[test]
fn the_worked_example() {
    let p = RecapParams::decree_default();
    p.validate().unwrap();
    let r = compute_area(
        &p,
        &area(TerritoryKind::Aisp, 200_000, &[10, 60, 40], &[8, 50, 40]),
    );
    let rates: Vec<(f64, f64)> = r
        .crimes
        .iter()
        .map(|c| (c.baseline_rate.unwrap(), c.rate.unwrap()))
        .collect();
    assert_eq!(rates, [(5.0, 4.0), (30.0, 25.0), (20.0, 20.0)]);
    assert!((r.baseline_index.unwrap() - 55.0 / 3.0).abs() < 1e-12);
    assert!((r.index.unwrap() - 49.0 / 3.0).abs() < 1e-12);
    assert!((r.reduction_pct.unwrap() - 600.0 / 55.0).abs() < 1e-9);
    assert_eq!(r.level, Some(Level::Recap2));
    assert!(r.reasons.is_empty() && r.warnings.is_empty());
    assert!(
        r.memoria.iter().any(|l| l.contains("= 10,909091%")),
        "{:?}",
        r.memoria
    );
}

/// Exactly 10 %: 100 → 90 reaches RECAP2 however floating point rounds.
#[test]
fn exactly_the_threshold_reaches_it() {
    let p = RecapParams::decree_default();
    // Populations that make the float computation inexact: 3 × 7 × 11 × 13.
    let r = compute_area(
        &p,
        &area(TerritoryKind::Aisp, 3003, &[30, 40, 30], &[27, 36, 27]),
    );
    assert_eq!(r.level, Some(Level::Recap2));
    let r = compute_area(
        &p,
        &area(TerritoryKind::Aisp, 3003, &[30, 40, 30], &[27, 36, 28]),
    );
    assert_eq!(r.level, None, "9 % is not 10 %");
    // Exactly 20 % → RECAP1 for an AISP, capped at RECAP2 for an AIS.
    let r = compute_area(
        &p,
        &area(TerritoryKind::Aisp, 999_999, &[50, 0, 0], &[40, 0, 0]),
    );
    assert_eq!(r.level, Some(Level::Recap1));
    let r = compute_area(
        &p,
        &area(TerritoryKind::Ais, 999_999, &[50, 0, 0], &[40, 0, 0]),
    );
    assert_eq!(
        (r.level, r.reasons),
        (Some(Level::Recap2), vec![Reason::Recap1NotForKind])
    );
}

#[test]
fn zero_baseline_and_missing_population() {
    let p = RecapParams::decree_default();
    let r = compute_area(&p, &area(TerritoryKind::Aisp, 1000, &[0, 0, 0], &[1, 0, 0]));
    assert_eq!((r.reduction_pct, r.level), (None, None));
    assert_eq!(r.reasons, [Reason::ZeroBaseline]);
    let mut a = area(TerritoryKind::Aisp, 1000, &[5, 5, 5], &[1, 1, 1]);
    a.population = Population::Missing;
    let r = compute_area(&p, &a);
    assert_eq!((r.index, r.level), (None, None));
    assert_eq!(r.reasons, [Reason::NoPopulation]);
    a.population = Population::CarriedForward {
        population: 1000,
        year: 2021,
    };
    let r = compute_area(&p, &a);
    assert_eq!(r.warnings, [Warning::PopulationCarriedForward]);
    assert_eq!(r.level, Some(Level::Recap1), "15 → 3 is an 80 % reduction");
}

#[test]
fn low_index_floor() {
    let mut p = RecapParams::decree_default();
    // 3 crimes among 100 000 inhabitants over 3 CAP crimes: index 1.0; growing from 2 to 3.
    let a = area(TerritoryKind::Ais, 100_000, &[2, 0, 0], &[3, 0, 0]);
    assert_eq!(compute_area(&p, &a).level, None);
    p.low_index_floor = Some(1.0);
    let r = compute_area(&p, &a);
    assert_eq!(
        (r.level, r.reasons),
        (Some(Level::Recap2), vec![Reason::LowIndexFloor])
    );
    p.low_index_floor = Some(0.999_999);
    assert_eq!(compute_area(&p, &a).level, None, "just above the floor");
}

#[test]
fn units_over_several_areas() {
    let p = RecapParams::decree_default();
    // Indexes: A 20 → 15 (AISP), B 10 → 9 (AIS); unit: mean 15 → 12, a 20 % reduction.
    let a = compute_area(
        &p,
        &area(TerritoryKind::Aisp, 100_000, &[60, 0, 0], &[45, 0, 0]),
    );
    let b = compute_area(
        &p,
        &area(TerritoryKind::Ais, 100_000, &[30, 0, 0], &[27, 0, 0]),
    );
    let u = compute_unit(&p, "PM-1BPM", "1º BPM", &[&a, &b]);
    assert!((u.index.unwrap() - 12.0).abs() < 1e-12);
    assert!((u.reduction_pct.unwrap() - 20.0).abs() < 1e-9);
    assert_eq!(
        (u.level, u.reasons),
        (Some(Level::Recap2), vec![Reason::Recap1NotForKind])
    );
    let u = compute_unit(&p, "PM-1BPM", "1º BPM", &[&a]);
    assert_eq!(u.level, Some(Level::Recap1));
    let mut c = area(TerritoryKind::Aisp, 1, &[1, 0, 0], &[0, 0, 0]);
    c.population = Population::Missing;
    let c = compute_area(&p, &c);
    let u = compute_unit(&p, "PM-1BPM", "1º BPM", &[&a, &c]);
    assert_eq!((u.index, u.level), (None, None));
    assert_eq!(u.reasons, [Reason::AreaWithoutIndex]);
}

/// Art. 7, "a média aritmética dos índices das áreas em que atua", without dropping an area in
/// silence. Indexes by hand (three crimes, 100,000 inhabitants): A 20 → 15, B 10 → 9 (AISPs),
/// M 40 → 4 (a municipality).
/// - U1 acts in A, B and M: the mean of its RECAP areas A and B, 15 → 12 (20 %), M left out and said so
///   (averaging M in would give 23.3 → 9.3, 60 %);
/// - U2 acts in A and GONE, an area not in force at the quarter's end: no index, naming GONE (the old
///   code averaged A alone, 25 %: RECAP1);
/// - U3 acts in A and N, an AISP without population: no index, naming N.
#[test]
fn art_7_the_mean_of_the_units_recap_areas_and_no_silent_drop() {
    let p = RecapParams::decree_default();
    let named = |code: &str, kind, base: u64, now: u64| AreaInput {
        code: code.into(),
        name: format!("Área {code}"),
        ..area(kind, 100_000, &[base * 3, 0, 0], &[now * 3, 0, 0])
    };
    let mut n = named("N", TerritoryKind::Aisp, 10, 9);
    n.population = Population::Missing;
    let unit = |code: &str, areas: &[&str]| UnitInput {
        code: code.into(),
        name: format!("Unidade {code}"),
        areas: areas.iter().map(|a| a.to_string()).collect(),
    };
    let inputs = RunInputs {
        quarter: Quarter::parse("2024-Q1").unwrap(),
        baseline_quarter: Quarter::parse("2023-Q1").unwrap(),
        areas: vec![
            named("A", TerritoryKind::Aisp, 20, 15),
            named("B", TerritoryKind::Aisp, 10, 9),
            n,
        ],
        unit_areas: vec![named("M", TerritoryKind::Municipality, 40, 4)],
        units: vec![
            unit("U1", &["A", "B", "M"]),
            unit("U2", &["A", "GONE"]),
            unit("U3", &["A", "N"]),
        ],
    };
    let r = report(&p, &inputs);
    let u1 = &r.units[0];
    assert_eq!(u1.areas, ["A", "B"]);
    assert!((u1.baseline_index.unwrap() - 15.0).abs() < 1e-12);
    assert!((u1.index.unwrap() - 12.0).abs() < 1e-12);
    assert!((u1.reduction_pct.unwrap() - 20.0).abs() < 1e-9);
    assert_eq!(u1.level, Some(Level::Recap1));
    assert_eq!(
        u1.memoria,
        [
            "Média das áreas A, B (Art. 7).",
            "Área M (Área M) fora da média: o tipo Município não é área do RECAP."
        ]
    );
    let u2 = &r.units[1];
    assert_eq!((u2.index, u2.reduction_pct, u2.level), (None, None, None));
    assert_eq!(u2.reasons, [Reason::AreaNotInForce]);
    assert_eq!(
        u2.memoria[1],
        "Área GONE fora de vigência no fim do trimestre: a unidade fica sem índice."
    );
    let u3 = &r.units[2];
    assert_eq!((u3.index, u3.level), (None, None));
    assert_eq!(u3.reasons, [Reason::AreaWithoutIndex]);
    assert_eq!(
        u3.memoria[1],
        "Área N (Área N) sem índice: a unidade fica sem índice."
    );
}

#[test]
fn configuration_is_validated() {
    let mut p = RecapParams::decree_default();
    p.recap1_min_pct = Pct::new(10.0).unwrap();
    assert!(matches!(
        p.validate(),
        Err(ParamsError::Recap1NotAboveRecap2 { .. })
    ));
    p.recap1_min_pct = Pct::new(20.0).unwrap();
    p.crimes.push(p.crimes[0].clone());
    assert_eq!(
        p.validate(),
        Err(ParamsError::RepeatedCrime("homicidio_doloso".into()))
    );
    p.crimes.clear();
    assert_eq!(p.validate(), Err(ParamsError::NoCrimes));
    assert_eq!(
        ParamsError::Recap1NotAboveRecap2 {
            recap1: "10".into(),
            recap2: "10".into()
        }
        .to_string(),
        "o limiar do RECAP1 (10%) deve ser maior que o do RECAP2 (10%) (Art. 5)"
    );
}

proptest::proptest! {
    /// Scaling every count and both populations by the same factor leaves every reduction and level
    /// unchanged (rates are per capita).
    #[test]
    fn scaling_counts_and_populations_together(
        base in proptest::collection::vec(0u64..500, 3),
        now in proptest::collection::vec(0u64..500, 3),
        pop in 1_000u64..2_000_000,
        k in 1u64..50,
    ) {
        let p = RecapParams::decree_default();
        let a = compute_area(&p, &area(TerritoryKind::Aisp, pop, &base, &now));
        let scaled = |v: &Vec<u64>| v.iter().map(|x| x * k).collect::<Vec<_>>();
        let b = compute_area(&p, &area(TerritoryKind::Aisp, pop * k, &scaled(&base), &scaled(&now)));
        proptest::prop_assert_eq!(a.level, b.level);
        proptest::prop_assert_eq!(&a.reasons, &b.reasons);
        match (a.reduction_pct, b.reduction_pct) {
            (Some(x), Some(y)) => proptest::prop_assert!((x - y).abs() < 1e-9),
            (x, y) => proptest::prop_assert_eq!(x, y),
        }
    }
}

/// The sentence beside a level says what was missing, worked by hand: the decree's example (10,909 %,
/// an AISP) is 9,09 p.p. short of RECAP1's 20 %; 100 → 95 is 5,00 p.p. short of RECAP2's 10 %; a
/// rise of 10 % is 20,00 p.p. short; an AIS at RECAP2 cannot reach RECAP1, so nothing is missing.
#[test]
fn the_shortfall_says_what_was_missing() {
    let p = RecapParams::decree_default();
    let params = ReportParameters {
        crimes: Vec::new(),
        recap2_min_pct: 10.0,
        recap1_min_pct: 20.0,
        baseline: Baseline::SameQuarterPreviousYear,
    };
    let short = |kind, base: &[u64], now: &[u64]| {
        compute_area(&p, &area(kind, 200_000, base, now)).shortfall_pt(&params)
    };
    assert_eq!(
        short(TerritoryKind::Aisp, &[10, 60, 40], &[8, 50, 40]).as_deref(),
        Some("redução de 10,91 % — faltaram 9,09 p.p. para o RECAP1 (Art. 5)")
    );
    assert_eq!(
        short(TerritoryKind::Aisp, &[100, 0, 0], &[95, 0, 0]).as_deref(),
        Some("redução de 5,00 % — faltaram 5,00 p.p. para o RECAP2 (Art. 6)")
    );
    assert_eq!(
        short(TerritoryKind::Aisp, &[100, 0, 0], &[110, 0, 0]).as_deref(),
        Some("aumento de 10,00 % — faltaram 20,00 p.p. para o RECAP2 (Art. 6)")
    );
    assert_eq!(short(TerritoryKind::Ais, &[10, 60, 40], &[8, 50, 40]), None);
    assert_eq!(short(TerritoryKind::Aisp, &[100, 0, 0], &[70, 0, 0]), None);
}
