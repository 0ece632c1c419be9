//! The public transparency page leaks no count below the threshold: not as a number, not as a rate, and
//! not through subtraction from a published total (the test plays the attacker).

use atalaia_store::per_backend;
use std::collections::HashMap;

use super::*;

/// Every equation an attacker can write from the open data: each area's total is the sum of its groups;
/// each parent's count is (at worst) the sum of its children's, group by group.
/// A published cell: (territory code, crime group).
type Key = (String, String);

fn equations(rows: &[HashMap<String, String>]) -> Vec<(Key, Vec<Key>)> {
    let mut eqs = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for r in rows {
        if !groups.contains(&r["Grupo de crimes"]) && r["Grupo de crimes"] != "Total" {
            groups.push(r["Grupo de crimes"].clone());
        }
    }
    let mut codes: Vec<(String, String)> = Vec::new();
    for r in rows {
        let c = (
            r["Código do território"].clone(),
            r["Código do território-mãe"].clone(),
        );
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    for (code, _) in &codes {
        eqs.push((
            (code.clone(), "Total".to_string()),
            groups.iter().map(|g| (code.clone(), g.clone())).collect(),
        ));
    }
    for (parent, _) in &codes {
        let kids: Vec<&String> = codes
            .iter()
            .filter(|(_, p)| p == parent)
            .map(|(c, _)| c)
            .collect();
        if kids.is_empty() {
            continue;
        }
        for g in groups.iter().chain(std::iter::once(&"Total".to_string())) {
            eqs.push((
                (parent.clone(), g.clone()),
                kids.iter().map(|k| ((*k).clone(), g.clone())).collect(),
            ));
        }
    }
    eqs
}

async fn story(db: &atalaia_store::Db) {
    let today = (chrono::Utc::now() - chrono::Duration::hours(3)).date_naive();
    load_demo(db, today, 0.02).await;
    let app = App::new(db.clone(), test_config()).await;
    let k: u64 = 5;
    // No sign-in needed.
    let page = app.get("/transparencia", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csv = app.get("/transparencia/dados.csv", None).await;
    assert_eq!(csv.status, 200);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<HashMap<String, String>> = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect();
    assert!(rows.len() > 100, "{} rows", rows.len());
    // 1. No published count below the threshold; a hidden count hides its rate.
    let mut known: HashMap<(String, String), u64> = HashMap::new();
    let mut hidden = 0;
    for r in &rows {
        let key = (
            r["Código do território"].clone(),
            r["Grupo de crimes"].clone(),
        );
        if r["Suprimido"] == "sim" {
            hidden += 1;
            assert!(
                r["Ocorrências"].is_empty() && r["Taxa por 100 mil habitantes"].is_empty(),
                "{r:?}"
            );
        } else {
            let n: u64 = r["Ocorrências"].parse().unwrap();
            assert!(n == 0 || n >= k, "published small count {r:?}");
            known.insert(key, n);
        }
    }
    assert!(hidden > 0, "the small demo must have small counts to hide");
    // The truth, summed independently from the monthly totals of the same twelve months: every
    // published count must equal it, and the attacker's equations are those that truly hold (a
    // parent's areas need not partition it exactly).
    let from =
        chrono::NaiveDate::parse_from_str(&rows[0]["Início do período"], "%d/%m/%Y").unwrap();
    let to = chrono::NaiveDate::parse_from_str(&rows[0]["Fim do período"], "%d/%m/%Y").unwrap();
    let groups: HashMap<String, String> = db
        .crimes()
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.code,
                atalaia_store::selection::group_of(&c.group)
                    .label_pt()
                    .to_string(),
            )
        })
        .collect();
    let mut truth: HashMap<(String, String), u64> = HashMap::new();
    for t in db
        .monthly_totals(from, to + chrono::Duration::days(1))
        .await
        .unwrap()
    {
        let n = t.occurrences as u64;
        *truth
            .entry((t.territory_code.clone(), groups[&t.crime].clone()))
            .or_default() += n;
        *truth
            .entry((t.territory_code.clone(), "Total".into()))
            .or_default() += n;
    }
    let true_of = |c: &(String, String)| truth.get(c).copied().unwrap_or(0);
    for (cell, n) in &known {
        assert_eq!(*n, true_of(cell), "{cell:?}");
    }
    // 2. The attacker solves every equation with one unknown, again and again.
    let eqs: Vec<_> = equations(&rows)
        .into_iter()
        .filter(|(t, parts)| true_of(t) == parts.iter().map(true_of).sum::<u64>())
        .collect();
    assert!(eqs.len() > rows.len() / 8, "{} equations hold", eqs.len());
    loop {
        let mut solved = false;
        for (total, parts) in &eqs {
            let cells: Vec<&(String, String)> = std::iter::once(total).chain(parts).collect();
            let unknown: Vec<&&(String, String)> =
                cells.iter().filter(|c| !known.contains_key(**c)).collect();
            if unknown.len() != 1 {
                continue;
            }
            let u = (**unknown[0]).clone();
            let parts_sum: i64 = parts
                .iter()
                .filter(|p| **p != u)
                .map(|p| known[p] as i64)
                .sum();
            let value = if u == *total {
                parts_sum
            } else {
                known[total] as i64 - parts_sum
            };
            assert!(
                value == 0 || value >= k as i64,
                "derived a small count: {u:?} = {value}"
            );
            known.insert(u, value as u64);
            solved = true;
        }
        if !solved {
            break;
        }
    }
    // 3. Where a total is known, the hidden parts together must not be a small count either.
    for (total, parts) in &eqs {
        let Some(t) = known.get(total) else { continue };
        let known_parts: u64 = parts.iter().filter_map(|p| known.get(p)).sum();
        let residual = *t as i64 - known_parts as i64;
        assert!(
            residual == 0 || residual >= k as i64,
            "hidden parts of {total:?} add up to {residual}"
        );
    }
    // 4. The page shows the same: no count from 1 to k − 1 anywhere in its cells.
    let mut shown = 0;
    for piece in page.body.split("<span class=\"count\">").skip(1) {
        let text = piece.split("</span>").next().unwrap();
        shown += 1;
        if let Ok(n) = text.replace('.', "").parse::<u64>() {
            assert!(n == 0 || n >= k, "page shows {n}");
        } else {
            assert_eq!(text, "&#60; 5*");
        }
    }
    assert_eq!(shown, rows.len(), "one page cell per CSV row");
    // Nothing that identifies an occurrence: no BO numbers, coordinates or names of people.
    assert!(!header.iter().any(|h| {
        let h = h.to_lowercase();
        h.contains("lat") || h.contains("bo") || h.contains("nome da v")
    }));
    // For people in Brazil: Portuguese headers, as the page's data dictionary lists them.
    assert_eq!(header.len(), 11);
    assert_eq!(header[0], "Código do território");
    for h in &header {
        assert!(
            page.body.contains(&format!("<th scope=\"row\">{h}</th>")),
            "{h} not in the dictionary"
        );
    }
    assert!(rows.iter().any(|r| r["Tipo"] == "Município"));
    // Rates with a decimal comma and no thousands dot: "1234,56".
    let rates: Vec<&String> = rows
        .iter()
        .map(|r| &r["Taxa por 100 mil habitantes"])
        .filter(|x| !x.is_empty())
        .collect();
    assert!(!rates.is_empty());
    for x in rates {
        let (int, frac) = x.split_once(',').unwrap_or_else(|| panic!("{x}"));
        assert!(
            int.bytes().all(|b| b.is_ascii_digit()) && frac.len() == 2,
            "{x}"
        );
    }
}

per_backend! {
    async fn the_public_page_leaks_no_small_count(t) {
        story(&t.db).await;
        println!("backend {}: transparency ok", t.label);
        t.cleanup().await.unwrap();
    }
}
