//! Emerging hot spots (igesp.md §3, after ArcGIS Pro's Emerging Hot Spot Analysis): per location, over T
//! time steps (months) of the same grid, "hot" (or "cold") is a Gi* significant after FDR at 90 % in that
//! step, and the trend is a Mann–Kendall test on the location's series of Gi* z-scores at 90 %.
//!
//! The rule table, hot version (the cold one mirrors it: cold for hot, hot for cold, a downward trend for
//! an upward one); the first matching rule wins, in this order:
//!
//! | class | rule |
//! | --- | --- |
//! | new | hot only in the final step |
//! | consecutive | one uninterrupted run of ≥ 2 hot steps ending in the final step, never hot before it, hot in < 90 % of steps |
//! | intensifying | hot in ≥ 90 % of steps including the final one, significant upward trend |
//! | persistent | hot in ≥ 90 % of steps, no significant trend |
//! | diminishing | hot in ≥ 90 % of steps including the final one, significant downward trend |
//! | sporadic | hot in the final step, on-and-off before, hot in < 90 %, never significantly cold |
//! | oscillating | hot in the final step, significantly cold in some earlier step, hot in < 90 % |
//! | historical | not hot in the final step, hot in ≥ 90 % of the others |
//! | no pattern | none of the above |
//!
//! A location is read against the hot table first and, when no hot rule matches, against the cold one.

/// A Mann–Kendall trend test's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// S: concordant minus discordant pairs.
    pub s: i64,
    /// The normal score (continuity-corrected, ties accounted for).
    pub z: f64,
    /// Two-sided p.
    pub p: f64,
}

/// Mann–Kendall on a series (no trend with fewer than 3 values).
pub fn mann_kendall(x: &[f64]) -> MannKendall {
    let n = x.len();
    if n < 3 {
        return MannKendall {
            s: 0,
            z: 0.0,
            p: 1.0,
        };
    }
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    // Ties: groups of equal values.
    let mut sorted: Vec<f64> = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut k = 0;
    while k < n {
        let mut t = 1;
        while k + t < n && sorted[k + t] == sorted[k] {
            t += 1;
        }
        let t = t as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        k += t as usize;
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = if var <= 0.0 || s == 0 {
        0.0
    } else if s > 0 {
        (s as f64 - 1.0) / var.sqrt()
    } else {
        (s as f64 + 1.0) / var.sqrt()
    };
    MannKendall {
        s,
        z,
        p: crate::gistar::two_sided_p(z),
    }
}

/// The significance level of the emerging classes (90 %).
pub const ALPHA: f64 = 0.10;

/// A location's emerging class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emerging {
    /// Hot (`true`) or cold (`false`) pattern, with its kind.
    Pattern(bool, Kind),
    /// None of the rules.
    NoPattern,
}

/// The kinds of the rule table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    New,
    Consecutive,
    Intensifying,
    Persistent,
    Diminishing,
    Sporadic,
    Oscillating,
    Historical,
}

impl Emerging {
    /// The class's code: `new_hot`, `persistent_cold`, …, `no_pattern`.
    pub fn code(self) -> String {
        match self {
            Emerging::NoPattern => "no_pattern".into(),
            Emerging::Pattern(hot, k) => format!(
                "{}_{}",
                match k {
                    Kind::New => "new",
                    Kind::Consecutive => "consecutive",
                    Kind::Intensifying => "intensifying",
                    Kind::Persistent => "persistent",
                    Kind::Diminishing => "diminishing",
                    Kind::Sporadic => "sporadic",
                    Kind::Oscillating => "oscillating",
                    Kind::Historical => "historical",
                },
                if hot { "hot" } else { "cold" }
            ),
        }
    }
}

impl Emerging {
    /// The class in Portuguese, for maps and reports: "zona quente nova", "zona fria persistente", …
    pub fn label_pt(self) -> String {
        match self {
            Emerging::NoPattern => "sem padrão".into(),
            Emerging::Pattern(hot, k) => {
                let side = if hot { "zona quente" } else { "zona fria" };
                // "nova"/"histórica" are adjectives of "zona"; the others, participles or adjectives too.
                let word = match k {
                    Kind::New => "nova",
                    Kind::Consecutive => "consecutiva",
                    Kind::Intensifying => "em intensificação",
                    Kind::Persistent => "persistente",
                    Kind::Diminishing => "em diminuição",
                    Kind::Sporadic => "esporádica",
                    Kind::Oscillating => "oscilante",
                    Kind::Historical => "histórica",
                };
                format!("{side} {word}")
            }
        }
    }
}

/// The rule table for one side: `on[t]` the side's significance in step t (hot for the hot table),
/// `off[t]` the other side's, `toward` whether the trend goes the side's way (upward for hot), `away` the
/// opposite.
fn table(on: &[bool], off: &[bool], toward: bool, away: bool) -> Option<Kind> {
    let t = on.len();
    let last = *on.last()?;
    let count = on.iter().filter(|&&h| h).count();
    let share = count as f64 / t as f64;
    let mostly = share >= 0.9 - 1e-12;
    if last && count == 1 {
        return Some(Kind::New);
    }
    // The run ending in the final step.
    let run = on.iter().rev().take_while(|&&h| h).count();
    if last && run >= 2 && run == count && !mostly {
        return Some(Kind::Consecutive);
    }
    if mostly && last && toward {
        return Some(Kind::Intensifying);
    }
    if mostly && !toward && !away {
        return Some(Kind::Persistent);
    }
    if mostly && last && away {
        return Some(Kind::Diminishing);
    }
    let earlier_off = off[..t - 1].iter().any(|&c| c);
    if last && !mostly && !off.iter().any(|&c| c) {
        return Some(Kind::Sporadic);
    }
    if last && !mostly && earlier_off {
        return Some(Kind::Oscillating);
    }
    if !last && t > 1 {
        let others = on[..t - 1].iter().filter(|&&h| h).count() as f64 / (t - 1) as f64;
        if others >= 0.9 - 1e-12 {
            return Some(Kind::Historical);
        }
    }
    None
}

/// The emerging class of a location from its per-step significance (`hot[t]`, `cold[t]`: significant at
/// 90 % after FDR in step t) and its Gi* z series (for the trend).
pub fn classify(hot: &[bool], cold: &[bool], z: &[f64]) -> Emerging {
    let mk = mann_kendall(z);
    let up = mk.p < ALPHA && mk.z > 0.0;
    let down = mk.p < ALPHA && mk.z < 0.0;
    if let Some(k) = table(hot, cold, up, down) {
        return Emerging::Pattern(true, k);
    }
    if let Some(k) = table(cold, hot, down, up) {
        return Emerging::Pattern(false, k);
    }
    Emerging::NoPattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_kendall_by_hand() {
        // 1..5: S = 10, Var = 5·4·15/18 = 16.667, z = 9/√16.667 = 2.204541, p = 0.027486.
        let mk = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(mk.s, 10);
        assert!((mk.z - 9.0 / (50.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((mk.p - 0.027_486).abs() < 1e-5, "{}", mk.p);
        // Ties: [1, 1, 2]: S = 2; Var = (3·2·11 − 2·1·9)/18 = 48/18; z = 1/√(8/3).
        let mk = mann_kendall(&[1.0, 1.0, 2.0]);
        assert_eq!(mk.s, 2);
        assert!((mk.z - 1.0 / (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(mann_kendall(&[3.0, 3.0, 3.0]).z, 0.0);
        assert_eq!(mann_kendall(&[1.0, 2.0]).p, 1.0);
    }

    fn h(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == 'H').collect()
    }
    fn c(s: &str) -> Vec<bool> {
        s.chars().map(|c| c == 'C').collect()
    }
    /// Rising, falling and flat z series of length n (Mann–Kendall significant / significant / not).
    fn rising(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }
    fn falling(n: usize) -> Vec<f64> {
        (0..n).map(|i| -(i as f64)).collect()
    }
    fn flat(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect()
    }

    fn class(steps: &str, z: &[f64]) -> String {
        classify(&h(steps), &c(steps), z).code()
    }

    /// One row of the table each (10 steps: 90 % is 9 of them).
    #[test]
    fn each_row_of_the_table() {
        assert_eq!(class("..........", &flat(10)), "no_pattern");
        assert_eq!(class(".........H", &flat(10)), "new_hot");
        assert_eq!(class(".......HHH", &flat(10)), "consecutive_hot");
        assert_eq!(class(".HHHHHHHHH", &rising(10)), "intensifying_hot");
        assert_eq!(class("HHHHHHHHH.", &flat(10)), "persistent_hot");
        assert_eq!(class("HHHHHHHHHH", &falling(10)), "diminishing_hot");
        assert_eq!(class("H..H.H...H", &flat(10)), "sporadic_hot");
        assert_eq!(class("H..C.H...H", &flat(10)), "oscillating_hot");
        // Historical: with a trend (so not persistent), not hot at the end, hot in ≥ 90 % of the others.
        assert_eq!(class("HHHHHHHHH.", &falling(10)), "historical_hot");
        // The cold mirror.
        assert_eq!(class(".........C", &flat(10)), "new_cold");
        assert_eq!(class(".CCCCCCCCC", &falling(10)), "intensifying_cold");
        assert_eq!(class("CCCCCCCCCC", &rising(10)), "diminishing_cold");
        assert_eq!(class("C..H.C...C", &flat(10)), "oscillating_cold");
    }

    #[test]
    fn order_decides_between_rules() {
        // A run of 2 at the end after an earlier hot step is not consecutive (hot before the run): sporadic.
        assert_eq!(class("H.......HH", &flat(10)), "sporadic_hot");
        // Hot only at the end beats everything.
        assert_eq!(class("C........H", &rising(10)), "new_hot");
    }
}
