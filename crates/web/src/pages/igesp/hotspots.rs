//! Hot spots ("zonas quentes", igesp.md §3): the map of an area's Gi* classes, its KDE surface and the
//! emerging classes month by month, the method named on the map; the cells' data as GeoJSON and CSV; and
//! "create intervention area" — chosen cells merged into a new area of kind `intervention`, imported
//! through the territories importer (so occurrences are re-assigned and every indicator works on it) and
//! audited.
//!
//! The analysis itself is `atalaia_store::Db::hotspots`, the same one `atalaia hotspots area` runs.

use crate::done::{self, Done};
use askama::Template;
use atalaia_core::Month;
use atalaia_core::access::Permission;
use atalaia_core::ids::TerritoryCode;
use atalaia_core::numbers::decimal;
use atalaia_ingest::Kind;
use atalaia_spatial::emerging::Emerging;
use atalaia_spatial::gistar::HotClass;
use atalaia_spatial::hotspot::{Contiguity, Inference, Params, Shape, class_pt, merge_cells};
use atalaia_store::audit::AuditEvent;
use atalaia_store::hotspots::{HotspotError, HotspotQuery, HotspotRun};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use chrono::NaiveDate;

use crate::guard::{Ctx, Identity};
use crate::pages::{Chrome, Fields, FormOption, OptionGroup, area_groups, download, field, render};
use crate::scope::AreaScope;
use crate::{AppError, AppState};

/// Kinds of areas offered for an analysis.
const KINDS: [&str; 5] = ["municipality", "aisp", "ais", "aise", "intervention"];

fn metres(f: &Fields, name: &str, label: &str) -> Result<Option<f64>, String> {
    match field(f, name) {
        None => Ok(None),
        Some(v) => match v.replace(',', ".").parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
            _ => Err(format!(
                "{label} `{v}` inválido: esperado um número de metros maior que zero"
            )),
        },
    }
}

/// The choices of the form, with their defaults: the last twelve whole months, every crime, the
/// default cell size, squares, queen contiguity, analytic p with FDR.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    area: String,
    from: Month,
    to: Month,
    crimes: Vec<String>,
    params: Params,
}

impl Choice {
    fn parse(f: &Fields, area: String, today: NaiveDate) -> Result<Choice, String> {
        let month = |name: &str, label: &str| -> Result<Option<Month>, String> {
            field(f, name)
                .map(|v| Month::parse(v).map_err(|e| format!("{label} `{v}` inválido: {e}")))
                .transpose()
        };
        let last = Month::of(today)
            .ok()
            .and_then(Month::pred)
            .ok_or("data fora do intervalo aceito")?;
        let to = month("ate", "mês final")?.unwrap_or(last);
        let from = match month("de", "mês inicial")? {
            Some(m) => m,
            None => {
                let mut m = to;
                for _ in 0..11 {
                    m = m.pred().unwrap_or(m);
                }
                m
            }
        };
        let shape = match field(f, "forma") {
            None | Some("quadrado") => Shape::Square,
            Some("hexagono") => Shape::Hexagon,
            Some(v) => {
                return Err(format!(
                    "forma `{v}` inválida: esperado quadrado ou hexagono"
                ));
            }
        };
        let contiguity = match field(f, "vizinhanca") {
            None | Some("rainha") => Contiguity::Queen,
            Some("distancia") => Contiguity::Band(
                metres(f, "distancia", "distância")?
                    .ok_or("informe a distância da vizinhança, em metros")?,
            ),
            Some(v) => {
                return Err(format!(
                    "vizinhança `{v}` inválida: esperado rainha ou distancia"
                ));
            }
        };
        let inference = match field(f, "inferencia") {
            None | Some("analitica") => Inference::Analytic,
            Some("permutacao") => Inference::Permutation {
                permutations: 999,
                seed: 12345,
            },
            Some(v) => {
                return Err(format!(
                    "inferência `{v}` inválida: esperado analitica ou permutacao"
                ));
            }
        };
        let fdr = match field(f, "fdr") {
            None | Some("sim") => true,
            Some("nao") => false,
            Some(v) => return Err(format!("fdr `{v}` inválido: esperado sim ou nao")),
        };
        let crimes = crate::pages::field_set(f, "crime");
        let params = Params {
            shape,
            cell: metres(f, "celula", "tamanho da célula")?,
            contiguity,
            inference,
            fdr,
            bandwidth: metres(f, "raio", "raio da densidade")?,
        };
        // The sizes' ranges, before anything is read: the rest of the bounds need the area's extent.
        atalaia_spatial::budget::check_params(&params).map_err(|e| e.to_string())?;
        Ok(Choice {
            area,
            from,
            to,
            crimes,
            params,
        })
    }

    fn query(&self) -> HotspotQuery {
        HotspotQuery {
            area: self.area.clone(),
            from: self.from,
            to: self.to,
            crimes: self.crimes.clone(),
            params: self.params,
        }
    }

    /// The choice as a query string (for the map's data, the CSV and links).
    fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("area", self.area.clone()),
            ("de", self.from.to_string()),
            ("ate", self.to.to_string()),
        ];
        for c in &self.crimes {
            pairs.push(("crime", c.clone()));
        }
        if let Some(c) = self.params.cell {
            pairs.push(("celula", c.to_string()));
        }
        if self.params.shape == Shape::Hexagon {
            pairs.push(("forma", "hexagono".into()));
        }
        if let Contiguity::Band(d) = self.params.contiguity {
            pairs.push(("vizinhanca", "distancia".into()));
            pairs.push(("distancia", d.to_string()));
        }
        if let Inference::Permutation { .. } = self.params.inference {
            pairs.push(("inferencia", "permutacao".into()));
        }
        if !self.params.fdr {
            pairs.push(("fdr", "nao".into()));
        }
        if let Some(b) = self.params.bandwidth {
            pairs.push(("raio", b.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// The parameters of the hot-spot form (for the fuzz target: `crate::fuzzing`).
pub(crate) fn parse_form(f: &Fields, today: NaiveDate) -> Result<Params, String> {
    Choice::parse(f, String::new(), today).map(|c| c.params)
}

/// The areas that can be analysed on `today`: of `kinds`, in force, with a polygon, within `scope`
/// (from the cached territory list: no geometry is read to list them).
async fn mapped_areas(
    st: &AppState,
    kinds: &[&str],
    today: NaiveDate,
    scope: &AreaScope,
) -> Result<Vec<atalaia_store::territories::TerritoryVersion>, AppError> {
    Ok(st
        .territories()
        .await?
        .iter()
        .filter(|t| kinds.contains(&t.kind.as_str()) && t.valid_on(today) && t.bbox.is_some())
        .filter(|t| scope.covers(&t.code))
        .cloned()
        .collect())
}

/// The area asked for (404 outside the requester's scope), or, when none is, the municipality within
/// scope with the most occurrences in the last year (or the first area within scope).
pub(crate) async fn area_of(
    st: &AppState,
    f: &Fields,
    today: NaiveDate,
    scope: &AreaScope,
) -> Result<String, AppError> {
    if let Some(a) = field(f, "area") {
        scope.require(a)?;
        return Ok(a.to_string());
    }
    let municipalities: std::collections::HashSet<String> =
        mapped_areas(st, &["municipality"], today, scope)
            .await?
            .into_iter()
            .map(|t| t.code)
            .collect();
    let totals = year_totals(st, today).await?;
    let busiest = totals
        .iter()
        .filter(|(code, _)| municipalities.contains(*code))
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, _)| c.clone())
        .or_else(|| municipalities.into_iter().min());
    Ok(match busiest {
        Some(c) => c,
        None => mapped_areas(st, &KINDS, today, scope)
            .await?
            .into_iter()
            .map(|t| t.code)
            .min()
            .unwrap_or_default(),
    })
}

/// Occurrences of the twelve months up to `today` per area, kept per data version: the same for
/// every requester (each filters its own municipalities), read on every page that opens on the
/// busiest one (100 ms at tens of millions of occurrences).
async fn year_totals(
    st: &AppState,
    today: NaiveDate,
) -> Result<std::sync::Arc<std::collections::HashMap<String, i64>>, AppError> {
    let version = st.db.data_version().await?;
    let compute = async {
        let start = today
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(today);
        let mut totals: std::collections::HashMap<String, i64> = Default::default();
        for t in st.db.monthly_totals(start, today).await? {
            *totals.entry(t.territory_code).or_default() += t.occurrences;
        }
        Ok::<_, AppError>(totals)
    };
    st.year_totals_cache.get_or(version, today, compute).await
}

fn error_of(e: HotspotError) -> AppError {
    match e {
        HotspotError::Store(e) => AppError::Store(e),
        HotspotError::UnknownArea(code) => AppError::NotFound(format!("a área `{code}`")),
        other => AppError::BadRequest(other.to_string()),
    }
}

struct ClassCount {
    label: &'static str,
    css: &'static str,
    cells: usize,
}

struct HotCell {
    id: String,
    class: &'static str,
    css: &'static str,
    emerging: String,
    count: String,
    z: String,
    p_fdr: String,
}

struct Summary {
    area_name: String,
    method: String,
    cell: String,
    months: String,
    cells: usize,
    points_in: usize,
    points_edge: usize,
    without_coordinates: i64,
    classes: Vec<ClassCount>,
    emerging: Vec<(String, usize)>,
    gini: String,
    top5: String,
    hottest: Vec<HotCell>,
}

#[derive(Template)]
#[template(path = "hotspots.html")]
struct Page {
    chrome: Chrome,
    areas: Vec<OptionGroup>,
    crimes: Vec<FormOption>,
    from: String,
    to: String,
    cell: String,
    hex: bool,
    band: bool,
    distance: String,
    permutation: bool,
    fdr: bool,
    bandwidth: String,
    error: Option<String>,
    summary: Option<Summary>,
    data_url: String,
    csv_url: String,
    hidden: Vec<(String, String)>,
    may_create: bool,
}

fn pct(x: f64) -> String {
    atalaia_core::numbers::percent(x * 100.0, 1)
}

fn css_of(c: HotClass) -> &'static str {
    c.as_str()
}

fn summary_of(run: &HotspotRun) -> Summary {
    let a = &run.analysis;
    let order = [
        HotClass::Hot99,
        HotClass::Hot95,
        HotClass::Hot90,
        HotClass::NotSignificant,
        HotClass::Cold90,
        HotClass::Cold95,
        HotClass::Cold99,
    ];
    let classes = order
        .iter()
        .map(|&c| ClassCount {
            label: class_pt(c),
            css: css_of(c),
            cells: a.cells.iter().filter(|x| x.class == c).count(),
        })
        .collect();
    let mut emerging: std::collections::BTreeMap<String, usize> = Default::default();
    for c in &a.cells {
        if let Some(e) = c.emerging
            && e != Emerging::NoPattern
        {
            *emerging.entry(e.label_pt()).or_default() += 1;
        }
    }
    let mut hot: Vec<&atalaia_spatial::hotspot::Cell> = a
        .cells
        .iter()
        .filter(|c| c.class != HotClass::NotSignificant && c.z > 0.0)
        .collect();
    hot.sort_by(|x, y| y.z.total_cmp(&x.z).then(x.id.cmp(&y.id)));
    Summary {
        area_name: format!("{} ({})", run.territory.name, run.territory.code),
        method: a.method_pt(),
        cell: if let Some(r) = a.resolution {
            format!(
                "hexágonos H3 de resolução {r} (célula pedida: {} m)",
                a.cell
            )
        } else {
            format!("{} m", a.cell)
        },
        months: match (run.months.first(), run.months.last()) {
            (Some(f), Some(l)) if f == l => f.label_pt(),
            (Some(f), Some(l)) => format!("{} a {}", f.label_pt(), l.label_pt()),
            _ => String::new(),
        },
        cells: a.cells.len(),
        points_in: a.points_in,
        points_edge: a.points_edge,
        without_coordinates: run.without_coordinates,
        classes,
        emerging: emerging.into_iter().collect(),
        gini: decimal(a.gini, 3),
        top5: pct(a.top5_share),
        hottest: hot
            .into_iter()
            .take(15)
            .map(|c| HotCell {
                id: c.id.clone(),
                class: class_pt(c.class),
                css: css_of(c.class),
                emerging: c.emerging.map(|e| e.label_pt()).unwrap_or_default(),
                count: decimal(c.count, 0),
                z: decimal(c.z, 2),
                p_fdr: format!("{:.4}", c.p_fdr).replace('.', ","),
            })
            .collect(),
    }
}

/// `GET /zonas-quentes`.
pub async fn page(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let scope = AreaScope::of(&st, &id, Permission::ViewOccurrences, today).await?;
    let area = area_of(&st, &f, today, &scope).await?;
    let (choice, mut error) = match Choice::parse(&f, area.clone(), today) {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    };
    let mut summary = None;
    if let Some(c) = &choice
        && !c.area.is_empty()
    {
        match analysis(&st, c).await? {
            Ok(run) => summary = Some(summary_of(&run)),
            Err(HotspotError::Store(e)) => return Err(AppError::Store(e)),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let areas = area_groups(&mapped_areas(&st, &KINDS, today, &scope).await?, &area);
    let chosen_crimes = choice
        .as_ref()
        .map(|c| c.crimes.clone())
        .unwrap_or_default();
    let crimes = st
        .db
        .crimes()
        .await?
        .into_iter()
        .map(|c| FormOption::crime(c, &chosen_crimes))
        .collect();
    let qs = choice
        .as_ref()
        .map(Choice::query_string)
        .unwrap_or_default();
    let hidden = serde_urlencoded::from_str::<Vec<(String, String)>>(&qs).unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let p = choice.as_ref().map(|c| c.params).unwrap_or_default();
    let page = Page {
        chrome: Chrome::new(&st, &id, "Zonas quentes", "/zonas-quentes").await,
        areas,
        crimes,
        from: choice
            .as_ref()
            .map(|c| c.from.to_string())
            .unwrap_or_default(),
        to: choice
            .as_ref()
            .map(|c| c.to.to_string())
            .unwrap_or_default(),
        cell: p.cell.map(|c| c.to_string()).unwrap_or_default(),
        hex: p.shape == Shape::Hexagon,
        band: matches!(p.contiguity, Contiguity::Band(_)),
        distance: match p.contiguity {
            Contiguity::Band(d) => d.to_string(),
            Contiguity::Queen => String::new(),
        },
        permutation: matches!(p.inference, Inference::Permutation { .. }),
        fdr: p.fdr,
        bandwidth: p.bandwidth.map(|b| b.to_string()).unwrap_or_default(),
        error,
        data_url: format!("/zonas-quentes/celulas.geojson?{qs}"),
        csv_url: format!("/zonas-quentes/celulas.csv?{qs}"),
        summary,
        hidden,
        may_create: id.may(Permission::Diagnose),
    };
    let mut resp = render(&page)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// How many of the analyses asked last before an import the worker runs again on the new data.
const WARM_RECENT: usize = 4;

/// Runs again, after an import, the analyses the first visits would otherwise wait for (a second or
/// more at a state's scale): the one `/zonas-quentes` opens on for a user who sees every area, and the
/// ones asked last on the old data. Analyses of areas out of a requester's scope are kept like any
/// other; every request still asks the scope rule before it reads one.
pub(crate) async fn warm(st: &AppState) -> Result<(), AppError> {
    let today = st.config.clock.today();
    let area = area_of(st, &Fields::new(), today, &AreaScope::all()).await?;
    let mut queries = vec![
        Choice::parse(&Fields::new(), area, today)
            .map_err(AppError::BadRequest)?
            .query_string(),
    ];
    for q in st.hotspot_cache.recent_keys(WARM_RECENT) {
        if !queries.contains(&q) {
            queries.push(q);
        }
    }
    for q in queries {
        let f: Fields = serde_urlencoded::from_str(&q).unwrap_or_default();
        let area = field(&f, "area").unwrap_or_default().to_string();
        // A query that no longer parses or runs (an area gone, a crime removed) is left to its page.
        if let Ok(choice) = Choice::parse(&f, area, today)
            && !choice.area.is_empty()
        {
            analysis(st, &choice).await?.ok();
        }
    }
    Ok(())
}

/// The analysis `/zonas-quentes` opens on for `area` (the last twelve whole months, every crime, the
/// default method), kept like any other: the OGC API serves its cells. The caller has asked the scope.
pub(crate) async fn default_analysis(
    st: &AppState,
    area: &str,
) -> Result<Result<std::sync::Arc<HotspotRun>, HotspotError>, AppError> {
    let today = st.config.clock.today();
    let choice =
        Choice::parse(&Fields::new(), area.to_string(), today).map_err(AppError::BadRequest)?;
    analysis(st, &choice).await
}

/// The analysis `choice` asks for, kept per data version and query (`crate::cache`): the same analysis
/// is not run twice on the same data. The inner error is the analysis's (a bad period, an area
/// without outline…), the outer one the server's.
async fn analysis(
    st: &AppState,
    choice: &Choice,
) -> Result<Result<std::sync::Arc<HotspotRun>, HotspotError>, AppError> {
    let version = st.db.data_version().await?;
    let key = choice.query_string();
    if let Some(run) = st.hotspot_cache.get(version, &key) {
        return Ok(Ok(run));
    }
    let _slot = st.analysis_slot().await?;
    Ok(st.db.hotspots(&choice.query()).await.map(|run| {
        let run = std::sync::Arc::new(run);
        st.hotspot_cache.put(version, key, run.clone());
        run
    }))
}

/// The analysis the form asks for. A download (`download` names its format) is recorded in the audit
/// log: the cells are point data of police occurrences.
pub(crate) async fn run_of(
    st: &AppState,
    id: &Identity,
    f: &Fields,
    download: Option<&str>,
) -> Result<std::sync::Arc<HotspotRun>, AppError> {
    let today = st.config.clock.today();
    let scope = AreaScope::of(st, id, Permission::ViewOccurrences, today).await?;
    let area = area_of(st, f, today, &scope).await?;
    let choice = Choice::parse(f, area, today).map_err(AppError::BadRequest)?;
    let run = analysis(st, &choice).await?.map_err(error_of)?;
    if let Some(format) = download {
        st.primary
            .audit(
                &AuditEvent::new(id.actor(), "igesp.hotspot_cells_downloaded")
                    .object(format!("territory:{}", run.territory.code))
                    .details(serde_json::json!({"format": format, "query": choice.query_string()}))
                    .ip(&id.ip),
                st.config.clock.now_utc(),
            )
            .await?;
    }
    Ok(run)
}

/// `GET /zonas-quentes/celulas.geojson`: the cells with their results, and the months and method.
pub async fn geojson(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let run = run_of(&st, &id, &f, Some("geojson")).await?;
    let a = &run.analysis;
    let mut fc = a.feature_collection();
    fc.properties = Some(serde_json::json!({
        "area": run.territory.code,
        "name": run.territory.name,
        "months": run.months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "month_labels": run.months.iter().map(|m| m.label_pt()).collect::<Vec<_>>(),
        "method": a.method_pt(),
        "cell": a.cell,
    }));
    Ok(Json(fc).into_response())
}

/// `GET /zonas-quentes/celulas.csv`.
pub async fn csv(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let run = run_of(&st, &id, &f, Some("csv")).await?;
    let mut body = Vec::new();
    run.analysis
        .write_csv(&mut body)
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    let name = format!(
        "zonas-quentes-{}-{}-{}.csv",
        run.territory.code,
        run.months
            .first()
            .map(|m| m.to_string())
            .unwrap_or_default(),
        run.months.last().map(|m| m.to_string()).unwrap_or_default()
    );
    Ok(download(body, "text/csv; charset=utf-8", name))
}

/// `POST /zonas-quentes/area-de-intervencao`: the chosen cells (`celulas`, ids separated by `;`) of the
/// analysis the form's other fields describe become the intervention area `codigo` named `nome`, in
/// force from the first day of the analysed period, child of the analysed area (igesp.md §3).
pub async fn create_area(Ctx { st, id }: Ctx, Form(f): Form<Fields>) -> Result<Response, AppError> {
    let code = field(&f, "codigo").unwrap_or_default().to_string();
    let code = TerritoryCode::parse(&code)
        .map_err(|e| AppError::BadRequest(format!("código `{code}` inválido: {e}")))?
        .as_str()
        .to_string();
    let name = field(&f, "nome")
        .filter(|n| n.chars().count() <= 120)
        .ok_or_else(|| AppError::BadRequest("informe o nome da área (até 120 caracteres)".into()))?
        .to_string();
    if !st.db.territory(&code).await?.is_empty() {
        return Err(AppError::BadRequest(format!(
            "já existe um território com o código `{code}`; escolha outro"
        )));
    }
    let chosen: Vec<&str> = field(&f, "celulas")
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if chosen.is_empty() {
        return Err(AppError::BadRequest(
            "nenhuma célula escolhida: clique nas células do mapa para escolhê-las".into(),
        ));
    }
    let run = run_of(&st, &id, &f, None).await?;
    let mut rings = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let cell = run
            .analysis
            .cells
            .iter()
            .find(|x| x.id == *c)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "a célula `{c}` não faz parte desta análise (a área ou os parâmetros mudaram?)"
                ))
            })?;
        rings.push(cell.ring.clone());
    }
    let merged = merge_cells(&rings);
    let geometry = geojson::Geometry::from(&merged);
    // In force from the first day of the analysed period, not from today: the period is the area's
    // "before" (igesp.md §6 compares it with what follows), and a fact belongs to the areas of its date
    // (Art. 2 §ú), so an area born today would have no history to evaluate.
    let valid_from = run
        .months
        .first()
        .map(|m| m.first_day())
        .unwrap_or_default();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": name, "kind": "intervention",
            "parent": run.territory.code, "valid_from": valid_from.to_string()}
    }]});
    let dir = crate::pages::imports::new_upload_dir(&st.config.data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
    let path = dir.join("area-de-intervencao.geojson");
    tokio::fs::write(&path, fc.to_string())
        .await
        .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let import_id =
        crate::pages::imports::import_saved(&st, &id, Kind::Territories, &dir, &path, None).await?;
    // A feature the importer rejected (a degenerate outline) leaves no territory: say so, audit nothing.
    if st.db.territory(&code).await?.is_empty() {
        return Err(AppError::BadRequest(format!(
            "a área `{code}` não foi criada: o contorno das células escolhidas foi recusado pela importação nº {import_id}"
        )));
    }
    let event = AuditEvent {
        actor: id.actor(),
        action: "territory.intervention_created".into(),
        object: format!("territory:{code}"),
        details: serde_json::json!({
            "name": name,
            "from_area": run.territory.code,
            "months": [run.months.first().map(|m| m.to_string()), run.months.last().map(|m| m.to_string())],
            "crimes": run.crimes,
            "method": run.analysis.method_pt(),
            "cells": chosen,
            "import_id": import_id,
        }),
        ip: id.ip.clone(),
    };
    st.db.audit(&event, st.config.clock.now_utc()).await?;
    Ok(done::redirect(
        &format!("/territorios/{code}"),
        Done::AreaCreated,
    ))
}
