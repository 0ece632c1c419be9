//! Long tables that find (issue 20): the municipality selection's 246 rows are searched without regard
//! to accents, shown 50 at a time, and sorted by a column in Brazilian order — the same order the
//! server's own collation (ICU through `atalaia_core::text`) gives.

use super::*;
use fantoccini::Locator;

/// The names in the visible rows' second cell.
async fn visible_names(c: &fantoccini::Client) -> Vec<String> {
    strings_of(
        c,
        "return Array.from(document.querySelectorAll('table.selection tbody tr'))\
         .filter(r => !r.hidden).map(r => r.cells[1].textContent.trim())",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_selection_table_is_searched_paged_and_sorted() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let (t, base) = demo_site().await;
    let mut names: Vec<String> =
        t.db.territories()
            .await
            .unwrap()
            .into_iter()
            .filter(|v| v.kind == "municipality")
            .map(|v| v.name)
            .collect();
    names.sort();
    names.dedup();
    sign_in(&c, &base, "analista", "demo-analista-7872").await;
    c.goto(&format!("{base}/municipios/selecao")).await.unwrap();
    wait_for(&c, ".table-tools input[type=search]").await;
    assert_eq!(visible_names(&c).await.len(), 50);
    assert_eq!(
        text_at(&c, ".table-count").await,
        format!("mostrando 50 de {} linhas", names.len())
    );
    click(&c, Locator::Css("button.table-more")).await;
    assert_eq!(visible_names(&c).await.len(), 100);

    // "goiania" finds every name with "Goiânia" in it.
    let wanted: Vec<&String> = names
        .iter()
        .filter(|n| atalaia_core::text::folded(n).contains("goiania"))
        .collect();
    assert!(wanted.len() >= 2, "{wanted:?}");
    fill(&c, ".table-tools input[type=search]", "goiania").await;
    let mut found = visible_names(&c).await;
    found.sort();
    let mut expected: Vec<String> = wanted.into_iter().cloned().collect();
    expected.sort();
    assert_eq!(found, expected);

    // Sorted by name, the first 50 are the first 50 of a Brazilian index.
    fill(&c, ".table-tools input[type=search]", "").await;
    c.execute(
        "const i = document.querySelector('.table-tools input[type=search]'); i.value = ''; \
         i.dispatchEvent(new Event('input'))",
        vec![],
    )
    .await
    .unwrap();
    click(
        &c,
        Locator::XPath("//table[contains(@class,'selection')]//th[2]/button"),
    )
    .await;
    atalaia_core::text::sort_pt(&mut names, |n| n);
    assert_eq!(visible_names(&c).await, names[..50].to_vec());
    let sorted = c
        .find(Locator::XPath(
            "//table[contains(@class,'selection')]//th[2]",
        ))
        .await
        .unwrap()
        .attr("aria-sort")
        .await
        .unwrap();
    assert_eq!(sorted.as_deref(), Some("ascending"));
    println!("browser: selection table searched, paged and sorted in pt-BR order");
    c.close().await.unwrap();
    t.cleanup().await.unwrap();
}
