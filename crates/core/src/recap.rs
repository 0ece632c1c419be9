//! The RECAP calculation of Decreto 7.872/2013, Arts. 4–8 (goias-cidadao-seguro.md §3): per area, the
//! rate of each CAP crime per 100 000 inhabitants, the index (their mean, Art. 8), the reduction against
//! the baseline period, and the level reached (Arts. 5 and 6); per unit acting in several areas, the
//! mean of its areas' indexes (Art. 7). Every result carries its memória de cálculo.
//!
//! Threshold comparisons are exact where the law's money depends on them: for an area, "reduction ≥ t"
//! is decided in integer arithmetic on the counts and populations (a reduction of exactly 10 % reaches
//! RECAP2 even where floating point gives 9.999…). For a unit (a mean of fractions with different
//! denominators) the comparison allows 1e-9 percentage points, as the spec permits.

use serde::{Deserialize, Serialize};

use crate::{CrimeCode, Quarter, TerritoryKind};

/// How a crime is counted (goias-cidadao-seguro.md §2, parameter `count_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountBy {
    /// One per occurrence (default).
    Occurrences,
    /// One per victim (homicide statistics often count victims).
    Victims,
}

/// The period a quarter is compared with (parameter `baseline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The same quarter a year before (default: removes seasonality).
    SameQuarterPreviousYear,
    /// The quarter before.
    PreviousQuarter,
}

/// A level of the bonus (Arts. 5 and 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub enum Level {
    /// Reduction ≥ `recap2_min_pct` (10 % by decree, Art. 6).
    #[serde(rename = "RECAP2")]
    Recap2,
    /// Reduction ≥ `recap1_min_pct`, only for `recap1_kinds` (Art. 5).
    #[serde(rename = "RECAP1")]
    Recap1,
}

/// Why an area or unit has no level, or reached one by another road.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// No population for the period (never silently zero).
    NoPopulation,
    /// The baseline index is zero: the reduction is undefined.
    ZeroBaseline,
    /// At or below the low-index floor: RECAP2 whatever the reduction.
    LowIndexFloor,
    /// The reduction reaches RECAP1 but the area's kind (or one of the unit's areas) may not.
    Recap1NotForKind,
    /// A unit with an area whose index is undefined.
    AreaWithoutIndex,
    /// The quarter is not over, or its data not complete (`crate::closing`): figures so far, no level.
    PeriodNotClosed,
    /// A unit with an area of its circunscrição not in force at the quarter's end (Art. 7).
    AreaNotInForce,
}

/// Something to know that does not change the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Warning {
    /// The period's year had no population; the latest earlier year's was used.
    PopulationCarriedForward,
}

/// A percentage parameter, kept exact in millionths of a percentage point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "f64")]
pub struct Pct(i64);

impl Pct {
    /// From a number of percentage points with at most 6 decimals (`10`, `12.5`).
    pub fn new(points: f64) -> Option<Pct> {
        let micro = (points * 1_000_000.0).round();
        (points.is_finite() && (0.0..=100_000.0).contains(&points.abs()))
            .then_some(Pct(micro as i64))
    }

    /// The value in percentage points.
    pub fn points(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

impl From<Pct> for f64 {
    fn from(p: Pct) -> f64 {
        p.points()
    }
}

/// The parameters of one program configuration that the calculation reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecapParams {
    /// The CAP crimes (Art. 4) and how each is counted.
    pub crimes: Vec<(CrimeCode, CountBy)>,
    /// What a quarter is compared with.
    pub baseline: Baseline,
    /// Minimum reduction for RECAP2 (Art. 6: 10).
    pub recap2_min_pct: Pct,
    /// Minimum reduction for RECAP1 (Art. 5: "greater" than RECAP2's; default 20).
    pub recap1_min_pct: Pct,
    /// Area kinds that may reach RECAP1 (Art. 5 names AISP).
    pub recap1_kinds: Vec<TerritoryKind>,
    /// Area kinds the calculation covers.
    pub area_kinds: Vec<TerritoryKind>,
    /// Optional index at or below which an area reaches RECAP2 anyway (off by default).
    pub low_index_floor: Option<f64>,
}

/// A configuration that cannot be used, and why (pt-BR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// RECAP1's threshold must be above RECAP2's (Art. 5).
    #[error("o limiar do RECAP1 ({recap1}%) deve ser maior que o do RECAP2 ({recap2}%) (Art. 5)")]
    Recap1NotAboveRecap2 {
        /// RECAP1's threshold.
        recap1: String,
        /// RECAP2's threshold.
        recap2: String,
    },
    /// No CAP crime.
    #[error("a lista de crimes de alta prioridade está vazia (Art. 4)")]
    NoCrimes,
    /// A crime listed twice.
    #[error("o crime `{0}` aparece duas vezes na lista de crimes de alta prioridade")]
    RepeatedCrime(String),
    /// A threshold outside 0–100.
    #[error("limiar de redução {0}% fora do intervalo de 0 a 100")]
    ThresholdOutOfRange(String),
    /// A negative floor.
    #[error("piso de índice {0} inválido: esperado número não negativo")]
    BadFloor(String),
}

impl RecapParams {
    /// The decree's reading with the spec's defaults: CAP = homicídio doloso, roubo and furto de veículo
    /// counted by occurrence; same quarter of the previous year; RECAP2 at 10 %, RECAP1 at 20 % for AISP;
    /// areas AIS, AISP and AISE; no floor.
    pub fn decree_default() -> RecapParams {
        RecapParams {
            crimes: crate::default_cap()
                .into_iter()
                .map(|c| (c, CountBy::Occurrences))
                .collect(),
            baseline: Baseline::SameQuarterPreviousYear,
            recap2_min_pct: Pct(10_000_000),
            recap1_min_pct: Pct(20_000_000),
            recap1_kinds: vec![TerritoryKind::Aisp],
            area_kinds: vec![TerritoryKind::Ais, TerritoryKind::Aisp, TerritoryKind::Aise],
            low_index_floor: None,
        }
    }

    /// Checks the configuration before it is saved or used.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.crimes.is_empty() {
            return Err(ParamsError::NoCrimes);
        }
        for (i, (c, _)) in self.crimes.iter().enumerate() {
            if self.crimes[..i].iter().any(|(d, _)| d == c) {
                return Err(ParamsError::RepeatedCrime(c.to_string()));
            }
        }
        for t in [self.recap2_min_pct, self.recap1_min_pct] {
            if !(0..=100_000_000).contains(&t.0) {
                return Err(ParamsError::ThresholdOutOfRange(t.points().to_string()));
            }
        }
        if self.recap1_min_pct <= self.recap2_min_pct {
            return Err(ParamsError::Recap1NotAboveRecap2 {
                recap1: self.recap1_min_pct.points().to_string(),
                recap2: self.recap2_min_pct.points().to_string(),
            });
        }
        if let Some(f) = self.low_index_floor
            && !(f.is_finite() && f >= 0.0)
        {
            return Err(ParamsError::BadFloor(f.to_string()));
        }
        Ok(())
    }
}

/// A population for a period: the year's own, carried forward from an earlier year, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    /// The period's year.
    Exact(u64),
    /// The latest earlier year's (warning `POPULATION_CARRIED_FORWARD`).
    CarriedForward {
        population: u64,
        /// The year it is from.
        year: i32,
    },
    /// None at all (reason `NO_POPULATION`).
    Missing,
}

impl Population {
    fn value(self) -> Option<u64> {
        match self {
            Population::Exact(p) | Population::CarriedForward { population: p, .. } => {
                Some(p).filter(|p| *p > 0)
            }
            Population::Missing => None,
        }
    }
}

/// What the calculation needs of one area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaInput {
    pub code: String,
    pub name: String,
    pub kind: TerritoryKind,
    /// Population in the period's year.
    pub population: Population,
    /// Population in the baseline's year.
    pub baseline_population: Population,
    /// Counts per CAP crime, in the order of [`RecapParams::crimes`], in the period.
    pub counts: Vec<u64>,
    /// The same in the baseline period.
    pub baseline_counts: Vec<u64>,
}

/// One crime's line of an area's result.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RecapCrime")]
pub struct CrimeLine {
    pub crime: String,
    /// Count in the period.
    pub count: u64,
    /// Count in the baseline.
    pub baseline_count: u64,
    /// Rate per 100 000 in the period (`None` without population).
    pub rate: Option<f64>,
    /// Rate per 100 000 in the baseline.
    pub baseline_rate: Option<f64>,
}

/// An area's result (contracts.md §3, `areas[]`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RecapArea")]
pub struct AreaResult {
    pub code: String,
    pub name: String,
    pub kind: String,
    /// Population used for the period.
    pub population: Option<u64>,
    /// Population used for the baseline.
    pub baseline_population: Option<u64>,
    /// Per crime.
    pub crimes: Vec<CrimeLine>,
    /// CAP index of the period (Art. 8).
    pub index: Option<f64>,
    /// CAP index of the baseline.
    pub baseline_index: Option<f64>,
    /// Reduction in percent (positive = fewer crimes); `None` when undefined.
    pub reduction_pct: Option<f64>,
    /// Level reached.
    pub level: Option<Level>,
    /// Why no level, or why this level.
    pub reasons: Vec<Reason>,
    pub warnings: Vec<Warning>,
    /// The memória de cálculo, line by line (pt-BR).
    #[serde(skip)]
    pub memoria: Vec<String>,
    /// Whether this area's kind may reach RECAP1.
    #[serde(skip)]
    pub recap1_allowed: bool,
}

/// Numbers the way a Brazilian report prints them: `18,333333`.
fn br(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}").replace('.', ",")
}

/// Whether `reduction ≥ threshold` for sums `s` (period) and `sb` (baseline) of counts over
/// populations `p` and `pb`, exactly: reduction = (1 − s·pb/(sb·p)) × 100, so the test is
/// `100·(sb·p − s·pb) ≥ t·sb·p` with `t` in millionths scaled on both sides. Requires `sb·p > 0`.
fn reaches(s: u64, sb: u64, p: u64, pb: u64, t: Pct) -> bool {
    let (s, sb, p, pb) = (s as i128, sb as i128, p as i128, pb as i128);
    100_000_000 * (sb * p - s * pb) >= t.0 as i128 * sb * p
}

/// Whether `index ≤ floor` exactly: index = s·100 000 / (p·n).
fn at_or_below_floor(s: u64, p: u64, n: usize, floor: f64) -> bool {
    let floor_micro = (floor * 1_000_000.0).round() as i128;
    (s as i128) * 100_000 * 1_000_000 <= floor_micro * (p as i128) * (n as i128)
}

/// Computes one area (Arts. 4, 5, 6, 8; goias-cidadao-seguro.md §3).
pub fn compute_area(params: &RecapParams, input: &AreaInput) -> AreaResult {
    let n = params.crimes.len();
    let p = input.population.value();
    let pb = input.baseline_population.value();
    let mut warnings = Vec::new();
    let mut memoria = Vec::new();
    for (label, pop) in [
        ("período", input.population),
        ("base", input.baseline_population),
    ] {
        match pop {
            Population::Exact(v) => memoria.push(format!("População ({label}): {v} habitantes.")),
            Population::CarriedForward { population, year } => {
                if !warnings.contains(&Warning::PopulationCarriedForward) {
                    warnings.push(Warning::PopulationCarriedForward);
                }
                memoria.push(format!(
                    "População ({label}): {population} habitantes, de {year} (ano do período sem estimativa; usado o último anterior)."
                ));
            }
            Population::Missing => memoria.push(format!("População ({label}): não cadastrada.")),
        }
    }
    let count = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
    let rate = |c: u64, pop: Option<u64>| pop.map(|pop| c as f64 * 100_000.0 / pop as f64);
    let mut crimes = Vec::with_capacity(n);
    for (i, (crime, by)) in params.crimes.iter().enumerate() {
        let (c, cb) = (count(&input.counts, i), count(&input.baseline_counts, i));
        let line = CrimeLine {
            crime: crime.to_string(),
            count: c,
            baseline_count: cb,
            rate: rate(c, p),
            baseline_rate: rate(cb, pb),
        };
        let unit = match by {
            CountBy::Occurrences => "ocorrências",
            CountBy::Victims => "vítimas",
        };
        memoria.push(format!(
            "{crime}: {c} {unit} no período, taxa {}; {cb} na base, taxa {} (por 100.000 habitantes).",
            line.rate.map(|r| br(r, 6)).unwrap_or_else(|| "indefinida".into()),
            line.baseline_rate.map(|r| br(r, 6)).unwrap_or_else(|| "indefinida".into()),
        ));
        crimes.push(line);
    }
    let s: u64 = (0..n).map(|i| count(&input.counts, i)).sum();
    let sb: u64 = (0..n).map(|i| count(&input.baseline_counts, i)).sum();
    let index = p.map(|p| s as f64 * 100_000.0 / (p as f64 * n as f64));
    let baseline_index = pb.map(|pb| sb as f64 * 100_000.0 / (pb as f64 * n as f64));
    let recap1_allowed = params.recap1_kinds.contains(&input.kind);
    let mut reasons = Vec::new();
    let mut level = None;
    let mut reduction_pct = None;
    match (p, pb) {
        (Some(p), Some(pb)) => {
            memoria.push(format!(
                "Índice CAP (Art. 8) = média das {n} taxas: período {}, base {}.",
                br(index.unwrap_or(0.0), 6),
                br(baseline_index.unwrap_or(0.0), 6)
            ));
            if sb == 0 {
                reasons.push(Reason::ZeroBaseline);
                memoria.push("Índice da base igual a zero: redução indefinida.".into());
            } else {
                let r = (1.0 - (s as f64 * pb as f64) / (sb as f64 * p as f64)) * 100.0;
                reduction_pct = Some(r);
                memoria.push(format!(
                    "Redução = (base − período) / base × 100 = {}%.",
                    br(r, 6)
                ));
                if reaches(s, sb, p, pb, params.recap1_min_pct) {
                    if recap1_allowed {
                        level = Some(Level::Recap1);
                    } else {
                        level = Some(Level::Recap2);
                        reasons.push(Reason::Recap1NotForKind);
                    }
                } else if reaches(s, sb, p, pb, params.recap2_min_pct) {
                    level = Some(Level::Recap2);
                }
            }
            if let Some(floor) = params.low_index_floor
                && level.is_none()
                && at_or_below_floor(s, p, n, floor)
            {
                level = Some(Level::Recap2);
                reasons.push(Reason::LowIndexFloor);
                memoria.push(format!(
                    "Índice {} no piso de {} ou abaixo: RECAP2 pelo piso.",
                    br(index.unwrap_or(0.0), 6),
                    br(floor, 6)
                ));
            }
        }
        _ => {
            reasons.push(Reason::NoPopulation);
            memoria.push("Sem população: índice indefinido, sem nível.".into());
        }
    }
    memoria.push(format!(
        "Nível: {} (RECAP2 a partir de {}%, RECAP1 a partir de {}%{}).",
        match level {
            Some(Level::Recap1) => "RECAP1",
            Some(Level::Recap2) => "RECAP2",
            None => "nenhum",
        },
        br(params.recap2_min_pct.points(), 2),
        br(params.recap1_min_pct.points(), 2),
        if recap1_allowed {
            ""
        } else {
            "; RECAP1 não se aplica a este tipo de área"
        }
    ));
    AreaResult {
        code: input.code.clone(),
        name: input.name.clone(),
        kind: input.kind.as_str().to_string(),
        population: p,
        baseline_population: pb,
        crimes,
        index,
        baseline_index,
        reduction_pct,
        level,
        reasons,
        warnings,
        memoria,
        recap1_allowed,
    }
}

/// A unit's result (contracts.md §3, `units[]`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RecapUnit")]
pub struct UnitResult {
    pub code: String,
    pub name: String,
    /// The RECAP areas of its circunscrição at the period's end: the ones its index averages.
    pub areas: Vec<String>,
    /// Mean of its areas' indexes (Art. 7).
    pub index: Option<f64>,
    /// Mean of their baseline indexes.
    pub baseline_index: Option<f64>,
    /// Reduction in percent.
    pub reduction_pct: Option<f64>,
    /// Level reached.
    pub level: Option<Level>,
    pub reasons: Vec<Reason>,
    /// How the index was reached (pt-BR): the areas used, those left out and why. Not in the JSON
    /// (contracts.md §3 has no such field), so results saved before it replay to the same bytes; pages
    /// and documents read it from the recomputed report.
    #[serde(skip)]
    pub memoria: Vec<String>,
}

/// A unit and the codes of the areas it acts in (as of the period's end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitInput {
    pub code: String,
    pub name: String,
    /// Its areas.
    pub areas: Vec<String>,
}

/// Everything a quarter's calculation reads, frozen: a saved run keeps it, and [`report`] on it
/// gives the same bytes again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInputs {
    /// The quarter.
    pub quarter: Quarter,
    /// Its baseline quarter.
    pub baseline_quarter: Quarter,
    /// The RECAP areas, by code.
    pub areas: Vec<AreaInput>,
    /// Areas of units outside the RECAP kinds: listed in the unit's memória, never averaged (Art. 7,
    /// [`report`]'s reading).
    pub unit_areas: Vec<AreaInput>,
    pub units: Vec<UnitInput>,
}

/// The result of a quarter (contracts.md §3, `recap compute`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RecapReport")]
pub struct Report {
    /// The quarter.
    pub quarter: String,
    /// Its baseline.
    pub baseline_quarter: String,
    /// The parameters that matter to readers.
    pub parameters: ReportParameters,
    pub areas: Vec<AreaResult>,
    pub units: Vec<UnitResult>,
}

impl Report {
    /// The figures so far of a quarter that may not pay yet (`crate::closing`): every level withdrawn,
    /// each area and unit saying why.
    pub fn withhold_levels(&mut self) {
        let rows = self
            .areas
            .iter_mut()
            .map(|a| (&mut a.level, &mut a.reasons))
            .chain(
                self.units
                    .iter_mut()
                    .map(|u| (&mut u.level, &mut u.reasons)),
            );
        for (level, reasons) in rows {
            *level = None;
            reasons.push(Reason::PeriodNotClosed);
        }
    }
}

/// `parameters` of the report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "RecapParameters")]
pub struct ReportParameters {
    /// CAP crimes.
    pub crimes: Vec<String>,
    /// RECAP2 threshold.
    pub recap2_min_pct: f64,
    /// RECAP1 threshold.
    pub recap1_min_pct: f64,
    /// Baseline rule.
    pub baseline: Baseline,
}

impl AreaResult {
    /// What the area lacked, in one sentence beside its level (pt-BR): without a level, how far its
    /// reduction fell short of RECAP2 (Art. 6: "redução de 6,53 % — faltaram 3,47 p.p. para o RECAP2
    /// (Art. 6)"); at RECAP2 where RECAP1 was open to it, how far from RECAP1 (Art. 5). `None` when a
    /// reason already says why (no population, zero baseline, the quarter not over) or nothing is
    /// missing.
    pub fn shortfall_pt(&self, p: &ReportParameters) -> Option<String> {
        if !self.reasons.is_empty() {
            return None;
        }
        shortfall(self.reduction_pct?, self.level, self.recap1_allowed, p)
    }
}

impl UnitResult {
    /// The same for a unit (Art. 7: the mean of its areas), as far as RECAP2.
    pub fn shortfall_pt(&self, p: &ReportParameters) -> Option<String> {
        if !self.reasons.is_empty() {
            return None;
        }
        shortfall(self.reduction_pct?, self.level, false, p)
    }
}

fn shortfall(
    r: f64,
    level: Option<Level>,
    recap1_open: bool,
    p: &ReportParameters,
) -> Option<String> {
    let pp = |gap: f64| crate::numbers::decimal(gap.max(0.01), 2);
    let reduction = if r >= 0.0 {
        format!("redução de {}", crate::numbers::percent(r, 2))
    } else {
        format!("aumento de {}", crate::numbers::percent(-r, 2))
    };
    match level {
        None => Some(format!(
            "{reduction} — faltaram {} p.p. para o RECAP2 (Art. 6)",
            pp(p.recap2_min_pct - r)
        )),
        Some(Level::Recap2) if recap1_open && r < p.recap1_min_pct => Some(format!(
            "{reduction} — faltaram {} p.p. para o RECAP1 (Art. 5)",
            pp(p.recap1_min_pct - r)
        )),
        _ => None,
    }
}

impl RunInputs {
    /// Which baseline the frozen inputs were read with (Art. 5: the same quarter of the previous
    /// year, or the previous quarter), told by their two quarters, so a replay needs nothing else.
    pub fn baseline(&self) -> Baseline {
        if Some(self.baseline_quarter) == self.quarter.same_quarter_previous_year() {
            Baseline::SameQuarterPreviousYear
        } else {
            Baseline::PreviousQuarter
        }
    }
}

/// The whole quarter from its inputs: deterministic, so a saved run reproduces byte for byte.
pub fn report(params: &RecapParams, inputs: &RunInputs) -> Report {
    let areas: Vec<AreaResult> = inputs
        .areas
        .iter()
        .map(|a| compute_area(params, a))
        .collect();
    let extra: Vec<AreaResult> = inputs
        .unit_areas
        .iter()
        .map(|a| compute_area(params, a))
        .collect();
    let units = inputs
        .units
        .iter()
        .map(|u| unit_of(params, u, &areas, &extra))
        .collect();
    Report {
        quarter: inputs.quarter.to_string(),
        baseline_quarter: inputs.baseline_quarter.to_string(),
        parameters: ReportParameters {
            crimes: params.crimes.iter().map(|(c, _)| c.to_string()).collect(),
            recap2_min_pct: params.recap2_min_pct.points(),
            recap1_min_pct: params.recap1_min_pct.points(),
            baseline: params.baseline,
        },
        areas,
        units,
    }
}

/// A unit's result from its circunscrição (Art. 7: "a média aritmética dos índices das áreas em que
/// atua"). Our reading, so that no area is dropped without a word:
/// - the areas averaged are those of its circunscrição that are RECAP areas (`areas`: the configured
///   kinds, AIS/AISP/AISE by default) in force at the quarter's end;
/// - an area of another kind (a municipality, `extra`) is not a RECAP area: left out, and said so;
/// - an area of the circunscrição not in force at the quarter's end (unknown, ended) has no index — and
///   a unit with an area without an index has none: pay is never computed on part of its areas.
fn unit_of(
    params: &RecapParams,
    u: &UnitInput,
    areas: &[AreaResult],
    extra: &[AreaResult],
) -> UnitResult {
    let mut used = Vec::new();
    let mut memoria = Vec::new();
    let mut missing = false;
    for code in &u.areas {
        if let Some(a) = areas.iter().find(|a| &a.code == code) {
            used.push(a);
        } else if let Some(a) = extra.iter().find(|a| &a.code == code) {
            let kind = a
                .kind
                .parse::<TerritoryKind>()
                .map_or_else(|_| a.kind.clone(), |k| k.label_pt().to_string());
            memoria.push(format!(
                "Área {code} ({}) fora da média: o tipo {kind} não é área do RECAP.",
                a.name
            ));
        } else {
            missing = true;
            memoria.push(format!(
                "Área {code} fora de vigência no fim do trimestre: a unidade fica sem índice."
            ));
        }
    }
    let mut r = compute_unit(params, &u.code, &u.name, &used);
    for a in used.iter().filter(|a| a.index.is_none()) {
        memoria.push(format!(
            "Área {} ({}) sem índice: a unidade fica sem índice.",
            a.code, a.name
        ));
    }
    if missing {
        r.index = None;
        r.baseline_index = None;
        r.reduction_pct = None;
        r.level = None;
        r.reasons.retain(|x| *x == Reason::AreaWithoutIndex);
        r.reasons.push(Reason::AreaNotInForce);
    }
    memoria.insert(
        0,
        if r.areas.is_empty() {
            "Nenhuma área do RECAP na circunscrição: sem índice.".to_string()
        } else {
            format!("Média das áreas {} (Art. 7).", r.areas.join(", "))
        },
    );
    r.memoria = memoria;
    r
}

/// Tolerance of a unit's threshold comparison, in percentage points (goias-cidadao-seguro.md §3).
const UNIT_TOLERANCE_PP: f64 = 1e-9;

/// Computes a unit acting in several areas (Art. 7): the arithmetic mean of its areas' indexes, the
/// reduction from the two means, RECAP1 only when every area's kind allows it. A unit with an area whose
/// index is undefined gets no index: pay is not computed on part of its areas.
pub fn compute_unit(
    params: &RecapParams,
    code: &str,
    name: &str,
    areas: &[&AreaResult],
) -> UnitResult {
    let mut reasons = Vec::new();
    let codes = areas.iter().map(|a| a.code.clone()).collect();
    let mean = |f: &dyn Fn(&AreaResult) -> Option<f64>| -> Option<f64> {
        let v: Option<Vec<f64>> = areas.iter().map(|a| f(a)).collect();
        v.filter(|v| !v.is_empty())
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
    };
    let index = mean(&|a| a.index);
    let baseline_index = mean(&|a| a.baseline_index);
    let mut level = None;
    let mut reduction_pct = None;
    match (index, baseline_index) {
        (Some(i), Some(b)) if b > 0.0 => {
            let r = (b - i) / b * 100.0;
            reduction_pct = Some(r);
            let all_recap1 = areas.iter().all(|a| a.recap1_allowed);
            if r + UNIT_TOLERANCE_PP >= params.recap1_min_pct.points() {
                if all_recap1 {
                    level = Some(Level::Recap1);
                } else {
                    level = Some(Level::Recap2);
                    reasons.push(Reason::Recap1NotForKind);
                }
            } else if r + UNIT_TOLERANCE_PP >= params.recap2_min_pct.points() {
                level = Some(Level::Recap2);
            }
        }
        (Some(_), Some(_)) => reasons.push(Reason::ZeroBaseline),
        _ => reasons.push(Reason::AreaWithoutIndex),
    }
    UnitResult {
        code: code.to_string(),
        name: name.to_string(),
        areas: codes,
        index,
        baseline_index,
        reduction_pct,
        level,
        reasons,
        memoria: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
