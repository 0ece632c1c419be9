//! Crime rates per 100 000 inhabitants and the CAP index of Decreto 7.872/2013, Art. 8.
//!
//! Values are kept unrounded; presentation rounds. Exact threshold comparisons (a reduction of exactly
//! 10 %) belong to the RECAP calculation, which can work on the counts and populations behind these rates.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Why a number is not a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// NaN, infinite or negative.
    #[error("taxa inválida: esperado número finito e não negativo")]
    Invalid,
}

/// A rate per 100 000 inhabitants ("taxa por 100.000 habitantes", Decreto 7.872/2013, Art. 8):
/// finite and non-negative.
///
/// Totally ordered (there is no NaN to get in the way). Serialised as a plain JSON number; deserialising
/// checks it.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Rate(f64);

impl Rate {
    /// `count / population × 100 000`; `None` when the population is 0 (the rate is undefined, never zero).
    ///
    /// Computed as `count × 100 000 / population`, so that, e.g., 8 crimes among 200 000 inhabitants give
    /// exactly 4.0.
    pub fn per_100k(count: u64, population: u64) -> Option<Rate> {
        if population == 0 {
            return None;
        }
        Some(Rate(count as f64 * 100_000.0 / population as f64))
    }

    /// The rate, per 100 000 inhabitants.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Rate {
    type Error = RateError;

    /// A rate from a stored value: finite and non-negative (−0 becomes 0).
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if value.is_finite() && value >= 0.0 {
            Ok(Rate(value + 0.0))
        } else {
            Err(RateError::Invalid)
        }
    }
}

impl From<Rate> for f64 {
    fn from(rate: Rate) -> f64 {
        rate.0
    }
}

impl PartialEq for Rate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rate {}

impl PartialOrd for Rate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Rates are finite and never −0, so the total order is the numeric one.
        self.0.total_cmp(&other.0)
    }
}

impl Hash for Rate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl fmt::Display for Rate {
    /// The unrounded value (`4`, `16.333333333333332`); use a precision (`{:.2}`) to round.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The CAP index of an area for a period — Decreto 7.872/2013, Art. 8: "soma da taxa por 100.000
/// habitantes de cada tipo penal, dividida pelo número de tipos penais", i.e. the arithmetic mean of the
/// rates of the Crimes de Alta Prioridade. `None` for an empty slice (no crimes, no index).
///
/// Worked example (goias-cidadao-seguro.md §3): rates 4.0, 25.0 and 20.0 give 49/3 = 16.333….
///
/// ```
/// use atalaia_core::{Rate, cap_index};
///
/// // 200 000 inhabitants; 8 homicídios, 50 roubos and 40 furtos de veículo in the quarter.
/// let rates: Vec<Rate> = [8, 50, 40]
///     .into_iter()
///     .filter_map(|count| Rate::per_100k(count, 200_000))
///     .collect();
/// assert_eq!(cap_index(&rates), Some(49.0 / 3.0));
/// assert_eq!(cap_index(&[]), None);
/// ```
pub fn cap_index(rates: &[Rate]) -> Option<f64> {
    if rates.is_empty() {
        return None;
    }
    let sum: f64 = rates.iter().map(|r| r.0).sum();
    Some(sum / rates.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rate(count: u64, population: u64) -> Rate {
        Rate::per_100k(count, population).unwrap()
    }

    #[test]
    fn per_100k() {
        assert_eq!(rate(8, 200_000).value(), 4.0);
        assert_eq!(rate(0, 200_000).value(), 0.0);
        assert_eq!(rate(1, 100_000).value(), 1.0);
        assert_eq!(rate(3, 1_555_626).value(), 300_000.0 / 1_555_626.0);
        assert_eq!(Rate::per_100k(5, 0), None);
        assert_eq!(Rate::per_100k(0, 0), None);
        assert!(Rate::per_100k(u64::MAX, 1).unwrap().value().is_finite());
    }

    /// goias-cidadao-seguro.md §3, worked example: AISP X, 200 000 inhabitants, 2024-Q1 vs 2023-Q1.
    #[test]
    fn worked_example_of_art_8() {
        let population = 200_000;
        let base = [10, 60, 40].map(|c| rate(c, population));
        let now = [8, 50, 40].map(|c| rate(c, population));
        assert_eq!(base.map(Rate::value), [5.0, 30.0, 20.0]);
        assert_eq!(now.map(Rate::value), [4.0, 25.0, 20.0]);
        let base_index = cap_index(&base).unwrap();
        let index = cap_index(&now).unwrap();
        assert_eq!(base_index, 55.0 / 3.0);
        assert_eq!(index, 49.0 / 3.0);
        let reduction = (base_index - index) / base_index * 100.0;
        assert!((reduction - 600.0 / 55.0).abs() < 1e-12, "{reduction}");
        assert_eq!(format!("{index:.2}"), "16.33");
    }

    #[test]
    fn empty_index() {
        assert_eq!(cap_index(&[]), None);
        assert_eq!(cap_index(&[rate(7, 100_000)]), Some(7.0));
    }

    #[test]
    fn stored_values() {
        assert_eq!(Rate::try_from(4.5).map(Rate::value), Ok(4.5));
        assert_eq!(
            Rate::try_from(-0.0).map(|r| r.value().is_sign_positive()),
            Ok(true)
        );
        assert_eq!(Rate::try_from(-1.0), Err(RateError::Invalid));
        assert_eq!(Rate::try_from(f64::NAN), Err(RateError::Invalid));
        assert_eq!(Rate::try_from(f64::INFINITY), Err(RateError::Invalid));
        assert_eq!(serde_json::to_string(&rate(8, 200_000)).unwrap(), "4.0");
        assert_eq!(serde_json::from_str::<Rate>("4").unwrap(), rate(8, 200_000));
        assert!(serde_json::from_str::<Rate>("-4").is_err());
        assert_eq!(rate(8, 200_000).to_string(), "4");
        assert_eq!(format!("{:.2}", rate(1, 3)), "33333.33");
        assert!(rate(1, 10) > rate(1, 20));
    }

    proptest! {
        #[test]
        fn rate_is_finite_and_ordered(count in 0u64..10_000_000, population in 1u64..300_000_000) {
            let r = rate(count, population);
            prop_assert!(r.value().is_finite() && r.value() >= 0.0);
            prop_assert!(rate(count + 1, population) >= r);
            prop_assert!(rate(count, population + 1) <= r);
        }

        #[test]
        fn index_is_between_min_and_max(counts in prop::collection::vec(0u64..10_000, 1..10), population in 1u64..10_000_000) {
            let rates: Vec<Rate> = counts.iter().map(|&c| rate(c, population)).collect();
            let index = cap_index(&rates).unwrap();
            let min = rates.iter().min().unwrap().value();
            let max = rates.iter().max().unwrap().value();
            prop_assert!(min - 1e-9 <= index && index <= max + 1e-9);
        }
    }
}
