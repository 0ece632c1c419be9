//! What the people who run the server read: `/health` (the database answers), `/ready` (and its schema
//! is this program's) and `/metrics` in Prometheus' text format (version 0.0.4).
//!
//! What requests do is counted as they happen ([`Metrics::observe`], called by the router around each
//! route with the route's *template*, so `/reunioes/{id}` is one series whatever the id). What the
//! database holds — imports and their rows, the cycles' overdue steps — is read at each scrape, so it
//! counts what every server and the command line did. How long connections take to leave the pool comes
//! from sqlx's own acquire events ([`PoolWaitLayer`]). `/metrics` answers loopback clients and API keys
//! whose role grants [`Permission::Metrics`](atalaia_core::access::Permission::Metrics) (the route table).

use std::sync::LazyLock;
use std::time::Duration;

use atalaia_core::cycle::CycleKind;
use atalaia_core::reminders::{Due, open_steps};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::{AppError, AppState};

/// Seconds: from a static file (a millisecond) to a hot-spot analysis of a large area (tens of seconds).
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Seconds a connection took to leave the pool: nothing when one is idle, the time to open one, or a
/// queue behind busy connections.
const WAIT_BUCKETS: [f64; 10] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// The target of sqlx's acquire events (`store` asks for them at debug level).
const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// What the server counts as it answers.
#[derive(Debug, Clone)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        }
    }
}

/// The route label of requests no route matched (one series, whatever was asked).
pub const UNMATCHED: &str = "unmatched";

impl Metrics {
    /// Counts one answered request of `route` (a template of the route table, or [`UNMATCHED`]).
    pub fn observe(
        &self,
        method: &Method,
        route: &'static str,
        status: StatusCode,
        took: Duration,
    ) {
        // Methods are the client's to choose: a fixed few, so that nobody can grow the series.
        let method = match *method {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::POST => "POST",
            _ => "OTHER",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(took.as_secs_f64());
    }
}

/// Every connection wait of the process's pools (the tracing subscriber is the process's too).
static POOL_WAIT: LazyLock<Histogram> = LazyLock::new(|| Histogram::new(WAIT_BUCKETS));

/// A tracing layer that turns sqlx's acquire events into the pool-wait histogram. Give it a filter that
/// lets through [`PoolWaitLayer::wants`] only (`main` does), so that no other event reaches it.
pub struct PoolWaitLayer(Histogram);

impl PoolWaitLayer {
    /// The layer that feeds `/metrics`.
    pub fn global() -> PoolWaitLayer {
        PoolWaitLayer(POOL_WAIT.clone())
    }

    /// Whether an event with `metadata` is one this layer reads.
    pub fn wants(metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == ACQUIRE_TARGET
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PoolWaitLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Seconds(Option<f64>);
        impl tracing::field::Visit for Seconds {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "acquired_after_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        if !Self::wants(event.metadata()) {
            return;
        }
        let mut seconds = Seconds(None);
        event.record(&mut seconds);
        if let Some(s) = seconds.0 {
            self.0.observe(s);
        }
    }
}

/// `/health`: the database answers (contracts.md §1).
pub async fn health(State(st): State<AppState>) -> Response {
    match st.db.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            unavailable(serde_json::json!({"status": "error", "database": "indisponível"}))
        }
    }
}

/// `/ready`: the database answers and its schema is exactly this program's migrations — a load
/// balancer sends no one to a server that a newer one migrated past, nor to one whose migration failed.
pub async fn ready(State(st): State<AppState>) -> Response {
    let schema = match st.db.schema_state().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            return unavailable(serde_json::json!({"status": "error", "database": "indisponível"}));
        }
    };
    if schema.current() {
        return Json(serde_json::json!({"status": "ok", "database": "ok", "migrations": "ok"}))
            .into_response();
    }
    let mut why = Vec::new();
    if !schema.missing.is_empty() {
        why.push(format!("migrações não aplicadas: {:?}", schema.missing));
    }
    if !schema.unknown.is_empty() {
        why.push(format!(
            "migrações de uma versão mais nova do Atalaia: {:?}",
            schema.unknown
        ));
    }
    if !schema.failed.is_empty() {
        why.push(format!("migrações que falharam: {:?}", schema.failed));
    }
    unavailable(serde_json::json!({
        "status": "error", "database": "ok", "migrations": why.join("; ")
    }))
}

fn unavailable(body: serde_json::Value) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ImportLabels {
    kind: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RowLabels {
    kind: String,
    fate: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProgramLabels {
    program: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// `/metrics`: the counters of this server and what the database holds now.
pub async fn metrics(State(st): State<AppState>) -> Result<Response, AppError> {
    let mut reg = Registry::with_prefix("atalaia");
    reg.register(
        "http_requests",
        "Pedidos respondidos, por método, rota e estado HTTP",
        st.metrics.requests.clone(),
    );
    reg.register(
        "http_request_duration_seconds",
        "Tempo de resposta dos pedidos, por método e rota",
        st.metrics.latency.clone(),
    );
    register_pool(&mut reg, &st);
    register_versions(&mut reg, &st).await?;
    register_imports(&mut reg, &st).await?;
    register_overdue(&mut reg, &st).await?;
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &reg)
        .map_err(|e| AppError::Internal(format!("métricas: {e}")))?;
    let mut resp = text.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(resp)
}

fn register_pool(reg: &mut Registry, st: &AppState) {
    let pool = st.db.pool_stats();
    let connections = Family::<StateLabels, Gauge>::default();
    let idle = i64::try_from(pool.idle).unwrap_or(i64::MAX);
    connections
        .get_or_create(&StateLabels { state: "idle" })
        .set(idle);
    connections
        .get_or_create(&StateLabels { state: "in_use" })
        .set(i64::from(pool.open) - idle);
    reg.register(
        "db_pool_connections",
        "Conexões abertas do banco, ociosas e em uso",
        connections,
    );
    let max = Gauge::<i64>::default();
    max.set(i64::from(pool.max));
    reg.register(
        "db_pool_max_connections",
        "Máximo de conexões que o servidor abre",
        max,
    );
    reg.register(
        "db_pool_acquire_seconds",
        "Espera por uma conexão do banco",
        POOL_WAIT.clone(),
    );
    let slots = Gauge::<i64>::default();
    slots.set(i64::try_from(st.analyses.available_permits()).unwrap_or(i64::MAX));
    reg.register(
        "analysis_slots_free",
        "Vagas livres para análises (zonas quentes, avaliação, seleção)",
        slots,
    );
}

/// The data version and the one this server's caches were warmed for: while they differ, the first
/// visit of a heavy page after an import may compute what the worker has not reached yet.
async fn register_versions(reg: &mut Registry, st: &AppState) -> Result<(), AppError> {
    let data = Gauge::<i64>::default();
    data.set(st.db.data_version().await?);
    reg.register(
        "data_version",
        "Versão dos dados: a última importação concluída",
        data,
    );
    let warmed = Gauge::<i64>::default();
    warmed.set(st.jobs.warmed_version().unwrap_or(-1));
    reg.register(
        "cache_warmed_data_version",
        "Versão dos dados cujas análises o servidor já calculou (-1: nenhuma ainda)",
        warmed,
    );
    Ok(())
}

async fn register_imports(reg: &mut Registry, st: &AppState) -> Result<(), AppError> {
    let imports = Family::<ImportLabels, Counter>::default();
    let rows = Family::<RowLabels, Counter>::default();
    for t in st.db.import_totals().await? {
        let state = if t.finished { "finished" } else { "unfinished" };
        imports
            .get_or_create(&ImportLabels {
                kind: t.kind.clone(),
                state,
            })
            .inc_by(t.imports.unsigned_abs());
        for (fate, n) in [
            ("read", t.read),
            ("inserted", t.inserted),
            ("updated", t.updated),
            ("unchanged", t.unchanged),
            ("rejected", t.rejected),
        ] {
            rows.get_or_create(&RowLabels {
                kind: t.kind.clone(),
                fate,
            })
            .inc_by(n.unsigned_abs());
        }
    }
    reg.register(
        "imports",
        "Importações registradas no banco, por tipo e se terminaram",
        imports,
    );
    let jobs = Family::<StateLabels, Gauge>::default();
    for state in ["queued", "running"] {
        jobs.get_or_create(&StateLabels { state }).set(0);
    }
    for job in st.db.open_jobs().await? {
        jobs.get_or_create(&StateLabels {
            state: job.state.as_str(),
        })
        .inc();
    }
    reg.register(
        "import_jobs",
        "Arquivos enviados pelas páginas na fila ou sendo importados",
        jobs,
    );
    reg.register(
        "import_rows",
        "Linhas das importações, por tipo e destino",
        rows,
    );
    Ok(())
}

async fn register_overdue(reg: &mut Registry, st: &AppState) -> Result<(), AppError> {
    let (facts, calendar) = st.db.reminder_facts().await?;
    let overdue = Family::<ProgramLabels, Gauge>::default();
    for kind in [CycleKind::Recap, CycleKind::Ipei] {
        // Every program has its series, at 0 when nothing is overdue (an absent series alerts nobody).
        overdue
            .get_or_create(&ProgramLabels {
                program: kind.as_str(),
            })
            .set(0);
    }
    for step in open_steps(&facts, &calendar, st.config.clock.today()) {
        if step.due == Due::Overdue {
            overdue
                .get_or_create(&ProgramLabels {
                    program: step.kind.as_str(),
                })
                .inc();
        }
    }
    reg.register(
        "cycle_steps_overdue",
        "Etapas de ciclos com prazo vencido e ainda abertas (Anexo Único)",
        overdue,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;

    /// The histogram is fed by what sqlx itself reports of real acquisitions, through the same filter
    /// `main` installs; nothing else reaches it.
    #[test]
    fn pool_waits_are_read_from_sqlx_acquire_events() {
        let waits = Histogram::new(WAIT_BUCKETS);
        let subscriber = tracing_subscriber::registry().with(
            PoolWaitLayer(waits.clone())
                .with_filter(tracing_subscriber::filter::filter_fn(PoolWaitLayer::wants)),
        );
        tracing::subscriber::with_default(subscriber, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let db = atalaia_store::Db::connect("sqlite::memory:").await.unwrap();
                    tracing::info!(acquired_after_secs = 9.0, "not sqlx's");
                    for _ in 0..3 {
                        db.ping().await.unwrap();
                    }
                })
        });
        let mut reg = Registry::default();
        reg.register("waits", "", waits);
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &reg).unwrap();
        let count: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("waits_count "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(count >= 3, "{text}");
        // The event that was not sqlx's (9 s) is not among them.
        let under_five: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix(r#"waits_bucket{le="5"} "#))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(under_five, count, "{text}");
    }
}
