//! Did an intervention work? (igesp.md §6) — the one evaluation `atalaia evaluate` and the page
//! `/avaliacao` share: the periods around the start, the counts of the target T, its buffer ring D, the
//! control C and the buffer's control C′, month by month, and `core::evaluation::evaluate` on them.
//!
//! Where the counts come from:
//! - **T, C and C′ from the aggregates** (`daily_counts` plus the `monthly_counts` of count-only
//!   imports), like every indicator: an occurrence counts in an area when the import assigned it to the
//!   area in force on its date, geocoded or not.
//! - **D from geocoded occurrences only.** The ring is not a stored area, so it has no aggregate: it is
//!   drawn around T's polygon in force on the start date ([`atalaia_spatial::BufferRing`]: buffer(T, M)
//!   minus T, in the UTM zone of T's box) and an occurrence counts in D when its point lies in it.
//!   Occurrences without coordinates cannot be placed in a ring and are not in D.
//! - **Without a chosen control, C is the rest of T's parent area** (the area T was drawn in: an
//!   intervention area made on the hot-spot map is the child of the analysed municipality or AISP): the
//!   parent's aggregate minus the parent's occurrences that are in T (assigned to it, geocoded or given
//!   by `territory_code`, which the import also counts in T's parents) or, geocoded, in the ring. A
//!   control must not hold the target or its ring, or the displacement it measures would cancel out.
//!   Only the parent's own occurrences are taken out, so the rest is exact and never negative. An area
//!   without a parent needs a chosen control.
//!   C′ is C unless another area is chosen for it.

use atalaia_core::dates::BrDate;
use std::collections::{BTreeMap, HashSet};

use atalaia_core::evaluation::{Counts, Evaluation, MAX_MONTHS, Periods, Span, evaluate};
use atalaia_core::{CrimeCode, Month};
use atalaia_spatial::BufferRing;
use atalaia_spatial::ring::RingError;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::hotspots::crime_filter;
use crate::territories::TerritoryVersion;
use crate::{Db, StoreError, on_db};

/// The ring's width when none is given, in metres: about four or five city blocks, the catchment most
/// displacement studies use around a hot spot (Bowers et al. 2011 review: 400–500 m). Documented here
/// and in the command's help.
pub const DEFAULT_BUFFER_M: f64 = 500.0;

/// What to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationQuery {
    /// The target area T (an intervention area, usually).
    pub area: String,
    /// The plan's start date.
    pub start: NaiveDate,
    /// N, the months of each period (1 to 36).
    pub months: u32,
    /// The ring's width M in metres ([`DEFAULT_BUFFER_M`] when `None`).
    pub buffer_m: Option<f64>,
    /// The control area C (the rest of T's parent when `None`).
    pub control: Option<String>,
    /// The buffer's control C′ (C when `None`).
    pub control_buffer: Option<String>,
    /// The crimes counted; empty = every crime.
    pub crimes: Vec<CrimeCode>,
    /// Today: the *after* period must be over (an unfinished period would read as a fall).
    pub today: NaiveDate,
}

/// Why an evaluation could not be made. Messages are pt-BR and name the value and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such territory.
    #[error("área desconhecida: `{0}`")]
    UnknownArea(String),
    /// The target has no polygon to draw its ring around.
    #[error(
        "a área `{0}` não tem polígono: o entorno (anel em volta da área) precisa dos limites da área"
    )]
    NoGeometry(String),
    /// N out of range.
    #[error("número de meses `{0}` inválido: esperado de 1 a {MAX_MONTHS}")]
    Months(u32),
    /// The start date leaves the calendar.
    #[error("data de início `{0}` fora do intervalo aceito (anos de 1900 a 2200)")]
    Start(NaiveDate),
    /// The ring's width is invalid.
    #[error("{0}")]
    Width(RingError),
    /// The control is the target itself.
    #[error("a área de controle `{0}` é a própria área avaliada: escolha outra")]
    ControlIsTarget(String),
    /// No control chosen and the target has no parent to take the rest of.
    #[error("a área `{0}` não tem área-mãe para servir de controle: indique uma área de controle")]
    NoParent(String),
    /// An area did not exist (or had ended) during part of the periods.
    #[error(
        "a área `{code}` não vigora em todo o período avaliado, de {from} a {to} (vigora {valid}): \
         escolha outra data de início ou menos meses"
    )]
    NotInForce {
        /// The area.
        code: String,
        /// First day needed.
        from: NaiveDate,
        /// Last day needed.
        to: NaiveDate,
        /// When it is in force, in words.
        valid: String,
    },
    /// The *after* period is not over.
    #[error(
        "o período depois termina em {to}, depois de hoje ({today}): os números estariam incompletos; \
         escolha menos meses ou uma data de início anterior"
    )]
    NotOver {
        /// Last day of *after*.
        to: NaiveDate,
        today: NaiveDate,
    },
    /// A crime outside the catalog.
    #[error("crime desconhecido: `{0}` (esperado um código do catálogo, como roubo_transeunte)")]
    UnknownCrime(String),
}

/// How C was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlRule {
    /// The team picked it.
    Chosen,
    /// The rest of T's parent (parent − T − the ring's part in the parent).
    RestOfParent,
}

/// An area named in a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedArea {
    pub code: String,
    pub name: String,
}

/// One month of the window: the counts of T, D and C (C′ when it is another area).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCounts {
    /// The month.
    pub month: Month,
    pub target: i64,
    pub buffer: i64,
    pub control: i64,
    /// C′, when chosen apart from C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_buffer: Option<i64>,
}

/// An evaluation with what it was computed from.
#[derive(Debug, Clone)]
pub struct EvaluationRun {
    /// T's version in force on the start date (its polygon drew the ring).
    pub target: TerritoryVersion,
    /// The control area (for [`ControlRule::RestOfParent`], the parent).
    pub control: NamedArea,
    /// How C was chosen.
    pub control_rule: ControlRule,
    /// C′ when chosen apart from C.
    pub control_buffer: Option<NamedArea>,
    /// The start date asked.
    pub start: NaiveDate,
    /// The periods.
    pub periods: Periods,
    /// The ring's width, metres.
    pub buffer_m: f64,
    /// The ring's area, square metres.
    pub ring_area_m2: f64,
    /// The crimes (empty = all).
    pub crimes: Vec<CrimeCode>,
    /// Every month of the window, the transition month included.
    pub monthly: Vec<MonthCounts>,
    /// C′'s counts (equal to C's when not chosen apart).
    pub control_buffer_counts: Counts,
    /// The numbers of igesp.md §6.
    pub evaluation: Evaluation,
}

impl EvaluationRun {
    /// The result as contracts.md §3 writes it (`area`, `before`, `after`, `target`, `buffer`,
    /// `control`, `wdq`, `wdd`, `wdd_se`, `verdict`), plus additive fields: `name`, `start`, `months`,
    /// `transition`, `crimes`, `buffer_m`, `ring_area_m2`, `control_area`, `control_buffer`, `wdd_z`,
    /// `monthly`. Numbers unrounded.
    pub fn contract_json(&self) -> serde_json::Value {
        let e = &self.evaluation;
        serde_json::json!({
            "area": self.target.code,
            "name": self.target.name,
            "start": self.start,
            "months": self.periods.months,
            "before": self.periods.before,
            "after": self.periods.after,
            "transition": self.periods.transition,
            "crimes": self.crimes,
            "buffer_m": self.buffer_m,
            "ring_area_m2": self.ring_area_m2,
            "target": e.target,
            "buffer": e.buffer,
            "control": e.control,
            "control_area": {"code": self.control.code, "name": self.control.name,
                             "rule": self.control_rule},
            "control_buffer": self.control_buffer.as_ref().map(|a| serde_json::json!({
                "code": a.code, "name": a.name,
                "before": self.control_buffer_counts.before,
                "after": self.control_buffer_counts.after})),
            "wdq": e.wdq,
            "wdd": e.wdd,
            "wdd_se": e.wdd_se,
            "wdd_z": e.wdd_z,
            "verdict": e.verdict,
            "monthly": self.monthly,
        })
    }

    /// The control as the page and the CLI name it: "restante de " before the parent when C is the
    /// rest of it, then code and name.
    pub fn control_label(&self) -> String {
        let rest = if self.control_rule == ControlRule::RestOfParent {
            "restante de "
        } else {
            ""
        };
        format!("{rest}{} — {}", self.control.code, self.control.name)
    }

    /// The crimes counted, as the page and the CLI list them: "todos" when not narrowed.
    pub fn crimes_label(&self) -> String {
        if self.crimes.is_empty() {
            return "todos".into();
        }
        let codes: Vec<String> = self.crimes.iter().map(|c| c.to_string()).collect();
        codes.join(", ")
    }

    /// The result as CSV (the CLI's `--format csv` and the page's download): one row per series
    /// (`target`, `buffer`, `control`, and `control_buffer` when chosen apart) with `code`, `before`,
    /// `after`, `change_pct`, `p_value`, then one row per statistic (`wdq`, `wdd`, `wdd_se`, `wdd_z`)
    /// with its `value`. Numbers unrounded, `.` as the decimal point; empty where undefined.
    pub fn csv(&self) -> String {
        fn cell(s: &str) -> String {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        }
        let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        let e = &self.evaluation;
        let mut out = String::from("row,code,before,after,change_pct,p_value,value\n");
        let mut series = vec![
            ("target", self.target.code.as_str(), &e.target),
            ("buffer", "", &e.buffer),
            ("control", self.control.code.as_str(), &e.control),
        ];
        let cb = self.control_buffer.as_ref().map(|a| {
            (
                a,
                atalaia_core::evaluation::change(self.control_buffer_counts),
            )
        });
        if let Some((a, ch)) = &cb {
            series.push(("control_buffer", a.code.as_str(), ch));
        }
        for (row, code, ch) in series {
            out.push_str(&format!(
                "{row},{},{},{},{},{},\n",
                cell(code),
                ch.before,
                ch.after,
                opt(ch.change_pct),
                ch.p_value
            ));
        }
        for (row, v) in [
            ("wdq", e.wdq),
            ("wdd", Some(e.wdd)),
            ("wdd_se", Some(e.wdd_se)),
            ("wdd_z", Some(e.wdd_z)),
        ] {
            out.push_str(&format!("{row},,,,,,{}\n", opt(v)));
        }
        out
    }
}

/// Whether the versions of an area cover `span` (from the first version's start to the last one's end).
fn covers(versions: &[TerritoryVersion], from: NaiveDate, to: NaiveDate) -> Result<(), String> {
    let first = versions.iter().map(|v| v.valid_from).min();
    let open = versions.iter().any(|v| v.valid_to.is_none());
    let last = versions.iter().filter_map(|v| v.valid_to).max();
    let valid = match (first, open, last) {
        (Some(f), true, _) => format!("desde {f}"),
        (Some(f), false, Some(l)) => format!("de {f} a {l}"),
        _ => "nunca".to_string(),
    };
    match first {
        Some(f) if f <= from && (open || last.is_some_and(|l| l >= to)) => Ok(()),
        _ => Err(valid),
    }
}

/// Sums a series over the months of a span.
fn sum_in(series: &BTreeMap<Month, i64>, p: &Periods, before: bool) -> i64 {
    series
        .iter()
        .filter(|(m, _)| {
            if before {
                p.is_before(**m)
            } else {
                p.is_after(**m)
            }
        })
        .map(|(_, n)| n)
        .sum()
}

fn counts(series: &BTreeMap<Month, i64>, p: &Periods) -> Option<Counts> {
    let before = u64::try_from(sum_in(series, p, true)).ok()?;
    let after = u64::try_from(sum_in(series, p, false)).ok()?;
    Some(Counts { before, after })
}

impl Db {
    /// The evaluation `q` (see the module's docs).
    pub async fn evaluate(&self, q: &EvaluationQuery) -> Result<EvaluationRun, EvaluationError> {
        if !(1..=MAX_MONTHS).contains(&q.months) {
            return Err(EvaluationError::Months(q.months));
        }
        let periods = Periods::new(q.start, q.months).ok_or(EvaluationError::Start(q.start))?;
        let buffer_m = atalaia_spatial::ring::check_width(q.buffer_m.unwrap_or(DEFAULT_BUFFER_M))
            .map_err(EvaluationError::Width)?;
        let known: HashSet<String> = self.crimes().await?.into_iter().map(|c| c.code).collect();
        if let Some(c) = q.crimes.iter().find(|c| !known.contains(c.as_str())) {
            return Err(EvaluationError::UnknownCrime(c.to_string()));
        }
        let crimes: Vec<String> = {
            let mut v: Vec<String> = q.crimes.iter().map(|c| c.to_string()).collect();
            v.sort();
            v.dedup();
            v
        };
        let (from, to) = (periods.before.from, periods.after.to);
        let in_force = |code: &str, versions: &[TerritoryVersion]| {
            covers(versions, from, to).map_err(|valid| EvaluationError::NotInForce {
                code: code.to_string(),
                from,
                to,
                valid,
            })
        };

        // T: its polygon in force on the start date.
        let versions = self.territory(&q.area).await?;
        if versions.is_empty() {
            return Err(EvaluationError::UnknownArea(q.area.clone()));
        }
        let target = versions
            .iter()
            .rev()
            .find(|v| v.valid_on(q.start))
            .or(versions.last())
            .cloned()
            .ok_or_else(|| EvaluationError::UnknownArea(q.area.clone()))?;
        in_force(&q.area, &versions)?;

        // C and C′.
        let (control, control_rule) = match &q.control {
            Some(code) => (code.clone(), ControlRule::Chosen),
            None => (
                target
                    .parent_code
                    .clone()
                    .ok_or_else(|| EvaluationError::NoParent(q.area.clone()))?,
                ControlRule::RestOfParent,
            ),
        };
        if control == q.area {
            return Err(EvaluationError::ControlIsTarget(control));
        }
        let control_versions = self.territory(&control).await?;
        let Some(control_name) = control_versions.last().map(|v| v.name.clone()) else {
            return Err(EvaluationError::UnknownArea(control));
        };
        in_force(&control, &control_versions)?;
        let control_buffer = match &q.control_buffer {
            None => None,
            Some(code) if *code == q.area => {
                return Err(EvaluationError::ControlIsTarget(code.clone()));
            }
            Some(code) if *code == control && control_rule == ControlRule::Chosen => None,
            Some(code) => {
                let v = self.territory(code).await?;
                let Some(name) = v.last().map(|v| v.name.clone()) else {
                    return Err(EvaluationError::UnknownArea(code.clone()));
                };
                in_force(code, &v)?;
                Some(NamedArea {
                    code: code.clone(),
                    name,
                })
            }
        };

        // The ring, then its geocoded occurrences.
        let Some(text) = &target.geometry else {
            return Err(EvaluationError::NoGeometry(q.area.clone()));
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("geometria de {}: {e}", target.code)))?;
        let polygon = atalaia_spatial::shapes::to_multipolygon(&value)
            .map_err(|e| StoreError::Corrupt(format!("geometria de {}: {e}", target.code)))?;
        let ring = BufferRing::new(&polygon, buffer_m).map_err(|e| match e {
            RingError::Empty => EvaluationError::NoGeometry(q.area.clone()),
            e => EvaluationError::Width(e),
        })?;
        if periods.after.to >= q.today {
            return Err(EvaluationError::NotOver {
                to: periods.after.to,
                today: q.today,
            });
        }
        let window = periods.window();
        let end = to.succ_opt().unwrap_or(NaiveDate::MAX);
        // The ring's box, widened to every version of T in force during the window: the query must
        // also see T's occurrences the parent holds (for the rest of the parent).
        let mut bbox = ring.bbox_degrees();
        for v in versions
            .iter()
            .filter(|v| v.valid_from <= to && v.valid_to.is_none_or(|t| t >= from))
        {
            if let Some(b) = v.bbox {
                bbox = [
                    bbox[0].min(b[0]),
                    bbox[1].min(b[1]),
                    bbox[2].max(b[2]),
                    bbox[3].max(b[3]),
                ];
            }
        }
        let mut ring_all: BTreeMap<Month, i64> = window.iter().map(|m| (*m, 0)).collect();
        // The parent's occurrences that are in T or in the ring, to take out of the parent.
        let mut parent_taken = ring_all.clone();
        // The parent's own occurrences are those counted in it: for a state, its municipalities'.
        // A chosen control takes nothing out, so it needs none.
        let t_tag = format!("|{}|", q.area);
        let parent_tags: Vec<String> = match control_rule {
            ControlRule::RestOfParent => self
                .counted_codes(&control)
                .await?
                .iter()
                .map(|c| format!("|{c}|"))
                .collect(),
            ControlRule::Chosen => Vec::new(),
        };
        for (lon, lat, day, areas) in self
            .located_in_box_with_areas(bbox, from, end, &crimes)
            .await?
        {
            let Ok(m) = Month::of(day) else { continue };
            let areas = format!("|{areas}|");
            let in_ring = ring.contains(lon, lat);
            if in_ring {
                *ring_all.entry(m).or_default() += 1;
            }
            let in_parent = parent_tags.iter().any(|p| areas.contains(p.as_str()));
            if in_parent && (in_ring || areas.contains(&t_tag)) {
                *parent_taken.entry(m).or_default() += 1;
            }
        }
        // T's occurrences without coordinates are in the parent's count as well.
        if control_rule == ControlRule::RestOfParent {
            for (day, areas) in self.unlocated_in(&q.area, from, end, &crimes).await? {
                let Ok(m) = Month::of(day) else { continue };
                let areas = format!("|{areas}|");
                if parent_tags.iter().any(|p| areas.contains(p.as_str())) {
                    *parent_taken.entry(m).or_default() += 1;
                }
            }
        }
        let t_series = self
            .area_months(&q.area, from, to, &crimes, &window)
            .await?;
        let mut c_series = self
            .area_months(&control, from, to, &crimes, &window)
            .await?;
        if control_rule == ControlRule::RestOfParent {
            for (m, n) in c_series.iter_mut() {
                *n -= parent_taken.get(m).copied().unwrap_or(0);
            }
        }
        let cb_series = match &control_buffer {
            Some(a) => Some(
                self.area_months(&a.code, from, to, &crimes, &window)
                    .await?,
            ),
            None => None,
        };
        // Aggregates are exact (crate invariant) and the parent's part of T and the ring is counted
        // from the parent's own occurrences, so a negative sum means the store is inconsistent.
        let negative = |what: &str| {
            EvaluationError::Store(StoreError::Corrupt(format!(
                "contagem negativa de {what} na avaliação de {}",
                q.area
            )))
        };
        let t = counts(&t_series, &periods).ok_or_else(|| negative("T"))?;
        let d = counts(&ring_all, &periods).ok_or_else(|| negative("D"))?;
        let c = counts(&c_series, &periods).ok_or_else(|| negative("C"))?;
        let cb = match &cb_series {
            Some(s) => counts(s, &periods).ok_or_else(|| negative("C′"))?,
            None => c,
        };
        let monthly = window
            .iter()
            .map(|m| MonthCounts {
                month: *m,
                target: t_series.get(m).copied().unwrap_or(0),
                buffer: ring_all.get(m).copied().unwrap_or(0),
                control: c_series.get(m).copied().unwrap_or(0),
                control_buffer: cb_series.as_ref().map(|s| s.get(m).copied().unwrap_or(0)),
            })
            .collect();
        let mut crimes_sorted = q.crimes.clone();
        crimes_sorted.sort();
        crimes_sorted.dedup();
        Ok(EvaluationRun {
            control: NamedArea {
                code: control.clone(),
                name: control_name,
            },
            control_rule,
            control_buffer,
            start: q.start,
            periods,
            buffer_m,
            ring_area_m2: ring.area_m2(),
            crimes: crimes_sorted,
            monthly,
            control_buffer_counts: cb,
            evaluation: evaluate(t, d, c, cb),
            target,
        })
    }

    /// The days and areas of the occurrences assigned to `area` that have no coordinates, with a date
    /// in `[from, to)` and one of `crimes` (all when empty).
    pub(crate) async fn unlocated_in(
        &self,
        area: &str,
        from: NaiveDate,
        to: NaiveDate,
        crimes: &[String],
    ) -> Result<Vec<(NaiveDate, String)>, StoreError> {
        let filter = crime_filter(crimes, 4);
        let sql = format!(
            "SELECT occurred_at, areas FROM occurrences
             WHERE lat IS NULL AND ('|' || areas || '|') LIKE $1 ESCAPE '!'
               AND occurred_at >= $2 AND occurred_at < $3{filter}"
        );
        // LIKE's wildcards in a code (`_` is allowed in codes) match only themselves.
        let literal = area
            .replace('!', "!!")
            .replace('_', "!_")
            .replace('%', "!%");
        let pattern = format!("%|{literal}|%");
        on_db!(self, |c| {
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(pattern)
                .bind(from.and_time(NaiveTime::MIN))
                .bind(to.and_time(NaiveTime::MIN));
            for c in crimes {
                q = q.bind(c);
            }
            let rows = q.fetch_all(c).await?;
            rows.iter()
                .map(|r| -> Result<(NaiveDate, String), StoreError> {
                    Ok((
                        r.try_get::<NaiveDateTime, _>("occurred_at")?.date(),
                        r.try_get("areas")?,
                    ))
                })
                .collect()
        })
    }

    /// Geocoded occurrences in `bbox` with a date in `[from, to)` and one of `crimes` (all when empty),
    /// with the areas the import assigned: `(lon, lat, day, areas)` (`areas` `|`-separated).
    pub(crate) async fn located_in_box_with_areas(
        &self,
        bbox: [f64; 4],
        from: NaiveDate,
        to: NaiveDate,
        crimes: &[String],
    ) -> Result<Vec<(f64, f64, NaiveDate, String)>, StoreError> {
        let filter = crime_filter(crimes, 7);
        let sql = format!(
            "SELECT lon, lat, occurred_at, areas FROM occurrences
             WHERE lat IS NOT NULL AND lon >= $1 AND lat >= $2 AND lon <= $3 AND lat <= $4
               AND occurred_at >= $5 AND occurred_at < $6{filter}"
        );
        on_db!(self, |c| {
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(bbox[0])
                .bind(bbox[1])
                .bind(bbox[2])
                .bind(bbox[3])
                .bind(from.and_time(NaiveTime::MIN))
                .bind(to.and_time(NaiveTime::MIN));
            for c in crimes {
                q = q.bind(c);
            }
            let rows = q.fetch_all(c).await?;
            rows.iter()
                .map(|r| -> Result<(f64, f64, NaiveDate, String), StoreError> {
                    Ok((
                        r.try_get("lon")?,
                        r.try_get("lat")?,
                        r.try_get::<NaiveDateTime, _>("occurred_at")?.date(),
                        r.try_get("areas")?,
                    ))
                })
                .collect()
        })
    }
}

/// The pt-BR label of a span: `01/01/2024 a 31/03/2024`.
pub fn span_pt(s: &Span) -> String {
    format!("{} a {}", s.from.br_date(), s.to.br_date())
}
