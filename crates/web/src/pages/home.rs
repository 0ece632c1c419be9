//! The home page.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;

use super::{Chrome, render, thousands};
use crate::guard::Identity;
use crate::{AppError, AppState};

struct AreaRow {
    code: String,
    name: String,
    kind: String,
    validity: String,
    synthetic: bool,
}

struct ImportRow {
    id: i64,
    kind: String,
    file_name: String,
    read: String,
    inserted: String,
    updated: String,
    unchanged: String,
    rejected: String,
}

struct Card {
    value: String,
    label: &'static str,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    cards: Vec<Card>,
    areas: Vec<AreaRow>,
    imports: Vec<ImportRow>,
}

/// `/`: the base at a glance (indicators per area arrive with the dashboards).
pub async fn home(
    State(st): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Response, AppError> {
    let overview = st.db.overview().await?;
    let areas = st
        .db
        .territories()
        .await?
        .into_iter()
        .filter(|t| matches!(t.kind.as_str(), "ais" | "aisp" | "aise" | "intervention"))
        .map(|t| AreaRow {
            validity: validity(t.valid_from, t.valid_to),
            code: t.code,
            name: t.name,
            kind: t.kind.to_uppercase(),
            synthetic: t.synthetic,
        })
        .collect::<Vec<_>>();
    let mut areas = areas;
    areas.sort_by_key(|a| natural_key(&a.code));
    let imports = st
        .db
        .recent_imports(10)
        .await?
        .into_iter()
        .map(|i| ImportRow {
            id: i.id,
            kind: kind_label(&i.kind),
            file_name: i.file_name,
            read: thousands(i.counts.read),
            inserted: thousands(i.counts.inserted),
            updated: thousands(i.counts.updated),
            unchanged: thousands(i.counts.unchanged),
            rejected: thousands(i.counts.rejected),
        })
        .collect();
    let n = |v: i64| thousands(v.max(0) as u64);
    let period = match (&overview.first_day, &overview.last_day) {
        (Some(a), Some(b)) => Some(format!("{a} a {b}")),
        _ => None,
    };
    let cards = vec![
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
        Card {
            value: n(overview.occurrences),
            label: "ocorrências",
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
    ];
    render(&Home {
        chrome: Chrome::new(&st, &id, "Início", "/").await,
        cards,
        areas,
        imports,
    })
}

/// A validity period as users say it.
pub(crate) fn validity(from: chrono::NaiveDate, to: Option<chrono::NaiveDate>) -> String {
    let open_start = from == atalaia_store::territories::SINCE_ALWAYS;
    let f = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    match (open_start, to) {
        (true, None) => "vigente (sem data de início)".into(),
        (false, None) => format!("vigente desde {}", f(from)),
        (true, Some(to)) => format!("até {}", f(to)),
        (false, Some(to)) => format!("de {} a {}", f(from), f(to)),
    }
}

/// Sort key that puts AIS8 before AIS10.
pub(crate) fn natural_key(code: &str) -> (String, u64, String) {
    let digits_at = code
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(code.len());
    let (prefix, rest) = code.split_at(digits_at);
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let n = rest[..end].parse().unwrap_or(0);
    (prefix.to_string(), n, rest[end..].to_string())
}

/// Import kinds in Portuguese.
fn kind_label(kind: &str) -> String {
    atalaia_ingest::Kind::parse(kind)
        .map(|k| k.label_pt().to_string())
        .unwrap_or_else(|| kind.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_people() {
        assert_eq!(thousands(149_964), "149.964");
        assert_eq!(thousands(1_000_000), "1.000.000");
        assert_eq!(thousands(999), "999");
        let mut codes = vec!["AIS10", "AISP1", "AIS9", "AIS8"];
        codes.sort_by_key(|c| natural_key(c));
        assert_eq!(codes, ["AIS8", "AIS9", "AIS10", "AISP1"]);
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
