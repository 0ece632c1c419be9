//! `/compstat`: the CompStat brief of an area (issue 20) for commanders, analysts and coordinators —
//! the last 7 days, 28 days, the year to date and the last 365 days against the same dates a year
//! before, total and per crime, each change read with the exact test of `atalaia_core::compstat` so
//! that noise is not taken for a trend — and `/compstat.pdf`, the same on one page for the meeting.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use atalaia_core::access::Permission;
use atalaia_core::compstat::{Reading, Window, windows};
use atalaia_core::dates::BrDate;
use atalaia_core::numbers::{change_percent, integer};
use axum::extract::Query;
use axum::response::Response;
use chrono::NaiveDate;

use crate::guard::{Ctx, Identity};
use crate::pages::igesp::hotspots::area_of;
use crate::pages::{Chrome, Fields, OptionGroup, area_groups, download, render};
use crate::scope::AreaScope;
use crate::{AppError, AppState};

/// One window as the page shows it: its dates, the total's reading, and the crimes with any count.
#[derive(Clone)]
struct WindowView {
    label: &'static str,
    dates: String,
    total: Line,
    crimes: Vec<Line>,
}

/// A count now against a year before, in words.
#[derive(Clone)]
struct Line {
    name: String,
    now: String,
    before: String,
    change: String,
    reading: String,
    /// Chance hardly explains the change.
    beyond: bool,
}

impl Line {
    fn of(name: String, now: i64, before: i64, w: &Window) -> Line {
        let r = Reading::of(now.max(0) as u64, before.max(0) as u64, w.days());
        Line {
            name,
            now: integer(now.into()),
            before: integer(before.into()),
            change: r
                .change_pct
                .map(|c| change_percent(c, 1))
                .unwrap_or_else(|| "—".into()),
            reading: r.sentence_pt(),
            beyond: r.beyond_chance(),
        }
    }
}

#[derive(Template)]
#[template(path = "compstat.html")]
struct Page {
    chrome: Chrome,
    areas: Vec<OptionGroup>,
    area: String,
    area_name: String,
    windows: Vec<WindowView>,
}

/// An area's brief: its name and its four windows.
#[derive(Clone)]
pub struct Brief {
    area: String,
    area_name: String,
    windows: Vec<WindowView>,
}

/// The requester's scope and the area asked for (404 outside it), or the busiest municipality in
/// it ("" when the scope holds none).
async fn requested(
    st: &AppState,
    id: &Identity,
    f: &Fields,
    today: NaiveDate,
) -> Result<(AreaScope, String), AppError> {
    let scope = AreaScope::of(st, id, Permission::ViewOccurrences, today).await?;
    let area = area_of(st, f, today, &scope).await?;
    Ok((scope, area))
}

/// Computes, after an import, the brief a user who sees every area finds on the home page and the
/// bulletin (the busiest municipality's), before anyone asks for it.
pub(crate) async fn warm(st: &AppState) -> Result<(), AppError> {
    let today = st.config.clock.today();
    let area = area_of(st, &Fields::default(), today, &AreaScope::all()).await?;
    if !area.is_empty() {
        brief_of(st, area, today).await?;
    }
    Ok(())
}

/// Briefs kept per data version, by area and day (`crate::cache`): every home page of a police role
/// shows one, and at tens of millions of occurrences its eight period sums take a third of a second.
pub type BriefCache = crate::cache::Versioned<(String, NaiveDate), Brief>;

/// The brief of `area` on `today`, kept per data version.
async fn brief_of(st: &AppState, area: String, today: NaiveDate) -> Result<Brief, AppError> {
    let version = st.db.data_version().await?;
    let key = (area.clone(), today);
    let kept = st
        .brief_cache
        .get_or(version, key, compute_brief(st, area, today))
        .await?;
    Ok((*kept).clone())
}

async fn compute_brief(st: &AppState, area: String, today: NaiveDate) -> Result<Brief, AppError> {
    let area_name = st
        .territories()
        .await?
        .iter()
        .find(|t| t.code == area)
        .map(|t| t.name.clone())
        .ok_or_else(|| AppError::NotFound(format!("a área {area}")))?;
    let names = crate::pages::crime_names(st).await?;
    let mut views = Vec::new();
    for w in windows(today).into_iter().flatten() {
        let now = st.db.crimes_between(&area, w.from, w.to).await?;
        let before = st
            .db
            .crimes_between(&area, w.before_from, w.before_to)
            .await?;
        let codes: BTreeSet<&String> = now.keys().chain(before.keys()).collect();
        let count = |m: &BTreeMap<String, i64>, c: &str| m.get(c).copied().unwrap_or(0);
        let mut crimes: Vec<Line> = codes
            .into_iter()
            .map(|c| {
                let name = names.get(c).cloned().unwrap_or_else(|| c.clone());
                Line::of(name, count(&now, c), count(&before, c), &w)
            })
            .collect();
        atalaia_core::text::sort_pt(&mut crimes, |l| &l.name);
        views.push(WindowView {
            label: w.label,
            dates: format!(
                "{} a {}, contra {} a {}",
                w.from.br_date(),
                w.to.br_date(),
                w.before_from.br_date(),
                w.before_to.br_date()
            ),
            total: Line::of(
                "Total".into(),
                now.values().sum(),
                before.values().sum(),
                &w,
            ),
            crimes,
        });
    }
    Ok(Brief {
        area,
        area_name,
        windows: views,
    })
}

/// `GET /compstat?area=CODE`.
pub async fn page(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let (scope, area) = requested(&st, &id, &f, today).await?;
    let b = brief_of(&st, area, today).await?;
    let territories = st.territories().await?;
    let in_force = territories
        .iter()
        .filter(|t| t.valid_on(today) && scope.covers(&t.code));
    render(&Page {
        chrome: Chrome::new(&st, &id, "Boletim CompStat", "/compstat").await,
        areas: area_groups(in_force, &b.area),
        area: b.area,
        area_name: b.area_name,
        windows: b.windows,
    })
}

/// `GET /compstat.pdf?area=CODE`: the brief on one landscape page.
pub async fn pdf(Ctx { st, id }: Ctx, Query(f): Query<Fields>) -> Result<Response, AppError> {
    let today = st.config.clock.today();
    let (_, area) = requested(&st, &id, &f, today).await?;
    let Brief {
        area,
        area_name,
        windows,
    } = brief_of(&st, area, today).await?;
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let n = windows.len();
    for (i, w) in windows.iter().enumerate() {
        for l in &w.crimes {
            let row = rows.entry(l.name.clone()).or_insert_with(|| {
                (0..n)
                    .flat_map(|_| ["0", "0", "—"].map(String::from))
                    .collect()
            });
            let marked = if l.beyond {
                format!("{} *", l.change)
            } else {
                l.change.clone()
            };
            row[3 * i..3 * i + 3].clone_from_slice(&[l.now.clone(), l.before.clone(), marked]);
        }
    }
    let mut rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(name, cells)| std::iter::once(name).chain(cells).collect())
        .collect();
    atalaia_core::text::sort_pt(&mut rows, |r| &r[0]);
    let doc = atalaia_reports::BriefDocument {
        area: area_name,
        date: today.br_date(),
        totals: windows
            .iter()
            .map(|w| {
                [
                    format!("{} ({})", w.label, w.dates),
                    format!(
                        "{} contra {}: {}",
                        w.total.now, w.total.before, w.total.reading
                    ),
                ]
            })
            .collect(),
        windows: windows.iter().map(|w| w.label.to_string()).collect(),
        rows,
    };
    let bytes =
        crate::pages::on_blocking_pool("compstat", move || atalaia_reports::brief_pdf(&doc))
            .await?;
    Ok(download(
        bytes,
        "application/pdf",
        format!("compstat-{area}.pdf"),
    ))
}

/// The brief's totals for the home page of those who may read it: the busiest municipality in their
/// scope, each window in one line ("Últimos 28 dias: 41 contra 52 — queda de 21,2 % — …").
pub(crate) struct HomeBrief {
    pub(crate) area: String,
    pub(crate) area_name: String,
    pub(crate) lines: Vec<String>,
}

/// [`HomeBrief`] for `id`, or `None` for those who may not read occurrences.
pub(crate) async fn home_brief(
    st: &AppState,
    id: &Identity,
) -> Result<Option<HomeBrief>, AppError> {
    if !id.may(Permission::ViewOccurrences) {
        return Ok(None);
    }
    let today = st.config.clock.today();
    let (_, area) = requested(st, id, &Fields::default(), today).await?;
    // Nobody's home page fails for want of an area: without one in scope there is no brief.
    if area.is_empty() {
        return Ok(None);
    }
    let Brief {
        area,
        area_name,
        windows,
    } = brief_of(st, area, today).await?;
    let lines = windows
        .iter()
        .map(|w| {
            format!(
                "{}: {} contra {} — {}",
                w.label, w.total.now, w.total.before, w.total.reading
            )
        })
        .collect();
    Ok(Some(HomeBrief {
        area,
        area_name,
        lines,
    }))
}
