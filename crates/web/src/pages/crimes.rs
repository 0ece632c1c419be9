//! The crime catalog (`/admin/crimes`): every crime with its group and whether RECAP counts it, and
//! the form where an administrator adds one, audited. The built-in crimes — the ones the programs and
//! the decree name — are never rewritten: a crime is only ever added, under a code nobody uses. The
//! page speaks of crimes by name; their codes, which import files and crime maps cite, are in the
//! catalog's CSV (`/admin/crimes.csv`).

use askama::Template;
use atalaia_core::crime::{CrimeCode, CrimeGroup};
use atalaia_core::program::ProgramDocument;
use atalaia_store::audit::AuditEvent;
use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, FormOption, render};
use crate::guard::{Ctx, Identity};
use crate::{AppError, AppState};

/// The longest name a crime may have.
const MAX_NAME: usize = 120;

struct CrimeLine {
    code: String,
    name: String,
    group: &'static str,
    builtin: bool,
    recap: bool,
}

#[derive(Template)]
#[template(path = "admin_crimes.html")]
struct Page {
    chrome: Chrome,
    ok: bool,
    error: Option<String>,
    crimes: Vec<CrimeLine>,
    groups: Vec<FormOption>,
    /// The form as typed, when it was refused.
    code: String,
    name: String,
}

/// `?ok=1` after a crime was added.
#[derive(Debug, Deserialize, Default)]
pub struct Flash {
    ok: Option<String>,
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct CrimeForm {
    codigo: String,
    nome: String,
    grupo: String,
}

/// The catalog as listed: RECAP's crimes of the configuration in force today (the decree's until the
/// committee saves one) marked, sorted by name.
async fn lines(st: &AppState) -> Result<Vec<CrimeLine>, AppError> {
    let today = st.config.clock.today();
    let recap = st
        .db
        .program_config_on(today)
        .await?
        .and_then(|v| ProgramDocument::from_json(&v.document).ok())
        .unwrap_or_else(ProgramDocument::decree_default)
        .crimes;
    let mut crimes: Vec<CrimeLine> = st
        .db
        .crimes()
        .await?
        .into_iter()
        .map(|c| CrimeLine {
            recap: recap.contains(&c.code),
            group: atalaia_store::selection::group_of(&c.group).label_pt(),
            code: c.code,
            name: c.name,
            builtin: c.builtin,
        })
        .collect();
    atalaia_core::text::sort_pt(&mut crimes, |c| &c.name);
    Ok(crimes)
}

/// `GET /admin/crimes.csv`: the catalog with its codes, for import files and crime maps.
pub async fn csv(Ctx { st, .. }: Ctx) -> Result<Response, AppError> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header = ["codigo", "nome", "grupo", "origem", "conta_no_recap"];
    super::write_safe(&mut w, header).map_err(|e| AppError::Internal(e.to_string()))?;
    for c in lines(&st).await? {
        let origin = if c.builtin {
            "do sistema"
        } else {
            "acrescentado"
        };
        let recap = if c.recap { "sim" } else { "não" };
        super::write_safe(&mut w, [c.code.as_str(), &c.name, c.group, origin, recap])
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    super::csv_download(w, "crimes.csv".into())
}

async fn page(
    st: &AppState,
    id: &Identity,
    ok: bool,
    error: Option<String>,
    typed: Option<&CrimeForm>,
) -> Result<Response, AppError> {
    let crimes = lines(st).await?;
    let chosen = typed.map(|f| f.grupo.as_str()).unwrap_or_default();
    let groups = atalaia_core::selection::GROUPS
        .into_iter()
        .map(|g| FormOption {
            chosen: g.as_str() == chosen,
            ..FormOption::new(g.as_str(), g.label_pt())
        })
        .collect();
    let mut resp = render(&Page {
        chrome: Chrome::new(st, id, "Catálogo de crimes", "/admin/crimes").await,
        ok,
        crimes,
        groups,
        code: typed.map(|f| f.codigo.clone()).unwrap_or_default(),
        name: typed.map(|f| f.nome.clone()).unwrap_or_default(),
        error,
    })?;
    if typed.is_some() {
        *resp.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

/// `GET /admin/crimes`.
pub async fn list(Ctx { st, id }: Ctx, Query(flash): Query<Flash>) -> Result<Response, AppError> {
    page(&st, &id, flash.ok.is_some(), None, None).await
}

/// Why the form cannot add a crime, in the words of the form's fields.
fn check(f: &CrimeForm) -> Result<(CrimeCode, String, CrimeGroup), String> {
    let code = CrimeCode::parse(&f.codigo)
        .map_err(|e| format!("código `{}` inválido: {e}", f.codigo.trim()))?;
    let name = f.nome.trim();
    if name.is_empty() {
        return Err("nome vazio: informe o nome do crime, como aparece nos relatórios".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!(
            "nome longo demais: máximo de {MAX_NAME} caracteres"
        ));
    }
    let group = atalaia_core::selection::GROUPS
        .into_iter()
        .find(|g| g.as_str() == f.grupo.trim())
        .ok_or_else(|| format!("grupo `{}` inválido: escolha um da lista", f.grupo.trim()))?;
    Ok((code, name.to_string(), group))
}

/// `POST /admin/crimes`: adds a crime, audited in the same transaction.
pub async fn add(Ctx { st, id }: Ctx, Form(f): Form<CrimeForm>) -> Result<Response, AppError> {
    let (code, name, group) = match check(&f) {
        Ok(v) => v,
        Err(why) => return page(&st, &id, false, Some(why), Some(&f)).await,
    };
    let now = st.config.clock.now_utc();
    let mut tx = st.db.begin().await?;
    if !tx.add_crime(&code, &name, group).await? {
        drop(tx);
        let why = format!("o código `{code}` já está no catálogo: escolha outro");
        return page(&st, &id, false, Some(why), Some(&f)).await;
    }
    tx.audit(
        &AuditEvent::new(id.actor(), "crime.create")
            .object(format!("crime:{code}"))
            .details(serde_json::json!({"name": name, "group": group.as_str()}))
            .ip(&id.ip),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/crimes?ok=1").into_response())
}
