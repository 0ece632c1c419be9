//! RECAP's part of the saved runs' pages (`pages::program::runs`): the levels, roster and payroll a run
//! froze, its inputs and their trace; and its official PDF and XLSX.

use crate::pages::program::documents::RunDocuments;
use crate::pages::program::documents::committee_signatories;
use crate::pages::program::runs::{PayLine, RunPages};
use crate::pages::recap::AreaRow;
use crate::pages::recap::UnitRow;
use crate::pages::recap::area_rows;
use crate::pages::recap::level_pt;
use crate::pages::recap::reais;
use crate::pages::recap::unit_rows;
use crate::pages::thousands;
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::payroll::PayrollReason;
use atalaia_core::pipeline::Recap;
use atalaia_store::recap::Computed;
use std::collections::BTreeMap;

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

/// RECAP's part of a run's page: the areas' and units' levels, the roster and payroll it froze, and
/// the inputs with a way to trace each count to its occurrences.
#[derive(Template)]
#[template(path = "recap_run.html")]
struct RunBody {
    id: i64,
    baseline: String,
    has_roster: bool,
    summary: Vec<SummaryRow>,
    payroll: Vec<PayRow>,
    grand_total: String,
    crimes: Vec<String>,
    areas: Vec<AreaRow>,
    units: Vec<UnitRow>,
    inputs: Vec<InputRow>,
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

fn input_row(a: &atalaia_core::recap::AreaInput) -> InputRow {
    let joined = |counts: &[u64]| {
        counts
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" / ")
    };
    InputRow {
        code: a.code.clone(),
        name: a.name.clone(),
        population: population_pt(&a.population),
        baseline_population: population_pt(&a.baseline_population),
        counts: joined(&a.counts),
        baseline_counts: joined(&a.baseline_counts),
    }
}

fn pay_row(l: &atalaia_core::payroll::PayLine) -> PayRow {
    PayRow {
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
    }
}

fn summary_row(x: &atalaia_core::payroll::UnitSummary) -> SummaryRow {
    SummaryRow {
        unit: x.unit.clone(),
        name: x.name.clone(),
        level: level_pt(x.level),
        eligible: x.eligible,
        excluded_absence: x.excluded_absence,
        excluded_by_head: x.excluded_by_head,
        excluded_other: x.excluded_other,
        amount: reais(x.amount_cents),
        total: reais(x.total_cents),
    }
}

impl RunPages for Recap {
    const NAME: &'static str = "RECAP";
    const PERIOD_PARAM: &'static str = "trimestre";
    const WORKBOOK: &'static str = "resultado.xlsx";

    fn pay_side(replay: &atalaia_store::runs::Replay<Self>) -> Vec<PayLine> {
        replay
            .payroll()
            .0
            .into_iter()
            .map(|l| (l.registration, l.name, l.amount_cents))
            .collect()
    }

    /// Areas, then units (Art. 7: the areas averaged and those left out, and why).
    fn memoria(report: &atalaia_core::recap::Report) -> Vec<(String, Vec<String>)> {
        report
            .areas
            .iter()
            .map(|a| (format!("{} — {}", a.code, a.name), a.memoria.clone()))
            .chain(report.units.iter().map(|u| {
                (
                    format!("Unidade {} — {}", u.code, u.name),
                    u.memoria.clone(),
                )
            }))
            .collect()
    }

    async fn inputs_today(
        st: &AppState,
        inputs: &atalaia_core::recap::RunInputs,
    ) -> Result<Option<String>, AppError> {
        let today = st.config.clock.today();
        // Today's data may no longer compute the quarter (a refusal: the run then differs from
        // them); a failure of the database is the page's failure, not a difference.
        match st
            .db
            .compute_quarter(inputs.quarter, Some(inputs.baseline()), today)
            .await
        {
            Ok(c) => Ok(serde_json::to_string(&c.inputs).ok()),
            Err(atalaia_store::StoreError::Refused(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn body(
        _: &AppState,
        run: &atalaia_store::runs::SavedRun,
        replayed: &atalaia_store::runs::Replay<Self>,
    ) -> Result<String, AppError> {
        let (report, inputs) = (&replayed.report, &replayed.inputs);
        let (pay_lines, summaries) = replayed.payroll();
        let computed = Computed {
            version: None,
            document: run.config.clone(),
            config: replayed.config.clone(),
            inputs: inputs.clone(),
            report: report.clone(),
            // A saved run was closed when it was saved.
            not_closed: None,
        };
        let body = RunBody {
            id: run.id,
            baseline: inputs.baseline_quarter.label_pt(),
            has_roster: replayed.frozen.is_some(),
            grand_total: reais(summaries.iter().map(|x| x.total_cents).sum()),
            summary: summaries.iter().map(summary_row).collect(),
            payroll: pay_lines.iter().map(pay_row).collect(),
            crimes: report.parameters.crimes.clone(),
            areas: area_rows(&computed, &BTreeMap::new()),
            units: unit_rows(&report.units, &report.parameters),
            inputs: inputs
                .areas
                .iter()
                .chain(inputs.unit_areas.iter())
                .map(input_row)
                .collect(),
            trace_areas: inputs
                .areas
                .iter()
                .map(|a| (a.code.clone(), a.name.clone()))
                .collect(),
            trace_crimes: report
                .parameters
                .crimes
                .iter()
                .map(|c| (c.clone(), atalaia_core::crime::name_pt(c)))
                .collect(),
        };
        Ok(body.render()?)
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
        crate::pages::program::documents::official_run::<Recap>(st, run_id).await?;
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

impl RunDocuments for Recap {
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
