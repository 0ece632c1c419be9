//! The occurrence explorer (police-only material, igesp.md §7): filters by crime, period and area,
//! keyset pages of 50, and CSV/XLSX exports. A user scoped to units or municipalities sees only the
//! occurrences of those areas. Every view and export is written to the audit log (LGPD: views of
//! personal data are logged).

use crate::guard::Ctx;
use askama::Template;
use atalaia_core::access::Permission;
use atalaia_store::audit::AuditEvent;
use atalaia_store::occurrences::{OccurrenceFilter, OccurrenceRow};
use axum::body::Body;
use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Chrome, render};
use crate::guard::{Identity, percent_encode};
use crate::pages::Declined;
use crate::scope::AreaScope;
use crate::{AppError, AppState};

const PAGE: i64 = 50;
/// Excel's sheet holds 1,048,576 rows; exports to XLSX stop well before, and say so.
const XLSX_MAX_ROWS: usize = 100_000;

/// Query string of the explorer (Portuguese names: the URL is shown to users).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ExplorerQuery {
    crime: Option<String>,
    de: Option<String>,
    ate: Option<String>,
    area: Option<String>,
    antes: Option<i64>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn date(s: &Option<String>, name: &str) -> Result<Option<NaiveDate>, String> {
    match nonempty(s) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{name} `{v}` inválida: esperado AAAA-MM-DD")),
    }
}

/// The areas a requester may see (`crate::scope`): `None` for every area. An `area` asked for outside
/// them answers 404, as on every page that takes an area.
async fn allowed_areas(
    st: &AppState,
    id: &Identity,
    area: Option<&str>,
) -> Result<Option<Vec<String>>, AppError> {
    let scope = AreaScope::of(st, id, Permission::ViewOccurrences, st.config.clock.today()).await?;
    if let Some(area) = area {
        scope.require(area)?;
    }
    Ok(scope.occurrence_areas())
}

async fn filter(
    st: &AppState,
    id: &Identity,
    q: &ExplorerQuery,
    limit: i64,
) -> Result<OccurrenceFilter, Declined> {
    Ok(OccurrenceFilter {
        crime: nonempty(&q.crime),
        from: date(&q.de, "data inicial")?,
        to: date(&q.ate, "data final")?,
        area: nonempty(&q.area),
        allowed_areas: allowed_areas(st, id, nonempty(&q.area).as_deref()).await?,
        before_id: q.antes,
        limit,
    })
}

struct Row {
    source_id: String,
    when: String,
    crime: String,
    place: String,
    areas: String,
    unit: String,
    victims: i64,
    synthetic: bool,
}

#[derive(Template)]
#[template(path = "occurrences.html")]
struct Page {
    chrome: Chrome,
    error: Option<String>,
    crimes: Vec<(String, String, bool)>,
    from: String,
    to: String,
    area: String,
    scope_note: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    export_query: String,
}

fn filter_query(q: &ExplorerQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("crime", &q.crime),
        ("de", &q.de),
        ("ate", &q.ate),
        ("area", &q.area),
    ] {
        if let Some(v) = nonempty(v) {
            parts.push(format!("{k}={}", percent_encode(&v)));
        }
    }
    parts.join("&")
}

fn place(r: &OccurrenceRow) -> String {
    match (r.lat, r.lon, &r.territory_code) {
        (Some(lat), Some(lon), _) => format!("{lat:.5}, {lon:.5}"),
        (_, _, Some(t)) => t.clone(),
        _ => String::new(),
    }
}

/// The rows `f` selects, their reading audited (who looked at which occurrences).
async fn viewed(
    st: &AppState,
    id: &Identity,
    q: &ExplorerQuery,
    f: &OccurrenceFilter,
) -> Result<Vec<OccurrenceRow>, AppError> {
    let found = st.db.occurrences_page(f).await?;
    st.primary
        .audit(
            &AuditEvent::new(id.actor(), "occurrences.view")
                .details(serde_json::json!({"filter": filter_query(q), "page_before_id": q.antes, "rows": found.len()}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    Ok(found)
}

/// The API's page of occurrences: the explorer's filters (`crime`, `de`, `ate`, `area`) read from
/// `f`, the rows before `before` (newest first), `limit` of them.
pub(crate) async fn api_page(
    st: &AppState,
    id: &Identity,
    f: &crate::pages::Fields,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<OccurrenceRow>, AppError> {
    let text = |name: &str| crate::pages::field(f, name).map(str::to_string);
    let q = ExplorerQuery {
        crime: text("crime"),
        de: text("de"),
        ate: text("ate"),
        area: text("area"),
        antes: before,
    };
    let filter = filter(st, id, &q, limit)
        .await
        .map_err(|e| match e.reason() {
            Ok(why) => AppError::BadRequest(why),
            Err(e) => e,
        })?;
    viewed(st, id, &q, &filter).await
}

/// `GET /ocorrencias`.
pub async fn page(
    Ctx { st, id }: Ctx,
    Query(q): Query<ExplorerQuery>,
) -> Result<Response, AppError> {
    let names = super::crime_names(&st).await?;
    let mut crimes: Vec<(String, String, bool)> = names
        .iter()
        .map(|(c, n)| {
            (
                c.clone(),
                n.clone(),
                nonempty(&q.crime).as_deref() == Some(c),
            )
        })
        .collect();
    crimes.sort_by(|a, b| a.1.cmp(&b.1));
    let (error, rows, next, scope_note) = match filter(&st, &id, &q, PAGE).await {
        Err(e) => (Some(e.reason()?), Vec::new(), None, None),
        Ok(f) => {
            let scope_note = f.allowed_areas.as_ref().map(|a| {
                if a.is_empty() {
                    "Seu escopo não inclui nenhuma área.".to_string()
                } else {
                    format!("Mostrando só as áreas do seu escopo: {}.", a.join(", "))
                }
            });
            let found = viewed(&st, &id, &q, &f).await?;
            let next = (found.len() as i64 == PAGE)
                .then(|| found.last().map(|r| r.id))
                .flatten()
                .map(|last| {
                    let fq = filter_query(&q);
                    if fq.is_empty() {
                        format!("/ocorrencias?antes={last}")
                    } else {
                        format!("/ocorrencias?{fq}&antes={last}")
                    }
                });
            let rows = found
                .into_iter()
                .map(|r| Row {
                    place: place(&r),
                    source_id: r.source_id,
                    when: r.occurred_at.format("%d/%m/%Y %H:%M").to_string(),
                    crime: names.get(&r.crime).cloned().unwrap_or(r.crime),
                    areas: r.areas.replace('|', ", "),
                    unit: r.unit_code.unwrap_or_default(),
                    victims: r.victims,
                    synthetic: r.synthetic,
                })
                .collect();
            (None, rows, next, scope_note)
        }
    };
    render(&Page {
        chrome: Chrome::new(&st, &id, "Ocorrências", "/ocorrencias").await,
        error,
        crimes,
        from: nonempty(&q.de).unwrap_or_default(),
        to: nonempty(&q.ate).unwrap_or_default(),
        area: nonempty(&q.area).unwrap_or_default(),
        scope_note,
        rows,
        next,
        export_query: filter_query(&q),
    })
}

const HEADER: [&str; 11] = [
    "id",
    "occurred_at",
    "crime",
    "source_crime",
    "lat",
    "lon",
    "territory_code",
    "victims",
    "unit_code",
    "areas",
    "synthetic",
];

fn fields(r: &OccurrenceRow) -> [String; 11] {
    [
        r.source_id.clone(),
        r.occurred_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        r.crime.clone(),
        r.source_crime.clone().unwrap_or_default(),
        r.lat.map(|v| v.to_string()).unwrap_or_default(),
        r.lon.map(|v| v.to_string()).unwrap_or_default(),
        r.territory_code.clone().unwrap_or_default(),
        r.victims.to_string(),
        r.unit_code.clone().unwrap_or_default(),
        r.areas.clone(),
        r.synthetic.to_string(),
    ]
}

fn attachment(resp: &mut Response, content_type: &'static str, name: &str) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
}

/// The filter of an export: the page's filters, from the newest row, 5,000 rows per read.
async fn export_filter(
    st: &AppState,
    id: &Identity,
    q: &ExplorerQuery,
) -> Result<OccurrenceFilter, AppError> {
    let mut f = filter(st, id, q, 5000).await?;
    f.before_id = None;
    Ok(f)
}

/// `GET /ocorrencias/exportar.csv`: every matching occurrence, streamed page by page (the columns of
/// the occurrences import, so an export can be re-imported).
pub async fn export_csv(
    Ctx { st, id }: Ctx,
    Query(q): Query<ExplorerQuery>,
) -> Result<Response, AppError> {
    let mut f = export_filter(&st, &id, &q).await?;
    st.primary
        .audit(
            &AuditEvent::new(id.actor(), "occurrences.export")
                .details(serde_json::json!({"format": "csv", "filter": filter_query(&q)}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let db = st.db.clone();
    tokio::spawn(async move {
        let mut first = true;
        loop {
            let page = match db.occurrences_page(&f).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "export");
                    let _ = tx
                        .send(Err(std::io::Error::other("falha na leitura")))
                        .await;
                    return;
                }
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            if std::mem::take(&mut first) {
                let _ = w.write_record(HEADER);
            }
            for r in &page {
                let _ = super::write_safe(&mut w, fields(r));
            }
            let chunk = w.into_inner().unwrap_or_default();
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
            match page.last() {
                Some(last) if page.len() as i64 == f.limit => f.before_id = Some(last.id),
                _ => break,
            }
        }
    });
    let stream = tokio_stream_from(rx);
    let mut resp = Body::from_stream(stream).into_response();
    attachment(&mut resp, "text/csv; charset=utf-8", "ocorrencias.csv");
    Ok(resp)
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// `GET /ocorrencias/exportar.xlsx`: up to 100,000 matching occurrences in a spreadsheet.
pub async fn export_xlsx(
    Ctx { st, id }: Ctx,
    Query(q): Query<ExplorerQuery>,
) -> Result<Response, AppError> {
    let mut f = export_filter(&st, &id, &q).await?;
    let mut rows: Vec<OccurrenceRow> = Vec::new();
    loop {
        let page = st.db.occurrences_page(&f).await?;
        let full = page.len() as i64 == f.limit;
        f.before_id = page.last().map(|r| r.id);
        rows.extend(page);
        if !full || rows.len() >= XLSX_MAX_ROWS {
            break;
        }
    }
    let truncated = rows.len() > XLSX_MAX_ROWS;
    rows.truncate(XLSX_MAX_ROWS);
    st.primary
        .audit(
            &AuditEvent::new(id.actor(), "occurrences.export")
                .details(serde_json::json!({"format": "xlsx", "filter": filter_query(&q), "rows": rows.len(), "truncated": truncated}))
                .ip(&id.ip),
            st.config.clock.now_utc(),
        )
        .await?;
    let bytes = super::on_blocking_pool("xlsx", move || xlsx(&rows, truncated)).await?;
    let mut resp = bytes.into_response();
    attachment(&mut resp, super::XLSX, "ocorrencias.xlsx");
    Ok(resp)
}

fn xlsx(rows: &[OccurrenceRow], truncated: bool) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Ocorrências")?;
    let bold = Format::new().set_bold();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, v) in fields(r).iter().enumerate() {
            match (c, r) {
                (4, OccurrenceRow { lat: Some(x), .. }) => ws.write_number(row, 4, *x)?,
                (5, OccurrenceRow { lon: Some(x), .. }) => ws.write_number(row, 5, *x)?,
                (7, _) => ws.write_number(row, 7, r.victims as f64)?,
                _ => ws.write_string(row, c as u16, v)?,
            };
        }
    }
    if truncated {
        let note = wb.add_worksheet();
        note.set_name("Aviso")?;
        note.write_string(
            0,
            0,
            format!("Exportação limitada às {XLSX_MAX_ROWS} ocorrências mais recentes do filtro; use o CSV para todas."),
        )?;
    }
    wb.save_to_buffer()
}
