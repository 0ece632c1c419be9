//! The roster of operators. CPFs are shown masked (`***.456.789-**`, platform.md §2) except to roles that
//! need them (committee, auditors: pay rests on them); every page shown with full CPFs is written to the
//! audit log. A unit head scoped to units sees only operators assigned to those units.

use askama::Template;
use atalaia_core::Cpf;
use atalaia_core::access::Permission;
use atalaia_store::accounts::Scope;
use atalaia_store::audit::AuditEvent;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, render};
use crate::AppError;
use crate::guard::Ctx;

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
}

/// Operators per page: a state's roster runs to tens of thousands.
const PER_PAGE: usize = 100;

/// `?busca=…&pagina=N`.
#[derive(Debug, Deserialize, Default)]
pub struct OperatorsQuery {
    busca: Option<String>,
    pagina: Option<usize>,
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

/// `GET /operadores`: a page of the roster, filtered by registration, name, institution or unit.
pub async fn page(
    Ctx { st, id }: Ctx,
    Query(q): Query<OperatorsQuery>,
) -> Result<Response, AppError> {
    let full_cpf = id.may(Permission::ViewCpf);
    // Unit heads see their own units unless another role of theirs reaches everyone.
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
    let search = q.busca.unwrap_or_default().trim().to_string();
    let wanted = atalaia_core::text::folded(&search);
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
        st.primary
            .audit(
                &AuditEvent::new(id.actor(), "operators.view_cpf")
                    .details(serde_json::json!({"operators": ops.len()}))
                    .ip(&id.ip),
                st.config.clock.now_utc(),
            )
            .await?;
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
        search: search.clone(),
        showing,
    })
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
