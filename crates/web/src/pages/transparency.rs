//! The public transparency page (igesp.md §7, platform.md §2): no sign-in; crimes per group in the last
//! twelve complete months for each municipality and each AIS/AISP/AISE, with rates per 100,000, as a page
//! and as open data (CSV).
//!
//! Aggregates only, from the aggregate tables: nothing per occurrence or per person is published, so no
//! identifier needs pseudonymising (area codes are public). Small counts are hidden by
//! `core::disclosure::suppress` with the deployment's threshold, together with every cell that would
//! give them back through a published total (an area's total of all groups; a municipality's count and
//! the counts of the areas inside it). A hidden count hides its rate too (population × rate would give
//! it back). Intervention areas are left out: they are small, operational, and nested in AISPs.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use atalaia_core::Month;
use atalaia_core::disclosure::{Equation, suppress};
use atalaia_core::selection::GROUPS;
use axum::extract::State;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};

use super::{render, thousands};
use crate::{AppError, AppState};

/// Kinds published, in this order.
const KINDS: [&str; 4] = ["municipality", "ais", "aisp", "aise"];

/// One published area.
#[derive(Debug, Clone)]
pub struct PublicRow {
    code: String,
    name: String,
    /// One of [`KINDS`].
    kind: &'static str,
    parent: String,
    population: Option<u64>,
    /// Per group then the total: `Some(count)` or `None` when hidden.
    counts: Vec<Option<u64>>,
    /// Rates per 100,000, `None` when the count is hidden or the population unknown.
    rates: Vec<Option<f64>>,
    synthetic: bool,
}

/// The page's model, computed once per data version and month.
#[derive(Debug)]
pub struct PublicModel {
    from: NaiveDate,
    to: NaiveDate,
    end: Month,
    threshold: u64,
    rows: Vec<PublicRow>,
    hidden: usize,
    synthetic: bool,
}

/// Cache of the public model, by data version and the month it was computed in (`crate::cache`).
pub type PublicCache = crate::cache::Versioned<NaiveDate, PublicModel>;

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "municipality" => "Município",
        "ais" => "AIS",
        "aisp" => "AISP",
        "aise" => "AISE",
        _ => "Área",
    }
}

async fn model(st: &AppState) -> Result<Arc<PublicModel>, AppError> {
    let today = st.config.clock.today();
    let version = st.db.data_version().await?;
    let month_start = today.with_day0(0).unwrap_or(today);
    st.public_cache
        .get_or(version, month_start, build(st))
        .await
}

async fn build(st: &AppState) -> Result<PublicModel, AppError> {
    let months = crate::twelve_months::of(st).await?;
    let m = months
        .as_ref()
        .as_ref()
        .ok_or_else(|| AppError::Internal("mês anterior a hoje".into()))?;
    let (from, to, end) = (m.from, m.to, m.end);
    let territories = st.territories().await?;
    let mut areas: Vec<_> = territories
        .iter()
        .filter(|t| KINDS.contains(&t.kind.as_str()) && t.valid_on(to))
        .collect();
    areas.sort_by_key(|t| {
        (
            KINDS.iter().position(|k| *k == t.kind).unwrap_or(9),
            t.name.clone(),
        )
    });
    let index: HashMap<&str, usize> = areas
        .iter()
        .enumerate()
        .map(|(i, t)| (t.code.as_str(), i))
        .collect();
    // Cells: row r, column c (groups then total) → r × width + c.
    let width = GROUPS.len() + 1;
    let mut values = vec![0u64; areas.len() * width];
    for (r, t) in areas.iter().enumerate() {
        if let Some(row) = m.counts.get(&t.code) {
            values[r * width..(r + 1) * width].copy_from_slice(row);
        }
    }
    let mut equations = Vec::new();
    for r in 0..areas.len() {
        equations.push(Equation {
            total: r * width + GROUPS.len(),
            parts: (0..GROUPS.len()).map(|c| r * width + c).collect(),
        });
    }
    // A parent and its children in the table, for every column: assume the attacker knows the
    // children partition the parent (the worst case).
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (r, t) in areas.iter().enumerate() {
        if let Some(p) = t.parent_code.as_deref().and_then(|p| index.get(p)) {
            children.entry(*p).or_default().push(r);
        }
    }
    for (p, kids) in &children {
        for c in 0..width {
            equations.push(Equation {
                total: p * width + c,
                parts: kids.iter().map(|k| k * width + c).collect(),
            });
        }
    }
    let threshold = st.config.public_min_count;
    let hidden = suppress(&values, &equations, threshold);
    let rows = areas
        .iter()
        .enumerate()
        .map(|(r, t)| {
            let population = m
                .populations
                .get(&t.code)
                .map(|&(_, p)| p.max(0) as u64)
                .filter(|p| *p > 0);
            let counts: Vec<Option<u64>> = (0..width)
                .map(|c| (!hidden[r * width + c]).then_some(values[r * width + c]))
                .collect();
            let rates = counts
                .iter()
                .map(|n| match (n, population) {
                    (Some(n), Some(p)) => Some(*n as f64 * 100_000.0 / p as f64),
                    _ => None,
                })
                .collect();
            PublicRow {
                code: t.code.clone(),
                name: t.name.clone(),
                // `areas` holds only these kinds.
                kind: KINDS
                    .iter()
                    .copied()
                    .find(|k| *k == t.kind)
                    .unwrap_or("aise"),
                parent: t.parent_code.clone().unwrap_or_default(),
                population,
                counts,
                rates,
                synthetic: t.synthetic,
            }
        })
        .collect::<Vec<_>>();
    Ok(PublicModel {
        from,
        to,
        end,
        threshold,
        hidden: hidden.iter().filter(|h| **h).count(),
        synthetic: rows.iter().any(|r| r.synthetic),
        rows,
    })
}

fn br_rate(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

struct Cell {
    count: String,
    rate: String,
    hidden: bool,
}

struct RowView {
    code: String,
    name: String,
    kind: &'static str,
    population: String,
    cells: Vec<Cell>,
    synthetic: bool,
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    period: String,
    threshold: u64,
    headers: Vec<&'static str>,
    municipalities: Vec<RowView>,
    areas: Vec<RowView>,
    hidden: usize,
    synthetic: bool,
    dictionary: &'static [(&'static str, &'static str)],
}

fn view(r: &PublicRow, threshold: u64) -> RowView {
    RowView {
        code: r.code.clone(),
        name: r.name.clone(),
        kind: kind_label(r.kind),
        population: r.population.map(thousands).unwrap_or_else(|| "—".into()),
        cells: r
            .counts
            .iter()
            .zip(&r.rates)
            .map(|(n, rate)| Cell {
                count: match n {
                    Some(n) => thousands(*n),
                    None => format!("< {threshold}*"),
                },
                rate: rate.map(br_rate).unwrap_or_else(|| "—".into()),
                hidden: n.is_none(),
            })
            .collect(),
        synthetic: r.synthetic,
    }
}

/// `GET /transparencia`: the public page (no sign-in).
pub async fn page(State(st): State<AppState>) -> Result<Response, AppError> {
    let m = model(&st).await?;
    let mut headers: Vec<&'static str> = GROUPS.iter().map(|g| g.label_pt()).collect();
    headers.push("Total");
    let (municipalities, areas): (Vec<&PublicRow>, Vec<&PublicRow>) =
        m.rows.iter().partition(|r| r.kind == "municipality");
    render(&PublicPage {
        period: format!("{} a {}", m.from.format("%m/%Y"), m.to.format("%m/%Y")),
        threshold: m.threshold,
        headers,
        municipalities: municipalities
            .iter()
            .map(|r| view(r, m.threshold))
            .collect(),
        areas: areas.iter().map(|r| view(r, m.threshold)).collect(),
        hidden: m.hidden,
        synthetic: m.synthetic,
        dictionary: &DICTIONARY,
    })
}

/// The open-data CSV's columns and what each holds — its header and its data dictionary, shown on the
/// public page. The CSV is for people in Brazil (issue 20): Portuguese names and values, `;` between
/// fields, decimal commas, dates as DD/MM/AAAA, "sim"/"não".
pub const DICTIONARY: [(&str, &str); 11] = [
    (
        "Código do território",
        "Código da área: IBGE de 7 dígitos para municípios; o da Secretaria para AIS, AISP e áreas de intervenção.",
    ),
    ("Nome do território", "Nome da área."),
    ("Tipo", "Município, AIS, AISP, AISE ou área de intervenção."),
    (
        "Código do território-mãe",
        "Código da área que contém esta (vazio quando não há).",
    ),
    (
        "Início do período",
        "Primeiro dia dos 12 meses contados (DD/MM/AAAA).",
    ),
    (
        "Fim do período",
        "Último dia dos 12 meses contados (DD/MM/AAAA).",
    ),
    (
        "Grupo de crimes",
        "Grupo de crimes da linha, ou Total (todos os grupos).",
    ),
    (
        "Ocorrências",
        "Ocorrências registradas no período; vazio quando suprimido.",
    ),
    (
        "Taxa por 100 mil habitantes",
        "Ocorrências por 100 mil habitantes, com duas casas decimais; vazio quando suprimido ou sem população.",
    ),
    (
        "Suprimido",
        "sim quando a contagem é pequena (ou a deixaria deduzir por subtração) e não é publicada.",
    ),
    (
        "Sintético",
        "sim para dados de demonstração, que não são oficiais.",
    ),
];

/// `GET /transparencia/dados.csv`: the same numbers as open data, one row per area and crime group
/// and its total ([`DICTIONARY`]; a hidden count is empty with "Suprimido" = "sim").
pub async fn csv(State(st): State<AppState>) -> Result<Response, AppError> {
    let m = model(&st).await?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    w.write_record(DICTIONARY.map(|(name, _)| name))
        .map_err(fail)?;
    let mut groups: Vec<&str> = GROUPS.iter().map(|g| g.label_pt()).collect();
    groups.push("Total");
    let yes_no = |b: bool| if b { "sim" } else { "não" };
    let (from, to) = (
        m.from.format("%d/%m/%Y").to_string(),
        m.to.format("%d/%m/%Y").to_string(),
    );
    for r in &m.rows {
        for (c, g) in groups.iter().enumerate() {
            super::write_safe(
                &mut w,
                [
                    r.code.as_str(),
                    r.name.as_str(),
                    kind_label(r.kind),
                    r.parent.as_str(),
                    &from,
                    &to,
                    g,
                    &r.counts[c].map(|n| n.to_string()).unwrap_or_default(),
                    &r.rates[c]
                        .map(|x| atalaia_core::numbers::decimal(x, 2).replace('.', ""))
                        .unwrap_or_default(),
                    yes_no(r.counts[c].is_none()),
                    yes_no(r.synthetic),
                ],
            )
            .map_err(fail)?;
        }
    }
    super::csv_download(w, format!("atalaia-indicadores-{}.csv", m.end))
}
