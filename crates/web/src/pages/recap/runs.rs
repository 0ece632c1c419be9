//! RECAP's saved runs: the list auditors read, one run's page (its inputs, levels, payroll and what
//! changed since the paid run) and its official PDF and XLSX.

use crate::guard::Identity;
use crate::pages::program::PaidChangeRow;
use crate::pages::program::documents::RunDocuments;
use crate::pages::program::documents::actor_name;
use crate::pages::program::documents::committee_signatories;
use crate::pages::recap::AreaRow;
use crate::pages::recap::UnitRow;
use crate::pages::recap::area_rows;
use crate::pages::recap::level_pt;
use crate::pages::recap::reais;
use crate::pages::recap::unit_rows;
use crate::pages::{Chrome, local_time, render, thousands};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::Quarter;
use atalaia_core::access::Permission;
use atalaia_core::cycle::CycleKind;
use atalaia_core::payroll::PayrollReason;
use atalaia_store::recap::Computed;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use std::collections::BTreeMap;

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

/// Against the run paid for the quarter, when this run is another: who would be paid differently.
async fn changes_against_paid(
    st: &AppState,
    quarter: Quarter,
    run_id: i64,
    lines: &[atalaia_core::payroll::PayLine],
) -> Result<Option<(i64, Vec<PaidChangeRow>)>, AppError> {
    let Some(paid) = st
        .db
        .cycle(quarter)
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
        .map(PaidChangeRow::from)
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
    crate::pages::require_whole_run(&id, run_id)?;
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
            .map(|c| (c.clone(), crate::pages::recap::trace::crime_pt(c)))
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

/// What the official document of a run says besides its report (which the replay owns).
struct Official {
    stage: atalaia_reports::Stage,
    run: atalaia_reports::RunMeta,
    roster: Vec<atalaia_reports::RosterSummaryRow>,
    payroll: Vec<atalaia_reports::PayrollLine>,
    signatories: Vec<atalaia_reports::Signatory>,
}

impl Official {
    /// The document of `report`, the replayed run's.
    fn document(self, report: &atalaia_core::recap::Report) -> atalaia_reports::RecapDocument<'_> {
        atalaia_reports::RecapDocument {
            stage: self.stage,
            report,
            run: self.run,
            roster: self.roster,
            payroll: self.payroll,
            signatories: self.signatories,
        }
    }
}

/// The official document of a saved run (goias-cidadao-seguro.md §7): final when the cycle published this
/// run as the final result, partial otherwise; signed by the committee's members (active users with the
/// committee role), in the order of their names.
async fn official_document(
    st: &AppState,
    run_id: i64,
) -> Result<(atalaia_store::recap::Replay, Official), AppError> {
    let (_, replayed, stage, meta) =
        crate::pages::program::documents::official_run::<atalaia_core::pipeline::Recap>(st, run_id)
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
    Ok((
        replayed,
        Official {
            stage,
            run: meta,
            roster: summaries,
            payroll,
            signatories,
        },
    ))
}

/// The laid-out text of a saved run's official PDF, page by page: what the signed document says, for
/// checks that the run's page and the document use the same words.
pub async fn pdf_text(st: &AppState, run_id: i64) -> Result<Vec<String>, AppError> {
    let (replayed, official) = official_document(st, run_id).await?;
    atalaia_reports::recap_pdf_text(&official.document(&replayed.report))
        .map_err(|e| AppError::Internal(e.to_string()))
}

impl RunDocuments for atalaia_core::pipeline::Recap {
    async fn pdf(st: &AppState, run_id: i64) -> Result<(Vec<u8>, String), AppError> {
        let (replayed, official) = official_document(st, run_id).await?;
        let name = format!("recap-{}-execucao-{run_id}.pdf", replayed.report.quarter);
        let bytes = crate::pages::on_blocking_pool("PDF do RECAP", move || {
            atalaia_reports::recap_pdf(&official.document(&replayed.report))
        })
        .await?;
        Ok((bytes, name))
    }

    /// The same as the PDF plus the named payroll.
    async fn xlsx(
        st: &AppState,
        run_id: i64,
    ) -> Result<(Vec<u8>, String, serde_json::Value), AppError> {
        let (replayed, official) = official_document(st, run_id).await?;
        let lines = official.payroll.len();
        let doc = official.document(&replayed.report);
        let bytes =
            atalaia_reports::recap_xlsx(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
        let name = format!("recap-{}-execucao-{run_id}.xlsx", replayed.report.quarter);
        Ok((bytes, name, serde_json::json!({"lines": lines})))
    }
}
