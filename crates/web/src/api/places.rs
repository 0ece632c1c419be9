//! What the API says about places: a territory with its outline, an area's hot-spot analysis, the
//! municipality selection and the occurrences themselves. Each reuses its page's reading — the same
//! parameters, bounds, scope and audit — so a program sees what the requester would see on screen.

use axum::Json;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::api::jobs::answer;
use crate::guard::Ctx;
use crate::pages::Fields;
use atalaia_core::Month;

/// A territory version with its outline.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "TerritoryShape")]
pub struct TerritoryShape {
    #[serde(flatten)]
    pub territory: super::TerritoryOut,
    /// West, south, east, north (WGS84).
    pub bbox: Option<[f64; 4]>,
    /// A GeoJSON geometry (WGS84), or null for a territory without an outline.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub geometry: Option<serde_json::Value>,
}

/// `?date=AAAA-MM-DD`: the version in force that day.
#[derive(Debug, Deserialize)]
pub struct OnDate {
    date: Option<String>,
}

/// `GET /api/v1/territories/{code}?date=`: the version in force on `date` (default today) with its
/// outline; the latest version when none is in force that day.
pub async fn territory(
    Ctx { st, id: _ }: Ctx,
    Path(code): Path<String>,
    Query(q): Query<OnDate>,
) -> Response {
    answer(
        async {
            let day = match q.date.as_deref() {
                None | Some("") => st.config.clock.today(),
                Some(v) => atalaia_core::parse_date(v).map_err(|_| {
                    AppError::BadRequest(format!("date `{v}` inválida: esperado AAAA-MM-DD"))
                })?,
            };
            // Every version with its outline, oldest first.
            let versions = st.db.territory(&code).await?;
            let t = versions
                .iter()
                .find(|t| t.valid_on(day))
                .or(versions.last())
                .ok_or_else(|| AppError::NotFound(format!("o território `{code}`")))?;
            let geometry = match &t.geometry {
                Some(text) => Some(serde_json::from_str(text).map_err(|e| {
                    AppError::Internal(format!("contorno de `{code}` ilegível: {e}"))
                })?),
                None => None,
            };
            Ok(Json(TerritoryShape {
                territory: super::TerritoryOut::from(t),
                bbox: t.bbox,
                geometry,
            })
            .into_response())
        }
        .await,
    )
}

/// An area's hot-spot analysis.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Hotspots {
    pub area: String,
    pub name: String,
    pub months: Vec<Month>,
    /// The method in words (pt-BR): statistic, grid, neighbourhood, inference.
    pub method: String,
    /// The cell size used, metres.
    pub cell_m: f64,
    /// Geocoded occurrences of the period read.
    pub occurrences: usize,
    pub cells: Vec<HotspotCell>,
}

/// A cell of the grid and its statistics.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HotspotCell {
    pub id: String,
    /// Occurrences of the whole period.
    pub count: f64,
    pub z: f64,
    pub p: f64,
    /// Benjamini–Hochberg adjusted p.
    pub p_fdr: f64,
    /// `hot_99`, `hot_95`, `hot_90`, `none`, `cold_90`…
    pub class: &'static str,
    /// The emerging pattern over the months, when there are two or more.
    pub emerging: Option<String>,
    /// Kernel density at the centre, occurrences per km².
    pub density: f64,
    /// The outline: `[lon, lat]` pairs, closed.
    pub ring: Vec<[f64; 2]>,
}

/// `GET /api/v1/hotspots?area=…`: the analysis the hot-spot page shows for the same parameters
/// (`de`, `ate`, `crime`, `celula`, `forma`, `vizinhanca`, `distancia`, `inferencia`, `fdr`, `raio`),
/// with the same bounds; an area outside the requester's scope is a 404. Audited as a download.
pub async fn hotspots(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Response {
    answer(
        async {
            let run = crate::pages::igesp::hotspots::run_of(&st, &id, &f, Some("api")).await?;
            let a = &run.analysis;
            Ok(Json(Hotspots {
                area: run.territory.code.clone(),
                name: run.territory.name.clone(),
                months: run.months.clone(),
                method: a.method_pt(),
                cell_m: a.cell,
                occurrences: run.occurrences,
                cells: a
                    .cells
                    .iter()
                    .map(|c| HotspotCell {
                        id: c.id.clone(),
                        count: c.count,
                        z: c.z,
                        p: c.p,
                        p_fdr: c.p_fdr,
                        class: c.class.as_str(),
                        emerging: c.emerging.map(|e| e.code()),
                        density: c.density,
                        ring: c.ring.iter().map(|&(x, y)| [x, y]).collect(),
                    })
                    .collect(),
            })
            .into_response())
        }
        .await,
    )
}

/// The municipality selection table.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Selection {
    /// The table's last month.
    pub end: Month,
    pub weights: atalaia_core::selection::Weights,
    /// Ranked first, then those that could not be ranked (with the reason).
    pub rows: Vec<atalaia_core::selection::Row>,
}

/// `GET /api/v1/selection?ate=AAAA-MM&peso_…=`: the selection page's table for the same month and
/// weights, the municipalities within the requester's scope.
pub async fn selection(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Response {
    answer(
        async {
            let (choice, rows) = crate::pages::igesp::selection::ranked(&st, &id, &f).await?;
            Ok(Json(Selection {
                end: choice.end,
                weights: choice.weights,
                rows,
            })
            .into_response())
        }
        .await,
    )
}

/// A page of a list read by cursor: pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

/// The most occurrences one call returns.
pub const OCCURRENCES_MAX: i64 = 1000;

/// `GET /api/v1/occurrences?de=&ate=&crime=&area=&limit=&cursor=`: the occurrences the explorer lists
/// for the same filters and scope, newest first, `limit` (≤ 1000) at a time. Audited as a view.
pub async fn occurrences(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Response {
    answer(
        async {
            let number = |name: &str| -> Result<Option<i64>, AppError> {
                match crate::pages::field(&f, name) {
                    None => Ok(None),
                    Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                        AppError::BadRequest(format!("{name} `{v}` inválido: esperado um número"))
                    }),
                }
            };
            let limit = number("limit")?.unwrap_or(100);
            if !(1..=OCCURRENCES_MAX).contains(&limit) {
                return Err(AppError::BadRequest(format!(
                    "limit `{limit}` inválido: esperado de 1 a {OCCURRENCES_MAX}"
                )));
            }
            let page =
                crate::pages::occurrences::api_page(&st, &id, &f, number("cursor")?, limit).await?;
            let next_cursor = (page.len() as i64 == limit)
                .then(|| page.last().map(|r| r.id.to_string()))
                .flatten();
            Ok(Json(Page {
                items: page,
                next_cursor,
            })
            .into_response())
        }
        .await,
    )
}
