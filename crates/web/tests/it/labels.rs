//! A saved run's page and its signed PDF say the same words: every level, reason, warning and crime
//! label and every area's reduction come from the one home of labels and numbers
//! (`atalaia_reports::format`, `atalaia_core::numbers`), so a committee member reading the page and an
//! auditor reading the PDF read the same thing.

use std::collections::BTreeSet;

use atalaia_core::cycle::CycleKind;
use atalaia_reports::format::{
    crime_label, decimal_or_dash, kind_label, level_label, percent_or_dash, reason_label,
    warning_label,
};
use atalaia_store::testing::TestDb;

use super::*;

/// Text without tags or entities, every run of whitespace one space.
fn words_of_html(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'");
    squash(&out)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_runs_page_and_its_pdf_use_the_same_words() {
    let t = TestDb::sqlite().await.unwrap();
    let config = test_config();
    let (app, committee, page_path, run_id) = demo_with_a_recap_run(&t.db, config.clone()).await;
    let html = app.get(&page_path, Some(&committee)).await.body;
    let page = words_of_html(&html);
    let st = atalaia_web::AppState::new(t.db.clone(), config);
    let pdf = squash(
        &atalaia_web::pages::recap::runs::pdf_text(&st, run_id)
            .await
            .unwrap()
            .join(" "),
    );

    let report =
        t.db.saved_run(CycleKind::Recap, run_id)
            .await
            .unwrap()
            .unwrap()
            .replay::<atalaia_core::pipeline::Recap>()
            .unwrap()
            .report;
    let mut words: BTreeSet<String> = BTreeSet::new();
    for crime in &report.parameters.crimes {
        words.insert(crime_label(crime));
    }
    for a in &report.areas {
        // The area's own row on the page: its level, reasons and reduction, as the PDF prints them.
        let start = html
            .find(&format!("<th scope=\"row\">{}<br>", a.code))
            .unwrap_or_else(|| panic!("no row for {}", a.code));
        let row = words_of_html(&html[start..start + html[start..].find("</tr>").unwrap()]);
        let mut own = vec![level_label(a.level).to_string()];
        own.extend(a.crimes.iter().map(|l| crime_label(&l.crime)));
        own.extend(a.reasons.iter().map(|r| reason_label(r).to_string()));
        if a.reduction_pct.is_some() {
            own.push(percent_or_dash(a.reduction_pct));
        }
        for w in &own {
            assert!(
                row.contains(w.as_str()),
                "{}'s row lacks {w:?}: {row}",
                a.code
            );
        }
        words.extend(own);
        words.insert(kind_label(&a.kind));
        words.insert(decimal_or_dash(a.reduction_pct));
        words.extend(a.warnings.iter().map(|w| warning_label(w).to_string()));
    }
    let missing_on_page: Vec<&String> = words
        .iter()
        .filter(|w| !page.contains(w.as_str()))
        .collect();
    let missing_in_pdf: Vec<&String> = words.iter().filter(|w| !pdf.contains(w.as_str())).collect();
    assert!(
        missing_on_page.is_empty() && missing_in_pdf.is_empty(),
        "{} words checked; the page lacks {missing_on_page:?}; the PDF lacks {missing_in_pdf:?}",
        words.len()
    );
    // The demo's quarter has areas with and without a level and a reason: the check is not empty.
    assert!(words.len() >= 10, "only {} words: {words:?}", words.len());
    assert!(
        report.areas.iter().any(|a| !a.reasons.is_empty()),
        "no area with a reason"
    );
}
