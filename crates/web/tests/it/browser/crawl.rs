//! Every page each demo role reaches by links from its home page, at 1366 × 900 and on a 390 × 844
//! phone: no page scrolls sideways (issue 20: wide tables scroll inside their box, forms take one
//! column, the menu folds), none shows a code of the data model where people read Portuguese, and
//! axe-core finds no serious or critical WCAG 2.1 AA violation on any of them.
//! With `ATALAIA_SCREENSHOTS` set, each page at each width is kept.

use super::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Pages visited per role at the most: every menu entry and the pages one or two links away (a
/// bound, not a sample: each role reaches fewer, see [`PER_SHAPE`]).
const PAGES_PER_ROLE: usize = 60;

/// A link worth visiting: a page of this server, not a download, a feed or signing out.
fn page_link(base: &str, href: &str) -> Option<String> {
    let path = href.strip_prefix(base)?;
    let path = path.split('#').next()?;
    let bare = path.split('?').next()?;
    let download = [
        ".csv",
        ".xlsx",
        ".pdf",
        ".geojson",
        ".ics",
        ".json",
        "/bo",
        "/exportar",
    ]
    .iter()
    .any(|ext| bare.ends_with(ext));
    let elsewhere = ["/static/", "/api/", "/logout", "/login", "/dados-abertos"]
        .iter()
        .any(|p| bare.starts_with(p));
    (!download && !elsewhere && path.starts_with('/')).then(|| path.to_string())
}

/// The links of the page shown.
async fn links(c: &Client) -> Vec<String> {
    strings_of(
        c,
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)",
    )
    .await
}

/// Words of the data model in the page's visible text: snake_case codes (a file name such as
/// `mapa_crimes.csv` is the user's own and passes), upper-case kinds, actors and actions as stored, and
/// the import kinds' English names.
async fn code_words(c: &Client) -> Vec<String> {
    strings_of(
        c,
        r"return document.body.innerText.match(/\b[a-z0-9]+(_[a-z0-9]+)+\b(?![.][a-z])|\b(MUNICIPALITY|STATE|INTERVENTION|municipality|intervention|occurrences|population|units|operators|assignments|absences|territories|seizures|forensic|Zoom)\b|\b(user|cli):[a-z0-9]+|\bauth[.][a-z_]+/g)",
    )
    .await
}

/// Deque's axe-core, vendored (see `vendor/README.md`).
const AXE: &str = include_str!("vendor/axe-core/axe.min.js");

/// The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page shown, each with up to
/// three of the elements at fault.
async fn axe_violations(c: &Client) -> Vec<String> {
    c.execute(&format!("{AXE}\nreturn true;"), vec![])
        .await
        .unwrap();
    let found = c
        .execute_async(
            r"const done = arguments[arguments.length - 1];
            axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                resultTypes: ['violations'],
            }).then(r => done(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): '
                    + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
            .catch(e => done(['axe-core failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// How wide the page is against its window: (scroll width, client width).
async fn widths(c: &Client) -> (u64, u64) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
}

/// A path with its codes and numbers as `*`: `/territorios/AISP1` and `/territorios/5208707` are
/// the same page to a layout.
fn shape(bare: &str) -> String {
    bare.split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) {
                "*"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Pages that show a result only once their form is sent, visited first (as their bare path, a
/// link would show the empty form): an evaluation, an area's occurrences, a hexagon hot-spot map. A
/// role that may not see one gets its refusal page, which is checked as well.
const FORM_RESULTS: [&str; 3] = [
    "/avaliacao?area=AISP1&inicio=2026-06-01&meses=3",
    "/ocorrencias?area=AISP1",
    "/zonas-quentes?area=AISP1&forma=hexagono",
];

/// How many pages of one shape are visited: two, so that one of each kind of record shows up (an
/// area and a municipality, a meeting with and without an ata) without one list filling the crawl.
const PER_SHAPE: usize = 2;

/// The pages `login` reaches from `/` by following links breadth first, one query-string variant
/// per path (a list paged or filtered is the same page to a layout) and [`PER_SHAPE`] paths per
/// shape.
async fn reachable(c: &Client, base: &str) -> Vec<String> {
    let mut seen_paths = BTreeSet::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut queue: VecDeque<String> = std::iter::once("/")
        .chain(FORM_RESULTS)
        .map(str::to_string)
        .collect();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= PAGES_PER_ROLE {
            break;
        }
        let bare = path.split('?').next().unwrap_or(&path).to_string();
        let same_shape = shapes.entry(shape(&bare)).or_default();
        if *same_shape >= PER_SHAPE || !seen_paths.insert(bare) {
            continue;
        }
        *same_shape += 1;
        c.goto(&format!("{base}{path}")).await.unwrap();
        wait_for(c, "footer.foot, main").await;
        pages.push(path);
        for href in links(c).await {
            if let Some(p) = page_link(base, &href) {
                queue.push_back(p);
            }
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_of_any_role_scrolls_sideways() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let (t, base) = demo_site().await;
    let mut wide: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut code = BTreeSet::new();
    let mut inaccessible = BTreeSet::new();
    let mut visited = 0;
    for user in atalaia_web::demo_users::logins() {
        c.set_window_size(1366, 900).await.unwrap();
        sign_in(&c, &base, user.login, user.password).await;
        let pages = reachable(&c, &base).await;
        assert!(pages.len() > 1, "{}: {pages:?}", user.login);
        assert!(
            pages.len() < PAGES_PER_ROLE,
            "{}: the crawl hit its bound; raise it so that every page is seen",
            user.login
        );
        for (w, h) in [(1366, 900), (390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            for (i, path) in pages.iter().enumerate() {
                c.goto(&format!("{base}{path}")).await.unwrap();
                wait_for(&c, "main").await;
                let (scroll, client) = widths(&c).await;
                if w == 1366 {
                    for word in code_words(&c).await {
                        code.insert(format!("{} {path}: {word}", user.login));
                    }
                }
                for v in axe_violations(&c).await {
                    inaccessible.insert(format!("{} {w} px {path}: {v}", user.login));
                }
                if scroll > client {
                    wide.insert(format!("{} {w} px {path}", user.login), (scroll, client));
                }
                let slug: String = path
                    .chars()
                    .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
                    .collect();
                shot(&c, &format!("pagina-{}-{w}-{i:02}{slug}", user.login)).await;
                visited += 1;
            }
        }
        c.set_window_size(1366, 900).await.unwrap();
        sign_out(&c).await;
    }
    assert!(wide.is_empty(), "pages wider than their window: {wide:#?}");
    assert!(code.is_empty(), "code instead of Portuguese: {code:#?}");
    assert!(
        inaccessible.is_empty(),
        "axe-core's serious or critical WCAG 2.1 AA violations: {inaccessible:#?}"
    );
    println!(
        "browser: {visited} page views of 7 roles at 1366 and 390 px, none wider than the window"
    );
    c.close().await.unwrap();
    t.cleanup().await.unwrap();
}
