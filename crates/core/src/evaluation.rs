//! Did an intervention work? (igesp.md §6): the before/after change of the target area T, its buffer ring
//! D and a control area C, each with the exact conditional Poisson test; the Weighted Displacement
//! Quotient (Bowers & Johnson 2003) and the Weighted Displacement Difference with its Poisson standard
//! error (Wheeler & Ratcliffe 2018); and a plain-language verdict in Portuguese.
//!
//! Pure: counts in, numbers and words out. The periods have the same number of months, so under "no
//! change" `x_a` is Binomial(`x_b + x_a`, 1/2) given the total; the two-sided p is R's `binom.test`'s.

use chrono::NaiveDate;
use serde::Serialize;

use crate::Month;
use crate::stats::binom_test;

/// The most months a period may have (three years each side).
pub const MAX_MONTHS: u32 = 36;

/// Days `from..=to`, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

/// The before and after periods of igesp.md §6: "*before* = the N whole months before the start date,
/// *after* = the N months from it".
///
/// Both are whole calendar months, so the two periods have the same number of months (what the exact
/// test assumes) and counts imported only as monthly totals fall wholly on one side. When the start is
/// the first of a month, *after* begins that day. When it is not, the start's own month is split
/// between the plan and what came before it: it is left out of both periods (a *transition* month,
/// reported) and *after* begins on the first of the next month — counting it as "after" would credit
/// the plan with days before it began, counting it as "before" would blame the baseline for days of the
/// plan. *Before* always ends on the last day before the start's month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Periods {
    /// N, the months of each period.
    pub months: u32,
    /// The N whole months before the start's month.
    pub before: Span,
    /// The N whole months from the start (from the next month when the start is not a first).
    pub after: Span,
    /// The start's month, left out, when the start is not the first of a month.
    pub transition: Option<Span>,
}

impl Periods {
    /// The periods of `months` (1 to [`MAX_MONTHS`]) around `start`; `None` when `months` is out of
    /// range or the dates leave the calendar [`Month`] accepts.
    pub fn new(start: NaiveDate, months: u32) -> Option<Periods> {
        if !(1..=MAX_MONTHS).contains(&months) {
            return None;
        }
        let start_month = Month::of(start).ok()?;
        let mut first_before = start_month;
        for _ in 0..months {
            first_before = first_before.pred()?;
        }
        let split = start != start_month.first_day();
        let first_after = if split {
            start_month.succ()?
        } else {
            start_month
        };
        let mut last_after = first_after;
        for _ in 1..months {
            last_after = last_after.succ()?;
        }
        Some(Periods {
            months,
            before: Span {
                from: first_before.first_day(),
                to: start_month.pred()?.last_day(),
            },
            after: Span {
                from: first_after.first_day(),
                to: last_after.last_day(),
            },
            transition: split.then(|| Span {
                from: start_month.first_day(),
                to: start_month.last_day(),
            }),
        })
    }

    /// Every month from the first of *before* to the last of *after* (the transition included), in
    /// order.
    pub fn window(&self) -> Vec<Month> {
        let (Ok(mut m), Ok(last)) = (Month::of(self.before.from), Month::of(self.after.to)) else {
            return Vec::new();
        };
        let mut out = vec![m];
        while m < last {
            match m.succ() {
                Some(n) => {
                    m = n;
                    out.push(m);
                }
                None => break,
            }
        }
        out
    }

    /// Whether `month` is in *before*.
    pub fn is_before(&self, month: Month) -> bool {
        month.first_day() >= self.before.from && month.last_day() <= self.before.to
    }

    /// Whether `month` is in *after*.
    pub fn is_after(&self, month: Month) -> bool {
        month.first_day() >= self.after.from && month.last_day() <= self.after.to
    }
}

/// Counts of one area before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// The N months before the start.
    pub before: u64,
    /// The N months from the start.
    pub after: u64,
}

impl Counts {
    /// `after − before`.
    pub fn delta(self) -> i64 {
        self.after as i64 - self.before as i64
    }
}

/// One area's change and its test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub before: u64,
    pub after: u64,
    /// `(after − before) / before · 100`; `None` when before is 0.
    pub change_pct: Option<f64>,
    /// Exact two-sided p of "no change".
    pub p_value: f64,
}

/// The change of `c` with its exact test.
pub fn change(c: Counts) -> Change {
    let n = c.before + c.after;
    Change {
        before: c.before,
        after: c.after,
        change_pct: (c.before > 0)
            .then(|| (c.after as f64 - c.before as f64) / c.before as f64 * 100.0),
        p_value: if n == 0 {
            1.0
        } else {
            binom_test(c.after, n, 0.5)
        },
    }
}

/// WDQ = (D_a/C_a − D_b/C_b) / (T_a/C_a − T_b/C_b); `None` when a denominator is zero.
pub fn wdq(t: Counts, d: Counts, c: Counts) -> Option<f64> {
    if c.after == 0 || c.before == 0 {
        return None;
    }
    let (ca, cb) = (c.after as f64, c.before as f64);
    let den = t.after as f64 / ca - t.before as f64 / cb;
    if den == 0.0 {
        return None;
    }
    Some((d.after as f64 / ca - d.before as f64 / cb) / den)
}

/// WDD = ΔT − ΔC + ΔD − ΔC′, with SE = √(T_a + T_b + C_a + C_b + D_a + D_b + C′_a + C′_b).
pub fn wdd(t: Counts, d: Counts, c: Counts, c_buffer: Counts) -> (f64, f64) {
    let value = (t.delta() - c.delta() + d.delta() - c_buffer.delta()) as f64;
    let var = [t, d, c, c_buffer]
        .iter()
        .map(|x| (x.before + x.after) as f64)
        .sum::<f64>();
    (value, var.sqrt())
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub target: Change,
    /// Buffer ring.
    pub buffer: Change,
    pub control: Change,
    /// WDQ, or `None` when undefined.
    pub wdq: Option<f64>,
    pub wdd: f64,
    /// Its standard error.
    pub wdd_se: f64,
    /// `wdd / wdd_se` (0 when the SE is 0).
    pub wdd_z: f64,
    /// The plain-language reading (pt-BR).
    pub verdict: String,
}

fn pct_pt(x: Option<f64>) -> String {
    match x {
        Some(v) => crate::numbers::change_percent(v, 1),
        None => "sem base (zero antes)".into(),
    }
}

fn p_pt(p: f64) -> String {
    format!("{p:.4}").replace('.', ",")
}

/// What the target's own change says: beyond chance (two-sided exact p < 0.05) down or up, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetReading {
    Fell,
    Within,
    Rose,
}

/// What the WDD says once the buffer and the control are counted: |z| ≥ 1.96 down or up, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NetReading {
    Reduction,
    Within,
    Increase,
}

/// The verdict's first sentence, from one table of the target's reading by the net reading, so the
/// conclusion and the figures after it cannot disagree: where the area fell but the net effect did
/// not, the sentence says why the fall does not count as the plan's.
const CONCLUSIONS: [[&str; 3]; 3] = [
    // The target fell beyond chance.
    [
        "O crime caiu na área e a queda se sustenta descontando o entorno e o controle (redução líquida).",
        "O crime caiu na área, mas, descontando o entorno e o controle, o saldo fica dentro do acaso: a queda não se distingue do que aconteceu em volta.",
        "O crime caiu na área, mas o entorno piorou ou o controle caiu mais: descontados os dois, o saldo é de aumento além do acaso.",
    ],
    // The target's change is within chance.
    [
        "A variação na própria área ficou dentro do acaso, mas, descontando o entorno e o controle, o saldo é de redução além do acaso.",
        "Nem a área nem o saldo com o entorno e o controle mudaram além do acaso: nenhum efeito demonstrado.",
        "A variação na própria área ficou dentro do acaso, mas, descontando o entorno e o controle, o saldo é de aumento além do acaso.",
    ],
    // The target rose beyond chance.
    [
        "O crime subiu na área, mas menos do que o controle e o entorno indicavam: descontados os dois, o saldo é de redução além do acaso.",
        "O crime subiu na área, mas, descontando o entorno e o controle, o saldo fica dentro do acaso.",
        "O crime subiu na área e o saldo com o entorno e o controle confirma aumento além do acaso.",
    ],
];

/// The row and column of [`CONCLUSIONS`] for a target's change and the WDD's z.
fn conclusion(target: &Change, z: f64) -> &'static str {
    let t = if target.p_value >= 0.05 {
        TargetReading::Within
    } else if target.after < target.before {
        TargetReading::Fell
    } else {
        TargetReading::Rose
    };
    let n = if z <= -1.96 {
        NetReading::Reduction
    } else if z >= 1.96 {
        NetReading::Increase
    } else {
        NetReading::Within
    };
    CONCLUSIONS[t as usize][n as usize]
}

/// Evaluates target `t`, buffer `d`, control `c` and the buffer's control `c_buffer` (C′; usually `c`).
///
/// The verdict opens with one conclusion from [`CONCLUSIONS`], then reads, in order: the target's change against chance (p < 0.05), against the control's
/// change, what the buffer did (Bowers & Johnson's reading of the WDQ, only when the target improved
/// relative to the control, i.e. its denominator is negative), and the WDD's net effect with its z.
pub fn evaluate(t: Counts, d: Counts, c: Counts, c_buffer: Counts) -> Evaluation {
    let target = change(t);
    let buffer = change(d);
    let control = change(c);
    let q = wdq(t, d, c);
    let (w, se) = wdd(t, d, c, c_buffer);
    let z = if se > 0.0 { w / se } else { 0.0 };
    let fell = t.after < t.before;
    let mut parts = vec![conclusion(&target, z).to_string()];
    parts.push(if target.p_value < 0.05 {
        format!(
            "Na área de intervenção o crime {} {} (p = {}), além do que o acaso explica.",
            if fell { "caiu" } else { "subiu" },
            // The verb says the direction; the number is the size.
            target
                .change_pct
                .map(|v| crate::numbers::percent(v.abs(), 1))
                .unwrap_or_else(|| "a partir de zero".into()),
            p_pt(target.p_value)
        )
    } else {
        format!(
            "Na área de intervenção a variação foi de {} (p = {}): dentro do que o acaso explica.",
            pct_pt(target.change_pct),
            p_pt(target.p_value)
        )
    });
    parts.push(format!(
        "Na área de controle: {} (p = {}).",
        pct_pt(control.change_pct),
        p_pt(control.p_value)
    ));
    let relative_gain = c.before > 0
        && c.after > 0
        && (t.after as f64 / c.after as f64) < (t.before as f64 / c.before as f64);
    parts.push(match q {
        Some(q) if relative_gain => {
            let reading = if q > 1.0 {
                "a melhora no entorno foi maior que a da própria área (difusão de benefícios maior que o efeito direto)"
            } else if q > 0.0 {
                "o entorno também melhorou (difusão de benefícios)"
            } else if q == 0.0 {
                "nem deslocamento nem difusão para o entorno"
            } else if q >= -1.0 {
                "parte do crime pode ter se deslocado para o entorno, menos do que o ganho na área (ganho líquido)"
            } else {
                "o entorno piorou mais do que a área melhorou (deslocamento maior que o efeito)"
            };
            let q_pt = format!("{q:.3}").replace('.', ",");
            format!("WDQ = {q_pt}: {reading}.")
        }
        Some(q) => {
            let q_pt = format!("{q:.3}").replace('.', ",");
            format!(
                "WDQ = {q_pt}: a área não melhorou em relação ao controle, então o WDQ não mede deslocamento."
            )
        }
        None => "WDQ indefinido (denominador zero).".into(),
    });
    let (se_pt, z_pt) = (
        format!("{se:.2}").replace('.', ","),
        format!("{z:.2}").replace('.', ","),
    );
    parts.push(format!(
        "WDD = {w:.0} (erro padrão {se_pt}, z = {z_pt}): {}",
        if z <= -1.96 {
            "redução líquida além do acaso, contando o entorno e o controle."
        } else if z >= 1.96 {
            "aumento líquido além do acaso, contando o entorno e o controle."
        } else {
            "efeito líquido dentro do que o acaso explica."
        }
    ));
    Evaluation {
        target,
        buffer,
        control,
        wdq: q,
        wdd: w,
        wdd_se: se,
        wdd_z: z,
        verdict: parts.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(before: u64, after: u64) -> Counts {
        Counts { before, after }
    }

    /// T 40 → 20, D 30 → 33, C (and C′) 100 → 95, worked by hand; the p-values from SciPy 1.x
    /// `binomtest(after, before + after, 0.5).pvalue`.
    ///
    /// WDQ = (33/95 − 30/100) / (20/95 − 40/100) = 0.0473684 / −0.1894737 = −0.25.
    /// WDD = (20 − 40) − (95 − 100) + (33 − 30) − (95 − 100) = −20 + 5 + 3 + 5 = −7;
    /// SE = √(20 + 40 + 95 + 100 + 33 + 30 + 95 + 100) = √513 = 22.6495033; z = −0.3090575.
    #[test]
    fn a_worked_example() {
        let e = evaluate(c(40, 20), c(30, 33), c(100, 95), c(100, 95));
        assert!((e.target.p_value - 0.013_489_293_731_191_86).abs() < 1e-12);
        assert!((e.buffer.p_value - 0.801_306_492_504_066_3).abs() < 1e-12);
        assert!((e.control.p_value - 0.774_623_332_177_347_5).abs() < 1e-12);
        assert_eq!(e.target.change_pct, Some(-50.0));
        assert!((e.buffer.change_pct.unwrap() - 10.0).abs() < 1e-12);
        assert!((e.wdq.unwrap() - -0.25).abs() < 1e-12);
        assert_eq!(e.wdd, -7.0);
        assert!((e.wdd_se - 22.649_503_305_812_25).abs() < 1e-12);
        assert!((e.wdd_z - -0.309_057_549_981_843_54).abs() < 1e-12);
        assert_eq!(
            e.verdict,
            "O crime caiu na área, mas, descontando o entorno e o controle, o saldo fica dentro do acaso: a queda não se distingue do que aconteceu em volta. \
             Na área de intervenção o crime caiu 50,0 % (p = 0,0135), além do que o acaso explica. \
             Na área de controle: -5,0 % (p = 0,7746). \
             WDQ = -0,250: parte do crime pode ter se deslocado para o entorno, menos do que o ganho na área (ganho líquido). \
             WDD = -7 (erro padrão 22,65, z = -0,31): efeito líquido dentro do que o acaso explica."
        );
    }

    /// Each cell of the conclusions' table, with counts worked by hand (C′ = C; p from the exact
    /// test: 100 → 40 and 40 → 100 are far below 0.05, 50 → 50 is 1):
    /// - T 100→40, D 50→50, C 100→100: WDD −60, SE √640, z −2.37.
    /// - T 100→40, D 50→50, C 100→60: WDD −60+40+40 = 20, SE √560, z 0.85.
    /// - T 100→40, D 20→150, C 100→100: WDD −60+130 = 70, SE √710, z 2.63.
    /// - T 50→50, D 100→40, C 100→100: WDD −60, SE √640, z −2.37.
    /// - T 50→50, D 50→50, C 100→100: WDD 0.
    /// - T 50→50, D 40→100, C 100→100: WDD 60, SE √640, z 2.37.
    /// - T 40→100, D 50→50, C 100→200: WDD 60−100−100 = −140, SE √840, z −4.83.
    /// - T 40→100, D 50→50, C 100→130: WDD 60−30−30 = 0.
    /// - T 40→100, D 50→50, C 100→100: WDD 60, SE √640, z 2.37.
    #[test]
    fn every_conclusion_agrees_with_the_figures_after_it() {
        let net = [
            "redução líquida além do acaso",
            "efeito líquido dentro do que o acaso explica",
            "aumento líquido além do acaso",
        ];
        let target = [
            "Na área de intervenção o crime caiu",
            "dentro do que o acaso explica.",
            "Na área de intervenção o crime subiu",
        ];
        let cases = [
            (c(100, 40), c(50, 50), c(100, 100), 0, 0),
            (c(100, 40), c(50, 50), c(100, 60), 0, 1),
            (c(100, 40), c(20, 150), c(100, 100), 0, 2),
            (c(50, 50), c(100, 40), c(100, 100), 1, 0),
            (c(50, 50), c(50, 50), c(100, 100), 1, 1),
            (c(50, 50), c(40, 100), c(100, 100), 1, 2),
            (c(40, 100), c(50, 50), c(100, 200), 2, 0),
            (c(40, 100), c(50, 50), c(100, 130), 2, 1),
            (c(40, 100), c(50, 50), c(100, 100), 2, 2),
        ];
        for (t, d, ctl, row, col) in cases {
            let e = evaluate(t, d, ctl, ctl);
            let first = e.verdict.split(". ").next().unwrap_or_default();
            assert!(
                CONCLUSIONS[row][col].starts_with(first),
                "{t:?} {d:?} {ctl:?}: {}",
                e.verdict
            );
            assert!(e.verdict.contains(net[col]), "{}", e.verdict);
            assert!(e.verdict.contains(target[row]), "{}", e.verdict);
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_are_whole_months_around_the_start() {
        // A start on the first: before = Oct–Dec 2023, after = Jan–Mar 2024, nothing left out.
        let p = Periods::new(d(2024, 1, 1), 3).unwrap();
        assert_eq!(
            (p.before, p.after, p.transition),
            (
                Span {
                    from: d(2023, 10, 1),
                    to: d(2023, 12, 31)
                },
                Span {
                    from: d(2024, 1, 1),
                    to: d(2024, 3, 31)
                },
                None
            )
        );
        // Mid-month: the start's month (February 2024, a leap month) is left out of both.
        let p = Periods::new(d(2024, 2, 15), 2).unwrap();
        assert_eq!(
            (p.before, p.after, p.transition),
            (
                Span {
                    from: d(2023, 12, 1),
                    to: d(2024, 1, 31)
                },
                Span {
                    from: d(2024, 3, 1),
                    to: d(2024, 4, 30)
                },
                Some(Span {
                    from: d(2024, 2, 1),
                    to: d(2024, 2, 29)
                })
            )
        );
        let w: Vec<String> = p.window().iter().map(|m| m.to_string()).collect();
        assert_eq!(w, ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]);
        let feb = Month::parse("2024-02").unwrap();
        let jan = Month::parse("2024-01").unwrap();
        let mar = Month::parse("2024-03").unwrap();
        assert!(p.is_before(jan) && !p.is_after(jan));
        assert!(!p.is_before(feb) && !p.is_after(feb));
        assert!(p.is_after(mar) && !p.is_before(mar));
        // Twelve months from the last day of a year.
        let p = Periods::new(d(2024, 12, 31), 12).unwrap();
        assert_eq!(p.before.from, d(2023, 12, 1));
        assert_eq!(p.before.to, d(2024, 11, 30));
        assert_eq!(
            p.after,
            Span {
                from: d(2025, 1, 1),
                to: d(2025, 12, 31)
            }
        );
        assert_eq!(p.window().len(), 25);
        // Out of range.
        assert_eq!(Periods::new(d(2024, 1, 1), 0), None);
        assert_eq!(Periods::new(d(2024, 1, 1), 37), None);
        assert!(Periods::new(d(2024, 1, 1), 36).is_some());
        assert_eq!(Periods::new(d(1900, 1, 1), 1), None);
    }

    #[test]
    fn edge_cases() {
        // Nothing before or after: p 1, no base for a percentage, WDQ undefined.
        let e = evaluate(c(0, 0), c(0, 0), c(0, 0), c(0, 0));
        assert_eq!(e.target.p_value, 1.0);
        assert_eq!(e.target.change_pct, None);
        assert_eq!(e.wdq, None);
        assert_eq!((e.wdd, e.wdd_se, e.wdd_z), (0.0, 0.0, 0.0));
        // SciPy: binomtest(7, 10) → 0.34375; binomtest(5, 5) → 0.0625.
        assert!((change(c(3, 7)).p_value - 0.34375).abs() < 1e-12);
        assert!((change(c(0, 5)).p_value - 0.0625).abs() < 1e-12);
        // The target moved exactly like the control: the WDQ's denominator is 0.
        assert_eq!(wdq(c(10, 5), c(3, 4), c(20, 10)), None);
    }
}
