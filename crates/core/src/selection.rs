//! Municipality selection (igesp.md §2, "Entering a municipality"): the ranked, explainable table the
//! Sejusp technical team reads before deciding where Igesp enters — population, counts and rates per 100k
//! of each crime group over the last twelve months, the trend against the twelve before with an exact test
//! of the change, the concentration of crime in few places, and a composite score whose weights the team
//! sets (and which is saved with each decision).
//!
//! The score, so that anyone can redo it by hand: each component is standardised across the ranked
//! municipalities (`(x − mean) / sd`, population sd; 0 for everyone when sd is 0), multiplied by its
//! weight, summed, and divided by the sum of the weights' absolute values — a weighted mean of z-scores.
//! Components:
//! - one per crime group: the rate per 100k inhabitants of the last twelve months;
//! - trend: the percentage change of all crimes against the twelve months before, counted only when the
//!   exact test says it is not chance (p < 0.05; otherwise 0 — "no trend");
//! - concentration: the share of geocoded crimes in the top 5 % of grid cells (a concentrated problem is
//!   what hot-spot policing can address).
//!
//! A municipality without a population for the period cannot have rates, and one without a single
//! occurrence in the 24 months has no data (no source covers it, not "no crime"): both are listed
//! apart, unranked, and left out of the means and deviations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::crime::CrimeGroup;
use crate::stats::rate_change;

/// Every crime group, in the table's column order.
pub const GROUPS: [CrimeGroup; 6] = [
    CrimeGroup::ViolentLethal,
    CrimeGroup::ViolentOther,
    CrimeGroup::Robbery,
    CrimeGroup::Theft,
    CrimeGroup::DrugsWeapons,
    CrimeGroup::Other,
];

/// One municipality's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Facts {
    /// Territory code.
    pub code: String,
    pub name: String,
    /// Population of the last twelve months' year.
    pub population: Option<u64>,
    /// Population of the twelve months before.
    pub previous_population: Option<u64>,
    /// Crimes of the last twelve months per group.
    pub current: BTreeMap<CrimeGroup, u64>,
    /// Crimes of the twelve months before per group.
    pub previous: BTreeMap<CrimeGroup, u64>,
    /// Share of geocoded crimes in the top 5 % of cells (0–1), when the area has a polygon and crimes.
    pub top5_share: Option<f64>,
    /// Gini of the cells' counts.
    pub gini: Option<f64>,
}

/// The team's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Weights {
    /// Weight of each group's rate.
    pub rates: BTreeMap<CrimeGroup, f64>,
    /// Weight of the trend.
    pub trend: f64,
    /// Weight of the concentration.
    pub concentration: f64,
}

impl Default for Weights {
    /// Lethal violence first, then robbery, the other groups once; drugs/weapons and "other" not at all
    /// (police activity more than victimisation); trend and concentration once.
    fn default() -> Self {
        Weights {
            rates: BTreeMap::from([
                (CrimeGroup::ViolentLethal, 3.0),
                (CrimeGroup::ViolentOther, 1.0),
                (CrimeGroup::Robbery, 2.0),
                (CrimeGroup::Theft, 1.0),
                (CrimeGroup::DrugsWeapons, 0.0),
                (CrimeGroup::Other, 0.0),
            ]),
            trend: 1.0,
            concentration: 1.0,
        }
    }
}

/// One component of a score, as the table explains it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Component {
    /// What it measures (pt-BR).
    pub label: String,
    /// Its value (a rate, a percentage, a share in %).
    pub value: f64,
    /// Standardised across the ranked municipalities.
    pub z: f64,
    /// The team's weight.
    pub weight: f64,
    /// `z · weight / Σ|weights|`: its part of the score.
    pub contribution: f64,
}

/// A ranked row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Row {
    /// 1-based rank; `None` when the municipality could not be ranked.
    pub rank: Option<usize>,
    /// The facts it rests on.
    pub facts: Facts,
    /// Rate per 100k per group (last twelve months).
    pub rates: BTreeMap<CrimeGroup, f64>,
    /// All crimes, last twelve months.
    pub total: u64,
    /// All crimes, the twelve months before.
    pub previous_total: u64,
    /// Change of the rate of all crimes, % (`None` without crimes before).
    pub change_pct: Option<f64>,
    /// Exact two-sided p of "the rates are equal".
    pub change_p: Option<f64>,
    /// The components of the score.
    pub components: Vec<Component>,
    /// The score (a weighted mean of z-scores).
    pub score: Option<f64>,
    /// Why it was not ranked (pt-BR), if so.
    pub unranked_reason: Option<String>,
}

fn rate(count: u64, population: u64) -> f64 {
    count as f64 * 100_000.0 / population as f64
}

/// Ranks `facts` by the score of `weights`, highest first (ties by code); unranked ones last.
pub fn rank(facts: &[Facts], weights: &Weights) -> Vec<Row> {
    let mut rows: Vec<Row> = facts
        .iter()
        .map(|f| {
            let total: u64 = f.current.values().sum();
            let previous_total: u64 = f.previous.values().sum();
            let (mut change_pct, mut change_p) = (None, None);
            let mut rates = BTreeMap::new();
            let mut reason = None;
            match (f.population, f.previous_population) {
                // No source covers it: a rate of zero would rank it the safest of all.
                _ if total == 0 && previous_total == 0 => {
                    reason = Some(
                        "sem dados: nenhuma ocorrência registrada nos últimos 24 meses".into(),
                    );
                }
                (Some(p), Some(pp)) if p > 0 && pp > 0 => {
                    for g in GROUPS {
                        rates.insert(g, rate(f.current.get(&g).copied().unwrap_or(0), p));
                    }
                    if let Some((ratio, p_value)) = rate_change(total, p, previous_total, pp) {
                        change_pct = ratio.map(|r| (r - 1.0) * 100.0);
                        change_p = Some(p_value);
                    }
                }
                _ => reason = Some("sem população cadastrada para o período".to_string()),
            }
            Row {
                rank: None,
                facts: f.clone(),
                rates,
                total,
                previous_total,
                change_pct,
                change_p,
                components: Vec::new(),
                score: None,
                unranked_reason: reason,
            }
        })
        .collect();

    // The components' raw values, for the rankable rows.
    let mut labels: Vec<(String, f64)> = GROUPS
        .iter()
        .map(|g| {
            (
                format!("taxa de {} por 100 mil", g.label_pt().to_lowercase()),
                weights.rates.get(g).copied().unwrap_or(0.0),
            )
        })
        .collect();
    labels.push((
        "variação significativa em 12 meses (%)".into(),
        weights.trend,
    ));
    labels.push((
        "concentração: parte nos 5 % de células (%)".into(),
        weights.concentration,
    ));
    let raw = |r: &Row| -> Vec<f64> {
        let mut v: Vec<f64> = GROUPS.iter().map(|g| r.rates[g]).collect();
        v.push(match (r.change_pct, r.change_p) {
            (Some(c), Some(p)) if p < 0.05 => c,
            _ => 0.0,
        });
        v.push(r.facts.top5_share.unwrap_or(0.0) * 100.0);
        v
    };
    let ranked: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].unranked_reason.is_none())
        .collect();
    let values: Vec<Vec<f64>> = ranked.iter().map(|&i| raw(&rows[i])).collect();
    let k = labels.len();
    let n = ranked.len() as f64;
    let mut mean = vec![0.0; k];
    let mut sd = vec![0.0; k];
    if !ranked.is_empty() {
        for c in 0..k {
            mean[c] = values.iter().map(|v| v[c]).sum::<f64>() / n;
            sd[c] = (values.iter().map(|v| (v[c] - mean[c]).powi(2)).sum::<f64>() / n).sqrt();
        }
    }
    let total_weight: f64 = labels.iter().map(|(_, w)| w.abs()).sum();
    for (slot, &i) in ranked.iter().enumerate() {
        let mut score = 0.0;
        let comps = (0..k)
            .map(|c| {
                let z = if sd[c] > 1e-12 {
                    (values[slot][c] - mean[c]) / sd[c]
                } else {
                    0.0
                };
                let contribution = if total_weight > 0.0 {
                    z * labels[c].1 / total_weight
                } else {
                    0.0
                };
                score += contribution;
                Component {
                    label: labels[c].0.clone(),
                    value: values[slot][c],
                    z,
                    weight: labels[c].1,
                    contribution,
                }
            })
            .collect();
        rows[i].components = comps;
        rows[i].score = Some(score);
    }
    rows.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => y
            .total_cmp(&x)
            .then_with(|| a.facts.code.cmp(&b.facts.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.facts.code.cmp(&b.facts.code),
    });
    for (i, r) in rows.iter_mut().enumerate() {
        if r.score.is_some() {
            r.rank = Some(i + 1);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(code: &str, pop: u64, lethal: u64, robbery: u64, before: u64, top5: f64) -> Facts {
        Facts {
            code: code.into(),
            name: code.into(),
            population: Some(pop),
            previous_population: Some(pop),
            current: BTreeMap::from([
                (CrimeGroup::ViolentLethal, lethal),
                (CrimeGroup::Robbery, robbery),
            ]),
            previous: BTreeMap::from([(CrimeGroup::Robbery, before)]),
            top5_share: Some(top5),
            gini: Some(0.5),
        }
    }

    /// The weights of the hand-worked ranking: lethal 3, robbery 2, trend 1, concentration 1.
    fn hand_weights() -> Weights {
        Weights {
            rates: BTreeMap::from([(CrimeGroup::ViolentLethal, 3.0), (CrimeGroup::Robbery, 2.0)]),
            trend: 1.0,
            concentration: 1.0,
        }
    }

    /// The three municipalities of the hand-worked ranking.
    fn hand_facts() -> Vec<Facts> {
        vec![
            facts("A", 100_000, 10, 100, 100, 0.20),
            facts("B", 100_000, 20, 100, 60, 0.50),
            facts("C", 100_000, 30, 400, 400, 0.20),
        ]
    }

    /// Their scores, as worked by hand below, found in `rows`.
    fn assert_hand_scores(rows: &[Row]) {
        let score = |c: &str| {
            rows.iter()
                .find(|r| r.facts.code == c)
                .unwrap()
                .score
                .unwrap()
        };
        assert!((score("A") - -0.928_952).abs() < 1e-6, "{}", score("A"));
        assert!((score("B") - 0.202_031).abs() < 1e-6, "{}", score("B"));
        assert!((score("C") - 0.726_921).abs() < 1e-6, "{}", score("C"));
    }

    /// Three municipalities of 100 000 people, worked by hand.
    ///
    /// Lethal rates 10, 20, 30 (mean 20, population sd √(200/3) = 8.164966): z −1.224745, 0, +1.224745.
    /// Robbery rates 100, 100, 400 (mean 200, sd √(20000/3) = 141.421356): z −0.707107, −0.707107,
    /// +1.414214. Other groups 0 everywhere: z 0. Trend: A 110 now vs 100 before (p ≈ 0.53, not
    /// significant → 0); B 120 vs 60 (p < 0.001 → +100 %); C 430 vs 400 (p ≈ 0.32 → 0): values 0, 100, 0,
    /// mean 33.33, sd 47.140452: z −0.707107, +1.414214, −0.707107. Top-5 % shares 20, 50, 20 %: same z as
    /// the trend. Weights: lethal 3, robbery 2, trend 1, concentration 1 (others 0), Σ = 7.
    /// Scores: A (−3·1.224745 − 2·0.707107 − 0.707107 − 0.707107)/7 = −0.928952;
    /// B (0 − 2·0.707107 + 1.414214 + 1.414214)/7 = +0.202031;
    /// C (3·1.224745 + 2·1.414214 − 0.707107 − 0.707107)/7 = +0.726921.
    #[test]
    fn a_ranking_worked_by_hand() {
        let rows = rank(&hand_facts(), &hand_weights());
        let order: Vec<&str> = rows.iter().map(|r| r.facts.code.as_str()).collect();
        assert_eq!(order, ["C", "B", "A"]);
        assert_hand_scores(&rows);
        let b = &rows[1];
        assert_eq!(b.rank, Some(2));
        assert_eq!((b.total, b.previous_total), (120, 60));
        assert!((b.change_pct.unwrap() - 100.0).abs() < 1e-9);
        assert!(b.change_p.unwrap() < 0.001);
        assert_eq!(b.rates[&CrimeGroup::ViolentLethal], 20.0);
        // The components add up to the score.
        let sum: f64 = b.components.iter().map(|c| c.contribution).sum();
        assert!((sum - b.score.unwrap()).abs() < 1e-12);
        let trend = &b.components[6];
        assert_eq!(trend.value, 100.0);
        assert!((trend.z - std::f64::consts::SQRT_2).abs() < 1e-6);
        // A's 10 % rise is chance (exact test): no trend.
        let a = &rows[2];
        assert!((a.change_pct.unwrap() - 10.0).abs() < 1e-9);
        assert!(a.change_p.unwrap() > 0.05);
        assert_eq!(a.components[6].value, 0.0);
    }

    /// A municipality with people but not one crime in 24 months has no data (no source covers it),
    /// not the safest place of the state: listed apart as "sem dados", and the others' scores are
    /// those of the three worked by hand above, as if it were not there.
    #[test]
    fn without_data_a_municipality_is_listed_apart_not_ranked_as_zero() {
        let mut f = hand_facts();
        f.push(Facts {
            top5_share: None,
            ..facts("D", 20_000, 0, 0, 0, 0.0)
        });
        let rows = rank(&f, &hand_weights());
        let d = rows.last().unwrap();
        assert_eq!((d.facts.code.as_str(), d.rank, d.score), ("D", None, None));
        assert_eq!(
            d.unranked_reason.as_deref(),
            Some("sem dados: nenhuma ocorrência registrada nos últimos 24 meses")
        );
        assert_hand_scores(&rows);
    }

    #[test]
    fn without_population_a_municipality_is_listed_apart() {
        let mut f = vec![
            facts("A", 100_000, 10, 100, 100, 0.2),
            facts("B", 50_000, 10, 100, 100, 0.2),
        ];
        f.push(Facts {
            population: None,
            ..facts("Z", 1, 5, 5, 5, 0.2)
        });
        let rows = rank(&f, &Weights::default());
        assert_eq!(rows.last().unwrap().facts.code, "Z");
        assert_eq!(rows.last().unwrap().rank, None);
        assert_eq!(
            rows.last().unwrap().unranked_reason.as_deref(),
            Some("sem população cadastrada para o período")
        );
        // B has twice A's rates: first.
        assert_eq!(rows[0].facts.code, "B");
        assert_eq!(rows[0].rank, Some(1));
    }
}
