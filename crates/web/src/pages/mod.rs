//! Server-rendered pages (pt-BR). Each page template extends `layout.html` and carries a [`Chrome`]: who
//! is signed in, the menu their roles open, the CSRF token for forms, and the demo-data notice.

pub mod admin;
pub mod audit;
pub mod calendar;
pub mod crimes;
mod declined;
mod desk;
pub(crate) mod export;
mod kept;
pub(crate) use declined::Declined;
pub mod help;
pub mod home;
pub mod igesp;
pub mod import_jobs;
pub mod import_preview;
pub mod import_profiles;
pub mod imports;
pub mod ipei;
pub mod keys;
pub mod login;
pub mod occurrences;
pub mod operators;
pub mod program;
pub mod recap;
pub mod territories;
pub mod transparency;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::guard::{Access, Identity};
use crate::routes::access_of;
use crate::{AppError, AppState};

/// A menu entry.
pub struct NavItem {
    /// Label (pt-BR).
    pub label: &'static str,
    pub href: &'static str,
    /// The current page.
    pub current: bool,
}

/// What every page's frame needs.
pub struct Chrome {
    /// Page title.
    pub title: String,
    /// Signed-in user's name.
    pub user_name: String,
    /// Their institution.
    pub institution: String,
    /// Their roles, for people.
    pub roles: String,
    /// The menu.
    pub nav: Vec<NavItem>,
    /// CSRF token for forms.
    pub csrf: String,
    /// Show the synthetic-data notice.
    pub synthetic: bool,
    /// What the form just sent did (`crate::done`), said at the top of the page.
    pub done: Option<&'static str>,
}

/// The menu, in order. Each entry is shown when the route it leads to lets the user in, so the menu
/// and the permission check cannot disagree.
const MENU: [(&str, &str); 23] = [
    ("Início", "/"),
    ("Boletim CompStat", "/compstat"),
    ("Territórios", "/territorios"),
    ("Ocorrências", "/ocorrencias"),
    ("Zonas quentes", "/zonas-quentes"),
    ("Seleção de municípios", "/municipios/selecao"),
    ("Reuniões", "/reunioes"),
    ("Ações", "/acoes"),
    ("Avaliação", "/avaliacao"),
    ("Operadores", "/operadores"),
    ("RECAP", "/recap"),
    ("Minha unidade", "/recap/unidade"),
    ("Execuções do RECAP", "/recap/execucoes"),
    ("IPEI", "/ipei"),
    ("Execuções do IPEI", "/ipei/execucoes"),
    ("IPEI — minha unidade", "/ipei/unidade"),
    ("Importações", "/importacoes"),
    ("Usuários", "/admin/usuarios"),
    ("Instituições", "/admin/instituicoes"),
    ("Chaves de API", "/admin/chaves-api"),
    ("Calendário", "/admin/calendario"),
    ("Crimes", "/admin/crimes"),
    ("Auditoria", "/auditoria"),
];

fn allowed(id: &Identity, access: Access) -> bool {
    match access {
        Access::Public | Access::SignedIn => true,
        Access::Perm(p) | Access::LocalOr(p) => id.may(p),
    }
}

impl Chrome {
    /// The frame for `id` on the page at `current`.
    pub async fn new(st: &AppState, id: &Identity, title: &str, current: &str) -> Chrome {
        let nav = MENU
            .iter()
            .filter(|(_, href)| {
                access_of(&axum::http::Method::GET, href).is_some_and(|a| allowed(id, a))
            })
            .map(|(label, href)| NavItem {
                label,
                href,
                current: *href == current,
            })
            .collect();
        let synthetic = st.db.has_synthetic_data().await.unwrap_or(false);
        Chrome {
            title: title.to_string(),
            user_name: id.name.clone(),
            institution: id.institution.clone(),
            roles: id
                .roles
                .iter()
                .map(|r| r.label_pt())
                .collect::<Vec<_>>()
                .join(", "),
            nav,
            csrf: id.csrf().to_string(),
            synthetic,
            done: crate::done::current().map(crate::done::Done::text_pt),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

/// A standalone error page (no menu: it may be shown to someone not signed in).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = ErrorPage {
        title,
        message,
        status: status.as_u16(),
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    (status, Html(body)).into_response()
}

/// A file to download: its bytes, type and name.
/// Who acted, as people read it (`atalaia_core::audit::actor_pt`): the users read once per page.
pub(crate) struct Actors(std::collections::HashMap<String, String>);

impl Actors {
    pub(crate) async fn load(st: &AppState) -> Result<Actors, AppError> {
        let users = st.db.users().await?;
        Ok(Actors(
            users.into_iter().map(|u| (u.login, u.name)).collect(),
        ))
    }

    /// `user:comite` → "Carla do Comitê Gestor (comite)", `cli:joao` → "linha de comando (joao)".
    pub(crate) fn name(&self, actor: &str) -> String {
        atalaia_core::audit::actor_pt(actor, |login| self.0.get(login).cloned())
    }
}

/// `Ok` when `id` may read a whole saved run of RECAP or IPEI (`atalaia_core::scope`): the routes
/// already ask for the payroll permission; a grant whose scope does not fit still reads nothing, and the
/// run answers as if it did not exist.
pub(crate) fn require_whole_run(id: &crate::guard::Identity, run_id: i64) -> Result<(), AppError> {
    if id.reads_whole_runs() {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("a execução {run_id}")))
    }
}

/// Writes one record of a CSV meant for people, every cell through
/// `atalaia_core::spreadsheet::safe_cell` (no formula runs when it is opened in a spreadsheet).
pub(crate) fn write_safe<W: std::io::Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    let cells: Vec<S> = cells.into_iter().collect();
    let safe: Vec<std::borrow::Cow<'_, str>> = cells
        .iter()
        .map(|c| atalaia_core::spreadsheet::safe_cell(c.as_ref()))
        .collect();
    w.write_record(safe.iter().map(|c| c.as_bytes()))
}

/// The media type of the workbooks we send.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Runs `make` — a PDF or spreadsheet writer, tens of milliseconds to seconds of CPU — on the blocking
/// pool so that it holds up no other request; its failure is a logged 500 naming `what`.
pub(crate) async fn on_blocking_pool<E: std::fmt::Display + Send + 'static>(
    what: &'static str,
    make: impl FnOnce() -> Result<Vec<u8>, E> + Send + 'static,
) -> Result<Vec<u8>, AppError> {
    tokio::task::spawn_blocking(make)
        .await
        .map_err(|e| AppError::Internal(format!("{what}: {e}")))?
        .map_err(|e| AppError::Internal(format!("{what}: {e}")))
}

/// The address a client reached this server by (`https://host:port`), for links it will follow from
/// outside a page (a calendar feed, an OGC API's links): the `Host` it sent when it is a plain host
/// name, the scheme of the deployment's cookies.
pub(crate) fn origin(st: &AppState, headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = if st.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The CSV written into `w` as the download `name`.
pub(crate) fn csv_download(w: csv::Writer<Vec<u8>>, name: String) -> Result<Response, AppError> {
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(download(body, "text/csv; charset=utf-8", name))
}

pub(crate) fn download(bytes: Vec<u8>, content_type: &'static str, name: String) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A stored evidence file (by its SHA-256) as a response: its type told by its content (never by a
/// name), sent with `disposition` (`inline; filename="…"` or `attachment; …`).
pub(crate) async fn evidence_file(
    st: &AppState,
    sha256: &str,
    disposition: String,
    opened: atalaia_store::audit::AuditEvent,
) -> Result<Response, AppError> {
    let path = atalaia_store::ipei::evidence_path(&st.config.evidence_dir(), sha256);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let kind = atalaia_core::evidence::sniff(&bytes)
        .map(|k| k.mime())
        .unwrap_or("application/octet-stream");
    // BO copies and evidence are police material: every opening is recorded.
    st.primary.audit(&opened, st.config.clock.now_utc()).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// A form or query string as its `(name, value)` pairs, for forms whose fields repeat (`crime=a&crime=b`).
pub(crate) type Fields = Vec<(String, String)>;

/// The last non-empty value of the field `name`, trimmed.
pub(crate) fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Every non-empty value of the repeated field `name`, trimmed, sorted and without repeats.
pub(crate) fn field_set(f: &Fields, name: &str) -> Vec<String> {
    let mut values: Vec<String> = f
        .iter()
        .filter(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect();
    values.sort();
    values.dedup();
    values
}

/// The text fields and the one file of a multipart form (the file kept in memory up to `max` bytes).
pub(crate) async fn read_form(
    mut multipart: axum::extract::Multipart,
    max: usize,
) -> Result<
    (
        std::collections::BTreeMap<String, String>,
        Option<(String, Vec<u8>)>,
    ),
    String,
> {
    let mut fields = std::collections::BTreeMap::new();
    let mut file = None;
    while let Some(mut fl) = multipart
        .next_field()
        .await
        .map_err(|e| format!("envio interrompido ou grande demais: {e}"))?
    {
        let name = fl.name().unwrap_or("").to_string();
        if name == "arquivo" {
            let file_name = fl.file_name().unwrap_or("arquivo").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = fl
                .chunk()
                .await
                .map_err(|e| format!("envio interrompido ou grande demais: {e}"))?
            {
                if bytes.len() + chunk.len() > max {
                    return Err(format!(
                        "o arquivo `{file_name}` passa do limite de {} MiB",
                        max / (1024 * 1024)
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some((file_name, bytes));
        } else {
            let v = fl.text().await.unwrap_or_default();
            fields.insert(name, v);
        }
    }
    Ok((fields, file))
}

/// Renders a template into a response.
pub fn render(t: &impl Template) -> Result<Response, AppError> {
    Ok(Html(t.render()?).into_response())
}

/// 149964 → "149.964" (`atalaia_core::numbers`).
pub fn thousands(n: u64) -> String {
    atalaia_core::numbers::integer(i128::from(n))
}

/// A UTC instant as people in Goiás read it (UTC−3, no daylight saving since 2019).
pub fn local_time(utc: chrono::NaiveDateTime) -> String {
    atalaia_core::dates::sao_paulo_local(utc)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// The catalog's crime names by code, for pages that print counts per crime.
pub(crate) async fn crime_names(
    st: &AppState,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    Ok(st
        .db
        .crimes()
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect())
}

/// One option of a select or of a list of checkboxes.
pub(crate) struct FormOption {
    pub(crate) value: String,
    pub(crate) label: String,
    /// Selected or checked when the page opens.
    pub(crate) chosen: bool,
}

impl FormOption {
    /// An option not chosen yet.
    pub(crate) fn new(value: impl Into<String>, label: impl Into<String>) -> FormOption {
        FormOption {
            value: value.into(),
            label: label.into(),
            chosen: false,
        }
    }

    /// A crime of the catalog, checked when it is among `chosen`.
    pub(crate) fn crime(c: atalaia_store::reference::CrimeRow, chosen: &[String]) -> FormOption {
        FormOption {
            chosen: chosen.contains(&c.code),
            value: c.code,
            label: c.name,
        }
    }
}

/// A labelled group of a select's options (`<optgroup>`), shown by the `options` macro of
/// `macros.html`.
pub(crate) struct OptionGroup {
    pub(crate) label: String,
    pub(crate) options: Vec<FormOption>,
}

/// Areas as a select offers them: one group per kind — the state, intervention areas, AISP, AIS, AISE,
/// other kinds, municipalities last (the long list) — each in the order of a Brazilian index by name
/// ("AISP 2" before "AISP 10", "Água Limpa" among the A's). An option reads as the area's name, which
/// for AIS and AISP already carries the number; `chosen` is selected. A code listed twice (two
/// versions) is offered once.
pub(crate) fn area_groups<'a>(
    areas: impl IntoIterator<Item = &'a atalaia_store::territories::TerritoryVersion>,
    chosen: &str,
) -> Vec<OptionGroup> {
    use atalaia_core::TerritoryKind as K;
    let group = |kind: &str| match kind.parse::<K>() {
        Ok(k) => {
            let rank = match k {
                K::State => 0,
                K::Intervention => 1,
                K::Aisp => 2,
                K::Ais => 3,
                K::Aise => 4,
                K::Other(_) => 5,
                K::Municipality => 6,
            };
            (rank, k.plural_pt().to_string())
        }
        Err(_) => (5, kind.to_string()),
    };
    let mut groups: std::collections::BTreeMap<(u8, String), Vec<FormOption>> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for t in areas {
        if !seen.insert(t.code.as_str()) {
            continue;
        }
        let option = FormOption {
            value: t.code.clone(),
            label: t.name.clone(),
            chosen: t.code == chosen,
        };
        groups.entry(group(&t.kind)).or_default().push(option);
    }
    groups
        .into_iter()
        .map(|((_, label), mut options)| {
            atalaia_core::text::sort_pt(&mut options, |o| &o.label);
            OptionGroup { label, options }
        })
        .collect()
}
