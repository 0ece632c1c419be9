//! IPEI's official documents: a saved run's result (PDF) and named payroll (XLSX), and a unit's
//! statement of the published result.

use crate::pages::ipei::month_of;
use crate::pages::ipei::unit::scoped_unit;
use crate::pages::program::documents::RunDocuments;
use atalaia_core::cycle::StepKey;
use atalaia_core::ipei::IpeiReport;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use crate::guard::Ctx;
use crate::{AppError, AppState};

// ---------------------------------------------------------------------------------------------------
// Official documents of a saved run.

/// A saved run as an official document: replayed (refused if it no longer reproduces its bytes), its
/// stage (final once the month's cycle published it as the final result), who ran it and who signs.
async fn official(
    st: &AppState,
    run_id: i64,
) -> Result<(IpeiReport, atalaia_reports::Stage, atalaia_reports::RunMeta), AppError> {
    let (_, replayed, stage, meta) =
        crate::pages::program::documents::official_run::<atalaia_core::pipeline::Ipei>(st, run_id)
            .await?;
    Ok((replayed.report, stage, meta))
}

async fn pdf_of(
    st: &AppState,
    run_id: i64,
    unit: Option<String>,
) -> Result<(Vec<u8>, String), AppError> {
    let (report, stage, run) = official(st, run_id).await?;
    let signatories = crate::pages::program::documents::committee_signatories(st).await?;
    let name = match &unit {
        Some(u) => format!("ipei-{}-extrato-{u}-execucao-{run_id}.pdf", report.month),
        None => format!("ipei-{}-execucao-{run_id}.pdf", report.month),
    };
    let bytes = crate::pages::on_blocking_pool("PDF do IPEI", move || {
        atalaia_reports::ipei_pdf(&atalaia_reports::IpeiDocument {
            stage,
            report: &report,
            run,
            unit,
            signatories,
        })
    })
    .await?;
    Ok((bytes, name))
}

impl RunDocuments for atalaia_core::pipeline::Ipei {
    async fn pdf(st: &AppState, run_id: i64) -> Result<(Vec<u8>, String), AppError> {
        pdf_of(st, run_id, None).await
    }

    /// For the Secretary's office: the named payroll of the month.
    async fn xlsx(
        st: &AppState,
        run_id: i64,
    ) -> Result<(Vec<u8>, String, serde_json::Value), AppError> {
        let (report, stage, run) = official(st, run_id).await?;
        let bytes = atalaia_reports::ipei_xlsx(&atalaia_reports::IpeiDocument {
            stage,
            report: &report,
            run,
            unit: None,
            signatories: Vec::new(),
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let name = format!("ipei-{}-folha-execucao-{run_id}.xlsx", report.month);
        let details = serde_json::json!({"lines": report.payments.len(),
            "total_cents": report.total_cents});
        Ok((bytes, name, details))
    }
}

/// `?mes=&unidade=`.
#[derive(Debug, Deserialize)]
pub struct StatementQuery {
    mes: Option<String>,
    unidade: String,
}

/// `GET /ipei/unidade/extrato.pdf?mes=&unidade=`: the unit's statement of the published result (final
/// if published, else partial), for its head.
pub async fn statement(
    Ctx { st, id }: Ctx,
    Query(q): Query<StatementQuery>,
) -> Result<Response, AppError> {
    let month = month_of(q.mes.as_deref(), st.config.clock.today())?;
    let unit = scoped_unit(&st, &id, month, q.unidade.trim()).await?;
    let cycle = st.db.cycle(month).await?;
    let run_id = cycle
        .as_ref()
        .and_then(|c| {
            c.run_of(StepKey::FinalResult)
                .or_else(|| c.run_of(StepKey::PartialResult))
        })
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "um resultado publicado de {} (o Comitê ainda não publicou)",
                month.label_pt()
            ))
        })?;
    let (bytes, name) = pdf_of(&st, run_id, Some(unit.code)).await?;
    Ok(crate::pages::download(bytes, "application/pdf", name))
}
