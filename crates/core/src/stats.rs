//! The statistical reading shown beside RECAP's legal result (issue #4, "beyond the decree"): whether a
//! change between two periods is larger than chance, and whether the baseline was an unusual peak.
//! It never changes a level: the decree decides pay; this tells the committee how much to trust it.
//!
//! The test compares two Poisson counts with their exposures (populations): given `x + y = n`, under
//! equal rates `x ~ Binomial(n, P/(P+Pb))` — the exact conditional test. The p-value is two-sided by
//! the "minimum likelihood" rule (R's `binom.test`, SciPy's `binomtest`); the interval of the rate ratio
//! comes from the Clopper–Pearson interval of the binomial proportion.

use serde::Serialize;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// P(X = k) for X ~ Binomial(n, p).
fn binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let (k, n) = (k as f64, n as f64);
    (ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
        + k * p.ln()
        + (n - k) * (1.0 - p).ln())
    .exp()
}

/// The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz),
/// taken on the side where it converges fast. Its cost grows with √max(a, b), not with a + b: summing
/// the binomial terms one by one made an interval over a quarter's tens of thousands of crimes cost
/// hundreds of milliseconds.
fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of I_x(a, b) (Numerical Recipes' `betacf`).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let nudge = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / nudge(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=1_000_000u32 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a - 1.0 + 2.0 * m) * (a + 2.0 * m));
        d = 1.0 / nudge(1.0 + even * d);
        c = nudge(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 1.0 + 2.0 * m));
        d = 1.0 / nudge(1.0 + odd * d);
        c = nudge(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// P(X ≤ k) = I_{1−p}(n − k, k + 1).
fn binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n || p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    beta_inc((n - k) as f64, k as f64 + 1.0, 1.0 - p)
}

/// P(X > k) = I_p(k + 1, n − k).
fn binom_sf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    beta_inc(k as f64 + 1.0, (n - k) as f64, p)
}

/// Two-sided p-value of `x` successes in `n` trials at probability `p` (minimum-likelihood rule): the
/// probability of the outcomes no more likely than the one observed, with a relative tolerance as R
/// does. The distribution is unimodal, so those outcomes are two tails: `x`'s own and, found by
/// bisection, the one beyond the mode (SciPy's `binomtest`).
pub fn binom_test(x: u64, n: u64, p: f64) -> f64 {
    let d = binom_pmf(x, n, p) * (1.0 + 1e-7);
    let pmf = |k: u64| binom_pmf(k, n, p);
    let mean = p * n as f64;
    let total = if x as f64 == mean {
        1.0
    } else if (x as f64) < mean {
        // From the first outcome above the mean as unlikely as `x` up to n.
        let upper = match first_at_most(pmf, d, (mean.ceil() as u64).min(n), n) {
            Some(0) => 1.0,
            Some(k) => binom_sf(k - 1, n, p),
            None => 0.0,
        };
        binom_cdf(x, n, p) + upper
    } else {
        // From 0 up to the last outcome below the mean as unlikely as `x`.
        let lower =
            last_at_most(pmf, d, 0, mean.floor() as u64).map_or(0.0, |k| binom_cdf(k, n, p));
        lower + if x > 0 { binom_sf(x - 1, n, p) } else { 1.0 }
    };
    total.min(1.0)
}

/// The first `k` in `lo..=hi` with `f(k) ≤ d`, where `f` falls; `None` when there is none.
fn first_at_most(f: impl Fn(u64) -> f64, d: f64, lo: u64, hi: u64) -> Option<u64> {
    if lo > hi || f(hi) > d {
        return None;
    }
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = a + (b - a) / 2;
        if f(mid) <= d {
            b = mid;
        } else {
            a = mid + 1;
        }
    }
    Some(a)
}

/// The last `k` in `lo..=hi` with `f(k) ≤ d`, where `f` rises; `None` when there is none.
fn last_at_most(f: impl Fn(u64) -> f64, d: f64, lo: u64, hi: u64) -> Option<u64> {
    if lo > hi || f(lo) > d {
        return None;
    }
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = a + (b - a).div_ceil(2);
        if f(mid) <= d {
            a = mid;
        } else {
            b = mid - 1;
        }
    }
    Some(a)
}

/// Clopper–Pearson interval of a binomial proportion at `confidence` (e.g. 0.95), by bisection on the
/// binomial distribution.
pub fn clopper_pearson(x: u64, n: u64, confidence: f64) -> (f64, f64) {
    let alpha = 1.0 - confidence;
    let solve = |f: &dyn Fn(f64) -> f64| {
        // f is increasing in p; find p with f(p) = 0.
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if f(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let lower = if x == 0 {
        0.0
    } else {
        // P(X ≥ x | p) = α/2, increasing in p.
        solve(&|p| binom_sf(x - 1, n, p) - alpha / 2.0)
    };
    let upper = if x == n {
        1.0
    } else {
        // P(X ≤ x | p) = α/2, decreasing in p.
        solve(&|p| alpha / 2.0 - binom_cdf(x, n, p))
    };
    (lower, upper)
}

/// The statistical reading of one area's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeTest {
    /// Rate ratio period / baseline (`None` when the baseline count is 0).
    pub rate_ratio: Option<f64>,
    /// 95 % interval of the rate ratio.
    pub ratio_ci95: Option<(f64, f64)>,
    /// Two-sided exact p-value of "the rates are equal".
    pub p_value: f64,
    /// A reduction at or above `threshold_pct` that chance alone explains (p ≥ 0.05).
    pub within_chance: bool,
}

/// The rate ratio (`None` when the baseline count is 0) and the exact two-sided p-value of "the rates
/// are equal" — [`change_test`] without its interval, whose bisections cost hundreds of passes over
/// the binomial distribution (a municipality's year of crimes made the selection take seconds).
pub fn rate_change(
    count: u64,
    population: u64,
    baseline: u64,
    baseline_population: u64,
) -> Option<(Option<f64>, f64)> {
    if population == 0 || baseline_population == 0 {
        return None;
    }
    let n = count + baseline;
    let (p, pb) = (population as f64, baseline_population as f64);
    let p_value = if n == 0 {
        1.0
    } else {
        binom_test(count, n, p / (p + pb))
    };
    let rate_ratio = (baseline > 0).then(|| (count as f64 / p) / (baseline as f64 / pb));
    Some((rate_ratio, p_value))
}

/// Tests the change from `baseline` crimes among `baseline_population` to `count` among `population`.
/// `threshold_pct` is RECAP2's reduction (10): `within_chance` flags a "reduction" of that size or more
/// whose p-value is 0.05 or more.
pub fn change_test(
    count: u64,
    population: u64,
    baseline: u64,
    baseline_population: u64,
    threshold_pct: f64,
) -> Option<ChangeTest> {
    let (rate_ratio, p_value) = rate_change(count, population, baseline, baseline_population)?;
    let n = count + baseline;
    let (p, pb) = (population as f64, baseline_population as f64);
    let to_ratio = |q: f64| q / (1.0 - q) * (pb / p);
    let ratio_ci95 = (n > 0 && baseline > 0).then(|| {
        let (lo, hi) = clopper_pearson(count, n, 0.95);
        (
            to_ratio(lo),
            if hi >= 1.0 {
                f64::INFINITY
            } else {
                to_ratio(hi)
            },
        )
    });
    let reduction = rate_ratio.map(|r| (1.0 - r) * 100.0);
    let within_chance = reduction.is_some_and(|r| r + 1e-9 >= threshold_pct) && p_value >= 0.05;
    Some(ChangeTest {
        rate_ratio,
        ratio_ci95,
        p_value,
        within_chance,
    })
}

/// Regression to the mean: the baseline count was an unusual peak when it exceeds the mean of the
/// `history` (the area's earlier quarters, at least 4) by more than two Poisson standard deviations
/// (`mean + 2·√mean`). A reduction measured from such a peak is expected even with no effect.
pub fn baseline_was_a_peak(baseline: u64, history: &[u64]) -> bool {
    if history.len() < 4 {
        return false;
    }
    let mean = history.iter().sum::<u64>() as f64 / history.len() as f64;
    baseline as f64 > mean + 2.0 * mean.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The selection's reading is the change test's, less the interval.
    #[test]
    fn rate_change_is_change_test_without_its_interval() {
        for (c, p, b, pb) in [
            (30, 1000, 50, 1000),
            (0, 10, 0, 10),
            (12, 500, 0, 480),
            (7, 3, 9, 5),
        ] {
            let t = change_test(c, p, b, pb, 10.0).unwrap();
            assert_eq!(rate_change(c, p, b, pb), Some((t.rate_ratio, t.p_value)));
        }
        assert_eq!(rate_change(1, 0, 1, 1), None);
    }

    #[test]
    fn ln_gamma_of_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(5) = 24, Γ(0.5) = √π.
        assert!(ln_gamma(1.0).abs() < 1e-14);
        assert!(ln_gamma(2.0).abs() < 1e-14);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }

    /// SciPy 1.14.1, `binomtest(x, n, p)` (its p-value and `proportion_ci(0.95, "exact")`), the oracle.
    #[test]
    fn binomial_test_and_interval_match_scipy() {
        let cases = [
            (
                8,
                18,
                0.5,
                0.8145294189453125,
                0.21530150738736786,
                0.6924283410013173,
            ),
            (
                49,
                104,
                0.5,
                0.624143515844679,
                0.37249157189972304,
                0.5715012178124312,
            ),
            (12, 40, 0.3, 1.0, 0.16562720439323564, 0.4653162852541244),
            (0, 5, 0.5, 0.0625, 0.0, 0.5218237501049814),
            (
                90,
                190,
                0.5,
                0.5139096358872464,
                0.4009622557767216,
                0.5472400518442637,
            ),
            (
                40,
                100,
                0.5,
                0.056887933640980784,
                0.30329476870284494,
                0.5027908495776665,
            ),
            (
                98,
                208,
                0.5,
                0.44571222099285324,
                0.4017563522527986,
                0.5413852190645845,
            ),
            // A quarter's counts of a state capital and beyond (SciPy 1.17.1, same calls).
            (
                5210,
                10480,
                0.5,
                0.564394088898322,
                0.48751899962376166,
                0.5067574008996998,
            ),
            (
                61234,
                120000,
                0.52,
                1.6437494995880555e-11,
                0.5074505808176781,
                0.5131155888339095,
            ),
            (
                3,
                250000,
                0.00002,
                0.5028381825640889,
                2.474695278987473e-06,
                3.506868784558346e-05,
            ),
            (
                149990,
                300000,
                0.5,
                0.972327664052989,
                0.4981758134168649,
                0.5017575205604079,
            ),
        ];
        for (x, n, p, pv, lo, hi) in cases {
            let got = binom_test(x, n, p);
            assert!(
                (got - pv).abs() < 1e-9 && (got - pv).abs() <= 1e-6 * pv,
                "p-value {x}/{n}: {got} vs {pv}"
            );
            let (l, h) = clopper_pearson(x, n, 0.95);
            assert!(
                (l - lo).abs() < 1e-9 && (h - hi).abs() < 1e-9,
                "CI {x}/{n}: ({l}, {h})"
            );
        }
    }

    /// The spec's worked example: 110 → 98 CAP crimes among 200 000 people is a 10.9 % "reduction" that
    /// chance explains (p = 0.446), flagged; 400 → 300 is not chance.
    #[test]
    fn the_worked_example_is_within_chance() {
        let t = change_test(98, 200_000, 110, 200_000, 10.0).unwrap();
        assert!((t.p_value - 0.44571222099285324).abs() < 1e-9);
        assert!((t.rate_ratio.unwrap() - 98.0 / 110.0).abs() < 1e-12);
        let (lo, hi) = t.ratio_ci95.unwrap();
        assert!(lo < 98.0 / 110.0 && 98.0 / 110.0 < hi && hi > 1.0);
        assert!(t.within_chance);
        let t = change_test(300, 200_000, 400, 200_000, 10.0).unwrap();
        assert!((t.p_value - 0.00017847631448562662).abs() < 1e-9);
        assert!(!t.within_chance);
        assert_eq!(change_test(1, 0, 1, 10, 10.0), None);
    }

    #[test]
    fn peaks() {
        assert!(baseline_was_a_peak(30, &[10, 12, 9, 11]));
        assert!(!baseline_was_a_peak(15, &[10, 12, 9, 11]));
        assert!(!baseline_was_a_peak(30, &[10, 12, 9]), "too little history");
    }
}
