//! `GET /recap/execucoes/{id}/ocorrencias`: what one count of a saved RECAP run rested on (the
//! occurrences, or the monthly count rows), frozen with the run (`atalaia_store::trace`) — for the
//! committee and auditors, who open whole runs; each view is audited as a view of police data.

use askama::Template;
use atalaia_store::audit::AuditEvent;
use atalaia_store::trace::TracePeriod;
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use crate::AppError;
use crate::guard::Ctx;
use crate::pages::{Chrome, render};

/// `?area=&crime=&periodo=atual|base`.
#[derive(Debug, Deserialize)]
pub struct TraceQuery {
    area: String,
    crime: String,
    #[serde(default)]
    periodo: String,
}

struct Line {
    source: String,
    when: String,
    import: String,
    weight: i64,
}

#[derive(Template)]
#[template(path = "recap_trace.html")]
struct TracePage {
    chrome: Chrome,
    run: i64,
    area: String,
    crime: String,
    period: &'static str,
    count: i64,
    sha256: String,
    lines: Vec<Line>,
}

/// The page: the run's count for the cell and each source, with the date and import that set it.
pub async fn page(
    Ctx { st, id }: Ctx,
    Path(run_id): Path<i64>,
    Query(q): Query<TraceQuery>,
) -> Result<Response, AppError> {
    crate::pages::require_whole_run(&id, run_id)?;
    let period = match q.periodo.as_str() {
        "" | "atual" => TracePeriod::Current,
        "base" => TracePeriod::Base,
        other => {
            return Err(AppError::BadRequest(format!(
                "período `{other}` inválido: esperado atual ou base"
            )));
        }
    };
    let (area, crime) = (q.area.trim(), q.crime.trim());
    let trace = st
        .db
        .recap_trace(run_id, area, crime, period)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "a contagem de `{crime}` em `{area}` na execução {run_id} (execuções salvas antes do rastreio não guardam as ocorrências)"
            ))
        })?;
    st.primary
        .audit(
            &AuditEvent::new(id.actor(), "recap.trace_viewed")
                .object(format!("recap_run:{run_id}"))
                .details(serde_json::json!({"area": area, "crime": crime,
                    "period": period.as_str(), "count": trace.count}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    let lines = trace
        .sources
        .iter()
        .map(|s| Line {
            source: s
                .source_id
                .clone()
                .unwrap_or_else(|| "contagem mensal".into()),
            when: match &s.source_id {
                Some(_) => s.occurred_at.format("%d/%m/%Y %H:%M").to_string(),
                None => s.occurred_at.format("%m/%Y").to_string(),
            },
            import: s
                .import_id
                .map(|i| format!("nº {i}"))
                .unwrap_or_else(|| "—".into()),
            weight: s.weight,
        })
        .collect();
    render(&TracePage {
        chrome: Chrome::new(
            &st,
            &id,
            &format!("Execução nº {run_id} — origem de uma contagem"),
            "/recap/execucoes",
        )
        .await,
        run: run_id,
        area: area.to_string(),
        crime: atalaia_core::crime::name_pt(crime),
        period: match period {
            TracePeriod::Current => "trimestre calculado",
            TracePeriod::Base => "base de comparação",
        },
        count: trace.count,
        sha256: trace.sha256.unwrap_or_default(),
        lines,
    })
}
