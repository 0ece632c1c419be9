//! The web application (axum): for now the home page and `/health`; the platform (people, roles,
//! permissions, pages) grows here.

#![deny(missing_docs)]

use askama::Template;
use atalaia_store::Db;
use atalaia_store::imports::ImportRecord;
use atalaia_store::reference::Overview;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// Application state shared by handlers.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
}

/// The one mapping from errors to HTTP responses: details go to the log, users get Portuguese text.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A store failure.
    #[error(transparent)]
    Store(#[from] atalaia_store::StoreError),
    /// A template failure.
    #[error(transparent)]
    Template(#[from] askama::Error),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html("<!doctype html><html lang=\"pt-BR\"><meta charset=\"utf-8\"><title>Erro</title><p>Erro interno. A equipe foi avisada; tente novamente em instantes.</p></html>"),
        )
            .into_response()
    }
}

struct AreaRow {
    code: String,
    name: String,
    kind: String,
    validity: String,
    synthetic: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    overview: Overview,
    areas: Vec<AreaRow>,
    imports: Vec<ImportRecord>,
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/health", get(health))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn home(State(st): State<AppState>) -> Result<Html<String>, AppError> {
    let overview = st.db.overview().await?;
    let areas = st
        .db
        .territories()
        .await?
        .into_iter()
        .filter(|t| matches!(t.kind.as_str(), "ais" | "aisp" | "aise" | "intervention"))
        .map(|t| AreaRow {
            validity: match t.valid_to {
                Some(to) => format!("{} a {}", fmt_from(t.valid_from), to.format("%d/%m/%Y")),
                None => format!("{} em diante", fmt_from(t.valid_from)),
            },
            code: t.code,
            name: t.name,
            kind: t.kind.to_uppercase(),
            synthetic: t.synthetic,
        })
        .collect();
    let imports = st.db.recent_imports(10).await?;
    Ok(Html(
        Home {
            overview,
            areas,
            imports,
        }
        .render()?,
    ))
}

fn fmt_from(d: chrono::NaiveDate) -> String {
    if d == atalaia_store::territories::SINCE_ALWAYS {
        "desde sempre".into()
    } else {
        format!("desde {}", d.format("%d/%m/%Y"))
    }
}

async fn health(State(st): State<AppState>) -> Response {
    match st.db.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "error", "database": "indisponível"})),
            )
                .into_response()
        }
    }
}
