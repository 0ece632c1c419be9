//! OGC API – Features, Part 1 (core and GeoJSON), read-only, at `/ogc`: what an analyst's GIS (QGIS,
//! ArcGIS Pro, GDAL) reads without a copy. Machine clients send an API key as `Authorization: Bearer`
//! (both QGIS and ArcGIS Pro send custom headers); a browser session works too. Errors answer in JSON
//! (`{"code", "description"}`) with the Portuguese reason.
//!
//! Collections: the territories of each kind in force (municipalities, AIS, AISP, AISE, intervention
//! areas), each with its indicators of the last twelve whole months as properties, and the hot-spot
//! cells of the analysis `/zonas-quentes` opens on for each intervention area (police roles only, in
//! the requester's scope; elsewhere the collection does not exist, a 404).
//!
//! Items take `bbox` (WGS84 lon/lat), `limit` (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]; more is
//! served as the maximum, as the standard allows), `offset` (the `next` link's paging) and `datetime`
//! (an instant `2026-05-01` or an interval `2026-01-01/2026-06-30`, `..` open). Without `datetime` a
//! territory collection holds the versions in force today — the map a GIS user expects — rather than
//! every version ever (Part 1 §7.15.4 leaves the default extent to the server).

use atalaia_core::access::Permission;
use atalaia_core::crime::CrimeGroup;
use atalaia_core::selection::GROUPS;
use atalaia_store::audit::AuditEvent;
use atalaia_store::territories::TerritoryVersion;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use crate::guard::{Ctx, Identity};
use crate::pages::{Fields, field};
use crate::scope::AreaScope;
use crate::twelve_months::{self, TwelveMonths};
use crate::{AppError, AppState};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The most items one page carries.
pub const MAX_LIMIT: usize = 1000;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const CONFORMANCE: [&str; 2] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// Where a collection's features come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Territories of this stored kind.
    Territories(&'static str),
    /// The hot-spot cells of every intervention area.
    Hotspots,
}

struct Collection {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    source: Source,
}

const COLLECTIONS: [Collection; 6] = [
    Collection {
        id: "municipios",
        title: "Municípios",
        description: "Municípios em vigor, com população e ocorrências dos últimos 12 meses inteiros.",
        source: Source::Territories("municipality"),
    },
    Collection {
        id: "ais",
        title: "AIS",
        description: "Áreas Integradas de Segurança, com população e ocorrências dos últimos 12 meses inteiros.",
        source: Source::Territories("ais"),
    },
    Collection {
        id: "aisp",
        title: "AISP",
        description: "Áreas Integradas de Segurança Pública, com população e ocorrências dos últimos 12 meses inteiros.",
        source: Source::Territories("aisp"),
    },
    Collection {
        id: "aise",
        title: "AISE",
        description: "Áreas Integradas de Segurança Especializadas, com população e ocorrências dos últimos 12 meses inteiros.",
        source: Source::Territories("aise"),
    },
    Collection {
        id: "areas-de-intervencao",
        title: "Áreas de intervenção",
        description: "Áreas de intervenção do Igesp, com população e ocorrências dos últimos 12 meses inteiros.",
        source: Source::Territories("intervention"),
    },
    Collection {
        id: "zonas-quentes",
        title: "Zonas quentes das áreas de intervenção",
        description: "Células do Gi* de cada área de intervenção nos últimos 12 meses inteiros, todos os crimes (a análise que a página Zonas quentes abre).",
        source: Source::Hotspots,
    },
];

/// The property name of each crime group's count.
fn group_key(g: CrimeGroup) -> &'static str {
    match g {
        CrimeGroup::ViolentLethal => "cvli",
        CrimeGroup::ViolentOther => "outros_violentos",
        CrimeGroup::Robbery => "roubos",
        CrimeGroup::Theft => "furtos",
        CrimeGroup::DrugsWeapons => "drogas_e_armas",
        CrimeGroup::Other => "outros_crimes",
    }
}

/// An OGC exception: `{"code", "description"}` with the status.
fn exception(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"code": code, "description": description})),
    )
        .into_response()
}

/// A handler's failure as the API answers it: what the client can mend in JSON, a server failure as
/// every other (logged, with the request's code).
fn answer(result: Result<Response, AppError>) -> Response {
    match result {
        Ok(r) => r,
        Err(AppError::NotFound(what)) => exception(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("não encontrado: {what}"),
        ),
        Err(AppError::BadRequest(why)) => {
            exception(StatusCode::BAD_REQUEST, "InvalidParameterValue", &why)
        }
        Err(e) => e.into_response(),
    }
}

fn json(value: serde_json::Value, media: &'static str) -> Response {
    ([(header::CONTENT_TYPE, media)], value.to_string()).into_response()
}

/// `f=json` is the only encoding; anything else is refused by name.
fn check_format(f: &Fields) -> Result<(), AppError> {
    match field(f, "f") {
        None | Some("json") | Some("geojson") => Ok(()),
        Some(other) => Err(AppError::BadRequest(format!(
            "formato `{other}` indisponível: esperado json"
        ))),
    }
}

/// The address clients reached this server by, for the links (`http://host:port/ogc`).
fn base(st: &AppState, headers: &HeaderMap) -> String {
    format!("{}/ogc", crate::pages::origin(st, headers))
}

fn link(href: String, rel: &str, media: &str, title: &str) -> serde_json::Value {
    serde_json::json!({"href": href, "rel": rel, "type": media, "title": title})
}

/// The collections `id` may read.
fn visible(id: &Identity) -> impl Iterator<Item = &'static Collection> + '_ {
    COLLECTIONS
        .iter()
        .filter(|c| c.source != Source::Hotspots || id.may(Permission::ViewOccurrences))
}

fn collection_of(id: &Identity, name: &str) -> Result<&'static Collection, AppError> {
    visible(id)
        .find(|c| c.id == name)
        .ok_or_else(|| AppError::NotFound(format!("a coleção `{name}`")))
}

/// `GET /ogc`: the landing page.
pub async fn landing(
    Ctx { st, id: _ }: Ctx,
    headers: HeaderMap,
    Query(f): Query<Fields>,
) -> Response {
    answer(check_format(&f).map(|()| {
        let b = base(&st, &headers);
        json(
            serde_json::json!({
                "title": "Atalaia — OGC API – Features",
                "description": "Territórios com seus indicadores e zonas quentes das áreas de intervenção, para SIG (QGIS, ArcGIS, GDAL).",
                "links": [
                    link(b.clone(), "self", "application/json", "esta página"),
                    link(format!("{b}/conformance"), "conformance", "application/json", "classes de conformidade"),
                    link(format!("{b}/collections"), "data", "application/json", "coleções"),
                ],
            }),
            "application/json",
        )
    }))
}

/// `GET /ogc/conformance`.
pub async fn conformance(Query(f): Query<Fields>) -> Response {
    answer(check_format(&f).map(|()| {
        json(
            serde_json::json!({"conformsTo": CONFORMANCE}),
            "application/json",
        )
    }))
}

/// A collection's description, its extent from the features in force today.
async fn describe(st: &AppState, b: &str, c: &Collection) -> Result<serde_json::Value, AppError> {
    let kind = match c.source {
        Source::Territories(k) => k,
        Source::Hotspots => "intervention",
    };
    let today = st.config.clock.today();
    let territories = st.territories().await?;
    let boxes = territories
        .iter()
        .filter(|t| t.kind == kind && t.valid_on(today))
        .filter_map(|t| t.bbox);
    let bbox = boxes.fold(None, |acc: Option<[f64; 4]>, b| {
        Some(match acc {
            None => b,
            Some(a) => [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ],
        })
    });
    let items = format!("{b}/collections/{}/items", c.id);
    Ok(serde_json::json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {
            "spatial": {"bbox": [bbox.unwrap_or([-180.0, -90.0, 180.0, 90.0])], "crs": CRS84},
        },
        "links": [
            link(items, "items", "application/geo+json", c.title),
            link(format!("{b}/collections/{}", c.id), "self", "application/json", c.title),
        ],
    }))
}

/// `GET /ogc/collections`.
pub async fn collections(
    Ctx { st, id }: Ctx,
    headers: HeaderMap,
    Query(f): Query<Fields>,
) -> Response {
    answer(
        async {
            check_format(&f)?;
            let b = base(&st, &headers);
            let mut list = Vec::new();
            for c in visible(&id) {
                list.push(describe(&st, &b, c).await?);
            }
            Ok(json(
                serde_json::json!({
                    "links": [link(format!("{b}/collections"), "self", "application/json", "coleções")],
                    "collections": list,
                }),
                "application/json",
            ))
        }
        .await,
    )
}

/// `GET /ogc/collections/{id}`.
pub async fn collection(
    Ctx { st, id }: Ctx,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(f): Query<Fields>,
) -> Response {
    answer(
        async {
            check_format(&f)?;
            let c = collection_of(&id, &name)?;
            Ok(json(
                describe(&st, &base(&st, &headers), c).await?,
                "application/json",
            ))
        }
        .await,
    )
}

/// A page of items: `bbox`, `datetime`, `limit` and `offset`, each checked before anything is read.
#[derive(Debug)]
struct ItemsQuery {
    bbox: Option<[f64; 4]>,
    /// Inclusive days; `None` on a side for `..`.
    datetime: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    limit: usize,
    offset: usize,
}

fn parse_day(text: &str) -> Result<Option<NaiveDate>, AppError> {
    if text.is_empty() || text == ".." {
        return Ok(None);
    }
    // An RFC 3339 date-time counts by its day.
    let day = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            AppError::BadRequest(format!(
                "datetime `{text}` inválido: esperado AAAA-MM-DD, um intervalo AAAA-MM-DD/AAAA-MM-DD ou .. num dos lados"
            ))
        })
}

impl ItemsQuery {
    fn parse(f: &Fields) -> Result<ItemsQuery, AppError> {
        check_format(f)?;
        let bbox = match field(f, "bbox") {
            None => None,
            Some(text) => {
                let v: Vec<f64> = text
                    .split(',')
                    .map(|x| x.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .ok()
                    .filter(|v: &Vec<f64>| {
                        v.len() == 4
                            && v.iter().all(|x| x.is_finite())
                            && v[0] <= v[2]
                            && v[1] <= v[3]
                    })
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "bbox `{text}` inválido: esperado lon_mín,lat_mín,lon_máx,lat_máx em graus (WGS84)"
                        ))
                    })?;
                Some([v[0], v[1], v[2], v[3]])
            }
        };
        let datetime = match field(f, "datetime") {
            None => None,
            Some(text) => Some(match text.split_once('/') {
                Some((a, b)) => (parse_day(a)?, parse_day(b)?),
                None => {
                    let d = parse_day(text)?;
                    (d, d)
                }
            }),
        };
        let number = |name: &str, min: usize| -> Result<Option<usize>, AppError> {
            field(f, name)
                .map(|v| {
                    v.parse::<usize>().ok().filter(|n| *n >= min).ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "{name} `{v}` inválido: esperado um número inteiro a partir de {min}"
                        ))
                    })
                })
                .transpose()
        };
        Ok(ItemsQuery {
            bbox,
            datetime,
            limit: number("limit", 1)?.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
            offset: number("offset", 0)?.unwrap_or(0),
        })
    }

    fn meets(&self, bbox: Option<[f64; 4]>) -> bool {
        match (self.bbox, bbox) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(q), Some(b)) => b[0] <= q[2] && q[0] <= b[2] && b[1] <= q[3] && q[1] <= b[3],
        }
    }

    /// Whether `[from, to]` (inclusive, `to` open when `None`) meets the asked time; without one,
    /// whether it holds `today`.
    fn during(&self, from: NaiveDate, to: Option<NaiveDate>, today: NaiveDate) -> bool {
        let (a, b) = self.datetime.unwrap_or((Some(today), Some(today)));
        a.is_none_or(|a| to.is_none_or(|to| a <= to)) && b.is_none_or(|b| from <= b)
    }
}

/// A territory version as a feature, its geometry left for [`attach_geometries`] (the list of versions
/// is read without outlines; a page's are read at once).
fn territory_feature(t: &TerritoryVersion, ind: Option<&TwelveMonths>) -> serde_json::Value {
    let geometry = serde_json::Value::Null;
    let mut p = serde_json::json!({
        "codigo": t.code,
        "nome": t.name,
        "tipo": t.kind.parse::<atalaia_core::TerritoryKind>().map_or_else(|_| t.kind.clone(), |k| k.label_pt().to_string()),
        "territorio_pai": t.parent_code,
        "vigencia_inicio": t.valid_from,
        "vigencia_fim": t.valid_to,
        "sintetico": t.synthetic,
        "periodo_inicio": ind.map(|i| i.from),
        "periodo_fim": ind.map(|i| i.to),
    });
    let population = ind.and_then(|i| i.populations.get(&t.code).copied());
    p["populacao"] = population.map(|(_, n)| n).into();
    p["ano_populacao"] = population.map(|(y, _)| y).into();
    let row = ind.and_then(|i| i.counts.get(&t.code));
    let count = |i: usize| row.map_or(0, |r| r[i]);
    for (i, g) in GROUPS.iter().enumerate() {
        p[group_key(*g)] = count(i).into();
    }
    let total = count(GROUPS.len());
    p["ocorrencias_12_meses"] = total.into();
    p["taxa_100_mil_12_meses"] = population
        .filter(|(_, n)| *n > 0)
        .map(|(_, n)| ((total as f64 * 100_000.0 / n as f64) * 100.0).round() / 100.0)
        .into();
    serde_json::json!({"type": "Feature", "id": t.id, "geometry": geometry, "properties": p})
}

/// Fills the geometry of the territory features in `page` from the store.
async fn attach_geometries(st: &AppState, page: &mut [serde_json::Value]) -> Result<(), AppError> {
    let ids: Vec<i64> = page.iter().filter_map(|x| x["id"].as_i64()).collect();
    let mut outlines = st.db.geometries(&ids).await?;
    for x in page.iter_mut() {
        if let Some(g) = x["id"].as_i64().and_then(|i| outlines.remove(&i)) {
            x["geometry"] = serde_json::from_str(&g).unwrap_or(serde_json::Value::Null);
        }
    }
    Ok(())
}

async fn territory_features(
    st: &AppState,
    kind: &str,
    q: &ItemsQuery,
) -> Result<Vec<serde_json::Value>, AppError> {
    let today = st.config.clock.today();
    let ind = twelve_months::of(st).await?;
    let mut list: Vec<&TerritoryVersion> = Vec::new();
    let territories = st.territories().await?;
    for t in territories.iter() {
        if t.kind == kind && q.during(t.valid_from, t.valid_to, today) && q.meets(t.bbox) {
            list.push(t);
        }
    }
    list.sort_by(|a, b| a.code.cmp(&b.code).then(a.valid_from.cmp(&b.valid_from)));
    Ok(list
        .into_iter()
        .map(|t| territory_feature(t, ind.as_ref().as_ref()))
        .collect())
}

/// The cells of the default analysis of every intervention area in the requester's scope that meets
/// the box, as features (`area:cell` ids). Reading them is recorded like a download of the cells.
async fn hotspot_features(
    st: &AppState,
    id: &Identity,
    q: &ItemsQuery,
) -> Result<Vec<serde_json::Value>, AppError> {
    use atalaia_spatial::hotspot::class_pt;
    let today = st.config.clock.today();
    let scope = AreaScope::of(st, id, Permission::ViewOccurrences, today).await?;
    let territories = st.territories().await?;
    let mut areas: Vec<&TerritoryVersion> = territories
        .iter()
        .filter(|t| t.kind == "intervention" && t.valid_on(today) && scope.covers(&t.code))
        .filter(|t| q.meets(t.bbox))
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let mut out = Vec::new();
    let mut read = Vec::new();
    for area in areas {
        // An area the analysis cannot run on (no outline, no occurrences) has no cells.
        let Ok(run) = crate::pages::igesp::hotspots::default_analysis(st, &area.code).await? else {
            continue;
        };
        let (Some(first), Some(last)) = (run.months.first(), run.months.last()) else {
            continue;
        };
        // Without `datetime` the latest analysis is the layer, though its months are past.
        if q.datetime.is_some() && !q.during(first.first_day(), Some(last.last_day()), today) {
            continue;
        }
        read.push(area.code.clone());
        for c in &run.analysis.cells {
            let ring: Vec<[f64; 2]> = c.ring.iter().map(|&(x, y)| [x, y]).collect();
            let (lon, lat) = ring
                .iter()
                .fold((f64::MAX, f64::MAX), |m, p| (m.0.min(p[0]), m.1.min(p[1])));
            let (lon2, lat2) = ring
                .iter()
                .fold((f64::MIN, f64::MIN), |m, p| (m.0.max(p[0]), m.1.max(p[1])));
            if !q.meets(Some([lon, lat, lon2, lat2])) {
                continue;
            }
            out.push(serde_json::json!({
                "type": "Feature",
                "id": format!("{}:{}", area.code, c.id),
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "area": area.code,
                    "nome_da_area": area.name,
                    "celula": c.id,
                    "periodo_inicio": first.first_day(),
                    "periodo_fim": last.last_day(),
                    "ocorrencias": c.count,
                    "z": c.z,
                    "p": c.p,
                    "p_ajustado": c.p_fdr,
                    "classe": class_pt(c.class),
                    "tendencia": c.emerging.map(|e| e.label_pt()),
                    "densidade_km2": (c.density * 10_000.0).round() / 10_000.0,
                },
            }));
        }
    }
    st.primary
        .audit(
            &AuditEvent::new(id.actor(), "igesp.hotspot_cells_downloaded")
                .details(serde_json::json!({"format": "ogc", "areas": read}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(out)
}

async fn features(
    st: &AppState,
    id: &Identity,
    c: &Collection,
    q: &ItemsQuery,
) -> Result<Vec<serde_json::Value>, AppError> {
    match c.source {
        Source::Territories(kind) => territory_features(st, kind, q).await,
        Source::Hotspots => hotspot_features(st, id, q).await,
    }
}

/// `GET /ogc/collections/{id}/items`: a page of features, with `next` while there are more.
pub async fn items(
    Ctx { st, id }: Ctx,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(f): Query<Fields>,
) -> Response {
    answer(
        async {
            let c = collection_of(&id, &name)?;
            let q = ItemsQuery::parse(&f)?;
            let all = features(&st, &id, c, &q).await?;
            let matched = all.len();
            let mut page: Vec<serde_json::Value> =
                all.into_iter().skip(q.offset).take(q.limit).collect();
            if matches!(c.source, Source::Territories(_)) {
                attach_geometries(&st, &mut page).await?;
            }
            let returned = page.len();
            let items = format!("{}/collections/{}/items", base(&st, &headers), c.id);
            // The same query with another offset: every other parameter kept as sent.
            let with_offset = |offset: usize| {
                let mut pairs: Vec<(String, String)> = f
                    .iter()
                    .filter(|(k, _)| k != "offset" && k != "limit")
                    .cloned()
                    .collect();
                pairs.push(("limit".into(), q.limit.to_string()));
                pairs.push(("offset".into(), offset.to_string()));
                format!(
                    "{items}?{}",
                    serde_urlencoded::to_string(&pairs).unwrap_or_default()
                )
            };
            let mut links = vec![link(
                with_offset(q.offset),
                "self",
                "application/geo+json",
                "esta página",
            )];
            if q.offset + returned < matched {
                links.push(link(
                    with_offset(q.offset + returned),
                    "next",
                    "application/geo+json",
                    "próxima página",
                ));
            }
            Ok(json(
                serde_json::json!({
                    "type": "FeatureCollection",
                    "features": page,
                    "numberMatched": matched,
                    "numberReturned": returned,
                    "timeStamp": st.config.clock.now_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "links": links,
                }),
                "application/geo+json",
            ))
        }
        .await,
    )
}

/// `GET /ogc/collections/{id}/items/{featureId}`: one feature, whatever the day it was in force.
pub async fn item(
    Ctx { st, id }: Ctx,
    Path((name, fid)): Path<(String, String)>,
    Query(f): Query<Fields>,
) -> Response {
    answer(
        async {
            check_format(&f)?;
            let c = collection_of(&id, &name)?;
            let not_found = || AppError::NotFound(format!("o item `{fid}` de `{name}`"));
            let feature = match c.source {
                Source::Territories(kind) => {
                    let wanted: i64 = fid.parse().map_err(|_| not_found())?;
                    let territories = st.territories().await?;
                    let t = territories
                        .iter()
                        .find(|t| t.id == wanted && t.kind == kind)
                        .ok_or_else(not_found)?;
                    let mut one = [territory_feature(
                        t,
                        twelve_months::of(&st).await?.as_ref().as_ref(),
                    )];
                    attach_geometries(&st, &mut one).await?;
                    let [feature] = one;
                    feature
                }
                Source::Hotspots => {
                    let q = ItemsQuery::parse(&Fields::new())?;
                    features(&st, &id, c, &q)
                        .await?
                        .into_iter()
                        .find(|x| x["id"] == fid.as_str())
                        .ok_or_else(not_found)?
                }
            };
            Ok(json(feature, "application/geo+json"))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<ItemsQuery, AppError> {
        let f: Fields = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ItemsQuery::parse(&f)
    }

    #[test]
    fn limits_are_bounded_and_bad_values_named() {
        assert_eq!(query(&[]).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(query(&[("limit", "5000000000")]).unwrap().limit, MAX_LIMIT);
        let e = query(&[("limit", "0")]).unwrap_err().to_string();
        assert!(e.contains("limit `0` inválido"), "{e}");
        let e = query(&[("bbox", "-50,-17,-49")]).unwrap_err().to_string();
        assert!(e.contains("bbox `-50,-17,-49` inválido"), "{e}");
        let e = query(&[("bbox", "-49,-17,-50,-16")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("inválido"), "{e}");
        let e = query(&[("datetime", "ontem")]).unwrap_err().to_string();
        assert!(e.contains("datetime `ontem` inválido"), "{e}");
        let e = query(&[("f", "html")]).unwrap_err().to_string();
        assert!(e.contains("formato `html` indisponível"), "{e}");
    }

    #[test]
    fn boxes_and_times_meet_as_intervals() {
        let q = query(&[("bbox", "-49.5,-17,-49,-16.5")]).unwrap();
        assert!(q.meets(Some([-49.3, -16.8, -49.1, -16.6])));
        assert!(
            q.meets(Some([-50.0, -18.0, -49.5, -17.0])),
            "touching edges meet"
        );
        assert!(!q.meets(Some([-48.9, -16.8, -48.5, -16.6])));
        assert!(!q.meets(None));
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-11-20");
        let plain = query(&[]).unwrap();
        assert!(plain.during(d("2020-01-01"), None, today));
        assert!(!plain.during(d("2020-01-01"), Some(d("2025-12-31")), today));
        let open = query(&[("datetime", "../2025-06-30")]).unwrap();
        assert!(open.during(d("2020-01-01"), Some(d("2025-12-31")), today));
        assert!(!open.during(d("2025-07-01"), None, today));
        let instant = query(&[("datetime", "2025-12-31T12:00:00Z")]).unwrap();
        assert!(instant.during(d("2020-01-01"), Some(d("2025-12-31")), today));
        assert!(!instant.during(d("2026-01-01"), None, today));
    }
}
