//! The roster of operators. CPFs are shown masked (`***.456.789-**`, platform.md §2) except to roles that
//! need them (committee, auditors: pay rests on them); every page shown with full CPFs is written to the
//! audit log. A unit head scoped to units sees only operators assigned to those units.

use askama::Template;
use atalaia_core::Cpf;
use atalaia_core::access::Permission;
use atalaia_store::accounts::Scope;
use atalaia_store::audit::AuditEvent;
use atalaia_store::reference::OperatorRecord;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::export::{self, Format, Table};
use super::{Chrome, render};
use crate::guard::{Ctx, Identity};
use crate::{AppError, AppState};

struct Row {
    registration: String,
    name: String,
    institution: String,
    cpf: String,
    units: String,
    synthetic: bool,
}

#[derive(Template)]
#[template(path = "operators.html")]
struct Page {
    chrome: Chrome,
    full_cpf: bool,
    scope_note: Option<String>,
    rows: Vec<Row>,
    /// The search as typed.
    search: String,
    /// "Mostrando 1–100 de 2.540 operadores".
    showing: String,
    previous: Option<String>,
    next: Option<String>,
    /// `/operadores/exportar?busca=…&`, the format appended by the template.
    export_href: String,
}

/// Operators per page: a state's roster runs to tens of thousands.
const PER_PAGE: usize = 100;

/// `?busca=…&pagina=N`.
#[derive(Debug, Deserialize, Default)]
pub struct OperatorsQuery {
    busca: Option<String>,
    pagina: Option<usize>,
    /// The download's format (`csv`, `xlsx`) on `/operadores/exportar`.
    formato: Option<String>,
}

/// How a stored CPF is shown: in full for roles that may see it, masked otherwise; a value that is not a
/// valid CPF is never shown.
pub fn show_cpf(stored: Option<&str>, full: bool) -> String {
    match stored.map(str::parse::<Cpf>) {
        Some(Ok(c)) if full => c.formatted(),
        Some(Ok(c)) => c.masked(),
        Some(Err(_)) => "inválido".into(),
        None => String::new(),
    }
}

/// The operators the requester may see today that match `search`, in name order. Unit heads see
/// their own units unless another role of theirs reaches everyone; the units are returned for the note.
async fn matching(
    st: &AppState,
    id: &Identity,
    search: &str,
) -> Result<(Vec<OperatorRecord>, Option<Vec<String>>), AppError> {
    let unscoped = id.grants.iter().any(|g| {
        atalaia_core::access::allows(g.role, Permission::ViewOperators) && g.scope == Scope::All
    });
    let units: Option<Vec<String>> = (!unscoped).then(|| {
        id.grants
            .iter()
            .filter_map(|g| match &g.scope {
                Scope::Unit(u) => Some(u.clone()),
                _ => None,
            })
            .collect()
    });
    let wanted = atalaia_core::text::folded(search);
    let mut ops = st
        .db
        .operators(st.config.clock.today(), units.as_deref())
        .await?;
    ops.retain(|o| {
        wanted.is_empty()
            || [&o.registration, &o.name, &o.institution, &o.units]
                .iter()
                .any(|f| atalaia_core::text::folded(f).contains(&wanted))
    });
    // The store orders by bytes; people look a name up where an index would have it.
    atalaia_core::text::sort_pt(&mut ops, |o| &o.name);
    Ok((ops, units))
}

/// Full CPFs shown to `id` are written to the audit log (LGPD), with how many and where.
async fn audit_full_cpfs(
    st: &AppState,
    id: &Identity,
    shown: usize,
    download: Option<&str>,
) -> Result<(), AppError> {
    let mut details = serde_json::json!({"operators": shown});
    if let Some(format) = download {
        details["download"] = format.into();
    }
    st.primary
        .audit(
            &AuditEvent::new(id.actor(), "operators.view_cpf")
                .details(details)
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(())
}

/// `GET /operadores`: a page of the roster, filtered by registration, name, institution or unit.
pub async fn page(
    Ctx { st, id }: Ctx,
    Query(q): Query<OperatorsQuery>,
) -> Result<Response, AppError> {
    let full_cpf = id.may(Permission::ViewCpf);
    let search = q.busca.unwrap_or_default().trim().to_string();
    let (ops, units) = matching(&st, &id, &search).await?;
    let total = ops.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.pagina.unwrap_or(1).clamp(1, pages);
    let ops: Vec<_> = ops
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let link = |p: usize| {
        format!(
            "/operadores?busca={}&pagina={p}",
            crate::guard::percent_encode(&search)
        )
    };
    let first = (page - 1) * PER_PAGE + 1;
    let showing = match total {
        0 => "Nenhum operador encontrado.".to_string(),
        _ => format!(
            "Mostrando {}–{} de {} operadores.",
            super::thousands(first as u64),
            super::thousands((first + ops.len() - 1) as u64),
            super::thousands(total as u64)
        ),
    };
    if full_cpf {
        audit_full_cpfs(&st, &id, ops.len(), None).await?;
    }
    let rows = ops
        .into_iter()
        .map(|o| Row {
            cpf: show_cpf(o.cpf.as_deref(), full_cpf),
            registration: o.registration,
            name: o.name,
            institution: o.institution,
            units: o.units,
            synthetic: o.synthetic,
        })
        .collect();
    render(&Page {
        chrome: Chrome::new(&st, &id, "Operadores", "/operadores").await,
        full_cpf,
        scope_note: units.map(|u| {
            format!(
                "Mostrando os operadores das suas unidades: {}.",
                u.join(", ")
            )
        }),
        rows,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        export_href: format!(
            "/operadores/exportar?busca={}&",
            crate::guard::percent_encode(&search)
        ),
        search: search.clone(),
        showing,
    })
}

/// `GET /operadores/exportar?formato=csv|xlsx&busca=…`: every operator the page's search finds (all its
/// pages), with the page's columns and CPFs shown as the page shows them.
pub async fn export(
    Ctx { st, id }: Ctx,
    Query(q): Query<OperatorsQuery>,
) -> Result<Response, AppError> {
    let format = Format::parse(q.formato.as_deref())?;
    let full_cpf = id.may(Permission::ViewCpf);
    let search = q.busca.unwrap_or_default().trim().to_string();
    let (ops, _) = matching(&st, &id, &search).await?;
    if full_cpf {
        let name = if format == Format::Csv { "csv" } else { "xlsx" };
        audit_full_cpfs(&st, &id, ops.len(), Some(name)).await?;
    }
    let rows = ops
        .into_iter()
        .map(|o| {
            let name = export::marked_name(o.name, o.synthetic);
            vec![
                o.registration.into(),
                name.into(),
                o.institution.into(),
                show_cpf(o.cpf.as_deref(), full_cpf).into(),
                o.units.into(),
            ]
        })
        .collect();
    let table = Table {
        name: "operadores".into(),
        sheet: "Operadores",
        header: vec!["Matrícula", "Nome", "Instituição", "CPF", "Unidades"],
        rows,
    };
    export::send(table, format).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpfs_are_masked_unless_allowed() {
        assert_eq!(show_cpf(Some("52998224725"), false), "***.982.247-**");
        assert_eq!(show_cpf(Some("52998224725"), true), "529.982.247-25");
        assert_eq!(show_cpf(Some("52998224724"), true), "inválido");
        assert_eq!(show_cpf(None, true), "");
    }
}
