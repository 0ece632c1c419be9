//! Every route of the application, with what it requires. The router is built from this table and only
//! from it, so a route cannot exist without an [`Access`]; a test walks it against a hand-written table of
//! who may do what (`tests/it/access.rs`).

use atalaia_core::access::Permission as P;
use atalaia_core::pipeline::{Ipei, Recap};
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::guard::Access::{self, LocalOr, Perm, Public, SignedIn};
use crate::{AppState, api, assets, ogc, ops, pages};

/// One route: method, path (axum syntax), what it requires, its handler.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path pattern.
    pub path: &'static str,
    /// What the guard requires.
    pub access: Access,
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

fn route<H, T>(method: Method, path: &'static str, access: Access, h: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = if method == Method::POST {
        MethodFilter::POST
    } else {
        MethodFilter::GET
    };
    Route {
        method,
        path,
        access,
        handler: on(filter, h),
    }
}

fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, access: Access, h: H) -> Route {
    route(Method::GET, path, access, h)
}

fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, access: Access, h: H) -> Route {
    route(Method::POST, path, access, h)
}

/// The largest body of a request that is not an upload: forms, sign-in, API calls. The router applies
/// it to every route but the [`UPLOADS`], which take `WebConfig::max_body_bytes`; a body over it is
/// refused before it is read whole (413).
pub const FORM_LIMIT: usize = 64 * 1024;

/// The `POST` routes that receive files (multipart), with the larger upload limit.
pub const UPLOADS: [&str; 6] = [
    "/importacoes",
    "/importacoes/previa",
    "/api/v1/imports/{kind}",
    "/ipei/unidade/planilha",
    "/ipei/unidade/bo",
    "/acoes/{id}/andamento",
];

/// What `method path` requires, from the table (read once: pages ask it for their menu).
pub fn access_of(method: &Method, path: &str) -> Option<Access> {
    static TABLE: std::sync::OnceLock<Vec<(Method, &'static str, Access)>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            routes()
                .into_iter()
                .map(|r| (r.method, r.path, r.access))
                .collect()
        })
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, a)| *a)
}

/// Whether `path` (no query) is one of the table's `GET` routes: `{name}` matches one non-empty segment,
/// `{*rest}` the rest. Where a sign-in may send the browser back to.
pub fn is_get_route(path: &str) -> bool {
    static GETS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let gets = GETS.get_or_init(|| {
        routes()
            .into_iter()
            .filter(|r| r.method == Method::GET)
            .map(|r| r.path)
            .collect()
    });
    gets.iter().any(|pattern| path_matches(pattern, path))
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with("{*") => return !g.is_empty() || w.len() > 2,
            (Some(w), Some(g)) if w.starts_with('{') => {
                if g.is_empty() {
                    return false;
                }
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// The table.
pub fn routes() -> Vec<Route> {
    #[allow(unused_mut)]
    let mut table = vec![
        get("/health", Public, ops::health),
        get("/ready", Public, ops::ready),
        get("/metrics", LocalOr(P::Metrics), ops::metrics),
        get("/static/{*path}", Public, assets::serve),
        get("/favicon.ico", Public, assets::favicon),
        get("/login", Public, pages::login::form),
        get("/transparencia", Public, pages::transparency::page),
        get("/transparencia/dados.csv", Public, pages::transparency::csv),
        post("/login", Public, pages::login::submit),
        post("/logout", SignedIn, pages::login::logout),
        get("/ajuda", SignedIn, pages::help::page),
        get("/", Perm(P::ViewIndicators), pages::home::home),
        get(
            "/territorios",
            Perm(P::ViewIndicators),
            pages::territories::list,
        ),
        get(
            "/territorios/exportar",
            Perm(P::ViewIndicators),
            pages::territories::export,
        ),
        get(
            "/territorios/mapa.geojson",
            Perm(P::ViewIndicators),
            pages::territories::geojson,
        ),
        get(
            "/territorios/{code}",
            Perm(P::ViewIndicators),
            pages::territories::detail,
        ),
        get(
            "/compstat",
            Perm(P::ViewOccurrences),
            pages::igesp::compstat::page,
        ),
        get(
            "/compstat.pdf",
            Perm(P::ViewOccurrences),
            pages::igesp::compstat::pdf,
        ),
        get(
            "/zonas-quentes",
            Perm(P::ViewOccurrences),
            pages::igesp::hotspots::page,
        ),
        get(
            "/zonas-quentes/celulas.geojson",
            Perm(P::ViewOccurrences),
            pages::igesp::hotspots::geojson,
        ),
        get(
            "/zonas-quentes/celulas.csv",
            Perm(P::ViewOccurrences),
            pages::igesp::hotspots::csv,
        ),
        post(
            "/zonas-quentes/area-de-intervencao",
            Perm(P::Diagnose),
            pages::igesp::hotspots::create_area,
        ),
        get(
            "/reunioes",
            Perm(P::ViewMeetings),
            pages::igesp::meetings::list,
        ),
        get(
            "/reunioes/exportar",
            Perm(P::ViewMeetings),
            pages::igesp::downloads::meetings,
        ),
        post(
            "/reunioes",
            Perm(P::ManageMeetings),
            pages::igesp::meetings::create,
        ),
        get(
            "/reunioes/agenda.ics",
            Perm(P::ViewMeetings),
            pages::igesp::ical::calendar,
        ),
        post(
            "/reunioes/agenda/chave",
            Perm(P::ViewMeetings),
            pages::igesp::meetings::calendar_key,
        ),
        get(
            "/reunioes/{id}",
            Perm(P::ViewMeetings),
            pages::igesp::meetings::detail,
        ),
        get(
            "/reunioes/{id}/ata.pdf",
            Perm(P::ViewMeetings),
            pages::igesp::ata::ata_pdf,
        ),
        post(
            "/reunioes/{id}/participantes",
            Perm(P::ManageMeetings),
            pages::igesp::meetings::add_person,
        ),
        post(
            "/reunioes/{id}/ata",
            Perm(P::ManageMeetings),
            pages::igesp::meetings::minutes,
        ),
        post(
            "/reunioes/{id}/decisoes",
            Perm(P::ManageMeetings),
            pages::igesp::meetings::decide,
        ),
        post(
            "/reunioes/{id}/cancelar",
            Perm(P::ManageMeetings),
            pages::igesp::meetings::cancel,
        ),
        get(
            "/acoes",
            Perm(P::ViewMeetings),
            pages::igesp::actions::actions,
        ),
        get(
            "/acoes/exportar",
            Perm(P::ViewMeetings),
            pages::igesp::downloads::actions,
        ),
        post(
            "/acoes",
            Perm(P::ManageMeetings),
            pages::igesp::actions::create_action,
        ),
        get(
            "/acoes/{id}",
            Perm(P::ViewMeetings),
            pages::igesp::actions::action,
        ),
        post(
            "/acoes/{id}/andamento",
            Perm(P::UpdateActions),
            pages::igesp::actions::progress,
        ),
        get(
            "/acoes/{id}/evidencias/{update}",
            Perm(P::ViewMeetings),
            pages::igesp::actions::evidence,
        ),
        get(
            "/avaliacao",
            Perm(P::Evaluate),
            pages::igesp::evaluation::page,
        ),
        get(
            "/avaliacao/resultado.csv",
            Perm(P::Evaluate),
            pages::igesp::evaluation::csv,
        ),
        get(
            "/municipios/selecao",
            Perm(P::Diagnose),
            pages::igesp::selection::page,
        ),
        get(
            "/municipios/selecao.csv",
            Perm(P::Diagnose),
            pages::igesp::selection::csv,
        ),
        get(
            "/municipios/selecao.xlsx",
            Perm(P::Diagnose),
            pages::igesp::selection::xlsx,
        ),
        post(
            "/municipios/selecao/decisoes",
            Perm(P::Diagnose),
            pages::igesp::selection::decide,
        ),
        get(
            "/ocorrencias",
            Perm(P::ViewOccurrences),
            pages::occurrences::page,
        ),
        get(
            "/ocorrencias/exportar.csv",
            Perm(P::ViewOccurrences),
            pages::occurrences::export_csv,
        ),
        get(
            "/ocorrencias/exportar.xlsx",
            Perm(P::ViewOccurrences),
            pages::occurrences::export_xlsx,
        ),
        get(
            "/operadores",
            Perm(P::ViewOperators),
            pages::operators::page,
        ),
        get(
            "/operadores/exportar",
            Perm(P::ViewOperators),
            pages::operators::export,
        ),
        get("/recap", Perm(P::ViewRecap), pages::recap::page),
        get(
            "/recap/exportar",
            Perm(P::ViewRecap),
            pages::recap::downloads::export,
        ),
        get("/recap/mapa.geojson", Perm(P::ViewRecap), pages::recap::map),
        get(
            "/recap/execucoes",
            Perm(P::ViewPayroll),
            pages::program::runs::list::<Recap>,
        ),
        post(
            "/recap/execucoes",
            Perm(P::ManageRecap),
            pages::recap::save_run,
        ),
        get(
            "/recap/execucoes/{id}",
            Perm(P::ViewPayroll),
            pages::program::runs::page::<Recap>,
        ),
        get(
            "/recap/execucoes/{id}/ocorrencias",
            Perm(P::ViewPayroll),
            pages::recap::trace::page,
        ),
        get(
            "/recap/execucoes/{id}/resultado.pdf",
            Perm(P::ViewPayroll),
            pages::program::documents::run_pdf::<Recap>,
        ),
        get(
            "/recap/execucoes/{id}/resultado.xlsx",
            Perm(P::ViewPayroll),
            pages::program::documents::run_xlsx::<Recap>,
        ),
        post(
            "/recap/ciclo",
            Perm(P::ManageRecap),
            pages::recap::open_cycle,
        ),
        post(
            "/recap/ciclo/{id}",
            Perm(P::ManageRecap),
            pages::recap::cycle_act,
        ),
        get(
            "/recap/configuracao",
            Perm(P::ManageRecap),
            pages::recap::config::config,
        ),
        post(
            "/recap/configuracao",
            Perm(P::ManageRecap),
            pages::recap::config::save_config,
        ),
        get(
            "/recap/unidade",
            Perm(P::UnitActs),
            pages::recap::unit::page,
        ),
        post(
            "/recap/unidade/lista",
            Perm(P::UnitActs),
            pages::recap::unit::submit_list,
        ),
        post(
            "/recap/unidade/recurso",
            Perm(P::UnitActs),
            pages::recap::unit::appeal,
        ),
        get("/ipei", Perm(P::ViewPayroll), pages::ipei::page),
        post(
            "/ipei/execucoes",
            Perm(P::ManageRecap),
            pages::ipei::save_run,
        ),
        get(
            "/ipei/execucoes",
            Perm(P::ViewPayroll),
            pages::program::runs::list::<Ipei>,
        ),
        get(
            "/ipei/execucoes/{id}",
            Perm(P::ViewPayroll),
            pages::program::runs::page::<Ipei>,
        ),
        get(
            "/ipei/execucoes/{id}/resultado.pdf",
            Perm(P::ViewPayroll),
            pages::program::documents::run_pdf::<Ipei>,
        ),
        get(
            "/ipei/execucoes/{id}/folha.xlsx",
            Perm(P::ViewPayroll),
            pages::program::documents::run_xlsx::<Ipei>,
        ),
        post("/ipei/ciclo", Perm(P::ManageRecap), pages::ipei::open_cycle),
        post(
            "/ipei/ciclo/{id}",
            Perm(P::ManageRecap),
            pages::ipei::cycle_act,
        ),
        get(
            "/ipei/apreensoes/{id}/bo",
            Perm(P::ViewRecap),
            pages::ipei::bo_copy,
        ),
        get("/ipei/unidade", Perm(P::UnitActs), pages::ipei::unit::unit),
        get(
            "/ipei/unidade/extrato.pdf",
            Perm(P::UnitActs),
            pages::ipei::documents::statement,
        ),
        post(
            "/ipei/unidade/apreensoes",
            Perm(P::UnitActs),
            pages::ipei::unit::add_seizure,
        ),
        post(
            "/ipei/unidade/planilha",
            Perm(P::UnitActs),
            pages::ipei::unit::upload_sheet,
        ),
        get(
            "/ipei/unidade/planilha/{id}/rejeitadas",
            Perm(P::UnitActs),
            pages::ipei::unit::sheet_rejects,
        ),
        post(
            "/ipei/unidade/bo",
            Perm(P::UnitActs),
            pages::ipei::unit::upload_bo,
        ),
        post(
            "/ipei/unidade/envio",
            Perm(P::UnitActs),
            pages::ipei::unit::deliver,
        ),
        post(
            "/ipei/unidade/recurso",
            Perm(P::UnitActs),
            pages::ipei::unit::appeal,
        ),
        post(
            "/ipei/unidade/laudos",
            Perm(P::UnitActs),
            pages::ipei::unit::add_laudo,
        ),
        get(
            "/admin/calendario",
            Perm(P::ManageCalendar),
            pages::calendar::page,
        ),
        post(
            "/admin/calendario",
            Perm(P::ManageCalendar),
            pages::calendar::add,
        ),
        post(
            "/admin/calendario/{id}/revogar",
            Perm(P::ManageCalendar),
            pages::calendar::revoke,
        ),
        get("/importacoes", Perm(P::Import), pages::imports::list),
        get(
            "/importacoes/exportar",
            Perm(P::Import),
            pages::imports::export,
        ),
        post("/importacoes", Perm(P::Import), pages::imports::upload),
        post(
            "/importacoes/previa",
            Perm(P::Import),
            pages::import_preview::preview,
        ),
        get(
            "/importacoes/perfis/novo",
            Perm(P::Import),
            pages::import_profiles::new,
        ),
        post(
            "/importacoes/perfis",
            Perm(P::Import),
            pages::import_profiles::save,
        ),
        post(
            "/importacoes/previa/traducoes",
            Perm(P::Import),
            pages::import_preview::translate,
        ),
        get("/importacoes/{id}", Perm(P::Import), pages::imports::detail),
        get(
            "/importacoes/tarefas/{id}",
            Perm(P::Import),
            pages::import_jobs::page,
        ),
        get(
            "/importacoes/tarefas/{id}/estado",
            Perm(P::Import),
            pages::import_jobs::state,
        ),
        post(
            "/importacoes/tarefas/{id}/cancelar",
            Perm(P::Import),
            pages::import_jobs::cancel,
        ),
        get(
            "/importacoes/modelos/{arquivo}",
            Perm(P::Import),
            pages::imports::template,
        ),
        get(
            "/importacoes/{id}/rejeitadas",
            Perm(P::Import),
            pages::imports::rejects,
        ),
        get("/admin/usuarios", Perm(P::ManageUsers), pages::admin::users),
        post(
            "/admin/usuarios",
            Perm(P::ManageUsers),
            pages::admin::create_user,
        ),
        get(
            "/admin/usuarios/{id}",
            Perm(P::ManageUsers),
            pages::admin::user,
        ),
        post(
            "/admin/usuarios/{id}",
            Perm(P::ManageUsers),
            pages::admin::update_user,
        ),
        post(
            "/admin/usuarios/{id}/senha",
            Perm(P::ManageUsers),
            pages::admin::reset_password,
        ),
        get(
            "/admin/instituicoes",
            Perm(P::ManageUsers),
            pages::admin::institutions,
        ),
        post(
            "/admin/instituicoes",
            Perm(P::ManageUsers),
            pages::admin::create_institution,
        ),
        get("/admin/crimes", Perm(P::ManageCatalog), pages::crimes::list),
        get(
            "/admin/crimes.csv",
            Perm(P::ManageCatalog),
            pages::crimes::csv,
        ),
        post("/admin/crimes", Perm(P::ManageCatalog), pages::crimes::add),
        get(
            "/admin/chaves-api",
            Perm(P::ManageApiKeys),
            pages::keys::list,
        ),
        post(
            "/admin/chaves-api",
            Perm(P::ManageApiKeys),
            pages::keys::create,
        ),
        post(
            "/admin/chaves-api/{id}/revogar",
            Perm(P::ManageApiKeys),
            pages::keys::revoke,
        ),
        get("/auditoria", Perm(P::ViewAudit), pages::audit::page),
        get(
            "/auditoria/exportar",
            Perm(P::ViewAudit),
            pages::audit::export,
        ),
        get("/api/v1/openapi.json", Public, api::openapi),
        get("/api/v1/me", SignedIn, api::me),
        get(
            "/api/v1/territories",
            Perm(P::ViewIndicators),
            api::territories,
        ),
        get(
            "/api/v1/territories/{code}",
            Perm(P::ViewIndicators),
            api::places::territory,
        ),
        get(
            "/api/v1/hotspots",
            Perm(P::ViewOccurrences),
            api::places::hotspots,
        ),
        get(
            "/api/v1/selection",
            Perm(P::Diagnose),
            api::places::selection,
        ),
        get(
            "/api/v1/occurrences",
            Perm(P::ViewOccurrences),
            api::places::occurrences,
        ),
        get("/api/v1/audit", Perm(P::ViewAudit), api::audit),
        post("/api/v1/imports/{kind}", Perm(P::Import), api::jobs::push),
        get("/api/v1/jobs/{id}", Perm(P::Import), api::jobs::job),
        get(
            "/api/v1/recap/{quarter}",
            Perm(P::ViewRecap),
            api::programs::recap,
        ),
        get(
            "/api/v1/recap/runs",
            Perm(P::ViewPayroll),
            api::programs::runs::<Recap>,
        ),
        get(
            "/api/v1/recap/runs/{id}",
            Perm(P::ViewPayroll),
            api::programs::run::<Recap>,
        ),
        get(
            "/api/v1/ipei/runs",
            Perm(P::ViewPayroll),
            api::programs::runs::<Ipei>,
        ),
        get(
            "/api/v1/ipei/runs/{id}",
            Perm(P::ViewPayroll),
            api::programs::run::<Ipei>,
        ),
        get(
            "/api/v1/indicators",
            Perm(P::ViewIndicators),
            api::igesp::indicators,
        ),
        get(
            "/api/v1/ipei/{month}",
            Perm(P::ViewPayroll),
            api::programs::ipei,
        ),
        get(
            "/api/v1/meetings",
            Perm(P::ViewMeetings),
            api::igesp::meetings,
        ),
        get(
            "/api/v1/actions",
            Perm(P::ViewMeetings),
            api::igesp::actions,
        ),
        post(
            "/api/v1/actions/{id}/updates",
            Perm(P::UpdateActions),
            api::igesp::update,
        ),
        get("/ogc", Perm(P::ViewIndicators), ogc::landing),
        // Clients that take the landing page for a folder (OWSLib) ask for it with the slash.
        get("/ogc/", Perm(P::ViewIndicators), ogc::landing),
        get(
            "/ogc/conformance",
            Perm(P::ViewIndicators),
            ogc::conformance,
        ),
        get(
            "/ogc/collections",
            Perm(P::ViewIndicators),
            ogc::collections,
        ),
        get(
            "/ogc/collections/{id}",
            Perm(P::ViewIndicators),
            ogc::collection,
        ),
        get(
            "/ogc/collections/{id}/items",
            Perm(P::ViewIndicators),
            ogc::items,
        ),
        get(
            "/ogc/collections/{id}/items/{item}",
            Perm(P::ViewIndicators),
            ogc::item,
        ),
    ];
    #[cfg(feature = "oidc")]
    table.extend([
        get("/login/govbr", Public, crate::oidc::start),
        get("/login/govbr/retorno", Public, crate::oidc::finish),
    ]);
    table
}
