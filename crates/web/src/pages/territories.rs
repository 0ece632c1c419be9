//! Territories: the list of areas with a Leaflet map drawn from our own GeoJSON (no tile service
//! needed; a tile URL may be configured), and each territory's page with its versions, population
//! series and monthly occurrences.

use askama::Template;
use atalaia_core::Month;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::export::{self, Format, Table};
use super::{Chrome, render, thousands};
use crate::guard::Ctx;
use crate::pages::home::validity;
use crate::{AppError, AppState};

/// Kinds shown on the map and in the list unless asked otherwise: the program's areas.
const AREA_KINDS: [&str; 4] = ["aisp", "ais", "aise", "intervention"];

/// Filter by kinds (`?tipos=aisp,municipality`).
#[derive(Debug, Deserialize, Default)]
pub struct KindsQuery {
    tipos: Option<String>,
    /// The download's format (`csv`, `xlsx`) on `/territorios/exportar`.
    formato: Option<String>,
}

impl KindsQuery {
    fn kinds(&self) -> Vec<String> {
        match self
            .tipos
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(t) => t
                .split(',')
                .map(|k| k.trim().to_lowercase())
                .filter(|k| !k.is_empty())
                .take(10)
                .collect(),
            None => AREA_KINDS.iter().map(|k| k.to_string()).collect(),
        }
    }
}

struct Row {
    code: String,
    name: String,
    kind: String,
    validity: String,
    population: String,
    synthetic: bool,
}

#[derive(Template)]
#[template(path = "territories.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    kinds: String,
    map_url: String,
    tile_url: String,
    show_municipalities: bool,
    /// `/territorios/exportar?tipos=…&`, the format appended by the template.
    export_href: String,
}

/// The territories of `kinds` in force or not, in name order, with this year's population.
async fn rows(st: &AppState, kinds: &[String]) -> Result<Vec<Row>, AppError> {
    let year = st.config.clock.today().year();
    let mut rows = Vec::new();
    for t in st.territories().await?.iter().cloned() {
        if !kinds.contains(&t.kind) {
            continue;
        }
        let pop = st.db.population_for(&t.code, year).await?;
        rows.push(Row {
            validity: validity(t.valid_from, t.valid_to),
            population: pop
                .map(|(y, p)| format!("{} ({y})", thousands(p.max(0) as u64)))
                .unwrap_or_else(|| "—".into()),
            code: t.code,
            name: t.name,
            kind: kind_label(&t.kind),
            synthetic: t.synthetic,
        });
    }
    atalaia_core::text::sort_pt(&mut rows, |r| &r.name);
    Ok(rows)
}

/// `GET /territorios`.
pub async fn list(Ctx { st, id }: Ctx, Query(q): Query<KindsQuery>) -> Result<Response, AppError> {
    let kinds = q.kinds();
    let rows = rows(&st, &kinds).await?;
    let joined = kinds.join(",");
    render(&ListPage {
        chrome: Chrome::new(&st, &id, "Territórios", "/territorios").await,
        rows,
        map_url: format!(
            "/territorios/mapa.geojson?tipos={}",
            crate::guard::percent_encode(&joined)
        ),
        show_municipalities: kinds.iter().any(|k| k == "municipality"),
        kinds: kinds
            .iter()
            .map(|k| {
                k.parse::<atalaia_core::TerritoryKind>()
                    .map_or_else(|_| k.clone(), |k| k.plural_pt().to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        tile_url: st.config.tile_url.clone().unwrap_or_default(),
        export_href: format!(
            "/territorios/exportar?tipos={}&",
            crate::guard::percent_encode(&joined)
        ),
    })
}

/// `GET /territorios/exportar?formato=csv|xlsx&tipos=…`: the list's rows and columns.
pub async fn export(
    State(st): State<AppState>,
    Query(q): Query<KindsQuery>,
) -> Result<Response, AppError> {
    let format = Format::parse(q.formato.as_deref())?;
    let rows = rows(&st, &q.kinds())
        .await?
        .into_iter()
        .map(|r| {
            let name = export::marked_name(r.name, r.synthetic);
            vec![
                r.code.into(),
                name.into(),
                r.kind.into(),
                r.validity.into(),
                r.population.into(),
            ]
        })
        .collect();
    let table = Table {
        name: "territorios".into(),
        sheet: "Territórios",
        header: vec!["Código", "Nome", "Tipo", "Vigência", "População"],
        rows,
    };
    export::send(table, format).await
}

/// The map layer: a GeoJSON FeatureCollection of the versions in force today.
#[derive(Debug, Deserialize, Default)]
pub struct MapQuery {
    tipos: Option<String>,
    codigo: Option<String>,
}

/// `GET /territorios/mapa.geojson?tipos=aisp,ais` or `?codigo=AISP1`.
pub async fn geojson(
    State(st): State<AppState>,
    Query(q): Query<MapQuery>,
) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let versions = match q.codigo.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => st
            .db
            .territory(code)
            .await?
            .into_iter()
            .filter(|v| v.valid_on(today))
            .collect(),
        None => {
            let kinds = KindsQuery {
                tipos: q.tipos,
                formato: None,
            }
            .kinds();
            let refs: Vec<&str> = kinds.iter().map(String::as_str).collect();
            st.db.territories_on(&refs, today).await?
        }
    };
    let features: Vec<serde_json::Value> = versions
        .into_iter()
        .filter_map(|v| {
            let geometry: serde_json::Value = serde_json::from_str(v.geometry.as_deref()?).ok()?;
            Some(serde_json::json!({
                "type": "Feature",
                "properties": {"code": v.code, "name": v.name, "kind": v.kind, "synthetic": v.synthetic},
                "geometry": geometry,
            }))
        })
        .collect();
    let mut resp = Json(serde_json::json!({"type": "FeatureCollection", "features": features}))
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/geo+json"),
    );
    Ok(resp)
}

struct VersionRow {
    name: String,
    kind: String,
    validity: String,
    /// The area it belongs to, by name, and its code for the link (empty when none).
    parent: String,
    parent_code: String,
    synthetic: bool,
}

#[derive(Template)]
#[template(path = "territory.html")]
struct DetailPage {
    chrome: Chrome,
    code: String,
    versions: Vec<VersionRow>,
    has_geometry: bool,
    map_url: String,
    tile_url: String,
    population_labels: String,
    population_values: String,
    months_labels: String,
    months_values: String,
    population_rows: Vec<(i32, String)>,
    /// The link to evaluate an intervention area (igesp.md §6), for those who may.
    evaluate_url: Option<String>,
}

/// `GET /territorios/{code}`.
pub async fn detail(Ctx { st, id }: Ctx, Path(code): Path<String>) -> Result<Response, AppError> {
    let versions = st.db.territory(&code).await?;
    let Some(current) = versions.last() else {
        return Err(AppError::NotFound(format!("o território `{code}`")));
    };
    let title = format!("{} — {}", current.code, current.name);
    let has_geometry = versions.iter().any(|v| v.geometry.is_some());
    let pops = st.db.population_series(&code).await?;
    let today = st.config.clock.today();
    let end = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let start = end
        .checked_sub_months(chrono::Months::new(24))
        .unwrap_or(end);
    let window: Vec<Month> = std::iter::successors(Month::of(start).ok(), |m| m.succ())
        .take_while(|m| m.first_day() < end)
        .collect();
    let last_day = end.pred_opt().unwrap_or(end);
    let by_month = st
        .db
        .area_months(&code, start, last_day, &[], &window)
        .await?;
    let mut rows = Vec::new();
    for v in &versions {
        let parent_code = v.parent_code.clone().unwrap_or_default();
        let parent = match v.parent_code.as_deref() {
            Some(code) => match st.db.territory(code).await?.last() {
                Some(p) => p.name.clone(),
                None => code.to_string(),
            },
            None => String::new(),
        };
        rows.push(VersionRow {
            name: v.name.clone(),
            kind: kind_label(&v.kind),
            validity: validity(v.valid_from, v.valid_to),
            parent,
            parent_code,
            synthetic: v.synthetic,
        });
    }
    render(&DetailPage {
        chrome: Chrome::new(&st, &id, &title, "/territorios").await,
        versions: rows,
        has_geometry,
        map_url: format!(
            "/territorios/mapa.geojson?codigo={}",
            crate::guard::percent_encode(&code)
        ),
        tile_url: st.config.tile_url.clone().unwrap_or_default(),
        population_labels: json(&pops.iter().map(|(y, _)| y.to_string()).collect::<Vec<_>>()),
        population_values: json(&pops.iter().map(|(_, p)| *p).collect::<Vec<_>>()),
        months_labels: json(
            &by_month
                .keys()
                .map(|m| month_label(&m.to_string()))
                .collect::<Vec<_>>(),
        ),
        months_values: json(&by_month.values().copied().collect::<Vec<_>>()),
        population_rows: pops
            .iter()
            .map(|(y, p)| (*y, thousands((*p).max(0) as u64)))
            .collect(),
        evaluate_url: (current.kind == "intervention"
            && id.may(atalaia_core::access::Permission::Evaluate))
        .then(|| format!("/avaliacao?area={}", crate::guard::percent_encode(&code))),
        code,
    })
}

/// A stored territory kind as people read it ("Município", "AISP"; a word of the analyst's as it is).
fn kind_label(kind: &str) -> String {
    kind.parse::<atalaia_core::TerritoryKind>()
        .map(|k| k.label_pt().to_string())
        .unwrap_or_else(|_| kind.to_string())
}

/// `2024-03` → `mar/2024`.
pub(crate) fn month_label(ym: &str) -> String {
    const NAMES: [&str; 12] = [
        "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
    ];
    match ym.split_once('-') {
        Some((y, m)) => match m.parse::<usize>() {
            Ok(m) if (1..=12).contains(&m) => format!("{}/{y}", NAMES[m - 1]),
            _ => ym.to_string(),
        },
        None => ym.to_string(),
    }
}

/// JSON text for a data attribute read by our scripts.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
