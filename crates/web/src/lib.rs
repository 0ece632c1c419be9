//! The web application (axum): pt-BR pages rendered on the server, a JSON API under `/api/v1`, sessions,
//! the one permission check, the audit trail of every act.
//!
//! Layout: [`routes`] is the table of every route and what it requires; [`guard`] is the check that runs
//! before each of them; [`pages`] and [`api`] hold the handlers; [`security`] the secrets and headers;
//! [`assets`] the embedded front-end files (nothing is fetched from the internet at build or run time).
//! [`AppError`] is the one mapping from errors to HTTP statuses.

pub mod api;
pub mod assets;
pub mod cache;
pub mod demo_users;
pub mod done;
pub mod fuzzing;
pub mod guard;
pub mod jobs;
#[cfg(feature = "oidc")]
pub mod ogc;
pub mod oidc;
pub mod ops;
pub mod pages;
pub mod proxy;
pub mod request_id;
pub mod routes;
pub mod scope;
pub mod security;
pub mod twelve_months;

use atalaia_store::Db;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;

pub use guard::{Access, Identity};
pub use security::PasswordCost;

/// How the application is deployed.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The server listens only on a loopback address (demo logins are accepted only then).
    pub loopback: bool,
    /// Cookies always carry `Secure` (`--secure-cookies`, or any non-loopback address); otherwise
    /// they do whenever the request came over HTTPS (`proxy`).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (`proxy`).
    pub trusted_proxies: Vec<proxy::Cidr>,
    /// Session lifetimes.
    pub session_times: guard::SessionTimes,
    /// Argon2id cost for new password hashes.
    pub password_cost: PasswordCost,
    /// Optional map tile URL template (`https://…/{z}/{x}/{y}.png`); maps work without it.
    pub tile_url: Option<String>,
    /// Sign-in failures allowed per login *from one address* in the window before refusing that pair
    /// (a stranger cannot lock the owner out; many addresses on one login are slowed down instead).
    pub max_failures_per_login: i64,
    /// Sign-in failures allowed per address in the window before refusing.
    pub max_failures_per_ip: i64,
    /// The rate-limit window.
    pub failure_window: chrono::Duration,
    /// Largest upload accepted (`routes::UPLOADS`), in bytes; every other body is limited to
    /// `routes::FORM_LIMIT`.
    pub max_body_bytes: usize,
    /// Where uploads (while being imported) and rejects files are kept.
    pub data_dir: std::path::PathBuf,
    /// Demo mode: the sign-in page lists the demo logins (on loopback only).
    pub demo: bool,
    /// Where BO copies are kept, by SHA-256 (default `data_dir/evidencias`).
    pub evidence_dir: Option<std::path::PathBuf>,
    /// Largest BO copy accepted, in bytes.
    pub max_evidence_bytes: usize,
    /// The program's clock: what day the deadlines of the cycles are judged on.
    pub clock: Clock,
    /// The public transparency page hides counts from 1 to this minus one (and what would give them
    /// back); platform.md §2's small-count threshold.
    pub public_min_count: u64,
    /// How long a request waits for one of the [`ANALYSES_AT_ONCE`] analysis slots before it is
    /// answered 503 with `Retry-After`.
    pub analysis_wait: std::time::Duration,
    /// The worker computes the analyses the first pages after an import ask for (`cache::warm`);
    /// off in tests that count analysis slots or time pages.
    pub warm_analyses: bool,
}

/// What time it is for the program's acts (cycle deadlines, seizure dates): the system's, or a fixed
/// instant moved by hand — how tests walk a month's cycle day by day. Sessions and sign-in limits always
/// use the system clock.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<std::sync::Arc<std::sync::Mutex<NaiveDateTime>>>);

impl Clock {
    /// A clock stopped at `at` (UTC).
    pub fn fixed(at: NaiveDateTime) -> Clock {
        Clock(Some(std::sync::Arc::new(std::sync::Mutex::new(at))))
    }

    /// Moves a fixed clock to `at` (UTC); the system clock ignores it.
    pub fn set(&self, at: NaiveDateTime) {
        if let Some(m) = &self.0 {
            *m.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }

    /// Now, UTC.
    pub fn now_utc(&self) -> NaiveDateTime {
        match &self.0 {
            Some(m) => *m.lock().unwrap_or_else(|p| p.into_inner()),
            None => now_utc(),
        }
    }

    /// Today in Goiás (UTC−3, no daylight saving since 2019).
    pub fn today(&self) -> chrono::NaiveDate {
        atalaia_core::dates::sao_paulo_local(self.now_utc()).date()
    }
}

impl WebConfig {
    /// The folder of BO copies.
    pub fn evidence_dir(&self) -> std::path::PathBuf {
        self.evidence_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("evidencias"))
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            loopback: true,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            session_times: guard::SessionTimes::default(),
            password_cost: PasswordCost::default(),
            tile_url: None,
            max_failures_per_login: 5,
            max_failures_per_ip: 20,
            failure_window: chrono::Duration::minutes(15),
            max_body_bytes: 512 * 1024 * 1024,
            data_dir: std::path::PathBuf::from("atalaia-arquivos"),
            demo: false,
            evidence_dir: None,
            max_evidence_bytes: atalaia_core::evidence::DEFAULT_MAX_BYTES,
            clock: Clock::default(),
            public_min_count: 5,
            analysis_wait: std::time::Duration::from_secs(20),
            warm_analyses: true,
        }
    }
}

/// Application state shared by handlers.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database this request reads: the primary, or for a page (`GET`) through [`guard::Ctx`] the
    /// [`replica`](Self::replica) once it has what the requester wrote. A `GET` that writes (an export's
    /// audit entry) writes to [`primary`](Self::primary).
    pub db: Db,
    /// The primary database: every write, and anything that must read its own writes.
    pub primary: Db,
    /// A read replica of the primary (`--read-database`), if any.
    pub replica: Option<Db>,
    /// Deployment settings.
    pub config: std::sync::Arc<WebConfig>,
    /// The home page's model, by data version.
    pub home_cache: std::sync::Arc<pages::home::HomeCache>,
    /// Territory versions (without geometry), by data version.
    pub territories_cache:
        std::sync::Arc<cache::Versioned<(), Vec<atalaia_store::territories::TerritoryVersion>>>,
    /// The public transparency page's model, by data version and month.
    pub public_cache: std::sync::Arc<pages::transparency::PublicCache>,
    /// Each territory's last twelve months, by data version and month (`twelve_months`).
    pub twelve_months_cache: std::sync::Arc<twelve_months::Cache>,
    /// Analyses (hot spots, evaluations, the municipality selection) running at once: a few, so that
    /// heavy requests queue instead of taking every core and leave the other pages answering.
    pub analyses: std::sync::Arc<tokio::sync::Semaphore>,
    /// The last audit entry this server verified (the audit page verifies from there).
    pub audit_checkpoint:
        std::sync::Arc<std::sync::Mutex<Option<atalaia_store::audit::Checkpoint>>>,
    /// Password checks running at once (Argon2 on the blocking pool).
    pub password_checks: std::sync::Arc<tokio::sync::Semaphore>,
    /// The municipality selection's facts, by data version and last month.
    pub selection_cache:
        std::sync::Arc<cache::Versioned<atalaia_core::Month, Vec<atalaia_core::selection::Facts>>>,
    /// The RECAP page's chart, by data version, quarter and configuration.
    pub recap_series_cache: std::sync::Arc<pages::recap::SeriesCache>,
    /// CompStat briefs, by data version, area and day.
    pub brief_cache: std::sync::Arc<pages::igesp::compstat::BriefCache>,
    /// Occurrences of the last twelve months per area, by data version and day (the busiest
    /// municipality a page opens on).
    pub year_totals_cache:
        std::sync::Arc<cache::Versioned<chrono::NaiveDate, std::collections::HashMap<String, i64>>>,
    /// Hot-spot analyses, by data version and query.
    pub hotspot_cache:
        std::sync::Arc<cache::Versioned<String, atalaia_store::hotspots::HotspotRun>>,
    /// The import jobs running on this server, and its worker's bell.
    pub jobs: std::sync::Arc<jobs::Live>,
    /// What `/metrics` counts of the requests answered.
    pub metrics: std::sync::Arc<ops::Metrics>,
    /// The OpenID Connect provider, when configured.
    #[cfg(feature = "oidc")]
    pub oidc: Option<std::sync::Arc<oidc::Oidc>>,
}

/// Analyses allowed to run at once (the 2-core machine of the deployment keeps a core for the rest).
pub const ANALYSES_AT_ONCE: usize = 2;

impl AppState {
    /// State over `db` with `config`.
    pub fn new(db: Db, config: WebConfig) -> AppState {
        AppState {
            primary: db.clone(),
            db,
            replica: None,
            config: std::sync::Arc::new(config),
            home_cache: std::sync::Arc::new(cache::Versioned::new(1)),
            territories_cache: std::sync::Arc::new(cache::Versioned::new(1)),
            public_cache: std::sync::Arc::new(cache::Versioned::new(1)),
            twelve_months_cache: std::sync::Arc::new(cache::Versioned::new(1)),
            analyses: std::sync::Arc::new(tokio::sync::Semaphore::new(ANALYSES_AT_ONCE)),
            password_checks: std::sync::Arc::new(tokio::sync::Semaphore::new(2)),
            audit_checkpoint: Default::default(),
            metrics: Default::default(),
            jobs: Default::default(),
            selection_cache: std::sync::Arc::new(cache::Versioned::new(4)),
            hotspot_cache: std::sync::Arc::new(cache::Versioned::new(16)),
            brief_cache: std::sync::Arc::new(cache::Versioned::new(32)),
            year_totals_cache: std::sync::Arc::new(cache::Versioned::new(1)),
            recap_series_cache: std::sync::Arc::new(cache::Versioned::new(8)),
            #[cfg(feature = "oidc")]
            oidc: None,
        }
    }

    /// The same state with an OpenID Connect provider.
    #[cfg(feature = "oidc")]
    pub fn with_oidc(mut self, oidc: oidc::Oidc) -> AppState {
        self.oidc = Some(std::sync::Arc::new(oidc));
        self
    }

    /// The same state with a read replica.
    pub fn with_replica(mut self, replica: Db) -> AppState {
        self.replica = Some(replica);
        self
    }

    /// The replica, when there is one and it has replayed past `wrote_lsn` (the requester's last write);
    /// `None` sends the request to the primary (also when the replica cannot answer).
    pub async fn replica_for(&self, wrote_lsn: Option<&str>) -> Option<Db> {
        let replica = self.replica.as_ref()?;
        let Some(lsn) = wrote_lsn else {
            return Some(replica.clone());
        };
        match replica.replayed_past(lsn).await {
            Ok(true) => Some(replica.clone()),
            Ok(false) => None,
            Err(e) => {
                tracing::error!(error = %e, "asking the replica how far it replayed");
                None
            }
        }
    }

    /// A slot to run one analysis in, waited for at most `analysis_wait`; held until dropped.
    pub async fn analysis_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let wait = self.config.analysis_wait;
        match tokio::time::timeout(wait, self.analyses.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Busy),
        }
    }

    /// Every territory version (no geometry), read once per data version: territories change only
    /// through imports, and the rows sit beside large geometries the database would read through.
    pub async fn territories(
        &self,
    ) -> Result<std::sync::Arc<Vec<atalaia_store::territories::TerritoryVersion>>, AppError> {
        let version = self.db.data_version().await?;
        Ok(self
            .territories_cache
            .get_or(version, (), self.db.territories())
            .await?)
    }
}

/// The machine's real time, UTC — only for what measures real elapsed time for security: sessions,
/// sign-in limits, sign-in with gov.br, API keys and accounts (an application clock moved by a test or an
/// operator must not stretch a session nor lift a lockout). Every date and act of the program's rules —
/// cycles, deadlines, runs, "today" on a page — reads [`Clock`] instead.
pub fn now_utc() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
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
    /// Something asked for does not exist.
    #[error("não encontrado: {0}")]
    NotFound(String),
    /// The requester may use the route but not on this object (e.g. a unit outside their scope).
    #[error("{0}")]
    Forbidden(String),
    /// The request is malformed; the message says what was expected (pt-BR).
    #[error("{0}")]
    BadRequest(String),
    /// Something failed on the server (disk, a worker task): logged, users see a generic message.
    #[error("{0}")]
    Internal(String),
    /// Every analysis slot stayed taken for `WebConfig::analysis_wait`.
    #[error("servidor ocupado com outras análises")]
    Busy,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound(what) => pages::error_page(
                StatusCode::NOT_FOUND,
                "Não encontrado",
                &format!("Não encontramos {what}."),
            ),
            AppError::Forbidden(msg) => {
                pages::error_page(StatusCode::FORBIDDEN, "Acesso negado", &msg)
            }
            AppError::BadRequest(msg) => {
                pages::error_page(StatusCode::BAD_REQUEST, "Pedido inválido", &msg)
            }
            // The program's rules refuse it (a period not yet over, a late act…): the reason, nothing changed.
            AppError::Store(atalaia_store::StoreError::Refused(why)) => {
                pages::error_page(StatusCode::BAD_REQUEST, "Pedido inválido", &why.to_string())
            }
            AppError::Busy => {
                let mut r = pages::error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Servidor ocupado",
                    "Outras análises estão em andamento. Tente de novo em alguns segundos.",
                );
                r.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("10"),
                );
                r
            }
            // A failure (database, disk, a worker): logged in full under the request's code; the
            // user sees only the code to quote.
            e => {
                let code = request_id::current().unwrap_or_else(|| "-".into());
                tracing::error!(error = %e, request_id = %code, "request failed");
                pages::error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erro interno",
                    &format!(
                        "Algo falhou do nosso lado. Tente novamente em instantes; se persistir, avise a administração do sistema informando o código {code}."
                    ),
                )
            }
        }
    }
}

/// Builds the router from [`routes::routes`]: each route wrapped in the [`guard`] with its access,
/// then the security headers, the body limit and request tracing for all.
pub fn router(state: AppState) -> Router {
    let mut r: Router<AppState> = Router::new();
    let upload_limit = state.config.max_body_bytes;
    for route in routes::routes() {
        let access = route.access;
        let st = state.clone();
        let template = route.path;
        let metrics = state.metrics.clone();
        let mut handler = route.handler;
        if route.method == axum::http::Method::POST && routes::UPLOADS.contains(&route.path) {
            handler = handler.layer(axum::extract::DefaultBodyLimit::max(upload_limit));
        }
        // Machine reads answer with an ETag, and 304 to a client that has that version.
        let machine = ["/api/v1/", "/ogc"]
            .iter()
            .any(|p| route.path.starts_with(p));
        if route.method == axum::http::Method::GET && machine {
            handler = handler.layer(middleware::from_fn(api::jobs::etag));
        }
        let guarded = handler.route_layer(middleware::from_fn(move |req: Request, next: Next| {
            let st = st.clone();
            async move { guard::guard(access, st, req, next).await }
        }));
        // Outermost of the route's layers: the time counted includes the guard's look-ups.
        let counted = guarded.route_layer(middleware::from_fn(move |req: Request, next: Next| {
            let metrics = metrics.clone();
            async move { counted(&metrics, template, req, next).await }
        }));
        r = r.route(route.path, counted);
    }
    let metrics = state.metrics.clone();
    let tile_origin = state.config.tile_url.as_deref().and_then(origin_of);
    let headers = security::security_headers(tile_origin.as_deref());
    let trusted = std::sync::Arc::new(state.config.trusted_proxies.clone());
    r.fallback(move |req: Request| {
        let metrics = metrics.clone();
        async move {
            let started = std::time::Instant::now();
            let method = req.method().clone();
            let resp = not_found().await;
            metrics.observe(&method, ops::UNMATCHED, resp.status(), started.elapsed());
            resp
        }
    })
    .layer(axum::extract::DefaultBodyLimit::max(routes::FORM_LIMIT))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let headers = headers.clone();
            async move {
                let mut resp = next.run(req).await;
                for (k, v) in headers {
                    resp.headers_mut().entry(k).or_insert(v);
                }
                resp
            }
        }))
        // Outside the guard: it needs the client's address and scheme.
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            proxy::layer(trusted.clone(), req, next)
        }))
        // Maps send megabytes of GeoJSON: compress when the browser accepts it.
        .layer(tower_http::compression::CompressionLayer::new())
        // Spans name the path only: query strings carry CSRF tokens of uploads and calendar keys.
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    let id = request_id::current().unwrap_or_default();
                    tracing::debug_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                },
            ),
        )
        .layer(middleware::from_fn(request_id::layer))
        .layer(middleware::from_fn(done::layer))
        .with_state(state)
}

/// Runs the route's handler and counts it under its template.
async fn counted(
    metrics: &ops::Metrics,
    template: &'static str,
    req: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let resp = next.run(req).await;
    metrics.observe(&method, template, resp.status(), started.elapsed());
    resp
}

/// `https://tiles.example.org/{z}/…` → `https://tiles.example.org`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

async fn not_found() -> Response {
    pages::error_page(
        StatusCode::NOT_FOUND,
        "Página não encontrada",
        "O endereço não existe. Use o menu para encontrar o que procura.",
    )
}

#[cfg(test)]
mod error_tests {
    use super::*;
    use atalaia_core::closing::NotClosed;
    use atalaia_store::StoreError;

    /// A failure's page names the request's code, the same the response header carries and the log
    /// line records, and nothing of the failure itself.
    #[tokio::test]
    async fn a_failure_shows_the_requests_code_and_no_internals() {
        let app: Router = Router::new()
            .route(
                "/x",
                axum::routing::get(|| async {
                    Err::<(), _>(AppError::Store(atalaia_store::StoreError::Corrupt(
                        "tabela secreta".into(),
                    )))
                }),
            )
            .layer(middleware::from_fn(request_id::layer));
        let resp = tower::ServiceExt::oneshot(
            app,
            axum::http::Request::get("/x")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let code = resp.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(code.len(), 8);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            body.contains(&format!("informando o código {code}.")),
            "{body}"
        );
        assert!(!body.contains("secreta"), "{body}");
    }

    /// A database failure while computing a quarter is a logged 500, never a 400 that shows internals;
    /// a quarter that cannot be computed is the request's fault.
    #[test]
    fn a_database_failure_is_not_a_bad_request() {
        let db = StoreError::Corrupt("x".into());
        assert_eq!(
            AppError::from(db).into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let future = StoreError::from(NotClosed::Future(
            "O 1º trimestre de 2027 ainda não começou".into(),
        ));
        assert_eq!(
            AppError::from(future).into_response().status(),
            StatusCode::BAD_REQUEST
        );
    }
}
