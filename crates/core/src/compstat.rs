//! The CompStat brief (issue 20): an area's occurrences over the last 7 days, 28 days, the year to date
//! and the last 365 days, each against the same dates one year before, with the exact reading of the
//! change so that noise is not taken for a trend.
//!
//! The reading conditions on the total: with `a` occurrences now over `d` days and `b` a year before
//! over `e` days, equal daily rates make `a` binomial with `n = a + b` and share `d / (d + e)`; the
//! two-sided exact test of that (the same test as RECAP's chance warning, `stats::binom_test`) is the
//! p-value. Above [`EXACT_UP_TO`] occurrences the normal approximation of the same binomial is used:
//! at those sizes the two agree to the digits shown, and the exact sum would take seconds.

use chrono::{Datelike, Months, NaiveDate};

use crate::numbers::{decimal, integer};
use crate::stats::binom_test;

/// Up to this many occurrences in both periods the p-value is the exact binomial sum.
pub const EXACT_UP_TO: u64 = 50_000;

/// One window of the brief and the same dates a year before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// "Últimos 7 dias", "Ano até hoje"…
    pub label: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub before_from: NaiveDate,
    pub before_to: NaiveDate,
}

impl Window {
    /// Days in the window and in the year before (they differ by one across a 29 February).
    pub fn days(&self) -> (u64, u64) {
        let len = |a: NaiveDate, b: NaiveDate| (b - a).num_days().max(0) as u64 + 1;
        (
            len(self.from, self.to),
            len(self.before_from, self.before_to),
        )
    }
}

/// The same calendar day a year before (29 February → 28 February).
fn year_before(day: NaiveDate) -> NaiveDate {
    day.checked_sub_months(Months::new(12)).unwrap_or(day)
}

/// The brief's four windows on `today`: all end yesterday, the last whole day. `None` on a day so early
/// in the calendar that a year before does not exist.
pub fn windows(today: NaiveDate) -> Option<[Window; 4]> {
    let to = today.pred_opt()?;
    let back = |days: u64| to.checked_sub_days(chrono::Days::new(days - 1));
    let window = |label, from: NaiveDate| Window {
        label,
        from,
        to,
        before_from: year_before(from),
        before_to: year_before(to),
    };
    let year_start = NaiveDate::from_ymd_opt(to.year(), 1, 1)?;
    Some([
        window("Últimos 7 dias", back(7)?),
        window("Últimos 28 dias", back(28)?),
        window("Ano até ontem", year_start),
        window("Últimos 365 dias", back(365)?),
    ])
}

/// A window's count against the year before, and what chance can explain of the difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub now: u64,
    pub before: u64,
    /// Change of the daily rate in percent (`None` with nothing a year before).
    pub change_pct: Option<f64>,
    /// Two-sided p-value of "the daily rate did not change".
    pub p_value: f64,
}

impl Reading {
    /// Reads `now` occurrences over `days` against `before` over `days_before`.
    pub fn of(now: u64, before: u64, (days, days_before): (u64, u64)) -> Reading {
        let (d, e) = (days.max(1) as f64, days_before.max(1) as f64);
        let change_pct =
            (before > 0).then(|| ((now as f64 / d) / (before as f64 / e) - 1.0) * 100.0);
        let n = now + before;
        let share = d / (d + e);
        let p_value = if n == 0 {
            1.0
        } else if n <= EXACT_UP_TO {
            binom_test(now, n, share)
        } else {
            let sd = (n as f64 * share * (1.0 - share)).sqrt();
            erfc(((now as f64 - n as f64 * share).abs() / sd) / std::f64::consts::SQRT_2)
        };
        Reading {
            now,
            before,
            change_pct,
            p_value,
        }
    }

    /// A change chance hardly explains: p below 0,05.
    pub fn beyond_chance(&self) -> bool {
        self.p_value < 0.05
    }

    /// The change in one phrase: "queda de 25,0 % — além do acaso (p = 0,021)".
    pub fn sentence_pt(&self) -> String {
        let change = match self.change_pct {
            None if self.now == 0 => return "nenhuma ocorrência nos dois períodos".into(),
            None if self.now == 1 => "1 ocorrência, nenhuma um ano antes".into(),
            None => format!(
                "{} ocorrências, nenhuma um ano antes",
                integer(self.now.into())
            ),
            Some(c) if c.abs() < 0.05 => "estável".into(),
            Some(c) if c < 0.0 => format!("queda de {} %", decimal(-c, 1)),
            Some(c) => format!("aumento de {} %", decimal(c, 1)),
        };
        let p = if self.p_value < 0.001 {
            "p < 0,001".to_string()
        } else {
            format!("p = {}", decimal(self.p_value, 3))
        };
        if self.beyond_chance() {
            format!("{change} — além do acaso ({p})")
        } else {
            format!("{change} — dentro do que o acaso explica ({p})")
        }
    }
}

/// The complementary error function (Abramowitz and Stegun 7.1.26, error below 1,5·10⁻⁷).
fn erfc(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let e = poly * (-x * x).exp();
    if x >= 0.0 { e } else { 2.0 - e }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn windows_end_yesterday_and_look_one_year_back() {
        let w = windows(d(2026, 12, 7)).unwrap();
        let got: Vec<_> = w
            .iter()
            .map(|w| (w.from, w.to, w.before_from, w.before_to, w.days()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    d(2026, 11, 30),
                    d(2026, 12, 6),
                    d(2025, 11, 30),
                    d(2025, 12, 6),
                    (7, 7)
                ),
                (
                    d(2026, 11, 9),
                    d(2026, 12, 6),
                    d(2025, 11, 9),
                    d(2025, 12, 6),
                    (28, 28)
                ),
                (
                    d(2026, 1, 1),
                    d(2026, 12, 6),
                    d(2025, 1, 1),
                    d(2025, 12, 6),
                    (340, 340)
                ),
                (
                    d(2025, 12, 7),
                    d(2026, 12, 6),
                    d(2024, 12, 7),
                    d(2025, 12, 6),
                    (365, 365)
                ),
            ]
        );
        // Across a 29 February the year before is one day shorter.
        let leap = windows(d(2024, 3, 10)).unwrap();
        assert_eq!((leap[2].from, leap[2].to), (d(2024, 1, 1), d(2024, 3, 9)));
        assert_eq!(leap[2].days(), (69, 68));
    }

    /// p-values worked with Python's `math.comb` (sum of the two binomial tails at share 1/2):
    /// 20 against 10 gives 2·P(X ≤ 10 | n = 30) = 0,09874; 30 against 10 gives 2·P(X ≤ 10 | n = 40) =
    /// 0,00222.
    #[test]
    fn a_change_says_whether_chance_explains_it() {
        let r = Reading::of(20, 10, (7, 7));
        assert!((r.p_value - 0.098_737_1).abs() < 1e-6, "{}", r.p_value);
        assert_eq!(
            r.sentence_pt(),
            "aumento de 100,0 % — dentro do que o acaso explica (p = 0,099)"
        );
        let r = Reading::of(10, 30, (28, 28));
        assert!((r.p_value - 0.002_221_6).abs() < 1e-6, "{}", r.p_value);
        assert_eq!(
            r.sentence_pt(),
            "queda de 66,7 % — além do acaso (p = 0,002)"
        );
        assert_eq!(
            Reading::of(0, 0, (7, 7)).sentence_pt(),
            "nenhuma ocorrência nos dois períodos"
        );
        assert_eq!(
            Reading::of(1, 0, (7, 7)).sentence_pt(),
            "1 ocorrência, nenhuma um ano antes — dentro do que o acaso explica (p = 1,000)"
        );
        assert_eq!(
            Reading::of(3, 0, (7, 7)).sentence_pt(),
            "3 ocorrências, nenhuma um ano antes — dentro do que o acaso explica (p = 0,250)"
        );
        // Large counts: the normal approximation agrees with the exact test at the edge.
        let exact = binom_test(25_500, 50_000, 0.5);
        let approx = Reading::of(255_000, 245_000, (365, 365)).p_value;
        assert!(exact < 1e-5 && approx < 1e-40, "{exact} {approx}");
        let near = Reading::of(30_100, 29_900, (365, 365));
        assert!((near.p_value - 0.4142).abs() < 2e-3, "{}", near.p_value);
    }
}
