//! The official documents of a saved run (goias-cidadao-seguro.md §7), for both programs: the run's
//! header, the committee's signatories and the names of who acted.

use crate::guard::Ctx;
use crate::pages::local_time;
use crate::{AppError, AppState};
use atalaia_core::cycle::{CyclePeriod, StepKey};
use atalaia_core::dates::BrDate;
use axum::extract::Path;
use axum::response::Response;

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
    period: CyclePeriod,
    last_day: chrono::NaiveDate,
    run: SavedRun<'_>,
) -> Result<(atalaia_reports::Stage, atalaia_reports::RunMeta), AppError> {
    let stage = match st.db.cycle(period).await? {
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

/// A saved run of program `P` as an official document: its stored record, replayed (refused when the
/// replay no longer gives its bytes), with its stage (final once its cycle published it as the final
/// result) and the header every page of the document carries.
pub(crate) async fn official_run<P: atalaia_core::pipeline::Program>(
    st: &AppState,
    run_id: i64,
) -> Result<
    (
        atalaia_store::runs::SavedRun,
        atalaia_store::runs::Replay<P>,
        atalaia_reports::Stage,
        atalaia_reports::RunMeta,
    ),
    AppError,
> {
    use atalaia_core::closing::Period;
    let run = crate::pages::program::runs::saved_run::<P>(st, run_id).await?;
    let replayed = run.replay::<P>()?;
    if !replayed.reproduces {
        return Err(AppError::Internal(format!(
            "a execução {run_id} ({}) não se reproduz a partir das entradas congeladas",
            P::KIND.as_str()
        )));
    }
    let period = P::period(&replayed.inputs);
    let (stage, meta) = official_meta(
        st,
        period,
        period.last(),
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
    Ok((run, replayed, stage, meta))
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
    atalaia_core::text::sort_pt(&mut signatories, |s| &s.name);
    Ok(signatories)
}

/// An audit actor as people read it (`atalaia_core::audit::actor_pt`): `user:comite` → "Carla do
/// Comitê Gestor (comite)", `cli:joao` → "linha de comando (joao)".
pub(crate) async fn actor_name(st: &AppState, actor: &str) -> Result<String, AppError> {
    let name = match actor.strip_prefix("user:") {
        Some(login) => st.db.user_by_login(login).await?.map(|u| u.name),
        None => None,
    };
    Ok(atalaia_core::audit::actor_pt(actor, |_| name.clone()))
}

/// A program's official documents of a saved run: the result the committee signs and the named
/// payroll. [`run_pdf`] and [`run_xlsx`] serve them for every program; each program says only how its
/// documents are made.
pub(crate) trait RunDocuments: atalaia_core::pipeline::Program {
    /// The signed result: its bytes and file name.
    fn pdf(
        st: &AppState,
        run_id: i64,
    ) -> impl std::future::Future<Output = Result<(Vec<u8>, String), AppError>> + Send;

    /// The payroll workbook: its bytes, file name and the details of its audit entry.
    fn xlsx(
        st: &AppState,
        run_id: i64,
    ) -> impl std::future::Future<Output = Result<(Vec<u8>, String, serde_json::Value), AppError>> + Send;
}

/// `GET /<program>/execucoes/{id}/resultado.pdf`: the run's result as the committee signs it (no names
/// of operators: they are in the workbook).
pub(crate) async fn run_pdf<P: RunDocuments>(
    Ctx { st, id }: Ctx,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    crate::pages::require_whole_run(&id, run_id)?;
    let (bytes, name) = P::pdf(&st, run_id).await?;
    Ok(crate::pages::download(bytes, "application/pdf", name))
}

/// `GET /<program>/execucoes/{id}/…xlsx`: the run's named payroll, audited `<program>.payroll_exported`
/// (personal data tied to pay: who took it, when, from where) with the program's details.
pub(crate) async fn run_xlsx<P: RunDocuments>(
    Ctx { st, id }: Ctx,
    Path(run_id): Path<i64>,
) -> Result<Response, AppError> {
    crate::pages::require_whole_run(&id, run_id)?;
    let (bytes, name, details) = P::xlsx(&st, run_id).await?;
    let kind = P::KIND.as_str();
    st.primary
        .audit(
            &atalaia_store::audit::AuditEvent::new(id.actor(), format!("{kind}.payroll_exported"))
                .object(format!("{kind}_run:{run_id}"))
                .details(details)
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(crate::pages::download(bytes, crate::pages::XLSX, name))
}
