//! The home page: the main indicators per area — last complete month and last complete quarter against
//! the same period a year before, with arrows and 13-month sparklines — and the state of the base.
//! Everything comes from the aggregates and is computed once per data version (the last import), so
//! the page costs a few small queries however many occurrences there are.

use atalaia_core::dates::BrDate;
use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use atalaia_core::{Month, default_cap};
use axum::response::Response;
use chrono::NaiveDate;

use super::{Chrome, render, thousands};
use crate::guard::Ctx;
use crate::pages::territories::month_label;
use crate::{AppError, AppState};

/// One area's line on the home page.
pub struct IndicatorRow {
    code: String,
    name: String,
    synthetic: bool,
    month_now: String,
    month_before: String,
    month_change: Change,
    quarter_now: String,
    quarter_before: String,
    quarter_change: Change,
    spark: String,
    spark_label: String,
}

/// A change against the year before. More crime is worse: up is red, down is green.
pub struct Change {
    text: String,
    arrow: &'static str,
    class: &'static str,
    label: String,
}

impl Change {
    fn of(now: i64, before: i64) -> Change {
        if before == 0 {
            return Change {
                text: if now == 0 { "0%".into() } else { "novo".into() },
                arrow: if now == 0 { "→" } else { "↑" },
                class: if now == 0 { "flat" } else { "up" },
                label: if now == 0 {
                    "sem ocorrências nos dois períodos".into()
                } else {
                    "sem ocorrências no ano anterior".into()
                },
            };
        }
        let pct = (now - before) as f64 / before as f64 * 100.0;
        let text = format!("{:+.1}%", pct).replace('.', ",");
        let (arrow, class, word) = if pct > 0.5 {
            ("↑", "up", "aumento")
        } else if pct < -0.5 {
            ("↓", "down", "redução")
        } else {
            ("→", "flat", "estável")
        };
        Change {
            label: format!(
                "{word} de {} em relação ao ano anterior",
                text.trim_start_matches(['+', '-'])
            ),
            text,
            arrow,
            class,
        }
    }
}

struct Card {
    value: String,
    label: &'static str,
    note: Option<String>,
}

/// What the page shows, computed once per data version and month.
pub struct HomeModel {
    /// Areas shown.
    pub areas: usize,
    month: String,
    month_before: String,
    /// Short, for the table's headings ("3T2026").
    quarter: String,
    quarter_before: String,
    /// In words, for the sentence above the table ("3º trimestre de 2026").
    quarter_text: String,
    quarter_before_text: String,
    cap: String,
    rows: Vec<IndicatorRow>,
    cards: Vec<Card>,
    imports: Vec<crate::pages::imports::ImportRow>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    m: Arc<HomeModel>,
    /// The cycle deadlines the user owns that are near or past (`core::reminders`).
    reminders: Vec<String>,
    /// Igesp actions the user follows, soonest due first, with (open, overdue) in all, for those who
    /// see meetings.
    actions: Option<(Vec<super::desk::DeskLine>, usize, usize)>,
    /// The committee's week.
    week: Vec<super::desk::DeskLine>,
    /// The auditor's runs to check.
    runs: Vec<super::desk::DeskLine>,
    /// The data's health (counts, recent imports): for those who import.
    data_health: bool,
    /// A unit head's units and their RECAP standing, one sentence each.
    standing: Vec<String>,
    /// The CompStat brief's totals, for police roles.
    brief: Option<super::igesp::compstat::HomeBrief>,
}

impl std::fmt::Debug for HomeModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HomeModel")
            .field("month", &self.month)
            .field("areas", &self.areas)
            .finish_non_exhaustive()
    }
}

/// Cache of the home model, by data version and the month it was computed in (`crate::cache`).
pub type HomeCache = crate::cache::Versioned<NaiveDate, HomeModel>;

/// The home model of this month on the current data, kept per data version (`crate::cache`).
async fn model(st: &AppState) -> Result<std::sync::Arc<HomeModel>, AppError> {
    let version = st.db.data_version().await?;
    let today = st.config.clock.today();
    let month_start = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today),
        1,
    )
    .unwrap_or(today);
    st.home_cache
        .get_or(version, month_start, build(st, today))
        .await
}

/// Computes the home model after an import, before the first sign-in asks for it: its overview
/// counts every occurrence (seconds at tens of millions).
pub(crate) async fn warm(st: &AppState) -> Result<(), AppError> {
    model(st).await.map(|_| ())
}

/// `/`.
pub async fn home(Ctx { st, id }: Ctx) -> Result<Response, AppError> {
    let model = model(&st).await?;
    let reminders = match &id.user {
        Some(u) => st
            .db
            .reminders_for(u, st.config.clock.today())
            .await?
            .iter()
            .map(|r| r.text_pt())
            .collect(),
        None => Vec::new(),
    };
    let actions = super::desk::actions(&st, &id).await?;
    let standing = if id.may(atalaia_core::access::Permission::UnitActs) {
        super::recap::unit::standing(&st, &id).await?
    } else {
        Vec::new()
    };
    render(&Home {
        chrome: Chrome::new(&st, &id, "Início", "/").await,
        m: model,
        reminders,
        actions,
        week: super::desk::committee_week(&st, &id).await?,
        runs: super::desk::runs_to_check(&st, &id).await?,
        data_health: id.may(atalaia_core::access::Permission::Import),
        standing,
        brief: super::igesp::compstat::home_brief(&st, &id).await?,
    })
}

async fn build(st: &AppState, today: NaiveDate) -> Result<HomeModel, AppError> {
    let current =
        Month::of(today).map_err(|e| AppError::Internal(format!("today {today}: {e}")))?;
    let last = current.pred().unwrap_or(current);
    let last_year = Month::new(last.year() - 1, last.month()).unwrap_or(last);
    // The last complete quarter and the same quarter a year before.
    let mut quarter = current.quarter();
    quarter = quarter.previous().unwrap_or(quarter);
    let quarter_before = quarter.same_quarter_previous_year().unwrap_or(quarter);
    // 25 months: the sparkline's 13 and the year-before comparisons.
    let from = Month::new(last.year() - 2, last.month())
        .map(|m| m.first_day())
        .unwrap_or(last.first_day());
    let totals = st.db.monthly_totals(from, current.first_day()).await?;
    let cap: Vec<String> = default_cap().iter().map(|c| c.to_string()).collect();
    // (area, "YYYY-MM") → (all crimes, CAP crimes)
    let mut cell: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for t in totals {
        let e = cell.entry((t.territory_code, t.month)).or_default();
        e.0 += t.occurrences;
        if cap.contains(&t.crime) {
            e.1 += t.occurrences;
        }
    }
    let ym = |m: Month| format!("{:04}-{:02}", m.year(), m.month());
    // Territories in force today, from the cached list (no geometry read).
    let territories = st.territories().await?;
    let in_force = |kinds: &[&str]| -> Vec<&atalaia_store::territories::TerritoryVersion> {
        territories
            .iter()
            .filter(|t| kinds.contains(&t.kind.as_str()) && t.valid_on(today))
            .collect()
    };
    // A state's line is the sum of its municipalities (each occurrence falls in exactly one), as
    // `atalaia_store::indicators::counted_in` counts it.
    let state_of: HashMap<&str, &str> = in_force(&["municipality"])
        .into_iter()
        .filter_map(|t| Some((t.code.as_str(), t.parent_code.as_deref()?)))
        .collect();
    let mut state: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for ((code, month), v) in &cell {
        if let Some(parent) = state_of.get(code.as_str()) {
            let e = state
                .entry((parent.to_string(), month.clone()))
                .or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
    }
    let states: Vec<&str> = in_force(&["state"])
        .into_iter()
        .map(|t| t.code.as_str())
        .collect();
    let get = |code: &str, m: Month| {
        let key = (code.to_string(), ym(m));
        if states.contains(&code) {
            return state.get(&key).copied().unwrap_or((0, 0));
        }
        cell.get(&key).copied().unwrap_or((0, 0))
    };
    let mut areas = in_force(&["aisp", "ais", "aise", "intervention", "state"]);
    areas.sort_by(|a, b| {
        (a.kind != "state")
            .cmp(&(b.kind != "state"))
            .then_with(|| atalaia_core::text::compare_pt(&a.code, &b.code))
    });
    let mut rows = Vec::new();
    for a in areas {
        let (m_now, _) = get(&a.code, last);
        let (m_before, _) = get(&a.code, last_year);
        let q_now: i64 = quarter.months().iter().map(|m| get(&a.code, *m).1).sum();
        let q_before: i64 = quarter_before
            .months()
            .iter()
            .map(|m| get(&a.code, *m).1)
            .sum();
        let mut series = Vec::new();
        let mut m = Month::new(last.year() - 1, last.month()).unwrap_or(last);
        for _ in 0..13 {
            series.push(get(&a.code, m).0);
            m = m.succ().unwrap_or(m);
        }
        rows.push(IndicatorRow {
            spark: sparkline(&series),
            spark_label: format!(
                "Ocorrências por mês, de {} a {}: {}",
                month_label(&ym(
                    Month::new(last.year() - 1, last.month()).unwrap_or(last)
                )),
                month_label(&ym(last)),
                series
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            month_change: Change::of(m_now, m_before),
            quarter_change: Change::of(q_now, q_before),
            month_now: thousands(m_now.max(0) as u64),
            month_before: thousands(m_before.max(0) as u64),
            quarter_now: thousands(q_now.max(0) as u64),
            quarter_before: thousands(q_before.max(0) as u64),
            code: a.code.clone(),
            name: a.name.clone(),
            synthetic: a.synthetic,
        });
    }
    let overview = st.db.overview().await?;
    let n = |v: i64| thousands(v.max(0) as u64);
    let period = match (&overview.first_day, &overview.last_day) {
        (Some(a), Some(b)) => Some(format!("{a} a {b}")),
        _ => None,
    };
    let cards = vec![
        Card {
            value: n(overview.occurrences),
            label: "ocorrências na base",
            note: period,
        },
        Card {
            value: n(overview.unassigned),
            label: "ocorrências fora de qualquer área",
            note: None,
        },
        Card {
            value: n(overview.changes),
            label: "reclassificações registradas",
            note: None,
        },
        Card {
            value: n(overview.territories),
            label: "versões de territórios",
            note: None,
        },
        Card {
            value: n(overview.units),
            label: "versões de unidades",
            note: None,
        },
        Card {
            value: n(overview.operators),
            label: "operadores",
            note: None,
        },
    ];
    let actors = crate::pages::Actors::load(st).await?;
    let imports = st
        .db
        .recent_imports(8)
        .await?
        .into_iter()
        .map(|i| crate::pages::imports::row(i, &actors))
        .collect();
    Ok(HomeModel {
        areas: rows.len(),
        month: month_label(&ym(last)),
        month_before: month_label(&ym(last_year)),
        quarter: quarter.short_pt(),
        quarter_before: quarter_before.short_pt(),
        quarter_text: quarter.label_pt(),
        quarter_before_text: quarter_before.label_pt(),
        cap: "homicídio doloso, roubo e furto de veículo (Art. 4)".into(),
        rows,
        cards,
        imports,
    })
}

/// A 13-point sparkline as an SVG polyline's points (120 × 28 box), scaled to the series' maximum.
fn sparkline(values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if values.len() > 1 {
        118.0 / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                1.0 + i as f64 * step,
                27.0 - (*v as f64 / max) * 25.0
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A validity period as users say it.
pub(crate) fn validity(from: chrono::NaiveDate, to: Option<chrono::NaiveDate>) -> String {
    let open_start = from == atalaia_store::territories::SINCE_ALWAYS;
    let f = |d: chrono::NaiveDate| d.br_date();
    match (open_start, to) {
        (true, None) => "vigente (sem data de início)".into(),
        (false, None) => format!("vigente desde {}", f(from)),
        (true, Some(to)) => format!("até {}", f(to)),
        (false, Some(to)) => format!("de {} a {}", f(from), f(to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_and_sparklines() {
        let c = Change::of(110, 100);
        assert_eq!((c.text.as_str(), c.arrow, c.class), ("+10,0%", "↑", "up"));
        let c = Change::of(80, 100);
        assert_eq!((c.text.as_str(), c.arrow, c.class), ("-20,0%", "↓", "down"));
        assert_eq!(c.label, "redução de 20,0% em relação ao ano anterior");
        assert_eq!(Change::of(5, 0).text, "novo");
        assert_eq!(Change::of(0, 0).arrow, "→");
        assert_eq!(sparkline(&[0, 5, 10]), "1.0,27.0 60.0,14.5 119.0,2.0");
        assert_eq!(sparkline(&[0, 0]), "1.0,27.0 119.0,27.0");
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(thousands(149_964), "149.964");
        assert_eq!(thousands(1_000_000), "1.000.000");
        assert_eq!(thousands(999), "999");
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            validity(atalaia_store::territories::SINCE_ALWAYS, None),
            "vigente (sem data de início)"
        );
        assert_eq!(
            validity(d(2024, 1, 1), Some(d(2025, 6, 30))),
            "de 01/01/2024 a 30/06/2025"
        );
    }
}
