//! A program's saved runs as pages, the same for every program: the list auditors read, and one run's
//! page — what it froze, whether the replay gives its bytes back, whether today's data differ, whom it
//! would pay differently from the run paid for its period, its configuration and memória. A program
//! adds only the body of its result ([`RunPages::body`]) and says how its payroll and memória read.

use crate::guard::Ctx;
use crate::pages::program::PaidChangeRow;
use crate::pages::program::documents::{RunDocuments, actor_name};
use crate::pages::{Chrome, local_time, render};
use crate::{AppError, AppState};
use askama::Template;
use atalaia_core::cycle::CyclePeriod;
use atalaia_core::pipeline::Program;
use atalaia_store::runs::{Replay, SavedRun};
use axum::extract::Path;
use axum::response::Response;

/// One person's line of a run's payroll as a change against the paid run compares it: registration,
/// name, centavos.
pub(crate) type PayLine = (String, String, i64);

/// What a program adds to the shared run pages.
pub(crate) trait RunPages: RunDocuments + Sized {
    /// The program's name in titles: "RECAP".
    const NAME: &'static str;
    /// The query parameter of the program's period page (`trimestre`, `mes`).
    const PERIOD_PARAM: &'static str;
    /// The payroll workbook's file under the run's path.
    const WORKBOOK: &'static str;

    /// Everyone on the run's payroll, paid or not.
    fn pay_side(replay: &Replay<Self>) -> Vec<PayLine>;

    /// The memória de cálculo, section by section.
    fn memoria(report: &Self::Report) -> Vec<(String, Vec<String>)>;

    /// The inputs today's data give for the run's period, as JSON (`None` when they cannot be read).
    fn inputs_today(
        st: &AppState,
        inputs: &Self::Inputs,
    ) -> impl std::future::Future<Output = Result<Option<String>, AppError>> + Send;

    /// The program's own part of the run's page, as HTML: its result and payroll.
    fn body(
        st: &AppState,
        run: &SavedRun,
        replay: &Replay<Self>,
    ) -> impl std::future::Future<Output = Result<String, AppError>> + Send;
}

/// A saved run of program `P`, or a 404 that names it.
pub(crate) async fn saved_run<P: Program>(
    st: &AppState,
    run_id: i64,
) -> Result<SavedRun, AppError> {
    st.db
        .saved_run(P::KIND, run_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("a execução {run_id}")))
}

/// The result a period's cycle published: the final run if published, else the partial one, with
/// its stage's word ("final", "parcial") and its number.
pub(crate) async fn published<P: Program>(
    st: &AppState,
    cycle: Option<&atalaia_store::cycles::CycleRecord>,
) -> Result<Option<(P::Report, &'static str, i64)>, AppError> {
    use atalaia_core::cycle::StepKey;
    let Some(c) = cycle else { return Ok(None) };
    let Some((run_id, stage)) = c
        .run_of(StepKey::FinalResult)
        .map(|r| (r, "final"))
        .or_else(|| c.run_of(StepKey::PartialResult).map(|r| (r, "parcial")))
    else {
        return Ok(None);
    };
    let Some(run) = st.db.saved_run(P::KIND, run_id).await? else {
        return Ok(None);
    };
    Ok(Some((run.replay::<P>()?.report, stage, run_id)))
}

/// The program's path: `/recap`.
fn base<P: Program>() -> String {
    format!("/{}", P::KIND.as_str())
}

struct RunListRow {
    id: i64,
    period: String,
    created_by: String,
    created_at: String,
    result_sha: String,
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    chrome: Chrome,
    base: String,
    runs: Vec<RunListRow>,
}

/// `GET /<program>/execucoes`: every saved run of the program, newest first as the store lists them.
pub(crate) async fn list<P: RunPages>(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    if !id.reads_whole_runs() {
        return Err(AppError::NotFound("as execuções salvas".into()));
    }
    let actors = crate::pages::Actors::load(&st).await?;
    let runs = st
        .db
        .run_listing(P::KIND, None, u32::MAX)
        .await?
        .into_iter()
        .map(|r| RunListRow {
            id: r.id,
            period: CyclePeriod::parse(P::KIND, &r.period)
                .map_or_else(|| r.period.clone(), CyclePeriod::label_pt),
            created_by: actors.name(&r.created_by),
            created_at: local_time(r.created_at),
            result_sha: r.result_sha256,
        })
        .collect();
    let base = base::<P>();
    let title = format!("Execuções salvas do {}", P::NAME);
    render(&RunsPage {
        chrome: Chrome::new(&st, &id, &title, &format!("{base}/execucoes")).await,
        base,
        runs,
    })
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    chrome: Chrome,
    base: String,
    workbook: &'static str,
    id: i64,
    period: String,
    period_href: String,
    created_by: String,
    created_at: String,
    inputs_sha: String,
    result_sha: String,
    reproduces: bool,
    differs_today: bool,
    /// The run paid for the period, when it is another, and who would be paid differently here.
    paid_changes: Option<(i64, Vec<PaidChangeRow>)>,
    body: String,
    /// The configuration used, key by key in words.
    config: Vec<String>,
    memoria: Vec<(String, Vec<String>)>,
}

/// `GET /<program>/execucoes/{id}`: a saved run, whether it reproduces and whether today's data differ
/// from what it froze, with the program's result, the configuration used and the memória.
pub(crate) async fn page<P: RunPages>(
    Ctx { st, id }: Ctx,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    crate::pages::require_whole_run(&id, run_id)?;
    let run = saved_run::<P>(&st, run_id).await?;
    let replayed = run.replay::<P>()?;
    let period = P::period(&replayed.inputs);
    let differs_today = P::inputs_today(&st, &replayed.inputs)
        .await?
        .is_none_or(|today| today != run.inputs);
    // The route asks for the payroll permission: whoever reads this page may see names and amounts.
    let paid_changes =
        changes_against_paid::<P>(&st, period, Some(run_id), &P::pay_side(&replayed)).await?;
    let base = base::<P>();
    let title = format!("Execução nº {run_id} do {}", P::NAME);
    render(&RunPage {
        chrome: Chrome::new(&st, &id, &title, &format!("{base}/execucoes")).await,
        period_href: format!("{base}?{}={}", P::PERIOD_PARAM, period.code()),
        base,
        workbook: P::WORKBOOK,
        id: run.id,
        period: period.label_pt(),
        created_by: actor_name(&st, &run.created_by).await?,
        created_at: local_time(run.created_at),
        inputs_sha: run.inputs_sha256.clone(),
        result_sha: run.result_sha256.clone(),
        reproduces: replayed.reproduces,
        differs_today,
        paid_changes,
        body: P::body(&st, &run, &replayed).await?,
        config: serde_json::from_str(&run.config)
            .map(|v| atalaia_core::audit::details_pt(&v))
            .unwrap_or_else(|_| vec![run.config.clone()]),
        memoria: P::memoria(&replayed.report),
    })
}

/// Against the run paid for `period`, unless that is `this_run`: who `lines` would pay differently
/// (Anexo Único: a period pays once).
pub(crate) async fn changes_against_paid<P: RunPages>(
    st: &AppState,
    period: CyclePeriod,
    this_run: Option<i64>,
    lines: &[PayLine],
) -> Result<Option<(i64, Vec<PaidChangeRow>)>, AppError> {
    let Some(paid) = st
        .db
        .cycle(period)
        .await?
        .and_then(|c| c.payment())
        .filter(|p| Some(p.run_id) != this_run)
    else {
        return Ok(None);
    };
    let Some(paid_run) = st.db.saved_run(P::KIND, paid.run_id).await? else {
        return Ok(None);
    };
    let before = P::pay_side(&paid_run.replay::<P>()?);
    let rows = atalaia_core::payroll::changes_since_paid(&before, lines)
        .into_iter()
        .map(PaidChangeRow::from)
        .collect();
    Ok(Some((paid.run_id, rows)))
}
