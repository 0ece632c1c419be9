//! RECAP pages (issue #4): the committee's quarter page (configuration in force, today's calculation with
//! its statistical reading, saved runs, the cycle and its acts, a choropleth of the reduction and each
//! area's index over the years), the runs auditors read, and the configuration versions.
//!
//! Every act here goes through `atalaia_store` functions that write it with its audit entry in one
//! transaction; the rules are `atalaia_core`'s.

use atalaia_core::dates::BrDate;
use std::collections::BTreeMap;

use askama::Template;
use atalaia_core::Quarter;
use atalaia_core::access::Permission;
use atalaia_core::cycle::{CycleKind, CyclePeriod, Schedule, StepKey};
use atalaia_core::decision::Effect;
use atalaia_core::payroll::PayrollReason;
use atalaia_core::recap::{AreaResult, Level, Reason, UnitResult};
use atalaia_store::cycles::{ActRequest, CycleRecord};
use atalaia_store::recap::Computed;
use atalaia_store::{Refusal, StoreError};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;

use super::{Chrome, local_time, render, thousands};
use crate::guard::Identity;
use crate::{AppError, AppState};

/// 10.909 → "10,91"; `None` → "—".
pub(crate) fn br2(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            let s = format!("{:.2}", v.abs());
            let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
            let int: u64 = int.parse().unwrap_or(0);
            format!(
                "{}{},{}",
                if v < 0.0 && s != "0.00" { "−" } else { "" },
                thousands(int),
                frac
            )
        }
        Some(_) => "∞".into(),
        None => "—".into(),
    }
}

/// Centavos → "R$ 1.234,56".
pub(crate) fn reais(cents: i64) -> String {
    atalaia_core::brl(cents)
}

pub(crate) fn level_pt(l: Option<Level>) -> &'static str {
    match l {
        Some(Level::Recap1) => "RECAP1",
        Some(Level::Recap2) => "RECAP2",
        None => "—",
    }
}

/// One home for the words of a reason: the reports' (PDFs and pages say the same).
pub(crate) fn reason_pt(r: &Reason) -> &'static str {
    atalaia_reports::format::reason_label(r)
}

/// The quarter asked for, or the last quarter that has ended by `today`.
pub(crate) fn quarter_of(q: Option<&str>, today: chrono::NaiveDate) -> Result<Quarter, AppError> {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Quarter::parse(s).map_err(|e| {
            AppError::BadRequest(format!("trimestre `{s}` inválido: {e} (ex.: 2024-Q1)"))
        }),
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
}

pub(crate) fn unit_rows(units: &[UnitResult]) -> Vec<UnitRow> {
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
                    .map(|l| (l.crime.clone(), l.baseline_count, l.count))
                    .collect(),
                baseline_index: br2(a.baseline_index),
                index: br2(a.index),
                reduction: a
                    .reduction_pct
                    .map(|r| format!("{}%", br2(Some(r))))
                    .unwrap_or_else(|| "indefinida".into()),
                level: level_pt(a.level),
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

pub(crate) struct StepRow {
    pub(crate) label: &'static str,
    pub(crate) flow: &'static str,
    pub(crate) deadline: String,
    pub(crate) changed_by: String,
    pub(crate) closed: Option<String>,
    pub(crate) late: Option<String>,
    pub(crate) current: bool,
    pub(crate) needs_run: bool,
    pub(crate) key: &'static str,
}

pub(crate) struct ActView {
    pub(crate) id: i64,
    pub(crate) what: String,
    pub(crate) unit: String,
    pub(crate) text: String,
    pub(crate) by: String,
    pub(crate) at: String,
    pub(crate) late: Option<String>,
    pub(crate) decided: Option<String>,
    /// IPEI: the corrections the appeal proposed, as people read them.
    pub(crate) corrections: Vec<String>,
}

pub(crate) struct CycleView {
    pub(crate) id: i64,
    pub(crate) steps: Vec<StepRow>,
    pub(crate) appeals: Vec<ActView>,
    pub(crate) decisions: Vec<ActView>,
    pub(crate) submissions: Vec<ActView>,
    pub(crate) finished: bool,
    /// The recorded payment, in words.
    pub(crate) paid: Option<String>,
    /// The authorized run whose payment can be recorded now.
    pub(crate) pay_run: Option<i64>,
}

/// " — efeito: reintegra a unidade PM-7BPM" for a decision that carries an effect, else nothing.
fn effect_pt(payload: Option<&str>) -> String {
    payload
        .and_then(|p| serde_json::from_str::<Effect>(p).ok())
        .map(|e| format!(" — efeito: {}", e.label_pt()))
        .unwrap_or_default()
}

pub(crate) fn act_views(c: &CycleRecord, which: &str) -> Vec<ActView> {
    c.acts
        .iter()
        .filter(|a| a.act == which)
        .map(|a| {
            let decision = c
                .acts
                .iter()
                .find(|d| d.act == "appeal_decision" && d.appeal_id == Some(a.id));
            ActView {
                id: a.id,
                what: a.act.clone(),
                unit: a.unit.clone().unwrap_or_default(),
                text: match &a.payload {
                    Some(p) if which == "submission" && c.kind == CycleKind::Ipei => {
                        let n = serde_json::from_str::<atalaia_store::ipei::DeliveryPayload>(p)
                            .map(|d| d.seizures.len())
                            .unwrap_or(0);
                        format!("{n} apreensão(ões) entregue(s)")
                    }
                    Some(p) if which == "submission" => {
                        let n = serde_json::from_str::<Vec<serde_json::Value>>(p)
                            .map(|v| v.len())
                            .unwrap_or(0);
                        format!("{n} alteração(ões) à proposta do sistema")
                    }
                    _ => format!("{}{}", a.text, effect_pt(a.payload.as_deref())),
                },
                by: a.actor.clone(),
                at: local_time(a.at),
                late: a.late.then(|| a.justification.clone()),
                decided: decision.map(|d| {
                    format!(
                        "{} em {} por {}: {}{}",
                        if d.accepted == Some(true) {
                            "Deferido"
                        } else {
                            "Indeferido"
                        },
                        local_time(d.at),
                        d.actor,
                        d.text,
                        effect_pt(d.payload.as_deref())
                    )
                }),
                corrections: Vec::new(),
            }
        })
        .collect()
}

pub(crate) async fn cycle_view(st: &AppState, c: &CycleRecord) -> Result<CycleView, AppError> {
    let deadlines = st.db.cycle_deadlines(c).await?;
    let state = c.state();
    let current = state.current();
    let steps = deadlines
        .iter()
        .map(|d| {
            let close = c
                .acts
                .iter()
                .find(|a| a.act == "close" && a.step == Some(d.step));
            StepRow {
                label: d.step.label_pt(c.kind),
                flow: d.step.flow_pt(),
                deadline: format!("{}º dia útil — {}", d.nth, d.date.br_date()),
                changed_by: d
                    .changed_by
                    .iter()
                    .map(|x| {
                        format!(
                            "{} {} ({})",
                            x.date.format("%d/%m"),
                            if x.closed {
                                "sem expediente"
                            } else {
                                "com expediente"
                            },
                            x.act
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                closed: close.map(|a| {
                    format!(
                        "encerrada em {} por {}{}",
                        local_time(a.at),
                        a.actor,
                        a.run_id
                            .map(|r| format!(" (execução nº {r})"))
                            .unwrap_or_default()
                    )
                }),
                late: close.filter(|a| a.late).map(|a| a.justification.clone()),
                current: current == Some(d.step),
                needs_run: matches!(d.step, StepKey::PartialResult | StepKey::FinalResult),
                key: d.step.as_str(),
            }
        })
        .collect();
    let mut appeals = act_views(c, "appeal");
    if c.kind == CycleKind::Ipei {
        let corrections = st.db.appeal_corrections(c.id).await?;
        for a in &mut appeals {
            a.corrections = corrections
                .iter()
                .filter(|k| k.appeal_id == a.id)
                .map(|k| {
                    format!(
                        "Correção da apreensão nº {} (BO {}): {} — {}",
                        k.seizure_id,
                        k.bo_number,
                        k.changes,
                        match k.status.as_str() {
                            "applied" => "aplicada",
                            "refused" => "não aplicada",
                            _ => "aguarda a decisão",
                        }
                    )
                })
                .collect();
        }
    }
    let payment = c.payment();
    Ok(CycleView {
        id: c.id,
        steps,
        appeals,
        decisions: act_views(c, "decision"),
        submissions: act_views(c, "submission"),
        finished: current.is_none(),
        paid: payment.as_ref().map(|p| {
            format!(
                "Pago em {}: execução nº {}, folha com SHA-256 {}.",
                p.paid_on.br_date(),
                p.run_id,
                p.payroll_sha256
            )
        }),
        // The payment step follows the authorization, for the run the final result published.
        pay_run: payment
            .is_none()
            .then(|| c.run_of(StepKey::FinalResult))
            .flatten()
            .filter(|_| current.is_none()),
    })
}

#[derive(Template)]
#[template(path = "recap.html")]
struct RecapPage {
    chrome: Chrome,
    quarter: String,
    baseline: String,
    error: Option<String>,
    notice: Option<String>,
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
}

/// A saved run offered when a result step is closed.
pub(crate) struct RunChoice {
    pub(crate) id: i64,
    pub(crate) created_at: String,
}

/// What `cycle_section.html` needs besides the cycle: where its forms go and its words, per program.
pub(crate) struct CycleFrame {
    pub(crate) url: &'static str,
    pub(crate) title: &'static str,
    pub(crate) caption: &'static str,
    pub(crate) submissions_title: &'static str,
    pub(crate) period_field: &'static str,
    pub(crate) period: String,
    pub(crate) period_label: String,
    pub(crate) manage: bool,
    pub(crate) runs: Vec<RunChoice>,
    pub(crate) default_schedule: Vec<(usize, &'static str, u32)>,
}

impl CycleFrame {
    /// The frame of `kind`'s cycle of `period` (`label` as people read it).
    pub(crate) fn new(
        kind: CycleKind,
        period: String,
        label: String,
        manage: bool,
        runs: Vec<RunChoice>,
    ) -> CycleFrame {
        let (url, title, caption, submissions_title, period_field) = match kind {
            CycleKind::Recap => (
                "/recap/ciclo",
                "Ciclo do trimestre (Anexo Único)",
                "Etapas e prazos em dias úteis do mês seguinte ao trimestre (calendário de Goiânia)",
                "Listas de exclusão recebidas (Art. 9)",
                "trimestre",
            ),
            CycleKind::Ipei => (
                "/ipei/ciclo",
                "Ciclo do mês (Anexo Único)",
                "Etapas e prazos em dias úteis do mês seguinte ao de referência (calendário de Goiânia)",
                "Envios das unidades (Art. 12)",
                "mes",
            ),
        };
        CycleFrame {
            url,
            title,
            caption,
            submissions_title,
            period_field,
            period,
            period_label: label,
            manage,
            runs,
            default_schedule: StepKey::ALL
                .iter()
                .zip(Schedule::ANEXO_UNICO.nth)
                .enumerate()
                .map(|(i, (k, n))| (i + 1, k.label_pt(kind), n))
                .collect(),
        }
    }
}

fn config_summary(c: &Computed) -> Vec<(String, String)> {
    let p = &c.config.recap;
    vec![
        (
            "Crimes de alta prioridade (Art. 4)".into(),
            p.crimes
                .iter()
                .map(|(c, _)| c.to_string())
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

/// Each RECAP area's index and CAP count over the `n` quarters up to `q` (for the chart and the
/// regression-to-the-mean flag).
async fn series(
    st: &AppState,
    c: &Computed,
    q: Quarter,
    n: usize,
) -> Result<(Vec<Quarter>, BTreeMap<String, Vec<(Option<f64>, u64)>>), AppError> {
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
    let first = (0..quarters.len())
        .find(|i| out.values().any(|v| v.get(*i).is_some_and(|(_, n)| *n > 0)))
        .unwrap_or(quarters.len());
    let quarters = quarters.split_off(first);
    for v in out.values_mut() {
        *v = v.split_off(first.min(v.len()));
    }
    Ok((quarters, out))
}

async fn recap_page(
    st: &AppState,
    id: &Identity,
    q: Quarter,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let c = st
        .db
        .compute_quarter(q, None, st.config.clock.today())
        .await?;
    // Eight years of quarters: the chart of each area's index, and the history the peak flag reads.
    let (quarters, series) = series(st, &c, q, 32).await?;
    let base = Quarter::parse(&c.report.baseline_quarter).ok();
    let history: BTreeMap<String, Vec<u64>> = series
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
        .collect();
    let today_inputs = sha256(&serde_json::to_string(&c.inputs).unwrap_or_default());
    let runs: Vec<RunRow> = st
        .db
        .saved_runs(CycleKind::Recap, Some(&q.to_string()))
        .await?
        .into_iter()
        // Saved runs hold every unit's people and amounts: listed only for who may open them.
        .filter(|_| id.reads_whole_runs())
        .map(|r| RunRow {
            id: r.id,
            created_by: r.created_by,
            created_at: local_time(r.created_at),
            result_sha: r.result_sha256[..16].to_string(),
            differs: r.inputs_sha256 != today_inputs,
        })
        .collect();
    let cycle = match st
        .db
        .cycle(CycleKind::Recap, CyclePeriod::Quarter(q))
        .await?
    {
        Some(cy) => Some(cycle_view(st, &cy).await?),
        None => None,
    };
    let chart_labels = serde_json::to_string(
        &quarters
            .iter()
            .map(|q| format!("{}T{}", q.number(), q.year()))
            .collect::<Vec<_>>(),
    )
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
        q.to_string(),
        id.may(Permission::ManageRecap) && c.not_closed.is_none(),
        runs.iter()
            .map(|r| RunChoice {
                id: r.id,
                created_at: r.created_at.clone(),
            })
            .collect(),
    );
    render(&RecapPage {
        chrome: Chrome::new(st, id, "RECAP — resultado trimestral", "/recap").await,
        quarter: q.to_string(),
        baseline: c.report.baseline_quarter.clone(),
        error,
        notice,
        config_since: c
            .version
            .as_ref()
            .map(|v| format!("em vigor desde {}", v.valid_from.br_date()))
            .unwrap_or_else(|| "padrões do decreto (nenhuma versão salva)".into()),
        config_summary: config_summary(&c),
        areas: area_rows(&c, &history),
        // A unit's level is its people's pay: a unit head sees his units' rows only (issue 17).
        units: unit_rows(&c.report.units)
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
        cf,
    })
}

/// `GET /recap`.
pub async fn page(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(qq): Query<QuarterQuery>,
) -> Result<Response, AppError> {
    let q = quarter_of(qq.trimestre.as_deref(), st.config.clock.today())?;
    recap_page(&st, &id, q, None, None).await
}

/// `GET /recap/mapa.geojson?trimestre=`: the RECAP areas with today's reduction and level, coloured
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
        // Colours: green for RECAP1, light green RECAP2, grey no level with a reduction, red for an
        // increase, white when undefined.
        let fill = match (a.level, a.reduction_pct) {
            (Some(Level::Recap1), _) => "#1a7f37",
            (Some(Level::Recap2), _) => "#7cc68d",
            (None, Some(r)) if r >= 0.0 => "#d0d7de",
            (None, Some(_)) => "#cf222e",
            (None, None) => "#ffffff",
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
    Ok(
        Json(serde_json::json!({"type": "FeatureCollection", "features": features}))
            .into_response(),
    )
}

/// `trimestre` of a form.
#[derive(Debug, Deserialize)]
pub struct QuarterForm {
    trimestre: String,
}

/// `POST /recap/execucoes`: freezes today's calculation of the quarter as a run (audited).
pub async fn save_run(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
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
    Ok(Redirect::to(&format!("/recap/execucoes/{run}")).into_response())
}

/// The open-cycle form: the quarter and, optionally, each step's business day (`prazo_1` … `prazo_6`;
/// the Anexo Único's when absent).
#[derive(Debug, Deserialize)]
pub struct OpenCycleForm {
    trimestre: String,
    #[serde(flatten)]
    prazos: BTreeMap<String, String>,
}

/// The schedule of an open-cycle form: each step's business day from `prazo_1` … `prazo_6`, the Anexo
/// Único's where absent; refused (shown beside the form) for a field that is not a number or a schedule
/// the cycle rules do not allow.
pub(crate) fn schedule_of(prazos: &BTreeMap<String, String>) -> Result<Schedule, Refusal> {
    let mut nth = Schedule::ANEXO_UNICO.nth;
    for (i, n) in nth.iter_mut().enumerate() {
        if let Some(v) = prazos
            .get(&format!("prazo_{}", i + 1))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            *n = v.parse().map_err(|_| {
                Refusal::Invalid(format!(
                    "prazo da etapa {} `{v}` inválido: esperado o número do dia útil",
                    i + 1
                ))
            })?;
        }
    }
    Ok(Schedule::new(nth)?)
}

/// `POST /recap/ciclo`: opens the quarter's cycle with the Anexo Único's deadlines or the committee's.
pub async fn open_cycle(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<OpenCycleForm>,
) -> Result<Response, AppError> {
    let q = quarter_of(Some(&f.trimestre), st.config.clock.today())?;
    let opened = match schedule_of(&f.prazos) {
        Ok(schedule) => {
            st.db
                .open_cycle(
                    CycleKind::Recap,
                    CyclePeriod::Quarter(q),
                    &schedule,
                    &id.actor(),
                    st.config.clock.now_utc(),
                    st.config.clock.today(),
                )
                .await
        }
        Err(why) => Err(why.into()),
    };
    match opened {
        Ok(_) => Ok(Redirect::to(&format!("/recap?trimestre={q}#ciclo")).into_response()),
        // A period not over is refused outright (400), whatever the schedule; the schedule's own
        // faults are shown beside the form.
        Err(StoreError::Refused(why)) if !matches!(why, Refusal::NotClosed(_)) => {
            recap_page(&st, &id, q, Some(why.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The committee's acts on a cycle (RECAP's and IPEI's pages post the same form).
#[derive(Debug, Deserialize)]
pub struct CycleForm {
    /// `close`, `decide`, `decision` or `payment`.
    acao: String,
    #[serde(default)]
    etapa: String,
    #[serde(default)]
    execucao: String,
    #[serde(default)]
    justificativa: String,
    #[serde(default)]
    recurso: String,
    #[serde(default)]
    deferido: String,
    #[serde(default)]
    texto: String,
    /// What a decision changes: `reintegrar_unidade`, `pagar_apreensao`, `incluir_servidor`,
    /// `excluir_servidor`, or nothing.
    #[serde(default)]
    efeito: String,
    /// The unit, seizure number or registration the effect applies to.
    #[serde(default)]
    alvo: String,
    /// Payment: the payroll file's SHA-256.
    #[serde(default)]
    sha256: String,
    /// Payment: the day paid (AAAA-MM-DD or DD/MM/AAAA).
    #[serde(default)]
    pago_em: String,
}

impl CycleForm {
    /// The effect the form names (`atalaia_core::decision`), if any.
    fn effect(&self) -> Result<Option<Effect>, AppError> {
        let target = self.alvo.trim().to_string();
        if !self.efeito.is_empty() && target.is_empty() {
            return Err(AppError::BadRequest(
                "informe a unidade, a apreensão ou a matrícula do efeito".into(),
            ));
        }
        Ok(match self.efeito.as_str() {
            "" => None,
            "reintegrar_unidade" => Some(Effect::ReinstateUnit { unit: target }),
            "pagar_apreensao" => Some(Effect::PaySeizure {
                seizure_id: target
                    .trim_start_matches("nº")
                    .trim()
                    .parse()
                    .map_err(|_| {
                        AppError::BadRequest(format!(
                            "apreensão `{target}` inválida: esperado o número da apreensão"
                        ))
                    })?,
            }),
            "incluir_servidor" => Some(Effect::IncludeOperator {
                registration: target,
            }),
            "excluir_servidor" => Some(Effect::ExcludeOperator {
                registration: target,
            }),
            other => {
                return Err(AppError::BadRequest(format!(
                    "efeito `{other}` desconhecido"
                )));
            }
        })
    }

    /// The act the form asks for.
    pub(crate) fn request(self) -> Result<ActRequest, AppError> {
        Ok(match self.acao.as_str() {
            "close" => ActRequest::Close {
                step: StepKey::parse(&self.etapa).ok_or_else(|| {
                    AppError::BadRequest(format!("etapa `{}` inválida", self.etapa))
                })?,
                justification: self.justificativa,
                run_id: match self.execucao.trim() {
                    "" => None,
                    s => Some(s.parse::<i64>().map_err(|_| {
                        AppError::BadRequest(format!("execução `{s}` inválida: esperado o número"))
                    })?),
                },
            },
            "decide" => ActRequest::DecideAppeal {
                appeal_id: self.recurso.trim().parse().map_err(|_| {
                    AppError::BadRequest(format!("recurso `{}` inválido", self.recurso))
                })?,
                accepted: self.deferido == "sim",
                effect: self.effect()?,
                text: self.texto,
            },
            "decision" => ActRequest::Decision {
                effect: self.effect()?,
                text: self.texto,
            },
            "payment" => ActRequest::Payment {
                run_id: self.execucao.trim().parse().map_err(|_| {
                    AppError::BadRequest(format!(
                        "execução `{}` inválida: esperado o número",
                        self.execucao
                    ))
                })?,
                paid_on: atalaia_core::parse_date(self.pago_em.trim()).map_err(|e| {
                    AppError::BadRequest(format!("data do pagamento `{}`: {e}", self.pago_em))
                })?,
                payroll_sha256: self.sha256,
            },
            other => return Err(AppError::BadRequest(format!("ação `{other}` desconhecida"))),
        })
    }
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
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cycle_id): Path<i64>,
    Form(f): Form<CycleForm>,
) -> Result<Response, AppError> {
    let q = cycle_quarter(&st, cycle_id).await?;
    let request = f.request()?;
    match st
        .db
        .cycle_act(
            cycle_id,
            &request,
            &id.actor(),
            st.config.clock.today(),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/recap?trimestre={q}#ciclo")).into_response()),
        Err(StoreError::Refused(refused)) => {
            recap_page(&st, &id, q, Some(refused.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

struct RunListRow {
    id: i64,
    quarter: String,
    created_by: String,
    created_at: String,
    result_sha: String,
}

#[derive(Template)]
#[template(path = "recap_runs.html")]
struct RunsPage {
    chrome: Chrome,
    runs: Vec<RunListRow>,
}

/// `GET /recap/execucoes`: every saved run.
pub async fn runs(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    if !id.reads_whole_runs() {
        return Err(AppError::NotFound("as execuções salvas".into()));
    }
    let runs = st
        .db
        .saved_runs(CycleKind::Recap, None)
        .await?
        .into_iter()
        .map(|r| RunListRow {
            id: r.id,
            quarter: r.period,
            created_by: r.created_by,
            created_at: local_time(r.created_at),
            result_sha: r.result_sha256,
        })
        .collect();
    render(&RunsPage {
        chrome: Chrome::new(&st, &id, "Execuções salvas do RECAP", "/recap/execucoes").await,
        runs,
    })
}

struct InputRow {
    code: String,
    name: String,
    population: String,
    baseline_population: String,
    counts: String,
    baseline_counts: String,
}

struct SummaryRow {
    unit: String,
    name: String,
    level: &'static str,
    eligible: u32,
    excluded_absence: u32,
    excluded_by_head: u32,
    excluded_other: u32,
    amount: String,
    total: String,
}

struct PayRow {
    registration: String,
    name: String,
    institution: String,
    unit: String,
    level: &'static str,
    amount: String,
    /// Why excluded (pt-BR); `None` when paid.
    excluded: Option<String>,
}

struct PaidChangeRow {
    registration: String,
    name: String,
    paid: String,
    now: String,
}

/// Against the run paid for the quarter, when this run is another: who would be paid differently.
async fn changes_against_paid(
    st: &AppState,
    quarter: Quarter,
    run_id: i64,
    lines: &[atalaia_core::payroll::PayLine],
) -> Result<Option<(i64, Vec<PaidChangeRow>)>, AppError> {
    let Some(paid) = st
        .db
        .cycle(CycleKind::Recap, CyclePeriod::Quarter(quarter))
        .await?
        .and_then(|c| c.payment())
        .filter(|p| p.run_id != run_id)
    else {
        return Ok(None);
    };
    let Some(paid_run) = st.db.saved_run(CycleKind::Recap, paid.run_id).await? else {
        return Ok(None);
    };
    let side = |lines: &[atalaia_core::payroll::PayLine]| -> Vec<(String, String, i64)> {
        lines
            .iter()
            .map(|l| (l.registration.clone(), l.name.clone(), l.amount_cents))
            .collect()
    };
    let before = side(
        &paid_run
            .replay::<atalaia_core::pipeline::Recap>()?
            .payroll()
            .0,
    );
    let rows = atalaia_core::payroll::changes_since_paid(&before, &side(lines))
        .into_iter()
        .map(|c| PaidChangeRow {
            registration: c.registration,
            name: c.name,
            paid: c.paid_cents.map(reais).unwrap_or_else(|| "—".into()),
            now: c.now_cents.map(reais).unwrap_or_else(|| "—".into()),
        })
        .collect();
    Ok(Some((paid.run_id, rows)))
}

#[derive(Template)]
#[template(path = "recap_run.html")]
struct RunPage {
    /// The run paid for this quarter, when it is another, and who would be paid differently here.
    paid_changes: Option<(i64, Vec<PaidChangeRow>)>,
    has_roster: bool,
    summary: Vec<SummaryRow>,
    payroll: Vec<PayRow>,
    show_names: bool,
    grand_total: String,
    chrome: Chrome,
    id: i64,
    quarter: String,
    baseline: String,
    created_by: String,
    created_at: String,
    inputs_sha: String,
    result_sha: String,
    reproduces: bool,
    differs_today: bool,
    config: String,
    crimes: Vec<String>,
    areas: Vec<AreaRow>,
    units: Vec<UnitRow>,
    inputs: Vec<InputRow>,
    memoria: Vec<(String, Vec<String>)>,
    /// The RECAP areas and crimes (code, name) whose counts can be traced to their occurrences.
    trace_areas: Vec<(String, String)>,
    trace_crimes: Vec<(String, String)>,
}

fn population_pt(p: &atalaia_core::recap::Population) -> String {
    use atalaia_core::recap::Population as P;
    match p {
        P::Exact(v) => thousands(*v),
        P::CarriedForward { population, year } => format!("{} (de {year})", thousands(*population)),
        P::Missing => "—".into(),
    }
}

/// A saved run recomputed from what it froze: the report, its inputs, whether its bytes are the saved
/// ones.
pub(crate) fn replay(
    run: &atalaia_store::runs::SavedRun,
) -> Result<
    (
        atalaia_core::recap::Report,
        atalaia_core::recap::RunInputs,
        bool,
    ),
    AppError,
> {
    let r = run.replay::<atalaia_core::pipeline::Recap>()?;
    Ok((r.report, r.inputs, r.reproduces))
}

/// `GET /recap/execucoes/{id}`: a saved run, its inputs and memória, whether it reproduces and whether
/// today's data differ from what it froze.
pub async fn run(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    super::require_whole_run(&id, run_id)?;
    let run = st
        .db
        .saved_run(CycleKind::Recap, run_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a execução {run_id}")))?;
    let replayed = run.replay::<atalaia_core::pipeline::Recap>()?;
    let (report, inputs, reproduces) = (
        replayed.report.clone(),
        replayed.inputs.clone(),
        replayed.reproduces,
    );
    let (pay_lines, summaries) = replayed.payroll();
    let show_names = id.may(Permission::ViewPayroll);
    let differs_today = match st
        .db
        .compute_quarter(
            inputs.quarter,
            Some(replay_baseline(&inputs)),
            st.config.clock.today(),
        )
        .await
    {
        Ok(c) => serde_json::to_string(&c.inputs).unwrap_or_default() != run.inputs,
        Err(_) => true,
    };
    let computed = Computed {
        version: None,
        document: run.config.clone(),
        config: atalaia_core::program::ProgramDocument::from_json(&run.config)
            .and_then(|d| d.validate())
            .map_err(|e| AppError::Internal(e.to_string()))?,
        inputs: inputs.clone(),
        report: report.clone(),
        // A saved run was closed when it was saved.
        not_closed: None,
    };
    let rows = area_rows(&computed, &BTreeMap::new());
    let input_rows = inputs
        .areas
        .iter()
        .chain(inputs.unit_areas.iter())
        .map(|a| InputRow {
            code: a.code.clone(),
            name: a.name.clone(),
            population: population_pt(&a.population),
            baseline_population: population_pt(&a.baseline_population),
            counts: a
                .counts
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
            baseline_counts: a
                .baseline_counts
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
        })
        .collect();
    let paid_changes = if show_names {
        changes_against_paid(&st, inputs.quarter, run_id, &pay_lines).await?
    } else {
        None
    };
    render(&RunPage {
        paid_changes,
        has_roster: replayed.frozen.is_some(),
        grand_total: reais(summaries.iter().map(|x| x.total_cents).sum()),
        summary: summaries
            .iter()
            .map(|x| SummaryRow {
                unit: x.unit.clone(),
                name: x.name.clone(),
                level: level_pt(x.level),
                eligible: x.eligible,
                excluded_absence: x.excluded_absence,
                excluded_by_head: x.excluded_by_head,
                excluded_other: x.excluded_other,
                amount: reais(x.amount_cents),
                total: reais(x.total_cents),
            })
            .collect(),
        payroll: if show_names {
            pay_lines
                .iter()
                .map(|l| PayRow {
                    registration: l.registration.clone(),
                    name: l.name.clone(),
                    institution: l.institution.clone(),
                    unit: l.unit.clone().unwrap_or_else(|| "—".into()),
                    level: level_pt(l.level),
                    amount: reais(l.amount_cents),
                    excluded: l.reason.map(|r| match &l.decision {
                        Some(d) if r == PayrollReason::CommitteeDecision => d.clone(),
                        Some(d) => format!("{}: {d}", r.label_pt()),
                        None => r.label_pt().to_string(),
                    }),
                })
                .collect()
        } else {
            Vec::new()
        },
        show_names,
        chrome: Chrome::new(
            &st,
            &id,
            &format!("Execução nº {run_id} do RECAP"),
            "/recap/execucoes",
        )
        .await,
        id: run.id,
        quarter: report.quarter.clone(),
        baseline: report.baseline_quarter.clone(),
        created_by: actor_name(&st, &run.created_by).await?,
        created_at: local_time(run.created_at),
        inputs_sha: run.inputs_sha256.clone(),
        result_sha: run.result_sha256.clone(),
        reproduces,
        differs_today,
        config: serde_json::from_str::<serde_json::Value>(&run.config)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or(run.config.clone()),
        crimes: report.parameters.crimes.clone(),
        areas: rows,
        units: unit_rows(&report.units),
        inputs: input_rows,
        trace_areas: inputs
            .areas
            .iter()
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect(),
        trace_crimes: report
            .parameters
            .crimes
            .iter()
            .map(|c| (c.clone(), super::trace::crime_pt(c)))
            .collect(),
        // Areas, then units (Art. 7: the areas averaged and those left out, and why).
        memoria: report
            .areas
            .iter()
            .map(|a| (format!("{} — {}", a.code, a.name), a.memoria.clone()))
            .chain(report.units.iter().map(|u| {
                (
                    format!("Unidade {} — {}", u.code, u.name),
                    u.memoria.clone(),
                )
            }))
            .collect(),
    })
}

fn replay_baseline(inputs: &atalaia_core::recap::RunInputs) -> atalaia_core::recap::Baseline {
    if Some(inputs.baseline_quarter) == inputs.quarter.same_quarter_previous_year() {
        atalaia_core::recap::Baseline::SameQuarterPreviousYear
    } else {
        atalaia_core::recap::Baseline::PreviousQuarter
    }
}

struct VersionRow {
    valid_from: String,
    note: String,
    created_by: String,
    document: String,
}

#[derive(Template)]
#[template(path = "recap_config.html")]
struct ConfigPage {
    chrome: Chrome,
    error: Option<String>,
    versions: Vec<VersionRow>,
    draft: String,
    valid_from: String,
    note: String,
}

async fn config_page(
    st: &AppState,
    id: &Identity,
    error: Option<String>,
    draft: Option<(String, String, String)>,
) -> Result<Response, AppError> {
    let versions = st.db.program_configs().await?;
    let current = versions
        .last()
        .map(|v| v.document.clone())
        .unwrap_or_else(|| {
            serde_json::to_string(&atalaia_core::program::ProgramDocument::decree_default())
                .unwrap_or_default()
        });
    let pretty = serde_json::from_str::<serde_json::Value>(&current)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(current);
    let (draft, valid_from, note) = draft.unwrap_or((pretty, String::new(), String::new()));
    render(&ConfigPage {
        chrome: Chrome::new(st, id, "Configuração do programa", "/recap/configuracao").await,
        error,
        versions: versions
            .into_iter()
            .rev()
            .map(|v| VersionRow {
                valid_from: v.valid_from.br_date(),
                note: v.note,
                created_by: v.created_by,
                document: v.document,
            })
            .collect(),
        draft,
        valid_from,
        note,
    })
}

/// `GET /recap/configuracao`.
pub async fn config(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    config_page(&st, &id, None, None).await
}

/// The new-version form.
#[derive(Debug, Deserialize)]
pub struct ConfigForm {
    documento: String,
    vigencia: String,
    nota: String,
}

/// `POST /recap/configuracao`: a new version from a date (validated; audited `config.program`).
pub async fn save_config(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Form(f): Form<ConfigForm>,
) -> Result<Response, AppError> {
    let draft = (f.documento.clone(), f.vigencia.clone(), f.nota.clone());
    let day = match atalaia_core::parse_date(f.vigencia.trim()) {
        Ok(d) => d,
        Err(e) => {
            return config_page(
                &st,
                &id,
                Some(format!("vigência `{}` inválida: {e}", f.vigencia.trim())),
                Some(draft),
            )
            .await;
        }
    };
    if f.nota.trim().is_empty() {
        return config_page(
            &st,
            &id,
            Some("diga o ato que aprovou a versão (nota)".into()),
            Some(draft),
        )
        .await;
    }
    let doc = match atalaia_core::program::ProgramDocument::from_json(&f.documento) {
        Ok(d) => d,
        Err(e) => return config_page(&st, &id, Some(e.to_string()), Some(draft)).await,
    };
    if let Err(e) = doc.validate() {
        return config_page(&st, &id, Some(e.to_string()), Some(draft)).await;
    }
    // Stored compact and canonical (field order of the document type).
    let text = serde_json::to_string(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = st.db.begin().await?;
    match tx
        .put_program_config(
            day,
            &text,
            f.nota.trim(),
            &id.actor(),
            st.config.clock.now_utc(),
        )
        .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/recap/configuracao").into_response())
        }
        Err(StoreError::Refused(msg)) => {
            config_page(&st, &id, Some(msg.to_string()), Some(draft)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The official document of a saved run (goias-cidadao-seguro.md §7): final when the cycle published this
/// run as the final result, partial otherwise; signed by the committee's members (active users with the
/// committee role), in the order of their names.
async fn official_document(
    st: &AppState,
    run_id: i64,
) -> Result<
    (
        atalaia_store::recap::Replay,
        atalaia_reports::Stage,
        atalaia_reports::RunMeta,
        Vec<atalaia_reports::RosterSummaryRow>,
        Vec<atalaia_reports::PayrollLine>,
        Vec<atalaia_reports::Signatory>,
    ),
    AppError,
> {
    let run = st
        .db
        .saved_run(CycleKind::Recap, run_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a execução {run_id}")))?;
    let replayed = run.replay::<atalaia_core::pipeline::Recap>()?;
    if !replayed.reproduces {
        return Err(AppError::Internal(format!(
            "a execução {run_id} não se reproduz a partir das entradas congeladas"
        )));
    }
    let quarter = replayed.inputs.quarter;
    let (stage, meta) = official_meta(
        st,
        CycleKind::Recap,
        CyclePeriod::Quarter(quarter),
        quarter.last_day(),
        SavedRun {
            id: run_id,
            config: &run.config,
            created_by: &run.created_by,
            created_at: run.created_at,
            inputs_sha256: &run.inputs_sha256,
            result_sha256: &run.result_sha256,
        },
    )
    .await?;
    let (lines, summaries) = replayed.payroll();
    let unit_name = |code: &str| {
        replayed
            .report
            .units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let roster = summaries
        .iter()
        .map(|x| atalaia_reports::RosterSummaryRow {
            unit_code: x.unit.clone(),
            unit_name: x.name.clone(),
            areas: x.areas.clone(),
            level: x.level,
            eligible: x.eligible,
            excluded_absence: x.excluded_absence,
            excluded_by_head: x.excluded_by_head,
            excluded_other: x.excluded_other,
            amount_cents: x.amount_cents,
            total_cents: x.total_cents,
        })
        .collect();
    let payroll = lines
        .iter()
        .map(|l| atalaia_reports::PayrollLine {
            registration: l.registration.clone(),
            name: l.name.clone(),
            institution: l.institution.clone(),
            unit_code: l.unit.clone().unwrap_or_default(),
            unit_name: l.unit.as_deref().map(unit_name).unwrap_or_default(),
            areas: l.areas.clone(),
            level: l.level,
            amount_cents: l.amount_cents,
            reason: l.reason,
            decision: l.decision.clone(),
        })
        .collect();
    let signatories = committee_signatories(st).await?;
    Ok((replayed, stage, meta, roster, payroll, signatories))
}

/// What an official document says of the saved run it prints.
pub(crate) struct SavedRun<'a> {
    pub(crate) id: i64,
    pub(crate) config: &'a str,
    pub(crate) created_by: &'a str,
    pub(crate) created_at: chrono::NaiveDateTime,
    pub(crate) inputs_sha256: &'a str,
    pub(crate) result_sha256: &'a str,
}

/// A saved run's stage (final once its period's cycle published it as the final result, else partial)
/// and the header of its official documents: who ran it, when, its hashes, the configuration in force
/// on `last_day` when it is the run's.
pub(crate) async fn official_meta(
    st: &AppState,
    kind: CycleKind,
    period: CyclePeriod,
    last_day: chrono::NaiveDate,
    run: SavedRun<'_>,
) -> Result<(atalaia_reports::Stage, atalaia_reports::RunMeta), AppError> {
    let stage = match st.db.cycle(kind, period).await? {
        Some(c) if c.run_of(StepKey::FinalResult) == Some(run.id) => atalaia_reports::Stage::Final,
        _ => atalaia_reports::Stage::Partial,
    };
    let config_from = st
        .db
        .program_config_on(last_day)
        .await?
        .filter(|v| v.document == run.config)
        .map(|v| v.valid_from.br_date())
        .unwrap_or_else(|| "padrões do decreto".into());
    let meta = atalaia_reports::RunMeta {
        run_id: run.id,
        created_by: actor_name(st, run.created_by).await?,
        created_at: local_time(run.created_at),
        inputs_sha256: run.inputs_sha256.to_string(),
        result_sha256: run.result_sha256.to_string(),
        config_valid_from: config_from,
    };
    Ok((stage, meta))
}

/// The active members of the committee, who sign the program's official documents, by name.
pub(crate) async fn committee_signatories(
    st: &AppState,
) -> Result<Vec<atalaia_reports::Signatory>, AppError> {
    let mut signatories: Vec<atalaia_reports::Signatory> = st
        .db
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && u.roles().contains(&atalaia_core::access::Role::Committee))
        .map(|u| atalaia_reports::Signatory {
            name: u.name,
            role: format!("Comitê de Gestão do Programa — {}", u.institution_code),
        })
        .collect();
    signatories.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(signatories)
}

/// An audit actor as people read it: `user:comite` → "Carla do Comitê Gestor (comite)"; other actors
/// (`cli:…`, `demo`) as recorded.
pub(crate) async fn actor_name(st: &AppState, actor: &str) -> Result<String, AppError> {
    if let Some(login) = actor.strip_prefix("user:")
        && let Some(u) = st.db.user_by_login(login).await?
    {
        return Ok(format!("{} ({login})", u.name));
    }
    Ok(actor.to_string())
}

/// `GET /recap/execucoes/{id}/resultado.pdf`: the document the committee signs (no names of operators:
/// the named payroll goes in the workbook).
pub async fn run_pdf(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    super::require_whole_run(&id, run_id)?;
    let (replayed, stage, run, roster, payroll, signatories) =
        official_document(&st, run_id).await?;
    let name = format!("recap-{}-execucao-{run_id}.pdf", replayed.report.quarter);
    // typst lays out on the blocking pool: it takes tens of milliseconds to seconds.
    let bytes = tokio::task::spawn_blocking(move || {
        let doc = atalaia_reports::RecapDocument {
            stage,
            report: &replayed.report,
            run,
            roster,
            payroll,
            signatories,
        };
        atalaia_reports::recap_pdf(&doc).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    Ok(super::download(bytes, "application/pdf", name))
}

/// `GET /recap/execucoes/{id}/resultado.xlsx`: the same plus the named payroll (audited: personal data
/// tied to pay).
pub async fn run_xlsx(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    super::require_whole_run(&id, run_id)?;
    let (replayed, stage, run, roster, payroll, signatories) =
        official_document(&st, run_id).await?;
    let lines = payroll.len();
    let doc = atalaia_reports::RecapDocument {
        stage,
        report: &replayed.report,
        run,
        roster,
        payroll,
        signatories,
    };
    let bytes = atalaia_reports::recap_xlsx(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    st.db
        .audit(
            &atalaia_store::audit::AuditEvent::new(id.actor(), "recap.payroll_exported")
                .object(format!("recap_run:{run_id}"))
                .details(serde_json::json!({"lines": lines}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(super::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("recap-{}-execucao-{run_id}.xlsx", replayed.report.quarter),
    ))
}
