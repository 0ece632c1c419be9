//! RECAP pages: the committee's quarter page (the configuration in force, today's calculation with its
//! statistical reading, saved runs, the cycle and its acts, a choropleth of the reduction and each
//! area's index over the years). The saved runs auditors read are in [`runs`], the configuration's
//! versions in [`config`], the unit head's page in [`unit`](mod@unit) and the occurrences behind a count in
//! [`trace`]; what IPEI shares (the cycle, the official documents) in `pages::program`.
//!
//! Every act here goes through `atalaia_store` functions that write it with its audit entry in one
//! transaction; the rules are `atalaia_core`'s.

pub mod config;
pub mod downloads;
pub mod runs;
pub mod trace;
pub mod unit;

use super::kept::Kept;
use super::{Chrome, Fields, field, local_time, render, thousands};
use crate::done::{self, Done};
use crate::guard::{Ctx, Identity};
use crate::pages::program::cycle::{self, CycleFrame, CycleView, RunChoice, cycle_view};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::Quarter;
use atalaia_core::access::Permission;
use atalaia_core::cycle::{CycleKind, CyclePeriod};
use atalaia_core::dates::BrDate;
use atalaia_core::recap::{AreaResult, Level, Reason, ReportParameters, UnitResult};
use atalaia_store::recap::Computed;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use std::collections::BTreeMap;

/// 10.909 → "10,91"; `None` (or not finite) → "—": the PDF's number format (`core::numbers`).
pub(crate) fn br2(v: Option<f64>) -> String {
    atalaia_reports::format::decimal_or_dash(v)
}

/// Centavos → "R$ 1.234,56".
pub(crate) fn reais(cents: i64) -> String {
    atalaia_core::brl(cents)
}

/// A level's label, the PDF's.
pub(crate) fn level_pt(l: Option<Level>) -> &'static str {
    atalaia_reports::format::level_label(l)
}

/// One home for the words of a reason: the reports' (PDFs and pages say the same).
pub(crate) fn reason_pt(r: &Reason) -> &'static str {
    atalaia_reports::format::reason_label(r)
}

/// The quarter asked for, or the last quarter that has ended by `today`.
pub(crate) fn quarter_of(q: Option<&str>, today: chrono::NaiveDate) -> Result<Quarter, AppError> {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Quarter::parse(s)
            .map_err(|e| AppError::BadRequest(format!("trimestre `{s}` inválido: {e}"))),
        None => Quarter::of(today)
            .ok()
            .and_then(|q| q.previous())
            .ok_or_else(|| AppError::BadRequest("informe o trimestre".into())),
    }
}

/// `?trimestre=2024-Q1`.
#[derive(Debug, Deserialize)]
pub struct QuarterQuery {
    trimestre: Option<String>,
}

struct AreaRow {
    code: String,
    name: String,
    kind: String,
    population: String,
    crimes: Vec<(String, u64, u64)>,
    baseline_index: String,
    index: String,
    reduction: String,
    level: &'static str,
    reasons: String,
    /// What it lacked for the next level, in one sentence (`AreaResult::shortfall_pt`).
    why: String,
    warnings: String,
    /// Statistical reading.
    p_value: String,
    ratio_ci: String,
    within_chance: bool,
    peak: bool,
}

pub(crate) struct UnitRow {
    code: String,
    name: String,
    areas: String,
    baseline_index: String,
    index: String,
    reduction: String,
    level: &'static str,
    reasons: String,
    /// What it lacked for RECAP2, in one sentence (`UnitResult::shortfall_pt`).
    why: String,
}

pub(crate) fn unit_rows(units: &[UnitResult], p: &ReportParameters) -> Vec<UnitRow> {
    units
        .iter()
        .map(|u| UnitRow {
            code: u.code.clone(),
            name: u.name.clone(),
            areas: u.areas.join(", "),
            baseline_index: br2(u.baseline_index),
            index: br2(u.index),
            reduction: br2(u.reduction_pct).replace('—', "indefinida"),
            level: level_pt(u.level),
            reasons: u
                .reasons
                .iter()
                .map(reason_pt)
                .collect::<Vec<_>>()
                .join("; "),
            why: u.shortfall_pt(p).unwrap_or_default(),
        })
        .collect()
}

fn area_rows(c: &Computed, history: &BTreeMap<String, Vec<u64>>) -> Vec<AreaRow> {
    let threshold = c.report.parameters.recap2_min_pct;
    c.report
        .areas
        .iter()
        .map(|a: &AreaResult| {
            let (s, sb): (u64, u64) = (
                a.crimes.iter().map(|l| l.count).sum(),
                a.crimes.iter().map(|l| l.baseline_count).sum(),
            );
            let test = match (a.population, a.baseline_population) {
                (Some(p), Some(pb)) => atalaia_core::stats::change_test(s, p, sb, pb, threshold),
                _ => None,
            };
            let peak = history
                .get(&a.code)
                .is_some_and(|h| atalaia_core::stats::baseline_was_a_peak(sb, h));
            AreaRow {
                code: a.code.clone(),
                name: a.name.clone(),
                kind: a.kind.to_uppercase(),
                population: a.population.map(thousands).unwrap_or_else(|| "—".into()),
                crimes: a
                    .crimes
                    .iter()
                    .map(|l| {
                        let name = atalaia_reports::format::crime_label(&l.crime);
                        (name, l.baseline_count, l.count)
                    })
                    .collect(),
                baseline_index: br2(a.baseline_index),
                index: br2(a.index),
                reduction: a
                    .reduction_pct
                    .map(|r| format!("{}%", br2(Some(r))))
                    .unwrap_or_else(|| "indefinida".into()),
                level: level_pt(a.level),
                why: a.shortfall_pt(&c.report.parameters).unwrap_or_default(),
                reasons: a
                    .reasons
                    .iter()
                    .map(reason_pt)
                    .collect::<Vec<_>>()
                    .join("; "),
                warnings: if a.warnings.is_empty() {
                    String::new()
                } else {
                    "população do ano anterior usada".into()
                },
                p_value: test
                    .as_ref()
                    .map(|t| format!("{:.3}", t.p_value).replace('.', ","))
                    .unwrap_or_else(|| "—".into()),
                ratio_ci: test
                    .as_ref()
                    .and_then(|t| t.ratio_ci95)
                    .map(|(lo, hi)| format!("{} a {}", br2(Some(lo)), br2(Some(hi))))
                    .unwrap_or_else(|| "—".into()),
                within_chance: test.as_ref().is_some_and(|t| t.within_chance),
                peak,
            }
        })
        .collect()
}

struct RunRow {
    id: i64,
    created_by: String,
    created_at: String,
    result_sha: String,
    differs: bool,
}

#[derive(Template)]
#[template(path = "recap.html")]
struct RecapPage {
    chrome: Chrome,
    quarter: String,
    baseline: String,
    config_since: String,
    config_summary: Vec<(String, String)>,
    areas: Vec<AreaRow>,
    units: Vec<UnitRow>,
    runs: Vec<RunRow>,
    /// The requester may open saved runs (committee, auditors).
    runs_visible: bool,
    cycle: Option<CycleView>,
    manage: bool,
    /// Why the quarter may not pay yet (`atalaia_core::closing`): the figures are partial, without
    /// levels, and no run or cycle is offered.
    partial: Option<String>,
    chart_labels: String,
    chart_series: String,
    map_url: String,
    cf: CycleFrame,
    /// `/recap/exportar?trimestre=…&`, the table and format appended by the template.
    export_href: String,
}

fn config_summary(c: &Computed) -> Vec<(String, String)> {
    let p = &c.config.recap;
    vec![
        (
            "Crimes de alta prioridade (Art. 4)".into(),
            p.crimes
                .iter()
                .map(|(c, _)| atalaia_core::crime::name_pt(c.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Base de comparação".into(),
            match p.baseline {
                atalaia_core::recap::Baseline::SameQuarterPreviousYear => {
                    "mesmo trimestre do ano anterior".into()
                }
                atalaia_core::recap::Baseline::PreviousQuarter => "trimestre anterior".into(),
            },
        ),
        (
            "RECAP2 (Art. 6)".into(),
            format!("redução ≥ {}%", br2(Some(p.recap2_min_pct.points()))),
        ),
        (
            "RECAP1 (Art. 5)".into(),
            format!(
                "redução ≥ {}%, só para {}",
                br2(Some(p.recap1_min_pct.points())),
                p.recap1_kinds
                    .iter()
                    .map(|k| k.as_str().to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        (
            "Piso de índice".into(),
            p.low_index_floor
                .map(|f| br2(Some(f)))
                .unwrap_or_else(|| "desligado".into()),
        ),
        (
            "Exclusão por afastamento (Art. 9)".into(),
            format!(
                "≥ {}% dos dias",
                br2(Some(c.config.absence_max_pct.points()))
            ),
        ),
        (
            "Valores por servidor".into(),
            format!(
                "RECAP1 {} · RECAP2 {}",
                reais((c.config.payment_recap1 * 100.0).round() as i64),
                reais((c.config.payment_recap2 * 100.0).round() as i64)
            ),
        ),
    ]
}

fn sha256(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Each RECAP area's index and CAP count over the quarters up to one (for the chart and the
/// regression-to-the-mean flag).
pub(crate) type Series = (Vec<Quarter>, BTreeMap<String, Vec<(Option<f64>, u64)>>);

/// [`Series`] kept per data version, last quarter, length and configuration text: eight years of
/// quarters read again on every visit took 0.6 s at 2M occurrences.
pub type SeriesCache = crate::cache::Versioned<(Quarter, usize, String), Series>;

/// The length of the RECAP page's chart, in quarters.
const CHART_QUARTERS: usize = 32;

/// The [`Series`] of the `n` quarters up to `q`, kept per data version.
async fn series(st: &AppState, c: &Computed, q: Quarter, n: usize) -> Result<Series, AppError> {
    let version = st.db.data_version().await?;
    let kept = st
        .recap_series_cache
        .get_or(
            version,
            (q, n, c.document.clone()),
            compute_series(st, c, q, n),
        )
        .await?;
    Ok((*kept).clone())
}

/// Computes again, after an import, what the RECAP page's first visit would wait for: the chart of
/// its default quarter.
pub(crate) async fn warm(st: &AppState) -> Result<(), AppError> {
    let today = st.config.clock.today();
    let q = quarter_of(None, today)?;
    let c = st.db.compute_quarter(q, None, today).await?;
    series(st, &c, q, CHART_QUARTERS).await.map(|_| ())
}

async fn compute_series(
    st: &AppState,
    c: &Computed,
    q: Quarter,
    n: usize,
) -> Result<Series, AppError> {
    let mut quarters = vec![q];
    while quarters.len() < n {
        match quarters.last().and_then(|x| x.previous()) {
            Some(p) => quarters.push(p),
            None => break,
        }
    }
    quarters.reverse();
    let mut out: BTreeMap<String, Vec<(Option<f64>, u64)>> = BTreeMap::new();
    for (i, quarter) in quarters.iter().enumerate() {
        let base = quarter.previous().unwrap_or(*quarter);
        let inputs = st.db.recap_inputs(&c.config.recap, *quarter, base).await?;
        for a in &inputs {
            let r = atalaia_core::recap::compute_area(&c.config.recap, a);
            let v = out.entry(a.code.clone()).or_default();
            v.resize(i, (None, 0));
            v.push((r.index, a.counts.iter().sum()));
        }
    }
    // Quarters before the data begin are not "zero crime": leave them out of the chart and the history.
    let mut first = (0..quarters.len())
        .find(|i| out.values().any(|v| v.get(*i).is_some_and(|(_, n)| *n > 0)))
        .unwrap_or(quarters.len());
    // Nor is the quarter the data begin in, when they begin after its first month: a quarter of one
    // or two months of records would read as a fall.
    if let Some(q0) = quarters.get(first).copied()
        && first + 1 < quarters.len()
    {
        let [m0, m1, _] = q0.months();
        if st
            .db
            .monthly_totals(m0.first_day(), m1.first_day())
            .await?
            .iter()
            .all(|t| t.occurrences == 0)
        {
            first += 1;
        }
    }
    let quarters = quarters.split_off(first);
    for v in out.values_mut() {
        *v = v.split_off(first.min(v.len()));
    }
    Ok((quarters, out))
}

/// Each area's counts of the eight quarters before the baseline, the history the peak flag reads.
fn peak_history(
    c: &Computed,
    quarters: &[Quarter],
    series: &BTreeMap<String, Vec<(Option<f64>, u64)>>,
) -> BTreeMap<String, Vec<u64>> {
    let base = Quarter::parse(&c.report.baseline_quarter).ok();
    series
        .iter()
        .map(|(code, v)| {
            let before: Vec<u64> = quarters
                .iter()
                .zip(v.iter())
                .filter(|(qq, _)| base.is_some_and(|b| **qq < b))
                .map(|(_, (_, n))| *n)
                .rev()
                .take(8)
                .collect();
            (code.clone(), before)
        })
        .collect()
}

async fn recap_page(
    st: &AppState,
    id: &Identity,
    q: Quarter,
    kept: Kept,
) -> Result<Response, AppError> {
    let c = st
        .db
        .compute_quarter(q, None, st.config.clock.today())
        .await?;
    // Eight years of quarters: the chart of each area's index, and the history the peak flag reads.
    let (quarters, series) = series(st, &c, q, CHART_QUARTERS).await?;
    let history = peak_history(&c, &quarters, &series);
    let today_inputs = sha256(&serde_json::to_string(&c.inputs).unwrap_or_default());
    let actors = crate::pages::Actors::load(st).await?;
    let runs: Vec<RunRow> = st
        .db
        .run_listing(CycleKind::Recap, Some(&q.to_string()), u32::MAX)
        .await?
        .into_iter()
        // Saved runs hold every unit's people and amounts: listed only for who may open them.
        .filter(|_| id.reads_whole_runs())
        .map(|r| RunRow {
            id: r.id,
            created_by: actors.name(&r.created_by),
            created_at: local_time(r.created_at),
            result_sha: r.result_sha256[..16].to_string(),
            differs: r.inputs_sha256 != today_inputs,
        })
        .collect();
    let cycle = match st.db.cycle(q).await? {
        Some(cy) => Some(cycle_view(st, &cy).await?),
        None => None,
    };
    let chart_labels =
        serde_json::to_string(&quarters.iter().map(|q| q.short_pt()).collect::<Vec<_>>())
            .unwrap_or_default();
    let chart_series = serde_json::to_string(
        &series
            .iter()
            .map(|(code, v)| {
                serde_json::json!({"label": code,
                    "values": v.iter().map(|(i, _)| i.map(|x| (x * 100.0).round() / 100.0)).collect::<Vec<_>>()})
            })
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let cf = CycleFrame::new(
        CycleKind::Recap,
        q.to_string(),
        CyclePeriod::Quarter(q).of_pt(),
        id.may(Permission::ManageRecap) && c.not_closed.is_none(),
        runs.iter()
            .map(|r| RunChoice {
                id: r.id,
                created_at: r.created_at.clone(),
            })
            .collect(),
        kept,
    );
    render(&RecapPage {
        chrome: Chrome::new(st, id, "RECAP — resultado trimestral", "/recap").await,
        quarter: q.short_pt(),
        baseline: c
            .report
            .baseline_quarter
            .parse::<atalaia_core::Quarter>()
            .map_or_else(|_| c.report.baseline_quarter.clone(), |b| b.label_pt()),
        config_since: c
            .version
            .as_ref()
            .map(|v| format!("em vigor desde {}", v.valid_from.br_date()))
            .unwrap_or_else(|| "padrões do decreto (nenhuma versão salva)".into()),
        config_summary: config_summary(&c),
        areas: area_rows(&c, &history),
        // A unit's level is its people's pay: a unit head sees his units' rows only (issue 17).
        units: unit_rows(&c.report.units, &c.report.parameters)
            .into_iter()
            .filter(|u| id.reads_whole_runs() || id.heads_unit(&u.code))
            .collect(),
        runs,
        runs_visible: id.reads_whole_runs(),
        cycle,
        manage: id.may(Permission::ManageRecap),
        partial: c.not_closed.as_ref().map(|w| w.to_string()),
        chart_labels,
        chart_series,
        map_url: format!("/recap/mapa.geojson?trimestre={q}"),
        export_href: format!("/recap/exportar?trimestre={q}&"),
        cf,
    })
}

/// `GET /recap`.
pub async fn page(
    Ctx { st, id }: Ctx,
    Query(qq): Query<QuarterQuery>,
) -> Result<Response, AppError> {
    let q = quarter_of(qq.trimestre.as_deref(), st.config.clock.today())?;
    recap_page(&st, &id, q, Kept::default()).await
}

/// `GET /recap/mapa.geojson?trimestre=`: the RECAP areas with today's reduction and level, coloured
/// The RECAP map's colours and what each means, also its legend: dark and light blue for the levels,
/// grey for a reduction short of them, orange for a rise (ColorBrewer's blues and an orange, told
/// apart by people with red–green colour blindness, unlike the red and green they replace).
const MAP_COLOURS: [(&str, &str); 5] = [
    ("#08519c", "RECAP1"),
    ("#6baed6", "RECAP2"),
    ("#d9d9d9", "redução abaixo do RECAP2"),
    ("#e6550d", "aumento"),
    ("#ffffff", "redução indefinida"),
];

/// for the choropleth.
pub async fn map(
    State(st): State<AppState>,
    Query(qq): Query<QuarterQuery>,
) -> Result<Response, AppError> {
    let q = quarter_of(qq.trimestre.as_deref(), st.config.clock.today())?;
    let c = st
        .db
        .compute_quarter(q, None, st.config.clock.today())
        .await?;
    let kinds: Vec<&str> = c
        .config
        .recap
        .area_kinds
        .iter()
        .map(|k| k.as_str())
        .collect();
    let territories = st.db.territories_on(&kinds, q.last_day()).await?;
    let mut features = Vec::new();
    for a in &c.report.areas {
        let Some(v) = territories.iter().find(|t| t.code == a.code) else {
            continue;
        };
        let Some(geometry) = v.geometry.as_deref() else {
            continue;
        };
        let geometry: serde_json::Value =
            serde_json::from_str(geometry).unwrap_or(serde_json::Value::Null);
        let fill = match (a.level, a.reduction_pct) {
            (Some(Level::Recap1), _) => MAP_COLOURS[0].0,
            (Some(Level::Recap2), _) => MAP_COLOURS[1].0,
            (None, Some(r)) if r >= 0.0 => MAP_COLOURS[2].0,
            (None, Some(_)) => MAP_COLOURS[3].0,
            (None, None) => MAP_COLOURS[4].0,
        };
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "code": a.code, "name": a.name, "fill": fill,
                "label": format!("{} — {}: redução {}, {}", a.code, a.name,
                    a.reduction_pct.map(|r| format!("{}%", br2(Some(r)))).unwrap_or_else(|| "indefinida".into()),
                    level_pt(a.level)),
                "reduction_pct": a.reduction_pct, "level": a.level,
            }
        }));
    }
    Ok(Json(serde_json::json!({
        "type": "FeatureCollection",
        "features": features,
        "legend": MAP_COLOURS,
    }))
    .into_response())
}

/// `trimestre` of a form.
#[derive(Debug, Deserialize)]
pub struct QuarterForm {
    trimestre: String,
}

/// `POST /recap/execucoes`: freezes today's calculation of the quarter as a run (audited).
pub async fn save_run(
    Ctx { st, id }: Ctx,
    Form(f): Form<QuarterForm>,
) -> Result<Response, AppError> {
    let q = quarter_of(Some(&f.trimestre), st.config.clock.today())?;
    let c = st
        .db
        .compute_quarter(q, None, st.config.clock.today())
        .await?;
    let run = st
        .db
        .save_computed(&c, &id.actor(), st.config.clock.now_utc())
        .await?;
    Ok(done::redirect(
        &format!("/recap/execucoes/{run}"),
        Done::RunSaved,
    ))
}

/// `POST /recap/ciclo`: opens the quarter's cycle (`trimestre`) with the Anexo Único's deadlines or the
/// committee's (`prazo_1` … `prazo_6`).
pub async fn open_cycle(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let q = quarter_of(field(&f, "trimestre"), st.config.clock.today())?;
    cycle::committee_form(
        &st,
        &id,
        cycle::CommitteeForm::Open(CyclePeriod::Quarter(q)),
        &f,
        (format!("/recap?trimestre={q}#ciclo"), Done::CycleOpened),
        |kept| recap_page(&st, &id, q, kept),
    )
    .await
}

async fn cycle_quarter(st: &AppState, cycle_id: i64) -> Result<Quarter, AppError> {
    for (period, id) in st.db.cycles(CycleKind::Recap).await? {
        if id == cycle_id {
            return Quarter::parse(&period)
                .map_err(|_| AppError::Internal(format!("ciclo {id}: período {period}")));
        }
    }
    Err(AppError::NotFound(format!("o ciclo {cycle_id}")))
}

/// `POST /recap/ciclo/{id}`: closes the open step, decides an appeal, or records a decision (Art. 13).
pub async fn cycle_act(
    Ctx { st, id }: Ctx,
    Path(cycle_id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let q = cycle_quarter(&st, cycle_id).await?;
    cycle::committee_form(
        &st,
        &id,
        cycle::CommitteeForm::Act(cycle_id),
        &f,
        (format!("/recap?trimestre={q}#ciclo"), Done::CycleStep),
        |kept| recap_page(&st, &id, q, kept),
    )
    .await
}
