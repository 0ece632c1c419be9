//! Brazilian presentation of numbers and the pt-BR labels of the RECAP vocabulary.
//!
//! Numbers are kept unrounded everywhere else (goias-cidadao-seguro.md §3); these functions round only
//! for print: comma decimal separator, dot thousands separator (`1.234,56`), `R$ 1.234,56` for money held
//! as integer centavos. Nothing here panics: a non-finite number prints as `—`.

use atalaia_core::recap::{Baseline, Level, Reason, Warning};
use atalaia_core::{CrimeCode, Quarter, TerritoryKind, catalog_entry};

/// What is printed where a number is undefined.
pub use atalaia_core::numbers::DASH;
use atalaia_core::numbers::group_thousands;
pub use atalaia_core::numbers::{decimal, integer};

/// An optional number with 2 decimals, `—` when absent.
pub fn decimal_or_dash(value: Option<f64>) -> String {
    value.map_or_else(|| DASH.to_string(), |v| decimal(v, 2))
}

/// A percentage with 2 decimals: `10,91%`.
pub fn percent(value: f64) -> String {
    if value.is_finite() {
        format!("{}%", decimal(value, 2))
    } else {
        DASH.to_string()
    }
}

/// An optional percentage, `—` when undefined.
pub fn percent_or_dash(value: Option<f64>) -> String {
    value.map_or_else(|| DASH.to_string(), percent)
}

/// Money from integer centavos: `brl(123456)` = `R$ 1.234,56`, `brl(-5)` = `-R$ 0,05` (the core's
/// formatter, the one the pages use).
pub fn brl(cents: i64) -> String {
    atalaia_core::brl(cents)
}

/// [`brl`] for sums, which may exceed `i64`.
pub(crate) fn brl_wide(cents: i128) -> String {
    let abs = cents.unsigned_abs();
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}R$ {},{:02}",
        group_thousands(&(abs / 100).to_string()),
        abs % 100
    )
}

/// "1º trimestre de 2024" for a quarter written `2024-Q1`; anything else is returned as it is.
pub fn quarter_label(quarter: &str) -> String {
    match Quarter::parse(quarter) {
        Ok(q) => format!("{}º trimestre de {}", q.number(), q.year()),
        Err(_) => quarter.to_string(),
    }
}

/// "RECAP1", "RECAP2", or `—` for no level.
pub fn level_label(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Recap1) => "RECAP1",
        Some(Level::Recap2) => "RECAP2",
        None => DASH,
    }
}

/// Why an area or unit has no level, or reached one by another road, in words.
pub fn reason_label(reason: &Reason) -> &'static str {
    match reason {
        Reason::NoPopulation => "sem população",
        Reason::ZeroBaseline => "base zero",
        Reason::LowIndexFloor => "piso de índice baixo",
        Reason::Recap1NotForKind => "RECAP1 não previsto para o tipo",
        Reason::AreaWithoutIndex => "área sem índice",
        Reason::PeriodNotClosed => "trimestre não encerrado: sem nível",
        Reason::AreaNotInForce => "área fora de vigência",
    }
}

/// A result's reasons joined with `; ` (empty when none).
pub fn reasons_label(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(reason_label)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A warning in words.
pub fn warning_label(warning: &Warning) -> &'static str {
    match warning {
        Warning::PopulationCarriedForward => {
            "população do ano do período não cadastrada; usada a do último ano anterior"
        }
    }
}

/// The baseline rule in words.
pub fn baseline_label(baseline: Baseline) -> &'static str {
    match baseline {
        Baseline::SameQuarterPreviousYear => "mesmo trimestre do ano anterior",
        Baseline::PreviousQuarter => "trimestre imediatamente anterior",
    }
}

/// A crime's name from the catalog ("Homicídio doloso"), or its code when it has none.
pub fn crime_label(code: &str) -> String {
    CrimeCode::parse(code)
        .ok()
        .and_then(|c| catalog_entry(&c))
        .map_or_else(|| code.to_string(), |e| e.name_pt().to_string())
}

/// An area kind's label ("AISP") from its word (`aisp`).
pub fn kind_label(kind: &str) -> String {
    TerritoryKind::parse(kind).map_or_else(|_| kind.to_string(), |k| k.label_pt().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(group_thousands("1"), "1");
        assert_eq!(group_thousands("123"), "123");
        assert_eq!(group_thousands("1234"), "1.234");
        assert_eq!(group_thousands("123456"), "123.456");
        assert_eq!(group_thousands("1234567"), "1.234.567");
        assert_eq!(
            integer(i128::MIN),
            "-170.141.183.460.469.231.731.687.303.715.884.105.728"
        );
    }

    #[test]
    fn huge_and_odd_values_do_not_panic() {
        assert_eq!(decimal(f64::NAN, 2), DASH);
        assert_eq!(decimal(f64::NEG_INFINITY, 2), DASH);
        assert_eq!(decimal(1e20, 0), "100.000.000.000.000.000.000");
        assert_eq!(decimal(0.5, 0), "0", "ties to even, as Rust formats");
        assert_eq!(decimal(2.0, 200).len(), 2 + 17);
        assert_eq!(brl(i64::MIN), "-R$ 92.233.720.368.547.758,08");
    }
}
